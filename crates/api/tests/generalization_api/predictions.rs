//! Kernel-regression predictions against a direct solve, and the empirical NNGP kernel against
//! the mean over the configs' seeds.

use super::*;

// ---------------------------------------------------------------------------------------------
// (c) Kernel-regression predictions and the NNGP ensemble
// ---------------------------------------------------------------------------------------------

#[test]
fn predictions_equal_a_direct_kernel_regression() {
    let experiment = tiny(&["data.n_test=4", "model.width=64"]);
    let run = ntk_kernels(
        &experiment,
        &request(CLOSED_AND_ANALYTIC, KernelKind::Ntk, Some(0.0)),
    )
    .unwrap();
    let dataset = experiment.dataset().unwrap();
    let test = dataset.test.as_ref().unwrap();
    let (n, n_test) = (12, 4);
    // f_0 of the config's network, computed here.
    let device = FLEX_F64.device(&experiment.resolved.model).unwrap();
    let network = experiment.initial_network(&device, None).unwrap();
    let f0 = network_outputs(&network, &dataset.inputs);
    let f0_test = network_outputs(&network, &test.inputs);

    let predictions = run.predictions.as_ref().expect("predictions");
    assert_eq!(predictions.ridge, 0.0);
    assert_eq!(predictions.test_targets.as_ref(), Some(&test.targets));
    assert!(relative_error(&predictions.initial_test, &f0_test) < 1e-14);
    assert_eq!(predictions.by_method.len(), 2);
    for (kernel, prediction) in run.kernels.iter().zip(&predictions.by_method) {
        assert_eq!(kernel.name, prediction.method);
        let cross = kernel.cross.as_ref().expect("cross kernel with a ridge");
        assert_eq!((kernel.values.len(), cross.len()), (n * n, n_test * n));
        // The empirical NTK's prediction is offset by f_0; the analytic one's is not (f_0
        // averages to 0 over initializations).
        let (offset, offset_test) = match kernel.name {
            "closed" => (f0.clone(), f0_test.clone()),
            _ => (vec![0.0; n], vec![0.0; n_test]),
        };
        let residual: Vec<f64> = dataset
            .targets
            .iter()
            .zip(&offset)
            .map(|(y, f)| y - f)
            .collect();
        let w = solve(&kernel.values, 0.0, &residual);
        let want: Vec<f64> = times(cross, &w)
            .iter()
            .zip(&offset_test)
            .map(|(d, f)| f + d)
            .collect();
        // Both solves are backward stable: they agree to ~κ·n·ε (κ from the prediction
        // itself); 1e3·κ·ε leaves margin, at least 1e-12.
        let kappa = prediction.condition_number;
        assert!(kappa.is_finite() && kappa >= 1.0, "{kappa}");
        let tolerance = (1e3 * kappa * f64::EPSILON).max(1e-12);
        let err = relative_error(&prediction.test, &want);
        assert!(
            err < tolerance,
            "{}: error {err:e} (κ {kappa:e})\n{:?}\n{want:?}",
            kernel.name,
            prediction.test
        );
        let test_loss = mean_squared_loss_of(&want, &test.targets);
        let reported = prediction.test_loss.expect("held-out loss");
        assert!((reported - test_loss).abs() <= tolerance * 10.0 * test_loss);
        // Without a ridge the fit interpolates the training points.
        assert!(
            prediction.train_loss < 1e-20 + tolerance,
            "{}",
            prediction.train_loss
        );
    }
    // The closed-form blocks are the kernels of the network on [X; X_test] (1e-12: the same
    // products on other row counts).
    let joint: Vec<f64> = dataset.inputs.iter().chain(&test.inputs).copied().collect();
    let options = NtkOptions {
        method: NtkMethod::ClosedForm,
        on_host: true,
    };
    let blocks = KernelBlocks::split(
        &ntk(&network, &joint, &options).unwrap().kernel(None),
        n,
        n_test,
    );
    let closed = &run.kernels[0];
    assert!(relative_error(&closed.values, &blocks.train) < 1e-12);
    assert!(relative_error(closed.cross.as_ref().unwrap(), &blocks.cross) < 1e-12);
}

#[test]
fn predictions_need_held_out_points() {
    let error = ntk_kernels(&tiny(&[]), &request(CLOSED, KernelKind::Ntk, Some(0.0))).unwrap_err();
    assert!(format!("{error:#}").contains("data.n_test"), "{error:#}");
    // Without a ridge no cross kernel is returned.
    let run = ntk_kernels(
        &tiny(&["data.n_test=3"]),
        &request(CLOSED, KernelKind::Ntk, None),
    )
    .unwrap();
    assert!(run.predictions.is_none());
    assert!(run.kernels[0].cross.is_none());
}

#[test]
fn empirical_nngp_is_the_mean_over_the_configs_seeds() {
    let base_seed = 5u64;
    let seed_set = format!("seed={base_seed}");
    let experiment = tiny(&[&seed_set, "data.n_test=3"]);
    let ensemble = 8;
    let run = ntk_kernels(
        &experiment,
        &request(CLOSED, KernelKind::Nngp { ensemble }, Some(0.5)),
    )
    .unwrap();
    assert_eq!(run.kernels.len(), 1);
    let kernel = &run.kernels[0];
    assert_eq!(kernel.name, "empirical");
    let dataset = experiment.dataset().unwrap();
    let test = dataset.test.as_ref().unwrap();
    let joint: Vec<f64> = dataset.inputs.iter().chain(&test.inputs).copied().collect();
    let total = 15;
    let device = FLEX_F64.device(&experiment.resolved.model).unwrap();
    let mut mean = vec![0.0; total * total];
    for offset in 0..ensemble as u64 {
        // Each member from a config that sets `seed` itself (its own data is not used).
        let member = tiny(&[&format!("seed={}", base_seed + offset), "data.n_test=3"]);
        let network = member.initial_network(&device, None).unwrap();
        let f = network_outputs(&network, &joint);
        for i in 0..total {
            for j in 0..total {
                mean[i * total + j] += f[i] * f[j] / ensemble as f64;
            }
        }
    }
    let blocks = KernelBlocks::split(&mean, 12, 3);
    // The same products summed in the same order up to the division: 1e-14 relative.
    assert!(relative_error(&kernel.values, &blocks.train) < 1e-14);
    assert!(relative_error(kernel.cross.as_ref().unwrap(), &blocks.cross) < 1e-14);
    // Not the kernel of one network: the mean over 8 differs from the first member's f fᵀ.
    let first = tiny(&[&seed_set, "data.n_test=3"])
        .initial_network(&device, None)
        .unwrap();
    let f = network_outputs(&first, &dataset.inputs);
    let single: Vec<f64> = (0..144).map(|k| f[k / 12] * f[k % 12]).collect();
    assert!(relative_error(&kernel.values, &single) > 1e-2);
    // The GP posterior mean K_c (K + ρI)⁻¹ y with ρ = 0.5 (no f_0 offset): κ ≤ (λ_max + ρ)/ρ
    // is small, so 1e-10.
    let prediction = &run.predictions.as_ref().unwrap().by_method[0];
    let w = solve(&blocks.train, 0.5, &dataset.targets);
    let want = times(&blocks.cross, &w);
    assert!(
        relative_error(&prediction.test, &want) < 1e-10,
        "{:?}\n{want:?}",
        prediction.test
    );
}
