//! Writing files so that a reader (another shard, a crashed run's successor) never sees half
//! of one: write a temporary file beside the target, then rename it into place.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// A temporary path beside `path`, unique to this process: `.<name>.<pid>.tmp<ext>` (the
/// extension kept last, for writers that choose the format by it).
pub fn temporary_beside(path: &Path) -> PathBuf {
    let name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let extension = path
        .extension()
        .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
    path.with_file_name(format!(".{name}.{}.tmp{extension}", std::process::id()))
}

/// Moves the finished temporary file `temporary` onto `path`; removes it if that fails.
pub fn rename_into_place(temporary: &Path, path: &Path) -> anyhow::Result<()> {
    fs::rename(temporary, path).map_err(|error| {
        let _ = fs::remove_file(temporary);
        anyhow::Error::new(error).context(format!("writing {}", path.display()))
    })
}

/// Writes `bytes` to `path` atomically (temporary file + rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temporary = temporary_beside(path);
    if let Err(error) = fs::write(&temporary, bytes) {
        let _ = fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("writing {}", temporary.display()));
    }
    rename_into_place(&temporary, path)
}

/// Removes the temporaries ([`temporary_beside`]'s `.<name>.<pid>.tmp<ext>`) in `dir` whose
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

/// The pid in a [`temporary_beside`] name `.<name>.<pid>.tmp<ext>`, if it is one.
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
