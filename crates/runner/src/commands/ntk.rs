//! `overparam ntk`: the NTK (or NNGP kernel) of the configured network at its initialisation
//! (or at `--init` parameters, on the config's data or `--data` inputs), by up to three
//! methods, with their agreement, the spectrum, per-stage timings and, with `--predict`, the
//! cross kernels and kernel-regression predictions on the held-out points; computed by the
//! library API (`overparam_api::ntk`), written here as `.npy`/`.npz` files and `summary.json`.

use std::path::Path;
use std::time::Instant;

use overparam_api::ntk::{ntk_kernels, read_inputs, KernelKind, NtkKernels, NtkRequest};
use overparam_model::NamedArray;
use overparam_sweep::files::write_atomically_with;
use overparam_trainer::ntk::KernelSpectrum;
use overparam_trainer::{write_npy_array, write_npz_arrays};
use serde_json::{json, Value};

use super::common::{load_config, prepare_out_dir, summary_header};

use crate::cli::{KernelArg, NtkArgs, NtkMethodArg};
use crate::output::write_json;

/// Files `ntk` writes (removed first if an earlier run left them).
const NTK_OUTPUTS: [&str; 14] = [
    "summary.json",
    "eigenvalues.npy",
    "eigenvalues_extreme.npz",
    "predictions.npz",
    "ntk_jacobian.npy",
    "ntk_closed.npy",
    "ntk_analytic.npy",
    "ntk_jacobian_cross.npy",
    "ntk_closed_cross.npy",
    "ntk_analytic_cross.npy",
    "nngp_empirical.npy",
    "nngp_analytic.npy",
    "nngp_empirical_cross.npy",
    "nngp_analytic_cross.npy",
];

/// Runs `overparam ntk`.
pub fn run(args: &NtkArgs) -> anyhow::Result<()> {
    let run = &args.run;
    let started = Instant::now();
    let experiment = load_config(run)?;
    // With --data, n is the rows of x: read it before the memory check and the output directory.
    let file_inputs = match &args.data {
        Some(path) => Some(read_inputs(path, experiment.resolved.model.input_dim)?),
        None => None,
    };
    let file_rows = args
        .data
        .as_deref()
        .zip(file_inputs.as_ref().map(|x| x.shape[0]));
    crate::memory::check_fits(
        &crate::memory::MemoryEstimate::for_ntk(
            &experiment.config,
            &experiment.resolved,
            run.device.dtype,
            args.method.methods(),
            file_rows,
            if args.predict {
                experiment.config.data.n_test
            } else {
                0
            },
            run.device.compute().backend.is_cpu(),
            Some(args.spectrum.method(args.extremes)),
        ),
        &crate::memory::MemoryLimit::from_flag(run.max_memory),
    )?;
    let out = prepare_out_dir(run, "-ntk", &NTK_OUTPUTS)?;
    let request = NtkRequest {
        compute: run.device.compute(),
        methods: args.method.methods(),
        skip_inapplicable: args.method == NtkMethodArg::All,
        lr_weighted: args.lr_weighted,
        inputs: file_inputs,
        given: Default::default(),
        init: run.init_source(),
        block_size: usize::try_from(args.block_size).unwrap_or(usize::MAX),
        kernel: match args.kernel {
            KernelArg::Ntk => KernelKind::Ntk,
            KernelArg::Nngp => KernelKind::Nngp {
                ensemble: usize::try_from(args.ensemble).unwrap_or(usize::MAX),
            },
        },
        ridge: args.predict.then_some(args.ridge),
    };
    let before_setup = started.elapsed().as_secs_f64();
    let mut kernels = ntk_kernels(&experiment, &request)?;
    kernels.setup_seconds += before_setup;
    if !args.no_kernel_file {
        write_kernels(&out, &mut kernels)?;
    }
    write_predictions(&out, &kernels)?;
    let spectrum = kernels.spectrum(args.spectrum.method(args.extremes))?;
    let n = kernels.num_samples;
    write_spectrum(&out, &spectrum.spectrum)?;

    let mut summary = summary_header(run, &experiment.config, &kernels.device);
    if let Value::Object(fields) = kernels.summary(&spectrum) {
        for (key, value) in fields {
            summary[key] = value;
        }
    }
    summary["data"] = json!(args.data.as_ref().map(|p| p.display().to_string()));
    summary["peak_memory_bytes"] = json!(crate::peak_memory::peak_resident_bytes());
    write_json(&out.join("summary.json"), &summary)?;
    println!(
        "λ_min = {:.6e}, λ_max = {:.6e} ({} {} kernel, n = {n}); outputs in {}",
        spectrum.spectrum.lambda_min(),
        spectrum.spectrum.lambda_max(),
        spectrum.of,
        kernels.kind.name().to_uppercase(),
        out.display()
    );
    if let Some(predictions) = &kernels.predictions {
        for p in &predictions.by_method {
            println!(
                "kernel regression ({}): test loss {:.6e}, train loss {:.3e}, κ(K + ρI) = {:.3e}",
                p.method,
                p.test_loss.unwrap_or(f64::NAN),
                p.train_loss,
                p.condition_number
            );
            // f64 keeps ~16 digits; each power of ten of κ costs one of them.
            if p.condition_number > 1e12 {
                eprintln!(
                    "warning: the {} kernel's solve is ill conditioned (κ = {:.1e}): its predictions keep about {:.0} digits; a --ridge would stabilise them",
                    p.method,
                    p.condition_number,
                    (16.0 - p.condition_number.log10()).max(0.0)
                );
            }
        }
    }
    Ok(())
}

/// `eigenvalues.npy` `[n]` (all of them) or `eigenvalues_extreme.npz` (`smallest`,
/// `smallest_residual` ascending, `largest`, `largest_residual` descending, `[k]` each).
fn write_spectrum(out: &Path, spectrum: &KernelSpectrum) -> anyhow::Result<()> {
    match spectrum {
        KernelSpectrum::Full(full) => {
            let n = full.eigenvalues.len();
            let eigenvalues = NamedArray::new("eigenvalues", vec![n], full.eigenvalues.clone())?;
            write_atomically_with(&out.join("eigenvalues.npy"), |w| {
                write_npy_array(w, &eigenvalues)
            })?;
        }
        KernelSpectrum::Extremes(extremes) => {
            let mut arrays = Vec::new();
            for (end, values) in [
                ("smallest", &extremes.smallest),
                ("largest", &extremes.largest),
            ] {
                let k = values.len();
                let value: Vec<f64> = values.iter().map(|r| r.value).collect();
                let residual: Vec<f64> = values.iter().map(|r| r.residual).collect();
                arrays.push(NamedArray::new(end, vec![k], value)?);
                arrays.push(NamedArray::new(
                    &format!("{end}_residual"),
                    vec![k],
                    residual,
                )?);
            }
            write_atomically_with(&out.join("eigenvalues_extreme.npz"), |w| {
                write_npz_arrays(w, &arrays)
            })?;
        }
    }
    Ok(())
}

/// `<kind>_<method>.npy` `[n, n]` per kernel and `<kind>_<method>_cross.npy` `[n_test, n]`
/// (each kernel moved into its array for the write and back: no copy of an `[n, n]`).
fn write_kernels(out: &Path, kernels: &mut NtkKernels) -> anyhow::Result<()> {
    let n = kernels.num_samples;
    let kind = kernels.kind.name();
    for kernel in &mut kernels.kernels {
        let array = NamedArray::new(kernel.name, vec![n, n], std::mem::take(&mut kernel.values))?;
        let path = out.join(format!("{kind}_{}.npy", kernel.name));
        let written = write_atomically_with(&path, |w| write_npy_array(w, &array));
        kernel.values = array.values;
        written?;
        if let Some(cross) = &kernel.cross {
            let rows = cross.len() / n.max(1);
            let array = NamedArray::new(kernel.name, vec![rows, n], cross.clone())?;
            let path = out.join(format!("{kind}_{}_cross.npy", kernel.name));
            write_atomically_with(&path, |w| write_npy_array(w, &array))?;
        }
    }
    Ok(())
}

/// `predictions.npz` (`y_test`, `f0_test`, `prediction_<method>`) when predictions were made.
fn write_predictions(out: &Path, kernels: &NtkKernels) -> anyhow::Result<()> {
    if let Some(predictions) = &kernels.predictions {
        let n_test = predictions.initial_test.len();
        let mut arrays = vec![NamedArray::new(
            "f0_test",
            vec![n_test],
            predictions.initial_test.clone(),
        )?];
        if let Some(y_test) = &predictions.test_targets {
            arrays.push(NamedArray::new("y_test", vec![n_test], y_test.clone())?);
        }
        for p in &predictions.by_method {
            let name = format!("prediction_{}", p.method);
            arrays.push(NamedArray::new(&name, vec![n_test], p.test.clone())?);
        }
        write_atomically_with(&out.join("predictions.npz"), |w| {
            write_npz_arrays(w, &arrays)
        })?;
    }
    Ok(())
}
