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
