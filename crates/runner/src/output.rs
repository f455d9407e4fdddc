//! What a run writes: `metrics.csv` (streamed, then renamed into place), `summary.json` and
//! parameter `.npz` files (through `overparam_sweep::files::write_atomically_with`: temp file,
//! fsync, rename, so a reader never sees half a file).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use overparam_model::NamedArray;
use overparam_sweep::columns::METRIC_COLUMNS;
use overparam_sweep::files::write_atomically_with;
use overparam_trainer::{write_npz_arrays, MetricRecord};

/// Removes the file (or link: never its target) at `path` if there is one.
pub fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Writes named arrays as an `.npz` (numpy-readable), atomically.
pub fn write_params(path: &Path, arrays: &[NamedArray]) -> anyhow::Result<()> {
    write_atomically_with(path, |w| write_npz_arrays(w, arrays))
}

/// Writes a JSON value, pretty-printed, atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    write_atomically_with(path, |w| {
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

    /// Reopens the metrics of an interrupted run at `path` keeping the header and the first
    /// `rows` rows (those logged before the checkpoint; a row half-written when the run was
    /// killed is dropped with everything after it). Reads the partial file, or the finished
    /// one where the run had ended (e.g. diverged). Returns the file and the kept rows.
    pub fn resume(path: &Path, rows: usize) -> anyhow::Result<(MetricsCsv, Vec<String>)> {
        let partial = path.with_extension("csv.partial");
        let source = if partial.exists() { &partial } else { path };
        let text = std::fs::read_to_string(source)
            .with_context(|| format!("reading {} to resume the run", source.display()))?;
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        anyhow::ensure!(
            header == METRIC_COLUMNS.join(","),
            "{}: the header is not this version's metrics columns; cannot resume",
            source.display()
        );
        let kept: Vec<String> = lines.take(rows).map(str::to_string).collect();
        anyhow::ensure!(
            kept.len() == rows,
            "{} holds {} rows but the checkpoint was taken after {rows}",
            source.display(),
            kept.len()
        );
        let mut contents = format!("{header}\n");
        for line in &kept {
            contents.push_str(line);
            contents.push('\n');
        }
        overparam_sweep::files::write_atomically(&partial, contents.as_bytes())?;
        if source != &partial {
            std::fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&partial)
            .with_context(|| format!("opening {}", partial.display()))?;
        let csv = MetricsCsv {
            partial,
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        };
        Ok((csv, kept))
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
