"""Type stubs of the extension module ``overparam._core`` (the Rust core). Use the
documented functions of :mod:`overparam`; these take plain positional arguments."""

from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

_Config = Union[Mapping[str, Any], str, PathLike, None]
_Params = Mapping[str, npt.NDArray[np.floating]]

__version__: str
#: The columns of metrics.csv, in order.
METRIC_COLUMNS: List[str]

def config_file(config: _Config, directory: Union[str, PathLike]) -> PathLike:
    """The file ``config`` names, or ``directory/config.toml`` written from the dict or TOML
    text (a relative ``data.path`` made absolute)."""

def init_params(config: _Config, overrides: Sequence[str]) -> Dict[str, npt.NDArray[np.float64]]:
    """The initial draw: ``w1`` ``[m_1, d]``, ``b1`` ``[m_1]``, …, ``a`` ``[m_L]``."""

def ntk(
    config: _Config,
    overrides: Sequence[str],
    x: Optional[npt.NDArray[np.floating]],
    params: Optional[_Params],
    methods: Sequence[str],
    lr_weighted: bool,
    block_size: int,
    backend: str,
    dtype: str,
    skip_inapplicable: bool,
    max_memory: Optional[str] = None,
    x_test: Optional[npt.NDArray[np.floating]] = None,
    y: Optional[npt.NDArray[np.floating]] = None,
    y_test: Optional[npt.NDArray[np.floating]] = None,
    ridge: Optional[float] = None,
    kernel: str = "ntk",
    ensemble: int = 256,
) -> Tuple[Dict[str, npt.NDArray[np.float64]], str, Optional[Dict[str, Any]]]:
    """(method → K ``[n, n]`` float64 and ``<method>_cross`` ``[n_test, n]`` with x_test, the
    notes of skipped methods as JSON, the predictions with a ridge: ``f0_test``, ``ridge`` and
    method → {prediction, test_loss, train_loss, condition_number})."""

def configured_dtype(backend: str) -> Optional[str]:
    """The dtype the backend's device computes in in this process, or None before its first use."""

def eigenvalues(kernel: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """The eigenvalues ``[n]`` of a symmetric ``[n, n]`` kernel, ascending."""

def train(
    config: _Config,
    overrides: Sequence[str],
    x: Optional[npt.NDArray[np.floating]],
    y: Optional[npt.NDArray[np.floating]],
    params: Optional[_Params],
    backend: str,
    dtype: str,
    engine: str,
    progress: bool,
    max_memory: Optional[str] = None,
    x_test: Optional[npt.NDArray[np.floating]] = None,
    y_test: Optional[npt.NDArray[np.floating]] = None,
) -> Dict[str, Any]:
    """``columns``, ``metrics`` (column → ``[rows]``), ``params_init``, ``params_final``
    (None after a failure), ``summary`` (JSON text) and ``error`` (None or the message)."""

def gradcheck(
    config: _Config,
    overrides: Sequence[str],
    params: Optional[_Params],
    backend: str,
    max_entries: int,
    max_memory: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """One row per trained tensor: the three-way gradient comparison."""

def backends() -> str:
    """``overparam backends --json``'s output."""

def cli(argv: Sequence[str], progress: bool = True) -> int:
    """Runs the command line ``argv`` (program name first) in this process; its exit status."""

def set_launcher(program: Union[str, PathLike], leading_args: Sequence[str], envs: Sequence[Tuple[str, str]]) -> None:
    """The command copies of the program (a sweep's runs) start with."""

def _panic_for_test(message: str) -> None:
    """Panics in the core: raises ``RuntimeError`` naming ``message``."""
