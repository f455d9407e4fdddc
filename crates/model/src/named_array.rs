//! Parameters on the host: a named, shaped array of f64, the unit of `.npz` files and of
//! initialisation (so every backend starts from bit-identical numbers).

use burn::tensor::{Device, Tensor, TensorData};

use crate::{ModelError, ParameterId};

/// One parameter tensor on the host, row-major, in f64.
///
/// `name` is the parameter's field name (`w1`, `b1`, `a`), which is also its Burn parameter
/// path, its key in `.npz` files and the learning-rate group it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedArray {
    /// Field name: `w1`, `b1`, `a` (and `w2`, `b2`, … for deeper networks).
    pub name: String,
    /// Shape, e.g. `[m, d]` for `w1`.
    pub shape: Vec<usize>,
    /// Row-major values; `values.len()` is the product of `shape`.
    pub values: Vec<f64>,
}

impl NamedArray {
    /// A new named array; fails if `values` does not fill `shape`.
    pub fn new(name: &str, shape: Vec<usize>, values: Vec<f64>) -> Result<Self, ModelError> {
        let expected: usize = shape.iter().product();
        if expected != values.len() {
            return Err(ModelError::ShapeMismatch {
                name: name.to_string(),
                expected: shape,
                found: vec![values.len()],
            });
        }
        Ok(Self {
            name: name.to_string(),
            shape,
            values,
        })
    }

    /// Parameter `id`'s array (its name printed from the id); `values` fill `shape`.
    pub fn parameter(id: ParameterId, shape: Vec<usize>, values: Vec<f64>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), values.len());
        Self {
            name: id.to_string(),
            shape,
            values,
        }
    }

    /// Parameter `id`'s values read back from `tensor` (see [`NamedArray::from_tensor`]).
    pub fn from_parameter<const D: usize>(id: ParameterId, tensor: Tensor<D>) -> Self {
        Self::from_tensor(&id.to_string(), tensor)
    }

    /// The parameter this array holds, when its name is a parameter name.
    pub fn parameter_id(&self) -> Option<ParameterId> {
        ParameterId::parse(&self.name)
    }

    /// Reads a tensor back to the host in f64 (any float dtype on any device).
    pub fn from_tensor<const D: usize>(name: &str, tensor: Tensor<D>) -> Self {
        let shape = tensor.dims().to_vec();
        let values = host_values(tensor);
        Self {
            name: name.to_string(),
            shape,
            values,
        }
    }

    /// Checks that the array has the expected shape, naming both shapes if not.
    pub fn expect_shape(&self, expected: &[usize]) -> Result<(), ModelError> {
        if self.shape == expected {
            Ok(())
        } else {
            Err(ModelError::ShapeMismatch {
                name: self.name.clone(),
                expected: expected.to_vec(),
                found: self.shape.clone(),
            })
        }
    }

    /// Moves the values to `device` as a rank-`D` tensor in the device's float dtype.
    pub fn to_tensor<const D: usize>(&self, device: &Device) -> Tensor<D> {
        Tensor::from_data(
            TensorData::new(self.values.clone(), self.shape.clone()),
            device,
        )
    }
}

/// The array named `name` in `parameters`, checked to have `shape`; an error names it otherwise.
pub fn find_parameter<'a>(
    parameters: &'a [NamedArray],
    name: &str,
    shape: &[usize],
) -> Result<&'a NamedArray, ModelError> {
    let array =
        parameters
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ModelError::MissingParameter {
                name: name.to_string(),
            })?;
    array.expect_shape(shape)?;
    Ok(array)
}

/// Reads any float tensor to the host as f64 values, row-major.
pub fn host_values<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    tensor
        .into_data_as::<f64>()
        .try_into_vec::<f64>()
        .expect("into_data_as::<f64> yields f64 data")
}
