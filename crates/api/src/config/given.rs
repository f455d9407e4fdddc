//! Which keys a configuration was given explicitly — in its file or by a `--set` — so that
//! two spellings of one setting can be refused by their presence, and an error about a key a
//! `--set` gave can name that `--set`.

use std::collections::BTreeSet;

/// The keys a [`RunConfig`](super::RunConfig) was given explicitly (dotted, e.g.
/// `train.lr_w`), and the `--set` that gave each key given by one.
///
/// This is provenance, not part of the configuration's value: it is never serialized (run ids
/// hash the serialized config), it is empty in configs read back from `checkpoint.json` or
/// `summary.json` or built in code, and `==` always holds, so that such configs still compare
/// equal to the same config loaded from its file.
#[derive(Clone, Debug, Default)]
pub struct GivenKeys {
    /// Keys present in the config file.
    file: BTreeSet<String>,
    /// `(key, assignment)` of each `--set`, in order.
    sets: Vec<(String, String)>,
}

impl PartialEq for GivenKeys {
    /// Always true: where keys came from is not part of the configuration's value.
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl GivenKeys {
    /// The keys of a config file, parsed as a tree (`file`), given the keys every config
    /// serializes to (`serialized`). A file that lists every serialized key is a complete
    /// config as overparam writes it (a sweep's `runs/<id>/config.toml`): its keys say nothing
    /// about what a person chose, so none is recorded and only the value checks apply.
    pub fn from_file(file: &serde_json::Value, serialized: &serde_json::Value) -> GivenKeys {
        let file_keys = dotted_keys(file);
        if dotted_keys(serialized).is_subset(&file_keys) {
            return GivenKeys::default();
        }
        GivenKeys {
            file: file_keys,
            sets: Vec::new(),
        }
    }

    /// Records that `assignment` (`key=value`) gave `key`.
    pub fn record_set(&mut self, key: &str, assignment: &str) {
        self.sets.push((key.to_string(), assignment.to_string()));
    }

    /// Forgets the keys of `section`, which a `--set` replaced as a whole.
    pub fn forget_section(&mut self, section: &str) {
        let prefix = format!("{section}.");
        self.file.retain(|key| !key.starts_with(&prefix));
        self.sets.retain(|(key, _)| !key.starts_with(&prefix));
    }

    /// Whether `key` (dotted) was given in the file or by a `--set`.
    pub fn contains(&self, key: &str) -> bool {
        self.file.contains(key) || self.set_of(key).is_some()
    }

    /// The last `--set` that gave `key`.
    pub fn set_of(&self, key: &str) -> Option<&str> {
        self.sets
            .iter()
            .rev()
            .find(|(given, _)| given == key)
            .map(|(_, assignment)| assignment.as_str())
    }

    /// The `--set` that gave the key an error message starts with (resolve's messages do:
    /// `train.log_every must be at least 1`), or either key of a message that starts with
    /// `A and B` (the conflicts), if any.
    pub fn set_named_by(&self, message: &str) -> Option<&str> {
        let (first, rest) = leading_key(message)?;
        if let Some(set) = self.set_of(first) {
            return Some(set);
        }
        let (second, _) = leading_key(rest.strip_prefix(" and ")?)?;
        self.set_of(second)
    }
}

/// `section.key` for each key of a section and `key` for each top-level value of `tree`.
fn dotted_keys(tree: &serde_json::Value) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Some(top) = tree.as_object() {
        for (name, value) in top {
            match value.as_object() {
                Some(section) => keys.extend(section.keys().map(|key| format!("{name}.{key}"))),
                None => {
                    keys.insert(name.clone());
                }
            }
        }
    }
    keys
}

/// The dotted key `text` starts with, and the rest of `text`.
fn leading_key(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let key = text[..end].trim_end_matches('.');
    (!key.is_empty()).then(|| (key, &text[key.len()..]))
}
