//! Drawing a [`HeatMap`] in pixel coordinates: the layout, the title, the cells with their
//! text, and the row, column and axis labels (the colour bar and the overlay are in sibling
//! modules).

use plotters::coord::Shift;
use plotters::element::{Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingAreaErrorKind, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontTransform, RGBColor, ShapeStyle, WHITE};

use super::bar::{bar_ticks, draw_bar, viridis};
use super::overlay::{draw_legend, draw_overlay};
use super::HeatMap;
use crate::plot::style::{
    font, text_width, AXIS_LABEL_SIZE, INK, LEGEND_LINE, TICK_SIZE, TITLE_HEIGHT, TITLE_SIZE,
};

/// The colour of a cell without data.
pub const MISSING: RGBColor = RGBColor(215, 215, 215);
/// Width of the band holding a rotated axis label.
pub const LABEL_BAND: u32 = 36;
/// Width of the colour bar.
pub const BAR: u32 = 24;
/// Gap between the cells and the colour bar.
pub const GAP: u32 = 28;

/// Whether `colour` is dark enough that text on it should be white.
fn is_dark(colour: RGBColor) -> bool {
    let luma =
        0.299 * f64::from(colour.0) + 0.587 * f64::from(colour.1) + 0.114 * f64::from(colour.2);
    luma < 140.0
}

/// A plotters drawing error as an `anyhow` error.
pub fn drawing_error<E: std::error::Error + Send + Sync>(
    e: DrawingAreaErrorKind<E>,
) -> anyhow::Error {
    anyhow::anyhow!("plotting failed: {e}")
}

/// Pixel geometry of a heat map.
pub struct Layout {
    /// Left edge of the cells.
    pub left: u32,
    /// Size of one cell.
    pub cell: (u32, u32),
    /// Rows and columns.
    pub shape: (usize, usize),
    /// Height of the legend line (0 when there is nothing to explain).
    pub legend: u32,
    /// Width of the colour bar's tick labels.
    pub bar_ticks: u32,
    /// Whole picture.
    pub size: (u32, u32),
}

impl Layout {
    /// The layout of `map`, whose matrices are `shape` = (rows, columns).
    pub fn of(map: &HeatMap, shape: (usize, usize)) -> Layout {
        let (rows, columns) = shape;
        let cell = (
            (620 / columns as u32).clamp(16, 96),
            (460 / rows as u32).clamp(14, 64),
        );
        let widest = |labels: &[String]| labels.iter().map(|l| text_width(l, TICK_SIZE)).max();
        let left = LABEL_BAND + widest(&map.row_labels).unwrap_or(0) + 12;
        let bar_ticks = bar_ticks(map)
            .iter()
            .map(|(_, l)| text_width(l, TICK_SIZE))
            .max();
        let bar_ticks = bar_ticks.unwrap_or(0) + 10;
        let missing = (0..rows).any(|r| (0..columns).any(|c| map.value(r, c).is_none()));
        let legend = if map.overlay.is_some() || missing {
            LEGEND_LINE + 8
        } else {
            0
        };
        let right = GAP + BAR + 6 + bar_ticks + LABEL_BAND;
        let width =
            (left + cell.0 * columns as u32 + right).max(text_width(&map.title, TITLE_SIZE) + 40);
        let height = TITLE_HEIGHT + cell.1 * rows as u32 + 30 + LABEL_BAND + legend + 8;
        Layout {
            left,
            cell,
            shape,
            legend,
            bar_ticks,
            size: (width, height),
        }
    }

    /// (width, height) in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Top-left and bottom-right pixel of cell (`row`, `column`).
    pub fn cell(&self, row: usize, column: usize) -> ((i32, i32), (i32, i32)) {
        let x0 = (self.left + self.cell.0 * column as u32) as i32;
        let y0 = (TITLE_HEIGHT + self.cell.1 * row as u32) as i32;
        ((x0, y0), (x0 + self.cell.0 as i32, y0 + self.cell.1 as i32))
    }

    /// Bottom-right pixel of the whole matrix.
    pub fn corner(&self) -> (i32, i32) {
        self.cell(self.shape.0 - 1, self.shape.1 - 1).1
    }
}

/// Every `k`-th label is drawn so that labels `extent` pixels long fit cells `cell` apart.
fn stride(extent: u32, cell: u32) -> usize {
    (extent + 8).div_ceil(cell.max(1)).max(1) as usize
}

/// Draws `map` on `root` with `layout`.
pub fn draw<DB: DrawingBackend>(
    map: &HeatMap,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(drawing_error)?;
    let centre = Pos::new(HPos::Center, VPos::Center);
    let title = font(TITLE_SIZE).color(&INK).pos(centre);
    let at = ((layout.size.0 / 2) as i32, (TITLE_HEIGHT / 2) as i32 + 2);
    root.draw(&Text::new(map.title.clone(), at, title))
        .map_err(drawing_error)?;
    draw_cells(map, layout, root)?;
    draw_labels(map, layout, root)?;
    draw_overlay(map, layout, root)?;
    draw_bar(map, layout, root)?;
    draw_legend(map, layout, root)
}

/// The cells, coloured, with their annotations.
fn draw_cells<DB: DrawingBackend>(
    map: &HeatMap,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    let size = TICK_SIZE.min(layout.cell.1 as f64 * 0.5);
    for row in 0..layout.shape.0 {
        for column in 0..layout.shape.1 {
            let (a, b) = layout.cell(row, column);
            let colour = map
                .value(row, column)
                .map_or(MISSING, |v| viridis(map.scale.position(v)));
            root.draw(&Rectangle::new([a, b], colour.filled()))
                .map_err(drawing_error)?;
            let text = map.annotations.get(row).and_then(|r| r.get(column));
            let Some(text) =
                text.filter(|t| !t.is_empty() && text_width(t, size) + 4 < layout.cell.0)
            else {
                continue;
            };
            let ink = if is_dark(colour) { WHITE } else { INK };
            let style = font(size)
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center));
            let at = ((a.0 + b.0) / 2, (a.1 + b.1) / 2);
            root.draw(&Text::new(text.clone(), at, style))
                .map_err(drawing_error)?;
        }
    }
    let frame = ShapeStyle {
        color: INK.mix(0.7),
        filled: false,
        stroke_width: 1,
    };
    let start = layout.cell(0, 0).0;
    root.draw(&Rectangle::new([start, layout.corner()], frame))
        .map_err(drawing_error)
}

/// Row and column labels (thinned to fit) and the two axis labels.
fn draw_labels<DB: DrawingBackend>(
    map: &HeatMap,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    let (top_left, bottom_right) = (layout.cell(0, 0).0, layout.corner());
    let tick = |h| font(TICK_SIZE).color(&INK).pos(Pos::new(h, VPos::Center));
    let widest = map
        .column_labels
        .iter()
        .map(|l| text_width(l, TICK_SIZE))
        .max()
        .unwrap_or(0);
    for (column, label) in map
        .column_labels
        .iter()
        .enumerate()
        .step_by(stride(widest, layout.cell.0))
    {
        let (a, b) = layout.cell(0, column);
        let at = ((a.0 + b.0) / 2, bottom_right.1 + 15);
        root.draw(&Text::new(label.clone(), at, tick(HPos::Center)))
            .map_err(drawing_error)?;
    }
    for (row, label) in map
        .row_labels
        .iter()
        .enumerate()
        .step_by(stride(TICK_SIZE as u32, layout.cell.1))
    {
        let (a, b) = layout.cell(row, 0);
        let at = (a.0 - 8, (a.1 + b.1) / 2);
        root.draw(&Text::new(label.clone(), at, tick(HPos::Right)))
            .map_err(drawing_error)?;
    }
    let axis = font(AXIS_LABEL_SIZE)
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    let x_at = (
        (top_left.0 + bottom_right.0) / 2,
        bottom_right.1 + 30 + (LABEL_BAND / 2) as i32,
    );
    root.draw(&Text::new(map.x_label.clone(), x_at, axis.clone()))
        .map_err(drawing_error)?;
    let y_at = ((LABEL_BAND / 2) as i32, (top_left.1 + bottom_right.1) / 2);
    let rotated = axis.transform(FontTransform::Rotate270);
    root.draw(&Text::new(map.y_label.clone(), y_at, rotated))
        .map_err(drawing_error)
}
