"""The one result type every solver returns, its status names and their standard messages.

Every solver in :mod:`gdtutorial` returns a :class:`Result` (the SVD a :class:`SVDResult`).
Running out of iterations, diverging or stalling are *statuses*, never exceptions: errors are
raised for bad input only.

Examples
--------
>>> import torch
>>> from gdtutorial.result import STATUS_MESSAGES, Result
>>> r = Result(x=torch.zeros(2), success=True, status="converged",
...            message=STATUS_MESSAGES["converged"], nit=3, residual=1e-9,
...            loss_history=torch.tensor([1.0, 0.1, 0.01, 0.0], dtype=torch.float64),
...            method="gd")
>>> r.success, r.status, r.nit
(True, 'converged', 3)
>>> print(r.message)
The relative residual is at or below tol.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["STATUSES", "STATUS_MESSAGES", "Result", "SVDResult"]

# Note [status table]: the status names and their standard messages live here, once. Solvers
# may append advice that depends on the run (the step size, a safer step size), but the first
# sentence of every message is the one in this table, so readers can match on it.
STATUS_MESSAGES: dict[str, str] = {
    "converged": "The relative residual is at or below tol.",
    "max_iter": "The maximum number of iterations was reached before the residual reached tol.",
    "diverged": "The loss became non-finite or exploded.",
    "stalled": "The residual stopped decreasing before it reached tol.",
    "callback": "The callback asked to stop.",
    "breakdown": "The method broke down: the problem lacks a property the method needs.",
}
STATUSES: tuple[str, ...] = tuple(STATUS_MESSAGES)


@dataclass(frozen=True)
class Result:
    """What a solver found, and how it got there.

    Attributes
    ----------
    x : torch.Tensor
        The solution (on the input's device, with the input's dtype). On failure it is the best
        iterate found: the one with the smallest residual.
    success : bool
        ``True`` exactly when ``status == "converged"``.
    status : str
        One of ``"converged"``, ``"max_iter"``, ``"diverged"``, ``"stalled"``, ``"callback"``,
        ``"breakdown"``.
    message : str
        The standard message of the status (see ``STATUS_MESSAGES``), followed, on failure, by
        what to try.
    nit : int
        The number of iterations performed.
    residual : float
        The final relative residual; each solver's docstring defines it.
    loss_history : torch.Tensor
        1-D float64 CPU tensor: the loss of the starting point, then one entry per iteration,
        so ``loss_history[k]`` is the loss after ``k`` iterations (``nit + 1`` entries).
    method : str
        The method's name, as passed to the solver.
    """

    x: torch.Tensor
    success: bool
    status: str
    message: str
    nit: int
    residual: float
    loss_history: torch.Tensor
    method: str

    def __post_init__(self) -> None:
        if self.status not in STATUS_MESSAGES:
            raise ValueError(f"Expected status in {list(STATUSES)}, got {self.status!r}")
        if self.success != (self.status == "converged"):
            raise ValueError(
                f"Expected success == (status == 'converged'), got success={self.success} "
                f"with status={self.status!r}"
            )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, success={self.success}, "
            f"nit={self.nit}, residual={self.residual:.3e}, method={self.method!r})"
        )


@dataclass(frozen=True, repr=False)
class SVDResult(Result):
    """A :class:`Result` for the SVD: ``M ≈ U @ diag(S) @ Vh``.

    Attributes
    ----------
    U : torch.Tensor
        ``(m, k)`` left singular vectors (orthonormal columns).
    S : torch.Tensor
        ``(k,)`` singular values, non-negative and in descending order.
    Vh : torch.Tensor
        ``(k, n)`` right singular vectors, as rows (orthonormal rows).

    ``x`` holds ``S`` as well, so code written for :class:`Result` keeps working.
    """

    U: torch.Tensor
    S: torch.Tensor
    Vh: torch.Tensor
