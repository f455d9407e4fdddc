//! `DIR/slurm/jobs.json`: every submission to Slurm made for a sweep (or a reproduction), in
//! order, with the job ids Slurm gave, so that `sweep status` can ask how they stand.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::files::write_atomically;
use crate::small_file::read_small_text;

/// The file's name under `DIR/slurm/`.
pub const JOBS_FILE: &str = "jobs.json";

/// What one job of a submission does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobRole {
    /// The array of `sweep run --shard` tasks.
    Runs,
    /// `sweep merge` and the spec's analyses, after every task (`afterany`).
    Merge,
    /// A reproduction's `reproduce`, which writes the report, after every part's tasks.
    Report,
}

impl JobRole {
    /// Its name in `jobs.json` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            JobRole::Runs => "runs",
            JobRole::Merge => "merge",
            JobRole::Report => "report",
        }
    }
}

/// One submitted job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedJob {
    /// What it does.
    pub role: JobRole,
    /// Slurm's job id (of the array, for [`JobRole::Runs`]).
    pub id: String,
    /// The reproduction part it runs, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// The script submitted.
    pub script: PathBuf,
    /// The array task ids submitted ([`JobRole::Runs`]), out of `0..task_count`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<usize>,
    /// The shards the runs were cut into (N of `--shard I/N`; [`JobRole::Runs`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_count: Option<usize>,
    /// The jobs it waits for (`--dependency=afterany:…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

/// One `sweep submit` (or `reproduce --slurm`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// When, in seconds since the Unix epoch.
    pub submitted_unix_s: u64,
    /// Runs in the sweep(s).
    pub runs: usize,
    /// Runs not finished at submission (those the tasks had to do).
    pub missing_runs: usize,
    /// The jobs, in submission order.
    pub jobs: Vec<SubmittedJob>,
}

/// Every submission, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsRecord {
    /// The submissions.
    pub submissions: Vec<Submission>,
}

impl JobsRecord {
    /// The path of the record under `slurm_dir`.
    pub fn path(slurm_dir: &Path) -> PathBuf {
        slurm_dir.join(JOBS_FILE)
    }

    /// Reads the record under `slurm_dir`; empty when there is none yet.
    pub fn read(slurm_dir: &Path) -> anyhow::Result<JobsRecord> {
        let path = Self::path(slurm_dir);
        if !path.exists() {
            return Ok(JobsRecord::default());
        }
        let text = read_small_text(&path, "Slurm job record")?;
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// Adds `submission` to the record under `slurm_dir` (written atomically).
    pub fn append(slurm_dir: &Path, submission: Submission) -> anyhow::Result<()> {
        let mut record = Self::read(slurm_dir)?;
        record.submissions.push(submission);
        let text = serde_json::to_string_pretty(&record).context("encoding the job record")?;
        write_atomically(&Self::path(slurm_dir), text.as_bytes())
    }
}
