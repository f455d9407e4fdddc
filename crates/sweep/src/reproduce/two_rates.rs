//! Placeholder: being written.

use super::{Findings, Parts};

/// Analyses the reproduction.
pub fn analyse(_parts: &Parts) -> anyhow::Result<Findings> {
    anyhow::bail!("not written yet")
}
