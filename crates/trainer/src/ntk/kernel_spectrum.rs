//! A kernel's spectrum the way its size allows: every eigenvalue (faer's full self-adjoint
//! decomposition, O(n³) with a large constant) or only the extremes (Krylov–Schur, see
//! [`extreme_eigenvalues`]), chosen by the caller or by n.

use super::{extreme_eigenvalues, ntk_spectrum, ExtremeEigenvalues, Spectrum, SpectrumError};

/// Up to this many samples [`SpectrumMethod::Auto`] takes the full decomposition (about 5 s
/// at n = 4096 on 2 cores); above, the extremes (the full one takes ~40 s at n = 8192).
pub const AUTO_FULL_MAX_SAMPLES: usize = 4096;

/// How a kernel's eigenvalues are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpectrumMethod {
    /// All n eigenvalues.
    Full,
    /// The `count` smallest and `count` largest, each with its residual bound.
    Extremes {
        /// How many at each end (≥ 1).
        count: usize,
    },
    /// [`SpectrumMethod::Full`] up to [`AUTO_FULL_MAX_SAMPLES`], else the extremes.
    Auto {
        /// How many at each end when the extremes are taken.
        count: usize,
    },
}

impl SpectrumMethod {
    /// Full or extremes, for a kernel of `n` samples.
    pub fn resolved(self, n: usize) -> Self {
        match self {
            SpectrumMethod::Auto { count } if n > AUTO_FULL_MAX_SAMPLES => {
                SpectrumMethod::Extremes { count }
            }
            SpectrumMethod::Auto { .. } => SpectrumMethod::Full,
            other => other,
        }
    }
}

/// The eigenvalues that were computed.
#[derive(Clone, Debug, PartialEq)]
pub enum KernelSpectrum {
    /// All of them.
    Full(Spectrum),
    /// The extremes, with residuals.
    Extremes(ExtremeEigenvalues),
}

impl KernelSpectrum {
    /// The spectrum of the symmetric `[n, n]` `kernel` (row-major) by `method`; `kernel` is
    /// used as workspace by the extremes and restored bit for bit.
    pub fn of(kernel: &mut [f64], n: usize, method: SpectrumMethod) -> Result<Self, SpectrumError> {
        Ok(match method.resolved(n) {
            SpectrumMethod::Extremes { count } => {
                KernelSpectrum::Extremes(extreme_eigenvalues(kernel, n, count)?)
            }
            _ => KernelSpectrum::Full(ntk_spectrum(kernel, n)?),
        })
    }

    /// λ_min.
    pub fn lambda_min(&self) -> f64 {
        match self {
            KernelSpectrum::Full(full) => full.ntk_min_eigenvalue(),
            KernelSpectrum::Extremes(extremes) => extremes.lambda_min(),
        }
    }

    /// λ_max.
    pub fn lambda_max(&self) -> f64 {
        match self {
            KernelSpectrum::Full(full) => full.ntk_max_eigenvalue(),
            KernelSpectrum::Extremes(extremes) => extremes.lambda_max(),
        }
    }

    /// κ = λ_max/λ_min, or `None` when λ_min ≤ 0.
    pub fn condition_number(&self) -> Option<f64> {
        match self {
            KernelSpectrum::Full(full) => full.condition_number(),
            KernelSpectrum::Extremes(extremes) => extremes.condition_number(),
        }
    }

    /// `full` or `krylov`: how the values were computed.
    pub fn method_name(&self) -> &'static str {
        match self {
            KernelSpectrum::Full(_) => "full",
            KernelSpectrum::Extremes(_) => "krylov",
        }
    }
}
