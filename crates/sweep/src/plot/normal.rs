//! The standard normal distribution: the complementary error function and the CDF Φ, for the
//! active-fraction prediction 1 − Φ(B).

/// The complementary error function erfc(x) = 1 − erf(x), with fractional error below
/// 1.2·10⁻⁷ everywhere (the Chebyshev fit of Numerical Recipes' `erfcc`).
pub fn erfc(x: f64) -> f64 {
    const C: [f64; 10] = [
        -1.265_512_23,
        1.000_023_68,
        0.374_091_96,
        0.096_784_18,
        -0.186_288_06,
        0.278_868_07,
        -1.135_203_98,
        1.488_515_87,
        -0.822_152_23,
        0.170_872_77,
    ];
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    // Horner's rule for C[0] + t·(C[1] + t·(… + t·C[9])).
    let poly = C.iter().rev().fold(0.0, |acc, &c| c + t * acc);
    let tail = t * (-z * z + poly).exp();
    if x >= 0.0 {
        tail
    } else {
        2.0 - tail
    }
}

/// Φ(x) = P(Z ≤ x) for a standard normal Z, as ½·erfc(−x/√2).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}
