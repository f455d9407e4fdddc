//! Cross kernels K(X_test, X) of every method against independent recomputations: the training
//! block is the kernel of X alone, swapping the roles of X and X_test transposes the cross
//! block, each cross entry is the kernel of just that pair of points, and the methods agree
//! with each other. Plain and learning-rate-weighted, depth 1 and 2, all in f64.

mod common;

use common::*;
use overparam_model::Mlp;
use overparam_trainer::data::RandomLabels;
use overparam_trainer::ntk::{ntk, JointNtk, KernelBlocks, NtkError, NtkMethod, NtkOptions};
use overparam_trainer::LearningRates;

fn network(widths: &[usize]) -> Mlp {
    let config = relu_ntk_config(3, widths, 0.1);
    config
        .with_parameters(&random_parameters(&config, 8), &f64_autodiff_device())
        .unwrap()
}

/// Every (label, options) of the methods applicable at `depth`.
fn methods(depth: usize) -> Vec<(&'static str, NtkOptions)> {
    let mut all = vec![
        (
            "jacobian/1",
            NtkOptions {
                method: NtkMethod::Jacobian { block_size: 1 },
                on_host: false,
            },
        ),
        (
            "jacobian/3",
            NtkOptions {
                method: NtkMethod::Jacobian { block_size: 3 },
                on_host: false,
            },
        ),
        (
            "analytic",
            NtkOptions {
                method: NtkMethod::Analytic,
                on_host: true,
            },
        ),
    ];
    if depth == 1 {
        for on_host in [true, false] {
            let label = if on_host {
                "closed/host"
            } else {
                "closed/device"
            };
            all.push((
                label,
                NtkOptions {
                    method: NtkMethod::ClosedForm,
                    on_host,
                },
            ));
        }
    }
    all
}

fn rate_choices() -> [Option<LearningRates>; 2] {
    [None, Some(LearningRates::by_kind(0.7, 0.3, 1.3))]
}

/// `a` and `b` equal within `tolerance` relative to the largest |b| (exactly when 0).
fn assert_close(label: &str, a: &[f64], b: &[f64], tolerance: f64) {
    assert_eq!(a.len(), b.len(), "{label}: lengths");
    if tolerance == 0.0 {
        assert_eq!(a, b, "{label}");
    } else {
        let err = relative_error(a, b);
        assert!(err <= tolerance, "{label}: error {err:e}\n{a:?}\n{b:?}");
    }
}

/// The analytic kernel is computed per pair of points on the host by the same formulas
/// whatever else is in the batch: bit-identical. The empirical ones go through matrix
/// products of other sizes: f64 rounding ~1e-15 relative, so 1e-12.
fn tolerance(label: &str) -> f64 {
    if label == "analytic" {
        0.0
    } else {
        1e-12
    }
}

const D: usize = 3;

/// (X [5, 3], X_test [3, 3]) on the sphere.
fn points() -> (Vec<f64>, Vec<f64>) {
    let train = sphere_problem(5, D, 1, RandomLabels::Gaussian).inputs;
    let test = sphere_problem(3, D, 2, RandomLabels::Gaussian).inputs;
    (train, test)
}

/// One case of the consistency tests below.
struct Case<'a> {
    /// The network, method and rate choice, for messages.
    what: String,
    label: &'static str,
    net: &'a Mlp,
    options: &'a NtkOptions,
    /// The kernel of the case's network on (X, X_test) by its method.
    joint: &'a JointNtk,
    rates: Option<&'a LearningRates>,
}

/// Runs `check` on every case: depth 1 and 2, each method applicable at that depth, plain and
/// rate-weighted.
fn for_each_case(train: &[f64], test: &[f64], mut check: impl FnMut(&Case)) {
    for widths in [vec![6], vec![5, 4]] {
        let net = network(&widths);
        for (label, options) in methods(widths.len()) {
            let joint = JointNtk::new(&net, train, test, &options).unwrap();
            for rates in rate_choices() {
                check(&Case {
                    what: format!("{widths:?} {label} rates {:?}", rates.is_some()),
                    label,
                    net: &net,
                    options: &options,
                    joint: &joint,
                    rates: rates.as_ref(),
                });
            }
        }
    }
}

#[test]
fn training_block_is_the_kernel_of_the_training_points() {
    let (train, test) = points();
    for_each_case(&train, &test, |case| {
        let blocks = case.joint.blocks(case.rates);
        assert_eq!(
            (blocks.train.len(), blocks.cross.len(), blocks.test.len()),
            (25, 15, 9)
        );
        let alone = ntk(case.net, &train, case.options)
            .unwrap()
            .kernel(case.rates);
        assert_close(&case.what, &blocks.train, &alone, tolerance(case.label));
        let test_alone = ntk(case.net, &test, case.options)
            .unwrap()
            .kernel(case.rates);
        assert_close(&case.what, &blocks.test, &test_alone, tolerance(case.label));
    });
}

/// Row-major `[rows, cols]` → its transpose `[cols, rows]`.
fn transpose(matrix: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..cols)
        .flat_map(|j| (0..rows).map(move |i| matrix[i * cols + j]))
        .collect()
}

#[test]
fn swapping_the_point_sets_transposes_the_cross_block() {
    let (train, test) = points();
    for_each_case(&train, &test, |case| {
        let swapped = JointNtk::new(case.net, &test, &train, case.options).unwrap();
        let a = case.joint.blocks(case.rates);
        let b = swapped.blocks(case.rates);
        // b.cross is K(X, X_test) [5, 3]; its transpose is K(X_test, X) [3, 5].
        // The analytic entry of a pair is computed with the later point's variance first;
        // swapped, its quadrature (B ≠ 0) runs in the other variable: equal to its accuracy,
        // ≤ 2e-14 relative per entry (module doc of `ntk::analytic`), so 1e-13 there.
        let tol = match case.label {
            "analytic" => 1e-13,
            label => tolerance(label),
        };
        assert_close(&case.what, &transpose(&b.cross, 5, 3), &a.cross, tol);
        assert_close(&case.what, &b.train, &a.test, tol);
        assert_close(&case.what, &b.test, &a.train, tol);
    });
}

#[test]
fn each_cross_entry_is_the_kernel_of_that_pair_alone() {
    let (train, test) = points();
    for_each_case(&train, &test, |case| {
        let what = &case.what;
        let blocks = case.joint.blocks(case.rates);
        let mut recomputed = vec![0.0; 15];
        for i in 0..3 {
            for j in 0..5 {
                let pair: Vec<f64> = train[j * D..(j + 1) * D]
                    .iter()
                    .chain(&test[i * D..(i + 1) * D])
                    .copied()
                    .collect();
                let k = ntk(case.net, &pair, case.options)
                    .unwrap()
                    .kernel(case.rates);
                // K(x_j, x_test_i), read from both off-diagonal entries.
                recomputed[i * 5 + j] = k[1];
                assert_eq!(k[1], k[2], "{what}: a 2×2 kernel is symmetric");
            }
        }
        let scale = blocks.train.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = blocks
            .cross
            .iter()
            .zip(&recomputed)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
            / scale;
        assert!(
            err <= tolerance(case.label),
            "{what}: cross vs pairs {err:e}\n{:?}\n{recomputed:?}",
            blocks.cross
        );
    });
}

#[test]
fn the_methods_agree_on_the_cross_block() {
    let (train, test) = points();
    let net = network(&[6]);
    for rates in rate_choices() {
        let cross_of = |options: &NtkOptions| {
            JointNtk::new(&net, &train, &test, options)
                .unwrap()
                .blocks(rates.as_ref())
                .cross
        };
        let methods = methods(1);
        let reference = cross_of(&methods[0].1); // Jacobian, block size 1
        for (label, options) in &methods[1..] {
            if *label == "analytic" {
                continue;
            }
            // Per-sample gradients by autodiff vs the closed form: the same sums in other
            // orders, 1e-10 relative (as `tests/ntk.rs` holds them).
            let err = relative_error(&cross_of(options), &reference);
            assert!(err < 1e-10, "{label} vs jacobian/1: {err:e}");
        }
    }
}

#[test]
fn closed_form_of_a_deep_network_is_refused_for_joint_kernels_too() {
    let (train, test) = points();
    let net = network(&[5, 4]);
    let options = NtkOptions {
        method: NtkMethod::ClosedForm,
        on_host: true,
    };
    let error = JointNtk::new(&net, &train, &test, &options).err();
    assert!(
        matches!(error, Some(NtkError::ClosedFormDepth { depth: 2 })),
        "{error:?}"
    );
}

#[test]
fn split_takes_the_blocks_of_a_joint_matrix() {
    // joint[i][j] = 10 i + j on [n + n_test]² with n = 2, n_test = 3.
    let joint: Vec<f64> = (0..5)
        .flat_map(|i| (0..5).map(move |j| f64::from(10 * i + j)))
        .collect();
    let blocks = KernelBlocks::split(&joint, 2, 3);
    assert_eq!(blocks.train, [0.0, 1.0, 10.0, 11.0]);
    assert_eq!(blocks.cross, [20.0, 21.0, 30.0, 31.0, 40.0, 41.0]);
    assert_eq!(
        blocks.test,
        [22.0, 23.0, 24.0, 32.0, 33.0, 34.0, 42.0, 43.0, 44.0]
    );
    // No held-out points: the cross and test blocks are empty.
    let alone = KernelBlocks::split(&[0.0, 1.0, 10.0, 11.0], 2, 0);
    assert_eq!(alone.train, [0.0, 1.0, 10.0, 11.0]);
    assert!(alone.cross.is_empty() && alone.test.is_empty());
}
