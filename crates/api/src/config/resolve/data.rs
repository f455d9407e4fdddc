//! `[data]` resolved: where the inputs and labels come from.

use std::path::PathBuf;

use anyhow::{ensure, Context};
use overparam_model::Activation;
use overparam_trainer::data::{
    DataSpec, InputLaw, InputSource, LabelSource, RandomLabels, TestSpec,
};

use crate::config::{DataSection, InputsKey, LabelsKey, RandomLabelsKey};

impl DataSection {
    /// The data to make or read: the inputs' source, then the labels' (teacher labels take
    /// `activation`; `seed` is the data's: `data.seed`, else the run's).
    pub(super) fn spec(&self, activation: Activation, seed: u64) -> anyhow::Result<DataSpec> {
        let inputs = self.inputs()?;
        let labels = self.labels(activation)?;
        Ok(DataSpec {
            num_samples: self.n,
            input_dim: self.d,
            inputs,
            labels,
            seed,
            test: self.test()?,
        })
    }

    /// `data.n_test` and `data.test_path` as the held-out points' source.
    fn test(&self) -> anyhow::Result<Option<TestSpec>> {
        Ok(match (&self.test_path, self.n_test) {
            (Some(path), n_test) => Some(TestSpec::File {
                path: path.clone(),
                num_samples: (n_test > 0).then_some(n_test),
            }),
            (None, 0) => None,
            (None, n_test) => {
                ensure!(
                    self.inputs != InputsKey::File,
                    "data.n_test draws held-out inputs from the data's law: with data.inputs = \"file\" give data.test_path instead"
                );
                ensure!(
                    self.labels != LabelsKey::File,
                    "data.n_test labels held-out points by the data's rule: with data.labels = \"file\" give data.test_path instead"
                );
                Some(TestSpec::Drawn {
                    num_samples: n_test,
                })
            }
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
