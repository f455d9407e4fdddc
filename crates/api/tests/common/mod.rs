//! What the API's tests share: the quickstart config shrunk to a tiny problem, on flex in f64
//! (a process configures each backend's dtype once, so every test here uses f64).
#![allow(dead_code)]

#[path = "../../../trainer/tests/common/numerics.rs"]
pub mod numerics;

use std::path::PathBuf;

use overparam_api::{BackendKind, Compute, DTypeKind, Experiment};

/// `configs/quickstart.toml` of the repository.
pub fn quickstart() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../configs/quickstart.toml"
    ))
}

/// The quickstart at width 16, n = 12, d = 3, 30 steps logged every 10, with `extra`
/// overrides after those.
pub fn tiny(extra: &[&str]) -> Experiment {
    let mut overrides: Vec<String> = [
        "model.width=16",
        "data.n=12",
        "data.d=3",
        "train.steps=30",
        "train.log_every=10",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    overrides.extend(extra.iter().map(|s| s.to_string()));
    Experiment::load(&quickstart(), &overrides).unwrap()
}

/// flex in f64.
pub const FLEX_F64: Compute = Compute {
    backend: BackendKind::Flex,
    dtype: DTypeKind::F64,
};
