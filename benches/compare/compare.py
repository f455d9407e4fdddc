#!/usr/bin/env python3
"""Times issue 11's tasks in PyTorch and numpy and runs `overparam bench --json` in the same
run on the same machine, then writes benches/RESULTS.md with the ratios.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install torch numpy
    cargo build --release -p overparam-runner
    /tmp/venv/bin/python benches/compare/compare.py [--quick] [--binary target/release/overparam]

Not run by CI (it needs PyTorch from the package registry). Every time is the best of
several repetitions after a warm-up, in seconds.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]


def best(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def data(n, d, m, bias, dtype, seed=0):
    """Inputs on the unit sphere, N(0,1) targets and an NTK-scaled ReLU net (as `overparam bench`)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = rng.standard_normal(n)
    w = rng.standard_normal((m, d))
    b = np.full(m, bias)
    a = rng.standard_normal(m)
    return [v.astype(dtype) for v in (x, y, w, b, a)]


def torch_two_layer_step(n, d, m, bias, repeats):
    x, y, w, b, a = (torch.from_numpy(v) for v in data(n, d, m, bias, np.float32))
    w.requires_grad_(True); b.requires_grad_(True); a.requires_grad_(True)
    s = 1.0 / np.sqrt(m)

    def step():
        f = torch.relu(x @ w.T + b) @ a * s
        loss = 0.5 * ((f - y) ** 2).mean()
        gw, gb, ga = torch.autograd.grad(loss, (w, b, a))
        with torch.no_grad():
            w.sub_(0.1 * gw); b.sub_(0.1 * gb); a.sub_(0.1 * ga)
    return best(step, repeats)


def torch_two_layer_sgd_step(n, d, m, batch, repeats):
    """One SGD step on the next `batch` rows of a fresh permutation each epoch (gathered, then
    the same step as `torch_two_layer_step` on them), as `overparam bench`'s SGD step."""
    x, y, w, b, a = (torch.from_numpy(v) for v in data(n, d, m, 0.0, np.float32))
    w.requires_grad_(True); b.requires_grad_(True); a.requires_grad_(True)
    s = 1.0 / np.sqrt(m)
    generator = torch.Generator().manual_seed(0)
    order, position = torch.randperm(n, generator=generator), 0

    def step():
        nonlocal order, position
        if position >= n:
            order, position = torch.randperm(n, generator=generator), 0
        chosen = order[position:position + batch]
        position += batch
        xb, yb = x[chosen], y[chosen]
        f = torch.relu(xb @ w.T + b) @ a * s
        loss = 0.5 * ((f - yb) ** 2).mean()
        gw, gb, ga = torch.autograd.grad(loss, (w, b, a))
        with torch.no_grad():
            w.sub_(0.1 * gw); b.sub_(0.1 * gb); a.sub_(0.1 * ga)
    return best(step, repeats)


def torch_mlp_step(n, d, widths, repeats):
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.standard_normal((n, d)).astype(np.float32))
    y = torch.from_numpy(rng.standard_normal(n).astype(np.float32))
    layers, fan_in = [], d
    for width in widths:
        w = torch.from_numpy(rng.standard_normal((width, fan_in)).astype(np.float32)).requires_grad_(True)
        b = torch.zeros(width, requires_grad=True)
        layers.append((w, b, 1.0 if not layers else 1.0 / np.sqrt(fan_in)))
        fan_in = width
    a = torch.from_numpy(rng.standard_normal(fan_in).astype(np.float32)).requires_grad_(True)
    params = [p for w, b, _ in layers for p in (w, b)] + [a]

    def step():
        h = x
        for w, b, c in layers:
            h = torch.relu(c * (h @ w.T) + b)
        loss = 0.5 * ((h @ a / np.sqrt(fan_in) - y) ** 2).mean()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(0.1 * g)
    return best(step, repeats)


def numpy_two_layer_step(n, d, m, repeats):
    x, y, w, b, a = data(n, d, m, 0.0, np.float32)
    s = np.float32(1.0 / np.sqrt(m))

    def step():
        nonlocal w, b, a
        z = x @ w.T + b
        h = np.maximum(z, 0)
        g = (h @ a * s - y) / n
        ga = s * (h.T @ g)
        delta = (s * np.outer(g, a)) * (z > 0)
        gw, gb = delta.T @ x, delta.sum(0)
        w = w - 0.1 * gw; b = b - 0.1 * gb; a = a - 0.1 * ga
    return best(step, repeats)


def numpy_closed_form(n, d, m, dtype, repeats):
    x, _, w, b, a = data(n, d, m, 0.0, dtype)
    s2 = 1.0 / m

    def kernel():
        z = x @ w.T + b
        slope = (z > 0) * a
        h = np.maximum(z, 0)
        gram = slope @ slope.T
        return s2 * (gram * (x @ x.T) + gram + h @ h.T)
    return best(kernel, repeats)


def numpy_gemm(dtype, repeats):
    rng = np.random.default_rng(2)
    left = rng.standard_normal((1024, 4096)).astype(dtype)
    right = rng.standard_normal((4096, 1024)).astype(dtype)
    seconds = best(lambda: left @ right, repeats)
    return seconds, 2 * 1024 * 1024 * 4096 / seconds / 1e9


def torch_func_ntk(n, d, widths, repeats):
    from torch.func import functional_call, jacrev, vmap
    rng = np.random.default_rng(3)
    x = torch.from_numpy(rng.standard_normal((n, d)).astype(np.float32))
    modules, fan_in = [], d
    for width in widths:
        modules += [torch.nn.Linear(fan_in, width), torch.nn.ReLU()]
        fan_in = width
    modules.append(torch.nn.Linear(fan_in, 1, bias=False))
    net = torch.nn.Sequential(*modules)
    params = {k: v.detach() for k, v in net.named_parameters()}

    def f(p, sample):
        return functional_call(net, p, (sample.unsqueeze(0),)).squeeze()

    def kernel():
        jac = vmap(jacrev(f), (None, 0))(params, x)
        flat = torch.cat([j.reshape(n, -1) for j in jac.values()], dim=1)
        return flat @ flat.T
    return best(kernel, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--binary", default=str(ROOT / "target/release/overparam"))
    parser.add_argument("--out", default=str(ROOT / "benches/RESULTS.md"))
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    torch.set_num_threads(os.cpu_count())

    ours_cmd = [args.binary, "bench", "--json"] + (["--quick"] if args.quick else [])
    ours = json.loads(subprocess.run(ours_cmd, check=True, capture_output=True, text=True).stdout)
    tasks = {task["name"]: task for task in ours["tasks"]}

    peers = {}
    peers["gemm_f32"] = numpy_gemm(np.float32, repeats)
    peers["gemm_f64"] = numpy_gemm(np.float64, repeats)
    print("numpy GEMM f32 %.0f GFLOP/s, f64 %.0f GFLOP/s" % (peers["gemm_f32"][1], peers["gemm_f64"][1]), file=sys.stderr)
    rows = []

    def row(name, peer_name, peer_seconds, target):
        ours_task = tasks.get(name)
        if ours_task is None:
            rows.append((name, peer_name, peer_seconds, None, None, target))
            return
        rows.append((name, peer_name, peer_seconds, ours_task["seconds"], ours_task.get("bound_ratio"), target))
        print("%-40s %-28s %.4f s  ours %.4f s" % (name, peer_name, peer_seconds, ours_task["seconds"]), file=sys.stderr)

    for (n, d, m) in [(1024, 64, 4096), (256, 32, 1024)]:
        label = f"{n}x{d}x{m}"
        row(f"gd_step_two_layer_f32_{label}", "PyTorch eager", torch_two_layer_step(n, d, m, 0.0, repeats), "≤ 1×")
        row(f"gd_step_two_layer_f32_{label}", "numpy (hand-derived)", numpy_two_layer_step(n, d, m, repeats), "–")
    row("sgd_step_two_layer_f32_1024x64x4096_batch64", "PyTorch eager", torch_two_layer_sgd_step(1024, 64, 4096, 64, max(repeats, 20)), "≤ 1×")
    row("gd_step_mlp3_f32_1024x64x1024", "PyTorch eager", torch_mlp_step(1024, 64, [1024] * 3, repeats), "≤ 1×")
    row("gd_step_two_layer_f32_1024x64x4096_bias-3", "PyTorch eager", torch_two_layer_step(1024, 64, 4096, -3.0, repeats), "< dense")
    for dtype, label in [(np.float32, "f32"), (np.float64, "f64")]:
        row(f"closed_form_ntk_{label}_1024x64x4096", "numpy", numpy_closed_form(1024, 64, 4096, dtype, repeats), "≤ 1×")
    for depth in (1, 2, 3):
        widths = [4096] if depth == 1 else [1024] * depth
        n = 1024 if depth == 1 else 512
        name = f"empirical_ntk_depth{depth}_f32"
        row(name, "torch.func vmap∘jacrev", torch_func_ntk(n, 64, widths, max(1, repeats // 3)), "≥ 10× faster")

    write_results(Path(args.out), ours, peers, rows)


def write_results(path, ours, peers, rows):
    lines = [
        "# Benchmarks: overparam vs PyTorch and numpy on one machine",
        "",
        "Written by `benches/compare/compare.py` (all numbers from one run; best of several",
        "repetitions). `bound` = our time over the task's GEMM-bound time at the GEMM rate that",
        "`overparam bench` measured in the same run.",
        "",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {cpu_name()}",
        f"- overparam {ours.get('version')}, backend {ours.get('backend')}, {ours.get('threads')} threads",
        f"- PyTorch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}, Python {platform.python_version()}",
        f"- GEMM [1024,4096]×[4096,1024]: ours (faer) {ours['gemm_gflops']['f32']:.0f} GFLOP/s f32,"
        f" {ours['gemm_gflops']['f64']:.0f} f64; numpy {peers['gemm_f32'][1]:.0f} f32, {peers['gemm_f64'][1]:.0f} f64",
        "",
        "| task | peer | peer s | ours s | peer/ours | ours/bound | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, peer, peer_s, ours_s, bound, target in rows:
        ratio = "–" if ours_s is None else f"{peer_s / ours_s:.2f}×"
        ours_text = "–" if ours_s is None else f"{ours_s:.4f}"
        bound_text = "–" if bound is None else f"{bound:.2f}"
        lines.append(f"| {name} | {peer} | {peer_s:.4f} | {ours_text} | {ratio} | {bound_text} | {target} |")
    lines += ["", "Every task of `overparam bench` in this run:", "", "| task | s | ours/bound | note |", "|---|---|---|---|"]
    for task in ours["tasks"]:
        bound = task.get("bound_ratio")
        bound_text = "–" if bound is None else f"{bound:.2f}"
        lines.append(f"| {task['name']} | {task['seconds']:.4f} | {bound_text} | {task.get('note', '')} |")
    lines += ["", "## Targets (issues 11 and 21)", ""] + targets(ours, rows)
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}", file=sys.stderr)


def targets(ours, rows):
    """One line per target of issues 11 and 21: met or not, with the numbers of this run."""
    tasks = {task["name"]: task["seconds"] for task in ours["tasks"]}
    peer = {(name, p): s for name, p, s, _, _, _ in rows}
    lines = []

    def verdict(ok):
        return "met" if ok else "NOT met"

    for name in ("gd_step_two_layer_f32_1024x64x4096", "gd_step_two_layer_f32_256x32x1024", "gd_step_mlp3_f32_1024x64x1024"):
        torch_s, ours_s = peer[(name, "PyTorch eager")], tasks[name]
        lines.append(f"1. {name}: {verdict(ours_s <= torch_s)}: ours {ours_s:.4f} s vs PyTorch {torch_s:.4f} s")
    for dtype in ("f32", "f64"):
        name = f"closed_form_ntk_{dtype}_1024x64x4096"
        numpy_s, ours_s = peer[(name, "numpy")], tasks[name]
        bound = next(t["bound_ratio"] for t in ours["tasks"] if t["name"] == name)
        lines.append(f"2. {name}: {verdict(ours_s <= numpy_s)} against numpy ({ours_s:.4f} vs {numpy_s:.4f} s); "
                     f"{bound:.2f}× the symmetric-product bound (aim 1.3×: {verdict(bound <= 1.3)})")
    for depth in (1, 2, 3):
        name = f"empirical_ntk_depth{depth}_f32"
        ratio = peer[(name, "torch.func vmap∘jacrev")] / tasks[name]
        lines.append(f"3. {name}: {verdict(ratio >= 10)}: {ratio:.0f}× faster than torch.func")
    batched = next((t for t in ours["tasks"] if t["name"].endswith("_batched")), None)
    if batched:
        count = batched["name"].split("_")[1]
        separate = tasks[f"seeds_{count}_separate_processes"]
        autodiff = tasks[f"seeds_{count}_separate_processes_autodiff"]
        lines.append(f"4. {count} seeds batched: {separate / batched['seconds']:.1f}× separate fused processes "
                     f"({verdict(separate / batched['seconds'] >= 10)}), {autodiff / batched['seconds']:.1f}× separate "
                     f"autodiff processes ({verdict(autodiff / batched['seconds'] >= 10)})")
    sparse = tasks["gd_step_two_layer_f32_1024x64x4096_bias-3"]
    dense = tasks["gd_step_two_layer_f32_1024x64x4096"]
    lines.append(f"5. sparse step (bias −3): {verdict(sparse < dense)}: {sparse / dense:.2f}× the dense step at the same width")
    name = "sgd_step_two_layer_f32_1024x64x4096_batch64"
    if name in tasks:
        torch_s, ours_s = peer[(name, "PyTorch eager")], tasks[name]
        lines.append(f"6. {name} (issue 21): {verdict(ours_s <= torch_s)}: ours {ours_s * 1e3:.2f} ms vs PyTorch {torch_s * 1e3:.2f} ms "
                     f"(autodiff {tasks[name + '_autodiff'] * 1e3:.2f} ms)")
    return lines


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
