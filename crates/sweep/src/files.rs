//! Writing files so that a reader (another shard, a crashed run's successor) never sees half
//! of one: write a temporary file beside the target, flush it to disk, then rename it into
//! place. The runner's outputs (summary.json, parameters, kernels), the sweeps' manifests and
//! results, the plots and the reports are all written this way; only `metrics.csv`, streamed
//! row by row, has its own rename.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

/// A temporary path beside `path`, unique to this process and call: `.<name>.<pid>.tmp<k><ext>`
/// (`k` counts this process's temporaries, so that threads writing the same file do not share
/// one; the extension kept last, for writers that choose the format by it).
pub fn temporary_beside(path: &Path) -> PathBuf {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let extension = path
        .extension()
        .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(
        ".{name}.{}.tmp{count}{extension}",
        std::process::id()
    ))
}

/// Moves the finished temporary file `temporary` onto `path`; removes it if that fails.
pub fn rename_into_place(temporary: &Path, path: &Path) -> anyhow::Result<()> {
    fs::rename(temporary, path).map_err(|error| {
        let _ = fs::remove_file(temporary);
        anyhow::Error::new(error).context(format!("writing {}", path.display()))
    })
}

/// Writes `bytes` to `path` atomically (see [`write_atomically_with`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// Writes `path` atomically: `write` fills a temporary file beside it ([`temporary_beside`]),
/// which is flushed, synced to disk and renamed over `path`. On any error the temporary is
/// removed and `path` is left as it was.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let temporary = temporary_beside(path);
    let written = File::create(&temporary).and_then(|file| {
        let mut writer = BufWriter::new(file);
        write(&mut writer)?;
        writer.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    if let Err(error) = written {
        let _ = fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("writing {}", path.display()));
    }
    rename_into_place(&temporary, path)
}

/// Removes the temporaries ([`temporary_beside`]'s `.<name>.<pid>.tmp<k><ext>`) in `dir` whose
/// writing process no longer runs: what a process killed mid-write left behind. A temporary
/// of a live process (another shard writing right now) is left alone; where `/proc` does not
/// exist (not Linux), liveness cannot be told and nothing is removed. Returns how many went.
pub fn remove_stale_temporaries(dir: &Path) -> anyhow::Result<usize> {
    if !Path::new("/proc/self").exists() {
        return Ok(0);
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0); // nothing written there yet
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = temporary_writer(&name) else {
            continue;
        };
        let alive = Path::new("/proc").join(pid.to_string()).exists();
        if !alive && entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = entry.path();
            fs::remove_file(&path)
                .with_context(|| format!("removing the stale temporary {}", path.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether `file_name` is a [`temporary_beside`] name.
pub fn is_temporary(file_name: &str) -> bool {
    temporary_writer(file_name).is_some()
}

/// The pid in a [`temporary_beside`] name `.<name>.<pid>.tmp<k><ext>` (or the older
/// `.<name>.<pid>.tmp<ext>`), if it is one.
fn temporary_writer(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?;
    let (before, _) = rest.rsplit_once(".tmp")?;
    let (_, pid) = before.rsplit_once('.')?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_give_their_writer() {
        let path = temporary_beside(Path::new("/x/manifest.csv"));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(temporary_writer(&name), Some(std::process::id()));
        assert_eq!(temporary_writer("manifest.csv"), None);
        assert_eq!(temporary_writer(".lock"), None);
        assert_ne!(path, temporary_beside(Path::new("/x/manifest.csv")));
    }

    #[test]
    fn writes_replace_the_file_whole_and_leave_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let failed = write_atomically_with(&path, |file| {
            file.write_all(b"half")?;
            Err(std::io::Error::other("interrupted"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temporaries_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        // A pid beyond pid_max (2^22) never runs; this process does.
        let stale = dir.path().join(".manifest.4999999.tmp.csv");
        let live = temporary_beside(&dir.path().join("results.csv"));
        let kept = dir.path().join("results.csv");
        for path in [&stale, &live, &kept] {
            fs::write(path, b"x").unwrap();
        }
        assert_eq!(remove_stale_temporaries(dir.path()).unwrap(), 1);
        assert!(!stale.exists() && live.exists() && kept.exists());
    }
}
