//! Finding the first NaN or ±∞ in a network's parameters or gradients, by tensor name, so a
//! diverging run can say which tensor broke and where.

use crate::mlp::{Gradients, HostMlp};
use crate::Real;

/// One non-finite entry: the tensor (`w1`, `b2`, `a`, …), its flat row-major index, its value.
#[derive(Clone, Debug, PartialEq)]
pub struct NonFiniteEntry {
    /// The tensor's name (`w<l>`, `b<l>`, `a`).
    pub tensor: String,
    /// Flat (row-major) index of the first non-finite entry.
    pub index: usize,
    /// The value: NaN, inf or -inf.
    pub value: f64,
}

/// The first non-finite entry of `values`, reported as tensor `name`. Every step scans all
/// parameters and gradients, so the common case (all finite) is one branch-free pass that the
/// compiler vectorizes; the position is searched for only when something is non-finite.
pub(crate) fn first_in<T: Real>(
    name: impl FnOnce() -> String,
    values: &[T],
) -> Option<NonFiniteEntry> {
    let any_non_finite = values
        .iter()
        .fold(false, |found, v| found | !v.as_f64().is_finite());
    if !any_non_finite {
        return None;
    }
    values
        .iter()
        .position(|v| !v.as_f64().is_finite())
        .map(|index| NonFiniteEntry {
            tensor: name(),
            index,
            value: values[index].as_f64(),
        })
}

impl<T: Real> HostMlp<T> {
    /// The first parameter entry that is NaN or ±∞, scanning `w1`, `b1`, …, `wL`, `bL`, `a`.
    pub fn first_non_finite(&self) -> Option<NonFiniteEntry> {
        self.layers
            .iter()
            .enumerate()
            .find_map(|(index, layer)| {
                first_in(|| format!("w{}", index + 1), &layer.weight)
                    .or_else(|| first_in(|| format!("b{}", index + 1), &layer.bias))
            })
            .or_else(|| first_in(|| "a".to_string(), &self.output))
    }
}

impl<T: Real> Gradients<T> {
    /// The first gradient entry that is NaN or ±∞ among the trained tensors, scanning
    /// ∂L/∂w1, ∂L/∂b1, …, ∂L/∂a.
    pub fn first_non_finite(&self) -> Option<NonFiniteEntry> {
        let optional = |name: String, values: &Option<Vec<T>>| {
            values.as_ref().and_then(|v| first_in(|| name, v))
        };
        self.weights
            .iter()
            .zip(&self.biases)
            .enumerate()
            .find_map(|(index, (w, b))| {
                optional(format!("w{}", index + 1), w)
                    .or_else(|| optional(format!("b{}", index + 1), b))
            })
            .or_else(|| optional("a".to_string(), &self.output))
    }
}
