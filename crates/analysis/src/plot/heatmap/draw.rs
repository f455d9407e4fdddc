//! Drawing a [`HeatMap`] in pixel coordinates: the title, the cells with their text, and the
//! row, column and axis labels, then the overlay, the colour bar and the legend.

use plotters::coord::Shift;
use plotters::element::{Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontTransform, RGBColor, ShapeStyle, WHITE};

use super::bar::draw_bar;
use super::layout::{Layout, LABEL_BAND};
use super::map::HeatMap;
use super::overlay::draw_overlay;
use crate::plot::canvas::{drawing_error, Picture};
use crate::plot::legend;
use crate::plot::style::{
    font, text_width, AXIS_LABEL_SIZE, INK, TICK_SIZE, TITLE_HEIGHT, TITLE_SIZE,
};

/// Whether `colour` is dark enough that text on it should be white.
fn is_dark(colour: RGBColor) -> bool {
    let luma =
        0.299 * f64::from(colour.0) + 0.587 * f64::from(colour.1) + 0.114 * f64::from(colour.2);
    luma < 140.0
}

/// A heat map with its layout, ready to draw.
pub struct Drawn<'a> {
    /// The map.
    map: &'a HeatMap,
    /// Where its parts go.
    layout: Layout,
}

impl Drawn<'_> {
    /// `map` laid out, after checking its shape.
    pub fn new(map: &HeatMap) -> anyhow::Result<Drawn<'_>> {
        let layout = Layout::of(map, map.shape()?);
        Ok(Drawn { map, layout })
    }
}

impl Picture for Drawn<'_> {
    fn size(&self) -> (u32, u32) {
        self.layout.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let (map, layout) = (self.map, &self.layout);
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
        let (at, size) = layout.legend_area();
        legend::draw(&root.clone().shrink(at, size), &map.legend())
    }
}

/// Every `k`-th label is drawn so that labels `extent` pixels long fit cells `cell` apart.
fn stride(extent: u32, cell: u32) -> usize {
    (extent + 8).div_ceil(cell.max(1)).max(1) as usize
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
            let colour = map.colour(row, column);
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
