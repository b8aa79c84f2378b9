"""The exercise checkers: right answers pass, wrong ones fail with the right hint, never a crash."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import gdtutorial
from gdtutorial.exercises import (
    INVERSE_CASES,
    SOLVE_CASES,
    SVD_CASES,
    CaseResult,
    Report,
    check_inverse,
    check_solve,
    check_svd,
)

Checker = Callable[..., Report]
CHECKERS: list[Checker] = [check_solve, check_inverse, check_svd]


def _lstsq(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.linalg.lstsq(A, b).solution


def _reduced_svd(M: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    U, S, Vh = torch.linalg.svd(M, full_matrices=False)
    return U, S, Vh


def _hint(report: Report) -> str:
    failure = report.first_failure
    assert failure is not None, f"expected a failure, got\n{report}"
    assert failure.hint is not None
    return failure.hint


# --- correct solutions pass ----------------------------------------------------------------------


def test_lstsq_passes_every_solve_case_including_multi_rhs() -> None:
    report = check_solve(_lstsq, cases=SOLVE_CASES)
    assert report.passed, report
    assert [case.name for case in report.cases] == list(SOLVE_CASES)
    assert all(case.residual is not None and case.residual < 1e-12 for case in report.cases)
    assert all(case.hint is None for case in report.cases)


def test_default_solve_cases_leave_out_multi_rhs() -> None:
    report = check_solve(_lstsq)
    assert [case.name for case in report.cases] == [
        "small",
        "medium",
        "ill-conditioned",
        "tall",
    ]


def test_linalg_solve_passes_square_cases_and_fails_tall_with_a_least_squares_hint() -> None:
    report = check_solve(torch.linalg.solve)
    assert [case.passed for case in report.cases] == [True, True, True, False]
    hint = _hint(report)
    assert "raised RuntimeError" in hint
    assert "least-squares" in hint and "A is tall" in hint
    assert check_solve(torch.linalg.solve, cases=["small", "multi-rhs"]).passed


def test_gdtutorial_solve_passes_every_solve_case() -> None:
    report = check_solve(lambda A, b: gdtutorial.solve(A, b).x, cases=SOLVE_CASES)
    assert report.passed, report


def test_a_hand_written_gradient_descent_passes_the_well_conditioned_cases() -> None:
    def my_solve(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        s = torch.linalg.svdvals(A)
        lr = 2 / (s[0] ** 2 + s[-1] ** 2)
        x = torch.zeros(A.shape[1], dtype=A.dtype)
        reference = (A.T @ b).norm()
        for _ in range(20_000):
            gradient = A.T @ (A @ x - b)
            if gradient.norm() <= 1e-8 * reference:
                break
            x = x - lr * gradient
        return x

    assert check_solve(my_solve, cases=["small", "medium", "tall"]).passed


def test_linalg_inv_and_gdtutorial_inverse_pass() -> None:
    assert check_inverse(torch.linalg.inv).passed
    report = check_inverse(lambda M: gdtutorial.inverse(M).x)
    assert report.passed, report
    assert [case.name for case in report.cases] == list(INVERSE_CASES)


def test_reduced_linalg_svd_and_gdtutorial_svd_pass() -> None:
    assert check_svd(_reduced_svd).passed
    assert check_svd(lambda M: list(torch.linalg.svd(M, full_matrices=False))).passed

    def my_svd(M: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        result = gdtutorial.svd(M, tol=1e-10, generator=torch.Generator().manual_seed(0))
        return result.U, result.S, result.Vh

    report = check_svd(my_svd)
    assert report.passed, report
    assert [case.name for case in report.cases] == list(SVD_CASES)


SPD_CASES = ["spd", "spd-ill-conditioned", "spd-multi-rhs"]


def _plain_cg(A: torch.Tensor, b: torch.Tensor, max_iter: int | None = None) -> torch.Tensor:
    """Conjugate gradients for a symmetric positive definite A, one α and β per column of b,
    each column stopping on its own residual ‖b − Ax‖ ≤ 1e-10‖b‖."""
    B = b if b.ndim == 2 else b[:, None]
    X, R = torch.zeros_like(B), B.clone()
    P, rr = R.clone(), R.square().sum(0)
    target = 1e-10 * B.norm(dim=0)
    for _ in range(10 * A.shape[0] if max_iter is None else max_iter):
        running = rr.sqrt() > target
        if not bool(running.any()):
            break
        Q = A @ P
        alpha = torch.where(running, rr / (P * Q).sum(0), 0.0)
        X, R = X + alpha * P, R - alpha * Q
        rr, rr_old = R.square().sum(0), rr
        P = R + torch.where(running, rr / rr_old, 0.0) * P
    return X if b.ndim == 2 else X[:, 0]


def test_the_spd_cases_run_only_when_named() -> None:
    assert set(SPD_CASES) <= set(SOLVE_CASES)
    assert not {case.name for case in check_solve(_lstsq).cases} & set(SPD_CASES)
    assert [case.name for case in check_solve(_lstsq, cases=SPD_CASES).cases] == SPD_CASES


def test_the_spd_cases_are_symmetric_positive_definite_with_the_stated_kappa() -> None:
    matrices = dict(zip(SOLVE_CASES, _recorded(check_solve, cases=SOLVE_CASES), strict=True))
    for name, kappa in (("spd", 1e2), ("spd-ill-conditioned", 1e4), ("spd-multi-rhs", 1e2)):
        A = matrices[name]
        assert A.shape == (30, 30) and torch.equal(A, A.mT), name
        eigenvalues = torch.linalg.eigvalsh(A)
        assert bool((eigenvalues > 0).all()), name
        assert (eigenvalues[-1] / eigenvalues[0]).item() == pytest.approx(kappa, rel=1e-6)
    for name in ("small", "medium", "ill-conditioned", "multi-rhs"):  # the others are not
        A = matrices[name]
        assert (A - A.mT).norm() > 0.1 * A.norm(), name


def test_the_spd_multi_rhs_case_has_three_right_hand_sides() -> None:
    shapes: list[tuple[int, ...]] = []
    check_solve(lambda A, b: shapes.append(tuple(b.shape)), cases="spd-multi-rhs")
    assert shapes == [(30, 3)]


def test_plain_cg_passes_the_spd_cases_and_gdtutorial_cg_too() -> None:
    report = check_solve(_plain_cg, cases=SPD_CASES)
    assert report.passed, report
    assert all(case.residual is not None and case.residual < 1e-9 for case in report.cases)
    package = check_solve(lambda A, b: gdtutorial.solve(A, b, method="cg").x, cases=SPD_CASES)
    assert package.passed, package


def test_plain_cg_stopped_after_n_steps_fails_the_spd_cases() -> None:
    report = check_solve(lambda A, b: _plain_cg(A, b, max_iter=A.shape[0]), cases=SPD_CASES)
    assert [case.passed for case in report.cases] == [False, False, False], report
    assert "more iterations" in _hint(report)


def test_plain_cg_fails_the_non_symmetric_cases_with_a_hint_that_says_why() -> None:
    report = check_solve(_plain_cg, cases=SOLVE_CASES)
    passed = {case.name: case.passed for case in report.cases}
    assert passed == {name: name in SPD_CASES for name in SOLVE_CASES}, report
    note = "plain conjugate gradients needs a symmetric positive definite A"
    for case in report.cases:
        if case.name in ("small", "medium", "ill-conditioned", "multi-rhs"):
            assert case.hint is not None and note in case.hint, case
            assert "passes the symmetric positive definite cases 'spd', " in case.hint
            assert "(CGLS)" in case.hint
        else:  # the SPD cases pass; the tall case gets its own least-squares hint
            assert case.hint is None or note not in case.hint, case
    tall = next(case for case in report.cases if case.name == "tall")
    assert tall.hint is not None and "least-squares" in tall.hint
    assert "First failure (small" in str(report) and note.split()[0] in str(report)


def test_the_symmetry_hint_needs_a_passing_spd_case() -> None:
    alone = check_solve(_plain_cg, cases=["small", "medium"])
    assert not alone.passed
    assert all("symmetric positive definite" not in (case.hint or "") for case in alone.cases)
    both_wrong = check_solve(lambda A, b: _lstsq(A, b) * (1 + 1e-4), cases=["spd", "small"])
    assert all("symmetric positive definite" not in (case.hint or "") for case in both_wrong.cases)
    one = check_solve(_plain_cg, cases=["spd", "small"])
    hint = _hint(one)
    assert "passes the symmetric positive definite case 'spd' but not this one" in hint
    assert hint.startswith("the residual is ")


# --- wrong solutions fail with the right hint ----------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "cases", "match"),
    [
        (lambda A, b: _lstsq(A, b).unsqueeze(1), "small", r"\(5, 1\); expected \(5,\).*column"),
        (lambda A, b: b.clone(), "tall", r"\(30,\); expected \(10,\).*one row per column of A"),
        (lambda A, b: _lstsq(A, b)[:, 0], "multi-rhs", r"several columns"),
        (lambda A, b: torch.zeros(3, dtype=A.dtype), "small", r"shape \(3,\); expected \(5,\)$"),
        (lambda A, b: b * float("nan"), "small", r"^NaN in your x: the step size is probably"),
        (lambda A, b: b * float("inf"), "small", r"^Inf in your x"),
        (lambda A, b: _lstsq(A, b).tolist(), "small", r"list\); expected a torch.Tensor"),
        (lambda A, b: None, "small", r"returned None.*forget `return`"),
        (lambda A, b: gdtutorial.solve(A, b), "small", r"Result; return its \.x"),
        (lambda A, b: _lstsq(A, b).numpy(), "small", r"NumPy ndarray.*torch.from_numpy"),
        (
            lambda A, b: _lstsq(A, b).float(),
            "small",
            r"dtype torch.float32; expected torch.float64",
        ),
        (lambda A, b: torch.ones(5, dtype=torch.int64), "small", r"dtype torch.int64"),
        (lambda A, b: torch.ones(5, dtype=torch.complex128), "small", r"dtype torch.complex128"),
        (
            lambda A, b: torch.empty(5, dtype=torch.float64, device="meta"),
            "small",
            r"your x is on meta; expected cpu",
        ),
    ],
)
def test_solve_hints_for_results_of_the_wrong_kind(
    fn: Callable[..., Any], cases: str, match: str
) -> None:
    report = check_solve(fn, cases=cases)
    assert not report.passed
    assert report.cases[0].residual is None
    assert report.cases[0].hint is not None
    assert report.cases[0].seconds >= 0
    assert re.search(match, report.cases[0].hint), report.cases[0].hint


def test_a_slightly_wrong_answer_fails_with_its_residual_and_a_more_iterations_hint() -> None:
    report = check_solve(lambda A, b: _lstsq(A, b) * (1 + 1e-4), cases=["small", "tall"])
    assert [case.passed for case in report.cases] == [False, False]
    assert all(case.residual is not None and 1e-6 < case.residual < 1e-2 for case in report.cases)
    assert _hint(report).endswith("above tol = 1e-06: more iterations, or a smaller step?")
    assert "‖Aᵀ(Ax − b)‖/‖Aᵀb‖" in (report.cases[1].hint or "")


def test_a_looser_tol_lets_the_slightly_wrong_answer_pass() -> None:
    report = check_solve(lambda A, b: _lstsq(A, b) * (1 + 1e-4), cases="small", tol=1e-2)
    assert report.passed
    assert report.tol == 1e-2


def test_an_unconverged_answer_on_the_ill_conditioned_case_mentions_kappa_squared() -> None:
    report = check_solve(lambda A, b: _lstsq(A, b) * 0.9, cases="ill-conditioned")
    assert "κ = 1e3" in _hint(report) and "κ² iterations" in _hint(report)


def test_a_diverged_answer_gets_a_smaller_step_hint() -> None:
    report = check_solve(lambda A, b: _lstsq(A, b) * 1e3, cases="small")
    assert "diverged (try a smaller step)" in _hint(report)
    overflow = check_solve(lambda A, b: torch.full_like(b, 1e300), cases="small")
    assert overflow.cases[0].residual == float("inf")
    assert "diverged" in _hint(overflow)


def test_an_exception_becomes_a_failed_case_with_its_type_message_and_the_call() -> None:
    def broken(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise ValueError("my own bug\nsecond line " + "x" * 300)

    report = check_solve(broken, cases="small")
    hint = _hint(report)
    assert hint.startswith("your function raised ValueError: my own bug (it was called as")
    assert "fn(A, b) with A of shape (5, 5) and b of shape (5,)" in hint
    assert "second line" not in hint

    def long_message(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("y" * 300)

    long_hint = _hint(check_solve(long_message, cases="small"))
    assert "y" * 157 + "..." in long_hint and "y" * 158 not in long_hint

    def silent(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise ZeroDivisionError

    assert _hint(check_solve(silent, cases="small")).startswith(
        "your function raised ZeroDivisionError (it was called as fn(A, b)"
    )


def test_a_function_that_modifies_its_input_is_told_but_still_judged_on_the_original() -> None:
    def in_place(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        x = _lstsq(A, b)
        A.mul_(2.0)
        b.zero_()
        return x

    report = check_solve(in_place)
    assert report.passed, report
    hint = report.cases[0].hint
    assert hint is not None and "modified its input A and b in place" in hint
    assert "Note (small): your function modified its input A and b" in str(report)

    def wrong_and_in_place(M: torch.Tensor) -> torch.Tensor:
        M.add_(1.0)
        return M

    failed = check_inverse(wrong_and_in_place, cases="small")
    assert not failed.passed
    assert ". Also: your function modified its input M in place" in _hint(failed)


def test_a_result_the_checker_cannot_measure_fails_instead_of_crashing() -> None:
    class Hostile(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("no operations allowed")

    hostile = torch.zeros(5, dtype=torch.float64).as_subclass(Hostile)
    report = check_solve(lambda A, b: hostile, cases="small")
    assert "could not measure your result (RuntimeError: no operations allowed)" in _hint(report)


def test_keyboard_interrupt_still_stops_the_checker() -> None:
    def interrupted(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_solve(interrupted, cases="small")


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda M: torch.linalg.inv(M).mT, r"but Xᵀ is the inverse: your X is the transpose"),
        (lambda M: torch.linalg.inv(M) + 1e-4, r"above tol = 1e-06: more iterations"),
        (lambda M: torch.linalg.inv(M)[:, :-1], r"your X has shape \(4, 3\); expected \(4, 4\)"),
        (lambda M: M * float("nan"), r"^NaN in your X"),
        (lambda M: torch.zeros_like(M), r"above tol"),
        (lambda M: 100 * M, r"diverged"),
    ],
)
def test_inverse_hints(fn: Callable[..., Any], match: str) -> None:
    report = check_inverse(fn, cases="small")
    assert not report.passed
    assert re.search(match, _hint(report)), _hint(report)


def test_inverse_ill_conditioned_case_mentions_kappa() -> None:
    report = check_inverse(lambda M: 0.99 * torch.linalg.inv(M), cases="ill-conditioned")
    assert "κ = 1e3" in _hint(report)


def _svd_with(
    change: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], Any],
) -> Callable[[torch.Tensor], Any]:
    return lambda M: change(*torch.linalg.svd(M, full_matrices=False))


@pytest.mark.parametrize(
    ("fn", "cases", "match"),
    [
        (lambda M: torch.linalg.svd(M), "tall", r"U has shape \(20, 20\).*reduced SVD"),
        (lambda M: torch.linalg.svd(M), "wide", r"Vh has shape \(15, 15\).*reduced SVD"),
        (_svd_with(lambda U, S, Vh: (U, S, Vh.mT)), "wide", r"V's shape: return Vh = Vᵀ"),
        (_svd_with(lambda U, S, Vh: (U, S, Vh.mT)), "square", r"you returned V; return Vh"),
        (_svd_with(lambda U, S, Vh: (U, torch.diag(S), Vh)), "square", r"not diag\(S\)"),
        (
            _svd_with(lambda U, S, Vh: (U, S, Vh[:-1])),
            "square",
            r"Vh has shape \(7, 8\); expected \(8, 8\)$",
        ),
        (
            _svd_with(lambda U, S, Vh: (U.flip(1), S.flip(0), Vh.flip(0))),
            "square",
            r"non-negative and in descending order: S\[0\] = .* < S\[1\]",
        ),
        (
            _svd_with(lambda U, S, Vh: (-U, -S, Vh)),
            "tall",
            r"non-negative and in descending order: S\[0\] = -5; flip the sign",
        ),
        (
            _svd_with(lambda U, S, Vh: (2 * U, S / 2, Vh)),
            "square",
            r"U's columns are not orthonormal: ‖UᵀU − I‖_F = ",
        ),
        (
            _svd_with(lambda U, S, Vh: (U, S / 2, 2 * Vh)),
            "wide",
            r"Vh's rows are not orthonormal: ‖Vh Vhᵀ − I‖_F = ",
        ),
        (
            _svd_with(lambda U, S, Vh: (U, S * (1 + 1e-4), Vh)),
            "close",
            r"‖M − U diag\(S\) Vh‖_F/‖M‖_F = .*more iterations",
        ),
        (_svd_with(lambda U, S, Vh: (U, S * 10, Vh)), "close", r"diverged"),
        (_svd_with(lambda U, S, Vh: (U, S)), "square", r"expected a tuple \(U, S, Vh\)"),
        (lambda M: torch.linalg.svdvals(M), "square", r"expected a tuple \(U, S, Vh\)"),
        (_svd_with(lambda U, S, Vh: (U, S.tolist(), Vh)), "square", r"your S is \[.*list\)"),
        (_svd_with(lambda U, S, Vh: (U, S * float("nan"), Vh)), "square", r"^NaN in your S"),
        (
            lambda M: gdtutorial.svd(M, generator=torch.Generator().manual_seed(0)),
            "square",
            r"SVDResult; return \(result.U, result.S, result.Vh\)",
        ),
        (lambda M: None, "square", r"returned None"),
    ],
)
def test_svd_hints(fn: Callable[..., Any], cases: str, match: str) -> None:
    report = check_svd(fn, cases=cases)
    assert not report.passed
    assert re.search(match, _hint(report)), _hint(report)


def test_svd_residual_is_the_largest_of_reconstruction_and_orthonormality_errors() -> None:
    report = check_svd(_svd_with(lambda U, S, Vh: (2 * U, S / 2, Vh)), cases="square")
    residual = report.cases[0].residual
    assert residual is not None
    assert residual == pytest.approx(3 * 8**0.5)  # ‖4I − I‖_F for 8 orthonormal columns


@pytest.mark.parametrize(
    ("checker", "broken"),
    [
        (check_solve, lambda A, b: 1 / 0),
        (check_solve, lambda A, b: "x"),
        (check_solve, lambda A, b: (A, b)),
        (check_solve, lambda A: A),  # wrong number of parameters
        (check_inverse, lambda M: M.inverse_does_not_exist()),
        (check_inverse, lambda M: torch.ones(2, 2)),
        (check_inverse, lambda M: [[1.0]]),
        (check_svd, lambda M: (1, 2, 3)),
        (check_svd, lambda M: {"U": M}),
        (check_svd, lambda M: torch.linalg.svd(M.float(), full_matrices=False)),
        (check_svd, lambda: None),
    ],
)
def test_the_checker_never_raises_for_a_broken_reader_function(
    checker: Checker, broken: Callable[..., Any]
) -> None:
    report = checker(broken)
    assert isinstance(report, Report)
    assert not report.passed
    assert all(not case.passed and case.hint for case in report.cases)
    assert "First failure (" in str(report)


# --- the report ----------------------------------------------------------------------------------


def test_report_text_has_marks_residuals_and_the_first_failures_hint() -> None:
    def solve_square_only(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.linalg.solve(A, b)

    report = check_solve(solve_square_only)
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == "check_solve: 3 of 4 cases pass (tol = 1e-06)"
    assert [line.lstrip()[0] for line in lines[1:5]] == ["✓", "✓", "✓", "✗"]
    assert "residual        —" in lines[4] and "residual  " in lines[1] and " ms" in lines[1]
    assert lines[5].startswith("First failure (tall: 30×10, κ = 10, least squares): your function")
    assert all(len(line) <= 100 for line in lines[5:])
    assert " ".join(line.strip() for line in lines[5:]).endswith(_hint(report))
    assert repr(report) == text
    # the columns line up
    assert len({line.index("residual") for line in lines[1:5]}) == 1


def test_report_headline_for_all_passing_and_single_cases() -> None:
    assert str(check_svd(_reduced_svd)).startswith("check_svd: all 4 cases pass (tol = 1e-06)")
    one = check_inverse(torch.linalg.inv, cases="spd")
    assert str(one).startswith("check_inverse: the case passes")
    assert "First failure" not in str(one) and "Note" not in str(one)
    assert str(check_inverse(lambda M: M, cases="spd")).startswith("check_inverse: the case fails")


def test_report_formats_long_times_in_seconds() -> None:
    case = CaseResult("slow", "50×50", True, 1e-9, 2.5, None)
    assert str(Report("check_solve", 1e-6, (case,))).splitlines()[1].endswith("2.50 s")


def test_each_case_is_timed() -> None:
    def slow(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        time.sleep(0.02)
        return _lstsq(A, b)

    report = check_solve(slow, cases="small")
    assert report.cases[0].seconds >= 0.02  # no upper bound: never assert on a busy clock


def test_raise_if_failed_raises_assertion_error_with_the_report() -> None:
    check_solve(_lstsq).raise_if_failed()
    with pytest.raises(AssertionError, match=r"(?s)3 of 4 cases pass.*First failure \(tall"):
        check_solve(torch.linalg.solve).raise_if_failed()


def test_reports_are_frozen() -> None:
    report = check_inverse(torch.linalg.inv, cases="small")
    with pytest.raises(AttributeError):
        report.tol = 1.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        report.cases[0].passed = False  # type: ignore[misc]


def test_checkers_never_print(capsys: pytest.CaptureFixture[str]) -> None:
    check_solve(lambda A, b: 1 / 0)
    check_inverse(torch.linalg.inv)
    check_svd(lambda M: None)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# --- the problems --------------------------------------------------------------------------------


def _recorded(checker: Checker, **kwargs: Any) -> list[torch.Tensor]:
    seen: list[torch.Tensor] = []

    def record(*args: torch.Tensor) -> None:
        seen.append(args[0].clone())

    checker(record, **kwargs)
    return seen


def test_problems_are_fixed_and_do_not_depend_on_the_selection() -> None:
    everything = _recorded(check_solve, cases=SOLVE_CASES)
    again = _recorded(check_solve, cases=SOLVE_CASES)
    assert all(torch.equal(a, b) for a, b in zip(everything, again, strict=True))
    tall_alone = _recorded(check_solve, cases="tall")
    assert torch.equal(tall_alone[0], everything[SOLVE_CASES.index("tall")])
    # repeated names run once, in the order given
    assert len(_recorded(check_solve, cases=["tall", "small", "tall"])) == 2


def test_problems_have_the_documented_shapes_dtype_and_conditioning() -> None:
    expected: dict[Checker, list[tuple[int, int, float]]] = {
        check_solve: [
            (5, 5, 2),
            (20, 20, 10),
            (20, 20, 1e3),
            (30, 10, 10),
            (12, 12, 10),
            (30, 30, 100),
            (30, 30, 1e4),
            (30, 30, 100),
        ],
        check_inverse: [(4, 4, 2), (15, 15, 10), (10, 10, 100), (25, 25, 1e3)],
        check_svd: [(8, 8, 10), (20, 6, 100), (6, 15, 10), (10, 10, 2)],
    }
    names: dict[Checker, tuple[str, ...]] = {
        check_solve: SOLVE_CASES,
        check_inverse: INVERSE_CASES,
        check_svd: SVD_CASES,
    }
    for checker, shapes in expected.items():
        matrices = _recorded(checker, cases=names[checker])
        for M, (m, n, cond) in zip(matrices, shapes, strict=True):
            assert M.shape == (m, n) and M.dtype == torch.float64
            assert torch.linalg.cond(M).item() == pytest.approx(cond, rel=1e-6)
    spd = _recorded(check_inverse, cases="spd")[0]
    assert torch.equal(spd, spd.mT) and bool((torch.linalg.eigvalsh(spd) > 0).all())


def test_a_generator_draws_fresh_problems() -> None:
    fixed = _recorded(check_inverse, cases="small")[0]
    first = _recorded(check_inverse, cases="small", generator=torch.Generator().manual_seed(1))
    second = _recorded(check_inverse, cases="small", generator=torch.Generator().manual_seed(1))
    assert torch.equal(first[0], second[0])
    assert not torch.equal(first[0], fixed)


def test_the_global_random_state_is_left_alone() -> None:
    state = torch.get_rng_state()
    check_svd(_reduced_svd)
    assert torch.equal(state, torch.get_rng_state())


def test_the_function_runs_with_autograd_enabled_even_under_no_grad() -> None:
    def autograd_solve(A: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        x = torch.zeros(A.shape[1], dtype=A.dtype, requires_grad=True)
        loss = 0.5 * (A @ x - b).square().sum()
        (gradient,) = torch.autograd.grad(loss, x)  # fails if autograd were off
        return _lstsq(A, b) + 0 * gradient

    with torch.no_grad():
        assert check_solve(autograd_solve, cases="small").passed


def test_a_result_that_requires_grad_is_judged() -> None:
    report = check_solve(lambda A, b: _lstsq(A, b).requires_grad_(True), cases="small")
    assert report.passed, report


def test_numpy_results_are_named() -> None:
    report = check_inverse(lambda M: np.linalg.inv(M.numpy()), cases="small")
    assert "NumPy ndarray" in _hint(report)


# --- bad input to the checker --------------------------------------------------------------------


@pytest.mark.parametrize("checker", CHECKERS)
def test_fn_must_be_callable(checker: Checker) -> None:
    with pytest.raises(TypeError, match=r"Expected fn to be callable .*got 3 \(int\)"):
        checker(3)


@pytest.mark.parametrize("checker", CHECKERS)
def test_unknown_case_names_are_rejected_with_the_valid_ones(checker: Checker) -> None:
    with pytest.raises(ValueError, match=r"Expected cases to be one of \[.*\], got 'nope'"):
        checker(_lstsq, cases=["nope"])
    with pytest.raises(ValueError, match=r"Expected cases to be one of .*got 'nope'"):
        checker(_lstsq, cases="nope")


@pytest.mark.parametrize("checker", CHECKERS)
def test_cases_must_be_names(checker: Checker) -> None:
    with pytest.raises(ValueError, match=r"Expected at least one case name from .*got none"):
        checker(_lstsq, cases=[])
    with pytest.raises(TypeError, match=r"Expected cases to be None, a case name or a list"):
        checker(_lstsq, cases=3)


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize(
    ("tol", "error", "match"),
    [
        (0.0, ValueError, r"Expected tol > 0, got 0.0"),
        (-1e-6, ValueError, r"Expected tol > 0, got -1e-06"),
        (float("nan"), ValueError, r"Expected tol to be finite"),
        (None, TypeError, r"Expected tol to be a real number > 0, got None"),
        ("1e-6", TypeError, r"Expected tol to be a real number, got '1e-6'"),
    ],
)
def test_tol_must_be_positive(checker: Checker, tol: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        checker(_lstsq, tol=tol)


@pytest.mark.parametrize("checker", CHECKERS)
def test_generator_must_be_a_generator(checker: Checker) -> None:
    with pytest.raises(TypeError, match=r"Expected generator to be None or a torch.Generator"):
        checker(_lstsq, generator=0)
