"""Property-based tests: the solvers over random shapes, dtypes and condition numbers."""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtutorial import inverse, solve, svd
from gdtutorial.matrices import random_matrix

SETTINGS = settings(max_examples=25, deadline=None)
dtypes = st.sampled_from([torch.float32, torch.float64])
seeds = st.integers(0, 2**31 - 1)


def _tol(dtype: torch.dtype) -> float:
    return 1e-6 if dtype == torch.float64 else 1e-4


def _log_cond(dtype: torch.dtype, largest: float) -> st.SearchStrategy[float]:
    # float32 keeps the condition number where its tolerance is reachable
    top = largest if dtype == torch.float64 else min(largest, 2.0)
    return st.floats(0.0, top)


@SETTINGS
@given(
    m=st.integers(1, 12),
    n=st.integers(1, 12),
    k=st.integers(0, 3),
    dtype=dtypes,
    data=st.data(),
    seed=seeds,
)
def test_cg_meets_its_stopping_rule_on_the_true_residual(
    m: int, n: int, k: int, dtype: torch.dtype, data: st.DataObject, seed: int
) -> None:
    cond = 10 ** data.draw(_log_cond(dtype, 4.0)) if min(m, n) > 1 else 1.0
    generator = torch.Generator().manual_seed(seed)
    A = random_matrix(m, n, cond=cond, dtype=dtype, generator=generator)
    b = (
        torch.randn(m, k, generator=generator).to(dtype)
        if k
        else torch.randn(m, generator=generator).to(dtype)
    )
    A_copy, b_copy = A.clone(), b.clone()
    result = solve(A, b)
    assert torch.equal(A, A_copy) and torch.equal(b, b_copy)
    assert result.x.shape == ((n, k) if k else (n,)) and result.x.dtype == dtype
    assert result.loss_history.shape == (result.nit + 1,)
    assert result.success, result.message
    # recompute the stopping rule in float64 from the returned x
    A64, b64, x64 = A.double(), b.double(), result.x.double()
    if m > n:
        measured = (A64.mT @ (A64 @ x64 - b64)).norm() / (A64.mT @ b64).norm()
    else:
        measured = (A64 @ x64 - b64).norm() / b64.norm()
    assert float(measured) <= 1.5 * _tol(dtype)


@SETTINGS
@given(
    m=st.integers(1, 12),
    n=st.integers(1, 12),
    k=st.integers(0, 3),
    log_cond=st.floats(0.0, 6.0),
    seed=seeds,
)
def test_cg_mixed_meets_the_float64_stopping_rule(
    m: int, n: int, k: int, log_cond: float, seed: int
) -> None:
    # up to κ = 1e6, where float32 alone cannot reach 1e-6 and refinement must carry it
    generator = torch.Generator().manual_seed(seed)
    A = random_matrix(m, n, cond=10**log_cond if min(m, n) > 1 else 1.0, generator=generator)
    b = torch.randn(m, k, generator=generator) if k else torch.randn(m, generator=generator)
    b = b.double()
    A_copy, b_copy = A.clone(), b.clone()
    result = solve(A, b, method="cg-mixed")
    assert torch.equal(A, A_copy) and torch.equal(b, b_copy)
    assert result.success, result.message
    assert result.x.shape == ((n, k) if k else (n,)) and result.x.dtype == torch.float64
    assert result.loss_history.shape == (result.nit + 1,)
    if m > n:
        measured = (A.mT @ (A @ result.x - b)).norm() / (A.mT @ b).norm()
    else:
        measured = (A @ result.x - b).norm() / b.norm()
    assert float(measured) <= 1.01e-6


@SETTINGS
@given(n=st.integers(1, 10), dtype=dtypes, data=st.data(), seed=seeds)
def test_gradient_methods_solve_well_conditioned_systems(
    n: int, dtype: torch.dtype, data: st.DataObject, seed: int
) -> None:
    method = data.draw(st.sampled_from(["gd", "momentum", "nesterov"]))
    cond = data.draw(st.floats(1.0, 20.0)) if n > 1 else 1.0
    generator = torch.Generator().manual_seed(seed)
    A = random_matrix(n, cond=cond, dtype=dtype, generator=generator)
    b = torch.randn(n, generator=generator).to(dtype)
    result = solve(A, b, method=method, max_iter=20_000)
    assert result.success, f"{method}: {result.message}"
    assert float((A @ result.x - b).norm() / b.norm()) <= 1.5 * _tol(dtype)


@SETTINGS
@given(n=st.integers(1, 10), dtype=dtypes, data=st.data(), seed=seeds)
def test_newton_schulz_inverts(n: int, dtype: torch.dtype, data: st.DataObject, seed: int) -> None:
    cond = 10 ** data.draw(_log_cond(dtype, 5.0)) if n > 1 else 1.0
    M = random_matrix(n, cond=cond, dtype=dtype, generator=torch.Generator().manual_seed(seed))
    result = inverse(M)
    assert result.success, result.message
    assert result.nit <= 2 * math.log2(cond) + 10
    identity = torch.eye(n, dtype=torch.float64)
    measured = (result.x.double() @ M.double() - identity).norm() / math.sqrt(n)
    assert float(measured) <= 1.5 * _tol(dtype)


@SETTINGS
@given(m=st.integers(1, 7), n=st.integers(1, 7), dtype=dtypes, data=st.data(), seed=seeds)
def test_orthogonal_iteration_finds_the_singular_values(
    m: int, n: int, dtype: torch.dtype, data: st.DataObject, seed: int
) -> None:
    size = min(m, n)
    k = data.draw(st.integers(1, size))
    # singular values at least 25 % apart, so orthogonal iteration converges in its budget
    cond = 10 ** data.draw(st.floats(0.0, 3.0)) * 1.34 ** (size - 1) if size > 1 else 1.0
    generator = torch.Generator().manual_seed(seed)
    M = random_matrix(m, n, cond=cond, dtype=dtype, generator=generator)
    result = svd(M, k, generator=generator)
    assert result.success, result.message
    assert result.U.shape == (m, k) and result.S.shape == (k,) and result.Vh.shape == (k, n)
    expected = torch.linalg.svdvals(M.double())[:k]
    scale = float(M.double().norm())
    assert float((result.S.double() - expected).abs().max()) <= 10 * _tol(dtype) * scale
    assert (result.S[:-1] >= result.S[1:]).all()


@SETTINGS
@given(n=st.integers(2, 8), rank_drop=st.integers(1, 2), seed=seeds, data=st.data())
def test_singular_systems_never_report_a_wrong_success(
    n: int, rank_drop: int, seed: int, data: st.DataObject
) -> None:
    rank = max(n - rank_drop, 1)
    values = [1.0 + i for i in range(rank)][::-1] + [0.0] * (n - rank)
    generator = torch.Generator().manual_seed(seed)
    A = random_matrix(n, singular_values=values, generator=generator)
    b = torch.randn(n, dtype=torch.float64, generator=generator)
    method = data.draw(st.sampled_from(["cgls", "gd", "momentum", "nesterov"]))
    result = solve(A, b, method=method, max_iter=2000)
    true_residual = float((A @ result.x - b).norm() / b.norm())
    assert not result.success or true_residual <= 1.5e-6
    inverted = inverse(A, max_iter=60)
    assert not inverted.success
