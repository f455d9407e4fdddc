//! Byte-exact `.npy` payloads as numpy writes them, zip archives holding them (written with the
//! zip crate, so CRCs are valid), and a writer that fails like a full disk.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use overparam_trainer::{read_npz_arrays, TrainerError};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Element type and byte order of a payload.
#[derive(Clone, Copy, Debug)]
pub struct Dtype {
    /// float32 rather than float64.
    pub f32: bool,
    /// Big-endian rather than little-endian.
    pub big_endian: bool,
}

impl Dtype {
    /// numpy's `descr` for it: `<f8`, `>f4`, ….
    pub fn descr(self) -> String {
        let order = if self.big_endian { '>' } else { '<' };
        let size = if self.f32 { 4 } else { 8 };
        format!("{order}f{size}")
    }

    /// The bytes of `values` stored as this dtype (f32 values must be exactly representable).
    pub fn encode(self, values: &[f64]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|&v| match (self.f32, self.big_endian) {
                (false, false) => v.to_le_bytes().to_vec(),
                (false, true) => v.to_be_bytes().to_vec(),
                (true, false) => (v as f32).to_le_bytes().to_vec(),
                (true, true) => (v as f32).to_be_bytes().to_vec(),
            })
            .collect()
    }
}

/// Python's repr of a shape tuple: `()`, `(3,)`, `(3, 4)`.
pub fn shape_repr(shape: &[u64]) -> String {
    match shape {
        [] => "()".to_string(),
        [one] => format!("({one},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// numpy's header dict for the given fields, as `numpy.lib.format` writes it.
pub fn header_dict(descr: &str, fortran_order: bool, shape_repr: &str) -> String {
    let order = if fortran_order { "True" } else { "False" };
    format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape_repr}, }}")
}

/// A `.npy` file: magic, version `major`.0, the header `dict` padded with spaces and a newline
/// to a multiple of 64 bytes (as numpy does), then `data`.
pub fn npy_bytes(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let length_field = if major == 1 { 2 } else { 4 };
    let unpadded = 6 + 2 + length_field + dict.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    let header = format!("{dict}{}\n", " ".repeat(padding));
    let mut bytes = b"\x93NUMPY".to_vec();
    bytes.extend([major, 0]);
    if major == 1 {
        bytes.extend((header.len() as u16).to_le_bytes());
    } else {
        bytes.extend((header.len() as u32).to_le_bytes());
    }
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    bytes
}

/// Row-major `values` of `shape` rearranged into column-major (Fortran) order.
pub fn to_fortran_order(values: &[f64], shape: &[usize]) -> Vec<f64> {
    let count = values.len();
    (0..count)
        .map(|column_major_index| {
            // Unravel in Fortran order, ravel in C order.
            let mut rest = column_major_index;
            let mut index = vec![0; shape.len()];
            for (axis, &dim) in shape.iter().enumerate() {
                index[axis] = rest % dim;
                rest /= dim;
            }
            let row_major = index
                .iter()
                .zip(shape)
                .fold(0, |flat, (&i, &dim)| flat * dim + i);
            values[row_major]
        })
        .collect()
}

/// A zip archive of `entries` (name, payload), stored or deflate-compressed, as numpy's
/// `savez`/`savez_compressed` write them.
pub fn zip_bytes(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let method = if deflate {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default().compression_method(method);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, payload) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(payload).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A fresh directory for one test's files.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes `bytes` as `name` in `dir` and returns its path.
pub fn file_with(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Reads `names` from `bytes` written to a file, checking that any error names the file and,
/// when `array` is given, the array `array` (the failure is then known to be inside it).
pub fn read_checked(
    dir: &Path,
    bytes: &[u8],
    names: &[&str],
    array: Option<&str>,
) -> Result<Vec<overparam_model::NamedArray>, String> {
    let path = file_with(dir, "case.npz", bytes);
    read_npz_arrays(&path, names).map_err(|error| {
        let message = error.to_string();
        assert!(
            message.contains(&path.display().to_string()),
            "the error does not name the file: {message}"
        );
        assert!(!message.contains("``"), "an empty array name: {message}");
        if let Some(array) = array {
            assert!(
                message.contains(&format!("`{array}`")),
                "the error does not name `{array}`: {message}"
            );
        }
        if let TrainerError::Npz { array: named, .. } = &error {
            assert!(
                named.is_empty() || names.contains(&named.as_str()),
                "the error names an array not read: {message}"
            );
        }
        message
    })
}

/// The offsets of the central-directory headers (`PK\x01\x02`) of a zip archive.
pub fn central_headers(bytes: &[u8]) -> Vec<usize> {
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .collect()
}

/// A writer that accepts `capacity` bytes and then fails with `StorageFull`, counting failures.
pub struct FullDisk {
    /// Bytes it still accepts.
    pub capacity: usize,
    /// Bytes accepted.
    pub written: Vec<u8>,
    /// Calls that failed.
    pub failures: usize,
}

impl Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.capacity == 0 && !buf.is_empty() {
            self.failures += 1;
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device",
            ));
        }
        let n = buf.len().min(self.capacity);
        self.capacity -= n;
        self.written.extend(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
