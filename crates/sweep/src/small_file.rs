//! Reading small text files (run configs, sweep specs) with a size bound, so that a path such
//! as `/dev/zero` or a multi-gigabyte file is an error rather than unbounded memory.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// The largest config or spec file read: 1 MiB (they are a few hundred bytes).
pub const MAX_TEXT_FILE_BYTES: u64 = 1 << 20;

/// Reads the UTF-8 text file at `path` (`what` names it in errors, e.g. "config"), refusing
/// directories and anything larger than [`MAX_TEXT_FILE_BYTES`].
pub fn read_small_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("reading {what} {}", path.display()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        anyhow::bail!("{what} {} is a directory, not a file", path.display());
    }
    let mut bytes = Vec::new();
    file.take(MAX_TEXT_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {what} {}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= MAX_TEXT_FILE_BYTES,
        "{what} {} is larger than {} KiB; a {what} is a small TOML file",
        path.display(),
        MAX_TEXT_FILE_BYTES >> 10
    );
    String::from_utf8(bytes).with_context(|| format!("{what} {} is not UTF-8 text", path.display()))
}
