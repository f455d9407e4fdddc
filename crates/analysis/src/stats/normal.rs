//! The standard normal distribution's CDF Φ, for the active-fraction prediction 1 − Φ(B).

/// Φ(x) = P(Z ≤ x) for a standard normal Z, as ½·erfc(−x/√2) with libm's erfc (accurate to
/// the last bits of an f64, also far in the tails).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}
