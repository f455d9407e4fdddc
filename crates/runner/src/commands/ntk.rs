//! `overparam ntk`: the NTK of the configured network at its initialisation (or at `--init`
//! parameters, on the config's data or `--data` inputs), by up to three methods, with their
//! agreement, the spectrum and per-stage timings; computed by the library API
//! (`overparam_api::ntk`), written here as `.npy` files and `summary.json`.

use std::time::Instant;

use overparam_api::ntk::{ntk_kernels, read_inputs, NtkRequest};
use overparam_model::NamedArray;
use overparam_sweep::files::write_atomically_with;
use overparam_trainer::write_npy_array;
use serde_json::{json, Value};

use super::common::{load_config, prepare_out_dir, summary_header};

use crate::cli::{NtkArgs, NtkMethodArg};
use crate::output::write_json;

/// Files `ntk` writes (removed first if an earlier run left them).
const NTK_OUTPUTS: [&str; 5] = [
    "summary.json",
    "eigenvalues.npy",
    "ntk_jacobian.npy",
    "ntk_closed.npy",
    "ntk_analytic.npy",
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
        init: run.init_source(),
        block_size: usize::try_from(args.block_size).unwrap_or(usize::MAX),
    };
    let before_setup = started.elapsed().as_secs_f64();
    let mut kernels = ntk_kernels(&experiment, &request)?;
    kernels.setup_seconds += before_setup;
    let n = kernels.num_samples;
    for kernel in &kernels.kernels {
        let array = NamedArray::new(kernel.name, vec![n, n], kernel.values.clone())?;
        let path = out.join(format!("ntk_{}.npy", kernel.name));
        write_atomically_with(&path, |w| write_npy_array(w, &array))?;
    }
    let spectrum = kernels.spectrum()?;
    let eigenvalues = NamedArray::new(
        "eigenvalues",
        vec![n],
        spectrum.spectrum.eigenvalues.clone(),
    )?;
    write_atomically_with(&out.join("eigenvalues.npy"), |w| {
        write_npy_array(w, &eigenvalues)
    })?;

    let mut summary = summary_header(run, &experiment.config, &kernels.device);
    if let Value::Object(fields) = kernels.summary(&spectrum) {
        for (key, value) in fields {
            summary[key] = value;
        }
    }
    summary["data"] = json!(args.data.as_ref().map(|p| p.display().to_string()));
    write_json(&out.join("summary.json"), &summary)?;
    println!(
        "λ_min = {:.6e}, λ_max = {:.6e} ({} kernel, n = {n}); outputs in {}",
        spectrum.spectrum.ntk_min_eigenvalue(),
        spectrum.spectrum.ntk_max_eigenvalue(),
        spectrum.of,
        out.display()
    );
    Ok(())
}
