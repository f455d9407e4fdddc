//! How a quadratic landscape run ended: a global minimum, still descending, or — where it
//! stalled — a saddle or a spurious local minimum, by the least eigenvalue of the loss Hessian
//! that `overparam hessian` wrote at its final parameters. The rules are the constants here,
//! fixed before the data: quoted in the verdict's criterion, and stated with the same values
//! in the spec's `[criteria]` (the part's criteria list them).

use std::path::Path;

use serde_json::Value;

/// The loss counted as the global minimum.
pub(super) const GLOBAL_MINIMUM_LOSS: f64 = 1e-10;
pub(super) use crate::{late_loss_ratio, STALL_RATIO};
/// A stalled point is a saddle when λ_min(∇²L) < −this · λ_max (f64 eigenvalues of a
/// Hessian with exact zero directions come out at ~1e-15 · λ_max).
pub(super) const NEGATIVE_CURVATURE: f64 = 1e-6;
/// The largest relative disagreement between the closed-form Hessian and central differences
/// of the gradient at which the Hessian is used.
pub(super) const HESSIAN_CHECK: f64 = 1e-5;

/// Where one landscape run ended, classified by the criteria fixed in this module's
/// constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum EndPoint {
    /// Loss below [`GLOBAL_MINIMUM_LOSS`].
    GlobalMinimum,
    /// Stalled with negative curvature: λ_min(∇²L) < −[`NEGATIVE_CURVATURE`] · λ_max.
    Saddle,
    /// Stalled, loss above the global minimum, no negative curvature.
    SpuriousMinimum,
    /// The loss still falling: L_end / L at 80% of the budget below [`STALL_RATIO`].
    StillDescending,
    /// Stalled, but without a usable Hessian (missing, or failing its finite-difference check).
    Unmeasured,
}

/// What `overparam hessian` recorded at a run's final parameters.
#[derive(Clone, Copy, Debug)]
pub(super) struct Curvature {
    /// λ_min(∇²L).
    pub(super) least: f64,
    /// λ_max(∇²L).
    pub(super) greatest: f64,
    /// ‖∂L/∂W‖.
    pub(super) gradient_norm: f64,
    /// Max |H − differences of the gradient| over max |H|.
    pub(super) check: f64,
}

/// `runs/<id>/hessian/summary.json` of the landscape part, if there.
pub(super) fn curvature(part: &Path, id: &str) -> Option<Curvature> {
    let path = part.join("runs").join(id).join("hessian/summary.json");
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(Curvature {
        least: summary["hessian_min_eigenvalue"].as_f64()?,
        greatest: summary["hessian_max_eigenvalue"].as_f64()?,
        gradient_norm: summary["gradient_norm"].as_f64()?,
        check: summary["finite_difference"]["relative"].as_f64()?,
    })
}

/// The class of a run's end point from its final loss, its late loss ratio and the Hessian
/// there.
pub(super) fn classify(
    final_loss: f64,
    late_ratio: Option<f64>,
    curvature: Option<Curvature>,
) -> EndPoint {
    if final_loss < GLOBAL_MINIMUM_LOSS {
        return EndPoint::GlobalMinimum;
    }
    if late_ratio.is_none_or(|ratio| ratio < STALL_RATIO) {
        return EndPoint::StillDescending;
    }
    match curvature {
        Some(c) if c.check > HESSIAN_CHECK => EndPoint::Unmeasured,
        Some(c) if c.least < -NEGATIVE_CURVATURE * c.greatest => EndPoint::Saddle,
        Some(_) => EndPoint::SpuriousMinimum,
        None => EndPoint::Unmeasured,
    }
}

/// Counts of each [`EndPoint`], in the table's order.
#[derive(Clone, Debug, Default)]
pub(super) struct Tally {
    pub(super) global: usize,
    pub(super) saddle: usize,
    pub(super) spurious: usize,
    pub(super) descending: usize,
    pub(super) unmeasured: usize,
    pub(super) runs: usize,
}

impl Tally {
    pub(super) fn add(&mut self, point: EndPoint) {
        self.runs += 1;
        match point {
            EndPoint::GlobalMinimum => self.global += 1,
            EndPoint::Saddle => self.saddle += 1,
            EndPoint::SpuriousMinimum => self.spurious += 1,
            EndPoint::StillDescending => self.descending += 1,
            EndPoint::Unmeasured => self.unmeasured += 1,
        }
    }

    pub(super) fn merge(&mut self, other: &Tally) {
        self.global += other.global;
        self.saddle += other.saddle;
        self.spurious += other.spurious;
        self.descending += other.descending;
        self.unmeasured += other.unmeasured;
        self.runs += other.runs;
    }

    pub(super) fn text(&self) -> String {
        let mut text = format!(
            "{} global minima, {} saddles, {} spurious local minima, {} still descending",
            self.global, self.saddle, self.spurious, self.descending
        );
        if self.unmeasured > 0 {
            text += &format!(", {} stalled without a usable Hessian", self.unmeasured);
        }
        text + &format!(" (of {})", self.runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(least: f64, check: f64) -> Option<Curvature> {
        Some(Curvature {
            least,
            greatest: 10.0,
            gradient_norm: 1e-9,
            check,
        })
    }

    #[test]
    fn end_points_are_classified_by_the_fixed_rules() {
        // Loss below 1e-10: a global minimum whatever else holds.
        assert_eq!(
            classify(1e-11, Some(1.0), at(-1.0, 0.0)),
            EndPoint::GlobalMinimum
        );
        // Still falling over the last fifth: not stalled, whatever the curvature.
        assert_eq!(
            classify(1e-3, Some(0.5), at(-1.0, 0.0)),
            EndPoint::StillDescending
        );
        assert_eq!(classify(1e-3, None, None), EndPoint::StillDescending);
        // Stalled: negative curvature beyond 1e-6 · λ_max is a saddle…
        assert_eq!(classify(1e-3, Some(0.95), at(-1e-4, 0.0)), EndPoint::Saddle);
        // …rounding-level negatives and zero directions are not.
        assert_eq!(
            classify(1e-3, Some(0.95), at(-1e-14, 0.0)),
            EndPoint::SpuriousMinimum
        );
        assert_eq!(
            classify(1e-3, Some(1.0), at(0.0, 0.0)),
            EndPoint::SpuriousMinimum
        );
        // No Hessian, or one that failed its check against differences of the gradient.
        assert_eq!(classify(1e-3, Some(1.0), None), EndPoint::Unmeasured);
        assert_eq!(
            classify(1e-3, Some(1.0), at(-1.0, 1e-3)),
            EndPoint::Unmeasured
        );
    }

    #[test]
    fn tallies_count_and_say_each_class() {
        let mut tally = Tally::default();
        for point in [
            EndPoint::GlobalMinimum,
            EndPoint::GlobalMinimum,
            EndPoint::Saddle,
            EndPoint::StillDescending,
        ] {
            tally.add(point);
        }
        assert_eq!(
            tally.text(),
            "2 global minima, 1 saddles, 0 spurious local minima, 1 still descending (of 4)"
        );
        tally.add(EndPoint::Unmeasured);
        assert!(tally
            .text()
            .contains("1 stalled without a usable Hessian (of 5)"));
    }
}
