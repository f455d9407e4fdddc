//! `manifest.csv`: the runs of a sweep, one row each, written by `overparam sweep plan`.
//!
//! Columns: `index`, `run_id` (a stable hash of the run's resolved config), each swept key
//! under its dotted name, `status` (`pending`, `ok` or `failed`) and `error`. The rows and
//! their order depend on the spec only; `status` and `error` on which runs have finished.

use std::path::Path;

use anyhow::{bail, ensure, Context};

use crate::columns::{ERROR, RUN_ID, STATUS};
use crate::files::write_atomically;
use crate::results::Table;

/// The manifest's first column: the run's position in the plan.
const INDEX: &str = "index";

/// The file name of the manifest in a sweep directory.
pub const MANIFEST_FILE: &str = "manifest.csv";

/// One planned run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Position in the plan, 0-based; shards and `--index` refer to it.
    pub index: usize,
    /// Stable hash of the resolved config; the run's directory is `runs/<run_id>/`.
    pub run_id: String,
    /// The swept values as text, one per [`Manifest::keys`].
    pub values: Vec<String>,
    /// `pending`, `ok` or `failed`.
    pub status: String,
    /// The failed run's error; empty otherwise.
    pub error: String,
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The swept keys (dotted config keys), in column order.
    pub keys: Vec<String>,
    /// The runs, by index.
    pub entries: Vec<ManifestEntry>,
}

impl Manifest {
    /// The manifest as a table.
    pub fn to_table(&self) -> Table {
        let mut columns = vec![INDEX.to_string(), RUN_ID.to_string()];
        columns.extend(self.keys.iter().cloned());
        columns.extend([STATUS.to_string(), ERROR.to_string()]);
        let mut table = Table::new(columns);
        for entry in &self.entries {
            let mut row = vec![entry.index.to_string(), entry.run_id.clone()];
            row.extend(entry.values.iter().cloned());
            row.extend([entry.status.clone(), entry.error.clone()]);
            table.rows.push(row);
        }
        table
    }

    /// Reads `DIR/manifest.csv`; errors name the file.
    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let table = Table::read(&path)?;
        Manifest::from_table(&table).with_context(|| format!("{}", path.display()))
    }

    /// Parses a table written by [`Manifest::to_table`].
    pub fn from_table(table: &Table) -> anyhow::Result<Manifest> {
        let columns = &table.columns;
        ensure!(
            columns.len() >= 4
                && columns[0] == INDEX
                && columns[1] == RUN_ID
                && columns[columns.len() - 2] == STATUS
                && columns[columns.len() - 1] == ERROR,
            "not a sweep manifest: expected columns index, run_id, <swept keys…>, status, error; found {}",
            columns.join(", ")
        );
        let keys = columns[2..columns.len() - 2].to_vec();
        let mut entries = Vec::with_capacity(table.rows.len());
        for (position, row) in table.rows.iter().enumerate() {
            let index: usize = row[0]
                .parse()
                .with_context(|| format!("row {}: index `{}`", position + 1, row[0]))?;
            ensure!(
                index == position,
                "row {}: index {index} out of order (expected {position})",
                position + 1
            );
            entries.push(ManifestEntry {
                index,
                run_id: row[1].clone(),
                values: row[2..row.len() - 2].to_vec(),
                status: row[row.len() - 2].clone(),
                error: row[row.len() - 1].clone(),
            });
        }
        Ok(Manifest { keys, entries })
    }

    /// Writes `DIR/manifest.csv` atomically.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        write_atomically(&dir.join(MANIFEST_FILE), &self.to_table().to_csv()?)
    }

    /// Whether `other` plans the same runs (same keys, ids and values), whatever their status.
    pub fn same_plan(&self, other: &Manifest) -> bool {
        self.keys == other.keys
            && self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(a, b)| a.run_id == b.run_id && a.values == b.values)
    }
}

/// Shard `I/N` of a sweep: the runs whose index ≡ I (mod N).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// I, 0 ≤ I < N (Slurm's `$SLURM_ARRAY_TASK_ID` for `--array=0-(N−1)`).
    pub index: usize,
    /// N ≥ 1 (`$SLURM_ARRAY_TASK_COUNT`).
    pub count: usize,
}

impl Shard {
    /// Parses `I/N`.
    pub fn parse(text: &str) -> anyhow::Result<Shard> {
        let Some((index, count)) = text.split_once('/') else {
            bail!("--shard takes I/N (e.g. 3/10), got `{text}`");
        };
        let index: usize = index
            .trim()
            .parse()
            .with_context(|| format!("--shard {text}: I must be a whole number"))?;
        let count: usize = count
            .trim()
            .parse()
            .with_context(|| format!("--shard {text}: N must be a whole number"))?;
        ensure!(count >= 1, "--shard {text}: N must be at least 1");
        ensure!(
            index < count,
            "--shard {text}: I must be in 0..N (0-based, as Slurm's --array=0-{})",
            count - 1
        );
        Ok(Shard { index, count })
    }

    /// Whether run `index` belongs to this shard.
    pub fn contains(&self, index: usize) -> bool {
        index % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(runs: usize) -> Manifest {
        Manifest {
            keys: vec!["model.width".into(), "seed".into()],
            entries: (0..runs)
                .map(|index| ManifestEntry {
                    index,
                    run_id: format!("{index:016x}"),
                    values: vec![(8 << index).to_string(), "0".into()],
                    status: "pending".into(),
                    error: if index == 1 {
                        "diverged, at \"step\" 3".into()
                    } else {
                        String::new()
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn manifest_round_trips_through_csv() {
        let original = manifest(3);
        let text = original.to_table().to_csv().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), &text).unwrap();
        assert_eq!(Manifest::read(dir.path()).unwrap(), original);
    }

    #[test]
    fn shards_partition_the_runs() {
        for count in 1..7 {
            let mut seen = vec![0; 23];
            for index in 0..count {
                let shard = Shard::parse(&format!("{index}/{count}")).unwrap();
                (0..23)
                    .filter(|&i| shard.contains(i))
                    .for_each(|i| seen[i] += 1);
            }
            assert!(seen.iter().all(|&s| s == 1), "N = {count}: {seen:?}");
        }
    }

    #[test]
    fn bad_shards_are_explained() {
        for (text, expected) in [
            ("3", "takes I/N"),
            ("a/3", "I must be"),
            ("1/0", "N must be at least 1"),
            ("3/3", "I must be in 0..N"),
        ] {
            let message = format!("{:#}", Shard::parse(text).unwrap_err());
            assert!(message.contains(expected), "{text}: {message}");
        }
    }
}
