//! Euclidean distances that neither overflow nor underflow: ‖x − y‖₂ over entry pairs, as the
//! plain sum of squares where that is a normal number, and otherwise with every entry first
//! divided by the largest |x_i|, |y_i| (so finite parameters near f64::MAX give a finite
//! movement, not inf). NaN anywhere gives NaN.

/// ‖x − y‖₂ over the pairs `pairs()` yields (called once, or three times on the slow path).
pub fn euclidean_distance<I>(pairs: impl Fn() -> I) -> f64
where
    I: Iterator<Item = (f64, f64)>,
{
    let plain: f64 = pairs().map(|(x, y)| (x - y) * (x - y)).sum();
    if plain.is_nan() || (plain.is_finite() && plain >= f64::MIN_POSITIVE) {
        return plain.sqrt();
    }
    let scale = pairs().fold(0.0_f64, |m, (x, y)| m.max(x.abs()).max(y.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    if !scale.is_finite() {
        return f64::INFINITY;
    }
    let scaled: f64 = pairs().map(|(x, y)| (x / scale - y / scale).powi(2)).sum();
    scale * scaled.sqrt()
}

/// ‖x − y‖₂ / ‖y‖₂ (relative), or ‖x − y‖₂ where ‖y‖₂ = 0 (absolute): the convention of
/// `move_*` (biases initialised at 0) and of the kernel drift (a kernel that is 0 at step 0).
pub fn relative_or_absolute_distance<I>(pairs: impl Fn() -> I) -> f64
where
    I: Iterator<Item = (f64, f64)>,
{
    let moved = euclidean_distance(&pairs);
    let reference = euclidean_distance(|| pairs().map(|(_, y)| (y, 0.0)));
    if reference > 0.0 {
        moved / reference
    } else {
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(x: &[f64], y: &[f64]) -> f64 {
        euclidean_distance(|| x.iter().copied().zip(y.iter().copied()))
    }

    #[test]
    fn plain_distances_are_the_sum_of_squares() {
        assert_eq!(distance(&[3.0, 0.0], &[0.0, 4.0]), 5.0);
        assert_eq!(distance(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
    }

    #[test]
    fn distances_near_f64_max_do_not_overflow() {
        let big = 1e300;
        let d = distance(&[3.0 * big, 0.0], &[0.0, 4.0 * big]);
        assert!((d / (5.0 * big) - 1.0).abs() < 1e-15, "{d}");
        // x − y itself overflows, the distance does not (‖·‖ = 1.6e308 < f64::MAX).
        let d = distance(&[0.8e308], &[-0.8e308]);
        assert!((d / 1.6e308 - 1.0).abs() < 1e-15, "{d}");
    }

    #[test]
    fn tiny_distances_do_not_underflow() {
        let d = distance(&[3e-200, 0.0], &[0.0, 4e-200]);
        assert!((d / 5e-200 - 1.0).abs() < 1e-15, "{d}");
    }

    #[test]
    fn nan_stays_nan_and_infinite_entries_give_inf() {
        assert!(distance(&[f64::NAN, 1e300], &[0.0, -1e300]).is_nan());
        assert_eq!(distance(&[f64::INFINITY], &[0.0]), f64::INFINITY);
    }

    #[test]
    fn relative_distance_is_absolute_against_zero() {
        let pairs = |x: &'static [f64], y: &'static [f64]| {
            relative_or_absolute_distance(|| x.iter().copied().zip(y.iter().copied()))
        };
        assert_eq!(pairs(&[2.0], &[0.0]), 2.0);
        assert_eq!(pairs(&[3.0], &[2.0]), 0.5);
    }
}
