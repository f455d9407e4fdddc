//! A kernel's strict lower triangle set aside while its own storage holds a Cholesky factor
//! (faer's factorization uses both triangles as workspace): in memory up to
//! [`IN_MEMORY_BYTES`], above that in a temporary file, so that the process's peak memory
//! stays one `[n, n]` matrix. Rows come back in order: row i is K[i, 0..i].

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// Larger triangles go to a temporary file (n ≥ ~11 600 in f64).
const IN_MEMORY_BYTES: usize = 512 << 20;
/// Rows are streamed from the file in blocks of about this many bytes.
const BLOCK_BYTES: usize = 64 << 20;

/// The strict lower triangle of an `[n, n]` row-major matrix, row by row.
pub(super) struct LowerTriangleCopy {
    n: usize,
    storage: Storage,
}

enum Storage {
    Memory(Vec<f64>),
    File { file: File, path: PathBuf },
}

impl LowerTriangleCopy {
    /// Copies the strict lower triangle of `kernel` `[n, n]`.
    pub(super) fn save(kernel: &[f64], n: usize) -> io::Result<Self> {
        let entries = n * n.saturating_sub(1) / 2;
        let storage = if entries * 8 <= IN_MEMORY_BYTES {
            let mut packed = Vec::with_capacity(entries);
            for i in 0..n {
                packed.extend_from_slice(&kernel[i * n..i * n + i]);
            }
            Storage::Memory(packed)
        } else {
            let path = std::env::temp_dir().join(format!(
                "overparam-kernel-lower-{}-{:x}.bin",
                std::process::id(),
                kernel.as_ptr() as usize
            ));
            let file = File::options()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)?;
            let mut writer = BufWriter::with_capacity(BLOCK_BYTES, file);
            let mut bytes = Vec::new();
            for i in 0..n {
                bytes.clear();
                bytes.extend(
                    kernel[i * n..i * n + i]
                        .iter()
                        .flat_map(|v| v.to_ne_bytes()),
                );
                writer.write_all(&bytes)?;
            }
            let file = writer
                .into_inner()
                .map_err(io::IntoInnerError::into_error)?;
            Storage::File { file, path }
        };
        Ok(Self { n, storage })
    }

    /// Calls `visit(i, K[i, 0..i])` for every row, in order.
    pub(super) fn for_each_row(&mut self, mut visit: impl FnMut(usize, &[f64])) -> io::Result<()> {
        let n = self.n;
        match &mut self.storage {
            Storage::Memory(packed) => {
                let mut offset = 0;
                for i in 0..n {
                    visit(i, &packed[offset..offset + i]);
                    offset += i;
                }
            }
            Storage::File { file, .. } => {
                file.seek(SeekFrom::Start(0))?;
                let mut reader = BufReader::with_capacity(BLOCK_BYTES, &*file);
                let (mut bytes, mut row) = (Vec::new(), Vec::new());
                for i in 0..n {
                    bytes.resize(i * 8, 0);
                    reader.read_exact(&mut bytes)?;
                    row.clear();
                    row.extend(
                        bytes
                            .chunks_exact(8)
                            .map(|b| f64::from_ne_bytes(b.try_into().expect("8 bytes"))),
                    );
                    visit(i, &row);
                }
            }
        }
        Ok(())
    }

    /// Writes the triangle back into `kernel` `[n, n]`, mirrored onto the upper triangle, with
    /// `diagonal` on the diagonal: the matrix as it was saved, bit for bit.
    pub(super) fn restore(&mut self, kernel: &mut [f64], diagonal: &[f64]) -> io::Result<()> {
        let n = self.n;
        self.for_each_row(|i, row| kernel[i * n..i * n + i].copy_from_slice(row))?;
        for (i, &k_ii) in diagonal.iter().enumerate() {
            kernel[i * n + i] = k_ii;
        }
        overparam_cpu::mirror_lower(kernel, n);
        Ok(())
    }

    /// y += K x for the symmetric K whose strict lower triangle this is and whose diagonal is
    /// `diagonal`, for `count` vectors x `[n]` (column-major `[n, count]` in `x` and `y`).
    pub(super) fn multiply_add(
        &mut self,
        diagonal: &[f64],
        x: &[f64],
        y: &mut [f64],
        count: usize,
    ) -> io::Result<()> {
        let n = self.n;
        for c in 0..count {
            for i in 0..n {
                y[c * n + i] += diagonal[i] * x[c * n + i];
            }
        }
        self.for_each_row(|i, row| {
            for c in 0..count {
                let (x, y) = (&x[c * n..(c + 1) * n], &mut y[c * n..(c + 1) * n]);
                let x_i = x[i];
                let mut dot = 0.0;
                for (j, &k_ij) in row.iter().enumerate() {
                    dot += k_ij * x[j];
                    y[j] += k_ij * x_i;
                }
                y[i] += dot;
            }
        })
    }
}

impl Drop for LowerTriangleCopy {
    fn drop(&mut self) {
        if let Storage::File { path, .. } = &self.storage {
            let _ = std::fs::remove_file(path);
        }
    }
}
