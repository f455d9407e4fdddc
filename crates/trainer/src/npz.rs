//! `.npz` archives of named f64 arrays: parameters (`w1`, `b1`, `a`) and datasets (`x`, `y`),
//! readable and writable by numpy.

use std::fs::File;
use std::io::{Seek, Write};
use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{NpzReader, NpzWriter, ReadNpyError, ReadNpzError, WriteNpyExt};
use overparam_model::NamedArray;

use crate::TrainerError;

/// Reads the arrays `names` from the `.npz` file at `path` as f64 (f32 arrays are widened).
///
/// A missing array, an array of another element type, or an unreadable archive is an error
/// naming the file and the array.
pub fn read_npz_arrays(path: &Path, names: &[&str]) -> Result<Vec<NamedArray>, TrainerError> {
    let npz_error = |array: &str, message: String| TrainerError::Npz {
        path: path.to_path_buf(),
        array: array.to_string(),
        message,
    };
    let file = File::open(path).map_err(|source| TrainerError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = NpzReader::new(file).map_err(|e| npz_error("", e.to_string()))?;
    let present = reader.names().map_err(|e| npz_error("", e.to_string()))?;
    names
        .iter()
        .map(|&name| {
            if !present.iter().any(|p| p == name) {
                return Err(npz_error(
                    name,
                    format!("missing (the file holds {present:?})"),
                ));
            }
            let array = read_as_f64(&mut reader, name).map_err(|e| npz_error(name, e))?;
            let shape = array.shape().to_vec();
            let values = array.as_standard_layout().iter().copied().collect();
            Ok(NamedArray {
                name: name.to_string(),
                shape,
                values,
            })
        })
        .collect()
}

fn read_as_f64(reader: &mut NpzReader<File>, name: &str) -> Result<ArrayD<f64>, String> {
    match reader.by_name::<_, IxDyn>(name) {
        Ok(array) => Ok(array),
        Err(ReadNpzError::Npy(ReadNpyError::WrongDescriptor(_))) => reader
            .by_name::<ndarray::OwnedRepr<f32>, IxDyn>(name)
            .map(|array| array.mapv(f64::from))
            .map_err(|e| format!("{e} (only float64 and float32 arrays are read)")),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes one array as a float64 `.npy` file (numpy-readable, C order).
pub fn write_npy_array<W: Write>(writer: W, array: &NamedArray) -> std::io::Result<()> {
    let values = ArrayD::from_shape_vec(IxDyn(&array.shape), array.values.clone())
        .map_err(std::io::Error::other)?;
    values.write_npy(writer).map_err(std::io::Error::other)
}

/// Writes `arrays` as float64 entries of an `.npz` archive (uncompressed, as `numpy.savez`).
pub fn write_npz_arrays<W: Write + Seek>(writer: W, arrays: &[NamedArray]) -> std::io::Result<()> {
    let mut npz = NpzWriter::new(writer);
    for array in arrays {
        let values = ArrayD::from_shape_vec(IxDyn(&array.shape), array.values.clone())
            .map_err(std::io::Error::other)?;
        npz.add_array(array.name.clone(), &values)
            .map_err(std::io::Error::other)?;
    }
    npz.finish().map_err(std::io::Error::other)?;
    Ok(())
}
