//! The look of every plot: the embedded font, font sizes, layout sizes, colours, and the text
//! of numbers and of swept keys.

use std::sync::OnceLock;

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
/// Width of the line sample in front of a legend label.
pub const LEGEND_SAMPLE: u32 = 34;

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

/// Colour `i` of `count` ordered values: a viridis ramp (dark purple → green), so that larger
/// values are visibly "further along"; stops short of viridis' pale yellow end.
pub fn ordered_colour(i: usize, count: usize) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    if count <= 1 {
        return SOLO;
    }
    let t = 0.82 * i as f64 / (count - 1) as f64;
    let k = STOPS.iter().rposition(|(s, _)| *s <= t).unwrap_or(0).min(3);
    let ((t0, c0), (t1, c1)) = (STOPS[k], STOPS[k + 1]);
    let u = (t - t0) / (t1 - t0);
    let mix = |j: usize| (c0[j] + u * (c1[j] - c0[j])).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

/// A number as a person reads it on an axis or in a legend: up to 3 significant digits,
/// `2·10⁻⁵` style outside [10⁻³, 10⁵), and a typographic minus sign.
pub fn fmt_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { v.to_string() };
    }
    let a = v.abs();
    let text = if (1e-3..1e5).contains(&a) {
        let digits = (2 - a.log10().floor() as i32).max(0) as usize;
        trim_zeros(format!("{a:.digits$}"))
    } else {
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
    };
    if v < 0.0 {
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
pub fn superscript(e: i32) -> String {
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

/// A swept value as shown in a label: numbers through [`fmt_number`], anything else verbatim.
pub fn fmt_value(value: &str) -> String {
    match value.trim().parse::<f64>() {
        Ok(v) => fmt_number(v),
        Err(_) => value.to_string(),
    }
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

/// `key = value` as a person reads it (`n = 256`, `width m = 512`).
pub fn key_value(key: &str, value: &str) -> String {
    format!("{} = {}", key_label(key), fmt_value(value))
}

/// `v` with `digits` decimals and a typographic minus (`-0.49` → `−0.49`).
pub fn fmt_fixed(v: f64, digits: usize) -> String {
    format!("{v:.digits$}").replace('-', "−")
}
