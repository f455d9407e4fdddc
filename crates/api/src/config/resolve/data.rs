//! `[data]` resolved: where the inputs and labels come from.

use std::path::PathBuf;

use anyhow::{ensure, Context};
use overparam_model::Activation;
use overparam_trainer::data::{DataSpec, InputLaw, InputSource, LabelSource, RandomLabels};

use crate::config::{DataSection, InputsKey, LabelsKey, RandomLabelsKey};

impl DataSection {
    /// The data to make or read: the inputs' source, then the labels' (teacher labels take
    /// `activation`; `seed` is the run's).
    pub(super) fn spec(&self, activation: Activation, seed: u64) -> anyhow::Result<DataSpec> {
        let inputs = self.inputs()?;
        let labels = self.labels(activation)?;
        Ok(DataSpec {
            num_samples: self.n,
            input_dim: self.d,
            inputs,
            labels,
            seed,
        })
    }

    /// `data.inputs` as a source.
    fn inputs(&self) -> anyhow::Result<InputSource> {
        Ok(match self.inputs {
            InputsKey::Gaussian => InputSource::Generated(InputLaw::Gaussian),
            InputsKey::Sphere => InputSource::Generated(InputLaw::Sphere),
            InputsKey::File => InputSource::File(self.file()?),
        })
    }

    /// `data.labels` as a source.
    fn labels(&self, activation: Activation) -> anyhow::Result<LabelSource> {
        Ok(match self.labels {
            LabelsKey::Teacher => LabelSource::Teacher {
                width: self.teacher_width()?,
                orthonormal: self.teacher_orthonormal,
                seed: self.teacher_seed,
                activation,
            },
            LabelsKey::Random => LabelSource::Random(match self.random_labels {
                RandomLabelsKey::Gaussian => RandomLabels::Gaussian,
                RandomLabelsKey::Sign => RandomLabels::Sign,
            }),
            LabelsKey::PlantedQuadratic => LabelSource::PlantedQuadratic {
                width: self.teacher_width()?,
                orthonormal: self.teacher_orthonormal,
                seed: self.teacher_seed,
            },
            LabelsKey::File => {
                ensure!(self.inputs == InputsKey::File, "data.labels = \"file\" needs data.inputs = \"file\" (x and y come from the same .npz)");
                LabelSource::File(self.file()?)
            }
        })
    }

    /// `data.path`, which a file source needs.
    fn file(&self) -> anyhow::Result<PathBuf> {
        self.path
            .clone()
            .context("data.path must name an .npz file when data.inputs or data.labels is \"file\"")
    }

    /// `data.teacher_width`, which teacher and planted labels need to be at least 1.
    fn teacher_width(&self) -> anyhow::Result<usize> {
        ensure!(
            self.teacher_width >= 1,
            "data.teacher_width must be at least 1"
        );
        Ok(self.teacher_width)
    }
}
