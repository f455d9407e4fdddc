//! Networks for studying over-parameterization, as Burn modules: one network type of any
//! depth L ≥ 1, [`Mlp`], built from an [`MlpConfig`].
//!
//! With one hidden layer (`model.width` = m) it is the two-layer network
//!
//! f(x) = s · Σ_{r=1..m} a_r σ(w_r·x + b_r),
//!
//! trained on the loss L = (1/2n) Σ_i (f(x_i) − y_i)².
//!
//! | symbol | meaning | Rust |
//! |---|---|---|
//! | n | number of samples | `num_samples` |
//! | d | input dimension | `input_dim` |
//! | m_l | width of hidden layer l (m = m_1 with one layer) | `widths` |
//! | X `[n, d]`, y `[n]` | inputs, targets | `inputs`, `targets` |
//! | W_l `[m_l, m_{l−1}]`, b_l `[m_l]`, a `[m_L]` | parameters | [`ParameterId`] `w{l}`, `b{l}`, `a` |
//! | s | output scale: 1/√m_L, 1 or 1/m_L | `output_scale` |
//! | c_l | input scale of layer l | `input_scale` |
//! | B | initial bias | `bias_init` |
//! | σ, σ′ | activation and its derivative | [`Activation`] |
//! | z_l = c_l h_{l−1} W_lᵀ + 1 b_lᵀ `[n, m_l]` | pre-activations | `pre_activations` |
//!
//! Every tensor type here is `burn::tensor::Tensor<D>`: no code in this crate names a backend.
//! The hand-derived gradient is the fused host step of `overparam-cpu` ([`Mlp::to_host`]).

mod activation;
mod config;
mod host;
mod layer;
mod mlp;
mod named_array;
mod parameter;
mod parameterization;
mod trainable;
mod visit;

pub use activation::{Activation, SOFTPLUS_THRESHOLD};
pub use config::MlpConfig;
pub use host::{host_gradient_arrays, host_named_arrays, host_values_as};
pub use layer::{affine, readout};
pub use mlp::Mlp;
pub use named_array::{find_parameter, host_values, NamedArray};
pub use parameter::{LayerTap, ParameterId, ParameterKind};
pub use parameterization::{OutputInit, Parameterization};
pub use trainable::Trainable;
pub use visit::ParameterVisitor;

/// Errors building a network from given parameters.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// A parameter array has the wrong shape.
    #[error("array `{name}` has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Parameter name (`w1`, `b1`, `a`).
        name: String,
        /// Shape the configuration asks for.
        expected: Vec<usize>,
        /// Shape found.
        found: Vec<usize>,
    },
    /// A parameter array is absent.
    #[error("array `{name}` is missing")]
    MissingParameter {
        /// Parameter name (`w1`, `b1`, `a`).
        name: String,
    },
}
