//! `overparam reproduce NAME`: one seed paper's claim in one command — its sweeps (resumable
//! like any sweep), their merge and plots, the analysis, and `DIR/report.{md,html,json}`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use anyhow::Context;
use overparam_analysis::plot::plot_sweep;
use overparam_analysis::report::Report;
use overparam_papers::{find, Part, Parts, Reproduction, Scale, REPRODUCTIONS};
use overparam_sweep::columns::{RUN_ID, STATUS, WALL_S};
use overparam_sweep::results::Table;

use super::sweep::{available_cores, execute_sweep, merge_results, Outcome, Selection};
use crate::backend::BackendKind;
use crate::cli::{ReproduceArgs, ScaleArg};
use crate::interrupt::{sigterm_received, stop_on_sigterm, Terminated};
use crate::launcher::Launcher;
use overparam_sweep::slurm::options::SlurmOptions;

mod criteria;
mod slurm;
mod specs;

/// Runs `overparam reproduce`.
pub fn run(args: &ReproduceArgs) -> anyhow::Result<()> {
    let Some(name) = args.name.as_deref().filter(|_| !args.list) else {
        for reproduction in REPRODUCTIONS {
            println!("{:<16} {}", reproduction.name, reproduction.title);
        }
        return Ok(());
    };
    let reproduction = find(name)?;
    anyhow::ensure!(
        args.slurm || args.slurm_options == SlurmOptions::default(),
        "--tasks, --jobs-per-task, --time, --cpus-per-task, --mem, --partition, --account, \
         --sbatch-arg, --setup and --dry-run apply only with --slurm"
    );
    // SIGTERM ends the sweeps gracefully (checkpoints, see `sweep run`), then this command.
    stop_on_sigterm()?;
    let scale = match args.scale {
        ScaleArg::Small => Scale::Small,
        ScaleArg::Full => Scale::Full,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reproductions").join(format!("{name}-{}", scale.name())));
    if args.slurm {
        return slurm::submit(args, reproduction, scale, &out);
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let specs = specs::locate(args, reproduction, &out)?;
    let started = Instant::now();
    let mut settings = vec![
        format!(
            "`overparam reproduce {name} --scale {}` ({} {}, git {})",
            scale.name(),
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            env!("OVERPARAM_GIT_DESCRIBE")
        ),
        format!(
            "{} cores available; backend {}",
            available_cores(),
            args.backend.name()
        ),
        specs.origin.clone(),
    ];
    let mut parts = Vec::new();
    let mut runs_wall_s = 0.0;
    let mut differences = Vec::new();
    for part in reproduction.parts {
        let dir = out.join(part.name);
        let spec = specs.part(reproduction, part, scale)?;
        differences.extend(criteria::differences(part, &spec)?);
        let (line, wall_s) = run_part(args, part, &spec, &dir)?;
        settings.push(line);
        runs_wall_s += wall_s;
        parts.push((part.name.to_string(), dir));
    }
    let parts = Parts {
        dir: out.clone(),
        parts,
        scale,
    };
    let mut findings = (reproduction.analyse)(&parts)
        .with_context(|| format!("analysing the {name} reproduction in {}", out.display()))?;
    settings.push(criteria::mark(&mut findings.verdicts, &differences));
    settings.push(format!(
        "the runs took {runs_wall_s:.1} s of wall time in all (each run's own, summed); this \
         command {:.0} s (runs finished by an earlier command are not run again)",
        started.elapsed().as_secs_f64()
    ));
    let report = Report {
        title: reproduction.title.to_string(),
        summary: reproduction.summary.to_string(),
        settings,
        verdicts: findings.verdicts,
        sections: findings.sections,
    };
    report.write(&out)?;
    print_verdicts(reproduction, &report, &out);
    Ok(())
}

/// Runs, merges and plots one part from `spec`; returns a line for the report's settings and
/// the runs' wall time summed.
fn run_part(
    args: &ReproduceArgs,
    part: &Part,
    spec: &Path,
    dir: &Path,
) -> anyhow::Result<(String, f64)> {
    println!(
        "{}: sweep {} into {}",
        part.name,
        spec.display(),
        dir.display()
    );
    let device = (args.backend, part.dtype);
    let jobs = args.jobs.map(|j| j as usize);
    let outcomes = execute_sweep(spec, dir, &Selection::default(), jobs, device)?;
    if sigterm_received() {
        return Err(Terminated(format!(
            "part `{}` left unfinished in {}; run the same command again to finish it",
            part.name,
            dir.display()
        ))
        .into());
    }
    let failed = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
        .count();
    let results = merge_results(dir)?;
    let wall_s: f64 = results.column(WALL_S).map_or(0.0, |column| {
        results
            .rows
            .iter()
            .filter_map(|row| row[column].parse::<f64>().ok())
            .sum()
    });
    if part.analytic_ntk {
        analytic_kernels(dir)?;
    }
    if part.hessian {
        final_hessians(dir)?;
    }
    match plot_sweep(dir) {
        Ok(plots) => {
            for (plot, reason) in plots.skipped {
                println!("  plot {plot} skipped: {reason}");
            }
        }
        Err(error) => println!("  no plots: {error:#}"),
    }
    let line = format!(
        "part `{}`: {}, {} runs ({failed} failed, {wall_s:.1} s of run wall time), {} {}",
        part.name,
        specs::describe(spec),
        outcomes.len(),
        args.backend.name(),
        part.dtype.name()
    );
    Ok((line, wall_s))
}

/// `overparam ntk --method analytic` (f64) for every finished run of the sweep in `dir`,
/// into `runs/<id>/ntk-analytic/`; runs already done are skipped, failures reported.
fn analytic_kernels(dir: &Path) -> anyhow::Result<()> {
    for_each_finished_run(dir, "ntk-analytic", "analytic NTK", |run| {
        let mut args: Vec<OsString> = ["ntk", "--method", "analytic", "--dtype", "f64"]
            .map(OsString::from)
            .to_vec();
        args.extend(["--backend".into(), BackendKind::Flex.name().into()]);
        args.extend(["--config".into(), run.join("config.toml").into()]);
        args
    })
}

/// `overparam hessian` at every finished run's final parameters, into `runs/<id>/hessian/`;
/// runs already done are skipped, failures reported.
fn final_hessians(dir: &Path) -> anyhow::Result<()> {
    for_each_finished_run(dir, "hessian", "Hessian", |run| {
        vec![
            "hessian".into(),
            "--config".into(),
            run.join("config.toml").into(),
            "--init".into(),
            run.join("params_final.npz").into(),
        ]
    })
}

/// Runs `overparam ARGS --out runs/<id>/<name>` for every run of `dir/results.csv` with status
/// ok that has no `runs/<id>/<name>/summary.json` yet (`what` names it in messages); stops
/// early on SIGTERM.
fn for_each_finished_run(
    dir: &Path,
    name: &str,
    what: &str,
    args: impl Fn(&Path) -> Vec<OsString>,
) -> anyhow::Result<()> {
    let results = Table::read(&dir.join("results.csv"))?;
    let (id, status) = (results.column(RUN_ID)?, results.column(STATUS)?);
    let launcher = Launcher::current()?;
    for row in results.rows.iter().filter(|row| row[status] == "ok") {
        if sigterm_received() {
            return Err(Terminated(format!(
                "the {what} of the runs in {} left unfinished; run the same command again",
                dir.display()
            ))
            .into());
        }
        let run = dir.join("runs").join(&row[id]);
        let out = run.join(name);
        if out.join("summary.json").is_file() {
            continue;
        }
        let output = launcher
            .command()
            .args(args(&run))
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("starting {}", launcher.program.display()))?;
        if !output.status.success() {
            println!(
                "  {what} of {}: {}",
                run.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
    }
    Ok(())
}

/// The verdicts on the terminal.
fn print_verdicts(reproduction: &Reproduction, report: &Report, out: &Path) {
    println!("{}", reproduction.title);
    for verdict in &report.verdicts {
        println!("  [{}] {}", verdict.verdict.text(), verdict.claim);
        println!("      measured: {}", verdict.measured);
        if !verdict.reason.is_empty() {
            println!("      ({})", verdict.reason);
        }
    }
    println!(
        "report: {} and {}",
        out.join("report.md").display(),
        out.join("report.html").display()
    );
}
