//! Reference numerics written out for the tests, independent of the library's kernel and
//! regression code: a deterministic generator, a direct linear solve, matrix–vector products and
//! relative errors. Plain `std`, so that the tests of `overparam-api` and `overparam-runner`
//! include this same file by path (`#[path]` in their `tests/common/mod.rs`).
#![allow(dead_code)]

/// A small deterministic generator (splitmix64) of numbers uniform on [−1, 1).
pub struct Numbers(pub u64);

impl Numbers {
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // Uniform on [−1, 1).
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    pub fn vector(&mut self, len: usize) -> Vec<f64> {
        (0..len).map(|_| self.next()).collect()
    }
}

/// The first `count` numbers of the generator started at `seed`.
pub fn pseudo_random(seed: u64, count: usize) -> Vec<f64> {
    Numbers(seed).vector(count)
}

/// Solves (A + ρI) w = b for A `[n, n]` (row-major, n = b's length) by Gaussian elimination
/// with partial pivoting.
///
/// # Panics
/// Panics on an exactly zero pivot (a singular system).
pub fn solve(matrix: &[f64], ridge: f64, rhs: &[f64]) -> Vec<f64> {
    let n = rhs.len();
    let mut a: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut row: Vec<f64> = matrix[i * n..(i + 1) * n].to_vec();
            row[i] += ridge;
            row.push(rhs[i]);
            row
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        assert!(a[col][col] != 0.0, "singular in the direct solve");
        for row in col + 1..n {
            let factor = a[row][col] / a[col][col];
            for c in col..=n {
                a[row][c] -= factor * a[col][c];
            }
        }
    }
    let mut w = vec![0.0; n];
    for i in (0..n).rev() {
        let tail: f64 = (i + 1..n).map(|j| a[i][j] * w[j]).sum();
        w[i] = (a[i][n] - tail) / a[i][i];
    }
    w
}

/// A w for A `[rows, n]` row-major (n = w's length).
pub fn times(matrix: &[f64], w: &[f64]) -> Vec<f64> {
    matrix
        .chunks_exact(w.len())
        .map(|row| row.iter().zip(w).map(|(a, b)| a * b).sum())
        .collect()
}

/// max_i |got_i − want_i| / max_i |want_i| (0 when both are zero).
pub fn relative_error(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = got
        .iter()
        .zip(want)
        .fold(0.0f64, |m, (g, w)| m.max((g - w).abs()));
    if scale == 0.0 {
        diff
    } else {
        diff / scale
    }
}
