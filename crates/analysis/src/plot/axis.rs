//! Axes: a linear or logarithmic scale, the plotted range and the tick marks.
//!
//! The coordinates and their tick positions are plotters' own: `f64` ranges on a linear axis,
//! [`LogCoord`] (`(a..b).log_scale()`) on a log axis. This module only picks the range (the
//! data, padded) and says which of plotters' ticks to label.

use std::ops::Range;

use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::coord::ranged1d::{
    BoldPoints, KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter,
};
use plotters::coord::types::RangedCoordf64;

use super::style::fmt_number;

/// How values map onto an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// The value itself.
    Linear,
    /// log₁₀ of the value; non-positive values cannot be shown.
    Log,
}

impl Scale {
    /// Whether `v` can be shown on this scale.
    pub fn shows(self, v: f64) -> bool {
        v.is_finite() && (self == Scale::Linear || v > 0.0)
    }
}

/// One axis of a panel, as the plot asks for it.
#[derive(Clone, Debug)]
pub struct Axis {
    /// What the axis measures, with units or meaning ("gradient steps").
    pub label: String,
    /// Linear or logarithmic.
    pub scale: Scale,
    /// Values to put the labelled ticks at instead of the automatic ones (e.g. the swept widths).
    pub ticks: Option<Vec<f64>>,
    /// Values the range must include besides the data (e.g. 0 for a fraction).
    pub include: Vec<f64>,
}

impl Axis {
    /// A linear axis.
    pub fn linear(label: impl Into<String>) -> Axis {
        Axis::new(label.into(), Scale::Linear)
    }

    /// A logarithmic axis.
    pub fn log(label: impl Into<String>) -> Axis {
        Axis::new(label.into(), Scale::Log)
    }

    /// An axis on `scale` with automatic ticks.
    fn new(label: String, scale: Scale) -> Axis {
        Axis {
            label,
            scale,
            ticks: None,
            include: Vec::new(),
        }
    }

    /// The same axis with labelled ticks at `ticks`.
    pub fn with_ticks(mut self, ticks: Vec<f64>) -> Axis {
        self.ticks = Some(ticks);
        self
    }

    /// The same axis with a range that includes `value`.
    pub fn including(mut self, value: f64) -> Axis {
        self.include.push(value);
        self
    }
}

/// The most labelled ticks an axis asks plotters for.
pub const LABELS: usize = 6;

/// The plotters coordinate of one scale.
enum Inner {
    /// Linear.
    Linear(RangedCoordf64),
    /// Logarithmic, and whether its range is too short (less than about a decade) for three
    /// labelled log ticks, when the ticks are plotters' linear ones over the same range.
    Log(LogCoord<f64>, bool),
}

/// An axis fitted to its data: a plotters coordinate over the padded data range whose labelled
/// ticks are the axis' own ticks when it has some, else plotters' key points.
pub struct Coord {
    /// The coordinate.
    inner: Inner,
    /// The axis' own labelled ticks, inside the range.
    ticks: Option<Vec<f64>>,
}

impl Coord {
    /// Fits `axis` to `values` (those the scale cannot show are ignored) and the values it must
    /// include, with 4 % padding each side (in log₁₀ on a log axis).
    pub fn fit(axis: &Axis, values: impl IntoIterator<Item = f64>) -> Coord {
        let scale = axis.scale;
        let all = values.into_iter().chain(axis.include.iter().copied());
        let range = padded(all.filter(|&v| scale.shows(v)), scale);
        let ticks = axis
            .ticks
            .as_ref()
            .map(|t| t.iter().copied().filter(|v| within(&range, *v)).collect());
        let inner = match scale {
            Scale::Linear => Inner::Linear(range.into()),
            Scale::Log => {
                let short = labelled_log_points(&range, LABELS).len() < 3;
                Inner::Log(range.log_scale().into(), short)
            }
        };
        Coord { inner, ticks }
    }

    /// The tick labels, as the mesh draws them.
    pub fn labels(&self) -> Vec<String> {
        let ticks = self.key_points(BoldPoints(LABELS));
        ticks.iter().map(|v| self.format_ext(v)).collect()
    }
}

/// Whether `v` lies in `range`, ends included, give or take rounding.
fn within(range: &Range<f64>, v: f64) -> bool {
    let slack = |end: f64| 1e-9 * end.abs();
    range.start - slack(range.start) <= v && v <= range.end + slack(range.end)
}

/// The range of `values`, padded by 4 % each side (of log₁₀ on a log axis); a sensible default
/// range when there is no data or a single value.
fn padded(values: impl Iterator<Item = f64>, scale: Scale) -> Range<f64> {
    let log = scale == Scale::Log;
    let from = |u: f64| if log { 10f64.powf(u) } else { u };
    let (lo, hi) = values
        .map(|v| if log { v.log10() } else { v })
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), u| {
            (lo.min(u), hi.max(u))
        });
    let (lo, hi) = if lo > hi {
        (0.0, 1.0)
    } else if hi - lo < 1e-12 {
        let half = match scale {
            Scale::Log => 0.5,
            Scale::Linear if lo == 0.0 => 1.0,
            Scale::Linear => 0.1 * lo.abs(),
        };
        (lo - half, hi + half)
    } else {
        let pad = 0.04 * (hi - lo);
        (lo - pad, hi + pad)
    };
    from(lo)..from(hi)
}

/// A fitted axis is a plotters coordinate: plotters maps the values; the key points are the
/// axis' own ticks, or plotters' (its linear ones over a log range too short for its log ones).
impl Ranged for Coord {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        match &self.inner {
            Inner::Linear(c) => c.map(v, limit),
            Inner::Log(c, _) => c.map(v, limit),
        }
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let light = hint.weight().allow_light_points();
        if let (Some(ticks), false) = (&self.ticks, light) {
            return ticks.clone();
        }
        let n = hint.max_num_points();
        match &self.inner {
            Inner::Linear(c) => c.key_points(hint),
            Inner::Log(c, true) => RangedCoordf64::from(c.range()).key_points(hint),
            Inner::Log(c, false) if light => light_log_points(&c.range(), n),
            Inner::Log(c, false) => labelled_log_points(&c.range(), n),
        }
    }

    fn range(&self) -> Range<f64> {
        match &self.inner {
            Inner::Linear(c) => c.range(),
            Inner::Log(c, _) => c.range(),
        }
    }
}

/// Tick labels through [`fmt_number`].
impl ValueFormatter<f64> for Coord {
    fn format_ext(&self, v: &f64) -> String {
        fmt_number(*v, None)
    }
}

/// plotters' log key points (at most `n`) over `range`. plotters starts them at the first
/// power of ten in its range and drops values below `f64::EPSILON`, so they are taken over
/// `range` scaled to start just below 1, and scaled back.
fn log_points(range: &Range<f64>, n: usize) -> Vec<f64> {
    let unit = 10f64.powf(range.start.log10().floor());
    let scaled: LogCoord<f64> = (1.0 - 1e-9..range.end / unit).log_scale().into();
    let points = scaled.key_points(n).into_iter().map(|v| v * unit);
    let mut points: Vec<f64> = points.filter(|v| within(range, *v)).collect();
    points.dedup_by(|a, b| (*a / *b - 1.0).abs() < 1e-9);
    points
}

/// How many points plotters needs to put a key point at every multiple of the powers of ten
/// over `range` (9 per decade) rather than at the powers alone.
fn every_multiple(range: &Range<f64>) -> usize {
    let unit = 10f64.powf(range.start.log10().floor());
    10 * (range.end / unit).log10().floor().max(1.0) as usize
}

/// The light lines of a log axis: at every multiple of the powers of ten, unless that makes
/// more than `n`.
fn light_log_points(range: &Range<f64>, n: usize) -> Vec<f64> {
    log_points(range, n.min(every_multiple(range)))
}

/// The labelled ticks of a log axis: plotters' log key points at 1, 2 and 5 × 10ᵏ, from the
/// powers of ten alone (at most `n`) when there are three or more, else from every multiple.
fn labelled_log_points(range: &Range<f64>, n: usize) -> Vec<f64> {
    let round = |v: &f64| {
        let mantissa = *v / 10f64.powf(v.log10().floor());
        [1.0, 2.0, 5.0, 10.0]
            .iter()
            .any(|m| (mantissa - m).abs() < 1e-6)
    };
    let points = |n| -> Vec<f64> { log_points(range, n).into_iter().filter(round).collect() };
    let powers = points(n);
    if powers.len() >= 3 {
        return powers;
    }
    points(every_multiple(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tick labels of a log axis fitted to `values`.
    fn log_labels(values: &[f64]) -> Vec<String> {
        Coord::fit(&Axis::log("v"), values.iter().copied()).labels()
    }

    #[test]
    fn log_ticks_are_powers_of_ten_or_one_two_five() {
        assert_eq!(log_labels(&[1e-3, 1.0]), ["0.001", "0.01", "0.1", "1"]);
        let two_decades = ["0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2"];
        assert_eq!(log_labels(&[0.002, 0.28]), two_decades);
        // Below the first power of ten in the range too.
        assert_eq!(log_labels(&[2.0, 64.0]), ["2", "5", "10", "20", "50"]);
    }

    #[test]
    fn tiny_values_and_short_ranges_get_ticks() {
        let labels = log_labels(&[1e-30, 1.0]);
        assert!(labels.len() >= 5 && labels[0].contains('⁻'), "{labels:?}");
        let short = log_labels(&[0.5, 0.8]);
        assert!(short.len() >= 3, "{short:?}");
        let own = Axis::log("m").with_ticks(vec![16.0, 32.0, 64.0, 128.0, 1e4]);
        let labels = Coord::fit(&own, [16.0, 128.0]).labels();
        assert_eq!(labels, ["16", "32", "64", "128"]);
    }
}
