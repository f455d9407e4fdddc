//! σ and σ′ on host numbers: the one place their formulas are written for the host.

use crate::Real;

/// Above this z, softplus is computed as z (as Burn and PyTorch do).
pub const SOFTPLUS_THRESHOLD: f64 = 20.0;

/// The hidden activation σ.
///
/// | variant | σ(z) | σ′(z) | σ″(z) |
/// |---|---|---|---|
/// | `Relu` | max(z, 0) (NaN stays NaN) | 1{z > 0} (0 at the kink) | – |
/// | `Quadratic` | z² | 2z | 2 |
/// | `Softplus` | ln(1 + eᶻ), or z for z > 20 | 1/(1 + e⁻ᶻ), or 1 for z > 20 | σ′(1 − σ′), or 0 |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nonlinearity {
    /// max(z, 0).
    Relu,
    /// z².
    Quadratic,
    /// ln(1 + eᶻ).
    Softplus,
}

impl Nonlinearity {
    /// σ(z).
    #[inline(always)]
    pub fn value<T: Real>(self, z: T) -> T {
        match self {
            // `z < 0` (not `z > 0`) so that NaN passes through as NaN, as in Burn's relu:
            // mapping NaN to 0 here hid a diverged network from its loss.
            Nonlinearity::Relu => {
                if z < T::zero() {
                    T::zero()
                } else {
                    z
                }
            }
            Nonlinearity::Quadratic => z * z,
            Nonlinearity::Softplus if z > T::of(SOFTPLUS_THRESHOLD) => z,
            Nonlinearity::Softplus => z.exponential().log_one_plus(),
        }
    }

    /// σ′(z).
    #[inline(always)]
    pub fn slope<T: Real>(self, z: T) -> T {
        match self {
            Nonlinearity::Relu => {
                if z > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Nonlinearity::Quadratic => z + z,
            Nonlinearity::Softplus if z > T::of(SOFTPLUS_THRESHOLD) => T::one(),
            Nonlinearity::Softplus => T::one() / (T::one() + (-z).exponential()),
        }
    }
}

impl Nonlinearity {
    /// σ″(z) in f64, where σ is twice differentiable: 2 for `Quadratic`, p(1 − p) with
    /// p = 1/(1 + e⁻ᶻ) for `Softplus` (0 above the threshold, where σ is z); `None` for `Relu`.
    pub fn second_slope(self, z: f64) -> Option<f64> {
        match self {
            Nonlinearity::Relu => None,
            Nonlinearity::Quadratic => Some(2.0),
            Nonlinearity::Softplus if z > SOFTPLUS_THRESHOLD => Some(0.0),
            Nonlinearity::Softplus => {
                let p = 1.0 / (1.0 + (-z).exp());
                Some(p * (1.0 - p))
            }
        }
    }
}

/// Runs `$body` (in float type `$t`) with `$value` and `$slope` bound to closures computing σ and σ′ of the
/// given [`Nonlinearity`], one copy of `$body` per variant: inside a hot loop the compiler
/// then sees straight-line code it can vectorize, not a `match` per entry.
#[macro_export]
macro_rules! with_nonlinearity {
    ($sigma:expr, $t:ty, |$value:ident, $slope:ident| $body:expr) => {
        match $sigma {
            $crate::Nonlinearity::Relu => {
                let $value = |z: $t| $crate::Nonlinearity::Relu.value(z);
                let $slope = |z: $t| $crate::Nonlinearity::Relu.slope(z);
                $body
            }
            $crate::Nonlinearity::Quadratic => {
                let $value = |z: $t| $crate::Nonlinearity::Quadratic.value(z);
                let $slope = |z: $t| $crate::Nonlinearity::Quadratic.slope(z);
                $body
            }
            $crate::Nonlinearity::Softplus => {
                let $value = |z: $t| $crate::Nonlinearity::Softplus.value(z);
                let $slope = |z: $t| $crate::Nonlinearity::Softplus.slope(z);
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::Nonlinearity;

    #[test]
    fn relu_keeps_nan_as_nan() {
        assert!(Nonlinearity::Relu.value(f64::NAN).is_nan());
        assert!(Nonlinearity::Relu.value(f32::NAN).is_nan());
        assert_eq!(Nonlinearity::Relu.value(-2.0_f64), 0.0);
        assert_eq!(Nonlinearity::Relu.value(2.0_f64), 2.0);
    }
}
