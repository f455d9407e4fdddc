"""The command line's other commands from Python: gradcheck, backends, the initial draw, the
in-process CLI, sweeps, `python -m overparam`, and the example script."""

from __future__ import annotations

import importlib.util
import json
import subprocess

import numpy as np
import pytest

import overparam as op


# --------------------------------------------------------------------------------------------
# gradcheck and backends.


def test_gradcheck_passes_for_every_tensor(tiny_config):
    """Guards op.gradcheck: one row per trained tensor (w1, b1, a), each passing the three-way
    comparison, with the documented fields."""
    rows = op.gradcheck(tiny_config)
    assert sorted(row["tensor"] for row in rows) == ["a", "b1", "w1"]
    for row in rows:
        for key in (
            "entries",
            "checked_entries",
            "step",
            "autodiff_vs_hand",
            "autodiff_vs_numeric",
            "hand_vs_numeric",
            "jacobian_vs_numeric",
            "excluded_entries",
            "kink_pre_activations",
        ):
            assert key in row, key
        assert row["passes"] is True, row
        assert row["checked_entries"] <= row["entries"]
    entries = {row["tensor"]: row["entries"] for row in rows}
    assert entries == {"w1": 32 * 4, "b1": 32, "a": 32}


def test_gradcheck_leaves_out_frozen_tensors(tiny_config):
    """Guards gradcheck's "per trained tensor": a frozen b1 has no row."""
    tiny_config["model"]["train_b"] = False
    assert sorted(row["tensor"] for row in op.gradcheck(tiny_config)) == ["a", "w1"]


def test_backends_lists_flex_as_built(run_cli):
    """Guards op.backends: flex is built and opens a device computing f32 and f64; the same
    backends and build flags as `overparam backends --json`."""
    reports = op.backends()
    assert isinstance(reports, list) and reports
    flex = [report for report in reports if report["backend"] == "flex"]
    assert len(flex) == 1, reports
    assert flex[0]["built"] is True
    assert {"f32", "f64"} <= set(flex[0]["dtypes"])
    cli = json.loads(run_cli("backends", "--json").stdout)
    assert [(r["backend"], r["built"]) for r in cli] == [(r["backend"], r["built"]) for r in reports]


# --------------------------------------------------------------------------------------------
# The initial draw.


def test_init_params_equal_the_cli_draw(write_toml, cli_train, assert_identical):
    """Guards op.init_params: the same seed gives exactly the command line's params_init.npz
    (of an f64 run; an f32 run holds the draw rounded to float32, which dtype="f32" gives)."""
    config = {"seed": 0, "data": {"n": 8, "d": 16}, "model": {"widths": [32]}, "train": {"steps": 1}}
    cli = cli_train(write_toml(config), "--dtype", "f64")
    cli_f32 = cli_train(write_toml(config), "--dtype", "f32", out_name="cli-f32")
    rounded = op.init_params(d=16, widths=[32], seed=0, dtype="f32")
    assert all(value.dtype == np.float32 for value in rounded.values())
    assert_identical(rounded, cli_f32.params_init, "params_init of an f32 run")
    params = op.init_params(d=16, widths=[32], seed=0)
    assert [name for name in params] == ["w1", "b1", "a"]
    assert params["w1"].shape == (32, 16) and params["b1"].shape == (32,) and params["a"].shape == (32,)
    for value in params.values():
        assert value.dtype == np.float64
    assert_identical(params, cli.params_init, "params_init")
    assert_identical(op.init_params(config), cli.params_init, "params_init from the config")
    assert_identical(op.init_params(d=16, width=32, seed=0), cli.params_init, "width=32 is widths=[32]")


def test_init_params_depend_on_the_seed_only_through_the_draw():
    """Guards seed and bias_init: another seed another draw; biases are the constant."""
    first = op.init_params(d=4, width=8, seed=0, bias_init=-1.5)
    second = op.init_params(d=4, width=8, seed=1, bias_init=-1.5)
    assert not np.array_equal(first["w1"], second["w1"])
    np.testing.assert_array_equal(first["b1"], np.full(8, -1.5))
    np.testing.assert_array_equal(op.init_params(d=4, width=8, seed=0, bias_init=-1.5)["w1"], first["w1"])


def test_init_params_keyword_errors():
    """Guards init_params' keys through the config schema: width with widths, an unknown value."""
    with pytest.raises(ValueError, match="widths"):
        op.init_params(d=4, width=8, widths=[8, 8])
    with pytest.raises(ValueError, match="tanh"):
        op.init_params(d=4, width=8, activation="tanh")


# --------------------------------------------------------------------------------------------
# The command line in-process.


def test_cli_returns_exit_statuses():
    """Guards op.cli: 0 for a good command, clap's 2 for a bad argument, without exiting."""
    assert op.cli("backends") == 0
    assert op.cli("train", "--bogus") == 2


def test_cli_in_process_writes_the_binary_s_files(tiny_config, write_toml, cli_train, tmp_path):
    """Guards op.cli("train", …): byte-identical metrics.csv to the binary's."""
    config_path = write_toml(tiny_config)
    binary = cli_train(config_path, "--dtype", "f64")
    out = tmp_path / "in_process"
    assert op.cli("train", "--config", config_path, "--out", out, "--dtype", "f64") == 0
    assert (out / "metrics.csv").read_bytes() == (binary.out / "metrics.csv").read_bytes()


def test_python_dash_m_overparam(python, subprocess_env):
    """Guards `python -m overparam`: the command line in a fresh interpreter, its exit status."""
    ok = subprocess.run([python, "-m", "overparam", "backends"], env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "flex" in ok.stdout
    bad = subprocess.run([python, "-m", "overparam", "train", "--bogus"], env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2, bad.stderr


# --------------------------------------------------------------------------------------------
# Sweeps.


@pytest.fixture
def sweep_spec(tmp_path, write_toml):
    """A 2 × 2 sweep (width × seed) of 20-step runs of a tiny base config."""
    write_toml(
        {"seed": 0, "data": {"n": 16, "d": 4}, "model": {"width": 8}, "train": {"steps": 20, "log_every": 5}},
        name="base.toml",
    )
    spec = tmp_path / "sweep.toml"
    spec.write_text('base = "base.toml"\n\n[grid]\n"model.width" = [8, 16]\nseed = [0, 1]\n')
    return spec


def test_sweep_plan_run_merge(sweep_spec, tmp_path):
    """Guards sweep_plan / sweep_run / sweep_merge: the manifest's four runs (run_id, swept keys,
    pending), every run ok after `run` (two at a time, each a `python -m overparam` child), and
    merge giving the same results."""
    out = tmp_path / "sweep"
    manifest = op.sweep_plan(sweep_spec, out)
    for column in ("index", "run_id", "model.width", "seed", "status"):
        assert column in manifest, column
    run_ids = list(manifest["run_id"])
    assert len(run_ids) == 4 and len(set(run_ids)) == 4
    np.testing.assert_array_equal(manifest["model.width"], [8, 8, 16, 16])
    np.testing.assert_array_equal(manifest["seed"], [0, 1, 0, 1])
    assert set(manifest["status"]) == {"pending"}

    results = op.sweep_run(sweep_spec, out, jobs=2)
    assert "run_id" in results and "status" in results and "final_loss" in results
    assert sorted(results["run_id"]) == sorted(run_ids)
    assert list(results["status"]) == ["ok"] * 4, results.get("error")
    assert np.all(np.isfinite(results["final_loss"]))
    for run_id in run_ids:
        assert (out / "runs" / run_id / "metrics.csv").is_file()

    merged = op.sweep_merge(out)
    for column in ("run_id", "status", "final_loss"):
        np.testing.assert_array_equal(merged[column], results[column])


def test_sweep_plan_names_a_bad_key(tmp_path, write_toml):
    """Guards a sweep spec with a misspelt key: refused before anything runs."""
    write_toml({"data": {"n": 8, "d": 4}, "model": {"width": 8}, "train": {"steps": 2}}, name="base.toml")
    spec = tmp_path / "bad.toml"
    spec.write_text('base = "base.toml"\n[grid]\n"model.widht" = [8, 16]\n')
    with pytest.raises(RuntimeError):
        op.sweep_plan(spec, tmp_path / "bad_sweep")


# --------------------------------------------------------------------------------------------
# The example.


def test_reproduce_runs_from_any_directory_on_the_built_in_specs(tmp_path, monkeypatch):
    """Guards reproduce without --specs away from the repository root: the specs built into
    the module are written to out/specs and every verdict is computed."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "quadratic"
    report = op.reproduce("quadratic", scale="small", out=out, jobs=2)
    assert report["verdicts"], report
    assert all(v["verdict"] in ("holds", "does_not_hold", "inconclusive") for v in report["verdicts"])
    assert (out / "specs" / "quadratic" / "quadratic-landscape.small.toml").is_file()
    settings = " ".join(report["settings"])
    assert "specs built into" in settings and "text hash" in settings, settings


def test_track_lambda_min_example_runs(repo_root, python, subprocess_env, tmp_path):
    """Guards examples/track_lambda_min.py: it runs to the end, prints λ_min over training and
    the comparison with the analytic kernel, and plots where matplotlib is installed."""
    script = repo_root / "examples" / "track_lambda_min.py"
    assert script.is_file()
    figure = tmp_path / "lambda_min.png"
    result = subprocess.run(
        [python, str(script), str(figure)],
        env=subprocess_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "lambda_min" in result.stdout
    assert "analytic" in result.stdout
    if importlib.util.find_spec("matplotlib") is not None:
        assert figure.is_file() and figure.stat().st_size > 0
    else:
        assert "matplotlib" in result.stdout
        assert not figure.exists()
