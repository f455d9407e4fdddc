//! Networks for studying over-parameterization, as Burn modules, with hand-derived gradients
//! beside them for checking autodiff.
//!
//! The two-layer network is
//!
//! f(x) = s · Σ_{r=1..m} a_r σ(w_r·x + b_r),
//!
//! trained on the loss L = (1/2n) Σ_i (f(x_i) − y_i)².
//!
//! | symbol | meaning | Rust |
//! |---|---|---|
//! | n | number of samples | `num_samples` |
//! | d | input dimension | `input_dim` |
//! | m | width (hidden neurons) | `width` |
//! | X `[n, d]`, y `[n]` | inputs, targets | `inputs`, `targets` |
//! | W `[m, d]` (rows w_r), b `[m]`, a `[m]` | parameters | fields `w1`, `b1`, `a` |
//! | s | output scale: 1/√m, 1 or 1/m | `output_scale` |
//! | B | initial bias | `bias_init` |
//! | σ, σ′ | activation and its derivative | [`Activation`] |
//! | Z = XWᵀ + 1bᵀ `[n, m]` | pre-activations | `pre_activations` |
//!
//! Every tensor type here is `burn::tensor::Tensor<D>`: no code in this crate names a backend.

mod activation;
mod hand_gradients;
mod host;
mod layer;
mod mlp;
mod named_array;
mod network;
mod parameterization;
mod two_layer;

pub use activation::{Activation, SOFTPLUS_THRESHOLD};
pub use hand_gradients::{
    mlp_hand_gradients, two_layer_hand_gradient_arrays, two_layer_hand_gradients, TwoLayerGradients,
};
pub use host::{host_named_arrays, host_values_as, HostNetwork};
pub use layer::{affine, layer_of, parameter_name, readout};
pub use mlp::{LayerSettings, Mlp, MlpConfig};
pub use named_array::{find_parameter, host_values, NamedArray};
pub use network::{LayerTap, Network, ParameterKind};
pub use parameterization::{OutputInit, Parameterization};
pub use two_layer::{Trainable, TwoLayer, TwoLayerConfig};

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
