//! Reading what a sweep (or a single `overparam train` run) left on disk: the results table,
//! and each run's metrics and resolved config.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use overparam_sweep::results::Table;

/// One run: its row of `results.csv`, its `summary.json` config and its `metrics.csv`.
#[derive(Clone, Debug)]
pub struct Run {
    /// The run id (its directory name under `runs/`).
    pub id: String,
    /// Its `results.csv` fields by column name (empty for a lone run directory).
    pub fields: BTreeMap<String, String>,
    /// The resolved config (`"config"` of `summary.json`; `Null` when there is none).
    pub config: serde_json::Value,
    /// Its metrics over training, when `metrics.csv` exists.
    pub metrics: Option<Table>,
    /// Where the metrics are (for error messages).
    pub metrics_path: PathBuf,
}

impl Run {
    /// Reads the run in `dir` (`metrics.csv` and `summary.json`, each optional).
    fn read(id: String, dir: &Path, fields: BTreeMap<String, String>) -> anyhow::Result<Run> {
        let metrics_path = dir.join("metrics.csv");
        let metrics = if metrics_path.is_file() {
            Some(Table::read(&metrics_path)?)
        } else {
            None
        };
        let summary = dir.join("summary.json");
        let config = if summary.is_file() {
            let text = fs::read_to_string(&summary)
                .with_context(|| format!("reading {}", summary.display()))?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", summary.display()))?;
            json.get("config")
                .cloned()
                .unwrap_or(serde_json::Value::Null)
        } else {
            serde_json::Value::Null
        };
        Ok(Run {
            id,
            fields,
            config,
            metrics,
            metrics_path,
        })
    }

    /// The value of `key`: its `results.csv` field when not empty, else the dotted key looked up
    /// in the config (`data.n` → `config.data.n`).
    pub fn value(&self, key: &str) -> Option<String> {
        if let Some(field) = self.fields.get(key).filter(|f| !f.trim().is_empty()) {
            return Some(field.trim().to_string());
        }
        let pointer = format!("/{}", key.replace('.', "/"));
        match self.config.pointer(&pointer)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// [`Run::value`] as a number, when it is one.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.value(key)?.parse().ok()
    }

    /// (step, value) of metrics column `column` at the steps where it was measured, in step
    /// order (a step logged twice, as by a resumed run, keeps its last value); empty without
    /// metrics or without that column. Errors name the file.
    pub fn curve(&self, column: &str) -> anyhow::Result<Vec<(f64, f64)>> {
        let Some(table) = &self.metrics else {
            return Ok(Vec::new());
        };
        let (Ok(step), Ok(col)) = (table.column("step"), table.column(column)) else {
            return Ok(Vec::new());
        };
        let context = || format!("reading {}", self.metrics_path.display());
        let mut points = BTreeMap::new();
        for row in 0..table.rows.len() {
            let s = table.number(row, step).with_context(context)?;
            let v = table.number(row, col).with_context(context)?;
            if let (Some(s), Some(v)) = (s, v) {
                points.insert(s.round() as i64, v);
            }
        }
        Ok(points.into_iter().map(|(s, v)| (s as f64, v)).collect())
    }
}

/// A sweep directory's successful runs (or a lone run directory, as a sweep of one).
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The directory.
    pub dir: PathBuf,
    /// The swept keys, in `results.csv` column order (none for a lone run).
    pub keys: Vec<String>,
    /// The runs with status `ok`.
    pub runs: Vec<Run>,
    /// True for a lone run directory (no `results.csv`).
    pub single: bool,
}

impl Sweep {
    /// Reads `dir`: a sweep when it has `results.csv`, a run when it has `metrics.csv`.
    pub fn read(dir: &Path) -> anyhow::Result<Sweep> {
        let results = dir.join("results.csv");
        if results.is_file() {
            let table = Table::read(&results)?;
            let context = || format!("reading {}", results.display());
            let (id, status) = (
                table.column("run_id").with_context(context)?,
                table.column("status").with_context(context)?,
            );
            let keys = table.columns[id + 1..status.max(id + 1)].to_vec();
            let mut runs = Vec::new();
            for row in table.rows.iter().filter(|row| row[status].trim() == "ok") {
                let fields = table
                    .columns
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .collect();
                runs.push(Run::read(
                    row[id].clone(),
                    &dir.join("runs").join(&row[id]),
                    fields,
                )?);
            }
            return Ok(Sweep {
                dir: dir.to_path_buf(),
                keys,
                runs,
                single: false,
            });
        }
        if dir.join("metrics.csv").is_file() {
            let id = dir
                .file_name()
                .map_or("run".into(), |n| n.to_string_lossy().into_owned());
            let run = Run::read(id, dir, BTreeMap::new())?;
            return Ok(Sweep {
                dir: dir.to_path_buf(),
                keys: Vec::new(),
                runs: vec![run],
                single: true,
            });
        }
        if !dir.is_dir() {
            bail!("{}: no such directory", dir.display());
        }
        bail!(
            "{}: nothing to plot: neither results.csv (a sweep directory) nor metrics.csv (a run directory)",
            dir.display()
        )
    }

    /// The swept keys taking more than one value among `runs`.
    pub fn varying(&self, runs: &[&Run]) -> Vec<String> {
        let mut keys = self.keys.clone();
        keys.retain(|k| {
            let first = runs.first().and_then(|r| r.value(k));
            runs.iter().any(|r| r.value(k) != first)
        });
        keys
    }
}

/// Orders values numerically when both are numbers, else as text.
pub fn value_order(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

/// `runs` grouped by their values of `keys` (missing values as ""), groups in value order.
pub fn group_by<'a>(runs: &[&'a Run], keys: &[String]) -> Vec<(Vec<String>, Vec<&'a Run>)> {
    let mut groups: Vec<(Vec<String>, Vec<&'a Run>)> = Vec::new();
    for &run in runs {
        let values: Vec<String> = keys
            .iter()
            .map(|k| run.value(k).unwrap_or_default())
            .collect();
        match groups.iter_mut().find(|(v, _)| *v == values) {
            Some((_, members)) => members.push(run),
            None => groups.push((values, vec![run])),
        }
    }
    groups.sort_by(|(a, _), (b, _)| {
        a.iter()
            .zip(b)
            .map(|(x, y)| value_order(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    groups
}
