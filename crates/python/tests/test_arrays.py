"""numpy arguments: any memory layout gives the same numbers; other real dtypes are converted;
everything else is refused with an error naming the argument (never a crash, never garbage)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import overparam as op

N, D, M = 10, 6, 24


@pytest.fixture
def params():
    """A width-24 network on d = 6 with a nonzero bias."""
    return op.init_params(d=D, width=M, seed=0, bias_init=-0.3)


@pytest.fixture
def x():
    """x [10, 6], C-contiguous float64."""
    return np.random.default_rng(1).standard_normal((N, D)) / 2.0


def names(message: str, argument: str) -> bool:
    """Whether the error message names `argument` as a word (`x`, 'w1', params['w1'], …)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(argument)}(?![A-Za-z0-9_])", message) is not None


# --------------------------------------------------------------------------------------------
# Layouts.


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fortran_ordered_x_gives_the_same_kernel(x, params, dtype):
    """Guards reading a Fortran-ordered array in logical (row-major) order."""
    x = x.astype(dtype)
    fortran = np.asfortranarray(x)
    assert fortran.flags.f_contiguous and not fortran.flags.c_contiguous
    np.testing.assert_array_equal(op.ntk(fortran, params), op.ntk(np.ascontiguousarray(x), params))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("view", ["rows", "columns", "both"])
def test_strided_views_give_the_same_kernel(params, dtype, view):
    """Guards strided (non-contiguous) views: every second row, column, or both."""
    big = (np.random.default_rng(2).standard_normal((2 * N, 2 * D)) / 2.0).astype(dtype)
    strided = {"rows": big[::2, :D], "columns": big[:N, ::2], "both": big[::2, ::2]}[view]
    assert strided.shape == (N, D) and not strided.flags.c_contiguous and not strided.flags.f_contiguous
    np.testing.assert_array_equal(op.ntk(strided, params), op.ntk(strided.copy(order="C"), params))


def test_non_contiguous_transpose_gives_the_same_kernel(params):
    """Guards a transposed strided view (negative-free but neither C nor F order)."""
    big = np.random.default_rng(3).standard_normal((D, 2 * N)) / 2.0
    transposed = big[:, ::2].T
    assert transposed.shape == (N, D)
    assert not transposed.flags.c_contiguous and not transposed.flags.f_contiguous
    np.testing.assert_array_equal(op.ntk(transposed, params), op.ntk(np.ascontiguousarray(transposed), params))


def test_reversed_view_gives_the_same_kernel(x, params):
    """Guards negative strides: a reversed view reads in logical order."""
    reversed_view = x[::-1, ::-1]
    np.testing.assert_array_equal(op.ntk(reversed_view, params), op.ntk(reversed_view.copy(), params))


def test_parameter_layouts_give_the_same_kernel(x, params):
    """Guards parameters in Fortran order and as strided views."""
    w_big = np.zeros((M, 2 * D))
    w_big[:, ::2] = params["w1"]
    a_big = np.zeros(2 * M)
    a_big[::2] = params["a"]
    odd = {"w1": np.asfortranarray(params["w1"]), "b1": params["b1"], "a": a_big[::2]}
    strided = {"w1": w_big[:, ::2], "b1": params["b1"], "a": params["a"]}
    expected = op.ntk(x, params)
    np.testing.assert_array_equal(op.ntk(x, odd), expected)
    np.testing.assert_array_equal(op.ntk(x, strided), expected)


def test_nested_lists_are_accepted(x, params):
    """Guards non-array inputs: a list of lists of floats is read as the array."""
    np.testing.assert_array_equal(op.ntk(x.tolist(), params), op.ntk(x, params))


def test_the_input_arrays_are_not_modified(x, params):
    """Guards that the call reads its arguments without writing them."""
    x_before, params_before = x.copy(), {k: v.copy() for k, v in params.items()}
    op.ntk(x, params, method="all")
    np.testing.assert_array_equal(x, x_before)
    for name in params:
        np.testing.assert_array_equal(params[name], params_before[name])


# --------------------------------------------------------------------------------------------
# Dtypes.


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint16])
def test_integer_x_is_converted(params, dtype):
    """Guards integer inputs: converted to float64, the kernel of the same numbers."""
    integers = np.random.default_rng(4).integers(0, 3, size=(N, D)).astype(dtype)
    kernel = op.ntk(integers, params)
    assert kernel.dtype == np.float64
    np.testing.assert_array_equal(kernel, op.ntk(integers.astype(np.float64), params))


def test_float16_x_is_converted(x, params):
    """Guards other real float dtypes: float16 widened exactly to float64."""
    half = x.astype(np.float16)
    np.testing.assert_array_equal(op.ntk(half, params), op.ntk(half.astype(np.float64), params))


def test_complex_x_is_a_type_error_naming_x(x, params):
    """Guards complex inputs: refused (not silently truncated to their real part)."""
    with pytest.raises(TypeError) as error:
        op.ntk(x.astype(np.complex128), params)
    assert names(str(error.value), "x"), str(error.value)


@pytest.mark.parametrize(
    "bad",
    [
        np.array([["1.0", "2.0"], ["3.0", "4.0"]]),
        np.array([[1.0, "a"], [2.0, None]], dtype=object),
        np.array([[1.0, 2.0], [3.0, 4.0]], dtype=object),
    ],
    ids=["str", "object-mixed", "object-floats"],
)
def test_string_and_object_arrays_are_type_errors(bad):
    """Guards strings and objects: refused with a TypeError naming x."""
    params = op.init_params(d=2, width=4, seed=0)
    with pytest.raises(TypeError) as error:
        op.ntk(bad, params)
    assert names(str(error.value), "x"), str(error.value)


def test_complex_params_are_a_type_error(x, params):
    """Guards the parameters' dtypes too, naming the array."""
    params = dict(params, a=params["a"].astype(np.complex128))
    with pytest.raises(TypeError) as error:
        op.ntk(x, params)
    assert re.search(r"[`'\"]a[`'\"]", str(error.value)), str(error.value)


# --------------------------------------------------------------------------------------------
# Shapes and values.


@pytest.mark.parametrize("shape", [(N * D,), (N, D, 1), ()], ids=["1d", "3d", "0d"])
def test_wrong_ndim_is_a_value_error_naming_x(params, shape):
    """Guards x's rank: [n, d] only."""
    with pytest.raises(ValueError) as error:
        op.ntk(np.zeros(shape), params)
    assert names(str(error.value), "x"), str(error.value)


def test_x_of_another_dimension_than_w1_is_a_value_error(params):
    """Guards d: x [n, d+1] against w1 [m, d]."""
    with pytest.raises(ValueError):
        op.ntk(np.ones((N, D + 1)), params)


def test_w1_of_a_wrong_shape_is_a_value_error_naming_w1(x, params):
    """Guards parameter shapes: w1 [m, d+1] for x [n, d]."""
    bad = dict(params, w1=np.zeros((M, D + 1)))
    with pytest.raises(ValueError) as error:
        op.ntk(x, bad)
    assert names(str(error.value), "w1"), str(error.value)


def test_b1_of_a_wrong_length_is_a_value_error_naming_b1(x, params):
    """Guards parameter shapes: b1 [m+1] for w1 [m, d]."""
    bad = dict(params, b1=np.zeros(M + 1))
    with pytest.raises(ValueError) as error:
        op.ntk(x, bad)
    assert names(str(error.value), "b1"), str(error.value)


def test_missing_a_is_a_value_error_naming_a(x, params):
    """Guards that every parameter of the network must be given."""
    missing = {k: v for k, v in params.items() if k != "a"}
    with pytest.raises(ValueError) as error:
        op.ntk(x, missing)
    message = str(error.value)
    assert re.search(r"[`'\"]a[`'\"]", message), message


def test_missing_w1_is_a_value_error(x, params):
    """Guards a dict without any weight matrix."""
    with pytest.raises(ValueError) as error:
        op.ntk(x, {"b1": params["b1"], "a": params["a"]})
    assert names(str(error.value), "w1"), str(error.value)


def test_extra_parameter_is_a_value_error_naming_it(x, params):
    """Guards that an unknown array (w9) is refused rather than ignored."""
    with pytest.raises(ValueError) as error:
        op.ntk(x, dict(params, w9=np.zeros((M, M))))
    assert names(str(error.value), "w9"), str(error.value)


def test_params_that_are_not_a_dict_are_a_type_error(x, params):
    """Guards the params argument's type."""
    with pytest.raises(TypeError):
        op.ntk(x, list(params.values()))


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_x_is_a_value_error(x, params, bad_value):
    """Guards NaN/±Inf in x: refused, naming x, instead of a kernel full of NaN."""
    x = x.copy()
    x[3, 2] = bad_value
    with pytest.raises(ValueError) as error:
        op.ntk(x, params)
    assert names(str(error.value), "x"), str(error.value)


def test_non_finite_params_are_a_value_error(x, params):
    """Guards NaN in a parameter array."""
    bad = dict(params, b1=params["b1"].copy())
    bad["b1"][0] = np.nan
    with pytest.raises(ValueError):
        op.ntk(x, bad)


def test_eigenvalues_of_a_non_square_matrix_are_a_value_error():
    """Guards op.eigenvalues' shape check."""
    with pytest.raises(ValueError):
        op.eigenvalues(np.ones((3, 4)))
    with pytest.raises(ValueError):
        op.eigenvalues(np.ones(3))


def test_eigenvalues_accept_any_layout():
    """Guards the kernel argument's layouts: a Fortran copy gives the same eigenvalues."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((6, 6))
    kernel = a @ a.T
    np.testing.assert_array_equal(op.eigenvalues(np.asfortranarray(kernel)), op.eigenvalues(kernel))
