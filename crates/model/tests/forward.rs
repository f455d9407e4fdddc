//! The forward pass against values worked by hand, in f64.

use burn::tensor::{Device, FloatDType, Tensor, TensorData};
use overparam_model::{
    host_values, Activation, MlpConfig, NamedArray, OutputInit, Parameterization, Trainable,
};

fn f64_device() -> Device {
    let mut device = Device::flex();
    device
        .configure(FloatDType::F64)
        .expect("this test binary configures the device once");
    device
}

/// One hidden layer of width 2 on inputs of dimension 2, biases at 0, everything trained.
fn config(activation: Activation, parameterization: Parameterization) -> MlpConfig {
    MlpConfig {
        input_dim: 2,
        widths: vec![2],
        activation,
        parameterization,
        output_init: OutputInit::Gaussian,
        bias_init: 0.0,
        trainable: Trainable::ALL,
        trainable_layers: vec![true],
    }
}

/// W = [[1, −1], [0.5, 2]], b = [0.5, −1], a = [2, −3]; x₁ = e₁, x₂ = e₂.
/// z(x₁) = (1.5, −0.5), z(x₂) = (−0.5, 1).
/// ReLU:      Σ a σ(z) = (2·1.5, −3·1) = (3, −3).
/// Quadratic: Σ a σ(z) = (2·2.25 − 3·0.25, 2·0.25 − 3·1) = (3.75, −2.5).
/// Softplus:  Σ a σ(z) = 2 log(1+e^{1.5}) − 3 log(1+e^{−0.5}), 2 log(1+e^{−0.5}) − 3 log(1+e).
#[test]
fn forward_matches_hand_computation() {
    let device = f64_device_shared();
    let parameters = vec![
        NamedArray::new("w1", vec![2, 2], vec![1.0, -1.0, 0.5, 2.0]).unwrap(),
        NamedArray::new("b1", vec![2], vec![0.5, -1.0]).unwrap(),
        NamedArray::new("a", vec![2], vec![2.0, -3.0]).unwrap(),
    ];
    let inputs =
        || Tensor::<2>::from_data(TensorData::new(vec![1.0, 0.0, 0.0, 1.0], [2, 2]), &device);
    let softplus = |z: f64| (1.0 + z.exp()).ln();
    let sums = [
        (Activation::Relu, [3.0, -3.0]),
        (Activation::Quadratic, [3.75, -2.5]),
        (
            Activation::Softplus,
            [
                2.0 * softplus(1.5) - 3.0 * softplus(-0.5),
                2.0 * softplus(-0.5) - 3.0 * softplus(1.0),
            ],
        ),
    ];
    for (activation, sum) in sums {
        for (parameterization, scale) in [
            (Parameterization::Ntk, 1.0 / 2f64.sqrt()),
            (Parameterization::Standard, 1.0),
            (Parameterization::MeanField, 0.5),
        ] {
            let model = config(activation, parameterization)
                .with_parameters(&parameters, &device)
                .unwrap();
            let outputs = host_values(model.forward(inputs()));
            for (got, want) in outputs.iter().zip(sum) {
                // f64 rounding of a handful of operations on O(1) numbers.
                assert!(
                    (got - scale * want).abs() < 1e-14,
                    "{activation} {parameterization}: {got} vs {}",
                    scale * want
                );
            }
        }
    }
}

#[test]
fn wrong_parameter_shape_names_the_array_and_both_shapes() {
    let device = f64_device_shared();
    let parameters = vec![
        NamedArray::new("w1", vec![3, 2], vec![0.0; 6]).unwrap(),
        NamedArray::new("b1", vec![2], vec![0.0; 2]).unwrap(),
        NamedArray::new("a", vec![2], vec![0.0; 2]).unwrap(),
    ];
    let error = config(Activation::Relu, Parameterization::Ntk)
        .with_parameters(&parameters, &device)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "array `w1` has shape [3, 2], expected [2, 2]"
    );
}

/// A second device handle for tests that run after (or beside) `forward_matches_hand_computation`.
fn f64_device_shared() -> Device {
    static DEVICE: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    DEVICE.get_or_init(f64_device).clone()
}

#[test]
fn balanced_sign_output_weights_split_the_units_in_half() {
    use rand::SeedableRng;
    for (width, positive) in [(8, 4), (7, 4), (1, 1)] {
        let config = MlpConfig {
            widths: vec![width],
            output_init: OutputInit::BalancedSign,
            ..config(Activation::Quadratic, Parameterization::Standard)
        };
        let arrays = config.init_parameters(&mut rand_chacha::ChaCha8Rng::seed_from_u64(1));
        let a = &arrays.iter().find(|p| p.name == "a").unwrap().values;
        let magnitude = Parameterization::Standard.output_weight_std(width);
        assert!(
            a.iter().all(|v| (v.abs() - magnitude).abs() < 1e-15),
            "{a:?}"
        );
        assert_eq!(a.iter().filter(|v| **v > 0.0).count(), positive, "{a:?}");
        assert!(
            a[..positive].iter().all(|v| *v > 0.0),
            "positive units first: {a:?}"
        );
    }
}
