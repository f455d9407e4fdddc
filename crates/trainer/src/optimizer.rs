//! Gradient descent with one learning rate per parameter group.
//!
//! θ ← θ − η_θ ∂L/∂θ for every trainable tensor θ, where η_θ is the rate of θ's group
//! (`lr_w` for hidden weights `w1…`, `lr_b` for hidden biases `b1…`, `lr_a` for `a`). Groups
//! are found from Burn parameter paths, which are the field names, so the same code serves
//! networks of any depth. A frozen tensor (no gradient) or a zero rate leaves θ bit-identical.

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Gradients, Tensor};
use overparam_model::{Mlp, ParameterId, ParameterKind, ParameterVisitor};

/// Learning rates: η_W, η_b, η_a per [`ParameterKind`], or one rate per layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LearningRates {
    /// η for hidden weights (`lr_w`).
    pub hidden_weights: f64,
    /// η for hidden biases (`lr_b`).
    pub hidden_biases: f64,
    /// η for output weights (`lr_a`).
    pub output_weights: f64,
    /// `[η_1, …, η_L, η_out]` (`[train] lr`): when not empty, layer l's weights and bias use
    /// η_l and `a` uses η_out, overriding the three rates above.
    pub per_layer: Vec<f64>,
}

impl LearningRates {
    /// η_W, η_b, η_a for every layer.
    pub const fn by_kind(hidden_weights: f64, hidden_biases: f64, output_weights: f64) -> Self {
        Self {
            hidden_weights,
            hidden_biases,
            output_weights,
            per_layer: Vec::new(),
        }
    }

    /// The rate of parameter `id` (`w1`, `b2`, `a`, …).
    ///
    /// # Panics
    /// Panics on a layer beyond `per_layer` (a programming error: `per_layer` is validated
    /// against the depth).
    pub fn for_parameter(&self, id: ParameterId) -> f64 {
        if self.per_layer.is_empty() {
            return self.for_kind(id.kind());
        }
        match id.layer() {
            Some(layer) => self.per_layer[layer - 1],
            None => *self.per_layer.last().expect("per_layer is not empty"),
        }
    }

    /// The rate of a parameter kind.
    pub fn for_kind(&self, kind: ParameterKind) -> f64 {
        match kind {
            ParameterKind::HiddenWeights => self.hidden_weights,
            ParameterKind::HiddenBiases => self.hidden_biases,
            ParameterKind::OutputWeights => self.output_weights,
        }
    }
}

/// Squared Frobenius norms ‖∂L/∂θ‖² of the gradients seen in a step, by parameter.
pub type SquaredGradientNorms = BTreeMap<ParameterId, f64>;

/// Applies one gradient-descent step to every tensor of `model` that has a gradient in `grads`.
///
/// With `apply = false` nothing changes and only the norms are read (the last step of a run,
/// or a full-batch gradient measured for the log during SGD). With `record_norms` the squared
/// norm of each gradient is returned (one device read per tensor).
///
/// # Panics
/// Panics if a parameter path is not a parameter of [`Mlp`](overparam_model::Mlp) (`w.{l}`,
/// `b.{l}`, `a`: a programming error).
pub fn gradient_descent_step<M: Module>(
    model: M,
    grads: Gradients,
    rates: &LearningRates,
    apply: bool,
    record_norms: bool,
) -> (M, SquaredGradientNorms) {
    let mut step = DescentMapper {
        grads,
        rates: rates.clone(),
        apply,
        record_norms,
        path: Vec::new(),
        norms: BTreeMap::new(),
    };
    let model = model.map(&mut step);
    (model, step.norms)
}

struct DescentMapper {
    grads: Gradients,
    rates: LearningRates,
    apply: bool,
    record_norms: bool,
    path: Vec<String>,
    norms: SquaredGradientNorms,
}

impl ModuleMapper for DescentMapper {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(grad) = param.grad_remove(&mut self.grads) else {
            return param; // frozen: no gradient was computed
        };
        let path = self.path.join(".");
        let id = ParameterId::from_module_path(&path)
            .unwrap_or_else(|| panic!("`{path}` is not a parameter of the network"));
        if self.record_norms {
            let squared_norm: f64 = grad.clone().square().sum().into_scalar();
            self.norms.insert(id, squared_norm);
        }
        let rate = self.rates.for_parameter(id);
        if !self.apply || rate == 0.0 {
            return param;
        }
        param.map(|value| {
            (value.inner() - grad.mul_scalar(rate))
                .autodiff()
                .require_grad()
        })
    }
}

/// ‖∂L/∂θ‖² of every tensor of `network` that has a gradient in `gradients` (one device read
/// per tensor).
pub fn squared_gradient_norms(network: &Mlp, gradients: &Gradients) -> SquaredGradientNorms {
    struct Norms<'a> {
        gradients: &'a Gradients,
        norms: SquaredGradientNorms,
    }
    impl ParameterVisitor for Norms<'_> {
        fn visit<const D: usize>(&mut self, id: ParameterId, parameter: &Param<Tensor<D>>) {
            if let Some(grad) = parameter.grad(self.gradients) {
                self.norms.insert(id, grad.square().sum().into_scalar());
            }
        }
    }
    let mut norms = Norms {
        gradients,
        norms: SquaredGradientNorms::new(),
    };
    network.visit_parameters(&mut norms);
    norms.norms
}

/// Whether any parameter of `model` requires a gradient (is trained); a network with every
/// tensor frozen has nothing for gradient descent to move, and Burn's backward pass refuses it.
pub fn has_trained_tensor<M: Module>(model: &M) -> bool {
    #[derive(Default)]
    struct Finder {
        found: bool,
    }
    impl burn::module::ModuleVisitor for Finder {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.found |= param.val().is_require_grad();
        }
    }
    let mut finder = Finder::default();
    model.visit(&mut finder);
    finder.found
}
