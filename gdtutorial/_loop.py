"""What every iterative solver shares: the stopping rules, the record of the run, the result.

A solver module writes its algorithm as a plain loop and hands each iterate to a
:class:`Tracker`, which

* records the loss (one float64 entry per iteration, after the starting point's),
* keeps the best iterate (the one with the smallest residual; where the residuals are
  estimates, the best of the candidates by their true residual, see ``verify``),
* decides the status: ``"converged"`` when the residual is at or below ``tol``, ``"diverged"``
  when the residual is not finite (or the loss is NaN) or the residual has grown by a factor of
  ``EXPLOSION``, ``"stalled"`` when the best residual has not fallen by 1 % in ``stall_window``
  iterations, ``"callback"`` when the callback returns ``True``,
* and builds the :class:`~gdtutorial.result.Result`, whose message is the standard one
  followed by the solver's advice for that status.

It also holds the spectrum estimates the solvers use to pick step sizes.

Examples
--------
Gradient descent on f(x) = x²/2, written with a tracker:

>>> import torch
>>> x = torch.tensor([1.0], dtype=torch.float64)
>>> tracker = Tracker(method="gd", tol=1e-6, max_iter=100, callback=None)
>>> status = tracker.start(x, loss=0.5 * x.square().sum(), residual=x.abs().max())
>>> for nit in range(1, tracker.max_iter + 1):
...     x = x - 0.5 * x
...     status = tracker.step(x, loss=0.5 * x.square().sum(), residual=x.abs().max())
...     if status is not None:
...         break
>>> result = tracker.result(status)
>>> result.status, result.nit, len(result.loss_history)
('converged', 20, 21)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from .result import STATUS_MESSAGES, Result

__all__ = [
    "EXPLOSION",
    "Tracker",
    "binary_exponent",
    "binary_scale",
    "default_tol",
    "estimate_curvature",
    "estimate_lambda_max",
    "estimate_lambda_min",
    "safe_norm",
    "times_power_of_two",
]

EXPLOSION = 1e6
"""Factor by which the residual may grow over the starting one before a run counts as diverged."""

_IMPROVEMENT = 0.99  # the best residual must fall below 0.99 × its old value to count as progress


def default_tol(dtype: torch.dtype) -> float:
    """The default tolerance: 1e-6 for float64, 1e-4 for float32 (and lower precisions).

    Examples
    --------
    >>> import torch
    >>> default_tol(torch.float64), default_tol(torch.float32)
    (1e-06, 0.0001)
    """
    return 1e-6 if dtype == torch.float64 else 1e-4


def _as_float(value: torch.Tensor | float) -> float:
    return float(value.item()) if isinstance(value, torch.Tensor) else float(value)


class Tracker:
    """Stopping rules and bookkeeping for one run of an iterative solver.

    Parameters
    ----------
    method : str
        The method's name, copied into the result.
    tol : float
        The run has converged when the residual is at or below ``tol``.
    max_iter : int
        The iteration budget (the solver's loop runs ``range(1, max_iter + 1)``).
    callback : callable or None
        Called with the result so far after each iteration that did not diverge (the last,
        converged one included); returning ``True`` stops the run.
    advice : mapping or callable, optional
        Text appended to the standard message of a status, e.g. what step size to try: a
        mapping from status to text (or to a function returning it), or a function
        ``advice(status) -> str | None``; called only when the run ends with that status.
    stall_window : int, optional
        Iterations without 1 % progress of the best residual after which the run has stalled;
        ``None`` never stalls.
    build : callable, optional
        ``build(state, **fields) -> Result``: turns an iterate (any object) and the result's
        fields into a result. By default ``Result(x=state, **fields)``.
    verify : callable, optional
        ``verify(state) -> float``: the true residual of an iterate. Solvers whose recorded
        residuals are estimates (``step(..., exact=False)``) set it, so that a run that does
        not converge returns the truly best of its candidates with a true residual.
    """

    def __init__(
        self,
        *,
        method: str,
        tol: float,
        max_iter: int,
        callback: Callable[[Any], Any] | None,
        advice: Mapping[str, str | Callable[[], str]] | Callable[[str], str | None] | None = None,
        stall_window: int | None = None,
        build: Callable[..., Result] | None = None,
        verify: Callable[[Any], float] | None = None,
    ) -> None:
        self.method = method
        self.tol = tol
        self.max_iter = max_iter
        self.callback = callback
        self.advice = advice if callable(advice) else dict(advice or {})
        self.stall_window = stall_window
        self.build: Callable[..., Result] = build or (
            lambda state, **fields: Result(x=state, **fields)
        )
        self.verify = verify
        self.losses: list[float] = []
        self.nit = 0
        self.state: Any = None
        self.residual = math.inf
        self.exact = True
        self.best_state: Any = None
        self.best_residual = math.inf
        self.best_exact = True
        self.best_exact_state: Any = None
        self.best_exact_residual = math.inf
        self._first_residual = math.inf
        self._progress_residual = math.inf
        self._progress_nit = 0

    def start(
        self,
        state: Any,
        *,
        loss: torch.Tensor | float,
        residual: torch.Tensor | float,
        exact: bool = True,
    ) -> str | None:
        """Record the starting point; returns ``"converged"`` if it already meets ``tol``."""
        status = self._record(state, loss, residual, exact)
        self._first_residual = self.residual
        return status

    def step(
        self,
        state: Any,
        *,
        loss: torch.Tensor | float,
        residual: torch.Tensor | float,
        exact: bool = True,
    ) -> str | None:
        """Record one iteration; returns the status if the run must stop, else ``None``.

        ``exact=False`` marks ``residual`` as an estimate (e.g. from a recurrence); a solver
        must not pass an estimate at or below ``tol``. ``state`` must not be modified in place
        afterwards: the tracker may keep it as the best iterate.
        """
        self.nit += 1
        status = self._record(state, loss, residual, exact)
        if status is None and self.stall_window is not None:
            if self.nit - self._progress_nit >= self.stall_window:
                status = "stalled"
        if status in (None, "converged") and self.callback is not None:
            if self.callback(self.result_so_far()) and status is None:
                status = "callback"
        return status

    def _record(
        self, state: Any, loss: torch.Tensor | float, residual: torch.Tensor | float, exact: bool
    ) -> str | None:
        if isinstance(loss, torch.Tensor) and isinstance(residual, torch.Tensor):
            # one device synchronisation per iteration, not two
            loss_value, residual_value = torch.stack(
                [
                    loss.detach().reshape(()).to(torch.float64),
                    residual.detach().reshape(()).to(torch.float64),
                ]
            ).tolist()
        else:
            loss_value, residual_value = _as_float(loss), _as_float(residual)
        self.losses.append(loss_value)
        self.state, self.residual, self.exact = state, residual_value, exact
        # an infinite loss with a finite residual is a huge b, not a divergence
        if math.isnan(loss_value) or not math.isfinite(residual_value):
            return "diverged"
        if residual_value < self.best_residual:
            self.best_state, self.best_residual, self.best_exact = state, residual_value, exact
        if exact and residual_value < self.best_exact_residual:
            self.best_exact_state, self.best_exact_residual = state, residual_value
        if residual_value < _IMPROVEMENT * self._progress_residual:
            self._progress_residual, self._progress_nit = residual_value, self.nit
        if residual_value <= self.tol:
            return "converged"
        if residual_value > EXPLOSION * max(self._first_residual, 1.0):
            return "diverged"
        return None

    @property
    def progress_nit(self) -> int:
        """The iteration at which the best residual last fell by 1 %."""
        return self._progress_nit

    def _fields(self, status: str, message: str, residual: float) -> dict[str, Any]:
        return {
            "success": status == "converged",
            "status": status,
            "message": message,
            "nit": self.nit,
            "residual": residual,
            "loss_history": torch.tensor(self.losses, dtype=torch.float64),
            "method": self.method,
        }

    def result_so_far(self) -> Result:
        """The current iterate as a result: status ``"converged"`` if it meets ``tol``, else
        ``"max_iter"`` (as if the run stopped here)."""
        if self.residual <= self.tol:
            return self.build(
                self.state,
                **self._fields("converged", STATUS_MESSAGES["converged"], self.residual),
            )
        message = f"In progress: iteration {self.nit} of at most {self.max_iter}."
        return self.build(self.state, **self._fields("max_iter", message, self.residual))

    def result(self, status: str | None) -> Result:
        """The final result; ``status=None`` means the loop ran out of iterations.

        On success the last iterate is returned; otherwise the best one.
        """
        status = status or "max_iter"
        message = STATUS_MESSAGES[status]
        advice = self.advice(status) if callable(self.advice) else self.advice.get(status)
        if callable(advice):
            advice = advice()
        if advice:
            message = f"{message} {advice}"
        if status == "converged":
            return self.build(self.state, **self._fields(status, message, self.residual))
        state, residual = self._best()
        return self.build(state, **self._fields(status, message, residual))

    def _best(self) -> tuple[Any, float]:
        """The best iterate and its residual; with ``verify``, judged by true residuals."""
        if self.best_state is None:  # nothing finite was ever seen
            return self.state, self.residual
        if self.verify is None:
            return self.best_state, self.best_residual
        candidates = []
        if self.best_exact_state is not None:
            candidates.append((self.best_exact_residual, self.best_exact_state))
        for state, residual, exact in (
            (self.best_state, self.best_residual, self.best_exact),
            (self.state, self.residual, self.exact),
        ):
            if not exact and math.isfinite(residual):
                candidates.append((self.verify(state), state))
        finite = [c for c in candidates if math.isfinite(c[0])]
        if not finite:
            return self.best_state, self.best_residual
        residual, state = min(finite, key=lambda c: c[0])
        return state, residual


def binary_scale(A: Any) -> int:
    """An exponent ``e`` such that ``A·2^-e`` has its largest entry in ``[1, 2)``, or 0 when
    it is already within ``[2^-16, 2^16]`` (or ``A`` is 0). For an operator (see
    :mod:`gdtutorial.operators`) the size of its entries is its ``magnitude()``.

    Scaling by a power of two is exact. Methods that form squares of ``A``'s size (``AᵀA``
    products, ``‖Av‖²``) use it to keep them inside the dtype's range. ``e`` is clamped so
    that ``2^e`` and ``2^-e`` are finite in ``A``'s dtype.

    Examples
    --------
    >>> import torch
    >>> binary_scale(torch.tensor([[3.0, 1e30]])), binary_scale(torch.tensor([[3.0, 1.0]]))
    (99, 0)
    """
    if not isinstance(A, torch.Tensor):  # an operator: its own estimate of its entries' size
        return binary_exponent(A.magnitude(), A.dtype)
    return binary_exponent(float(torch.linalg.vector_norm(A, ord=math.inf).item()), A.dtype)


def binary_exponent(size: float, dtype: torch.dtype) -> int:
    """The exponent :func:`binary_scale` picks for a tensor whose entries have this size.

    Examples
    --------
    >>> import torch
    >>> binary_exponent(1e30, torch.float32), binary_exponent(0.5, torch.float32)
    (99, 0)
    """
    if size == 0 or not math.isfinite(size) or 2**-16 <= size <= 2**16:
        return 0
    info = torch.finfo(dtype)
    low, high = math.frexp(info.tiny)[1] - 1, math.frexp(info.max)[1] - 1  # float64: ±1022, 1023
    return min(max(math.frexp(size)[1] - 1, low), high)


def safe_norm(T: torch.Tensor) -> float:
    """The Frobenius norm of ``T`` as a float, also where the squares of its entries would
    leave the dtype's range (there it is computed as ``a·‖T/a‖`` with ``a = max|T|``).

    Examples
    --------
    >>> import torch
    >>> T = torch.tensor([3e-30, 4e-30])
    >>> float(T.norm()), round(safe_norm(T) / 1e-30, 6)
    (0.0, 5.0)
    """
    value = float(torch.linalg.vector_norm(T).item())
    info = torch.finfo(T.dtype)
    if info.tiny**0.5 * 2**16 < value < info.max**0.5 * 2**-16:
        return value
    largest = float(T.abs().max().item()) if T.numel() else 0.0
    if largest == 0 or not math.isfinite(largest):
        return largest
    return largest * float(torch.linalg.vector_norm(T / largest).item())


def times_power_of_two(T: torch.Tensor, exponent: int) -> torch.Tensor:
    """``T·2^exponent``, exact where it stays in range (inf where it overflows), for any
    exponent, also one whose power of two alone is not a finite number of ``T``'s dtype.

    Examples
    --------
    >>> import torch
    >>> tiny = torch.tensor([2.0**-1074], dtype=torch.float64)  # 2^1100 is not a float64
    >>> times_power_of_two(tiny, 1100).item() == 2.0**26
    True
    """
    if exponent == 0:
        return T
    info = torch.finfo(T.dtype)
    step = math.frexp(info.max)[1] - 2  # 2^±step is finite and normal in the dtype
    while exponent != 0:
        chunk = max(-step, min(step, exponent))
        T = T * 2.0**chunk
        exponent -= chunk
    return T


def _times_power_of_two(value: float, exponent: int) -> float:
    """``value·2^exponent``, infinite (with ``value``'s sign) where that overflows."""
    try:
        return math.ldexp(value, exponent)
    except OverflowError:
        return math.copysign(math.inf, value)


def _start_vector(n: int, like: torch.Tensor) -> torch.Tensor:
    # a fixed pseudo-random start, so estimates are reproducible and the global RNG untouched
    generator = torch.Generator().manual_seed(20200214)
    v = torch.randn(n, generator=generator, dtype=torch.float64)
    return (v / v.norm()).to(device=like.device, dtype=like.dtype)


def estimate_curvature(A: Any, *, safety: float) -> tuple[float, float] | None:
    """Bounds ``(L, μ)`` for step sizes on ``½‖Ax − b‖²``: ``L`` is ``safety`` times the
    power-iteration estimate of ``λ_max(AᵀA)``, ``μ`` the overestimate of ``λ_min(AᵀA)``.

    ``None`` when ``L`` is 0 or not a finite number: ``A = 0``, or the squares of its
    entries leave the dtype's range; no step size can then be derived.

    Examples
    --------
    >>> import torch
    >>> A = torch.diag(torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64))
    >>> L, mu = estimate_curvature(A, safety=1.0)
    >>> print(f"{L:.3f} {mu:.3f}")
    9.000 1.000
    >>> print(estimate_curvature(0 * A, safety=1.0))
    None
    """
    L = safety * estimate_lambda_max(A)
    if not 0 < L < math.inf:
        return None
    return L, estimate_lambda_min(A, L)


def estimate_lambda_max(A: Any, *, iters: int = 30) -> float:
    """Estimate the largest eigenvalue of ``Aᵀ A`` (that is, σ_max(A)²) by power iteration.

    The Rayleigh quotient of power iteration approaches λ_max from below; callers add a safety
    margin.

    Examples
    --------
    >>> import torch
    >>> A = torch.diag(torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64))
    >>> print(f"{estimate_lambda_max(A):.4f}")
    9.0000
    """
    shift = binary_scale(A)  # the iteration runs on A·2^-shift, whose squares cannot overflow
    if shift:
        A = A * 2.0**-shift
    v = _start_vector(A.shape[1], A)
    estimate = torch.zeros((), dtype=A.dtype, device=A.device)
    for _ in range(iters):
        w = A.mT @ (A @ v)
        estimate = v @ w
        norm = w.norm()
        if norm == 0:
            return 0.0
        v = w / norm
    return _times_power_of_two(float(estimate.item()), 2 * shift)


def estimate_lambda_min(A: Any, lambda_max: float, *, iters: int = 30) -> float:
    """Estimate the smallest eigenvalue of ``Aᵀ A`` by power iteration on ``λ_max·I − AᵀA``.

    Power iteration underestimates the top eigenvalue of the shifted matrix, so the result is
    an *overestimate* of λ_min (never below 0): the safe side for the step sizes built from it.

    Examples
    --------
    >>> import torch
    >>> A = torch.diag(torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64))
    >>> print(f"{estimate_lambda_min(A, 9.0):.3f}")
    1.000
    """
    shift = binary_scale(A)  # as in estimate_lambda_max
    if shift:
        A = A * 2.0**-shift
    top = _times_power_of_two(lambda_max, -2 * shift)
    v = _start_vector(A.shape[1], A)
    estimate = torch.zeros((), dtype=A.dtype, device=A.device)
    for _ in range(iters):
        w = top * v - A.mT @ (A @ v)
        estimate = v @ w
        norm = w.norm()
        if norm == 0:
            return lambda_max
        v = w / norm
    lowest = _times_power_of_two(top - float(estimate.item()), 2 * shift)
    return min(max(lowest, 0.0), lambda_max)
