//! The linearized and held-out columns as the training loop records them, against the network's
//! own outputs and the linearization.

use super::*;

#[test]
fn training_loop_records_the_linearized_and_held_out_columns() {
    let data = teacher_data(6, 3, 4, 11);
    let rates = LearningRates::by_kind(0.7, 0.3, 1.3);
    for (label, config) in [
        (
            "depth 1",
            config(&[64], Activation::Relu, 0.1, Trainable::ALL),
        ),
        (
            "depth 2",
            config(&[16, 12], Activation::Relu, 0.1, Trainable::ALL),
        ),
    ] {
        let arrays = perturbed_parameters(&config, 5);
        let spec = gd_spec(20, 5, rates.clone(), StepEngine::Autodiff);
        let (rows, network) = run_with_generalization(&config, &arrays, &data, &spec);
        assert_eq!(
            rows.iter().map(|r| r.step).collect::<Vec<_>>(),
            [0, 5, 10, 15, 20],
            "{label}"
        );
        let test = data.test.as_ref().unwrap();
        let initial = config
            .with_parameters(&arrays, &f64_autodiff_device())
            .unwrap();
        // A second linearization made the same way (deterministic) to read its outputs.
        let linear = linearization(&initial, &data, &rates);
        let hand = HandLinear::new(&config, &arrays, &data, &rates).output_space(20);

        // Step 0: f_lin,0 = f_0, so the distance is rounding (f_lin,0(X) = y + V Vᵀ (f_0 − y):
        // ~n·ε relative, ≤ 1e-13) and the linearized losses are the network's (1e-12 relative).
        let first = &rows[0].generalization;
        let lin0 = first.linearized.expect("linearized columns");
        assert!(
            lin0.distance < 1e-13,
            "{label}: distance at 0 {}",
            lin0.distance
        );
        assert!(
            lin0.test_distance.unwrap() < 1e-13,
            "{label}: test distance at 0 {:?}",
            lin0.test_distance
        );
        assert!(
            (lin0.loss - rows[0].loss).abs() <= 1e-12 * rows[0].loss,
            "{label}: {} vs {}",
            lin0.loss,
            rows[0].loss
        );
        let test_loss0 = first.test_loss.unwrap();
        assert!(
            (lin0.test_loss.unwrap() - test_loss0).abs() <= 1e-12 * test_loss0,
            "{label}"
        );

        for row in &rows {
            let lin = row.generalization.linearized.unwrap();
            let outputs = linear.outputs(row.step);
            // The same numbers the library computes from its own outputs: equal to rounding of
            // the loss sum (1e-14 relative).
            let loss = mean_squared_loss_of(&outputs.train, &data.targets);
            let test_loss = mean_squared_loss_of(outputs.test.as_ref().unwrap(), &test.targets);
            assert!(
                (lin.loss - loss).abs() <= 1e-14 * loss,
                "{label} step {}",
                row.step
            );
            assert!(
                (lin.test_loss.unwrap() - test_loss).abs() <= 1e-14 * test_loss,
                "{label} step {}",
                row.step
            );
            // And the hand recursion's losses (outputs agree to 1e-10 relative, see above).
            let (hand_train, hand_test) = &hand[row.step];
            let hand_loss = mean_squared_loss_of(hand_train, &data.targets);
            assert!(
                (lin.loss - hand_loss).abs() <= 1e-9 * hand_loss,
                "{label} step {}",
                row.step
            );
            let hand_test_loss = mean_squared_loss_of(hand_test, &test.targets);
            assert!(
                (lin.test_loss.unwrap() - hand_test_loss).abs() <= 1e-9 * hand_test_loss,
                "{label} step {}",
                row.step
            );
        }

        // Last row against the final network, its outputs computed by the hand forward pass.
        let last = rows.last().unwrap();
        let final_net = HostNet::new(&config, &network.to_named_arrays());
        let outputs = |inputs: &[f64]| -> Vec<f64> {
            inputs
                .chunks_exact(3)
                .map(|x| final_net.output(x))
                .collect()
        };
        let (f_train, f_test) = (outputs(&data.inputs), outputs(&test.inputs));
        // Held-out loss of the final network (hand forward vs the library's: 1e-12 relative).
        let test_loss = last.generalization.test_loss.unwrap();
        let want = mean_squared_loss_of(&f_test, &test.targets);
        assert!(
            (test_loss - want).abs() <= 1e-12 * want,
            "{label}: test loss {test_loss} vs {want}"
        );
        let via_library =
            mean_squared_loss_of(&network_outputs(&network, &test.inputs), &test.targets);
        assert!((test_loss - via_library).abs() <= 1e-14 * want, "{label}");
        // Distances ‖f_T − f_lin,T‖/‖f_0 − y‖ with f_lin,T from the hand recursion: its error
        // (~1e-13 absolute) is far below the distances here (≥ 1e-4), so 1e-6 relative.
        let lin = last.generalization.linearized.unwrap();
        let f0 = &hand[0];
        let distance =
            norm_of_difference(&f_train, &hand[20].0) / norm_of_difference(&f0.0, &data.targets);
        let test_distance =
            norm_of_difference(&f_test, &hand[20].1) / norm_of_difference(&f0.1, &test.targets);
        assert!(
            distance > 1e-4 && test_distance > 1e-4,
            "{label}: {distance} {test_distance} too small to test"
        );
        assert!(
            (lin.distance - distance).abs() <= 1e-6 * distance,
            "{label}: distance {} vs {distance}",
            lin.distance
        );
        let got = lin.test_distance.unwrap();
        assert!(
            (got - test_distance).abs() <= 1e-6 * test_distance,
            "{label}: test distance {got} vs {test_distance}"
        );

        // Intermediate rows' held-out losses: the final networks of shorter runs from the same
        // start (GD is deterministic: the same network), their outputs by the hand forward pass
        // (rounding ~1e-15 relative in f64, so 1e-12 relative on the loss).
        for t in [5, 10, 15] {
            let (_, shorter) = run_with_generalization(
                &config,
                &arrays,
                &data,
                &gd_spec(t, 5, rates.clone(), StepEngine::Autodiff),
            );
            let want = mean_squared_loss_of(&outputs_of(&shorter, &test.inputs), &test.targets);
            let got = rows
                .iter()
                .find(|r| r.step == t)
                .unwrap()
                .generalization
                .test_loss
                .unwrap();
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "{label} step {t}: {got} vs {want}"
            );
        }
    }
}

fn outputs_of(network: &Mlp, inputs: &[f64]) -> Vec<f64> {
    let net = HostNet::new(&network.config, &network.to_named_arrays());
    inputs
        .chunks_exact(network.config.input_dim)
        .map(|x| net.output(x))
        .collect()
}
