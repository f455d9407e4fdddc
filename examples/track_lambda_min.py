"""Track the smallest eigenvalue of the neural tangent kernel while a wide ReLU network trains.

A two-layer ReLU network of width 512 (NTK parameterization, every bias starting at B = -0.5)
is trained by full-batch gradient descent on 64 points of the unit sphere in d = 8 with labels
from a small ReLU teacher, the NTK tracked every 25 steps. In the kernel (lazy) regime the
kernel barely moves, λ_min(K_t) stays near λ_min(K_0), and λ_min(K_0) is close to that of the
infinite-width kernel K∞ (at a distance of order 1/√m).

    python examples/track_lambda_min.py [FIGURE.png]

Needs the `overparam` module (and numpy); plots loss and λ_min with matplotlib when it is
installed (to FIGURE.png, default lambda_min.png), and says so when it is not.
"""

from __future__ import annotations

import sys

import numpy as np

import overparam as op

N, D, WIDTH, BIAS = 64, 8, 512, -0.5
STEPS, LOG_EVERY, NTK_EVERY = 300, 10, 25


def make_data(n: int, d: int, seed: int = 0):
    """x [n, d] uniform on the unit sphere; y = Σ_j relu(u_j·x) for three unit directions u_j."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    u = rng.standard_normal((3, d))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    y = np.maximum(x @ u.T, 0.0).sum(axis=1)
    return x, y


def main(argv: list) -> int:
    figure = argv[1] if len(argv) > 1 else "lambda_min.png"
    x, y = make_data(N, D)
    config = {
        "seed": 0,
        "model": {"width": WIDTH, "activation": "relu", "parameterization": "ntk", "bias_init": BIAS},
        "train": {"steps": STEPS, "log_every": LOG_EVERY, "ntk_every": NTK_EVERY, "lr_w": 1.0, "lr_b": 1.0, "lr_a": 1.0},
    }
    # x and y replace the config's data (data.n and data.d follow their shapes); float64 arrays
    # make the run float64.
    run = op.train(config, x=x, y=y, progress=False)

    track = run.kernel_track
    print(f"width {WIDTH}, n = {N}, d = {D}, bias {BIAS}: loss {run.metrics['loss'][0]:.3e} -> {run.summary['final_loss']:.3e}")
    print(f"{'step':>6} {'lambda_min':>12} {'lambda_max':>12} {'ntk_drift':>10}")
    for step, low, high, drift in zip(track["step"], track["lambda_min"], track["lambda_max"], track["ntk_drift"]):
        print(f"{int(step):>6} {low:>12.5e} {high:>12.5e} {drift:>10.3e}")

    # λ_min(K_0) of the network as initialised, against the infinite-width kernel on the same x.
    lambda_0 = op.eigenvalues(op.ntk(x, run.params_init, method="closed"))[0]
    analytic = op.spectrum(op.analytic_ntk(x, bias=BIAS, depth=1))
    gap = abs(lambda_0 - analytic["lambda_min"]) / analytic["lambda_min"]
    print(f"lambda_min(K_0) = {lambda_0:.5e} (tracked: {track['lambda_min'][0]:.5e})")
    print(f"lambda_min(K_inf) = {analytic['lambda_min']:.5e} (analytic, m -> infinity); relative gap {gap:.2%}")
    print(f"lambda_min moved by {abs(track['lambda_min'][-1] - track['lambda_min'][0]) / track['lambda_min'][0]:.2%} over training")
    rate = run.summary.get("linear_rate") or {}
    predicted, observed = rate.get("predicted_per_step"), rate.get("observed_per_step")
    if predicted is not None and observed is not None:
        print(f"loss factor per step: predicted {predicted:.5f} (kernel regime), observed {observed:.5f}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install matplotlib): no figure written")
        return 0
    fig, (loss_axis, kernel_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.semilogy(run.metrics["step"], run.metrics["loss"])
    loss_axis.set(xlabel="step", ylabel="loss", title="training loss")
    kernel_axis.plot(track["step"], track["lambda_min"], marker="o", label="lambda_min(K_t)")
    kernel_axis.axhline(analytic["lambda_min"], color="gray", linestyle="--", label="lambda_min(K_inf)")
    kernel_axis.set(xlabel="step", ylabel="lambda_min", title="smallest NTK eigenvalue")
    kernel_axis.legend()
    fig.tight_layout()
    fig.savefig(figure, dpi=100)
    print(f"wrote {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
