//! Datasets: inputs X `[n, d]` and targets y `[n]`, generated from a seed or read from `.npz`.
//!
//! Everything is made on the host in f64 from [`stream_rng`](crate::stream_rng) streams, then
//! moved to the device once, so the same seed gives the same data on every backend.

mod inputs;
mod labels;

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};
use overparam_model::{Activation, NamedArray};

pub use inputs::{generate_inputs, InputLaw};
pub use labels::{planted_quadratic_output, random_labels, unit_directions, RandomLabels, Teacher};

use crate::npz::read_npz_arrays;
use crate::rng::{stream_rng, RngStream};
use crate::TrainerError;

/// Where the inputs come from.
#[derive(Clone, Debug, PartialEq)]
pub enum InputSource {
    /// Drawn from a law.
    Generated(InputLaw),
    /// Array `x` `[n, d]` of an `.npz` file.
    File(PathBuf),
}

/// Where the targets come from.
#[derive(Clone, Debug, PartialEq)]
pub enum LabelSource {
    /// y = f*(x) for a two-layer [`Teacher`] with `width` neurons drawn from `seed`.
    Teacher {
        /// Teacher width k.
        width: usize,
        /// Orthonormal teacher directions (needs k ≤ d).
        orthonormal: bool,
        /// The teacher's own seed.
        seed: u64,
        /// The teacher's activation.
        activation: Activation,
    },
    /// Labels independent of the inputs.
    Random(RandomLabels),
    /// y = Σ_{j=1..k} (u_j·x)² with k = `width` unit directions drawn from `seed`.
    PlantedQuadratic {
        /// Number of planted directions k.
        width: usize,
        /// Orthonormal directions (needs k ≤ d).
        orthonormal: bool,
        /// Seed of the directions.
        seed: u64,
    },
    /// Array `y` `[n]` of the same `.npz` file as the inputs.
    File(PathBuf),
}

/// A validated description of a dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSpec {
    /// Number of samples n.
    pub num_samples: usize,
    /// Input dimension d.
    pub input_dim: usize,
    /// Source of X.
    pub inputs: InputSource,
    /// Source of y.
    pub labels: LabelSource,
    /// Seed of the inputs and of random labels.
    pub seed: u64,
}

/// Inputs and targets on the host, in f64.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Number of samples n.
    pub num_samples: usize,
    /// Input dimension d.
    pub input_dim: usize,
    /// X, row-major `[n, d]`.
    pub inputs: Vec<f64>,
    /// y, `[n]`.
    pub targets: Vec<f64>,
    /// The teacher, when the labels come from one.
    pub teacher: Option<Teacher>,
}

impl Dataset {
    /// Makes (or reads) the dataset described by `spec`.
    ///
    /// Errors: an `.npz` without `x`/`y`, shapes other than `[n, d]` and `[n]`, NaN or ±Inf
    /// in either array, or orthonormal directions with k > d.
    pub fn from_spec(spec: &DataSpec) -> Result<Dataset, TrainerError> {
        let (n, d) = (spec.num_samples, spec.input_dim);
        let inputs = match &spec.inputs {
            InputSource::Generated(law) => {
                generate_inputs(*law, n, d, &mut stream_rng(spec.seed, RngStream::Inputs))
            }
            InputSource::File(path) => read_checked(path, "x", &[n, d])?,
        };
        let rows = || inputs.chunks_exact(d.max(1));
        let mut teacher = None;
        let targets = match &spec.labels {
            LabelSource::Teacher {
                width,
                orthonormal,
                seed,
                activation,
            } => {
                let mut rng = stream_rng(*seed, RngStream::Teacher);
                let directions = unit_directions(*width, d, *orthonormal, &mut rng)?;
                let t = Teacher {
                    directions,
                    activation: *activation,
                };
                let y = rows().map(|x| t.output(x)).collect();
                teacher = Some(t);
                y
            }
            LabelSource::Random(law) => {
                random_labels(*law, n, &mut stream_rng(spec.seed, RngStream::Labels))
            }
            LabelSource::PlantedQuadratic {
                width,
                orthonormal,
                seed,
            } => {
                let mut rng = stream_rng(*seed, RngStream::Teacher);
                let directions = unit_directions(*width, d, *orthonormal, &mut rng)?;
                rows()
                    .map(|x| planted_quadratic_output(&directions, x))
                    .collect()
            }
            LabelSource::File(path) => read_checked(path, "y", &[n])?,
        };
        Ok(Dataset {
            num_samples: n,
            input_dim: d,
            inputs,
            targets,
            teacher,
        })
    }

    /// X as a `[n, d]` tensor on `device`, in the device's float dtype.
    pub fn inputs_tensor(&self, device: &Device) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(self.inputs.clone(), [self.num_samples, self.input_dim]),
            device,
        )
    }

    /// y as a `[n]` tensor on `device`, in the device's float dtype.
    pub fn targets_tensor(&self, device: &Device) -> Tensor<1> {
        Tensor::from_data(
            TensorData::new(self.targets.clone(), [self.num_samples]),
            device,
        )
    }
}

/// Reads array `name` from `path`, checks its shape and that every entry is finite.
fn read_checked(path: &Path, name: &str, shape: &[usize]) -> Result<Vec<f64>, TrainerError> {
    let array = read_npz_arrays(path, &[name])?.remove(0);
    if array.shape != shape {
        return Err(TrainerError::ShapeMismatch {
            path: path.to_path_buf(),
            array: name.to_string(),
            expected: shape.to_vec(),
            found: array.shape,
        });
    }
    check_finite(&path.display().to_string(), &array)?;
    Ok(array.values)
}

/// Fails on the first NaN or ±Inf in `array`, naming `source_name`, the array and the index.
pub fn check_finite(source_name: &str, array: &NamedArray) -> Result<(), TrainerError> {
    match array.values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(TrainerError::NonFinite {
            source_name: source_name.to_string(),
            array: array.name.clone(),
            index,
            value: array.values[index],
        }),
    }
}
