//! The sweep spec (TOML) and its expansion into runs.
//!
//! ```toml
//! base = "configs/quickstart.toml"   # any train config; relative to this file
//! [grid]                              # Cartesian product; keys are dotted config keys
//! "model.width" = [16, 32, 64]
//! seed = [0, 1, 2]
//! [[zip]]                             # optional: keys varied together instead of crossed
//! "train.lr_w" = [1.0, 0.5]
//! "train.lr_a" = [1.0, 2.0]
//! ```
//!
//! An optional top-level `analyses = ["critical-width", "plot"]` names what to run on the
//! merged results once every run has ended (`sweep submit`'s merge job). An optional
//! `[criteria]` table states the thresholds a reproduction decides its verdicts by (fixed
//! before the data; `overparam reproduce` checks them against its analysis); the sweep itself
//! does not use it.
//!
//! The expansion is deterministic: grid keys in sorted order (the first varies slowest), then
//! each `[[zip]]` group as one more factor, in file order.

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use serde::Deserialize;

use crate::small_file::read_small_text;

/// One swept value: a dotted config key and the TOML value it takes.
pub type Assignment = (String, toml::Value);

/// A parsed, checked sweep spec.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// The base train config, resolved against the spec file's directory.
    pub base: PathBuf,
    /// The factors of the product: each is a list of alternatives, each alternative the
    /// assignments it makes (one per grid key; several for a zip group).
    pub factors: Vec<Vec<Vec<Assignment>>>,
    /// Every swept key, in manifest column order.
    pub keys: Vec<String>,
    /// What to run on the merged results, in order (`analyses`; none by default).
    pub analyses: Vec<SweepAnalysis>,
    /// `[criteria]`: a reproduction's verdict thresholds, key → number or rule (empty when
    /// none); not used by the sweep.
    pub criteria: toml::Table,
}

/// An analysis of a merged sweep that a spec can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepAnalysis {
    /// `overparam analyze critical-width DIR`.
    CriticalWidth,
    /// `overparam plot DIR`.
    Plot,
}

impl SweepAnalysis {
    /// The `overparam` arguments before the sweep directory.
    pub fn command(self) -> &'static [&'static str] {
        match self {
            SweepAnalysis::CriticalWidth => &["analyze", "critical-width"],
            SweepAnalysis::Plot => &["plot"],
        }
    }
}

/// The file as typed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    base: PathBuf,
    #[serde(default)]
    grid: toml::Table,
    #[serde(default)]
    zip: Vec<toml::Table>,
    #[serde(default)]
    analyses: Vec<SweepAnalysis>,
    #[serde(default)]
    criteria: toml::Table,
}

impl SweepSpec {
    /// Reads and checks the spec at `path`; errors name the file and the offending key.
    pub fn load(path: &Path) -> anyhow::Result<SweepSpec> {
        let text = read_small_text(path, "sweep spec")?;
        let file: SpecFile =
            toml::from_str(&text).with_context(|| format!("sweep spec {}", path.display()))?;
        let base = if file.base.is_relative() {
            path.parent().unwrap_or(Path::new(".")).join(&file.base)
        } else {
            file.base.clone()
        };
        let mut spec = SweepSpec::from_tables(base, &file.grid, &file.zip)
            .with_context(|| format!("sweep spec {}", path.display()))?;
        spec.analyses = file.analyses;
        spec.criteria = file.criteria;
        Ok(spec)
    }

    /// Builds the factors from a `[grid]` table and `[[zip]]` tables.
    fn from_tables(
        base: PathBuf,
        grid: &toml::Table,
        zips: &[toml::Table],
    ) -> anyhow::Result<SweepSpec> {
        let mut keys: Vec<String> = Vec::new();
        let mut claim = |key: &str| -> anyhow::Result<()> {
            ensure!(
                !keys.iter().any(|k| k == key),
                "key `{key}` is swept twice (in [grid] and/or [[zip]] groups)"
            );
            keys.push(key.to_string());
            Ok(())
        };
        let mut factors = Vec::new();
        for (key, values) in grid {
            claim(key)?;
            let values = value_list(&format!("[grid] `{key}`"), values)?;
            factors.push(values.into_iter().map(|v| vec![(key.clone(), v)]).collect());
        }
        for (group, table) in zips.iter().enumerate() {
            ensure!(!table.is_empty(), "[[zip]] group {} is empty", group + 1);
            let mut columns = Vec::new();
            for (key, values) in table {
                claim(key)?;
                let values = value_list(&format!("[[zip]] group {} `{key}`", group + 1), values)?;
                columns.push((key.clone(), values));
            }
            let length = columns[0].1.len();
            if let Some((key, values)) = columns.iter().find(|(_, v)| v.len() != length) {
                bail!(
                    "[[zip]] group {}: `{}` has {length} values but `{key}` has {}; zipped keys need equally many",
                    group + 1,
                    columns[0].0,
                    values.len()
                );
            }
            factors.push(
                (0..length)
                    .map(|i| {
                        columns
                            .iter()
                            .map(|(key, values)| (key.clone(), values[i].clone()))
                            .collect()
                    })
                    .collect(),
            );
        }
        Ok(SweepSpec {
            base,
            factors,
            keys,
            analyses: Vec::new(),
            criteria: toml::Table::new(),
        })
    }

    /// Every run's assignments, in manifest order (the first factor varies slowest). A spec
    /// with no swept key has one run: the base config.
    pub fn expand(&self) -> Vec<Vec<Assignment>> {
        let mut points: Vec<Vec<Assignment>> = vec![Vec::new()];
        for factor in &self.factors {
            points = points
                .iter()
                .flat_map(|point| {
                    factor.iter().map(move |alternative| {
                        point.iter().chain(alternative).cloned().collect::<Vec<_>>()
                    })
                })
                .collect();
        }
        points
    }
}

/// The non-empty array `values` of a swept key.
fn value_list(what: &str, values: &toml::Value) -> anyhow::Result<Vec<toml::Value>> {
    let Some(values) = values.as_array() else {
        bail!("{what} must be an array of values, e.g. [16, 32, 64]");
    };
    ensure!(!values.is_empty(), "{what} has no values");
    Ok(values.clone())
}

/// A swept value as text, as in the manifest and results: integers and floats as TOML
/// writes them (`16`, `0.5`), strings bare, anything else as TOML.
pub fn value_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The assignment as a `--set` override, `key=value` with the value in TOML syntax.
pub fn override_text((key, value): &Assignment) -> String {
    format!("{key}={value}")
}

/// A stable 64-bit FNV-1a hash of `bytes` as 16 hex digits: the same on every machine,
/// platform and Rust version (unlike `std`'s hasher), so run ids survive rebuilds.
pub fn stable_hash(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> anyhow::Result<SweepSpec> {
        let file: SpecFile = toml::from_str(text)?;
        SweepSpec::from_tables(file.base, &file.grid, &file.zip)
    }

    #[cfg(unix)]
    #[test]
    fn a_spec_at_dev_zero_is_refused_with_a_bound() {
        let error = SweepSpec::load(Path::new("/dev/zero")).unwrap_err();
        let message = format!("{error:#}");
        assert!(
            message.contains("sweep spec /dev/zero") && message.contains("larger than"),
            "{message}"
        );
    }

    #[test]
    fn grid_and_zip_expand_in_order() {
        let spec = spec(
            r#"base = "b.toml"
            [grid]
            seed = [0, 1]
            "model.width" = [8, 16, 32]
            [[zip]]
            "train.lr_w" = [1.0, 0.5]
            "train.lr_a" = [1.0, 2.0]"#,
        )
        .unwrap();
        assert_eq!(
            spec.keys,
            ["model.width", "seed", "train.lr_a", "train.lr_w"]
        );
        let runs = spec.expand();
        assert_eq!(runs.len(), 3 * 2 * 2);
        let text = |run: &[Assignment]| {
            run.iter()
                .map(|(k, v)| format!("{k}={}", value_text(v)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            text(&runs[0]),
            "model.width=8 seed=0 train.lr_a=1.0 train.lr_w=1.0"
        );
        assert_eq!(
            text(&runs[1]),
            "model.width=8 seed=0 train.lr_a=2.0 train.lr_w=0.5"
        );
        assert_eq!(
            text(&runs[11]),
            "model.width=32 seed=1 train.lr_a=2.0 train.lr_w=0.5"
        );
    }

    #[test]
    fn bad_specs_name_the_key() {
        let message = |text: &str| format!("{:#}", spec(text).unwrap_err());
        assert!(message("base = \"b\"\n[grid]\nseed = 3").contains("`seed` must be an array"));
        assert!(message("base = \"b\"\n[grid]\nseed = []").contains("`seed` has no values"));
        assert!(
            message("base = \"b\"\n[grid]\nseed = [1]\n[[zip]]\nseed = [2]")
                .contains("`seed` is swept twice")
        );
        assert!(message("base = \"b\"\n[[zip]]\na = [1, 2]\nb = [1]").contains("equally many"));
        assert!(message("base = \"b\"\ngrids = 1").contains("unknown field `grids`"));
    }

    #[test]
    fn no_swept_key_is_one_run() {
        assert_eq!(spec("base = \"b\"").unwrap().expand(), vec![Vec::new()]);
    }

    #[test]
    fn stable_hash_is_fnv1a() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(stable_hash(b""), "cbf29ce484222325");
        assert_eq!(stable_hash(b"a"), "af63dc4c8601ec8c");
    }
}
