//! The colour scale: viridis, and the colour bar beside the cells with its ticks and label.

use plotters::coord::Shift;
use plotters::element::{PathElement, Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontTransform, RGBColor, ShapeStyle};

use super::draw::{drawing_error, Layout, BAR, GAP, LABEL_BAND};
use super::HeatMap;
use crate::plot::style::{fmt_number, font, AXIS_LABEL_SIZE, INK, TICK_SIZE};

/// Viridis at evenly spaced positions 0, 1/8, …, 1.
const VIRIDIS: [[f64; 3]; 9] = [
    [68.0, 1.0, 84.0],
    [71.0, 44.0, 122.0],
    [59.0, 81.0, 139.0],
    [44.0, 113.0, 142.0],
    [33.0, 144.0, 141.0],
    [39.0, 173.0, 129.0],
    [92.0, 200.0, 99.0],
    [170.0, 220.0, 50.0],
    [253.0, 231.0, 37.0],
];

/// The viridis colour at `t` ∈ [0, 1].
pub fn viridis(t: f64) -> RGBColor {
    let u = t.clamp(0.0, 1.0) * 8.0;
    let k = (u.floor() as usize).min(7);
    let f = u - k as f64;
    let mix = |j: usize| (VIRIDIS[k][j] + f * (VIRIDIS[k + 1][j] - VIRIDIS[k][j])).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

/// (value, label) of the colour bar's ticks: the widest spacing of 1, 2 or 5 × 10ᵏ that gives
/// at least 3 of them.
pub fn bar_ticks(map: &HeatMap) -> Vec<(f64, String)> {
    let (low, high) = (map.scale.low, map.scale.high);
    let range = high - low;
    if !(range.is_finite() && range > 0.0) {
        return Vec::new();
    }
    let top = range.log10().ceil() as i32;
    let steps = (top - 3..=top)
        .rev()
        .flat_map(|e| [5.0, 2.0, 1.0].map(|f| f * 10f64.powi(e)));
    for step in steps {
        let (first, last) = ((low / step).ceil() as i64, (high / step).floor() as i64);
        if last - first >= 2 {
            return (first..=last)
                .map(|k| k as f64 * step)
                .map(|v| (v, fmt_number(v, None)))
                .collect();
        }
    }
    Vec::new()
}

/// The colour bar right of the cells, its ticks and its label.
pub fn draw_bar<DB: DrawingBackend>(
    map: &HeatMap,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    let (top, bottom) = (layout.cell(0, 0).0 .1, layout.corner().1);
    let x0 = layout.corner().0 + GAP as i32;
    let x1 = x0 + BAR as i32;
    let height = (bottom - top).max(1);
    for y in top..bottom {
        let t = (bottom - y) as f64 / height as f64;
        root.draw(&Rectangle::new([(x0, y), (x1, y + 1)], viridis(t).filled()))
            .map_err(drawing_error)?;
    }
    let frame = ShapeStyle {
        color: INK.mix(0.7),
        filled: false,
        stroke_width: 1,
    };
    root.draw(&Rectangle::new([(x0, top), (x1, bottom)], frame))
        .map_err(drawing_error)?;
    let tick = font(TICK_SIZE)
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (value, label) in bar_ticks(map) {
        let y = bottom - (map.scale.position(value) * height as f64).round() as i32;
        root.draw(&PathElement::new(vec![(x1, y), (x1 + 5, y)], INK))
            .map_err(drawing_error)?;
        root.draw(&Text::new(label, (x1 + 8, y), tick.clone()))
            .map_err(drawing_error)?;
    }
    let axis = font(AXIS_LABEL_SIZE)
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    let at = (
        x1 + 6 + layout.bar_ticks as i32 + (LABEL_BAND / 2) as i32,
        (top + bottom) / 2,
    );
    let label = Text::new(
        map.scale.label.clone(),
        at,
        axis.transform(FontTransform::Rotate270),
    );
    root.draw(&label).map_err(drawing_error)
}
