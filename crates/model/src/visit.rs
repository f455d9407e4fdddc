//! Visiting every parameter tensor of an [`Mlp`] told which one it is, so that code reading
//! parameters or their gradients need not follow Burn's module paths itself.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

use crate::{Mlp, ParameterId};

/// Something done to each parameter tensor of a network.
pub trait ParameterVisitor {
    /// Called once per parameter tensor (`w1` `[m_1, d]`, …, `a` `[m_L]`) with its id.
    fn visit<const D: usize>(&mut self, id: ParameterId, parameter: &Param<Tensor<D>>);
}

impl Mlp {
    /// Calls `visitor` with every parameter tensor and its id, in field order: `w1` … `wL`,
    /// `b1` … `bL`, `a`.
    pub fn visit_parameters(&self, visitor: &mut impl ParameterVisitor) {
        let mut paths = ModulePaths {
            visitor,
            path: Vec::new(),
        };
        self.visit(&mut paths);
    }
}

/// A Burn module visitor that tracks the module path (`w.0`, `b.2`, `a`) and hands each
/// parameter on with its id.
struct ModulePaths<'a, V> {
    visitor: &'a mut V,
    path: Vec<String>,
}

impl<V: ParameterVisitor> ModuleVisitor for ModulePaths<'_, V> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, parameter: &Param<Tensor<D>>) {
        let path = self.path.join(".");
        let id = ParameterId::from_module_path(&path)
            .unwrap_or_else(|| panic!("`{path}` is not a parameter of the network"));
        self.visitor.visit(id, parameter);
    }
}
