//! Slurm's client commands: `sbatch --parsable` to submit, and `sacct` (the accounting
//! database, where the cluster has one) or else `scontrol show job` (jobs still queued,
//! running, or ended less than `MinJobAge` ago) to ask how a job and its array tasks stand.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// `program` on `PATH`, if it is there.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// An error unless `sbatch` is on `PATH`.
pub fn require_sbatch() -> anyhow::Result<()> {
    if find_on_path("sbatch").is_none() {
        bail!(
            "sbatch is not on PATH: submitting needs Slurm's client commands (on a cluster's \
             login node; `module load slurm` on some). --dry-run writes the scripts without \
             submitting them"
        );
    }
    Ok(())
}

/// Submits `script` with `sbatch --parsable`, overriding its array with `array` (Slurm's
/// list, e.g. `0-3,6`) and starting it after every job of `after` has ended
/// (`--dependency=afterany:…`) when given; returns the job id.
pub fn sbatch(script: &Path, array: Option<&str>, after: &[String]) -> anyhow::Result<String> {
    let mut command = Command::new("sbatch");
    command.arg("--parsable");
    if let Some(array) = array {
        command.arg(format!("--array={array}"));
    }
    if !after.is_empty() {
        command.arg(format!("--dependency=afterany:{}", after.join(":")));
    }
    command.arg(script);
    let output = command
        .output()
        .with_context(|| format!("running sbatch {}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "sbatch {} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    // `--parsable` prints `id` or `id;cluster`.
    let id = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!(
            "sbatch {} printed `{}`, not a job id",
            script.display(),
            stdout.trim()
        );
    }
    Ok(id)
}

/// How one job, or one array task, stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobState {
    /// The job (`123`) or array task(s) (`123_4`, `123_[5-9]` while pending).
    pub job: String,
    /// Slurm's state: `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TIMEOUT`, ….
    pub state: String,
}

/// The states of job `id` (each of its array tasks, for an array): from `sacct` where the
/// cluster keeps accounting, else from `scontrol show job`. `Err` says why neither knows it
/// (no Slurm here; a job ended longer ago than `MinJobAge`, without accounting).
pub fn job_states(id: &str) -> Result<Vec<JobState>, String> {
    let sacct = run("sacct", &["-n", "-P", "-X", "-j", id, "-o", "JobID,State"]).and_then(|text| {
        let states = parse_sacct(&text);
        if states.is_empty() {
            Err(format!("sacct has no record of job {id}"))
        } else {
            Ok(states)
        }
    });
    let sacct_error = match sacct {
        Ok(states) => return Ok(states),
        Err(error) => error,
    };
    match run("scontrol", &["-o", "show", "job", id]) {
        Ok(text) => Ok(parse_scontrol(&text)),
        Err(error) => Err(format!("{sacct_error}; {error}")),
    }
}

/// The trimmed stdout of `program args`, or why it failed.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => format!("{program} is not on PATH"),
            _ => format!("{program}: {error}"),
        })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(format!(
            "{program}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// `sacct -n -P -o JobID,State` lines: `123_4|COMPLETED`, `123_5|CANCELLED by 0`.
fn parse_sacct(text: &str) -> Vec<JobState> {
    text.lines()
        .filter_map(|line| {
            let (job, state) = line.split_once('|')?;
            let state = state.split_whitespace().next()?;
            Some(JobState {
                job: job.trim().to_string(),
                state: state.to_string(),
            })
        })
        .collect()
}

/// `scontrol -o show job` lines, one per job or array task: `JobId=12 ArrayJobId=9
/// ArrayTaskId=1 … JobState=CANCELLED …`.
fn parse_scontrol(text: &str) -> Vec<JobState> {
    text.lines()
        .filter_map(|line| {
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|token| token.strip_prefix(name)?.strip_prefix('='))
            };
            let state = field("JobState")?;
            let job = match (field("ArrayJobId"), field("ArrayTaskId")) {
                (Some(array), Some(task)) => format!("{array}_{task}"),
                _ => field("JobId")?.to_string(),
            };
            Some(JobState {
                job,
                state: state.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sacct_and_scontrol_lines_give_each_task_its_state() {
        let sacct = parse_sacct("9_0|COMPLETED\n9_1|CANCELLED by 0\n9_[2-3]|PENDING\n");
        let states: Vec<_> = sacct
            .iter()
            .map(|s| (s.job.as_str(), s.state.as_str()))
            .collect();
        assert_eq!(
            states,
            [
                ("9_0", "COMPLETED"),
                ("9_1", "CANCELLED"),
                ("9_[2-3]", "PENDING")
            ]
        );
        let scontrol = parse_scontrol(
            "JobId=11 JobName=t ArrayJobId=9 ArrayTaskId=1 UserId=root(0) JobState=CANCELLED Reason=None\n\
             JobId=14 JobName=merge UserId=root(0) JobState=PENDING Reason=Dependency\n",
        );
        assert_eq!(
            scontrol,
            [
                JobState {
                    job: "9_1".into(),
                    state: "CANCELLED".into()
                },
                JobState {
                    job: "14".into(),
                    state: "PENDING".into()
                },
            ]
        );
    }
}
