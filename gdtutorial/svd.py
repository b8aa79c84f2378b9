"""The singular value decomposition by optimisation: a penalty loss, orthogonal iteration, and
Riemannian gradient ascent on the Stiefel manifold.

The public function is :func:`svd`. All methods return the reduced SVD ``M ≈ U diag(S) Vh``
with ``S`` non-negative and descending and the same sign convention (see :func:`svd`).

Examples
--------
>>> import torch
>>> from gdtutorial.svd import svd
>>> M = torch.tensor([[3.0, 0.0], [4.0, 5.0]], dtype=torch.float64)
>>> result = svd(M, generator=torch.Generator().manual_seed(0))
>>> result.success, [f"{s:.4f}" for s in result.S.tolist()]
(True, ['6.7082', '2.2361'])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch

from ._checks import check_int_range
from ._loop import (
    Tracker,
    _times_power_of_two,
    binary_scale,
    estimate_lambda_max,
    times_power_of_two,
)
from ._methods import Method, Methods
from .operators import LinearOperator, as_operator, frobenius
from .result import Result, SVDResult

__all__ = ["svd"]

Triplet = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
"""``(U, S, V)`` with ``V`` as columns: ``M ≈ U diag(S) Vᵀ``."""


def _residual(
    M: torch.Tensor,
    scale: float,
    U: torch.Tensor,
    S: torch.Tensor,
    V: torch.Tensor,
    MV: torch.Tensor | None = None,
    MtU: torch.Tensor | None = None,
    *,
    orthonormal_U: bool = False,
    orthonormal_V: bool = False,
) -> torch.Tensor:
    """The SVD residual: the largest of ``‖MV − US‖_F/‖M‖_F``, ``‖MᵀU − VS‖_F/‖M‖_F``,
    ``‖UᵀU − I‖_F`` and ``‖VᵀV − I‖_F``.

    ``orthonormal_U=True`` (``orthonormal_V=True``) skips the check of a factor fresh from
    Householder QR, orthonormal to rounding error: it saves a matrix product per step.
    ``M`` must be scaled (see Note [scaling] in :mod:`gdtutorial.linear`): its largest entry
    near 1, so that no square in these norms can leave the dtype's range.
    """
    identity = torch.eye(U.shape[1], dtype=M.dtype, device=M.device)
    MV = M @ V if MV is None else MV
    MtU = M.mT @ U if MtU is None else MtU
    parts = [(MV - U * S).norm() / scale, (MtU - V * S).norm() / scale]
    for Q, orthonormal in ((U, orthonormal_U), (V, orthonormal_V)):
        if not orthonormal:
            parts.append((Q.mT @ Q - identity).norm())
    return torch.stack(parts).max()


def _normalise(U: torch.Tensor, S: torch.Tensor, V: torch.Tensor) -> Triplet:
    """Make ``S`` non-negative and descending, and fix the signs.

    The sign convention: the entry of largest magnitude in each column of ``U`` is positive
    (``U`` and ``V`` columns flip together, which leaves ``U diag(S) Vᵀ`` unchanged).
    """
    negative = S < 0
    U = torch.where(negative, -U, U)
    S = S.abs()
    S, order = S.sort(descending=True)
    U, V = U[:, order], V[:, order]
    pivots = U.gather(0, U.abs().argmax(0, keepdim=True))
    signs = torch.where(pivots < 0, -1.0, 1.0).to(U.dtype)
    return U * signs, S, V * signs


def _orthogonal_iteration(
    M: torch.Tensor, V: torch.Tensor, tracker: Tracker, *, scale: float
) -> SVDResult:
    """Gradient ascent on ``tr(Uᵀ M V)`` with a QR retraction and an infinite step.

    Note [orthogonal iteration]
    The gradient of ``tr(UᵀMV)`` is ``MV`` for ``U`` and ``MᵀU`` for ``V``. A step
    ``U + lr·MV`` pulled back onto orthonormal columns by QR becomes, as ``lr → ∞``, just
    ``qf(MV)``: block power iteration (orthogonal iteration) on ``MMᵀ`` and ``MᵀM``. The trace
    alone is maximised by any pair whose ``UᵀMV`` is symmetric positive semi-definite; it is
    the triangular QR factor that orders the columns, as Brockett's weighted trace
    ``tr(UᵀMVN)`` would: column ``i`` converges to the ``i``-th singular pair at the rate
    ``(σ_{i+1}/σ_i)²`` per step. The singular values are the diagonal of ``UᵀMV`` (the
    triangular factor of the QR of ``MV``). No Rayleigh–Ritz step
    (that would need an SVD of a ``k × k`` matrix: for ``k = min(m, n)`` the very problem
    being solved).
    """
    MV = M @ V
    U = torch.linalg.qr(MV).Q
    MtU = M.mT @ U
    S = (V * MtU).sum(0)
    residual = _residual(M, scale, U, S, V, MV, MtU, orthonormal_U=True, orthonormal_V=True)
    status = tracker.start((U, S, V), loss=residual, residual=residual)
    for _ in range(1, tracker.max_iter + 1):
        if status is not None:
            break
        V = torch.linalg.qr(MtU).Q
        MV = M @ V
        U = torch.linalg.qr(MV).Q
        MtU = M.mT @ U
        S = (V * MtU).sum(0)  # diag(VᵀMᵀU) = diag(UᵀMV): the current estimates, signed
        residual = _residual(M, scale, U, S, V, MV, MtU, orthonormal_U=True, orthonormal_V=True)
        status = tracker.step((U, S, V), loss=residual, residual=residual)
    return tracker.result(status)  # type: ignore[return-value]


def _ritz_iteration(
    M: Any, V: torch.Tensor, k: int, tracker: Tracker, *, scale: float
) -> SVDResult:
    """Orthogonal iteration on a block of ``k + p`` vectors with a Rayleigh–Ritz step: the
    best ``k`` singular triplets in the block's span (Note [oversampling])."""
    # Note [oversampling]
    # Orthogonal iteration on q = k + p vectors makes the span of V converge at the rate
    # σ_{q+1}/σ_i for pair i ≤ k (per product with MᵀM), not σ_{k+1}/σ_k: with σ_i = 1/i,
    # k = 10 and p = 10 that is 0.48 a step instead of 0.91. The pairs are then extracted by
    # Rayleigh–Ritz: B = UᵀMV (q × q, with U = qf(MV)) is small, its SVD B = Y Σ Zᵀ gives the
    # best approximations U Y, Σ, V Z in the two spans; the first k are returned. They are
    # orthonormal (products of orthonormal matrices), and their residuals need no product
    # with M: M (V Z) = (MV) Z, Mᵀ(U Y) = (MᵀU) Y. Anchors: Halko, Martinsson and Tropp's
    # randomised range finder with power iterations, and torch.svd_lowrank; here the start is
    # random and the iteration runs until the residual of the k pairs meets tol.

    def ritz(MV: torch.Tensor, U: torch.Tensor, MtU: torch.Tensor, V: torch.Tensor) -> Any:
        Y, sigma, Zt = torch.linalg.svd(MtU.mT @ V)  # B = Uᵀ M V = (MᵀU)ᵀ V
        Y, Z = Y[:, :k], Zt[:k].mT
        U_k, V_k, S = U @ Y, V @ Z, sigma[:k]
        residual = _residual(
            M, scale, U_k, S, V_k, MV @ Z, MtU @ Y, orthonormal_U=True, orthonormal_V=True
        )
        return (U_k, S, V_k), residual

    MV = M @ V
    U = torch.linalg.qr(MV).Q
    MtU = M.mT @ U
    state, residual = ritz(MV, U, MtU, V)
    status = tracker.start(state, loss=residual, residual=residual)
    for _ in range(1, tracker.max_iter + 1):
        if status is not None:
            break
        V = torch.linalg.qr(MtU).Q
        MV = M @ V
        U = torch.linalg.qr(MV).Q
        MtU = M.mT @ U
        state, residual = ritz(MV, U, MtU, V)
        status = tracker.step(state, loss=residual, residual=residual)
    return tracker.result(status)  # type: ignore[return-value]


def _riemannian(
    M: torch.Tensor, U: torch.Tensor, V: torch.Tensor, tracker: Tracker, *, lr: float, scale: float
) -> SVDResult:
    """Riemannian gradient ascent on Brockett's ``tr(Uᵀ M V N)`` over two Stiefel manifolds.

    ``N = diag(k, k − 1, …, 1)/k`` breaks the symmetry that the plain trace has, so the
    maximisers are exactly the singular pairs in descending order. The Riemannian gradient is
    the Euclidean one, ``G_U = M V N``, minus its normal part, ``U sym(Uᵀ G_U)``; the step is
    retracted onto orthonormal columns by QR.
    """
    k = U.shape[1]
    weights = torch.arange(k, 0, -1, dtype=M.dtype, device=M.device) / k

    def sym(A: torch.Tensor) -> torch.Tensor:
        return 0.5 * (A + A.mT)

    def qf(A: torch.Tensor) -> torch.Tensor:  # QR with a positive diagonal: a smooth retraction
        Q, R = torch.linalg.qr(A)
        return Q * torch.where(R.diagonal() < 0, -1.0, 1.0).to(A.dtype)

    MV, MtU = M @ V, M.mT @ U
    S = (V * MtU).sum(0)
    residual = _residual(M, scale, U, S, V, MV, MtU, orthonormal_U=True, orthonormal_V=True)
    status = tracker.start((U, S, V), loss=residual, residual=residual)
    for _ in range(1, tracker.max_iter + 1):
        if status is not None:
            break
        G_U, G_V = MV * weights, MtU * weights
        U_next = qf(U + lr * (G_U - U @ sym(U.mT @ G_U)))
        V = qf(V + lr * (G_V - V @ sym(V.mT @ G_V)))
        U = U_next
        MV, MtU = M @ V, M.mT @ U
        S = (V * MtU).sum(0)
        residual = _residual(M, scale, U, S, V, MV, MtU, orthonormal_U=True, orthonormal_V=True)
        status = tracker.step((U, S, V), loss=residual, residual=residual)
    return tracker.result(status)  # type: ignore[return-value]


def _penalty(
    M: torch.Tensor,
    start: Triplet,
    tracker: Tracker,
    *,
    lr: float,
    momentum: float,
    scale: float,
    scaled: tuple[torch.Tensor, int],
) -> SVDResult:
    """The source post's method: gradient descent with momentum on a penalised loss.

    It runs on the caller's ``M`` (its fixed step belongs to that scale); its residual is
    measured on ``scaled = (M·2^-e, e)``, with ``S·2^-e``, range-safe and the same number.

    ``loss = mse(U diag(d²) Vᵀ, M) + mse(UᵀU, I)/100 + mse(VᵀV, I)/100``, minimised over
    ``U``, ``d`` and ``V`` (``S = d²`` keeps the singular values non-negative), with
    ``v ← μ v + ∇loss``, ``p ← p − lr·v`` for each parameter (the post scales the gradient by
    μ instead of zeroing it, which is this update).
    """
    k = start[0].shape[1]
    identity = torch.eye(k, dtype=M.dtype, device=M.device)
    m, n = M.shape
    fit_scale = 2.0 / (m * n)  # d mse(R)/dR = 2R/(mn)
    penalty_scale = 4.0 / (100 * k * k)  # d mse(UᵀU, I)/100 /dU = 4 U(UᵀU − I)/(100k²)

    def loss_and_gradients(
        U: torch.Tensor, d: torch.Tensor, V: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        # Note [penalty gradients]: the gradients of the post's loss in closed form, the
        # same numbers autograd gives (tested) at a fraction of the cost on small matrices.
        S = d.square()
        R = (U * S) @ V.mT - M
        RV, RtU = R @ V, R.mT @ U
        EU, EV = U.mT @ U - identity, V.mT @ V - identity
        loss = R.square().mean() + (EU.square().mean() + EV.square().mean()) / 100
        grad_U = fit_scale * RV * S + penalty_scale * (U @ EU)
        grad_V = fit_scale * RtU * S + penalty_scale * (V @ EV)
        grad_d = fit_scale * (U * RV).sum(dim=0) * 2 * d
        return loss, (grad_U, grad_d, grad_V)

    M_scaled, e = scaled

    def residual(U: torch.Tensor, S: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
        return _residual(M_scaled, scale, U, times_power_of_two(S, -e), V)

    U, d, V = start
    loss, gradients = loss_and_gradients(U, d, V)
    status = tracker.start((U, d.square(), V), loss=loss, residual=residual(U, d.square(), V))
    velocities = [torch.zeros_like(p) for p in (U, d, V)]
    for _ in range(1, tracker.max_iter + 1):
        if status is not None:
            break
        velocities = [momentum * v + g for v, g in zip(velocities, gradients, strict=True)]
        U, d, V = (p - lr * v for p, v in zip((U, d, V), velocities, strict=True))
        loss, gradients = loss_and_gradients(U, d, V)
        S = d.square()
        status = tracker.step((U, S, V), loss=loss, residual=residual(U, S, V))
    return tracker.result(status)  # type: ignore[return-value]


class _Problem:
    """``M``, checked, with ``M' = M·2^-e`` (see Note [scaling] in :mod:`gdtutorial.linear`)."""

    def __init__(self, M: Any, k: Any) -> None:
        M = as_operator(M, "M")
        m, n = M.shape
        if isinstance(M, LinearOperator) and not M.has_transpose:
            raise ValueError(
                "Expected a LinearOperator with rmatvec for svd, which applies Mᵀ, got one "
                "without; pass rmatvec="
            )
        self.k = min(m, n) if k is None else check_int_range(k, "k", 1, min(m, n))
        self.M, self.m, self.n, self.size = M, m, n, min(m, n)
        self.dense = isinstance(M, torch.Tensor)
        self.e = binary_scale(M)
        self.scaled = times_power_of_two(M, -self.e)
        norm = frobenius(self.scaled)  # in range: the largest entry is near 1
        self.scale = norm if norm > 0 else 1.0
        self.dtype, self.names = M.dtype, "M"


class _SVDMethod(Method):
    """What every method of :func:`svd` shares: the start, the result, advice."""

    problem: _Problem
    on_scaled = True  # whether the run's S is that of M·2^-e

    def build(self, state: Triplet, **fields: Any) -> SVDResult:
        U, S, V = _normalise(*state)
        if self.on_scaled:
            S = times_power_of_two(S, self.problem.e)
        return SVDResult(x=S, U=U, S=S, Vh=V.mT, **fields)

    def draw(self, *shape: int, normal: bool = False) -> torch.Tensor:
        """Numbers drawn in float32 on the generator's device, then moved to ``M``'s."""
        generator = self.given.get("generator")
        device = generator.device if generator is not None else torch.device("cpu")
        sample = torch.randn if normal else torch.rand
        numbers = sample(*shape, generator=generator, dtype=torch.float32, device=device)
        return numbers.to(self.problem.M.device, self.problem.dtype)

    def start_V(self, columns: int | None = None) -> torch.Tensor:
        columns = self.problem.k if columns is None else columns
        return torch.linalg.qr(self.draw(self.problem.n, columns, normal=True)).Q

    def faster(self) -> str | None:
        if self.name == "orthogonal-iteration":  # the fastest: nothing else to suggest
            return None
        return self.suggest(method="orthogonal-iteration")

    def stalled(self, tracker: Tracker) -> str:
        text = "Nearly equal singular values converge slowly"
        other = self.faster()
        return f"{text}; try {other}." if other else f"{text}."


class _OrthogonalIteration(_SVDMethod):
    name = "orthogonal-iteration"
    budget = "1,000"
    stalls = "100"
    summary = (
        "block power iteration U ← qf(MV), V ← qf(MᵀU): gradient ascent with an infinite step."
    )
    stall_window = 100

    def stalled(self, tracker: Tracker) -> str:
        # the pairs before the first near-tie converge: suggest just those
        S = tracker.best_state[1].abs().sort(descending=True).values if tracker.best_state else None
        text = "Nearly equal singular values converge slowly"
        if S is not None and S.numel() > 1:
            ratios = (S[1:] / S[:-1].clamp_min(torch.finfo(S.dtype).tiny)).tolist()
            close = [i for i, ratio in enumerate(ratios, start=1) if ratio > 0.99]
            if close and close[0] < self.problem.k:
                return f"{text}; for the leading pairs only, try {self.suggest(k=close[0])}."
        return (
            f"{text}."
            if self.problem.dtype == torch.float64
            else f"{text} (float64 has more digits)."
        )

    settings: ClassVar[Mapping[str, str]] = {
        "oversample": "p extra vectors, the best k extracted by Rayleigh–Ritz; None: 10 where "
        "k + 10 ≤ min(m, n)/2, else 0 (plain orthogonal iteration)",
    }

    def default_max_iter(self) -> int:
        return 1000

    def prepare(self) -> None:
        problem = self.problem
        p = self.given.get("oversample")
        if p is None:
            p = 10 if problem.k + 10 <= problem.size // 2 else 0
        if problem.k + p > problem.size:
            raise ValueError(
                f"Expected k + oversample ≤ min(m, n) = {problem.size}, got k = {problem.k} and "
                f"oversample = {p}; pass oversample={problem.size - problem.k}"
            )
        self.oversample = p

    def run(self, tracker: Tracker) -> Result:
        problem = self.problem
        if self.oversample == 0:
            V = self.start_V()
            return _orthogonal_iteration(problem.scaled, V, tracker, scale=problem.scale)
        V = self.start_V(problem.k + self.oversample)
        return _ritz_iteration(problem.scaled, V, problem.k, tracker, scale=problem.scale)


class _Riemannian(_SVDMethod):
    name = "riemannian"
    budget = "10,000"
    summary = "Riemannian gradient ascent on Brockett's tr(UᵀMVN) on the Stiefel manifolds."
    settings: ClassVar[Mapping[str, str]] = {
        "lr": "the step size; None: 1/σ̂_max, σ̂_max a power-iteration estimate",
    }

    def default_max_iter(self) -> int:
        return 10_000

    def prepare(self) -> None:
        # G = M V N scales with M: on M·2^-e the caller's step is lr·2^e
        e = self.problem.e
        if "lr" in self.given:
            self.lr = _times_power_of_two(self.given["lr"], e)
        else:
            self.lr = 1 / (math.sqrt(max(estimate_lambda_max(self.problem.scaled), 0.0)) or 1.0)

    def run(self, tracker: Tracker) -> Result:
        problem = self.problem
        V = self.start_V()
        U = torch.linalg.qr(problem.scaled @ V).Q
        return _riemannian(problem.scaled, U, V, tracker, lr=self.lr, scale=problem.scale)

    def diverged(self) -> str:
        used = _times_power_of_two(self.lr, -self.problem.e)
        return self.step_size(used, used / 2, "lr" not in self.given)


class _Penalty(_SVDMethod):
    name = "penalty"
    budget = "20,000 (the post's)"
    stalls = "2,000"
    summary = "the source post's penalised mse, by gradient descent with heavy-ball momentum."
    settings: ClassVar[Mapping[str, str]] = {
        "lr": "the step size; None: the post's 0.9",
        "momentum": "μ in [0, 1); None: the post's 0.9",
    }
    stall_window = 2000
    on_scaled = False

    @classmethod
    def check(cls, problem: _Problem) -> None:
        if not problem.dense:
            raise ValueError(
                "Expected a dense M with method='penalty', whose loss forms U diag(S) Vᵀ − M, "
                "got a sparse tensor or LinearOperator; use method='orthogonal-iteration'"
            )

    def default_max_iter(self) -> int:
        return 20_000

    def run(self, tracker: Tracker) -> Result:
        problem = self.problem
        m, n, k = problem.m, problem.n, problem.k
        start = (self.draw(m, k), self.draw(k), self.draw(n, k))
        return _penalty(
            problem.M,
            start,
            tracker,
            lr=self.given.get("lr", 0.9),
            momentum=self.given.get("momentum", 0.9),
            scale=problem.scale,
            scaled=(problem.scaled, problem.e),
        )

    def diverged(self) -> str:
        # the loss's curvature grows like σ_max²: the post's step (0.9, for its matrices with
        # σ_max near 1) divided by σ_max², or half the step used if that is smaller
        used = self.given.get("lr", 0.9)
        top = estimate_lambda_max(self.problem.M)
        return self.step_size(used, min(used / 2, 0.9 / max(1.0, top)), False)


METHODS = Methods(
    "svd",
    _OrthogonalIteration,
    _Riemannian,
    _Penalty,
    common={"generator": "draws the start; None: the global generator"},
)
"""The methods of :func:`svd`, by name."""


def svd(
    M: torch.Tensor | LinearOperator,
    k: int | None = None,
    *,
    method: str = "orthogonal-iteration",
    oversample: int | None = None,
    lr: float | None = None,
    momentum: float | None = None,
    tol: float | None = None,
    max_iter: int | None = None,
    generator: torch.Generator | None = None,
    callback: Callable[[Result], Any] | None = None,
) -> SVDResult:
    r"""The ``k`` largest singular triplets of ``M`` (the reduced SVD by default), by optimisation.

    Parameters
    ----------
    M : torch.Tensor or LinearOperator
        ``(m, n)`` matrix, float32 or float64, on any device: a dense tensor, a sparse COO or
        CSR tensor, or a :class:`~gdtutorial.LinearOperator` with ``rmatvec`` (every method
        applies ``Mᵀ``); ``penalty`` needs a dense one.
    k : int, optional
        How many singular triplets, ``1 ≤ k ≤ min(m, n)``; ``None`` means ``min(m, n)``.
    method : {"orthogonal-iteration", "riemannian", "penalty"}, default "orthogonal-iteration"
        :func:`~gdtutorial.show_options` lists each method's settings.

        * ``"orthogonal-iteration"``: gradient ascent on ``tr(UᵀMV)`` over matrices with
          orthonormal columns, retracted by QR, with an infinite step: block power iteration
          ``U ← qf(MV)``, ``V ← qf(MᵀU)`` (see Note [orthogonal iteration]). Converges at
          the rate ``max (σ_{i+1}/σ_i)²`` per step. With ``oversample=p > 0`` it iterates
          ``k + p`` vectors and extracts the best ``k`` triplets from their span by
          Rayleigh–Ritz (the SVD of a ``(k + p) × (k + p)`` matrix), so pair ``i`` converges
          at the rate ``(σ_{k+p+1}/σ_i)²`` (see Note [oversampling]).
        * ``"riemannian"``: Riemannian gradient ascent on Brockett's function
          ``tr(UᵀMVN)``, ``N = diag(k, …, 1)/k``, on the Stiefel manifolds, QR retraction.
        * ``"penalty"``: the source post's method: ``mse(U diag(d²) Vᵀ, M)`` plus
          ``mse(UᵀU, I)/100`` and ``mse(VᵀV, I)/100``, by gradient descent with heavy-ball
          momentum (``v ← μ v + g``, ``p ← p − lr·v``); the gradients are written in closed
          form (the numbers autograd gives, tested against it). Its start is drawn as the
          post drew it: ``U = rand(m, k)``, then ``d = rand(k)``, then ``V = rand(n, k)``.
    oversample : int, optional
        ``orthogonal-iteration`` only: ``p ≥ 0`` extra vectors, ``k + p ≤ min(m, n)``.
        ``None`` means 10 where ``k + 10 ≤ min(m, n)/2`` (a few top triplets of a large
        matrix), else 0 (the plain iteration).
    lr : float, optional
        Step size of ``riemannian`` (``1/σ̂_max`` by default, ``σ̂_max`` a power-iteration
        estimate) and ``penalty`` (the post's 0.9 by default). ``orthogonal-iteration`` takes
        none (its step is infinite).
    momentum : float, optional
        ``penalty`` only: in ``[0, 1)``, the post's 0.9 by default.
    tol : float, optional
        Stop when the residual is at or below ``tol``; 1e-6 for float64, 1e-4 for float32.
    max_iter : int, optional
        1,000 for ``orthogonal-iteration``, 10,000 for ``riemannian``, the post's 20,000 for
        ``penalty``.
    generator : torch.Generator, optional
        Draws the start: a random orthonormal ``V`` (QR of a Gaussian ``n × k`` matrix) for
        the first two methods, the post's uniform draws for ``penalty``. ``None`` uses the
        global generator. Numbers are drawn on the generator's device (the CPU for ``None``)
        in float32, as the post drew them, then converted to ``M``'s dtype and device, so a
        seed gives the same start for every dtype and device.
    callback : callable, optional
        Called as ``callback(result_so_far)`` after each iteration; returning ``True`` stops.

    Returns
    -------
    SVDResult
        ``U`` (m × k), ``S`` (k), ``Vh`` (k × n), and ``x = S``. ``S`` is non-negative and
        descending; signs are fixed so that the entry of largest magnitude in each column of
        ``U`` is positive. ``residual`` is the largest of ``‖MV − US‖_F/‖M‖_F``,
        ``‖MᵀU − VS‖_F/‖M‖_F`` (zero exactly for singular triplets, for any ``k``;
        ``‖M‖_F`` of an operator given by products is estimated from 16 random products; for
        ``k = min(m, n)`` the first is the reconstruction error ``‖M − U S Vh‖_F/‖M‖_F``),
        ``‖UᵀU − I‖_F`` and ``‖VᵀV − I‖_F`` (``‖M‖_F`` read as 1 if ``M = 0``).
        ``loss_history`` records the post's loss for ``penalty`` and the residual for the
        others. The run stalls when the residual has not fallen by 1 % in 100
        (``orthogonal-iteration``), 1,000 (``riemannian``) or 2,000 (``penalty``) iterations.
        ``orthogonal-iteration`` and ``riemannian`` run on ``M`` scaled by a power of two
        (exactly) where its entries are far from 1, so its scale never decides the outcome;
        ``penalty`` runs on ``M`` itself, since its fixed step belongs to that scale. Every
        residual is measured on the scaled ``M``, so no norm leaves the dtype's range.

    Raises
    ------
    TypeError, ValueError
        For bad input: not a tensor, not 2-D, empty, NaN or Inf, integer or complex dtype,
        ``k`` out of range, a bad setting, an unknown method, or a setting the method does
        not use.

    Examples
    --------
    >>> import torch
    >>> M = torch.tensor([[2.0, 0.0, 0.0], [0.0, -3.0, 0.0]], dtype=torch.float64)
    >>> result = svd(M, generator=torch.Generator().manual_seed(0))
    >>> result.status, result.S.round(decimals=6).tolist()
    ('converged', [3.0, 2.0])
    >>> result.U.abs().round(decimals=4).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    >>> error = M - result.U @ torch.diag(result.S) @ result.Vh
    >>> bool(error.norm() <= 1e-6 * M.norm())
    True
    >>> top = svd(M, k=1, generator=torch.Generator().manual_seed(0))
    >>> top.S.round(decimals=6).tolist()
    [3.0]

    The top 3 of a sparse 400 × 400 matrix, with 10 extra vectors:

    >>> from gdtutorial.matrices import poisson_2d
    >>> top = svd(poisson_2d(20), k=3, generator=torch.Generator().manual_seed(0))
    >>> top.success, top.S.round(decimals=4).tolist()
    (True, [7.9553, 7.8888, 7.8888])
    """
    return METHODS.run(  # type: ignore[return-value]
        method,
        _Problem(M, k),
        oversample=oversample,
        lr=lr,
        momentum=momentum,
        tol=tol,
        max_iter=max_iter,
        generator=generator,
        callback=callback,
    )
