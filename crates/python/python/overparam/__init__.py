"""overparam: over-parameterized networks and their neural tangent kernels, from Python.

The same Rust core as the ``overparam`` command line (same configs, same errors, same
numbers), with numpy arrays in and out::

    import numpy as np, overparam as op
    params = op.init_params(d=16, widths=[512], bias_init=-1.0, seed=0)  # w1 [m, d], b1 [m], a [m]
    x = np.random.default_rng(0).standard_normal((64, 16)) / 4.0
    K = op.ntk(x, params, method="jacobian")                              # [n, n] float64
    K_inf = op.analytic_ntk(x, bias=-1.0, depth=1)
    lam = op.eigenvalues(K)                                               # ascending
    run = op.train({"data": {"n": 256, "d": 16}, "model": {"width": 512},
                    "train": {"steps": 2000, "ntk_every": 100}})
    run.metrics["loss"], run.metrics["lambda_min"], run.params_final["w1"], run.summary["final_loss"]

The network is f(x) = s_out · Σ_r a_r σ(z_L,r) with z_l = s_l (W_l h_{l−1}) + b_l, h_0 = x,
and the scales s set by the parameterization (``ntk``: 1/√fan-in, weights N(0, 1)). The loss
is L = (1/2n) Σ_i (f(x_i) − y_i)²; the NTK is K(x, x') = Σ_θ ∂f(x)/∂θ · ∂f(x')/∂θ over the
trained parameters (K_η weights each group by its learning rate). The README's "Config"
section lists every config key; a config is a dict of its tables, a TOML string, or a path.

Burn fixes a device's dtype at its first use, for the whole process: a second dtype on the
same backend is an error that says so; compute it on the other CPU backend (``backend=
"ndarray"``) or in another process. Defaults follow the dtype already in use.

Every computation releases the GIL; a Rust panic is a ``RuntimeError``; Ctrl-C stops
:func:`train` between steps with ``KeyboardInterrupt``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._arrays import dtype_of, real_array, real_params
from ._run import KERNEL_COLUMNS, METRIC_COLUMNS, Run, TrainingFailed, load_run

__version__: str = _core.__version__

__all__ = [
    "init_params",
    "ntk",
    "analytic_ntk",
    "predict",
    "nngp",
    "eigenvalues",
    "spectrum",
    "train",
    "load_run",
    "Run",
    "TrainingFailed",
    "gradcheck",
    "backends",
    "sweep_plan",
    "sweep_run",
    "sweep_merge",
    "reproduce",
    "cli",
    "METRIC_COLUMNS",
    "KERNEL_COLUMNS",
]

Config = Union[Mapping[str, Any], str, "os.PathLike[str]", None]
Array = Any  # anything numpy.asarray takes; float32 and float64 arrays are used as given

#: The kernel methods, in the order they are computed.
METHODS = ("jacobian", "closed", "analytic")

# A sweep's runs are copies of the program: here, this interpreter running the package.
_core.set_launcher(
    sys.executable,
    ["-m", "overparam"],
    [("PYTHONPATH", os.pathsep.join([str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))],
)


def _with_keys(config: Config, keys: Mapping[str, Mapping[str, Any]], top: Mapping[str, Any]) -> tuple:
    """``config`` with the given keyword keys: merged into a dict config (or a new one), or
    turned into ``--set`` overrides for a TOML string or path. Returns (config, overrides)."""
    keys = {section: {k: v for k, v in values.items() if v is not None} for section, values in keys.items()}
    top = {k: v for k, v in top.items() if v is not None}
    if config is None or isinstance(config, Mapping):
        merged: Dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in (config or {}).items()}
        merged.update(top)
        for section, values in keys.items():
            if values:
                merged[section] = {**merged.get(section, {}), **values}
        return merged, []
    overrides = [f"{k}={_toml_literal(v)}" for k, v in top.items()]
    overrides += [f"{s}.{k}={_toml_literal(v)}" for s, values in keys.items() for k, v in values.items()]
    return config, overrides


def _toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, os.PathLike)):
        return json.dumps(os.fspath(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_literal(v) for v in value) + "]"
    return repr(value)


def init_params(
    config: Config = None,
    *,
    overrides: Sequence[str] = (),
    seed: Optional[int] = None,
    d: Optional[int] = None,
    width: Optional[int] = None,
    widths: Optional[Sequence[int]] = None,
    activation: Optional[str] = None,
    parameterization: Optional[str] = None,
    bias_init: Optional[float] = None,
    output_init: Optional[str] = None,
    dtype: str = "f64",
) -> Dict[str, np.ndarray]:
    """The initial parameters of a network: the command line's draw (``params_init.npz``).

    Args:
        config: a run config (dict, TOML text or path); the keyword arguments set its keys.
        overrides: ``"key=value"`` assignments applied last, as ``--set`` on the command line.
        seed: the run's seed (``seed``); the same seed gives the same numbers as the CLI.
        d: input dimension (``data.d``).
        width: hidden width m of a two-layer network (``model.width``).
        widths: widths m_1, …, m_L of a deeper one (``model.widths``; not with ``width``).
        activation: ``relu``, ``quadratic`` or ``softplus``.
        parameterization: ``ntk`` (W ~ N(0, 1), scaled by 1/√fan-in in the forward pass),
            ``standard`` or ``mean_field``.
        bias_init: the initial value B of every bias.
        output_init: law of ``a``: ``gaussian`` or ``sign``.
        dtype: ``f64`` (the draw itself, float64) or ``f32`` (float32 arrays: the draw rounded
            as a run in f32 holds it, and as its ``params_init.npz`` records it).

    Returns:
        dict of float64 (or float32) arrays ``w1`` ``[m_1, d]``, ``b1`` ``[m_1]``, …, ``wL`` ``[m_L, m_{L−1}]``,
        ``bL`` ``[m_L]``, ``a`` ``[m_L]``. With ``model.init = "teacher"``, the perturbed teacher.
    """
    config, extra = _with_keys(
        config,
        {
            "data": {"d": d},
            "model": {
                "width": width,
                "widths": list(widths) if widths is not None else None,
                "activation": activation,
                "parameterization": parameterization,
                "bias_init": bias_init,
                "output_init": output_init,
            },
        },
        {"seed": seed},
    )
    params = _core.init_params(config, extra + list(overrides))
    if dtype == "f32":
        return {name: value.astype(np.float32) for name, value in params.items()}
    if dtype != "f64":
        raise ValueError(f"dtype: `{dtype}` is not one of f32, f64")
    return params


def _network_config(
    x: np.ndarray,
    params: Optional[Mapping[str, np.ndarray]],
    widths: Sequence[int],
    model: Mapping[str, Any],
    train: Mapping[str, Any],
) -> dict:
    return {
        "data": {"n": int(x.shape[0]), "d": int(x.shape[1])},
        "model": {"widths": list(widths), **{k: v for k, v in model.items() if v is not None}},
        "train": {k: v for k, v in train.items() if v is not None},
    }


def _widths_of(params: Mapping[str, np.ndarray]) -> List[int]:
    widths = []
    while f"w{len(widths) + 1}" in params:
        w = params[f"w{len(widths) + 1}"]
        if w.ndim != 2:
            raise ValueError(f"params['w{len(widths) + 1}']: expected [m, fan_in], got shape {list(w.shape)}")
        widths.append(int(w.shape[0]))
    if not widths:
        raise ValueError(f"params: no `w1`; got {sorted(params)} (expected w1, b1, ..., a)")
    return widths


def _constant_bias(params: Mapping[str, np.ndarray], required: bool) -> Optional[float]:
    """The one value every bias of ``params`` holds, if there is one."""
    biases = [params[name] for name in params if name.startswith("b")]
    values = np.unique(np.concatenate([b.ravel() for b in biases])) if biases else np.array([0.0])
    if len(values) == 1:
        return float(values[0])
    if required:
        raise ValueError(
            "method analytic: the infinite-width limit is of a constant initial bias, and the "
            "biases of params differ; pass bias_init=B for the limit at B"
        )
    return None


def _methods(method: Union[str, Sequence[str]]) -> List[str]:
    if isinstance(method, str):
        return list(METHODS) if method == "all" else [method]
    return list(method)


def ntk(
    x: Array,
    params: Mapping[str, Array],
    *,
    activation: str = "relu",
    parameterization: str = "ntk",
    method: Union[str, Sequence[str]] = "jacobian",
    lr_weighted: bool = False,
    lr_w: Optional[float] = None,
    lr_b: Optional[float] = None,
    lr_a: Optional[float] = None,
    train_w: bool = True,
    train_b: bool = True,
    train_a: bool = True,
    train_layers: Optional[Sequence[bool]] = None,
    block_size: int = 256,
    backend: str = "flex",
    dtype: Optional[str] = None,
    max_memory: Union[int, str, None] = None,
    bias_init: Optional[float] = None,
    x_test: Optional[Array] = None,
) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray], Dict[str, Any]]:
    """The empirical neural tangent kernel of the network ``params`` on inputs ``x``.

    K(x_i, x_j) = Σ_θ ∂f(x_i)/∂θ · ∂f(x_j)/∂θ, summed over the trained tensors (``train_w``,
    ``train_b``, ``train_a``, ``train_layers``). With ``lr_weighted``, K_η = Σ_g η_g J_g J_gᵀ
    with each group's learning rate (``lr_w``, ``lr_b``, ``lr_a``; default 1): the kernel
    whose λ_min bounds the GD loss rate, (1 − η λ_min/n)² per step.

    Args:
        x: inputs ``[n, d]``; float32 or float64 used as given, integers converted.
        params: ``w1`` ``[m_1, d]``, ``b1`` ``[m_1]``, …, ``a`` ``[m_L]`` (e.g. from
            :func:`init_params` or ``run.params_final``); the depth and widths come from them.
        activation: ``relu``, ``quadratic`` or ``softplus``.
        parameterization: ``ntk``, ``standard`` or ``mean_field`` (the scales of the forward
            pass, which the kernel includes).
        method: ``jacobian`` (per-sample gradients by Burn autodiff, any depth), ``closed``
            (the two-layer closed form), ``analytic`` (the infinite-width limit, ReLU),
            ``all``, or a list of them.
        block_size: rows of the Jacobian per backward pass (memory against speed).
        backend: ``flex`` or ``ndarray`` (CPU), ``wgpu`` or ``cuda`` where built.
        dtype: ``f32`` or ``f64``; default float32 when ``x`` and every parameter are float32,
            else float64.
        max_memory: the memory the computation may use (bytes, or ``"64G"``); default this
            machine's. A kernel estimated to need more is a ``MemoryError`` before anything
            is allocated.
        bias_init: the initial bias B whose infinite-width limit ``analytic`` computes; default
            the value every bias of ``params`` holds (an error for ``analytic`` when they
            differ, since the limit is of a constant initial bias).
        x_test: held-out inputs ``[n_test, d]``: also the cross kernel K(x_test, x)
            ``[n_test, n]``, computed with K as one kernel on [x; x_test] (so K is exactly the
            kernel without ``x_test``).

    Returns:
        K ``[n, n]`` float64 for one method; for ``all`` or a list, a dict method → K
        (a method that does not apply, such as the closed form of a deep network, is left out
        under ``all`` and an error when asked for by name). With ``x_test``, (K, K_cross) in
        place of each K.
    """
    x_test = None if x_test is None else real_array(x_test, "x_test", ndim=2)
    methods, (kernels, _notes, _predictions) = _kernels_at(
        x, params, method,
        _network_keys(activation, parameterization, train_w, train_b, train_a, train_layers),
        {"lr_w": lr_w, "lr_b": lr_b, "lr_a": lr_a},
        lr_weighted, block_size, backend, dtype, bias_init,
        max_memory=_memory(max_memory), x_test=x_test,
    )
    return _kernels_of(kernels, method, methods, cross=x_test is not None)


def _network_keys(
    activation: str,
    parameterization: str,
    train_w: bool,
    train_b: bool,
    train_a: bool,
    train_layers: Optional[Sequence[bool]],
) -> Dict[str, Any]:
    return {
        "activation": activation,
        "parameterization": parameterization,
        "train_w": train_w,
        "train_b": train_b,
        "train_a": train_a,
        "train_layers": list(train_layers) if train_layers is not None else None,
    }


def _kernels_at(
    x: Array,
    params: Mapping[str, Array],
    method: Union[str, Sequence[str]],
    network: Dict[str, Any],
    rates: Dict[str, Optional[float]],
    lr_weighted: bool,
    block_size: int,
    backend: str,
    dtype: Optional[str],
    bias_init: Optional[float],
    **extra: Any,
) -> tuple:
    """(the methods, ``_core.ntk``'s answer) for the network ``params`` on ``x``: the config
    built from the shapes of ``params`` and the keywords, the dtype from the arrays."""
    x = real_array(x, "x", ndim=2)
    params = real_params(params)
    methods = _methods(method)
    config = _network_config(x, params, _widths_of(params), network, rates)
    dtype = dtype or dtype_of(x, *params.values())
    skip = method == "all"
    if bias_init is None and "analytic" in methods:
        bias_init = _constant_bias(params, required=not skip)
    if bias_init is not None:
        config["model"]["bias_init"] = float(bias_init)
    return methods, _core.ntk(config, [], x, params, methods, lr_weighted, block_size, backend, dtype, skip, **extra)


def _kernels_of(kernels: Dict[str, np.ndarray], method: Union[str, Sequence[str]], methods: List[str], cross: bool) -> Any:
    def pick(name: str) -> Any:
        return (kernels[name], kernels[name + "_cross"]) if cross else kernels[name]
    if isinstance(method, str) and method != "all":
        return pick(method)
    return {name: pick(name) for name in methods if name in kernels}


def predict(
    x: Array,
    y: Array,
    x_test: Array,
    params: Mapping[str, Array],
    *,
    y_test: Optional[Array] = None,
    method: Union[str, Sequence[str]] = "closed",
    ridge: float = 0.0,
    activation: str = "relu",
    parameterization: str = "ntk",
    lr_weighted: bool = False,
    lr_w: Optional[float] = None,
    lr_b: Optional[float] = None,
    lr_a: Optional[float] = None,
    train_w: bool = True,
    train_b: bool = True,
    train_a: bool = True,
    train_layers: Optional[Sequence[bool]] = None,
    block_size: int = 256,
    backend: str = "flex",
    dtype: Optional[str] = None,
    bias_init: Optional[float] = None,
) -> Dict[str, Any]:
    """Kernel regression with the NTK of ``params``: the prediction at ``x_test`` of the
    linearized network trained by gradient descent to convergence (neural-tangents'
    ``predict.gradient_descent_mse`` at t = ∞), as ``overparam ntk --predict`` computes it:

    - empirical kernels (``jacobian``, ``closed``): f_0(x_test) + K(x_test, x) (K + ρI)⁻¹ (y − f_0(x));
    - ``analytic`` (K∞): K∞(x_test, x) (K∞ + ρI)⁻¹ y, the infinitely wide network's mean.

    ρ is ``ridge`` (0: none; a kernel singular to working precision is then an error that
    says to give one). The other arguments are :func:`ntk`'s.

    Returns:
        for one method a dict ``prediction`` ``[n_test]``, ``test_loss`` ((1/2n_test) Σ (f − y)²,
        None without ``y_test``), ``train_loss`` (0 up to rounding without a ridge) and
        ``condition_number`` κ(K + ρI); for several, a dict method → such a dict. Also
        ``f0_test``, the network's own outputs at ``x_test``.
    """
    _methods_computed, (_kernels, _notes, predictions) = _kernels_at(
        x, params, method,
        _network_keys(activation, parameterization, train_w, train_b, train_a, train_layers),
        {"lr_w": lr_w, "lr_b": lr_b, "lr_a": lr_a},
        lr_weighted, block_size, backend, dtype, bias_init,
        x_test=real_array(x_test, "x_test", ndim=2),
        y=real_array(y, "y", ndim=1),
        y_test=None if y_test is None else real_array(y_test, "y_test", ndim=1),
        ridge=float(ridge),
    )
    return _predictions_of(predictions, method)


def _predictions_of(predictions: Dict[str, Any], method: Union[str, Sequence[str]]) -> Dict[str, Any]:
    f0_test = predictions.pop("f0_test")
    predictions.pop("ridge")
    if isinstance(method, str) and method != "all":
        return {**predictions[method], "f0_test": f0_test}
    return {**predictions, "f0_test": f0_test}


def nngp(
    x: Array,
    *,
    method: Union[str, Sequence[str]] = "analytic",
    ensemble: int = 256,
    x_test: Optional[Array] = None,
    y: Optional[Array] = None,
    y_test: Optional[Array] = None,
    ridge: Optional[float] = None,
    width: Optional[int] = None,
    widths: Optional[Sequence[int]] = None,
    bias_init: float = 0.0,
    activation: str = "relu",
    output_init: Optional[str] = None,
    seed: int = 0,
    backend: str = "flex",
    dtype: Optional[str] = None,
) -> Any:
    """The NNGP kernel E_θ0[f(x) f(x')], the covariance of the initial network's outputs over
    its initializations (NTK parameterization, every bias at ``bias_init``):

    - ``empirical``: the mean of f(x) f(x)ᵀ over ``ensemble`` networks drawn from seeds
      ``seed``, ``seed + 1``, … (exactly those :func:`init_params` draws), at ``width``
      (default 512) or ``widths``;
    - ``analytic``: its infinite-width limit (ReLU with any constant bias, or quadratic; any
      depth), the covariance the ensemble mean converges to at rate O(1/√S) in S draws.

    With ``x_test`` also the cross kernel (K, K_cross) in place of each K; with ``y`` and a
    ``ridge`` ρ ≥ 0, the Gaussian-process posterior mean K(x_test, x) (K + ρI)⁻¹ y instead
    (a dict as :func:`predict` returns).

    Returns:
        K ``[n, n]`` float64 for one method, a dict method → K for ``all`` or a list.
    """
    x = real_array(x, "x", ndim=2)
    methods = ["empirical", "analytic"] if method == "all" else _methods(method)
    unknown = [m for m in methods if m not in ("empirical", "analytic")]
    if unknown:
        raise ValueError(f"method: `{unknown[0]}` is not one of empirical, analytic, all")
    if width is not None and widths is not None:
        raise ValueError("width and widths: give one")
    model: Dict[str, Any] = {
        "widths": list(widths) if widths is not None else [int(width or 512)],
        "bias_init": float(bias_init),
        "activation": activation,
    }
    if output_init is not None:
        model["output_init"] = output_init
    config = {"seed": int(seed), "data": {"n": int(x.shape[0]), "d": int(x.shape[1])}, "model": model}
    core_methods = ["jacobian" if m == "empirical" else m for m in methods]
    dtype = dtype or dtype_of(x)
    x_test = None if x_test is None else real_array(x_test, "x_test", ndim=2)
    if ridge is not None and (y is None or x_test is None):
        raise ValueError("ridge: predictions need y and x_test")
    kernels, _notes, predictions = _core.ntk(
        config, [], x, None, core_methods, False, 256, backend, dtype, method == "all",
        x_test=x_test,
        y=None if y is None else real_array(y, "y", ndim=1),
        y_test=None if y_test is None else real_array(y_test, "y_test", ndim=1),
        ridge=None if ridge is None else float(ridge),
        kernel="nngp",
        ensemble=int(ensemble),
    )
    if predictions is not None:
        return _predictions_of(predictions, method)
    return _kernels_of(kernels, method, methods, cross=x_test is not None)


def analytic_ntk(
    x: Array,
    *,
    bias: float = 0.0,
    depth: int = 1,
    activation: str = "relu",
    parameterization: str = "ntk",
    lr_weighted: bool = False,
    lr_w: Optional[float] = None,
    lr_b: Optional[float] = None,
    lr_a: Optional[float] = None,
    train_w: bool = True,
    train_b: bool = True,
    train_a: bool = True,
    dtype: Optional[str] = None,
) -> np.ndarray:
    """The infinite-width NTK K∞ ``[n, n]`` of a ReLU network of ``depth`` hidden layers
    with every bias initialised at ``bias`` (the limit the empirical kernel of
    :func:`ntk` converges to as the widths grow, at rate O(1/√m)).

    At ``bias = 0`` and depth 1 (NTK parameterization, every tensor trained) it is the
    arc-cosine kernel: with u = x·x'/(‖x‖‖x'‖) and θ = arccos u,
    K∞ = ‖x‖‖x'‖/(2π) · (u(π − θ) + sin θ) + x·x' (π − θ)/(2π) + (π − θ)/(2π),
    from a, from W and from b.

    Args:
        x: inputs ``[n, d]``.
        bias: the initial bias B (large negative B: sparse activation).
        depth: number of hidden layers L.
        lr_weighted, lr_w, lr_b, lr_a, train_w, train_b, train_a: as in :func:`ntk`.
        dtype: ``f64`` or ``f32``; default the dtype the CPU device already computes in
            in this process, else ``f64``.

    Returns:
        K∞ ``[n, n]`` float64.
    """
    x = real_array(x, "x", ndim=2)
    config = _network_config(
        x,
        None,
        [1] * depth,
        {
            "activation": activation,
            "parameterization": parameterization,
            "bias_init": float(bias),
            "train_w": train_w,
            "train_b": train_b,
            "train_a": train_a,
        },
        {"lr_w": lr_w, "lr_b": lr_b, "lr_a": lr_a},
    )
    dtype = dtype or _core.configured_dtype("flex") or "f64"
    kernels, _notes, _predictions = _core.ntk(config, [], x, None, ["analytic"], lr_weighted, 1, "flex", dtype, False)
    return kernels["analytic"]


def eigenvalues(K: Array) -> np.ndarray:
    """The eigenvalues ``[n]`` of the symmetric kernel ``K`` ``[n, n]``, ascending (faer's
    self-adjoint eigensolver in float64, as ``overparam ntk`` computes them). NaN or ±Inf in
    ``K`` is a ``ValueError`` naming the entry."""
    return _core.eigenvalues(real_array(K, "K", ndim=2))


def spectrum(K: Array) -> Dict[str, Any]:
    """``lambda_min``, ``lambda_max``, ``condition_number`` (None when λ_min ≤ 0) and the
    ascending ``eigenvalues`` ``[n]`` of the symmetric kernel ``K`` ``[n, n]``."""
    values = eigenvalues(K)
    lambda_min, lambda_max = (float(values[0]), float(values[-1])) if len(values) else (math.nan, math.nan)
    return {
        "lambda_min": lambda_min,
        "lambda_max": lambda_max,
        "condition_number": lambda_max / lambda_min if lambda_min > 0 else None,
        "eigenvalues": values,
    }


def train(
    config: Config = None,
    *,
    overrides: Sequence[str] = (),
    x: Optional[Array] = None,
    y: Optional[Array] = None,
    params: Optional[Mapping[str, Array]] = None,
    x_test: Optional[Array] = None,
    y_test: Optional[Array] = None,
    backend: str = "flex",
    dtype: Optional[str] = None,
    engine: str = "auto",
    out: Union[str, "os.PathLike[str]", None] = None,
    progress: bool = True,
    max_memory: Union[int, str, None] = None,
) -> Union[Run, List[Run]]:
    """Trains a network as ``overparam train`` does, with the same numbers bit for bit.

    Full-batch GD (or SGD) on L = (1/2n) Σ (f(x_i) − y_i)² with a learning rate per layer,
    logging every ``train.log_every`` steps and tracking the NTK every ``train.ntk_every``.

    Args:
        config: a run config: a dict of its tables (``{"model": {"width": 512}, ...}``), TOML
            text, or a path; unknown keys and invalid values are a ``ValueError`` naming them.
        overrides: ``"key=value"`` assignments applied last (the command line's ``--set``).
        x, y: training inputs ``[n, d]`` and targets ``[n]`` instead of the config's data
            (``data.n`` and ``data.d`` follow their shapes).
        params: initial parameters (``w1``, ``b1``, …, ``a``) instead of the config's draw.
        x_test, y_test: held-out points ``[n_test, d]``, ``[n_test]`` instead of the config's
            (``data.n_test``, ``data.test_path``): ``metrics["test_loss"]`` at every logged
            step, ``summary["final_test_loss"]``; with ``train.linearized = true`` the
            linearized network's columns (``loss_lin``, ``test_loss_lin``, ``lin_distance``,
            ``test_lin_distance``) too.
        backend: ``flex``, ``ndarray``, ``wgpu`` or ``cuda``.
        dtype: ``f32`` or ``f64``; default float32 when every given array is float32, float64
            when any given array is float64; with no arrays, the dtype the backend already
            computes in in this process, else the command line's f32.
        engine: ``auto`` (the fused CPU step where it applies), ``autodiff`` or ``fused``.
        out: a directory to write the command line's files into (``metrics.csv``,
            ``summary.json``, ``params_init.npz``, ``params_final.npz``, …), with a config
            given as a dict or text as ``config.toml`` and given arrays as ``data.npz`` /
            ``params_given.npz``, so that ``overparam train`` reproduces the run from them.
        progress: draw the command line's progress bar on stderr (only where stderr is a
            terminal, as the command line does).
        max_memory: as in :func:`ntk` (a run estimated to need more is a ``MemoryError``).

    Returns:
        A :class:`Run`: ``metrics`` (column → ``[rows]``), ``kernel_track``, ``params_init``,
        ``params_final``, ``summary``; ``to_pandas()``. With ``train.seeds = S`` > 1, a list of
        S runs, seeds ``seed``, …, ``seed + S − 1`` (each as ``overparam train`` writes it to
        ``seed-<s>/``, which ``out=`` does).

    Raises:
        ValueError: a bad config key or value, array shape or argument.
        TrainingFailed: the run diverged (NaN/Inf) or failed; its ``run`` holds the metrics
            up to that point.
        KeyboardInterrupt: Ctrl-C, between two steps.
    """
    overrides = list(overrides)
    arrays = {}
    if x is not None or y is not None:
        if x is None or y is None:
            raise ValueError("x and y: give both or neither")
        arrays["x"] = real_array(x, "x", ndim=2)
        arrays["y"] = real_array(y, "y", ndim=1)
        n, d = arrays["x"].shape
        overrides = [f"data.n={n}", f"data.d={d}"] + overrides
    if x_test is not None or y_test is not None:
        if x_test is None or y_test is None:
            raise ValueError("x_test and y_test: give both or neither")
        arrays["x_test"] = real_array(x_test, "x_test", ndim=2)
        arrays["y_test"] = real_array(y_test, "y_test", ndim=1)
    given_params = real_params(params) if params is not None else None
    if dtype is None:
        given = [*arrays.values(), *(given_params or {}).values()]
        dtype = dtype_of(*given) if given else (_core.configured_dtype(backend) or "f32")
    if out is not None:
        return _train_into(Path(out), config, overrides, arrays, given_params, backend, dtype, engine, progress, max_memory)
    outputs = _core.train(
        config,
        overrides,
        arrays.get("x"),
        arrays.get("y"),
        given_params,
        backend,
        dtype,
        engine,
        progress,
        max_memory=_memory(max_memory),
        x_test=arrays.get("x_test"),
        y_test=arrays.get("y_test"),
    )
    if isinstance(outputs, list):
        runs = [_run_of(seed_outputs) for seed_outputs in outputs]
        for run, seed_outputs in zip(runs, outputs):
            if seed_outputs["error"] is not None:
                raise TrainingFailed(f"seed {run.summary['seed']}: {seed_outputs['error']}", run)
        return runs
    run = _run_of(outputs)
    if outputs["error"] is not None:
        raise TrainingFailed(outputs["error"], run)
    return run


def _run_of(outputs: Mapping[str, Any]) -> Run:
    return Run(
        metrics=dict(outputs["metrics"]),
        params_init=dict(outputs["params_init"]),
        params_final=None if outputs["params_final"] is None else dict(outputs["params_final"]),
        summary=json.loads(outputs["summary"]),
    )


def _train_into(
    out: Path,
    config: Config,
    overrides: List[str],
    arrays: Dict[str, np.ndarray],
    params: Optional[Dict[str, np.ndarray]],
    backend: str,
    dtype: str,
    engine: str,
    progress: bool,
    max_memory: Union[int, str, None],
) -> Run:
    out.mkdir(parents=True, exist_ok=True)
    config_path = _core.config_file(config, out)
    args = ["train", "--config", os.fspath(config_path), "--out", str(out), "--backend", backend, "--dtype", dtype, "--engine", engine]
    if "x" in arrays:
        data = (out / "data.npz").resolve()
        np.savez(data, x=arrays["x"], y=arrays["y"])
        overrides = overrides + ["data.inputs=\"file\"", "data.labels=\"file\"", f"data.path={json.dumps(str(data))}"]
    if "x_test" in arrays:
        test = (out / "test.npz").resolve()
        np.savez(test, x=arrays["x_test"], y=arrays["y_test"])
        overrides = overrides + [f"data.test_path={json.dumps(str(test))}"]
    if max_memory is not None:
        args += ["--max-memory", _memory(max_memory)]
    if params is not None:
        given = out / "params_given.npz"
        np.savez(given, **params)
        args += ["--init", str(given)]
    for assignment in overrides:
        args += ["--set", assignment]
    status = _core.cli(["overparam", *args], progress)
    summary = out / "summary.json"
    seeds = json.loads(summary.read_text()).get("seeds") if summary.exists() else None
    if isinstance(seeds, list):  # train.seeds > 1: one run directory per seed
        runs = [load_run(out / f"seed-{seed}") for seed in seeds if (out / f"seed-{seed}" / "summary.json").exists()]
        failed = [run for run in runs if run.summary.get("status") != "ok"]
        if status != 0 or failed or len(runs) != len(seeds):
            message = f"overparam {' '.join(args)} failed with exit status {status} (its error is printed above)"
            if failed:
                raise TrainingFailed(f"seed {failed[0].summary['seed']}: {failed[0].summary.get('error')}", failed[0])
            raise RuntimeError(message)
        return runs
    if status != 0:
        message = f"overparam {' '.join(args)} failed with exit status {status} (its error is printed above)"
        if summary.exists() and (out / "metrics.csv").exists():
            run = load_run(out)
            raise TrainingFailed(run.summary.get("error") or message, run)
        raise RuntimeError(message)
    return load_run(out)


def gradcheck(
    config: Config = None,
    *,
    overrides: Sequence[str] = (),
    params: Optional[Mapping[str, Array]] = None,
    backend: str = "flex",
    max_entries: int = 200,
    max_memory: Union[int, str, None] = None,
) -> List[Dict[str, Any]]:
    """The loss gradient of the config's network three ways in float64 (autodiff, the
    hand-derived backward pass, central finite differences), per trained tensor, as
    ``overparam gradcheck`` prints it.

    Returns:
        One dict per tensor: ``tensor``, ``entries``, ``checked_entries`` (finite differences
        on at most ``max_entries``), ``step`` (h), the relative discrepancies
        ``autodiff_vs_hand``, ``autodiff_vs_numeric``, ``hand_vs_numeric``,
        ``jacobian_vs_numeric``, ``excluded_entries`` (±h crossed a ReLU kink),
        ``kink_pre_activations``, and ``passes`` (1e-10 and 1e-6 relative).
    """
    given = real_params(params) if params is not None else None
    return _core.gradcheck(config, list(overrides), given, backend, max_entries, max_memory=_memory(max_memory))


def _memory(max_memory: Union[int, str, None]) -> Optional[str]:
    return None if max_memory is None else str(max_memory)


def backends() -> List[Dict[str, Any]]:
    """What ``overparam backends --json`` prints: per backend, whether this build has it,
    the device it opens here, its dtypes, and why not where it does not."""
    return json.loads(_core.backends())


def cli(*args: str) -> int:
    """Runs the ``overparam`` command line with ``args`` in this process (``cli("ntk",
    "--config", "configs/quickstart.toml")``) and returns its exit status. ``python -m
    overparam ARGS`` is the same from a shell."""
    return _core.cli(["overparam", *map(os.fspath, args)])


def _checked(*args: str) -> None:
    status = cli(*args)
    if status != 0:
        raise RuntimeError(f"overparam {' '.join(args)} failed with exit status {status} (its error is printed above)")


def sweep_plan(spec: Union[str, "os.PathLike[str]"], out: Union[str, "os.PathLike[str]"]) -> Dict[str, np.ndarray]:
    """Expands the sweep ``spec`` (TOML) into ``out/manifest.csv`` and returns the manifest
    as columns (``index``, ``run_id``, the swept keys, ``status``)."""
    _checked("sweep", "plan", os.fspath(spec), "--out", os.fspath(out))
    return _read_csv(Path(out) / "manifest.csv")


def sweep_run(
    spec: Union[str, "os.PathLike[str]"],
    out: Union[str, "os.PathLike[str]"],
    *,
    jobs: Optional[int] = None,
    shard: Optional[str] = None,
    backend: str = "flex",
    dtype: str = "f32",
) -> Dict[str, np.ndarray]:
    """Runs the sweep's runs (``overparam sweep run``: each in its own process, ``jobs`` at a
    time, resumable; ``shard="I/N"`` runs every N-th), merges them, and returns
    ``results.csv`` as columns."""
    args = ["sweep", "run", os.fspath(spec), "--out", os.fspath(out), "--backend", backend, "--dtype", dtype]
    if jobs is not None:
        args += ["--jobs", str(jobs)]
    if shard is not None:
        args += ["--shard", shard]
    _checked(*args)
    return sweep_merge(out)


def sweep_merge(out: Union[str, "os.PathLike[str]"]) -> Dict[str, np.ndarray]:
    """Collects one row per finished run into ``out/results.csv`` and returns it as columns:
    float64 arrays where every entry is a number (empty: NaN), else arrays of str."""
    _checked("sweep", "merge", os.fspath(out))
    return _read_csv(Path(out) / "results.csv")


def reproduce(
    name: str,
    *,
    scale: str = "small",
    out: Union[str, "os.PathLike[str]", None] = None,
    jobs: Optional[int] = None,
    specs: Union[str, "os.PathLike[str]", None] = None,
    backend: str = "flex",
) -> Dict[str, Any]:
    """Runs a seed paper's reproduction (``overparam reproduce NAME``) and returns its
    ``report.json`` (claims and verdicts computed from the data). ``specs``: a directory of
    sweep specs to use instead of the ones built into the module (written to ``out/specs``)."""
    out = Path(out) if out is not None else Path("reproductions") / f"{name}-{scale}"
    args = ["reproduce", name, "--scale", scale, "--out", str(out), "--backend", backend]
    if specs is not None:
        args += ["--specs", os.fspath(specs)]
    if jobs is not None:
        args += ["--jobs", str(jobs)]
    _checked(*args)
    with open(out / "report.json") as file:
        return json.load(file)


def _read_csv(path: Path) -> Dict[str, np.ndarray]:
    with open(path, newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        rows = list(reader)
    columns: Dict[str, np.ndarray] = {}
    for i, name in enumerate(header):
        values = [row[i] if i < len(row) else "" for row in rows]
        try:
            columns[name] = np.array([float(v) if v else math.nan for v in values], dtype=np.float64)
        except ValueError:
            columns[name] = np.array(values, dtype=str)
    return columns
