"""Every bad input of the issue gets a TypeError or ValueError that says what was expected."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import torch

from gdtutorial import inverse, solve, svd
from gdtutorial._checks import (
    check_callback,
    check_choice,
    check_generator,
    check_int_range,
    check_max_iter,
    check_momentum,
    check_positive,
    check_same_device,
    check_same_dtype,
    check_tensor,
)

A = torch.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
b = torch.tensor([1.0, 2.0], dtype=torch.float64)


def _solve(**kwargs: Any) -> object:
    return solve(A, b, **kwargs)


def _inverse(**kwargs: Any) -> object:
    return inverse(A, **kwargs)


def _svd(**kwargs: Any) -> object:
    return svd(A, **kwargs)


SOLVERS: list[Callable[..., object]] = [_solve, _inverse, _svd]
SOLVER_IDS = ["solve", "inverse", "svd"]


# --- the tensors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: solve([[1.0]], b), TypeError, r"Expected A to be a torch.Tensor, got \[\[1.0\]\]"),
        (lambda: solve(A, [1.0, 2.0]), TypeError, "Expected b to be a torch.Tensor, got"),
        (lambda: inverse(3.0), TypeError, "Expected M to be a torch.Tensor, got 3.0"),
        (lambda: svd("M"), TypeError, "Expected M to be a torch.Tensor, got 'M'"),
    ],
    ids=["solve-A", "solve-b", "inverse", "svd"],
)
def test_not_a_tensor(call: Callable[[], object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: solve(b, b), r"Expected A to have 2 dimensions, got 1 \(shape \(2,\)\)"),
        (lambda: solve(A, A[None]), "Expected b to have 1 or 2 dimensions, got 3"),
        (lambda: solve(A, b, b[None]), "Expected x0 to have 1 dimensions, got 2"),
        (lambda: inverse(b), "Expected M to have 2 dimensions, got 1"),
        (lambda: svd(A[None]), "Expected M to have 2 dimensions, got 3"),
    ],
    ids=["solve-A", "solve-b", "solve-x0", "inverse", "svd"],
)
def test_wrong_number_of_dimensions(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_shape_mismatch_of_A_and_b() -> None:
    with pytest.raises(
        ValueError, match=r"Expected b with 2 rows \(A is 2 × 2\), got shape \(3,\)"
    ):
        solve(A, torch.ones(3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"Expected x0 of shape \(2,\), got shape \(3,\)"):
        solve(A, b, torch.ones(3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"Expected x0 of shape \(2, 3\), got shape \(2, 2\)"):
        solve(A, torch.ones(2, 3, dtype=torch.float64), torch.ones(2, 2, dtype=torch.float64))


def test_non_square_matrix_for_inverse() -> None:
    with pytest.raises(ValueError, match=r"Expected a square matrix M, got shape \(2, 3\)"):
        inverse(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"Expected X0 of shape \(2, 2\), got \(2, 3\)"):
        inverse(A, torch.ones(2, 3, dtype=torch.float64))


@pytest.mark.parametrize(
    "call",
    [
        lambda: solve(torch.ones(0, 2), torch.ones(0)),
        lambda: solve(torch.ones(2, 2), torch.ones(2, 0)),
        lambda: inverse(torch.ones(0, 0)),
        lambda: svd(torch.ones(3, 0)),
    ],
    ids=["solve-A", "solve-b", "inverse", "svd"],
)
def test_empty_input(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"Expected .* to be non-empty, got shape"):
        call()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("solver", ["solve-A", "solve-b", "solve-x0", "inverse", "svd"])
def test_nan_and_inf_entries(bad: float, solver: str) -> None:
    poisoned = A.clone()
    poisoned[0, 1] = bad
    poisoned_vector = b.clone()
    poisoned_vector[1] = bad
    calls: dict[str, Callable[[], object]] = {
        "solve-A": lambda: solve(poisoned, b),
        "solve-b": lambda: solve(A, poisoned_vector),
        "solve-x0": lambda: solve(A, b, poisoned_vector),
        "inverse": lambda: inverse(poisoned),
        "svd": lambda: svd(poisoned),
    }
    with pytest.raises(ValueError, match="to hold finite values only, got NaN or Inf entries"):
        calls[solver]()


@pytest.mark.parametrize(
    "dtype", [torch.int64, torch.int32, torch.bool, torch.complex64, torch.complex128]
)
@pytest.mark.parametrize("solver", ["solve-A", "solve-b", "inverse", "svd"])
def test_integer_and_complex_dtypes(dtype: torch.dtype, solver: str) -> None:
    bad = torch.ones(2, 2, dtype=dtype)
    calls: dict[str, Callable[[], object]] = {
        "solve-A": lambda: solve(bad, b),
        "solve-b": lambda: solve(A, bad[0]),
        "inverse": lambda: inverse(bad),
        "svd": lambda: svd(bad),
    }
    with pytest.raises(TypeError, match=f"Expected .* real floating dtype .*got {dtype}"):
        calls[solver]()


def test_mixed_dtypes() -> None:
    with pytest.raises(TypeError, match=r"Expected b to have the dtype of A \(torch.float64\)"):
        solve(A, b.float())
    with pytest.raises(TypeError, match=r"Expected X0 to have the dtype of M \(torch.float64\)"):
        inverse(A, A.float())


def test_tensors_on_different_devices() -> None:
    meta_b = torch.ones(2, dtype=torch.float64, device="meta")
    with pytest.raises(ValueError, match=r"Expected b on the same device as A \(cpu\), got meta"):
        check_same_device(A=A, b=meta_b)
    if torch.cuda.is_available():  # pragma: no cover - needs a GPU
        with pytest.raises(ValueError, match="Expected b on the same device as A"):
            solve(A, b.cuda())
        with pytest.raises(ValueError, match="Expected X0 on the same device as M"):
            inverse(A, A.cuda())


# --- the settings ------------------------------------------------------------------------------


@pytest.mark.parametrize("lr", [0.0, -0.1])
@pytest.mark.parametrize(
    ("call", "method"),
    [(_solve, "gd"), (_inverse, "gd"), (_svd, "penalty")],
    ids=SOLVER_IDS,
)
def test_lr_not_positive(call: Callable[..., object], method: str, lr: float) -> None:
    with pytest.raises(ValueError, match=f"Expected lr > 0, got {lr}"):
        call(method=method, lr=lr)


@pytest.mark.parametrize("lr", [float("nan"), float("inf")])
def test_lr_not_finite(lr: float) -> None:
    with pytest.raises(ValueError, match="Expected lr to be finite"):
        solve(A, b, method="gd", lr=lr)


def test_lr_not_a_number() -> None:
    with pytest.raises(TypeError, match=r"Expected lr to be a real number, got '0.1' \(str\)"):
        solve(A, b, method="gd", lr="0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Expected lr to be a real number, got True"):
        solve(A, b, method="gd", lr=True)


@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5])
@pytest.mark.parametrize(
    ("call", "method"),
    [(_solve, "momentum"), (_inverse, "momentum"), (_svd, "penalty")],
    ids=SOLVER_IDS,
)
def test_momentum_outside_unit_interval(
    call: Callable[..., object], method: str, momentum: float
) -> None:
    with pytest.raises(ValueError, match=rf"Expected momentum in \[0, 1\), got {momentum}"):
        call(method=method, momentum=momentum)


@pytest.mark.parametrize("tol", [0.0, -1e-6])
@pytest.mark.parametrize("call", SOLVERS, ids=SOLVER_IDS)
def test_tol_not_positive(call: Callable[..., object], tol: float) -> None:
    with pytest.raises(ValueError, match=f"Expected tol > 0, got {tol}"):
        call(tol=tol)


@pytest.mark.parametrize("max_iter", [0, -5])
@pytest.mark.parametrize("call", SOLVERS, ids=SOLVER_IDS)
def test_max_iter_below_one(call: Callable[..., object], max_iter: int) -> None:
    with pytest.raises(ValueError, match=f"Expected max_iter >= 1, got {max_iter}"):
        call(max_iter=max_iter)


@pytest.mark.parametrize("max_iter", [10.0, "10", True])
def test_max_iter_not_an_integer(max_iter: object) -> None:
    with pytest.raises(TypeError, match="Expected max_iter to be an integer, got"):
        solve(A, b, max_iter=max_iter)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [0, 3, -1])
def test_k_out_of_range(k: int) -> None:
    with pytest.raises(ValueError, match=rf"Expected k in \[1, 2\], got {k}"):
        svd(A, k)
    with pytest.raises(TypeError, match=r"Expected k to be an integer, got 1\.0"):
        svd(A, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "valid"),
    [
        (_solve, "'adam', 'cg', 'cg-mixed', 'cgls', 'gd', 'momentum', 'nesterov', 'sgd'"),
        (_inverse, "'cgls', 'gd', 'momentum', 'newton-schulz'"),
        (_svd, "'orthogonal-iteration', 'penalty', 'riemannian'"),
    ],
    ids=SOLVER_IDS,
)
def test_unknown_method_lists_the_valid_ones(call: Callable[..., object], valid: str) -> None:
    with pytest.raises(ValueError, match=rf"Expected method to be one of \[{valid}\], got 'lu'"):
        call(method="lu")


def test_unknown_loss_lists_the_valid_ones() -> None:
    with pytest.raises(
        ValueError,
        match=r"Expected loss to be one of \['l1', 'l2', 'l2-norm'\] or a callable, got 'huber'",
    ):
        solve(A, b, method="gd", loss="huber")


def test_settings_a_method_does_not_use() -> None:
    with pytest.raises(ValueError, match="Expected loss='l2' with method='cg'"):
        solve(A, b, method="cg", loss="l1")
    with pytest.raises(ValueError, match="Expected lr=None with method='cg'"):
        solve(A, b, lr=0.1)
    with pytest.raises(ValueError, match="Expected loss='l2' with method='cg-mixed'"):
        solve(A, b, method="cg-mixed", loss="l1")
    with pytest.raises(ValueError, match="Expected momentum=None with method='cg-mixed'"):
        solve(A, b, method="cg-mixed", momentum=0.5)
    with pytest.raises(ValueError, match="Expected momentum=None with method='gd'"):
        solve(A, b, method="gd", momentum=0.5)
    with pytest.raises(ValueError, match="Expected lr=None with method='newton-schulz'"):
        inverse(A, lr=0.1)
    with pytest.raises(ValueError, match="Expected momentum=None with method='gd'"):
        inverse(A, method="gd", momentum=0.5)
    with pytest.raises(ValueError, match="Expected momentum=None with method='riemannian'"):
        svd(A, method="riemannian", momentum=0.5)
    with pytest.raises(ValueError, match="Expected lr=None with method='orthogonal-iteration'"):
        svd(A, lr=0.5)


def test_cg_mixed_needs_float64_input() -> None:
    with pytest.raises(
        TypeError,
        match=r"Expected float64 A and b with method='cg-mixed' \(it iterates in float32 and "
        r"refines in float64\), got torch\.float32; use method='cgls'",
    ):
        solve(A.float(), b.float(), method="cg-mixed")


def test_callable_loss_must_return_a_scalar() -> None:
    with pytest.raises(TypeError, match=r"Expected loss\(residual\) to return a scalar tensor"):
        solve(A, b, method="gd", loss=lambda r: r.abs())


def test_callback_and_generator_types() -> None:
    with pytest.raises(TypeError, match="Expected callback to be None or callable, got 3"):
        solve(A, b, callback=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Expected generator to be None or a torch\.Generator"):
        svd(A, generator=314)  # type: ignore[arg-type]


# --- the helpers themselves --------------------------------------------------------------------


def test_helpers_pass_good_values_through() -> None:
    assert check_tensor(A, "A", ndim=(1, 2)) is A
    assert check_positive(None, "lr") is None and check_positive(2, "lr") == 2.0
    assert check_momentum(None) is None and check_momentum(0) == 0.0
    assert check_max_iter(None) is None and check_max_iter(7) == 7
    assert check_int_range(2, "k", 1, 2) == 2
    assert check_choice("a", "x", {"a": 1}) == 1
    assert check_callback(None) is None
    generator = torch.Generator()
    assert check_generator(generator) is generator
    check_same_device()
    check_same_dtype(A=None)
    check_same_device(A=A, b=b)
    check_same_dtype(A=A, b=b)


def test_choice_rejects_callable_unless_allowed() -> None:
    with pytest.raises(ValueError, match=r"Expected method to be one of \['a'\], got <built-in"):
        check_choice(abs, "method", {"a": 1})


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_inverse_rejects_a_sparse_matrix_with_advice_that_works(layout: str) -> None:
    sparse = A.to_sparse() if layout == "coo" else A.to_sparse_csr()
    with pytest.raises(TypeError, match=r"Expected M to be a dense tensor, got layout") as error:
        inverse(sparse)
    advice = re.search(r"convert it with M\.(\w+)\(\)", str(error.value))
    assert advice is not None
    assert inverse(getattr(sparse, advice.group(1))()).success


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_solve_and_svd_take_a_sparse_matrix_in_either_layout(layout: str) -> None:
    sparse = A.to_sparse() if layout == "coo" else A.to_sparse_csr()
    assert solve(sparse, b).success
    assert svd(sparse, generator=torch.Generator().manual_seed(0)).success
