//! The reproductions `overparam reproduce` knows. Each paper's entry lives beside its
//! analysis, as its module's `REPRODUCTION`; this is the list of them.

use crate::{quadratic, sparse_bias, subquadratic, teacher_student, two_rates, Reproduction};

/// Every reproduction, in seed-paper order.
pub const REPRODUCTIONS: &[Reproduction] = &[
    subquadratic::REPRODUCTION,
    teacher_student::REPRODUCTION,
    quadratic::REPRODUCTION,
    two_rates::REPRODUCTION,
    sparse_bias::REPRODUCTION,
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
