//! Whether a run that missed the target had stalled or was still descending when its step
//! budget ran out: "not reached" should mean stalled, not unfinished.

use std::path::Path;

use overparam_analysis::plot::data::Sweep;
use overparam_analysis::report::TextTable;
use overparam_sweep::columns::{DATA_N, LOSS, STEPS_TO_TARGET};

use crate::{late_loss_ratio, STALL_RATIO};

/// The runs of one n that missed the target, by how they ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unfinished {
    /// n.
    pub n: usize,
    /// Runs of this n that did not reach the target.
    pub missed: usize,
    /// Of those, the ones whose loss still fell by more than 1 − [`STALL_RATIO`] over the last
    /// 20% of the budget (or whose curve was too short to tell).
    pub descending: usize,
}

impl Unfinished {
    /// The missed runs that had stalled.
    pub fn stalled(&self) -> usize {
        self.missed - self.descending
    }
}

/// Per n, in ascending order: the successful runs of the sweep in `dir` that missed the
/// target, and how many of those were still descending at the end of their budget.
pub fn unfinished_by_n(dir: &Path) -> anyhow::Result<Vec<Unfinished>> {
    let sweep = Sweep::read(dir)?;
    let mut groups: Vec<Unfinished> = Vec::new();
    for run in &sweep.runs {
        let Some(n) = run.number(DATA_N) else {
            anyhow::bail!("{}: run {} has no data.n", dir.display(), run.id);
        };
        let n = n as usize;
        let index = match groups.iter().position(|g| g.n == n) {
            Some(index) => index,
            None => {
                groups.push(Unfinished {
                    n,
                    ..Unfinished::default()
                });
                groups.len() - 1
            }
        };
        if run.number(STEPS_TO_TARGET).is_some() {
            continue;
        }
        let group = &mut groups[index];
        group.missed += 1;
        if late_loss_ratio(&run.curve(LOSS)?).is_none_or(|ratio| ratio < STALL_RATIO) {
            group.descending += 1;
        }
    }
    groups.sort_by_key(|g| g.n);
    Ok(groups)
}

/// (missed, still descending) over every n.
pub fn totals(groups: &[Unfinished]) -> (usize, usize) {
    groups.iter().fold((0, 0), |(missed, descending), g| {
        (missed + g.missed, descending + g.descending)
    })
}

/// Per n: runs that missed the target, stalled, still descending.
pub fn unfinished_table(groups: &[Unfinished]) -> TextTable {
    TextTable {
        columns: [
            "n",
            "runs that missed the target",
            "stalled",
            "still descending at the end of the budget",
        ]
        .map(String::from)
        .to_vec(),
        rows: groups
            .iter()
            .map(|g| {
                vec![
                    g.n.to_string(),
                    g.missed.to_string(),
                    g.stalled().to_string(),
                    g.descending.to_string(),
                ]
            })
            .collect(),
    }
}
