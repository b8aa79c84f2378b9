"""Every piece of advice is a valid call: parse what a failed run's message says to try, make
that call, and check that it is accepted (no ValueError or TypeError) and that it helps."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import pytest
import torch

from gdtutorial import inverse, show_options, solve, svd
from gdtutorial.matrices import random_matrix, random_spd

# name=value, with the values a message may write: strings, None, booleans, numbers
_PAIR = re.compile(r"(\w+)=('[^']*'|None|True|False|-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)")
_TRY = re.compile(r"\btry (.*?)(?:\.(?=\s|$)|;|$)")


def suggestions(message: str) -> list[dict[str, Any]]:
    """Each alternative a message suggests ("try a=1 or b='x', c=None"), as settings."""
    found = []
    for clause in _TRY.finditer(message):
        for alternative in clause.group(1).split(" or "):
            pairs = {name: ast.literal_eval(value) for name, value in _PAIR.findall(alternative)}
            if pairs:
                found.append(pairs)
    return found


def test_the_parser_reads_alternatives_and_resets() -> None:
    message = "Raise max_iter (it was 10): try max_iter=100 or method='cg', lr=None."
    assert suggestions(message) == [{"max_iter": 100}, {"method": "cg", "lr": None}]
    assert suggestions("The step size (lr=100) is too large; try lr=0.5.") == [{"lr": 0.5}]
    assert suggestions("try X0=None, the safe start.") == [{"X0": None}]
    assert suggestions("The step size (lr=2.2) is too large; try lr=1e-05.") == [{"lr": 1e-05}]


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


A = random_matrix(12, 12, cond=10.0, generator=_gen(1))
A_HARD = random_matrix(40, 40, cond=1e3, generator=_gen(2))
SPD_HARD = random_spd(40, cond=1e4, generator=_gen(2))
# positive diagonal, one negative eigenvalue: Jacobi accepts it, CG breaks down later
INDEFINITE = torch.diag(torch.linspace(1.0, 2.0, 40, dtype=torch.float64))
INDEFINITE[0, 1] = INDEFINITE[1, 0] = 3.0
TALL = random_matrix(30, 6, cond=10.0, generator=_gen(3))
b = torch.randn(12, dtype=torch.float64, generator=_gen(4))
b_hard = torch.randn(40, dtype=torch.float64, generator=_gen(5))
b_tall = torch.randn(30, dtype=torch.float64, generator=_gen(6))
SINGULAR = torch.diag(torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64))
b_outside = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)  # not in the range of SINGULAR
TIED = random_matrix(10, 6, singular_values=[1.0, 0.9999, 0.5, 0.3, 0.2, 0.1], generator=_gen(7))


def huber(r: torch.Tensor) -> torch.Tensor:
    a = r.abs()
    return torch.where(a <= 1.0, 0.5 * r**2, a - 0.5).sum()


# (solver, problem, settings): each run fails
FAILING: list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = [
    ("gd max_iter", solve, (A, b), {"method": "gd", "max_iter": 10}),
    ("gd lr max_iter", solve, (A, b), {"method": "gd", "lr": 0.01, "max_iter": 10}),
    ("gd diverged", solve, (A, b), {"method": "gd", "lr": 100.0}),
    ("gd l1 max_iter", solve, (A, b), {"method": "gd", "loss": "l1", "max_iter": 20}),
    ("gd l1 fixed step", solve, (A, b), {"method": "gd", "loss": "l1", "lr": 0.3}),
    ("huber tall max_iter", solve, (TALL, b_tall), {"loss": huber, "max_iter": 5}),
    ("momentum diverged", solve, (A, b), {"method": "momentum", "lr": 1e3, "momentum": 0.9}),
    ("nesterov diverged", solve, (A, b), {"method": "nesterov", "lr": 1e3}),
    ("sgd diverged", solve, (A, b), {"method": "sgd", "lr": 1e3}),
    ("adam max_iter", solve, (A, b), {"method": "adam", "max_iter": 5}),
    ("cgls max_iter", solve, (A_HARD, b_hard), {"max_iter": 2}),
    ("cg max_iter", solve, (SPD_HARD, b_hard), {"max_iter": 2}),
    ("cg jacobi max_iter", solve, (SPD_HARD, b_hard), {"preconditioner": "jacobi", "max_iter": 2}),
    ("cg breakdown", solve, (-SPD_HARD, b_hard), {"method": "cg"}),
    ("cg jacobi breakdown", solve, (INDEFINITE, b_hard), {"preconditioner": "jacobi"}),
    ("cg singular diverged", solve, (SINGULAR, b_outside), {}),
    ("cg-mixed max_iter", solve, (A_HARD, b_hard), {"method": "cg-mixed", "max_iter": 3}),
    ("cgls stalled", solve, (SINGULAR, b_outside), {"method": "cgls"}),
    ("gd stalled", solve, (SINGULAR, b_outside), {"method": "gd", "lr": 0.5}),
    ("gd float32 stalled", solve, (SINGULAR.float(), b_outside.float()), {"method": "gd"}),
    ("newton-schulz bad start", inverse, (A, 10 * torch.eye(12, dtype=torch.float64)), {}),
    ("newton-schulz singular", inverse, (SINGULAR,), {}),
    ("inverse gd max_iter", inverse, (A,), {"method": "gd", "max_iter": 3}),
    ("inverse gd diverged", inverse, (A,), {"method": "gd", "lr": 1e4}),
    ("inverse momentum diverged", inverse, (A,), {"method": "momentum", "lr": 1e4}),
    ("inverse cgls max_iter", inverse, (A_HARD,), {"method": "cgls", "max_iter": 2}),
    ("svd max_iter", svd, (A,), {"max_iter": 2, "generator": _gen(0)}),
    ("svd stalled", svd, (TIED,), {"generator": _gen(0)}),
    ("riemannian max_iter", svd, (A,), {"method": "riemannian", "max_iter": 5}),
    ("riemannian diverged", svd, (A,), {"method": "riemannian", "lr": 1e3, "generator": _gen(0)}),
    ("penalty max_iter", svd, (A,), {"method": "penalty", "max_iter": 5, "lr": 0.5}),
    ("penalty diverged", svd, (A * 30,), {"method": "penalty", "generator": _gen(0)}),
]


@pytest.mark.parametrize(("solver", "args", "settings"), [c[1:] for c in FAILING],
                         ids=[c[0] for c in FAILING])  # fmt: skip
def test_every_suggestion_of_a_failed_run_is_a_call_that_is_accepted_and_helps(
    solver: Callable[..., Any], args: tuple[Any, ...], settings: dict[str, Any]
) -> None:
    result = solver(*args, **settings)
    assert not result.success, result.message
    tried = suggestions(result.message)
    if result.status in ("diverged", "breakdown") or "Raise max_iter" in result.message:
        assert tried, f"no advice in: {result.message}"
    if result.status == "max_iter" and not tried:  # it made no progress: why, instead
        assert "singular" in result.message or "ill-conditioned" in result.message
    for changes in tried:
        names = solver.__code__.co_varnames[: solver.__code__.co_argcount]
        call_args = list(args)
        for name in list(changes):  # a positional argument the advice names, such as X0
            if name in names and names.index(name) < len(call_args):
                call_args[names.index(name)] = changes.pop(name)
        changed = {**settings, **changes}
        followed = solver(*call_args, **changed)  # must not raise
        if result.status in ("diverged", "breakdown"):  # a smaller step, another method
            assert followed.status != result.status, (changes, followed.message)
        if "max_iter" in changes:  # more iterations get further
            assert followed.success or followed.residual < result.residual, changes


def test_advice_never_suggests_a_method_that_rejects_the_loss() -> None:
    result = solve(A, b, method="gd", loss="l1", max_iter=20)
    assert "method='cg'" not in result.message
    result = solve(A, b, method="gd", lr=0.01, max_iter=10)
    assert "method='cgls', lr=None" in result.message  # cgls takes no lr: the advice resets it
    assert "method='cg'" not in result.message  # A is not symmetric: plain CG would refuse it


def test_the_reason_named_is_the_one_that_happened() -> None:
    # a well-conditioned M far from 1 is no longer called singular: it is inverted
    for size in (1e200, 1e-200):
        result = inverse(A * size)
        assert result.success and "singular" not in result.message
    # a singular M is: and from the safe start, a stall says so
    stalled = inverse(SINGULAR)
    assert not stalled.success and "singular" in stalled.message
    # the derived step that diverged is not suggested again: the advice halves it at least
    diverged = solve(A, b, method="gd", lr=100.0)
    assert suggestions(diverged.message)[0]["lr"] <= 50.0


def test_show_options_lists_each_method_and_the_settings_it_takes() -> None:
    text = show_options("solve", disp=False)
    assert text is not None
    for method in ["cg", "cgls", "cg-mixed", "gd", "momentum", "nesterov", "sgd", "adam"]:
        assert f"solve(method={method!r})" in text
    gd_text = show_options("solve", "gd", disp=False)
    assert gd_text is not None and "lr:" in gd_text and "momentum:" not in gd_text
    everything = show_options(disp=False)
    assert everything is not None and "inverse(method='newton-schulz')" in everything
    with pytest.raises(ValueError, match="Expected solver to be one of"):
        show_options("lstsq")
    with pytest.raises(ValueError, match="Expected a solver with method='gd'"):
        show_options(None, "gd")


def test_show_options_prints_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert show_options("svd", "penalty") is None
    assert "svd(method='penalty')" in capsys.readouterr().out


def test_advice_never_suggests_the_method_that_just_ran() -> None:
    for solver, args, settings in [
        (svd, (A,), {"max_iter": 2, "generator": _gen(0)}),
        (inverse, (A,), {"max_iter": 1}),
        (solve, (A_HARD, b_hard), {"max_iter": 2}),
    ]:
        result = solver(*args, **settings)
        assert result.status == "max_iter"
        for changes in suggestions(result.message):
            assert changes.get("method", None) != result.method, result.message
