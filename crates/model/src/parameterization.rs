//! The three scalings of a network: where the width m enters, at initialisation
//! and in the output scale s of f(x) = s · Σ_r a_r σ(w_r·x + b_r).

use std::fmt;

use serde::{Deserialize, Serialize};

/// How the width m enters the network f(x) = s · Σ_{r=1..m} a_r σ(w_r·x + b_r).
///
/// | variant | output scale s | w_r | a_r |
/// |---|---|---|---|
/// | `Ntk` | 1/√m | N(0, I_d) | N(0, 1) or ±1 |
/// | `Standard` | 1 | N(0, I_d/d) | N(0, 1/m) (or ±1/√m) |
/// | `MeanField` | 1/m | N(0, I_d) | N(0, 1) or ±1 |
///
/// `Ntk` is the scaling of Jacot et al. (2018) and Du et al. (2019); `Standard` is the
/// LeCun/PyTorch-style initialisation with all the width dependence in the weights (seed 000);
/// `MeanField` is the scaling of Mei–Montanari–Nguyen (2018), under which the NTK vanishes
/// like 1/m and the features move at order one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parameterization {
    /// s = 1/√m, unit-variance weights.
    Ntk,
    /// s = 1, W ~ N(0, 1/d), a ~ N(0, 1/m).
    Standard,
    /// s = 1/m, unit-variance weights.
    MeanField,
}

impl Parameterization {
    /// Every parameterization, in a fixed order.
    pub const ALL: [Parameterization; 3] = [
        Parameterization::Ntk,
        Parameterization::Standard,
        Parameterization::MeanField,
    ];

    /// The output scale s multiplying Σ_r a_r σ(w_r·x + b_r), for width m.
    pub fn output_scale(self, width: usize) -> f64 {
        let m = width as f64;
        match self {
            Parameterization::Ntk => 1.0 / m.sqrt(),
            Parameterization::Standard => 1.0,
            Parameterization::MeanField => 1.0 / m,
        }
    }

    /// Standard deviation of each entry of W at initialisation, for input dimension d.
    pub fn hidden_weight_std(self, input_dim: usize) -> f64 {
        match self {
            Parameterization::Standard => 1.0 / (input_dim as f64).sqrt(),
            Parameterization::Ntk | Parameterization::MeanField => 1.0,
        }
    }

    /// Standard deviation (or magnitude, for ±1 output weights) of each a_r at initialisation.
    pub fn output_weight_std(self, width: usize) -> f64 {
        match self {
            Parameterization::Standard => 1.0 / (width as f64).sqrt(),
            Parameterization::Ntk | Parameterization::MeanField => 1.0,
        }
    }

    /// The name used in config files.
    pub fn name(self) -> &'static str {
        match self {
            Parameterization::Ntk => "ntk",
            Parameterization::Standard => "standard",
            Parameterization::MeanField => "mean_field",
        }
    }
}

impl fmt::Display for Parameterization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Law of the output weights a_r at initialisation (scaled by
/// [`Parameterization::output_weight_std`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputInit {
    /// a_r ~ N(0, std²).
    Gaussian,
    /// a_r = ±std with probability ½ each (Du et al. 2019 fix |a_r| = 1).
    Sign,
    /// a_r = +std for the first ⌈m/2⌉ units and −std for the rest: both signs in equal
    /// numbers (Soltanolkotabi–Javanmard–Lee 2017 need at least d of each).
    BalancedSign,
}
