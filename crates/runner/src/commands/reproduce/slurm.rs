//! `overparam reproduce NAME --slurm`: each part's sweep as its own array job (exactly as
//! `sweep submit` writes it, in `DIR/PART/slurm/`), then one job after all of them
//! (`DIR/slurm/report.sbatch`, `afterany`) that runs `overparam reproduce NAME` on the same
//! directory: every finished run is skipped there, anything a cancelled task left is run on
//! that job's CPUs, and the analysis and the report are written. Job ids go to
//! `DIR/slurm/jobs.json`; `sweep status DIR` shows every part and job.

use std::path::Path;

use anyhow::Context as _;
use overparam_papers::{Reproduction, Scale};
use overparam_sweep::files::write_atomically;
use overparam_sweep::slurm::client::require_sbatch;
use overparam_sweep::slurm::jobs::{JobRole, JobsRecord, Submission};
use overparam_sweep::slurm::script::{array_list, common_directives, shell_line, BatchScript};
use overparam_sweep::slurm::SLURM_DIR;

use super::specs::locate;
use crate::cli::ReproduceArgs;
use crate::commands::sweep::{
    absolute, path_text, prepare_array, submit_after, submit_array, unix_now,
};
use crate::launcher::Launcher;

/// Plans every part, writes the scripts and (unless `--dry-run`) submits them.
pub(super) fn submit(
    args: &ReproduceArgs,
    reproduction: &Reproduction,
    scale: Scale,
    out: &Path,
) -> anyhow::Result<()> {
    let options = &args.slurm_options;
    options.check()?;
    if !options.dry_run {
        require_sbatch()?;
    }
    let out = absolute(out)?;
    let located = locate(args, reproduction, &out)?;
    let specs = absolute(&located.dir)?;
    let mut arrays = Vec::new();
    for part in reproduction.parts {
        let spec = absolute(&located.part(reproduction, part, scale)?)?;
        let name = format!("overparam-{}-{}", reproduction.name, part.name);
        let device = (args.backend, part.dtype);
        let array = prepare_array(&spec, &out.join(part.name), device, options, &name)?;
        println!(
            "{}: {} runs ({} unfinished) in {} tasks; script {}",
            part.name,
            array.runs,
            array.missing_runs,
            array.task_count,
            array.script.display()
        );
        arrays.push((part.name, array));
    }
    let slurm_dir = out.join(SLURM_DIR);
    let report = slurm_dir.join("report.sbatch");
    let launcher = Launcher::current()?;
    let mut words = launcher.words();
    words.extend([
        "reproduce".to_string(),
        reproduction.name.to_string(),
        "--scale".into(),
        scale.name().into(),
        "--out".into(),
        path_text(&out),
        "--specs".into(),
        path_text(&specs),
        "--backend".into(),
        args.backend.name().into(),
        "--jobs".into(),
        options.cpus().to_string(),
    ]);
    let logs = slurm_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let script = BatchScript {
        comments: vec![
            format!(
                "Written by `overparam reproduce {} --slurm`.",
                reproduction.name
            ),
            "Submitted after every part's array job (sbatch --dependency=afterany:<ids>): runs \
             what the tasks left unfinished, then the analysis, and writes the report."
                .to_string(),
        ],
        directives: common_directives(
            options,
            &format!("overparam-{}-report", reproduction.name),
            &logs,
            "report-%j.out",
        )?,
        environment: launcher.environment(),
        setup: options.setup.clone(),
        commands: vec![shell_line(&words)],
        exec_last: true,
    };
    write_atomically(&report, script.text().as_bytes())?;
    if options.dry_run {
        println!("--dry-run: nothing submitted; it would run:");
        for line in arrays.iter().filter_map(|(_, array)| array.sbatch_line()) {
            println!("  {line}");
        }
        println!(
            "  sbatch --parsable --dependency=afterany:<the array job ids> {}",
            report.display()
        );
        return Ok(());
    }
    let mut jobs = Vec::new();
    for (part, array) in &arrays {
        if let Some(job) = submit_array(array, Some(part))? {
            println!(
                "{part}: array job {} (tasks {})",
                job.id,
                array_list(&job.tasks)
            );
            jobs.push(job);
        }
    }
    let report_job = submit_after(&report, JobRole::Report, &jobs, &slurm_dir);
    if let Ok(job) = &report_job {
        println!(
            "report job {} (after the array jobs); the report will be in {}",
            job.id,
            out.display()
        );
        jobs.push(job.clone());
    }
    JobsRecord::append(
        &slurm_dir,
        Submission {
            submitted_unix_s: unix_now(),
            runs: arrays.iter().map(|(_, a)| a.runs).sum(),
            missing_runs: arrays.iter().map(|(_, a)| a.missing_runs).sum(),
            jobs,
        },
    )?;
    report_job?;
    println!("follow it with `overparam sweep status {}`", out.display());
    Ok(())
}
