//! The NTK of a network with one hidden layer in closed form (the fast path): matrix products
//! on the backend, or on the host as symmetric rank-k products (for the CPU backends).
//!
//! For f(x) = s Σ_r a_r σ(w_r·x + b_r), with Z = XWᵀ + 1bᵀ, D = σ′(Z), R = σ(Z) (all `[n, m]`):
//! ∂f(x_i)/∂w_r = s a_r σ′(z_ir) x_i, ∂f(x_i)/∂b_r = s a_r σ′(z_ir), ∂f(x_i)/∂a_r = s σ(z_ir), so
//!
//! K = s² [ ((D∘a)(D∘a)ᵀ) ∘ (XXᵀ + 1_b) + R Rᵀ ],
//!
//! with each term present only if its tensor is trained (1_b, the all-ones matrix, for b).
//! Cost: three `[n, m] × [m, n]`-sized products and one `[n, d] × [d, n]`, O(n² (m + d)).

use burn::tensor::{DType, Tensor, TensorData};
use std::cell::RefCell;

use overparam_cpu::{closed_form_kernel_in, KernelWorkspace, Real};
use overparam_model::{affine, host_values_as, Mlp, ParameterId};

use super::{NtkError, NtkParts};

/// The closed-form NTK of `model` at `inputs` `[n, d]`, by group, each part `[n, n]`, as
/// products on the inputs' device (`on_host`: on the host, see [`closed_form_ntk_host`]).
/// Runs without autodiff. A network with more than one hidden layer is
/// [`NtkError::ClosedFormDepth`].
pub(super) fn closed_form_ntk(
    model: &Mlp,
    inputs: Tensor<2>,
    on_host: bool,
) -> Result<NtkParts, NtkError> {
    if model.depth() != 1 {
        return Err(NtkError::ClosedFormDepth {
            depth: model.depth(),
        });
    }
    Ok(if on_host {
        closed_form_ntk_host(model, inputs)
    } else {
        closed_form_ntk_device(model, inputs)
    })
}

/// [`closed_form_ntk`] as products on the backend, for a network of depth 1.
fn closed_form_ntk_device(model: &Mlp, inputs: Tensor<2>) -> NtkParts {
    let inputs = inputs.inner();
    let output_scale = model.output_scale();
    let s_squared = output_scale * output_scale;
    let activation = model.activation();
    let trains = |id| model.config.trains(id);
    let (weights, biases) = (ParameterId::Weights(1), ParameterId::Biases(1));
    // Parameters read without their autodiff association: no graph is recorded, also when the
    // model lives on an autodiff device (as during training).
    let z = affine(
        inputs.clone(),
        model.w[0].val().inner(),
        model.b[0].val().inner(),
        1.0,
    ); // [n, m]
    let mut parts = NtkParts::empty();
    if trains(weights) || trains(biases) {
        let a = model.a.val().inner().unsqueeze_dim::<2>(0); // [1, m]
        let weighted_slope = activation.derivative(z.clone()).mul(a); // D∘a [n, m]
        let slope_gram = weighted_slope
            .clone()
            .matmul(weighted_slope.transpose())
            .mul_scalar(s_squared);
        if trains(weights) {
            let input_gram = inputs.clone().matmul(inputs.transpose());
            parts.add(weights, slope_gram.clone().mul(input_gram));
        }
        if trains(biases) {
            parts.add(biases, slope_gram);
        }
    }
    if trains(ParameterId::Output) {
        let hidden = activation.apply(z); // R [n, m]
        parts.add(
            ParameterId::Output,
            hidden
                .clone()
                .matmul(hidden.transpose())
                .mul_scalar(s_squared),
        );
    }
    parts
}

/// [`closed_form_ntk`] of a network of depth 1 computed on the host by `overparam-cpu` (symmetric rank-k products, only
/// the lower triangles) in the dtype of `inputs`, the parts then put on `inputs`' device. On the
/// CPU backends this is about twice as fast as the backend's products (`overparam bench`); the
/// two agree to rounding (tested).
fn closed_form_ntk_host(model: &Mlp, inputs: Tensor<2>) -> NtkParts {
    thread_local! {
        // The two [n, m] factors, kept per thread between calls (a kernel tracked every k
        // steps would otherwise map fresh pages each time: ~15% of its cost at n = 1024).
        static F32: RefCell<KernelWorkspace<f32>> = RefCell::default();
        static F64: RefCell<KernelWorkspace<f64>> = RefCell::default();
    }
    match inputs.dtype() {
        DType::F64 => F64.with_borrow_mut(|work| host_parts(model, inputs, work)),
        _ => F32.with_borrow_mut(|work| host_parts(model, inputs, work)),
    }
}

fn host_parts<T: Real + burn::tensor::Element>(
    model: &Mlp,
    inputs: Tensor<2>,
    work: &mut KernelWorkspace<T>,
) -> NtkParts {
    let [n, _] = inputs.dims();
    let device = inputs.device();
    let network = model.to_host::<T>();
    let host_inputs: Vec<T> = host_values_as(inputs.inner());
    let kernel = closed_form_kernel_in(&network, &host_inputs, n, work);
    let mut parts = NtkParts::empty();
    for (id, values) in [
        (ParameterId::Weights(1), kernel.weight),
        (ParameterId::Biases(1), kernel.bias),
        (ParameterId::Output, kernel.output),
    ] {
        if let Some(values) = values {
            parts.add(
                id,
                Tensor::<2>::from_data(TensorData::new(values, [n, n]), &device),
            );
        }
    }
    parts
}
