//! The critical-width analysis on hand-worked and synthetic results tables.

use overparam_analysis::critical_width::GridStatus::{AboveGrid, BelowGrid, Bracketed};
use overparam_analysis::critical_width::{
    critical_width, report_text, write_critical_width, Bracket, CriticalWidthOptions,
    CriticalWidthReport, GridStatus,
};
use overparam_sweep::columns::RESULT_COLUMNS;
use overparam_sweep::results::Table;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A results table with the swept columns `data.n`, `model.width`, `seed` and these rows.
fn results(rows: Vec<Vec<String>>) -> Table {
    let swept = ["run_id", "data.n", "model.width", "seed"];
    let mut table = Table::new(
        swept
            .iter()
            .chain(&RESULT_COLUMNS)
            .map(|c| c.to_string())
            .collect(),
    );
    for (index, mut row) in rows.into_iter().enumerate() {
        row[0] = format!("run{index:04}");
        table.rows.push(row);
    }
    table
}

/// One row: the run at (n, width, seed) with this status, final loss and steps to target.
fn run(n: u64, width: u64, seed: u64, status: &str, final_loss: &str, steps: &str) -> Vec<String> {
    let mut row = vec![String::new()];
    row.extend([n, width, seed].map(|value| value.to_string()));
    row.extend([status, "", final_loss, steps].map(String::from));
    row.resize(4 + RESULT_COLUMNS.len(), String::new());
    row
}

/// The run at (n, width, seed), which reached its target (`reached`) or did not.
fn outcome(n: u64, width: u64, seed: u64, reached: bool) -> Vec<String> {
    match reached {
        true => run(n, width, seed, "ok", "1e-4", "120"),
        false => run(n, width, seed, "ok", "0.3", ""),
    }
}

/// A table from (n, width, outcomes) cells: `outcomes` has one letter per seed 1, 2, …: `y`
/// when the run reached its target, `n` when not.
fn from_cells(cells: &[(u64, u64, &str)]) -> Table {
    let runs = cells.iter().flat_map(|&(n, width, outcomes)| {
        let by_seed = outcomes.chars().zip(1..);
        by_seed.map(move |(letter, seed)| outcome(n, width, seed, letter == 'y'))
    });
    results(runs.collect())
}

/// The analysis with the default options but this success fraction.
fn analyse(table: &Table, success: f64) -> CriticalWidthReport {
    let options = CriticalWidthOptions {
        success,
        ..CriticalWidthOptions::default()
    };
    critical_width(table, &options).expect("analysis")
}

/// (n, m*, status) of every point.
fn summary(report: &CriticalWidthReport) -> Vec<(u64, Option<u64>, GridStatus)> {
    let points = report.points.iter();
    points.map(|p| (p.n, p.critical_width, p.status)).collect()
}

/// The bracket (low, high] of point `index`.
fn bracket(report: &CriticalWidthReport, index: usize) -> (Option<u64>, Option<u64>) {
    let Bracket { low, high } = report.points[index].bracket;
    (low, high)
}

/// Whether some warning of `report` contains every one of `fragments`.
fn warns(report: &CriticalWidthReport, fragments: &[&str]) -> bool {
    let contains_all = |warning: &String| fragments.iter().all(|f| warning.contains(f));
    report.warnings.iter().any(contains_all)
}

/// The error message (with its causes) of an analysis expected to fail.
fn error(table: &Table, options: &CriticalWidthOptions) -> String {
    let error = critical_width(table, options).expect_err("should fail");
    format!("{error:#}")
}

/// 2 n × 3 widths × 2 seeds, worked by hand. n = 10: width 4 fails for both seeds, 8 and 16
/// succeed: m* = 8. n = 100: width 4 fails, 8 succeeds for seed 1 only, 16 for both: m* = 16.
fn hand_worked() -> Table {
    from_cells(&[
        (10, 4, "nn"),
        (10, 8, "yy"),
        (10, 16, "yy"),
        (100, 4, "nn"),
        (100, 8, "yn"),
        (100, 16, "yy"),
    ])
}

#[test]
fn hand_worked_table_gives_known_critical_widths_and_alpha() {
    let report = analyse(&hand_worked(), 0.9);
    let expected = [(10, Some(8), Bracketed), (100, Some(16), Bracketed)];
    assert_eq!(summary(&report), expected);
    assert_eq!(bracket(&report, 1), (Some(8), Some(16)));
    let fractions: Vec<_> = report.points[1]
        .success_fraction_by_width
        .iter()
        .map(|w| (w.width, w.fraction, w.seeds))
        .collect();
    assert_eq!(fractions, [(4, 0.0, 2), (8, 0.5, 2), (16, 1.0, 2)]);
    // ln m* = α ln n + c through (ln 10, ln 8) and (ln 100, ln 16): α = ln 2 / ln 10, c = ln 4.
    let alpha = 2f64.ln() / 10f64.ln();
    assert!((report.alpha.unwrap() - alpha).abs() < 1e-12);
    assert!((report.intercept.unwrap() - 4f64.ln()).abs() < 1e-12);
    // Resamples {1, 1} (probability 1/4) give m*(100) = 8 and α = 0; the others give α above.
    assert_eq!(report.bootstrap_usable, 2000);
    assert!(report.alpha_low.unwrap().abs() < 1e-12);
    assert!((report.alpha_high.unwrap() - alpha).abs() < 1e-12);
    assert_eq!(report.seeds, 2);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // With half the seeds enough, m*(100) = 8 = m*(10), so α = 0.
    let report = analyse(&hand_worked(), 0.5);
    assert_eq!(report.points[1].critical_width, Some(8));
    assert!(report.alpha.unwrap().abs() < 1e-12);
}

#[test]
fn bootstrap_keeps_seeds_paired_across_n() {
    // Seed 1 needs half the width seed 2 needs, at both n: every paired resample gives
    // m*(100) / m*(10) = 2, so α = ln 2 / ln 10 exactly; unpaired draws would mix 8 with 32.
    let cells = [(10, 4, "nn"), (10, 8, "yn"), (10, 16, "yy")];
    let more = [(100, 8, "nn"), (100, 16, "yn"), (100, 32, "yy")];
    let report = analyse(&from_cells(&[cells, more].concat()), 0.9);
    let alpha = 2f64.ln() / 10f64.ln();
    for estimate in [report.alpha, report.alpha_low, report.alpha_high] {
        assert!((estimate.unwrap() - alpha).abs() < 1e-12, "{estimate:?}");
    }
}

/// Per seed s and n, the true critical width is 3 n^1.5 · exp(η) with η uniform in ±0.3; a
/// run succeeds iff its width is at least that. Widths: the geometric grid round(2^(k/4)).
fn power_law_table(width_scale: u64) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let widths: Vec<u64> = (8..=60)
        .map(|k| 2f64.powf(k as f64 / 4.0).round() as u64)
        .collect();
    let mut rows = Vec::new();
    for n in [16u64, 32, 64, 128, 256] {
        for seed in 0..10 {
            let critical = 3.0 * (n as f64).powf(1.5) * rng.random_range(-0.3..0.3f64).exp();
            for &width in &widths {
                let reached = width as f64 >= critical;
                rows.push(outcome(n, width * width_scale, seed, reached));
            }
        }
    }
    results(rows)
}

#[test]
fn synthetic_power_law_recovers_its_exponent() {
    let report = analyse(&power_law_table(1), 0.9);
    assert!(summary(&report).iter().all(|p| p.2 == Bracketed));
    let (alpha, low, high) = (
        report.alpha.unwrap(),
        report.alpha_low.unwrap(),
        report.alpha_high.unwrap(),
    );
    assert!((alpha - 1.5).abs() < 0.1, "α = {alpha}");
    assert!(low <= 1.5 && 1.5 <= high, "interval [{low}, {high}]");
    assert!(low < high && high - low < 0.5, "interval [{low}, {high}]");
    assert_eq!(report.bootstrap_usable, report.bootstrap_samples);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // The bootstrap is seeded: the same table gives the same report.
    assert_eq!(report, analyse(&power_law_table(1), 0.9));
}

#[test]
fn scaling_every_width_shifts_only_the_intercept() {
    let report = analyse(&power_law_table(1), 0.9);
    let scaled = analyse(&power_law_table(4), 0.9);
    assert!((report.alpha.unwrap() - scaled.alpha.unwrap()).abs() < 1e-9);
    assert!((scaled.intercept.unwrap() - report.intercept.unwrap() - 4f64.ln()).abs() < 1e-9);
}

#[test]
fn critical_widths_outside_the_grid_are_warned_about() {
    // n = 8 succeeds at every width, n = 64 at none: neither m* is bracketed.
    let table = from_cells(&[(8, 16, "y"), (8, 32, "y"), (64, 16, "n"), (64, 32, "n")]);
    let report = analyse(&table, 0.9);
    let expected = [(8, Some(16), BelowGrid), (64, None, AboveGrid)];
    assert_eq!(summary(&report), expected);
    assert_eq!(bracket(&report, 0), (None, Some(16)));
    assert_eq!(bracket(&report, 1), (Some(32), None));
    assert_eq!(
        report.alpha.or(report.alpha_low).or(report.alpha_high),
        None
    );
    assert_eq!(report.bootstrap_usable, 0);
    let no_width = "n = 64: no width up to 32 reached the target in ≥ 90% of 1 seeds; m* > 32";
    assert!(
        warns(&report, &[no_width, "widen the grid"]),
        "{:?}",
        report.warnings
    );
    let even_the_smallest = ["n = 8: even the smallest width, 16,", "m* ≤ 16"];
    assert!(warns(&report, &even_the_smallest));
    assert!(warns(&report, &["only 0 of 2 n have m* bracketed"]));
    let text = report_text(&report);
    assert!(
        text.contains("n = 64: m* > 32 (above the grid)") && text.contains("α: not fitted"),
        "{text}"
    );
}

#[test]
fn target_loss_overrides_the_runs_own_target() {
    // No run reached its own (tighter) target; final losses fall with width.
    let rows = [(4, "0.1"), (8, "1e-3"), (16, "1e-4")]
        .iter()
        .flat_map(|&(width, loss)| (1..=2).map(move |seed| run(10, width, seed, "ok", loss, "")))
        .collect();
    let table = results(rows);
    assert_eq!(analyse(&table, 0.9).points[0].status, AboveGrid);
    let with_target = |target_loss| {
        let options = CriticalWidthOptions {
            target_loss: Some(target_loss),
            ..Default::default()
        };
        critical_width(&table, &options).unwrap().points[0].critical_width
    };
    assert_eq!(with_target(1e-2), Some(8));
    assert_eq!(with_target(1e-3), Some(8)); // final_loss equal to the target succeeds
    assert_eq!(with_target(5e-4), Some(16));
}

#[test]
fn failed_runs_count_as_not_succeeded() {
    // Seed 2 diverged at width 4 after passing the target: it still counts as a failure.
    let mut rows = vec![
        outcome(10, 4, 1, true),
        run(10, 4, 2, "failed", "NaN", "40"),
    ];
    rows.extend([outcome(10, 8, 1, true), outcome(10, 8, 2, true)]);
    let report = analyse(&results(rows), 0.9);
    assert_eq!(summary(&report), [(10, Some(8), Bracketed)]);
    assert_eq!(report.points[0].success_fraction_by_width[0].fraction, 0.5);
    let options = CriticalWidthOptions {
        target_loss: Some(1.0),
        ..Default::default()
    };
    let table = results(vec![run(10, 4, 1, "failed", "1e-9", "")]);
    assert_eq!(
        critical_width(&table, &options).unwrap().points[0].status,
        AboveGrid
    );
}

#[test]
fn success_that_is_not_monotone_in_width_is_warned_about() {
    let mut table = hand_worked();
    // Seed 2 now fails at n = 10, width 16, above m* = 8.
    table.rows[5] = outcome(10, 16, 2, false);
    let report = analyse(&table, 0.9);
    assert_eq!(report.points[0].critical_width, Some(8));
    assert_eq!(report.points[0].failing_above, [16]);
    let fragments = ["n = 10: width 16 above m* = 8", "not monotone"];
    assert!(warns(&report, &fragments), "{:?}", report.warnings);
}

#[test]
fn other_swept_keys_are_pooled_with_a_warning() {
    let mut table = hand_worked();
    table.columns.insert(4, "train.lr_w".into());
    for (index, row) in table.rows.iter_mut().enumerate() {
        row.insert(4, ["0.5", "1.0"][index % 2].into());
    }
    // Another run at n = 10, width 8, seed 1, with another learning rate, that fails.
    let mut extra = outcome(10, 8, 1, false);
    extra.insert(4, "2.0".into());
    table.rows.push(extra);
    let report = analyse(&table, 0.9);
    let width_8 = report.points[0].success_fraction_by_width[1];
    assert_eq!((width_8.runs, width_8.seeds), (3, 2));
    assert!((width_8.fraction - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(report.points[0].critical_width, Some(16));
    let pooled = ["`train.lr_w` takes 3 values", "pooled"];
    assert!(warns(&report, &pooled), "{:?}", report.warnings);
}

#[test]
fn keys_tied_to_the_width_or_to_n_are_not_pooled() {
    let mut table = hand_worked();
    let (n, width) = (
        table.column("data.n").unwrap(),
        table.column("model.width").unwrap(),
    );
    table
        .columns
        .extend(["train.steps".into(), "train.lr_a".into()]);
    for row in &mut table.rows {
        let steps = if row[n] == "10" { "1000" } else { "4000" };
        let rate = format!("{}", 64.0 / row[width].parse::<f64>().unwrap());
        row.extend([steps.to_string(), rate]);
    }
    let report = analyse(&table, 0.9);
    assert!(!warns(&report, &["pooled"]), "{:?}", report.warnings);
    assert_eq!(report.points[0].critical_width, Some(8));
}

#[test]
fn missing_columns_are_named() {
    let mut table = hand_worked();
    let width = table.column("model.width").unwrap();
    table.columns.remove(width);
    for row in &mut table.rows {
        row.remove(width);
    }
    let message = error(&table, &CriticalWidthOptions::default());
    for fragment in [
        "no column `model.width`",
        "varies `model.width` and `data.n`",
        "columns: run_id, data.n, seed, status",
    ] {
        assert!(message.contains(fragment), "{message}");
    }
}

#[test]
fn bad_fields_and_options_are_rejected_plainly() {
    let mut table = hand_worked();
    table.rows[1][1] = "ten".into();
    let message = error(&table, &CriticalWidthOptions::default());
    assert!(
        message.contains("row 2 column `data.n`: `ten` is not a number"),
        "{message}"
    );
    table.rows[1][1] = "10.5".into();
    assert!(error(&table, &Default::default())
        .contains("row 2 column `data.n`: `10.5` is not an integer"));
    let mut table = hand_worked();
    let status = table.column("status").unwrap();
    table.rows[3][status] = "running".into();
    let message = error(&table, &Default::default());
    assert!(
        message.contains("row 4 column `status`: `running`"),
        "{message}"
    );
    let mut table = hand_worked();
    let steps_to_target = table.column("steps_to_target").unwrap();
    table.rows[0][steps_to_target] = "soon".into();
    assert!(error(&table, &Default::default()).contains("row 1 column `steps_to_target`"));
    for success in [0.0, -0.5, 1.5, f64::NAN] {
        let options = CriticalWidthOptions {
            success,
            ..Default::default()
        };
        assert!(
            error(&hand_worked(), &options).contains("(0, 1]"),
            "success {success}"
        );
    }
    assert!(error(&results(Vec::new()), &Default::default()).contains("no runs"));
}

#[test]
fn reports_are_written_as_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = hand_worked();
    table
        .rows
        .extend([outcome(1000, 4, 1, false), outcome(1000, 4, 2, false)]);
    let report = analyse(&table, 0.9);
    write_critical_width(dir.path(), &report).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("critical_width.json")).unwrap())
            .unwrap();
    assert_eq!(json["alpha"].as_f64(), report.alpha);
    assert_eq!(json["alpha_low"].as_f64(), report.alpha_low);
    assert_eq!(json["alpha_high"].as_f64(), report.alpha_high);
    assert_eq!(json["points"][1]["critical_width"], 16);
    assert_eq!(json["points"][1]["bracket"]["low"], 8);
    assert_eq!(json["points"][2]["status"], "above_grid");
    assert_eq!(json["points"][2]["critical_width"], serde_json::Value::Null);
    let width_8 = &json["points"][1]["success_fraction_by_width"][1];
    assert_eq!(
        (&width_8["width"], &width_8["fraction"]),
        (&8.into(), &0.5.into())
    );
    let csv = Table::read(&dir.path().join("critical_width.csv")).unwrap();
    let columns = "n,critical_width,status,bracket_low,bracket_high,success_fraction,seeds";
    assert_eq!(csv.columns.join(","), columns);
    assert_eq!(csv.rows[1], ["100", "16", "bracketed", "8", "16", "1", "2"]);
    assert_eq!(csv.rows[2], ["1000", "", "above_grid", "4", "", "", "2"]);
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["critical_width.csv", "critical_width.json"],
        "no temporary files left"
    );
    let text = report_text(&report);
    assert!(
        text.contains("α = 0.301, 95% bootstrap interval [0.000, 0.301] over 2000 of 2000"),
        "{text}"
    );
    assert!(
        text.contains("n = 100: m* = 16 (in (8, 16])") && text.contains("warning: n = 1000"),
        "{text}"
    );
}
