//! The training loss L = (1/2n) Σ_i (f(x_i) − y_i)², the one normalisation every learning-rate
//! statement in this project assumes.

use burn::tensor::Tensor;

/// L = (1/2n) Σ_i (f_i − y_i)² as a one-element tensor (differentiable on an autodiff device).
///
/// # Shapes
/// `predictions` `[n]`, `targets` `[n]` → `[1]`.
pub fn mean_squared_loss(predictions: Tensor<1>, targets: Tensor<1>) -> Tensor<1> {
    let num_samples = predictions.dims()[0] as f64;
    (predictions - targets)
        .square()
        .sum()
        .mul_scalar(0.5 / num_samples)
}

/// L = (1/2n) Σ_i (f_i − y_i)² of host values, in f64 (held-out losses, kernel predictions).
///
/// # Shapes
/// `outputs` `[n]`, `targets` `[n]`.
pub fn mean_squared_loss_of(outputs: &[f64], targets: &[f64]) -> f64 {
    let sum: f64 = outputs
        .iter()
        .zip(targets)
        .map(|(f, y)| (f - y).powi(2))
        .sum();
    0.5 * sum / targets.len() as f64
}

/// ∂L/∂f_i = (f_i − y_i)/n, the output gradient fed to hand-derived backpropagation.
///
/// # Shapes
/// `predictions` `[n]`, `targets` `[n]` → `[n]`.
pub fn loss_output_gradient(predictions: Tensor<1>, targets: Tensor<1>) -> Tensor<1> {
    let num_samples = predictions.dims()[0] as f64;
    (predictions - targets).mul_scalar(1.0 / num_samples)
}
