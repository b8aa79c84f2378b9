"""The scale of the input never decides the outcome: every solver runs on its input scaled by a
power of two, so a success is a true success at any scale, and a well-conditioned input
converges at any scale with every method whose steps the package derives."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtutorial import inverse, solve, svd
from gdtutorial.matrices import random_matrix

SETTINGS = settings(max_examples=20, deadline=None)
dtypes = st.sampled_from([torch.float32, torch.float64])


def _tol(dtype: torch.dtype) -> float:
    return 1e-6 if dtype == torch.float64 else 1e-4


def _exponent(dtype: torch.dtype) -> st.SearchStrategy[int]:
    """Exponents k for which 2^k times an O(1) input is still a normal number of the dtype."""
    top = 1000 if dtype == torch.float64 else 110
    return st.integers(-top, top)


def _scaled(T: torch.Tensor, k: int) -> torch.Tensor:
    """``T·2^k``, computed in two halves so that the factor itself is always finite."""
    return T * 2.0 ** (k // 2) * 2.0 ** (k - k // 2)


SOLVE_METHODS = ["cg", "cgls", "cg-mixed", "gd", "momentum", "nesterov"]


@SETTINGS
@given(dtype=dtypes, ka=st.data(), kb=st.data(), tall=st.booleans(), seed=st.integers(0, 99))
def test_solve_converges_truly_at_any_scale(
    dtype: torch.dtype, ka: st.DataObject, kb: st.DataObject, tall: bool, seed: int
) -> None:
    a, c = ka.draw(_exponent(dtype)), kb.draw(_exponent(dtype))
    if abs(a - c) > (1000 if dtype == torch.float64 else 110):  # x = 2^(c − a)·x₁ in range
        c = a
    generator = torch.Generator().manual_seed(seed)
    m, n = (12, 5) if tall else (8, 8)
    A1 = random_matrix(m, n, cond=5.0, generator=generator)
    b1 = torch.randn(m, dtype=torch.float64, generator=generator)
    SPD1 = A1.mT @ A1  # cond 25, symmetric to rounding: plain CG's system (square only)
    for method in SOLVE_METHODS:
        if (method == "cg-mixed" and dtype != torch.float64) or (method == "cg" and tall):
            continue
        A, b = _scaled(SPD1 if method == "cg" else A1, a).to(dtype), _scaled(b1, c).to(dtype)
        result = solve(A, b, method=method)
        assert result.success, (method, a, c, result.message)
        x1 = _scaled(result.x.double(), a - c)  # the solution of A1 x = b1
        A64 = (SPD1 if method == "cg" else A1).to(dtype).double()
        b64 = b1.to(dtype).double()
        if tall:
            true = (A64.mT @ (A64 @ x1 - b64)).norm() / (A64.mT @ b64).norm()
        else:
            true = (A64 @ x1 - b64).norm() / b64.norm()
        assert float(true) <= 2 * _tol(dtype), (method, a, c, float(true))


@SETTINGS
@given(dtype=dtypes, k=st.data(), seed=st.integers(0, 99))
def test_inverse_converges_truly_at_any_scale(
    dtype: torch.dtype, k: st.DataObject, seed: int
) -> None:
    e = k.draw(_exponent(dtype))
    M1 = random_matrix(6, cond=5.0, generator=torch.Generator().manual_seed(seed)).to(dtype)
    for method in ["newton-schulz", "gd", "momentum", "cgls"]:
        result = inverse(_scaled(M1, e), method=method)
        assert result.success, (method, e, result.message)
        X1 = _scaled(result.x.double(), e)  # the inverse of M1
        true = (X1 @ M1.double() - torch.eye(6, dtype=torch.float64)).norm() / 6**0.5
        assert float(true) <= 2 * _tol(dtype), (method, e, float(true))


def _svd_residual(M1: torch.Tensor, result: object, e: int) -> float:
    U, S, Vh = (getattr(result, name).double() for name in ("U", "S", "Vh"))
    S1 = _scaled(S, -e)  # the singular values of M1
    V, M = Vh.mT, M1.double()
    identity = torch.eye(S.numel(), dtype=torch.float64)
    return max(
        float((M @ V - U * S1).norm() / M.norm()),
        float((M.mT @ U - V * S1).norm() / M.norm()),
        float((U.mT @ U - identity).norm()),
        float((V.mT @ V - identity).norm()),
    )


@SETTINGS
@given(dtype=dtypes, k=st.data(), seed=st.integers(0, 99), method=st.sampled_from(
    ["orthogonal-iteration", "riemannian", "penalty"]))  # fmt: skip
def test_svd_never_claims_a_false_success_at_any_scale(
    dtype: torch.dtype, k: st.DataObject, seed: int, method: str
) -> None:
    e = k.draw(_exponent(dtype))
    generator = torch.Generator().manual_seed(seed)
    M1 = random_matrix(12, 8, cond=10.0, generator=generator).to(dtype)
    result = svd(_scaled(M1, e), method=method, max_iter=3000, generator=generator)
    if result.success:
        assert _svd_residual(M1, result, e) <= 2 * _tol(dtype), (method, e)
    assert method != "orthogonal-iteration" or result.success, (e, result.message)


@SETTINGS
@given(dtype=dtypes, k=st.data(), seed=st.integers(0, 99))
def test_riemannian_svd_converges_at_any_scale(
    dtype: torch.dtype, k: st.DataObject, seed: int
) -> None:
    e = k.draw(_exponent(dtype))
    M1 = random_matrix(
        8, 4, singular_values=[1.0, 0.5, 0.25, 0.125], generator=torch.Generator().manual_seed(seed)
    ).to(dtype)
    result = svd(_scaled(M1, e), method="riemannian", generator=torch.Generator().manual_seed(0))
    assert result.success, (e, result.message)
    assert _svd_residual(M1, result, e) <= 2 * _tol(dtype)


# --- the cases the issue reported ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "size"),
    [(torch.float64, 1e-160), (torch.float64, 1e-200), (torch.float32, 1e-18),
     (torch.float32, 1e19)],
)  # fmt: skip
def test_svd_of_a_matrix_far_from_1_is_a_true_success(dtype: torch.dtype, size: float) -> None:
    M1 = torch.randn(12, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    M = (M1 * size).to(dtype)
    result = svd(M, generator=torch.Generator().manual_seed(1))
    assert result.success and result.nit > 0, result.message
    exact = torch.linalg.svdvals(M1)
    error = float(((result.S.double() / size) - exact).abs().max() / exact[0])
    assert error <= 10 * _tol(dtype), error


def test_a_tall_system_scaled_by_2_to_the_minus_1000_is_solved_not_declared_solved() -> None:
    A1 = random_matrix(20, 6, cond=10.0, generator=torch.Generator().manual_seed(3))
    b1 = torch.randn(20, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    A, b = A1 * 2.0**-1000, b1 * 2.0**-1000
    assert float((A.mT @ b).norm()) == 0.0  # Aᵀb underflows: the old stopping rule read 0/1
    result = solve(A, b)
    assert result.success and result.nit > 0
    expected = torch.linalg.lstsq(A1, b1.unsqueeze(1)).solution.squeeze(1)
    assert torch.allclose(result.x, expected, rtol=1e-5, atol=0)


def test_an_answer_outside_the_dtype_is_no_success() -> None:
    # x = 1e310 is not a float64 number: the scaled run converges, the answer cannot be formed
    result = solve(torch.eye(2, dtype=torch.float64) * 1e-310, torch.ones(2, dtype=torch.float64))
    assert not result.success and result.status == "diverged"
    assert "leave the range of torch.float64" in result.message
    assert math.isinf(result.x.max().item())
