//! Sweeps over `overparam train` runs, with no Burn in sight: the sweep spec and its
//! expansion into runs, the manifest, the merged results table, the critical-width analysis
//! and the plots. The runner crate applies the expanded values to its run config and runs them.

pub mod critical_width;
pub mod files;
pub mod manifest;
pub mod plot;
pub mod report;
pub mod reproduce;
pub mod results;
pub mod small_file;
pub mod spec;
