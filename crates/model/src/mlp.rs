//! The network of depth L ≥ 1, f(x) = s · a·h_L, h_l = σ(z_l), z_l = c_l h_{l−1} W_lᵀ + b_l,
//! h_0 = x, as a Burn module. With one hidden layer (`model.width`) it is the two-layer network
//! f(x) = s · Σ_r a_r σ(w_r·x + b_r); scales and initial law in [`MlpConfig`].

use burn::module::{Module, Param};
use burn::tensor::Tensor;

use crate::layer::{affine, readout};
use crate::{Activation, LayerTap, MlpConfig, NamedArray, ParameterId};

/// The network with L hidden layers (see the module doc). Parameter module paths are `w.{l}`,
/// `b.{l}` (l from 0), `a`; [`ParameterId::from_module_path`] maps them to `w{l+1}`, `b{l+1}`,
/// `a`, the names in files.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Hidden weights W_1 … W_L, W_l `[m_l, m_{l−1}]` (m_0 = d); row r of W_1 is neuron w_r.
    /// Saved as `w1`, `w2`, ….
    pub w: Vec<Param<Tensor<2>>>,
    /// Hidden biases b_1 … b_L, b_l `[m_l]`, init `bias_init`. Saved as `b1`, `b2`, ….
    pub b: Vec<Param<Tensor<1>>>,
    /// Output weights a `[m_L]`. Saved as `a`.
    pub a: Param<Tensor<1>>,
    /// The architecture: widths, σ, scales, which tensors train.
    #[module(skip)]
    pub config: MlpConfig,
}

impl Mlp {
    /// Number of hidden layers L.
    pub fn depth(&self) -> usize {
        self.w.len()
    }

    /// Input dimension d.
    pub fn input_dim(&self) -> usize {
        self.config.input_dim
    }

    /// Activation σ of every hidden layer.
    pub fn activation(&self) -> Activation {
        self.config.activation
    }

    /// Output scale s.
    pub fn output_scale(&self) -> f64 {
        self.config.output_scale()
    }

    /// Runs the network with optional leaves added to each layer's output; returns f `[n]`,
    /// every z_l `[n, m_l]` and every layer input h_{l−1} (h_0 = x) followed by h_L.
    fn forward_from(
        &self,
        inputs: Tensor<2>,
        leaves: Option<&[Tensor<2>]>,
    ) -> (Tensor<1>, Vec<Tensor<2>>, Vec<Tensor<2>>) {
        let activation = self.activation();
        let mut hidden = inputs;
        let (mut pre_activations, mut layer_inputs) = (Vec::new(), Vec::new());
        for l in 0..self.depth() {
            let mut z = self.pre_activation(l, hidden.clone());
            if let Some(leaves) = leaves {
                z = z + leaves[l].clone();
            }
            layer_inputs.push(hidden);
            hidden = activation.apply(z.clone());
            pre_activations.push(z);
        }
        let mut outputs = readout(hidden.clone(), self.a.val(), self.output_scale());
        if let Some(leaves) = leaves {
            outputs = outputs + leaves[self.depth()].clone();
        }
        layer_inputs.push(hidden);
        (outputs.squeeze_dim::<1>(1), pre_activations, layer_inputs)
    }

    /// f(x_i) for every row of `inputs` `[n, d]` → `[n]`.
    pub fn forward(&self, inputs: Tensor<2>) -> Tensor<1> {
        self.forward_from(inputs, None).0
    }

    /// Pre-activations z_1 … z_L of every hidden layer, first layer first; `inputs` `[n, d]`
    /// → one `[n, m_l]` per layer (for one layer, Z = XWᵀ + 1bᵀ, z_ir = w_r·x_i + b_r). Stops
    /// at z_L: neither σ(z_L) nor the readout is computed.
    pub fn pre_activations(&self, inputs: Tensor<2>) -> Vec<Tensor<2>> {
        let mut pre_activations: Vec<Tensor<2>> = Vec::with_capacity(self.depth());
        let mut hidden = inputs;
        for l in 0..self.depth() {
            if let Some(z) = pre_activations.last() {
                hidden = self.activation().apply(z.clone());
            }
            pre_activations.push(self.pre_activation(l, hidden.clone()));
        }
        pre_activations
    }

    /// z_l = c_l h_{l−1} W_lᵀ + 1 b_lᵀ of hidden layer `l` (from 0) at its input `hidden`
    /// `[n, m_{l−1}]` → `[n, m_l]`.
    fn pre_activation(&self, l: usize, hidden: Tensor<2>) -> Tensor<2> {
        affine(
            hidden,
            self.w[l].val(),
            self.b[l].val(),
            self.config.input_scale(l + 1),
        )
    }

    /// The forward pass with a tracked zero leaf added to each layer's output z (every hidden
    /// layer and the readout), for per-sample gradients in one backward pass: after
    /// `f.sum().backward()`, row i of a leaf's gradient is ∂f(x_i)/∂z(x_i). Needs an autodiff
    /// device.
    ///
    /// # Shapes
    /// `inputs` `[n, d]` → (`[n]`, one [`LayerTap`] per linear map: hidden layers, then readout).
    pub fn forward_tapped(&self, inputs: Tensor<2>) -> (Tensor<1>, Vec<LayerTap>) {
        let [n, _] = inputs.dims();
        let device = inputs.device();
        let mut leaves: Vec<Tensor<2>> = self
            .w
            .iter()
            .map(|w| Tensor::<2>::zeros([n, w.dims()[0]], &device).require_grad())
            .collect();
        leaves.push(Tensor::<2>::zeros([n, 1], &device).require_grad());
        let (outputs, _, layer_inputs) = self.forward_from(inputs, Some(&leaves));
        let trained = |id: ParameterId| self.config.trains(id).then_some(id);
        let mut taps = Vec::with_capacity(leaves.len());
        for (index, (leaf, input)) in leaves.into_iter().zip(layer_inputs).enumerate() {
            let layer = index + 1;
            let tap = if layer <= self.depth() {
                LayerTap {
                    scaled_input: input.inner().mul_scalar(self.config.input_scale(layer)),
                    leaf,
                    weight: trained(ParameterId::Weights(layer)),
                    bias: trained(ParameterId::Biases(layer)),
                }
            } else {
                LayerTap {
                    scaled_input: input.inner().mul_scalar(self.output_scale()),
                    leaf,
                    weight: trained(ParameterId::Output),
                    bias: None,
                }
            };
            taps.push(tap);
        }
        (outputs, taps)
    }

    /// The parameters as host arrays `w1`, `b1`, …, `wL`, `bL`, `a`, in f64.
    pub fn to_named_arrays(&self) -> Vec<NamedArray> {
        let mut arrays = Vec::with_capacity(2 * self.depth() + 1);
        for (index, (w, b)) in self.w.iter().zip(&self.b).enumerate() {
            let layer = index + 1;
            arrays.push(NamedArray::from_parameter(
                ParameterId::Weights(layer),
                w.val(),
            ));
            arrays.push(NamedArray::from_parameter(
                ParameterId::Biases(layer),
                b.val(),
            ));
        }
        arrays.push(NamedArray::from_parameter(
            ParameterId::Output,
            self.a.val(),
        ));
        arrays
    }

    /// The same network (architecture, device, trainable flags) with the parameter values of
    /// `arrays` (named as in `.npz` files). A missing array or a wrong shape is an error naming
    /// it.
    pub fn with_named_arrays(&self, arrays: &[NamedArray]) -> Result<Mlp, crate::ModelError> {
        self.config.with_parameters(arrays, &self.a.val().device())
    }
}
