//! The sparse-bias analysis on synthetic sweep directories: each verdict holds, fails or is
//! inconclusive exactly as its criterion says, from the numbers written (the generalization
//! part's too); the report carries the tables and the λ_min-against-B figure; bad files are
//! errors that name them.

use std::fs;
use std::path::Path;

use overparam_analysis::report::Verdict;
use overparam_analysis::stats::normal_cdf;
use overparam_papers::sparse_bias::analyse;
use overparam_papers::{Findings, Parts, Scale};

/// One synthetic run.
#[derive(Clone)]
struct Fake {
    bias: f64,
    seed: u32,
    /// Active fraction at steps 0, 5, 10, … as multiples of 1 − Φ(B).
    active: Vec<f64>,
    /// (observed, predicted) per-step loss factors; `None`: not fitted.
    rates: Option<(f64, f64)>,
    /// λ_min of the empirical NTK at step 0.
    lambda_min: f64,
    /// λ_min(K∞); `None`: no ntk-analytic/summary.json.
    limit: Option<f64>,
    /// ‖K_T − K_0‖/‖K_0‖ at the end.
    drift: f64,
}

impl Fake {
    /// A run at B whose every measurement agrees with the claims: active fraction within 5%,
    /// ν = 1, λ_min 10% under K∞ (K∞ ∝ 1 − Φ(B)).
    fn good(bias: f64, seed: u32) -> Fake {
        let p = 1.0 - normal_cdf(bias);
        Fake {
            bias,
            seed,
            active: vec![1.0, 1.02, 1.05, 1.04],
            rates: Some((0.99f64.powf(1.0 + bias), 0.99f64.powf(1.0 + bias))),
            lambda_min: 0.9 * p,
            limit: Some(p),
            drift: 0.5,
        }
    }

    fn id(&self) -> String {
        format!("b{}s{}", (10.0 * self.bias) as i64, self.seed)
    }
}

/// Writes a sweep directory `root/train` holding `runs` (results.csv and each run's files).
fn write_sweep(root: &Path, runs: &[Fake]) {
    let dir = root.join("train");
    let mut results = String::from(
        "run_id,model.bias_init,model.width,seed,train.lr_w,status,error,final_loss,lambda_min_0,ntk_drift\n",
    );
    for run in runs {
        let p = 1.0 - normal_cdf(run.bias);
        let width = (64.0 / p).round();
        let rate = 2.0 / p;
        results.push_str(&format!(
            "{},{},{width},{},{rate},ok,,1e-9,{},{}\n",
            run.id(),
            -run.bias,
            run.seed,
            run.lambda_min,
            run.drift
        ));
        let run_dir = dir.join("runs").join(run.id());
        fs::create_dir_all(&run_dir).unwrap();
        let mut metrics = String::from("step,loss,active_fraction,flipped_fraction\n");
        for (k, share) in run.active.iter().enumerate() {
            metrics.push_str(&format!("{},0.1,{},0.01\n", 5 * k, share * p));
        }
        fs::write(run_dir.join("metrics.csv"), metrics).unwrap();
        let linear_rate = match run.rates {
            Some((observed, predicted)) => serde_json::json!({
                "observed_per_step": observed, "predicted_per_step": predicted
            }),
            None => serde_json::json!({ "observed_per_step": null, "predicted_per_step": null }),
        };
        let summary = serde_json::json!({
            "status": "ok", "steps_run": 200, "final_loss": 1e-9,
            "config": { "model": { "bias_init": -run.bias, "width": width } },
            "linear_rate": linear_rate,
        });
        fs::write(run_dir.join("summary.json"), summary.to_string()).unwrap();
        if let Some(limit) = run.limit {
            fs::create_dir_all(run_dir.join("ntk-analytic")).unwrap();
            let kernel = serde_json::json!({ "lambda_min": limit, "lambda_max": 10.0 * limit });
            fs::write(
                run_dir.join("ntk-analytic/summary.json"),
                kernel.to_string(),
            )
            .unwrap();
        }
    }
    fs::write(dir.join("results.csv"), results).unwrap();
}

/// Writes the sweep `root/generalization`: per (B, final training loss, final held-out
/// loss) one run, its held-out loss at step 0 being 0.5.
fn write_generalization(root: &Path, runs: &[(f64, f64, f64)]) {
    let dir = root.join("generalization");
    let mut results = String::from(
        "run_id,model.bias_init,model.width,seed,status,error,final_loss,final_test_loss\n",
    );
    for (index, &(bias, loss, test)) in runs.iter().enumerate() {
        let id = format!("g{index}");
        let width = (128.0 / (1.0 - normal_cdf(bias))).round();
        results.push_str(&format!(
            "{id},{},{width},{index},ok,,{loss},{test}\n",
            -bias
        ));
        let run_dir = dir.join("runs").join(&id);
        fs::create_dir_all(&run_dir).unwrap();
        let metrics = format!("step,loss,test_loss\n0,0.3,0.5\n100,{loss},{test}\n");
        fs::write(run_dir.join("metrics.csv"), metrics).unwrap();
    }
    fs::write(dir.join("results.csv"), results).unwrap();
}

/// Both parts' analysis: `runs` as the train part, `generalization` as the other.
fn analysed_with(
    runs: &[Fake],
    generalization: &[(f64, f64, f64)],
) -> (tempfile::TempDir, anyhow::Result<Findings>) {
    let root = tempfile::tempdir().unwrap();
    write_sweep(root.path(), runs);
    write_generalization(root.path(), generalization);
    let parts = Parts {
        dir: root.path().to_path_buf(),
        parts: vec![
            ("train".into(), root.path().join("train")),
            ("generalization".into(), root.path().join("generalization")),
        ],
        scale: Scale::Small,
    };
    let result = analyse(&parts);
    (root, result)
}

/// The analysis of `runs`, written to a fresh directory, beside a generalization part whose
/// claim holds.
fn analysed(runs: &[Fake]) -> (tempfile::TempDir, anyhow::Result<Findings>) {
    let generalization = [(0.0, 1e-9, 0.05), (0.0, 1e-9, 0.06), (1.0, 1e-9, 0.04)];
    analysed_with(runs, &generalization)
}

/// Good runs at B = 0, 1, 2 over two seeds, each passed through `edit`.
fn grid(edit: impl Fn(&mut Fake)) -> Vec<Fake> {
    let mut runs = Vec::new();
    for bias in [0.0, 1.0, 2.0] {
        for seed in 0..2 {
            let mut run = Fake::good(bias, seed);
            edit(&mut run);
            runs.push(run);
        }
    }
    runs
}

/// The train part's three verdicts (the fourth is the generalization part's).
fn verdicts(findings: &Findings) -> Vec<Verdict> {
    assert_eq!(findings.verdicts.len(), 4);
    findings.verdicts[..3].iter().map(|v| v.verdict).collect()
}

#[test]
fn held_out_loss_against_b_holds_fails_or_is_inconclusive_by_its_criterion() {
    let generalization = |runs: &[(f64, f64, f64)]| {
        let (_root, findings) = analysed_with(&grid(|_| {}), runs);
        findings.unwrap().verdicts[3].clone()
    };
    // B = 0 median 0.05; B = 1 median 0.0625 = 1.25 × 0.05: at the bound, holds.
    let holds = generalization(&[
        (0.0, 1e-9, 0.04),
        (0.0, 1e-9, 0.06),
        (1.0, 1e-9, 0.0625),
        (1.0, 1e-3, 9.0), // not fitted: left out
    ]);
    assert_eq!(holds.verdict, Verdict::Holds, "{holds:#?}");
    assert!(
        holds.measured
            == "median held-out loss by B: B = 0: 0.0500 (2 runs), B = 1: 0.0625 (1 runs); relative to B = 0: B = 1: 1.25",
        "{}",
        holds.measured
    );
    // Above the bound and every B = 1 run above B = 0's worst: does not hold.
    let fails = generalization(&[
        (0.0, 1e-9, 0.04),
        (0.0, 1e-9, 0.06),
        (1.0, 1e-9, 0.07),
        (1.0, 1e-9, 0.09),
    ]);
    assert_eq!(fails.verdict, Verdict::DoesNotHold, "{fails:#?}");
    assert!(fails.reason.contains("at B = 1 even the smallest"));
    // Above the bound but overlapping: inconclusive; no dense run: inconclusive.
    let overlap = generalization(&[
        (0.0, 1e-9, 0.04),
        (0.0, 1e-9, 0.06),
        (1.0, 1e-9, 0.05),
        (1.0, 1e-9, 0.2),
    ]);
    assert_eq!(overlap.verdict, Verdict::Inconclusive, "{overlap:#?}");
    let no_dense = generalization(&[(1.0, 1e-9, 0.05)]);
    assert_eq!(no_dense.verdict, Verdict::Inconclusive);
    assert_eq!(no_dense.reason, "no B = 0 run fit the training set");
}

#[test]
fn agreeing_measurements_make_every_claim_hold_with_the_numbers_reported() {
    let (root, result) = analysed(&grid(|_| {}));
    let findings = result.unwrap();
    assert_eq!(verdicts(&findings), [Verdict::Holds; 3]);
    let [active, rate, kernel, _] = &findings.verdicts[..] else {
        panic!("three verdicts")
    };
    // Worst deviation 5.0% at every B; ν(B)/ν(0) = 1; λ ratio 0.9.
    assert!(
        active.measured.contains("B = 2: 5.0%"),
        "{}",
        active.measured
    );
    assert!(rate.measured.contains("B = 1: 1.00"), "{}", rate.measured);
    assert!(
        rate.measured.contains("raw per-step 2.00"),
        "{}",
        rate.measured
    );
    assert!(
        kernel.measured.contains("B = 2: 0.900"),
        "{}",
        kernel.measured
    );
    for verdict in &findings.verdicts {
        assert!(!verdict.criterion.is_empty() && verdict.reason.is_empty());
    }
    assert_eq!(findings.sections.len(), 4);
    assert_eq!(
        findings.sections[3].title,
        "Generalization at a fixed number of active units"
    );
    assert_eq!(findings.sections[3].tables[0].rows.len(), 2);
    assert_eq!(
        findings.sections[1].paragraphs.len(),
        1,
        "no drift note below drift 1"
    );
    for section in &findings.sections[..3] {
        assert_eq!(section.tables[0].rows.len(), 3, "{}", section.title);
    }
    // λ_min(K∞)/(1 − Φ(B)) = 1 at every B, in the last column of the kernel table.
    let kernel_table = &findings.sections[2].tables[0];
    // Relative to B = 0 and per unit of 1 − Φ(B), both 1.
    let per_unit =
        |row: &Vec<String>| row[4].parse::<f64>().unwrap() * row[5].parse::<f64>().unwrap();
    assert!(
        kernel_table
            .rows
            .iter()
            .all(|row| (per_unit(row) - 1.0).abs() < 1e-9),
        "{kernel_table:?}"
    );
    // The λ_min-against-B figure is drawn and linked.
    assert!(root.path().join("train/plots/bias_kernel.svg").is_file());
    assert!(root.path().join("train/plots/bias_kernel.png").is_file());
    let stems: Vec<String> = findings.sections[2]
        .figures
        .iter()
        .map(|f| f.stem.display().to_string())
        .collect();
    assert_eq!(stems, ["train/plots/bias_kernel"]);
    // So is the active fraction over its prediction (the sweep's own plots are not drawn here).
    let active = &findings.sections[0].figures;
    assert_eq!(active.len(), 1);
    assert_eq!(
        active[0].stem.display().to_string(),
        "train/plots/active_ratio"
    );
    assert!(root.path().join("train/plots/active_ratio.png").is_file());
}

#[test]
fn violated_criteria_do_not_hold() {
    let runs = grid(|run| {
        if run.bias == 2.0 {
            run.active = vec![1.0, 1.3, 1.6, 1.8]; // exact at init, 80% off by the end
            let (_, predicted) = run.rates.unwrap();
            run.rates = Some((predicted.powf(0.3), predicted)); // ν = 0.3
            run.lambda_min = 0.5 * run.limit.unwrap(); // half of K∞'s
        }
    });
    let (_, result) = analysed(&runs);
    let findings = result.unwrap();
    assert_eq!(verdicts(&findings), [Verdict::DoesNotHold; 3]);
    assert!(findings.verdicts[0].measured.contains("B = 2: 80.0%"));
    assert!(findings.verdicts[1].measured.contains("B = 2: 0.300"));
    assert!(findings.verdicts[2]
        .measured
        .contains("B = 2: 0.500 (0.556)"));
}

/// The kernel claim is about the sparsity scaling: a ratio far from 1 at every B alike (a
/// narrow dense network) still holds; the rate section says where the kernel moved a lot.
#[test]
fn the_kernel_ratio_is_judged_against_the_dense_one_and_large_drift_is_reported() {
    let runs = grid(|run| {
        run.lambda_min = 0.5 * run.limit.unwrap();
        run.drift = if run.bias == 2.0 { 3.0 } else { 0.2 };
    });
    let (_, result) = analysed(&runs);
    let findings = result.unwrap();
    assert_eq!(findings.verdicts[2].verdict, Verdict::Holds);
    assert!(findings.verdicts[2]
        .measured
        .contains("B = 0: 0.500, B = 1: 0.500 (1.00)"));
    let notes = &findings.sections[1].paragraphs;
    assert_eq!(notes.len(), 2);
    assert!(notes[1].contains("at B = 2 (3.00)"), "{}", notes[1]);
}

/// One seed violating a criterion is enough: the worst deviation is over seeds, the rate and
/// kernel ratios are medians (two seeds: their mean).
#[test]
fn the_worst_seed_decides_the_active_fraction_and_medians_decide_the_rest() {
    let runs = grid(|run| {
        if run.bias == 1.0 && run.seed == 1 {
            run.active = vec![1.0, 0.7];
            run.lambda_min = 0.6 * run.limit.unwrap();
        }
    });
    let (_, result) = analysed(&runs);
    let findings = result.unwrap();
    let expected = [Verdict::DoesNotHold, Verdict::Holds, Verdict::Holds];
    assert_eq!(verdicts(&findings), expected);
    // (0.9 + 0.6)/2 = 0.75: within 30% although one seed is 40% off.
    assert!(findings.verdicts[2].measured.contains("B = 1: 0.750"));
}

#[test]
fn sampling_error_at_initialization_and_missing_measurements_are_inconclusive() {
    let runs = grid(|run| match run.bias {
        2.0 => {
            run.active = vec![1.2, 1.3]; // already 20% off at init: too few units
            run.rates = None;
        }
        1.0 => run.limit = None,
        _ => {}
    });
    let (_, result) = analysed(&runs);
    let findings = result.unwrap();
    assert_eq!(verdicts(&findings), [Verdict::Inconclusive; 3]);
    assert!(findings.verdicts[0]
        .reason
        .contains("B = 2 (20.0% off at init)"));
    assert!(findings.verdicts[1]
        .reason
        .contains("no fitted rate at B = 2"));
    assert!(findings.verdicts[2].reason.contains("no ratio at B = 1"));
}

#[test]
fn without_dense_runs_or_sparse_runs_the_rate_and_activity_claims_are_inconclusive() {
    let sparse_only: Vec<Fake> = grid(|_| {}).into_iter().filter(|r| r.bias > 0.0).collect();
    let (_, result) = analysed(&sparse_only);
    let findings = result.unwrap();
    assert_eq!(findings.verdicts[1].verdict, Verdict::Inconclusive);
    assert!(findings.verdicts[1].reason.contains("dense B = 0"));
    let dense_only: Vec<Fake> = grid(|_| {}).into_iter().filter(|r| r.bias == 0.0).collect();
    let (_, result) = analysed(&dense_only);
    let findings = result.unwrap();
    assert_eq!(findings.verdicts[0].verdict, Verdict::Inconclusive);
    assert!(findings.verdicts[0].reason.contains("no run with B > 0"));
}

#[test]
fn unreadable_files_are_errors_naming_them() {
    let root = tempfile::tempdir().unwrap();
    write_sweep(root.path(), &grid(|_| {}));
    let parts = Parts {
        dir: root.path().to_path_buf(),
        parts: vec![("train".into(), root.path().join("train"))],
        scale: Scale::Full,
    };
    let metrics = root.path().join("train/runs/b10s1/metrics.csv");
    fs::write(&metrics, "step,loss,active_fraction\n0,0.1,lots\n").unwrap();
    let error = format!("{:#}", analyse(&parts).unwrap_err());
    assert!(
        error.contains("b10s1/metrics.csv") && error.contains("lots"),
        "{error}"
    );

    write_sweep(root.path(), &grid(|_| {}));
    let summary = root
        .path()
        .join("train/runs/b20s0/ntk-analytic/summary.json");
    fs::write(&summary, "{ not json").unwrap();
    let error = format!("{:#}", analyse(&parts).unwrap_err());
    assert!(error.contains("b20s0/ntk-analytic/summary.json"), "{error}");

    fs::remove_file(root.path().join("train/results.csv")).unwrap();
    let error = format!("{:#}", analyse(&parts).unwrap_err());
    assert!(error.contains("train"), "{error}");
}
