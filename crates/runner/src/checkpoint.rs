//! `train`'s checkpoints: `checkpoint-<step>.npz` (θ_t as `w1`, `b1`, …, `a`, and K_0 as
//! `kernel_0` once the NTK has been measured) and `checkpoint.json` (the step, the loop state,
//! how many metrics rows precede the step, the config, backend and dtype).
//!
//! The `.npz` is written first and `checkpoint.json` last, each atomically, and older `.npz`
//! files removed after; so whenever `checkpoint.json` exists, it and the archive it names are
//! whole and agree, whatever moment a run was killed at.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context};
use overparam_model::NamedArray;
use overparam_trainer::{read_npz_arrays, LoopState, StepEngine};
use serde::{Deserialize, Serialize};

use crate::backend::{BackendKind, DTypeKind};
use crate::config::RunConfig;
use crate::output::{remove_if_present, write_json, write_params};

/// The checkpoint's index file in a run directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";

/// The name of K_0 in the checkpoint archive.
const INITIAL_KERNEL: &str = "kernel_0";

/// What `checkpoint.json` records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    /// The step about to be taken (θ has had this many updates).
    pub step: usize,
    /// The archive holding θ_step (and K_0), in the same directory.
    pub archive: String,
    /// The training loop's state besides θ (K_0 is in the archive).
    pub loop_state: LoopState,
    /// Whether the archive holds K_0 (`kernel_0`, `[n, n]`).
    pub has_initial_kernel: bool,
    /// Rows of metrics.csv (after its header) logged before `step`.
    pub metrics_rows: usize,
    /// Wall time spent training before the checkpoint, seconds.
    pub elapsed_s: f64,
    /// The run's config (overrides applied).
    pub config: RunConfig,
    /// Backend the run computes on; resuming elsewhere would not be bit-identical.
    pub backend: BackendKind,
    /// Dtype of the run.
    pub dtype: DTypeKind,
    /// How its GD or SGD steps are computed (checkpoints from before the fused engine:
    /// autodiff; SGD checkpoints from before the fused SGD step say autodiff, and resume so).
    #[serde(default = "autodiff_engine")]
    pub engine: StepEngine,
    /// `--init` parameters the run started from, if any.
    pub init: Option<PathBuf>,
}

fn autodiff_engine() -> StepEngine {
    StepEngine::Autodiff
}

/// Writes a checkpoint of `parameters` and `state` into `dir` (see the module docs).
pub fn save_checkpoint(
    dir: &Path,
    mut record: CheckpointRecord,
    mut parameters: Vec<NamedArray>,
    state: &LoopState,
) -> anyhow::Result<()> {
    let archive = format!("checkpoint-{}.npz", state.step);
    if let Some(kernel) = &state.initial_kernel {
        let n = (kernel.len() as f64).sqrt().round() as usize;
        parameters.push(NamedArray::new(INITIAL_KERNEL, vec![n, n], kernel.clone())?);
    }
    write_params(&dir.join(&archive), &parameters)?;
    record.step = state.step;
    record.has_initial_kernel = state.initial_kernel.is_some();
    record.loop_state = LoopState {
        initial_kernel: None,
        ..state.clone()
    };
    record.archive = archive.clone();
    let json = serde_json::to_value(&record).context("encoding the checkpoint")?;
    write_json(&dir.join(CHECKPOINT_FILE), &json)?;
    for stale in checkpoint_archives(dir)? {
        if stale
            .file_name()
            .is_some_and(|name| name != archive.as_str())
        {
            std::fs::remove_file(&stale)
                .with_context(|| format!("removing the old checkpoint {}", stale.display()))?;
        }
    }
    Ok(())
}

/// Reads `dir/checkpoint.json`.
pub fn read_checkpoint_record(dir: &Path) -> anyhow::Result<CheckpointRecord> {
    let path = dir.join(CHECKPOINT_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} (is {} the output directory of a run with train.checkpoint_every > 0?)",
            path.display(),
            dir.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The parameters `names` (θ_step) and the loop state (K_0 restored) of the checkpoint
/// `record` in `dir`.
pub fn read_checkpoint_state(
    dir: &Path,
    record: &CheckpointRecord,
    names: &[String],
) -> anyhow::Result<(Vec<NamedArray>, LoopState)> {
    let archive = dir.join(&record.archive);
    let mut wanted: Vec<&str> = names.iter().map(String::as_str).collect();
    if record.has_initial_kernel {
        wanted.push(INITIAL_KERNEL);
    }
    let mut arrays = read_npz_arrays(&archive, &wanted)?;
    let initial_kernel = if record.has_initial_kernel {
        let kernel = arrays.pop().context("the archive's kernel_0")?;
        ensure!(
            kernel.shape.len() == 2 && kernel.shape[0] == kernel.shape[1],
            "{}: kernel_0 is not square ({:?})",
            archive.display(),
            kernel.shape
        );
        Some(kernel.values)
    } else {
        None
    };
    let state = LoopState {
        initial_kernel,
        ..record.loop_state.clone()
    };
    Ok((arrays, state))
}

/// Removes the checkpoint of a run that finished (it is no longer needed to continue it).
pub fn remove_checkpoint(dir: &Path) -> anyhow::Result<()> {
    let index = dir.join(CHECKPOINT_FILE);
    let mut files = checkpoint_archives(dir)?;
    files.insert(0, index);
    files.iter().try_for_each(|path| remove_if_present(path))
}

/// The `checkpoint-*.npz` files in `dir`.
fn checkpoint_archives(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    let mut archives = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.starts_with("checkpoint-") && n.ends_with(".npz")) {
            archives.push(path);
        }
    }
    Ok(archives)
}
