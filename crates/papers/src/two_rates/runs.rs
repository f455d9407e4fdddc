//! What each run of the two-rates grid measured: its width and rates, whether it converged,
//! the kernel drift, the movement of each layer, and its loss rates (early, linear phase)
//! beside the rate the learning-rate-weighted kernel K_η predicts.

use std::fs;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use overparam_sweep::columns::{
    DATA_N, LAMBDA_MIN, LOSS, MODEL_WIDTH, MOVE_A, MOVE_W, NTK_DRIFT, RUN_ID, STATUS, STEP,
};
use overparam_sweep::results::Table;

/// Steps whose loss is fitted for the early rate: step 0 and the next five logged steps.
pub const EARLY_POINTS: usize = 6;
/// The linear phase: logged losses between these fractions of the initial loss (after the
/// fast kernel modes have decayed, before round-off).
pub const LINEAR_PHASE: (f64, f64) = (1e-6, 1e-2);
/// Fewest logged losses a rate is fitted to.
pub const MIN_FIT_POINTS: usize = 3;

/// One run of the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Its id (directory under `runs/`).
    pub id: String,
    /// Hidden width m.
    pub width: f64,
    /// Number of samples n (`None` when neither results.csv nor summary.json says).
    pub n: Option<f64>,
    /// Learning rate of the first layer, η_w.
    pub lr_w: f64,
    /// Learning rate of the output layer, η_a.
    pub lr_a: f64,
    /// `ok` or `failed`.
    pub status: String,
    /// L_0, the loss at step 0 (when logged).
    pub initial_loss: Option<f64>,
    /// L_T, the last logged loss (non-finite when the run diverged).
    pub final_loss: Option<f64>,
    /// ‖K_T − K_0‖_F/‖K_0‖_F at the last step where it was measured.
    pub drift: Option<f64>,
    /// λ_min(K_T)/λ_min(K_0) of the (unweighted) NTK, first and last measurement.
    pub lambda_change: Option<f64>,
    /// ‖W_T − W_0‖_F/‖W_0‖_F.
    pub move_w: Option<f64>,
    /// ‖a_T − a_0‖_F/‖a_0‖_F.
    pub move_a: Option<f64>,
    /// (1 − λ_min(K_η)/n)², the per-step loss factor K_η at initialisation predicts.
    pub predicted: Option<f64>,
    /// The per-step loss factor fitted to the first [`EARLY_POINTS`] logged losses.
    pub early: Option<f64>,
    /// The per-step loss factor fitted to the [`LINEAR_PHASE`].
    pub linear: Option<f64>,
}

impl Measured {
    /// The ratio η_w/η_a of the two rates.
    pub fn ratio(&self) -> f64 {
        self.lr_w / self.lr_a
    }

    /// L_T/L_0, when both are known.
    pub fn relative_loss(&self) -> Option<f64> {
        Some(self.final_loss? / self.initial_loss?)
    }

    /// Whether the width is at least the number of samples, m ≥ n (false when n is unknown).
    pub fn wide(&self) -> bool {
        self.n.is_some_and(|n| self.width >= n)
    }

    /// Whether L_T ≤ `tolerance` · L_0 (false for a failed or unreadable run).
    pub fn converged(&self, tolerance: f64) -> bool {
        self.status == "ok" && self.relative_loss().is_some_and(|r| r <= tolerance)
    }

    /// ln(observed)/ln(predicted) for the factor `observed`: 1 when the run decays exactly at
    /// the predicted rate, above 1 when faster. `None` when K_η predicts no decrease.
    pub fn rate_ratio(&self, observed: Option<f64>) -> Option<f64> {
        let predicted = self.predicted.filter(|p| *p > 0.0 && *p < 1.0)?;
        let observed = observed.filter(|o| *o > 0.0)?;
        Some(observed.ln() / predicted.ln())
    }
}

/// Every run listed in `dir/results.csv`, failed ones included (with what their files hold).
pub fn read_runs(dir: &Path) -> anyhow::Result<Vec<Measured>> {
    let path = dir.join("results.csv");
    let table = Table::read(&path)?;
    let context = || format!("reading {}", path.display());
    let (id, status) = (
        table.column(RUN_ID).with_context(context)?,
        table.column(STATUS).with_context(context)?,
    );
    let mut runs = Vec::new();
    for (row, fields) in table.rows.iter().enumerate() {
        let run_dir = dir.join("runs").join(&fields[id]);
        let summary = read_summary(&run_dir)?;
        let swept = |key: &str| swept_number(&table, row, key, &summary).with_context(context);
        let (width, lr_w, lr_a) = (
            swept(MODEL_WIDTH)?,
            swept("train.lr_w")?,
            swept("train.lr_a")?,
        );
        let mut run = Measured {
            id: fields[id].clone(),
            width,
            n: swept_number(&table, row, DATA_N, &summary).ok(),
            lr_w,
            lr_a,
            status: fields[status].trim().to_string(),
            initial_loss: None,
            final_loss: None,
            drift: None,
            lambda_change: None,
            move_w: None,
            move_a: None,
            predicted: summary
                .pointer("/linear_rate/predicted_per_step")
                .and_then(Value::as_f64),
            early: None,
            linear: None,
        };
        read_metrics(&run_dir, &mut run)?;
        runs.push(run);
    }
    Ok(runs)
}

/// `summary.json` of a run (`Null` when there is none, as for a run that never started).
fn read_summary(run_dir: &Path) -> anyhow::Result<Value> {
    let path = run_dir.join("summary.json");
    if !path.is_file() {
        return Ok(Value::Null);
    }
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The number `key` of row `row`: its `results.csv` column when swept, else the summary's
/// resolved config.
fn swept_number(table: &Table, row: usize, key: &str, summary: &Value) -> anyhow::Result<f64> {
    if let Ok(column) = table.column(key) {
        if let Some(value) = table.number(row, column)? {
            return Ok(value);
        }
    }
    let pointer = format!("/config/{}", key.replace('.', "/"));
    summary.pointer(&pointer).and_then(Value::as_f64).with_context(|| {
        format!(
            "row {}: `{key}` is neither a column of results.csv nor in the run's summary.json config",
            row + 1
        )
    })
}

/// Fills the measurements taken from `run_dir/metrics.csv` (left `None` without the file).
fn read_metrics(run_dir: &Path, run: &mut Measured) -> anyhow::Result<()> {
    let path = run_dir.join("metrics.csv");
    if !path.is_file() {
        return Ok(());
    }
    let table = Table::read(&path)?;
    let column = |name: &str| -> anyhow::Result<Vec<(f64, f64)>> {
        let context = || format!("reading {}", path.display());
        let (step, index) = (
            table.column(STEP).with_context(context)?,
            table.column(name).with_context(context)?,
        );
        let mut points = Vec::new();
        for row in 0..table.rows.len() {
            if let (Some(s), Some(v)) = (
                table.number(row, step).with_context(context)?,
                table.number(row, index).with_context(context)?,
            ) {
                points.push((s, v));
            }
        }
        Ok(points)
    };
    let loss = column(LOSS)?;
    let last_finite = |points: Vec<(f64, f64)>| {
        points
            .into_iter()
            .rev()
            .map(|p| p.1)
            .find(|v| v.is_finite())
    };
    run.initial_loss = loss
        .first()
        .map(|p| p.1)
        .filter(|l| l.is_finite() && *l > 0.0);
    run.final_loss = loss.last().map(|p| p.1);
    run.drift = last_finite(column(NTK_DRIFT)?);
    let lambda = column(LAMBDA_MIN)?;
    let first_finite = lambda
        .iter()
        .map(|p| p.1)
        .find(|v| v.is_finite() && *v > 0.0);
    run.lambda_change = first_finite
        .zip(last_finite(lambda))
        .map(|(first, last)| last / first);
    run.move_w = last_finite(column(MOVE_W)?);
    run.move_a = last_finite(column(MOVE_A)?);
    run.early = loss_factor(loss.iter().take(EARLY_POINTS).copied());
    if let Some(initial) = run.initial_loss {
        let (low, high) = (LINEAR_PHASE.0 * initial, LINEAR_PHASE.1 * initial);
        run.linear = loss_factor(loss.iter().copied().filter(|&(_, l)| l > low && l < high));
    }
    Ok(())
}

/// The per-step factor exp(slope) of a least-squares line through (step, ln loss), over the
/// points with a positive finite loss; `None` with fewer than [`MIN_FIT_POINTS`].
pub fn loss_factor(points: impl IntoIterator<Item = (f64, f64)>) -> Option<f64> {
    let points: Vec<(f64, f64)> = points
        .into_iter()
        .filter(|&(_, l)| l.is_finite() && l > 0.0)
        .map(|(s, l)| (s, l.ln()))
        .collect();
    if points.len() < MIN_FIT_POINTS {
        return None;
    }
    let count = points.len() as f64;
    let mean_s = points.iter().map(|p| p.0).sum::<f64>() / count;
    let mean_l = points.iter().map(|p| p.1).sum::<f64>() / count;
    let spread: f64 = points.iter().map(|p| (p.0 - mean_s).powi(2)).sum();
    if spread <= 0.0 {
        return None;
    }
    let slope = points
        .iter()
        .map(|p| (p.0 - mean_s) * (p.1 - mean_l))
        .sum::<f64>()
        / spread;
    Some(slope.exp())
}

/// A width or a count: an integer as an integer, anything else with 3 significant digits.
pub fn count(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        crate::number(value)
    }
}
