//! The overparam library API: what the `overparam` command line and other programs call to
//! resolve a run configuration and open a backend.

pub mod backend;
pub mod config;

pub use backend::{BackendKind, DTypeKind};
