//! Heat maps: a matrix of values drawn as coloured cells with labelled rows and columns, a
//! colour bar, optional text in each cell, and an optional overlay marking the cells where a
//! second quantity exceeds a threshold (outlined as a contour along the cell edges, or dotted).
//!
//! Generic on purpose: the two-rates phase diagram (width × learning-rate ratio, coloured by
//! the final loss, outlined where the kernel drift is large) uses it, and so can any other
//! labelled matrix, e.g. a teacher–student alignment matrix (student neurons × teacher
//! neurons, coloured by cosine). Drawn with plotters directly, written as SVG and PNG
//! atomically, like every other figure.

mod bar;
mod draw;
mod overlay;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context};
use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};

use overparam_sweep::files::{rename_into_place, temporary_beside, write_atomically};

use super::style::register_fonts;

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
}

/// Writes `map` as `dir/stem.svg` and `dir/stem.png` (creating `dir`); returns both paths.
pub fn save(map: &HeatMap, dir: &Path, stem: &str) -> anyhow::Result<Vec<PathBuf>> {
    register_fonts()?;
    let shape = map.shape()?;
    let layout = draw::Layout::of(map, shape);
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let svg_path = dir.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, layout.size()).into_drawing_area();
        draw::draw(map, &layout, &root)
            .with_context(|| format!("drawing {}", svg_path.display()))?;
        root.present().map_err(draw::drawing_error)?;
    }
    write_atomically(&svg_path, svg.as_bytes())?;

    let png_path = dir.join(format!("{stem}.png"));
    let tmp = temporary_beside(&png_path);
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, layout.size()).into_drawing_area();
        draw::draw(map, &layout, &root)?;
        root.present().map_err(draw::drawing_error)
    })();
    if let Err(e) = drawn {
        let _ = fs::remove_file(&tmp);
        return Err(e.context(format!("drawing {}", png_path.display())));
    }
    rename_into_place(&tmp, &png_path)?;
    Ok(vec![svg_path, png_path])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2 × 3 map with one missing cell, text in each cell and a marker overlay.
    fn map() -> HeatMap {
        let values = vec![
            vec![Some(0.1), None, Some(0.9)],
            vec![Some(0.5), Some(0.2), Some(0.7)],
        ];
        HeatMap {
            title: "alignment".into(),
            x_label: "teacher neuron".into(),
            y_label: "student neuron".into(),
            column_labels: ["1", "2", "3"].map(String::from).to_vec(),
            row_labels: ["a", "b"].map(String::from).to_vec(),
            scale: ColourScale::spanning("cos", &values),
            annotations: vec![vec!["x".into(); 3]; 2],
            overlay: Some(Overlay {
                values: values.clone(),
                threshold: 0.6,
                label: "aligned".into(),
                style: OverlayStyle::Markers,
            }),
            values,
        }
    }

    #[test]
    fn scales_span_the_data_and_clamp() {
        let scale = ColourScale::spanning("v", &map().values);
        assert_eq!((scale.low, scale.high), (0.1, 0.9));
        assert_eq!(
            (
                scale.position(0.0),
                scale.position(0.5),
                scale.position(2.0)
            ),
            (0.0, 0.5, 1.0)
        );
        let flat = ColourScale::spanning("v", &[vec![Some(2.0), None]]);
        assert_eq!((flat.low, flat.high), (1.5, 2.5));
        assert_eq!(ColourScale::spanning("v", &[vec![None]]).high, 1.0);
        assert!(map().overlay.unwrap().marks(0, 2) && !map().overlay.unwrap().marks(5, 0));
    }

    #[test]
    fn a_ragged_matrix_is_an_error_naming_the_map() {
        let mut ragged = map();
        ragged.values[1].pop();
        let error = ragged.shape().unwrap_err().to_string();
        assert!(
            error.contains("alignment") && error.contains("2 × 3"),
            "{error}"
        );
        let mut ragged = map();
        ragged.annotations.pop();
        assert!(ragged
            .shape()
            .unwrap_err()
            .to_string()
            .contains("annotations"));
    }

    #[test]
    fn saves_svg_and_png_with_labels_and_legend() {
        let dir = tempfile::tempdir().unwrap();
        let written = save(&map(), dir.path(), "map").unwrap();
        assert_eq!(written.len(), 2);
        let svg = fs::read_to_string(dir.path().join("map.svg")).unwrap();
        for text in ["alignment", "student neuron", "no data", "aligned", "cos"] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(fs::metadata(dir.path().join("map.png")).unwrap().len() > 1000);
    }
}
