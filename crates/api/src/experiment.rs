//! A resolved run configuration and what it builds: the data set and the initial network.

use std::path::Path;

use burn::tensor::Device;
use overparam_model::{Mlp, NamedArray};
use overparam_trainer::data::{check_finite, Dataset, Teacher, TestSet};

use crate::config::{ResolvedRun, RunConfig};
use crate::network::{initial_network, initial_parameters, near_teacher, Init};

/// A run configuration as given (`config`, which run ids and summaries record) and validated
/// (`resolved`, the model's and trainer's specifications).
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The configuration with every key, defaults filled in.
    pub config: RunConfig,
    /// Its validated specifications.
    pub resolved: ResolvedRun,
}

impl Experiment {
    /// Reads the TOML file at `path`, applies each `--set key=value` of `overrides` in order
    /// and validates the result; an invalid value names the `--set` that gave it, or else the
    /// config file.
    pub fn load(path: &Path, overrides: &[String]) -> anyhow::Result<Experiment> {
        let config = RunConfig::load(path, overrides)?;
        let resolved = config.resolve_located(path)?;
        Ok(Experiment { config, resolved })
    }

    /// [`load`](Self::load) of a config given as TOML `text` (a relative `data.path` is
    /// relative to the working directory); errors name the `--set` or `config text`.
    pub fn from_toml(text: &str, overrides: &[String]) -> anyhow::Result<Experiment> {
        let config = RunConfig::from_toml(text, overrides)?;
        let resolved = config.resolve_located(Path::new("text"))?;
        Ok(Experiment { config, resolved })
    }

    /// Validates `config`.
    pub fn from_config(config: RunConfig) -> anyhow::Result<Experiment> {
        let resolved = config.resolve()?;
        Ok(Experiment { config, resolved })
    }

    /// The samples: inputs `[n, d]`, targets `[n]` and the teacher, if the labels have one.
    pub fn dataset(&self) -> anyhow::Result<Dataset> {
        Ok(Dataset::from_spec(&self.resolved.data)?)
    }

    /// The caller's samples in place of the config's: `x` `[n, d]` and `y` `[n]`, checked
    /// against `data.n` and `data.d` and for finiteness (errors name `place` and the array);
    /// they have no teacher.
    pub fn dataset_from_arrays(
        &self,
        place: &str,
        x: NamedArray,
        y: NamedArray,
    ) -> anyhow::Result<Dataset> {
        let (n, d) = (self.config.data.n, self.config.data.d);
        for (array, expected) in [(&x, vec![n, d]), (&y, vec![n])] {
            anyhow::ensure!(
                array.shape == expected,
                "{place}: array `{}` has shape {:?}, expected {expected:?} (data.n = {n}, \
                 data.d = {d})",
                array.name,
                array.shape
            );
            check_finite(place, array)?;
        }
        Ok(Dataset {
            num_samples: n,
            input_dim: d,
            inputs: x.values,
            targets: y.values,
            teacher: None,
            test: None,
        })
    }

    /// Held-out points from the caller in place of the config's: `x` `[n_test, d]` and `y`
    /// `[n_test]`, checked against `data.d`, each other and for finiteness (errors name `place`
    /// and the array).
    pub fn test_set_from_arrays(
        &self,
        place: &str,
        x: NamedArray,
        y: NamedArray,
    ) -> anyhow::Result<TestSet> {
        let d = self.config.data.d;
        let n_test = x.shape.first().copied().unwrap_or(0);
        anyhow::ensure!(n_test > 0, "{place}: array `{}` has no rows", x.name);
        for (array, expected) in [(&x, vec![n_test, d]), (&y, vec![n_test])] {
            anyhow::ensure!(
                array.shape == expected,
                "{place}: array `{}` has shape {:?}, expected {expected:?} (data.d = {d})",
                array.name,
                array.shape
            );
            check_finite(place, array)?;
        }
        Ok(TestSet {
            num_samples: n_test,
            inputs: x.values,
            targets: y.values,
        })
    }

    /// The teacher and perturbation size when the config starts the student at its teacher
    /// (`model.init = "teacher"`), else `None`.
    pub fn near_teacher(&self) -> anyhow::Result<Option<(Teacher, f64)>> {
        near_teacher(&self.resolved)
    }

    /// The initial parameters (`w1` `[m_1, d]`, `b1` `[m_1]`, …, `a` `[m_L]`): the arrays of
    /// `init` (an `.npz` or the caller's), the perturbed teacher, or a draw from the config's
    /// seed.
    pub fn initial_parameters(&self, init: Option<&Init>) -> anyhow::Result<Vec<NamedArray>> {
        initial_parameters(
            &self.resolved.model,
            init,
            self.config.seed,
            self.near_teacher()?.as_ref(),
        )
    }

    /// The network built from [`initial_parameters`](Self::initial_parameters) on `device`.
    pub fn initial_network(&self, device: &Device, init: Option<&Init>) -> anyhow::Result<Mlp> {
        let teacher = self.near_teacher()?;
        initial_network(
            &self.resolved.model,
            init,
            self.config.seed,
            teacher.as_ref(),
            device,
        )
    }
}
