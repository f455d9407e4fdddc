//! The two-layer NTK in closed form (the fast path): matrix products on the backend.
//!
//! For f(x) = s Σ_r a_r σ(w_r·x + b_r), with Z = XWᵀ + 1bᵀ, D = σ′(Z), R = σ(Z) (all `[n, m]`):
//! ∂f(x_i)/∂w_r = s a_r σ′(z_ir) x_i, ∂f(x_i)/∂b_r = s a_r σ′(z_ir), ∂f(x_i)/∂a_r = s σ(z_ir), so
//!
//! K = s² [ ((D∘a)(D∘a)ᵀ) ∘ (XXᵀ + 1_b) + R Rᵀ ],
//!
//! with each term present only if its tensor is trained (1_b, the all-ones matrix, for b).
//! Cost: three `[n, m] × [m, n]`-sized products and one `[n, d] × [d, n]`, O(n² (m + d)).

use burn::tensor::Tensor;
use overparam_model::{affine, TwoLayer};

use super::NtkParts;

/// The closed-form NTK of `model` at `inputs` `[n, d]`, by group, each part `[n, n]`.
/// Runs without autodiff.
pub fn closed_form_ntk(model: &TwoLayer, inputs: Tensor<2>) -> NtkParts {
    let inputs = inputs.inner();
    let s_squared = model.output_scale * model.output_scale;
    // Parameters read without their autodiff association: no graph is recorded, also when the
    // model lives on an autodiff device (as during training).
    let z = affine(
        inputs.clone(),
        model.w1.val().inner(),
        model.b1.val().inner(),
        1.0,
    ); // [n, m]
    let mut parts = NtkParts::empty();
    if model.trainable.w || model.trainable.b {
        let a = model.a.val().inner().unsqueeze_dim::<2>(0); // [1, m]
        let weighted_slope = model.activation.derivative(z.clone()).mul(a); // D∘a [n, m]
        let slope_gram = weighted_slope
            .clone()
            .matmul(weighted_slope.transpose())
            .mul_scalar(s_squared);
        if model.trainable.w {
            let input_gram = inputs.clone().matmul(inputs.transpose());
            parts.add("w1", slope_gram.clone().mul(input_gram));
        }
        if model.trainable.b {
            parts.add("b1", slope_gram);
        }
    }
    if model.trainable.a {
        let hidden = model.activation.apply(z); // R [n, m]
        parts.add(
            "a",
            hidden
                .clone()
                .matmul(hidden.transpose())
                .mul_scalar(s_squared),
        );
    }
    parts
}
