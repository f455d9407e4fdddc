//! The config's seed range, conflicting keys, strict `--set` and bounded reading.

use std::path::{Path, PathBuf};

use super::RunConfig;

/// A temporary directory holding `config.toml` with `text`.
fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// `load` + `resolve_located` of `text` with `sets`, as the whole error chain.
fn error_of(text: &str, sets: &[&str]) -> String {
    let (_dir, path) = config_file(text);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match RunConfig::load(&path, &sets).and_then(|c| c.resolve_located(&path)) {
        Ok(_) => panic!("{text:?} with {sets:?} was accepted"),
        Err(error) => format!("{error:#}"),
    }
}

/// `load` + `resolve` of `text` with `sets`, which must succeed.
fn resolves(text: &str, sets: &[&str]) -> RunConfig {
    let (_dir, path) = config_file(text);
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let config = RunConfig::load(&path, &sets).unwrap();
    config.resolve_located(&path).unwrap();
    config
}

/// Asserts that `message` holds every one of `parts`.
fn assert_names(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[test]
fn seed_beyond_toml_range_is_refused_naming_the_key() {
    let message = error_of("seed = 9223372036854775808\n", &[]);
    assert_names(&message, &["config ", "seed must be in [0, 2^63 − 1]"]);
    let message = error_of("seed = 18446744073709551616\n", &[]);
    assert_names(&message, &["seed must be in [0, 2^63 − 1]"]);
    let message = error_of("[data]\nteacher_seed = 9223372036854775808\n", &[]);
    assert_names(&message, &["data.teacher_seed must be in [0, 2^63 − 1]"]);
    let message = error_of("[data]\nn = 18446744073709551616\n", &[]);
    assert_names(&message, &["data.n must be in [0, 2^63 − 1]"]);
    let largest = resolves("seed = 9223372036854775807\n", &["train.steps=5"]);
    assert_eq!(largest.seed, i64::MAX as u64);
}

#[test]
fn set_integer_beyond_toml_range_is_refused_naming_the_set() {
    let message = error_of("", &["seed=18446744073709551615"]);
    assert_names(
        &message,
        &["--set seed=18446744073709551615", "outside TOML's range"],
    );
}

#[test]
fn seed_beyond_toml_range_in_code_is_refused_by_resolve_and_set() {
    let config = RunConfig {
        seed: u64::MAX,
        ..RunConfig::default()
    };
    assert_names(
        &format!("{:#}", config.resolve().unwrap_err()),
        &["seed must be in [0, 2^63 − 1]"],
    );
    assert_names(
        &format!("{:#}", config.with_override("train.steps=5").unwrap_err()),
        &["seed must be in [0, 2^63 − 1]"],
    );
}

#[test]
fn seeds_never_wrap() {
    let message = error_of("seed = 9223372036854775807\n[train]\nseeds = 2\n", &[]);
    assert_names(&message, &["seed and train.seeds", "2^63 − 1"]);
    let message = error_of("seed = 9223372036854775806\n", &["train.seeds=3"]);
    assert_names(&message, &["--set train.seeds=3", "seed + train.seeds − 1"]);
    resolves("seed = 9223372036854775806\n[train]\nseeds = 2\n", &[]);
}

#[test]
fn lr_with_lr_w_is_refused_naming_both() {
    let text = "[model]\nwidths = [4, 4]\n[train]\nlr = [1.0, 1.0, 1.0]\nlr_w = 1.0\n";
    assert_names(
        &error_of(text, &[]),
        &["train.lr and train.lr_w both set", "keep one"],
    );
    let base = "[model]\nwidths = [4, 4]\n[train]\nlr = [1.0, 1.0, 1.0]\n";
    resolves(base, &[]);
    assert_names(
        &error_of(base, &["train.lr_a=1.0"]),
        &["--set train.lr_a=1.0", "train.lr and train.lr_a"],
    );
    let rates = "[train]\nlr_b = 0.5\n";
    assert_names(
        &error_of(rates, &["train.lr=[1.0, 1.0]"]),
        &["--set train.lr=[1.0, 1.0]", "train.lr and train.lr_b"],
    );
    // Built in code (no provenance): a rate other than the default is the evidence.
    let mut config = RunConfig::default();
    config.train.lr = vec![1.0, 1.0];
    config.resolve().unwrap();
    config.train.lr_a = 0.5;
    assert_names(
        &format!("{:#}", config.resolve().unwrap_err()),
        &["train.lr and train.lr_a"],
    );
}

#[test]
fn widths_with_explicit_default_width_is_refused() {
    let text = "[model]\nwidth = 512\nwidths = [4, 4]\n";
    assert_names(&error_of(text, &[]), &["model.width and model.widths"]);
    assert_names(
        &error_of("[model]\nwidth = 512\n", &["model.widths=[4, 4]"]),
        &["--set model.widths=[4, 4]", "model.width and model.widths"],
    );
    resolves("[model]\nwidths = [4, 4]\n", &[]);
    // A --set of the whole section replaces the file's model.width.
    resolves("[model]\nwidth = 512\n", &["model={ widths = [4, 4] }"]);
    resolves("[model]\nwidth = 8\nwidths = []\n", &[]);
}

#[test]
fn complete_written_config_is_checked_by_value_only() {
    // A sweep writes every key of a run's config; its keys are not choices.
    let mut config = RunConfig::default();
    config.model.widths = vec![4, 4];
    config.train.lr = vec![0.5, 0.5, 1.0];
    let (_dir, path) = config_file(&toml::to_string(&config).unwrap());
    let loaded = RunConfig::load(&path, &[]).unwrap();
    loaded.resolve_located(&path).unwrap();
    assert_eq!(loaded, config);
}

#[test]
fn provenance_leaves_serialization_and_equality_alone() {
    let (_dir, path) = config_file("seed = 3\n[model]\nwidth = 8\n");
    let loaded = RunConfig::load(&path, &["train.steps=7".into()]).unwrap();
    assert!(loaded.given.contains("model.width") && loaded.given.contains("train.steps"));
    let json = serde_json::to_value(&loaded).unwrap();
    let from_json: RunConfig = serde_json::from_value(json.clone()).unwrap();
    assert!(!from_json.given.contains("model.width"));
    assert_eq!(from_json, loaded);
    assert_eq!(json, serde_json::to_value(&from_json).unwrap());
    assert!(json.get("given").is_none());
}

#[test]
fn resolve_error_from_a_set_names_the_set() {
    let message = error_of("", &["train.log_every=0"]);
    assert!(
        message.starts_with("--set train.log_every=0: train.log_every must be at least 1"),
        "{message}"
    );
    assert!(!message.contains("config "), "{message}");
    let message = error_of("[train]\nlog_every = 0\n", &["train.steps=3"]);
    assert!(message.starts_with("config "), "{message}");
    assert_names(&message, &["train.log_every must be at least 1"]);
}

#[test]
fn multi_line_set_value_is_refused() {
    for set in [
        "train.steps=5\nn=3",
        "train.steps=5\r\nn=3",
        "train.lr=[1.0,\n1.0]",
    ] {
        assert_names(
            &error_of("", &[set]),
            &[&format!("--set {set}"), "one TOML value"],
        );
    }
    let config = resolves("", &["data.path=\"\"\"a\nb.npz\"\"\""]);
    assert_eq!(config.data.path.as_deref(), Some(Path::new("a\nb.npz")));
}

#[test]
fn malformed_set_keys_are_refused_naming_the_set() {
    for (set, says) in [
        ("=5", "empty key"),
        (" =5", "empty key"),
        (".x=1", "empty part"),
        ("train.=1", "empty part"),
        ("train..lr_a=1", "empty part"),
        ("nosection.x=1", "unknown section `nosection`"),
        ("seed.x=1", "`seed` is a value, not a section"),
        ("train.lr.x=1", "`train.lr` is a value, not a section"),
        ("train.nokey=1", "unknown field `nokey`"),
        ("train lr=1", "not a key name"),
        ("train.steps", "expected key=value"),
        ("train.lr=[1.0, 2.0", "not a TOML value"),
    ] {
        assert_names(&error_of("", &[set]), &[&format!("--set {set}"), says]);
    }
}

#[test]
fn config_dev_zero_is_refused() {
    let path = Path::new("/dev/zero");
    if !path.exists() {
        return;
    }
    let message = format!("{:#}", RunConfig::load(path, &[]).unwrap_err());
    assert_names(&message, &["/dev/zero", "larger than"]);
}

#[test]
fn data_seed_defaults_to_the_run_seed_and_is_left_out_of_the_config_when_absent() {
    let absent = resolves("seed = 5\n", &[]);
    // Left out of the serialized config (which run ids hash), so those do not change.
    let json = serde_json::to_value(&absent).unwrap();
    assert!(json["data"].get("seed").is_none(), "{json}");
    let data = |config: &RunConfig| config.resolve().unwrap().data;
    let given = resolves("seed = 5\n[data]\nseed = 5\n", &[]);
    assert_eq!(serde_json::to_value(&given).unwrap()["data"]["seed"], 5);
    assert_eq!(data(&given), data(&absent));
    // Another run seed with the same data seed: the same data; without it, other data.
    assert_eq!(
        data(&resolves("seed = 6\n[data]\nseed = 5\n", &[])),
        data(&absent)
    );
    assert_ne!(data(&resolves("seed = 6\n", &[])), data(&absent));
    assert_eq!(
        data(&resolves("seed = 6\n", &["data.seed=5"])),
        data(&absent)
    );
    let message = error_of("[data]\nseed = 9223372036854775808\n", &[]);
    assert_names(&message, &["data.seed must be in [0, 2^63 − 1]"]);
}
