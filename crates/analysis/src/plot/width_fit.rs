//! Per-run values of `results.csv` against the width on log-log axes, shared by the
//! movement and generalization figures: the runs grouped by the other swept keys (seeds
//! pooled), one colour per group, a fitted power law per group and the lazy-regime reference
//! slope −1/2.

use overparam_sweep::columns::{MODEL_WIDTH, SEED};
use plotters::style::RGBColor;

use super::axis::Axis;
use super::data::{group_by, Run, Sweep};
use super::figure::{LegendEntry, Mark, Panel, Stroke};
use super::style::{fmt_number, key_value, ordered_colour, REFERENCE};
use crate::stats::{loglog_fit, PowerLaw};

/// The slope the lazy regime predicts for how far training moves away from initialisation.
pub const LAZY_SLOPE: f64 = -0.5;

/// Runs arranged for a figure against the width: grouped by the swept keys other than the
/// width and the seed.
pub struct WidthGroups<'a> {
    /// The groups, in value order.
    groups: Vec<Group<'a>>,
    /// The distinct widths, increasing.
    widths: Vec<f64>,
}

/// The runs sharing the values of the swept keys other than the width and the seed.
#[derive(Clone, Debug)]
pub struct Group<'a> {
    /// Their colour.
    pub colour: RGBColor,
    /// The values, as a legend shows them (`n = 32, bias init b₀ = −0.5`); `runs` when no
    /// other key is swept.
    pub name: String,
    /// The runs.
    pub runs: Vec<&'a Run>,
}

impl<'a> WidthGroups<'a> {
    /// Groups `runs`, or says why a figure against the width would show nothing: a lone run,
    /// or a width that is not swept.
    pub fn new(sweep: &Sweep, runs: &[&'a Run]) -> Result<WidthGroups<'a>, String> {
        if sweep.single {
            return Err("a single run has no widths to compare".into());
        }
        let varying = sweep.varying(runs);
        if !varying.iter().any(|k| k == MODEL_WIDTH) {
            return Err(
                "model.width is not swept (or takes one value): no width dependence to fit".into(),
            );
        }
        let keys: Vec<String> = varying
            .iter()
            .filter(|k| *k != MODEL_WIDTH && *k != SEED)
            .cloned()
            .collect();
        let grouped = group_by(runs, &keys);
        let count = grouped.len();
        let groups = grouped
            .into_iter()
            .enumerate()
            .map(|(i, (values, runs))| {
                let name: Vec<String> = keys
                    .iter()
                    .zip(&values)
                    .map(|(k, v)| key_value(k, v))
                    .collect();
                Group {
                    colour: ordered_colour(i, count),
                    name: match name.is_empty() {
                        true => "runs".to_string(),
                        false => name.join(", "),
                    },
                    runs,
                }
            })
            .collect();
        let mut widths: Vec<f64> = runs.iter().filter_map(|r| r.number(MODEL_WIDTH)).collect();
        widths.sort_by(f64::total_cmp);
        widths.dedup();
        Ok(WidthGroups { groups, widths })
    }

    /// The groups, in value order.
    pub fn groups(&self) -> &[Group<'a>] {
        &self.groups
    }

    /// The logarithmic width axis, its ticks at the swept widths when there are at most 8.
    pub fn axis(&self) -> Axis {
        let x = Axis::log("width m (hidden units)");
        match self.widths.len() <= 8 {
            true => x.with_ticks(self.widths.clone()),
            false => x,
        }
    }
}

/// (width, value of `column`) of each of `runs` having both, and both positive (as a log-log
/// plot can show them).
pub fn points(runs: &[&Run], column: &str) -> Vec<(f64, f64)> {
    runs.iter()
        .filter_map(|r| Some((r.number(MODEL_WIDTH)?, r.number(column)?)))
        .filter(|&(m, v)| m > 0.0 && v > 0.0)
        .collect()
}

/// A `results.csv` column of a group's runs against the width, and its fitted power law.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// (width, value) per run, as [`points`] gives them.
    pub points: Vec<(f64, f64)>,
    /// The least-squares power law through them; `None` with fewer than two widths.
    pub law: Option<PowerLaw>,
}

impl Fit {
    /// The fit of `column` over `runs`.
    pub fn of(runs: &[&Run], column: &str) -> Fit {
        let points = points(runs, column);
        let law = loglog_fit(&points);
        Fit { points, law }
    }

    /// Its legend text: `name: slope −0.50`, or that there is no fit.
    pub fn label(&self, name: &str) -> String {
        match self.law {
            Some(law) => format!("{name}: slope {}", fmt_number(law.slope, Some(2))),
            None => format!("{name} (one width, no fit)"),
        }
    }
}

/// One column of a fitted panel and how it is drawn, in a group's colour.
pub struct Series<'s> {
    /// The `results.csv` column.
    pub column: &'s str,
    /// Appended to the group's name in the legend (`, held-out`); empty for none.
    pub suffix: &'s str,
    /// The stroke of the runs' dots.
    pub dots: fn(RGBColor) -> Stroke,
    /// The stroke of the fitted power law (and of its legend sample).
    pub fit: fn(RGBColor) -> Stroke,
}

impl<'s> Series<'s> {
    /// `column` as solid dots and a solid fitted line.
    pub fn solid(column: &'s str) -> Series<'s> {
        Series {
            column,
            suffix: "",
            dots: |c| Stroke::dots(c, 4),
            fit: |c| Stroke::line(c, 2),
        }
    }
}

/// A log-log panel of `series` against the width: per group and series, the runs as dots and
/// the fitted power law with its slope in the legend, under the dashed reference slope −1/2
/// (legend `reference`) through the centre of all points. `None` when no run has a positive
/// value of any series.
pub fn fitted_panel(
    groups: &WidthGroups,
    y: Axis,
    title: &str,
    series: &[Series],
    reference: &str,
) -> Option<Panel> {
    let mut panel = Panel::new(groups.axis(), y);
    panel.title = Some(title.to_string());
    let mut all = Vec::new();
    for group in groups.groups() {
        for s in series {
            let fit = Fit::of(&group.runs, s.column);
            if fit.points.is_empty() {
                continue;
            }
            let colour = group.colour;
            if let Some(law) = fit.law {
                let line = span(&fit.points).map(|m| (m, law.at(m))).to_vec();
                panel.marks.push(Mark::new(line, (s.fit)(colour)));
            }
            let label = fit.label(&format!("{}{}", group.name, s.suffix));
            panel
                .marks
                .push(Mark::new(fit.points.clone(), (s.dots)(colour)));
            panel.legend.push(LegendEntry::new(label, (s.fit)(colour)));
            all.extend(fit.points);
        }
    }
    if all.is_empty() {
        return None;
    }
    panel
        .marks
        .insert(0, Mark::new(lazy_line(&all), Stroke::dashed(REFERENCE, 2)));
    panel
        .legend
        .push(LegendEntry::new(reference, Stroke::dashed(REFERENCE, 2)));
    Some(panel)
}

/// The smallest and largest x of `points`.
pub fn span(points: &[(f64, f64)]) -> [f64; 2] {
    points
        .iter()
        .fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], p| {
            [lo.min(p.0), hi.max(p.0)]
        })
}

/// The line of slope −1/2 through the centre of `points` in log-log coordinates, over their
/// x range.
fn lazy_line(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let count = points.len() as f64;
    let ln_x = points.iter().map(|p| p.0.ln()).sum::<f64>() / count;
    let ln_y = points.iter().map(|p| p.1.ln()).sum::<f64>() / count;
    span(points)
        .map(|m| (m, (ln_y + LAZY_SLOPE * (m.ln() - ln_x)).exp()))
        .to_vec()
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    /// A run of a sweep with `results.csv` fields `fields`.
    pub fn run(id: usize, fields: &[(&str, String)]) -> Run {
        Run {
            id: format!("r{id}"),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
            config: serde_json::Value::Null,
            metrics: None,
            metrics_path: PathBuf::from("metrics.csv"),
        }
    }

    /// A sweep over `keys` of `runs`.
    pub fn sweep(keys: &[&str], runs: Vec<Run>) -> Sweep {
        Sweep {
            dir: PathBuf::from("sweep"),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            runs,
            single: false,
        }
    }

    #[test]
    fn the_fitted_slope_of_c_over_root_m_is_minus_one_half() {
        let widths = [64.0, 256.0, 1024.0, 4096.0];
        let runs: Vec<Run> = widths
            .iter()
            .enumerate()
            .map(|(i, &m)| {
                let distance = 0.7 * f64::powf(m, -0.5);
                run(
                    i,
                    &[(MODEL_WIDTH, m.to_string()), ("d", distance.to_string())],
                )
            })
            .collect();
        let refs: Vec<&Run> = runs.iter().collect();
        let fit = Fit::of(&refs, "d");
        let law = fit.law.unwrap();
        assert!((law.slope + 0.5).abs() < 1e-12, "{law:?}");
        assert!((law.at(100.0) - 0.07).abs() < 1e-12, "{law:?}");
        assert_eq!(fit.label("n = 32"), "n = 32: slope −0.50");
        let lone = Fit::of(&refs[..1], "d");
        assert_eq!(lone.label("runs"), "runs (one width, no fit)");

        let sweep = sweep(&[MODEL_WIDTH], runs.clone());
        let groups = WidthGroups::new(&sweep, &refs).unwrap();
        let panel =
            fitted_panel(&groups, Axis::log("d"), "t", &[Series::solid("d")], "ref").unwrap();
        let labels: Vec<&str> = panel.legend.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["runs: slope −0.50", "ref"]);
        // The reference, then the fitted line over the widths, then the runs.
        assert_eq!(panel.marks.len(), 3);
        let fitted = &panel.marks[1].points;
        assert_eq!(fitted.len(), 2);
        for &(m, v) in fitted {
            assert!((v - 0.7 / m.sqrt()).abs() < 1e-12, "{fitted:?}");
        }
        for (a, b) in panel.marks[0].points.iter().zip(fitted) {
            assert!(
                (a.1 / b.1 - 1.0).abs() < 1e-9,
                "the lazy line runs through the data"
            );
        }
    }

    #[test]
    fn a_width_that_is_not_swept_has_nothing_to_fit() {
        let runs = vec![run(0, &[(MODEL_WIDTH, "64".into())])];
        let refs: Vec<&Run> = runs.iter().collect();
        let why = WidthGroups::new(&sweep(&[MODEL_WIDTH], runs.clone()), &refs).err();
        assert_eq!(
            why.as_deref(),
            Some("model.width is not swept (or takes one value): no width dependence to fit")
        );
    }
}
