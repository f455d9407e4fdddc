//! How much memory a run may use: `--max-memory SIZE`, else this machine's `MemTotal`; the
//! refusal when an estimate exceeds it; sizes parsed and printed in binary units.

use anyhow::bail;

use super::{MemoryEstimate, MemoryTerm, FALLBACK_MEMORY_BYTES};

/// How much memory a run may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemoryLimit {
    /// `--max-memory SIZE`, in bytes.
    Flag(u64),
    /// This machine's memory (`MemTotal` of `/proc/meminfo`), in bytes.
    Machine(u64),
    /// [`FALLBACK_MEMORY_BYTES`], because the machine's memory could not be read (why).
    Assumed(String),
}

impl MemoryLimit {
    /// `--max-memory` where given, else this machine's memory.
    pub fn from_flag(max_memory: Option<u64>) -> Self {
        match max_memory {
            Some(bytes) => MemoryLimit::Flag(bytes),
            None => match machine_memory() {
                Ok(bytes) => MemoryLimit::Machine(bytes),
                Err(reason) => MemoryLimit::Assumed(reason),
            },
        }
    }

    /// The limit in bytes.
    pub fn bytes(&self) -> u64 {
        match self {
            MemoryLimit::Flag(bytes) | MemoryLimit::Machine(bytes) => *bytes,
            MemoryLimit::Assumed(_) => FALLBACK_MEMORY_BYTES,
        }
    }

    /// The limit in words, after "more than".
    fn describe(&self) -> String {
        let size = format_bytes(self.bytes() as f64);
        match self {
            MemoryLimit::Flag(_) => format!("the --max-memory limit of {size}"),
            MemoryLimit::Machine(_) => format!("this machine's {size} of memory"),
            MemoryLimit::Assumed(reason) => format!(
                "the {size} of memory assumed because this machine's memory could not be read \
                 ({reason})"
            ),
        }
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes, or why it could not be read.
fn machine_memory() -> Result<u64, String> {
    let path = "/proc/meminfo";
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    parse_mem_total(&text).ok_or_else(|| format!("{path} has no readable MemTotal line"))
}

/// The `MemTotal:  N kB` line of a `/proc/meminfo` text, in bytes.
pub(super) fn parse_mem_total(text: &str) -> Option<u64> {
    let line = text.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let mut fields = line.split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") => value.checked_mul(1024),
        None => Some(value),
        Some(_) => None,
    }
}

/// Refuses the run when `estimate` is more than `limit`, naming the dominant key, the estimate
/// with its largest terms, and the limit.
pub fn check_fits(estimate: &MemoryEstimate, limit: &MemoryLimit) -> anyhow::Result<()> {
    let total = estimate.total_bytes();
    if total <= limit.bytes() as f64 {
        return Ok(());
    }
    let mut largest: Vec<&MemoryTerm> = estimate.terms.iter().collect();
    largest.sort_by(|a, b| b.bytes.total_cmp(&a.bytes));
    let listed: Vec<String> = largest
        .iter()
        .take(3)
        .map(|t| format!("{} {}", t.label, format_bytes(t.bytes)))
        .collect();
    let more = if largest.len() > 3 { ", …" } else { "" };
    let subject = estimate
        .dominant_key
        .clone()
        .unwrap_or_else(|| "this run".to_string());
    let advice = match limit {
        MemoryLimit::Flag(_) => "lower it, or pass a larger --max-memory",
        _ => "lower it, or pass --max-memory SIZE to override the limit",
    };
    bail!(
        "{subject} needs about {} of memory ({}{more}), more than {}; {advice}",
        format_bytes(total),
        listed.join(", "),
        limit.describe()
    )
}

/// `bytes` in binary units with one decimal, e.g. `23.5 GiB`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Parses `--max-memory SIZE`: a number of bytes, or with a binary unit K, M, G or T (powers of
/// 1024; `KiB`/`KB`, `GiB`/`GB`, … and lower case mean the same), e.g. `64G`, `512M`, `1.5G`.
pub fn parse_memory_size(text: &str) -> Result<u64, String> {
    let usage = || {
        format!(
            "expected a size such as 64G, 512M or 1048576 (bytes; K, M, G, T are powers of \
             1024), got `{text}`"
        )
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number.parse().map_err(|_| usage())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(usage()),
    };
    let bytes = (number * 2f64.powi(shift)).round();
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!(
            "--max-memory must be at least 1 byte and below 16 EiB, got `{text}`"
        ));
    }
    Ok(bytes as u64)
}
