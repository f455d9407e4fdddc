//! What a heat map shows: the labelled matrix, its colour scale and the overlay.

use anyhow::ensure;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::RGBColor;

use crate::plot::figure::{LegendEntry, Stroke};
use crate::plot::style::{fmt_number, INK};

/// The colour of a cell without data.
pub const MISSING: RGBColor = RGBColor(215, 215, 215);

/// The most labelled values on a colour bar.
pub const BAR_LABELS: usize = 6;

/// How values map to colours: linearly from `low` (dark purple) to `high` (yellow), viridis;
/// values outside are clamped. Transform the values first for another scale (e.g. log₁₀).
#[derive(Clone, Debug, PartialEq)]
pub struct ColourScale {
    /// What the colour measures, shown beside the colour bar.
    pub label: String,
    /// The value drawn darkest.
    pub low: f64,
    /// The value drawn brightest.
    pub high: f64,
}

impl ColourScale {
    /// A scale spanning the finite values of `values` (the unit interval when there are none
    /// or all are equal), labelled `label`.
    pub fn spanning(label: impl Into<String>, values: &[Vec<Option<f64>>]) -> ColourScale {
        let finite = values
            .iter()
            .flatten()
            .flatten()
            .copied()
            .filter(|v| v.is_finite());
        let (low, high) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let (low, high) = if low < high {
            (low, high)
        } else if low.is_finite() {
            (low - 0.5, low + 0.5)
        } else {
            (0.0, 1.0)
        };
        ColourScale {
            label: label.into(),
            low,
            high,
        }
    }

    /// Where `value` falls on the scale, in [0, 1].
    pub fn position(&self, value: f64) -> f64 {
        ((value - self.low) / (self.high - self.low)).clamp(0.0, 1.0)
    }

    /// The colour of `value`: plotters' viridis colour map at its position.
    pub fn colour(&self, value: f64) -> RGBColor {
        ViridisRGB::get_color(self.position(value))
    }

    /// The labelled values of the colour bar and their labels: plotters' key points over
    /// [`low`, `high`], as the bar's axis draws them.
    ///
    /// [`low`]: ColourScale::low
    /// [`high`]: ColourScale::high
    pub fn ticks(&self) -> Vec<(f64, String)> {
        RangedCoordf64::from(self.low..self.high)
            .key_points(BAR_LABELS)
            .into_iter()
            .map(|v| (v, fmt_number(v, None)))
            .collect()
    }
}

/// How the overlay marks its cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlayStyle {
    /// A thick line along every edge between a marked cell and an unmarked one (or the border):
    /// the contour of the marked region.
    Contour,
    /// A dot in the corner of each marked cell.
    Markers,
}

/// Cells where a second quantity exceeds a threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlay {
    /// The second quantity, `[row][column]` like the map's values (`None`: not measured, never
    /// marked).
    pub values: Vec<Vec<Option<f64>>>,
    /// Cells whose value is strictly above this are marked.
    pub threshold: f64,
    /// What a mark means, for the legend (e.g. `kernel drift > 0.3`).
    pub label: String,
    /// Contour or markers.
    pub style: OverlayStyle,
}

impl Overlay {
    /// Whether cell (`row`, `column`) is marked; false outside the matrix.
    pub fn marks(&self, row: usize, column: usize) -> bool {
        let value = self
            .values
            .get(row)
            .and_then(|r| r.get(column))
            .copied()
            .flatten();
        value.is_some_and(|v| v > self.threshold)
    }
}

/// A heat map: `values[row][column]` with rows listed top to bottom (reverse them for an axis
/// that grows upwards), coloured on `scale`.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatMap {
    /// Shown above the map.
    pub title: String,
    /// What the columns are (below the column labels).
    pub x_label: String,
    /// What the rows are (left of the row labels).
    pub y_label: String,
    /// One label per column, left to right.
    pub column_labels: Vec<String>,
    /// One label per row, top to bottom.
    pub row_labels: Vec<String>,
    /// The values; `None` (or a non-finite value) is drawn grey as "no data".
    pub values: Vec<Vec<Option<f64>>>,
    /// The colour scale.
    pub scale: ColourScale,
    /// Text drawn in each cell, `[row][column]` (empty: none; an empty string: none there).
    pub annotations: Vec<Vec<String>>,
    /// Cells to mark, if any.
    pub overlay: Option<Overlay>,
}

impl HeatMap {
    /// The number of rows and columns, after checking that every matrix has that shape.
    pub fn shape(&self) -> anyhow::Result<(usize, usize)> {
        let (rows, columns) = (self.row_labels.len(), self.column_labels.len());
        ensure!(
            rows > 0 && columns > 0,
            "heat map `{}` has no cells",
            self.title
        );
        let check = |what: &str, shape: Vec<usize>| {
            ensure!(
                shape.len() == rows && shape.iter().all(|&c| c == columns),
                "heat map `{}`: {what} is not {rows} × {columns} (row lengths {shape:?})",
                self.title
            );
            Ok(())
        };
        check("values", self.values.iter().map(Vec::len).collect())?;
        if !self.annotations.is_empty() {
            check(
                "annotations",
                self.annotations.iter().map(Vec::len).collect(),
            )?;
        }
        if let Some(overlay) = &self.overlay {
            check(
                "overlay values",
                overlay.values.iter().map(Vec::len).collect(),
            )?;
        }
        ensure!(
            self.scale.low.is_finite()
                && self.scale.high.is_finite()
                && self.scale.low < self.scale.high,
            "heat map `{}`: colour scale [{}, {}] is empty",
            self.title,
            self.scale.low,
            self.scale.high
        );
        Ok((rows, columns))
    }

    /// The value of cell (`row`, `column`), when it is a finite number.
    pub fn value(&self, row: usize, column: usize) -> Option<f64> {
        self.values[row][column].filter(|v| v.is_finite())
    }

    /// The colour of cell (`row`, `column`): its value's, or grey without one.
    pub fn colour(&self, row: usize, column: usize) -> RGBColor {
        self.value(row, column)
            .map_or(MISSING, |v| self.scale.colour(v))
    }

    /// The legend under the map: what the overlay marks, and grey cells when there are any.
    pub fn legend(&self) -> Vec<LegendEntry> {
        let mut entries = Vec::new();
        if let Some(overlay) = &self.overlay {
            let sample = match overlay.style {
                OverlayStyle::Contour => Stroke::line(INK, 3),
                OverlayStyle::Markers => Stroke::dots(INK, 3),
            };
            entries.push(LegendEntry::new(overlay.label.clone(), sample));
        }
        let columns = self.column_labels.len();
        let rows = 0..self.row_labels.len();
        if rows
            .flat_map(|r| (0..columns).map(move |c| (r, c)))
            .any(|(r, c)| self.value(r, c).is_none())
        {
            entries.push(LegendEntry::new("no data", Stroke::dots(MISSING, 7)));
        }
        entries
    }
}
