//! When a run diverges: what turned non-finite first — a parameter, the loss, a gradient or
//! the kernel — named by tensor and flat index, and the last finite loss before it.
//!
//! Both engines check the same things in the same order at every step t: θ_t, then L(θ_t),
//! then ∂L/∂θ at θ_t (then, on kernel steps, the NTK), so that the fused and autodiff
//! engines report the same step and the same tensor.

use std::fmt;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Gradients, Tensor};
use overparam_model::{host_values, Mlp, ParameterId, ParameterVisitor};

use crate::ntk::SpectrumError;

pub use overparam_cpu::NonFiniteEntry;

/// What became NaN or ±∞.
#[derive(Clone, Debug, PartialEq)]
pub enum Divergence {
    /// The full-batch (or, under SGD, mini-batch) loss.
    Loss(f64),
    /// An entry of the parameters θ_t.
    Parameter(NonFiniteEntry),
    /// An entry of the gradient ∂L/∂θ at θ_t.
    Gradient(NonFiniteEntry),
    /// The NTK (or its learning-rate-weighted form) measured at θ_t.
    Kernel(SpectrumError),
    /// A logged column beyond the training loss: the held-out loss or a linearized-network
    /// column (`test_loss`, `loss_lin`, …).
    Metric {
        /// The `metrics.csv` column.
        column: &'static str,
        /// Its value.
        value: f64,
    },
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entry = |f: &mut fmt::Formatter<'_>, what: &str, e: &NonFiniteEntry| {
            write!(
                f,
                "{what} `{}` holds {} (flat index {})",
                e.tensor, e.value, e.index
            )
        };
        match self {
            Divergence::Loss(loss) => write!(f, "loss = {loss}"),
            Divergence::Parameter(e) => entry(f, "parameter", e),
            Divergence::Gradient(e) => entry(f, "the gradient of", e),
            Divergence::Kernel(error) => write!(f, "the NTK: {error}"),
            Divergence::Metric { column, value } => write!(f, "{column} = {value}"),
        }
    }
}

/// The last finite full-batch loss a run computed, and its step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FiniteLoss {
    /// The step (gradient steps applied before it).
    pub step: usize,
    /// L(θ_step).
    pub loss: f64,
}

/// The first NaN/±∞ entry of `tensor`, reported as parameter `name`: one reduction on the
/// device, and a host copy only when something is non-finite.
pub fn first_non_finite_in<const D: usize>(
    name: &str,
    tensor: &Tensor<D>,
) -> Option<NonFiniteEntry> {
    if tensor.clone().is_finite().all().into_scalar::<bool>() {
        return None;
    }
    let values = host_values(tensor.clone());
    let index = values.iter().position(|v| !v.is_finite())?;
    Some(NonFiniteEntry {
        tensor: name.to_string(),
        index,
        value: values[index],
    })
}

/// The first of θ_t, L(θ_t) and ∂L/∂θ that is non-finite, in that order (the order both
/// engines check in), finding the entries only as far as needed.
pub fn first_divergence(
    parameter: impl FnOnce() -> Option<NonFiniteEntry>,
    loss: f64,
    gradient: impl FnOnce() -> Option<NonFiniteEntry>,
) -> Option<Divergence> {
    parameter()
        .map(Divergence::Parameter)
        .or_else(|| (!loss.is_finite()).then_some(Divergence::Loss(loss)))
        .or_else(|| gradient().map(Divergence::Gradient))
}

/// [`first_divergence`] of a model on an autodiff device with the gradients `grads` of its
/// loss: one device read in the common case that everything is finite, the tensor-by-tensor
/// search only when something is not.
pub fn autodiff_divergence(model: &Mlp, loss: f64, grads: &Gradients) -> Option<Divergence> {
    if all_finite(model, grads) {
        return first_divergence(|| None, loss, || None);
    }
    first_divergence(
        || first_non_finite_parameter(model),
        loss,
        || first_non_finite_gradient(model, grads),
    )
}

/// Whether every parameter of `model` and every gradient in `grads` is finite: Σ x·0 over
/// every entry (0 when all are finite, NaN otherwise: ∞·0 and NaN·0 are NaN), summed on the
/// device and read once.
fn all_finite(model: &Mlp, grads: &Gradients) -> bool {
    struct Sentinel<'a> {
        grads: &'a Gradients,
        sum: Option<Tensor<1>>,
    }
    impl ModuleVisitor for Sentinel<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let value = param.val();
            let gradient = value.grad(self.grads);
            for tensor in std::iter::once(value.inner()).chain(gradient) {
                let term = tensor.mul_scalar(0.0).sum();
                self.sum = Some(match self.sum.take() {
                    Some(sum) => sum + term,
                    None => term,
                });
            }
        }
    }
    let mut sentinel = Sentinel { grads, sum: None };
    model.visit(&mut sentinel);
    sentinel
        .sum
        .is_none_or(|sum| !sum.into_scalar::<f64>().is_nan())
}

/// The first parameter entry of `model` that is NaN or ±∞, in field order (`w1` … `wL`,
/// `b1` … `bL`, `a`).
pub fn first_non_finite_parameter(model: &Mlp) -> Option<NonFiniteEntry> {
    find_non_finite(model, None)
}

/// The first gradient entry in `grads` (of the trained tensors of `model`) that is NaN or ±∞.
pub fn first_non_finite_gradient(model: &Mlp, grads: &Gradients) -> Option<NonFiniteEntry> {
    find_non_finite(model, Some(grads))
}

/// Scans the parameters of `model` (or, with `grads`, their gradients) in field order.
fn find_non_finite(model: &Mlp, grads: Option<&Gradients>) -> Option<NonFiniteEntry> {
    let mut finder = NonFiniteFinder { grads, found: None };
    model.visit_parameters(&mut finder);
    finder.found
}

struct NonFiniteFinder<'a> {
    grads: Option<&'a Gradients>,
    found: Option<NonFiniteEntry>,
}

impl ParameterVisitor for NonFiniteFinder<'_> {
    fn visit<const D: usize>(&mut self, id: ParameterId, parameter: &Param<Tensor<D>>) {
        if self.found.is_some() {
            return;
        }
        let value = parameter.val();
        let scanned = match self.grads {
            None => Some(value),
            Some(grads) => value.grad(grads),
        };
        if let Some(tensor) = scanned {
            self.found = first_non_finite_in(&id.to_string(), &tensor);
        }
    }
}
