//! The look of every plot: the embedded font, font sizes, layout sizes, colours, and the text
//! of numbers and of swept keys.

use std::sync::OnceLock;

use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::{register_font, FontDesc, FontFamily, FontStyle, IntoFont, RGBColor};

/// DejaVu Sans, embedded so that plots render the same on machines without system fonts
/// (license: `assets/DejaVuSans-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family name the font is registered under and every text asks for.
pub const FAMILY: &str = "sans-serif";

/// Size of the figure title, in pixels.
pub const TITLE_SIZE: f64 = 24.0;
/// Size of a panel's own title.
pub const PANEL_TITLE_SIZE: f64 = 19.0;
/// Size of the axis descriptions.
pub const AXIS_LABEL_SIZE: f64 = 17.0;
/// Size of the tick labels.
pub const TICK_SIZE: f64 = 15.0;
/// Size of the legend text.
pub const LEGEND_SIZE: f64 = 15.0;

/// Height of the band holding the figure title, in pixels.
pub const TITLE_HEIGHT: u32 = 54;
/// Plot area of a figure with a single panel.
pub const SINGLE_PANEL: (u32, u32) = (820, 560);
/// Plot area of each panel of a grid.
pub const GRID_PANEL: (u32, u32) = (600, 430);
/// Height of one legend line.
pub const LEGEND_LINE: u32 = 24;

/// Near-black, for text, axes and reference lines.
pub const INK: RGBColor = RGBColor(30, 30, 30);
/// Grey for theory/reference lines that should not compete with the data.
pub const REFERENCE: RGBColor = RGBColor(90, 90, 90);
/// The single colour used when nothing is swept.
pub const SOLO: RGBColor = RGBColor(31, 119, 180);

/// Registers the embedded font with plotters, once per process.
pub fn register_fonts() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    anyhow::ensure!(ok, "the embedded font DejaVuSans.ttf could not be parsed");
    Ok(())
}

/// The font at `size` pixels.
pub fn font(size: f64) -> FontDesc<'static> {
    (FontFamily::Name(FAMILY), size).into_font()
}

/// The width in pixels of `text` at `size` (an estimate of 0.6 em per character if the font
/// cannot measure it).
pub fn text_width(text: &str, size: f64) -> u32 {
    let measured = register_fonts()
        .ok()
        .and_then(|()| font(size).box_size(text).ok());
    measured
        .map(|(w, _)| w)
        .unwrap_or((text.chars().count() as f64 * size * 0.6) as u32)
}

/// Colour `i` of `count` ordered values: plotters' viridis colour map (dark purple → green),
/// so that larger values are visibly "further along"; stops short of viridis' pale yellow end.
pub fn ordered_colour(i: usize, count: usize) -> RGBColor {
    if count <= 1 {
        return SOLO;
    }
    ViridisRGB::get_color(0.82 * i as f64 / (count - 1) as f64)
}

/// A number as a person reads it on an axis, in a legend or in a cell: with `decimals`
/// decimals when given (`−0.50`), else up to 3 significant digits and `2·10⁻⁵` style outside
/// [10⁻³, 10⁵); always with a typographic minus sign. The one number format of every plot.
pub fn fmt_number(v: f64, decimals: Option<usize>) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    let text = match decimals {
        Some(digits) => format!("{a:.digits$}"),
        None if a == 0.0 => "0".into(),
        None if (1e-3..1e5).contains(&a) => {
            let digits = (2 - a.log10().floor() as i32).max(0) as usize;
            trim_zeros(format!("{a:.digits$}"))
        }
        None => {
            let mut e = a.log10().floor() as i32;
            let mut m = (a / 10f64.powi(e) * 10.0).round() / 10.0;
            if m >= 10.0 {
                m /= 10.0;
                e += 1;
            }
            let power = format!("10{}", superscript(e));
            if m == 1.0 {
                power
            } else {
                format!("{}·{power}", trim_zeros(format!("{m:.1}")))
            }
        }
    };
    let zero = text.bytes().all(|b| matches!(b, b'0' | b'.'));
    if v < 0.0 && !zero {
        format!("−{text}")
    } else {
        text
    }
}

/// `s` without trailing zeros after a decimal point (and without a bare point).
fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// An integer in superscript digits (`-4` → `⁻⁴`).
fn superscript(e: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let sign = if e < 0 { "⁻" } else { "" };
    let digits: String = e
        .unsigned_abs()
        .to_string()
        .bytes()
        .map(|b| DIGITS[usize::from(b - b'0')])
        .collect();
    format!("{sign}{digits}")
}

/// What a config key means, in a few words (`model.width` → `width m`); unknown keys are
/// shown as their dotted name.
pub fn key_label(key: &str) -> String {
    let known = match key {
        "model.width" => "width m",
        "data.n" => "n",
        "data.d" => "d",
        "seed" => "seed",
        "model.bias_init" => "bias init b₀",
        "model.activation" => "activation",
        "model.parameterization" => "parameterization",
        "model.depth" => "depth",
        "train.lr_w" => "lr of W",
        "train.lr_b" => "lr of b",
        "train.lr_a" => "lr of a",
        "train.steps" => "steps",
        "data.inputs" => "inputs",
        _ => return key.to_string(),
    };
    known.to_string()
}

/// `key = value` as a person reads it (`n = 256`, `width m = 512`): numbers through
/// [`fmt_number`], anything else verbatim.
pub fn key_value(key: &str, value: &str) -> String {
    let value = match value.trim().parse::<f64>() {
        Ok(v) => fmt_number(v, None),
        Err(_) => value.to_string(),
    };
    format!("{} = {value}", key_label(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_number(-0.5, Some(2)), "−0.50");
        assert_eq!(fmt_number(-0.001, Some(2)), "0.00");
        assert_eq!(fmt_number(0.30000000000000004, None), "0.3");
        assert_eq!(fmt_number(2e-5, None), "2·10⁻⁵");
        assert_eq!(fmt_number(1e-20, None), "10⁻²⁰");
        assert_eq!(fmt_number(-1500.0, None), "−1500");
        assert_eq!(key_value("model.width", "512"), "width m = 512");
        assert_eq!(key_value("data.inputs", "sphere"), "inputs = sphere");
    }
}
