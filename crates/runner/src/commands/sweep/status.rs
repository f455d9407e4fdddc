//! `overparam sweep status DIR`: where a sweep stands, read from its directory alone — each
//! run done, failed, busy (its lock held by a running `train`) or pending (with the step its
//! checkpoint will resume from) — and, when `sweep submit` recorded jobs in
//! `DIR/slurm/jobs.json`, how Slurm says those jobs stand. A reproduction's directory (no
//! manifest, one sweep per part) gets one section per part.

use std::path::Path;

use anyhow::bail;
use overparam_sweep::manifest::Manifest;
use overparam_sweep::slurm::client::job_states;
use overparam_sweep::slurm::jobs::{JobRole, JobsRecord};
use overparam_sweep::slurm::script::array_list;
use overparam_sweep::slurm::SLURM_DIR;

use super::plan::{run_dir, run_status};
use super::submit::unix_now;
use crate::checkpoint::read_checkpoint_record;
use crate::config::RunConfig;
use crate::run_lock::run_dir_busy;

/// Runs `overparam sweep status`.
pub fn run(dir: &Path) -> anyhow::Result<()> {
    let manifest = dir.join("manifest.csv");
    if manifest.is_file() {
        print_runs(dir, "")?;
    } else {
        let parts = part_dirs(dir);
        if parts.is_empty() {
            bail!(
                "{} has no manifest.csv (nor parts with one): plan, run or submit the sweep first",
                dir.display()
            );
        }
        for part in parts {
            let name = part
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            print_runs(&part, &format!("part {name}: "))?;
        }
    }
    print_jobs(&dir.join(SLURM_DIR));
    Ok(())
}

/// The subdirectories of `dir` holding a manifest (a reproduction's parts), sorted.
fn part_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut parts: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.join("manifest.csv").is_file())
        .collect();
    parts.sort();
    parts
}

/// Where one run stands.
enum RunState {
    Done,
    Failed(String),
    Busy,
    Pending { resumes_at: Option<usize> },
}

/// The runs of the sweep in `dir`: counts, then one line per run that is not done.
fn print_runs(dir: &Path, prefix: &str) -> anyhow::Result<()> {
    let manifest = Manifest::read(dir)?;
    let states: Vec<RunState> = manifest
        .entries
        .iter()
        .map(|entry| run_state(&run_dir(dir, &entry.run_id)))
        .collect::<anyhow::Result<_>>()?;
    let count = |wanted: fn(&RunState) -> bool| states.iter().filter(|s| wanted(s)).count();
    let resumable = count(|s| {
        matches!(
            s,
            RunState::Pending {
                resumes_at: Some(_)
            }
        )
    });
    println!(
        "{prefix}{}: {} runs: {} done, {} failed, {} busy, {} pending ({resumable} with a checkpoint to resume)",
        dir.display(),
        states.len(),
        count(|s| matches!(s, RunState::Done)),
        count(|s| matches!(s, RunState::Failed(_))),
        count(|s| matches!(s, RunState::Busy)),
        count(|s| matches!(s, RunState::Pending { .. })),
    );
    for (entry, state) in manifest.entries.iter().zip(&states) {
        let what = match state {
            RunState::Done => continue,
            RunState::Failed(error) => format!("failed: {error}"),
            RunState::Busy => "busy: a running process holds it".to_string(),
            RunState::Pending {
                resumes_at: Some(step),
            } => {
                format!("pending: resumes from its checkpoint at step {step}")
            }
            RunState::Pending { resumes_at: None } => "pending".to_string(),
        };
        println!("  run {} ({}) {what}", entry.index, entry.run_id);
    }
    Ok(())
}

/// Where the run in `dir` stands (done and failed as `sweep run` would judge them, for its own
/// config on any backend).
fn run_state(dir: &Path) -> anyhow::Result<RunState> {
    if !dir.is_dir() {
        return Ok(RunState::Pending { resumes_at: None });
    }
    if run_dir_busy(dir)? {
        return Ok(RunState::Busy);
    }
    let config = std::fs::read_to_string(dir.join("config.toml"))
        .ok()
        .and_then(|text| toml::from_str::<RunConfig>(&text).ok());
    if let Some(config) = config {
        let (status, error) = run_status(dir, &config, None);
        match status.as_str() {
            "ok" => return Ok(RunState::Done),
            "failed" => return Ok(RunState::Failed(error)),
            _ => {}
        }
    }
    let resumes_at = read_checkpoint_record(dir).ok().map(|record| record.step);
    Ok(RunState::Pending { resumes_at })
}

/// The jobs of the latest submission recorded in `slurm_dir`, with Slurm's states.
fn print_jobs(slurm_dir: &Path) {
    let record = match JobsRecord::read(slurm_dir) {
        Ok(record) => record,
        Err(error) => {
            println!("slurm: {error:#}");
            return;
        }
    };
    let Some(latest) = record.submissions.last() else {
        return;
    };
    let minutes = unix_now().saturating_sub(latest.submitted_unix_s) / 60;
    println!(
        "slurm: submission {} of {} ({minutes} min ago; {} of {} runs unfinished then), jobs in {}:",
        record.submissions.len(),
        record.submissions.len(),
        latest.missing_runs,
        latest.runs,
        JobsRecord::path(slurm_dir).display()
    );
    for job in &latest.jobs {
        let role = match (job.role, &job.part) {
            (JobRole::Runs, Some(part)) => format!("runs of part {part}"),
            (role, _) => role.name().to_string(),
        };
        let tasks = match job.task_count {
            Some(count) => format!(" (tasks {} of {count})", array_list(&job.tasks)),
            None => String::new(),
        };
        let states = match job_states(&job.id) {
            Ok(states) => summarize(&states),
            Err(reason) => format!("unknown to Slurm now ({reason})"),
        };
        println!("  {role} job {}{tasks}: {states}", job.id);
    }
}

/// `STATE ×k` per state in first-seen order, with the tasks of each.
fn summarize(states: &[overparam_sweep::slurm::client::JobState]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for state in states {
        match groups.iter_mut().find(|(name, _)| *name == state.state) {
            Some((_, jobs)) => jobs.push(&state.job),
            None => groups.push((&state.state, vec![&state.job])),
        }
    }
    groups
        .iter_mut()
        .map(|(state, jobs)| {
            // Tasks in order (`9_2` before `9_10`): Slurm lists them newest first.
            jobs.sort_by_key(|job| (job.len(), job.to_string()));
            format!("{state} {}", jobs.join(" "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
