//! A metric over training, shared by the loss, λ_min and active-fraction plots: one colour per
//! value of a key (the width, say), one panel per combination of the other swept keys (seeds
//! excepted), seeds as thin lines of their colour under a thick mean; optionally a second
//! column dashed in the same colours.

use std::collections::BTreeMap;

use plotters::style::RGBColor;

use super::axis::{Axis, Scale};
use super::data::{group_by, Run, Sweep};
use super::figure::{Figure, LegendEntry, Mark, Panel, Stroke};
use super::series::{mean_curve, thin};
use super::style::{key_label, key_value, ordered_colour, REFERENCE};

/// Panels per figure; more are split over several files.
const PANELS_PER_FIGURE: usize = 6;
/// Points kept per drawn curve.
const POINTS_PER_CURVE: usize = 400;
/// Keys whose fixed value is worth stating in a title.
const CONTEXT_KEYS: [&str; 2] = ["model.width", "data.n"];

/// What to draw: which metrics column, on which axis, coloured by which key.
pub struct Curves<'a> {
    /// File stem of the figure(s), e.g. `loss_curves`.
    pub name: &'a str,
    /// What is shown, for the title ("Training loss").
    pub what: &'a str,
    /// The `metrics.csv` column.
    pub column: &'a str,
    /// The vertical axis.
    pub y: Axis,
    /// The keys that may get a panel per value; `None`: every swept key but the colour key and
    /// the seed. Runs differing in the other keys share a panel and are averaged together.
    pub panels: Option<&'a [&'a str]>,
    /// One colour per value of a key; `None`: one colour for all.
    pub colour: Option<Colouring<'a>>,
    /// Dashed horizontal theory lines, one per colour value.
    pub guide: Option<Guide<'a>>,
    /// A second column drawn dashed in the same colours where runs measured it.
    pub companion: Option<Companion<'a>>,
}

impl Curves<'_> {
    /// Whether `key` is the colour key.
    fn colours_by(&self, key: &str) -> bool {
        self.colour.as_ref().is_some_and(|c| c.key == key)
    }
}

/// A dashed horizontal theory line per value of the colour key.
pub struct Guide<'a> {
    /// Its legend text ("prediction 1 − Φ(B)").
    pub label: &'a str,
    /// Its level for a value of the colour key; `None`: no line.
    pub level: &'a dyn Fn(&str) -> Option<f64>,
}

/// A second `metrics.csv` column drawn as dashed curves beside the first (the held-out loss
/// beside the training loss): same runs, panels, colours and axis.
pub struct Companion<'a> {
    /// The `metrics.csv` column.
    pub column: &'a str,
    /// What is shown when some run has it, replacing [`Curves::what`] in the title ("Training
    /// and held-out loss").
    pub what: &'a str,
    /// The legend note telling the two apart ("solid: training loss, dashed: held-out loss").
    pub note: &'a str,
}

/// The key whose values get one colour each, and how it is named.
pub struct Colouring<'a> {
    /// The key (`model.width`).
    pub key: String,
    /// Its name in the title ("width m", for "… by width m").
    pub name: String,
    /// The legend text of one of its values; `None`: `key = value` (`width m = 512`).
    pub label: Option<&'a dyn Fn(&str) -> String>,
    /// Whether the values go in decreasing order (for B = −b₀ to increase).
    pub decreasing: bool,
}

impl Colouring<'_> {
    /// Colouring by `key`, named and labelled the standard way (`width m = 512`).
    pub fn by(key: String) -> Colouring<'static> {
        Colouring {
            name: key_label(&key),
            key,
            label: None,
            decreasing: false,
        }
    }
}

/// The figures (file stem, figure) for `spec` over `runs`; none when no run measured the column.
pub fn curve_figures(
    sweep: &Sweep,
    runs: &[&Run],
    spec: &Curves,
) -> anyhow::Result<Vec<(String, Figure)>> {
    let mut measured: Vec<&Run> = Vec::new();
    let mut curves: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    let mut companions: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    let shown = |run: &Run, column: &str| -> anyhow::Result<Vec<(f64, f64)>> {
        let curve = run.curve(column)?;
        Ok(curve
            .into_iter()
            .filter(|p| spec.y.scale.shows(p.1))
            .collect())
    };
    for &run in runs {
        let curve = shown(run, spec.column)?;
        if curve.is_empty() {
            continue;
        }
        measured.push(run);
        curves.insert(run.id.as_str(), curve);
        if let Some(companion) = &spec.companion {
            let curve = shown(run, companion.column)?;
            if !curve.is_empty() {
                companions.insert(run.id.as_str(), curve);
            }
        }
    }
    if measured.is_empty() {
        return Ok(Vec::new());
    }
    let varying = sweep.varying(&measured);
    let colour_key: Vec<String> = spec.colour.iter().map(|c| c.key.clone()).collect();
    let panel_keys: Vec<String> = varying
        .iter()
        .filter(|k| !colour_key.contains(k) && *k != "seed")
        .filter(|k| spec.panels.is_none_or(|keys| keys.contains(&k.as_str())))
        .filter(|k| !determined_by(&measured, &colour_key, k))
        .cloned()
        .collect();
    let mut colour_values: Vec<String> = group_by(&measured, &colour_key)
        .into_iter()
        .map(|(v, _)| v.concat())
        .collect();
    if spec.colour.as_ref().is_some_and(|c| c.decreasing) {
        colour_values.reverse();
    }
    let colour_of = |value: &str| {
        let i = colour_values.iter().position(|v| v == value).unwrap_or(0);
        ordered_colour(i, colour_values.len())
    };

    let mut panels = Vec::new();
    let mut sizes = Vec::new();
    for (values, members) in group_by(&measured, &panel_keys) {
        let mut panel = Panel::new(Axis::linear("gradient steps"), spec.y.clone());
        if !panel_keys.is_empty() {
            let parts: Vec<String> = panel_keys
                .iter()
                .zip(&values)
                .map(|(k, v)| key_value(k, v))
                .collect();
            panel.title = Some(parts.join(", "));
        }
        let steps = members
            .iter()
            .flat_map(|r| curves[r.id.as_str()].iter().map(|p| p.0));
        let (first, last) = steps.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
            (a.min(s), b.max(s))
        });
        let mut guides = Vec::new();
        for (value, group) in group_by(&members, &colour_key) {
            let colour = colour_of(&value.concat());
            let lines: Vec<&Vec<(f64, f64)>> =
                group.iter().map(|r| &curves[r.id.as_str()]).collect();
            sizes.push(group.len());
            draw_lines(&mut panel, &lines, spec.y.scale, colour, Stroke::line);
            let dashed: Vec<&Vec<(f64, f64)>> = group
                .iter()
                .filter_map(|r| companions.get(r.id.as_str()))
                .collect();
            draw_lines(&mut panel, &dashed, spec.y.scale, colour, Stroke::dashed);
            if let Some(level) = spec.guide.as_ref().and_then(|g| (g.level)(&value.concat())) {
                guides.push(Mark::new(
                    vec![(first, level), (last, level)],
                    Stroke::dashed(colour, 2),
                ));
            }
        }
        // Theory lines on top: dashed, they leave the data visible.
        panel.marks.append(&mut guides);
        panels.push(panel);
    }

    let several = sizes.iter().any(|&s| s > 1);
    let mut legend: Vec<LegendEntry> = match &spec.colour {
        Some(colouring) => colour_values
            .iter()
            .map(|v| LegendEntry::new(colouring_label(colouring, v), Stroke::line(colour_of(v), 3)))
            .collect(),
        None => Vec::new(),
    };
    if several {
        let mean = if spec.y.scale == Scale::Log {
            "geometric mean"
        } else {
            "mean"
        };
        legend.push(LegendEntry::note(format!(
            "thin: single runs, thick: {mean}"
        )));
    }
    if let Some(guide) = &spec.guide {
        legend.push(LegendEntry::new(guide.label, Stroke::dashed(REFERENCE, 2)));
    }
    let companion = spec.companion.as_ref().filter(|_| !companions.is_empty());
    if let Some(companion) = companion {
        legend.push(LegendEntry::note(companion.note));
    }
    let what = companion.map_or(spec.what, |c| c.what);
    let title = title(spec, what, &measured, &varying, &panel_keys, &sizes);
    let chunks: Vec<Vec<Panel>> = panels
        .chunks(PANELS_PER_FIGURE)
        .map(<[Panel]>::to_vec)
        .collect();
    let parts = chunks.len();
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, panels)| {
            let (name, title) = match parts {
                1 => (spec.name.to_string(), title.clone()),
                _ => (
                    format!("{}_{}", spec.name, i + 1),
                    format!("{title} — part {} of {parts}", i + 1),
                ),
            };
            (
                name,
                Figure {
                    title,
                    panels,
                    legend: legend.clone(),
                },
            )
        })
        .collect())
}

/// Draws `lines` of one colour on `panel` with `stroke` (solid or dashed): a single line
/// thick, several thin and faint under their thick mean.
fn draw_lines(
    panel: &mut Panel,
    lines: &[&Vec<(f64, f64)>],
    scale: Scale,
    colour: RGBColor,
    stroke: fn(RGBColor, u32) -> Stroke,
) {
    match lines {
        [] => {}
        [line] => panel.marks.push(Mark::new(
            thin((*line).clone(), POINTS_PER_CURVE),
            stroke(colour, 2),
        )),
        _ => {
            for line in lines {
                let faint = stroke(colour, 1).faint(0.3);
                panel
                    .marks
                    .push(Mark::new(thin((*line).clone(), POINTS_PER_CURVE), faint));
            }
            let mean = thin(mean_curve(lines, scale), POINTS_PER_CURVE);
            panel.marks.push(Mark::new(mean, stroke(colour, 3)));
        }
    }
}

/// The figure title: what (`what`, the spec's or its companion's), coloured by what, and the
/// context (fixed width or n, panels, runs per curve).
fn title(
    spec: &Curves,
    what: &str,
    runs: &[&Run],
    varying: &[String],
    panel_keys: &[String],
    sizes: &[usize],
) -> String {
    let mut context: Vec<String> = CONTEXT_KEYS
        .iter()
        .filter(|k| !varying.iter().any(|v| v == *k) && !spec.colours_by(k))
        .filter_map(|k| runs[0].value(k).map(|v| key_value(k, &v)))
        .collect();
    if !panel_keys.is_empty() {
        let keys: Vec<String> = panel_keys.iter().map(|k| key_label(k)).collect();
        context.push(format!("one panel per {}", keys.join(" and ")));
    }
    let pooled: Vec<String> = varying
        .iter()
        .filter(|k| !panel_keys.contains(k) && *k != "seed" && !spec.colours_by(k))
        .map(|k| key_label(k))
        .collect();
    if !pooled.is_empty() {
        context.push(format!("pooled over {}", pooled.join(" and ")));
    }
    let (least, most) = (
        sizes.iter().min().copied().unwrap_or(1),
        sizes.iter().max().copied().unwrap_or(1),
    );
    let only_seeds = pooled.is_empty() && varying.iter().any(|k| k == "seed");
    let unit = if only_seeds { "seeds" } else { "runs" };
    match (least, most) {
        (_, 1) => {}
        (a, b) if a == b => context.push(format!("{a} {unit} each")),
        (a, b) => context.push(format!("{a}–{b} {unit} each")),
    }
    let by = match &spec.colour {
        Some(c) if varying.contains(&c.key) || spec.guide.is_some() => format!(" by {}", c.name),
        _ => String::new(),
    };
    match context.is_empty() {
        true => format!("{what}{by}"),
        false => format!("{what}{by} ({})", context.join(", ")),
    }
}

/// The legend text of value `v` of the colour key.
fn colouring_label(colouring: &Colouring, v: &str) -> String {
    match colouring.label {
        Some(label) => label(v),
        None => key_value(&colouring.key, v),
    }
}

/// Whether `key` takes one value for each value of `keys` among `runs` (as a rate zipped
/// with the width does): such a key says nothing a panel of its own would add.
fn determined_by(runs: &[&Run], keys: &[String], key: &str) -> bool {
    !keys.is_empty()
        && group_by(runs, keys).iter().all(|(_, members)| {
            let first = members.first().and_then(|r| r.value(key));
            members.iter().all(|r| r.value(key) == first)
        })
}

/// The colour key of a sweep: the width when it is swept, else the first swept key other than
/// the seed, else none.
pub fn main_key(sweep: &Sweep, runs: &[&Run]) -> Option<String> {
    let varying = sweep.varying(runs);
    let width = varying.iter().find(|k| *k == "model.width");
    width
        .or_else(|| varying.iter().find(|k| *k != "seed"))
        .cloned()
}
