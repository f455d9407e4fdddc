//! ReLU's Gaussian expectations with a constant bias B: E[relu(u) relu(u′)] and
//! P(u > 0, u′ > 0) for (u, u′) ~ N((B, B), [[q₁, c], [c, q₂]]), by adaptive quadrature over u
//! with the inner expectation over u′ | u in closed form (see the parent module's docs).

use std::f64::consts::PI;

/// (E[relu(u) relu(u′)], P(u > 0, u′ > 0)) for the Gaussian pair of the module doc.
pub(super) fn relu_moments(bias: f64, q1: f64, q2: f64, c: f64) -> (f64, f64) {
    let (s1, s2) = (q1.sqrt(), q2.sqrt());
    if s1 == 0.0 || s2 == 0.0 {
        // One of the pair is the constant B: relu(B) times the other's E[relu], P(> 0).
        let s = s1.max(s2);
        let (mean_relu, mean_step) = if s == 0.0 {
            (bias.max(0.0), f64::from(u8::from(bias > 0.0)))
        } else {
            (s * ramp_mean(bias / s), normal_cdf(bias / s))
        };
        return (
            bias.max(0.0) * mean_relu,
            f64::from(u8::from(bias > 0.0)) * mean_step,
        );
    }
    let rho = (c / (s1 * s2)).clamp(-1.0, 1.0);
    if bias == 0.0 {
        let theta = rho.acos();
        let degree_one = s1 * s2 * (theta.sin() + (PI - theta) * rho) / (2.0 * PI);
        return (degree_one, (PI - theta) / (2.0 * PI));
    }
    let pair = ConditionedPair::new(bias, q1, q2, c);
    (
        pair.integral(Moment::Product),
        pair.integral(Moment::Orthant),
    )
}

/// Which expectation of the biased pair [`ConditionedPair::integral`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moment {
    /// E[relu(u) relu(u′)].
    Product,
    /// P(u > 0, u′ > 0).
    Orthant,
}

/// The pair (u, u′) written as u = B + s₁ξ, ξ ~ N(0, 1), and u′ | ξ ~ N(μ(ξ), τ²) with
/// μ(ξ) = B + s₂ρξ and τ = s₂√(1 − ρ²). Both moments are one-dimensional integrals over
/// η = ξ − ξ₀ ≥ 0 from the point ξ₀ = −B/s₁ where u turns on:
///
/// - E[relu(u) relu(u′)] = ∫ s₁η · τψ(μ/τ) · φ(ξ₀ + η) dη, ψ(t) = E[max(Z + t, 0)];
/// - P(u > 0, u′ > 0) = ∫ Φ(μ/τ) · φ(ξ₀ + η) dη.
///
/// Each integrand is a product of log-concave factors with φ among them, so log f is
/// 1-strongly concave: f(η) ≤ f(η*) e^{−(η − η*)²/2} around its mode η*. The integral is
/// therefore taken over η* ± [`WINDOW`] only (the rest is below 1e-19 of the peak), found by
/// bisection on (log f)′, by adaptive Gauss–Legendre quadrature split at the mode and at the
/// kink μ = 0 of the inner factor (sharp, of width ≈ √(1 − ρ²)/|ρ|, as ρ → ±1). Every factor
/// is evaluated without cancellation ([`ramp_mean`]), so the result is accurate to a few units
/// of roundoff relative to itself, also far in the tails (measured against mpmath in
/// `tests/analytic_bias.rs` over B ∈ [−3, 3], |ρ| ≤ 0.999: ≤ 2e-14 relative for values above
/// 1e-100, ≤ 1e-13 below).
pub(super) struct ConditionedPair {
    /// s₁ = √q₁, the standard deviation of u.
    s1: f64,
    /// s₂ρ: the slope of μ in ξ.
    slope: f64,
    /// τ = s₂√(1 − ρ²), 0 when u′ is a function of u.
    tau: f64,
    /// ξ₀ = −B/s₁.
    xi0: f64,
    /// μ(ξ₀) = B + s₂ρξ₀.
    mean0: f64,
}

/// Half-width of the integration window around the integrand's mode: e^{−9²/2} < 3e-18.
const WINDOW: f64 = 9.0;
/// Longest panel the adaptive quadrature starts from.
const PANEL: f64 = 4.0;
/// Relative tolerance of the adaptive quadrature (on the difference of two successive
/// estimates, each far more accurate than that difference).
const TOLERANCE: f64 = 1e-15;
/// The relative roundoff of a 16-term Gauss–Legendre sum, with margin: two estimates of a
/// panel that agree this well have converged.
const ROUNDOFF: f64 = 64.0 * f64::EPSILON;

impl ConditionedPair {
    /// The pair for u ~ N(B, q₁), u′ ~ N(B, q₂), covariance c (q₁ > 0): s₂ρ = c/√q₁ and
    /// τ² = (q₁q₂ − c²)/q₁, the Gram determinant taken with error-free products so that it
    /// keeps its digits as ρ → ±1 (where 1 − ρ² from a rounded ρ would not).
    fn new(bias: f64, q1: f64, q2: f64, c: f64) -> Self {
        let s1 = q1.sqrt();
        let xi0 = -bias / s1;
        let slope = c / s1;
        let (product, square) = (q1 * q2, c * c);
        let determinant = (product - square) + (q1.mul_add(q2, -product) - c.mul_add(c, -square));
        let tau = (determinant.max(0.0) / q1).sqrt();
        Self {
            s1,
            slope,
            tau,
            xi0,
            mean0: bias + slope * xi0,
        }
    }

    /// The conditional mean μ of u′ at η.
    fn mean(&self, eta: f64) -> f64 {
        self.mean0 + self.slope * eta
    }

    /// The integrand of `moment` at η ≥ 0.
    fn value(&self, moment: Moment, eta: f64) -> f64 {
        let mu = self.mean(eta);
        let inner = match (moment, self.tau > 0.0) {
            (Moment::Product, true) => self.s1 * eta * self.tau * ramp_mean(mu / self.tau),
            (Moment::Product, false) => self.s1 * eta * mu.max(0.0),
            (Moment::Orthant, true) => normal_cdf(mu / self.tau),
            (Moment::Orthant, false) => f64::from(u8::from(mu > 0.0)),
        };
        inner * normal_pdf(self.xi0 + eta)
    }

    /// (log f)′ at η inside the support: decreasing in η (log-concavity).
    fn log_slope(&self, moment: Moment, eta: f64) -> f64 {
        let mu = self.mean(eta);
        let inner = match (moment, self.tau > 0.0) {
            (Moment::Product, true) => {
                1.0 / eta + self.slope * ramp_log_slope(mu / self.tau) / self.tau
            }
            (Moment::Product, false) => 1.0 / eta + self.slope / mu,
            (Moment::Orthant, true) => self.slope * cdf_log_slope(mu / self.tau) / self.tau,
            (Moment::Orthant, false) => 0.0,
        };
        inner - (self.xi0 + eta)
    }

    /// η where μ = 0, if μ varies.
    fn kink(&self) -> Option<f64> {
        (self.slope != 0.0).then(|| -self.mean0 / self.slope)
    }

    /// The support [lo, hi] in η (hi may be infinite), or `None` when empty: with τ = 0 the
    /// inner factor vanishes where μ ≤ 0.
    fn support(&self) -> Option<(f64, f64)> {
        if self.tau > 0.0 {
            return Some((0.0, f64::INFINITY));
        }
        match self.kink() {
            Some(kink) if self.slope > 0.0 => Some((kink.max(0.0), f64::INFINITY)),
            Some(kink) if kink > 0.0 => Some((0.0, kink)),
            Some(_) => None,
            None => (self.mean0 > 0.0).then_some((0.0, f64::INFINITY)),
        }
    }

    /// The mode of the integrand on [lo, hi], by bisection on (log f)′.
    fn mode(&self, moment: Moment, lo: f64, hi: f64) -> f64 {
        let rising = |eta: f64| self.log_slope(moment, eta) > 0.0;
        if !rising(lo) {
            return lo;
        }
        let mut right = if hi.is_finite() { hi } else { lo + 1.0 };
        for _ in 0..64 {
            if hi.is_finite() || !rising(right) {
                break;
            }
            right = lo + 2.0 * (right - lo);
        }
        if rising(right) {
            return right;
        }
        let mut left = lo;
        for _ in 0..200 {
            let middle = 0.5 * (left + right);
            if right - left <= 1e-6 * (1.0 + middle.abs()) {
                break;
            }
            if rising(middle) {
                left = middle;
            } else {
                right = middle;
            }
        }
        0.5 * (left + right)
    }

    /// The moment, as described on the type.
    fn integral(&self, moment: Moment) -> f64 {
        let Some((lo, hi)) = self.support() else {
            return 0.0;
        };
        let peak = self.mode(moment, lo, hi);
        let (a, b) = ((peak - WINDOW).max(lo), (peak + WINDOW).min(hi));
        let mut breaks = vec![a, b];
        breaks.extend(
            [Some(peak), self.kink()]
                .into_iter()
                .flatten()
                .filter(|&x| a < x && x < b),
        );
        breaks.sort_by(f64::total_cmp);
        let f = |eta: f64| self.value(moment, eta);
        adaptive_integral(&f, &breaks)
    }
}

/// ∫ f over [breaks[0], breaks[last]] for f ≥ 0 smooth between consecutive breaks: panels of
/// at most [`PANEL`], each bisected until 16-point Gauss–Legendre on it and on its halves agree
/// to [`TOLERANCE`] of the whole integral (estimated from the panels first).
pub(super) fn adaptive_integral(f: &impl Fn(f64) -> f64, breaks: &[f64]) -> f64 {
    let mut panels = Vec::new();
    for piece in breaks.windows(2) {
        let count = ((piece[1] - piece[0]) / PANEL).ceil().max(1.0);
        let width = (piece[1] - piece[0]) / count;
        for k in 0..count as usize {
            let a = piece[0] + k as f64 * width;
            let b = if k + 1 == count as usize {
                piece[1]
            } else {
                a + width
            };
            panels.push((a, b, gauss_legendre(a, b, f)));
        }
    }
    let estimate: f64 = panels.iter().map(|p| p.2).sum();
    let length = breaks[breaks.len() - 1] - breaks[0];
    if estimate == 0.0 || length <= 0.0 {
        return estimate;
    }
    panels
        .into_iter()
        .map(|(a, b, whole)| {
            let tolerance = TOLERANCE * estimate * (b - a) / length;
            refine(f, a, b, whole, tolerance, 60)
        })
        .sum()
}

/// ∫_a^b f given `whole` = the Gauss–Legendre value on [a, b]: the sum over the halves when it
/// agrees with `whole` to `tolerance`, else each half refined in turn.
pub(super) fn refine(
    f: &impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    whole: f64,
    tolerance: f64,
    depth: u32,
) -> f64 {
    let middle = 0.5 * (a + b);
    let (left, right) = (gauss_legendre(a, middle, f), gauss_legendre(middle, b, f));
    // Below the roundoff of the sums themselves the two estimates cannot agree any better.
    let floor = ROUNDOFF * (left.abs() + right.abs());
    if depth == 0 || (left + right - whole).abs() <= tolerance.max(floor) {
        return left + right;
    }
    refine(f, a, middle, left, 0.5 * tolerance, depth - 1)
        + refine(f, middle, b, right, 0.5 * tolerance, depth - 1)
}

/// Below −this the closed forms of ψ and ψ₂ cancel by more than ~10×; the continued fraction
/// takes over.
const TAIL: f64 = 3.0;

/// ψ(t) = E[max(Z + t, 0)] = tΦ(t) + φ(t), Z ~ N(0, 1). For t < −3 the two terms nearly cancel
/// (ψ ≈ φ(t)/t²), and ψ(t) = Φ(t)·T₁(−t) instead ([`tail_fractions`]).
pub(super) fn ramp_mean(t: f64) -> f64 {
    if t < -TAIL {
        normal_cdf(t) * tail_fractions(-t).0
    } else {
        t * normal_cdf(t) + normal_pdf(t)
    }
}

/// ψ₂(t) = E[max(Z + t, 0)²] = (1 + t²)Φ(t) + tφ(t); for t < −2 (where that cancels),
/// Φ(t)·T₁(−t)·T₂(−t).
pub(super) fn ramp_second_moment(t: f64) -> f64 {
    if t < -2.0 {
        let (t1, t2) = tail_fractions(-t);
        normal_cdf(t) * t1 * t2
    } else {
        (1.0 + t * t) * normal_cdf(t) + t * normal_pdf(t)
    }
}

/// ψ′/ψ = Φ(t)/ψ(t), without underflow: 1/T₁(−t) in the left tail.
pub(super) fn ramp_log_slope(t: f64) -> f64 {
    if t < -TAIL {
        1.0 / tail_fractions(-t).0
    } else {
        normal_cdf(t) / ramp_mean(t)
    }
}

/// Φ′/Φ = φ(t)/Φ(t), without underflow: −t + T₁(−t) in the left tail (Mills' ratio).
pub(super) fn cdf_log_slope(t: f64) -> f64 {
    if t < -TAIL {
        -t + tail_fractions(-t).0
    } else {
        normal_pdf(t) / normal_cdf(t)
    }
}

/// (T₁(x), T₂(x)) for x ≥ 2, from Laplace's continued fraction of Mills' ratio
/// (1 − Φ(x))/φ(x) = 1/(x + T₁), T_j = j/(x + T_{j+1}), evaluated backward from depth
/// 8 + 700/x² (within 2 units of roundoff of the exact values for x ≥ 2, checked against
/// mpmath). Then E[max(Z − x, 0)] = (1 − Φ(x))T₁ and E[max(Z − x, 0)²] = (1 − Φ(x))T₁T₂.
pub(super) fn tail_fractions(x: f64) -> (f64, f64) {
    let depth = 8 + (700.0 / (x * x)) as usize;
    let mut next = 0.0;
    let mut second = 0.0;
    for j in (1..=depth).rev() {
        if j == 1 {
            second = next;
        }
        next = j as f64 / (x + next);
    }
    (next, second)
}

/// Φ(x), the standard normal CDF, to full f64 relative accuracy in both tails.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// φ(x), the standard normal density.
pub(super) fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// ∫_a^b f by the 16-point Gauss–Legendre rule.
pub(super) fn gauss_legendre(a: f64, b: f64, f: &impl Fn(f64) -> f64) -> f64 {
    let (nodes, weights) = legendre_rule();
    let (center, half) = (0.5 * (a + b), 0.5 * (b - a));
    let sum: f64 = nodes
        .iter()
        .zip(weights)
        .map(|(x, w)| w * f(center + half * x))
        .sum();
    half * sum
}

/// Nodes and weights of the 16-point Gauss–Legendre rule on [−1, 1], by Newton's method on
/// the Legendre recurrence (computed once).
pub(super) fn legendre_rule() -> &'static ([f64; 16], [f64; 16]) {
    static RULE: std::sync::OnceLock<([f64; 16], [f64; 16])> = std::sync::OnceLock::new();
    RULE.get_or_init(|| {
        const N: usize = 16;
        let (mut nodes, mut weights) = ([0.0; N], [0.0; N]);
        for i in 0..N {
            let mut x = (PI * (i as f64 + 0.75) / (N as f64 + 0.5)).cos();
            let mut derivative = 0.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=N {
                    let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                    p0 = p1;
                    p1 = p2;
                }
                derivative = N as f64 * (x * p1 - p0) / (x * x - 1.0);
                let step = p1 / derivative;
                x -= step;
                if step.abs() < 1e-16 {
                    break;
                }
            }
            nodes[i] = x;
            weights[i] = 2.0 / ((1.0 - x * x) * derivative * derivative);
        }
        (nodes, weights)
    })
}
