//! When a run diverges: what turned non-finite first — a parameter, the loss, a gradient or
//! the kernel — named by tensor and flat index, and the last finite loss before it.
//!
//! Both engines check the same things in the same order at every step t: θ_t, then L(θ_t),
//! then ∂L/∂θ at θ_t (then, on kernel steps, the NTK), so that the fused and autodiff
//! engines report the same step and the same tensor.

use std::fmt;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Gradients, Tensor};
use overparam_model::{host_values, parameter_name};

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
    Kernel(String),
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
            Divergence::Kernel(message) => write!(f, "the NTK: {message}"),
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

/// The first parameter entry of `model` that is NaN or ±∞, in the module's field order
/// (`w1`, `b1`, …, `a`).
pub fn first_non_finite_parameter<M: Module>(model: &M) -> Option<NonFiniteEntry> {
    find_non_finite(model, None)
}

/// The first gradient entry in `grads` (of the trained tensors of `model`) that is NaN or ±∞.
pub fn first_non_finite_gradient<M: Module>(
    model: &M,
    grads: &Gradients,
) -> Option<NonFiniteEntry> {
    find_non_finite(model, Some(grads))
}

/// Scans the parameters of `model` (or, with `grads`, their gradients) in field order.
fn find_non_finite<M: Module>(model: &M, grads: Option<&Gradients>) -> Option<NonFiniteEntry> {
    let mut finder = NonFiniteFinder {
        grads,
        path: Vec::new(),
        found: None,
    };
    model.visit(&mut finder);
    finder.found
}

struct NonFiniteFinder<'a> {
    grads: Option<&'a Gradients>,
    path: Vec<String>,
    found: Option<NonFiniteEntry>,
}

impl ModuleVisitor for NonFiniteFinder<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.found.is_some() {
            return;
        }
        let value = param.val();
        let scanned = match self.grads {
            None => Some(value),
            Some(grads) => value.grad(grads),
        };
        if let Some(tensor) = scanned {
            let name = parameter_name(&self.path.join("."));
            self.found = first_non_finite_in(&name, &tensor);
        }
    }
}
