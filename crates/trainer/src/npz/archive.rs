//! Opening an `.npz` archive and reading one `.npy` entry from it with every size bounded: the
//! entry's declared sizes are checked against the file's size, the header's shape against the
//! entry's declared size, and the data is read through a limit before anything of the declared
//! size is allocated.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use overparam_model::NamedArray;
use zip::{CompressionMethod, ZipArchive};

use super::error::NpzError;
use super::npy::read_header;
use crate::TrainerError;

/// Deflate's largest expansion: one compressed byte never yields more than 1032 bytes.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// Largest buffer reserved before the data is seen to really be there.
const INITIAL_CAPACITY: u64 = 1 << 24;

/// An open `.npz` archive.
pub(super) struct Archive {
    zip: ZipArchive<BufReader<File>>,
    file_len: u64,
}

impl Archive {
    /// Opens the archive at `path`. Errors name the path: a missing file keeps its I/O error;
    /// a directory, an empty path or something that is not a zip archive says so.
    pub fn open(path: &Path) -> Result<Self, TrainerError> {
        let npz_error = |error| TrainerError::Npz {
            path: path.to_path_buf(),
            array: String::new(),
            error,
        };
        if path.as_os_str().is_empty() {
            return Err(npz_error(NpzError::EmptyPath));
        }
        let io_error = |source| TrainerError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Checked before opening: opening a FIFO would block.
        let metadata = std::fs::metadata(path).map_err(io_error)?;
        if metadata.is_dir() {
            return Err(npz_error(NpzError::Directory));
        }
        if !metadata.is_file() {
            return Err(npz_error(NpzError::NotRegularFile));
        }
        let file = File::open(path).map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        let zip =
            ZipArchive::new(BufReader::new(file)).map_err(|e| npz_error(NpzError::NotZip(e)))?;
        Ok(Archive { zip, file_len })
    }

    /// Reads the array `name` (entry `name` or, as numpy writes it, `name.npy`) as f64 values in
    /// row-major order. The error is for the caller to attach to the file and array.
    pub fn read_array(&mut self, name: &str) -> Result<NamedArray, NpzError> {
        let index = self
            .zip
            .index_for_name(name)
            .or_else(|| self.zip.index_for_name(&format!("{name}.npy")))
            .ok_or_else(|| NpzError::Missing {
                held: self.held_names(),
            })?;
        let file_len = self.file_len;
        let mut entry = self
            .zip
            .by_index(index)
            .map_err(NpzError::UnreadableEntry)?;
        let declared = entry.size();
        let compressed = entry.compressed_size();
        let method = entry.compression();
        if compressed > file_len {
            return Err(NpzError::CompressedBeyondFile {
                compressed,
                file_len,
            });
        }
        let plausible = match method {
            CompressionMethod::Stored => declared == compressed,
            CompressionMethod::Deflated => declared <= compressed.saturating_mul(DEFLATE_MAX_RATIO),
            other => return Err(NpzError::Compression(other)),
        };
        if !plausible {
            return Err(NpzError::ImpossibleSize {
                declared,
                compressed,
                method,
            });
        }
        let mut limited = (&mut entry).take(declared.saturating_add(1));
        let header = read_header(&mut limited).map_err(NpzError::Npy)?;
        let Some(holds) = declared.checked_sub(header.preamble_len) else {
            return Err(NpzError::ShorterThanHeader {
                declared,
                header_len: header.preamble_len,
            });
        };
        let needed = header.data_bytes();
        if needed != Some(holds) {
            return Err(NpzError::DataSize {
                shape: header.shape.clone(),
                needed,
                dtype: header.dtype_name(),
                holds,
            });
        }
        let shape = header.shape_usize().map_err(NpzError::Npy)?;
        let mut data =
            Vec::with_capacity(usize::try_from(holds.min(INITIAL_CAPACITY)).unwrap_or(0));
        limited.read_to_end(&mut data).map_err(NpzError::ReadData)?;
        if data.len() as u64 > holds {
            return Err(NpzError::LongerThanDeclared { declared });
        }
        if data.len() as u64 != holds {
            return Err(NpzError::Truncated {
                read: data.len(),
                holds,
            });
        }
        Ok(NamedArray {
            name: name.to_string(),
            shape,
            values: header.decode(&data).map_err(NpzError::Npy)?,
        })
    }

    /// The arrays the archive holds: its entry names without `.npy`.
    fn held_names(&self) -> Vec<String> {
        self.zip
            .file_names()
            .map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string())
            .collect()
    }
}
