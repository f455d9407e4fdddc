//! The overlay (contour of, or dots in, the cells where a second quantity exceeds a threshold)
//! and the legend line that explains it and grey "no data" cells.

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement, Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, ShapeStyle, WHITE};

use super::draw::{drawing_error, Layout, LABEL_BAND, MISSING};
use super::{HeatMap, OverlayStyle};
use crate::plot::style::{font, text_width, INK, LEGEND_LINE, LEGEND_SIZE};

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

/// One line under the x label explaining the overlay and grey "no data" cells.
pub fn draw_legend<DB: DrawingBackend>(
    map: &HeatMap,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    if layout.legend == 0 {
        return Ok(());
    }
    let y = layout.corner().1 + 30 + LABEL_BAND as i32 + (LEGEND_LINE / 2) as i32;
    let mut x = layout.cell(0, 0).0 .0;
    let text = font(LEGEND_SIZE)
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    if let Some(overlay) = &map.overlay {
        if overlay.style == OverlayStyle::Contour {
            for (width, colour) in [(6, WHITE), (3, INK)] {
                let style = ShapeStyle {
                    color: colour.to_rgba(),
                    filled: false,
                    stroke_width: width,
                };
                root.draw(&PathElement::new(vec![(x, y), (x + 30, y)], style))
                    .map_err(drawing_error)?;
            }
        } else {
            root.draw(&Circle::new((x + 15, y), 3, INK.filled()))
                .map_err(drawing_error)?;
        }
        root.draw(&Text::new(overlay.label.clone(), (x + 38, y), text.clone()))
            .map_err(drawing_error)?;
        x += 38 + text_width(&overlay.label, LEGEND_SIZE) as i32 + 30;
    }
    let missing =
        (0..layout.shape.0).any(|r| (0..layout.shape.1).any(|c| map.value(r, c).is_none()));
    if missing {
        root.draw(&Rectangle::new(
            [(x, y - 8), (x + 16, y + 8)],
            MISSING.filled(),
        ))
        .map_err(drawing_error)?;
        root.draw(&Text::new("no data", (x + 24, y), text))
            .map_err(drawing_error)?;
    }
    Ok(())
}
