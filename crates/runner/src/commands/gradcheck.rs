//! `overparam gradcheck`: the loss gradient of the configured network three ways in f64, as a
//! table per tensor (autodiff; the hand-derived fused host backward pass that trains on the CPU
//! backends; central finite differences), with a non-zero exit when autodiff and the
//! hand-derived gradient differ by
//! more than 1e-10 relative or either (or the NTK's Jacobian rows) differs from central finite
//! differences by more than 1e-6. The checks are the library API's (`overparam_api::gradcheck`);
//! the table and the exit status are made here.

use anyhow::bail;
use overparam_api::{gradcheck_on, refuse_frozen_network, Compute, Experiment, Init};
use overparam_trainer::{Discrepancy, TensorCheck};

use crate::backend::{device_name, DTypeKind};
use crate::cli::GradcheckArgs;

/// Runs `overparam gradcheck`.
pub fn run(args: &GradcheckArgs) -> anyhow::Result<()> {
    let experiment = Experiment::load(&args.point.config, &args.point.overrides)?;
    let resolved = &experiment.resolved;
    refuse_frozen_network(&resolved.model, "check")?;
    crate::memory::check_fits(
        &crate::memory::MemoryEstimate::for_gradcheck(&experiment.config, resolved),
        &crate::memory::MemoryLimit::from_flag(args.max_memory),
    )?;
    let compute = Compute {
        backend: args.point.backend,
        dtype: DTypeKind::F64,
    };
    let device = compute.device(&resolved.model)?.without_autodiff();
    println!(
        "backend {} on {}, f64",
        args.point.backend.name(),
        device_name(&device)
    );
    let checks = gradcheck_on(
        &experiment,
        &device,
        args.point.init.clone().map(Init::File).as_ref(),
        args.max_entries,
    )?;
    print_table(&checks);
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| !c.passes())
        .map(|c| c.name.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "gradient check failed for {} (bars: autodiff~hand ≤ 1e-10, ~fd ≤ 1e-6)",
            failed.join(", ")
        );
    }
    println!("all {} trained tensors pass", checks.len());
    Ok(())
}

fn print_table(checks: &[TensorCheck]) {
    println!("each pair: max absolute / relative difference (relative to the second's max |·|)");
    println!(
        "{:<6} {:>7} {:>7} {:>8} {:>17} {:>17} {:>17} {:>17} {:>8}",
        "tensor",
        "entries",
        "checked",
        "fd step",
        "ad~hand",
        "ad~fd",
        "hand~fd",
        "jacobian~fd",
        "excluded"
    );
    let pair = |d: Discrepancy| format!("{:.1e}/{:.1e}", d.max_abs, d.relative);
    for c in checks {
        println!(
            "{:<6} {:>7} {:>7} {:>8.1e} {:>17} {:>17} {:>17} {:>17} {:>8} {}",
            c.name,
            c.entries,
            c.checked_entries,
            c.step,
            pair(c.autodiff_vs_hand),
            pair(c.autodiff_vs_numeric),
            pair(c.hand_vs_numeric),
            pair(c.jacobian_vs_numeric),
            c.excluded_entries,
            if c.passes() { "ok" } else { "FAIL" }
        );
    }
    let excluded: usize = checks.iter().map(|c| c.excluded_entries).sum();
    if excluded > 0 {
        let flipped: usize = checks.iter().map(|c| c.kink_pre_activations).sum();
        println!(
            "{excluded} entries excluded from the finite-difference columns: their ±h perturbation \
             changed the sign of {flipped} ReLU pre-activations (a kink inside the step)"
        );
    }
}
