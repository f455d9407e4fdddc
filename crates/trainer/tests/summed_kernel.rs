//! From n = 4097 on the host closed form is summed as it is built; it equals the kernel
//! assembled from its parts on the device (Burn's products) to rounding, plain and
//! learning-rate weighted, with a frozen group too.

mod common;

use common::*;
use overparam_model::{Activation, Parameterization, Trainable};
use overparam_trainer::ntk::{NtkMethod, HOST_SUM_MIN_SAMPLES};
use overparam_trainer::{stream_rng, LearningRates, RngStream};

#[test]
fn summed_kernel_equals_the_device_parts() {
    let (n, d, m) = (HOST_SUM_MIN_SAMPLES + 3, 3, 8);
    let data = random_problem(n, d, 5);
    let rates = LearningRates::by_kind(0.3, 1.7, 2.5);
    for trainable in [
        Trainable::ALL,
        Trainable {
            b: false,
            ..Trainable::ALL
        },
    ] {
        let config = two_layer_config(
            d,
            m,
            Activation::Softplus,
            Parameterization::Ntk,
            0.2,
            trainable,
        );
        let model = config.init(&mut stream_rng(7, RngStream::Init), &f64_device());
        for rates in [None, Some(&rates)] {
            let summed = kernel_of(&model, &data, NtkMethod::ClosedForm, rates, true);
            let assembled = kernel_of(&model, &data, NtkMethod::ClosedForm, rates, false);
            let scale = assembled.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
            let worst = summed
                .iter()
                .zip(&assembled)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0_f64, f64::max);
            assert!(worst <= 1e-13 * scale, "{worst} vs scale {scale}");
        }
    }
}
