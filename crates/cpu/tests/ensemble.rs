//! The stacked ensemble step against each seed's own network: losses, gradients and 50 steps
//! of descent within 1e-12 relative (f64), for every σ, with frozen tensors, with a seed held
//! still; and how many of them agree bit for bit.

mod common;

use common::{data, network};
use overparam_cpu::{HostEnsemble, HostMlp, Nonlinearity, StepRates, Workspace};

fn close(x: f64, y: f64) -> bool {
    x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
}

/// Asserts that `stacked` is within 1e-12 relative of `single`; returns whether bitwise.
fn compare(what: &str, stacked: &[f64], single: &[f64]) -> bool {
    assert_eq!(stacked.len(), single.len(), "{what}");
    for (x, y) in stacked.iter().zip(single) {
        assert!(close(*x, *y), "{what}: {x} vs {y}");
    }
    stacked
        .iter()
        .zip(single)
        .all(|(x, y)| x.to_bits() == y.to_bits())
}

/// S networks of width m on n samples in d dimensions, stepped `steps` times both ways with
/// seed `still` never moving; returns whether everything was bitwise equal.
fn stacked_against_single(
    sigma: Nonlinearity,
    [n, d, m, seeds]: [usize; 4],
    frozen_b: bool,
) -> bool {
    let (inputs, targets) = data(1, n, d);
    let mut singles: Vec<HostMlp<f64>> = (0..seeds as u64)
        .map(|s| {
            let mut net = network(10 + s, d, &[m], sigma, 0.1);
            net.layers[0].train_b = !frozen_b;
            net
        })
        .collect();
    let mut ensemble = HostEnsemble::stack(&singles).unwrap();
    let mut work = ensemble.workspace(n);
    let rates = StepRates {
        weights: vec![0.3],
        biases: vec![0.2],
        output: 0.4,
    };
    let still = seeds / 2;
    let moving: Vec<bool> = (0..seeds).map(|s| s != still).collect();
    let mut bitwise = true;
    for step in 0..50 {
        ensemble.losses_and_gradients(&inputs, &targets, &mut work);
        for (s, single) in singles.iter_mut().enumerate() {
            let mut own = Workspace::new(single, n);
            own.allow_sparse = false;
            let loss = single.loss_and_gradients(&inputs, &targets, &mut own);
            assert!(close(work.losses[s], loss), "step {step} seed {s}: loss");
            bitwise &= work.losses[s].to_bits() == loss.to_bits();
            let g = &own.gradients;
            let expected = [&g.weights[0], &g.biases[0], &g.output];
            let norms = work.gradients.squared_norms(s, [m, d]);
            let own_norms = g.squared_norms();
            assert_eq!(norms[1].is_some(), own_norms.1[0].is_some());
            for (name, expected) in ["w", "b", "a"].iter().zip(expected) {
                let stacked = match *name {
                    "w" => work
                        .gradients
                        .weight
                        .as_ref()
                        .map(|v| v[s * m * d..(s + 1) * m * d].to_vec()),
                    "b" => work
                        .gradients
                        .bias
                        .as_ref()
                        .map(|v| v[s * m..(s + 1) * m].to_vec()),
                    _ => work
                        .gradients
                        .output
                        .as_ref()
                        .map(|v| v[s * m..(s + 1) * m].to_vec()),
                };
                assert_eq!(stacked.is_some(), expected.is_some(), "{name}");
                if let (Some(x), Some(y)) = (stacked, expected) {
                    bitwise &= compare(&format!("step {step} seed {s} ∂{name}"), &x, y);
                }
            }
            if s != still {
                single.descend(&own.gradients, &rates);
            }
        }
        ensemble.descend(&work.gradients, [0.3, 0.2, 0.4], &moving);
    }
    for (s, single) in singles.iter().enumerate() {
        let stacked = ensemble.network(s);
        bitwise &= compare(
            &format!("seed {s} W"),
            &stacked.layers[0].weight,
            &single.layers[0].weight,
        );
        bitwise &= compare(&format!("seed {s} a"), &stacked.output, &single.output);
    }
    bitwise
}

#[test]
fn ensemble_step_matches_each_seeds_own_step() {
    let mut report = Vec::new();
    for sigma in [
        Nonlinearity::Relu,
        Nonlinearity::Softplus,
        Nonlinearity::Quadratic,
    ] {
        for (shape, frozen_b) in [
            ([24, 5, 40, 5], false),
            ([64, 8, 64, 9], true),
            ([300, 3, 17, 3], false),
            ([40, 4, 64, 27], false),
        ] {
            report.push((sigma, shape, stacked_against_single(sigma, shape, frozen_b)));
        }
    }
    println!("bitwise per (σ, [n, d, m, S]): {report:?}");
}

#[test]
fn ensemble_refuses_networks_of_other_shapes_or_depths_are_not_stacked() {
    let a = network(1, 4, &[8], Nonlinearity::Relu, 0.0);
    let b = network(2, 4, &[9], Nonlinearity::Relu, 0.0);
    let deep = network(3, 4, &[8, 8], Nonlinearity::Relu, 0.0);
    assert!(HostEnsemble::stack(&[a.clone(), b]).is_err());
    assert!(HostEnsemble::stack(&[deep]).is_err());
    assert!(HostEnsemble::<f64>::stack(&[]).is_err());
    assert!(HostEnsemble::stack(&[a]).is_ok());
}
