//! Linear convergence rates: the one predicted by the initial kernel and the one seen.
//!
//! Linearised GD on L = (1/2n)‖f − y‖² moves the residual by (I − K_η/n) per step, so along
//! the slowest eigendirection the loss shrinks by ρ = (1 − λ_min(K_η)/n)² per step (with one
//! rate η, K_η = η K: the familiar (1 − η λ_min/n)^{2t}).

/// The per-step loss factor ρ = (1 − λ_min(K_η)/n)² predicted by the initial kernel.
pub fn predicted_loss_rate(lr_weighted_lambda_min: f64, num_samples: usize) -> f64 {
    (1.0 - lr_weighted_lambda_min / num_samples as f64).powi(2)
}

/// The per-step loss factor exp(slope) of a least-squares line through (t, log L_t) over the
/// second half of the recorded steps (the first half holds the transient); `None` with fewer
/// than 3 usable points (a zero loss has no logarithm and is skipped).
pub fn fitted_loss_rate(steps_and_losses: &[(usize, f64)]) -> Option<f64> {
    let last_step = steps_and_losses.last()?.0;
    let points: Vec<(f64, f64)> = steps_and_losses
        .iter()
        .filter(|(step, loss)| 2 * step >= last_step && *loss > 0.0 && loss.is_finite())
        .map(|&(step, loss)| (step as f64, loss.ln()))
        .collect();
    if points.len() < 3 {
        return None;
    }
    let count = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / count;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / count;
    let covariance: f64 = points
        .iter()
        .map(|(t, y)| (t - mean_t) * (y - mean_y))
        .sum();
    let variance: f64 = points.iter().map(|(t, _)| (t - mean_t).powi(2)).sum();
    Some((covariance / variance).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// L_t = 3 · 0.9^t exactly: the fit returns 0.9 to rounding.
    #[test]
    fn fit_recovers_an_exact_geometric_decay() {
        let curve: Vec<(usize, f64)> = (0..=100)
            .step_by(10)
            .map(|t| (t, 3.0 * 0.9f64.powi(t as i32)))
            .collect();
        assert!((fitted_loss_rate(&curve).unwrap() - 0.9).abs() < 1e-12);
    }

    /// (1 − λ/n)² with λ = n/2: 1/4.
    #[test]
    fn predicted_rate_is_the_squared_contraction() {
        assert_eq!(predicted_loss_rate(50.0, 100), 0.25);
    }

    #[test]
    fn too_few_points_give_no_fit() {
        assert_eq!(fitted_loss_rate(&[(0, 1.0), (10, 0.5)]), None);
    }
}
