"""How fast are the gradient-descent solvers next to ``torch.linalg``?

Run it as ``python -m gdtutorial.benchmark`` (``--help`` lists the options).  For
each case it builds a matrix with a known condition number
(:func:`gdtutorial.matrices.random_matrix`), runs our solver and the matching
``torch.linalg`` routine on the same data in the same process, and reports

* the method, its status and number of iterations;
* the accuracy, recomputed here rather than taken from the solver: the relative
  residual (``‖Ax − b‖/‖b‖`` for ``solve``, ``‖XM − I‖_F/√n`` for ``inverse``,
  for ``svd`` the largest of ``‖U·diag(S)·Vh − M‖_F/‖M‖_F``, ``‖UᵀU − I‖_F`` and
  ``‖Vh·Vhᵀ − I‖_F``) and the relative error against
  ``torch.linalg``'s answer (the singular values for ``svd``, since singular
  vectors are unique only up to sign);
* the median time of both (:func:`gdtutorial.devices.time_median`, in rounds that
  alternate the two), their ratio, and whether the project's target for that case holds.

The large and sparse cases compare with the peers a user would otherwise pick, measured in the
same run: SciPy's SuperLU (``scipy.sparse.linalg.spsolve``) and conjugate gradient
(``scipy.sparse.linalg.cg``, whose step count ours must match) on a 2-D Poisson matrix in
CSR, SciPy's CG on a dense symmetric positive definite matrix, our CG without a
preconditioner against Jacobi on a badly scaled one, and ``torch.svd_lowrank`` for a top-10
SVD at the same accuracy. SciPy is an optional extra (``pip install 'gdtutorial[benchmark]'``):
without it those cases are left out of a default run.

Missing a target is a finding, not an error: the exit status is 0 unless
something went wrong.  Only :func:`main` prints; :func:`run_benchmark` and
:func:`format_table` return values, so the benchmark can be used from code.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.util
import io
import json
import math
import platform
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import IO, Any, NamedTuple

import torch

from gdtutorial.devices import Timing, default_device, format_seconds, time_median
from gdtutorial.inverse import inverse
from gdtutorial.linear import solve
from gdtutorial.matrices import poisson_2d, random_matrix, random_spd
from gdtutorial.result import Result, SVDResult
from gdtutorial.svd import svd

__all__ = [
    "CASES",
    "Case",
    "ProgressBar",
    "Row",
    "environment",
    "format_table",
    "main",
    "run_benchmark",
    "write_table",
]


@dataclass(frozen=True)
class Case:
    """One benchmark problem and the target our solver should meet on it.

    Attributes
    ----------
    name : str
        Short name, used by ``--cases``.
    kind : str
        ``"solve"``, ``"inverse"`` or ``"svd"``.
    n : int
        Size of the square matrix in a full run.
    quick_n : int
        Size with ``--quick`` (smoke tests; the targets are then not judged).
    cond : float
        Condition number of the matrix.
    max_ratio : float or None
        Target: our median time at most this many times the peer's; ``None``: the time is
        reported, not judged.
    max_iterations : int or None
        Target: at most this many iterations, if set.
    method : str or None
        The solver's ``method``; ``None`` means its default. A ``"cg-mixed"`` case needs
        float64 and is left out of float32 runs.
    peer : str
        What our solver is timed against (``Row.reference``).
    steps_within : float or None
        Target: our step count within this fraction of the peer's (``0.05``: ±5 %).
    max_step_ratio : float or None
        Target: our step count at most this fraction of the peer's.
    max_error : float or None
        Target: the error (``Row.error``) at most this; it then replaces the residual test.
    m : int or None
        Rows, for a matrix that is not square (``quick_m`` with ``--quick``).
    """

    name: str
    kind: str
    n: int
    quick_n: int
    cond: float
    max_ratio: float | None
    max_iterations: int | None = None
    method: str | None = None
    peer: str = "torch.linalg"
    steps_within: float | None = None
    max_step_ratio: float | None = None
    max_error: float | None = None
    m: int | None = None
    quick_m: int | None = None

    @property
    def target(self) -> str:
        """The target in words, e.g. ``"ratio <= 30, iterations <= 35"``."""
        parts = [] if self.max_ratio is None else [f"ratio <= {self.max_ratio:g}"]
        if self.max_iterations is not None:
            parts.append(f"iterations <= {self.max_iterations}")
        if self.steps_within is not None:
            parts.append(f"steps = peer's ±{self.steps_within:.0%}")
        if self.max_step_ratio is not None:
            parts.append(f"steps <= peer's/{1 / self.max_step_ratio:g}")
        if self.max_error is not None:
            parts.append(f"error <= {self.max_error:g}")
        return ", ".join(parts)

    @property
    def needs_scipy(self) -> bool:
        """Whether a peer of this case is SciPy's."""
        return self.peer.startswith("scipy")


#: The cases of issue 3, with its targets (float64, tolerance 1e-6). Each ``solve`` case runs
#: twice: with the default method ``cg``, and with ``cg-mixed`` (float32 steps inside float64
#: refinement), under the same target.
CASES: tuple[Case, ...] = (
    Case("solve-cond10", "solve", n=1024, quick_n=48, cond=10.0, max_ratio=2.0),
    Case(
        "solve-cond10-mixed",
        "solve",
        n=1024,
        quick_n=48,
        cond=10.0,
        max_ratio=2.0,
        method="cg-mixed",
    ),
    Case("solve-cond1e3", "solve", n=1024, quick_n=48, cond=1e3, max_ratio=100.0),
    Case(
        "solve-cond1e3-mixed",
        "solve",
        n=1024,
        quick_n=48,
        cond=1e3,
        max_ratio=100.0,
        method="cg-mixed",
    ),
    Case(
        "inverse-cond1e3", "inverse", n=256, quick_n=24, cond=1e3, max_ratio=30.0, max_iterations=35
    ),
    Case("svd-cond1e3", "svd", n=256, quick_n=16, cond=1e3, max_ratio=200.0),
    # issue 12: large, sparse, preconditioned, top-k. n is the grid side for Poisson (n² unknowns)
    Case(
        "poisson-200-superlu",
        "poisson",
        n=200,
        quick_n=10,
        cond=math.nan,
        max_ratio=1.0,
        peer="scipy.spsolve",
    ),
    Case(
        "poisson-200-cg",
        "poisson",
        n=200,
        quick_n=10,
        cond=math.nan,
        max_ratio=3.0,
        peer="scipy.cg",
        steps_within=0.05,
    ),
    Case(
        "spd-cond1e3",
        "spd",
        n=1024,
        quick_n=48,
        cond=1e3,
        max_ratio=None,
        peer="scipy.cg",
        steps_within=0.05,
    ),
    Case(
        "spd-badly-scaled-jacobi",
        "jacobi",
        n=1024,
        quick_n=48,
        cond=math.nan,
        max_ratio=None,
        peer="gdtutorial cg, no preconditioner",
        max_step_ratio=1 / 3,
    ),
    Case(
        "svd-top10",
        "topk",
        n=500,
        quick_n=60,
        m=2000,
        quick_m=200,
        cond=500.0,
        max_ratio=2.0,
        peer="torch.svd_lowrank",
        max_error=1e-8,
    ),
)
_CASES_BY_NAME = {case.name: case for case in CASES}


@dataclass(frozen=True)
class Row:
    """The measurements for one case (times in seconds)."""

    case: str
    method: str
    size: str
    cond: float
    dtype: str
    device: str
    tol: float
    status: str
    iterations: int
    residual: float
    error: float
    time: float
    reference_time: float
    ratio: float
    target: str
    met: bool | None
    reference: str = "torch.linalg"
    reference_iterations: int | None = None


# A run of our solver and of the reference on one problem, and the accuracy of our answer.
_Runner = Callable[[], Any]
_Accuracy = Callable[[Any, Any], tuple[float, float]]


class _Setup(NamedTuple):
    """One case, ready to run: our solver, the peer, how to judge our answer, and how many
    steps the peer took (for a peer that iterates; ``None`` otherwise)."""

    ours: _Runner
    reference: _Runner
    accuracy: _Accuracy
    reference_steps: Callable[[Any], int | None] = lambda answer: None
    size: str | None = None
    cond: float | None = None
    tol: float | None = None


def _scipy() -> Any:
    """``scipy.sparse`` and ``scipy.sparse.linalg``, with a clear error where SciPy is missing."""
    if importlib.util.find_spec("scipy") is None:
        raise RuntimeError(
            "Expected SciPy for the sparse cases (their peers are SciPy's solvers); install it "
            "with pip install 'gdtutorial[benchmark]', or pick cases with --cases"
        )
    import scipy.sparse
    import scipy.sparse.linalg

    return scipy.sparse, scipy.sparse.linalg


def _scipy_available() -> bool:
    return importlib.util.find_spec("scipy") is not None


def _norm(x: torch.Tensor) -> float:
    return float(torch.linalg.norm(x))


def _accurate(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float64 (float32 on MPS, which has none) for measuring errors."""
    return x.to(torch.float32 if x.device.type == "mps" else torch.float64)


def _solve_problem(
    case: Case,
    n: int,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator,
    tol: float,
) -> tuple[_Runner, _Runner, _Accuracy]:
    a = random_matrix(n, cond=case.cond, dtype=dtype, device=device, generator=generator)
    b = torch.randn(n, dtype=torch.float64, generator=generator).to(device=device, dtype=dtype)

    def accuracy(result: Any, reference: Any) -> tuple[float, float]:
        x, ref = _accurate(result.x), _accurate(reference)
        residual = _norm(_accurate(a) @ x - _accurate(b)) / _norm(_accurate(b))
        return residual, _norm(x - ref) / _norm(ref)

    def ours() -> Result:
        if case.method is None:  # solve's default method
            return solve(a, b, tol=tol)
        return solve(a, b, method=case.method, tol=tol)

    return ours, (lambda: torch.linalg.solve(a, b)), accuracy


def _inverse_problem(
    case: Case,
    n: int,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator,
    tol: float,
) -> tuple[_Runner, _Runner, _Accuracy]:
    m = random_matrix(n, cond=case.cond, dtype=dtype, device=device, generator=generator)

    def accuracy(result: Any, reference: Any) -> tuple[float, float]:
        x, ref = _accurate(result.x), _accurate(reference)
        eye = torch.eye(n, dtype=x.dtype, device=x.device)
        residual = _norm(x @ _accurate(m) - eye) / math.sqrt(n)
        return residual, _norm(x - ref) / _norm(ref)

    return (lambda: inverse(m, tol=tol)), (lambda: torch.linalg.inv(m)), accuracy


def _svd_problem(
    case: Case,
    n: int,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator,
    tol: float,
) -> tuple[_Runner, _Runner, _Accuracy]:
    m = random_matrix(n, cond=case.cond, dtype=dtype, device=device, generator=generator)
    seed = generator.initial_seed()

    def ours() -> SVDResult:
        # A fresh generator per run: every timed run starts from the same point.
        return svd(m, tol=tol, generator=torch.Generator().manual_seed(seed))

    def accuracy(result: Any, reference: Any) -> tuple[float, float]:
        u, s, vh = (_accurate(t) for t in (result.U, result.S, result.Vh))
        s_ref = _accurate(reference[1])
        eye = torch.eye(s.numel(), dtype=s.dtype, device=s.device)
        residual = max(
            _norm((u * s) @ vh - _accurate(m)) / _norm(_accurate(m)),
            _norm(u.mT @ u - eye),
            _norm(vh @ vh.mT - eye),
        )
        return residual, _norm(s - s_ref) / _norm(s_ref)

    return ours, (lambda: torch.linalg.svd(m, full_matrices=False)), accuracy


def _to_scipy_csr(A: torch.Tensor) -> Any:
    sparse, _ = _scipy()
    crow, col = A.crow_indices().cpu().numpy(), A.col_indices().cpu().numpy()
    return sparse.csr_matrix((A.values().cpu().numpy(), col, crow), shape=tuple(A.shape))


def _scipy_cg(A: Any, b: Any, tol: float) -> Callable[[], tuple[Any, int]]:
    """SciPy's CG on ``A x = b`` with ``rtol=tol``: returns ``(x, steps)``."""
    _, linalg = _scipy()

    def run() -> tuple[Any, int]:
        steps = [0]

        def count(_: Any) -> None:
            steps[0] += 1

        x, _info = linalg.cg(A, b, rtol=tol, atol=0.0, maxiter=10 * b.shape[0], callback=count)
        return x, steps[0]

    return run


def _residual_and_error(A: Any, b: torch.Tensor, x: torch.Tensor, ref: torch.Tensor) -> Any:
    r = _accurate(A @ x) - _accurate(b)
    return _norm(r) / _norm(_accurate(b)), _norm(_accurate(x) - _accurate(ref)) / _norm(
        _accurate(ref)
    )


def _poisson_problem(
    case: Case,
    n: int,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator,
    tol: float,
) -> _Setup:
    A = poisson_2d(n, dtype=dtype, device=device)
    b = torch.randn(n * n, dtype=torch.float64, generator=generator).to(device=device, dtype=dtype)
    angles = torch.tensor([1.0, float(n)], dtype=torch.float64) * math.pi / (n + 1)
    low, high = (4 - 4 * torch.cos(angles)).tolist()  # the extreme eigenvalues
    A_scipy, b_numpy = _to_scipy_csr(A), b.cpu().numpy()
    _, linalg = _scipy()
    if case.peer == "scipy.spsolve":
        A_csc = A_scipy.tocsc()

        def reference() -> Any:  # SuperLU, also where scikit-umfpack would be picked
            return linalg.spsolve(A_csc, b_numpy, use_umfpack=False)

        steps: Callable[[Any], int | None] = lambda answer: None  # noqa: E731
        answer_of: Callable[[Any], Any] = lambda answer: answer  # noqa: E731
    else:
        reference = _scipy_cg(A_scipy, b_numpy, tol)
        steps = lambda answer: answer[1]  # noqa: E731
        answer_of = lambda answer: answer[0]  # noqa: E731

    def accuracy(result: Any, answer: Any) -> tuple[float, float]:
        ref = torch.from_numpy(answer_of(answer)).to(device)
        return _residual_and_error(A, b, result.x, ref)

    return _Setup(
        lambda: solve(A, b, tol=tol),
        reference,
        accuracy,
        steps,
        size=f"{n * n}x{n * n}",
        cond=high / low,
    )


def _spd_problem(
    case: Case,
    n: int,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator,
    tol: float,
) -> _Setup:
    A = random_spd(n, cond=case.cond, dtype=dtype, device=device, generator=generator)
    b = torch.randn(n, dtype=torch.float64, generator=generator).to(device=device, dtype=dtype)
    reference = _scipy_cg(A.cpu().numpy(), b.cpu().numpy(), tol)

    def accuracy(result: Any, answer: Any) -> tuple[float, float]:
        return _residual_and_error(A, b, result.x, torch.from_numpy(answer[0]).to(device))

    return _Setup(lambda: solve(A, b, tol=tol), reference, accuracy, lambda answer: answer[1])


def _jacobi_problem(
    case: Case,
    n: int,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator,
    tol: float,
) -> _Setup:
    # D S D: S well conditioned, D² spanning 4 orders of magnitude
    S = random_spd(n, cond=10.0, dtype=torch.float64, generator=generator)
    d = torch.logspace(0, 2, n, dtype=torch.float64)
    A = ((d[:, None] * S) * d[None, :]).to(device=device, dtype=dtype)
    b = torch.randn(n, dtype=torch.float64, generator=generator).to(device=device, dtype=dtype)

    def accuracy(result: Any, answer: Any) -> tuple[float, float]:
        return _residual_and_error(A, b, result.x, answer.x)

    return _Setup(
        lambda: solve(A, b, tol=tol, preconditioner="jacobi"),
        lambda: solve(A, b, tol=tol),
        accuracy,
        lambda answer: int(answer.nit),
        cond=float(torch.linalg.cond(A.double()).item()),
    )


#: Settings tried for the top-k SVD: the cheapest one of each that reaches the target error.
_TOPK_TOLS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
_TOPK_NITER = tuple(range(1, 16))


def _topk_problem(
    case: Case,
    n: int,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator,
    tol: float,
) -> _Setup:
    # Note [top-k at the same accuracy]
    # "Same accuracy" is decided the same way for both: ours with the largest tol, and
    # torch.svd_lowrank (q = k + 10 vectors, the same block as ours) with the fewest power
    # iterations, whose singular values all reach case.max_error (tried once, untimed).
    m = (case.quick_m if case.quick_n == n else case.m) or n
    k, q = 10, 20
    singular_values = 1 / torch.arange(1, n + 1, dtype=torch.float64)
    M = random_matrix(m, n, singular_values=singular_values.tolist(), generator=generator)
    M = M.to(device=device, dtype=dtype)
    top = singular_values[:k]
    target = case.max_error or 1e-8
    seed = generator.initial_seed()

    def error(S: torch.Tensor) -> float:
        return float(((S[:k].cpu().double() - top).abs() / top).max().item())

    def ours_at(tol: float) -> SVDResult:
        return svd(M, k=k, tol=tol, generator=torch.Generator().manual_seed(seed))

    def lowrank_at(niter: int) -> Any:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return torch.svd_lowrank(M, q=q, niter=niter)

    chosen_tol = next((t for t in _TOPK_TOLS if error(ours_at(t).S) <= target), _TOPK_TOLS[-1])
    niter = next((i for i in _TOPK_NITER if error(lowrank_at(i)[1]) <= target), _TOPK_NITER[-1])

    def accuracy(result: Any, answer: Any) -> tuple[float, float]:
        return float(result.residual), error(result.S)

    return _Setup(
        lambda: ours_at(chosen_tol),
        lambda: lowrank_at(niter),
        accuracy,
        lambda answer: niter,
        size=f"{m}x{n}",
        tol=chosen_tol,
    )


def _legacy(problem: Callable[..., tuple[_Runner, _Runner, _Accuracy]]) -> Callable[..., _Setup]:
    def setup(*args: Any) -> _Setup:
        return _Setup(*problem(*args))

    return setup


_PROBLEMS: dict[str, Callable[..., _Setup]] = {
    "solve": _legacy(_solve_problem),
    "inverse": _legacy(_inverse_problem),
    "svd": _legacy(_svd_problem),
    "poisson": _poisson_problem,
    "spd": _spd_problem,
    "jacobi": _jacobi_problem,
    "topk": _topk_problem,
}


class ProgressBar:
    """A one-line progress bar, redrawn in place; silent unless the stream is a terminal.

    Parameters
    ----------
    total : int
        Number of steps.
    stream : file-like, optional
        Where to draw; :data:`sys.stderr` by default.
    enabled : bool, optional
        Force the bar on or off; by default it is on only if ``stream.isatty()``.
    width : int, optional
        Width of the bar in characters.

    Examples
    --------
    >>> import io
    >>> from gdtutorial.benchmark import ProgressBar
    >>> out = io.StringIO()
    >>> bar = ProgressBar(2, stream=out, enabled=True, width=4)
    >>> bar.start("solve"); bar.advance(); bar.advance(); bar.close()
    >>> out.getvalue().split("\\r")[-1].strip()
    '[####] 2/2'
    """

    def __init__(
        self,
        total: int,
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        width: int = 24,
    ) -> None:
        self.total = max(total, 1)
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.width = width
        self.done = 0
        self._last = 0

    def _draw(self, label: str) -> None:
        if not self.enabled:
            return
        filled = round(self.width * self.done / self.total)
        line = f"[{'#' * filled}{'-' * (self.width - filled)}] {self.done}/{self.total} {label}"
        padding = " " * max(self._last - len(line), 0)
        self._last = len(line)
        self.stream.write(f"\r{line}{padding}")
        self.stream.flush()

    def start(self, label: str) -> None:
        """Show that the step ``label`` is running."""
        self._draw(label)

    def advance(self, label: str = "") -> None:
        """Count one step as done."""
        self.done = min(self.done + 1, self.total)
        self._draw(label)

    def close(self) -> None:
        """End the line so that later output starts on a fresh one."""
        if self.enabled:
            self._draw("")
            self.stream.write("\n")
            self.stream.flush()


#: Each round times the reference for at least this long (it is often far below a millisecond).
_REFERENCE_MIN_TIME = 0.05


def _runs_in(case: Case, dtype: torch.dtype) -> bool:
    return case.method != "cg-mixed" or dtype == torch.float64


def _default_tol(dtype: torch.dtype) -> float:
    return 1e-6 if dtype == torch.float64 else 1e-4


def run_benchmark(
    cases: Sequence[str] | None = None,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
    repeat: int = 3,
    quick: bool = False,
    seed: int = 0,
    progress: ProgressBar | None = None,
) -> list[Row]:
    """Run the benchmark cases and return one :class:`Row` per case.

    Parameters
    ----------
    cases : sequence of str, optional
        Names from :data:`CASES`; by default all of them (for float32, all but the
        ``cg-mixed`` ones).
    device : str or torch.device, optional
        Where to run; :func:`gdtutorial.devices.default_device` by default.
    dtype : torch.dtype, optional
        ``torch.float64`` (tolerance 1e-6, the issue's setting) or
        ``torch.float32`` (tolerance 1e-4).
    repeat : int, optional
        Timed rounds, after one untimed warm-up run of both whose answers are
        the ones checked for accuracy.  A round times one run of our solver,
        then the median of at least 3 runs (and 50 ms) of the reference; the
        reported times are the medians over the rounds.
    quick : bool, optional
        Use each case's small ``quick_n`` size; targets are then not judged
        (``Row.met`` is ``None``), since tiny problems time mostly overhead.
    seed : int, optional
        Seed of the generator the matrices are drawn from.
    progress : ProgressBar, optional
        Advanced ``repeat + 1`` times per case (warm-up, then each round).

    Returns
    -------
    list of Row
        ``Row.met`` is true when the solver reports success, the residual
        recomputed here is at most ``2·tol``, and the case's ratio (and
        iteration) targets hold.

    Raises
    ------
    TypeError
        For a ``progress`` that is not a :class:`ProgressBar`.
    ValueError
        For an unknown case name, an unsupported dtype, ``repeat < 1`` or ``seed < 0``.

    Examples
    --------
    >>> from gdtutorial.benchmark import run_benchmark
    >>> rows = run_benchmark(["inverse-cond1e3"], device="cpu", repeat=1, quick=True)
    >>> rows[0].case, rows[0].size, rows[0].met
    ('inverse-cond1e3', '24x24', None)
    """
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"Expected dtype torch.float32 or torch.float64, got {dtype}")
    if cases is None:
        names = [case.name for case in CASES if _runs_in(case, dtype) and _available(case)]
    else:
        names = list(cases)
    unknown = [name for name in names if name not in _CASES_BY_NAME]
    if unknown:
        raise ValueError(f"Expected case names from {sorted(_CASES_BY_NAME)}, got {unknown}")
    if any(_CASES_BY_NAME[name].needs_scipy for name in names):
        _scipy()  # a clear error now, not halfway through the run
    float64_only = [name for name in names if not _runs_in(_CASES_BY_NAME[name], dtype)]
    if float64_only:
        raise ValueError(
            f"Expected cases that run in {str(dtype).removeprefix('torch.')}, got "
            f"{float64_only} (method 'cg-mixed' needs float64)"
        )
    if progress is not None and not isinstance(progress, ProgressBar):
        raise TypeError(f"Expected progress to be a ProgressBar or None, got {progress!r}")
    for name, value, low in (("repeat", repeat, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"Expected {name} to be an int >= {low}, got {value!r}")
    target = default_device() if device is None else torch.device(device)
    tol = _default_tol(dtype)
    rows = []
    for name in names:
        case = _CASES_BY_NAME[name]
        n = case.quick_n if quick else case.n
        generator = torch.Generator().manual_seed(seed)
        setup = _PROBLEMS[case.kind](case, n, dtype, target, generator, tol)
        ours, reference, accuracy = setup.ours, setup.reference, setup.accuracy
        case_tol = setup.tol or tol

        # Note [Interleaved timing]
        # On a shared machine the load changes over seconds. Timing all our runs and then all
        # of torch.linalg's would let a burst of load land on one side only, so the rounds
        # alternate: one run of ours, then a median of several of the (much quicker) reference.
        if progress is not None:
            progress.start(f"{case.name}: warm-up")
        result, answer = ours(), reference()  # also the answers checked for accuracy
        if progress is not None:
            progress.advance()
        ours_times, reference_times = [], []
        for round_number in range(1, repeat + 1):
            if progress is not None:
                progress.start(f"{case.name}: round {round_number}/{repeat}")
            ours_times.append(time_median(ours, device=target, warmup=0, repeat=1).median)
            reference_times.append(
                time_median(
                    reference, device=target, warmup=0, repeat=3, min_time=_REFERENCE_MIN_TIME
                ).median
            )
            if progress is not None:
                progress.advance()
        timing = Timing(times=tuple(ours_times), device=str(target))
        reference_timing = Timing(times=tuple(reference_times), device=str(target))

        residual, error = accuracy(result, answer)
        ratio = timing.median / reference_timing.median
        iterations = int(result.nit)
        peer_steps = setup.reference_steps(answer)
        met = None
        if not quick:
            met = _met(case, result, residual, error, ratio, iterations, peer_steps, case_tol)
        rows.append(
            Row(
                case=case.name,
                method=str(result.method),
                size=setup.size or f"{n}x{n}",
                cond=case.cond if setup.cond is None else setup.cond,
                dtype=str(dtype).removeprefix("torch."),
                device=str(target),
                tol=case_tol,
                status=str(result.status),
                iterations=iterations,
                residual=residual,
                error=error,
                time=timing.median,
                reference_time=reference_timing.median,
                ratio=ratio,
                target=case.target,
                met=met,
                reference=case.peer,
                reference_iterations=peer_steps,
            )
        )
    return rows


def _met(
    case: Case,
    result: Any,
    residual: float,
    error: float,
    ratio: float,
    iterations: int,
    peer_steps: int | None,
    tol: float,
) -> bool:
    """Whether the row meets its case's targets (and the answer is right)."""
    # The recomputed residual may differ a little from the solver's own (the SVD's stopping
    # rule measures ‖MV − US‖, not the reconstruction), hence the factor 2.
    accurate = error <= case.max_error if case.max_error is not None else residual <= 2 * tol
    checks = [bool(result.success), accurate]
    if case.max_ratio is not None:
        checks.append(ratio <= case.max_ratio)
    if case.max_iterations is not None:
        checks.append(iterations <= case.max_iterations)
    if case.steps_within is not None:
        checks.append(
            peer_steps is not None
            and abs(iterations - peer_steps) <= case.steps_within * peer_steps
        )
    if case.max_step_ratio is not None:
        checks.append(peer_steps is not None and iterations <= case.max_step_ratio * peer_steps)
    return all(checks)


def _available(case: Case) -> bool:
    return not case.needs_scipy or _scipy_available()


_HEADERS = (
    ("case", "case"),
    ("method", "method"),
    ("size", "size"),
    ("status", "status"),
    ("iterations", "iters"),
    ("residual", "residual"),
    ("error", "error"),
    ("time", "time"),
    ("reference", "peer"),
    ("reference_iterations", "peer iters"),
    ("reference_time", "peer time"),
    ("ratio", "ratio"),
    ("target", "target"),
    ("met", "met"),
)


def _cell(key: str, row: Row) -> str:
    value = getattr(row, key)
    if key in ("residual", "error"):
        return f"{value:.1e}"
    if key in ("time", "reference_time"):
        return format_seconds(value)
    if key == "ratio":
        return f"{value:.0f}x" if value >= 100 else f"{value:.3g}x"
    if key == "met":
        return "n/a" if value is None else ("yes" if value else "NO")
    if key == "reference_iterations":
        return "-" if value is None else str(value)
    return str(value)


def format_table(rows: Sequence[Row], *, markdown: bool = False) -> str:
    """The rows as an aligned plain-text table, or as a Markdown table.

    Examples
    --------
    >>> from gdtutorial.benchmark import Row, format_table
    >>> row = Row("svd-cond1e3", "orthogonal-iteration", "256x256", 1e3, "float64", "cpu",
    ...           1e-6, "converged", 42, 3e-7, 1e-9, 0.5, 0.01, 50.0, "ratio <= 200", True)
    >>> print(format_table([row]).splitlines()[2])  # doctest: +NORMALIZE_WHITESPACE
    svd-cond1e3  orthogonal-iteration  256x256  converged  42  3.0e-07  1.0e-09  500 ms
    torch.linalg  -  10 ms  50x  ratio <= 200  yes
    """
    header = [title for _, title in _HEADERS]
    body = [[_cell(key, row) for key, _ in _HEADERS] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def environment(device: str | torch.device, argv: Sequence[str] | None = None) -> dict[str, str]:
    """Where and how the benchmark ran: written as the header of ``--output`` files.

    Examples
    --------
    >>> from gdtutorial.benchmark import environment
    >>> info = environment("cpu", ["--quick"])
    >>> info["device"], info["command"]
    ('cpu', 'python -m gdtutorial.benchmark --quick')
    >>> sorted(info)  # doctest: +NORMALIZE_WHITESPACE
    ['command', 'cpu', 'date', 'device', 'device_model', 'platform', 'python', 'threads',
     'torch']
    """
    target = torch.device(device)
    if target.type == "cuda":
        model = torch.cuda.get_device_name(target)
    elif target.type == "mps":
        model = "Apple GPU (MPS)"
    else:
        model = _cpu_model()
    args = sys.argv[1:] if argv is None else list(argv)
    return {
        "device": str(target),
        "device_model": model,
        "cpu": _cpu_model(),
        "threads": str(torch.get_num_threads()),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "gdtutorial.benchmark", *args]),
    }


_FORMATS = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown"}


def write_table(rows: Sequence[Row], path: str | Path, info: dict[str, str]) -> None:
    """Write the rows to ``path`` as CSV, JSON or Markdown, chosen by its suffix.

    The header records ``info`` (see :func:`environment`): as ``# key: value``
    comment lines in CSV, a ``"environment"`` object in JSON, a list in Markdown.

    Raises
    ------
    ValueError
        If the suffix is not ``.csv``, ``.json``, ``.md`` or ``.markdown``.
    """
    path = Path(path)
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"Expected an output file ending in {sorted(_FORMATS)}, got {str(path)!r}")
    if kind == "json":
        text = json.dumps({"environment": info, "rows": [asdict(r) for r in rows]}, indent=2) + "\n"
    elif kind == "csv":
        buffer = io.StringIO()
        buffer.writelines(f"# {key}: {value}\n" for key, value in info.items())
        writer = csv.DictWriter(
            buffer, fieldnames=[f.name for f in fields(Row)], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
        text = buffer.getvalue()
    else:
        lines = ["# gdtutorial benchmark", ""]
        lines += [f"- **{key}**: `{value}`" for key, value in info.items()]
        text = "\n".join([*lines, "", format_table(rows, markdown=True), ""])
    path.write_text(text, encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gdtutorial.benchmark",
        description="Time gdtutorial's solvers against torch.linalg on matrices of known "
        "condition number, and check the project's speed targets.",
    )
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps, ... (default: the fastest here)")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("--quick", action="store_true", help="small sizes, for smoke tests")
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=[c.name for c in CASES],
        metavar="CASE",
        help=f"cases to run (default: all): {', '.join(c.name for c in CASES)}",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the test matrices")
    parser.add_argument(
        "--output", metavar="FILE", help="also write the table to FILE (.csv, .json or .md)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="CPU threads for torch (default: torch's choice); 1 is steadier on a busy machine",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="run every case in this process (by default each case runs in a fresh one)",
    )
    parser.add_argument("--rows-json", action="store_true", help=argparse.SUPPRESS)
    return parser


def _check_device(name: str | None, parser: argparse.ArgumentParser) -> torch.device:
    if name is None:
        return default_device()
    try:
        device = torch.device(name)
    except RuntimeError:
        parser.error(f"Expected a device such as cpu or cuda, got {name!r}")
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
    }
    if not available.get(device.type, False):
        parser.error(f"Expected an available device, got {name!r} (it is not available here)")
    return device


def _run_in_child(name: str, args: argparse.Namespace, device: torch.device) -> list[Row]:
    """Run one case in a fresh Python process and read back its rows.

    Note [one process per case]
    Thread pools outlive the calls that made them. Measured on a 2-core machine: after
    SciPy's CG on a dense matrix (NumPy's OpenBLAS threads, beside torch's OpenMP ones), the
    top-10 SVD case ran 8 times slower, ours and torch.svd_lowrank alike, and their ratio
    moved from 1.4 to 2.6. Each case therefore runs in its own process, so that no case
    inherits the threads of another; within a case, ours and the peer alternate as before.
    """
    command = [
        sys.executable,
        "-m",
        "gdtutorial.benchmark",
        "--cases",
        name,
        "--device",
        str(device),
        "--dtype",
        args.dtype,
        "--repeat",
        str(args.repeat),
        "--seed",
        str(args.seed),
        "--one-process",
        "--no-progress",
        "--rows-json",
    ]
    if args.quick:
        command.append("--quick")
    if args.threads is not None:
        command += ["--threads", str(args.threads)]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"case {name} failed in its process: {child.stderr.strip()}")
    return [Row(**row) for row in json.loads(child.stdout.strip().splitlines()[-1])]


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: parse ``argv``, run, print the table, maybe write it.

    Returns 0 when the benchmark ran (targets missed or not); argument errors
    exit with status 2 and runtime errors return 1.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"Expected --repeat >= 1, got {args.repeat}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"Expected --threads >= 1, got {args.threads}")
    if args.output is not None and Path(args.output).suffix.lower() not in _FORMATS:
        parser.error(f"Expected --output to end in .csv, .json or .md, got {args.output!r}")
    device = _check_device(args.device, parser)
    command = sys.argv[1:] if argv is None else list(argv)
    threads = torch.get_num_threads()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        return _run(args, device, command)
    finally:
        torch.set_num_threads(threads)


def _run(args: argparse.Namespace, device: torch.device, command: list[str]) -> int:
    dtype = getattr(torch, args.dtype)
    names = args.cases or [
        case.name for case in CASES if _runs_in(case, dtype) and _available(case)
    ]
    if not args.cases and not _scipy_available():
        print(
            "note: SciPy is not installed, so the cases against SciPy's solvers are left out "
            "(pip install 'gdtutorial[benchmark]')",
            file=sys.stderr,
        )
    progress = ProgressBar(
        (args.repeat + 1) * len(names),
        enabled=False if args.no_progress or args.rows_json else None,
    )
    try:
        if args.one_process or len(names) == 1:
            rows = run_benchmark(
                names,
                device=device,
                dtype=dtype,
                repeat=args.repeat,
                quick=args.quick,
                seed=args.seed,
                progress=progress,
            )
        else:
            rows = []
            for name in names:
                progress.start(f"{name}: in a fresh process")
                rows.extend(_run_in_child(name, args, device))
                for _ in range(args.repeat + 1):
                    progress.advance()
    except (RuntimeError, ValueError, TypeError) as error:
        progress.close()
        print(f"error: {error}", file=sys.stderr)
        return 1
    progress.close()
    if args.rows_json:  # a child's answer to _run_in_child
        print(json.dumps([asdict(row) for row in rows]))
        return 0
    info = {
        **environment(device, command),
        "dtype": args.dtype,
        "repeat": f"{args.repeat} rounds (medians reported)",
    }
    print(
        f"gdtutorial benchmark on {info['device']} ({info['device_model']}), {args.dtype}, "
        f"torch {info['torch']}, {info['threads']} threads, median of {args.repeat} runs"
    )
    print(format_table(rows))
    judged = [row for row in rows if row.met is not None]
    if judged:
        missed = [row.case for row in judged if not row.met]
        print(
            f"targets met: {len(judged) - len(missed)}/{len(judged)}"
            + (f"; missed: {', '.join(missed)}" if missed else "")
        )
    else:
        print("targets not judged (--quick)")
    if args.output is not None:
        write_table(rows, args.output, info)
        print(f"table written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
