//! `.npz` archives of named f64 arrays: parameters (`w1`, `b1`, `a`) and datasets (`x`, `y`),
//! readable and writable by numpy.
//!
//! Reading parses the `.npy` entries here ([`npy`]), stored or deflate-compressed (as
//! `numpy.savez` and `numpy.savez_compressed` write them), with every size checked against the
//! bytes really present before anything is allocated ([`archive`]). Writing builds the archive in
//! memory and hands it to the writer in one piece, so a failing writer is one I/O error.

mod archive;
mod error;
mod limits;
mod literal;
mod npy;

use std::io::{Cursor, Write};
use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{NpzWriter, WriteNpyError, WriteNpyExt};
use overparam_model::NamedArray;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime};

use crate::TrainerError;
use archive::Archive;
pub use error::{FoundInHeader, LiteralError, NpyError, NpzError};

/// Reads the arrays `names` from the `.npz` file at `path` as f64 (f32 arrays are widened), each
/// with its shape and its values in row-major order.
///
/// Entries may be stored or deflate-compressed, little- or big-endian, C or Fortran order. A
/// missing array, an array of another element type, a header that disagrees with the data, or an
/// unreadable archive is an error naming the file and (where one is being read) the array.
pub fn read_npz_arrays(path: &Path, names: &[&str]) -> Result<Vec<NamedArray>, TrainerError> {
    let mut archive = Archive::open(path)?;
    names
        .iter()
        .map(|&name| {
            archive.read_array(name).map_err(|error| TrainerError::Npz {
                path: path.to_path_buf(),
                array: name.to_string(),
                error,
            })
        })
        .collect()
}

/// Writes one array as a float64 `.npy` file (numpy-readable, C order).
///
/// An I/O error of `writer` comes back as itself (its kind, e.g. `StorageFull`, preserved).
pub fn write_npy_array<W: Write>(writer: W, array: &NamedArray) -> std::io::Result<()> {
    let values = ArrayD::from_shape_vec(IxDyn(&array.shape), array.values.clone())
        .map_err(std::io::Error::other)?;
    values.write_npy(writer).map_err(|e| match e {
        WriteNpyError::Io(source) => source,
        other => std::io::Error::other(other),
    })
}

/// Writes `arrays` as float64 entries of an `.npz` archive (uncompressed, as `numpy.savez`).
///
/// The archive is built in memory and then written with one `write_all` and a flush, so a
/// failing writer (a full disk) yields exactly one `io::Error` of its kind and nothing is printed.
/// Entries carry the fixed zip timestamp 1980-01-01, so equal arrays give equal bytes.
pub fn write_npz_arrays<W: Write>(mut writer: W, arrays: &[NamedArray]) -> std::io::Result<()> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default());
    let mut npz = NpzWriter::new_with_options(Cursor::new(Vec::new()), options);
    for array in arrays {
        let values = ArrayD::from_shape_vec(IxDyn(&array.shape), array.values.clone())
            .map_err(std::io::Error::other)?;
        npz.add_array(array.name.clone(), &values)
            .map_err(std::io::Error::other)?;
    }
    let bytes = npz.finish().map_err(std::io::Error::other)?.into_inner();
    writer.write_all(&bytes)?;
    writer.flush()
}
