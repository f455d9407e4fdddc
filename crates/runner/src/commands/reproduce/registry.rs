//! The reproductions `overparam reproduce` knows: for each, the seed paper, the claim, the
//! sweeps it runs (specs under `configs/papers/`) and the analysis that decides the verdicts.

use overparam_sweep::reproduce::{
    quadratic, sparse_bias, subquadratic, teacher_student, two_rates, Analysis,
};

use crate::backend::DTypeKind;

/// One sweep of a reproduction.
pub struct Part {
    /// The part's directory name under the reproduction's directory.
    pub name: &'static str,
    /// The spec's file stem in the specs directory: `<stem>.toml` (full scale) and
    /// `<stem>.small.toml` (small scale).
    pub spec: &'static str,
    /// Dtype of every run.
    pub dtype: DTypeKind,
    /// Also compute the analytic NTK K∞ of every finished run (`ntk --method analytic`).
    pub analytic_ntk: bool,
}

/// One reproduction.
pub struct Reproduction {
    /// The name on the command line.
    pub name: &'static str,
    /// The report's title.
    pub title: &'static str,
    /// The paper and the claim in a few sentences.
    pub summary: &'static str,
    /// Its sweeps, in order.
    pub parts: &'static [Part],
    /// Turns the sweeps into verdicts and sections.
    pub analyse: Analysis,
}

/// Every reproduction, in seed-paper order.
pub const REPRODUCTIONS: &[Reproduction] = &[
    Reproduction {
        name: "subquadratic",
        title: "Subquadratic over-parameterization (seed paper 000)",
        summary: "Shallow networks with standard initialization, both layers trained together \
                  by gradient descent, reach zero training loss once the width exceeds a \
                  threshold subquadratic in the number of samples n (a Polyak–Łojasiewicz \
                  argument, no lazy training). Measured: the critical width m*(n) over a width × \
                  n × seed grid and the exponent α of m* ∝ n^α.",
        parts: &[Part {
            name: "sweep",
            spec: "subquadratic",
            dtype: DTypeKind::F32,
            analytic_ntk: false,
        }],
        analyse: subquadratic::analyse,
    },
    Reproduction {
        name: "teacher-student",
        title: "Mildly over-parameterized teacher–student (seed paper 001)",
        summary: "A student with a few more neurons than a k-neuron teacher, trained by \
                  gradient descent, converges to zero loss with every student neuron of \
                  non-negligible weight aligned with a teacher neuron, at a final linear rate \
                  that does not depend on the student's width.",
        parts: &[Part {
            name: "students",
            spec: "teacher-student",
            dtype: DTypeKind::F64,
            analytic_ntk: false,
        }],
        analyse: teacher_student::analyse,
    },
    Reproduction {
        name: "quadratic",
        title: "The landscape of quadratic-activation networks (seed paper 002)",
        summary: "With quadratic activations and output weights fixed with at least d positive \
                  and d negative entries (m ≥ 2d), the training loss has no spurious local \
                  minima, so gradient descent reaches the global minimum from a random start; \
                  for smooth activations with a planted teacher, gradient descent started near \
                  the truth converges linearly.",
        parts: &[
            Part {
                name: "landscape",
                spec: "quadratic-landscape",
                dtype: DTypeKind::F64,
                analytic_ntk: false,
            },
            Part {
                name: "softplus",
                spec: "quadratic-softplus",
                dtype: DTypeKind::F64,
                analytic_ntk: false,
            },
        ],
        analyse: quadratic::analyse,
    },
    Reproduction {
        name: "two-rates",
        title: "Both layers trained at different rates (seed paper 003)",
        summary: "Two-layer ReLU networks on Gaussian inputs with arbitrary labels, both layers \
                  trained by gradient descent at different rates, converge to a global minimum \
                  also outside the NTK regime; early on, the learning-rate-weighted kernel K_η \
                  predicts the rate.",
        parts: &[Part {
            name: "grid",
            spec: "two-rates",
            dtype: DTypeKind::F32,
            analytic_ntk: false,
        }],
        analyse: two_rates::analyse,
    },
    Reproduction {
        name: "sparse-bias",
        title: "Large trainable biases and sparse activation (seed paper 004)",
        summary: "With biases initialized at −B, only a fraction 1 − Φ(B) of the ReLU units is \
                  active; the fraction stays there during training, sparse networks widened \
                  accordingly converge as fast as dense ones, and the trainable bias enters \
                  the smallest eigenvalue of the NTK.",
        parts: &[Part {
            name: "train",
            spec: "sparse-bias",
            dtype: DTypeKind::F32,
            analytic_ntk: true,
        }],
        analyse: sparse_bias::analyse,
    },
];

/// The reproduction called `name`, or an error listing them.
pub fn find(name: &str) -> anyhow::Result<&'static Reproduction> {
    REPRODUCTIONS
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = REPRODUCTIONS.iter().map(|r| r.name).collect();
            anyhow::anyhow!("no reproduction `{name}`; there are: {}", names.join(", "))
        })
}
