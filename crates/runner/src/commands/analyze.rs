//! `overparam analyze critical-width DIR`: reads DIR/results.csv (merging the sweep first
//! when it is missing) and writes DIR/critical_width.csv and DIR/critical_width.json.

use anyhow::ensure;
use overparam_analysis::critical_width::{
    critical_width, report_text, write_critical_width, CriticalWidthOptions,
};
use overparam_sweep::results::Table;

use super::sweep::{merge_results, RESULTS_FILE};
use crate::cli::AnalyzeCommand;

/// Runs `overparam analyze …`.
pub fn run(command: &AnalyzeCommand) -> anyhow::Result<()> {
    let AnalyzeCommand::CriticalWidth(args) = command;
    let path = args.dir.join(RESULTS_FILE);
    if !path.exists() {
        println!("{} is missing: merging the sweep first", path.display());
        merge_results(&args.dir)?;
    }
    if let Some(target) = args.target_loss {
        ensure!(
            target.is_finite() && target >= 0.0,
            "--target-loss must be a finite number ≥ 0, got {target}"
        );
    }
    let table = Table::read(&path)?;
    let options = CriticalWidthOptions {
        target_loss: args.target_loss,
        success: args.success,
        ..CriticalWidthOptions::default()
    };
    let report = critical_width(&table, &options)
        .map_err(|error| error.context(format!("analysing {}", path.display())))?;
    write_critical_width(&args.dir, &report)?;
    print!("{}", report_text(&report));
    println!(
        "wrote {} and {}",
        args.dir.join("critical_width.csv").display(),
        args.dir.join("critical_width.json").display()
    );
    Ok(())
}
