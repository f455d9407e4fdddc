"""A training run's outputs as Python values, from memory or from a run directory."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from . import _core

#: The columns of ``metrics.csv`` (and of :attr:`Run.metrics`), in order.
METRIC_COLUMNS: List[str] = list(_core.METRIC_COLUMNS)

#: The columns of :attr:`Run.kernel_track`.
KERNEL_COLUMNS = ("step", "lambda_min", "lambda_max", "ntk_drift")


class Run:
    """What one training run produced, as ``overparam train`` writes it.

    Attributes:
        metrics: column name → float64 array ``[rows]``, one entry per logged step (every
            ``train.log_every`` steps and the last), the columns of ``metrics.csv``
            (:data:`METRIC_COLUMNS`): ``step``, ``loss`` = (1/2n) Σ (f(x_i) − y_i)²,
            ``grad_norm_w|b|a``, ``move_w|b|a`` (‖θ_t − θ_0‖/‖θ_0‖ per group),
            ``active_fraction``, ``flipped_fraction``, ``lambda_min``, ``lambda_max``,
            ``ntk_drift`` (on NTK steps, else NaN), ``pl_ratio``, ``teacher_alignment``;
            ``test_loss`` with held-out points; ``loss_lin``, ``test_loss_lin``,
            ``lin_distance``, ``test_lin_distance`` with ``train.linearized``.
            NaN where ``metrics.csv`` has an empty field.
        params_init: θ_0, ``w1`` ``[m_1, d]``, ``b1`` ``[m_1]``, …, ``a`` ``[m_L]`` (float64).
        params_final: the trained parameters (same names and shapes); ``None`` if the run failed.
        summary: the fields of ``summary.json``: ``config`` (resolved), ``seed``, ``backend``,
            ``device``, ``dtype``, ``engine``, ``provenance``, ``status``, ``steps_run``,
            ``final_loss``, ``linear_rate``, ``wall_time_s``, …
        out: the run directory when the run wrote the command line's files, else ``None``.
    """

    def __init__(
        self,
        metrics: Dict[str, np.ndarray],
        params_init: Dict[str, np.ndarray],
        params_final: Optional[Dict[str, np.ndarray]],
        summary: Dict[str, Any],
        out: Optional[Path] = None,
    ) -> None:
        self.metrics = metrics
        self.params_init = params_init
        self.params_final = params_final
        self.summary = summary
        self.out = out

    @property
    def columns(self) -> List[str]:
        """The metric column names, in ``metrics.csv``'s order."""
        return list(self.metrics)

    @property
    def kernel_track(self) -> Dict[str, np.ndarray]:
        """The NTK along training: ``step``, ``lambda_min``, ``lambda_max`` and ``ntk_drift``
        (‖K_t − K_0‖_F/‖K_0‖_F), each ``[k]``, at the steps where the kernel was computed
        (every ``train.ntk_every`` steps and the last; empty when ``ntk_every = 0``)."""
        tracked = ~np.isnan(self.metrics["lambda_min"])
        return {name: self.metrics[name][tracked] for name in KERNEL_COLUMNS}

    def to_pandas(self):
        """The metrics as a ``pandas.DataFrame`` (one row per logged step), when pandas is
        installed."""
        try:
            import pandas
        except ImportError as error:
            raise ImportError("Run.to_pandas needs pandas: pip install pandas") from error
        frame = pandas.DataFrame(self.metrics)
        frame["step"] = frame["step"].astype("int64")
        return frame

    def __repr__(self) -> str:
        rows = len(self.metrics["step"]) if self.metrics else 0
        where = f", out={str(self.out)!r}" if self.out is not None else ""
        return (
            f"Run(status={self.summary.get('status')!r}, steps_run={self.summary.get('steps_run')}, "
            f"final_loss={self.summary.get('final_loss')}, rows={rows}{where})"
        )


class TrainingFailed(RuntimeError):
    """Training stopped with an error (a divergence names the step and the tensor). ``run``
    holds what was measured up to that point (its ``params_final`` is ``None``)."""

    def __init__(self, message: str, run: Run) -> None:
        super().__init__(message)
        self.run = run


def load_run(directory: os.PathLike | str) -> Run:
    """The :class:`Run` that ``overparam train --out DIR`` (or ``train(..., out=DIR)``) wrote
    to ``directory``: ``metrics.csv``, ``params_init.npz``, ``params_final.npz`` (absent after
    a failure) and ``summary.json``."""
    directory = Path(directory)
    with open(directory / "metrics.csv", newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        rows = [[float(field) if field else math.nan for field in row] for row in reader]
    values = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    metrics = {name: np.ascontiguousarray(values[:, i]) for i, name in enumerate(header)}
    final = directory / "params_final.npz"
    with open(directory / "summary.json") as file:
        summary = json.load(file)
    return Run(
        metrics=metrics,
        params_init=_read_npz(directory / "params_init.npz"),
        params_final=_read_npz(final) if final.exists() else None,
        summary=summary,
        out=directory,
    )


def _read_npz(path: Path) -> Dict[str, np.ndarray]:
    with np.load(path) as archive:
        return {name: archive[name] for name in archive.files}
