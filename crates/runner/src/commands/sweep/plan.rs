//! `overparam sweep plan`: the spec's runs as resolved configs, checked, hashed into run ids
//! and listed in `DIR/manifest.csv` with each run's status on disk.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use overparam_sweep::manifest::{Manifest, ManifestEntry};
use overparam_sweep::spec::{override_text, stable_hash, value_text, SweepSpec};
use serde_json::Value;

use crate::backend::{BackendKind, DTypeKind};
use crate::cli::SweepPlanArgs;
use crate::config::RunConfig;
use crate::run_lock::open_lock_file;

/// The runs of a sweep: the manifest and, by index, each run's config.
pub struct Plan {
    /// What `manifest.csv` holds.
    pub manifest: Manifest,
    /// The resolved config of each run, by manifest index.
    pub configs: Vec<RunConfig>,
}

/// Runs `overparam sweep plan`.
pub fn run(args: &SweepPlanArgs) -> anyhow::Result<()> {
    let plan = plan_sweep(&args.spec, &args.out)?;
    save_plan(&args.out, &plan)?;
    let done = plan
        .manifest
        .entries
        .iter()
        .filter(|e| e.status == "ok")
        .count();
    println!(
        "{} runs ({} already finished) in {}",
        plan.manifest.entries.len(),
        done,
        args.out.join("manifest.csv").display()
    );
    Ok(())
}

/// Expands the spec at `spec_path` into runs, each config checked (errors name the run and
/// key), with statuses read from `dir/runs/`.
pub fn plan_sweep(spec_path: &Path, dir: &Path) -> anyhow::Result<Plan> {
    let spec = SweepSpec::load(spec_path)?;
    let mut base = RunConfig::load(&spec.base, &[]).with_context(|| {
        format!(
            "the base config {} of sweep spec {}",
            spec.base.display(),
            spec_path.display()
        )
    })?;
    // Each run's config.toml lives elsewhere: a data file must not depend on the directory.
    for (key, path) in [
        ("data.path", &mut base.data.path),
        ("data.test_path", &mut base.data.test_path),
    ] {
        if let Some(path) = path.as_mut() {
            *path = std::path::absolute(&*path)
                .with_context(|| format!("locating {key} {}", path.display()))?;
        }
    }
    let mut entries: Vec<ManifestEntry> = Vec::new();
    let mut configs: Vec<RunConfig> = Vec::new();
    for (index, point) in spec.expand().into_iter().enumerate() {
        let values: Vec<String> = point.iter().map(|(_, v)| value_text(v)).collect();
        let describe = || {
            let swept: Vec<String> = point
                .iter()
                .map(|(k, v)| format!("{k} = {}", value_text(v)))
                .collect();
            format!(
                "sweep spec {}, run {index} ({})",
                spec_path.display(),
                swept.join(", ")
            )
        };
        let mut config = base.clone();
        for assignment in &point {
            config = config
                .with_override(&override_text(assignment))
                .with_context(describe)?;
        }
        config.resolve().with_context(describe)?;
        anyhow::ensure!(
            config.train.seeds == 1,
            "{}: train.seeds = {} trains several seeds in one `overparam train`; a sweep runs one \
             seed per run: sweep over `seed` instead (e.g. [grid] seed = [0, 1, 2])",
            describe(),
            config.train.seeds
        );
        let run_id = run_id(&config)?;
        if let Some(twin) = entries.iter().find(|e| e.run_id == run_id) {
            bail!(
                "{}: resolves to the same config as run {}; every run must differ",
                describe(),
                twin.index
            );
        }
        let (status, error) = run_status(&run_dir(dir, &run_id), &config, None);
        entries.push(ManifestEntry {
            index,
            run_id,
            values,
            status,
            error,
        });
        configs.push(config);
    }
    let manifest = Manifest {
        keys: spec.keys.clone(),
        entries,
    };
    Ok(Plan { manifest, configs })
}

/// Writes `plan`'s manifest into `dir` (created if needed), refusing to replace the
/// manifest of a different sweep.
pub fn save_plan(dir: &Path, plan: &Plan) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    with_manifest_lock(dir, || {
        if dir.join("manifest.csv").exists() {
            let existing = Manifest::read(dir)?;
            if !existing.same_plan(&plan.manifest) {
                bail!(
                    "{} holds another sweep's manifest ({} runs over {}); use another --out \
                     or remove it",
                    dir.join("manifest.csv").display(),
                    existing.entries.len(),
                    existing.keys.join(", ")
                );
            }
        }
        plan.manifest.write(dir)
    })
}

/// Runs `body` holding the exclusive lock `dir/manifest.lock` (waits for other shards).
pub fn with_manifest_lock<T>(
    dir: &Path,
    body: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let path = dir.join("manifest.lock");
    let file = open_lock_file(&path)?;
    file.lock()
        .with_context(|| format!("locking {}", path.display()))?;
    body()
}

/// A run's id: the stable hash of its resolved config as JSON.
pub fn run_id(config: &RunConfig) -> anyhow::Result<String> {
    let json = serde_json::to_vec(config).context("encoding a run config")?;
    Ok(stable_hash(&json))
}

/// `dir/runs/<run_id>`.
pub fn run_dir(dir: &Path, run_id: &str) -> PathBuf {
    dir.join("runs").join(run_id)
}

/// (status, error) of the run in `run_dir` for `config`: `ok` or `failed` as its
/// summary.json records for this very config (and, when given, backend and dtype), else
/// `pending`.
pub fn run_status(
    run_dir: &Path,
    config: &RunConfig,
    device: Option<(BackendKind, DTypeKind)>,
) -> (String, String) {
    let pending = ("pending".to_string(), String::new());
    let Ok(text) = std::fs::read_to_string(run_dir.join("summary.json")) else {
        return pending;
    };
    let Ok(summary) = serde_json::from_str::<Value>(&text) else {
        return pending;
    };
    let same_config = serde_json::from_value::<RunConfig>(summary["config"].clone())
        .is_ok_and(|recorded| &recorded == config);
    let same_device = device.is_none_or(|(backend, dtype)| {
        summary["backend"] == backend.name() && summary["dtype"] == dtype.name()
    });
    match summary["status"].as_str() {
        Some(status @ ("ok" | "failed")) if same_config && same_device => (
            status.to_string(),
            summary["error"].as_str().unwrap_or_default().to_string(),
        ),
        _ => pending,
    }
}
