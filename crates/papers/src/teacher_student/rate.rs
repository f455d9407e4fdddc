//! The final-phase linear rate of a loss curve: the per-step factor ρ of L_{t+1} ≈ ρ · L_t,
//! fitted by least squares to (step, ln L) over the last decades of loss before the run ended.

use overparam_analysis::stats::least_squares_line;

/// (step, loss) points.
type Points = Vec<(f64, f64)>;

/// Fewest logged points a fit is made from.
const MIN_POINTS: usize = 3;

/// A run's final-phase rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FinalRate {
    /// ρ = e^slope of ln L against the step: the loss shrinks by this factor per step.
    pub per_step: f64,
    /// How many logged points the fit used.
    pub points: usize,
    /// (1 − ρ) over the upper half of the window (in decades of loss) divided by (1 − ρ)
    /// over its lower half: 1 for a truly linear rate, > 1 when convergence slows down as the
    /// loss falls (sublinear); `None` when a half has too few points or a non-decreasing loss.
    pub slowdown: Option<f64>,
}

impl FinalRate {
    /// 1 − ρ: the fraction of the loss removed per step.
    pub fn decrease(&self) -> f64 {
        1.0 - self.per_step
    }
}

/// The rate fitted over the last `decades` decades of loss: the longest tail of `curve`
/// ((step, loss) in step order) whose losses all lie in (0, 10^decades · L_end], L_end the last
/// loss. `None` when that tail has fewer than 3 points or the fit fails.
pub fn final_phase_rate(curve: &[(f64, f64)], decades: f64) -> Option<FinalRate> {
    let &(_, end) = curve.last()?;
    if !(end > 0.0 && end.is_finite()) {
        return None;
    }
    let ceiling = end * 10f64.powf(decades);
    let start = curve
        .iter()
        .rposition(|&(_, loss)| !(loss > 0.0 && loss <= ceiling))
        .map_or(0, |i| i + 1);
    let window = &curve[start..];
    let per_step = per_step_factor(window)?;
    let middle = end * 10f64.powf(decades / 2.0);
    let (upper, lower): (Points, Points) = window.iter().partition(|&&(_, loss)| loss > middle);
    let decrease = |half: &[(f64, f64)]| per_step_factor(half).map(|rho| 1.0 - rho);
    let slowdown = match (decrease(&upper), decrease(&lower)) {
        (Some(up), Some(low)) if up > 0.0 && low > 0.0 => Some(up / low),
        _ => None,
    };
    Some(FinalRate {
        per_step,
        points: window.len(),
        slowdown,
    })
}

/// e^slope of the least-squares line through (step, ln loss); `None` with fewer than
/// [`MIN_POINTS`] points.
fn per_step_factor(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < MIN_POINTS {
        return None;
    }
    let logs: Vec<(f64, f64)> = points
        .iter()
        .map(|&(step, loss)| (step, loss.ln()))
        .collect();
    let line = least_squares_line(&logs)?;
    let rho = line.slope.exp();
    rho.is_finite().then_some(rho)
}
