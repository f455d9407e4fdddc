//! The hidden-layer activation σ and its derivative σ′, in one place.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{activation, Tensor};
use overparam_cpu::Nonlinearity;
use serde::{Deserialize, Serialize};

pub use overparam_cpu::SOFTPLUS_THRESHOLD;

/// Activation σ applied elementwise to the pre-activations z = Wx + b.
///
/// | variant | σ(z) | σ′(z) |
/// |---|---|---|
/// | `Relu` | max(z, 0) | 1{z > 0} (0 at the kink, as in the theory) |
/// | `Quadratic` | z² | 2z |
/// | `Softplus` | log(1 + eᶻ), or z for z > 20 | 1/(1 + e⁻ᶻ), or 1 for z > 20 |
///
/// Softplus switches to the identity above [`SOFTPLUS_THRESHOLD`] as Burn and PyTorch do
/// (the two differ there by less than e⁻²⁰ ≈ 2e-9); σ′ follows the same switch, so the
/// hand-derived gradient matches autodiff exactly on both sides of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// σ(z) = max(z, 0).
    Relu,
    /// σ(z) = z² (the quadratic-activation landscape of seed 002).
    Quadratic,
    /// σ(z) = log(1 + eᶻ), a smooth ReLU.
    Softplus,
}

impl Activation {
    /// Every activation, in a fixed order (for tests and `--help`).
    pub const ALL: [Activation; 3] = [
        Activation::Relu,
        Activation::Quadratic,
        Activation::Softplus,
    ];

    /// σ(z), elementwise. Any shape.
    pub fn apply<const D: usize>(self, pre_activations: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => activation::relu(pre_activations),
            Activation::Quadratic => pre_activations.square(),
            Activation::Softplus => {
                activation::softplus_with_threshold(pre_activations, 1.0, SOFTPLUS_THRESHOLD)
            }
        }
    }

    /// σ′(z), elementwise, written from the formula (no autodiff). Any shape.
    ///
    /// For ReLU the derivative at exactly z = 0 is taken as 0, matching Burn's `relu` backward.
    pub fn derivative<const D: usize>(self, pre_activations: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => pre_activations.greater_elem(0.0).float(),
            Activation::Quadratic => pre_activations.mul_scalar(2.0),
            // 1/(1 + e^{−z}) written out: burn-ndarray 0.22.1's `sigmoid` is only f32-accurate
            // in f64 (absolute error ~4e-8), which the 1e-10 gradient test catches.
            Activation::Softplus => {
                let above = pre_activations.clone().greater_elem(SOFTPLUS_THRESHOLD);
                pre_activations
                    .neg()
                    .exp()
                    .add_scalar(1.0)
                    .recip()
                    .mask_fill(above, 1.0)
            }
        }
    }

    /// σ(z) for one number on the host, in f64: the twin of [`Activation::apply`].
    pub fn value(self, z: f64) -> f64 {
        self.nonlinearity().value(z)
    }

    /// σ′(z) for one number on the host, in f64: the twin of [`Activation::derivative`].
    pub fn slope(self, z: f64) -> f64 {
        self.nonlinearity().slope(z)
    }

    /// The same σ for the host kernels of `overparam-cpu` (where its host formulas live).
    pub fn nonlinearity(self) -> Nonlinearity {
        match self {
            Activation::Relu => Nonlinearity::Relu,
            Activation::Quadratic => Nonlinearity::Quadratic,
            Activation::Softplus => Nonlinearity::Softplus,
        }
    }

    /// The name used in config files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Quadratic => "quadratic",
            Activation::Softplus => "softplus",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                format!("unknown activation `{s}`: expected relu, quadratic or softplus")
            })
    }
}
