//! Pixel geometry of a heat map: where the cells, the labels, the colour bar and the legend
//! line go, and the sizes they share.

use super::map::HeatMap;
use crate::plot::style::{text_width, LEGEND_LINE, TICK_SIZE, TITLE_HEIGHT, TITLE_SIZE};

/// Width of the band holding a rotated axis label.
pub const LABEL_BAND: u32 = 36;
/// Width of the colour bar.
pub const BAR: u32 = 24;
/// Gap between the cells and the colour bar.
pub const GAP: u32 = 28;

/// Pixel geometry of a heat map.
pub struct Layout {
    /// Left edge of the cells.
    pub left: u32,
    /// Size of one cell.
    pub cell: (u32, u32),
    /// Rows and columns.
    pub shape: (usize, usize),
    /// Height of the legend under the x label (0 when there is nothing to explain).
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
        let widest = |labels: &mut dyn Iterator<Item = &String>| {
            labels.map(|l| text_width(l, TICK_SIZE)).max().unwrap_or(0)
        };
        let left = LABEL_BAND + widest(&mut map.row_labels.iter()) + 12;
        let ticks = map.scale.ticks();
        let bar_ticks = widest(&mut ticks.iter().map(|(_, l)| l)) + 10;
        let legend = match map.legend().len() as u32 {
            0 => 0,
            entries => entries * LEGEND_LINE + 8,
        };
        let right = GAP + BAR + 10 + bar_ticks + LABEL_BAND;
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

    /// Top-left and bottom-right pixel of cell (`row`, `column`).
    pub fn cell(&self, row: usize, column: usize) -> ((i32, i32), (i32, i32)) {
        let x0 = (self.left + self.cell.0 * column as u32) as i32;
        let y0 = (TITLE_HEIGHT + self.cell.1 * row as u32) as i32;
        ((x0, y0), (x0 + self.cell.0 as i32, y0 + self.cell.1 as i32))
    }

    /// Top-left corner and size of the legend's area, under the x label.
    pub fn legend_area(&self) -> ((i32, i32), (u32, u32)) {
        let top = self.corner().1 + 30 + LABEL_BAND as i32 - 18;
        (
            (self.left as i32 - 8, top),
            (self.size.0 - self.left + 8, self.legend + 12),
        )
    }

    /// Bottom-right pixel of the whole matrix.
    pub fn corner(&self) -> (i32, i32) {
        self.cell(self.shape.0 - 1, self.shape.1 - 1).1
    }
}
