//! The loss gradient three ways, in f64: Burn autodiff, the hand-derived backpropagation that
//! trains on the CPU backends (the fused host step of `overparam-cpu`, [`fused_gradients`]),
//! and central finite differences; plus the per-sample Jacobian rows the NTK is built from,
//! against finite differences of f.
//!
//! Finite differences use θ_p ± h with h = 1e-5 · max(1, rms θ) per tensor: the truncation
//! error O(h²) ≈ 1e-10 and the rounding error O(ε/h) ≈ 1e-11 stay far below the 1e-6 bar.
//! ReLU's kink: an entry whose ±h perturbations change the sign of any hidden pre-activation
//! straddles a kink, where the derivative does not exist; such entries are excluded and counted.

use burn::module::Param;
use burn::tensor::Tensor;
use overparam_cpu::Workspace;
use overparam_model::{
    host_gradient_arrays, host_values, LayerTap, Mlp, NamedArray, ParameterId, ParameterVisitor,
};

use crate::data::Dataset;
use crate::loss::mean_squared_loss;

/// How far apart two gradients are over the compared entries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Discrepancy {
    /// max_p |a_p − b_p|.
    pub max_abs: f64,
    /// max_p |a_p − b_p| / max_p |b_p| (the absolute value when b = 0).
    pub relative: f64,
}

/// The [`Discrepancy`] of `a` from the reference `b`.
pub fn discrepancy(a: &[f64], b: &[f64]) -> Discrepancy {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let max_abs = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    Discrepancy {
        max_abs,
        relative: if scale == 0.0 {
            max_abs
        } else {
            max_abs / scale
        },
    }
}

/// The three-way comparison for one parameter tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorCheck {
    /// Parameter name (`w1`, …, `a`).
    pub name: String,
    /// Entries in the tensor.
    pub entries: usize,
    /// Entries compared with finite differences (all, or an evenly spaced subset).
    pub checked_entries: usize,
    /// Finite-difference step h used for this tensor.
    pub step: f64,
    /// Relative difference autodiff vs hand-derived (all entries).
    pub autodiff_vs_hand: Discrepancy,
    /// Relative difference autodiff vs finite differences (entries off the kink).
    pub autodiff_vs_numeric: Discrepancy,
    /// Relative difference hand-derived vs finite differences (entries off the kink).
    pub hand_vs_numeric: Discrepancy,
    /// Relative difference of the NTK's per-sample Jacobian columns vs finite differences of f.
    pub jacobian_vs_numeric: Discrepancy,
    /// Entries excluded because their ±h perturbation crossed a ReLU kink.
    pub excluded_entries: usize,
    /// Pre-activations whose sign differed between θ − h and θ + h, over the excluded entries.
    pub kink_pre_activations: usize,
}

impl TensorCheck {
    /// Whether the tensor passes: autodiff and hand agree to 1e-10 relative, and each agrees
    /// with finite differences (as does the Jacobian) to 1e-6.
    pub fn passes(&self) -> bool {
        self.autodiff_vs_hand.relative <= 1e-10
            && self.autodiff_vs_numeric.relative <= 1e-6
            && self.hand_vs_numeric.relative <= 1e-6
            && self.jacobian_vs_numeric.relative <= 1e-6
    }
}

/// Checks every trained tensor of `network` (on an f64 device without autodiff; its autodiff
/// twin is built for the autodiff side) at `data`; finite differences cover at most
/// `max_entries` evenly spaced entries per tensor. `hand` computes the hand-derived gradients
/// (normally [`fused_gradients`]; tests pass a deliberately wrong one).
pub fn gradient_check(
    network: &Mlp,
    data: &Dataset,
    max_entries: usize,
    hand: impl Fn(&Mlp, &Dataset) -> Vec<NamedArray>,
) -> Vec<TensorCheck> {
    let device = &network.a.val().device();
    let config = &network.config;
    let parameters = &network.to_named_arrays();
    let build = |values: &[NamedArray], device| {
        config
            .with_parameters(values, device)
            .expect("the network's own arrays have its shapes")
    };
    let autodiff_device = device.clone().autodiff();
    let model = build(parameters, &autodiff_device);
    let (inputs, targets) = (
        data.inputs_tensor(&autodiff_device),
        data.targets_tensor(&autodiff_device),
    );
    let predictions = model.forward(inputs.clone());
    let grads = mean_squared_loss(predictions, targets).backward();
    let mut autodiff = named_gradients(&model, &grads);
    // Report in layer order: w1, b1, w2, b2, …, a.
    autodiff.sort_by_key(|g| {
        let id = g.parameter_id().expect("autodiff names a parameter");
        (
            id.layer().unwrap_or(usize::MAX),
            matches!(id, ParameterId::Biases(_)),
        )
    });
    let hand = hand(network, data);
    let jacobian = jacobian_columns(&model, inputs);

    let plain_inputs = data.inputs_tensor(device);
    let plain_targets = data.targets_tensor(device);
    let evaluate = |moved: &[NamedArray]| {
        let model = build(moved, device);
        let outputs = model.forward(plain_inputs.clone());
        let loss = host_values(mean_squared_loss(outputs.clone(), plain_targets.clone()))[0];
        let signs: Vec<bool> = model
            .pre_activations(plain_inputs.clone())
            .into_iter()
            .flat_map(|z| host_values(z).into_iter().map(|v| v > 0.0))
            .collect();
        (loss, host_values(outputs), signs)
    };

    autodiff
        .iter()
        .map(|ad| {
            let index = parameters
                .iter()
                .position(|p| p.name == ad.name)
                .expect("autodiff names a parameter");
            let theta = &parameters[index];
            let hand_values = &hand
                .iter()
                .find(|h| h.name == ad.name)
                .expect("hand gradient for every tensor")
                .values;
            let rms = (theta.values.iter().map(|v| v * v).sum::<f64>() / theta.values.len() as f64)
                .sqrt();
            let step = 1e-5 * rms.max(1.0);
            let (mut kept, mut numeric, mut numeric_columns) = (Vec::new(), Vec::new(), Vec::new());
            let (mut excluded, mut flipped) = (0, 0);
            let stride = theta.values.len().div_ceil(max_entries.max(1));
            let checked: Vec<usize> = (0..theta.values.len()).step_by(stride).collect();
            for &entry in &checked {
                let at = |delta: f64| {
                    let mut moved = parameters.to_vec();
                    moved[index].values[entry] += delta;
                    evaluate(&moved)
                };
                let ((plus_loss, plus_f, plus_signs), (minus_loss, minus_f, minus_signs)) =
                    (at(step), at(-step));
                let crossings = plus_signs
                    .iter()
                    .zip(&minus_signs)
                    .filter(|(p, m)| p != m)
                    .count();
                if crossings > 0 {
                    excluded += 1;
                    flipped += crossings;
                    continue;
                }
                kept.push(entry);
                numeric.push((plus_loss - minus_loss) / (2.0 * step));
                numeric_columns.extend(
                    plus_f
                        .iter()
                        .zip(&minus_f)
                        .map(|(p, m)| (p - m) / (2.0 * step)),
                );
            }
            let pick = |values: &[f64]| kept.iter().map(|&e| values[e]).collect::<Vec<f64>>();
            let columns = &jacobian
                .iter()
                .find(|j| j.name == ad.name)
                .expect("a Jacobian for every trained tensor")
                .values;
            let n = data.num_samples;
            let entries = theta.values.len();
            let jacobian_kept: Vec<f64> = kept
                .iter()
                .flat_map(|&e| (0..n).map(move |i| columns[i * entries + e]))
                .collect();
            TensorCheck {
                name: ad.name.clone(),
                entries,
                checked_entries: checked.len(),
                step,
                autodiff_vs_hand: discrepancy(&ad.values, hand_values),
                autodiff_vs_numeric: discrepancy(&pick(&ad.values), &numeric),
                hand_vs_numeric: discrepancy(&pick(hand_values), &numeric),
                jacobian_vs_numeric: discrepancy(&jacobian_kept, &numeric_columns),
                excluded_entries: excluded,
                kink_pre_activations: flipped,
            }
        })
        .collect()
}

/// ∂L/∂θ of every trained tensor of `network` at `data` by the hand-derived backward pass that
/// trains on the CPU backends (`overparam-cpu`'s fused step), in f64, named like the
/// parameters.
pub fn fused_gradients(network: &Mlp, data: &Dataset) -> Vec<NamedArray> {
    let host = network.to_host::<f64>();
    let mut work = Workspace::new(&host, data.num_samples);
    host.loss_and_gradients(&data.inputs, &data.targets, &mut work);
    host_gradient_arrays(&host, &work.gradients)
}

/// ∂f(x_i)/∂θ for every sample i and trained tensor, from the same zero-leaf backward pass the
/// Jacobian NTK uses: row i of a map's W is δ_i ⊗ (c h_i), of its b is δ_i. Each array is
/// `[n, entries]` (row-major), named like the parameter.
fn jacobian_columns(model: &Mlp, inputs: Tensor<2>) -> Vec<NamedArray> {
    let [n, _] = inputs.dims();
    let (outputs, taps) = model.forward_tapped(inputs);
    let grads = outputs.sum().backward();
    let mut arrays = Vec::new();
    for LayerTap {
        scaled_input,
        leaf,
        weight,
        bias,
    } in taps
    {
        let delta = host_values(leaf.grad(&grads).expect("the leaf reaches the output"));
        let fan_out = delta.len() / n;
        if let Some(id) = weight {
            let input = host_values(scaled_input);
            let fan_in = input.len() / n;
            let values = (0..n)
                .flat_map(|i| {
                    let (delta, input) = (&delta, &input);
                    (0..fan_out).flat_map(move |r| {
                        (0..fan_in).map(move |k| delta[i * fan_out + r] * input[i * fan_in + k])
                    })
                })
                .collect();
            arrays.push(NamedArray::parameter(id, vec![n, fan_out * fan_in], values));
        }
        if let Some(id) = bias {
            arrays.push(NamedArray::parameter(id, vec![n, fan_out], delta.clone()));
        }
    }
    arrays
}

/// The autodiff gradient of every tensor that has one, named like the parameter.
fn named_gradients(model: &Mlp, grads: &burn::tensor::Gradients) -> Vec<NamedArray> {
    struct Collector<'a> {
        grads: &'a burn::tensor::Gradients,
        found: Vec<NamedArray>,
    }
    impl ParameterVisitor for Collector<'_> {
        fn visit<const D: usize>(&mut self, id: ParameterId, parameter: &Param<Tensor<D>>) {
            if let Some(grad) = parameter.grad(self.grads) {
                self.found.push(NamedArray::from_parameter(id, grad));
            }
        }
    }
    let mut collector = Collector {
        grads,
        found: Vec::new(),
    };
    model.visit_parameters(&mut collector);
    collector.found
}
