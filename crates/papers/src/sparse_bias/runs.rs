//! What each finished run of the `train` part measured, grouped by the bias B (b₀ = −B).

use std::fs;
use std::path::Path;

use anyhow::Context;

use overparam_analysis::plot::data::{Run, Sweep};
use overparam_analysis::stats::median;
use overparam_analysis::stats::normal_cdf;
use overparam_sweep::columns::{
    ACTIVE_FRACTION, FLIPPED_FRACTION, LAMBDA_MIN_0, MODEL_WIDTH, NTK_DRIFT,
};

/// The config key of the bias initialisation b₀ = −B.
pub const BIAS_INIT: &str = "model.bias_init";

/// Where `overparam reproduce` puts the analytic kernel of a run, inside its directory.
pub const ANALYTIC_DIR: &str = "ntk-analytic";

/// One finished run's measurements.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// The run id (its directory under `runs/`).
    pub id: String,
    /// The width m.
    pub width: f64,
    /// The learning rate of the hidden weights (all rates are equal in this reproduction).
    pub learning_rate: Option<f64>,
    /// (step, share of active pre-activations w·x + b > 0) over training.
    pub active: Vec<(f64, f64)>,
    /// The share of pre-activations whose sign flipped since step 0, at the last logged step.
    pub flipped: Option<f64>,
    /// The per-step loss factor fitted to the second half of the loss curve.
    pub observed_rate: Option<f64>,
    /// The kernel-regime prediction (1 − λ_min(K_η)/n)² from the NTK at step 0.
    pub predicted_rate: Option<f64>,
    /// Gradient steps taken.
    pub steps: Option<f64>,
    /// λ_min of the empirical NTK at step 0 (`lambda_min_0`).
    pub lambda_min: Option<f64>,
    /// λ_min of the infinite-width kernel K∞ with the same bias on the same inputs.
    pub lambda_min_limit: Option<f64>,
    /// ‖K_T − K_0‖_F/‖K_0‖_F at the end of training.
    pub ntk_drift: Option<f64>,
}

impl Measured {
    /// The active fraction at the first logged step (the initialisation).
    pub fn initial_active(&self) -> Option<f64> {
        self.active.first().map(|p| p.1)
    }

    /// The active fraction at the last logged step.
    pub fn final_active(&self) -> Option<f64> {
        self.active.last().map(|p| p.1)
    }

    /// max over training of |a_t/p − 1| for the predicted fraction p.
    pub fn worst_deviation(&self, predicted: f64) -> Option<f64> {
        self.active
            .iter()
            .map(|&(_, a)| (a / predicted - 1.0).abs())
            .reduce(f64::max)
    }

    /// ν = ln(observed)/ln(predicted): the measured per-step log-rate in units of the
    /// kernel-regime prediction, when both factors lie in (0, 1).
    pub fn normalized_rate(&self) -> Option<f64> {
        let inside = |r: f64| r > 0.0 && r < 1.0;
        let (observed, predicted) = (self.observed_rate?, self.predicted_rate?);
        (inside(observed) && inside(predicted)).then(|| observed.ln() / predicted.ln())
    }

    /// −ln(observed per-step loss factor): the measured per-step log-rate.
    pub fn log_rate(&self) -> Option<f64> {
        self.observed_rate
            .filter(|&r| r > 0.0 && r < 1.0)
            .map(|r| -r.ln())
    }

    /// λ_min of the empirical NTK over λ_min of K∞.
    pub fn kernel_ratio(&self) -> Option<f64> {
        let (empirical, limit) = (self.lambda_min?, self.lambda_min_limit?);
        (limit > 0.0).then(|| empirical / limit)
    }
}

/// The runs at one bias B.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// B ≥ 0 (the biases start at −B).
    pub bias: f64,
    /// The runs (one per seed).
    pub runs: Vec<Measured>,
}

impl Level {
    /// 1 − Φ(B): the probability that w·x − B > 0 for w ~ N(0, I) and ‖x‖ = 1.
    pub fn active_probability(&self) -> f64 {
        1.0 - normal_cdf(self.bias)
    }

    /// The median over the runs of `value`, where defined.
    pub fn median(&self, value: impl Fn(&Measured) -> Option<f64>) -> Option<f64> {
        median(self.runs.iter().filter_map(value).filter(|v| v.is_finite()))
    }

    /// The maximum over the runs of `value`, where defined.
    pub fn maximum(&self, value: impl Fn(&Measured) -> Option<f64>) -> Option<f64> {
        self.runs.iter().filter_map(value).reduce(f64::max)
    }
}

/// The successful runs of the sweep in `dir`, grouped by B in increasing order. Errors name
/// the file at fault.
pub fn read_levels(dir: &Path) -> anyhow::Result<Vec<Level>> {
    let sweep = Sweep::read(dir).with_context(|| format!("reading the sweep {}", dir.display()))?;
    let mut levels: Vec<Level> = Vec::new();
    for run in &sweep.runs {
        let bias_init = run.number(BIAS_INIT).with_context(|| {
            format!(
                "run {} in {}: no numeric `{BIAS_INIT}` in results.csv or its summary.json",
                run.id,
                dir.display()
            )
        })?;
        // B = −b₀, written so that b₀ = 0 gives B = +0 (not −0, which prints as "-0").
        let bias = 0.0 - bias_init;
        let measured = measure(run, &dir.join("runs").join(&run.id))?;
        match levels.iter_mut().find(|l| l.bias == bias) {
            Some(level) => level.runs.push(measured),
            None => levels.push(Level {
                bias,
                runs: vec![measured],
            }),
        }
    }
    levels.sort_by(|a, b| a.bias.total_cmp(&b.bias));
    Ok(levels)
}

/// The measurements of `run`, whose directory is `run_dir`.
fn measure(run: &Run, run_dir: &Path) -> anyhow::Result<Measured> {
    let summary = read_json(&run_dir.join("summary.json"))?;
    let rate = |key: &str| {
        summary
            .as_ref()
            .and_then(|s| s.pointer(&format!("/linear_rate/{key}")))
            .and_then(serde_json::Value::as_f64)
    };
    let limit = read_json(&run_dir.join(ANALYTIC_DIR).join("summary.json"))?;
    Ok(Measured {
        id: run.id.clone(),
        width: run.number(MODEL_WIDTH).unwrap_or(f64::NAN),
        learning_rate: run.number("train.lr_w"),
        active: run.curve(ACTIVE_FRACTION)?,
        flipped: run.curve(FLIPPED_FRACTION)?.last().map(|p| p.1),
        observed_rate: rate("observed_per_step"),
        predicted_rate: rate("predicted_per_step"),
        steps: summary
            .as_ref()
            .and_then(|s| s.get("steps_run"))
            .and_then(serde_json::Value::as_f64),
        lambda_min: run.number(LAMBDA_MIN_0),
        lambda_min_limit: limit
            .as_ref()
            .and_then(|s| s.get("lambda_min"))
            .and_then(serde_json::Value::as_f64),
        ntk_drift: run.number(NTK_DRIFT),
    })
}

/// The JSON in `path`, `None` when there is no such file.
fn read_json(path: &Path) -> anyhow::Result<Option<serde_json::Value>> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(Some(json))
}
