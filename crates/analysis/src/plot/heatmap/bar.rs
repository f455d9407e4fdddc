//! The colour bar right of the cells: a plotters chart over the colour scale, filled with its
//! colours, whose axis carries the ticks; the label beside it.

use plotters::coord::Shift;
use plotters::element::{Rectangle, Text};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend, LabelAreaPosition};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontTransform, ShapeStyle};

use super::layout::{Layout, BAR, GAP, LABEL_BAND};
use super::map::{HeatMap, BAR_LABELS};
use crate::plot::canvas::drawing_error;
use crate::plot::style::{fmt_number, font, AXIS_LABEL_SIZE, INK, TICK_SIZE};

/// Length of the bar's tick marks; their labels start twice as far from the bar.
const TICK: i32 = 5;

/// The colour bar right of the cells, its ticks and its label.
pub fn draw_bar<DB: DrawingBackend>(
    map: &HeatMap,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    let (top, bottom) = (layout.cell(0, 0).0 .1, layout.corner().1);
    let x0 = layout.corner().0 + GAP as i32;
    let axis = 2 * TICK as u32 + layout.bar_ticks;
    let height = (bottom - top).max(1) as u32;
    let area = root.clone().shrink((x0, top), (BAR + axis, height));
    let (low, high) = (map.scale.low, map.scale.high);
    let mut chart = ChartBuilder::on(&area)
        .set_label_area_size(LabelAreaPosition::Right, axis)
        .build_cartesian_2d(0f64..1f64, low..high)
        .map_err(drawing_error)?;
    let step = (high - low) / f64::from(height);
    let slices = (0..height).map(|k| {
        let v = low + step * f64::from(k);
        Rectangle::new([(0.0, v), (1.0, v + step)], map.scale.colour(v).filled())
    });
    chart.draw_series(slices).map_err(drawing_error)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .set_tick_mark_size(LabelAreaPosition::Right, TICK)
        .y_labels(BAR_LABELS)
        .y_label_formatter(&|v| fmt_number(*v, None))
        .label_style(font(TICK_SIZE).color(&INK))
        .axis_style(INK.mix(0.7))
        .draw()
        .map_err(drawing_error)?;
    let frame = ShapeStyle {
        color: INK.mix(0.7),
        filled: false,
        stroke_width: 1,
    };
    chart
        .plotting_area()
        .draw(&Rectangle::new([(0.0, low), (1.0, high)], frame))
        .map_err(drawing_error)?;
    let style = font(AXIS_LABEL_SIZE)
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Center))
        .transform(FontTransform::Rotate270);
    let at = (
        x0 + (BAR + axis + LABEL_BAND / 2) as i32,
        (top + bottom) / 2,
    );
    root.draw(&Text::new(map.scale.label.clone(), at, style))
        .map_err(drawing_error)
}
