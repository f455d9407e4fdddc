//! Operations on curves (lists of (step, value) points): thinning for drawing, and the mean
//! over runs.

use std::collections::BTreeMap;

use super::axis::Scale;

/// At most `max` points of `points`, evenly strided, always keeping the last one (curves of
/// thousands of steps look the same with a few hundred points and keep the SVG small).
pub fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 2 {
        return points;
    }
    let stride = points.len().div_ceil(max - 1);
    let last = points[points.len() - 1];
    let mut kept: Vec<(f64, f64)> = points.into_iter().step_by(stride).collect();
    if kept.last() != Some(&last) {
        kept.push(last);
    }
    kept
}

/// The mean of `lines` at the steps all of them have: the geometric mean on a log axis (of
/// the positive values), the arithmetic mean on a linear one.
pub fn mean_curve(lines: &[&Vec<(f64, f64)>], scale: Scale) -> Vec<(f64, f64)> {
    let log = scale == Scale::Log;
    let mut at: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for line in lines {
        for &(step, v) in line.iter().filter(|p| scale.shows(p.1)) {
            let u = if log { v.ln() } else { v };
            at.entry(step.round() as i64).or_default().push(u);
        }
    }
    at.into_iter()
        .filter(|(_, us)| us.len() == lines.len())
        .map(|(step, us)| {
            let mean = us.iter().sum::<f64>() / us.len() as f64;
            (step as f64, if log { mean.exp() } else { mean })
        })
        .collect()
}
