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
mod layout;
mod map;
mod overlay;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::canvas;

pub use map::{ColourScale, HeatMap, Overlay, OverlayStyle};

/// Writes `map` as `dir/stem.svg` and `dir/stem.png` (creating `dir`); returns both paths.
pub fn save(map: &HeatMap, dir: &Path, stem: &str) -> anyhow::Result<Vec<PathBuf>> {
    let picture = draw::Drawn::new(map)?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    canvas::save(&picture, dir, stem)
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
