//! `overparam bench`: each hot task (GD and SGD steps, kernels, seeds, large spectra) timed on this machine, beside the GEMM rate measured in
//! the same run, with each task's ratio to its GEMM-bound time (its matrix-product FLOPs at
//! that rate). Times are the best of several repetitions after a warm-up; nothing here is
//! asserted (speed is reported, never tested).

mod ensemble_engine;
mod seeds;
mod sgd;
mod spectrum;
mod tasks;

use std::time::Instant;

use serde::Serialize;

use crate::backend::autodiff_device;
use crate::backend::DTypeKind;
use crate::cli::BenchArgs;

/// One timed task.
#[derive(Clone, Debug, Serialize)]
pub struct Task {
    /// Stable name (benches/compare/compare.py matches peers by it).
    pub name: String,
    /// Best wall time, seconds.
    pub seconds: f64,
    /// Time its matrix products would take at the measured GEMM rate, when it has any.
    pub bound_seconds: Option<f64>,
    /// `seconds / bound_seconds`.
    pub bound_ratio: Option<f64>,
    /// What was timed.
    pub note: String,
}

impl Task {
    fn new(
        name: impl Into<String>,
        seconds: f64,
        bound_seconds: Option<f64>,
        note: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            seconds,
            bound_seconds,
            bound_ratio: bound_seconds.map(|b| seconds / b),
            note: note.into(),
        }
    }
}

/// The GEMM rates the bounds use, GFLOP/s.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct GemmRates {
    /// f32 [1024,4096]×[4096,1024].
    pub f32: f64,
    /// f64, same shape.
    pub f64: f64,
}

/// Everything `--json` prints.
#[derive(Debug, Serialize)]
struct Report {
    version: &'static str,
    backend: String,
    threads: usize,
    gemm_gflops: GemmRates,
    tasks: Vec<Task>,
}

/// Best of `repeats` timings of `work` after one warm-up call, in seconds.
pub fn best_time(repeats: usize, mut work: impl FnMut()) -> f64 {
    work();
    (0..repeats)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Runs `overparam bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let repeats = if args.quick { 3 } else { 7 };
    let device = autodiff_device(args.backend, DTypeKind::F32)?;
    let rates = tasks::gemm_rates(repeats);
    let mut all = Vec::new();
    all.extend(tasks::gradient_steps(&device, rates, repeats));
    all.extend(sgd::sgd_steps(&device, rates, repeats));
    all.extend(tasks::kernels(&device, rates, repeats));
    let count = if args.quick { 8 } else { 64 };
    all.extend(seeds::throughput(count, rates)?);
    all.extend(ensemble_engine::engines(
        count as usize,
        [64, 8, 64],
        2000,
        seeds::flops_per_step(),
        rates,
    ));
    all.extend(spectrum::spectra(args.quick, rates)?);
    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        backend: args.backend.name().to_string(),
        threads: rayon::current_num_threads(),
        gemm_gflops: rates,
        tasks: all,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(report: &Report) {
    println!(
        "overparam {} · Burn backend {} · {} threads · GEMM [1024,4096]×[4096,1024]: {:.0} GFLOP/s f32, {:.0} GFLOP/s f64",
        report.version, report.backend, report.threads, report.gemm_gflops.f32, report.gemm_gflops.f64
    );
    println!(
        "{:<48} {:>10} {:>10} {:>8}  note",
        "task", "seconds", "bound s", "/bound"
    );
    for task in &report.tasks {
        let bound = task
            .bound_seconds
            .map_or("–".to_string(), |b| format!("{b:.4}"));
        let ratio = task
            .bound_ratio
            .map_or("–".to_string(), |r| format!("{r:.2}"));
        println!(
            "{:<48} {:>10.4} {:>10} {:>8}  {}",
            task.name, task.seconds, bound, ratio, task.note
        );
    }
}
