//! What produced a run: versions and the source tree, for `summary.json`.

use serde_json::{json, Value};

/// Crate, Burn and git versions, captured at build time, plus the command line.
pub fn provenance() -> Value {
    let git = env!("OVERPARAM_GIT_DESCRIBE");
    json!({
        "overparam_version": env!("CARGO_PKG_VERSION"),
        "burn_version": env!("OVERPARAM_BURN_VERSION"),
        "git_describe": if git.is_empty() { Value::Null } else { json!(git) },
        "command_line": std::env::args().collect::<Vec<_>>(),
    })
}
