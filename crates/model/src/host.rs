//! A network copied to host memory for the fused CPU step of `overparam-cpu`, and back.

use burn::module::Param;
use overparam_cpu::{HostLayer, HostMlp, Real};

use crate::named_array::find_parameter;
use crate::{Mlp, ModelError, NamedArray, TwoLayer};

/// Host values of `name` converted to `T`.
fn values_of<T: Real>(arrays: &[NamedArray], name: &str) -> Vec<T> {
    let array = arrays
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("the network has a tensor `{name}`"));
    array.values.iter().map(|&v| T::of(v)).collect()
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
        let (m, d) = (self.width(), self.input_dim());
        let device = self.w1.val().device();
        let w1 = find_parameter(arrays, "w1", &[m, d])?.to_tensor::<2>(&device);
        let b1 = find_parameter(arrays, "b1", &[m])?.to_tensor::<1>(&device);
        let a = find_parameter(arrays, "a", &[m])?.to_tensor::<1>(&device);
        Ok(TwoLayer {
            w1: Param::from_tensor(w1).set_require_grad(self.trainable.w),
            b1: Param::from_tensor(b1).set_require_grad(self.trainable.b),
            a: Param::from_tensor(a).set_require_grad(self.trainable.a),
            activation: self.activation,
            output_scale: self.output_scale,
            trainable: self.trainable,
        })
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
        let device = self.a.val().device();
        let mut w = Vec::new();
        let mut b = Vec::new();
        for (index, settings) in self.layers.iter().enumerate() {
            let [width, fan_in] = self.w[index].dims();
            let weight = find_parameter(arrays, &format!("w{}", index + 1), &[width, fan_in])?;
            let bias = find_parameter(arrays, &format!("b{}", index + 1), &[width])?;
            w.push(
                Param::from_tensor(weight.to_tensor::<2>(&device))
                    .set_require_grad(settings.train_w),
            );
            b.push(
                Param::from_tensor(bias.to_tensor::<1>(&device)).set_require_grad(settings.train_b),
            );
        }
        let m = self.a.dims()[0];
        let a = find_parameter(arrays, "a", &[m])?.to_tensor::<1>(&device);
        Ok(Mlp {
            w,
            b,
            a: Param::from_tensor(a).set_require_grad(self.train_a),
            activation: self.activation,
            layers: self.layers.clone(),
            output_scale: self.output_scale,
            train_a: self.train_a,
        })
    }
}
