"""Tests of ``svd``: the source post's run, the five post matrices, every method, invariants."""

from __future__ import annotations

import pytest
import torch

from gdtutorial import Result, SVDResult, svd
from gdtutorial.matrices import random_matrix, source_matrices

SVD_MATRICES = ["svd_M1", "svd_M2", "svd_M3", "svd_M4", "svd_M5"]


def _errors(M: torch.Tensor, result: SVDResult) -> tuple[float, float, float]:
    """Reconstruction error relative to ‖M‖, and the orthonormality errors of U and V."""
    k = result.S.shape[0]
    identity = torch.eye(k, dtype=M.dtype, device=M.device)
    reconstruction = (M - result.U @ torch.diag(result.S) @ result.Vh).norm() / M.norm()
    U_error = (result.U.mT @ result.U - identity).norm()
    V_error = (result.Vh @ result.Vh.mT - identity).norm()
    return float(reconstruction), float(U_error), float(V_error)


def test_reproduces_the_source_posts_penalty_run() -> None:
    M1 = torch.rand(5, 4, generator=torch.Generator().manual_seed(314))  # the post's M1
    result = svd(
        M1,
        method="penalty",
        lr=0.9,
        momentum=0.9,
        max_iter=20000,
        generator=torch.Generator().manual_seed(314),
    )
    assert result.S.dtype == torch.float32
    assert [round(s, 4) for s in result.S.tolist()] == [2.3398, 0.6873, 0.2592, 0.1177]
    assert result.success


def test_penalty_start_is_drawn_as_the_post_drew_it() -> None:
    M1 = source_matrices()["svd_M1"]
    result = svd(M1, method="penalty", max_iter=1, generator=torch.Generator().manual_seed(314))
    torch.manual_seed(314)
    U = torch.rand(5, 4)
    d = torch.rand(4)
    V = torch.rand(4, 4)
    y = (U * d.square()) @ V.T
    post_loss = (
        (y - M1).square().mean()
        + (U.T @ U - torch.eye(4)).square().mean() / 100
        + (V.T @ V - torch.eye(4)).square().mean() / 100
    )
    assert result.loss_history[0].item() == pytest.approx(post_loss.item(), rel=1e-6)


def test_penalty_uses_the_global_generator_when_none_is_given() -> None:
    M1 = source_matrices()["svd_M1"]
    torch.manual_seed(314)
    first = svd(M1, method="penalty", max_iter=3)
    torch.manual_seed(314)
    second = svd(M1, method="penalty", max_iter=3)
    seeded = svd(M1, method="penalty", max_iter=3, generator=torch.Generator().manual_seed(314))
    assert torch.equal(first.loss_history, second.loss_history)
    assert torch.equal(first.loss_history, seeded.loss_history)


@pytest.mark.parametrize("name", SVD_MATRICES)
def test_default_svd_converges_on_all_five_post_matrices(name: str) -> None:
    M = source_matrices(torch.float64)[name]
    result = svd(M, max_iter=200, generator=torch.Generator().manual_seed(0))
    assert result.success, result.message
    assert result.nit <= 200
    reconstruction, U_error, V_error = _errors(M, result)
    assert reconstruction <= 1e-6 and U_error <= 1e-6 and V_error <= 1e-6
    torch.testing.assert_close(result.S, torch.linalg.svdvals(M), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", ["orthogonal-iteration", "riemannian", "penalty"])
def test_each_method_decomposes_a_matrix(
    method: str, dtype: torch.dtype, device: torch.device
) -> None:
    if method == "penalty":  # the post's method, on the post's matrix (it is fragile elsewhere)
        M = source_matrices(dtype)["svd_M1"].to(device)
        generator = torch.Generator().manual_seed(314)
    else:
        M = random_matrix(
            5,
            4,
            singular_values=[3.0, 2.0, 1.0, 0.5],
            dtype=dtype,
            device=device,
            generator=torch.Generator().manual_seed(20),
        )
        generator = torch.Generator().manual_seed(21)
    tol = 1e-6 if dtype == torch.float64 else 1e-4
    result = svd(M, method=method, generator=generator)
    assert result.success, result.message
    assert result.U.shape == (5, 4) and result.S.shape == (4,) and result.Vh.shape == (4, 4)
    for tensor in (result.x, result.U, result.S, result.Vh):
        assert tensor.dtype == dtype and tensor.device == M.device
    assert torch.equal(result.x, result.S)
    reconstruction, U_error, V_error = _errors(M, result)
    # the residual bounds all three (for U and V up to rounding)
    assert max(reconstruction, U_error, V_error) <= 4 * tol
    assert (result.S[:-1] >= result.S[1:]).all() and (result.S >= 0).all()
    pivots = result.U.gather(0, result.U.abs().argmax(0, keepdim=True))
    assert (pivots > 0).all()
    expected = torch.linalg.svdvals(M.double()).to(dtype)
    torch.testing.assert_close(result.S, expected, rtol=10 * tol, atol=10 * tol)


@pytest.mark.parametrize("method", ["orthogonal-iteration", "riemannian"])
def test_truncated_svd_finds_the_leading_triplets(method: str) -> None:
    M = random_matrix(
        9,
        7,
        singular_values=[5, 4, 3, 1, 0.5, 0.2, 0.1],
        generator=torch.Generator().manual_seed(22),
    )
    result = svd(M, 3, method=method, generator=torch.Generator().manual_seed(23))
    assert result.success
    torch.testing.assert_close(result.S, torch.tensor([5.0, 4.0, 3.0], dtype=torch.float64))
    # singular triplets: M v = s u and Mᵀ u = s v, column by column
    torch.testing.assert_close(M @ result.Vh.mT, result.U * result.S, atol=1e-5, rtol=0)
    torch.testing.assert_close(M.mT @ result.U, result.Vh.mT * result.S, atol=1e-5, rtol=0)


def test_singular_values_are_non_negative_descending_and_signs_normalised() -> None:
    M = torch.diag(torch.tensor([-1.0, 3.0, -2.0], dtype=torch.float64))
    for method in ["orthogonal-iteration", "riemannian"]:
        result = svd(M, method=method, generator=torch.Generator().manual_seed(24))
        assert result.success, method
        assert (result.S >= 0).all() and (result.S[:-1] >= result.S[1:]).all()
        pivots = result.U.gather(0, result.U.abs().argmax(0, keepdim=True))
        assert (pivots > 0).all(), method
        torch.testing.assert_close(
            result.S, torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64), atol=1e-5, rtol=0
        )


def test_wide_matrix_and_rank_deficient_matrix() -> None:
    wide = random_matrix(3, 6, cond=5.0, generator=torch.Generator().manual_seed(25))
    result = svd(wide, generator=torch.Generator().manual_seed(0))
    assert result.success and result.U.shape == (3, 3) and result.Vh.shape == (3, 6)
    assert _errors(wide, result)[0] <= 1e-6
    deficient = random_matrix(
        5, 4, singular_values=[2.0, 1.0, 0.0, 0.0], generator=torch.Generator().manual_seed(26)
    )
    result = svd(deficient, generator=torch.Generator().manual_seed(0))
    assert result.success
    torch.testing.assert_close(
        result.S, torch.tensor([2.0, 1.0, 0.0, 0.0], dtype=torch.float64), atol=1e-6, rtol=0
    )


def test_zero_matrix() -> None:
    result = svd(torch.zeros(3, 2, dtype=torch.float64), generator=torch.Generator().manual_seed(0))
    assert result.success and torch.count_nonzero(result.S) == 0


def test_the_post_method_stalls_where_the_post_says_it_does() -> None:
    # M5: the post's method sends its third singular value to 0 instead of 0.336
    M5 = source_matrices()["svd_M5"]
    result = svd(M5, method="penalty", generator=torch.Generator().manual_seed(314))
    assert not result.success and result.status in {"stalled", "max_iter"}
    assert "try method='orthogonal-iteration'" in result.message or "max_iter" in result.message


def test_penalty_with_too_large_a_step_diverges() -> None:
    M = source_matrices(torch.float64)["svd_M1"]
    result = svd(M, method="penalty", lr=50.0, generator=torch.Generator().manual_seed(0))
    assert result.status == "diverged" and "The step size (lr=50) is too large" in result.message
    assert torch.isfinite(result.S).all()
    safer = float(result.message.rsplit("try lr=", 1)[1].rstrip("."))
    assert safer <= 25.0  # at least halved, and by σ_max² when that is larger
    followed = svd(M, method="penalty", lr=safer, generator=torch.Generator().manual_seed(0))
    assert followed.status != "diverged", followed.message


def test_riemannian_step_size_is_used() -> None:
    M = random_matrix(
        5, 3, singular_values=[3.0, 2.0, 1.0], generator=torch.Generator().manual_seed(27)
    )
    default = svd(M, method="riemannian", max_iter=5, generator=torch.Generator().manual_seed(0))
    small = svd(
        M, method="riemannian", lr=0.01, max_iter=5, generator=torch.Generator().manual_seed(0)
    )
    assert default.loss_history[0] == small.loss_history[0]  # same start
    assert not torch.equal(default.loss_history[1:], small.loss_history[1:])


def test_inputs_unchanged_callback_and_loss_history() -> None:
    M = random_matrix(4, 3, cond=3.0, generator=torch.Generator().manual_seed(28))
    M_copy = M.clone()
    seen: list[Result] = []
    result = svd(
        M,
        callback=lambda r: seen.append(r) or r.nit == 2,
        generator=torch.Generator().manual_seed(0),
    )
    assert result.status == "callback" and result.nit == 2
    assert all(isinstance(r, SVDResult) for r in seen)
    assert result.loss_history.shape == (3,) and result.loss_history.dtype == torch.float64
    for method in ["riemannian", "penalty"]:
        svd(M, method=method, max_iter=3)
    assert torch.equal(M, M_copy)
    short = svd(M, method="riemannian", max_iter=2)
    assert short.status == "max_iter" and "Raise max_iter (it was 2)" in short.message


def test_penalty_gradients_in_closed_form_match_autograd() -> None:
    """Note [penalty gradients]: the hand-derived gradients are autograd's, to rounding."""
    M = torch.rand(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    seen: list[float] = []
    svd(
        M,
        method="penalty",
        max_iter=1,
        tol=1e-12,
        generator=torch.Generator().manual_seed(314),
        callback=lambda r: seen.append(r.loss_history[-1].item()),
    )
    # Recompute one step of the post's update with autograd from the same start.
    g = torch.Generator().manual_seed(314)
    U, d, V = (torch.rand(*s, generator=g).double() for s in ((5, 4), (4,), (4, 4)))
    params = [p.clone().requires_grad_(True) for p in (U, d, V)]
    eye = torch.eye(4, dtype=torch.float64)
    loss = (
        ((params[0] * params[1] ** 2) @ params[2].mT - M).square().mean()
        + (params[0].mT @ params[0] - eye).square().mean() / 100
        + (params[2].mT @ params[2] - eye).square().mean() / 100
    )
    grads = torch.autograd.grad(loss, params)
    U1, d1, V1 = (p - 0.9 * gr for p, gr in zip((U, d, V), grads, strict=True))
    expected = (
        ((U1 * d1**2) @ V1.mT - M).square().mean()
        + (U1.mT @ U1 - eye).square().mean() / 100
        + (V1.mT @ V1 - eye).square().mean() / 100
    )
    assert seen == [pytest.approx(expected.item(), rel=1e-12)]
