//! `overparam plot DIR`: a sweep's (or one run's) figures as SVG and PNG in DIR/plots/.

use overparam_analysis::plot::plot_sweep;

use crate::cli::PlotArgs;

/// Runs `overparam plot`.
pub fn run(args: &PlotArgs) -> anyhow::Result<()> {
    let report = plot_sweep(&args.dir)?;
    for path in &report.written {
        println!("wrote {}", path.display());
    }
    for (plot, reason) in &report.skipped {
        println!("skipped {plot}: {reason}");
    }
    Ok(())
}
