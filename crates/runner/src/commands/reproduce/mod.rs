//! `overparam reproduce NAME`: one seed paper's claim in one command — its sweeps (resumable
//! like any sweep), their merge and plots, the analysis, and `DIR/report.{md,html,json}`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use anyhow::Context;
use overparam_analysis::plot::plot_sweep;
use overparam_analysis::report::Report;
use overparam_papers::{
    find, spec_file, spec_name, Part, Parts, Reproduction, Scale, REPRODUCTIONS,
};
use overparam_sweep::columns::{RUN_ID, STATUS};
use overparam_sweep::results::Table;

use super::sweep::{execute_sweep, merge_results, Outcome, Selection};
use crate::backend::BackendKind;
use crate::cli::{ReproduceArgs, ScaleArg};
use crate::interrupt::{sigterm_received, stop_on_sigterm, Terminated};
use crate::launcher::Launcher;
use overparam_sweep::slurm::options::SlurmOptions;

mod slurm;

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
            std::thread::available_parallelism().map_or(1, usize::from),
            args.backend.name()
        ),
    ];
    let mut parts = Vec::new();
    for part in reproduction.parts {
        let dir = out.join(part.name);
        settings.push(run_part(args, reproduction, part, scale, &dir)?);
        parts.push((part.name.to_string(), dir));
    }
    let parts = Parts {
        dir: out.clone(),
        parts,
        scale,
    };
    let findings = (reproduction.analyse)(&parts)
        .with_context(|| format!("analysing the {name} reproduction in {}", out.display()))?;
    settings.push(format!(
        "wall time {:.0} s for the sweeps and analysis",
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

/// Runs, merges and plots one part; returns a line for the report's settings.
fn run_part(
    args: &ReproduceArgs,
    reproduction: &Reproduction,
    part: &Part,
    scale: Scale,
    dir: &Path,
) -> anyhow::Result<String> {
    let spec = part_spec(args, reproduction, part, scale)?;
    println!(
        "{}: sweep {} into {}",
        part.name,
        spec.display(),
        dir.display()
    );
    let device = (args.backend, part.dtype);
    let jobs = args.jobs.map(|j| j as usize);
    let outcomes = execute_sweep(&spec, dir, &Selection::default(), jobs, device)?;
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
    merge_results(dir)?;
    if part.analytic_ntk {
        analytic_kernels(dir)?;
    }
    match plot_sweep(dir) {
        Ok(plots) => {
            for (plot, reason) in plots.skipped {
                println!("  plot {plot} skipped: {reason}");
            }
        }
        Err(error) => println!("  no plots: {error:#}"),
    }
    Ok(format!(
        "part `{}`: spec `{}`, {} runs ({failed} failed), {} {}",
        part.name,
        spec.display(),
        outcomes.len(),
        args.backend.name(),
        part.dtype.name()
    ))
}

/// The spec of `part` at `scale` under `--specs`.
fn part_spec(
    args: &ReproduceArgs,
    reproduction: &Reproduction,
    part: &Part,
    scale: Scale,
) -> anyhow::Result<PathBuf> {
    spec_file(&args.specs, reproduction, part, scale).with_context(|| {
        let name = spec_name(part, scale);
        format!(
            "no spec {} (run from the repository root, or pass --specs DIR holding {}/{name} or \
             {name})",
            args.specs.join(reproduction.name).join(&name).display(),
            reproduction.name
        )
    })
}

/// `overparam ntk --method analytic` (f64) for every finished run of the sweep in `dir`,
/// into `runs/<id>/ntk-analytic/`; runs already done are skipped, failures reported.
fn analytic_kernels(dir: &Path) -> anyhow::Result<()> {
    let results = Table::read(&dir.join("results.csv"))?;
    let (id, status) = (results.column(RUN_ID)?, results.column(STATUS)?);
    let launcher = Launcher::current()?;
    for row in results.rows.iter().filter(|row| row[status] == "ok") {
        if sigterm_received() {
            return Err(Terminated(format!(
                "analytic kernels of {} left unfinished; run the same command again",
                dir.display()
            ))
            .into());
        }
        let run = dir.join("runs").join(&row[id]);
        let out = run.join("ntk-analytic");
        if out.join("summary.json").is_file() {
            continue;
        }
        let output = launcher
            .command()
            .args(["ntk", "--method", "analytic", "--dtype", "f64", "--backend"])
            .arg(BackendKind::Flex.name())
            .arg("--config")
            .arg(run.join("config.toml"))
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("starting {}", launcher.program.display()))?;
        if !output.status.success() {
            println!(
                "  analytic NTK of {}: {}",
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
