//! Where a reproduction's sweep specs come from: the ones built into the binary (written to
//! `DIR/specs/NAME/`, so that the sweeps read files and the report points at the very text
//! used), or the directory `--specs` names.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use overparam_papers::{spec_file, spec_name, write_builtin_specs, Part, Reproduction, Scale};
use overparam_sweep::spec::stable_hash;

use crate::cli::ReproduceArgs;

/// The specs directory of a run and where its text came from.
pub(super) struct Specs {
    /// Holds `NAME/<spec>.toml` (or the flat `<spec>.toml`).
    pub(super) dir: PathBuf,
    /// For the report: built in, or `--specs DIR`.
    pub(super) origin: String,
}

/// `--specs`, else the built-in specs of `reproduction` written to `out/specs/`.
pub(super) fn locate(
    args: &ReproduceArgs,
    reproduction: &Reproduction,
    out: &Path,
) -> anyhow::Result<Specs> {
    if let Some(dir) = &args.specs {
        return Ok(Specs {
            dir: dir.clone(),
            origin: format!("specs from `--specs {}`", dir.display()),
        });
    }
    let dir = out.join("specs");
    write_builtin_specs(reproduction, &dir)
        .with_context(|| format!("writing the built-in specs to {}", dir.display()))?;
    Ok(Specs {
        origin: format!(
            "specs built into {} {} (git {}), written to `{}`",
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            env!("OVERPARAM_GIT_DESCRIBE"),
            dir.join(reproduction.name).display()
        ),
        dir,
    })
}

impl Specs {
    /// The spec of `part` at `scale`.
    pub(super) fn part(
        &self,
        reproduction: &Reproduction,
        part: &Part,
        scale: Scale,
    ) -> anyhow::Result<PathBuf> {
        spec_file(&self.dir, reproduction, part, scale).with_context(|| {
            let name = spec_name(part, scale);
            format!(
                "no spec {} ({}: it must hold {}/{name} or {name})",
                self.dir.join(reproduction.name).join(&name).display(),
                self.origin,
                reproduction.name
            )
        })
    }
}

/// `spec `PATH` (text FNV-1a HASH)`: which text a part ran, for the report.
pub(super) fn describe(spec: &Path) -> String {
    let hash = std::fs::read(spec).map_or_else(|_| "unreadable".into(), |b| stable_hash(&b));
    format!("spec `{}` (text hash {hash})", spec.display())
}
