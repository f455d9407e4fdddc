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

/// ∂L/∂f_i = (f_i − y_i)/n, the output gradient fed to hand-derived backpropagation.
///
/// # Shapes
/// `predictions` `[n]`, `targets` `[n]` → `[n]`.
pub fn loss_output_gradient(predictions: Tensor<1>, targets: Tensor<1>) -> Tensor<1> {
    let num_samples = predictions.dims()[0] as f64;
    (predictions - targets).mul_scalar(1.0 / num_samples)
}
