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

/// A least-squares straight line y = intercept + slope · x and how well it fits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    /// dy/dx.
    pub slope: f64,
    /// y at x = 0.
    pub intercept: f64,
    /// The coefficient of determination R² = 1 − SS_res/SS_tot (1 when y is constant).
    pub r_squared: f64,
}

/// The ordinary least-squares line through finite `points`; `None` unless there are at
/// least two distinct x.
pub fn least_squares_line(points: &[(f64, f64)]) -> Option<Line> {
    let points: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let count = points.len() as f64;
    let mean = |f: fn(&(f64, f64)) -> f64| points.iter().map(f).sum::<f64>() / count;
    let (mx, my) = (mean(|p| p.0), mean(|p| p.1));
    let sxx: f64 = points.iter().map(|(u, _)| (u - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|(u, v)| (u - mx) * (v - my)).sum();
    let syy: f64 = points.iter().map(|(_, v)| (v - my).powi(2)).sum();
    if points.len() < 2 || sxx <= 1e-12 * count * (1.0 + mx * mx) {
        return None;
    }
    let slope = sxy / sxx;
    let residual = syy - slope * sxy;
    Some(Line {
        slope,
        intercept: my - slope * mx,
        r_squared: if syy > 0.0 { 1.0 - residual / syy } else { 1.0 },
    })
}

/// The least-squares line through (ln x, ln y) over the points with x, y > 0; `None` unless
/// there are at least two distinct x.
pub fn loglog_fit(points: &[(f64, f64)]) -> Option<PowerLaw> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    least_squares_line(&logs).map(|line| PowerLaw {
        slope: line.slope,
        intercept: line.intercept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_squares_line_recovers_an_exact_line_and_measures_scatter() {
        let exact: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 2.0 - 0.5 * i as f64)).collect();
        let line = least_squares_line(&exact).unwrap();
        assert!((line.slope + 0.5).abs() < 1e-12 && (line.intercept - 2.0).abs() < 1e-12);
        assert!((line.r_squared - 1.0).abs() < 1e-12);
        // Worked by hand: (0,1), (1,0), (2,3), (3,2): slope 0.6, intercept 0.6, R² = 0.36.
        let scattered = [(0.0, 1.0), (1.0, 0.0), (2.0, 3.0), (3.0, 2.0)];
        let line = least_squares_line(&scattered).unwrap();
        assert!((line.slope - 0.6).abs() < 1e-12 && (line.intercept - 0.6).abs() < 1e-12);
        assert!((line.r_squared - 0.36).abs() < 1e-12, "{line:?}");
        assert!(least_squares_line(&[(1.0, 1.0), (1.0, 2.0)]).is_none());
    }
}
