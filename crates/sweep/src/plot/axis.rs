//! Axes: a linear or logarithmic scale, the plotted range and the tick marks.
//!
//! Plots are drawn in "plotted coordinates": the value itself on a linear axis, log₁₀ of it on
//! a log axis. Doing the transform here (rather than with plotters' own log coordinates) lets
//! every axis use the same chart type and puts ticks exactly at 10ᵏ (or 1, 2, 5 × 10ᵏ).

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

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
    /// The plotted coordinate of `v`, or `None` when `v` cannot be shown on this scale.
    pub fn forward(self, v: f64) -> Option<f64> {
        match self {
            Scale::Linear => v.is_finite().then_some(v),
            Scale::Log => (v > 0.0 && v.is_finite()).then(|| v.log10()),
        }
    }

    /// The value at plotted coordinate `u`.
    pub fn backward(self, u: f64) -> f64 {
        match self {
            Scale::Linear => u,
            Scale::Log => 10f64.powf(u),
        }
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
        Axis {
            label: label.into(),
            scale: Scale::Linear,
            ticks: None,
            include: Vec::new(),
        }
    }

    /// A logarithmic axis.
    pub fn log(label: impl Into<String>) -> Axis {
        Axis {
            label: label.into(),
            scale: Scale::Log,
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

/// An axis fitted to its data: the range and the ticks, in plotted coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The scale of the axis.
    pub scale: Scale,
    /// Lower end of the range.
    pub lo: f64,
    /// Upper end of the range.
    pub hi: f64,
    /// Labelled ticks (with grid lines).
    pub major: Vec<f64>,
    /// Faint grid lines without labels.
    pub minor: Vec<f64>,
}

impl Frame {
    /// Fits `axis` to `values` (raw values; those the scale cannot show are ignored) and the
    /// values it must include, with 4 % padding each side.
    pub fn fit(axis: &Axis, values: impl IntoIterator<Item = f64>) -> Frame {
        let scale = axis.scale;
        let all = values.into_iter().chain(axis.include.iter().copied());
        let (lo, hi) = padded(all.filter_map(|v| scale.forward(v)), scale);
        let (major, minor) = match (&axis.ticks, scale) {
            (Some(ticks), _) => {
                let major = ticks.iter().filter_map(|&t| scale.forward(t)).collect();
                let minor = if scale == Scale::Log {
                    log_ticks(lo, hi).1
                } else {
                    Vec::new()
                };
                (major, minor)
            }
            (None, Scale::Linear) => linear_ticks(lo, hi),
            (None, Scale::Log) => log_ticks(lo, hi),
        };
        let inside = |v: &f64| (lo - 1e-9..=hi + 1e-9).contains(v);
        Frame {
            scale,
            lo,
            hi,
            major: major.into_iter().filter(inside).collect(),
            minor: minor.into_iter().filter(inside).collect(),
        }
    }

    /// The tick label at plotted coordinate `u`: `10ᵏ` when the labelled ticks are powers of
    /// ten, as many decimals as the tick spacing needs on a linear axis.
    pub fn label(&self, u: f64) -> String {
        let integral = |t: &f64| (t - t.round()).abs() < 1e-9;
        if self.scale == Scale::Log && self.major.iter().all(integral) {
            return fmt_number(10f64.powi(u.round() as i32), None);
        }
        if let (Scale::Linear, [a, b, ..]) = (self.scale, self.major.as_slice()) {
            let decimals = (-(b - a).log10()).ceil().max(0.0) as usize;
            if u.abs() < 1e5 && decimals <= 4 {
                return format!("{u:.decimals$}").replace('-', "−");
            }
        }
        let v = self.scale.backward(u);
        // Snap values like 0.30000000000000004 or 10^2.9999999 before formatting.
        let snapped = if v != 0.0 {
            let digits = 10f64.powi(5 - v.abs().log10().floor() as i32);
            (v * digits).round() / digits
        } else {
            v
        };
        fmt_number(snapped, None)
    }
}

/// The range of plotted coordinates `us`, padded by 4 % each side; a sensible default range
/// when there is no data or a single value.
fn padded(us: impl Iterator<Item = f64>, scale: Scale) -> (f64, f64) {
    let (lo, hi) = us.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), u| {
        (lo.min(u), hi.max(u))
    });
    if lo > hi {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let half = match scale {
            Scale::Log => 0.5,
            Scale::Linear if lo == 0.0 => 1.0,
            Scale::Linear => 0.1 * lo.abs(),
        };
        return (lo - half, hi + half);
    }
    let pad = 0.04 * (hi - lo);
    (lo - pad, hi + pad)
}

/// Ticks at multiples of a 1-2-5 step giving about 5 labels, faint lines at fifths of a step.
fn linear_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let raw = (hi - lo) / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let multiples = |s: f64| -> Vec<f64> {
        ((lo / s).ceil() as i64..=(hi / s).floor() as i64)
            .map(|k| k as f64 * s)
            .collect()
    };
    (multiples(step), multiples(step / 5.0))
}

/// Log-axis ticks: labelled at powers of ten when the range spans three or more of them
/// (every second or third one over many decades), else at 1, 2 and 5 × 10ᵏ; faint lines at
/// the other integer multiples of each power; linear ticks when that gives fewer than three.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let decades: Vec<i32> = (lo.floor() as i32..=hi.ceil() as i32).collect();
    let at = |mantissas: &[f64]| -> Vec<f64> {
        decades
            .iter()
            .flat_map(|&k| mantissas.iter().map(move |m| m.log10() + f64::from(k)))
            .filter(|u| (lo..=hi).contains(u))
            .collect()
    };
    let powers = at(&[1.0]);
    let others = at(&[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    if powers.len() >= 3 {
        let stride = powers.len().div_ceil(7);
        let major: Vec<f64> = powers
            .iter()
            .copied()
            .filter(|u| (u.round() as i64).rem_euclid(stride as i64) == 0)
            .collect();
        let minor = if stride == 1 { others } else { powers };
        return (major, minor);
    }
    let tiers: [(&[f64], &[f64]); 2] = [
        (&[1.0, 2.0, 5.0], &[3.0, 4.0, 6.0, 7.0, 8.0, 9.0]),
        (&[1.0, 2.0, 3.0, 5.0], &[4.0, 6.0, 7.0, 8.0, 9.0]),
    ];
    for (mantissas, rest) in tiers {
        let major = at(mantissas);
        if major.len() >= 3 {
            return (major, at(rest));
        }
    }
    // Less than a factor of ~2.5: linear ticks between the end values.
    let (major, minor) = linear_ticks(10f64.powf(lo), 10f64.powf(hi));
    let log10 = |v: Vec<f64>| v.into_iter().filter(|x| *x > 0.0).map(f64::log10).collect();
    (log10(major), log10(minor))
}

/// A fitted axis is a plotters coordinate: linear in plotted coordinates, with its own ticks.
impl Ranged for Frame {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, u: &f64, limit: (i32, i32)) -> i32 {
        let t = (u - self.lo) / (self.hi - self.lo);
        limit.0 + (f64::from(limit.1 - limit.0) * t + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        match hint.weight().allow_light_points() {
            true => self.minor.clone(),
            false => self.major.clone(),
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Tick labels come from [`Frame::label`].
impl ValueFormatter<f64> for Frame {
    fn format_ext(&self, u: &f64) -> String {
        self.label(*u)
    }
}
