"""Checkers for readers' solutions: write a function, call its checker, read the report.

Each checker calls the reader's function on matrices the reader has not seen (several shapes and
condition numbers, drawn with the checker's own seeds), judges every result by a residual, and
returns a :class:`Report`: which cases pass, the residual and time of each, and a hint for the
first failure. A wrong answer, a wrong shape or dtype, an exception, NaN or a non-tensor in the
reader's function becomes a failed case with a hint; it never crashes the checker. The checkers
never print; a report shows itself as a short table (in Jupyter too, as a cell's last value).
A function that never returns cannot be stopped safely from inside the process: interrupt it
(Ctrl-C, or Jupyter's stop button); ``KeyboardInterrupt`` is never caught.

* :func:`check_solve` checks ``fn(A, b) -> x`` (``A x = b``, least squares when ``A`` is tall);
* :func:`check_inverse` checks ``fn(M) -> X`` (``X ≈ M⁻¹``);
* :func:`check_svd` checks ``fn(M) -> (U, S, Vh)`` (the reduced SVD).

Examples
--------
>>> import torch
>>> from gdtutorial.exercises import check_solve
>>> def my_solve(A, b):
...     return torch.linalg.pinv(A) @ b
>>> report = check_solve(my_solve)
>>> report.passed
True
>>> print(str(report).splitlines()[0])
check_solve: all 4 cases pass (tol = 1e-06)
>>> print(check_solve(lambda A, b: b * float("nan"), cases="small").first_failure.hint)
NaN in your x: the step size is probably too large (gradient descent diverged)
"""

from __future__ import annotations

import math
import textwrap
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import cast

import torch

from ._checks import _describe, check_choice, check_generator, check_positive
from .matrices import random_matrix, random_spd
from .result import Result, SVDResult

__all__ = [
    "INVERSE_CASES",
    "SOLVE_CASES",
    "SVD_CASES",
    "CaseResult",
    "Report",
    "check_inverse",
    "check_solve",
    "check_svd",
]

# Note [checker seeds]
# Every case draws its matrices from a generator seeded with the checker's base seed plus the
# case's index in its table, so a case is the same matrix whichever subset is selected, and the
# seeds (90210 and up) are none of those the book's chapters use: a reader cannot tune a
# function to the chapters' matrices and pass by luck. ``generator=`` replaces them by fresh draws.
_SEEDS = {"check_solve": 90210, "check_inverse": 90310, "check_svd": 90410}


@dataclass(frozen=True)
class _Case:
    """One test problem: a ``rows × cols`` matrix with condition number ``cond``."""

    name: str
    description: str
    rows: int
    cols: int
    cond: float
    scale: float = 1.0  # the largest singular value
    rhs: int | None = None  # solve: None for a vector b, k for an (m, k) matrix B
    spd: bool = False  # symmetric positive definite (random_spd), else random_matrix
    default: bool = True  # run when ``cases=None``

    def matrix(self, generator: torch.Generator) -> torch.Tensor:
        if self.spd:
            return self.scale * random_spd(self.rows, cond=self.cond, generator=generator)
        return self.scale * random_matrix(self.rows, self.cols, cond=self.cond, generator=generator)


_SOLVE_TABLE = (
    _Case("small", "5×5, κ = 2", 5, 5, 2.0),
    _Case("medium", "20×20, κ = 10, ‖A‖₂ = 4", 20, 20, 10.0, scale=4.0),
    _Case("ill-conditioned", "20×20, κ = 1e3", 20, 20, 1e3),
    _Case("tall", "30×10, κ = 10, least squares", 30, 10, 10.0),
    _Case("multi-rhs", "12×12, κ = 10, 3 right-hand sides", 12, 12, 10.0, rhs=3, default=False),
    # Note [SPD solve cases]: for plain conjugate gradients, which needs a symmetric positive
    # definite A. CG takes more than n = 30 steps on both in float64 (rounding spoils the
    # conjugacy), so a loop that stops after n steps fails them; κ = 1e4 leaves a float64 CG
    # room to spare below tol = 1e-6 (its attainable residual is near κ·u₆₄ ≈ 1e-12).
    _Case("spd", "30×30 SPD, κ = 100", 30, 30, 100.0, spd=True, default=False),
    _Case("spd-ill-conditioned", "30×30 SPD, κ = 1e4", 30, 30, 1e4, spd=True, default=False),
    _Case(
        "spd-multi-rhs",
        "30×30 SPD, κ = 100, 3 right-hand sides",
        30,
        30,
        100.0,
        rhs=3,
        spd=True,
        default=False,
    ),
)
_INVERSE_TABLE = (
    _Case("small", "4×4, κ = 2", 4, 4, 2.0),
    _Case("medium", "15×15, κ = 10, ‖M‖₂ = 4", 15, 15, 10.0, scale=4.0),
    _Case("spd", "10×10 SPD, κ = 100", 10, 10, 100.0, spd=True),
    _Case("ill-conditioned", "25×25, κ = 1e3", 25, 25, 1e3),
)
_SVD_TABLE = (
    _Case("square", "8×8, κ = 10", 8, 8, 10.0),
    _Case("tall", "20×6, κ = 100, ‖M‖₂ = 5", 20, 6, 100.0, scale=5.0),
    _Case("wide", "6×15, κ = 10", 6, 15, 10.0),
    _Case("close", "10×10, κ = 2 (close singular values)", 10, 10, 2.0),
)

#: The names of :func:`check_solve`'s cases. ``"multi-rhs"`` and the symmetric positive definite
#: ``"spd"``, ``"spd-ill-conditioned"`` and ``"spd-multi-rhs"`` run only when named.
SOLVE_CASES: tuple[str, ...] = tuple(case.name for case in _SOLVE_TABLE)
#: The names of :func:`check_inverse`'s cases.
INVERSE_CASES: tuple[str, ...] = tuple(case.name for case in _INVERSE_TABLE)
#: The names of :func:`check_svd`'s cases.
SVD_CASES: tuple[str, ...] = tuple(case.name for case in _SVD_TABLE)


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseResult:
    """How the reader's function did on one case.

    Attributes
    ----------
    name : str
        The case's name, e.g. ``"tall"`` (what ``cases=`` selects by).
    description : str
        The problem in words, e.g. ``"30×10, κ = 10, least squares"``.
    passed : bool
        Whether the result had the right type, shape and dtype, was finite, and its residual
        was at or below the checker's ``tol``.
    residual : float or None
        The residual the checker judged by (each checker's docstring defines it); ``None``
        when there was no result to measure (an exception, a wrong shape, NaN, ...).
    seconds : float
        Wall-clock time of the call of the reader's function (``time.perf_counter``).
    hint : str or None
        What went wrong and what to try; on a passing case, a remark (the function modified
        its input). ``None`` when there is nothing to say.
    """

    name: str
    description: str
    passed: bool
    residual: float | None
    seconds: float
    hint: str | None


def _format_seconds(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


@dataclass(frozen=True, repr=False)
class Report:
    """What a checker found: one :class:`CaseResult` per case, shown as a short table.

    Attributes
    ----------
    name : str
        The checker, e.g. ``"check_solve"``.
    tol : float
        The tolerance the residuals were compared with.
    cases : tuple of CaseResult
        The cases, in the order they ran.

    Examples
    --------
    >>> from gdtutorial.exercises import CaseResult, Report
    >>> report = Report("check_solve", 1e-6, (
    ...     CaseResult("small", "5×5, κ = 2", True, 2e-16, 0.001, None),
    ...     CaseResult("tall", "30×10, κ = 10", False, 0.03, 0.002, "more iterations?"),
    ... ))
    >>> report.passed, report.first_failure.name
    (False, 'tall')
    >>> print(report)  # doctest: +NORMALIZE_WHITESPACE
    check_solve: 1 of 2 cases pass (tol = 1e-06)
      ✓ small  5×5, κ = 2     residual 2.0e-16  1.0 ms
      ✗ tall   30×10, κ = 10  residual 3.0e-02  2.0 ms
    First failure (tall: 30×10, κ = 10): more iterations?
    """

    name: str
    tol: float
    cases: tuple[CaseResult, ...]

    @property
    def passed(self) -> bool:
        """``True`` when every case passed."""
        return all(case.passed for case in self.cases)

    @property
    def first_failure(self) -> CaseResult | None:
        """The first case that failed, or ``None``."""
        return next((case for case in self.cases if not case.passed), None)

    def __str__(self) -> str:
        passing = sum(case.passed for case in self.cases)
        total = len(self.cases)
        summary = (
            f"all {total} cases pass" if passing == total else f"{passing} of {total} cases pass"
        )
        if total == 1:
            summary = "the case passes" if passing else "the case fails"
        lines = [f"{self.name}: {summary} (tol = {self.tol:g})"]
        name_width = max(len(case.name) for case in self.cases)
        description_width = max(len(case.description) for case in self.cases)
        for case in self.cases:
            residual = "—" if case.residual is None else f"{case.residual:.1e}"
            lines.append(
                f"  {'✓' if case.passed else '✗'} {case.name:<{name_width}}  "
                f"{case.description:<{description_width}}  residual {residual:>8}  "
                f"{_format_seconds(case.seconds):>9}"
            )
        failure = self.first_failure
        if failure is not None:
            lines.append(_wrap(f"First failure ({failure.name}: {failure.description}): ", failure))
        note = next((case for case in self.cases if case.passed and case.hint), None)
        if note is not None:
            lines.append(_wrap(f"Note ({note.name}): ", note))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def raise_if_failed(self) -> None:
        """Raise :class:`AssertionError`, with the report as its message, unless all passed.

        Examples
        --------
        >>> from gdtutorial.exercises import CaseResult, Report
        >>> failed = CaseResult("small", "5×5", False, None, 0.0, "NaN in the result")
        >>> Report("check_solve", 1e-6, (failed,)).raise_if_failed()
        Traceback (most recent call last):
            ...
        AssertionError: check_solve: the case fails (tol = 1e-06)
        ...
        """
        if not self.passed:
            raise AssertionError(str(self))


def _wrap(prefix: str, case: CaseResult) -> str:
    return textwrap.fill(
        prefix + (case.hint or "no hint"),
        width=100,
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


# --- judging a result --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    passed: bool
    residual: float | None
    hint: str | None


def _fail(hint: str, residual: float | None = None) -> _Verdict:
    return _Verdict(False, residual, hint)


def _shape(shape: Iterable[int]) -> str:
    dims = tuple(shape)
    return f"({dims[0]},)" if len(dims) == 1 else str(dims)


def _tensor_problem(
    value: object, name: str, shape: tuple[int, ...], reference: torch.Tensor
) -> str | None:
    """Why ``value`` is not a finite tensor of ``shape`` like ``reference``; ``None`` if it is."""
    if not isinstance(value, torch.Tensor):
        return f"{name} is {_describe(value)}; expected a torch.Tensor"
    if value.is_complex() or not value.dtype.is_floating_point:
        return f"{name} has dtype {value.dtype}; expected {reference.dtype}, the dtype of the input"
    if tuple(value.shape) != shape:
        return f"{name} has shape {_shape(value.shape)}; expected {_shape(shape)}"
    if value.dtype != reference.dtype:
        return (
            f"{name} has dtype {value.dtype}; expected {reference.dtype}, the dtype of the input "
            f"— create tensors with dtype=A.dtype (torch.zeros(n) is float32 by default)"
        )
    if value.device != reference.device:
        return f"{name} is on {value.device}; expected {reference.device}, where the input was"
    if bool(torch.isnan(value).any()):
        return f"NaN in {name}: the step size is probably too large (gradient descent diverged)"
    if not bool(torch.isfinite(value).all()):
        return f"Inf in {name}: the step size is probably too large (gradient descent diverged)"
    return None


def _not_a_tensor(value: object, expected: str) -> str | None:
    """A hint for outputs of the wrong kind altogether (None, a Result, a NumPy array)."""
    if value is None:
        return f"your function returned None; expected {expected} — did you forget `return`?"
    if isinstance(value, SVDResult):
        return (
            "your function returned a gdtutorial SVDResult; return (result.U, result.S, result.Vh)"
        )
    if isinstance(value, Result):
        return "your function returned a gdtutorial Result; return its .x"
    if type(value).__module__ == "numpy":
        return (
            f"your function returned a NumPy {type(value).__name__}; expected {expected} "
            f"(torch.from_numpy converts one)"
        )
    return None


def _power_of_ten(value: float) -> str:
    return f"{value:.0e}".replace("e+0", "e").replace("e+", "e")


def _residual_hint(residual: float, tol: float, case: _Case, what: str) -> str:
    if not math.isfinite(residual) or residual > 1:
        return (
            f"the residual is {residual:.1e}, worse than {what} = 0 gives: the iteration probably "
            f"diverged (try a smaller step) or never ran"
        )
    hint = (
        f"the residual is {residual:.1e}, above tol = {tol:g}: more iterations, or a smaller step?"
    )
    if case.cond >= 1e3:
        hint += (
            f" This case has κ = {_power_of_ten(case.cond)}: plain gradient descent needs on "
            f"the order of κ² iterations; momentum or conjugate gradients need far fewer."
        )
    return hint


# --- running the cases -------------------------------------------------------------------------

_Judge = Callable[[object, tuple[torch.Tensor, ...], _Case, float], _Verdict]


def _select(cases: object, table: tuple[_Case, ...]) -> list[int]:
    """Indices into ``table`` of the selected cases (all the default ones for ``None``)."""
    if cases is None:
        return [i for i, case in enumerate(table) if case.default]
    names = {case.name: i for i, case in enumerate(table)}
    if isinstance(cases, str):
        cases = [cases]
    if not isinstance(cases, Iterable):
        raise TypeError(
            f"Expected cases to be None, a case name or a list of names, got {_describe(cases)}"
        )
    chosen = [cast(int, check_choice(name, "cases", names)) for name in cases]
    if not chosen:
        raise ValueError(f"Expected at least one case name from {sorted(names)}, got none")
    return list(dict.fromkeys(chosen))  # in the order given, without repeats


def _run(
    checker: str,
    fn: object,
    cases: object,
    tol: float | None,
    generator: object,
    table: tuple[_Case, ...],
    make: Callable[[_Case, torch.Generator], tuple[torch.Tensor, ...]],
    names: tuple[str, ...],
    judge: _Judge,
) -> Report:
    if not callable(fn):
        raise TypeError(f"Expected fn to be callable (your function), got {_describe(fn)}")
    if tol is None:
        raise TypeError("Expected tol to be a real number > 0, got None")
    tolerance = cast(float, check_positive(tol, "tol"))
    generator = check_generator(generator)
    results = []
    for index in _select(cases, table):
        case = table[index]
        g = (
            generator
            if generator is not None
            else torch.Generator().manual_seed(_SEEDS[checker] + index)
        )
        inputs = make(case, g)
        copies = tuple(t.clone() for t in inputs)
        call = ", ".join(names)
        start = time.perf_counter()
        try:
            with torch.enable_grad():
                output = fn(*copies)
        except Exception as error:  # the reader's bug becomes a failed case, never a crash
            seconds = time.perf_counter() - start
            message = (str(error).strip().splitlines() or [""])[0]
            if len(message) > 160:
                message = message[:157] + "..."
            if message:
                message = f": {message}"
            shapes = " and ".join(
                f"{name} of shape {_shape(t.shape)}" for name, t in zip(names, inputs, strict=True)
            )
            raised = (
                f"your function raised {type(error).__name__}{message} "
                f"(it was called as fn({call}) with {shapes})"
            )
            if case.rows > case.cols and checker == "check_solve":
                raised += (
                    ". A is tall here: Ax = b has no exact solution; return the least-squares x, "
                    "where Aᵀ(Ax − b) = 0 (torch.linalg.solve takes square matrices only)"
                )
            verdict = _fail(raised)
        else:
            seconds = time.perf_counter() - start
            try:
                with torch.no_grad():
                    verdict = judge(output, inputs, case, tolerance)
            except Exception as error:  # an output so odd that measuring it fails
                verdict = _fail(
                    f"the checker could not measure your result ({type(error).__name__}: "
                    f"{error}); return plain torch tensors"
                )
        changed = [
            name for name, a, b in zip(names, inputs, copies, strict=True) if not _same(a, b)
        ]
        hint = verdict.hint
        if changed:
            note = (
                f"your function modified its input {' and '.join(changed)} in place (e.g. "
                f"`A -= …` or `b.mul_(…)`); the result was judged against the original, but a "
                f"solver should leave its inputs alone"
            )
            hint = note if hint is None else f"{hint}. Also: {note}"
        results.append(
            CaseResult(case.name, case.description, verdict.passed, verdict.residual, seconds, hint)
        )
    return Report(checker, tolerance, tuple(results))


def _same(original: torch.Tensor, copy: torch.Tensor) -> bool:
    return original.shape == copy.shape and bool(torch.equal(original, copy.detach()))


# --- Ax = b --------------------------------------------------------------------------------------


def _make_solve(case: _Case, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    A = case.matrix(generator)
    shape = (case.rows,) if case.rhs is None else (case.rows, case.rhs)
    b = torch.randn(shape, dtype=torch.float64, generator=generator)
    return A, b


def _judge_solve(x: object, inputs: tuple[torch.Tensor, ...], case: _Case, tol: float) -> _Verdict:
    A, b = inputs
    m, n = A.shape
    shape = (n, *b.shape[1:])
    problem = _not_a_tensor(x, "a tensor x")
    if problem is not None:
        return _fail(problem)
    problem = _tensor_problem(x, "your x", shape, A)
    if problem is not None:
        if isinstance(x, torch.Tensor) and x.ndim == 2 and tuple(x.shape) == (n, 1) and b.ndim == 1:
            problem += " — x should have b's shape: a vector, not a column"
        elif isinstance(x, torch.Tensor) and tuple(x.shape) == tuple(b.shape) and m != n:
            problem += f" — b's shape; x has one row per column of A ({n}), not per row ({m})"
        elif isinstance(x, torch.Tensor) and x.ndim == 1 and b.ndim == 2:
            problem += " — b has several columns here: solve for all of them at once"
        return _fail(problem)
    assert isinstance(x, torch.Tensor)
    R = A @ x.detach() - b
    if m > n:  # least squares: the normal-equation residual, as gdtutorial.solve measures it
        scale = (A.mT @ b).norm()
        residual = float(((A.mT @ R).norm() / scale).item())
    else:
        residual = float((R.norm() / b.norm()).item())
    if residual <= tol:
        return _Verdict(True, residual, None)
    hint = _residual_hint(residual, tol, case, "x")
    if m > n:
        hint += (
            " (A is tall here: the residual is ‖Aᵀ(Ax − b)‖/‖Aᵀb‖, which is 0 at the "
            "least-squares x; ‖Ax − b‖ itself cannot reach 0)"
        )
    return _fail(hint, residual)


def check_solve(
    fn: Callable[..., object],
    *,
    cases: str | Iterable[str] | None = None,
    tol: float = 1e-6,
    generator: torch.Generator | None = None,
) -> Report:
    r"""Check a function ``fn(A, b) -> x`` that solves ``A x = b`` (least squares if ``A`` is tall).

    Parameters
    ----------
    fn : callable
        The reader's solver: ``fn(A, b)`` returns ``x``. It is called on copies of the inputs
        (a float64 CPU ``A`` of shape ``(m, n)`` and ``b`` of shape ``(m,)``, or ``(m, k)`` in
        the ``"multi-rhs"`` and ``"spd-multi-rhs"`` cases) and must return a float64 CPU tensor
        of shape ``(n,)`` (or ``(n, k)``).
    cases : str or iterable of str, optional
        Which cases to run, by name; by default the first four (their ``A`` is not symmetric):

        * ``"small"``: 5×5, κ = 2;
        * ``"medium"``: 20×20, κ = 10, largest singular value 4 (a step size tuned to
          ``‖A‖₂ = 1`` diverges here);
        * ``"ill-conditioned"``: 20×20, κ = 1e3 (plain gradient descent needs about κ² steps);
        * ``"tall"``: 30×10, κ = 10, a random ``b`` that ``A x`` cannot reach: least squares;
        * ``"multi-rhs"``: 12×12, κ = 10, ``b`` of shape ``(12, 3)`` (three right-hand sides);
        * ``"spd"``: 30×30 symmetric positive definite, κ = 100;
        * ``"spd-ill-conditioned"``: 30×30 symmetric positive definite, κ = 1e4;
        * ``"spd-multi-rhs"``: 30×30 symmetric positive definite, κ = 100, ``b`` of shape
          ``(30, 3)``.

        The three ``"spd"`` cases judge plain conjugate gradients, which needs a symmetric
        positive definite ``A``: in float64 it takes more than ``n = 30`` steps on them, so
        stop on the residual, not after ``n`` steps. The matrices come from
        :func:`~gdtutorial.matrices.random_matrix` (the ``"spd"`` cases from
        :func:`~gdtutorial.matrices.random_spd`), ``b`` is Gaussian.
    tol : float, default 1e-6
        A case passes when its residual is at or below ``tol``. The residual is
        ``‖A x − b‖/‖b‖``, and for a tall ``A`` the normal-equation residual
        ``‖Aᵀ(A x − b)‖/‖Aᵀb‖`` (as :func:`gdtutorial.solve` measures it; Frobenius norms for
        several right-hand sides).
    generator : torch.Generator, optional
        Draws the problems. ``None`` uses the checker's own fixed seeds (the same problems every
        time, none of them in the book's chapters); a generator gives fresh problems.

    Returns
    -------
    Report
        One :class:`CaseResult` per case. A result that is not a tensor, has the wrong shape,
        dtype (anything but float64 fails: the tolerance is set for float64) or device, holds
        NaN or Inf, or whose residual exceeds ``tol``, fails the case with a hint; so does an
        exception raised by ``fn`` (only :class:`Exception`: ``KeyboardInterrupt`` still
        stops the checker). A function that modifies its input is told so, and judged against
        the original input. A function that never returns hangs the checker: interrupt it
        (Ctrl-C, or Jupyter's stop button); it cannot be stopped safely from inside. When
        ``fn`` passes an ``"spd"`` case but returns a wrong ``x`` (or NaN, or Inf) on a square
        case whose ``A`` is not symmetric, that failure's hint adds that plain conjugate
        gradients needs a symmetric positive definite ``A``, and that CG on the normal
        equations (CGLS) takes any ``A`` of full column rank.

    Raises
    ------
    TypeError, ValueError
        For bad input to the checker: ``fn`` not callable, an unknown case name, no cases,
        ``tol`` not a number > 0, ``generator`` not a :class:`torch.Generator`.

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.exercises import check_solve
    >>> report = check_solve(lambda A, b: torch.linalg.lstsq(A, b).solution)
    >>> report.passed, [case.name for case in report.cases]
    (True, ['small', 'medium', 'ill-conditioned', 'tall'])
    >>> report = check_solve(lambda A, b: torch.linalg.solve(A, b.unsqueeze(1)), cases="small")
    >>> report.passed
    False
    >>> print(report.first_failure.hint)
    your x has shape (5, 1); expected (5,) — x should have b's shape: a vector, not a column

    Plain conjugate gradients, written for a symmetric positive definite ``A``, passes the
    ``"spd"`` cases and fails the others, with a hint that says why:

    >>> def plain_cg(A, b):
    ...     x, r = torch.zeros_like(b), b.clone()
    ...     p, rr = r.clone(), r @ r
    ...     for _ in range(10 * len(b)):
    ...         if rr.sqrt() <= 1e-8 * b.norm():
    ...             break
    ...         q = A @ p
    ...         alpha = rr / (p @ q)
    ...         x, r = x + alpha * p, r - alpha * q
    ...         rr, rr_old = r @ r, rr
    ...         p = r + (rr / rr_old) * p
    ...     return x
    >>> report = check_solve(plain_cg, cases=["spd", "spd-ill-conditioned", "medium"])
    >>> [case.passed for case in report.cases]
    [True, True, False]
    >>> print(report.first_failure.hint)  # doctest: +ELLIPSIS
    the residual is ... plain conjugate gradients needs a symmetric positive definite A...
    """
    report = _run(
        "check_solve",
        fn,
        cases,
        tol,
        generator,
        _SOLVE_TABLE,
        _make_solve,
        ("A", "b"),
        _judge_solve,
    )
    return _symmetry_hints(report)


def _symmetry_hints(report: Report) -> Report:
    """Add to each failure on a square case whose ``A`` is not symmetric (an ``x`` of the right
    shape that is wrong, NaN or Inf) that plain CG needs a symmetric positive definite ``A``,
    when an ``"spd"`` case passed: the reader's function is probably CG for such matrices."""
    table = {case.name: case for case in _SOLVE_TABLE}
    passed = [result.name for result in report.cases if result.passed and table[result.name].spd]
    if not passed:
        return report
    names = ", ".join(f"'{name}'" for name in passed)
    results = []
    for result in report.cases:
        case = table[result.name]
        # a square A, and an x of the right shape that was wrong, NaN or Inf: CG ran and failed
        ran = result.residual is not None or (result.hint or "").startswith(("NaN in", "Inf in"))
        if not result.passed and not case.spd and case.rows == case.cols and ran:
            note = (
                f"your function passes the symmetric positive definite case"
                f"{'s' if len(passed) > 1 else ''} {names} but not this one, where A is not "
                f"symmetric: plain conjugate gradients needs a symmetric positive definite A; "
                f"run CG on the normal equations AᵀAx = Aᵀb (CGLS), symmetric positive definite "
                f"for every A of full column rank"
            )
            hint = result.hint
            if hint is None:
                hint = note
            else:
                hint += " " if hint.endswith((".", "?", "!")) else ". "
                hint += note[0].upper() + note[1:]
            result = replace(result, hint=hint)
        results.append(result)
    return Report(report.name, report.tol, tuple(results))


# --- the inverse ---------------------------------------------------------------------------------


def _make_inverse(case: _Case, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    return (case.matrix(generator),)


def _inverse_residual(X: torch.Tensor, M: torch.Tensor) -> float:
    n = M.shape[0]
    identity = torch.eye(n, dtype=M.dtype)
    return float(((X @ M - identity).norm() / math.sqrt(n)).item())


def _judge_inverse(
    X: object, inputs: tuple[torch.Tensor, ...], case: _Case, tol: float
) -> _Verdict:
    (M,) = inputs
    problem = _not_a_tensor(X, "a tensor X") or _tensor_problem(X, "your X", tuple(M.shape), M)
    if problem is not None:
        return _fail(problem)
    assert isinstance(X, torch.Tensor)
    X = X.detach()
    residual = _inverse_residual(X, M)
    if residual <= tol:
        return _Verdict(True, residual, None)
    if _inverse_residual(X.mT, M) <= tol:
        return _fail(
            f"the residual is {residual:.1e}, but Xᵀ is the inverse: your X is the transpose "
            f"of M⁻¹ (did you use M X or Mᵀ where the update needs X M or M?)",
            residual,
        )
    return _fail(_residual_hint(residual, tol, case, "X"), residual)


def check_inverse(
    fn: Callable[..., object],
    *,
    cases: str | Iterable[str] | None = None,
    tol: float = 1e-6,
    generator: torch.Generator | None = None,
) -> Report:
    r"""Check a function ``fn(M) -> X`` that computes the inverse of a square matrix.

    Parameters
    ----------
    fn : callable
        The reader's function: ``fn(M)`` returns ``X ≈ M⁻¹``. It is called on a copy of a
        float64 CPU ``M`` of shape ``(n, n)`` and must return a float64 CPU ``(n, n)`` tensor.
    cases : str or iterable of str, optional
        Which cases to run, by name; all by default:

        * ``"small"``: 4×4, κ = 2;
        * ``"medium"``: 15×15, κ = 10, largest singular value 4;
        * ``"spd"``: 10×10 symmetric positive definite (:func:`~gdtutorial.matrices.random_spd`),
          κ = 100;
        * ``"ill-conditioned"``: 25×25, κ = 1e3.
    tol : float, default 1e-6
        A case passes when ``‖X M − I‖_F/√n ≤ tol`` (the residual of
        :func:`gdtutorial.inverse`).
    generator : torch.Generator, optional
        Draws the matrices; ``None`` uses the checker's own fixed seeds.

    Returns
    -------
    Report
        As :func:`check_solve`'s: failures (wrong type, shape, dtype or device, NaN, an
        exception, a residual above ``tol``) are cases with hints, never exceptions; a hang
        cannot be interrupted from inside.

    Raises
    ------
    TypeError, ValueError
        For bad input to the checker, as :func:`check_solve`.

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.exercises import check_inverse
    >>> check_inverse(torch.linalg.inv).passed
    True
    >>> report = check_inverse(lambda M: torch.linalg.inv(M) + 1e-3)
    >>> print(report.first_failure.hint)  # doctest: +ELLIPSIS
    the residual is ...e-03, above tol = 1e-06: more iterations, or a smaller step?
    """
    return _run(
        "check_inverse",
        fn,
        cases,
        tol,
        generator,
        _INVERSE_TABLE,
        _make_inverse,
        ("M",),
        _judge_inverse,
    )


# --- the SVD -------------------------------------------------------------------------------------


def _make_svd(case: _Case, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    return (case.matrix(generator),)


def _svd_shape_hint(name: str, got: tuple[int, ...], m: int, n: int, k: int) -> str:
    if name == "U" and got == (m, m):
        return " — return the reduced SVD (torch.linalg.svd(M, full_matrices=False))"
    if name == "Vh" and got == (n, n):
        return " — return the reduced SVD (torch.linalg.svd(M, full_matrices=False))"
    if name == "Vh" and got == (n, k):
        return " — that is V's shape: return Vh = Vᵀ (V.mT), not V"
    if name == "S" and got == (k, k):
        return " — return the vector of singular values, not diag(S)"
    return ""


def _judge_svd(
    output: object, inputs: tuple[torch.Tensor, ...], case: _Case, tol: float
) -> _Verdict:
    (M,) = inputs
    m, n = M.shape
    k = min(m, n)
    problem = _not_a_tensor(output, "a tuple (U, S, Vh)")
    if problem is not None:
        return _fail(problem)
    if not isinstance(output, (tuple, list)) or len(output) != 3:
        return _fail(
            f"your function returned {_describe(output)}; expected a tuple (U, S, Vh) of three "
            f"tensors"
        )
    factors: dict[str, torch.Tensor] = {}
    for name, value, shape in zip(("U", "S", "Vh"), output, ((m, k), (k,), (k, n)), strict=True):
        problem = _tensor_problem(value, f"your {name}", shape, M)
        if problem is not None:
            if isinstance(value, torch.Tensor):
                problem += _svd_shape_hint(name, tuple(value.shape), m, n, k)
            return _fail(problem)
        assert isinstance(value, torch.Tensor)
        factors[name] = value.detach()
    U, S, Vh = factors["U"], factors["S"], factors["Vh"]
    identity = torch.eye(k, dtype=M.dtype)
    scale = float(M.norm().item())
    reconstruction = float((M - (U * S) @ Vh).norm().item()) / scale
    u_error = float((U.mT @ U - identity).norm().item())
    v_error = float((Vh @ Vh.mT - identity).norm().item())
    residual = max(reconstruction, u_error, v_error)
    slack = tol * float(S.abs().max().item())
    rule = "singular values must be non-negative and in descending order"
    negative = (S < -slack).nonzero()
    if negative.numel():
        i = int(negative[0, 0].item())
        return _fail(
            f"{rule}: S[{i}] = {S[i].item():.3g}; flip the sign of column {i} of U (or row "
            f"{i} of Vh) instead",
            residual,
        )
    rising = (S[1:] - S[:-1] > slack).nonzero()
    if rising.numel():
        i = int(rising[0, 0].item())
        return _fail(
            f"{rule}: S[{i}] = {S[i].item():.3g} < S[{i + 1}] = {S[i + 1].item():.3g}; sort S "
            f"descending and permute U's columns and Vh's rows the same way",
            residual,
        )
    if u_error > tol:
        return _fail(
            f"U's columns are not orthonormal: ‖UᵀU − I‖_F = {u_error:.1e}, above tol = {tol:g}",
            residual,
        )
    if v_error > tol:
        return _fail(
            f"Vh's rows are not orthonormal: ‖Vh Vhᵀ − I‖_F = {v_error:.1e}, above tol = {tol:g}",
            residual,
        )
    if reconstruction > tol:
        hint = (
            f"M ≠ U diag(S) Vh: ‖M − U diag(S) Vh‖_F/‖M‖_F = {reconstruction:.1e}, above "
            f"tol = {tol:g}"
        )
        if m == n and float((M - (U * S) @ Vh.mT).norm().item()) / scale <= tol:
            hint += ", but U diag(S) Vhᵀ matches: you returned V; return Vh = Vᵀ (V.mT)"
        elif reconstruction > 1:
            hint += ": the iteration probably diverged (try a smaller step)"
        else:
            hint += ": more iterations, or a smaller step?"
        return _fail(hint, residual)
    return _Verdict(True, residual, None)


def check_svd(
    fn: Callable[..., object],
    *,
    cases: str | Iterable[str] | None = None,
    tol: float = 1e-6,
    generator: torch.Generator | None = None,
) -> Report:
    r"""Check a function ``fn(M) -> (U, S, Vh)`` that computes the reduced SVD.

    Parameters
    ----------
    fn : callable
        The reader's function: ``fn(M)`` returns ``(U, S, Vh)`` (a tuple or list, or anything
        that unpacks like :func:`torch.linalg.svd`'s result) with ``M ≈ U diag(S) Vh``. It is
        called on a copy of a float64 CPU ``(m, n)`` matrix and must return float64 CPU
        tensors of shapes ``(m, k)``, ``(k,)``, ``(k, n)``, ``k = min(m, n)``.
    cases : str or iterable of str, optional
        Which cases to run, by name; all by default:

        * ``"square"``: 8×8, κ = 10;
        * ``"tall"``: 20×6, κ = 100, largest singular value 5;
        * ``"wide"``: 6×15, κ = 10;
        * ``"close"``: 10×10, κ = 2: neighbouring singular values differ by 8 %, which slows
          power iteration.
    tol : float, default 1e-6
        A case passes when ``S`` is non-negative and descending (up to ``tol·max S``) and the
        residual, the largest of ``‖M − U diag(S) Vh‖_F/‖M‖_F``, ``‖UᵀU − I‖_F`` and
        ``‖Vh Vhᵀ − I‖_F``, is at or below ``tol``. Residuals are compared, never entries: the
        singular vectors are unique only up to signs.
    generator : torch.Generator, optional
        Draws the matrices; ``None`` uses the checker's own fixed seeds.

    Returns
    -------
    Report
        As :func:`check_solve`'s; the hint names the first rule broken, in this order: the
        type and shapes, dtype, device and finiteness of each factor, the order and signs of
        ``S``, the orthonormality of ``U``, then of ``Vh``, the reconstruction.

    Raises
    ------
    TypeError, ValueError
        For bad input to the checker, as :func:`check_solve`.

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.exercises import check_svd
    >>> check_svd(lambda M: torch.linalg.svd(M, full_matrices=False)).passed
    True
    >>> report = check_svd(lambda M: torch.linalg.svd(M), cases=["square", "tall"])
    >>> print(report.first_failure.name, report.first_failure.hint, sep=": ")
    ... # doctest: +NORMALIZE_WHITESPACE
    tall: your U has shape (20, 20); expected (20, 6) — return the reduced SVD
    (torch.linalg.svd(M, full_matrices=False))
    """
    return _run("check_svd", fn, cases, tol, generator, _SVD_TABLE, _make_svd, ("M",), _judge_svd)
