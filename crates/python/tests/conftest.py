"""Shared fixtures of the `overparam` Python test suite.

The suite runs against the package that `crates/python/tests/pytest.rs` assembles (the `.py`
sources and this build's extension module on PYTHONPATH), with OVERPARAM_BIN naming the
`overparam` command-line binary of the same build, and the repository root as the working
directory. Nothing here skips: a missing binary or module is a failure.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping

import numpy as np
import pytest

#: A run small enough to train in milliseconds: two-layer ReLU network in the NTK
#: parameterization, width 32, on 16 points of the sphere in d = 4 with teacher labels; the NTK
#: tracked every 10 steps so that the lambda columns are exercised. Every key is in the README's
#: "Config" section. A nonzero bias makes the bias terms of the kernel and of the gradient matter.
TINY_CONFIG: Dict[str, Any] = {
    "seed": 0,
    "data": {"n": 16, "d": 4, "inputs": "sphere", "labels": "teacher"},
    "model": {"width": 32, "activation": "relu", "parameterization": "ntk", "bias_init": -0.3},
    "train": {"steps": 40, "log_every": 5, "ntk_every": 10, "lr_w": 1.0, "lr_b": 1.0, "lr_a": 1.0},
}


@pytest.fixture(scope="session")
def overparam_bin() -> Path:
    """The `overparam` CLI binary named by OVERPARAM_BIN (absolute path, executable)."""
    value = os.environ.get("OVERPARAM_BIN")
    if not value:
        pytest.fail(
            "OVERPARAM_BIN is not set: it must name the built `overparam` binary "
            "(target/release/overparam); crates/python/tests/pytest.rs sets it",
            pytrace=False,
        )
    path = Path(value)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"OVERPARAM_BIN={value} is not an executable file: build the `overparam` binary first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (this file is crates/python/tests/conftest.py)."""
    root = Path(__file__).resolve().parents[3]
    assert (root / "Cargo.toml").is_file() and (root / "crates").is_dir(), f"{root} is not the repository root"
    return root


@pytest.fixture
def tiny_config() -> Dict[str, Any]:
    """A fresh (deep) copy of :data:`TINY_CONFIG`, free to modify."""
    return copy.deepcopy(TINY_CONFIG)


@pytest.fixture(scope="session")
def subprocess_env() -> Dict[str, str]:
    """The environment for child Python processes: this one's, so that they import the same
    `overparam` package (PYTHONPATH) and see the same OVERPARAM_BIN."""
    env = dict(os.environ)
    here = str(Path(__import__("overparam").__file__).resolve().parent.parent)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if here not in paths:
        env["PYTHONPATH"] = os.pathsep.join([here, *paths])
    return env


# --------------------------------------------------------------------------------------------
# Helpers, exposed as fixtures so that test modules need not import this file.


def toml_literal(value: Any) -> str:
    """One value as TOML (bool, int, float, str, list)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        assert math.isfinite(value), "no inf/nan in test configs"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    raise TypeError(f"no TOML literal for {value!r}")


def toml_text(config: Mapping[str, Any]) -> str:
    """A config dict (top-level scalars and one level of tables) as TOML text."""
    lines: List[str] = []
    for key, value in config.items():
        if not isinstance(value, Mapping):
            lines.append(f"{key} = {toml_literal(value)}")
    for key, value in config.items():
        if isinstance(value, Mapping):
            lines.append(f"\n[{key}]")
            lines.extend(f"{k} = {toml_literal(v)}" for k, v in value.items())
    return "\n".join(lines) + "\n"


def read_metrics_csv(path: Path) -> Dict[str, np.ndarray]:
    """`metrics.csv` as column -> float64 array (an empty field is NaN), in header order."""
    with open(path, newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        rows = [[float(field) if field else math.nan for field in row] for row in reader]
    values = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    return {name: values[:, i] for i, name in enumerate(header)}


def read_npz(path: Path) -> Dict[str, np.ndarray]:
    with np.load(path) as archive:
        return {name: archive[name] for name in archive.files}


class CliRun:
    """What `overparam train --out DIR` wrote, read back."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.metrics = read_metrics_csv(out / "metrics.csv")
        self.params_init = read_npz(out / "params_init.npz")
        final = out / "params_final.npz"
        self.params_final = read_npz(final) if final.exists() else None
        self.summary = json.loads((out / "summary.json").read_text())


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[..., Path]:
    """``write_toml(config, name="config.toml")``: writes a config dict as TOML into tmp_path."""

    def write(config: Mapping[str, Any], name: str = "config.toml") -> Path:
        path = tmp_path / name
        path.write_text(toml_text(config))
        return path

    return write


@pytest.fixture
def run_cli(overparam_bin: Path) -> Callable[..., subprocess.CompletedProcess]:
    """``run_cli(*args, check=True)``: runs the CLI binary, output captured; a failure shows it."""

    def run(*args: Any, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(overparam_bin), *map(str, args)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(command)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    return run


@pytest.fixture
def cli_train(run_cli: Callable[..., subprocess.CompletedProcess], tmp_path: Path) -> Callable[..., CliRun]:
    """``cli_train(config_path, *extra_args, out_name="cli")``: `overparam train` into a fresh
    directory under tmp_path, its outputs read back as a :class:`CliRun`."""

    def train(config_path: Path, *extra: str, out_name: str = "cli") -> CliRun:
        out = tmp_path / out_name
        run_cli("train", "--config", config_path, "--out", out, *extra)
        return CliRun(out)

    return train


def assert_arrays_identical(actual: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray], what: str) -> None:
    """Same keys and bit-identical values (NaN equal to NaN)."""
    assert list(actual) == list(expected) or sorted(actual) == sorted(expected), (
        f"{what}: keys {list(actual)} != {list(expected)}"
    )
    for name in expected:
        np.testing.assert_array_equal(np.asarray(actual[name]), np.asarray(expected[name]), err_msg=f"{what}[{name!r}]")


@pytest.fixture(scope="session")
def assert_identical() -> Callable[[Mapping[str, np.ndarray], Mapping[str, np.ndarray], str], None]:
    """``assert_identical(actual, expected, what)``: dicts of arrays with the same keys and
    bit-identical values (NaN equal to NaN)."""
    return assert_arrays_identical


def numpy_two_layer_outputs(x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
    """f(x) = (1/√m) Σ_r a_r relu(w_r·x + b_r) (ntk parameterization: the first layer is never
    scaled), in float64."""
    z = np.asarray(x, dtype=np.float64) @ params["w1"].T + params["b1"]
    return np.maximum(z, 0.0) @ params["a"] / math.sqrt(params["a"].shape[0])


@pytest.fixture(scope="session")
def two_layer_outputs() -> Callable[[np.ndarray, Mapping[str, np.ndarray]], np.ndarray]:
    """``two_layer_outputs(x, params)``: the outputs of the two-layer ReLU network with
    parameters w1, b1, a at the rows of x, by numpy in float64."""
    return numpy_two_layer_outputs


@pytest.fixture(scope="session")
def python() -> str:
    """This interpreter, for child processes."""
    return sys.executable
