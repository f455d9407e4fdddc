//! The process's peak resident memory, as the kernel counts it (`VmHWM` in
//! `/proc/self/status`): what `overparam ntk` reports beside its timings, so that a memory
//! target is read from the run itself.

/// Peak resident bytes of this process so far; `None` where `/proc` does not say (not Linux).
pub fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_is_at_least_a_buffer_just_touched() {
        let buffer = vec![1u8; 64 << 20];
        assert_eq!(buffer.iter().map(|&b| u64::from(b)).sum::<u64>(), 64 << 20);
        if cfg!(target_os = "linux") {
            assert!(super::peak_resident_bytes().unwrap() >= 64 << 20);
        }
    }
}
