//! `overparam hessian`: where gradient descent stands on the loss landscape of a two-layer
//! network — at the initial draw or at `--init` parameters (a run's `params_final.npz`) — from
//! the closed-form Hessian of the loss with respect to the hidden weights W (f64, on the host;
//! `overparam_cpu::weight_hessian`): the loss, ‖∂L/∂W‖, every eigenvalue of ∂²L/∂W²
//! (`hessian_eigenvalues.npy`, ascending), and the Hessian checked against central differences
//! of the independent fused gradient in the same run (`summary.json` `finite_difference`). A
//! negative eigenvalue is a descent direction of second order: such a point is a saddle.

use anyhow::{bail, ensure, Context as _};
use overparam_api::{Compute, Experiment, Init};
use overparam_cpu::{weight_hessian, HostMlp, Workspace};
use overparam_model::NamedArray;
use overparam_sweep::files::write_atomically_with;
use overparam_trainer::ntk::ntk_spectrum;
use overparam_trainer::write_npy_array;
use serde_json::json;

use crate::backend::DTypeKind;
use crate::cli::HessianArgs;
use crate::output::write_json;
use crate::provenance::provenance;

/// The largest m·d: the dense Hessian `[m·d, m·d]` and its eigensolver's copy stay under
/// ~1 GiB in f64.
const MAX_WEIGHTS: usize = 8192;

/// Columns of the Hessian checked against differences of the gradient (evenly spaced).
const CHECKED_COLUMNS: usize = 64;

/// Runs `overparam hessian`.
pub fn run(args: &HessianArgs) -> anyhow::Result<()> {
    let experiment = Experiment::load(&args.point.config, &args.point.overrides)?;
    let resolved = &experiment.resolved;
    ensure!(
        resolved.model.widths.len() == 1,
        "hessian: the closed form is for one hidden layer; model.widths has {}",
        resolved.model.widths.len()
    );
    let size = resolved.model.widths[0] * resolved.model.input_dim;
    ensure!(
        size <= MAX_WEIGHTS,
        "hessian: W has m·d = {size} entries; the dense Hessian [{size}, {size}] would take {:.1} \
         GiB in f64 (at most {MAX_WEIGHTS} entries here)",
        (size * size * 8) as f64 / (1u64 << 30) as f64
    );
    let compute = Compute {
        backend: args.point.backend,
        dtype: DTypeKind::F64,
    };
    let device = compute.device(&resolved.model)?.without_autodiff();
    let init = args.point.init.clone().map(Init::File);
    let network: HostMlp<f64> = experiment
        .initial_network(&device, init.as_ref())?
        .to_host();
    let data = experiment.dataset()?;
    let computed = weight_hessian(&network, &data.inputs, &data.targets)?;
    let gradient_norm = computed.gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    let check = check_against_gradient(&network, &data.inputs, &data.targets, &computed)?;
    let spectrum = ntk_spectrum(&computed.hessian, size).context("the Hessian's eigenvalues")?;
    let eigenvalues = spectrum.eigenvalues;
    let (least, greatest) = (eigenvalues[0], eigenvalues[size - 1]);
    let negative = eigenvalues.iter().filter(|&&l| l < 0.0).count();
    println!(
        "loss {:.6e}, |dL/dW| {gradient_norm:.3e}; Hessian [{size}, {size}]: lambda_min {least:.6e}, \
         lambda_max {greatest:.6e}, {negative} negative; finite differences agree to {:.1e} (relative)",
        computed.loss,
        check.relative
    );
    let Some(out) = &args.out else {
        return Ok(());
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let array = NamedArray::new("hessian_eigenvalues", vec![size], eigenvalues.clone())?;
    write_atomically_with(&out.join("hessian_eigenvalues.npy"), |w| {
        write_npy_array(w, &array)
    })?;
    let summary = json!({
        "config": experiment.config,
        "init": args.point.init.as_ref().map(|p| p.display().to_string()),
        "backend": args.point.backend.name(),
        "dtype": "f64",
        "loss": computed.loss,
        "gradient_norm": gradient_norm,
        "weights": size,
        "hessian_min_eigenvalue": least,
        "hessian_max_eigenvalue": greatest,
        "negative_eigenvalues": negative,
        "finite_difference": {
            "columns_checked": check.columns,
            "step": check.step,
            "max_abs_error": check.max_abs,
            "relative": check.relative,
        },
        "provenance": provenance(),
    });
    write_json(&out.join("summary.json"), &summary)?;
    println!("outputs in {}", out.display());
    Ok(())
}

/// How closely columns of the closed-form Hessian match central differences of the fused
/// gradient (`overparam_cpu::HostMlp::loss_and_gradients`, derived separately).
struct GradientCheck {
    columns: usize,
    step: f64,
    max_abs: f64,
    /// `max_abs` over the largest |H_pq|.
    relative: f64,
}

/// Up to [`CHECKED_COLUMNS`] evenly spaced columns q: (g(W + h e_q) − g(W − h e_q)) / 2h
/// against H[:, q], with h = 1e-5 · max(1, ‖W‖_∞) (truncation O(h²), rounding O(ε/h)).
fn check_against_gradient(
    network: &HostMlp<f64>,
    inputs: &[f64],
    targets: &[f64],
    computed: &overparam_cpu::WeightHessian,
) -> anyhow::Result<GradientCheck> {
    let size = computed.size;
    let largest_weight = network.layers[0]
        .weight
        .iter()
        .fold(1.0_f64, |a, w| a.max(w.abs()));
    let step = 1e-5 * largest_weight;
    let stride = size.div_ceil(CHECKED_COLUMNS).max(1);
    let mut work = Workspace::new(network, targets.len());
    let mut gradient_at = |q: usize, by: f64| -> anyhow::Result<Vec<f64>> {
        let mut moved = network.clone();
        moved.layers[0].weight[q] += by;
        moved.layers[0].train_w = true;
        moved.loss_and_gradients(inputs, targets, &mut work);
        match &work.gradients.weights[0] {
            Some(gradient) => Ok(gradient.clone()),
            None => bail!("the fused pass gave no gradient for W"),
        }
    };
    let (mut columns, mut max_abs) = (0, 0.0_f64);
    for q in (0..size).step_by(stride) {
        let (plus, minus) = (gradient_at(q, step)?, gradient_at(q, -step)?);
        for p in 0..size {
            let numeric = (plus[p] - minus[p]) / (2.0 * step);
            max_abs = max_abs.max((computed.hessian[p * size + q] - numeric).abs());
        }
        columns += 1;
    }
    let scale = computed.hessian.iter().fold(0.0_f64, |a, h| a.max(h.abs()));
    Ok(GradientCheck {
        columns,
        step,
        max_abs,
        relative: if scale > 0.0 {
            max_abs / scale
        } else {
            max_abs
        },
    })
}
