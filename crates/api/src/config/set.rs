//! Parsing one `--set key=value`, strictly: a dotted key of non-empty names and exactly one
//! TOML value on one line (or a bare string), placed into the config's TOML tree.

use anyhow::{bail, Context};

/// `assignment` split into its dotted key (trimmed, checked) and its value.
pub(super) fn parse_assignment(assignment: &str) -> anyhow::Result<(String, toml::Value)> {
    let Some((key, raw_value)) = assignment.split_once('=') else {
        bail!("expected key=value, e.g. train.lr_a=0.5");
    };
    let key = key.trim();
    check_key(key)?;
    let value = parse_value(raw_value.trim()).with_context(|| format!("key `{key}`"))?;
    Ok((key.to_string(), value))
}

/// Refuses an empty key, an empty part (`.x`, `train.`, `a..b`) and a part that is not a
/// bare TOML key name.
fn check_key(key: &str) -> anyhow::Result<()> {
    if key.is_empty() {
        bail!("empty key before `=`; expected key=value, e.g. train.lr_a=0.5");
    }
    for part in key.split('.') {
        if part.is_empty() {
            bail!(
                "key `{key}` has an empty part; expected `key` or `section.key`, e.g. train.lr_a"
            );
        }
        if !part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            bail!("key `{key}`: `{part}` is not a key name (letters, digits, `_` and `-` only)");
        }
    }
    Ok(())
}

/// Exactly one TOML value, or the text as a string when it is not TOML and does not look
/// like a number, array, table or quoted string.
fn parse_value(raw: &str) -> anyhow::Result<toml::Value> {
    if newline_outside_string(raw) {
        bail!(
            "the value {raw:?} spans several lines; a --set takes exactly one TOML value on one \
             line (a newline belongs inside a quoted string)"
        );
    }
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut table) => {
            let value = table.remove("v");
            match value {
                Some(value) if table.is_empty() => Ok(value),
                _ => bail!("the value {raw:?} is more than one TOML value"),
            }
        }
        Err(error) => {
            if looks_like_integer(raw) {
                bail!("{raw} is an integer outside TOML's range [−2^63, 2^63 − 1]");
            }
            let number_like = raw.starts_with(|c: char| c.is_ascii_digit())
                && raw
                    .chars()
                    .all(|c| c.is_ascii_digit() || "+-._eE".contains(c));
            if number_like || raw.starts_with(['[', '{', '"', '\'']) {
                bail!("{raw:?} is not a TOML value: {}", error.message().trim());
            }
            Ok(toml::Value::String(raw.to_string()))
        }
    }
}

/// Whether `raw` is an optionally signed decimal integer (digits and `_`).
fn looks_like_integer(raw: &str) -> bool {
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_')
}

/// Whether `raw` holds a line break outside its TOML strings (basic, literal and multi-line;
/// an unterminated string ends the scan, and the TOML parse reports it).
fn newline_outside_string(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let (delimiter, escapes): (&[u8], bool) = if rest.starts_with(b"\"\"\"") {
            (b"\"\"\"", true)
        } else if rest.starts_with(b"'''") {
            (b"'''", false)
        } else if rest[0] == b'"' {
            (b"\"", true)
        } else if rest[0] == b'\'' {
            (b"'", false)
        } else if rest[0] == b'\n' || rest[0] == b'\r' {
            return true;
        } else {
            i += 1;
            continue;
        };
        i += delimiter.len();
        loop {
            if i >= bytes.len() {
                return false;
            }
            if escapes && bytes[i] == b'\\' {
                i += 2;
            } else if bytes[i..].starts_with(delimiter) {
                i += delimiter.len();
                break;
            } else {
                i += 1;
            }
        }
    }
    false
}

/// Puts `value` at the dotted `key` of `table`, through existing sections only.
pub(super) fn insert(table: &mut toml::Table, key: &str, value: toml::Value) -> anyhow::Result<()> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let leaf = parts.pop().context("empty key")?;
    let mut section = table;
    let mut path = String::new();
    for part in parts {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(part);
        section = match section.get_mut(part) {
            Some(toml::Value::Table(inner)) => inner,
            Some(_) => bail!("key `{key}`: `{path}` is a value, not a section"),
            None if path == part => {
                bail!("key `{key}`: unknown section `{part}` (sections: data, model, train)")
            }
            None => bail!("key `{key}`: unknown section `{path}`"),
        };
    }
    section.insert(leaf.to_string(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_inside_strings_are_not_outside() {
        assert!(!newline_outside_string("\"\"\"a\nb\"\"\""));
        assert!(!newline_outside_string("'''a\nb'''"));
        assert!(!newline_outside_string("\"a\\\"\" "));
        assert!(newline_outside_string("5\nn=3"));
        assert!(newline_outside_string("[1,\n2]"));
        assert!(newline_outside_string("\"a\"\r\n"));
    }

    #[test]
    fn integers_beyond_toml_are_named_as_such() {
        let error = parse_value("18446744073709551615").unwrap_err();
        assert!(
            format!("{error:#}").contains("outside TOML's range"),
            "{error:#}"
        );
        assert!(parse_value("9223372036854775807").is_ok());
        assert!(
            format!("{:#}", parse_value("-9223372036854775809").unwrap_err())
                .contains("outside TOML's range")
        );
    }

    #[test]
    fn bare_words_stay_strings_and_broken_toml_is_refused() {
        assert_eq!(
            parse_value("sphere").unwrap(),
            toml::Value::String("sphere".into())
        );
        assert!(parse_value("[1, 2").is_err());
        assert!(parse_value("1.2.3").is_err());
    }
}
