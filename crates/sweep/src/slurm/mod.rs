//! Sweeps on a Slurm cluster: the batch scripts `sweep submit` (and `reproduce --slurm`)
//! write ([`script`]), the options they take ([`options`]), submitting them and asking Slurm
//! how they stand ([`client`]: `sbatch`, `squeue`, `sacct`, `scontrol`), and the record of
//! what was submitted, `DIR/slurm/jobs.json` ([`jobs`]).
//!
//! Nothing here needs a cluster until [`client`] runs a command; every array task is an
//! ordinary `overparam sweep run --shard I/N`, so a task that is cancelled, pre-empted or
//! requeued leaves nothing that the next submission cannot finish.

pub mod client;
pub mod jobs;
pub mod options;
pub mod script;

/// The directory under a sweep (or reproduction) directory that holds the scripts, the
/// record of submissions and the jobs' logs (`logs/`).
pub const SLURM_DIR: &str = "slurm";

/// Array tasks when `--tasks` is not given: one per run, at most this many (Slurm's default
/// `MaxArraySize` is 1001).
pub const DEFAULT_MAX_TASKS: usize = 1000;
