//! The two floating-point types the kernels run in.

use faer::traits::RealField;

/// f32 or f64: what faer's products need plus conversions and the few functions σ uses.
pub trait Real:
    RealField + Copy + Send + Sync + Default + std::fmt::Debug + std::iter::Sum + 'static
{
    /// The value nearest `value`.
    fn of(value: f64) -> Self;
    /// The value as f64 (exact).
    fn as_f64(self) -> f64;
    /// eˣ.
    fn exponential(self) -> Self;
    /// ln(1 + x).
    fn log_one_plus(self) -> Self;
}

impl Real for f32 {
    fn of(value: f64) -> Self {
        value as f32
    }
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
    fn exponential(self) -> Self {
        self.exp()
    }
    fn log_one_plus(self) -> Self {
        self.ln_1p()
    }
}

impl Real for f64 {
    fn of(value: f64) -> Self {
        value
    }
    fn as_f64(self) -> f64 {
        self
    }
    fn exponential(self) -> Self {
        self.exp()
    }
    fn log_one_plus(self) -> Self {
        self.ln_1p()
    }
}
