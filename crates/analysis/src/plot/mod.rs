//! `overparam plot DIR`: figures of a sweep (or of a single run) as SVG and PNG in `DIR/plots/`.
//!
//! From a sweep directory (`results.csv`, `runs/<id>/metrics.csv` and `summary.json`, and
//! optionally `critical_width.json`):
//!
//! - `loss_curves`: training loss (log scale) over the steps, one colour per width (or per
//!   value of the main swept key), one panel per value of the other swept keys, with the
//!   held-out loss dashed where `metrics.csv` has `test_loss` values;
//! - `lambda_min`: the smallest NTK eigenvalue over training, where it was measured;
//! - `active_fraction`: the fraction of active units over training for negative bias inits
//!   b₀ = −B, against the prediction 1 − Φ(B);
//! - `movement_vs_width`: final relative weight movement against the width, log-log, with the
//!   fitted slope per n and the lazy-regime slope −1/2;
//! - `generalization_vs_width`: against the width, log-log, the final held-out loss of each run
//!   with its median per width, the training loss and the held-out loss of kernel regression
//!   with the analytic kernel K∞ (m → ∞); and the distance from the linearized network
//!   (`lin_distance`, `test_lin_distance`) with the fitted slope per n and the lazy-regime
//!   slope −1/2;
//! - `critical_width`: the critical width against n, log-log, with the fitted power law and
//!   reference lines ∝ n and ∝ n².
//!
//! From a run directory (`metrics.csv` and `summary.json`, no `results.csv`), the first three.
//! Plots without data are skipped, with the reason in the [`PlotReport`].

mod active_fraction;
pub mod axis;
mod canvas;
mod critical_width;
pub(crate) mod curves;
pub mod data;
pub mod figure;
mod generalization;
pub mod heatmap;
mod lambda_min;
mod legend;
mod loss_curves;
mod movement;
pub mod render;
pub mod series;
pub mod style;
mod width_fit;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use data::{Run, Sweep};
use figure::Figure;

/// What `plot_sweep` did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlotReport {
    /// The files written, an SVG and a PNG per figure.
    pub written: Vec<PathBuf>,
    /// Plots not drawn: (plot name, why).
    pub skipped: Vec<(String, String)>,
}

/// The figures of one plot (file stem, figure), or why there are none.
type Built = Result<Vec<(String, Figure)>, String>;

/// Builds the figures of one plot.
type Builder<'a> = &'a dyn Fn() -> anyhow::Result<Built>;

/// Draws every plot the data in `dir` allows into `dir/plots/` (created if needed), each as
/// `<name>.svg` and `<name>.png`, replacing older ones. Errors name the file at fault; it is an
/// error when nothing at all can be plotted.
pub fn plot_sweep(dir: &Path) -> anyhow::Result<PlotReport> {
    let sweep = Sweep::read(dir)?;
    let runs: Vec<&Run> = sweep.runs.iter().collect();
    let mut report = PlotReport::default();
    // (name, whether it needs successful runs, how to build it)
    let plots: [(&str, bool, Builder); 6] = [
        ("loss_curves", true, &|| loss_curves::figures(&sweep, &runs)),
        ("lambda_min", true, &|| lambda_min::figures(&sweep, &runs)),
        ("active_fraction", true, &|| {
            active_fraction::figures(&sweep, &runs)
        }),
        ("movement_vs_width", true, &|| {
            movement::figures(&sweep, &runs)
        }),
        ("generalization_vs_width", true, &|| {
            generalization::figures(&sweep, &runs)
        }),
        ("critical_width", false, &|| critical_width::figures(&sweep)),
    ];
    let out = dir.join("plots");
    for (name, needs_runs, build) in plots {
        let built = match needs_runs && runs.is_empty() {
            true => Err("no run with status ok in results.csv".to_string()),
            false => build()?,
        };
        match built {
            Ok(figures) => {
                for (stem, figure) in figures {
                    fs::create_dir_all(&out)
                        .with_context(|| format!("creating {}", out.display()))?;
                    report.written.extend(render::save(&figure, &out, &stem)?);
                }
            }
            Err(reason) => report.skipped.push((name.to_string(), reason)),
        }
    }
    if report.written.is_empty() {
        let reasons: Vec<String> = report
            .skipped
            .iter()
            .map(|(name, why)| format!("{name}: {why}"))
            .collect();
        bail!(
            "{}: nothing to plot ({})",
            dir.display(),
            reasons.join("; ")
        );
    }
    Ok(report)
}
