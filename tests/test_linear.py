"""Tests of ``solve``: named cases per method and loss, least squares, failures, invariants."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import pytest
import torch

from gdtutorial import Result, solve
from gdtutorial.matrices import random_matrix

METHODS = ["gd", "momentum", "nesterov", "cgls", "sgd"]


@dataclass(frozen=True)
class Case:
    """A named linear system with a known solution."""

    name: str
    m: int
    n: int
    cond: float
    k: int | None = None  # number of right-hand sides; None for a vector b

    def build(
        self, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        generator = torch.Generator().manual_seed(hash(self.name) % 2**31)
        A = random_matrix(self.m, self.n, cond=self.cond, dtype=torch.float64, generator=generator)
        shape = (self.n,) if self.k is None else (self.n, self.k)
        x = torch.randn(*shape, dtype=torch.float64, generator=generator)
        b = A @ x
        return A.to(device, dtype), b.to(device, dtype), x.to(device, dtype)


CASES = [
    Case("square-well-conditioned", 12, 12, 5.0),
    Case("square-cond-30", 16, 16, 30.0),
    Case("several-right-hand-sides", 10, 10, 10.0, k=3),
    Case("tall-consistent", 20, 8, 10.0),
]


def _tol(dtype: torch.dtype) -> float:
    return 1e-6 if dtype == torch.float64 else 1e-4


def _relative_residual(A: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> float:
    return float(((A @ x - b).norm() / b.norm()).item())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("method", METHODS)
def test_each_method_solves_each_case(
    case: Case, method: str, dtype: torch.dtype, device: torch.device
) -> None:
    A, b, x_true = case.build(dtype, device)
    result = solve(A, b, method=method, max_iter=20_000)
    assert result.success, result.message
    assert result.status == "converged" and result.method == method
    assert result.x.shape == x_true.shape
    assert result.x.dtype == dtype and result.x.device == A.device
    tol = _tol(dtype)
    if case.m > case.n:
        normal = float((A.mT @ (A @ result.x - b)).norm() / (A.mT @ b).norm())
        assert normal <= tol * 1.01
    else:
        assert _relative_residual(A, b, result.x) <= tol * 1.01
    assert result.residual <= tol
    # a small residual means an accurate solution for these well-conditioned systems
    error = float(((result.x - x_true).norm() / x_true.norm()).item())
    assert error <= 10 * case.cond * tol


@pytest.mark.parametrize("loss", ["l2", "l2-norm", "l1", "callable"])
@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov"])
def test_every_loss_converges_with_the_default_step(method: str, loss: str) -> None:
    A, b, x_true = Case("losses", 12, 12, 10.0).build()
    chosen = (lambda r: r.square().sum()) if loss == "callable" else loss
    result = solve(A, b, method=method, loss=chosen, max_iter=20_000)
    assert result.success, result.message
    torch.testing.assert_close(result.x, x_true, rtol=0, atol=1e-4, msg=f"{method}/{loss}")


def test_l2_loss_history_is_half_the_squared_residual() -> None:
    A, b, _ = CASES[0].build()
    result = solve(A, b, method="gd", max_iter=5)
    assert result.loss_history.dtype == torch.float64 and result.loss_history.device.type == "cpu"
    assert result.loss_history.shape == (result.nit + 1,) == (6,)
    assert result.loss_history[0].item() == pytest.approx(0.5 * float(b.square().sum()))
    final = 0.5 * float((A @ result.x - b).square().sum())
    assert result.loss_history[-1].item() == pytest.approx(final)


@pytest.mark.parametrize(
    ("loss", "expected"),
    [("l2-norm", lambda r: r.norm()), ("l1", lambda r: r.abs().sum())],
)
def test_loss_history_records_the_chosen_loss(loss: str, expected: object) -> None:
    A, b, _ = CASES[0].build()
    result = solve(A, b, method="gd", loss=loss, max_iter=3)
    assert result.loss_history[0].item() == pytest.approx(float(expected(b)))  # type: ignore[operator]


def test_adam_reduces_the_residual_for_comparison() -> None:
    A, b, _ = CASES[0].build()
    result = solve(A, b, method="adam", tol=1e-3, max_iter=5000)
    assert result.success, result.message
    assert result.loss_history[-1] < 1e-3 * result.loss_history[0]


def test_sgd_momentum_and_adam_settings_are_used() -> None:
    A, b, _ = CASES[0].build()
    plain = solve(A, b, method="sgd", max_iter=50)
    heavy = solve(A, b, method="sgd", momentum=0.5, max_iter=50)
    assert heavy.residual < plain.residual
    slow = solve(A, b, method="adam", lr=1e-4, max_iter=50)
    fast = solve(A, b, method="adam", lr=1e-2, momentum=0.5, max_iter=50)
    assert fast.residual < slow.residual


def test_least_squares_matches_lstsq_and_stops_on_the_normal_residual() -> None:
    generator = torch.Generator().manual_seed(1)
    A = random_matrix(30, 6, cond=20.0, generator=generator)
    b = torch.randn(30, dtype=torch.float64, generator=generator)  # not in the range of A
    expected = torch.linalg.lstsq(A, b[:, None]).solution[:, 0]
    for method in ["cgls", "cg-mixed", "gd", "momentum"]:
        result = solve(A, b, method=method, max_iter=10_000)
        assert result.success, f"{method}: {result.message}"
        # a normal residual of 1e-6 bounds the error by κ(AᵀA)·1e-6 = 20²·1e-6
        assert (result.x - expected).norm() <= 20**2 * 1e-6 * expected.norm(), method
        assert _relative_residual(A, b, result.x) > 0.1  # the plain residual cannot vanish


@pytest.mark.parametrize("method", ["cgls", "cg-mixed"])
def test_underdetermined_cg_finds_the_minimum_norm_solution(method: str) -> None:
    generator = torch.Generator().manual_seed(2)
    A = random_matrix(5, 9, cond=10.0, generator=generator)
    b = torch.randn(5, dtype=torch.float64, generator=generator)
    result = solve(A, b, method=method)
    assert result.success
    torch.testing.assert_close(result.x, torch.linalg.pinv(A) @ b, rtol=1e-5, atol=1e-6)


def test_cg_iteration_count_stays_near_exact_arithmetic() -> None:
    # Note [CG reorthogonalisation]: without it, CGLS needs several times n here
    A = random_matrix(200, cond=1e3, generator=torch.Generator().manual_seed(3))
    b = A @ torch.ones(200, dtype=torch.float64)
    result = solve(A, b)
    assert result.success
    assert result.nit <= 200 + 10
    assert _relative_residual(A, b, result.x) <= 1e-6


def test_explicit_x0_is_the_start_and_is_not_modified() -> None:
    A, b, x_true = CASES[0].build()
    x0 = x_true + 1e-3
    x0_copy, A_copy, b_copy = x0.clone(), A.clone(), b.clone()
    result = solve(A, b, x0, method="gd", max_iter=1)
    assert result.loss_history[0].item() == pytest.approx(0.5 * float((A @ x0 - b).square().sum()))
    for method in ["cgls", "cg-mixed", "gd", "momentum", "nesterov", "sgd", "adam"]:
        solve(A, b, x0, method=method, max_iter=3)
        solve(A, b, x0, method="gd", loss=lambda r: r.abs().sum(), max_iter=3)
    assert torch.equal(x0, x0_copy) and torch.equal(A, A_copy) and torch.equal(b, b_copy)


def test_start_at_the_solution_converges_in_zero_iterations() -> None:
    A = torch.eye(3, dtype=torch.float64)
    b = torch.ones(3, dtype=torch.float64)
    result = solve(A, b, b.clone(), method="gd")
    assert result.success and result.nit == 0 and result.loss_history.shape == (1,)


def test_zero_right_hand_side_is_solved_by_zero() -> None:
    A, _, _ = CASES[0].build()
    result = solve(A, torch.zeros(12, dtype=torch.float64))
    assert result.success and result.nit == 0 and torch.count_nonzero(result.x) == 0


def test_default_tolerance_depends_on_dtype() -> None:
    A, b, _ = CASES[1].build(torch.float32)
    result32 = solve(A, b, method="momentum")
    assert 1e-5 < result32.residual <= 1e-4
    A, b, _ = CASES[1].build(torch.float64)
    result64 = solve(A, b, method="momentum")
    assert 1e-7 < result64.residual <= 1e-6


def test_running_out_of_iterations_is_a_status_with_advice() -> None:
    A, b, _ = CASES[1].build()
    result = solve(A, b, method="gd", max_iter=10)
    assert not result.success and result.status == "max_iter" and result.nit == 10
    assert "Raise max_iter (it was 10): try max_iter=100 or method='cgls'." in result.message
    assert len(result.loss_history) == 11


def test_too_large_a_step_diverges_with_the_best_iterate_and_a_safer_lr() -> None:
    A, b, _ = CASES[0].build()
    result = solve(A, b, method="gd", lr=100.0)
    assert result.status == "diverged" and not result.success
    assert result.message.startswith("The loss became non-finite or exploded.")
    assert "lr=100" in result.message
    safer = float(result.message.rsplit("try lr=", 1)[1].rstrip("."))
    assert safer < 100.0
    assert solve(A, b, method="gd", lr=safer).success  # the advice works
    # the best iterate is returned: the start (zeros) was better than anything after
    assert torch.count_nonzero(result.x) == 0 and result.residual == pytest.approx(1.0)
    assert result.nit < 100


@pytest.mark.parametrize("method", ["momentum", "nesterov", "sgd"])
def test_other_methods_diverge_cleanly(method: str) -> None:
    A, b, _ = CASES[0].build()
    result = solve(A, b, method=method, lr=1e3, max_iter=2000)
    assert result.status == "diverged", result.message
    assert "try lr=" in result.message
    assert torch.isfinite(result.x).all()


def test_non_finite_callable_loss_is_divergence() -> None:
    A, b, _ = CASES[0].build()
    result = solve(A, b, method="gd", lr=0.1, loss=lambda r: r.norm() / 0.0 * 0.0)
    assert result.status == "diverged"


def test_singular_inconsistent_system_never_reports_success() -> None:
    A = random_matrix(
        8,
        singular_values=[3, 2, 1, 1, 1, 0.5, 0.0, 0.0],
        generator=torch.Generator().manual_seed(4),
    )
    b = torch.randn(8, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    for method in ["cgls", "cg-mixed", "gd", "momentum", "nesterov"]:
        result = solve(A, b, method=method, max_iter=3000)
        assert not result.success, method
        assert result.status in {"stalled", "max_iter"}
        assert _relative_residual(A, b, result.x) > 1e-3
    for method in ["cgls", "cg-mixed"]:
        stalled = solve(A, b, method=method, max_iter=1000)
        assert stalled.status == "stalled", method
        assert "singular" in stalled.message


def test_singular_consistent_system_is_solved() -> None:
    A = random_matrix(
        8,
        singular_values=[3, 2, 1, 1, 1, 0.5, 0.0, 0.0],
        generator=torch.Generator().manual_seed(4),
    )
    b = A @ torch.ones(8, dtype=torch.float64)
    result = solve(A, b)
    assert result.success and _relative_residual(A, b, result.x) <= 1e-6


def test_numerically_singular_float32_system_is_not_a_false_success() -> None:
    A = random_matrix(30, cond=1e9, dtype=torch.float32, generator=torch.Generator().manual_seed(6))
    b = torch.randn(30, generator=torch.Generator().manual_seed(7))
    result = solve(A, b, tol=1e-6)
    if result.success:  # then the answer must be right, checked in float64
        assert _relative_residual(A.double(), b.double(), result.x.double()) <= 2e-6
    else:
        assert result.status in {"stalled", "max_iter"}


def test_callback_sees_every_iterate_and_can_stop() -> None:
    A, b, _ = CASES[1].build()
    seen: list[Result] = []

    def callback(result: Result) -> bool:
        seen.append(result)
        return result.nit == 3

    result = solve(A, b, callback=callback)
    assert result.status == "callback" and result.nit == 3 and not result.success
    assert [r.nit for r in seen] == [1, 2, 3]
    assert all(r.status == "max_iter" and r.x.shape == (16,) for r in seen)
    assert seen[0].message == "In progress: iteration 1 of at most 100."
    assert [len(r.loss_history) for r in seen] == [2, 3, 4]
    assert result.message == "The callback asked to stop."


def test_callback_returning_none_does_not_stop() -> None:
    A, b, _ = CASES[0].build()
    seen: list[Result] = []
    result = solve(A, b, method="gd", callback=seen.append)
    assert result.success and len(seen) == result.nit
    assert seen[-1].status == "converged" and torch.equal(seen[-1].x, result.x)


def test_stalls_are_detected_for_constant_steps_on_non_smooth_losses() -> None:
    A, b, _ = CASES[0].build()
    result = solve(A, b, method="gd", loss="l1", lr=1e-2, max_iter=5000)
    assert result.status == "stalled" and not result.success
    assert result.nit < 5000
    assert math.isfinite(result.residual)


# --- cg-mixed: float32 CGLS inside float64 iterative refinement -------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_cg_mixed_solves_each_case_in_float64(case: Case, device: torch.device) -> None:
    A, b, x_true = case.build(torch.float64, device)
    result = solve(A, b, method="cg-mixed")
    assert result.success and result.method == "cg-mixed", result.message
    assert result.x.shape == x_true.shape
    assert result.x.dtype == torch.float64 and result.x.device == A.device
    if case.m > case.n:
        measured = float((A.mT @ (A @ result.x - b)).norm() / (A.mT @ b).norm())
    else:
        measured = _relative_residual(A, b, result.x)
    assert measured <= 1e-6 * 1.01 and result.residual <= 1e-6
    assert result.loss_history.shape == (result.nit + 1,)


def test_cg_mixed_refines_beyond_float32_precision() -> None:
    A = random_matrix(200, cond=10.0, generator=torch.Generator().manual_seed(8))
    b = A @ torch.ones(200, dtype=torch.float64)
    in_float32 = solve(A.float(), b.float(), tol=1e-9)
    assert not in_float32.success  # float32 alone stalls near 1e-7
    result = solve(A, b, method="cg-mixed", tol=1e-12)
    assert result.success, result.message
    assert _relative_residual(A, b, result.x) <= 1e-12
    # each restart of CG costs some steps, not many: CG itself needs 104 here, cg-mixed 132
    assert result.nit <= 1.5 * solve(A, b, tol=1e-12).nit


def test_cg_mixed_handles_ill_conditioned_systems() -> None:
    # the first float32 run loses orthogonality; later runs reorthogonalise
    A = random_matrix(200, cond=1e3, generator=torch.Generator().manual_seed(3))
    b = A @ torch.ones(200, dtype=torch.float64)
    result = solve(A, b, method="cg-mixed")
    assert result.success, result.message
    assert _relative_residual(A, b, result.x) <= 1e-6
    assert result.nit <= 2 * 200


@pytest.mark.parametrize("cond", [1e6, 1e8])
def test_cg_mixed_goes_on_in_float64_where_float32_cannot_resolve(cond: float) -> None:
    A = random_matrix(40, cond=cond, generator=torch.Generator().manual_seed(9))
    b = torch.randn(40, dtype=torch.float64, generator=torch.Generator().manual_seed(10))
    in_float32 = solve(A.float(), b.float(), tol=1e-6)
    assert not in_float32.success
    result = solve(A, b, method="cg-mixed")
    assert result.success, result.message
    assert _relative_residual(A, b, result.x) <= 1e-6


def test_cg_mixed_callback_sees_iterates_and_can_stop() -> None:
    A, b, _ = CASES[1].build()
    seen: list[Result] = []

    def callback(result: Result) -> bool:
        seen.append(result)
        return result.nit == 5

    result = solve(A, b, method="cg-mixed", callback=callback)
    assert result.status == "callback" and result.nit == 5
    assert [r.nit for r in seen] == [1, 2, 3, 4, 5]
    assert all(r.x.dtype == torch.float64 and r.x.shape == (16,) for r in seen)
    # the iterate handed out is the one whose residual is reported
    for r in seen:
        assert _relative_residual(A, b, r.x) == pytest.approx(r.residual, rel=1e-3)
    assert torch.equal(result.x, seen[-1].x) or result.residual <= seen[-1].residual


def test_cg_mixed_runs_out_of_iterations_with_its_best_iterate() -> None:
    A = random_matrix(200, cond=1e3, generator=torch.Generator().manual_seed(3))
    b = A @ torch.ones(200, dtype=torch.float64)
    result = solve(A, b, method="cg-mixed", max_iter=30)
    assert result.status == "max_iter" and result.nit == 30 and not result.success
    assert "Raise max_iter (it was 30): try max_iter=300." in result.message
    assert _relative_residual(A, b, result.x) == pytest.approx(result.residual, rel=1e-3)
    assert result.residual == pytest.approx(min(r for r in _residuals(result, b)), rel=1e-9)


def _residuals(result: Result, b: torch.Tensor) -> list[float]:
    # loss = ½‖r‖², so ‖r‖/‖b‖ = √(2·loss)/‖b‖
    return [math.sqrt(2 * v) / float(b.norm()) for v in result.loss_history.tolist()]


# --- entries far from 1 -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1e-100, 1e-20, 1e20, 1e100])
@pytest.mark.parametrize("method", ["cgls", "cg-mixed", "gd"])
def test_entries_far_from_one_are_scaled_exactly(method: str, size: float) -> None:
    # CG's squares of 1e100 overflow float64 and float32 overflows at 3e38: the solvers scale
    # A by a power of two; the step-size estimates of gd do too
    A = random_matrix(20, cond=10.0, generator=torch.Generator().manual_seed(11)) * size
    b = A @ torch.ones(20, dtype=torch.float64)
    result = solve(A, b, method=method)
    assert result.success, result.message
    assert _relative_residual(A, b, result.x) <= 1e-6
    torch.testing.assert_close(result.x, torch.ones(20, dtype=torch.float64), rtol=1e-4, atol=0)


@pytest.mark.parametrize("method", ["cgls", "cg-mixed", "gd"])
def test_least_squares_with_huge_a_and_b_is_solved(method: str) -> None:
    # ‖Aᵀb‖ ≈ 1e200: its square overflows, so the norms are computed as max·‖T/max‖
    A = random_matrix(30, 10, cond=10.0, generator=torch.Generator().manual_seed(12))
    b = torch.randn(30, dtype=torch.float64, generator=torch.Generator().manual_seed(13))
    result = solve(A * 1e100, b * 1e100, method=method, max_iter=10_000)
    assert result.success, result.message
    normal = float((A.mT @ (A @ result.x - b)).norm() / (A.mT @ b).norm())  # the same system
    assert normal <= 1.01e-6 and result.residual == pytest.approx(normal, rel=1e-6)


def test_products_out_of_range_no_longer_decide_the_outcome() -> None:
    # Aᵀb ≈ 1e400 is not a float64 number at all: the methods run on A and b scaled by 2^-k
    A1 = random_matrix(30, 10, cond=10.0, generator=torch.Generator().manual_seed(12))
    b1 = torch.randn(30, dtype=torch.float64, generator=torch.Generator().manual_seed(13))
    for method in ["cgls", "cg-mixed", "gd", "momentum", "nesterov"]:
        result = solve(A1 * 1e200, b1 * 1e200, method=method)
        assert result.success, (method, result.message)
        true = float((A1.mT @ (A1 @ result.x - b1)).norm() / (A1.mT @ b1).norm())
        assert true <= 1.01e-6, (method, true)


@pytest.mark.parametrize(
    ("A", "b"),
    [
        (
            torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64) * 1e-170,
            torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64),
        ),
        (2 * torch.eye(2), torch.tensor([1.0, 2.0]) * 1e-25),
        (2 * torch.eye(2), torch.tensor([1.0, 2.0]) * 1e20),
    ],
    ids=["tall-tiny-a", "float32-tiny-b", "float32-huge-b"],
)
def test_norms_whose_squares_leave_the_range_are_no_false_success(
    A: torch.Tensor, b: torch.Tensor
) -> None:
    def norm(v: torch.Tensor) -> float:  # math.hypot neither overflows nor underflows
        return math.hypot(*v.flatten().tolist())

    for method in ["cgls", "gd"]:
        result = solve(A, b, method=method, max_iter=5000)
        x, A64, b64 = result.x.double(), A.double(), b.double()
        if A.shape[0] > A.shape[1]:
            true = norm(A64.mT @ (A64 @ x - b64)) / norm(A64.mT @ b64)
        else:
            true = norm(A64 @ x - b64) / norm(b64)
        assert result.nit > 0, method  # the start x = 0 is not a solution
        assert not result.success or true <= 2 * _tol(A.dtype), (method, true)
        assert result.residual == pytest.approx(true, rel=1e-3, abs=1e-7), method


def test_edges_of_the_float64_range_give_a_status_not_an_exception() -> None:
    b = torch.ones(2, dtype=torch.float64)
    for method, size in [("cgls", 1.5e308), ("cg-mixed", 1.5e308), ("gd", 1e160), ("cgls", 1e-310)]:
        result = solve(torch.eye(2, dtype=torch.float64) * size, b, method=method)
        assert result.status in {"converged", "diverged"}, (method, size, result.message)
        if result.status == "diverged":
            assert "rescale A and b towards 1" in result.message or "try lr=" in result.message


# --- runs that do not converge report their true residual -------------------------------------


def _graded(m: int, n: int, cond: float, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    values = torch.logspace(0, -math.log10(cond), min(m, n), dtype=torch.float64).tolist()
    return random_matrix(m, n, singular_values=values, generator=generator)


@pytest.mark.parametrize("method", ["cgls", "cg-mixed"])
def test_unconverged_cg_reports_the_true_residual_of_what_it_returns(method: str) -> None:
    # asked for more than float64 can give: the recurrence's residual drifts below the truth
    A = _graded(80, 80, 1e6, seed=14)
    b = torch.randn(80, dtype=torch.float64, generator=torch.Generator().manual_seed(15))
    result = solve(A, b, method=method, tol=1e-13)
    assert not result.success and result.status in {"stalled", "max_iter"}
    assert result.residual == pytest.approx(_relative_residual(A, b, result.x), rel=1e-6)


def test_cg_mixed_out_of_iterations_on_least_squares_reports_the_true_residual() -> None:
    A = _graded(120, 80, 1e7, seed=16)
    b = torch.randn(120, dtype=torch.float64, generator=torch.Generator().manual_seed(17))
    for max_iter in (20, 40, 60):
        result = solve(A, b, method="cg-mixed", max_iter=max_iter, tol=1e-13)
        assert result.status == "max_iter" and result.nit == max_iter
        normal = float((A.mT @ (A @ result.x - b)).norm() / (A.mT @ b).norm())
        assert result.residual == pytest.approx(normal, rel=1e-6)
        assert normal < 1.0  # better than the start


@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov", "sgd"])
def test_zero_matrix_with_derived_steps_is_a_status(method: str) -> None:
    # λ_max(AᵀA) = 0 leaves no step to derive: the run must end with a status, not raise
    result = solve(
        torch.zeros(3, 3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), method=method
    )
    assert result.status == "stalled" and not result.success
    assert torch.count_nonzero(result.x) == 0


@pytest.mark.parametrize("size", [1e-200, 1e200])
@pytest.mark.parametrize("method", ["cgls", "cg-mixed"])
def test_right_hand_sides_far_from_one_are_scaled_exactly(method: str, size: float) -> None:
    # ‖AᵀR‖² of 1e±400 leaves float64: CG runs on R·2^-r, whose solution is X·2^-r
    A = random_matrix(20, cond=10.0, generator=torch.Generator().manual_seed(18))
    x = torch.randn(20, dtype=torch.float64, generator=torch.Generator().manual_seed(19))
    result = solve(A, A @ x * size, method=method)
    assert result.success, result.message
    torch.testing.assert_close(result.x / size, x, rtol=1e-4, atol=0)


# --- a non-quadratic loss on a tall system stops on its own optimality -------------------------


def _robust_regression() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(21)
    t = torch.linspace(0, 4, 60, dtype=torch.float64)
    y = 1.0 + 0.5 * t + 0.1 * torch.randn(60, dtype=torch.float64, generator=generator)
    y[::12] += 8.0  # five outliers
    return torch.stack([torch.ones_like(t), t], dim=1), y


def _huber(r: torch.Tensor) -> torch.Tensor:
    a = r.abs()
    return torch.where(a <= 1.0, 0.5 * r**2, a - 0.5).sum()


def test_huber_on_a_tall_system_converges_to_its_minimiser() -> None:
    design, y = _robust_regression()
    result = solve(design, y, loss=_huber, tol=1e-10)  # the default method for it: gd
    assert result.success and result.method == "gd", result.message
    # the measure is the Huber gradient's, relative to the start's
    gradient = design.mT @ (design @ result.x - y).clamp(-1.0, 1.0)
    first = design.mT @ (-y).clamp(-1.0, 1.0)
    assert result.residual == pytest.approx(float(gradient.norm() / first.norm()), rel=1e-6)
    # an independent solver: L-BFGS with a strong-Wolfe line search, run to a tiny gradient
    c = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([c], tolerance_grad=1e-14, tolerance_change=1e-16,
                                  max_iter=2000, line_search_fn="strong_wolfe")  # fmt: skip

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        value = _huber(design @ c - y)
        value.backward()
        return value

    for _ in range(5):
        optimizer.step(closure)
    assert torch.allclose(result.x, c.detach(), rtol=0, atol=1e-7), (result.x, c)
    # the squared loss's measure would never have fallen: it is far from 0 here
    normal = float((design.mT @ (design @ result.x - y)).norm() / (design.mT @ y).norm())
    assert normal > 1e-3


def _l1_by_brute_force(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The ℓ₁ fit: some minimiser interpolates n of the rows; try every choice of n rows."""
    best, best_value = None, math.inf
    for rows in itertools.combinations(range(A.shape[0]), A.shape[1]):
        square = A[list(rows)]
        if abs(float(torch.linalg.det(square))) < 1e-10:
            continue
        x = torch.linalg.solve(square, b[list(rows)])
        value = float((A @ x - b).abs().sum())
        if value < best_value:
            best, best_value = x, value
    assert best is not None
    return best


@pytest.mark.parametrize("shape", [(60, 2), (24, 3)])
def test_l1_on_a_tall_system_converges_to_its_minimiser(shape: tuple[int, int]) -> None:
    if shape == (60, 2):
        A, b = _robust_regression()
    else:
        generator = torch.Generator().manual_seed(22)
        A = torch.randn(*shape, dtype=torch.float64, generator=generator)
        b = A @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
        b = b + 0.05 * torch.randn(shape[0], dtype=torch.float64, generator=generator)
        b[::6] += 5.0  # outliers
    result = solve(A, b, loss="l1")
    assert result.success and result.method == "gd", result.message
    expected = _l1_by_brute_force(A, b)
    value = float((A @ result.x - b).abs().sum())
    assert value <= float((A @ expected - b).abs().sum()) * (1 + 1e-12)
    assert torch.allclose(result.x, expected, rtol=0, atol=1e-8), (result.x, expected)
    # the certificate: a subgradient of size ≈ 0 with s in [−1, 1] on the zero residuals
    assert result.residual <= 1e-6
