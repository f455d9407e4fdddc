//! The empirical NTK of any network from per-sample gradients taken by Burn autodiff.
//!
//! Burn has no Jacobian or vmap, and one backward pass per output row would cost n passes.
//! Instead [`Mlp::forward_tapped`] adds a tracked zero leaf to the output z of every
//! linear map z = c · H_in Wᵀ + b; since f(x_i) depends on row i of z only, one backward pass
//! of Σ_i f(x_i) leaves δ_i = ∂f(x_i)/∂z_i in row i of the leaf's gradient. The per-sample
//! gradients are then outer products, ∂f(x_i)/∂W = δ_i ⊗ c h_i and ∂f(x_i)/∂b = δ_i, so
//!
//! K = Σ_maps (δ δᵀ) ∘ (c² H_in H_inᵀ [if W is trained] + 1 [if b is trained]),
//!
//! never forming J `[n, P]`. Rows are processed in blocks of `block_size` samples (one forward
//! and one backward per block), so peak memory is O(block · Σ_l m_l) for the graph plus
//! O(n · Σ_l (m_l + fan_in_l) + n²) for δ, c·H_in and K, against O(n · P) for J itself.

use burn::tensor::Tensor;
use overparam_model::{LayerTap, Mlp, ParameterId};

use super::NtkParts;

/// δ `[n, fan_out]` and c·H_in `[n, fan_in]` of one map, gathered over row blocks.
struct MapFactors {
    deltas: Vec<Tensor<2>>,
    scaled_inputs: Vec<Tensor<2>>,
    weight: Option<ParameterId>,
    bias: Option<ParameterId>,
}

/// The empirical NTK of `model` (on an autodiff device) at `inputs` `[n, d]`, by group, each
/// part `[n, n]`, with one forward and one backward pass per block of `block_size` rows.
///
/// # Panics
/// Panics if `block_size` is 0 or the model's device has no autodiff.
pub fn jacobian_ntk(model: &Mlp, inputs: Tensor<2>, block_size: usize) -> NtkParts {
    assert!(block_size > 0, "block_size must be at least 1");
    let [n, _] = inputs.dims();
    let mut maps: Vec<MapFactors> = Vec::new();
    for start in (0..n).step_by(block_size) {
        let block = inputs.clone().narrow(0, start, block_size.min(n - start));
        let (outputs, taps) = model.forward_tapped(block);
        let grads = outputs.sum().backward();
        for (
            index,
            LayerTap {
                scaled_input,
                leaf,
                weight,
                bias,
            },
        ) in taps.into_iter().enumerate()
        {
            let delta = leaf
                .grad(&grads)
                .expect("the leaf is tracked and reaches the output");
            if maps.len() <= index {
                maps.push(MapFactors {
                    deltas: Vec::new(),
                    scaled_inputs: Vec::new(),
                    weight,
                    bias,
                });
            }
            maps[index].deltas.push(delta);
            maps[index].scaled_inputs.push(scaled_input);
        }
    }
    let mut parts = NtkParts::empty();
    for map in maps {
        let delta = Tensor::cat(map.deltas, 0); // [n, fan_out]
        let delta_gram = delta.clone().matmul(delta.transpose()); // δδᵀ [n, n]
        if let Some(id) = map.weight {
            let scaled_input = Tensor::cat(map.scaled_inputs, 0); // [n, fan_in]
            let input_gram = scaled_input.clone().matmul(scaled_input.transpose());
            parts.add(id, delta_gram.clone().mul(input_gram));
        }
        if let Some(id) = map.bias {
            parts.add(id, delta_gram);
        }
    }
    parts
}
