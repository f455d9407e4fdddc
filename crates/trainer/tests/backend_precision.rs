//! σ and σ′ on every CPU backend in f64 against their host twins (`Activation::value`,
//! `Activation::slope`, plain Rust f64), elementwise, on both sides of ReLU's kink and of
//! softplus's switch to the identity at z = 20. Regression test: burn-ndarray 0.22.1's `sigmoid` is only f32-accurate in f64,
//! which once made the softplus hand gradient disagree with autodiff by 2e-8.

mod common;

use burn::tensor::{Tensor, TensorData};
use common::f64_cpu_devices;
use overparam_model::{host_values, Activation};

#[test]
fn activation_and_derivative_are_f64_accurate_on_every_cpu_backend() {
    let points = vec![-30.0, -3.1, -1.3, -0.2, 0.0, 0.1, 0.7, 2.5, 19.0, 25.0];
    for (backend, device) in f64_cpu_devices() {
        let z = || Tensor::<1>::from_data(TensorData::new(points.clone(), [points.len()]), &device);
        for activation in Activation::ALL {
            let values = host_values(activation.apply(z()));
            let slopes = host_values(activation.derivative(z()));
            for (i, &point) in points.iter().enumerate() {
                let (value, slope) = (activation.value(point), activation.slope(point));
                // A few ulps of O(1..600) numbers.
                assert!(
                    (values[i] - value).abs() <= 4.0 * f64::EPSILON * value.abs().max(1.0),
                    "{backend} {activation}({point}) = {} vs {value}",
                    values[i]
                );
                assert!(
                    (slopes[i] - slope).abs() <= 4.0 * f64::EPSILON * slope.abs().max(1.0),
                    "{backend} {activation}'({point}) = {} vs {slope}",
                    slopes[i]
                );
            }
        }
    }
}
