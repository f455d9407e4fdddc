//! What a run writes: `metrics.csv` (streamed, then renamed into place), `summary.json` and
//! parameter `.npz` files (temp file + rename, so a reader never sees half a file).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use overparam_model::NamedArray;
use overparam_trainer::{write_npz_arrays, MetricRecord, METRIC_COLUMNS};

/// Writes `path` atomically: `write` fills a temporary file in the same directory, which is
/// then renamed over `path`.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    {
        let mut writer = BufWriter::new(temp.as_file_mut());
        write(&mut writer)
            .and_then(|()| writer.flush())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    temp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// Writes named arrays as an `.npz` (numpy-readable), atomically.
pub fn write_params(path: &Path, arrays: &[NamedArray]) -> anyhow::Result<()> {
    write_atomically(path, |w| write_npz_arrays(w, arrays))
}

/// Writes a JSON value, pretty-printed, atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    write_atomically(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        writeln!(w)
    })
}

/// `metrics.csv` written row by row to `metrics.csv.partial`, each row flushed as it comes,
/// and renamed to `metrics.csv` by [`MetricsCsv::finish`], whether the run succeeded or not.
pub struct MetricsCsv {
    partial: PathBuf,
    path: PathBuf,
    writer: BufWriter<File>,
}

impl MetricsCsv {
    /// Creates `path`'s partial file and writes the header row.
    pub fn create(path: &Path) -> anyhow::Result<MetricsCsv> {
        let partial = path.with_extension("csv.partial");
        let file =
            File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
        let mut csv = MetricsCsv {
            partial,
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        };
        writeln!(csv.writer, "{}", METRIC_COLUMNS.join(","))?;
        Ok(csv)
    }

    /// Appends one row and flushes it to disk.
    pub fn append(&mut self, record: &MetricRecord) -> std::io::Result<()> {
        writeln!(self.writer, "{}", record.csv_row())?;
        self.writer.flush()
    }

    /// Flushes and renames the partial file to `metrics.csv`.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("writing {}", self.partial.display()))?;
        std::fs::rename(&self.partial, &self.path).with_context(|| {
            format!(
                "renaming {} to {}",
                self.partial.display(),
                self.path.display()
            )
        })
    }
}
