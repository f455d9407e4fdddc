//! The floating-point precision of a run, as the command line (`--dtype f32|f64`), the configs
//! and `summary.json` name it. Plain data: the runner maps it onto its backend's dtype.

use serde::{Deserialize, Serialize};

/// Floating-point precision of every tensor in the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum DTypeKind {
    /// 32-bit floats.
    F32,
    /// 64-bit floats (for gradient checks and runs to very small losses).
    F64,
}

impl DTypeKind {
    /// Both precisions.
    pub const ALL: [DTypeKind; 2] = [DTypeKind::F32, DTypeKind::F64];

    /// The name `--dtype` takes.
    pub fn name(self) -> &'static str {
        match self {
            DTypeKind::F32 => "f32",
            DTypeKind::F64 => "f64",
        }
    }
}
