//! The two-layer network f(x) = s · Σ_{r=1..m} a_r σ(w_r·x + b_r) as a Burn module.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};
use rand::Rng;

use crate::layer::{affine, readout};
use crate::named_array::find_parameter;
use crate::{
    Activation, LayerTap, MlpConfig, ModelError, NamedArray, OutputInit, Parameterization,
};

/// Which of the three parameter tensors gradient descent may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trainable {
    /// Train the hidden weights W (`w1`).
    pub w: bool,
    /// Train the hidden biases b (`b1`).
    pub b: bool,
    /// Train the output weights a (`a`).
    pub a: bool,
}

impl Trainable {
    /// All three tensors trainable.
    pub const ALL: Trainable = Trainable {
        w: true,
        b: true,
        a: true,
    };
}

/// Everything that fixes a two-layer network's architecture and initial law.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoLayerConfig {
    /// Input dimension d.
    pub input_dim: usize,
    /// Width m (number of hidden neurons).
    pub width: usize,
    /// Activation σ.
    pub activation: Activation,
    /// Scaling of the output and of the initial weights.
    pub parameterization: Parameterization,
    /// Law of the output weights a at initialisation.
    pub output_init: OutputInit,
    /// Constant B every bias b_r starts at (B = −2 with inputs on the sphere and W ~ N(0, I)
    /// leaves each neuron active with probability 1 − Φ(2) ≈ 2.3%: the sparse regime of seed 004).
    pub bias_init: f64,
    /// Which tensors are trained.
    pub trainable: Trainable,
}

impl TwoLayerConfig {
    /// Draws initial parameters on the host: W row by row then a, from `rng`, in f64.
    ///
    /// Drawing on the host (not with the backend's RNG) makes the initial network the same
    /// numbers on every backend and dtype for the same seed.
    pub fn init_parameters(&self, rng: &mut impl Rng) -> Vec<NamedArray> {
        MlpConfig::from(self.clone()).init_parameters(rng)
    }

    /// Draws initial parameters from `rng` and builds the network on `device`.
    pub fn init(&self, rng: &mut impl Rng, device: &Device) -> TwoLayer {
        let parameters = self.init_parameters(rng);
        self.with_parameters(&parameters, device)
            .expect("init_parameters yields arrays of the configured shapes")
    }

    /// Builds the network on `device` from host arrays named `w1` `[m, d]`, `b1` `[m]`, `a` `[m]`
    /// (e.g. loaded with `--init FILE.npz`). A missing array or a wrong shape is an error naming it.
    pub fn with_parameters(
        &self,
        parameters: &[NamedArray],
        device: &Device,
    ) -> Result<TwoLayer, ModelError> {
        let output_scale = self.parameterization.output_scale(self.width);
        let shape = [self.width, self.input_dim];
        TwoLayer::assemble(
            parameters,
            shape,
            self.activation,
            output_scale,
            self.trainable,
            device,
        )
    }
}

/// Two-layer network f(x) = s · Σ_{r=1..m} a_r σ(w_r·x + b_r).
///
/// Parameter field names are the `.npz` keys and the learning-rate group names.
#[derive(Module, Debug)]
pub struct TwoLayer {
    /// Hidden-layer weights W; row r is neuron w_r. Shape `[m, d]`.
    /// Init N(0, 1) (`ntk`, `mean_field`) or N(0, 1/d) (`standard`). Saved as `w1`.
    pub w1: Param<Tensor<2>>,
    /// Hidden-layer biases b. Shape `[m]`. Init: the constant `bias_init`. Saved as `b1`.
    pub b1: Param<Tensor<1>>,
    /// Output weights a. Shape `[m]`. Init N(0, 1) or ±1 (`ntk`, `mean_field`), scaled by
    /// 1/√m under `standard`. Saved as `a`.
    pub a: Param<Tensor<1>>,
    /// Activation σ.
    #[module(skip)]
    pub activation: Activation,
    /// Output scale s: 1/√m (`ntk`), 1 (`standard`), 1/m (`mean_field`).
    #[module(skip)]
    pub output_scale: f64,
    /// Which tensors are trained; a frozen tensor does not require gradients.
    #[module(skip)]
    pub trainable: Trainable,
}

impl TwoLayer {
    /// The network of width m and input dimension d (`shape` = `[m, d]`) with these settings
    /// and the values of `parameters` (`w1` `[m, d]`, `b1` `[m]`, `a` `[m]`) on `device`: what
    /// [`TwoLayerConfig::with_parameters`] and [`HostNetwork::with_named_arrays`](crate::HostNetwork)
    /// both build. A missing array or a wrong shape is an error naming it.
    pub(crate) fn assemble(
        parameters: &[NamedArray],
        [m, d]: [usize; 2],
        activation: Activation,
        output_scale: f64,
        trainable: Trainable,
        device: &Device,
    ) -> Result<TwoLayer, ModelError> {
        let find = |name: &str, shape: &[usize]| find_parameter(parameters, name, shape);
        let w1 = find("w1", &[m, d])?.to_tensor::<2>(device);
        let b1 = find("b1", &[m])?.to_tensor::<1>(device);
        let a = find("a", &[m])?.to_tensor::<1>(device);
        Ok(TwoLayer {
            w1: Param::from_tensor(w1).set_require_grad(trainable.w),
            b1: Param::from_tensor(b1).set_require_grad(trainable.b),
            a: Param::from_tensor(a).set_require_grad(trainable.a),
            activation,
            output_scale,
            trainable,
        })
    }

    /// Width m.
    pub fn width(&self) -> usize {
        self.w1.dims()[0]
    }

    /// Input dimension d.
    pub fn input_dim(&self) -> usize {
        self.w1.dims()[1]
    }

    /// Pre-activations Z = X Wᵀ + 1 bᵀ, i.e. z_ir = w_r·x_i + b_r.
    ///
    /// # Shapes
    /// `inputs` `[n, d]` → `[n, m]`.
    pub fn pre_activations(&self, inputs: Tensor<2>) -> Tensor<2> {
        affine(inputs, self.w1.val(), self.b1.val(), 1.0)
    }

    /// Outputs f(x_i) = s · Σ_r a_r σ(z_ir) for every row x_i of `inputs`.
    ///
    /// # Shapes
    /// `inputs` `[n, d]` → `[n]`.
    pub fn forward(&self, inputs: Tensor<2>) -> Tensor<1> {
        self.forward_from(inputs, None, None).0
    }

    /// The forward pass with optional tensors added to the hidden pre-activations Z `[n, m]`
    /// and to the output `[n, 1]` (zero leaves for per-sample gradients); also returns σ(Z).
    fn forward_from(
        &self,
        inputs: Tensor<2>,
        hidden_leaf: Option<Tensor<2>>,
        output_leaf: Option<Tensor<2>>,
    ) -> (Tensor<1>, Tensor<2>) {
        let mut z = self.pre_activations(inputs);
        if let Some(leaf) = hidden_leaf {
            z = z + leaf;
        }
        let hidden = self.activation.apply(z);
        let mut outputs = readout(hidden.clone(), self.a.val(), self.output_scale);
        if let Some(leaf) = output_leaf {
            outputs = outputs + leaf;
        }
        (outputs.squeeze_dim::<1>(1), hidden)
    }

    /// The forward pass with a tracked zero leaf added to each layer's output z (hidden layer
    /// and readout), for per-sample gradients in one backward pass: after `f.sum().backward()`,
    /// row i of a leaf's gradient is ∂f(x_i)/∂z(x_i). Needs an autodiff device.
    ///
    /// # Shapes
    /// `inputs` `[n, d]` → (`[n]`, one [`LayerTap`] per linear map: hidden, then readout).
    pub fn forward_tapped(&self, inputs: Tensor<2>) -> (Tensor<1>, Vec<LayerTap>) {
        let [n, _] = inputs.dims();
        let device = inputs.device();
        let hidden_leaf = Tensor::<2>::zeros([n, self.width()], &device).require_grad();
        let output_leaf = Tensor::<2>::zeros([n, 1], &device).require_grad();
        let (outputs, hidden) = self.forward_from(
            inputs.clone(),
            Some(hidden_leaf.clone()),
            Some(output_leaf.clone()),
        );
        let taps = vec![
            LayerTap {
                scaled_input: inputs.inner(),
                leaf: hidden_leaf,
                weight: self.trainable.w.then(|| "w1".to_string()),
                bias: self.trainable.b.then(|| "b1".to_string()),
            },
            LayerTap {
                scaled_input: hidden.inner().mul_scalar(self.output_scale),
                leaf: output_leaf,
                weight: self.trainable.a.then(|| "a".to_string()),
                bias: None,
            },
        ];
        (outputs, taps)
    }

    /// The parameters as host arrays `w1` `[m, d]`, `b1` `[m]`, `a` `[m]`, in f64.
    pub fn to_named_arrays(&self) -> Vec<NamedArray> {
        vec![
            NamedArray::from_tensor("w1", self.w1.val()),
            NamedArray::from_tensor("b1", self.b1.val()),
            NamedArray::from_tensor("a", self.a.val()),
        ]
    }
}
