//! The hidden-layer activation σ and its derivative σ′, in one place.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{activation, Tensor};
use serde::{Deserialize, Serialize};

/// Activation σ applied elementwise to the pre-activations z = Wx + b.
///
/// | variant | σ(z) | σ′(z) |
/// |---|---|---|
/// | `Relu` | max(z, 0) | 1{z > 0} (0 at the kink, as in the theory) |
/// | `Quadratic` | z² | 2z |
/// | `Softplus` | log(1 + eᶻ) | 1/(1 + e⁻ᶻ) |
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
    pub const ALL: [Activation; 3] = [Activation::Relu, Activation::Quadratic, Activation::Softplus];

    /// σ(z), elementwise. Any shape.
    pub fn apply<const D: usize>(self, pre_activations: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => activation::relu(pre_activations),
            Activation::Quadratic => pre_activations.square(),
            Activation::Softplus => activation::softplus(pre_activations, 1.0),
        }
    }

    /// σ′(z), elementwise, written from the formula (no autodiff). Any shape.
    ///
    /// For ReLU the derivative at exactly z = 0 is taken as 0, matching Burn's `relu` backward.
    pub fn derivative<const D: usize>(self, pre_activations: Tensor<D>) -> Tensor<D> {
        match self {
            Activation::Relu => pre_activations.greater_elem(0.0).float(),
            Activation::Quadratic => pre_activations.mul_scalar(2.0),
            Activation::Softplus => activation::sigmoid(pre_activations),
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
            .ok_or_else(|| format!("unknown activation `{s}`: expected relu, quadratic or softplus"))
    }
}
