//! What the trainer needs from a network, so one training loop serves every depth.

use burn::module::Module;
use burn::tensor::Tensor;

use crate::NamedArray;

/// The role of a parameter tensor, which decides its learning rate (`lr_w`, `lr_b`, `lr_a`)
/// and the metric columns it is summed into (`*_w`, `*_b`, `*_a`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParameterKind {
    /// Hidden-layer weights `w1`, `w2`, ….
    HiddenWeights,
    /// Hidden-layer biases `b1`, `b2`, ….
    HiddenBiases,
    /// Output weights `a`.
    OutputWeights,
}

impl ParameterKind {
    /// Every kind, in metric-column order (w, b, a).
    pub const ALL: [ParameterKind; 3] = [
        ParameterKind::HiddenWeights,
        ParameterKind::HiddenBiases,
        ParameterKind::OutputWeights,
    ];

    /// The kind of the parameter with field name `name` (`w1` → weights, `b2` → biases,
    /// `a` → output weights); `None` for a name that is none of these.
    pub fn of(name: &str) -> Option<ParameterKind> {
        let digits_after = |prefix: char| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
        };
        if name == "a" {
            Some(ParameterKind::OutputWeights)
        } else if digits_after('w') {
            Some(ParameterKind::HiddenWeights)
        } else if digits_after('b') {
            Some(ParameterKind::HiddenBiases)
        } else {
            None
        }
    }

    /// Column suffix in `metrics.csv`: `w`, `b` or `a`.
    pub fn suffix(self) -> &'static str {
        match self {
            ParameterKind::HiddenWeights => "w",
            ParameterKind::HiddenBiases => "b",
            ParameterKind::OutputWeights => "a",
        }
    }
}

/// One linear map z = c · H_in Wᵀ + b of a network, seen from the output, for the empirical
/// NTK: with δ_i = ∂f(x_i)/∂z(x_i) (row i of `leaf`'s gradient) the map contributes
/// (δδᵀ) ∘ (c² H_in H_inᵀ) through W and δδᵀ through b.
pub struct LayerTap {
    /// c · H_in, the map's input times its scale, without autodiff. Shape `[n, fan_in]`.
    pub scaled_input: Tensor<2>,
    /// The tracked zero tensor added to z. Shape `[n, fan_out]`.
    pub leaf: Tensor<2>,
    /// The parameter name of W (`w1`, …, `a`) when W is trained, else `None`.
    pub weight: Option<String>,
    /// The parameter name of b (`b1`, …) when the map has a trained bias, else `None`.
    pub bias: Option<String>,
}

/// A scalar-output network the trainer can fit: f: ℝᵈ → ℝ applied row-wise.
pub trait Network: Module {
    /// f(x_i) for every row of `inputs`. `[n, d]` → `[n]`.
    fn forward(&self, inputs: Tensor<2>) -> Tensor<1>;

    /// Pre-activations z of every hidden layer, first layer first. `[n, d]` → one `[n, m_l]`
    /// per hidden layer.
    fn hidden_pre_activations(&self, inputs: Tensor<2>) -> Vec<Tensor<2>>;

    /// The parameters as named host arrays (the `.npz` layout).
    fn to_named_arrays(&self) -> Vec<NamedArray>;

    /// f(x_i) `[n]` with a tracked zero leaf on every linear map's output (see [`LayerTap`]).
    fn forward_tapped(&self, inputs: Tensor<2>) -> (Tensor<1>, Vec<LayerTap>);

    /// ∂L/∂θ for every parameter by the hand-derived backpropagation formulas (no autodiff),
    /// given g = ∂L/∂f `[n]`; host arrays named like the parameters.
    fn hand_gradients(&self, inputs: Tensor<2>, output_gradient: Tensor<1>) -> Vec<NamedArray>;
}

impl Network for crate::TwoLayer {
    fn forward(&self, inputs: Tensor<2>) -> Tensor<1> {
        crate::TwoLayer::forward(self, inputs)
    }

    fn hidden_pre_activations(&self, inputs: Tensor<2>) -> Vec<Tensor<2>> {
        vec![self.pre_activations(inputs)]
    }

    fn to_named_arrays(&self) -> Vec<NamedArray> {
        crate::TwoLayer::to_named_arrays(self)
    }

    fn forward_tapped(&self, inputs: Tensor<2>) -> (Tensor<1>, Vec<LayerTap>) {
        crate::TwoLayer::forward_tapped(self, inputs)
    }

    fn hand_gradients(&self, inputs: Tensor<2>, output_gradient: Tensor<1>) -> Vec<NamedArray> {
        crate::two_layer_hand_gradient_arrays(self, inputs, output_gradient)
    }
}

impl Network for crate::Mlp {
    fn forward(&self, inputs: Tensor<2>) -> Tensor<1> {
        crate::Mlp::forward(self, inputs)
    }

    fn hidden_pre_activations(&self, inputs: Tensor<2>) -> Vec<Tensor<2>> {
        self.pre_activations(inputs)
    }

    fn to_named_arrays(&self) -> Vec<NamedArray> {
        crate::Mlp::to_named_arrays(self)
    }

    fn forward_tapped(&self, inputs: Tensor<2>) -> (Tensor<1>, Vec<LayerTap>) {
        crate::Mlp::forward_tapped(self, inputs)
    }

    fn hand_gradients(&self, inputs: Tensor<2>, output_gradient: Tensor<1>) -> Vec<NamedArray> {
        crate::mlp_hand_gradients(self, inputs, output_gradient)
    }
}
