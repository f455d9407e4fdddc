//! Sweeps over `overparam train` runs, with no Burn in sight: the sweep spec and its
//! expansion into runs, the manifest, the merged results table, the column names of the files
//! runs write, the dtype a run computes in, the bounded reader of small text files, the one
//! atomic file writer, and the Slurm side of sweeps (batch scripts, submission, job states). The runner crate applies the expanded values to its run config and runs
//! them; `overparam-analysis` and `overparam-papers` read what they write.

pub mod columns;
pub mod dtype;
pub mod files;
pub mod manifest;
pub mod results;
pub mod slurm;
pub mod small_file;
pub mod spec;
