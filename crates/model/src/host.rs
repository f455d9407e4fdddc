//! A network copied to host memory for the fused CPU step of `overparam-cpu`, and back.

use burn::tensor::Tensor;
use overparam_cpu::{HostLayer, HostMlp, Real};

use crate::mlp::Readout;
use crate::{host_values, Mlp, ModelError, NamedArray, TwoLayer};

/// Host values of `name` converted to `T`.
fn values_of<T: Real>(arrays: &[NamedArray], name: &str) -> Vec<T> {
    let array = arrays
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("the network has a tensor `{name}`"));
    array.values.iter().map(|&v| T::of(v)).collect()
}

/// The values of `tensor` on the host, converted to `T` (exact when `T` is its dtype).
pub fn host_values_as<T: Real, const D: usize>(tensor: Tensor<D>) -> Vec<T> {
    host_values(tensor).into_iter().map(T::of).collect()
}

/// The parameters of `network` as named f64 arrays (`w1`, `b1`, …, `a`, the `.npz` layout).
pub fn host_named_arrays<T: Real>(network: &HostMlp<T>) -> Vec<NamedArray> {
    let convert = |values: &[T]| values.iter().map(|v| v.as_f64()).collect::<Vec<_>>();
    let mut arrays = Vec::new();
    for (index, layer) in network.layers.iter().enumerate() {
        let (w, b) = (format!("w{}", index + 1), format!("b{}", index + 1));
        let shape = vec![layer.width, layer.fan_in];
        arrays.push(NamedArray::new(&w, shape, convert(&layer.weight)).expect("shape matches"));
        arrays.push(
            NamedArray::new(&b, vec![layer.width], convert(&layer.bias)).expect("shape matches"),
        );
    }
    let m = network.output.len();
    arrays.push(NamedArray::new("a", vec![m], convert(&network.output)).expect("shape matches"));
    arrays
}

/// A network the fused CPU step can run: copied to the host and rebuilt from host values.
pub trait HostNetwork: Sized {
    /// The network on the host, parameters converted to `T` (exact when `T` is the
    /// network's own float type).
    fn to_host<T: Real>(&self) -> HostMlp<T>;

    /// The same network (architecture, scales, trainable flags, device) with the parameter
    /// values of `arrays` (named as in `.npz` files). A missing array or a wrong shape is an
    /// error naming it.
    fn with_named_arrays(&self, arrays: &[NamedArray]) -> Result<Self, ModelError>;
}

impl HostNetwork for TwoLayer {
    fn to_host<T: Real>(&self) -> HostMlp<T> {
        let arrays = self.to_named_arrays();
        HostMlp {
            layers: vec![HostLayer {
                weight: values_of(&arrays, "w1"),
                bias: values_of(&arrays, "b1"),
                fan_in: self.input_dim(),
                width: self.width(),
                input_scale: T::one(),
                train_weight: self.trainable.w,
                train_bias: self.trainable.b,
            }],
            output: values_of(&arrays, "a"),
            output_scale: T::of(self.output_scale),
            nonlinearity: self.activation.nonlinearity(),
            train_output: self.trainable.a,
        }
    }

    fn with_named_arrays(&self, arrays: &[NamedArray]) -> Result<Self, ModelError> {
        let shape = [self.width(), self.input_dim()];
        let device = self.w1.val().device();
        TwoLayer::assemble(
            arrays,
            shape,
            self.activation,
            self.output_scale,
            self.trainable,
            &device,
        )
    }
}

impl HostNetwork for Mlp {
    fn to_host<T: Real>(&self) -> HostMlp<T> {
        let arrays = self.to_named_arrays();
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(index, settings)| {
                let [width, fan_in] = self.w[index].dims();
                HostLayer {
                    weight: values_of(&arrays, &format!("w{}", index + 1)),
                    bias: values_of(&arrays, &format!("b{}", index + 1)),
                    fan_in,
                    width,
                    input_scale: T::of(settings.input_scale),
                    train_weight: settings.train_w,
                    train_bias: settings.train_b,
                }
            })
            .collect();
        HostMlp {
            layers,
            output: values_of(&arrays, "a"),
            output_scale: T::of(self.output_scale),
            nonlinearity: self.activation.nonlinearity(),
            train_output: self.train_a,
        }
    }

    fn with_named_arrays(&self, arrays: &[NamedArray]) -> Result<Self, ModelError> {
        let shapes: Vec<[usize; 2]> = self.w.iter().map(|w| w.dims()).collect();
        let readout = Readout {
            activation: self.activation,
            output_scale: self.output_scale,
            train_a: self.train_a,
        };
        Mlp::assemble(
            arrays,
            &shapes,
            self.layers.clone(),
            readout,
            &self.a.val().device(),
        )
    }
}
