//! Kernel regression against a direct solve written here (Gaussian elimination with partial
//! pivoting on K + ρI): well-conditioned kernels with known spectra, with and without a ridge;
//! rank-deficient kernels (duplicated points) refused without a ridge and solved with one;
//! non-finite kernels named. All f64.

mod common;

use common::numerics::{solve, times, Numbers};
use common::*;
use overparam_trainer::ntk::{
    analytic_nngp, analytic_ntk, initialization_variance, kernel_regression, ntk, KernelBlocks,
    NtkMethod, NtkOptions, RegressionError, SpectrumError,
};
use overparam_trainer::{stream_rng, RngStream};

/// A random orthogonal `[n, n]` matrix (rows orthonormal), by Gram–Schmidt twice.
fn orthogonal(n: usize, numbers: &mut Numbers) -> Vec<Vec<f64>> {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    while rows.len() < n {
        let mut v = numbers.vector(n);
        for _ in 0..2 {
            for u in &rows {
                let p: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(u).for_each(|(a, b)| *a -= p * b);
            }
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-3 {
            rows.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    rows
}

/// K = Qᵀ diag(λ) Q `[n*n]` row-major for orthogonal Q: symmetric with eigenvalues λ.
fn with_spectrum(eigenvalues: &[f64], numbers: &mut Numbers) -> Vec<f64> {
    let n = eigenvalues.len();
    let q = orthogonal(n, numbers);
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            k[i * n + j] = (0..n).map(|l| q[l][i] * eigenvalues[l] * q[l][j]).sum();
        }
    }
    // Exactly symmetric (the library reads the lower triangle only; make both agree).
    for i in 0..n {
        for j in 0..i {
            k[j * n + i] = k[i * n + j];
        }
    }
    k
}

/// The regression of (train, cross, residual, ρ) against the direct solve, within `tolerance`
/// relative (to the largest entry of each answer).
fn assert_regression_matches(
    label: &str,
    train: &[f64],
    cross: &[f64],
    residual: &[f64],
    ridge: f64,
    tolerance: f64,
) {
    let got =
        kernel_regression(train, cross, residual, ridge).unwrap_or_else(|e| panic!("{label}: {e}"));
    let w = solve(train, ridge, residual);
    let (want_test, want_train) = (times(cross, &w), times(train, &w));
    let err = relative_error(&got.test, &want_test);
    assert!(
        err < tolerance,
        "{label}: test error {err:e}\n{:?}\n{want_test:?}",
        got.test
    );
    let err = relative_error(&got.train, &want_train);
    assert!(
        err < tolerance,
        "{label}: train error {err:e}\n{:?}\n{want_train:?}",
        got.train
    );
}

#[test]
fn regression_equals_a_direct_solve_with_and_without_a_ridge() {
    let mut numbers = Numbers(3);
    let (n, n_test) = (8, 5);
    // A known spectrum in [0.5, 5]: κ = 10.
    let eigenvalues = [0.5, 0.8, 1.1, 1.7, 2.0, 2.9, 4.2, 5.0];
    let train = with_spectrum(&eigenvalues, &mut numbers);
    let cross = numbers.vector(n_test * n);
    let residual = numbers.vector(n);
    for ridge in [0.0, 0.3, 7.0] {
        // The direct solve is backward stable: forward error ≲ κ(K + ρI)·n·ε ≈ 1e-14 at
        // κ ≤ 10; the eigendecomposition route has the same order. 1e-10 leaves margin; a
        // missing or doubled ridge changes the answer by ≥ 5% here.
        assert_regression_matches(
            &format!("ρ = {ridge}"),
            &train,
            &cross,
            &residual,
            ridge,
            1e-10,
        );
        let got = kernel_regression(&train, &cross, &residual, ridge).unwrap();
        // λ_min, λ_max as constructed (eigensolver accuracy ~n·ε·λ_max: 1e-13 absolute).
        assert!((got.lambda_min - 0.5).abs() < 1e-13, "{}", got.lambda_min);
        assert!((got.lambda_max - 5.0).abs() < 1e-13, "{}", got.lambda_max);
        let kappa = (5.0 + ridge) / (0.5 + ridge);
        assert!(
            (got.condition_number - kappa).abs() < 1e-12 * kappa,
            "κ {} vs {kappa}",
            got.condition_number
        );
        if ridge == 0.0 {
            // Without a ridge the fit interpolates: K K⁻¹ r = r.
            assert!(relative_error(&got.train, &residual) < 1e-12);
        } else {
            // With one it shrinks: ‖K(K + ρI)⁻¹ r‖ < ‖r‖.
            let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
            assert!(norm(&got.train) < norm(&residual));
        }
    }
}

#[test]
fn an_ill_conditioned_but_nonsingular_kernel_is_still_solved() {
    let mut numbers = Numbers(11);
    // κ = 1e8 ≪ 1/(n·ε) ≈ 5.6e14: well posed to ~1e-8 relative.
    let eigenvalues = [1e-8, 1e-5, 1e-3, 0.1, 0.5, 1.0];
    let train = with_spectrum(&eigenvalues, &mut numbers);
    let cross = numbers.vector(3 * 6);
    let residual = numbers.vector(6);
    // Both solves lose ~log10 κ = 8 digits: agree to ~κ·ε ≈ 2e-8 relative; 1e-6 leaves margin.
    assert_regression_matches("κ = 1e8", &train, &cross, &residual, 0.0, 1e-6);
}

#[test]
fn a_rank_deficient_kernel_needs_a_ridge() {
    let mut numbers = Numbers(5);
    // λ = 0 twice (rank 4 of 6), as a kernel of duplicated points is.
    let eigenvalues = [0.0, 0.0, 0.4, 1.0, 2.5, 3.0];
    let train = with_spectrum(&eigenvalues, &mut numbers);
    let cross = numbers.vector(4 * 6);
    let residual = numbers.vector(6);
    for ridge in [0.0, 1e-20] {
        match kernel_regression(&train, &cross, &residual, ridge) {
            Err(RegressionError::Singular {
                lambda_min,
                lambda_max,
                ridge: reported,
            }) => {
                assert!(lambda_min.abs() < 1e-14, "λ_min {lambda_min}");
                assert!((lambda_max - 3.0).abs() < 1e-13, "λ_max {lambda_max}");
                assert_eq!(reported, ridge);
            }
            other => panic!("ρ = {ridge}: expected Singular, got {other:?}"),
        }
    }
    // With a ridge it is solved: κ(K + ρI) = (3 + 1e-3)/1e-3 ≈ 3e3, forward error ≈ 3e3·n·ε
    // ≈ 4e-12 relative; 1e-9 leaves margin.
    assert_regression_matches("ρ = 1e-3", &train, &cross, &residual, 1e-3, 1e-9);
    let solved = kernel_regression(&train, &cross, &residual, 1e-3).unwrap();
    assert!((solved.condition_number - 3.001 / 1e-3).abs() < 1e-6 * 3e3);
}

#[test]
fn an_ntk_of_duplicated_points_is_singular_without_a_ridge() {
    let config = relu_ntk_config(3, &[32], 0.0);
    let network = config.init(&mut stream_rng(2, RngStream::Init), &f64_device());
    let data = sphere_problem(5, 3, 4, overparam_trainer::data::RandomLabels::Gaussian);
    // Point 5 repeats point 0 (rows 0 and 5 of K coincide); point 6 is held out.
    let mut inputs = data.inputs.clone();
    inputs.extend_from_slice(&data.inputs[..3]);
    inputs.extend_from_slice(&[0.6, -0.48, 0.64]);
    let options = NtkOptions {
        method: NtkMethod::ClosedForm,
        on_host: true,
    };
    let joint = ntk(&network, &inputs, &options).unwrap().kernel(None);
    let blocks = KernelBlocks::split(&joint, 6, 1);
    let residual = vec![1.0, -0.5, 0.25, 0.7, -1.1, 0.3];
    let error = kernel_regression(&blocks.train, &blocks.cross, &residual, 0.0).unwrap_err();
    assert!(
        matches!(error, RegressionError::Singular { ridge, .. } if ridge == 0.0),
        "{error:?}"
    );
    assert!(error.to_string().contains("singular"), "{error}");
    let RegressionError::Singular { lambda_max, .. } = error else {
        unreachable!()
    };
    // A ridge of 1e-3·λ_max makes it solvable (κ ≈ 1e3: the two solves agree to ~κ·n·ε ≈
    // 1e-12; tolerance 1e-9).
    let ridge = 1e-3 * lambda_max;
    assert_regression_matches(
        "ridge",
        &blocks.train,
        &blocks.cross,
        &residual,
        ridge,
        1e-9,
    );
}

#[test]
fn a_non_finite_kernel_entry_is_named() {
    let mut train = vec![2.0, 0.1, 0.1, 1.0];
    train[2] = f64::NAN;
    let error = kernel_regression(&train, &[], &[1.0, 1.0], 0.5).unwrap_err();
    assert!(
        matches!(
            error,
            RegressionError::Spectrum(SpectrumError::NonFinite {
                row: 1,
                column: 0,
                ..
            })
        ),
        "{error:?}"
    );
}

/// Σ_ii = 𝒦(x_i, x_i) − 2 Σ_j A_ij 𝒦(x_i, x_j) + Σ_jk A_ij 𝒦(x_j, x_k) A_ik with
/// A = Θ_c Θ⁻¹, each row of A from the direct solve Θ a_i = Θ_c,i (Θ symmetric).
fn direct_variance(
    ntk_train: &[f64],
    ntk_cross: &[f64],
    nngp_train: &[f64],
    nngp_cross: &[f64],
    nngp_diagonal: &[f64],
) -> Vec<f64> {
    let n = (ntk_train.len() as f64).sqrt() as usize;
    nngp_diagonal
        .iter()
        .enumerate()
        .map(|(i, k_ii)| {
            let a = solve(ntk_train, 0.0, &ntk_cross[i * n..(i + 1) * n]);
            let cross: f64 = (0..n).map(|j| a[j] * nngp_cross[i * n + j]).sum();
            let quadratic: f64 = (0..n)
                .map(|j| {
                    (0..n)
                        .map(|k| a[j] * nngp_train[j * n + k] * a[k])
                        .sum::<f64>()
                })
                .sum();
            k_ii - 2.0 * cross + quadratic
        })
        .collect()
}

#[test]
fn initialization_variance_equals_the_direct_formula() {
    let config = relu_ntk_config(3, &[8], 0.2);
    let (n, n_test) = (6, 4);
    let train = sphere_problem(n, 3, 1, overparam_trainer::data::RandomLabels::Gaussian).inputs;
    let test = sphere_problem(
        n_test,
        3,
        2,
        overparam_trainer::data::RandomLabels::Gaussian,
    )
    .inputs;
    let joint: Vec<f64> = train.iter().chain(&test).copied().collect();
    let theta = KernelBlocks::split(&analytic_ntk(&joint, &config, None).unwrap(), n, n_test);
    let nngp = KernelBlocks::split(&analytic_nngp(&joint, &config).unwrap(), n, n_test);
    let diagonal: Vec<f64> = (0..n_test).map(|i| nngp.test[i * n_test + i]).collect();
    let got = initialization_variance(
        &theta.train,
        &theta.cross,
        &nngp.train,
        &nngp.cross,
        &diagonal,
    )
    .unwrap();
    let want = direct_variance(
        &theta.train,
        &theta.cross,
        &nngp.train,
        &nngp.cross,
        &diagonal,
    );
    // A variance is a difference of O(𝒦) terms: compare to the scale of 𝒦 (max diagonal), not
    // to Σ itself. Both sides solve with κ(Θ) ≲ 1e2 on 6 sphere points: ~κ·n·ε ≈ 1e-13; 1e-10.
    let scale = diagonal.iter().fold(0.0f64, |m, v| m.max(*v));
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-10 * scale, "{got:?} vs {want:?}");
        // A variance, and not a trivial one: a test point is not in the training span.
        assert!(*w > 1e-6 * scale, "{want:?}");
    }
    // At a training point the prediction is pinned (A = e_j): zero variance.
    let at_train = initialization_variance(
        &theta.train,
        &theta.train[..n],
        &nngp.train,
        &nngp.train[..n],
        &nngp.train[..1],
    )
    .unwrap();
    assert!(at_train[0].abs() < 1e-12 * scale, "{at_train:?}");
}

#[test]
fn initialization_variance_without_held_out_points_is_empty() {
    // No held-out points: nothing to compute, and the [n, n] kernels are still [n, n].
    let theta = vec![2.0, 0.5, 0.5, 1.0];
    let nngp = vec![1.0, 0.2, 0.2, 0.8];
    let got = initialization_variance(&theta, &[], &nngp, &[], &[]);
    assert_eq!(got, Ok(Vec::new()));
}
