"""numpy arguments: float32 and float64 kept as given, other real dtypes converted, the rest
refused naming the argument."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

_KEPT = (np.dtype(np.float32), np.dtype(np.float64))


def real_array(value: Any, argument: str, ndim: int | None = None) -> np.ndarray:
    """``value`` as a float32 or float64 array, without a copy where it is one already (any
    memory layout: C, Fortran or a strided view). Integers and booleans become float64; other
    dtypes (complex, strings, objects, datetimes) are a ``TypeError`` naming ``argument``; a
    wrong number of dimensions is a ``ValueError``."""
    array = np.asarray(value) if not isinstance(value, np.ndarray) else value
    if array.dtype not in _KEPT:
        if array.dtype.kind in "biu":
            array = array.astype(np.float64)
        elif array.dtype.kind == "f":  # float16, longdouble: to float64 (exact for float16)
            array = array.astype(np.float64)
        else:
            raise TypeError(
                f"{argument}: dtype {array.dtype} is not a real number type; "
                "pass float32 or float64 (integers and booleans are converted)"
            )
    if ndim is not None and array.ndim != ndim:
        shape = "[n, d]" if ndim == 2 else "[n]"
        raise ValueError(f"{argument}: expected {ndim} dimensions {shape}, got shape {list(array.shape)}")
    return array


def real_params(params: Mapping[str, Any]) -> dict:
    """Each array of ``params`` through :func:`real_array`, named ``params['w1']``, …"""
    if not isinstance(params, Mapping):
        raise TypeError(f"params: expected a dict of name -> array (w1, b1, ..., a), got {type(params).__name__}")
    return {name: real_array(value, f"params[{name!r}]") for name, value in params.items()}


def dtype_of(*arrays: np.ndarray | None) -> str:
    """``"f32"`` when every given array is float32, else ``"f64"``."""
    given = [a for a in arrays if a is not None]
    if given and all(a.dtype == np.float32 for a in given):
        return "f32"
    return "f64"
