//! `overparam reproduce`: every reproduction at `--scale small` produces its report, with
//! every verdict computed (one of the three outcomes, with the criterion and the measurement).

mod common;

use std::path::PathBuf;

use common::{overparam, stderr};

/// The committed sweep specs.
fn specs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/papers")
}

/// Runs `reproduce NAME --scale small` into a fresh directory (`DIR/NAME`), checks its
/// report, and returns the directory.
fn reproduce_small(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(name);
    let output = overparam(&[
        "reproduce",
        name,
        "--scale",
        "small",
        "--specs",
        specs().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{name}: {}", stderr(&output));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let verdicts = report["verdicts"].as_array().unwrap();
    assert!(!verdicts.is_empty(), "{name}: no verdicts");
    for verdict in verdicts {
        let outcome = verdict["verdict"].as_str().unwrap();
        assert!(
            ["holds", "does_not_hold", "inconclusive"].contains(&outcome),
            "{name}: {verdict}"
        );
        for field in ["claim", "criterion", "measured"] {
            assert!(
                !verdict[field].as_str().unwrap().trim().is_empty(),
                "{name}: empty {field} in {verdict}"
            );
        }
        if outcome == "inconclusive" {
            assert!(
                !verdict["reason"].as_str().unwrap().is_empty(),
                "{name}: {verdict}"
            );
        }
    }
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(markdown.contains("## Verdicts") && html.contains("<h2>Verdicts</h2>"));
    // The committed specs fix the criteria the analysis applies.
    assert!(
        markdown.contains("verdict criteria: as fixed in each spec's `[criteria]`"),
        "{name}"
    );
    assert!(!markdown.contains("NOT the criteria fixed"), "{name}");
    // Every figure the Markdown links exists, and the HTML inlines it.
    for link in markdown.split("](").skip(1) {
        let target = link.split(')').next().unwrap();
        assert!(
            out.join(target).is_file(),
            "{name}: {target} is linked but missing"
        );
        assert!(html.contains("<svg"), "{name}: figures are inlined");
    }
    dir
}

#[test]
fn list_names_every_reproduction_and_unknown_names_are_explained() {
    let output = overparam(&["reproduce", "--list"]);
    let listed = String::from_utf8_lossy(&output.stdout).into_owned();
    for name in [
        "subquadratic",
        "teacher-student",
        "quadratic",
        "two-rates",
        "sparse-bias",
    ] {
        assert!(listed.contains(name), "{listed}");
    }
    let output = overparam(&["reproduce", "nonesuch", "--scale", "small"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("there are: subquadratic"),
        "{}",
        stderr(&output)
    );
    let output = overparam(&["reproduce", "subquadratic", "--specs", "/nonexistent"]);
    assert!(stderr(&output).contains("--specs"), "{}", stderr(&output));
}

#[test]
fn subquadratic_small() {
    let dir = reproduce_small("subquadratic");
    let report = std::fs::read_to_string(dir.path().join("subquadratic/report.md")).unwrap();
    for fragment in [
        "| n | runs that missed the target | stalled | still descending at the end of the budget |",
        "## Generalization: every layer trained against the lazy regime",
    ] {
        assert!(report.contains(fragment), "{report}");
    }
}

#[test]
fn teacher_student_small() {
    reproduce_small("teacher-student");
}

#[test]
fn a_spec_whose_criteria_differ_from_the_analysis_is_said_in_every_verdict_line() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs/subquadratic");
    std::fs::create_dir_all(&specs).unwrap();
    for file in std::fs::read_dir(self::specs().join("subquadratic"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(file.path(), specs.join(file.file_name())).unwrap();
    }
    let spec = specs.join("subquadratic.small.toml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let edited = text.replace("alpha_bound = 2.0", "alpha_bound = 1.5\nalpha_bonud = 2.0");
    assert_ne!(edited, text);
    std::fs::write(&spec, edited).unwrap();
    let out = dir.path().join("out");
    let output = overparam(&[
        "reproduce",
        "subquadratic",
        "--scale",
        "small",
        "--specs",
        dir.path().join("specs").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    for verdict in report["verdicts"].as_array().unwrap() {
        let criterion = verdict["criterion"].as_str().unwrap();
        for fragment in [
            "NOT the criteria fixed in the spec",
            "the spec fixes `alpha_bound = 1.5`, the analysis applied 2.0",
            "the spec's `alpha_bonud` is not a criterion of this analysis",
        ] {
            assert!(criterion.contains(fragment), "{criterion}");
        }
    }
}

#[test]
fn quadratic_small() {
    reproduce_small("quadratic");
}

#[test]
fn the_quadratic_landscape_runs_get_a_checked_hessian_at_their_end_point() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("quadratic");
    let output = overparam(&[
        "reproduce",
        "quadratic",
        "--scale",
        "small",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let runs: Vec<_> = std::fs::read_dir(out.join("landscape/runs"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(runs.len(), 4);
    for run in runs {
        let text = std::fs::read_to_string(run.path().join("hessian/summary.json")).unwrap();
        let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
        let check = summary["finite_difference"]["relative"].as_f64().unwrap();
        assert!(check < 1e-5, "{}: {summary}", run.path().display());
        assert!(summary["hessian_min_eigenvalue"]
            .as_f64()
            .unwrap()
            .is_finite());
        assert!(run.path().join("hessian/hessian_eigenvalues.npy").is_file());
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("spurious local minima"), "{report}");
}

#[test]
fn two_rates_small() {
    reproduce_small("two-rates");
}

#[test]
fn sparse_bias_small() {
    reproduce_small("sparse-bias");
}

#[test]
fn the_built_in_specs_reproduce_from_any_directory_and_the_report_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(["reproduce", "quadratic", "--scale", "small", "--out", "q"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let out = dir.path().join("q");
    let written = out.join("specs/quadratic/quadratic-landscape.small.toml");
    let committed = specs().join("quadratic/quadratic-landscape.small.toml");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        std::fs::read_to_string(&committed).unwrap()
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("specs built into overparam-runner"),
        "{report}"
    );
    assert!(
        report.contains("specs/quadratic/quadratic-landscape.small.toml` (text hash"),
        "{report}"
    );
    assert!(report.contains("s of run wall time"), "{report}");
}
