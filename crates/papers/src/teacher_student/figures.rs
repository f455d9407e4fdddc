//! The reproduction's own figures, drawn into the part's `plots/`: an alignment heat map
//! (student neurons × teacher neurons, coloured by cosine) of one run per width, and the
//! final-phase rate against the width.

use std::fs;
use std::path::Path;

use anyhow::Context;

use overparam_analysis::plot::axis::Axis;
use overparam_analysis::plot::figure::{Figure, LegendEntry, Mark, Panel, Stroke};
use overparam_analysis::plot::heatmap::{self, ColourScale, HeatMap, Overlay, OverlayStyle};
use overparam_analysis::plot::render;
use overparam_analysis::plot::style::{fmt_number, INK, SOLO};

use super::claims::{percent, WidthRates};
use super::student::Student;
use super::NEGLIGIBLE_SHARE;

/// A figure written into `plots/`: its file stem and caption.
pub type Drawn = (String, String);

/// For each width, the heat map of its least aligned run (the largest share of output weight
/// on misaligned neurons; the first seed when none has any). `students` are sorted by width.
pub fn alignment_maps(plots: &Path, students: &[Student]) -> anyhow::Result<Vec<Drawn>> {
    let mut drawn = Vec::new();
    for group in students.chunk_by(|a, b| a.width == b.width) {
        let Some(run) = group.iter().reduce(|worst, s| {
            if s.misaligned_share() > worst.misaligned_share() {
                s
            } else {
                worst
            }
        }) else {
            continue;
        };
        let stem = format!("alignment_m{}", run.width);
        heatmap::save(&alignment_map(run), plots, &stem)?;
        let which = match run.misaligned().count() {
            0 => "no run of this width ends with a misaligned neuron".to_string(),
            count => format!(
                "of its width, the run with the most output weight, {}, on its {count} \
                 misaligned neurons",
                percent(run.misaligned_share())
            ),
        };
        let caption = format!(
            "m = {}, seed {} ({which}): cos∠(w_r, w*_j) of each student neuron (rows, by share \
             of Σ|a_r|‖w_r‖, largest first) with each teacher neuron; outlined: the \
             non-negligible neurons (≥ {} of the weight)",
            run.width,
            run.seed,
            percent(NEGLIGIBLE_SHARE)
        );
        drawn.push((stem, caption));
    }
    Ok(drawn)
}

/// The heat map of one student: rows its neurons by decreasing share, columns the teacher's.
fn alignment_map(student: &Student) -> HeatMap {
    let mut neurons: Vec<_> = student.neurons.iter().collect();
    neurons.sort_by(|a, b| b.share.total_cmp(&a.share));
    let k = student.teacher_width();
    let values: Vec<Vec<Option<f64>>> = neurons
        .iter()
        .map(|n| n.cosines.iter().map(|&c| Some(c)).collect())
        .collect();
    let marked = neurons
        .iter()
        .map(|n| vec![Some(if n.non_negligible() { 1.0 } else { 0.0 }); k])
        .collect();
    HeatMap {
        title: format!(
            "Student–teacher cosines, m = {}, seed {} (loss {})",
            student.width,
            student.seed,
            student.final_loss.map_or("–".into(), crate::number)
        ),
        x_label: "teacher neuron j".into(),
        y_label: "student neuron (share of Σ|a_r|‖w_r‖)".into(),
        column_labels: (1..=k).map(|j| format!("w*{j}")).collect(),
        row_labels: neurons.iter().map(|n| percent(n.share)).collect(),
        annotations: values
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&c| cosine_text(c.unwrap_or(f64::NAN)))
                    .collect()
            })
            .collect(),
        values,
        scale: ColourScale {
            label: "cos∠(w_r, w*_j)".into(),
            low: -1.0,
            high: 1.0,
        },
        overlay: Some(Overlay {
            values: marked,
            threshold: 0.5,
            label: format!(
                "non-negligible (≥ {} of the weight)",
                percent(NEGLIGIBLE_SHARE)
            ),
            style: OverlayStyle::Contour,
        }),
    }
}

/// A cosine with two decimals and a typographic minus (`−0.00` shown as `0.00`).
fn cosine_text(cosine: f64) -> String {
    fmt_number(if cosine.abs() < 0.005 { 0.0 } else { cosine }, Some(2))
}

/// 1 − ρ of every run against m (log-log), with the median per width.
pub fn rate_figure(plots: &Path, rates: &[WidthRates]) -> anyhow::Result<Option<Drawn>> {
    if rates.is_empty() {
        return Ok(None);
    }
    let widths: Vec<f64> = rates.iter().map(|r| r.width as f64).collect();
    let mut panel = Panel::new(
        Axis::log("width m (student neurons)").with_ticks(widths),
        Axis::log("1 − ρ (loss removed per step, final phase)"),
    );
    let runs: Vec<(f64, f64)> = rates
        .iter()
        .flat_map(|r| r.decreases.iter().map(move |&d| (r.width as f64, d)))
        .collect();
    let medians = rates.iter().map(|r| (r.width as f64, r.median())).collect();
    let dots = Stroke::dots(SOLO, 4).faint(0.55);
    let line = Stroke::line(INK, 2);
    panel.marks.push(Mark::new(runs, dots));
    panel.marks.push(Mark::new(medians, line));
    panel.legend = vec![
        LegendEntry::new("one run (seed)", dots),
        LegendEntry::new("median over seeds", line),
    ];
    let figure = Figure {
        title: "Final-phase rate against the number of student neurons".into(),
        panels: vec![panel],
        legend: Vec::new(),
    };
    fs::create_dir_all(plots).with_context(|| format!("creating {}", plots.display()))?;
    let stem = "final_rate_vs_width".to_string();
    render::save(&figure, plots, &stem)?;
    let caption = String::from(
        "1 − ρ, the fraction of the loss removed per step over each run's last decades of \
         loss, against m (runs that reached the target): a rate that does not depend on m \
         is a flat line",
    );
    Ok(Some((stem, caption)))
}
