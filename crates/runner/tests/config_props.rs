//! Property tests of the run config over the library API (`RunConfig::load`,
//! `with_override`, `resolve`): random bytes as a file, random mutations of
//! `configs/quickstart.toml`, and random `--set` strings never panic; every error names the
//! file or the `--set`; and whatever resolves is in range (finite rates, seeds within TOML's
//! integer range, n, d and widths ≥ 1) and re-encodes as TOML.

use std::path::{Path, PathBuf};

use overparam_runner::config::RunConfig;
use proptest::prelude::*;
use proptest::sample::{select, Index};

/// The quickstart config, the base of the mutations.
const QUICKSTART: &str = include_str!("../../../configs/quickstart.toml");

/// Every key of the schema, dotted.
const SCHEMA_KEYS: [&str; 36] = [
    "seed",
    "data.n",
    "data.d",
    "data.inputs",
    "data.labels",
    "data.teacher_width",
    "data.teacher_seed",
    "data.teacher_orthonormal",
    "data.random_labels",
    "data.path",
    "model.width",
    "model.activation",
    "model.parameterization",
    "model.output_init",
    "model.bias_init",
    "model.train_w",
    "model.train_b",
    "model.train_a",
    "model.widths",
    "model.train_layers",
    "model.init",
    "model.init_noise",
    "train.optimizer",
    "train.batch_size",
    "train.steps",
    "train.lr_w",
    "train.lr_b",
    "train.lr_a",
    "train.log_every",
    "train.target_loss",
    "train.ntk_every",
    "train.lr",
    "train.checkpoint_every",
    "train.seeds",
    "data",
    "train",
];

/// The numbers every mutation and `--set` draws from: the edges of f64, u64 and TOML.
const NUMBERS: [&str; 15] = [
    "0",
    "-1",
    "1",
    "2",
    "1e308",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "4294967296",
    "1e-300",
    "0.5",
    "-0.0",
];

/// Values of other types and shapes than the numbers.
const OTHER_VALUES: [&str; 16] = [
    "\"text\"",
    "\"sgd\"",
    "\"teacher\"",
    "\"random\"",
    "\"file\"",
    "true",
    "false",
    "[]",
    "[1, 2]",
    "[0.5, 1.0, 1.0]",
    "[true]",
    "[[1]]",
    "{ a = 1 }",
    "{ n = 4 }",
    "1979-05-27",
    "\"\"\"multi\nline\"\"\"",
];

/// A value from [`NUMBERS`] or [`OTHER_VALUES`].
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        select(&NUMBERS[..]).prop_map(String::from),
        select(&OTHER_VALUES[..]).prop_map(String::from),
    ]
}

/// One mutation of a config's lines.
#[derive(Clone, Debug)]
enum Mutation {
    /// Remove the key line at the index.
    Delete(Index),
    /// Repeat the key line at the index (invalid TOML).
    Duplicate(Index),
    /// Misspell the key of the line at the index (the character replaces one of the key's).
    Rename(Index, Index, char),
    /// Give the key at the index this value.
    Retype(Index, String),
    /// Add a schema key with this value (under its section).
    Insert(&'static str, String),
}

/// A random [`Mutation`].
fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Delete),
        any::<Index>().prop_map(Mutation::Duplicate),
        (any::<Index>(), any::<Index>(), prop::char::range('a', 'z'))
            .prop_map(|(line, at, c)| Mutation::Rename(line, at, c)),
        (any::<Index>(), value()).prop_map(|(line, v)| Mutation::Retype(line, v)),
        (select(&SCHEMA_KEYS[..34]), value()).prop_map(|(key, v)| Mutation::Insert(key, v)),
    ]
}

/// `lines` with `mutation` applied.
fn mutate(lines: &mut Vec<String>, mutation: &Mutation) {
    let key_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains('=') && !lines[i].trim_start().starts_with('#'))
        .collect();
    let pick = |index: &Index| key_lines[index.index(key_lines.len())];
    match mutation {
        Mutation::Delete(index) if !key_lines.is_empty() => {
            lines.remove(pick(index));
        }
        Mutation::Duplicate(index) if !key_lines.is_empty() => {
            let line = pick(index);
            lines.insert(line, lines[line].clone());
        }
        Mutation::Rename(index, at, c) if !key_lines.is_empty() => {
            let line = &mut lines[pick(index)];
            let key_len = line.find('=').unwrap_or(0).max(1);
            let at = at.index(key_len);
            if line.is_char_boundary(at) && line.is_char_boundary(at + 1) {
                line.replace_range(at..at + 1, &c.to_string());
            }
        }
        Mutation::Retype(index, value) if !key_lines.is_empty() => {
            let line = &mut lines[pick(index)];
            let key = line.split('=').next().unwrap_or("").to_string();
            *line = format!("{key}= {value}");
        }
        Mutation::Insert(key, value) => match key.split_once('.') {
            None => lines.insert(0, format!("{key} = {value}")),
            Some((section, leaf)) => {
                let header = format!("[{section}]");
                match lines.iter().position(|l| l.trim() == header) {
                    Some(at) => lines.insert(at + 1, format!("{leaf} = {value}")),
                    None => lines.extend([header, format!("{leaf} = {value}")]),
                }
            }
        },
        _ => {}
    }
}

/// A random `--set`: a schema key or junk, `=`, a value or junk (multi-line included).
fn assignment() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        3 => select(&SCHEMA_KEYS[..]).prop_map(String::from),
        1 => "[a-z_.= ]{0,14}",
    ];
    let raw = prop_oneof![
        3 => value(),
        1 => "[ -~\n]{0,16}",
        1 => select(&NUMBERS[..]).prop_map(|n| format!("{n}\nn = 3")),
    ];
    prop_oneof![
        8 => (key, raw).prop_map(|(k, v)| format!("{k}={v}")),
        1 => "[ -~\n]{0,24}",
    ]
}

/// Writes `text` to a config file in a fresh temporary directory.
fn write_config(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, bytes).expect("writing the config");
    (dir, path)
}

/// Loads and resolves `path` with `sets` and checks the properties: an error names the file
/// or a `--set`; a resolved config is in range and re-encodes as TOML.
fn check(path: &Path, sets: &[String]) -> Result<(), TestCaseError> {
    let outcome = RunConfig::load(path, sets).and_then(|config| {
        config
            .resolve_located(path)
            .map(|resolved| (config, resolved))
    });
    let (config, resolved) = match outcome {
        Ok(pair) => pair,
        Err(error) => {
            let chain = format!("{error:#}");
            prop_assert!(
                chain.contains(&path.display().to_string()) || chain.contains("--set "),
                "an error names neither the file nor a --set: {chain}"
            );
            return Ok(());
        }
    };
    let max = i64::MAX as u64;
    prop_assert!(config.seed <= max && config.data.teacher_seed <= max);
    prop_assert!(config
        .seed
        .checked_add(config.train.seeds - 1)
        .is_some_and(|s| s <= max));
    prop_assert!(resolved.data.num_samples >= 1 && resolved.data.input_dim >= 1);
    prop_assert!(!resolved.model.widths.is_empty());
    prop_assert!(resolved.model.widths.iter().all(|&m| m >= 1));
    let rates = &resolved.train.learning_rates;
    let all = [
        rates.hidden_weights,
        rates.hidden_biases,
        rates.output_weights,
    ];
    for rate in all.iter().chain(&rates.per_layer) {
        prop_assert!(rate.is_finite() && *rate >= 0.0, "rate {rate}");
    }
    prop_assert!(resolved.train.target_loss.is_finite());
    prop_assert!(
        toml::to_string(&config).is_ok(),
        "does not re-encode as TOML"
    );
    prop_assert!(config.with_override("train.steps=1").is_ok());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Random bytes, and random TOML-ish text, as a config file.
    #[test]
    fn random_config_files_never_panic_and_errors_name_the_file(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            "[a-z_.=\\[\\]\"0-9 \n{},-]{0,200}".prop_map(String::into_bytes),
        ]
    ) {
        let (_dir, path) = write_config(&bytes);
        check(&path, &[])?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// The quickstart with keys deleted, duplicated, misspelt, retyped or added.
    #[test]
    fn mutated_quickstart_never_panics_and_resolves_only_in_range(
        mutations in prop::collection::vec(mutation(), 1..4)
    ) {
        let mut lines: Vec<String> = QUICKSTART.lines().map(String::from).collect();
        for mutation in &mutations {
            mutate(&mut lines, mutation);
        }
        let (_dir, path) = write_config(lines.join("\n").as_bytes());
        check(&path, &[])?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The quickstart with random `--set`s.
    #[test]
    fn random_sets_never_panic_and_errors_name_the_set(
        sets in prop::collection::vec(assignment(), 1..4)
    ) {
        let (_dir, path) = write_config(QUICKSTART.as_bytes());
        check(&path, &sets)?;
        if sets.iter().any(|set| set.contains("\nn = 3")) {
            prop_assert!(
                RunConfig::load(&path, &sets).is_err(),
                "a value spanning lines was accepted: {sets:?}"
            );
        }
    }
}

/// The quickstart itself loads and resolves (the base of the mutations is valid).
#[test]
fn quickstart_resolves() {
    let (_dir, path) = write_config(QUICKSTART.as_bytes());
    RunConfig::load(&path, &[])
        .unwrap()
        .resolve_located(&path)
        .unwrap();
}
