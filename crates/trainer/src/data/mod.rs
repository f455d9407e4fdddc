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
    /// The held-out points, if any.
    pub test: Option<TestSpec>,
}

/// Where the held-out points come from.
#[derive(Clone, Debug, PartialEq)]
pub enum TestSpec {
    /// `num_samples` points drawn like the training ones: inputs from the same law (their own
    /// stream of the seed), labels by the same teacher or planted directions, or fresh random
    /// labels (their own stream). Needs generated inputs and labels that are not a file's.
    Drawn {
        /// Number of held-out points.
        num_samples: usize,
    },
    /// Arrays `x` `[n_test, d]` and `y` `[n_test]` of an `.npz` file.
    File {
        /// The file.
        path: PathBuf,
        /// The number of rows it must have; `None`: whatever it has.
        num_samples: Option<usize>,
    },
}

/// Held-out points on the host, in f64.
#[derive(Clone, Debug, PartialEq)]
pub struct TestSet {
    /// Number of held-out points n_test.
    pub num_samples: usize,
    /// X_test, row-major `[n_test, d]`.
    pub inputs: Vec<f64>,
    /// y_test, `[n_test]`.
    pub targets: Vec<f64>,
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
    /// The held-out points, when the spec asks for them.
    pub test: Option<TestSet>,
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
        let rule = LabelRule::new(&spec.labels, d)?;
        let made = rule.labels(&inputs, d, &mut stream_rng(spec.seed, RngStream::Labels));
        let targets = match (made, &spec.labels) {
            (Some(targets), _) => targets,
            (None, LabelSource::File(path)) => read_checked(path, "y", &[n])?,
            (None, _) => unreachable!("only file labels are not made"),
        };
        let test = match &spec.test {
            None => None,
            Some(test) => Some(test_set(spec, test, &rule)?),
        };
        Ok(Dataset {
            num_samples: n,
            input_dim: d,
            inputs,
            targets,
            teacher: rule.teacher(),
            test,
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

/// The held-out points of `spec` as `test` describes them, labelled by `rule` when drawn.
fn test_set(spec: &DataSpec, test: &TestSpec, rule: &LabelRule) -> Result<TestSet, TrainerError> {
    let d = spec.input_dim;
    let (inputs, targets) = match test {
        TestSpec::Drawn { num_samples } => {
            let InputSource::Generated(law) = spec.inputs else {
                return Err(TrainerError::InvalidData(
                    "held-out points drawn from the data's law need generated inputs: with data.inputs = \"file\" give data.test_path".into(),
                ));
            };
            let inputs = generate_inputs(
                law,
                *num_samples,
                d,
                &mut stream_rng(spec.seed, RngStream::TestInputs),
            );
            let Some(targets) = rule.labels(
                &inputs,
                d,
                &mut stream_rng(spec.seed, RngStream::TestLabels),
            ) else {
                return Err(TrainerError::InvalidData(
                    "held-out points need a labelling rule: with data.labels = \"file\" give data.test_path".into(),
                ));
            };
            (inputs, targets)
        }
        TestSpec::File { path, num_samples } => {
            let x = read_npz_arrays(path, &["x"])?.remove(0);
            let rows = x.shape.first().copied().unwrap_or(0);
            if rows == 0 {
                return Err(TrainerError::InvalidData(format!(
                    "{}: array `x` has no rows: held-out points need at least one",
                    path.display()
                )));
            }
            let expected = vec![num_samples.unwrap_or(rows), d];
            let inputs = checked(path, x, &expected)?;
            let targets = read_checked(path, "y", &[expected[0]])?;
            (inputs, targets)
        }
    };
    Ok(TestSet {
        num_samples: targets.len(),
        inputs,
        targets,
    })
}

/// How labels are made from inputs (file labels are read, not made).
enum LabelRule {
    /// y = f*(x).
    Teacher(Teacher),
    /// y = Σ_j (u_j·x)² for these unit directions u_j.
    Planted(Vec<Vec<f64>>),
    /// Labels independent of x.
    Random(RandomLabels),
    /// Labels from a file.
    File,
}

impl LabelRule {
    /// The rule of `source` for inputs of dimension `input_dim` (drawing the teacher or the
    /// planted directions from their seed).
    fn new(source: &LabelSource, input_dim: usize) -> Result<Self, TrainerError> {
        Ok(match source {
            LabelSource::Teacher {
                width,
                orthonormal,
                seed,
                activation,
            } => {
                let mut rng = stream_rng(*seed, RngStream::Teacher);
                LabelRule::Teacher(Teacher {
                    directions: unit_directions(*width, input_dim, *orthonormal, &mut rng)?,
                    activation: *activation,
                })
            }
            LabelSource::PlantedQuadratic {
                width,
                orthonormal,
                seed,
            } => {
                let mut rng = stream_rng(*seed, RngStream::Teacher);
                LabelRule::Planted(unit_directions(*width, input_dim, *orthonormal, &mut rng)?)
            }
            LabelSource::Random(law) => LabelRule::Random(*law),
            LabelSource::File(_) => LabelRule::File,
        })
    }

    /// The labels of `inputs` `[n, d]` (random ones drawn from `rng`); `None` for file labels.
    fn labels(
        &self,
        inputs: &[f64],
        input_dim: usize,
        rng: &mut impl rand::Rng,
    ) -> Option<Vec<f64>> {
        let rows = inputs.chunks_exact(input_dim.max(1));
        Some(match self {
            LabelRule::Teacher(teacher) => rows.map(|x| teacher.output(x)).collect(),
            LabelRule::Planted(directions) => rows
                .map(|x| planted_quadratic_output(directions, x))
                .collect(),
            LabelRule::Random(law) => random_labels(*law, rows.len(), rng),
            LabelRule::File => return None,
        })
    }

    /// The teacher, when the labels come from one.
    fn teacher(self) -> Option<Teacher> {
        match self {
            LabelRule::Teacher(teacher) => Some(teacher),
            _ => None,
        }
    }
}

/// Reads array `name` from `path`, checks its shape and that every entry is finite.
fn read_checked(path: &Path, name: &str, shape: &[usize]) -> Result<Vec<f64>, TrainerError> {
    let array = read_npz_arrays(path, &[name])?.remove(0);
    checked(path, array, shape)
}

/// The values of `array` (read from `path`) after checking its shape and finiteness.
fn checked(path: &Path, array: NamedArray, shape: &[usize]) -> Result<Vec<f64>, TrainerError> {
    if array.shape != shape {
        return Err(TrainerError::ShapeMismatch {
            path: path.to_path_buf(),
            array: array.name.clone(),
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
