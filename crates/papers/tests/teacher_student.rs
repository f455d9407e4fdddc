//! The teacher-student analysis on synthetic sweep directories: the final-phase rate fit, the
//! two verdicts of each part (holds, does not hold, inconclusive), the near-teacher part's
//! start-loss hypothesis, the per-run table and the figures, and errors that name the file.

use std::f64::consts::SQRT_2;
use std::fs;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};
use ndarray_npy::{write_npy, NpzWriter};
use overparam_analysis::report::Verdict;
use overparam_papers::teacher_student::{analyse, rate::final_phase_rate};
use overparam_papers::{Findings, Parts, Scale};

/// The teacher: k = 4 orthonormal directions, the standard basis of R⁴.
const K: usize = 4;

/// A student neuron: its input weight w_r and output weight a_r.
type Neuron = (Vec<f64>, f64);

/// Unit vector e_j (scaled by `sign`).
fn basis(j: usize, sign: f64) -> Vec<f64> {
    (0..K).map(|i| if i == j { sign } else { 0.0 }).collect()
}

/// A student that is the teacher, plus `extra` neurons of negligible weight.
fn aligned(extra: usize) -> Vec<Neuron> {
    let mut neurons: Vec<Neuron> = (0..K).map(|j| (basis(j, 1.0), 1.0)).collect();
    neurons.extend((0..extra).map(|r| (vec![0.3, -0.5, 0.2 + r as f64, 0.7], 1e-6)));
    neurons
}

/// The teacher's function with teachers 1 and 2 replaced by σ(−e_j·x) plus the linear term
/// (e_1 + e_2)·x = √2 [σ(u·x) − σ(−u·x)], u = (e_1 + e_2)/√2: 4 unaligned neurons of 6.
fn ghost() -> Vec<Neuron> {
    let u = vec![1.0 / SQRT_2, 1.0 / SQRT_2, 0.0, 0.0];
    let minus_u = u.iter().map(|x| -x).collect();
    vec![
        (basis(2, 1.0), 1.0),
        (basis(3, 1.0), 1.0),
        (basis(0, -1.0), 1.0),
        (basis(1, -1.0), 1.0),
        (u, SQRT_2),
        (minus_u, -SQRT_2),
    ]
}

/// One synthetic run: neurons, per-step loss factor, and whether it reached 1e-8.
struct Run {
    width: usize,
    seed: usize,
    neurons: Vec<Neuron>,
    rho: f64,
    reached: bool,
    /// The loss at step 0.
    start: f64,
}

impl Run {
    fn new(seed: usize, neurons: Vec<Neuron>, rho: f64) -> Run {
        Run {
            width: neurons.len(),
            seed,
            neurons,
            rho,
            reached: true,
            start: 0.1,
        }
    }

    fn id(&self) -> String {
        format!("m{}s{}", self.width, self.seed)
    }

    /// (step, loss) logged every 10 steps from `start` until 1e-8 (or for 200 steps when it
    /// does not reach it).
    fn curve(&self) -> Vec<(usize, f64)> {
        let mut curve = Vec::new();
        let mut step = 0;
        loop {
            let loss = self.start * self.rho.powi(step as i32);
            curve.push((step, loss));
            if (self.reached && loss <= 1e-8) || (!self.reached && step >= 200) {
                return curve;
            }
            step += 10;
        }
    }
}

/// Writes `runs` as both sweeps of a reproduction in `root`: `students` from their own
/// start, `near-teacher` from a start of 0.005 (below the threshold 0.01); returns its parts.
fn write_sweep(root: &Path, runs: &mut [Run]) -> Parts {
    write_part(&root.join("students"), runs);
    for run in runs.iter_mut() {
        run.start = 0.005;
    }
    write_part(&root.join("near-teacher"), runs);
    Parts {
        dir: root.to_path_buf(),
        parts: vec![
            ("near-teacher".into(), root.join("near-teacher")),
            ("students".into(), root.join("students")),
        ],
        scale: Scale::Small,
    }
}

/// Writes `runs` as one sweep in `dir`.
fn write_part(dir: &Path, runs: &[Run]) {
    let mut results =
        String::from("run_id,model.width,seed,status,error,final_loss,steps_to_target\n");
    for run in runs {
        let curve = run.curve();
        let (steps, loss) = *curve.last().unwrap();
        let to_target = if run.reached {
            steps.to_string()
        } else {
            String::new()
        };
        results += &format!(
            "{},{},{},ok,,{loss},{to_target}\n",
            run.id(),
            run.width,
            run.seed
        );
        write_run(&dir.join("runs").join(run.id()), run, &curve);
    }
    fs::write(dir.join("results.csv"), results).unwrap();
}

/// metrics.csv, params_final.npz and alignment.npy of one run.
fn write_run(dir: &Path, run: &Run, curve: &[(usize, f64)]) {
    fs::create_dir_all(dir).unwrap();
    // teacher_alignment 0.99 at step 0, 0.9999 after.
    let mut metrics = String::from("step,loss,teacher_alignment\n");
    for (step, loss) in curve {
        let alignment = if *step == 0 { 0.99 } else { 0.9999 };
        metrics += &format!("{step},{loss},{alignment}\n");
    }
    fs::write(dir.join("metrics.csv"), metrics).unwrap();
    let m = run.neurons.len();
    let w1 = Array2::from_shape_fn((m, K), |(r, i)| run.neurons[r].0[i]);
    let a = Array1::from_iter(run.neurons.iter().map(|n| n.1));
    let mut npz = NpzWriter::new(fs::File::create(dir.join("params_final.npz")).unwrap());
    npz.add_array("w1", &w1).unwrap();
    npz.add_array("a", &a).unwrap();
    npz.finish().unwrap();
    let cosines = Array2::from_shape_fn((m, K), |(r, j)| {
        let w = &run.neurons[r].0;
        w[j] / w.iter().map(|x| x * x).sum::<f64>().sqrt()
    });
    write_npy(dir.join("alignment.npy"), &cosines).unwrap();
}

/// Analyses `runs` written into a fresh temporary directory.
/// Both parts see the same runs (from different starts), so they reach the same verdicts,
/// the near-teacher part's first.
fn analysed(mut runs: Vec<Run>) -> (tempfile::TempDir, Findings) {
    let root = tempfile::tempdir().unwrap();
    let parts = write_sweep(root.path(), &mut runs);
    let findings = analyse(&parts).unwrap();
    assert_eq!(findings.verdicts.len(), 4);
    for (near, random) in findings.verdicts[..2].iter().zip(&findings.verdicts[2..]) {
        assert_eq!(near.verdict, random.verdict, "{findings:#?}");
        assert!(near
            .claim
            .starts_with("From a start below the loss threshold (the theorem's hypothesis): "));
        assert!(random
            .claim
            .starts_with("From a random start (outside the theorem's hypothesis): "));
    }
    (root, findings)
}

/// The two verdicts of the near-teacher part.
fn verdicts(findings: &Findings) -> [Verdict; 2] {
    [findings.verdicts[0].verdict, findings.verdicts[1].verdict]
}

#[test]
fn a_geometric_loss_has_its_factor_as_rate_and_no_slowdown() {
    let curve: Vec<(f64, f64)> = (0..60)
        .map(|t| (10.0 * t as f64, 0.5 * 0.97f64.powi(10 * t)))
        .collect();
    let rate = final_phase_rate(&curve, 2.0).unwrap();
    assert!((rate.per_step - 0.97).abs() < 1e-12, "{rate:?}");
    assert!((rate.decrease() - 0.03).abs() < 1e-12);
    assert!((rate.slowdown.unwrap() - 1.0).abs() < 1e-9);
    // The window is the last two decades: 0.97^10 ≈ 0.74 per point, so 16 points.
    assert_eq!(rate.points, 16, "{rate:?}");
}

#[test]
fn a_sublinear_loss_slows_down_and_a_short_tail_gives_no_rate() {
    let curve: Vec<(f64, f64)> = (1..=2000)
        .map(|t| (t as f64, 1.0 / (t as f64).powi(2)))
        .collect();
    let rate = final_phase_rate(&curve, 2.0).unwrap();
    assert!(rate.slowdown.unwrap() > 2.0, "{rate:?}");
    assert!(final_phase_rate(&[(0.0, 1.0), (10.0, 0.5)], 2.0).is_none());
    assert!(final_phase_rate(&[(0.0, 1.0), (10.0, 0.0)], 2.0).is_none());
    // A spike above the window cuts it: only the points after the last one above count.
    let spiky = [
        (0.0, 1e-7),
        (10.0, 1e-3),
        (20.0, 5e-8),
        (30.0, 1e-8),
        (40.0, 1e-9),
    ];
    assert_eq!(final_phase_rate(&spiky, 2.0).unwrap().points, 3);
}

#[test]
fn aligned_students_with_equal_rates_hold_both_claims() {
    let runs = [
        Run::new(0, aligned(0), 0.97),
        Run::new(1, aligned(0), 0.971),
        Run::new(0, aligned(4), 0.96),
        Run::new(1, aligned(4), 0.975),
    ];
    let (root, findings) = analysed(runs.into());
    assert_eq!(
        verdicts(&findings),
        [Verdict::Holds, Verdict::Holds],
        "{findings:#?}"
    );
    assert!(findings.verdicts[0]
        .measured
        .contains("4 of 4 runs reached"));
    let caveat = &findings.verdicts[1].reason;
    assert!(
        caveat.contains("median slowdown 1.00 at m = k = 4, 1.00 at m > k"),
        "{caveat}"
    );
    assert!(
        findings.verdicts[1].measured.contains("m = 4: 0.0295"),
        "{}",
        findings.verdicts[1].measured
    );
    let plots = root.path().join("students/plots");
    for stem in ["alignment_m4", "alignment_m8", "final_rate_vs_width"] {
        assert!(
            plots.join(format!("{stem}.svg")).is_file()
                && plots.join(format!("{stem}.png")).is_file()
        );
    }
    let figures: Vec<PathBuf> = findings
        .sections
        .iter()
        .flat_map(|s| &s.figures)
        .map(|f| f.stem.clone())
        .collect();
    assert!(
        figures.contains(&PathBuf::from("students/plots/alignment_m8")),
        "{figures:?}"
    );
    let table = fs::read_to_string(root.path().join("students/teacher_student.csv")).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 5);
    assert!(
        rows[3].starts_with("m8s0,8,0,") && rows[3].contains(",4,0,0,0,0,1"),
        "{table}"
    );
}

#[test]
fn an_unaligned_zero_loss_student_and_width_dependent_rates_do_not_hold() {
    let runs = [
        Run::new(0, aligned(0), 0.97),
        Run::new(1, aligned(0), 0.972),
        Run::new(0, ghost(), 0.999),
        Run::new(1, aligned(2), 0.9995),
    ];
    let (_root, findings) = analysed(runs.into());
    assert_eq!(
        verdicts(&findings),
        [Verdict::DoesNotHold, Verdict::DoesNotHold]
    );
    let measured = &findings.verdicts[0].measured;
    assert!(
        measured.contains("1 of those")
            && measured.contains("m = 6, seed 0")
            && measured.contains("on 4 misaligned neurons, 2 of them pointing against"),
        "{measured}"
    );
    let caveat = &findings.verdicts[0].reason;
    let mechanism = "2 of the 4 misaligned neurons point against a teacher neuron and 2 form";
    assert!(caveat.contains(mechanism), "{caveat}");
    let alignment = &findings.sections[3];
    assert!(alignment.paragraphs[1].starts_with("4 non-negligible neurons end misaligned: 2 point against a teacher neuron (cos ≤ −0.99), 2 others have an opposite partner"), "{alignment:#?}");
    assert_eq!(alignment.tables[0].rows[1][4], "4 (2 / 2)");
    assert_eq!(alignment.tables[0].rows[1][6], "35.4%");
}

#[test]
fn unreached_targets_and_overlapping_rates_are_inconclusive() {
    let mut stuck = Run::new(2, aligned(0), 0.98);
    stuck.reached = false;
    let runs = [
        Run::new(0, aligned(0), 0.99),
        Run::new(1, aligned(0), 0.9),
        stuck,
        Run::new(0, aligned(4), 0.995),
        Run::new(1, aligned(4), 0.98),
    ];
    let (_root, findings) = analysed(runs.into());
    assert_eq!(
        verdicts(&findings),
        [Verdict::Inconclusive, Verdict::Inconclusive]
    );
    assert!(findings.verdicts[0]
        .reason
        .starts_with("1 run(s) did not reach"));
    assert!(
        findings.verdicts[1].reason.contains("overlap"),
        "{:?}",
        findings.verdicts[1]
    );
    // The unreached run has no rate: two per width.
    assert_eq!(findings.sections[4].tables[0].rows[0][1], "2");
    assert_eq!(findings.sections[2].tables[0].rows[0][1], "2");
}

#[test]
fn a_single_width_cannot_decide_the_rate_claim() {
    let (_root, findings) = analysed(vec![Run::new(0, aligned(0), 0.97)]);
    assert_eq!(findings.verdicts[1].verdict, Verdict::Inconclusive);
    assert_eq!(
        findings.verdicts[1].reason,
        "fewer than two widths have a fitted rate"
    );
}

#[test]
fn a_missing_or_misshapen_array_is_an_error_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let parts = write_sweep(root.path(), &mut [Run::new(0, aligned(0), 0.97)]);
    let run = root.path().join("near-teacher/runs/m4s0");
    fs::remove_file(run.join("alignment.npy")).unwrap();
    let error = format!("{:#}", analyse(&parts).unwrap_err());
    assert!(error.contains("alignment.npy"), "{error}");
    write_npy(run.join("alignment.npy"), &Array2::<f64>::zeros((3, K))).unwrap();
    let error = format!("{:#}", analyse(&parts).unwrap_err());
    assert!(
        error.contains("alignment.npy: 3 rows, but params_final.npz has 4 neurons"),
        "{error}"
    );
}

#[test]
fn near_teacher_runs_started_above_the_threshold_are_left_out_and_said_so() {
    let root = tempfile::tempdir().unwrap();
    let mut runs = [
        Run::new(0, aligned(0), 0.97),
        Run::new(0, ghost(), 0.97),
        Run::new(0, aligned(4), 0.97),
    ];
    let parts = write_sweep(root.path(), &mut runs);
    // The misaligned student (m = 6) starts at 0.02 in the near-teacher part: outside.
    runs[1].start = 0.02;
    write_part(&root.path().join("near-teacher"), &runs);
    let findings = analyse(&parts).unwrap();
    let near = &findings.verdicts[0];
    assert_eq!(near.verdict, Verdict::Holds, "{near:#?}");
    assert!(
        near.measured.starts_with(
            "1 run(s) started above the loss threshold 0.01 and are left out; 2 of 2 runs reached"
        ),
        "{}",
        near.measured
    );
    assert_eq!(findings.verdicts[2].verdict, Verdict::DoesNotHold);
    let start = &findings.sections[1];
    assert!(
        start.paragraphs[0].contains(
            "losses at step 0 from 0.00500 to 0.0200; 2 of 3 runs started below the threshold 0.01"
        ),
        "{start:#?}"
    );
    assert_eq!(
        start.tables[1].rows[1][..4],
        ["6", "0.0200", "0.0100", "1.00e-4"].map(String::from)
    );
    assert!(
        start.paragraphs[0].contains("median 0.0100 at step 0 and 1.00e-4 at the end"),
        "{start:#?}"
    );
    assert!(findings.sections[0].title == "Hypotheses and assumptions");
}
