//! The estimate against hand counts, the limit and its parsing.

use super::*;

/// n = 4, d = 3, m = 5, k = 2 teacher labels, f32, one seed.
fn tiny(ntk_every: usize) -> (RunConfig, ResolvedRun) {
    let mut config = RunConfig::default();
    config.data.n = 4;
    config.data.d = 3;
    config.data.teacher_width = 2;
    config.model.width = 5;
    config.train.ntk_every = ntk_every;
    let resolved = config.resolve().unwrap();
    (config, resolved)
}

#[test]
fn train_estimate_matches_a_hand_count_for_a_tiny_config() {
    let (config, resolved) = tiny(0);
    let estimate = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
    // P = 5 (3 + 1) + 5 = 25.
    let parameters = 3.0 * 25.0 * 4.0 + 25.0 * (4.0 + 8.0); // 300 + 300
    let data = 4.0 * 3.0 * (8.0 + 8.0) + 4.0 * (8.0 + 8.0); // 192 + 64
    let teacher = 2.0 * (3.0 * 8.0 + 24.0); // 96
    let activations = 4.0 * 5.0 * 6.0 * 4.0; // 480
    let expected = parameters + data + teacher + activations;
    assert_eq!(estimate.total_bytes(), expected);
    assert_eq!(expected, 1432.0);

    let (config, resolved) = tiny(1);
    let tracked = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
    // 3 trained tensors: w1, b1, a → 5 kernels + 3 workspace, 16 entries of 8 bytes each.
    assert_eq!(tracked.total_bytes(), expected + 8.0 * 16.0 * 8.0);
}

#[test]
fn gradcheck_estimate_counts_the_jacobian_in_f64() {
    let (config, resolved) = tiny(0);
    let estimate = MemoryEstimate::for_gradcheck(&config, &resolved);
    let expected = 6.0 * 25.0 * 8.0 // parameters
        + 4.0 * 25.0 * 8.0 // Jacobian [n, P]
        + 3.0 * 4.0 * 3.0 * 8.0 + 3.0 * 4.0 * 8.0 // inputs, labels
        + 96.0 // teacher
        + 4.0 * 5.0 * 8.0 * 8.0; // activations
    assert_eq!(estimate.total_bytes(), expected);
}

#[test]
fn seeds_multiply_the_run_by_the_parallel_threads_and_add_bookkeeping() {
    let (mut config, resolved) = tiny(0);
    let one = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32).total_bytes();
    config.train.seeds = 1_000;
    let many = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
    let parallel = rayon::current_num_threads().min(1_000) as f64;
    assert_eq!(many.total_bytes(), one * parallel + 1_000.0 * 1024.0);
    assert_eq!(many.dominant_key.as_deref(), Some("train.seeds = 1000"));
}

#[test]
fn the_dominant_key_is_the_one_whose_halving_saves_most() {
    let (mut config, _) = tiny(0);
    config.data.n = 1 << 32;
    let resolved = config.resolve().unwrap();
    let estimate = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
    assert_eq!(
        estimate.dominant_key.as_deref(),
        Some("data.n = 4294967296")
    );
    let (mut config, _) = tiny(0);
    config.model.width = 1 << 32;
    let resolved = config.resolve().unwrap();
    let estimate = MemoryEstimate::for_gradcheck(&config, &resolved);
    assert_eq!(
        estimate.dominant_key.as_deref(),
        Some("model.width = 4294967296")
    );
}

#[test]
fn check_fits_refuses_with_key_estimate_and_limit() {
    let (mut config, _) = tiny(0);
    config.data.d = 100_000_000;
    let resolved = config.resolve().unwrap();
    let estimate = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
    assert!(check_fits(&estimate, &MemoryLimit::Flag(u64::MAX)).is_ok());
    let message = check_fits(&estimate, &MemoryLimit::Machine(1 << 30))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("data.d = 100000000 needs about"),
        "{message}"
    );
    assert!(
        message.contains("this machine's 1.0 GiB of memory"),
        "{message}"
    );
    assert!(message.contains("--max-memory SIZE"), "{message}");
    let assumed = check_fits(&estimate, &MemoryLimit::Assumed("no file".into()))
        .unwrap_err()
        .to_string();
    assert!(assumed.contains("16.0 GiB of memory assumed"), "{assumed}");
}

#[test]
fn memory_sizes_parse_in_binary_units() {
    assert_eq!(parse_memory_size("64G"), Ok(64 << 30));
    assert_eq!(parse_memory_size("512M"), Ok(512 << 20));
    assert_eq!(parse_memory_size("1.5GiB"), Ok(3 << 29));
    assert_eq!(parse_memory_size("2k"), Ok(2048));
    assert_eq!(parse_memory_size("1048576"), Ok(1 << 20));
    for bad in ["", "G", "12X", "0", "-1G", "1e30", "99999999T"] {
        assert!(parse_memory_size(bad).is_err(), "{bad} parsed");
    }
}

#[test]
fn mem_total_is_read_in_kilobytes() {
    let text = "MemFree: 1 kB\nMemTotal:       24576000 kB\n";
    assert_eq!(parse_mem_total(text), Some(24_576_000 * 1024));
    assert_eq!(parse_mem_total("MemFree: 1 kB\n"), None);
}

#[test]
fn bytes_are_formatted_in_binary_units() {
    assert_eq!(format_bytes(512.0), "512 B");
    assert_eq!(format_bytes(1.5 * 1024.0 * 1024.0), "1.5 MiB");
    assert_eq!(format_bytes(23.5 * f64::from(1u32 << 30)), "23.5 GiB");
}
