"""Tests of ``inverse``: the source post's run, every method, failures, invariants."""

from __future__ import annotations

import math

import pytest
import torch

from gdtutorial import Result, inverse
from gdtutorial.matrices import random_matrix, source_matrices

METHODS = ["newton-schulz", "gd", "momentum", "cgls"]


def _residual(M: torch.Tensor, X: torch.Tensor) -> float:
    n = M.shape[0]
    identity = torch.eye(n, dtype=M.dtype, device=M.device)
    return float(((X @ M - identity).norm() / math.sqrt(n)).item())


def _tol(dtype: torch.dtype) -> float:
    return 1e-6 if dtype == torch.float64 else 1e-4


def test_reproduces_the_source_posts_gd_run() -> None:
    matrices = source_matrices()
    M, X0 = matrices["inverse_diagonal"], matrices["inverse_start"]
    result = inverse(M, X0, method="gd", lr=0.2 * math.log(10), max_iter=80)
    # the post's mse at iterations 0, 20, 40, 60, 80
    published = [1.665, 5.44e-3, 5.07e-4, 4.73e-5, 4.42e-6]
    measured = result.loss_history[[0, 20, 40, 60, 80]].tolist()
    for got, want in zip(measured, published, strict=True):
        assert got == pytest.approx(want, rel=5e-3)
    assert result.nit == 80 and result.status == "max_iter"
    assert result.x.dtype == torch.float32


@pytest.mark.parametrize("method", METHODS)
def test_each_method_inverts_a_well_conditioned_matrix(
    method: str, dtype: torch.dtype, device: torch.device
) -> None:
    M = random_matrix(
        8, cond=10.0, dtype=dtype, device=device, generator=torch.Generator().manual_seed(10)
    )
    result = inverse(M, method=method)
    assert result.success, result.message
    assert result.x.dtype == dtype and result.x.device == M.device
    assert _residual(M, result.x) <= 1.01 * _tol(dtype)
    assert result.residual == pytest.approx(_residual(M, result.x), rel=1e-2, abs=1e-7)
    # loss_history is the post's mse(X M, I) = residual² / n
    assert result.loss_history[-1].item() == pytest.approx(result.residual**2 / 8, rel=1e-3)


@pytest.mark.parametrize("name", ["inverse_random", "inverse_diagonal", "svd_M2"])
def test_source_matrices_are_inverted(name: str) -> None:
    M = source_matrices(torch.float64)[name]
    result = inverse(M)
    assert result.success
    torch.testing.assert_close(result.x, torch.linalg.inv(M), rtol=1e-5, atol=1e-5)


def test_newton_schulz_is_fast_on_an_ill_conditioned_matrix() -> None:
    # the benchmark's case is 256 × 256; the scaled iteration needs about log2(cond) + 5 steps
    M = random_matrix(64, cond=1e3, generator=torch.Generator().manual_seed(11))
    result = inverse(M)
    assert result.success and result.nit <= 20
    plain = inverse(M, M.mT / torch.linalg.matrix_norm(M, 2) ** 2)  # unscaled from the same start
    assert plain.success and plain.nit > result.nit


def test_newton_schulz_from_a_bad_start_diverges_with_advice() -> None:
    M = torch.diag(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    result = inverse(M, 3 * torch.eye(3, dtype=torch.float64))
    assert result.status == "diverged" and not result.success
    assert "try X0=None" in result.message
    assert torch.isfinite(result.x).all()


def test_gd_with_too_large_a_step_diverges_with_a_safer_lr() -> None:
    M = source_matrices(torch.float64)["inverse_diagonal"]
    result = inverse(M, method="gd", lr=50.0)
    assert result.status == "diverged"
    safer = float(result.message.rsplit("try lr=", 1)[1].rstrip("."))
    assert inverse(M, method="gd", lr=safer, max_iter=20_000).success


def test_momentum_settings() -> None:
    M = source_matrices(torch.float64)["inverse_diagonal"]
    tuned = inverse(M, method="momentum")
    given = inverse(M, method="momentum", momentum=0.5, max_iter=20_000)
    stepped = inverse(M, method="momentum", lr=1.0, max_iter=20_000)
    plain = inverse(M, method="gd")
    assert tuned.success and given.success and stepped.success and plain.success
    assert tuned.nit < plain.nit


@pytest.mark.parametrize("method", METHODS)
def test_singular_matrix_never_reports_success(method: str) -> None:
    M = random_matrix(
        6, singular_values=[3, 2, 1, 1, 0.5, 0.0], generator=torch.Generator().manual_seed(12)
    )
    result = inverse(M, method=method, max_iter=3000)
    assert not result.success and result.status in {"stalled", "max_iter", "diverged"}
    assert _residual(M, result.x) > 0.1
    if result.status == "diverged":
        assert "singular" in result.message


def test_numerically_singular_matrix_never_reports_a_wrong_inverse() -> None:
    M = random_matrix(
        10, cond=1e12, dtype=torch.float32, generator=torch.Generator().manual_seed(13)
    )
    result = inverse(M)
    assert not result.success or _residual(M.double(), result.x.double()) <= 2e-4


def test_zero_matrix_is_singular() -> None:
    result = inverse(torch.zeros(3, 3, dtype=torch.float64))
    assert not result.success and result.status == "stalled"


def test_inputs_are_not_modified() -> None:
    M = random_matrix(5, cond=4.0, generator=torch.Generator().manual_seed(14))
    X0 = M.mT / 10
    M_copy, X0_copy = M.clone(), X0.clone()
    for method in METHODS:
        inverse(M, method=method, max_iter=5)
        inverse(M, X0, method=method, max_iter=5)
    assert torch.equal(M, M_copy) and torch.equal(X0, X0_copy)


def test_cg_uses_the_start_and_returns_x_not_its_transpose() -> None:
    M = torch.tensor([[2.0, 1.0], [0.0, 1.0]], dtype=torch.float64)  # not symmetric
    result = inverse(M, method="cgls")
    torch.testing.assert_close(result.x, torch.linalg.inv(M))
    exact = inverse(M, torch.linalg.inv(M), method="cgls")
    assert exact.nit == 0 and exact.success


def test_callback_can_stop_and_max_iter_advice() -> None:
    M = random_matrix(6, cond=100.0, generator=torch.Generator().manual_seed(15))
    seen: list[Result] = []
    result = inverse(M, callback=lambda r: seen.append(r) or r.nit == 2)
    assert result.status == "callback" and result.nit == 2 and len(seen) == 2
    short = inverse(M, method="gd", max_iter=3)
    assert short.status == "max_iter"
    assert "Raise max_iter (it was 3): try max_iter=30 or method='newton-schulz'." in short.message


def test_cg_reaches_a_tight_tolerance() -> None:
    """Regression: CG reorthogonalisation switched on mid-run (an experiment) stalled here."""
    M = random_matrix(16, cond=10, generator=torch.Generator().manual_seed(10))
    result = inverse(M, method="cgls", tol=1e-12, max_iter=100_000)
    assert result.success and result.nit <= 16 + 4, (result.status, result.nit)


def test_every_method_inverts_a_well_conditioned_matrix_far_from_1() -> None:
    # ‖M‖² ≈ 1e±320 is out of float64's range: the methods run on M scaled by 2^-k
    M1 = random_matrix(6, cond=5, generator=torch.Generator().manual_seed(4))
    for size in [1e160, 1e-160, 1e200, 1e-200]:
        for method in ["gd", "momentum", "newton-schulz", "cgls"]:
            result = inverse(M1 * size, method=method)
            assert result.success, (size, method, result.message)
            true = float((result.x * size @ M1 - torch.eye(6, dtype=torch.float64)).norm()) / 6**0.5
            assert true <= 1.01e-6, (size, method, true)


def test_zero_matrix_has_no_inverse_and_says_so() -> None:
    for method in ["gd", "momentum", "newton-schulz", "cgls"]:
        result = inverse(torch.zeros(3, 3, dtype=torch.float64), method=method, max_iter=2000)
        assert not result.success and result.status in {"stalled", "max_iter"}, method


def test_newton_schulz_default_start_survives_a_power_iteration_that_misses_sigma_max() -> None:
    """The start vector of the power iteration is orthogonal to M's top singular vector, so
    σ̂² = 1 while σ_max² = 2.56: a bound that trusted the estimate made this M diverge."""
    from gdtutorial._loop import _start_vector

    n = 16
    M0 = torch.eye(n, dtype=torch.float64)
    v = _start_vector(n, M0)
    q = torch.randn(n, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    q = q - (q @ v) / (v @ v) * v
    q = q / q.norm()
    M = M0 + 0.6 * torch.outer(q, q)
    result = inverse(M)
    assert result.success, result.message
    torch.testing.assert_close(result.x, torch.linalg.inv(M), atol=1e-8, rtol=0)
    assert result.nit <= 10


def test_newton_schulz_divergence_advice_states_the_exact_condition() -> None:
    M = torch.diag(torch.tensor([1.0, 2.0], dtype=torch.float64))
    nilpotent_error = torch.tensor([[1.0, 3.0], [0.0, 0.5]], dtype=torch.float64)
    # ‖I − X0·M‖ = 6 > 1, but I − X0·M is nilpotent: spectral radius 0, so it converges
    assert inverse(M, nilpotent_error).success
    diverging = inverse(M, 3 * torch.eye(2, dtype=torch.float64))
    assert diverging.status == "diverged"
    assert "spectral radius of I − X0·M is below 1" in diverging.message
    assert "X0=None" in diverging.message and inverse(M, None).success
