//! `overparam ntk`: the NTK of the configured network at its initialisation (or at `--init`
//! parameters, on the config's data or `--data` inputs), by up to three methods, with their
//! agreement, the spectrum and per-stage timings.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context as _};
use overparam_model::NamedArray;
use overparam_sweep::files::write_atomically_with;
use overparam_trainer::data::{check_finite, Dataset};
use overparam_trainer::ntk::{
    ntk, ntk_spectrum, relative_frobenius_error, NtkError, NtkMethod, NtkOptions,
};
use overparam_trainer::{read_npz_arrays, write_npy_array};
use serde_json::{json, Map, Value};

use super::common::{
    device_for, initial_network, load_config, near_teacher, prepare_out_dir, summary_header,
};

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

/// One computed kernel `[n, n]`, on the host, and how long it took.
struct Kernel {
    name: &'static str,
    values: Vec<f64>,
    seconds: f64,
}

/// Runs `overparam ntk`.
pub fn run(args: &NtkArgs) -> anyhow::Result<()> {
    let run = &args.run;
    let started = Instant::now();
    let (config, resolved) = load_config(run)?;
    // With --data, n is the rows of x: read it before the memory check and the output directory.
    let file_inputs = match &args.data {
        Some(path) => Some(read_inputs(path, resolved.model.input_dim)?),
        None => None,
    };
    let file_rows = args.data.as_deref().zip(file_inputs.as_ref().map(|x| x.1));
    crate::memory::check_fits(
        &crate::memory::MemoryEstimate::for_ntk(
            &config,
            &resolved,
            run.device.dtype,
            args.method.methods(),
            file_rows,
        ),
        &crate::memory::MemoryLimit::from_flag(run.max_memory),
    )?;
    let out = prepare_out_dir(run, "-ntk", &NTK_OUTPUTS)?;
    let device = device_for(run.device.backend, run.device.dtype, &resolved.model)?;
    let (inputs, num_samples) = match file_inputs {
        Some(read) => read,
        None => {
            let dataset = Dataset::from_spec(&resolved.data)?;
            (dataset.inputs, dataset.num_samples)
        }
    };
    let teacher = near_teacher(&resolved)?;
    let init = run.init.as_deref();
    let network = initial_network(
        &resolved.model,
        init,
        config.seed,
        teacher.as_ref(),
        &device,
    )?;
    let rates = args.lr_weighted.then_some(&resolved.train.learning_rates);
    let setup_seconds = started.elapsed().as_secs_f64();

    let block_size = usize::try_from(args.block_size).unwrap_or(usize::MAX);
    let methods = [
        ("jacobian", NtkMethodArg::Jacobian, NtkMethod::Jacobian { block_size }),
        ("closed", NtkMethodArg::Closed, NtkMethod::ClosedForm),
        ("analytic", NtkMethodArg::Analytic, NtkMethod::Analytic),
    ];
    let mut kernels: Vec<Kernel> = Vec::new();
    let mut notes = Map::new();
    for (name, arg, method) in methods {
        if args.method != arg && args.method != NtkMethodArg::All {
            continue;
        }
        let options = NtkOptions {
            method,
            rates,
            on_host: run.device.backend.is_cpu(),
        };
        let start = Instant::now();
        match ntk(&network, &inputs, &options) {
            Ok(values) => kernels.push(Kernel {
                name,
                values,
                seconds: start.elapsed().as_secs_f64(),
            }),
            // With --method all, a method that does not apply to this network is skipped
            // with the reason.
            Err(reason @ (NtkError::ClosedFormDepth { .. } | NtkError::Analytic(_)))
                if args.method == NtkMethodArg::All =>
            {
                notes.insert(format!("{name}_skipped"), json!(reason.to_string()));
            }
            Err(error) => return Err(error.into()),
        }
    }

    for kernel in &kernels {
        let array = NamedArray::new(
            kernel.name,
            vec![num_samples, num_samples],
            kernel.values.clone(),
        )?;
        let path = out.join(format!("ntk_{}.npy", kernel.name));
        write_atomically_with(&path, |w| write_npy_array(w, &array))?;
    }
    // The spectrum of the finite-width kernel when one was computed, else of K∞.
    let primary = kernels
        .iter()
        .find(|k| k.name == "closed")
        .or_else(|| kernels.first())
        .context("no kernel was computed")?;
    let eigen_start = Instant::now();
    let spectrum = ntk_spectrum(&primary.values, num_samples)
        .with_context(|| format!("eigenvalues of the {} kernel", primary.name))?;
    let eigen_seconds = eigen_start.elapsed().as_secs_f64();
    let eigenvalues = NamedArray::new(
        "eigenvalues",
        vec![num_samples],
        spectrum.eigenvalues.clone(),
    )?;
    write_atomically_with(&out.join("eigenvalues.npy"), |w| {
        write_npy_array(w, &eigenvalues)
    })?;

    let mut summary = summary_header(run, &config, &device);
    summary["status"] = json!("ok");
    summary["data"] = json!(args.data.as_ref().map(|p| p.display().to_string()));
    summary["num_samples"] = json!(num_samples);
    summary["kernel"] = json!(if args.lr_weighted {
        "lr_weighted"
    } else {
        "plain"
    });
    summary["methods"] = json!(kernels.iter().map(|k| k.name).collect::<Vec<_>>());
    summary["spectrum_of"] = json!(primary.name);
    summary["lambda_min"] = json!(spectrum.ntk_min_eigenvalue());
    summary["lambda_max"] = json!(spectrum.ntk_max_eigenvalue());
    summary["condition_number"] = json!(spectrum.condition_number());
    let mut timings = Map::new();
    timings.insert("setup".into(), json!(setup_seconds));
    for kernel in &kernels {
        timings.insert(kernel.name.into(), json!(kernel.seconds));
    }
    timings.insert("eigenvalues".into(), json!(eigen_seconds));
    summary["timings_s"] = Value::Object(timings);
    summary["agreement"] = agreement(&kernels);
    for (key, note) in notes {
        summary[key] = note;
    }
    write_json(&out.join("summary.json"), &summary)?;
    println!(
        "λ_min = {:.6e}, λ_max = {:.6e} ({} kernel, n = {num_samples}); outputs in {}",
        spectrum.ntk_min_eigenvalue(),
        spectrum.ntk_max_eigenvalue(),
        primary.name,
        out.display()
    );
    Ok(())
}

/// ‖K_a − K_b‖_F/‖K_b‖_F for every pair of computed kernels, keyed `a_vs_b`; against the
/// analytic kernel this is the finite-width error ‖K_m − K∞‖_F/‖K∞‖_F.
fn agreement(kernels: &[Kernel]) -> Value {
    let mut pairs = Map::new();
    for (i, a) in kernels.iter().enumerate() {
        for b in &kernels[i + 1..] {
            pairs.insert(
                format!("{}_vs_{}", a.name, b.name),
                json!(relative_frobenius_error(&a.values, &b.values)),
            );
        }
    }
    Value::Object(pairs)
}

/// `x` `[n, d]` from an `.npz`, checked for shape (d must be the config's) and finiteness.
fn read_inputs(path: &Path, input_dim: usize) -> anyhow::Result<(Vec<f64>, usize)> {
    let x = read_npz_arrays(path, &["x"])?.remove(0);
    if x.shape.len() != 2 || x.shape[1] != input_dim {
        bail!(
            "{}: array `x` has shape {:?}, expected [n, {input_dim}] (data.d = {input_dim})",
            path.display(),
            x.shape
        );
    }
    check_finite(&path.display().to_string(), &x)?;
    Ok((x.values, x.shape[0]))
}
