//! The overlay: the contour of, or dots in, the cells where a second quantity exceeds a
//! threshold.

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{Color, ShapeStyle, WHITE};

use super::layout::Layout;
use super::map::{HeatMap, OverlayStyle};
use crate::plot::canvas::drawing_error;
use crate::plot::style::INK;

/// The overlay: the contour of the marked cells, or a dot in each.
pub fn draw_overlay<DB: DrawingBackend>(
    map: &HeatMap,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    let Some(overlay) = &map.overlay else {
        return Ok(());
    };
    let marked = |r: Option<usize>, c: Option<usize>| matches!((r, c), (Some(r), Some(c)) if overlay.marks(r, c));
    let mut edges = Vec::new();
    for row in 0..layout.shape.0 {
        for column in 0..layout.shape.1 {
            if !overlay.marks(row, column) {
                continue;
            }
            let ((x0, y0), (x1, y1)) = layout.cell(row, column);
            if overlay.style == OverlayStyle::Markers {
                for (radius, colour) in [(5, WHITE), (3, INK)] {
                    root.draw(&Circle::new((x1 - 8, y0 + 8), radius, colour.filled()))
                        .map_err(drawing_error)?;
                }
                continue;
            }
            let (up, left) = (row.checked_sub(1), column.checked_sub(1));
            let neighbours = [
                (marked(up, Some(column)), [(x0, y0), (x1, y0)]),
                (marked(Some(row + 1), Some(column)), [(x0, y1), (x1, y1)]),
                (marked(Some(row), left), [(x0, y0), (x0, y1)]),
                (marked(Some(row), Some(column + 1)), [(x1, y0), (x1, y1)]),
            ];
            edges.extend(neighbours.into_iter().filter(|(m, _)| !m).map(|(_, e)| e));
        }
    }
    for (width, colour) in [(6, WHITE), (3, INK)] {
        let style = ShapeStyle {
            color: colour.to_rgba(),
            filled: false,
            stroke_width: width,
        };
        for edge in &edges {
            root.draw(&PathElement::new(edge.to_vec(), style))
                .map_err(drawing_error)?;
        }
    }
    Ok(())
}
