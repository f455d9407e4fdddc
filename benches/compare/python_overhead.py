#!/usr/bin/env python3
"""The overhead of the Python module against the command line on the same kernel: `op.ntk`
(numpy in, numpy out, in-process) beside `overparam ntk` on the same inputs and parameters,
timed in the same run on the same machine.

    cargo build --release --workspace --all-targets   # or: pip install ./crates/python
    PYTHONPATH=<dir with the overparam package> python3 benches/compare/python_overhead.py \\
        [--n 1024 --d 64 --m 4096] [--binary target/release/overparam]

Three figures per method: `op.ntk`'s wall time (best of --repeats after a warm-up); the
CLI's own timings of the same work (`timings_s.setup` + the kernel, from its summary.json),
so that their difference is what the Python layer adds (argument conversion, config
resolution, handing K to numpy); and the CLI's whole process (which also writes the kernel
and computes the eigenvalues). Not run by CI.
"""

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import overparam as op

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--m", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", default="closed,analytic")
    parser.add_argument("--binary", default=str(ROOT / "target/release/overparam"))
    args = parser.parse_args()
    n, d, m = args.n, args.d, args.m
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    params = op.init_params(d=d, width=m, seed=0, bias_init=-0.5)
    print(f"(n, d, m) = ({n}, {d}, {m}), f64, flex; best of {args.repeats} after a warm-up")
    print(f"{'method':<10} {'op.ntk s':>10} {'CLI setup+kernel s':>19} {'overhead s':>11} {'CLI process s':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.savez(tmp / "x.npz", x=x)
        np.savez(tmp / "params.npz", **params)
        config = tmp / "config.toml"
        config.write_text(f"[data]\nn = {n}\nd = {d}\n[model]\nwidth = {m}\nbias_init = -0.5\n")
        for method in args.methods.split(","):
            op.ntk(x, params, method=method, dtype="f64")  # warm-up
            python_s = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                op.ntk(x, params, method=method, dtype="f64")
                python_s.append(time.perf_counter() - start)
            cli_s, process_s = [], []
            for repeat in range(args.repeats):
                out = tmp / f"{method}-{repeat}"
                command = [args.binary, "ntk", "--config", str(config), "--data", str(tmp / "x.npz"),
                           "--init", str(tmp / "params.npz"), "--method", method, "--dtype", "f64",
                           "--out", str(out)]
                start = time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
                process_s.append(time.perf_counter() - start)
                timings = json.loads((out / "summary.json").read_text())["timings_s"]
                cli_s.append(timings["setup"] + timings[method])
            best_python, best_cli = min(python_s), min(cli_s)
            print(f"{method:<10} {best_python:>10.3f} {best_cli:>19.3f} {best_python - best_cli:>11.3f} "
                  f"{min(process_s):>14.3f}")


if __name__ == "__main__":
    main()
