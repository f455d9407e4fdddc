//! Opening an `.npz` archive and reading one `.npy` entry from it with every size bounded: the
//! entry's declared sizes are checked against the file's size, the header's shape against the
//! entry's declared size, and the data is read through a limit before anything of the declared
//! size is allocated.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use overparam_model::NamedArray;
use zip::{CompressionMethod, ZipArchive};

use super::npy::read_header;
use crate::TrainerError;

/// Deflate's largest expansion: one compressed byte never yields more than 1032 bytes.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// Largest buffer reserved before the data is seen to really be there.
const INITIAL_CAPACITY: u64 = 1 << 24;

/// At most this many entry names are listed when an array is missing.
const LISTED_NAMES: usize = 20;

/// An open `.npz` archive.
pub(super) struct Archive {
    zip: ZipArchive<BufReader<File>>,
    file_len: u64,
}

impl Archive {
    /// Opens the archive at `path`. Errors name the path: a missing file keeps its I/O error;
    /// a directory, an empty path or something that is not a zip archive says so.
    pub fn open(path: &Path) -> Result<Self, TrainerError> {
        let npz_error = |message: String| TrainerError::Npz {
            path: path.to_path_buf(),
            array: String::new(),
            message,
        };
        if path.as_os_str().is_empty() {
            return Err(npz_error("not an .npz file".to_string()));
        }
        let io_error = |source| TrainerError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Checked before opening: opening a FIFO would block.
        let metadata = std::fs::metadata(path).map_err(io_error)?;
        if metadata.is_dir() {
            return Err(npz_error("is a directory, not an .npz file".to_string()));
        }
        if !metadata.is_file() {
            return Err(npz_error(
                "is not a regular file, so not an .npz file".to_string(),
            ));
        }
        let file = File::open(path).map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        let zip = ZipArchive::new(BufReader::new(file))
            .map_err(|e| npz_error(format!("not a readable .npz archive: {e}")))?;
        Ok(Archive { zip, file_len })
    }

    /// Reads the array `name` (entry `name` or, as numpy writes it, `name.npy`) as f64 values in
    /// row-major order. The error is a message for the caller to attach to the file and array.
    pub fn read_array(&mut self, name: &str) -> Result<NamedArray, String> {
        let index = self
            .zip
            .index_for_name(name)
            .or_else(|| self.zip.index_for_name(&format!("{name}.npy")))
            .ok_or_else(|| format!("missing (the file holds {})", self.listed_names()))?;
        let file_len = self.file_len;
        let mut entry = self
            .zip
            .by_index(index)
            .map_err(|e| format!("unreadable archive entry: {e}"))?;
        let declared = entry.size();
        let compressed = entry.compressed_size();
        let method = entry.compression();
        if compressed > file_len {
            return Err(format!(
                "the entry declares {compressed} compressed bytes in a {file_len}-byte file"
            ));
        }
        let plausible = match method {
            CompressionMethod::Stored => declared == compressed,
            CompressionMethod::Deflated => declared <= compressed.saturating_mul(DEFLATE_MAX_RATIO),
            other => {
                return Err(format!(
                    "the entry is compressed with {other}; only stored and deflate entries are read"
                ))
            }
        };
        if !plausible {
            return Err(format!(
                "the entry declares {declared} bytes uncompressed from {compressed} bytes \
                 ({method}), which is impossible"
            ));
        }
        let mut limited = (&mut entry).take(declared.saturating_add(1));
        let header = read_header(&mut limited)?;
        let Some(holds) = declared.checked_sub(header.preamble_len) else {
            return Err(format!(
                "the entry declares {declared} bytes, fewer than its {}-byte .npy header",
                header.preamble_len
            ));
        };
        let needed = header.data_bytes();
        if needed != Some(holds) {
            let needs = needed.map_or_else(
                || "more than 2^64 bytes".to_string(),
                |bytes| format!("{bytes} bytes"),
            );
            return Err(format!(
                "header declares shape {:?} ({needs} of {}) but the entry holds {holds} bytes of data",
                header.shape,
                header.dtype_name()
            ));
        }
        let shape = header.shape_usize()?;
        let mut data =
            Vec::with_capacity(usize::try_from(holds.min(INITIAL_CAPACITY)).unwrap_or(0));
        limited
            .read_to_end(&mut data)
            .map_err(|e| format!("reading the data: {e}"))?;
        if data.len() as u64 > holds {
            return Err(format!(
                "the entry holds more than the {declared} bytes it declares (corrupt archive)"
            ));
        }
        if data.len() as u64 != holds {
            return Err(format!(
                "the entry's data ends after {} of the {holds} bytes its header declares \
                 (truncated or corrupt archive)",
                data.len()
            ));
        }
        Ok(NamedArray {
            name: name.to_string(),
            shape,
            values: header.decode(&data)?,
        })
    }

    fn listed_names(&self) -> String {
        let names: Vec<&str> = self
            .zip
            .file_names()
            .map(|n| n.strip_suffix(".npy").unwrap_or(n))
            .collect();
        if names.len() <= LISTED_NAMES {
            return format!("{names:?}");
        }
        format!(
            "{:?} and {} more",
            &names[..LISTED_NAMES],
            names.len() - LISTED_NAMES
        )
    }
}
