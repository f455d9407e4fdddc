//! The L-hidden-layer network f(x) = s · a·h_L, h_l = σ(z_l), z_l = c_l W_l h_{l−1} + b_l,
//! h_0 = x, as a Burn module, with the same conventions as [`TwoLayer`](crate::TwoLayer)
//! layer by layer (one hidden layer is exactly the two-layer network).
//!
//! | parameterization | c_1 | c_l (l ≥ 2) | W_l at init | s | a at init |
//! |---|---|---|---|---|---|
//! | `ntk` | 1 | 1/√m_{l−1} | N(0, 1) | 1/√m_L | N(0, 1) or ±1 |
//! | `standard` | 1 | 1 | N(0, 1/m_{l−1}) (m_0 = d) | 1 | N(0, 1/m_L) or ±1/√m_L |
//! | `mean_field` | 1 | 1/√m_{l−1} | N(0, 1) | 1/m_L | N(0, 1) or ±1 |
//!
//! (`mean_field` changes only the readout: the hidden layers keep the NTK scaling.)

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::layer::{affine, readout};
use crate::named_array::find_parameter;
use crate::{
    Activation, LayerTap, ModelError, NamedArray, OutputInit, Parameterization, Trainable,
    TwoLayerConfig,
};

/// Everything that fixes an MLP's architecture and initial law.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpConfig {
    /// Input dimension d.
    pub input_dim: usize,
    /// Widths m_1, …, m_L of the hidden layers (L ≥ 1).
    pub widths: Vec<usize>,
    /// Activation σ, the same in every hidden layer.
    pub activation: Activation,
    /// Scaling (see the module doc).
    pub parameterization: Parameterization,
    /// Law of the output weights a.
    pub output_init: OutputInit,
    /// Constant every hidden bias starts at.
    pub bias_init: f64,
    /// Which kinds of tensor are trained (all hidden weights / all hidden biases / a).
    pub trainable: Trainable,
    /// Per hidden layer: whether its W_l and b_l may be trained at all (`[true; L]` by default).
    pub trainable_layers: Vec<bool>,
}

impl MlpConfig {
    /// The same network as a [`TwoLayerConfig`] when it has one hidden layer (the type the
    /// closed-form NTK needs), else `None`.
    pub fn two_layer(&self) -> Option<TwoLayerConfig> {
        let [width] = self.widths[..] else {
            return None;
        };
        let trained = self.trainable_layers.first().copied().unwrap_or(true);
        Some(TwoLayerConfig {
            input_dim: self.input_dim,
            width,
            activation: self.activation,
            parameterization: self.parameterization,
            output_init: self.output_init,
            bias_init: self.bias_init,
            trainable: Trainable {
                w: self.trainable.w && trained,
                b: self.trainable.b && trained,
                a: self.trainable.a,
            },
        })
    }

    /// Number of hidden layers L.
    pub fn depth(&self) -> usize {
        self.widths.len()
    }

    /// Fan-in of hidden layer l (0-based): d for the first, m_{l} before it otherwise.
    fn fan_in(&self, layer: usize) -> usize {
        if layer == 0 {
            self.input_dim
        } else {
            self.widths[layer - 1]
        }
    }

    /// c_l of hidden layer l (0-based), see the module doc.
    fn input_scale(&self, layer: usize) -> f64 {
        match (self.parameterization, layer) {
            (_, 0) | (Parameterization::Standard, _) => 1.0,
            _ => 1.0 / (self.fan_in(layer) as f64).sqrt(),
        }
    }

    /// Draws initial parameters on the host, W_1 … W_L row by row then a, from `rng`.
    /// With one hidden layer this is the same draw as [`TwoLayerConfig::init_parameters`](crate::TwoLayerConfig::init_parameters).
    pub fn init_parameters(&self, rng: &mut impl Rng) -> Vec<NamedArray> {
        let mut normal = || -> f64 { StandardNormal.sample(rng) };
        let mut arrays = Vec::with_capacity(2 * self.depth() + 1);
        for (layer, &width) in self.widths.iter().enumerate() {
            let fan_in = self.fan_in(layer);
            let std = self.parameterization.hidden_weight_std(fan_in);
            let values = (0..width * fan_in).map(|_| std * normal()).collect();
            arrays.push(NamedArray {
                name: format!("w{}", layer + 1),
                shape: vec![width, fan_in],
                values,
            });
        }
        let m = *self.widths.last().expect("at least one hidden layer");
        let a_std = self.parameterization.output_weight_std(m);
        let a: Vec<f64> = match self.output_init {
            OutputInit::Gaussian => (0..m).map(|_| a_std * normal()).collect(),
            OutputInit::Sign => (0..m)
                .map(|_| if normal() >= 0.0 { a_std } else { -a_std })
                .collect(),
            OutputInit::BalancedSign => (0..m)
                .map(|r| if r < m.div_ceil(2) { a_std } else { -a_std })
                .collect(),
        };
        for (layer, &width) in self.widths.iter().enumerate() {
            arrays.push(NamedArray {
                name: format!("b{}", layer + 1),
                shape: vec![width],
                values: vec![self.bias_init; width],
            });
        }
        arrays.push(NamedArray {
            name: "a".into(),
            shape: vec![m],
            values: a,
        });
        arrays
    }

    /// Draws initial parameters from `rng` and builds the network on `device`.
    pub fn init(&self, rng: &mut impl Rng, device: &Device) -> Mlp {
        self.with_parameters(&self.init_parameters(rng), device)
            .expect("init_parameters yields arrays of the configured shapes")
    }

    /// Builds the network on `device` from host arrays `w1` `[m_1, d]`, `b1` `[m_1]`, …,
    /// `wL` `[m_L, m_{L−1}]`, `bL` `[m_L]`, `a` `[m_L]`. A missing array or a wrong shape is an
    /// error naming it.
    pub fn with_parameters(
        &self,
        parameters: &[NamedArray],
        device: &Device,
    ) -> Result<Mlp, ModelError> {
        let mut layers = Vec::new();
        let mut shapes = Vec::new();
        for (layer, &width) in self.widths.iter().enumerate() {
            let trained = self.trainable_layers.get(layer).copied().unwrap_or(true);
            layers.push(LayerSettings {
                input_scale: self.input_scale(layer),
                train_w: trained && self.trainable.w,
                train_b: trained && self.trainable.b,
            });
            shapes.push([width, self.fan_in(layer)]);
        }
        let m = *self.widths.last().expect("at least one hidden layer");
        let readout = Readout {
            activation: self.activation,
            output_scale: self.parameterization.output_scale(m),
            train_a: self.trainable.a,
        };
        Mlp::assemble(parameters, &shapes, layers, readout, device)
    }
}

/// What an [`Mlp`] keeps besides its tensors and per-layer settings.
pub(crate) struct Readout {
    /// σ of every hidden layer.
    pub activation: Activation,
    /// s.
    pub output_scale: f64,
    /// Whether a trains.
    pub train_a: bool,
}

impl Mlp {
    /// The network with hidden layers of `shapes` (`[m_l, m_{l−1}]` each), `layers`' scales
    /// and flags, and the values of `parameters` (`w1`, `b1`, …, `a`) on `device`: what
    /// [`MlpConfig::with_parameters`] and [`HostNetwork::with_named_arrays`](crate::HostNetwork)
    /// both build. A missing array or a wrong shape is an error naming it.
    pub(crate) fn assemble(
        parameters: &[NamedArray],
        shapes: &[[usize; 2]],
        layers: Vec<LayerSettings>,
        readout: Readout,
        device: &Device,
    ) -> Result<Mlp, ModelError> {
        let find = |name: &str, shape: &[usize]| find_parameter(parameters, name, shape);
        let mut w = Vec::new();
        let mut b = Vec::new();
        for (layer, (&[width, fan_in], settings)) in shapes.iter().zip(&layers).enumerate() {
            let weight = find(&format!("w{}", layer + 1), &[width, fan_in])?.to_tensor::<2>(device);
            let bias = find(&format!("b{}", layer + 1), &[width])?.to_tensor::<1>(device);
            w.push(Param::from_tensor(weight).set_require_grad(settings.train_w));
            b.push(Param::from_tensor(bias).set_require_grad(settings.train_b));
        }
        let m = shapes.last().expect("at least one hidden layer")[0];
        let a = find("a", &[m])?.to_tensor::<1>(device);
        Ok(Mlp {
            w,
            b,
            a: Param::from_tensor(a).set_require_grad(readout.train_a),
            activation: readout.activation,
            layers,
            output_scale: readout.output_scale,
            train_a: readout.train_a,
        })
    }
}

/// Scale and trainable flags of one hidden layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerSettings {
    /// c_l, multiplying the layer's input.
    pub input_scale: f64,
    /// Whether W_l is trained.
    pub train_w: bool,
    /// Whether b_l is trained.
    pub train_b: bool,
}

/// The L-hidden-layer network (see the module doc). Parameter paths are `w.{l}`, `b.{l}`, `a`;
/// [`parameter_name`](crate::parameter_name) maps them to the file names `w{l+1}`, `b{l+1}`, `a`.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Hidden weights W_1 … W_L, W_l `[m_l, m_{l−1}]` (m_0 = d). Saved as `w1`, `w2`, ….
    pub w: Vec<Param<Tensor<2>>>,
    /// Hidden biases b_1 … b_L, b_l `[m_l]`, init `bias_init`. Saved as `b1`, `b2`, ….
    pub b: Vec<Param<Tensor<1>>>,
    /// Output weights a `[m_L]`. Saved as `a`.
    pub a: Param<Tensor<1>>,
    /// Activation σ.
    #[module(skip)]
    pub activation: Activation,
    /// Scale and flags per hidden layer.
    #[module(skip)]
    pub layers: Vec<LayerSettings>,
    /// Output scale s.
    #[module(skip)]
    pub output_scale: f64,
    /// Whether a is trained.
    #[module(skip)]
    pub train_a: bool,
}

impl Mlp {
    /// Number of hidden layers L.
    pub fn depth(&self) -> usize {
        self.w.len()
    }

    /// Runs the network with optional leaves added to each layer's output; returns f `[n]`,
    /// every z_l `[n, m_l]` and every layer input h_{l−1} (h_0 = x).
    fn forward_from(
        &self,
        inputs: Tensor<2>,
        leaves: Option<&[Tensor<2>]>,
    ) -> (Tensor<1>, Vec<Tensor<2>>, Vec<Tensor<2>>) {
        let mut hidden = inputs;
        let (mut pre_activations, mut layer_inputs) = (Vec::new(), Vec::new());
        for (l, settings) in self.layers.iter().enumerate() {
            let mut z = affine(
                hidden.clone(),
                self.w[l].val(),
                self.b[l].val(),
                settings.input_scale,
            );
            if let Some(leaves) = leaves {
                z = z + leaves[l].clone();
            }
            layer_inputs.push(hidden);
            hidden = self.activation.apply(z.clone());
            pre_activations.push(z);
        }
        let mut outputs = readout(hidden.clone(), self.a.val(), self.output_scale);
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

    /// z_1 … z_L, each `[n, m_l]`.
    pub fn pre_activations(&self, inputs: Tensor<2>) -> Vec<Tensor<2>> {
        self.forward_from(inputs, None).1
    }

    /// The forward pass with a tracked zero leaf on each hidden layer's z and on the output,
    /// for per-sample gradients (see [`LayerTap`]). Needs an autodiff device.
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
        let mut taps = Vec::with_capacity(leaves.len());
        for (l, (leaf, input)) in leaves.into_iter().zip(layer_inputs).enumerate() {
            let tap = match self.layers.get(l) {
                Some(settings) => LayerTap {
                    scaled_input: input.inner().mul_scalar(settings.input_scale),
                    leaf,
                    weight: settings.train_w.then(|| format!("w{}", l + 1)),
                    bias: settings.train_b.then(|| format!("b{}", l + 1)),
                },
                None => LayerTap {
                    scaled_input: input.inner().mul_scalar(self.output_scale),
                    leaf,
                    weight: self.train_a.then(|| "a".to_string()),
                    bias: None,
                },
            };
            taps.push(tap);
        }
        (outputs, taps)
    }

    /// The parameters as host arrays `w1`, `b1`, …, `wL`, `bL`, `a`, in f64.
    pub fn to_named_arrays(&self) -> Vec<NamedArray> {
        let mut arrays = Vec::with_capacity(2 * self.depth() + 1);
        for (l, (w, b)) in self.w.iter().zip(&self.b).enumerate() {
            arrays.push(NamedArray::from_tensor(&format!("w{}", l + 1), w.val()));
            arrays.push(NamedArray::from_tensor(&format!("b{}", l + 1), b.val()));
        }
        arrays.push(NamedArray::from_tensor("a", self.a.val()));
        arrays
    }
}

impl From<TwoLayerConfig> for MlpConfig {
    /// The two-layer network as the one-hidden-layer MLP.
    fn from(config: TwoLayerConfig) -> Self {
        MlpConfig {
            input_dim: config.input_dim,
            widths: vec![config.width],
            activation: config.activation,
            parameterization: config.parameterization,
            output_init: config.output_init,
            bias_init: config.bias_init,
            trainable: config.trainable,
            trainable_layers: vec![true],
        }
    }
}
