//! Legends, drawn by plotters as series labels: each entry an empty series with its label and
//! a sample of its stroke, listed top-down in an area of their own beside the chart (so that
//! they never cover data).

use plotters::coord::Shift;
use plotters::element::{Circle, DashedPathElement, PathElement};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend, SeriesLabelPosition};
use plotters::style::{Color, ShapeStyle, TRANSPARENT};

use super::canvas::drawing_error;
use super::figure::{LegendEntry, Stroke, StrokeKind};
use super::style::{font, text_width, INK, LEGEND_SIZE};

/// Width of the stroke sample in front of a label, in pixels.
const SAMPLE: u32 = 34;
/// Space around the entries.
const MARGIN: u32 = 8;

/// The plotters style of a stroke.
pub fn shape(stroke: Stroke) -> ShapeStyle {
    ShapeStyle {
        color: stroke.colour.mix(stroke.opacity),
        filled: stroke.kind == StrokeKind::Dots,
        stroke_width: stroke.width,
    }
}

/// The width of an area holding `entries` (0 when there are none).
pub fn width(entries: &[LegendEntry]) -> u32 {
    let widest = entries
        .iter()
        .map(|e| text_width(&e.label, LEGEND_SIZE))
        .max();
    widest.map_or(0, |w| (w + SAMPLE + 2 * MARGIN + 24).min(520))
}

/// Draws `entries` top-down in `area` as plotters series labels.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> anyhow::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut chart = ChartBuilder::on(area)
        .margin_top(14)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(drawing_error)?;
    for entry in entries {
        let nothing = std::iter::empty::<Circle<(f64, f64), u32>>();
        let series = chart.draw_series(nothing).map_err(drawing_error)?;
        series.label(entry.label.as_str());
        let Some(stroke) = entry.stroke else {
            continue;
        };
        // Faint strokes are shown a little stronger, to be seen at all in a short sample.
        let style = shape(Stroke {
            opacity: stroke.opacity.max(0.6),
            ..stroke
        });
        let end = SAMPLE as i32 - 6;
        match stroke.kind {
            StrokeKind::Line => {
                series.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + end, y)], style))
            }
            StrokeKind::Dashed => series.legend(move |(x, y)| {
                DashedPathElement::new(vec![(x, y), (x + end, y)], 7, 4, style)
            }),
            StrokeKind::Dots => {
                series.legend(move |(x, y)| Circle::new((x + end / 2, y), stroke.width, style))
            }
        };
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .margin(MARGIN)
        .legend_area_size(SAMPLE)
        .label_font(font(LEGEND_SIZE).color(&INK))
        .border_style(TRANSPARENT)
        .background_style(TRANSPARENT)
        .draw()
        .map_err(drawing_error)
}
