"""`op.train`: the command line's numbers bit for bit, its files with `out=`, arrays in place of
the config's data and draw, config errors as ValueError, failures as TrainingFailed, and the
interpreter's guarantees (panics caught, Ctrl-C, the GIL released)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import overparam as op

#: Burn fixes a device's dtype at its first use, for the whole process, so this suite (one
#: process) computes in f64 on flex and in f32 on the other CPU backend.
F32_BACKEND = "ndarray"

KERNEL_STEPS = [0, 10, 20, 30, 40]  # TINY_CONFIG: steps 40, ntk_every 10 (and the last step)


def sphere(n: int, d: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# --------------------------------------------------------------------------------------------
# The same numbers as the command line.


@pytest.mark.parametrize("form", ["path", "dict"])
@pytest.mark.parametrize("dtype", ["f64", "f32"])
def test_train_matches_the_cli_bit_for_bit(tiny_config, write_toml, cli_train, assert_identical, form, dtype):
    """Guards the central promise: op.train gives exactly `overparam train`'s metrics (every
    column, NaN where metrics.csv is empty), initial and final parameters and final loss, from
    a config file or the equal dict, in f64 and f32, with the NTK tracked."""
    config_path = write_toml(tiny_config)
    backend = F32_BACKEND if dtype == "f32" else "flex"
    cli = cli_train(config_path, "--dtype", dtype, "--backend", backend)
    run = op.train(str(config_path) if form == "path" else tiny_config, dtype=dtype, backend=backend, progress=False)

    assert list(cli.metrics) == list(op.METRIC_COLUMNS)
    assert run.columns == list(op.METRIC_COLUMNS)
    assert_identical(run.metrics, cli.metrics, "metrics")
    for column in run.metrics.values():
        assert column.dtype == np.float64
    assert_identical(run.params_init, cli.params_init, "params_init")
    assert_identical(run.params_final, cli.params_final, "params_final")
    assert run.summary["status"] == cli.summary["status"] == "ok"
    assert run.summary["final_loss"] == cli.summary["final_loss"]
    assert run.summary["steps_run"] == cli.summary["steps_run"] == 40
    for key in ("dtype", "backend", "engine", "seed", "config", "learning_rates"):
        assert run.summary[key] == cli.summary[key], key

    np.testing.assert_array_equal(run.metrics["step"], np.arange(0, 41, 5))
    track = run.kernel_track
    assert set(track) == {"step", "lambda_min", "lambda_max", "ntk_drift"}
    np.testing.assert_array_equal(track["step"], KERNEL_STEPS)
    assert np.all(np.isfinite(track["lambda_min"])) and np.all(track["lambda_min"] > 0)
    assert np.all(track["lambda_min"] <= track["lambda_max"])
    assert track["ntk_drift"][0] == 0.0
    # Off the NTK steps the lambda columns are empty (NaN), as in metrics.csv.
    off = ~np.isin(run.metrics["step"], KERNEL_STEPS)
    assert np.all(np.isnan(run.metrics["lambda_min"][off]))


def test_out_writes_the_cli_files_and_load_run_reads_them(tiny_config, tmp_path, run_cli, assert_identical):
    """Guards out=: the command line's files (config.toml among them), load_run giving exactly
    the in-memory run's numbers, and config.toml reproducing the run under `overparam train`."""
    out = tmp_path / "run"
    written = op.train(tiny_config, out=out, dtype="f64", progress=False)
    for name in ("metrics.csv", "summary.json", "params_init.npz", "params_final.npz", "config.toml"):
        assert (out / name).is_file(), f"{name} was not written"
    assert written.out is not None and Path(written.out).resolve() == out.resolve()

    loaded = op.load_run(out)
    memory = op.train(tiny_config, dtype="f64", progress=False)
    assert loaded.out is not None
    assert_identical(loaded.metrics, memory.metrics, "metrics")
    assert_identical(written.metrics, memory.metrics, "metrics")
    assert_identical(loaded.params_init, memory.params_init, "params_init")
    assert_identical(loaded.params_final, memory.params_final, "params_final")
    assert loaded.summary["final_loss"] == memory.summary["final_loss"]
    assert json.loads((out / "summary.json").read_text())["status"] == "ok"

    again = tmp_path / "again"
    run_cli("train", "--config", out / "config.toml", "--out", again, "--dtype", "f64")
    assert_identical(op.load_run(again).metrics, memory.metrics, "metrics from config.toml")


def test_summary_and_repr(tiny_config):
    """Guards the Run object's summary fields and its repr."""
    run = op.train(tiny_config, dtype="f64", progress=False)
    assert run.out is None
    for key in ("config", "seed", "backend", "device", "dtype", "engine", "status", "steps_run", "final_loss", "linear_rate"):
        assert key in run.summary, key
    assert run.summary["final_loss"] == run.metrics["loss"][-1]
    assert "Run(" in repr(run) and "ok" in repr(run)


@pytest.mark.parametrize("engine", ["fused", "autodiff"])
def test_engines_agree(tiny_config, engine):
    """Guards the engine argument: fused and autodiff agree to rounding (README: 1e-10) and
    the summary says which ran."""
    run = op.train(tiny_config, dtype="f64", engine=engine, progress=False)
    reference = op.train(tiny_config, dtype="f64", engine="auto", progress=False)
    assert run.summary["engine"] == engine
    np.testing.assert_allclose(run.metrics["loss"], reference.metrics["loss"], rtol=1e-9, atol=0)


# --------------------------------------------------------------------------------------------
# Arrays instead of the config's data and draw.


def test_given_params_equal_to_the_draw_give_the_plain_run(tiny_config, assert_identical):
    """Guards params=: the config's own draw passed explicitly changes nothing."""
    params = op.init_params(tiny_config)
    plain = op.train(tiny_config, dtype="f64", progress=False)
    given = op.train(tiny_config, params=params, dtype="f64", progress=False)
    assert_identical(plain.params_init, params, "the draw")
    assert_identical(given.params_init, params, "params_init")
    assert_identical(given.metrics, plain.metrics, "metrics")
    assert_identical(given.params_final, plain.params_final, "params_final")


def test_given_params_are_the_starting_point(tiny_config, assert_identical):
    """Guards params=: other parameters are trained from, not the config's draw."""
    params = op.init_params(tiny_config)
    params["a"] = params["a"] * 0.5
    run = op.train(tiny_config, params=params, dtype="f64", progress=False)
    assert_identical(run.params_init, params, "params_init")
    assert run.metrics["loss"][0] != op.train(tiny_config, dtype="f64", progress=False).metrics["loss"][0]


def test_float32_params_select_f32(tiny_config, assert_identical):
    """Guards the dtype default: float32 arrays alone mean f32."""
    params = {k: v.astype(np.float32) for k, v in op.init_params(tiny_config).items()}
    default = op.train(tiny_config, params=params, backend=F32_BACKEND, progress=False)
    explicit = op.train(tiny_config, params=params, dtype="f32", backend=F32_BACKEND, progress=False)
    assert default.summary["dtype"] == explicit.summary["dtype"]
    assert_identical(default.metrics, explicit.metrics, "metrics")


def test_given_x_and_y_are_the_training_data(tiny_config, two_layer_outputs):
    """Guards x=/y=: another n (24, the config says 16) trains, data.n follows, and the logged
    initial loss is (1/2n) Σ (f(x_i) − y_i)² on exactly these arrays."""
    x = sphere(24, 4, seed=5)
    y = np.sin(3 * x[:, 0]) + x[:, 1]
    run = op.train(tiny_config, x=x, y=y, dtype="f64", progress=False)
    assert len(run.metrics["step"]) == 9 and run.summary["status"] == "ok"
    assert run.summary["config"]["data"]["n"] == 24
    initial_loss = 0.5 * np.mean((two_layer_outputs(x, run.params_init) - y) ** 2)
    assert run.metrics["loss"][0] == pytest.approx(initial_loss, rel=1e-12)
    assert run.metrics["loss"][-1] < run.metrics["loss"][0]


def test_given_x_of_another_dimension(tiny_config):
    """Guards data.d following x: d = 6 builds w1 [m, 6]."""
    x = sphere(10, 6, seed=6)
    run = op.train(tiny_config, x=x, y=x[:, 0], dtype="f64", progress=False)
    assert run.params_init["w1"].shape == (32, 6)
    assert np.all(np.isfinite(run.metrics["loss"]))


def test_given_arrays_with_out_reproduce_the_in_memory_run(tiny_config, tmp_path, assert_identical):
    """Guards out= with x, y and params: written as data.npz / params_given.npz for the command
    line, with exactly the in-memory run's numbers."""
    x = sphere(20, 4, seed=8)
    y = x[:, 0] - x[:, 2]
    params = op.init_params(tiny_config, seed=9)
    memory = op.train(tiny_config, x=x, y=y, params=params, dtype="f64", progress=False)
    written = op.train(tiny_config, x=x, y=y, params=params, dtype="f64", out=tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "data.npz").is_file() and (tmp_path / "run" / "params_given.npz").is_file()
    assert_identical(written.metrics, memory.metrics, "metrics")
    assert_identical(written.params_final, memory.params_final, "params_final")


def test_mismatched_x_and_y_are_value_errors(tiny_config):
    """Guards the array checks of train: y's length, y's rank, x without y."""
    x = sphere(12, 4, seed=1)
    with pytest.raises(ValueError):
        op.train(tiny_config, x=x, y=np.zeros(11), progress=False)
    with pytest.raises(ValueError):
        op.train(tiny_config, x=x, y=np.zeros((12, 1)), progress=False)
    with pytest.raises(ValueError):
        op.train(tiny_config, x=x, progress=False)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        op.train(tiny_config, x=bad, y=np.zeros(12), progress=False)


# --------------------------------------------------------------------------------------------
# pandas.


def test_to_pandas_has_the_metric_columns(tiny_config):
    """Guards Run.to_pandas: one row per logged step, the METRIC_COLUMNS, integer steps."""
    pandas = pytest.importorskip("pandas")
    run = op.train(tiny_config, dtype="f64", progress=False)
    frame = run.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == list(op.METRIC_COLUMNS)
    assert len(frame) == len(run.metrics["step"])
    assert frame["step"].dtype == np.int64
    np.testing.assert_array_equal(frame["loss"].to_numpy(), run.metrics["loss"])


def test_pandas_is_installed_on_ci():
    """Guards the pandas test above against skipping where it must run: CI installs pandas."""
    if os.environ.get("CI") == "true":
        import pandas  # noqa: F401  (an ImportError fails this test)


# --------------------------------------------------------------------------------------------
# Configs and their errors.


def test_unknown_key_is_a_value_error_naming_it(tiny_config):
    """Guards the schema: a misspelt key names itself."""
    with pytest.raises(ValueError, match="widht"):
        op.train({"model": {"widht": 8}}, progress=False)


def test_bad_value_is_a_value_error(tiny_config):
    """Guards validation: width 0 is refused before training."""
    with pytest.raises(ValueError, match="width"):
        op.train({"model": {"width": 0}}, progress=False)


def test_unknown_override_is_a_value_error_naming_it(tiny_config):
    """Guards overrides (the command line's --set): an unknown key names itself."""
    with pytest.raises(ValueError, match="nope"):
        op.train(tiny_config, overrides=["model.nope=1"], progress=False)


def test_overrides_apply(tiny_config, assert_identical):
    """Guards overrides: train.steps=20 is the dict with steps 20."""
    overridden = op.train(tiny_config, overrides=["train.steps=20"], dtype="f64", progress=False)
    tiny_config["train"]["steps"] = 20
    assert overridden.summary["steps_run"] == 20
    assert_identical(overridden.metrics, op.train(tiny_config, dtype="f64", progress=False).metrics, "metrics")


def test_toml_text_config(assert_identical):
    """Guards TOML text as the config: the same run as the equal dict."""
    text = "seed = 0\n[data]\nn = 16\nd = 4\n[model]\nwidth = 8\nbias_init = -0.3\n[train]\nsteps = 10\nlog_every = 5\n"
    config = {"seed": 0, "data": {"n": 16, "d": 4}, "model": {"width": 8, "bias_init": -0.3}, "train": {"steps": 10, "log_every": 5}}
    from_text = op.train(text, dtype="f64", progress=False)
    assert from_text.summary["steps_run"] == 10
    assert from_text.params_init["w1"].shape == (8, 4)
    assert_identical(from_text.metrics, op.train(config, dtype="f64", progress=False).metrics, "metrics")


def test_pathlib_path_config(tiny_config, write_toml, assert_identical):
    """Guards an os.PathLike config."""
    path = write_toml(tiny_config)
    assert isinstance(path, Path)
    from_path = op.train(path, dtype="f64", progress=False)
    assert_identical(from_path.metrics, op.train(tiny_config, dtype="f64", progress=False).metrics, "metrics")


def test_missing_config_file_names_it(tmp_path):
    """Guards a nonexistent path: FileNotFoundError (or ValueError) naming the file."""
    missing = tmp_path / "no_such_config.toml"
    with pytest.raises((FileNotFoundError, ValueError)) as error:
        op.train(missing, progress=False)
    assert "no_such_config.toml" in str(error.value)
    with pytest.raises((FileNotFoundError, ValueError)):
        op.train(str(missing), progress=False)


def test_bad_backend_and_dtype_are_value_errors(tiny_config):
    """Guards the choices: an unknown backend, dtype or engine names itself."""
    with pytest.raises(ValueError, match="f16x"):
        op.train(tiny_config, dtype="f16x", progress=False)
    with pytest.raises(ValueError, match="nobackend"):
        op.train(tiny_config, backend="nobackend", progress=False)
    with pytest.raises(ValueError, match="warp"):
        op.train(tiny_config, engine="warp", progress=False)


# --------------------------------------------------------------------------------------------
# Failures.


def diverging(config: dict) -> dict:
    """The tiny config made to diverge for certain: only `a` trains (w and b frozen, so the
    hidden features are fixed and no huge update can switch every ReLU off, which a large rate
    on W and b often does), at lr_a = 1e6, far above 2n/λ_max: the residual grows by ~1e5 per
    step and the f32 loss overflows within about 5 steps (of 50)."""
    config["model"].update(train_w=False, train_b=False)
    config["train"].update(lr_a=1e6, steps=50, log_every=1, ntk_every=0)
    return config


def test_divergence_raises_training_failed_with_the_rows_so_far(tiny_config):
    """Guards divergence: TrainingFailed naming the step, its run holding every row up to and
    including that step and no final parameters; the interpreter carries on."""
    with pytest.raises(op.TrainingFailed) as error:
        op.train(diverging(tiny_config), dtype="f32", backend=F32_BACKEND, progress=False)
    failure = error.value
    assert isinstance(failure, RuntimeError)
    match = re.search(r"step (\d+)", str(failure))
    assert match, f"the message does not name the step: {failure}"
    step = int(match.group(1))
    run = failure.run
    assert isinstance(run, op.Run) and run.params_final is None
    steps = run.metrics["step"]
    assert len(run.metrics["loss"]) == len(steps) >= 1
    np.testing.assert_array_equal(steps, np.arange(len(steps)))  # log_every = 1
    assert steps[-1] == step
    assert np.all(np.isfinite(run.metrics["loss"][:-1]))
    assert run.summary["status"] == "failed"
    assert run.summary.get("diverged_at_step") == step
    # The interpreter (and the module) carry on.
    x = sphere(5, 4, seed=0)
    assert op.ntk(x, op.init_params(d=4, width=8, seed=0)).shape == (5, 5)


def test_divergence_with_out_raises_training_failed(tiny_config, tmp_path, assert_identical):
    """Guards out= after a divergence: TrainingFailed, the files' rows equal to the in-memory
    failure's, no params_final.npz."""
    with pytest.raises(op.TrainingFailed) as in_memory:
        op.train(diverging(tiny_config), dtype="f32", backend=F32_BACKEND, progress=False)
    with pytest.raises(op.TrainingFailed) as written:
        op.train(diverging(tiny_config), dtype="f32", backend=F32_BACKEND, out=tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "params_final.npz").exists()
    assert written.value.run.params_final is None
    assert_identical(written.value.run.metrics, in_memory.value.run.metrics, "metrics")


def test_seeds_give_one_run_per_seed_as_the_cli(tiny_config, write_toml, run_cli, tmp_path, assert_identical):
    """Guards train.seeds = S > 1: a list of S runs, seeds seed … seed+S−1, each exactly the
    CLI's seed-<s>/ run, in memory and with out= (which writes those directories)."""
    tiny_config["seed"] = 5
    tiny_config["train"]["seeds"] = 3
    cli = tmp_path / "cli"
    run_cli("train", "--config", write_toml(tiny_config), "--out", cli, "--dtype", "f64")
    runs = op.train(tiny_config, dtype="f64", progress=False)
    written = op.train(tiny_config, dtype="f64", out=tmp_path / "py", progress=False)
    assert isinstance(runs, list) and len(runs) == 3 and len(written) == 3
    for seed, run, from_files in zip((5, 6, 7), runs, written):
        expected = op.load_run(cli / f"seed-{seed}")
        assert run.summary["seed"] == seed and run.summary["config"] == expected.summary["config"]
        assert_identical(run.metrics, expected.metrics, f"seed {seed} metrics")
        assert_identical(run.params_final, expected.params_final, f"seed {seed} params_final")
        assert_identical(from_files.metrics, expected.metrics, f"seed {seed} out= metrics")
    assert not np.array_equal(runs[0].params_init["w1"], runs[1].params_init["w1"])


def test_frozen_network_is_refused(tiny_config):
    """Guards a network with nothing to train."""
    tiny_config["model"].update(train_w=False, train_b=False, train_a=False)
    with pytest.raises(ValueError):
        op.train(tiny_config, progress=False)


def test_a_panic_is_a_runtime_error_and_the_module_carries_on():
    """Guards the panic barrier: a Rust panic is RuntimeError with its message, and the module
    still works afterwards."""
    with pytest.raises(RuntimeError, match="boom"):
        op._core._panic_for_test("boom")
    params = op.init_params(d=4, width=8, seed=0)
    assert params["w1"].shape == (8, 4)
    with pytest.raises(RuntimeError, match="again"):
        op._core._panic_for_test("again")


# --------------------------------------------------------------------------------------------
# Ctrl-C and the GIL.

INTERRUPTIBLE = textwrap.dedent(
    """
    import signal
    import sys
    import numpy as np
    import overparam as op

    # Ctrl-C as in an interactive interpreter: a parent that ignores SIGINT (a background job
    # of a non-interactive shell) passes SIG_IGN on, and Python then installs no handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    config = {"seed": 0, "data": {"n": 64, "d": 8}, "model": {"width": 256},
              "train": {"steps": 10**7, "log_every": 1000}}
    print("started", flush=True)
    try:
        op.train(config, progress=False)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        # The interpreter and the module carry on after the interrupt.
        kernel = op.ntk(np.eye(4), op.init_params(d=4, width=8, seed=0), backend="ndarray")
        print("recovered", kernel.shape, flush=True)
        sys.exit(0)
    print("finished without an interrupt", flush=True)
    sys.exit(3)
    """
)


def test_ctrl_c_interrupts_training(python, subprocess_env):
    """Guards Ctrl-C during op.train: KeyboardInterrupt between steps within a few seconds of
    SIGINT (not after the 10⁷ steps), catchable, with the interpreter intact."""
    process = subprocess.Popen(
        [python, "-c", INTERRUPTIBLE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env,
    )
    try:
        first = process.stdout.readline()
        if first.strip() != "started":
            process.kill()
            _, stderr = process.communicate()
            pytest.fail(f"the script did not start: {first!r}\nstderr:\n{stderr}")
        time.sleep(1.5)
        assert process.poll() is None, "the run ended before the interrupt"
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("op.train did not stop within 10 s of SIGINT")
        elapsed = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, f"exit {process.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    assert "interrupted" in stdout and "recovered" in stdout, stdout + stderr
    assert elapsed < 10


def test_training_releases_the_gil():
    """Guards that op.train runs without the GIL: another Python thread keeps running all
    through a training run (with the GIL held it would stall for the run's whole length)."""
    config = {"seed": 0, "data": {"n": 32, "d": 8}, "model": {"width": 64}, "train": {"steps": 20000, "log_every": 1000}}
    window = {}

    def work():
        try:
            window["start"] = time.perf_counter()
            window["run"] = op.train(config, dtype="f64", progress=False)
            window["end"] = time.perf_counter()
        except BaseException as error:  # reported by the main thread
            window["error"] = error

    worker = threading.Thread(target=work)
    stamps = []
    count = 0
    worker.start()
    while worker.is_alive():
        count += 1
        if count % 1000 == 0:
            stamps.append(time.perf_counter())
    worker.join()
    assert "error" not in window, f"op.train failed in the thread: {window.get('error')!r}"
    assert window["run"].summary["status"] == "ok"
    start, end = window["start"], window["end"]
    duration = end - start
    assert duration > 0.05, f"the run took {duration:.3f} s: too short to tell; lengthen it"
    inside = [t for t in stamps if start <= t <= end]
    assert len(inside) * 1000 > 1000, f"the main thread made {len(inside) * 1000} iterations in {duration:.3f} s of training"
    gaps = np.diff([start, *inside, end])
    assert gaps.max() < 0.5 * duration, (
        f"the main thread stalled for {gaps.max():.3f} s of a {duration:.3f} s run: the GIL was held"
    )
