"""The inverse of a square matrix by gradient descent, Newton–Schulz and conjugate gradients.

The public function is :func:`inverse`. Every method drives ``X M`` towards the identity and
measures the same residual, ``‖X M − I‖_F / √n``.

Examples
--------
>>> import torch
>>> from gdtutorial.inverse import inverse
>>> M = torch.tensor([[2.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
>>> result = inverse(M)
>>> result.success, result.x.round(decimals=6).tolist()
(True, [[1.0, -1.0], [-1.0, 2.0]])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch

from ._checks import check_same_device, check_same_dtype, check_tensor
from ._loop import (
    Tracker,
    binary_scale,
    estimate_curvature,
    estimate_lambda_max,
    times_power_of_two,
)
from ._methods import Method, Methods
from .linear import _SAFETY, _conjugate_gradient, _ldexp, _System
from .result import Result

__all__ = ["inverse"]


def _mse_and_residual(R: torch.Tensor) -> tuple[float, float]:
    """``(mse(X M, I), ‖X M − I‖_F/√n)`` for ``R = X M − I``, with one synchronisation."""
    n = R.shape[0]
    square_sum = float(R.square().sum().item())
    return square_sum / n**2, math.sqrt(square_sum / n)


def _gradient_descent(
    M: torch.Tensor, X: torch.Tensor, tracker: Tracker, *, lr: float, momentum: float
) -> Result:
    """Minimise ``mse(X M, I) = ‖X M − I‖²_F / n²``; heavy ball when ``momentum > 0``.

    The gradient is ``(2/n²) (X M − I) Mᵀ``; the update ``v ← μ v + g``, ``X ← X − lr·v``.
    """
    n = M.shape[0]
    identity = torch.eye(n, dtype=M.dtype, device=M.device)
    R = X @ M - identity
    loss, residual = _mse_and_residual(R)
    status = tracker.start(X, loss=loss, residual=residual)
    velocity = torch.zeros_like(X)
    for _ in range(1, tracker.max_iter + 1):
        if status is not None:
            break
        gradient = (2 / n**2) * (R @ M.mT)
        velocity = momentum * velocity + gradient
        X = X - lr * velocity
        R = X @ M - identity
        loss, residual = _mse_and_residual(R)
        status = tracker.step(X, loss=loss, residual=residual)
    return tracker.result(status)


def _newton_schulz(
    M: torch.Tensor, X: torch.Tensor, tracker: Tracker, *, scaled: bool, upper: float
) -> Result:
    """Newton–Schulz, ``X ← X (2I − M X)``, optionally with Pan and Schreiber's scaling.

    Note [scaled Newton–Schulz]
    With the start ``X₀ = c Mᵀ`` every ``X_k M`` is a polynomial in ``MᵀM``: symmetric, with
    eigenvalues ``t`` in ``[l, u]``, ``0 < l``. The plain step maps ``t ↦ t(2 − t)``: near 0
    it only doubles ``t``, so ``log₂ κ²`` steps pass before the quadratic convergence starts.
    The scaled step ``X ← α X (2I − α M X)`` maps ``t ↦ αt(2 − αt)``; with ``α = 2/(l + u)``
    both ends of ``[l, u]`` land on the same value ``4lu/(l + u)²`` and the rest above it, so
    small eigenvalues grow about four-fold per step and about half the steps are saved. ``u``
    is 1 after the first step. ``l`` is the smallest eigenvalue of ``X_k M``, i.e. one minus the
    largest of ``I − X_k M``: we estimate it by power iteration, warm-started from step to step
    (the eigenvectors do not change), two power steps and a Rayleigh quotient, three
    matrix-vector products per step. The estimate errs
    high, which is the safe side: every ``t`` in ``(0, u]`` still maps into ``(0, 1]``.
    """
    n = M.shape[0]
    identity = torch.eye(n, dtype=M.dtype, device=M.device)
    floor = n * torch.finfo(M.dtype).eps  # no eigenvalue estimate below rounding level
    Q = X @ M
    loss, residual = _mse_and_residual(Q - identity)
    status = tracker.start(X, loss=loss, residual=residual)
    generator = torch.Generator().manual_seed(0)
    v = torch.randn(n, 1, generator=generator, dtype=torch.float64).to(M)
    for _ in range(1, tracker.max_iter + 1):
        if status is not None:
            break
        if scaled:
            R = identity - Q
            for _ in range(2):
                w = R @ v
                v = w / w.norm().clamp_min(torch.finfo(M.dtype).tiny)
            largest = (v.mT @ (R @ v)).reshape(())
            lower = (1 - largest).clamp(min=floor, max=1.0)
            alpha = 2 / (lower + upper)
            upper = 1.0
            X = 2 * alpha * X - alpha**2 * (Q @ X)
        else:
            X = 2 * X - Q @ X
        Q = X @ M
        loss, residual = _mse_and_residual(Q - identity)
        status = tracker.step(X, loss=loss, residual=residual)
    return tracker.result(status)


class _Problem:
    """``X M = I``, checked, and scaled: the methods run on ``M' = M·2^-e``, whose inverse is
    ``X' = X·2^e`` (see Note [scaling] in :mod:`gdtutorial.linear`)."""

    def __init__(self, M: Any, X0: Any) -> None:
        M = check_tensor(M, "M", ndim=2)
        n = M.shape[0]
        if M.shape[1] != n:
            raise ValueError(f"Expected a square matrix M, got shape {tuple(M.shape)}")
        if X0 is not None:
            X0 = check_tensor(X0, "X0", ndim=2)
            if X0.shape != M.shape:
                raise ValueError(f"Expected X0 of shape {tuple(M.shape)}, got {tuple(X0.shape)}")
            check_same_device(M=M, X0=X0)
            check_same_dtype(M=M, X0=X0)
        self.e = binary_scale(M)
        self.M = times_power_of_two(M, -self.e)
        self.X0 = None if X0 is None else times_power_of_two(X0.clone(), self.e)
        self.n = self.size = n
        self.dtype, self.names = M.dtype, "M"


class _InverseMethod(Method):
    """What every method of :func:`inverse` shares: the result in the caller's units, advice."""

    problem: _Problem
    transposed = False  # CG iterates on Xᵀ

    def build(self, state: Any, **fields: Any) -> Result:
        X = state.mT if self.transposed else state
        return Result(x=times_power_of_two(X, -self.problem.e), **fields)

    def faster(self) -> str | None:
        return None if self.name == "newton-schulz" else self.suggest(method="newton-schulz")

    def stalled(self, tracker: Tracker) -> str:
        return "M may be singular, or too ill-conditioned for this dtype."


class _NewtonSchulz(_InverseMethod):
    name = "newton-schulz"
    budget = "100"
    stalls = "50"
    summary = "X ← X(2I − MX), from a safe scaled start (Pan and Schreiber's scaling)."
    stall_window = 50

    def default_max_iter(self) -> int:
        return 100

    def run(self, tracker: Tracker) -> Result:
        M, X0 = self.problem.M, self.problem.X0
        if X0 is not None:
            return _newton_schulz(M, X0, tracker, scaled=False, upper=1.0)
        sigma2 = estimate_lambda_max(M)
        if sigma2 == 0:  # M = 0: nothing to scale by
            return _newton_schulz(M, torch.zeros_like(M), tracker, scaled=False, upper=1.0)
        # Note [Newton–Schulz start]
        # σ̂² from power iteration can be far below σ_max² when the start vector is nearly
        # orthogonal to the top singular vector, so the bound on σ_max² that the scaled steps
        # rely on must be rigorous: ‖M‖₂² ≤ ‖M‖₁‖M‖∞ and ‖M‖₂² ≤ ‖M‖_F². (A bound that trusted
        # the estimate, 1.25 σ̂², made a well-conditioned M diverge.)
        bound = min(
            float((M.abs().sum(0).max() * M.abs().sum(1).max()).item()),
            float(M.square().sum().item()),
        )
        return _newton_schulz(M, M.mT / sigma2, tracker, scaled=True, upper=bound / sigma2)

    def diverged(self) -> str:
        if self.problem.X0 is not None:
            return (
                "Newton–Schulz converges exactly when the spectral radius of I − X0·M is below "
                "1 (guaranteed when ‖I − X0·M‖ < 1); try X0=None, the safe start."
            )
        return "From the safe start this means M is singular or too ill-conditioned for its dtype."


class _GradientDescent(_InverseMethod):
    name = "gd"
    budget = "max(1000, 100·n), at most 100,000"
    summary = "gradient descent on mse(XM, I) = ‖XM − I‖²_F/n², the source post's method."
    settings: ClassVar[Mapping[str, str]] = {
        "lr": "the step size; None: 2/(L + μ) from power-iteration estimates of the curvature",
    }
    momentum = 0.0

    def prepare(self) -> None:
        self.bounds: tuple[float, float] | None = None
        # lr is in the caller's units: on M' = M·2^-e the same step is lr·2^(2e)
        e = self.problem.e
        self.lr = _ldexp(self.given["lr"], 2 * e) if "lr" in self.given else self.derived()

    def curvature(self) -> tuple[float, float]:
        """``(L, μ)`` of the mse: estimates for MMᵀ times 2/n² (a unit step for M = 0)."""
        if self.bounds is None:
            n = self.problem.n
            L, mu = estimate_curvature(self.problem.M.mT, safety=_SAFETY) or (n**2 / 2, 0.0)
            self.bounds = (2 * L / n**2, 2 * mu / n**2)
        return self.bounds

    def derived(self) -> float:
        L, mu = self.curvature()
        return 2 / (L + mu)

    def run(self, tracker: Tracker) -> Result:
        problem = self.problem
        start = torch.zeros_like(problem.M) if problem.X0 is None else problem.X0
        return _gradient_descent(problem.M, start, tracker, lr=self.lr, momentum=self.momentum)

    def diverged(self) -> str:
        to_user = -2 * self.problem.e
        used = _ldexp(self.lr, to_user)
        safer = _ldexp((1 + self.momentum) / self.curvature()[0], to_user)
        return self.step_size(used, safer, "lr" not in self.given)


class _HeavyBall(_GradientDescent):
    name = "momentum"
    summary = "gradient descent on mse(XM, I) with heavy-ball momentum, v ← μ v + g."
    settings: ClassVar[Mapping[str, str]] = {
        "lr": "the step size; None: Polyak's heavy-ball optimum 4/(√L + √μ)²",
        "momentum": "μ in [0, 1); None: ((√L − √μ)/(√L + √μ))² with a derived lr, else 0.9",
    }

    def prepare(self) -> None:
        self.momentum = self.given.get("momentum", 0.9)
        super().prepare()

    def derived(self) -> float:
        L, mu = self.curvature()
        if "momentum" in self.given:
            return (1 + self.momentum) / L
        root_L, root_mu = math.sqrt(L), math.sqrt(mu)
        self.momentum = ((root_L - root_mu) / (root_L + root_mu)) ** 2
        return 4 / (root_L + root_mu) ** 2


class _CGLS(_InverseMethod):
    name = "cgls"
    budget = "max(100, 4·n)"
    stalls = "max(100, n/2)"
    summary = "conjugate gradient (CGLS, reorthogonalised) on the n systems Mᵀxᵢ = eᵢ at once."
    transposed = True

    def default_max_iter(self) -> int:
        return max(100, 4 * self.problem.n)

    def prepare(self) -> None:
        self.stall_window = max(100, self.problem.n // 2)

    def run(self, tracker: Tracker) -> Result:
        problem = self.problem
        identity = torch.eye(problem.n, dtype=problem.dtype, device=problem.M.device)
        system = _System(problem.M.mT, identity, loss_scale=1 / problem.n**2)
        start = torch.zeros_like(problem.M) if problem.X0 is None else problem.X0.mT.clone()
        return _conjugate_gradient(system, start, tracker)


METHODS = Methods("inverse", _NewtonSchulz, _GradientDescent, _HeavyBall, _CGLS)
"""The methods of :func:`inverse`, by name."""


def inverse(
    M: torch.Tensor,
    X0: torch.Tensor | None = None,
    *,
    method: str = "newton-schulz",
    lr: float | None = None,
    momentum: float | None = None,
    tol: float | None = None,
    max_iter: int | None = None,
    callback: Callable[[Result], Any] | None = None,
) -> Result:
    r"""The inverse of a square matrix ``M``, by an iterative method.

    Parameters
    ----------
    M : torch.Tensor
        ``(n, n)`` matrix, float32 or float64, on any device.
    X0 : torch.Tensor, optional
        ``(n, n)`` starting guess; never modified. By default, for ``"newton-schulz"``,
        ``c·Mᵀ`` with ``c = 1/σ̂²``, ``σ̂`` a power-iteration estimate of ``σ_max(M)``, whose
        first step is scaled by rigorous bounds on ``σ_max²`` so that it is safe (see Note
        [Newton–Schulz start]); zeros for ``"gd"``, ``"momentum"`` and ``"cgls"``.
    method : {"newton-schulz", "gd", "momentum", "cgls"}, default "newton-schulz"
        :func:`~gdtutorial.show_options` lists each method's settings.

        * ``"gd"``: gradient descent on ``mse(X M, I) = ‖XM − I‖²_F/n²``, as the source post
          does: ``X ← X − lr·(2/n²)(XM − I)Mᵀ``.
        * ``"momentum"``: the same with heavy-ball momentum, torch's convention
          ``v ← μ v + g``, ``X ← X − lr·v``.
        * ``"newton-schulz"``: ``X ← X(2I − MX)``, quadratically convergent; from the default
          start with the scaling of Pan and Schreiber (1991), which about halves the steps
          needed for ill-conditioned ``M`` (see Note [scaled Newton–Schulz]); from a given
          ``X0`` plain, and it converges exactly when the spectral radius of ``I − X₀M`` is
          below 1 (guaranteed when ``‖I − X₀M‖ < 1`` in any submultiplicative norm).
        * ``"cgls"``: conjugate gradient on the normal equations (CGLS, reorthogonalised as
          in :func:`~gdtutorial.solve`)
          on the ``n`` systems ``Mᵀ xᵢ = eᵢ`` (the rows of ``X``), all at once.
    lr : float, optional
        Step size of ``gd`` and ``momentum``. ``None``: with estimates
        ``L = 1.1·σ̂²_max`` and ``μ ≥ σ²_min`` (power iteration) of the spectrum of ``MMᵀ``,
        ``gd`` takes ``n²/(L + μ)`` (the optimal ``2/(L' + μ')`` for the mse's curvature
        ``L' = 2L/n²``, ``μ' = 2μ/n²``) and ``momentum`` Polyak's heavy-ball optimum
        (``4/(√L' + √μ')²``, or ``(1 + momentum)/L'`` when ``momentum`` is given).
    momentum : float, optional
        In ``[0, 1)``, for ``"momentum"`` only: ``((√L − √μ)/(√L + √μ))²`` when ``lr`` is
        derived, else 0.9.
    tol : float, optional
        Stop when the residual is at or below ``tol``; 1e-6 for float64, 1e-4 for float32.
    max_iter : int, optional
        100 for ``newton-schulz``; ``max(100, 4n)`` for ``cgls``; ``max(1000, 100n)`` (at most
        100,000) for ``gd`` and ``momentum``.
    callback : callable, optional
        Called as ``callback(result_so_far)`` after each iteration; returning ``True`` stops.

    Returns
    -------
    Result
        ``x`` is the approximate inverse; ``residual`` is ``‖X M − I‖_F/√n`` (the RMS of the
        singular values of ``XM − I``); ``loss_history`` records ``mse(X M, I)``, the source
        post's loss, for every method. A singular ``M`` never reports success. The run stalls
        when the residual has not fallen by 1 % in 50 iterations (``newton-schulz``),
        ``max(100, n/2)`` (``cgls``) or 1,000 (the others). The methods run on ``M`` scaled by
        a power of two (exactly) where its entries are far from 1, so its scale never decides
        the outcome; an inverse whose entries leave the dtype's range is no success.

    Raises
    ------
    TypeError, ValueError
        For bad input: not a tensor, not square, empty, NaN or Inf, integer or complex dtype,
        ``X0`` of the wrong shape or on another device, a bad setting, an unknown method, or a
        setting the method does not use.

    Examples
    --------
    >>> import torch
    >>> M = torch.diag(torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64))
    >>> result = inverse(M)
    >>> result.status, result.nit, result.x.diagonal().round(decimals=4).tolist()
    ('converged', 5, [1.0, 0.5, 0.25])
    >>> slow = inverse(M, method="gd", max_iter=20)
    >>> slow.status, slow.residual > 1e-3
    ('max_iter', True)
    """
    return METHODS.run(
        method,
        _Problem(M, X0),
        lr=lr,
        momentum=momentum,
        tol=tol,
        max_iter=max_iter,
        callback=callback,
    )
