//! Generalization against the width, on log-log axes: the held-out loss of each run beside the
//! held-out loss of kernel regression with the analytic kernel K∞ (where the width goes to
//! infinity), and how far the trained network ended from its linearization (Lee et al. 2019),
//! which the lazy regime predicts to shrink as m^(−1/2).

use overparam_sweep::columns::{
    FINAL_LOSS, FINAL_TEST_LOSS, KERNEL_REGRESSION_EXPECTED_TEST_LOSS, KERNEL_REGRESSION_TEST_LOSS,
    LIN_DISTANCE, TEST_LIN_DISTANCE,
};
use plotters::style::RGBColor;

use super::axis::Axis;
use super::data::{Run, Sweep};
use super::figure::{Figure, LegendEntry, Mark, Panel, Stroke};
use super::style::{fmt_number, REFERENCE};
use super::width_fit::{fitted_panel, points, span, Group, Series, WidthGroups};
use super::Built;
use crate::stats::median;

/// The file stem of the figure.
const NAME: &str = "generalization_vs_width";
/// How many decades below the smallest held-out loss the training loss may reach and still be
/// drawn: further down it would flatten the held-out curves the panel is about.
const TRAIN_DECADES: f64 = 3.0;
/// The infinite-width levels drawn as horizontal lines: the `results.csv` column, the legend
/// text and the stroke.
const KERNEL_LEVELS: [(&str, &str, fn(RGBColor) -> Stroke); 2] = [
    (
        KERNEL_REGRESSION_TEST_LOSS,
        "kernel regression with K∞ (m → ∞, mean over initializations)",
        |c| Stroke::dashed(c, 2),
    ),
    (
        KERNEL_REGRESSION_EXPECTED_TEST_LOSS,
        "m → ∞, expected over initializations (f_0 included)",
        |c| Stroke::line(c, 3).faint(0.5),
    ),
];

/// The generalization-vs-width figure: a panel of held-out losses and one of the distance from
/// the linearized network, each where some run has the values in `results.csv`.
pub fn figures(sweep: &Sweep, runs: &[&Run]) -> anyhow::Result<Built> {
    let groups = match WidthGroups::new(sweep, runs) {
        Ok(groups) => groups,
        Err(why) => return Ok(Err(why)),
    };
    let held_out = held_out_panel(&groups);
    let distance = distance_panel(&groups);
    let title = match (&held_out, &distance) {
        (None, None) => {
            return Ok(Err(format!(
                "no run has {FINAL_TEST_LOSS} or {LIN_DISTANCE} values in results.csv (held-out \
                 points come with data.n_test or data.test_path, the linearized network with \
                 train.linearized)"
            )))
        }
        (Some(_), None) => "Held-out loss vs width (log-log)",
        (None, Some(_)) => "Distance from the linearized network vs width (log-log)",
        (Some(_), Some(_)) => {
            "Held-out loss and distance from the linearized network vs width (log-log)"
        }
    };
    Ok(Ok(vec![(
        NAME.into(),
        Figure {
            title: title.into(),
            panels: held_out.into_iter().chain(distance).collect(),
            legend: Vec::new(),
        },
    )]))
}

/// (width, median value) at each width of `points`, in width order.
pub fn medians(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut widths: Vec<f64> = points.iter().map(|p| p.0).collect();
    widths.sort_by(f64::total_cmp);
    widths.dedup();
    widths
        .into_iter()
        .filter_map(|m| Some((m, median(points.iter().filter(|p| p.0 == m).map(|p| p.1))?)))
        .collect()
}

/// The held-out loss of kernel regression with K∞ of a group: the median over its runs of the
/// positive values (one task, one value; seeds drawing other data may differ).
fn kernel_level(group: &Group, column: &str) -> Option<f64> {
    let values = group
        .runs
        .iter()
        .filter_map(|r| r.number(column))
        .filter(|v| *v > 0.0 && v.is_finite());
    median(values)
}

/// The held-out loss panel: per group, each run's final held-out loss as a dot and the median
/// per width as a line, the training loss's median per width as a thin line (unless far below),
/// and kernel regression with K∞ as a dashed horizontal line (one per group when they differ).
/// `None` when no run has a held-out loss.
fn held_out_panel(groups: &WidthGroups) -> Option<Panel> {
    let y = Axis::log("final loss ½·mean (f−y)²");
    let mut panel = Panel::new(groups.axis(), y);
    panel.title = Some("held-out loss".into());
    let mut tested = Vec::new();
    let mut training = Vec::new();
    for group in groups.groups() {
        let test = points(&group.runs, FINAL_TEST_LOSS);
        if test.is_empty() {
            continue;
        }
        let colour = group.colour;
        panel
            .marks
            .push(Mark::new(medians(&test), Stroke::line(colour, 2)));
        panel
            .marks
            .push(Mark::new(test.clone(), Stroke::dots(colour, 4)));
        let train = medians(&points(&group.runs, FINAL_LOSS));
        if !train.is_empty() {
            training.push(Mark::new(train, train_stroke(colour)));
        }
        if groups.groups().len() > 1 {
            panel
                .legend
                .push(LegendEntry::new(&group.name, Stroke::line(colour, 2)));
        }
        tested.extend(test);
    }
    if tested.is_empty() {
        return None;
    }
    let key = match groups.groups() {
        [one] => one.colour,
        _ => REFERENCE,
    };
    panel.legend.extend([
        LegendEntry::new("held-out loss of a run", Stroke::dots(key, 4)),
        LegendEntry::new("held-out loss, median per width", Stroke::line(key, 2)),
    ]);

    if !training.is_empty() {
        let floor = tested.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let train_low = training
            .iter()
            .flat_map(|m| m.points.iter().map(|p| p.1))
            .fold(f64::INFINITY, f64::min);
        if train_low >= floor * 10f64.powf(-TRAIN_DECADES) {
            panel.marks.splice(0..0, training);
            let label = "training loss (final_loss), median per width";
            panel
                .legend
                .push(LegendEntry::new(label, train_stroke(key)));
        } else {
            panel.legend.push(LegendEntry::note(format!(
                "training loss not drawn: down to {}, over {} decades below",
                fmt_number(train_low, None),
                fmt_number(TRAIN_DECADES, None)
            )));
        }
    }

    let xs = span(&tested);
    for (level, label, stroke) in KERNEL_LEVELS {
        let levels: Vec<(RGBColor, f64)> = groups
            .groups()
            .iter()
            .filter(|g| !points(&g.runs, FINAL_TEST_LOSS).is_empty())
            .filter_map(|g| Some((g.colour, kernel_level(g, level)?)))
            .collect();
        let shared = levels
            .first()
            .filter(|(_, first)| levels.iter().all(|(_, v)| (v / first - 1.0).abs() < 1e-9))
            .map(|&(_, value)| value);
        // One grey line when every group has the same level, else one per group in its colour.
        let (lines, label) = match shared {
            Some(value) => (
                vec![(REFERENCE, value)],
                format!("{label}: {}", fmt_number(value, None)),
            ),
            None => (levels, format!("{label}, in its group's colour")),
        };
        if lines.is_empty() {
            continue;
        }
        for (colour, value) in lines {
            let line = xs.map(|m| (m, value)).to_vec();
            panel.marks.push(Mark::new(line, stroke(colour)));
        }
        panel
            .legend
            .push(LegendEntry::new(label, stroke(REFERENCE)));
    }
    Some(panel)
}

/// The thin line of the training loss.
fn train_stroke(colour: RGBColor) -> Stroke {
    Stroke::line(colour, 1).faint(0.7)
}

/// The panel of the distance from the linearized network: `lin_distance` per run with a fitted
/// slope per group, `test_lin_distance` as pale dots and dashed fits where present, and the
/// lazy-regime slope −1/2. `None` when no run has either.
fn distance_panel(groups: &WidthGroups) -> Option<Panel> {
    let tested = groups
        .groups()
        .iter()
        .any(|g| !points(&g.runs, TEST_LIN_DISTANCE).is_empty());
    let series = [
        Series {
            suffix: if tested { ", training" } else { "" },
            ..Series::solid(LIN_DISTANCE)
        },
        Series {
            column: TEST_LIN_DISTANCE,
            suffix: ", held-out",
            dots: |c| Stroke::dots(c, 5).faint(0.45),
            fit: |c| Stroke::dashed(c, 2),
        },
    ];
    let y = Axis::log("relative distance ‖f_T − f_lin,T‖/‖f_0 − y‖");
    let title = "distance from the linearized network";
    fitted_panel(groups, y, title, &series, "slope −1/2 (lazy-regime rate)")
}

#[cfg(test)]
mod tests {
    use overparam_sweep::columns::{DATA_N, MODEL_WIDTH, SEED};

    use super::*;
    use crate::plot::figure::StrokeKind;
    use crate::plot::width_fit::tests::{run, sweep};

    /// Runs over widths × n × 2 seeds with lin_distance = c(n)·m^(−1/2), the held-out distance
    /// twice that, and held-out losses falling towards a kernel-regression level per n.
    fn runs(with_values: bool) -> Vec<Run> {
        let mut runs = Vec::new();
        for m in [64.0, 256.0, 1024.0] {
            for n in [32.0, 128.0] {
                for seed in 0..2 {
                    let c = n / 32.0;
                    let value = |v: f64| match with_values {
                        true => v.to_string(),
                        false => String::new(),
                    };
                    let fields = [
                        (MODEL_WIDTH, m.to_string()),
                        (DATA_N, n.to_string()),
                        (SEED, seed.to_string()),
                        (FINAL_LOSS, value(1e-3)),
                        (
                            FINAL_TEST_LOSS,
                            value(0.1 * c + 1.0 / m + 0.01 * seed as f64),
                        ),
                        (KERNEL_REGRESSION_TEST_LOSS, value(0.1 * c)),
                        (LIN_DISTANCE, value(c * f64::powf(m, -0.5))),
                        (TEST_LIN_DISTANCE, value(2.0 * c * f64::powf(m, -0.5))),
                    ];
                    runs.push(run(runs.len(), &fields));
                }
            }
        }
        runs
    }

    /// The figure of `runs`, or why there is none.
    fn figure(runs: Vec<Run>) -> Result<Figure, String> {
        let sweep = sweep(&[MODEL_WIDTH, DATA_N, SEED], runs);
        let refs: Vec<&Run> = sweep.runs.iter().collect();
        let built = figures(&sweep, &refs).unwrap()?;
        assert_eq!(built.len(), 1);
        assert_eq!(built[0].0, NAME);
        Ok(built.into_iter().next().unwrap().1)
    }

    #[test]
    fn the_figure_shows_held_out_losses_and_fitted_distances() {
        let figure = figure(runs(true)).unwrap();
        assert_eq!(
            figure.title,
            "Held-out loss and distance from the linearized network vs width (log-log)"
        );
        let [loss, distance] = &figure.panels[..] else {
            panic!("{:?}", figure.panels)
        };
        let labels =
            |p: &Panel| -> Vec<String> { p.legend.iter().map(|e| e.label.clone()).collect() };
        assert_eq!(
            labels(loss),
            [
                "n = 32",
                "n = 128",
                "held-out loss of a run",
                "held-out loss, median per width",
                "training loss (final_loss), median per width",
                "kernel regression with K∞ (m → ∞, mean over initializations), in its group's colour",
            ]
        );
        // The medians over the two seeds, per width, of n = 32.
        let median_line = &loss.marks[2].points;
        for (&(m, v), width) in median_line.iter().zip([64.0, 256.0, 1024.0]) {
            assert_eq!(m, width);
            assert!(
                (v - (0.1 + 1.0 / m + 0.005)).abs() < 1e-12,
                "{median_line:?}"
            );
        }
        assert_eq!(
            labels(distance),
            [
                "n = 32, training: slope −0.50",
                "n = 32, held-out: slope −0.50",
                "n = 128, training: slope −0.50",
                "n = 128, held-out: slope −0.50",
                "slope −1/2 (lazy-regime rate)",
            ]
        );
    }

    #[test]
    fn one_kernel_level_is_one_grey_line_and_a_far_training_loss_a_note() {
        let mut runs = runs(true);
        for r in &mut runs {
            r.fields
                .insert(KERNEL_REGRESSION_TEST_LOSS.into(), "0.05".into());
            r.fields.insert(FINAL_LOSS.into(), "1e-9".into());
        }
        let figure = figure(runs).unwrap();
        let legend: Vec<&str> = figure.panels[0]
            .legend
            .iter()
            .map(|e| e.label.as_str())
            .collect();
        assert!(
            legend.contains(&"kernel regression with K∞ (m → ∞, mean over initializations): 0.05"),
            "{legend:?}"
        );
        assert!(
            legend.contains(&"training loss not drawn: down to 10⁻⁹, over 3 decades below"),
            "{legend:?}"
        );
        let dashed: Vec<&Mark> = figure.panels[0]
            .marks
            .iter()
            .filter(|m| m.stroke.kind == StrokeKind::Dashed)
            .collect();
        assert_eq!(dashed.len(), 1);
        assert_eq!(dashed[0].points, [(64.0, 0.05), (1024.0, 0.05)]);
    }

    #[test]
    fn empty_columns_are_a_reason_to_skip() {
        let why = figure(runs(false)).unwrap_err();
        assert!(
            why.starts_with("no run has final_test_loss or lin_distance values in results.csv"),
            "{why}"
        );
    }
}
