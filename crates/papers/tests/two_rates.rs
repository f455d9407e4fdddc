//! The two-rates analysis on synthetic sweep directories: each verdict follows its stated
//! criterion (holds, does not hold, inconclusive), failed runs count as not converged, the
//! phase diagram and the per-run CSV are written, and bad data is an error naming the file.

use std::fs;
use std::path::{Path, PathBuf};

use overparam_analysis::report::Verdict;
use overparam_papers::{two_rates, Findings, Parts, Scale};

/// Samples of every synthetic run.
const N: u32 = 32;
/// The per-step loss factor K_η "predicts" for every synthetic run.
const PREDICTED: f64 = 0.99;
/// Loss at step 0.
const L0: f64 = 0.5;
/// Logging interval; the NTK is logged every 10 rows.
const LOG_EVERY: u32 = 10;

/// One synthetic run.
#[derive(Clone, Copy)]
struct Spec {
    width: u32,
    /// η_w/η_a, with η_a = 1.
    ratio: f64,
    /// Final kernel drift.
    drift: f64,
    /// Whether the loss reaches 1e-8 · L0 (else it stalls at 1e-2 · L0).
    converges: bool,
    /// ln(observed)/ln(predicted) over the first 50 steps.
    early: f64,
    /// ln(observed)/ln(predicted) afterwards.
    linear: f64,
    /// `ok`, or `failed` (loss diverges to NaN after 100 steps).
    ok: bool,
}

/// A run that behaves as the kernel regime says: converges, early 3× faster, then at the rate.
fn run(width: u32, ratio: f64, drift: f64) -> Spec {
    Spec {
        width,
        ratio,
        drift,
        converges: true,
        early: 3.0,
        linear: 1.0,
        ok: true,
    }
}

/// (step, loss) of `spec`'s loss curve.
fn loss_curve(spec: &Spec) -> Vec<(u32, f64)> {
    let ln_p = PREDICTED.ln();
    let floor = if spec.converges { 1e-8 } else { 1e-2 } * L0;
    let mut curve = Vec::new();
    let mut step = 0;
    loop {
        let t = f64::from(step);
        let loss = if step <= 50 {
            L0 * (spec.early * ln_p * t).exp()
        } else {
            L0 * (spec.early * ln_p * 50.0 + spec.linear * ln_p * (t - 50.0)).exp()
        };
        if !spec.ok && step > 100 {
            curve.push((step, f64::NAN));
            return curve;
        }
        let last = loss <= floor || step >= 4000;
        curve.push((step, loss.max(floor)));
        if last {
            return curve;
        }
        step += LOG_EVERY;
    }
}

/// Writes `specs` as a merged sweep directory `dir` (results.csv, runs/<id>/…).
fn write_sweep(dir: &Path, specs: &[Spec]) {
    let mut results = String::from(
        "run_id,model.width,train.lr_a,train.lr_w,status,error,final_loss,steps_to_target,lambda_min_0,\
         lambda_max_0,move_w,move_b,move_a,active_fraction,ntk_drift,wall_s\n",
    );
    for (i, spec) in specs.iter().enumerate() {
        let id = format!("run{i:03}");
        let run_dir = dir.join("runs").join(&id);
        fs::create_dir_all(&run_dir).unwrap();
        let curve = loss_curve(spec);
        let last_step = curve.last().unwrap().0;
        let mut metrics = String::from(
            "step,loss,grad_norm_w,grad_norm_b,grad_norm_a,move_w,move_b,move_a,active_fraction,\
             flipped_fraction,lambda_min,lambda_max,ntk_drift,pl_ratio,teacher_alignment\n",
        );
        for &(step, loss) in &curve {
            let progress = f64::from(step) / f64::from(last_step);
            let kernel = if step % (10 * LOG_EVERY) == 0 || step == last_step {
                format!("{},2,{}", 0.1 - 0.01 * progress, spec.drift * progress)
            } else {
                ",,".to_string()
            };
            let (move_w, move_a) = (0.1 * progress * spec.ratio, 0.1 * progress);
            metrics += &format!("{step},{loss},1,,1,{move_w},,{move_a},0.5,0.01,{kernel},1,\n");
        }
        fs::write(run_dir.join("metrics.csv"), metrics).unwrap();
        let status = if spec.ok { "ok" } else { "failed" };
        let summary = format!(
            r#"{{"status":"{status}","config":{{"data":{{"n":{N}}},"model":{{"width":{}}},"train":{{"lr_w":{:?},"lr_a":1.0}}}},"linear_rate":{{"predicted_per_step":{PREDICTED},"observed_per_step":null}}}}"#,
            spec.width, spec.ratio
        );
        fs::write(run_dir.join("summary.json"), summary).unwrap();
        let final_loss = curve.last().unwrap().1;
        results += &format!(
            "{id},{},1.0,{:?},{status},,{final_loss},,0.1,2,0.1,0,0.1,0.5,{},1\n",
            spec.width, spec.ratio, spec.drift
        );
    }
    fs::write(dir.join("results.csv"), results).unwrap();
}

/// Analyses `specs` written into a fresh reproduction directory under `root`.
fn analyse(root: &Path, specs: &[Spec]) -> anyhow::Result<Findings> {
    let grid = root.join("grid");
    write_sweep(&grid, specs);
    two_rates::analyse(&parts(root, grid))
}

fn parts(root: &Path, grid: PathBuf) -> Parts {
    Parts {
        dir: root.to_path_buf(),
        parts: vec![("grid".into(), grid)],
        scale: Scale::Small,
    }
}

/// A 4 × 3 grid: widths 8 < n (stalls), 32, 128 (both far from the NTK regime) and 2048 (lazy).
fn grid() -> Vec<Spec> {
    let mut specs = Vec::new();
    for ratio in [0.25, 1.0, 16.0] {
        specs.push(Spec {
            converges: false,
            ..run(8, ratio, 3.0)
        });
        specs.push(run(32, ratio, 1.5));
        specs.push(run(128, ratio, 0.5));
        specs.push(run(2048, ratio, 0.03));
    }
    specs
}

fn verdicts(findings: &Findings) -> Vec<Verdict> {
    findings.verdicts.iter().map(|v| v.verdict).collect()
}

/// Asserts that `text` contains `part`, showing `text` if not.
fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "`{part}` not in: {text}");
}

#[test]
fn kernel_regime_runs_give_three_holds_and_every_output() {
    let root = tempfile::tempdir().unwrap();
    let findings = analyse(root.path(), &grid()).unwrap();
    assert_eq!(
        verdicts(&findings),
        [Verdict::Holds; 3],
        "{:#?}",
        findings.verdicts
    );
    for v in &findings.verdicts {
        assert!(!v.claim.is_empty() && !v.criterion.is_empty() && !v.measured.is_empty());
    }
    let convergence = &findings.verdicts[0].measured;
    // Width 8 < n stalls: reported beside the count, not in it.
    assert_has(convergence, "6 of 6 (100%) runs");
    assert_has(convergence, "m = 8: 0/3, 32: 3/3, 128: 3/3");
    assert_has(&findings.verdicts[1].measured, "12 of 12 (100%) runs");
    assert_has(&findings.verdicts[2].measured, "median |ratio − 1| = ");

    let grid = root.path().join("grid");
    for stem in ["phase_diagram", "kernel_drift"] {
        for ext in ["svg", "png"] {
            let file = grid.join("plots").join(format!("{stem}.{ext}"));
            assert!(
                fs::metadata(&file).unwrap().len() > 1000,
                "{}",
                file.display()
            );
        }
    }
    let svg = fs::read_to_string(grid.join("plots/phase_diagram.svg")).unwrap();
    assert!(
        svg.contains("1/4") && svg.contains("2048") && svg.contains("0/1"),
        "labels drawn"
    );
    let figures: Vec<&PathBuf> = findings
        .sections
        .iter()
        .flat_map(|s| &s.figures)
        .map(|f| &f.stem)
        .collect();
    assert!(figures.contains(&&PathBuf::from("grid/plots/phase_diagram")));

    let csv = fs::read_to_string(grid.join("two_rates.csv")).unwrap();
    assert_eq!(csv.lines().count(), 13, "{csv}");
    let table = &findings.sections[0].tables[0];
    assert_eq!(table.rows.len(), 12, "one row per cell");
    let lazy = table
        .rows
        .iter()
        .find(|r| r[0] == "2048" && r[1] == "16")
        .unwrap();
    assert_eq!(lazy[2], "1/1");
    let ratio: f64 = lazy[8].parse().unwrap();
    assert!(
        (ratio - 1.0).abs() < 1e-6,
        "linear phase at exactly the predicted rate: {lazy:?}"
    );
    let early: f64 = lazy[7].parse().unwrap();
    assert!((early - 3.0).abs() < 1e-6, "{lazy:?}");
}

#[test]
fn stalling_at_large_drift_and_wrong_rates_do_not_hold() {
    let root = tempfile::tempdir().unwrap();
    let specs: Vec<Spec> = grid()
        .into_iter()
        .map(|s| match s.width {
            128 => Spec {
                converges: s.ratio > 10.0,
                ..s
            },
            2048 => Spec {
                linear: 2.0,
                early: 0.5,
                ..s
            },
            _ => s,
        })
        .collect();
    let findings = analyse(root.path(), &specs).unwrap();
    assert_eq!(
        verdicts(&findings),
        [Verdict::DoesNotHold; 3],
        "{:#?}",
        findings.verdicts
    );
    assert_has(&findings.verdicts[0].measured, "4 of 6 (67%) runs");
    assert_has(
        &findings.verdicts[2].measured,
        "median |ratio − 1| = 1.00 over 3 lazy runs",
    );
}

#[test]
fn a_grid_that_stays_lazy_or_never_is_inconclusive_with_a_reason() {
    let root = tempfile::tempdir().unwrap();
    let lazy: Vec<Spec> = [0.25, 1.0, 16.0].map(|r| run(2048, r, 0.02)).to_vec();
    let findings = analyse(root.path(), &lazy).unwrap();
    assert_eq!(
        verdicts(&findings),
        [Verdict::Inconclusive, Verdict::Holds, Verdict::Holds]
    );
    assert_has(&findings.verdicts[0].reason, "only 0 runs");

    let root = tempfile::tempdir().unwrap();
    let wild: Vec<Spec> = [0.25, 1.0, 16.0].map(|r| run(64, r, 2.0)).to_vec();
    let findings = analyse(root.path(), &wild).unwrap();
    assert_eq!(findings.verdicts[2].verdict, Verdict::Inconclusive);
    assert_has(&findings.verdicts[2].reason, "drift < 0.1");
}

#[test]
fn failed_runs_count_as_not_converged_and_are_named() {
    let root = tempfile::tempdir().unwrap();
    let mut specs = grid();
    specs[1].ok = false; // width 32, ratio 1/4: diverges after step 100
    let findings = analyse(root.path(), &specs).unwrap();
    assert_has(&findings.verdicts[0].measured, "5 of 6 (83%) runs");
    assert_eq!(findings.verdicts[0].verdict, Verdict::DoesNotHold);
    let paragraphs = findings.sections[0].paragraphs.join(" ");
    assert_has(&paragraphs, "run001 (m = 32, η_w/η_a = 1/4)");

    // A failed run that left no files at all is still read (and not converged).
    let root = tempfile::tempdir().unwrap();
    let grid = root.path().join("grid");
    write_sweep(&grid, &specs);
    fs::remove_dir_all(grid.join("runs/run001")).unwrap();
    let findings = two_rates::analyse(&parts(root.path(), grid)).unwrap();
    assert_has(
        &findings.verdicts[0].measured,
        "1 run(s) without a drift measurement",
    );
}

#[test]
fn bad_data_is_an_error_naming_the_file_and_column() {
    let root = tempfile::tempdir().unwrap();
    let grid = root.path().join("grid");
    let specs = [run(32, 1.0, 1.0), run(2048, 1.0, 0.02)];
    write_sweep(&grid, &specs);
    let metrics = grid.join("runs/run000/metrics.csv");
    let text = fs::read_to_string(&metrics)
        .unwrap()
        .replacen("\n0,", "\n0x,", 1);
    fs::write(&metrics, text).unwrap();
    let error = error_of(root.path(), &grid);
    assert_has(&error, "run000/metrics.csv");
    assert_has(&error, "`step`");

    // No width column and no summary to find it in.
    write_sweep(&grid, &specs);
    let results = fs::read_to_string(grid.join("results.csv"))
        .unwrap()
        .replace("model.width", "width");
    fs::write(grid.join("results.csv"), results).unwrap();
    fs::remove_file(grid.join("runs/run000/summary.json")).unwrap();
    let error = error_of(root.path(), &grid);
    assert_has(&error, "results.csv");
    assert_has(&error, "model.width");

    let empty = root.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    fs::write(empty.join("results.csv"), "run_id,status\n").unwrap();
    let error = error_of(root.path(), &empty);
    assert_has(&error, "lists no runs");
}

/// The error message of analysing `grid` (a part directory under `root`).
fn error_of(root: &Path, grid: &Path) -> String {
    let parts = parts(root, grid.to_path_buf());
    format!("{:#}", two_rates::analyse(&parts).unwrap_err())
}
