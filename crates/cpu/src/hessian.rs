//! The Hessian of the loss with respect to the hidden weights W `[m, d]` of a network with
//! one hidden layer, in closed form. With f_i = s Σ_r a_r σ(z_ir), z_ir = c w_r·x_i + b_r,
//! e_i = f_i − y_i and L = (1/2n) Σ_i e_i²,
//!
//! ∂L/∂w_r = (1/n) Σ_i e_i J_ir,  J_ir = s a_r σ′(z_ir) c x_i,
//!
//! ∂²L/∂w_r ∂w_q = (1/n) Σ_i [ J_ir J_iqᵀ + δ_rq e_i s a_r σ″(z_ir) c² x_i x_iᵀ ].
//!
//! The first part (Gauss–Newton) is positive semidefinite; only the residual-weighted second
//! part can give negative curvature, so at a point with L > 0 the least eigenvalue tells a
//! saddle (λ_min < 0) from a local minimum (λ_min ≥ 0). For the quadratic activation σ″ = 2.

use crate::{HostMlp, Nonlinearity};

/// Why the Hessian cannot be formed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HessianError {
    /// The closed form covers one hidden layer.
    #[error("the weight Hessian is written for one hidden layer; this network has {0}")]
    Depth(usize),
    /// σ″ does not exist.
    #[error("the weight Hessian needs a twice-differentiable activation; {0:?} is not")]
    NotTwiceDifferentiable(Nonlinearity),
    /// `inputs` or `targets` do not fit the network.
    #[error("inputs hold {inputs} numbers and targets {targets}: not [n, {d}] and [n]")]
    Shape {
        /// Length of `inputs`.
        inputs: usize,
        /// Length of `targets`.
        targets: usize,
        /// The network's input dimension.
        d: usize,
    },
}

/// L, ∂L/∂W `[m·d]` and ∂²L/∂W² `[m·d, m·d]` (row-major; entry (r·d + k, q·d + l) is
/// ∂²L/∂W_rk ∂W_ql) of `network` on `inputs` `[n, d]` and `targets` `[n]`, in f64.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightHessian {
    /// L = (1/2n) Σ_i (f_i − y_i)².
    pub loss: f64,
    /// ∂L/∂W, `[m·d]`.
    pub gradient: Vec<f64>,
    /// ∂²L/∂W², `[m·d, m·d]`, symmetric.
    pub hessian: Vec<f64>,
    /// m·d.
    pub size: usize,
}

/// The loss, gradient and Hessian with respect to W of a one-hidden-layer `network` (see the
/// module doc); a, b and s, c are held fixed.
pub fn weight_hessian(
    network: &HostMlp<f64>,
    inputs: &[f64],
    targets: &[f64],
) -> Result<WeightHessian, HessianError> {
    let [layer] = network.layers.as_slice() else {
        return Err(HessianError::Depth(network.layers.len()));
    };
    let sigma = network.nonlinearity;
    sigma
        .second_slope(0.0)
        .ok_or(HessianError::NotTwiceDifferentiable(sigma))?;
    let (m, d, n) = (layer.width, layer.fan_in, targets.len());
    if n == 0 || inputs.len() != n * d {
        return Err(HessianError::Shape {
            inputs: inputs.len(),
            targets: n,
            d,
        });
    }
    let (s, c) = (network.output_scale, layer.input_scale);
    let size = m * d;
    let mut jacobian = vec![0.0; n * size];
    let mut curvature = vec![0.0; n * m];
    let mut errors = vec![0.0; n];
    for i in 0..n {
        let x = &inputs[i * d..(i + 1) * d];
        let mut f = 0.0;
        for r in 0..m {
            let w = &layer.weight[r * d..(r + 1) * d];
            let z = c * w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + layer.bias[r];
            let a = network.output[r];
            f += s * a * sigma.value(z);
            let slope = s * a * sigma.slope(z) * c;
            for k in 0..d {
                jacobian[i * size + r * d + k] = slope * x[k];
            }
            curvature[i * m + r] = s * a * sigma.second_slope(z).unwrap_or(0.0) * c * c;
        }
        errors[i] = f - targets[i];
    }
    let inverse_n = 1.0 / n as f64;
    let loss = 0.5 * inverse_n * errors.iter().map(|e| e * e).sum::<f64>();
    let mut gradient = vec![0.0; size];
    for i in 0..n {
        for (g, j) in gradient.iter_mut().zip(&jacobian[i * size..(i + 1) * size]) {
            *g += inverse_n * errors[i] * j;
        }
    }
    let mut hessian = vec![0.0; size * size];
    for i in 0..n {
        let row = &jacobian[i * size..(i + 1) * size];
        for (p, jp) in row.iter().enumerate() {
            let target = &mut hessian[p * size..(p + 1) * size];
            // (1/n)(J_p J_q): the product first, so that H comes out exactly symmetric.
            for (h, jq) in target.iter_mut().zip(row) {
                *h += inverse_n * (jp * jq);
            }
        }
        let x = &inputs[i * d..(i + 1) * d];
        for r in 0..m {
            let weight = inverse_n * errors[i] * curvature[i * m + r];
            for k in 0..d {
                let p = r * d + k;
                for l in 0..d {
                    hessian[p * size + r * d + l] += weight * (x[k] * x[l]);
                }
            }
        }
    }
    Ok(WeightHessian {
        loss,
        gradient,
        hessian,
        size,
    })
}
