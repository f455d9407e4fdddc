//! The squared loss of the network outputs, shared by the single and the stacked step.

use crate::Real;

/// L = (1/2n) Σ_i (f_i − y_i)² of `outputs` f `[n]` against `targets` y `[n]`, summed in f64
/// in sample order, replacing each f_i by g_i = (f_i − y_i)/n. The sum runs in f64, but a
/// squared error beyond T's range is a loss the network's own dtype cannot hold (autodiff's
/// f32 loss is inf there): it is reported as ∞.
pub(crate) fn scaled_errors<T: Real>(outputs: &mut [T], targets: &[T]) -> f64 {
    let n = outputs.len();
    let scale = T::of(1.0 / n as f64);
    let (mut loss, mut overflows) = (0.0, false);
    for (f, y) in outputs.iter_mut().zip(targets) {
        let error = *f - *y;
        loss += error.as_f64() * error.as_f64();
        overflows |= !(error * error).as_f64().is_finite();
        *f = error * scale;
    }
    loss *= 0.5 / n as f64;
    if overflows && loss.is_finite() {
        loss = f64::INFINITY;
    }
    loss
}
