"""Held-out points from Python: cross kernels of `op.ntk(..., x_test=)`, kernel regression by
`op.predict`, the NNGP kernel of `op.nngp`, and `op.train` with held-out points, each against
numpy written out here.

The network (crates/model): f(x) = (1/√m) Σ_r a_r relu(w_r·x + b_r) in the NTK
parameterization (the first layer is never scaled). Kernel regression as neural-tangents'
`predict.gradient_descent_mse` at t = ∞ (crates/api/src/ntk/predict.rs):

- empirical NTKs: f_0(x_test) + K(x_test, x) (K + ρI)⁻¹ (y − f_0(x));
- the analytic NTK K∞ and NNGP kernels: K(x_test, x) (K + ρI)⁻¹ y.

Tolerances: kernel entries are f64 sums of at most m·(d + 2) ≈ 200 O(1) products, accurate to
~1e-14 of the kernel's scale in any summation order; a solve with condition number κ loses
log10 κ digits, and every κ here is below 1e4 (asserted where it matters), so predictions
agree with numpy's solve to ~1e-12 of their scale; 1e-9 leaves margin and catches any wrong
offset, block or sign (O(1) errors).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import overparam as op

#: Burn fixes a device's dtype at its first use, for the whole process, so this suite (one
#: process) computes in f64 on flex and in f32 on the other CPU backend.
F32_BACKEND = "ndarray"

N, N_TEST, D, M = 10, 4, 3, 32
BIAS = -0.2


def problem(seed: int = 0):
    """Inputs x [N, D] and x_test [N_TEST, D] (not on the sphere: the norms matter), targets,
    and a network with every bias at BIAS."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) / 2.0
    x_test = rng.standard_normal((N_TEST, D)) / 2.0
    y, y_test = rng.standard_normal(N), rng.standard_normal(N_TEST)
    params = op.init_params(d=D, width=M, seed=seed + 1, bias_init=BIAS)
    return x, y, x_test, y_test, params


def assert_close(actual, expected, tol: float, what: str) -> None:
    """Entrywise |actual − expected| ≤ tol · max(|expected|)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = float(np.max(np.abs(expected)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tol * scale, err_msg=what)


def half_mean_squared(f, y) -> float:
    return 0.5 * float(np.mean((np.asarray(f) - np.asarray(y)) ** 2))


# --------------------------------------------------------------------------------------------
# Cross kernels.


@pytest.mark.parametrize("method", ["jacobian", "closed", "analytic"])
def test_cross_kernel_is_the_off_diagonal_block_of_the_joint_kernel(method):
    """K(x_test, x) has the rows of the kernel recomputed on [x; x_test] (its off-diagonal
    block), and K with x_test is exactly K without it."""
    x, _y, x_test, _y_test, params = problem()
    K, K_cross = op.ntk(x, params, method=method, x_test=x_test)
    assert K.shape == (N, N) and K_cross.shape == (N_TEST, N)
    assert K.dtype == K_cross.dtype == np.float64
    joint = op.ntk(np.vstack([x, x_test]), params, method=method)
    assert_close(K_cross, joint[N:, :N], 1e-12, f"{method}: cross vs joint block")
    np.testing.assert_array_equal(K, op.ntk(x, params, method=method), err_msg=f"{method}: K changed by x_test")
    # The block is not trivially related to K: the held-out points are other points.
    assert np.max(np.abs(K_cross - K[:N_TEST])) > 1e-3


def test_method_all_with_x_test_gives_a_pair_per_method():
    x, _y, x_test, _y_test, params = problem()
    kernels = op.ntk(x, params, method="all", x_test=x_test)
    assert sorted(kernels) == ["analytic", "closed", "jacobian"]
    for name, pair in kernels.items():
        K, K_cross = pair
        assert K.shape == (N, N) and K_cross.shape == (N_TEST, N), name
    assert_close(kernels["jacobian"][1], kernels["closed"][1], 1e-12, "jacobian vs closed cross kernel")


def test_x_test_with_the_wrong_dimension_is_a_value_error():
    x, _y, x_test, _y_test, params = problem()
    with pytest.raises(ValueError, match="x_test"):
        op.ntk(x, params, x_test=x_test[:, :2])


def test_an_empty_x_test_gives_an_empty_cross_kernel_or_a_value_error():
    """x_test with no rows: a [0, n] cross kernel, or a ValueError naming x_test; never a
    KeyError from inside the module."""
    x, _y, _x_test, _y_test, params = problem()
    try:
        K, K_cross = op.ntk(x, params, x_test=np.zeros((0, D)))
    except ValueError as error:
        assert "x_test" in str(error)
    else:
        assert K_cross.shape == (0, N)
        np.testing.assert_array_equal(K, op.ntk(x, params))


# --------------------------------------------------------------------------------------------
# Kernel regression.


@pytest.mark.parametrize("method", ["closed", "jacobian"])
def test_predict_equals_a_numpy_solve(method, two_layer_outputs):
    """prediction = f0_test + Kc K⁻¹ (y − f0) with f0 a numpy forward pass (checked against the
    returned f0_test), K and Kc from op.ntk, solved by np.linalg.solve; the losses are those of
    the prediction."""
    x, y, x_test, y_test, params = problem()
    result = op.predict(x, y, x_test, params, y_test=y_test, method=method)
    assert set(result) == {"prediction", "test_loss", "train_loss", "condition_number", "f0_test"}
    f0, f0_test = two_layer_outputs(x, params), two_layer_outputs(x_test, params)
    assert_close(result["f0_test"], f0_test, 1e-13, "f0_test vs numpy's forward pass")
    K, K_cross = op.ntk(x, params, method=method, x_test=x_test)
    condition = np.linalg.cond(K)
    assert condition < 1e4
    np.testing.assert_allclose(result["condition_number"], condition, rtol=1e-6)
    expected = f0_test + K_cross @ np.linalg.solve(K, y - f0)
    assert_close(result["prediction"], expected, 1e-9, f"{method} prediction")
    assert result["test_loss"] == pytest.approx(half_mean_squared(result["prediction"], y_test), rel=1e-12)
    assert 0.0 <= result["train_loss"] < 1e-20, "without a ridge the training points are interpolated"
    # The regression moved the prediction off f_0: the comparison above is not of f_0 with itself.
    assert np.max(np.abs(result["prediction"] - f0_test)) > 1e-2


def test_predict_without_y_test_has_no_test_loss_and_all_gives_every_method():
    x, y, x_test, _y_test, params = problem()
    result = op.predict(x, y, x_test, params)
    assert result["test_loss"] is None
    both = op.predict(x, y, x_test, params, method="all")
    assert {"jacobian", "closed", "analytic", "f0_test"} <= set(both)
    assert_close(both["jacobian"]["prediction"], both["closed"]["prediction"], 1e-9, "jacobian vs closed")
    assert_close(both["closed"]["prediction"], result["prediction"], 1e-12, "all vs closed alone")


def test_predict_analytic_is_kernel_regression_with_the_analytic_ntk():
    """The analytic prediction is K∞(x_test, x) K∞⁻¹ y, without f_0, with K∞ of
    op.analytic_ntk on [x; x_test] at the network's (constant) bias."""
    x, y, x_test, y_test, params = problem()
    result = op.predict(x, y, x_test, params, y_test=y_test, method="analytic")
    K_inf = op.analytic_ntk(np.vstack([x, x_test]), bias=BIAS, depth=1)
    expected = K_inf[N:, :N] @ np.linalg.solve(K_inf[:N, :N], y)
    assert_close(result["prediction"], expected, 1e-9, "analytic prediction")
    # With f_0 added it would differ by about |f_0| (O(1) here).
    assert np.max(np.abs(result["f0_test"])) > 1e-2


def test_ridge_enters_the_solve_and_leaves_a_training_residual(two_layer_outputs):
    x, y, x_test, _y_test, params = problem()
    ridge = 0.5
    result = op.predict(x, y, x_test, params, ridge=ridge)
    f0, f0_test = two_layer_outputs(x, params), two_layer_outputs(x_test, params)
    K, K_cross = op.ntk(x, params, method="closed", x_test=x_test)
    alpha = np.linalg.solve(K + ridge * np.eye(N), y - f0)
    assert_close(result["prediction"], f0_test + K_cross @ alpha, 1e-10, "prediction with ridge")
    # The fit f0 + K α leaves the residual y − f0 − K α = ρ α.
    assert result["train_loss"] > 1e-6
    assert result["train_loss"] == pytest.approx(0.5 * np.mean((ridge * alpha) ** 2), rel=1e-9)
    unridged = op.predict(x, y, x_test, params)
    assert np.max(np.abs(unridged["prediction"] - result["prediction"])) > 1e-4


def test_a_singular_kernel_needs_a_ridge():
    """Duplicate inputs make K singular: ridge 0 is a ValueError that says to give a ridge;
    with one the solve goes through."""
    x, y, x_test, _y_test, params = problem()
    x_dup = np.vstack([x, x[:1]])
    y_dup = np.append(y, y[0] + 1.0)
    with pytest.raises(ValueError, match="ridge"):
        op.predict(x_dup, y_dup, x_test, params)
    result = op.predict(x_dup, y_dup, x_test, params, ridge=1e-3)
    assert np.all(np.isfinite(result["prediction"]))
    # Two different targets at one input cannot both be fitted.
    assert result["train_loss"] > 0.01


def test_predict_rejects_bad_targets():
    x, y, x_test, y_test, params = problem()
    with pytest.raises(ValueError, match="y"):
        op.predict(x, y[:-1], x_test, params)
    bad = y.copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match="y"):
        op.predict(x, bad, x_test, params)
    with pytest.raises(ValueError, match="ridge"):
        op.predict(x, y, x_test, params, ridge=-1.0)


# --------------------------------------------------------------------------------------------
# The NNGP kernel.


def arc_cosine_nngp(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """E_w[relu(w·x) relu(w·x')], w ~ N(0, I): ‖x‖‖x'‖ (sin θ + (π − θ) cos θ)/(2π)
    (Cho & Saul 2009), the NNGP kernel of the two-layer ReLU network at bias 0 with
    a ~ N(0, 1)."""
    norms_a = np.linalg.norm(a, axis=1)
    norms_b = np.linalg.norm(b, axis=1)
    cos = np.clip((a @ b.T) / np.outer(norms_a, norms_b), -1.0, 1.0)
    theta = np.arccos(cos)
    return np.outer(norms_a, norms_b) * (np.sin(theta) + (math.pi - theta) * cos) / (2.0 * math.pi)


def test_analytic_nngp_is_the_arc_cosine_kernel():
    x, _y, x_test, _y_test, _params = problem(3)
    K = op.nngp(x)
    assert K.shape == (N, N) and K.dtype == np.float64
    assert_close(K, arc_cosine_nngp(x, x), 1e-12, "analytic NNGP vs the arc-cosine formula")
    np.testing.assert_allclose(np.diag(K), np.sum(x * x, axis=1) / 2.0, rtol=1e-12)
    K2, K_cross = op.nngp(x, x_test=x_test)
    np.testing.assert_array_equal(K2, K)
    assert_close(K_cross, arc_cosine_nngp(x_test, x), 1e-12, "analytic NNGP cross kernel")


def test_analytic_nngp_depends_on_the_bias():
    """With bias B the pre-activations get the constant B: the kernel moves (a bias ignored
    would leave the arc-cosine kernel)."""
    x, *_ = problem(3)
    shifted = op.nngp(x, bias_init=-0.5)
    assert np.max(np.abs(shifted - arc_cosine_nngp(x, x))) > 1e-2


def test_empirical_nngp_is_within_sampling_error_of_the_analytic_one():
    """The mean of f fᵀ over S = 400 networks: each entry an average of S draws of f(x) f(x'),
    whose variance for near-Gaussian f (width 512) is K(x,x) K(x',x') + K(x,x')²; the
    standardized errors must be O(1) (max below 5, for 55 entries), and not ~0 (the empirical
    kernel is an average, not the limit)."""
    x, *_ = problem(4)
    S = 400
    analytic = op.nngp(x, method="analytic")
    empirical = op.nngp(x, method="empirical", ensemble=S)
    np.testing.assert_array_equal(empirical, empirical.T)
    sigma = np.sqrt((np.outer(np.diag(analytic), np.diag(analytic)) + analytic**2) / S)
    z = (empirical - analytic) / sigma
    upper = z[np.triu_indices(N)]
    assert np.max(np.abs(upper)) < 5.0, f"max |z| = {np.max(np.abs(upper)):.2f}"
    rms = float(np.sqrt(np.mean(upper**2)))
    assert 0.2 < rms < 2.5, f"RMS z = {rms:.3f}"
    # Deterministic in the seed, different for another.
    np.testing.assert_array_equal(op.nngp(x, method="empirical", ensemble=S), empirical)
    assert not np.array_equal(op.nngp(x, method="empirical", ensemble=S, seed=1), empirical)


def test_nngp_with_targets_gives_the_posterior_mean():
    x, y, x_test, y_test, _params = problem(5)
    ridge = 0.1
    result = op.nngp(x, x_test=x_test, y=y, y_test=y_test, ridge=ridge)
    K = arc_cosine_nngp(x, x)
    expected = arc_cosine_nngp(x_test, x) @ np.linalg.solve(K + ridge * np.eye(N), y)
    assert_close(result["prediction"], expected, 1e-10, "NNGP posterior mean")
    assert result["test_loss"] == pytest.approx(half_mean_squared(expected, y_test), rel=1e-9)
    with pytest.raises(ValueError, match="ridge"):
        op.nngp(x, y=y, ridge=0.1)  # no x_test


# --------------------------------------------------------------------------------------------
# Training with held-out points.


@pytest.mark.parametrize("dtype", ["f64", "f32"])
def test_train_with_held_out_points_in_memory_and_through_the_cli_agree(
    tiny_config, tmp_path, assert_identical, two_layer_outputs, dtype
):
    """op.train with x_test/y_test in memory and with out= (the command line, with the arrays
    written as test.npz) give bit-identical metrics, the held-out and linearized columns
    included; test_loss at step 0 is the initial network's held-out loss."""
    tiny_config["train"]["linearized"] = True
    rng = np.random.default_rng(7)
    x_test = rng.standard_normal((6, 4))
    x_test /= np.linalg.norm(x_test, axis=1, keepdims=True)
    y_test = rng.standard_normal(6)
    backend = F32_BACKEND if dtype == "f32" else "flex"
    if dtype == "f32":
        x_test, y_test = x_test.astype(np.float32), y_test.astype(np.float32)
    memory = op.train(tiny_config, x_test=x_test, y_test=y_test, backend=backend, progress=False)
    cli = op.train(tiny_config, x_test=x_test, y_test=y_test, backend=backend, progress=False, out=tmp_path / "run")
    assert memory.summary["dtype"] == cli.summary["dtype"] == dtype
    assert (tmp_path / "run" / "test.npz").is_file()
    assert_identical(memory.metrics, cli.metrics, "metrics")
    for name in ("test_loss", "loss_lin", "test_loss_lin", "lin_distance", "test_lin_distance"):
        assert np.all(np.isfinite(memory.metrics[name])), name
    assert memory.summary["final_test_loss"] == cli.summary["final_test_loss"] == memory.metrics["test_loss"][-1]
    # f64: exact parameters, 1e-12; f32: outputs rounded to ~1e-6 relative.
    initial = half_mean_squared(two_layer_outputs(x_test, memory.params_init), np.asarray(y_test, dtype=np.float64))
    assert memory.metrics["test_loss"][0] == pytest.approx(initial, rel=1e-12 if dtype == "f64" else 1e-5)
    assert memory.metrics["lin_distance"][0] <= 1e-10
    assert memory.summary["kernel_regression"]["analytic_test_loss"] > 0


def test_train_without_held_out_points_has_nan_test_loss(tiny_config):
    run = op.train(tiny_config, dtype="f64", progress=False)
    for name in ("test_loss", "loss_lin", "test_loss_lin", "lin_distance", "test_lin_distance"):
        assert name in run.metrics, name
        assert np.all(np.isnan(run.metrics[name])), name
    assert np.all(np.isfinite(run.metrics["loss"]))
    assert run.summary.get("final_test_loss") is None


def test_train_held_out_arrays_are_checked(tiny_config):
    rng = np.random.default_rng(8)
    with pytest.raises(ValueError, match="x_test and y_test"):
        op.train(tiny_config, x_test=rng.standard_normal((3, 4)), dtype="f64", progress=False)
    with pytest.raises(ValueError, match="x_test|`x`"):
        op.train(tiny_config, x_test=rng.standard_normal((3, 5)), y_test=rng.standard_normal(3), dtype="f64", progress=False)


def test_a_relative_test_path_in_a_config_dict_works_in_memory_and_with_out(tiny_config, tmp_path, monkeypatch, assert_identical):
    """A config given as a dict has its relative paths relative to the working directory
    (``data.path`` and ``data.test_path`` alike); with ``out=`` the dict is written as
    ``out/config.toml`` for the command line, which must still find the held-out file."""
    rng = np.random.default_rng(9)
    x_test = rng.standard_normal((5, 4))
    np.savez(tmp_path / "held.npz", x=x_test, y=rng.standard_normal(5))
    monkeypatch.chdir(tmp_path)
    tiny_config["data"]["test_path"] = "held.npz"
    memory = op.train(tiny_config, dtype="f64", progress=False)
    assert np.all(np.isfinite(memory.metrics["test_loss"]))
    cli = op.train(tiny_config, dtype="f64", progress=False, out=tmp_path / "run")
    assert_identical(cli.metrics, memory.metrics, "metrics")
