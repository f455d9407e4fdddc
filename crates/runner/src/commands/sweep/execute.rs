//! `overparam sweep run`: each selected run is an ordinary `overparam train` child process
//! writing `DIR/runs/<run id>/` (its own config.toml and train.log there); `--jobs` of them
//! at a time. Finished runs are skipped, checkpointed ones resumed; a run another process is
//! writing is waited for (until its lock is released), then skipped if that process finished
//! it, else run here. The manifest records each outcome as it comes. Each child gets
//! [`PARENT_PID_VAR`] so that it ends with this process (see [`crate::parent_watch`]).
//!
//! SIGTERM (a Slurm time limit, pre-emption or `scancel`) stops the sweep gracefully: no new
//! run starts, each running child gets the signal too ([`Children`]), saves a checkpoint and
//! exits, and the sweep exits with [`TERMINATED_EXIT_CODE`](crate::interrupt) once they have;
//! the interrupted runs stay `pending` in the manifest, and the next `sweep run` resumes them.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, ensure, Context};
use indicatif::{ProgressBar, ProgressStyle};
use overparam_sweep::files::write_atomically;

use crate::output::remove_if_present;
use overparam_sweep::manifest::{Manifest, Shard};

use super::children::Children;
use super::plan::{plan_sweep, run_dir, run_status, save_plan, with_manifest_lock, Plan};
use crate::backend::{BackendKind, DTypeKind};
use crate::checkpoint::read_checkpoint_record;
use crate::cli::SweepRunArgs;
use crate::config::RunConfig;
use crate::interrupt::{sigterm_received, stop_on_sigterm, Terminated, TERMINATED_EXIT_CODE};
use crate::launcher::Launcher;
use crate::parent_watch::PARENT_PID_VAR;
use crate::run_lock::{lock_run_dir, wait_for_run_dir, RunDirBusy, RunDirLock, BUSY_EXIT_CODE};

/// How one run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Finished now.
    Ok,
    /// Had already finished with this config, backend and dtype.
    AlreadyDone,
    /// Another process was writing it and finished it (ok, with this config, backend and
    /// dtype) while this one waited.
    FinishedElsewhere,
    /// Failed, with the error `train` printed.
    Failed(String),
    /// Stopped by SIGTERM, with the error `train` printed: left for the next `sweep run`.
    Interrupted(String),
    /// Never started because SIGTERM stopped the sweep first: left for the next `sweep run`,
    /// its manifest entry untouched.
    NotStarted,
}

/// Runs `overparam sweep run`.
pub fn run(args: &SweepRunArgs) -> anyhow::Result<()> {
    stop_on_sigterm()?;
    let started = Instant::now();
    let device = (args.device.backend, args.device.dtype);
    let jobs = args.jobs.map(|j| j as usize);
    let selection = Selection {
        shard: args.shard.as_deref().map(Shard::parse).transpose()?,
        index: args.index,
    };
    let outcomes = execute_sweep(&args.spec, &args.out, &selection, jobs, device)?;
    report(&outcomes, &args.out, started.elapsed().as_secs_f64())
}

/// Which runs of the manifest to run: all, a shard, or one index.
#[derive(Clone, Copy, Debug, Default)]
pub struct Selection {
    /// `--shard I/N`.
    pub shard: Option<Shard>,
    /// `--index K`.
    pub index: Option<usize>,
}

/// Plans the sweep `spec` into `out` and runs the selected runs, `jobs` at a time (default:
/// [`available_cores`]) on `device`; returns each run's outcome by manifest index. Failed and
/// interrupted runs are outcomes, not errors (the caller installs the SIGTERM handler).
pub fn execute_sweep(
    spec: &Path,
    out: &Path,
    selection: &Selection,
    jobs: Option<usize>,
    (backend, dtype): (BackendKind, DTypeKind),
) -> anyhow::Result<Vec<(usize, Outcome)>> {
    let plan = plan_sweep(spec, out)?;
    // What a sweep killed while writing the manifest (or results) left behind.
    overparam_sweep::files::remove_stale_temporaries(out)?;
    save_plan(out, &plan)?;
    let count = plan.manifest.entries.len();
    let selected: Vec<usize> = match (selection.shard, selection.index) {
        (_, Some(index)) => {
            ensure!(
                index < count,
                "--index {index}: the manifest has runs 0..{} ({count} runs)",
                count.saturating_sub(1)
            );
            vec![index]
        }
        (Some(shard), None) => (0..count).filter(|&i| shard.contains(i)).collect(),
        (None, None) => (0..count).collect(),
    };
    let cores = available_cores();
    let jobs = jobs.unwrap_or(cores).min(selected.len()).max(1);
    let runner = Runner {
        dir: out,
        plan: &plan,
        backend,
        dtype,
        threads_per_run: (cores / jobs).max(1),
        launcher: Launcher::current()?,
        children: Children::default(),
    };
    runner.run_all(&selected, jobs)
}

/// The cores this process may use: Slurm's `SLURM_CPUS_PER_TASK` inside a job (where, without
/// a CPU-binding task plugin, every core of the node is visible), else every core.
pub fn available_cores() -> usize {
    std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok())
        .filter(|&cores| cores > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Prints the tally; an error when the sweep was stopped by SIGTERM, or when any run failed
/// (after all have run).
fn report(outcomes: &[(usize, Outcome)], dir: &Path, wall_s: f64) -> anyhow::Result<()> {
    let count = |wanted: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| wanted(o)).count();
    let failed = count(|o| matches!(o, Outcome::Failed(_)));
    let interrupted = count(|o| matches!(o, Outcome::Interrupted(_) | Outcome::NotStarted));
    println!(
        "{} runs in {wall_s:.1} s: {} ran ok, {} already done, {} finished elsewhere, {failed} failed, {interrupted} interrupted; manifest {}",
        outcomes.len(),
        count(|o| *o == Outcome::Ok),
        count(|o| *o == Outcome::AlreadyDone),
        count(|o| *o == Outcome::FinishedElsewhere),
        dir.join("manifest.csv").display()
    );
    for (index, outcome) in outcomes {
        match outcome {
            Outcome::Failed(error) => println!("  run {index} failed: {error}"),
            Outcome::Interrupted(reason) => println!("  run {index} interrupted: {reason}"),
            _ => {}
        }
    }
    if sigterm_received() {
        return Err(Terminated(format!(
            "{interrupted} of {} runs left unfinished ({} not started); run the same `sweep \
             run` again to finish them (checkpointed runs resume)",
            outcomes.len(),
            count(|o| *o == Outcome::NotStarted),
        ))
        .into());
    }
    if failed > 0 {
        bail!(
            "{failed} of {} runs failed (their errors are in the manifest's error column and each run's train.log)",
            outcomes.len()
        );
    }
    Ok(())
}

/// What every run of this invocation shares.
struct Runner<'a> {
    dir: &'a Path,
    plan: &'a Plan,
    backend: BackendKind,
    dtype: DTypeKind,
    threads_per_run: usize,
    launcher: Launcher,
    children: Children,
}

impl Runner<'_> {
    /// Runs `selected` (manifest indices) on `jobs` worker threads, with a progress bar.
    fn run_all(&self, selected: &[usize], jobs: usize) -> anyhow::Result<Vec<(usize, Outcome)>> {
        let progress = Progress::new(selected.len());
        let next = AtomicUsize::new(0);
        let outcomes = Mutex::new(Vec::with_capacity(selected.len()));
        std::thread::scope(|scope| -> anyhow::Result<()> {
            let forwarder = scope.spawn(|| self.children.forward_sigterm());
            let workers: Vec<_> = (0..jobs)
                .map(|_| {
                    scope.spawn(|| -> anyhow::Result<()> {
                        while let Some(&index) = selected.get(next.fetch_add(1, Ordering::SeqCst)) {
                            let outcome = if sigterm_received() {
                                Outcome::NotStarted
                            } else {
                                self.run_one(index, &progress)?
                            };
                            self.record(index, &outcome)?;
                            progress.finished(&outcome);
                            outcomes
                                .lock()
                                .map_err(|_| anyhow::anyhow!("a worker panicked"))?
                                .push((index, outcome));
                        }
                        Ok(())
                    })
                })
                .collect();
            let joined: anyhow::Result<()> = workers.into_iter().try_for_each(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("a sweep worker panicked"))?
            });
            self.children.finish();
            forwarder.thread().unpark();
            joined
        })?;
        progress.bar.finish_and_clear();
        let mut outcomes = outcomes
            .into_inner()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))?;
        outcomes.sort_by_key(|(index, _)| *index);
        Ok(outcomes)
    }

    /// Runs manifest entry `index` unless it is done; while another process holds its run
    /// directory, waits for it first and then decides again.
    fn run_one(&self, index: usize, progress: &Progress) -> anyhow::Result<Outcome> {
        let entry = &self.plan.manifest.entries[index];
        let config = &self.plan.configs[index];
        let dir = run_dir(self.dir, &entry.run_id);
        let device = Some((self.backend, self.dtype));
        if run_status(&dir, config, device).0 == "ok" {
            return Ok(Outcome::AlreadyDone);
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut waited = false;
        loop {
            // Decide and prepare under the run's lock, so nothing another process is
            // writing is touched; `train` takes the lock itself once this one drops it.
            let lock = match lock_run_dir(&dir) {
                Ok(lock) => lock,
                Err(error) if error.is::<RunDirBusy>() => {
                    waited = true;
                    match progress.wait_for(index, &dir)? {
                        Some(lock) => lock,
                        None => return Ok(Outcome::NotStarted),
                    }
                }
                Err(error) => return Err(error),
            };
            if run_status(&dir, config, device).0 == "ok" {
                return Ok(if waited {
                    Outcome::FinishedElsewhere
                } else {
                    Outcome::AlreadyDone
                });
            }
            let (mut command, log_path, log) = self.prepare(&dir, config)?;
            drop(lock);
            let mut child = command
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", self.launcher.program.display()))?;
            self.children.started(child.id());
            let status = child.wait();
            self.children.ended(child.id());
            let status =
                status.with_context(|| format!("waiting for the run in {}", dir.display()))?;
            if status.code() == Some(i32::from(BUSY_EXIT_CODE)) {
                // Another process took the lock between this one's release and `train`'s
                // attempt: the next pass waits for it.
                waited = true;
                continue;
            }
            return Ok(outcome_of(status, &log_path));
        }
    }

    /// Writes the run's config.toml and a fresh train.log, and builds its `train` command
    /// (resuming from the checkpoint when there is one of this very run).
    fn prepare(&self, dir: &Path, config: &RunConfig) -> anyhow::Result<(Command, PathBuf, File)> {
        let config_path = dir.join("config.toml");
        let text = toml::to_string(config).context("encoding a run config as TOML")?;
        write_atomically(&config_path, text.as_bytes())?;
        let mut command = self.launcher.command();
        command.arg("train");
        if self.resumable(dir, config) {
            command.arg("--resume").arg(dir);
        } else {
            command
                .arg("--config")
                .arg(&config_path)
                .arg("--out")
                .arg(dir);
        }
        command
            .args([
                "--backend",
                self.backend.name(),
                "--dtype",
                self.dtype.name(),
            ])
            .env("RAYON_NUM_THREADS", self.threads_per_run.to_string())
            .env(PARENT_PID_VAR, std::process::id().to_string());
        let log_path = dir.join("train.log");
        let log = create_fresh(&log_path)?;
        Ok((command, log_path, log))
    }

    /// Whether `dir` holds a checkpoint of this very run to continue from.
    fn resumable(&self, dir: &Path, config: &RunConfig) -> bool {
        read_checkpoint_record(dir).is_ok_and(|record| {
            &record.config == config && record.backend == self.backend && record.dtype == self.dtype
        })
    }

    /// Writes `outcome` into the manifest's status and error for run `index`.
    fn record(&self, index: usize, outcome: &Outcome) -> anyhow::Result<()> {
        let (status, error) = match outcome {
            Outcome::Ok | Outcome::AlreadyDone | Outcome::FinishedElsewhere => {
                ("ok", String::new())
            }
            Outcome::Failed(error) => ("failed", error.clone()),
            // Untouched: the manifest keeps what it said.
            Outcome::NotStarted => return Ok(()),
            Outcome::Interrupted(reason) => ("pending", reason.clone()),
        };
        with_manifest_lock(self.dir, || {
            let mut manifest = Manifest::read(self.dir)?;
            let entry = &mut manifest.entries[index];
            entry.status = status.to_string();
            entry.error = error;
            manifest.write(self.dir)
        })
    }
}

/// The error a failed `train` printed (its last `error: ` line), if any.
fn logged_error(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines()
        .rev()
        .find_map(|line| line.strip_prefix("error: "))
        .map(str::to_string)
}

/// How a `train` child that did not report busy ended: ok, stopped by SIGTERM, or failed
/// with its logged error.
fn outcome_of(status: ExitStatus, log_path: &Path) -> Outcome {
    if status.success() {
        return Outcome::Ok;
    }
    let error = logged_error(log_path).unwrap_or_else(|| format!("train {status}"));
    if status.code() == Some(i32::from(TERMINATED_EXIT_CODE)) {
        Outcome::Interrupted(error)
    } else {
        Outcome::Failed(error)
    }
}

/// Creates `path` as a new, empty file: whatever is there is removed first (a symlink
/// itself, never its target), and the file is opened with `create_new` (`O_EXCL`), which
/// never follows a link.
fn create_fresh(path: &Path) -> anyhow::Result<File> {
    remove_if_present(path)?;
    File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// The progress bar (runs done / total, failures, runs being waited for, an ETA; hidden when
/// stderr is not a terminal) and its counters, shared by the workers.
struct Progress {
    bar: ProgressBar,
    failures: AtomicUsize,
    waiting: AtomicUsize,
}

impl Progress {
    /// A bar for `runs` runs.
    fn new(runs: usize) -> Progress {
        let bar = ProgressBar::new(runs as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {msg} [{elapsed} < {eta}]")
        {
            bar.set_style(style);
        }
        let progress = Progress {
            bar,
            failures: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
        };
        progress.refresh();
        progress
    }

    /// Counts a finished run.
    fn finished(&self, outcome: &Outcome) {
        if matches!(outcome, Outcome::Failed(_)) {
            self.failures.fetch_add(1, Ordering::SeqCst);
        }
        self.refresh();
        self.bar.inc(1);
    }

    /// Blocks until the lock on run `index`'s `dir` is free and returns it held (`None` once
    /// SIGTERM arrives); says so on stderr (one line, for batch logs too) and in the bar's
    /// message meanwhile.
    fn wait_for(&self, index: usize, dir: &Path) -> anyhow::Result<Option<RunDirLock>> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        self.refresh();
        self.bar.suspend(|| {
            eprintln!(
                "run {index} ({}) is held by another process; waiting for it",
                dir.display()
            );
        });
        let lock = wait_for_run_dir(dir, sigterm_received);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        self.refresh();
        lock
    }

    /// Sets the bar's message from the counters.
    fn refresh(&self) {
        let failed = self.failures.load(Ordering::SeqCst);
        self.bar
            .set_message(match self.waiting.load(Ordering::SeqCst) {
                0 => format!("{failed} failed"),
                waiting => format!("{failed} failed, waiting for {waiting} run(s) held elsewhere"),
            });
    }
}
