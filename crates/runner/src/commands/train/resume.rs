//! `overparam train --resume DIR`: the run in `DIR` continued from its checkpoint, with the
//! config, backend, dtype and engine it started with, into the same files.

use std::path::Path;

use anyhow::{bail, ensure, Context as _};
use overparam_trainer::read_npz_arrays;

use overparam_api::train::engine_for;
use overparam_api::{build_network, parameter_names, Experiment, Init};

use super::run::Run;
use super::single::Resumed;
use crate::checkpoint::{read_checkpoint_record, read_checkpoint_state};
use crate::cli::{EngineArg, RunArgs};
use crate::commands::common::{load_config, remove_stray_temporaries};
use crate::output::MetricsCsv;
use crate::run_lock::lock_run_dir;

/// Continues the run in `dir` from its checkpoint; `quiet` as for [`start`].
pub(super) fn resume(
    args: &RunArgs,
    dir: &Path,
    engine: EngineArg,
    quiet: bool,
) -> anyhow::Result<()> {
    ensure!(
        dir.is_dir(),
        "--resume {}: no such run directory",
        dir.display()
    );
    if let (None, Some(assignment)) = (&args.config, args.overrides.first()) {
        bail!(
            "--set {assignment}: --resume continues the run in {} with the config it started \
             with (recorded in its checkpoint), so --set would be ignored; start a fresh run to \
             change {}",
            dir.display(),
            assignment
                .split_once('=')
                .map_or(assignment.as_str(), |(key, _)| key.trim())
        );
    }
    let _lock = lock_run_dir(dir)?;
    remove_stray_temporaries(dir)?;
    let record = read_checkpoint_record(dir)?;
    if args.config.is_some() {
        let given = load_config(args)?;
        ensure!(
            given.config == record.config,
            "--config with its --set overrides differs from the config the run in {} started \
             with; resume with no --config (the checkpoint has it), or start a fresh run",
            dir.display()
        );
    }
    ensure!(
        args.device.backend == record.backend && args.device.dtype == record.dtype,
        "the run in {} computes on --backend {} --dtype {}; resume it with those (another \
         backend or dtype would not continue it bit-identically)",
        dir.display(),
        record.backend.name(),
        record.dtype.name()
    );
    ensure!(
        args.init.is_none(),
        "--init does not apply to --resume (the run's initial parameters are in {})",
        dir.join("params_init.npz").display()
    );
    if let Some(out) = &args.out {
        ensure!(
            out == dir,
            "--out {} differs from --resume {}; a resumed run writes where it started",
            out.display(),
            dir.display()
        );
    }
    let mut resolved = record
        .config
        .resolve()
        .with_context(|| format!("the config in {}", dir.join("checkpoint.json").display()))?;
    resolved.train.engine = match engine {
        EngineArg::Auto => record.engine,
        explicit => engine_for(explicit, record.backend)?,
    };
    ensure!(
        resolved.train.engine == record.engine,
        "the run in {} computes with --engine {}; resume it with that (or with no --engine): \
         the other engine would not continue it bit-identically",
        dir.display(),
        record.engine.name()
    );
    crate::memory::check_fits(
        &crate::memory::MemoryEstimate::for_train(&record.config, &resolved, record.dtype),
        &crate::memory::MemoryLimit::from_flag(args.max_memory),
    )?;
    let device_args = crate::cli::DeviceArgs {
        backend: record.backend,
        dtype: record.dtype,
    };
    let device = device_args.compute().device(&resolved.model)?;
    let experiment = Experiment {
        config: record.config.clone(),
        resolved,
    };
    let dataset = experiment.dataset()?;
    let resolved = &experiment.resolved;
    let names = parameter_names(resolved.model.depth());
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let init_path = dir.join("params_init.npz");
    let initial = read_npz_arrays(&init_path, &name_refs)?;
    let initial = build_network(
        &resolved.model,
        &initial,
        &device,
        Some(&Init::File(init_path)),
    )?;
    let (current, state) = read_checkpoint_state(dir, &record, &names)?;
    let checkpoint_path = dir.join(&record.archive);
    let current = build_network(
        &resolved.model,
        &current,
        &device,
        Some(&Init::File(checkpoint_path)),
    )?;
    let (metrics, kept_rows) = MetricsCsv::resume(&dir.join("metrics.csv"), record.metrics_rows)?;
    let resumed = Resumed {
        state,
        metrics,
        kept_rows,
        elapsed_s: record.elapsed_s,
    };
    let out = dir.to_path_buf();
    let run_args = RunArgs {
        config: None,
        device: device_args,
        out: Some(out.clone()),
        overrides: Vec::new(),
        init: record.init.clone(),
        max_memory: args.max_memory,
    };
    let run = Run {
        args: &run_args,
        experiment: &experiment,
        out: &out,
        device: &device,
        dataset: &dataset,
        quiet,
    };
    run.continue_from(initial, current, resumed)
}
