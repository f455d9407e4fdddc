//! `overparam sweep submit`: the sweep as a Slurm array job. Task I of N runs
//! `overparam sweep run SPEC --out DIR --shard I/N --jobs J` (`DIR/slurm/sweep.sbatch`); a job
//! after every task (`afterany`) merges the results and runs the spec's analyses
//! (`DIR/slurm/merge.sbatch`). The sweep is planned here first, so a bad spec fails before
//! anything is queued; only the tasks whose shard has unfinished runs are submitted, so
//! submitting again after a time-out, a pre-emption or a `scancel` redoes only what is
//! missing (interrupted runs resume from their checkpoints). Job ids go to
//! `DIR/slurm/jobs.json`, the jobs' output to `DIR/slurm/logs/`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use overparam_sweep::files::write_atomically;
use overparam_sweep::slurm::client::{job_states, require_sbatch, sbatch};
use overparam_sweep::slurm::jobs::{JobRole, JobsRecord, Submission, SubmittedJob};
use overparam_sweep::slurm::options::SlurmOptions;
use overparam_sweep::slurm::script::{array_list, common_directives, shell_line, BatchScript};
use overparam_sweep::slurm::SLURM_DIR;
use overparam_sweep::spec::SweepSpec;

use super::plan::{plan_sweep, run_dir, run_status, save_plan};
use crate::backend::{BackendKind, DTypeKind};
use crate::cli::SweepSubmitArgs;
use crate::launcher::Launcher;

/// Runs `overparam sweep submit`.
pub fn run(args: &SweepSubmitArgs) -> anyhow::Result<()> {
    let options = &args.slurm;
    options.check()?;
    if !options.dry_run {
        require_sbatch()?;
    }
    let device = (args.device.backend, args.device.dtype);
    let spec = absolute(&args.spec)?;
    let out = absolute(&args.out)?;
    let name = job_name(&spec);
    let array = prepare_array(&spec, &out, device, options, &name)?;
    let merge = write_merge_script(&spec, &out, options, &name)?;
    println!(
        "{} runs ({} unfinished) in {} tasks; scripts {} and {}",
        array.runs,
        array.missing_runs,
        array.task_count,
        array.script.display(),
        merge.display()
    );
    if options.dry_run {
        print_dry_run(&array, &merge);
        return Ok(());
    }
    let slurm_dir = out.join(SLURM_DIR);
    warn_of_active_jobs(&slurm_dir);
    let mut jobs = Vec::new();
    if let Some(job) = submit_array(&array, None)? {
        println!(
            "array job {}: tasks {} of 0-{} (logs in {})",
            job.id,
            array_list(&job.tasks),
            array.task_count - 1,
            slurm_dir.join("logs").display()
        );
        jobs.push(job);
    } else {
        println!("every run is finished: no tasks to submit");
    }
    let merge_job = submit_after(&merge, JobRole::Merge, &jobs, &slurm_dir);
    if let Ok(job) = &merge_job {
        println!("merge job {} (after the array job)", job.id);
        jobs.push(job.clone());
    }
    record(&slurm_dir, &array, jobs)?;
    merge_job?;
    println!("follow it with `overparam sweep status {}`", out.display());
    Ok(())
}

/// A sweep planned for Slurm: its array script and which tasks have work left.
pub struct ArrayPlan {
    /// `DIR/slurm/sweep.sbatch`.
    pub script: PathBuf,
    /// N: the runs are cut into shards 0..N.
    pub task_count: usize,
    /// The shards with unfinished runs, ascending.
    pub missing_tasks: Vec<usize>,
    /// Runs in the sweep.
    pub runs: usize,
    /// Runs not finished (with this backend and dtype).
    pub missing_runs: usize,
}

/// Plans the sweep `spec` into `out` (both absolute), finds the shards with unfinished runs
/// and writes `out/slurm/sweep.sbatch`, an array job named `name` whose task I runs
/// `sweep run --shard I/N` on `device`.
pub fn prepare_array(
    spec: &Path,
    out: &Path,
    (backend, dtype): (BackendKind, DTypeKind),
    options: &SlurmOptions,
    name: &str,
) -> anyhow::Result<ArrayPlan> {
    let plan = plan_sweep(spec, out)?;
    save_plan(out, &plan)?;
    let runs = plan.manifest.entries.len();
    let task_count = options.task_count(runs)?;
    let unfinished: Vec<usize> = plan
        .manifest
        .entries
        .iter()
        .zip(&plan.configs)
        .enumerate()
        .filter(|(_, (entry, config))| {
            let dir = run_dir(out, &entry.run_id);
            run_status(&dir, config, Some((backend, dtype))).0 != "ok"
        })
        .map(|(index, _)| index)
        .collect();
    let mut missing_tasks: Vec<usize> = unfinished.iter().map(|i| i % task_count).collect();
    missing_tasks.sort_unstable();
    missing_tasks.dedup();
    let slurm_dir = out.join(SLURM_DIR);
    let logs = slurm_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let launcher = Launcher::current()?;
    let mut directives = vec![format!("--array=0-{}", task_count - 1)];
    directives.extend(common_directives(options, name, &logs, "sweep-%A_%a.out")?);
    // A pre-empted task goes back in the queue and finishes what it was doing.
    directives.push("--requeue".to_string());
    let mut before_shard = launcher.words();
    before_shard.extend(["sweep", "run"].into_iter().map(String::from).chain([
        path_text(spec),
        "--out".into(),
        path_text(out),
    ]));
    let after_shard = [
        "--jobs".to_string(),
        options.jobs_per_task.to_string(),
        "--backend".into(),
        backend.name().into(),
        "--dtype".into(),
        dtype.name().into(),
    ];
    // N is written out rather than taken from $SLURM_ARRAY_TASK_COUNT, which counts the
    // tasks submitted: a resubmission of some tasks (--array=1,3) keeps the same shards.
    let command = format!(
        "{} --shard \"${{SLURM_ARRAY_TASK_ID}}/{task_count}\" {}",
        shell_line(&before_shard),
        shell_line(&after_shard)
    );
    let script = BatchScript {
        comments: vec![
            format!(
                "Written by `overparam sweep submit` for {}.",
                spec.display()
            ),
            format!(
                "Task I of {task_count} runs the runs with manifest index ≡ I (mod {task_count}); \
                 finished runs are skipped and checkpointed ones resumed, so any task can be \
                 submitted again (sbatch --array=I {}).",
                slurm_dir.join("sweep.sbatch").display()
            ),
        ],
        directives,
        environment: launcher.environment(),
        setup: options.setup.clone(),
        commands: vec![command],
        exec_last: true,
    };
    let path = slurm_dir.join("sweep.sbatch");
    write_atomically(&path, script.text().as_bytes())?;
    Ok(ArrayPlan {
        script: path,
        task_count,
        missing_tasks,
        runs,
        missing_runs: unfinished.len(),
    })
}

impl ArrayPlan {
    /// The `--array` list of the unfinished tasks: `None` when they are all the tasks (the
    /// script's own `--array` then stands).
    fn array_override(&self) -> Option<String> {
        (self.missing_tasks.len() != self.task_count).then(|| array_list(&self.missing_tasks))
    }

    /// The `sbatch` command [`submit_array`] runs (`None` when no task has unfinished runs).
    pub fn sbatch_line(&self) -> Option<String> {
        if self.missing_tasks.is_empty() {
            return None;
        }
        let array = self
            .array_override()
            .map_or_else(String::new, |list| format!("--array={list} "));
        Some(format!(
            "sbatch --parsable {array}{}",
            self.script.display()
        ))
    }
}

/// Submits the tasks of `array` that have unfinished runs (`None` when none has); `part` names
/// a reproduction's part.
pub fn submit_array(array: &ArrayPlan, part: Option<&str>) -> anyhow::Result<Option<SubmittedJob>> {
    if array.missing_tasks.is_empty() {
        return Ok(None);
    }
    let id = sbatch(&array.script, array.array_override().as_deref(), &[])?;
    Ok(Some(SubmittedJob {
        role: JobRole::Runs,
        id,
        part: part.map(str::to_string),
        script: array.script.clone(),
        tasks: array.missing_tasks.clone(),
        task_count: Some(array.task_count),
        after: Vec::new(),
    }))
}

/// Submits `script` as the `role` job after every job of `before` has ended (`afterany`); on
/// failure the error says how to submit it by hand (`before` is recorded in
/// `slurm_dir/jobs.json` by the caller either way).
pub fn submit_after(
    script: &Path,
    role: JobRole,
    before: &[SubmittedJob],
    slurm_dir: &Path,
) -> anyhow::Result<SubmittedJob> {
    let after: Vec<String> = before.iter().map(|job| job.id.clone()).collect();
    let dependency = if after.is_empty() {
        String::new()
    } else {
        format!("--dependency=afterany:{} ", after.join(":"))
    };
    let id = sbatch(script, None, &after).with_context(|| {
        format!(
            "the jobs before it are submitted ({}), the {} job is not: submit it by hand \
             with `sbatch {dependency}{}`",
            JobsRecord::path(slurm_dir).display(),
            role.name(),
            script.display()
        )
    })?;
    Ok(SubmittedJob {
        role,
        id,
        part: None,
        script: script.to_path_buf(),
        tasks: Vec::new(),
        task_count: None,
        after,
    })
}

/// Writes `out/slurm/merge.sbatch`: `sweep merge` and the analyses `spec` names.
fn write_merge_script(
    spec: &Path,
    out: &Path,
    options: &SlurmOptions,
    name: &str,
) -> anyhow::Result<PathBuf> {
    let analyses = SweepSpec::load(spec)?.analyses;
    let launcher = Launcher::current()?;
    let slurm_dir = out.join(SLURM_DIR);
    let merge_options = SlurmOptions {
        cpus_per_task: Some(1),
        ..options.clone()
    };
    let mut commands = vec![overparam_line(&launcher, &["sweep", "merge"], out)];
    commands.extend(
        analyses
            .iter()
            .map(|analysis| overparam_line(&launcher, analysis.command(), out)),
    );
    let script = BatchScript {
        comments: vec![
            format!(
                "Written by `overparam sweep submit` for {}.",
                spec.display()
            ),
            "Submitted after the array job (sbatch --dependency=afterany:<array job id>): \
             merges the runs into results.csv and runs the spec's analyses."
                .to_string(),
        ],
        directives: common_directives(
            &merge_options,
            &format!("{name}-merge"),
            &slurm_dir.join("logs"),
            "merge-%j.out",
        )?,
        environment: launcher.environment(),
        setup: options.setup.clone(),
        commands,
        exec_last: false,
    };
    let path = slurm_dir.join("merge.sbatch");
    write_atomically(&path, script.text().as_bytes())?;
    Ok(path)
}

/// Adds this submission to `slurm_dir/jobs.json`.
fn record(slurm_dir: &Path, array: &ArrayPlan, jobs: Vec<SubmittedJob>) -> anyhow::Result<()> {
    JobsRecord::append(
        slurm_dir,
        Submission {
            submitted_unix_s: unix_now(),
            runs: array.runs,
            missing_runs: array.missing_runs,
            jobs,
        },
    )
}

/// What `--dry-run` would have submitted.
fn print_dry_run(array: &ArrayPlan, merge: &Path) {
    println!("--dry-run: nothing submitted; it would run:");
    let Some(line) = array.sbatch_line() else {
        println!("  (no tasks: every run is finished)");
        println!("  sbatch --parsable {}", merge.display());
        return;
    };
    println!("  {line}");
    println!(
        "  sbatch --parsable --dependency=afterany:<array job id> {}",
        merge.display()
    );
}

/// Says so when jobs of the latest submission recorded in `slurm_dir` are still queued or
/// running: the new tasks wait for the runs those hold (nothing is run twice).
pub fn warn_of_active_jobs(slurm_dir: &Path) {
    let Ok(record) = JobsRecord::read(slurm_dir) else {
        return;
    };
    let Some(latest) = record.submissions.last() else {
        return;
    };
    for job in &latest.jobs {
        if let Ok(states) = job_states(&job.id) {
            let active: Vec<String> = states
                .iter()
                .filter(|s| is_active(&s.state))
                .map(|s| format!("{} {}", s.job, s.state))
                .collect();
            if !active.is_empty() {
                eprintln!(
                    "note: job {} of an earlier submission is still in the queue ({}); runs it \
                     holds are waited for, not run twice",
                    job.id,
                    active.join(", ")
                );
            }
        }
    }
}

/// Whether a Slurm state means queued or running.
pub fn is_active(state: &str) -> bool {
    matches!(
        state,
        "PENDING"
            | "RUNNING"
            | "REQUEUED"
            | "CONFIGURING"
            | "COMPLETING"
            | "SUSPENDED"
            | "RESIZING"
    )
}

/// `overparam ARGS DIR` as a shell line.
pub fn overparam_line(launcher: &Launcher, args: &[&str], dir: &Path) -> String {
    let mut words = launcher.words();
    words.extend(args.iter().map(|arg| arg.to_string()));
    words.push(path_text(dir));
    shell_line(&words)
}

/// `path` as text for a script.
pub fn path_text(path: &Path) -> String {
    path.display().to_string()
}

/// `path` made absolute (the jobs start elsewhere), without resolving links.
pub fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("making {} absolute", path.display()))
}

/// The job name: `overparam-<spec stem>`.
pub fn job_name(spec: &Path) -> String {
    let stem = spec
        .file_stem()
        .map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("overparam-{stem}")
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
