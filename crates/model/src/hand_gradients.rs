//! ∂L/∂W, ∂L/∂b, ∂L/∂a of the two-layer network written out from the chain rule, with no
//! autodiff, to check Burn's autodiff against.
//!
//! With z_ir = w_r·x_i + b_r, f_i = s Σ_r a_r σ(z_ir) and g_i = ∂L/∂f_i (for the training loss
//! L = (1/2n) Σ_i (f_i − y_i)², g_i = (f_i − y_i)/n):
//!
//! - ∂L/∂a_r = s Σ_i g_i σ(z_ir), i.e. ∂L/∂a = s · σ(Z)ᵀ g;
//! - δ_ir := ∂L/∂z_ir = s · g_i a_r σ′(z_ir);
//! - ∂L/∂w_r = Σ_i δ_ir x_i, i.e. ∂L/∂W = δᵀ X;
//! - ∂L/∂b_r = Σ_i δ_ir.

use burn::tensor::Tensor;

use crate::TwoLayer;

/// The loss gradient with respect to each parameter tensor, same shapes as the parameters.
#[derive(Clone, Debug)]
pub struct TwoLayerGradients {
    /// ∂L/∂W, shape `[m, d]`.
    pub w1: Tensor<2>,
    /// ∂L/∂b, shape `[m]`.
    pub b1: Tensor<1>,
    /// ∂L/∂a, shape `[m]`.
    pub a: Tensor<1>,
}

/// Backpropagates `output_gradient` g = ∂L/∂f `[n]` through `model` at `inputs` `[n, d]` by
/// the formulas in the module doc. Runs without autodiff, whatever the tensors' device.
pub fn two_layer_hand_gradients(
    model: &TwoLayer,
    inputs: Tensor<2>,
    output_gradient: Tensor<1>,
) -> TwoLayerGradients {
    let inputs = inputs.inner();
    let g = output_gradient.inner();
    let w1 = model.w1.val().inner();
    let b1 = model.b1.val().inner();
    let a = model.a.val().inner();
    let s = model.output_scale;

    let z = inputs.clone().matmul(w1.transpose()) + b1.unsqueeze_dim(0); // [n, m]
    let hidden = model.activation.apply(z.clone()); // σ(Z) [n, m]
    let slope = model.activation.derivative(z); // σ′(Z) [n, m]
    let g_column: Tensor<2> = g.unsqueeze_dim(1); // [n, 1]

    // ∂L/∂a = s σ(Z)ᵀ g
    let grad_a = hidden
        .transpose()
        .matmul(g_column.clone())
        .squeeze_dim::<1>(1)
        .mul_scalar(s);
    // δ = s (g aᵀ) ∘ σ′(Z)
    let delta = g_column.matmul(a.unsqueeze_dim(0)).mul(slope).mul_scalar(s); // [n, m]
                                                                              // ∂L/∂W = δᵀ X, ∂L/∂b = δᵀ 1
    let grad_w = delta.clone().transpose().matmul(inputs); // [m, d]
    let grad_b = delta.sum_dim(0).squeeze_dim::<1>(0); // [m]

    TwoLayerGradients {
        w1: grad_w,
        b1: grad_b,
        a: grad_a,
    }
}
