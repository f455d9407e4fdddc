//! The two building blocks every network here is made of, written once: an affine map of
//! scaled inputs and the scalar readout.

use burn::tensor::Tensor;

/// Pre-activations z = c · H Wᵀ + 1 bᵀ of one hidden layer.
///
/// # Shapes
/// `input` H `[n, fan_in]`, `weight` W `[fan_out, fan_in]`, `bias` b `[fan_out]` → `[n, fan_out]`.
/// `input_scale` is c (1 for the first layer; 1/√m_{l−1} later under `ntk`).
pub fn affine(input: Tensor<2>, weight: Tensor<2>, bias: Tensor<1>, input_scale: f64) -> Tensor<2> {
    let product = input.matmul(weight.transpose());
    let product = if input_scale == 1.0 {
        product
    } else {
        product.mul_scalar(input_scale)
    };
    product + bias.unsqueeze_dim(0)
}

/// The readout f = s · H a as a column.
///
/// # Shapes
/// `hidden` H `[n, m]`, `output_weights` a `[m]` → `[n, 1]`.
pub fn readout(hidden: Tensor<2>, output_weights: Tensor<1>, output_scale: f64) -> Tensor<2> {
    hidden
        .matmul(output_weights.unsqueeze_dim(1))
        .mul_scalar(output_scale)
}
