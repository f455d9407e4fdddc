//! `overparam sweep plan | run | merge`, `analyze critical-width` and `plot` end to end on
//! tiny sweeps: determinism of the plan, shards, skipping, failures. What survives a kill, a
//! held lock or a hostile file is in `sweep_recovery.rs`.

mod common;

use common::sweep::{manifest, ok, statuses, sweep, workspace, BASE, SPEC};
use common::{overparam, stderr};
use overparam_sweep::results::Table;

#[test]
fn plan_is_deterministic_and_checks_every_key_first() {
    let (_dir, spec, out) = workspace(SPEC);
    let first = ok(sweep("plan", &spec, &out, &[]));
    assert!(first.contains("8 runs"), "{first}");
    let text = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    ok(sweep("plan", &spec, &out, &[]));
    assert_eq!(
        std::fs::read_to_string(out.join("manifest.csv")).unwrap(),
        text
    );
    let table = manifest(&out);
    assert_eq!(
        table.columns,
        [
            "index",
            "run_id",
            "data.n",
            "model.width",
            "seed",
            "status",
            "error"
        ]
    );
    let ids: std::collections::BTreeSet<_> = table.rows.iter().map(|r| r[1].clone()).collect();
    assert_eq!(ids.len(), 8, "run ids are distinct");
    assert_eq!(table.rows[7][2..5], ["16", "64", "1"]);

    let (_dir, spec, out) = workspace(&SPEC.replace("\"model.width\"", "\"model.widht\""));
    let output = sweep("run", &spec, &out, &[]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("model.widht") && message.contains("run 0"),
        "{message}"
    );
    assert!(!out.join("runs").exists(), "nothing ran");

    // train.seeds belongs to `overparam train`; a sweep sweeps `seed`.
    let (_dir, spec, out) = workspace(SPEC);
    std::fs::write(
        spec.with_file_name("base.toml"),
        format!("{BASE}seeds = 3\n"),
    )
    .unwrap();
    let output = sweep("plan", &spec, &out, &[]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("sweep over `seed` instead"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_small_sweep_runs_merges_analyses_and_plots() {
    let (_dir, spec, out) = workspace(SPEC);
    let report = ok(sweep("run", &spec, &out, &["--jobs", "2"]));
    assert!(report.contains("8 ran ok"), "{report}");
    assert!(statuses(&out).iter().all(|s| s == "ok"));
    let again = ok(sweep("run", &spec, &out, &[]));
    assert!(again.contains("0 ran ok, 8 already done"), "{again}");

    ok(overparam(&["sweep", "merge", out.to_str().unwrap()]));
    let results = Table::read(&out.join("results.csv")).unwrap();
    let mut expected = vec!["run_id", "data.n", "model.width", "seed"];
    expected.extend(overparam_sweep::columns::RESULT_COLUMNS);
    assert_eq!(results.columns, expected);
    assert_eq!(results.rows.len(), 8);
    for name in [
        "final_loss",
        "lambda_min_0",
        "lambda_max_0",
        "move_w",
        "ntk_drift",
    ] {
        let column = results.column(name).unwrap();
        for row in 0..8 {
            let value = results.number(row, column).unwrap();
            assert!(value.is_some_and(f64::is_finite), "{name} of row {row}");
        }
    }
    // steps_to_target is filled exactly where the final loss reached the target.
    let (loss, steps) = (
        results.column("final_loss").unwrap(),
        results.column("steps_to_target").unwrap(),
    );
    for row in 0..8 {
        let reached = results.number(row, loss).unwrap().unwrap() <= 1e-3;
        assert_eq!(reached, !results.rows[row][steps].is_empty(), "row {row}");
    }

    let analysis = ok(overparam(&[
        "analyze",
        "critical-width",
        out.to_str().unwrap(),
    ]));
    assert!(
        analysis.contains("n = 8") && analysis.contains("n = 16"),
        "{analysis}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("critical_width.json")).unwrap())
            .unwrap();
    for key in ["alpha", "alpha_low", "alpha_high", "points"] {
        assert!(json.get(key).is_some(), "critical_width.json lacks {key}");
    }
    assert!(out.join("critical_width.csv").exists());

    let plots = ok(overparam(&["plot", out.to_str().unwrap()]));
    for name in ["loss_curves", "lambda_min", "movement_vs_width"] {
        for extension in ["svg", "png"] {
            let path = out.join("plots").join(format!("{name}.{extension}"));
            assert!(path.metadata().is_ok_and(|m| m.len() > 0), "{plots}");
        }
    }
}

#[test]
fn shards_cover_the_manifest_once_and_index_runs_one() {
    let (_dir, spec, out) = workspace(SPEC);
    let mut total = 0;
    for shard in ["0/3", "1/3", "2/3"] {
        let report = ok(sweep(
            "run",
            &spec,
            &out,
            &["--shard", shard, "--jobs", "1"],
        ));
        let ran: usize = report
            .split(" ran ok")
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            report.contains(", 0 already done"),
            "shards overlap: {report}"
        );
        total += ran;
    }
    assert_eq!(total, 8);
    assert!(statuses(&out).iter().all(|s| s == "ok"));

    let (_dir, spec, out) = workspace(SPEC);
    ok(sweep("run", &spec, &out, &["--index", "5"]));
    let done: Vec<usize> = statuses(&out)
        .iter()
        .enumerate()
        .filter(|(_, s)| *s == "ok")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(done, [5]);
    let output = sweep("run", &spec, &out, &["--index", "8"]);
    assert!(stderr(&output).contains("runs 0..7"), "{}", stderr(&output));
    let output = sweep("run", &spec, &out, &["--shard", "3/3"]);
    assert!(
        stderr(&output).contains("I must be in 0..N"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_failed_run_is_recorded_and_the_others_go_on() {
    let spec =
        format!("{SPEC}\n[[zip]]\n\"train.lr_w\" = [1.0, 1e9]\n\"train.lr_a\" = [1.0, 1e9]\n");
    let (_dir, spec, out) = workspace(&spec.replace("seed = [0, 1]", "seed = [0]"));
    let output = sweep("run", &spec, &out, &["--jobs", "2"]);
    assert!(
        !output.status.success(),
        "failures make the exit status non-zero"
    );
    assert!(
        stderr(&output).contains("4 of 8 runs failed"),
        "{}",
        stderr(&output)
    );
    let table = manifest(&out);
    let (lr, status, error) = (
        table.column("train.lr_w").unwrap(),
        table.column("status").unwrap(),
        table.column("error").unwrap(),
    );
    for row in &table.rows {
        if row[lr] == "1.0" {
            assert_eq!(row[status], "ok");
        } else {
            assert_eq!(row[status], "failed");
            assert!(row[error].contains("diverged at step"), "{}", row[error]);
        }
    }
    ok(overparam(&["sweep", "merge", out.to_str().unwrap()]));
    let results = Table::read(&out.join("results.csv")).unwrap();
    assert_eq!(results.rows.len(), 8, "failed runs are merged too");
}
