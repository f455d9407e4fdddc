//! numpy arrays in and out. In: a float32 or float64 array of any memory layout (C, Fortran,
//! a strided view), read in logical (row-major) order into the core's f64 host layout, the one
//! copy the core needs (f32 widens exactly); the package's Python layer has already converted
//! other real dtypes or refused them. Out: the core's `Vec<f64>` handed to numpy as the
//! array's own buffer, without a copy.

use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use overparam_model::NamedArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The array `value` as the core's `name` (`[shape]`, f64 values in row-major order); an
/// object that is not a float32 or float64 array is a `TypeError` naming `argument`.
pub fn read_array(argument: &str, name: &str, value: &Bound<'_, PyAny>) -> PyResult<NamedArray> {
    let (shape, values) = if let Ok(array) = value.cast::<PyArrayDyn<f64>>() {
        let array = array
            .try_readonly()
            .map_err(|e| borrow_error(argument, e))?;
        let view = array.as_array();
        let values = match view.as_slice() {
            Some(contiguous) => contiguous.to_vec(),
            None => view.iter().copied().collect(),
        };
        (array.shape().to_vec(), values)
    } else if let Ok(array) = value.cast::<PyArrayDyn<f32>>() {
        let array = array
            .try_readonly()
            .map_err(|e| borrow_error(argument, e))?;
        let values = array.as_array().iter().map(|&v| f64::from(v)).collect();
        (array.shape().to_vec(), values)
    } else {
        let kind = value.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "{argument}: expected a float32 or float64 numpy array, got {kind}"
        )));
    };
    NamedArray::new(name, shape, values)
        .map_err(|error| PyValueError::new_err(format!("{argument}: {error}")))
}

fn borrow_error(argument: &str, error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!(
        "{argument}: the array is being written elsewhere: {error}"
    ))
}

/// The parameter arrays of `params` (a dict of name → array), each read by [`read_array`];
/// names are checked against the network when it is built.
pub fn read_params(params: &Bound<'_, PyDict>) -> PyResult<Vec<NamedArray>> {
    params
        .iter()
        .map(|(key, value)| {
            let name: String = key.extract().map_err(|_| {
                PyTypeError::new_err("params: keys must be parameter names (w1, b1, …, a)")
            })?;
            read_array(&format!("params[{name:?}]"), &name, &value)
        })
        .collect()
}

/// `array` as a float64 numpy array of its shape, owning the core's buffer.
pub fn to_numpy<'py>(py: Python<'py>, array: NamedArray) -> PyResult<Bound<'py, PyAny>> {
    let values = ndarray::ArrayD::from_shape_vec(array.shape, array.values)
        .map_err(|error| PyValueError::new_err(format!("{}: {error}", array.name)))?;
    Ok(values.into_pyarray(py).into_any())
}

/// A dict of name → float64 array, in the order of `arrays` (`w1`, `b1`, …, `a`).
pub fn arrays_dict<'py>(py: Python<'py>, arrays: Vec<NamedArray>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for array in arrays {
        let name = array.name.clone();
        dict.set_item(name, to_numpy(py, array)?)?;
    }
    Ok(dict)
}
