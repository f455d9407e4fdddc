//! `overparam backends`: which backends this binary was built with, the device each opens
//! here and the dtypes it computes in.

use crate::backend::{BackendKind, BackendReport};
use crate::cli::BackendsArgs;

/// Probes every backend and prints one line each (or a JSON array with `--json`).
pub fn run(args: &BackendsArgs) -> anyhow::Result<()> {
    let reports: Vec<BackendReport> = BackendKind::ALL
        .into_iter()
        .map(BackendReport::probe)
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        println!("{:<8} {:<10} device and dtypes", "backend", "build");
        for report in &reports {
            println!("{}", report.line());
        }
    }
    Ok(())
}
