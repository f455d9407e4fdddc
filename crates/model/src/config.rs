//! Everything that fixes a network's architecture and initial law, and the initial draw.
//!
//! | parameterization | c_1 | c_l (l ≥ 2) | W_l at init | s | a at init |
//! |---|---|---|---|---|---|
//! | `ntk` | 1 | 1/√m_{l−1} | N(0, 1) | 1/√m_L | N(0, 1) or ±1 |
//! | `standard` | 1 | 1 | N(0, 1/m_{l−1}) (m_0 = d) | 1 | N(0, 1/m_L) or ±1/√m_L |
//! | `mean_field` | 1 | 1/√m_{l−1} | N(0, 1) | 1/m_L | N(0, 1) or ±1 |
//!
//! (`mean_field` changes only the readout: the hidden layers keep the NTK scaling.)

use burn::module::Param;
use burn::tensor::Device;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::named_array::find_parameter;
use crate::{
    Activation, Mlp, ModelError, NamedArray, OutputInit, ParameterId, Parameterization, Trainable,
};

/// Everything that fixes a network's architecture and initial law: `[model]` resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpConfig {
    /// Input dimension d.
    pub input_dim: usize,
    /// Widths m_1, …, m_L of the hidden layers (L ≥ 1; `model.width` m is `[m]`).
    pub widths: Vec<usize>,
    /// Activation σ, the same in every hidden layer.
    pub activation: Activation,
    /// Scaling (see the module doc).
    pub parameterization: Parameterization,
    /// Law of the output weights a.
    pub output_init: OutputInit,
    /// Constant B every hidden bias starts at (B = −2 with inputs on the sphere and
    /// W ~ N(0, I) leaves each neuron active with probability 1 − Φ(2) ≈ 2.3%: the sparse
    /// regime of seed 004).
    pub bias_init: f64,
    /// Which kinds of tensor are trained (all hidden weights / all hidden biases / a).
    pub trainable: Trainable,
    /// Per hidden layer: whether its W_l and b_l may be trained at all (`[true; L]` by default;
    /// a missing entry counts as true).
    pub trainable_layers: Vec<bool>,
}

impl MlpConfig {
    /// Number of hidden layers L.
    pub fn depth(&self) -> usize {
        self.widths.len()
    }

    /// Width m_L of the last hidden layer (the readout's fan-in).
    pub fn last_width(&self) -> usize {
        *self.widths.last().expect("at least one hidden layer")
    }

    /// Fan-in of hidden layer `layer` (1-based): d for the first, m_{l−1} otherwise.
    pub fn fan_in(&self, layer: usize) -> usize {
        if layer == 1 {
            self.input_dim
        } else {
            self.widths[layer - 2]
        }
    }

    /// c_l of hidden layer `layer` (1-based), see the module doc.
    pub fn input_scale(&self, layer: usize) -> f64 {
        match (self.parameterization, layer) {
            (_, 1) | (Parameterization::Standard, _) => 1.0,
            _ => 1.0 / (self.fan_in(layer) as f64).sqrt(),
        }
    }

    /// The output scale s (1/√m_L, 1 or 1/m_L).
    pub fn output_scale(&self) -> f64 {
        self.parameterization.output_scale(self.last_width())
    }

    /// Whether gradient descent may change the tensor `id`.
    pub fn trains(&self, id: ParameterId) -> bool {
        let layer_trained = |l: usize| self.trainable_layers.get(l - 1).copied().unwrap_or(true);
        match id {
            ParameterId::Weights(l) => self.trainable.w && layer_trained(l),
            ParameterId::Biases(l) => self.trainable.b && layer_trained(l),
            ParameterId::Output => self.trainable.a,
        }
    }

    /// The shape of tensor `id`: `[m_l, m_{l−1}]`, `[m_l]` or `[m_L]`.
    pub fn shape(&self, id: ParameterId) -> Vec<usize> {
        match id {
            ParameterId::Weights(l) => vec![self.widths[l - 1], self.fan_in(l)],
            ParameterId::Biases(l) => vec![self.widths[l - 1]],
            ParameterId::Output => vec![self.last_width()],
        }
    }

    /// Draws initial parameters on the host, in f64: W_1 … W_L row by row, then a, from `rng`
    /// (the biases are the constant `bias_init`). Returned as `w1` … `wL`, `b1` … `bL`, `a`.
    ///
    /// Drawing on the host (not with the backend's RNG) makes the initial network the same
    /// numbers on every backend and dtype for the same seed.
    pub fn init_parameters(&self, rng: &mut impl Rng) -> Vec<NamedArray> {
        let mut normal = || -> f64 { StandardNormal.sample(rng) };
        let mut arrays = Vec::with_capacity(2 * self.depth() + 1);
        for (index, &width) in self.widths.iter().enumerate() {
            let fan_in = self.fan_in(index + 1);
            let std = self.parameterization.hidden_weight_std(fan_in);
            let values = (0..width * fan_in).map(|_| std * normal()).collect();
            arrays.push(NamedArray::parameter(
                ParameterId::Weights(index + 1),
                vec![width, fan_in],
                values,
            ));
        }
        let m = self.last_width();
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
        for (index, &width) in self.widths.iter().enumerate() {
            arrays.push(NamedArray::parameter(
                ParameterId::Biases(index + 1),
                vec![width],
                vec![self.bias_init; width],
            ));
        }
        arrays.push(NamedArray::parameter(ParameterId::Output, vec![m], a));
        arrays
    }

    /// Draws initial parameters from `rng` and builds the network on `device`.
    pub fn init(&self, rng: &mut impl Rng, device: &Device) -> Mlp {
        self.with_parameters(&self.init_parameters(rng), device)
            .expect("init_parameters yields arrays of the configured shapes")
    }

    /// Builds the network on `device` from host arrays `w1` `[m_1, d]`, `b1` `[m_1]`, …,
    /// `wL` `[m_L, m_{L−1}]`, `bL` `[m_L]`, `a` `[m_L]` (e.g. loaded with `--init FILE.npz`).
    /// A frozen tensor does not require gradients. A missing array or a wrong shape is an
    /// error naming it.
    pub fn with_parameters(
        &self,
        parameters: &[NamedArray],
        device: &Device,
    ) -> Result<Mlp, ModelError> {
        let find = |id: ParameterId| find_parameter(parameters, &id.to_string(), &self.shape(id));
        let mut w = Vec::with_capacity(self.depth());
        let mut b = Vec::with_capacity(self.depth());
        for layer in 1..=self.depth() {
            let (weight, bias) = (ParameterId::Weights(layer), ParameterId::Biases(layer));
            let weight_values = find(weight)?.to_tensor::<2>(device);
            let bias_values = find(bias)?.to_tensor::<1>(device);
            w.push(Param::from_tensor(weight_values).set_require_grad(self.trains(weight)));
            b.push(Param::from_tensor(bias_values).set_require_grad(self.trains(bias)));
        }
        let a = find(ParameterId::Output)?.to_tensor::<1>(device);
        Ok(Mlp {
            w,
            b,
            a: Param::from_tensor(a).set_require_grad(self.trains(ParameterId::Output)),
            config: self.clone(),
        })
    }
}
