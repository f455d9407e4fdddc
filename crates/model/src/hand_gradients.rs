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

use burn::module::Module;

use crate::layer::affine;
use crate::{Mlp, NamedArray, TwoLayer};

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

    let z = affine(inputs.clone(), w1, b1, 1.0); // [n, m]
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

/// Backpropagates `output_gradient` g = ∂L/∂f `[n]` through an [`Mlp`] at `inputs` `[n, d]`,
/// layer by layer, without autodiff. With h_0 = x, z_l = c_l h_{l−1} W_lᵀ + b_l, h_l = σ(z_l),
/// f = s h_L·a:
///
/// - ∂L/∂a = s h_Lᵀ g;  δ_L = s (g aᵀ) ∘ σ′(z_L);
/// - for l = L … 1: ∂L/∂W_l = c_l δ_lᵀ h_{l−1}, ∂L/∂b_l = δ_lᵀ 1,
///   δ_{l−1} = (c_l δ_l W_l) ∘ σ′(z_{l−1}).
///
/// Returns every tensor's gradient as a host array named like the parameter (`w1`, `b1`, …, `a`).
pub fn mlp_hand_gradients(
    model: &Mlp,
    inputs: Tensor<2>,
    output_gradient: Tensor<1>,
) -> Vec<NamedArray> {
    let model = model.valid();
    let inputs = inputs.inner();
    let g_column: Tensor<2> = output_gradient.inner().unsqueeze_dim(1); // [n, 1]
    let pre_activations = model.pre_activations(inputs.clone());
    let mut layer_inputs = vec![inputs];
    for z in &pre_activations {
        layer_inputs.push(model.activation.apply(z.clone()));
    }
    let s = model.output_scale;
    let last = layer_inputs.pop().expect("h_L exists"); // h_L [n, m_L]
    let grad_a = last
        .transpose()
        .matmul(g_column.clone())
        .squeeze_dim::<1>(1)
        .mul_scalar(s);
    let depth = model.depth();
    let slope = |l: usize| model.activation.derivative(pre_activations[l].clone());
    let mut delta = g_column
        .matmul(model.a.val().unsqueeze_dim(0))
        .mul(slope(depth - 1))
        .mul_scalar(s);
    let mut gradients = vec![NamedArray::from_tensor("a", grad_a)];
    for l in (0..depth).rev() {
        let c = model.layers[l].input_scale;
        let grad_w = delta
            .clone()
            .transpose()
            .matmul(layer_inputs[l].clone())
            .mul_scalar(c);
        let grad_b = delta.clone().sum_dim(0).squeeze_dim::<1>(0);
        gradients.push(NamedArray::from_tensor(&format!("w{}", l + 1), grad_w));
        gradients.push(NamedArray::from_tensor(&format!("b{}", l + 1), grad_b));
        if l > 0 {
            delta = delta
                .matmul(model.w[l].val())
                .mul_scalar(c)
                .mul(slope(l - 1));
        }
    }
    gradients.reverse();
    gradients
}

/// The hand-derived gradients of a two-layer network as host arrays `w1`, `b1`, `a`.
pub fn two_layer_hand_gradient_arrays(
    model: &TwoLayer,
    inputs: Tensor<2>,
    output_gradient: Tensor<1>,
) -> Vec<NamedArray> {
    let gradients = two_layer_hand_gradients(model, inputs, output_gradient);
    vec![
        NamedArray::from_tensor("w1", gradients.w1),
        NamedArray::from_tensor("b1", gradients.b1),
        NamedArray::from_tensor("a", gradients.a),
    ]
}
