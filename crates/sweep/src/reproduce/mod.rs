//! The analyses of `overparam reproduce`: each turns the sweeps of one seed paper's
//! reproduction into verdicts (computed from the measurements by a criterion stated up front)
//! and report sections. The runner runs the sweeps; nothing here runs a network.
//!
//! Every part of a reproduction is an ordinary sweep directory (`manifest.csv`,
//! `results.csv`, `runs/<id>/…`, `plots/`) under the reproduction's directory.

pub mod quadratic;
pub mod sparse_bias;
pub mod subquadratic;
pub mod teacher_student;
pub mod two_rates;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::report::{ClaimVerdict, Figure, Section};
use crate::results::Table;

/// How big an experiment: `small` for CI (< 90 s on 2 cores), `full` for the real one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// A few runs, to check the pipeline end to end.
    Small,
    /// The experiment itself (< ~30 min on 2 cores).
    Full,
}

impl Scale {
    /// `small` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Full => "full",
        }
    }
}

/// The reproduction's directory and its parts' sweep directories, each merged.
#[derive(Clone, Debug)]
pub struct Parts {
    /// The reproduction's directory (`--out`): the report goes here.
    pub dir: PathBuf,
    /// (part name, sweep directory) in the order the reproduction lists them.
    pub parts: Vec<(String, PathBuf)>,
    /// The scale it was run at.
    pub scale: Scale,
}

impl Parts {
    /// The sweep directory of part `name`.
    pub fn part(&self, name: &str) -> anyhow::Result<&Path> {
        self.parts
            .iter()
            .find(|(part, _)| part == name)
            .map(|(_, dir)| dir.as_path())
            .with_context(|| format!("the reproduction has no part `{name}`"))
    }

    /// The merged `results.csv` of part `name`.
    pub fn results(&self, name: &str) -> anyhow::Result<Table> {
        Table::read(&self.part(name)?.join("results.csv"))
    }

    /// A figure of part `name` drawn by the plot module (`<part>/plots/<stem>`), relative
    /// to the report, if its SVG exists.
    pub fn figure(&self, name: &str, stem: &str, caption: &str) -> Option<Figure> {
        let dir = self.part(name).ok()?;
        let relative = dir
            .strip_prefix(&self.dir)
            .unwrap_or(dir)
            .join("plots")
            .join(stem);
        self.dir
            .join(&relative)
            .with_extension("svg")
            .is_file()
            .then(|| Figure {
                stem: relative,
                caption: caption.to_string(),
            })
    }
}

/// What an analysis finds: the verdicts and the report's sections.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Findings {
    /// One per claim.
    pub verdicts: Vec<ClaimVerdict>,
    /// Tables, figures and text supporting them.
    pub sections: Vec<Section>,
}

/// An analysis of a reproduction's parts.
pub type Analysis = fn(&Parts) -> anyhow::Result<Findings>;

/// A number for a report: 3 significant digits, scientific when small or large.
pub fn number(value: f64) -> String {
    if value == 0.0 {
        "0".to_string()
    } else if (1e-3..1e4).contains(&value.abs()) {
        let digits = (2 - value.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{value:.digits$}")
    } else {
        format!("{value:.2e}")
    }
}

/// The median of `values` without NaNs (the mean of the middle two for an even count);
/// `None` when none is left.
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut values: Vec<f64> = values.into_iter().filter(|v| !v.is_nan()).collect();
    values.sort_by(f64::total_cmp);
    let count = values.len();
    match count {
        0 => None,
        _ if count % 2 == 1 => Some(values[count / 2]),
        _ => Some(0.5 * (values[count / 2 - 1] + values[count / 2])),
    }
}

/// The minimum over training of column `column` in `run_dir/metrics.csv` (empty fields
/// skipped); `None` when the column has no value.
pub fn metric_minimum(run_dir: &Path, column: &str) -> anyhow::Result<Option<f64>> {
    let table = Table::read(&run_dir.join("metrics.csv"))?;
    let index = table.column(column)?;
    let mut minimum: Option<f64> = None;
    for row in 0..table.rows.len() {
        if let Some(value) = table.number(row, index)? {
            minimum = Some(minimum.map_or(value, |m| m.min(value)));
        }
    }
    Ok(minimum)
}
