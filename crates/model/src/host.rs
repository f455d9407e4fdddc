//! A network copied to host memory for the fused CPU step of `overparam-cpu`, and back.

use burn::tensor::Tensor;
use overparam_cpu::{Gradients, HostLayer, HostMlp, Real};

use crate::{host_values, Mlp, NamedArray, ParameterId};

/// The values of `tensor` on the host, converted to `T` (exact when `T` is its dtype).
pub fn host_values_as<T: Real, const D: usize>(tensor: Tensor<D>) -> Vec<T> {
    host_values(tensor).into_iter().map(T::of).collect()
}

/// `values` as parameter `id`'s f64 array of `shape`.
fn host_array<T: Real>(id: ParameterId, shape: Vec<usize>, values: &[T]) -> NamedArray {
    NamedArray::parameter(id, shape, values.iter().map(|v| v.as_f64()).collect())
}

/// The parameters of `network` as named f64 arrays (`w1`, `b1`, …, `a`, the `.npz` layout).
pub fn host_named_arrays<T: Real>(network: &HostMlp<T>) -> Vec<NamedArray> {
    let mut arrays = Vec::new();
    for (index, layer) in network.layers.iter().enumerate() {
        let l = index + 1;
        let shape = vec![layer.width, layer.fan_in];
        arrays.push(host_array(ParameterId::Weights(l), shape, &layer.weight));
        arrays.push(host_array(
            ParameterId::Biases(l),
            vec![layer.width],
            &layer.bias,
        ));
    }
    let m = network.output.len();
    arrays.push(host_array(ParameterId::Output, vec![m], &network.output));
    arrays
}

/// The gradients of `network`'s trained tensors, as computed by its fused hand-derived
/// backward pass, as named f64 arrays shaped like the parameters (`w1`, `b1`, …, `a`; frozen
/// tensors have none).
pub fn host_gradient_arrays<T: Real>(
    network: &HostMlp<T>,
    gradients: &Gradients<T>,
) -> Vec<NamedArray> {
    let mut arrays = Vec::new();
    for (index, layer) in network.layers.iter().enumerate() {
        let l = index + 1;
        if let Some(weight) = &gradients.weights[index] {
            let shape = vec![layer.width, layer.fan_in];
            arrays.push(host_array(ParameterId::Weights(l), shape, weight));
        }
        if let Some(bias) = &gradients.biases[index] {
            arrays.push(host_array(ParameterId::Biases(l), vec![layer.width], bias));
        }
    }
    if let Some(output) = &gradients.output {
        arrays.push(host_array(ParameterId::Output, vec![output.len()], output));
    }
    arrays
}

impl Mlp {
    /// The network on the host, parameters converted to `T` (exact when `T` is the network's
    /// own float type).
    pub fn to_host<T: Real>(&self) -> HostMlp<T> {
        let config = &self.config;
        let layers = self
            .w
            .iter()
            .zip(&self.b)
            .enumerate()
            .map(|(index, (w, b))| {
                let layer = index + 1;
                let [width, fan_in] = w.dims();
                HostLayer {
                    weight: host_values_as(w.val()),
                    bias: host_values_as(b.val()),
                    fan_in,
                    width,
                    input_scale: T::of(config.input_scale(layer)),
                    train_w: config.trains(ParameterId::Weights(layer)),
                    train_b: config.trains(ParameterId::Biases(layer)),
                }
            })
            .collect();
        HostMlp {
            layers,
            output: host_values_as(self.a.val()),
            output_scale: T::of(self.output_scale()),
            nonlinearity: self.activation().nonlinearity(),
            train_a: config.trains(ParameterId::Output),
        }
    }
}
