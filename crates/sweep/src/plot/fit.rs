//! Least-squares straight lines through points on log-log axes: power laws y = e^c · x^slope.

/// A power law y = e^`intercept` · x^`slope`, fitted in log-log coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerLaw {
    /// The exponent: the slope of the line in log-log coordinates.
    pub slope: f64,
    /// c in ln y = c + slope · ln x.
    pub intercept: f64,
}

impl PowerLaw {
    /// y at `x`.
    pub fn at(&self, x: f64) -> f64 {
        (self.intercept + self.slope * x.ln()).exp()
    }
}

/// The least-squares line through (ln x, ln y) over the points with x, y > 0; `None` unless
/// there are at least two distinct x.
pub fn loglog_fit(points: &[(f64, f64)]) -> Option<PowerLaw> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite())
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let count = logs.len() as f64;
    let mean = |f: fn(&(f64, f64)) -> f64| logs.iter().map(f).sum::<f64>() / count;
    let (mx, my) = (mean(|p| p.0), mean(|p| p.1));
    let sxx: f64 = logs.iter().map(|(u, _)| (u - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|(u, v)| (u - mx) * (v - my)).sum();
    if logs.len() < 2 || sxx <= 1e-12 * count {
        return None;
    }
    let slope = sxy / sxx;
    Some(PowerLaw {
        slope,
        intercept: my - slope * mx,
    })
}
