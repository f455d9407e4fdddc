//! What an analysis is handed and returns: the scale, the reproduction's parts (each an
//! ordinary sweep directory: `manifest.csv`, `results.csv`, `runs/<id>/…`, `plots/`, under
//! the reproduction's directory) and the findings.

use std::path::{Path, PathBuf};

use anyhow::Context;

use overparam_analysis::report::{ClaimVerdict, Figure, Section};
use overparam_sweep::results::Table;

/// How big an experiment: `small` for CI (< 90 s on 2 cores), `full` for the real one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// A few runs, to check the pipeline end to end.
    Small,
    /// The experiment itself (< ~30 min on 2 cores).
    Full,
}

impl Scale {
    /// `small` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Full => "full",
        }
    }
}

/// The reproduction's directory and its parts' sweep directories, each merged.
#[derive(Clone, Debug)]
pub struct Parts {
    /// The reproduction's directory (`--out`): the report goes here.
    pub dir: PathBuf,
    /// (part name, sweep directory) in the order the reproduction lists them.
    pub parts: Vec<(String, PathBuf)>,
    /// The scale it was run at.
    pub scale: Scale,
}

impl Parts {
    /// The sweep directory of part `name`.
    pub fn part(&self, name: &str) -> anyhow::Result<&Path> {
        self.parts
            .iter()
            .find(|(part, _)| part == name)
            .map(|(_, dir)| dir.as_path())
            .with_context(|| format!("the reproduction has no part `{name}`"))
    }

    /// The merged `results.csv` of part `name`.
    pub fn results(&self, name: &str) -> anyhow::Result<Table> {
        Table::read(&self.part(name)?.join("results.csv"))
    }

    /// A figure of part `name` drawn by the plot module (`<part>/plots/<stem>`), relative
    /// to the report, if its SVG exists.
    pub fn figure(&self, name: &str, stem: &str, caption: &str) -> Option<Figure> {
        let dir = self.part(name).ok()?;
        let relative = dir
            .strip_prefix(&self.dir)
            .unwrap_or(dir)
            .join("plots")
            .join(stem);
        self.dir
            .join(&relative)
            .with_extension("svg")
            .is_file()
            .then(|| Figure {
                stem: relative,
                caption: caption.to_string(),
            })
    }
}

/// What an analysis finds: the verdicts and the report's sections.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Findings {
    /// One per claim.
    pub verdicts: Vec<ClaimVerdict>,
    /// Tables, figures and text supporting them.
    pub sections: Vec<Section>,
}

/// An analysis of a reproduction's parts.
pub type Analysis = fn(&Parts) -> anyhow::Result<Findings>;
