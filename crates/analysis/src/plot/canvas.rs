//! Writing a picture as SVG and as PNG, each atomically (a temporary file in the same
//! directory, then a rename): the one place figures and heat maps reach the disk.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use plotters::coord::Shift;
use plotters::prelude::{
    BitMapBackend, DrawingArea, DrawingAreaErrorKind, DrawingBackend, IntoDrawingArea, SVGBackend,
};

use overparam_sweep::files::{rename_into_place, temporary_beside, write_atomically};

use super::style::register_fonts;

/// Something drawn at a fixed size on any plotters backend.
pub trait Picture {
    /// (width, height) in pixels.
    fn size(&self) -> (u32, u32);

    /// Draws the picture on `root`, which has [`Picture::size`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>;
}

/// Writes `picture` as `dir/stem.svg` and `dir/stem.png`; returns both paths.
pub fn save(picture: &impl Picture, dir: &Path, stem: &str) -> anyhow::Result<Vec<PathBuf>> {
    register_fonts()?;
    let svg_path = dir.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, picture.size()).into_drawing_area();
        let drawn = picture
            .draw(&root)
            .and_then(|()| root.present().map_err(drawing_error));
        drawn.with_context(|| format!("drawing {}", svg_path.display()))?;
    }
    write_atomically(&svg_path, svg.as_bytes())?;

    let png_path = dir.join(format!("{stem}.png"));
    // The PNG encoder picks the format from the extension, which the temporary name keeps.
    let tmp = temporary_beside(&png_path);
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, picture.size()).into_drawing_area();
        picture.draw(&root)?;
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
pub fn drawing_error<E: std::error::Error + Send + Sync>(
    e: DrawingAreaErrorKind<E>,
) -> anyhow::Error {
    anyhow::anyhow!("plotting failed: {e}")
}
