//! The kernels of one `ntk` request and what is computed from them: the spectrum and the
//! agreement between methods.

use anyhow::Context as _;
use burn::tensor::Device;
use overparam_trainer::ntk::{relative_frobenius_error, KernelSpectrum, RitzValue, SpectrumMethod};
use serde_json::{json, Map, Value};

use super::predict::Predictions;
use super::KernelKind;

/// One computed kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// The method: `jacobian`, `closed` or `analytic`.
    pub name: &'static str,
    /// K `[n, n]`, row-major, on the host.
    pub values: Vec<f64>,
    /// K(X_test, X) `[n_test, n]`, row-major, when predictions were asked for.
    pub cross: Option<Vec<f64>>,
    /// How long it took.
    pub seconds: f64,
}

/// The kernels of a request, before their spectrum.
#[derive(Clone, Debug)]
pub struct NtkKernels {
    /// The device they were computed on.
    pub device: Device,
    /// Number of samples n.
    pub num_samples: usize,
    /// Whether the kernels are learning-rate weighted (K_η).
    pub lr_weighted: bool,
    /// The NTK or the NNGP kernel.
    pub kind: KernelKind,
    /// The kernels, in the order jacobian, closed, analytic (those requested and applicable).
    pub kernels: Vec<Kernel>,
    /// `<method>_skipped`: why a requested method did not apply (with `skip_inapplicable`).
    pub notes: Map<String, Value>,
    /// Seconds spent opening the device, making the data and building the network.
    pub setup_seconds: f64,
    /// Kernel-regression predictions on the held-out points, when asked for.
    pub predictions: Option<Predictions>,
}

/// The spectrum of one of the kernels.
#[derive(Clone, Debug)]
pub struct NtkSpectrum {
    /// The kernel it is of: the finite-width closed form where computed, else the first.
    pub of: &'static str,
    /// Its eigenvalues: all `[n]` ascending, or the extremes with their residuals.
    pub spectrum: KernelSpectrum,
    /// How long the eigenvalues took.
    pub seconds: f64,
}

impl NtkKernels {
    /// The spectrum of the finite-width kernel when one was computed, else of K∞, by `method`
    /// (the kernel serves as workspace and is restored bit for bit).
    pub fn spectrum(&mut self, method: SpectrumMethod) -> anyhow::Result<NtkSpectrum> {
        let n = self.num_samples;
        let primary = match self.kernels.iter().position(|k| k.name == "closed") {
            Some(index) => &mut self.kernels[index],
            None => self.kernels.first_mut().context("no kernel was computed")?,
        };
        let start = std::time::Instant::now();
        let spectrum = KernelSpectrum::of(&mut primary.values, n, method)
            .with_context(|| format!("eigenvalues of the {} kernel", primary.name))?;
        Ok(NtkSpectrum {
            of: primary.name,
            spectrum,
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// ‖K_a − K_b‖_F/‖K_b‖_F for every pair of computed kernels, keyed `a_vs_b`; against the
    /// analytic kernel this is the finite-width error ‖K_m − K∞‖_F/‖K∞‖_F.
    pub fn agreement(&self) -> Value {
        let mut pairs = Map::new();
        for (i, a) in self.kernels.iter().enumerate() {
            for b in &self.kernels[i + 1..] {
                pairs.insert(
                    format!("{}_vs_{}", a.name, b.name),
                    json!(relative_frobenius_error(&a.values, &b.values)),
                );
            }
        }
        Value::Object(pairs)
    }

    /// The fields of `ntk`'s `summary.json` these kernels and `spectrum` decide: `status`,
    /// `num_samples`, `kernel`, `methods`, `spectrum_of`, `lambda_min`, `lambda_max`,
    /// `condition_number`, `timings_s`, `agreement` and the notes.
    pub fn summary(&self, spectrum: &NtkSpectrum) -> Value {
        let eigen = &spectrum.spectrum;
        let mut timings = Map::new();
        timings.insert("setup".into(), json!(self.setup_seconds));
        for kernel in &self.kernels {
            timings.insert(kernel.name.into(), json!(kernel.seconds));
        }
        timings.insert("eigenvalues".into(), json!(spectrum.seconds));
        let mut summary = json!({
            "status": "ok",
            "num_samples": self.num_samples,
            "kernel": if self.lr_weighted { "lr_weighted" } else { "plain" },
            "kernel_kind": self.kind.name(),
            "methods": self.kernels.iter().map(|k| k.name).collect::<Vec<_>>(),
            "spectrum_of": spectrum.of,
            "lambda_min": eigen.lambda_min(),
            "lambda_max": eigen.lambda_max(),
            "condition_number": eigen.condition_number(),
            "spectrum_method": eigen.method_name(),
            "timings_s": Value::Object(timings),
            "agreement": self.agreement(),
        });
        if let KernelSpectrum::Extremes(extremes) = eigen {
            let pairs = |values: &[RitzValue]| {
                values
                    .iter()
                    .map(|r| json!({"value": r.value, "residual": r.residual}))
                    .collect::<Vec<_>>()
            };
            summary["extremes"] = json!({
                "smallest": pairs(&extremes.smallest),
                "largest": pairs(&extremes.largest),
                "cholesky_shift": extremes.shift,
                "operator_applications": extremes.operator_applications,
            });
        }
        for (key, note) in &self.notes {
            summary[key] = note.clone();
        }
        if let Some(predictions) = &self.predictions {
            summary["prediction"] = predictions.summary();
        }
        summary
    }
}
