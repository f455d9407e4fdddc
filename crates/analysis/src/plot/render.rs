//! Draws a [`Figure`] with plotters, once as SVG and once as PNG, each written atomically
//! (a temporary file in the same directory, then a rename).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::coord::Shift;
use plotters::element::{Circle, DashedPathElement, PathElement, Text};
use plotters::prelude::{
    BitMapBackend, ChartBuilder, DrawingArea, DrawingAreaErrorKind, DrawingBackend,
    IntoDrawingArea, SVGBackend,
};
use plotters::series::{DashedLineSeries, LineSeries};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, ShapeStyle, WHITE};

use overparam_sweep::files::{rename_into_place, temporary_beside, write_atomically};

use super::axis::Frame;
use super::figure::{Figure, LegendEntry, Panel, Stroke, StrokeKind};
use super::style::{
    font, register_fonts, text_width, AXIS_LABEL_SIZE, GRID_PANEL, INK, LEGEND_LINE, LEGEND_SAMPLE,
    LEGEND_SIZE, PANEL_TITLE_SIZE, SINGLE_PANEL, TICK_SIZE, TITLE_HEIGHT, TITLE_SIZE,
};

/// Writes `fig` as `dir/name.svg` and `dir/name.png`; returns both paths.
pub fn save(fig: &Figure, dir: &Path, name: &str) -> anyhow::Result<Vec<PathBuf>> {
    register_fonts()?;
    let layout = Layout::of(fig);
    let svg_path = dir.join(format!("{name}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, layout.size()).into_drawing_area();
        draw(fig, &layout, &root).with_context(|| format!("drawing {}", svg_path.display()))?;
        root.present().map_err(drawing_error)?;
    }
    write_atomically(&svg_path, svg.as_bytes())?;

    let png_path = dir.join(format!("{name}.png"));
    // The PNG encoder picks the format from the extension, which the temporary name keeps.
    let tmp = temporary_beside(&png_path);
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, layout.size()).into_drawing_area();
        draw(fig, &layout, &root)?;
        root.present().map_err(drawing_error)
    })();
    if let Err(e) = drawn {
        let _ = fs::remove_file(&tmp);
        return Err(e.context(format!("drawing {}", png_path.display())));
    }
    rename_into_place(&tmp, &png_path)?;
    Ok(vec![svg_path, png_path])
}

/// A plotters drawing error as an `anyhow` error.
fn drawing_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow::anyhow!("plotting failed: {e}")
}

/// Pixel sizes of a figure: panels, their legends, the shared legend.
struct Layout {
    /// Width of each panel's own legend column (0 if none has one).
    panel_legend: u32,
    /// Width of the shared legend column (0 if none).
    legend: u32,
    /// Total width.
    width: u32,
    /// Total height.
    height: u32,
}

impl Layout {
    /// The layout of `fig`, widened if the title needs it.
    fn of(fig: &Figure) -> Layout {
        let panel = if fig.panels.len() <= 1 {
            SINGLE_PANEL
        } else {
            GRID_PANEL
        };
        let panel_legend = fig
            .panels
            .iter()
            .map(|p| legend_width(&p.legend))
            .max()
            .unwrap_or(0);
        let legend = legend_width(&fig.legend);
        let grid = (panel.0 + panel_legend) * fig.columns() as u32;
        let width = (grid + legend).max(text_width(&fig.title, TITLE_SIZE) + 40);
        let height = TITLE_HEIGHT + panel.1 * fig.rows() as u32;
        Layout {
            panel_legend,
            legend,
            width,
            height,
        }
    }

    /// (width, height).
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

/// The width of a legend column holding `entries` (0 when empty).
fn legend_width(entries: &[LegendEntry]) -> u32 {
    let widest = entries
        .iter()
        .map(|e| {
            text_width(&e.label, LEGEND_SIZE)
                + if e.stroke.is_some() {
                    LEGEND_SAMPLE + 8
                } else {
                    0
                }
        })
        .max();
    widest.map_or(0, |w| (w + 44).min(500))
}

/// Draws the whole figure on `root`.
fn draw<DB: DrawingBackend>(
    fig: &Figure,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(drawing_error)?;
    let (title, body) = root.split_vertically(TITLE_HEIGHT);
    let centre = Pos::new(HPos::Center, VPos::Center);
    let style = font(TITLE_SIZE).color(&INK).pos(centre);
    let at = ((layout.width / 2) as i32, (TITLE_HEIGHT / 2) as i32 + 2);
    title
        .draw(&Text::new(fig.title.clone(), at, style))
        .map_err(drawing_error)?;
    let (grid, legend) = body.split_horizontally(layout.width - layout.legend);
    let cells = grid.split_evenly((fig.rows(), fig.columns()));
    for (panel, cell) in fig.panels.iter().zip(cells) {
        draw_panel(panel, &cell, layout.panel_legend)?;
    }
    draw_legend(&legend, &fig.legend)
}

/// Draws one panel (chart and its own legend column of width `legend_w`) on `area`.
fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
    legend_w: u32,
) -> anyhow::Result<()> {
    let (plot, legend) = area.split_horizontally(area.dim_in_pixel().0 - legend_w);
    let points = || panel.marks.iter().flat_map(|m| m.points.iter().copied());
    let fx = Frame::fit(&panel.x, points().map(|p| p.0));
    let fy = Frame::fit(&panel.y, points().map(|p| p.1));
    let tick_w = fy
        .major
        .iter()
        .map(|&u| text_width(&fy.label(u), TICK_SIZE))
        .max()
        .unwrap_or(20);

    let mut builder = ChartBuilder::on(&plot);
    builder
        .margin(14)
        .margin_right(22)
        .x_label_area_size(56)
        .y_label_area_size(tick_w + AXIS_LABEL_SIZE as u32 + 26);
    if let Some(title) = &panel.title {
        builder.caption(title, font(PANEL_TITLE_SIZE).color(&INK));
    }
    let (x_scale, y_scale) = (fx.scale, fy.scale);
    let mut chart = builder.build_cartesian_2d(fx, fy).map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc(panel.x.label.as_str())
        .y_desc(panel.y.label.as_str())
        .label_style(font(TICK_SIZE).color(&INK))
        .axis_desc_style(font(AXIS_LABEL_SIZE).color(&INK))
        .bold_line_style(INK.mix(0.13))
        .light_line_style(INK.mix(0.05))
        .axis_style(INK.mix(0.7))
        .draw()
        .map_err(drawing_error)?;

    for mark in &panel.marks {
        let to_plot = |&(x, y): &(f64, f64)| Some((x_scale.forward(x)?, y_scale.forward(y)?));
        let pts: Vec<(f64, f64)> = mark.points.iter().filter_map(to_plot).collect();
        let style = shape(mark.stroke);
        let drawn = match mark.stroke.kind {
            StrokeKind::Line => chart.draw_series(LineSeries::new(pts, style)).map(|_| ()),
            StrokeKind::Dashed => chart
                .draw_series(DashedLineSeries::new(pts, 9, 6, style))
                .map(|_| ()),
            StrokeKind::Dots => {
                let r = mark.stroke.width;
                chart
                    .draw_series(pts.into_iter().map(|p| Circle::new(p, r, style)))
                    .map(|_| ())
            }
        };
        drawn.map_err(drawing_error)?;
    }
    draw_legend(&legend, &panel.legend)
}

/// The plotters style of a stroke.
fn shape(stroke: Stroke) -> ShapeStyle {
    ShapeStyle {
        color: stroke.colour.mix(stroke.opacity),
        filled: stroke.kind == StrokeKind::Dots,
        stroke_width: stroke.width,
    }
}

/// Draws legend entries top-down in `area`, each a stroke sample and its label.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> anyhow::Result<()> {
    let text = font(LEGEND_SIZE)
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, entry) in entries.iter().enumerate() {
        let y = 34 + (i as u32 * LEGEND_LINE) as i32;
        let (x0, x1) = (6, 6 + LEGEND_SAMPLE as i32);
        let drawn = match entry.stroke {
            None => Ok(()),
            Some(s) => {
                let style = shape(Stroke {
                    opacity: s.opacity.max(0.6),
                    ..s
                });
                match s.kind {
                    StrokeKind::Line => area.draw(&PathElement::new(vec![(x0, y), (x1, y)], style)),
                    StrokeKind::Dashed => {
                        area.draw(&DashedPathElement::new(vec![(x0, y), (x1, y)], 7, 4, style))
                    }
                    StrokeKind::Dots => area.draw(&Circle::new(((x0 + x1) / 2, y), s.width, style)),
                }
            }
        };
        drawn.map_err(drawing_error)?;
        let x = if entry.stroke.is_some() { x1 + 8 } else { x0 };
        area.draw(&Text::new(entry.label.clone(), (x, y), text.clone()))
            .map_err(drawing_error)?;
    }
    Ok(())
}
