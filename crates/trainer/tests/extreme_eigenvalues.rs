//! λ_min, λ_max and the k smallest/largest eigenvalues by Krylov–Schur against faer's full
//! eigendecomposition and against matrices built from a chosen spectrum, f64.

use overparam_trainer::ntk::{extreme_eigenvalues, ntk_spectrum};
use rand::{Rng, SeedableRng};

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// Q diag(λ) Qᵀ `[n, n]` row-major, Q = I − 2 v vᵀ (a Householder reflection, orthogonal).
fn with_spectrum(eigenvalues: &[f64], seed: u64) -> Vec<f64> {
    let n = eigenvalues.len();
    let mut rng = rng(seed);
    let mut v: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    let q = |i: usize, j: usize| f64::from(u8::from(i == j)) - 2.0 * v[i] * v[j];
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            k[i * n + j] = (0..n).map(|l| q(i, l) * eigenvalues[l] * q(j, l)).sum();
        }
    }
    symmetrize(&mut k, n);
    k
}

/// A Aᵀ `[n, n]` for a Gaussian A `[n, rank]` (singular when rank < n).
fn gram(n: usize, rank: usize, seed: u64) -> Vec<f64> {
    let mut rng = rng(seed);
    let a: Vec<f64> = (0..n * rank).map(|_| rng.random_range(-1.0..1.0)).collect();
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..rank).map(|l| a[i * rank + l] * a[j * rank + l]).sum();
            k[i * n + j] = dot;
            k[j * n + i] = dot;
        }
    }
    k
}

fn symmetrize(k: &mut [f64], n: usize) {
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (k[i * n + j] + k[j * n + i]);
            k[i * n + j] = mean;
            k[j * n + i] = mean;
        }
    }
}

#[test]
fn chosen_spectrum_with_a_clustered_bottom_is_found_to_rounding() {
    // λ_max = 1000 far above a bottom cluster 1, 1.001, …: Lanczos on K alone would need many
    // iterations to resolve the cluster; shift-invert separates it.
    let n = 240;
    let mut eigenvalues: Vec<f64> = (0..n).map(|i| 1.0 + 1e-3 * i as f64).collect();
    eigenvalues[n - 1] = 1000.0;
    eigenvalues[n - 2] = 400.0;
    let mut kernel = with_spectrum(&eigenvalues, 1);
    let original = kernel.clone();
    let extremes = extreme_eigenvalues(&mut kernel, n, 3).unwrap();
    assert_eq!(kernel, original, "the kernel is restored bit for bit");
    let expected_smallest = [1.0, 1.001, 1.002];
    for (found, expected) in extremes.smallest.iter().zip(expected_smallest) {
        assert!(
            (found.value - expected).abs() < 1e-11,
            "{found:?} vs {expected}"
        );
        assert!(found.residual < 1e-9, "{found:?}");
    }
    let expected_largest = [1000.0, 400.0, 1.0 + 1e-3 * (n - 3) as f64];
    for (found, expected) in extremes.largest.iter().zip(expected_largest) {
        assert!(
            (found.value - expected).abs() < 1e-9 * expected,
            "{found:?} vs {expected}"
        );
    }
    assert_eq!(extremes.shift, 0.0);
    assert!((extremes.condition_number().unwrap() - 1000.0).abs() < 1e-8);
}

#[test]
fn agrees_with_the_full_decomposition_within_the_residual_bound() {
    for (n, rank, count) in [
        (300, 400, 1),
        (300, 400, 4),
        (90, 200, 2),
        (20, 30, 3),
        (1, 1, 1),
    ] {
        let mut kernel = gram(n, rank, n as u64);
        let full = ntk_spectrum(&kernel, n).unwrap().eigenvalues;
        let extremes = extreme_eigenvalues(&mut kernel, n, count).unwrap();
        assert_eq!(extremes.smallest.len(), count.min(n));
        assert_eq!(extremes.largest.len(), count.min(n));
        let lambda_max = full[n - 1];
        for (k, found) in extremes.smallest.iter().enumerate() {
            let error = (found.value - full[k]).abs();
            // faer's full decomposition is itself accurate to ~n ε λ_max.
            let rounding = 1e-13 * lambda_max * n as f64;
            assert!(
                error <= found.residual + rounding,
                "n {n} k {k}: {found:?} vs {}",
                full[k]
            );
            assert!(
                error <= 1e-9 * full[k],
                "n {n} k {k}: {found:?} vs {}",
                full[k]
            );
        }
        for (k, found) in extremes.largest.iter().enumerate() {
            let expected = full[n - 1 - k];
            assert!(
                (found.value - expected).abs() <= 1e-11 * lambda_max,
                "{found:?} vs {expected}"
            );
        }
    }
}

#[test]
fn singular_kernel_gives_lambda_min_zero_within_its_residual() {
    // rank 100 < n = 300: 200 eigenvalues are 0; the factorization needs a shift.
    let n = 300;
    let mut kernel = gram(n, 100, 7);
    let original = kernel.clone();
    let full = ntk_spectrum(&kernel, n).unwrap().eigenvalues;
    let extremes = extreme_eigenvalues(&mut kernel, n, 2).unwrap();
    assert_eq!(kernel, original);
    let lambda_max = full[n - 1];
    for found in &extremes.smallest {
        assert!(found.value.abs() <= 1e-10 * lambda_max, "{found:?}");
        assert!(found.residual <= 1e-8 * lambda_max, "{found:?}");
    }
    assert!(extremes.shift > 0.0);
    assert_eq!(
        extremes.condition_number().is_some(),
        extremes.lambda_min() > 0.0
    );
    assert!((extremes.lambda_max() - lambda_max).abs() < 1e-11 * lambda_max);
}

#[test]
fn non_finite_entry_is_named() {
    let n = 4;
    let mut kernel = gram(n, 6, 3);
    kernel[2 * n + 1] = f64::NAN;
    let error = extreme_eigenvalues(&mut kernel, n, 1).unwrap_err();
    assert_eq!(error.to_string(), "kernel entry [2, 1] is NaN");
}
