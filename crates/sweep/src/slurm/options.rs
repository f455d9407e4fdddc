//! What a submission asks Slurm for: how the runs are cut into array tasks and what each
//! task (and the job after them) requests.

/// The resources and shape of a submission (`sweep submit`, `reproduce --slurm`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct SlurmOptions {
    /// Array tasks N: task I runs the runs with index ≡ I (mod N); at most one per run.
    /// Default: one per run, at most 1000.
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub tasks: Option<usize>,
    /// Runs at once within one task (its `sweep run --jobs`).
    #[cfg_attr(feature = "clap", arg(long, value_name = "J", default_value_t = 1))]
    pub jobs_per_task: usize,
    /// Time limit of each job (sbatch --time: HH:MM:SS, D-HH:MM, …). Default: the partition's.
    #[cfg_attr(feature = "clap", arg(long, value_name = "HH:MM:SS"))]
    pub time: Option<String>,
    /// CPUs of each job (sbatch --cpus-per-task); each run gets CPUs / J threads. Default: J.
    #[cfg_attr(feature = "clap", arg(long, value_name = "C"))]
    pub cpus_per_task: Option<usize>,
    /// Memory of each job (sbatch --mem, e.g. 4G). Default: the partition's.
    #[cfg_attr(feature = "clap", arg(long, value_name = "M"))]
    pub mem: Option<String>,
    /// Partition (sbatch --partition).
    #[cfg_attr(feature = "clap", arg(long, value_name = "P"))]
    pub partition: Option<String>,
    /// Account to charge (sbatch --account).
    #[cfg_attr(feature = "clap", arg(long, value_name = "A"))]
    pub account: Option<String>,
    /// Any other sbatch option, written as an #SBATCH line of every script (repeatable, e.g.
    /// --sbatch-arg=--qos=long).
    #[cfg_attr(
        feature = "clap",
        arg(long = "sbatch-arg", value_name = "ARG", allow_hyphen_values = true)
    )]
    pub sbatch_args: Vec<String>,
    /// A shell line every job runs before overparam (repeatable, e.g. --setup 'module load
    /// gcc'); a failing line stops the job.
    #[cfg_attr(feature = "clap", arg(long, value_name = "LINE"))]
    pub setup: Vec<String>,
    /// Write the scripts (and plan the sweep) without submitting anything.
    #[cfg_attr(feature = "clap", arg(long))]
    pub dry_run: bool,
}

impl Default for SlurmOptions {
    /// What the command line gives without any of these flags.
    fn default() -> Self {
        SlurmOptions {
            tasks: None,
            jobs_per_task: 1,
            time: None,
            cpus_per_task: None,
            mem: None,
            partition: None,
            account: None,
            sbatch_args: Vec::new(),
            setup: Vec::new(),
            dry_run: false,
        }
    }
}

impl SlurmOptions {
    /// CPUs per job: `--cpus-per-task`, else one per concurrent run.
    pub fn cpus(&self) -> usize {
        self.cpus_per_task.unwrap_or(self.jobs_per_task).max(1)
    }

    /// Checks the numbers and that every value fits on its `#SBATCH` line; errors name the
    /// flag.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.jobs_per_task >= 1,
            "--jobs-per-task must be at least 1"
        );
        anyhow::ensure!(
            self.cpus_per_task != Some(0),
            "--cpus-per-task must be at least 1"
        );
        anyhow::ensure!(self.tasks != Some(0), "--tasks must be at least 1");
        let values = [
            ("--time", &self.time),
            ("--mem", &self.mem),
            ("--partition", &self.partition),
            ("--account", &self.account),
        ];
        for (flag, value) in values {
            if let Some(value) = value {
                anyhow::ensure!(
                    !value.is_empty() && !value.chars().any(char::is_whitespace),
                    "{flag} `{value}`: an #SBATCH value must be one word"
                );
            }
        }
        for arg in &self.sbatch_args {
            anyhow::ensure!(
                arg.starts_with('-') && !arg.contains(['\n', '\r']),
                "--sbatch-arg `{arg}`: give one sbatch option per flag, e.g. \
                 --sbatch-arg=--qos=long"
            );
        }
        Ok(())
    }

    /// The number of array tasks for `runs` runs: `--tasks` (at most one per run), else one
    /// per run (at most [`DEFAULT_MAX_TASKS`](super::DEFAULT_MAX_TASKS)).
    pub fn task_count(&self, runs: usize) -> anyhow::Result<usize> {
        anyhow::ensure!(runs > 0, "the sweep has no runs");
        Ok(self.tasks.unwrap_or(super::DEFAULT_MAX_TASKS).min(runs))
    }
}
