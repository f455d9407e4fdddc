//! Draws a [`Figure`] with plotters: the title, a chart per panel on plotters' linear or log
//! coordinates, and the legends as plotters series labels; written as SVG and PNG by
//! [`canvas::save`].

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::element::{Circle, Text};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};
use plotters::series::{DashedLineSeries, LineSeries};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, WHITE};

use super::axis::{Coord, LABELS};
use super::canvas::{self, drawing_error, Picture};
use super::figure::{Figure, Panel, StrokeKind};
use super::legend::{self, shape};
use super::style::{
    font, text_width, AXIS_LABEL_SIZE, GRID_PANEL, INK, PANEL_TITLE_SIZE, SINGLE_PANEL, TICK_SIZE,
    TITLE_HEIGHT, TITLE_SIZE,
};

/// Writes `fig` as `dir/name.svg` and `dir/name.png`; returns both paths.
pub fn save(fig: &Figure, dir: &Path, name: &str) -> anyhow::Result<Vec<PathBuf>> {
    canvas::save(&Laid::out(fig), dir, name)
}

/// A figure with the pixel sizes of its parts.
struct Laid<'a> {
    /// The figure.
    fig: &'a Figure,
    /// Width of each panel's own legend column (0 if none has one).
    panel_legend: u32,
    /// Width of the shared legend column (0 if none).
    legend: u32,
    /// Total width.
    width: u32,
    /// Total height.
    height: u32,
}

impl Laid<'_> {
    /// The layout of `fig`, widened if the title needs it.
    fn out(fig: &Figure) -> Laid<'_> {
        let panel = if fig.panels.len() <= 1 {
            SINGLE_PANEL
        } else {
            GRID_PANEL
        };
        let panel_legend = fig
            .panels
            .iter()
            .map(|p| legend::width(&p.legend))
            .max()
            .unwrap_or(0);
        let legend = legend::width(&fig.legend);
        let grid = (panel.0 + panel_legend) * fig.columns() as u32;
        let width = (grid + legend).max(text_width(&fig.title, TITLE_SIZE) + 40);
        let height = TITLE_HEIGHT + panel.1 * fig.rows() as u32;
        Laid {
            fig,
            panel_legend,
            legend,
            width,
            height,
        }
    }
}

impl Picture for Laid<'_> {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let fig = self.fig;
        root.fill(&WHITE).map_err(drawing_error)?;
        let (title, body) = root.split_vertically(TITLE_HEIGHT);
        let centre = Pos::new(HPos::Center, VPos::Center);
        let style = font(TITLE_SIZE).color(&INK).pos(centre);
        let at = ((self.width / 2) as i32, (TITLE_HEIGHT / 2) as i32 + 2);
        title
            .draw(&Text::new(fig.title.clone(), at, style))
            .map_err(drawing_error)?;
        let (grid, legend) = body.split_horizontally(self.width - self.legend);
        let cells = grid.split_evenly((fig.rows(), fig.columns()));
        for (panel, cell) in fig.panels.iter().zip(cells) {
            let (plot, legend) = cell.split_horizontally(cell.dim_in_pixel().0 - self.panel_legend);
            draw_panel(panel, &plot)?;
            legend::draw(&legend, &panel.legend)?;
        }
        legend::draw(&legend, &fig.legend)
    }
}

/// Draws one panel's chart on `area`.
fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    let (sx, sy) = (panel.x.scale, panel.y.scale);
    let shown = |&(x, y): &(f64, f64)| sx.shows(x) && sy.shows(y);
    let points = || {
        panel
            .marks
            .iter()
            .flat_map(|m| m.points.iter().filter(|p| shown(p)))
    };
    let x = Coord::fit(&panel.x, points().map(|p| p.0));
    let y = Coord::fit(&panel.y, points().map(|p| p.1));
    let tick_w = y
        .labels()
        .iter()
        .map(|label| text_width(label, TICK_SIZE))
        .max()
        .unwrap_or(20);

    let mut builder = ChartBuilder::on(area);
    builder
        .margin(14)
        .margin_right(22)
        .x_label_area_size(56)
        .y_label_area_size(tick_w + AXIS_LABEL_SIZE as u32 + 26);
    if let Some(title) = &panel.title {
        builder.caption(title, font(PANEL_TITLE_SIZE).color(&INK));
    }
    let mut chart = builder.build_cartesian_2d(x, y).map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_labels(LABELS)
        .y_labels(LABELS)
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
        let pts: Vec<(f64, f64)> = mark.points.iter().copied().filter(shown).collect();
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
    Ok(())
}
