//! TOML's integer range [−2^63, 2^63 − 1]: the seeds, the last of several seeds, and every
//! integer a config file holds stay inside it, so that a config always re-encodes as TOML
//! (`--set`, a sweep's `config.toml`) and `seed + k` never wraps.

use anyhow::ensure;

/// The largest TOML integer, 2^63 − 1.
pub(super) const TOML_INTEGER_MAX: u64 = i64::MAX as u64;

/// Refuses an integer of `tree` (a config as JSON) above 2^63 − 1, naming its key.
pub(super) fn check_tree(tree: &serde_json::Value) -> anyhow::Result<()> {
    walk(tree, "")
}

/// [`check_tree`] below the dotted `path`.
fn walk(value: &serde_json::Value, path: &str) -> anyhow::Result<()> {
    match value {
        serde_json::Value::Number(number) => {
            if let Some(integer) = number.as_u64() {
                check(path, integer)?;
            }
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{index}]"))?;
            }
        }
        serde_json::Value::Object(entries) => {
            for (key, item) in entries {
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(item, &inner)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Refuses `value` of `key` above 2^63 − 1.
pub(super) fn check(key: &str, value: u64) -> anyhow::Result<()> {
    ensure!(
        value <= TOML_INTEGER_MAX,
        "{key} must be in [0, 2^63 − 1] (TOML's integer range), got {value}"
    );
    Ok(())
}

/// Refuses seeds `seed`, …, `seed + seeds − 1` that leave [0, 2^63 − 1].
pub(super) fn check_seeds(seed: u64, teacher_seed: u64, seeds: u64) -> anyhow::Result<()> {
    check("seed", seed)?;
    check("data.teacher_seed", teacher_seed)?;
    let last = u128::from(seed) + u128::from(seeds.max(1)) - 1;
    ensure!(
        last <= u128::from(TOML_INTEGER_MAX),
        "seed and train.seeds: the last seed, seed + train.seeds − 1 = {seed} + {seeds} − 1 = \
         {last}, must be in [0, 2^63 − 1] (TOML's integer range)"
    );
    Ok(())
}
