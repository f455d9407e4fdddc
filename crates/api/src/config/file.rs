//! A config file's text into a [`RunConfig`]: typed parse, TOML's integer range, and the
//! keys the file gave explicitly.

use anyhow::Context;

use super::{range, GivenKeys, RunConfig};

/// Parses `text`; errors name the key (and line) where they can.
pub(super) fn parse(text: &str) -> anyhow::Result<RunConfig> {
    let mut config: RunConfig = toml::from_str(text).map_err(|error| explain(error, text))?;
    // The same text as a tree (u64 integers fit): which keys it has, and their range.
    let tree: serde_json::Value = toml::from_str(text).context("reading the keys")?;
    range::check_tree(&tree)?;
    let serialized = serde_json::to_value(&config).context("encoding the config")?;
    config.given = GivenKeys::from_file(&tree, &serialized);
    Ok(config)
}

/// `error` of the TOML parse, with the key and TOML's range named when an integer overflowed.
fn explain(error: toml::de::Error, text: &str) -> anyhow::Error {
    // toml reports an integer beyond u64 as "integer number overflowed" or as an i128.
    let message = error.message();
    let overflow = message.contains("integer number overflowed") || message.contains(" as i128");
    let key = error.span().and_then(|span| key_at(text, span.start));
    match (overflow, key) {
        (true, Some(key)) => anyhow::Error::new(error).context(format!(
            "{key} must be in [0, 2^63 − 1] (TOML's integer range)"
        )),
        (true, None) => anyhow::Error::new(error)
            .context("an integer is outside TOML's range [−2^63, 2^63 − 1]"),
        _ => anyhow::Error::new(error),
    }
}

/// The dotted key of the `key = value` line holding byte `offset` of `text`, under the last
/// `[section]` header before it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let key = line.split_once('=')?.0.trim().trim_matches('"');
    let section = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim());
    Some(match section {
        Some(section) if !key.contains('.') => format!("{section}.{key}"),
        _ => key.to_string(),
    })
}
