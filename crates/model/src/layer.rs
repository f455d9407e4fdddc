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

/// The file and learning-rate name of a parameter from its Burn path: fields `w1`, `b1`, `a`
/// keep their names; the l-th entry (from 0) of the vectors `w`, `b` of a deep network,
/// paths `w.{l}`, `b.{l}`, becomes `w{l+1}`, `b{l+1}`.
pub fn parameter_name(path: &str) -> String {
    match path.split_once('.') {
        Some((field, index)) => match index.parse::<usize>() {
            Ok(index) => format!("{field}{}", index + 1),
            Err(_) => path.to_string(),
        },
        None => path.to_string(),
    }
}

/// The hidden layer (1-based) a parameter name belongs to: `w3` → 3, `b1` → 1; `None` for `a`.
pub fn layer_of(name: &str) -> Option<usize> {
    name.get(1..).and_then(|digits| digits.parse().ok())
}
