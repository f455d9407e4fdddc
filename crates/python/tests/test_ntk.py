"""The kernels of `op.ntk` / `op.analytic_ntk` against formulas written out here in numpy, and
the spectrum helpers against numpy's eigensolver.

The network (crates/model/src/mlp.rs, config.rs, parameterization.rs, layer.rs):

    f(x) = s · Σ_r a_r σ(z_r),  z_r = w_r·x + b_r   (c_1 = 1: the first layer is never scaled)

with s = 1/√m (`ntk`), 1 (`standard`) or 1/m (`mean_field`). Its per-sample gradients are
∂f/∂w_r = s a_r σ'(z_r) x, ∂f/∂b_r = s a_r σ'(z_r), ∂f/∂a_r = s σ(z_r), so the NTK over the
trained tensors is (crates/trainer/src/ntk/closed_form.rs)

    K = η_w s² (D∘a)(D∘a)ᵀ ∘ XXᵀ  +  η_b s² (D∘a)(D∘a)ᵀ  +  η_a s² R Rᵀ,

D = σ'(Z), R = σ(Z), each term present only when its tensor trains, η_g = 1 unless the kernel
is learning-rate weighted.

Tolerances: every kernel entry here is a sum of at most m·(d + 2) ≈ 500 products of O(1)
float64 numbers, computed by the core and by numpy in different summation orders. Each order
is accurate to about (number of terms) · 2⁻⁵³ ≈ 1e-13 of the sum of the terms' magnitudes,
which is at most the largest diagonal entry; so rtol = 1e-12 with atol = 1e-12 · max|K| (for
off-diagonal entries that nearly cancel) leaves a margin of ~10 and still catches any wrong
factor, missing term or f32 computation (errors ≥ 1e-8).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import overparam as op

#: Burn fixes a device's dtype at its first use, for the whole process, so this suite (one
#: process) computes in f64 on flex and in f32 on the other CPU backend.
F32_BACKEND = "ndarray"

RTOL = 1e-12


def assert_kernel_close(actual: np.ndarray, expected: np.ndarray, rtol: float = RTOL) -> None:
    """Entrywise close, relative per entry and absolute relative to the kernel's scale."""
    assert actual.shape == expected.shape
    scale = float(np.max(np.abs(expected)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def activation_and_slope(name: str):
    """σ and σ' as crates/model/src/activation.rs defines them (ReLU: σ'(0) = 0)."""
    if name == "relu":
        return (lambda z: np.maximum(z, 0.0)), (lambda z: (z > 0.0).astype(np.float64))
    if name == "quadratic":
        return (lambda z: z * z), (lambda z: 2.0 * z)
    if name == "softplus":  # identity above z = 20, as the core (no |z| > 20 occurs here)
        return (lambda z: np.log1p(np.exp(z))), (lambda z: 1.0 / (1.0 + np.exp(-z)))
    raise ValueError(name)


def output_scale(parameterization: str, m: int) -> float:
    return {"ntk": 1.0 / math.sqrt(m), "standard": 1.0, "mean_field": 1.0 / m}[parameterization]


def two_layer_ntk(
    x: np.ndarray,
    params: dict,
    *,
    activation: str = "relu",
    parameterization: str = "ntk",
    train_w: bool = True,
    train_b: bool = True,
    train_a: bool = True,
    rates: tuple = (1.0, 1.0, 1.0),
) -> np.ndarray:
    """The two-layer NTK of the module docstring, in float64."""
    w, b, a = (np.asarray(params[k], dtype=np.float64) for k in ("w1", "b1", "a"))
    x = np.asarray(x, dtype=np.float64)
    sigma, slope = activation_and_slope(activation)
    s = output_scale(parameterization, w.shape[0])
    z = x @ w.T + b  # [n, m]
    weighted_slope = slope(z) * a  # D∘a
    slope_gram = s * s * (weighted_slope @ weighted_slope.T)
    hidden = sigma(z)
    eta_w, eta_b, eta_a = rates
    kernel = np.zeros((x.shape[0], x.shape[0]))
    if train_w:
        kernel += eta_w * slope_gram * (x @ x.T)
    if train_b:
        kernel += eta_b * slope_gram
    if train_a:
        kernel += eta_a * s * s * (hidden @ hidden.T)
    return kernel


def deep_ntk(x: np.ndarray, params: dict) -> np.ndarray:
    """The NTK of a ReLU network with hidden layers w1/b1, w2/b2, … in the `ntk`
    parameterization (README "The model": z_l = c_l W_l h_{l−1} + b_l, c_1 = 1,
    c_l = 1/√m_{l−1}, f = a·h_L/√m_L), every tensor trained, by backpropagating the per-sample
    output gradient δ_l = ∂f/∂z_l: K = Σ_l (δ_l δ_lᵀ) ∘ (c_l² H_{l−1} H_{l−1}ᵀ + 1) + s² H_L H_Lᵀ."""
    depth = sum(1 for k in params if k.startswith("w"))
    hiddens, pre, scales = [np.asarray(x, dtype=np.float64)], [], []
    for layer in range(1, depth + 1):
        w, b = params[f"w{layer}"], params[f"b{layer}"]
        c = 1.0 if layer == 1 else 1.0 / math.sqrt(w.shape[1])
        z = c * (hiddens[-1] @ w.T) + b
        scales.append(c)
        pre.append(z)
        hiddens.append(np.maximum(z, 0.0))
    s = 1.0 / math.sqrt(params["a"].shape[0])
    kernel = s * s * (hiddens[-1] @ hiddens[-1].T)
    delta = s * params["a"] * (pre[-1] > 0)  # ∂f/∂z_L  [n, m_L]
    for layer in range(depth, 0, -1):
        c, h_in = scales[layer - 1], hiddens[layer - 1]
        kernel += (delta @ delta.T) * (c * c * (h_in @ h_in.T) + 1.0)
        if layer > 1:
            delta = (c * (delta @ params[f"w{layer}"])) * (pre[layer - 2] > 0)
    return kernel


def assert_away_from_kinks(x: np.ndarray, params: dict, margin: float = 1e-9) -> None:
    """The test data has no pre-activation within `margin` of ReLU's kink, where rounding could
    flip σ'(z) between two computations (a property of the fixed seeds, checked so that a
    failure says so: f64 computations differ by ~1e-15 in z, f32 ones by ~1e-6)."""
    z = np.asarray(x, np.float64) @ np.asarray(params["w1"], np.float64).T + params["b1"]
    assert np.min(np.abs(z)) > margin, "test data lies on a ReLU kink: change its seed"


@pytest.fixture
def data():
    """x [12, 5] (Gaussian) and the parameters of a width-48 network with bias −0.3."""
    x = np.random.default_rng(7).standard_normal((12, 5)) / 2.0
    params = op.init_params(d=5, width=48, seed=3, bias_init=-0.3)
    assert params["w1"].shape == (48, 5) and params["b1"].shape == (48,) and params["a"].shape == (48,)
    np.testing.assert_array_equal(params["b1"], np.full(48, -0.3))
    assert_away_from_kinks(x, params)
    return x, params


def sphere(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# --------------------------------------------------------------------------------------------
# The empirical two-layer kernel.


@pytest.mark.parametrize("method", ["closed", "jacobian"])
def test_two_layer_relu_kernel_equals_the_numpy_formula(data, method):
    """Guards the kernel's definition: every group's term, the output scale 1/√m, the unscaled
    first layer and the bias term (nonzero bias), for both methods."""
    x, params = data
    kernel = op.ntk(x, params, method=method)
    assert isinstance(kernel, np.ndarray) and kernel.dtype == np.float64 and kernel.shape == (12, 12)
    assert_kernel_close(kernel, two_layer_ntk(x, params))
    assert_kernel_close(kernel, kernel.T)


@pytest.mark.parametrize("activation", ["relu", "softplus", "quadratic"])
@pytest.mark.parametrize("parameterization", ["ntk", "standard", "mean_field"])
@pytest.mark.parametrize("method", ["closed", "jacobian"])
def test_kernel_follows_activation_and_parameterization(data, activation, parameterization, method):
    """Guards that `activation` and `parameterization` reach the kernel (σ, σ' and s)."""
    x, params = data
    kernel = op.ntk(x, params, method=method, activation=activation, parameterization=parameterization)
    assert_kernel_close(kernel, two_layer_ntk(x, params, activation=activation, parameterization=parameterization))


@pytest.mark.parametrize(
    "flags",
    [
        dict(train_w=False),
        dict(train_b=False),
        dict(train_a=False),
        dict(train_w=False, train_b=False),
        dict(train_w=False, train_a=False),
        dict(train_b=False, train_a=False),
    ],
    ids=lambda flags: "-".join(sorted(flags)),
)
@pytest.mark.parametrize("method", ["closed", "jacobian"])
def test_frozen_tensors_drop_their_term(data, flags, method):
    """Guards `train_w/b/a`: a frozen tensor contributes nothing to the kernel."""
    x, params = data
    kernel = op.ntk(x, params, method=method, **flags)
    assert_kernel_close(kernel, two_layer_ntk(x, params, **flags))


@pytest.mark.parametrize("method", ["closed", "jacobian"])
def test_the_kernel_is_the_sum_of_its_group_kernels(data, method):
    """Guards the additivity K = K_w + K_b + K_a of the core's own single-group kernels."""
    x, params = data
    only = lambda group: {f"train_{g}": g == group for g in "wba"}  # noqa: E731
    parts = [op.ntk(x, params, method=method, **only(group)) for group in "wba"]
    assert_kernel_close(parts[0] + parts[1] + parts[2], op.ntk(x, params, method=method))


@pytest.mark.parametrize("method", ["closed", "jacobian"])
def test_lr_weighted_kernel_weights_each_group(data, method):
    """Guards K_η = Σ_g η_g J_g J_gᵀ: lr_w, lr_b, lr_a each scale their own group's term."""
    x, params = data
    kernel = op.ntk(x, params, method=method, lr_weighted=True, lr_w=2.0, lr_b=0.5, lr_a=3.0)
    expected = two_layer_ntk(x, params, rates=(2.0, 0.5, 3.0))
    assert_kernel_close(kernel, expected)
    assert not np.allclose(kernel, two_layer_ntk(x, params), rtol=1e-3), "the rates changed nothing"


@pytest.mark.parametrize("method", ["closed", "jacobian"])
def test_lr_weighted_kernel_with_a_frozen_tensor(data, method):
    """Guards that a frozen group stays out of K_η whatever its rate."""
    x, params = data
    kernel = op.ntk(x, params, method=method, lr_weighted=True, lr_w=2.0, lr_b=0.5, lr_a=3.0, train_b=False)
    assert_kernel_close(kernel, two_layer_ntk(x, params, train_b=False, rates=(2.0, 0.5, 3.0)))


def test_rates_without_lr_weighted_leave_the_plain_kernel(data):
    """Guards that lr_w/lr_b/lr_a only matter with lr_weighted=True."""
    x, params = data
    plain = op.ntk(x, params, method="closed")
    np.testing.assert_array_equal(op.ntk(x, params, method="closed", lr_w=2.0, lr_b=0.5, lr_a=3.0), plain)


def test_jacobian_equals_closed_form(data):
    """Guards the agreement of the two empirical methods on the same inputs, in f64."""
    x, params = data
    kernels = op.ntk(x, params, method=["jacobian", "closed"])
    assert set(kernels) == {"jacobian", "closed"}
    assert_kernel_close(kernels["jacobian"], kernels["closed"])


@pytest.mark.parametrize("block_size", [1, 5, 256])
def test_jacobian_does_not_depend_on_block_size(data, block_size):
    """Guards the blocked Jacobian: any block size gives the closed-form kernel."""
    x, params = data
    assert_kernel_close(op.ntk(x, params, method="jacobian", block_size=block_size), two_layer_ntk(x, params))


def test_unknown_method_is_a_value_error(data):
    """Guards the method check: a misspelt method names itself."""
    x, params = data
    with pytest.raises(ValueError, match="jacobain"):
        op.ntk(x, params, method="jacobain")


# --------------------------------------------------------------------------------------------
# The infinite-width kernel.


def arc_cosine_ntk(x: np.ndarray, *, train_w: bool = True, train_b: bool = True, train_a: bool = True) -> np.ndarray:
    """K∞ of a two-layer ReLU network at bias 0 (analytic_ntk's docstring; crates/trainer/src/
    ntk/analytic/{mod,relu}.rs): with u = x·x'/(‖x‖‖x'‖), θ = arccos u,
    K∞ = 1_a ‖x‖‖x'‖ (u(π − θ) + sin θ)/(2π) + (1_W x·x' + 1_b)(π − θ)/(2π).
    The inputs enter unscaled (c_1 = 1, W ~ N(0, I)), so z = w·x has variance ‖x‖²."""
    gram = x @ x.T
    norms = np.sqrt(np.diag(gram))
    u = np.clip(gram / np.outer(norms, norms), -1.0, 1.0)
    theta = np.arccos(u)
    np.fill_diagonal(theta, 0.0)  # the core uses the exact diagonal moments (θ = 0)
    np.fill_diagonal(u, 1.0)
    value = np.outer(norms, norms) * (u * (math.pi - theta) + np.sin(theta)) / (2 * math.pi)
    slope = (math.pi - theta) / (2 * math.pi)
    return train_a * value + (train_w * gram + train_b * 1.0) * slope


@pytest.fixture
def sphere_x():
    """x [10, 6] on the unit sphere, no pair nearly parallel (arccos is ill-conditioned there)."""
    x = sphere(10, 6, seed=11)
    cosines = x @ x.T
    np.fill_diagonal(cosines, 0.0)
    assert np.max(np.abs(cosines)) < 0.99
    return x


def test_analytic_ntk_equals_the_arc_cosine_formula(sphere_x):
    """Guards K∞ at bias 0, depth 1: the arc-cosine kernels of degree 1 (from a) and 0 (from W
    and b), on inputs of the sphere."""
    kernel = op.analytic_ntk(sphere_x, bias=0.0, depth=1)
    assert kernel.dtype == np.float64 and kernel.shape == (10, 10)
    assert_kernel_close(kernel, arc_cosine_ntk(sphere_x))


def test_analytic_ntk_off_the_sphere(sphere_x):
    """Guards the norms in K∞ (inputs of different lengths, unscaled first layer)."""
    x = sphere_x * np.linspace(0.5, 2.0, 10)[:, None]
    assert_kernel_close(op.analytic_ntk(x, bias=0.0, depth=1), arc_cosine_ntk(x))


@pytest.mark.parametrize(
    "flags", [dict(train_w=False), dict(train_b=False), dict(train_a=False)], ids=lambda flags: "-".join(flags)
)
def test_analytic_ntk_drops_frozen_terms(sphere_x, flags):
    """Guards train_w/b/a in the infinite-width kernel."""
    assert_kernel_close(op.analytic_ntk(sphere_x, **flags), arc_cosine_ntk(sphere_x, **flags))


def test_wide_network_kernel_approaches_the_analytic_one(sphere_x):
    """Guards that ntk and analytic_ntk describe the same network: at width 8192 the empirical
    kernel is within a few O(1/√m) ≈ 1% of K∞ (relative Frobenius)."""
    params = op.init_params(d=6, width=8192, seed=5, bias_init=0.0)
    empirical = op.ntk(sphere_x, params, method="closed")
    limit = op.analytic_ntk(sphere_x, bias=0.0)
    assert np.linalg.norm(empirical - limit) / np.linalg.norm(limit) < 0.1


def test_method_all_returns_every_kernel(sphere_x):
    """Guards method="all" on a two-layer network: jacobian, closed and analytic, the analytic
    one the same as analytic_ntk's (bias 0, the parameters' and the config default)."""
    params = op.init_params(d=6, width=32, seed=2, bias_init=0.0)
    kernels = op.ntk(sphere_x, params, method="all")
    assert isinstance(kernels, dict)
    assert set(kernels) == {"jacobian", "closed", "analytic"}
    for kernel in kernels.values():
        assert kernel.dtype == np.float64 and kernel.shape == (10, 10)
    assert_kernel_close(kernels["jacobian"], kernels["closed"])
    assert_kernel_close(kernels["closed"], two_layer_ntk(sphere_x, params))
    np.testing.assert_allclose(kernels["analytic"], op.analytic_ntk(sphere_x, bias=0.0), rtol=1e-14, atol=0)


# --------------------------------------------------------------------------------------------
# Deeper networks.


@pytest.fixture
def deep():
    """A network with two hidden layers of width 8 on d = 4, and inputs for it."""
    params = op.init_params(d=4, widths=[8, 8], seed=1)
    assert sorted(params) == ["a", "b1", "b2", "w1", "w2"]
    assert params["w1"].shape == (8, 4) and params["w2"].shape == (8, 8) and params["a"].shape == (8,)
    x = np.random.default_rng(4).standard_normal((6, 4)) / 2.0
    return x, params


def test_method_all_on_a_deep_network_leaves_out_the_closed_form(deep):
    """Guards method="all" on depth 2: the closed form does not apply and is left out."""
    x, params = deep
    kernels = op.ntk(x, params, method="all")
    assert set(kernels) == {"jacobian", "analytic"}
    assert kernels["jacobian"].shape == (6, 6)


def test_closed_form_of_a_deep_network_is_refused(deep):
    """Guards that asking for the closed form of a deep network by name is an error that says
    why (the closed form is the one-hidden-layer, i.e. depth-1, formula)."""
    x, params = deep
    with pytest.raises((ValueError, RuntimeError)) as error:
        op.ntk(x, params, method="closed")
    assert any(word in str(error.value).lower() for word in ("depth", "two-layer", "hidden layer", "widths")), str(error.value)


def test_jacobian_of_a_deep_network_equals_backpropagation_in_numpy():
    """Guards the Jacobian method at depth 2 with a nonzero bias: the layer scale c_2 = 1/√m_1,
    the output scale 1/√m_2 and every layer's weight and bias terms."""
    params = op.init_params(d=4, widths=[8, 8], seed=1, bias_init=-0.1)
    x = np.random.default_rng(4).standard_normal((6, 4)) / 2.0
    assert_kernel_close(op.ntk(x, params, method="jacobian"), deep_ntk(x, params))


# --------------------------------------------------------------------------------------------
# Spectrum.


def test_eigenvalues_equal_numpy_eigvalsh(data):
    """Guards op.eigenvalues: ascending, the eigenvalues of numpy's symmetric solver to 1e-10 of
    the spectral radius (both are backward stable: errors ≈ n · 2⁻⁵³ · ‖K‖)."""
    x, params = data
    kernel = op.ntk(x, params, method="closed")
    values = op.eigenvalues(kernel)
    expected = np.linalg.eigvalsh(kernel)
    assert values.dtype == np.float64 and values.shape == (12,)
    assert np.all(np.diff(values) >= 0), "eigenvalues must be ascending"
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-10 * np.max(np.abs(expected)))


def test_spectrum_keys_and_values(data):
    """Guards op.spectrum: its keys, λ_min/λ_max the ends of the eigenvalues, the condition number."""
    x, params = data
    kernel = op.ntk(x, params, method="closed")
    spectrum = op.spectrum(kernel)
    assert set(spectrum) == {"lambda_min", "lambda_max", "condition_number", "eigenvalues"}
    values = spectrum["eigenvalues"]
    np.testing.assert_array_equal(values, op.eigenvalues(kernel))
    assert spectrum["lambda_min"] == values[0] and spectrum["lambda_max"] == values[-1]
    assert spectrum["lambda_min"] > 0
    assert spectrum["condition_number"] == pytest.approx(values[-1] / values[0], rel=1e-15)


def test_spectrum_of_an_indefinite_matrix_has_no_condition_number():
    """Guards condition_number = None when λ_min ≤ 0 (a singular kernel is a result)."""
    spectrum = op.spectrum(np.diag([2.0, -1.0, 1.0]))
    np.testing.assert_allclose(spectrum["eigenvalues"], [-1.0, 1.0, 2.0], rtol=0, atol=1e-14)
    assert spectrum["condition_number"] is None


def test_eigenvalues_refuse_non_finite_entries():
    """Guards that NaN in K is a ValueError, not garbage eigenvalues."""
    kernel = np.eye(3)
    kernel[1, 2] = kernel[2, 1] = np.nan
    with pytest.raises(ValueError):
        op.eigenvalues(kernel)


# --------------------------------------------------------------------------------------------
# float32.


@pytest.mark.parametrize("method", ["closed", "jacobian"])
def test_float32_inputs_compute_in_float32(method):
    """Guards the f32 path: float32 x and params are used as given (dtype f32), the result is a
    float64 array holding float32 values, within rounding of the f64 kernel of the same
    numbers (rtol 1e-5: float32 sums of ~250 terms err by ~1e-6 relative)."""
    x32 = (np.random.default_rng(7).standard_normal((12, 5)) / 2.0).astype(np.float32)
    params64 = op.init_params(d=5, width=48, seed=3, bias_init=-0.3)
    params32 = {name: value.astype(np.float32) for name, value in params64.items()}
    exact = {name: value.astype(np.float64) for name, value in params32.items()}  # the same numbers
    assert_away_from_kinks(x32, exact, margin=1e-5)
    kernel32 = op.ntk(x32, params32, method=method, backend=F32_BACKEND)
    kernel64 = op.ntk(x32.astype(np.float64), exact, method=method)
    assert kernel32.dtype == np.float64 and kernel32.shape == (12, 12)
    np.testing.assert_allclose(kernel32, kernel64, rtol=1e-5, atol=1e-5 * np.max(np.abs(kernel64)))
    # Computed in f32: every entry is a float32 number (an f64 computation would not be).
    np.testing.assert_array_equal(kernel32.astype(np.float32).astype(np.float64), kernel32)
    assert not np.array_equal(kernel32, kernel64)


def test_explicit_dtype_overrides_the_arrays(data):
    """Guards dtype="f32" with float64 arrays: the kernel is computed in f32."""
    x, params = data
    assert_away_from_kinks(x, params, margin=1e-5)
    kernel = op.ntk(x, params, method="closed", dtype="f32", backend=F32_BACKEND)
    assert kernel.dtype == np.float64
    np.testing.assert_array_equal(kernel.astype(np.float32).astype(np.float64), kernel)
    np.testing.assert_allclose(kernel, two_layer_ntk(x, params), rtol=1e-4, atol=1e-5 * np.max(np.abs(kernel)))
