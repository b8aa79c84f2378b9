"""Solve ``A x = b`` (or least squares, when ``A`` is tall) by gradient methods.

The public function is :func:`solve`. Every method minimises a loss of the residual
``r = A x − b``; each is written below as the loop its name promises.

Examples
--------
>>> import torch
>>> from gdtutorial.linear import solve
>>> A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
>>> b = torch.tensor([9.0, 8.0], dtype=torch.float64)
>>> result = solve(A, b)
>>> result.success, [round(v, 6) for v in result.x.tolist()]
(True, [2.0, 3.0])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, NamedTuple

import torch

from ._checks import check_choice, check_same_device, check_same_dtype, check_tensor
from ._loop import (
    Tracker,
    binary_exponent,
    binary_scale,
    estimate_curvature,
    safe_norm,
    times_power_of_two,
)
from ._loop import (
    _times_power_of_two as _ldexp,
)
from ._methods import Method, Methods
from .operators import (
    LinearOperator,
    SparseOperator,
    as_operator,
    column_norms2,
    diagonal,
    is_symmetric,
)
from .result import Result

__all__ = ["solve"]

LossFunction = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""A loss of the residual: ``R -> (value, gradient with respect to R)``."""

Operator = torch.Tensor | LinearOperator
"""``A`` as the methods use it: a dense tensor, or an operator (a sparse matrix included)."""

Precondition = Callable[[torch.Tensor], torch.Tensor]
"""``Z = M⁻¹ R`` for residuals ``R`` of shape ``(n, k)``."""

_SAFETY = 1.1  # power iteration underestimates λ_max; step sizes use 1.1 × the estimate
_RESCALE = "Its numbers left the range of the dtype: rescale A and b towards 1."
_REORTH_BUDGET = 2**28  # bytes the CG basis for reorthogonalisation may take (256 MiB)
_REFINE_BY = 1e-4  # cg-mixed: each float32 run shrinks the residual by this factor
_PATIENCE = 10  # cg-mixed: a float32 run ends after this many iterations without a new low
_MIN_GAIN = 0.1  # cg-mixed: a refinement must shrink the residual tenfold, else float64 takes over
_SEMI_ORTHOGONAL = torch.finfo(torch.float32).eps ** 0.5  # cg-mixed: |cos| that ends a run


# --- losses of the residual --------------------------------------------------------------------


def _l2(R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return 0.5 * R.square().sum(), R


def _l2_norm(R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    norm = R.norm()
    return norm, R / norm.clamp_min(torch.finfo(R.dtype).tiny)


def _l1(R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return R.abs().sum(), R.sign()


_LOSSES: dict[str, LossFunction] = {"l2": _l2, "l2-norm": _l2_norm, "l1": _l1}


def _with_autograd(loss: Callable[[torch.Tensor], torch.Tensor], shape: torch.Size) -> LossFunction:
    """Wrap a user's loss of the residual (in ``b``'s shape) so it also returns its gradient."""

    def value_and_grad(R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            leaf = R.detach().requires_grad_(True)
            value = loss(leaf.reshape(shape))
            if not isinstance(value, torch.Tensor) or value.numel() != 1:
                raise TypeError(
                    f"Expected loss(residual) to return a scalar tensor, got "
                    f"{type(value).__name__}{tuple(getattr(value, 'shape', ()))}"
                )
            (grad,) = torch.autograd.grad(value.reshape(()), leaf, allow_unused=True)
        if grad is None:
            grad = torch.zeros_like(R)
        return value.detach().reshape(()).to(R.dtype), grad

    return value_and_grad


def _polyak(value: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
    """Polyak's step ``f / ‖∇f‖²`` for a loss whose minimum is 0 (0 where ``∇f = 0``)."""
    squared = G.square().sum()
    return torch.where(squared > 0, value / squared.clamp_min(torch.finfo(G.dtype).tiny), 0.0)


# --- the problem: residual and its measure -----------------------------------------------------


_norm = safe_norm  # the one range-safe norm, shared by every solver


class _System:
    """``A X = B`` with ``B`` as ``(m, k)``, and the relative residual used to stop."""

    def __init__(self, A: Operator, B: torch.Tensor, *, loss_scale: float = 0.5) -> None:
        self.A, self.B = A, B
        self.loss_scale = loss_scale
        m, n = A.shape
        self.least_squares = m > n

    @functools.cached_property
    def scale(self) -> float:
        """‖B‖, or ‖AᵀB‖ for least squares (1 where it is 0)."""
        scale = _norm(self.A.mT @ self.B if self.least_squares else self.B)
        return scale if scale > 0 else 1.0

    def residual(self, R: torch.Tensor, normal: torch.Tensor | None = None) -> float:
        """‖R‖/‖B‖, or ‖AᵀR‖/‖AᵀB‖ for least squares (``normal`` is AᵀR when known)."""
        if self.least_squares:
            if normal is None:
                normal = self.A.mT @ R
            return _norm(normal) / self.scale
        return _norm(R) / self.scale

    def true_residual(self, X: torch.Tensor) -> float:
        """The relative residual of ``X``, recomputed from ``B − A X``."""
        return self.residual(self.B - self.A @ X)

    def measure(self, R: torch.Tensor, normal: torch.Tensor | None = None) -> tuple[float, float]:
        """``(loss_scale·‖R‖², relative residual)`` as floats."""
        norm = _norm(R)
        loss = self.loss_scale * norm * norm  # inf, not an OverflowError, for a huge R
        if not self.least_squares:
            return loss, norm / self.scale
        return loss, self.residual(R, normal)


# --- the methods -------------------------------------------------------------------------------


def _gradient_descent(
    system: _System,
    X: torch.Tensor,
    tracker: Tracker,
    *,
    loss: LossFunction,
    lr: float | None,
    momentum: float,
    nesterov: bool,
    measure: Callable[[torch.Tensor, torch.Tensor | None], float] | None = None,
) -> Result:
    """Gradient descent, heavy ball or Nesterov on ``loss(A X − B)``.

    ``lr=None`` means Polyak's step ``loss / ‖gradient‖²`` (the loss's minimum taken as 0).
    ``measure(R, G)`` is the stopping measure of the iterate with residual ``R`` (``G`` its
    gradient ``Aᵀ∇loss(R)`` where known); by default the system's relative residual.
    """
    A, B = system.A, system.B
    R = A @ X - B
    value, grad_R = loss(R)
    G = A.mT @ grad_R
    if measure is None:
        squared = loss is _l2

        def measure(R: torch.Tensor, G: torch.Tensor | None) -> float:
            return system.residual(R, G if squared else None)

    status = tracker.start(X, loss=value, residual=measure(R, G))
    velocity = torch.zeros_like(X)
    X_previous, R_previous = X, R
    for _ in range(1, tracker.max_iter + 1):
        if status is not None:
            break
        if nesterov:  # the gradient is taken at the look-ahead point Y = X + μ(X − X_prev)
            Y = X + momentum * (X - X_previous)
            value_Y, grad_R = loss(R + momentum * (R - R_previous))
            G = A.mT @ grad_R
            step = lr if lr is not None else _polyak(value_Y, G)
            X_previous, R_previous = X, R
            X = Y - step * G
        else:  # heavy ball, with torch.optim.SGD's convention: v ← μ v + g, x ← x − lr v
            step = lr if lr is not None else _polyak(value, G)
            velocity = momentum * velocity + G
            X = X - step * velocity
        R = A @ X - B
        value, grad_R = loss(R)
        if not nesterov:
            G = A.mT @ grad_R
        status = tracker.step(X, loss=value, residual=measure(R, None if nesterov else G))
    return tracker.result(status)


class _CGLSState:
    """The iterate of a CGLS run: ``X``, its residual ``R = B − A X`` and ``S = Aᵀ R``."""

    __slots__ = ("R", "S", "X")

    def __init__(self, X: torch.Tensor, R: torch.Tensor, S: torch.Tensor) -> None:
        self.X, self.R, self.S = X, R, S


def _cgls(
    A: Operator,
    state: _CGLSState,
    max_iter: int,
    *,
    reorthogonalise: bool = True,
    precondition: Precondition | None = None,
) -> Iterator[_CGLSState]:
    """CGLS: conjugate gradient on ``AᵀA X = AᵀR₀``, one independent run per column.

    Starts from ``state`` and updates it after each iteration, at most ``max_iter`` times,
    yielding it each time; the caller stops by leaving the loop, and may replace ``state.R``
    by the true residual in between, from which CG then restarts. With ``reorthogonalise``
    the normal residuals ``S`` are reorthogonalised against all the earlier ones (see
    Note [CG reorthogonalisation]). ``precondition`` applies ``M⁻¹ ≈ (AᵀA)⁻¹`` to normal
    residuals (preconditioned CG on the normal equations; no reorthogonalisation then).
    """
    n, k = state.S.shape
    tiny = torch.finfo(A.dtype).tiny
    # One column on a CPU: the step lengths as Python floats, which saves several small tensor
    # operations per step (on a GPU, reading them would synchronise it every time).
    scalar = k == 1 and A.device.type == "cpu"

    def dot(U: torch.Tensor, V: torch.Tensor) -> Any:  # per column, kept ≥ tiny
        d = torch.linalg.vecdot(U, V, dim=0)
        return max(d.item(), tiny) if scalar else d.clamp_min(tiny)

    def axpy(Y: torch.Tensor, a: Any, X: torch.Tensor, sign: float = 1.0) -> torch.Tensor:
        return torch.add(Y, X, alpha=sign * a) if scalar else torch.addcmul(Y, a, X, value=sign)

    # Note [CG reorthogonalisation]
    # In exact arithmetic the normal residuals S_0, S_1, ... are mutually orthogonal and CGLS
    # stops within rank(A) iterations. In floating point they lose orthogonality on
    # ill-conditioned systems and the iteration count grows far beyond that (for a 1024 × 1024
    # matrix with cond 1e3: about 3,500 iterations instead of 600). Projecting each new S out
    # of the span of the earlier ones (classical Gram–Schmidt, one pass) restores the
    # exact-arithmetic behaviour; it changes only the search directions, so X and R stay
    # consistent. The basis costs n × k × iterations numbers, at most n + 1 per column before
    # CG restarts; it is kept only if that fits in _REORTH_BUDGET bytes (else plain CGLS).
    capacity = min(n, max_iter) + 1
    fits = k * n * capacity * A.element_size() <= _REORTH_BUDGET
    if precondition is not None:
        reorthogonalise = False  # the directions are M⁻¹-orthogonal: the basis does not apply
    steps = 0
    while steps < max_iter:
        # (re)start: the first direction is the (preconditioned) normal residual itself
        S = state.S
        Z = S if precondition is None else precondition(S)
        P = Z
        gamma = dot(S, Z)
        basis: torch.Tensor | None = None
        if reorthogonalise and fits:
            basis = torch.empty(k, capacity, n, dtype=A.dtype, device=A.device)
            basis[:, 0, :] = (S / gamma**0.5).mT
        stored = 1
        for _ in range(max_iter - steps):
            Q = A @ P
            alpha = gamma / dot(Q, Q)
            state.X = axpy(state.X, alpha, P)
            state.R = axpy(state.R, alpha, Q, sign=-1.0)
            S = A.mT @ state.R
            if basis is not None and stored < capacity:
                if k == 1:  # two matrix-vector products, cheaper than the batched form
                    W1 = basis[0, :stored, :]
                    S = torch.addmm(S, W1.mT, W1 @ S, alpha=-1)
                else:
                    W = basis[:, :stored, :]  # (k, stored, n): one orthonormal basis per column
                    S = S - (W.mT @ (W @ S.mT.unsqueeze(-1))).squeeze(-1).mT
            Z = S if precondition is None else precondition(S)
            gamma_new = dot(S, Z)
            if basis is not None and stored < capacity:
                if scalar:  # written in place: one operation fewer per iteration
                    torch.mul(S[:, 0], gamma_new**-0.5, out=basis[0, stored, :])
                else:
                    basis[:, stored, :] = (S / gamma_new**0.5).mT
                stored += 1
            P = axpy(Z, gamma_new / gamma, P)  # Z + βP
            gamma = gamma_new
            state.S = S
            steps += 1
            R = state.R
            yield state
            # restart when the caller replaced R by the true residual, or when the basis is
            # full: n orthogonal directions are spent, and what is left of S is rounding
            if state.R is not R or (basis is not None and stored == capacity):
                state.S = A.mT @ state.R
                break


def _conjugate_gradient(
    system: _System,
    X: torch.Tensor,
    tracker: Tracker,
    *,
    reorthogonalise: bool = True,
    precondition: Precondition | None = None,
) -> Result:
    """CGLS on ``A X = B``, stopped on the true residual (see :func:`_cgls`)."""
    A, B = system.A, system.B
    tracker.verify = system.true_residual  # the steps' residuals are the recurrence's
    R = B - A @ X
    loss, residual = system.measure(R)
    status = tracker.start(X, loss=loss, residual=residual)
    if status is None:
        status = _continue_cgls(
            system, X, R, tracker, reorthogonalise=reorthogonalise, precondition=precondition
        )
    return tracker.result(status)


def _continue_cgls(
    system: _System,
    X: torch.Tensor,
    R: torch.Tensor,
    tracker: Tracker,
    *,
    reorthogonalise: bool = True,
    precondition: Precondition | None = None,
) -> str | None:
    """Run CGLS from ``X`` (with ``R = B − A X``) until the tracker stops it or the iterations
    run out; returns the status (``None`` for the latter)."""
    # CG forms squares of the sizes of A and R. A is scaled already (Note [scaling]); R can
    # be far from 1 by the time CG restarts, so CG runs exactly on R·2^-r, whose iterate is
    # X·2^-r
    A, r = system.A, binary_exponent(_norm(R), R.dtype)
    to_x = to_r = 2.0**-r  # from the system's units to CG's
    state = _CGLSState(X * to_x, R * to_r, A.mT @ (R * to_r))
    run = _cgls(
        A,
        state,
        tracker.max_iter - tracker.nit,
        reorthogonalise=reorthogonalise,
        precondition=precondition,
    )
    for _ in run:  # updates state
        X = state.X if to_x == 1 else state.X / to_x
        R = state.R if to_r == 1 else state.R / to_r
        normal = state.S if r == 0 else state.S / to_r  # Aᵀ R
        # the recurrence's R drifts from B − A X; the stopping test uses the true residual
        loss, residual = system.measure(R, normal)
        exact = residual <= tracker.tol
        if exact:
            R = system.B - system.A @ X
            state.R = R * to_r  # a new tensor: CG restarts from it
            loss, residual = system.measure(R)
        status = tracker.step(X, loss=loss, residual=residual, exact=exact)
        if status is not None:
            return status
    return None


class _Breakdown(NamedTuple):
    """Why plain CG stopped early: a curvature ``pᵀAp ≤ 0`` (A is not positive definite) or
    ``rᵀM⁻¹r ≤ 0`` (the preconditioner is not)."""

    what: str  # "A" or "preconditioner"
    value: float
    step: int


def _on_vectors(precondition: Precondition) -> Precondition:
    """``precondition`` (of ``(n, 1)`` residuals) applied to ``(n,)`` vectors."""
    return lambda R: precondition(R.unsqueeze(1))[:, 0]


def _plain_cg(
    system: _System,
    X: torch.Tensor,
    tracker: Tracker,
    *,
    precondition: Precondition | None = None,
    breakdown: list[_Breakdown] | None = None,
) -> Result:
    """Conjugate gradient (Hestenes and Stiefel) on ``A X = B`` for a symmetric positive
    definite ``A``, one independent run per column, stopped on the true residual.

    Note [plain CG]
    Each step: ``q = A p``, ``α = ρ/pᵀq``, ``x ← x + αp``, ``r ← r − αq``, ``z = M⁻¹r``,
    ``ρ' = rᵀz``, ``p ← z + (ρ'/ρ) p``: one product with ``A``, no ``Aᵀ``, and five vectors
    of memory (``x``, ``r``, ``p``, ``q``, ``z``; ``z`` is ``r`` without a preconditioner),
    whatever the number of steps. The iteration count grows like ``√κ(A)``, not like the
    ``κ(A)`` of CG on the normal equations. The stopping test is ``‖r‖ ≤ tol·‖b‖`` on the
    recurrence's ``r`` (SciPy's ``cg`` tests ``‖r‖ < tol·‖b‖`` on it); when it passes, the
    true residual ``b − A x`` is computed and, if it is not below ``tol`` after all, CG
    restarts from it. ``pᵀAp ≤ 0`` proves
    that ``A`` is not positive definite (and ``rᵀM⁻¹r ≤ 0`` that the preconditioner is
    not): the run ends there, recording why in ``breakdown``.
    """
    A, B = system.A, system.B
    tracker.verify = system.true_residual
    tiny = torch.finfo(B.dtype).tiny
    k = B.shape[1]
    single = k == 1 and B.device.type == "cpu"  # floats, not tensors, for the step lengths
    scale = system.scale
    if single:  # one column: vectors, whose products are the fastest
        X, B = X[:, 0], B[:, 0]
        if precondition is not None:
            precondition = _on_vectors(precondition)
    squeeze = (lambda T: T.unsqueeze(1)) if single else (lambda T: T)

    def dot(U: torch.Tensor, V: torch.Tensor) -> Any:
        return torch.dot(U, V).item() if single else torch.linalg.vecdot(U, V, dim=0)

    def nonpositive(d: Any, rho: Any) -> float | None:
        """The first of ``d`` that is ≤ 0 in a column still running (ρ > 0), else None."""
        if single:
            return d if d <= 0 < rho else None
        bad = (d <= 0) & (rho > 0)
        return float(d[bad][0].item()) if bool(bad.any()) else None

    R = B - A @ X
    loss, residual = system.measure(squeeze(R))
    status = tracker.start(squeeze(X), loss=loss, residual=residual)
    while status is None and tracker.nit < tracker.max_iter:
        # (re)start from the residual R = B − A X
        Z = R if precondition is None else precondition(R)
        rho = dot(R, Z)
        P = Z
        for _ in range(tracker.max_iter - tracker.nit):
            Q = A @ P
            curvature = dot(P, Q)
            bad = nonpositive(curvature, rho)
            if bad is not None:
                if breakdown is not None:
                    breakdown.append(_Breakdown("A", bad, tracker.nit + 1))
                return tracker.result("breakdown")
            alpha = rho / curvature if single else rho / curvature.clamp_min(tiny)
            if single:
                X = X.add(P, alpha=alpha)
                R = R.add(Q, alpha=-alpha)
            else:
                X = torch.addcmul(X, alpha, P)
                R = torch.addcmul(R, alpha, Q, value=-1)
            Z = R if precondition is None else precondition(R)
            rho_new = dot(R, Z)
            if precondition is not None:
                # rᵀM⁻¹r ≤ 0 in a column whose residual is not 0: M is not positive definite
                norm = _norm(R)
                running = norm if single else torch.linalg.vector_norm(R, dim=0)
                bad = nonpositive(rho_new, running)
                if bad is not None:
                    if breakdown is not None:
                        breakdown.append(_Breakdown("preconditioner", bad, tracker.nit + 1))
                    return tracker.result("breakdown")
            else:
                norm = math.sqrt(rho_new) if single else _norm(R)
            residual = norm / scale
            exact = residual <= tracker.tol
            if exact:  # the recurrence says done: judge the true residual
                R = B - A @ X
                loss, residual = system.measure(squeeze(R))
            else:
                loss = system.loss_scale * norm * norm
            status = tracker.step(squeeze(X), loss=loss, residual=residual, exact=exact)
            if status is not None or exact:
                break  # done, or restart from the true residual
            beta = rho_new / rho if single else rho_new / rho.clamp_min(tiny)
            P = Z.add(P, alpha=beta) if single else torch.addcmul(Z, beta, P)
            rho = rho_new
    return tracker.result(status)


class _Refined(NamedTuple):
    """An iterate of ``cg-mixed``: ``X + scale·D``, formed only if the tracker returns it."""

    X: torch.Tensor
    D: torch.Tensor
    scale: float

    def tensor(self) -> torch.Tensor:
        return self.X + self.D.to(self.X.dtype) * self.scale


def _mixed_conjugate_gradient(system: _System, X: torch.Tensor, tracker: Tracker) -> Result:
    """CGLS in float32 inside float64 iterative refinement (see Note [Mixed precision]).

    Each refinement solves ``A D = R`` for the current residual ``R = B − A X`` by CGLS in
    float32, then forms ``X ← X + D`` and ``R = B − A X`` in float64.
    """
    # Note [Mixed precision]
    # A float32 matrix-vector product moves half the bytes of a float64 one, so CGLS steps in
    # float32 cost about half as much (a 1024 × 1024 system on two cores: 0.12 ms against
    # 0.29 ms for the two products of a step). Their accuracy is limited to roughly κ(A)·ε₃₂,
    # but iterative refinement recovers float64 accuracy: a float32 run only has to shrink
    # the current float64 residual by _REFINE_BY. A run ends at that target, when its
    # residual has not reached a new low for _PATIENCE steps (float32 has run out of digits),
    # or after n steps; the refinement takes its best iterate (and is undone if its true
    # residual is worse). Runs do not reorthogonalise (Note [CG reorthogonalisation]), which
    # is cheaper, until one loses orthogonality: every 8 steps a run checks that its normal
    # residual is still orthogonal to its first one, to √ε₃₂; once it is not, the run ends and
    # all later runs reorthogonalise. A refinement that does not shrink the true residual tenfold
    # (_MIN_GAIN) means float32 cannot resolve the system well: the run goes on with float64
    # CGLS from there. Measured at n = 300: the float32 runs carry the whole solve up to
    # κ(A) ≈ 20; from κ(A) ≈ 30–40 the first run loses orthogonality within a few dozen
    # steps, gains less than tenfold, and float64 takes over, so cg-mixed costs those steps
    # more than cg. The saving per step grows with n: at n = 300 a float32 step is about 15 %
    # cheaper, at n = 1024 about half. The stopping test always uses the true float64
    # residual.
    A, B = system.A, system.B
    # float32's range holds CG's products: A is scaled already (Note [scaling])
    A32 = A.to(torch.float32)
    tracker.verify = lambda state: system.true_residual(
        state.tensor() if isinstance(state, _Refined) else state
    )
    tiny, tiny32 = torch.finfo(A.dtype).tiny, torch.finfo(torch.float32).tiny
    reorthogonalise = False
    R = B - A @ X
    loss, residual = system.measure(R)
    status = tracker.start(X, loss=loss, residual=residual)
    while status is None and tracker.nit < tracker.max_iter:
        # scaled to norm 1, so that float32's range is never the limit; D solves
        # A D = R/‖R‖, so the correction to X is D·‖R‖
        norm = max(_norm(R), tiny)
        R32 = (R / norm).to(torch.float32)
        scale = norm
        inner = _CGLSState(torch.zeros_like(X, dtype=torch.float32), R32, A32.mT @ R32)
        target = max(tracker.tol, _REFINE_BY * residual)
        start = (X, R, loss, residual)  # kept if the refinement makes things worse
        refined_from, best, best_D, since_best = residual, math.inf, inner.X, 0
        budget = min(A.shape[1], tracker.max_iter - tracker.nit)
        first = inner.S / inner.S.norm(dim=0).clamp_min(tiny32)
        run = _cgls(A32, inner, budget, reorthogonalise=reorthogonalise)
        for count, inner in enumerate(run, start=1):
            # the residual of D, scaled back: that of X + D
            loss, residual = system.measure(inner.R, inner.S)
            loss = loss * norm * norm  # inf, not an OverflowError, for a huge R
            residual = residual * norm
            if residual < best:
                best, best_D, since_best = residual, inner.X, 0
            else:
                since_best += 1
            lost = False
            if not reorthogonalise and count % 8 == 0:
                cosines = torch.linalg.vecdot(inner.S, first, dim=0)
                overlap = cosines.abs() / inner.S.norm(dim=0).clamp_min(tiny32)
                lost = bool((overlap > _SEMI_ORTHOGONAL).any())
                reorthogonalise = lost  # the next runs reorthogonalise
            refine = residual <= target or since_best >= _PATIENCE or count == budget or lost
            state: torch.Tensor | _Refined = _Refined(X, inner.X, scale)
            if refine:
                X = X + best_D.to(X.dtype) * scale  # in float64: scale may exceed float32
                R = B - A @ X
                loss, residual = system.measure(R)
                if not residual < refined_from:  # float32's estimates misled the run
                    X, R, loss, residual = start
                state = X
            status = tracker.step(state, loss=loss, residual=residual, exact=refine)
            if status is not None or refine:
                break
        if status is None and residual > _MIN_GAIN * refined_from:  # float32 is not enough
            status = _continue_cgls(system, X, R, tracker)
            break
    return tracker.result(status)


def _l1_certificate(A: torch.Tensor, R: torch.Tensor, B: torch.Tensor, X: torch.Tensor) -> float:
    """The norm of the smallest subgradient of ‖A X − B‖₁ that the residuals ``R`` allow:
    ``min ‖Aᵀs‖`` over ``s = sign(r)`` where ``r ≠ 0`` and ``s ∈ [−1, 1]`` where ``r`` is 0 to
    rounding (an upper bound: the least-squares ``s`` clipped to the box), summed over columns.
    0 certifies a minimiser: the loss is convex."""
    eps = torch.finfo(A.dtype).eps
    total = 0.0
    for j in range(R.shape[1]):
        r = R[:, j]
        zero = r.abs() <= 64 * eps * (A.abs().max() * X[:, j].abs().sum() + B[:, j].abs().max())
        g = A[~zero].mT @ r[~zero].sign()
        if bool(zero.any()):
            A_zero = A[zero]
            s = torch.linalg.lstsq(A_zero.mT, -g.unsqueeze(1)).solution.squeeze(1)
            g = g + A_zero.mT @ s.clamp(-1.0, 1.0)
        total = math.hypot(total, _norm(g))
    return total


def _l1_smoothing(
    system: _System, X: torch.Tensor, tracker: Tracker, *, L: float, stage: int = 100_000
) -> Result:
    """ℓ₁ regression by gradient descent on Huber losses of shrinking width (Note [ℓ₁ fit])."""
    # Note [ℓ₁ fit]
    # The minimiser of ‖Ax − b‖₁ for a tall A has (generically) n zero residuals, where the
    # loss has kinks: no gradient step lands there. Madsen and Nielsen (1993) minimise the
    # smooth f_δ = Σ h_δ(r_i)/δ (Huber's loss, quadratic for |r| ≤ δ) instead, whose gradient
    # Aᵀclip(r/δ, −1, 1) is (L/δ)-Lipschitz, so gradient descent with the step δ/L converges;
    # as δ shrinks its minimiser approaches the ℓ₁ one, and the rows with |r_i| ≤ δ are those
    # whose residuals are 0 there. Every 25 steps the iterate is polished, made to solve its
    # n rows of smallest residual exactly, and the polished point is judged by the ℓ₁
    # certificate (_l1_certificate); when f_δ's gradient has fallen 1000-fold (or after
    # `stage` steps) δ shrinks tenfold. (Polishing needs one column of b.)
    A, B = system.A, system.B
    assert isinstance(A, torch.Tensor)  # the method refuses an operator (it polishes on rows)
    tiny = torch.finfo(A.dtype).tiny
    R = A @ X - B
    first = max(_norm(A.mT @ R.sign()), tiny)
    certificate = _l1_certificate(A, R, B, X) / first
    candidate = X
    status = tracker.start(X, loss=R.abs().sum(), residual=certificate)
    delta = max(float(R.abs().max().item()) / 2, tiny)
    while status is None and delta > torch.finfo(A.dtype).eps * float(B.abs().max().item()):
        stage_start = math.inf
        for count in range(1, stage + 1):
            if tracker.nit >= tracker.max_iter:
                return tracker.result(None)
            G = A.mT @ (R / delta).clamp(-1.0, 1.0)
            size = _norm(G)
            stage_start = min(stage_start, size) if count == 1 else stage_start
            X = X - (delta / L) * G
            R = A @ X - B
            status = tracker.step(candidate, loss=R.abs().sum(), residual=certificate)
            if status is not None:
                return tracker.result(status)
            if count % 25 == 0 and R.shape[1] == 1:  # polish, and judge the polished point
                # the n smallest residuals: the rows that vanish at the ℓ₁ minimiser
                rows = R[:, 0].abs().argsort()[: A.shape[1]]
                polished = X - torch.linalg.lstsq(A[rows], R[rows]).solution
                value = _l1_certificate(A, A @ polished - B, B, polished) / first
                if value < certificate:
                    candidate, certificate = polished, value
                if certificate <= tracker.tol:
                    R_c = A @ candidate - B
                    return tracker.result(
                        tracker.step(candidate, loss=R_c.abs().sum(), residual=certificate)
                    )
            if size <= 1e-3 * stage_start:  # f_δ is minimised: a narrower Huber next
                break
        delta /= 10
    return tracker.result(status or "stalled")


def _torch_optimizer(
    system: _System,
    X: torch.Tensor,
    tracker: Tracker,
    *,
    loss: LossFunction,
    make_optimizer: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
    measure: Callable[[torch.Tensor, torch.Tensor | None], float],
) -> Result:
    """Minimise ``loss(A X − B)`` with a ``torch.optim`` optimizer and full-batch gradients."""
    A, B = system.A, system.B
    parameter = X.detach().clone().requires_grad_(True)
    optimizer = make_optimizer([parameter])
    with torch.no_grad():
        R = A @ parameter - B
        value, _ = loss(R)
    status = tracker.start(X, loss=value, residual=measure(R, None))
    for _ in range(1, tracker.max_iter + 1):
        if status is not None:
            break
        optimizer.zero_grad()
        with torch.no_grad():
            _, grad_R = loss(A @ parameter - B)
        parameter.grad = A.mT @ grad_R
        optimizer.step()
        with torch.no_grad():
            X = parameter.detach().clone()
            R = A @ X - B
            value, _ = loss(R)
        status = tracker.step(X, loss=value, residual=measure(R, None))
    return tracker.result(status)


# --- the problem, checked and scaled -----------------------------------------------------------

_DEGREE = {"l2": 2, "l2-norm": 1, "l1": 1}  # loss(2^c R) = 2^(degree·c) loss(R)
_OWN_MEASURE = ("l2", "l2-norm")  # losses whose minimiser makes Aᵀ(Ax − b) vanish


class _Problem:
    """``A x = b`` with its loss, checked, and scaled by powers of two (see Note [scaling]).

    Note [scaling]
    Every method runs on ``A' = A·2^-a`` and ``B' = B·2^-c`` (``a``, ``c`` from
    :func:`~gdtutorial._loop.binary_scale`: 0 unless the entries are far from 1), whose
    solution is ``X' = X·2^(a − c)``. Scaling by a power of two is exact, so the relative
    residuals, the iterates (up to that factor) and the statuses are those of the unscaled
    problem, but no norm, product or step size can leave the dtype's range on the way (Aᵀb
    of a system scaled by 2^-1000 underflows to 0 in float64). A callable loss is evaluated
    on the caller's residual (``c = 0``): its scale is the caller's. Step sizes are converted:
    a step ``lr`` of the caller's is ``lr·2^e`` on the scaled problem (``e`` is
    ``lr_exponent``), and a step the package suggests is converted back.
    """

    def __init__(self, A: Any, b: Any, x0: Any, loss: Any) -> None:
        A = as_operator(A, "A")
        b = check_tensor(b, "b", ndim=(1, 2))
        m, n = A.shape
        if b.shape[0] != m:
            raise ValueError(
                f"Expected b with {m} rows (A is {m} × {n}), got shape {tuple(b.shape)}"
            )
        self.x_shape = (n, *b.shape[1:])
        if x0 is not None:
            x0 = check_tensor(x0, "x0", ndim=b.ndim)
            if tuple(x0.shape) != self.x_shape:
                raise ValueError(
                    f"Expected x0 of shape {self.x_shape}, got shape {tuple(x0.shape)}"
                )
        check_same_device(A=A, b=b, x0=x0)
        check_same_dtype(A=A, b=b, x0=x0)
        function = check_choice(loss, "loss", _LOSSES, allow_callable=True)
        self.loss_name: str | None = loss if isinstance(loss, str) else None
        self.degree = _DEGREE.get(loss) if isinstance(loss, str) else None
        B = b.reshape(m, -1)
        self.a = binary_scale(A)
        self.c = binary_scale(B) if self.degree else 0
        self.system = _System(times_power_of_two(A, -self.a), times_power_of_two(B, -self.c))
        self.loss: LossFunction = (
            function if isinstance(loss, str) else _with_autograd(function, b.shape)  # type: ignore[arg-type]
        )
        X = torch.zeros(n, B.shape[1], dtype=A.dtype, device=A.device)
        if x0 is not None:  # a copy: the result must not share memory with x0
            X = times_power_of_two(x0.reshape(n, -1).clone(), self.a - self.c)
        self.X0 = X
        self.m, self.n, self.size, self.dtype = m, n, min(m, n), A.dtype
        self.names = "A and b"
        self.least_squares = m > n
        self.dense = isinstance(A, torch.Tensor)
        self.kind = (
            "a dense tensor"
            if isinstance(A, torch.Tensor)
            else "a sparse tensor"
            if isinstance(A, SparseOperator)
            else "a LinearOperator"
        )
        self.has_transpose = isinstance(A, torch.Tensor) or A.has_transpose
        self.lr_exponent = 2 * self.a - 2 * self.c + (self.degree or 0) * self.c
        self.loss_exponent = (self.degree or 0) * self.c

    @functools.cached_property
    def symmetric(self) -> bool:
        """Whether ``A`` is known to be symmetric (see ``gdtutorial.operators.is_symmetric``)."""
        return is_symmetric(self.system.A)

    def to_user(self, X: torch.Tensor) -> torch.Tensor:
        """An iterate of the scaled problem as the caller's ``x``."""
        return times_power_of_two(X, self.c - self.a).reshape(self.x_shape)

    def scaled_lr(self, lr: float, exponent: int | None = None) -> float:
        """A step of the caller's on the scaled problem (inf where it overflows)."""
        return _ldexp(lr, self.lr_exponent if exponent is None else exponent)

    def user_lr(self, lr: float, exponent: int | None = None) -> float:
        """A step on the scaled problem in the caller's units (0 or inf outside floats)."""
        return _ldexp(lr, -(self.lr_exponent if exponent is None else exponent))


# --- the methods' specs ------------------------------------------------------------------------


class _SolveMethod(Method):
    """What every method of :func:`solve` shares: the result in the caller's units, advice."""

    problem: _Problem
    needs_transpose = True  # whether the method applies Aᵀ

    @classmethod
    def check(cls, problem: _Problem) -> None:
        if cls.needs_transpose and not problem.has_transpose:
            raise ValueError(
                f"Expected a LinearOperator with rmatvec with method={cls.name!r}, which "
                "applies Aᵀ, got one without; pass rmatvec= (or symmetric=True if Aᵀ = A)"
            )

    def build(self, state: Any, **fields: Any) -> Result:
        x = state.tensor() if isinstance(state, _Refined) else state
        fields["loss_history"] = times_power_of_two(
            fields["loss_history"], self.problem.loss_exponent
        )
        return Result(x=self.problem.to_user(x), **fields)

    def faster(self) -> str | None:
        if self.name in ("cg", "cgls", "cg-mixed"):
            return None
        return self.suggest(method="cg") or self.suggest(method="cgls")

    def more_iterations(self, tracker: Tracker) -> str | None:
        if self.problem.loss_name in ("l1", "l2-norm") and "lr" in self.given:
            # a fixed step on a non-smooth loss settles in a band: more steps do not help
            polyak = self.suggest(lr=None)
            return f"A fixed step cannot settle on a non-smooth loss; try {polyak}."
        return super().more_iterations(tracker)

    def stalled(self, tracker: Tracker) -> str:
        reason = (
            "A may be too ill-conditioned for this method and dtype"
            if self.problem.least_squares
            else "The system may be singular without an exact solution, or too "
            "ill-conditioned for this method and dtype"
        )
        if self.problem.dtype != torch.float64:
            reason += " (float64 has more digits)"
        cg = self.faster()
        return f"{reason}; try {cg}." if cg else f"{reason}."


class _Stepping(_SolveMethod):
    """Methods with a step size: gradient descent, heavy ball, Nesterov, SGD, Adam."""

    settings: ClassVar[Mapping[str, str]] = {
        "lr": "the step size; None derives it (see solve's docstring)",
    }
    lr: float | None  # the step on the scaled problem; None: Polyak's
    momentum = 0.0

    def prepare(self) -> None:
        problem, given = self.problem, self.given
        self.estimates: tuple[float, float] | None = None
        self.lr = problem.scaled_lr(given["lr"]) if "lr" in given else self.derived_lr()

    def curvature(self) -> tuple[float, float]:
        """``(L, μ)`` of ½‖A'x − B'‖² (a unit step for A = 0)."""
        if self.estimates is None:
            self.estimates = estimate_curvature(self.problem.system.A, safety=_SAFETY) or (1.0, 0.0)
        return self.estimates

    def derived_lr(self) -> float | None:
        if self.problem.loss_name == "l2":
            L, mu = self.curvature()
            return 2 / (L + mu)
        if self.problem.least_squares and self.problem.loss_name not in _OWN_MEASURE:
            return 1 / self.curvature()[0]  # 1/L: safe for a loss whose curvature is ≤ 1
        return None  # Polyak's step

    def measure(self) -> Callable[[torch.Tensor, torch.Tensor | None], float] | None:
        """The stopping measure: the residual, except for a loss on a tall A whose minimiser
        does not solve the normal equations (ℓ₁, a callable): there the norm of its gradient
        ``Aᵀ∇loss(r)``, relative to the gradient at the start."""
        problem = self.problem
        if not problem.least_squares or problem.loss_name in _OWN_MEASURE:
            return None
        A, loss = problem.system.A, problem.loss
        first: list[float] = []

        def gradient_measure(R: torch.Tensor, G: torch.Tensor | None) -> float:
            norm = _norm(A.mT @ loss(R)[1] if G is None else G)
            if not first:
                first.append(norm if norm > 0 else 1.0)
            return norm / first[0]

        return gradient_measure

    def run(self, tracker: Tracker) -> Result:
        problem = self.problem
        return _gradient_descent(
            problem.system,
            problem.X0,
            tracker,
            loss=problem.loss,
            lr=self.lr,
            momentum=self.momentum,
            nesterov=self.name == "nesterov",
            measure=self.measure(),
        )

    def diverged(self) -> str:
        derived = "lr" not in self.given
        if self.lr is None:  # Polyak's step: suggest a fixed one
            safer = self.problem.user_lr(0.1 / self.curvature()[0])
            suggestion = self.suggest(lr=safer)
            text = "Polyak's step assumes the loss's minimum is 0"
            return f"{text}; try {suggestion}." if suggestion else f"{text}."
        used = self.problem.user_lr(self.lr)
        L = self.curvature()[0]
        # the middle of the stable range: gd and Nesterov 1/L, heavy ball (1 + μ)/L
        heavy = self.name in ("momentum", "sgd")
        safer = (1 + self.momentum * heavy) / L if self.problem.loss_name == "l2" else self.lr / 10
        return self.step_size(used, self.problem.user_lr(safer), derived)


class _GradientDescent(_Stepping):
    name = "gd"
    summary = "gradient descent, x ← x − lr·∇f(x), the source post's method."

    def l1_fit(self) -> bool:
        """Whether this run is an ℓ₁ fit of a tall system by smoothing (Note [ℓ₁ fit])."""
        problem = self.problem
        return problem.loss_name == "l1" and problem.least_squares and "lr" not in self.given

    def prepare(self) -> None:
        super().prepare()
        if self.l1_fit():
            self.stall_window = None  # the stages end themselves
            if not self.problem.dense:
                raise ValueError(
                    "Expected a dense A for loss='l1' on a tall system with method='gd' "
                    f"(its fit solves for rows of A), got {self.problem.kind}; pass A.to_dense()"
                    " or an lr"
                )

    def run(self, tracker: Tracker) -> Result:
        if not self.l1_fit():
            return super().run(tracker)
        problem = self.problem
        L = self.curvature()[0]
        return _l1_smoothing(problem.system, problem.X0, tracker, L=L)


class _HeavyBall(_Stepping):
    name = "momentum"
    summary = "heavy ball, v ← μ v + ∇f(x), x ← x − lr·v (torch's convention)."
    settings: ClassVar[Mapping[str, str]] = {
        **_Stepping.settings,
        "momentum": "μ in [0, 1); None: the heavy-ball optimum with a derived lr, else 0.9",
    }

    def prepare(self) -> None:
        super().prepare()
        self.momentum = self.given.get("momentum", 0.9 if self.lr is not None else 0.5)
        if self.problem.loss_name == "l2" and "lr" not in self.given:
            self.optimum(*self.curvature())

    def optimum(self, L: float, mu: float) -> None:
        """The derived step (and momentum, unless given) for the squared loss."""
        if "momentum" in self.given:
            self.lr = (1 + self.momentum) / L
        else:
            self.lr = 4 / (L**0.5 + mu**0.5) ** 2
            self.momentum = ((L**0.5 - mu**0.5) / (L**0.5 + mu**0.5)) ** 2


class _Nesterov(_HeavyBall):
    name = "nesterov"
    summary = "Nesterov's method, y = x + μ(x − x_prev), x ← y − lr·∇f(y)."

    def optimum(self, L: float, mu: float) -> None:
        self.lr = 1 / L
        if "momentum" not in self.given:
            self.momentum = (L**0.5 - mu**0.5) / (L**0.5 + mu**0.5)


class _TorchOptimizer(_Stepping):
    """A ``torch.optim`` optimizer with full-batch gradients."""

    settings: ClassVar[Mapping[str, str]] = _HeavyBall.settings

    def make(self, params: list[torch.Tensor]) -> torch.optim.Optimizer:  # pragma: no cover
        raise NotImplementedError

    def run(self, tracker: Tracker) -> Result:
        problem = self.problem
        measure = self.measure() or (lambda R, G: problem.system.residual(R))
        return _torch_optimizer(
            problem.system,
            problem.X0,
            tracker,
            loss=problem.loss,
            make_optimizer=self.make,
            measure=measure,
        )


class _SGD(_TorchOptimizer):
    name = "sgd"
    summary = "torch.optim.SGD with full-batch gradients (lr 1/L, momentum 0 by default)."

    def derived_lr(self) -> float:
        return 1 / self.curvature()[0]

    def make(self, params: list[torch.Tensor]) -> torch.optim.Optimizer:
        return torch.optim.SGD(params, lr=self.lr or 0.0, momentum=self.given.get("momentum", 0.0))


class _Adam(_TorchOptimizer):
    name = "adam"
    summary = "torch.optim.Adam with full-batch gradients (lr 1e-2, β₁ = 0.9 by default)."

    def prepare(self) -> None:
        # Adam's steps move x by about lr whatever the gradient's size: lr is in x's units
        self.estimates = None
        self.exponent = self.problem.a - self.problem.c
        lr = self.given.get("lr", 1e-2)
        self.lr = self.problem.scaled_lr(lr, self.exponent)

    def make(self, params: list[torch.Tensor]) -> torch.optim.Optimizer:
        beta1 = self.given.get("momentum", 0.9)
        return torch.optim.Adam(params, lr=self.lr or 0.0, betas=(beta1, 0.999))

    def diverged(self) -> str:
        used = self.problem.user_lr(self.lr, self.exponent)  # type: ignore[arg-type]
        return self.step_size(used, used / 10, "lr" not in self.given)


class _Krylov(_SolveMethod):
    """What plain CG and CGLS share: the squared loss only, their budgets, a preconditioner."""

    budget = "max(100, 4·min(m, n))"
    stalls = "max(100, min(m, n)/2)"
    divides_by: ClassVar[str] = ""  # what preconditioner='jacobi' divides by, in words

    @classmethod
    def check(cls, problem: _Problem) -> None:
        super().check(problem)
        if problem.loss_name != "l2":
            loss = problem.loss_name or "a callable"
            raise ValueError(
                f"Expected loss='l2' with method={cls.name!r} (CG minimises ½‖Ax − b‖²), "
                f"got {loss!r}; use method='gd' for other losses"
            )

    def default_max_iter(self) -> int:
        return max(100, 4 * self.problem.size)

    def prepare(self) -> None:
        self.stall_window = max(100, self.problem.size // 2)
        self.precondition = self.preconditioner()

    def diagonal(self) -> torch.Tensor | None:  # pragma: no cover - each method overrides it
        """The diagonal that preconditioner='jacobi' divides by."""
        raise NotImplementedError

    def preconditioner(self) -> Precondition | None:
        """``M⁻¹`` as a function of ``(n, k)`` residuals, from the ``preconditioner`` setting."""
        given = self.given.get("preconditioner")
        problem = self.problem
        if given is None:
            return None
        if given == "jacobi":
            d = self.diagonal()
            if d is None:
                raise ValueError(
                    f"Expected A as a tensor (dense or sparse) with preconditioner='jacobi', "
                    f"which divides by {self.divides_by}, got {problem.kind}, whose entries are "
                    "unknown; pass as preconditioner= a function that applies your M⁻¹"
                )
            return self.jacobi(d)
        shape, n = problem.x_shape, problem.n

        def precondition(R: torch.Tensor) -> torch.Tensor:
            Z = given(R.reshape(shape))
            if not isinstance(Z, torch.Tensor) or tuple(Z.shape) != shape:
                got = tuple(Z.shape) if isinstance(Z, torch.Tensor) else type(Z).__name__
                raise ValueError(
                    f"Expected preconditioner(r) to return a tensor of r's shape {shape}, got {got}"
                )
            return Z.reshape(n, -1).to(R.dtype)

        return precondition

    def jacobi(self, d: torch.Tensor) -> Precondition:
        inverse = torch.where(d != 0, 1 / torch.where(d != 0, d, 1), 1).unsqueeze(1)
        return lambda R: R * inverse


class _CG(_Krylov):
    name = "cg"
    summary = (
        "conjugate gradient for a symmetric positive definite A: one product with A a step, "
        "O(n) memory; loss='l2' only."
    )
    settings: ClassVar[Mapping[str, str]] = {
        "preconditioner": "None, 'jacobi' (divides by diag(A)) or a callable applying M⁻¹",
    }
    divides_by = "diag(A)"
    needs_transpose = False

    @classmethod
    def check(cls, problem: _Problem) -> None:
        super().check(problem)
        if problem.m != problem.n:
            what = f"a {problem.m} × {problem.n} A"
        elif not problem.symmetric:
            what = "an A that is not symmetric"
            if problem.kind == "a LinearOperator":
                what = "a LinearOperator not declared symmetric=True"
        else:
            return
        raise ValueError(
            f"Expected a symmetric positive definite A with method='cg', got {what}; use "
            "method='cgls' (CG on the normal equations, for any A)"
        )

    def diagonal(self) -> torch.Tensor | None:
        d = diagonal(self.problem.system.A)
        if d is not None and not bool((d > 0).all()):
            index = int((d <= 0).nonzero()[0].item())
            value = times_power_of_two(d[index : index + 1], self.problem.a).item()
            raise ValueError(
                f"Expected a positive diagonal with preconditioner='jacobi' (a symmetric "
                f"positive definite A has one), got A[{index}, {index}] = {value:.3g}: A is not "
                "positive definite; use method='cgls'"
            )
        return d

    def run(self, tracker: Tracker) -> Result:
        self.breakdowns: list[_Breakdown] = []
        return _plain_cg(
            self.problem.system,
            self.problem.X0,
            tracker,
            precondition=self.precondition,
            breakdown=self.breakdowns,
        )

    def diverged(self) -> str:
        return (
            "A may be singular (only semi-definite) with b outside its range, or indefinite: "
            f"plain CG needs a positive definite A; try {self.cgls()} for a least-squares "
            "solution."
        )

    def stalled(self, tracker: Tracker) -> str:
        text = super().stalled(tracker)
        if "preconditioner" in self.given or not self.problem.kind.endswith("tensor"):
            return text
        return f"{text[:-1]}; or try {self.suggest(preconditioner='jacobi')}."

    def cgls(self) -> str | None:
        """The call that runs CGLS instead (which needs no positive definite A)."""
        reset = {"preconditioner": None} if "preconditioner" in self.given else {}
        return self.suggest(method="cgls", **reset)

    def breakdown(self, tracker: Tracker) -> str:
        event = self.breakdowns[-1]
        if event.what == "A":
            cgls = self.cgls()
            return (
                f"At step {event.step} the curvature pᵀAp was {event.value:.3g} ≤ 0, so A is "
                f"not positive definite, which plain CG needs; try {cgls} (CG on the normal "
                "equations, for any A)."
            )
        return (
            f"At step {event.step} rᵀM⁻¹r was {event.value:.3g} ≤ 0: the preconditioner is not "
            f"positive definite, which CG needs; try {self.suggest(preconditioner=None)}."
        )


class _CGLS(_Krylov):
    name = "cgls"
    summary = (
        "conjugate gradient on the normal equations AᵀAx = Aᵀb (CGLS), for any A; loss='l2' only."
    )
    settings: ClassVar[Mapping[str, str]] = {
        "preconditioner": "None, 'jacobi' (divides by the column norms², diag(AᵀA)) or a "
        "callable applying M⁻¹ ≈ (AᵀA)⁻¹",
        "reorthogonalise": "keep every normal residual and project new ones against them; None: "
        "for a dense A without a preconditioner, while the basis fits in 256 MiB",
    }
    divides_by = "the squared column norms of A"

    def diagonal(self) -> torch.Tensor | None:
        return column_norms2(self.problem.system.A)

    def reorthogonalise(self) -> bool:
        given = self.given.get("reorthogonalise")
        if given is None:
            return self.problem.dense and self.precondition is None
        return given

    def run(self, tracker: Tracker) -> Result:
        return _conjugate_gradient(
            self.problem.system,
            self.problem.X0,
            tracker,
            reorthogonalise=self.reorthogonalise(),
            precondition=self.precondition,
        )


class _MixedCG(_CGLS):
    name = "cg-mixed"
    summary = "CGLS in float32 inside float64 iterative refinement; float64 and loss='l2' only."
    settings: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def check(cls, problem: _Problem) -> None:
        super().check(problem)
        if problem.dtype != torch.float64:
            raise TypeError(
                "Expected float64 A and b with method='cg-mixed' (it iterates in float32 and "
                f"refines in float64), got {problem.dtype}; use method='cgls'"
            )
        if problem.kind == "a LinearOperator":
            raise TypeError(
                "Expected A as a tensor (dense or sparse) with method='cg-mixed', which makes "
                "a float32 copy of A, got a LinearOperator; use method='cgls'"
            )

    def run(self, tracker: Tracker) -> Result:
        return _mixed_conjugate_gradient(self.problem.system, self.problem.X0, tracker)


METHODS = Methods(
    "solve", _CG, _CGLS, _MixedCG, _GradientDescent, _HeavyBall, _Nesterov, _SGD, _Adam
)
"""The methods of :func:`solve`, by name."""


def solve(
    A: torch.Tensor | LinearOperator,
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    *,
    method: str | None = None,
    loss: str | Callable[[torch.Tensor], torch.Tensor] = "l2",
    lr: float | None = None,
    momentum: float | None = None,
    preconditioner: str | Callable[[torch.Tensor], torch.Tensor] | None = None,
    reorthogonalise: bool | None = None,
    tol: float | None = None,
    max_iter: int | None = None,
    callback: Callable[[Result], Any] | None = None,
) -> Result:
    r"""Solve ``A x = b`` (least squares when ``A`` is tall) by a gradient method.

    Parameters
    ----------
    A : torch.Tensor or LinearOperator
        ``(m, n)`` matrix, float32 or float64, on any device: a dense tensor, a sparse COO or
        CSR tensor (memory and each product proportional to its nonzeros), or a
        :class:`~gdtutorial.LinearOperator` that applies ``A`` (and ``Aᵀ``, for the methods
        that use it) as a function. Checked alike: shapes, dtypes, devices, finite stored
        values.
    b : torch.Tensor
        ``(m,)`` right-hand side, or ``(m, k)`` for ``k`` right-hand sides solved together.
    x0 : torch.Tensor, optional
        Starting point of ``b``'s shape with ``n`` rows; zeros by default. Never modified.
    method : {"cg", "cgls", "cg-mixed", "gd", "momentum", "nesterov", "sgd", "adam"}, optional
        ``None`` (the default) means, for ``loss="l2"``: ``"cg"`` when ``A`` is known
        symmetric (a tensor equal to its transpose to rounding, ``10·n·ε·max|A|``, or an
        operator declared ``symmetric=True``), and ``"cgls"`` otherwise, or when that CG run
        finds ``A`` not positive definite (then CGLS runs from the start, and the result is
        CGLS's); ``"gd"`` for the other losses. :func:`~gdtutorial.show_options` lists each
        method's settings.

        * ``"gd"``: gradient descent, ``x ← x − lr·∇f(x)``, the source post's method.
        * ``"momentum"``: heavy ball, with torch's convention ``v ← μ v + ∇f(x)``,
          ``x ← x − lr·v``.
        * ``"nesterov"``: ``y = x + μ(x − x_prev)``, ``x ← y − lr·∇f(y)``.
        * ``"cg"``: conjugate gradient (Hestenes and Stiefel) for a symmetric positive
          definite ``A``: one product with ``A`` per step (no ``Aᵀ``), memory for five
          vectors whatever the number of steps, and a step count that grows like ``√κ(A)``.
          It stops when ``‖b − A x‖ ≤ tol·‖b‖`` (SciPy's ``cg`` tests the same quantity, with
          ``<``, on its recurrence), checked on the true residual. A curvature
          ``pᵀAp ≤ 0`` proves ``A`` is not positive definite: the run ends with status
          ``"breakdown"`` and says what to use. Needs ``loss="l2"`` and a square ``A`` known
          symmetric.
        * ``"cgls"``: conjugate gradient on the normal equations ``AᵀA x = Aᵀb`` (CGLS), for
          any ``A``, least squares included (its step count grows like ``κ(A)``). With
          ``reorthogonalise`` the normal residuals are kept and each new one is projected
          against them, so the count stays near its exact-arithmetic value (at most
          ``rank(A)``); that takes up to ``n·(n + 1)`` numbers per column of ``b``, reserved
          up front, and is skipped where it exceeds 256 MiB. Needs ``loss="l2"``.
        * ``"cg-mixed"``: the same CGLS steps in float32, inside iterative refinement in
          float64: each float32 run solves ``A d = r`` for the current residual
          ``r = b − A x`` until ``r`` has shrunk 10⁴-fold, then ``x ← x + d`` and ``r`` are
          recomputed in float64. Float64 input only. A float32 step moves half the bytes,
          so where matrix–vector products are limited by memory (large A) a well-conditioned
          system (κ(A) up to about 10–20) can be solved faster than by ``cg``, to the same
          tolerance (checked on the float64 residual). When float32
          cannot resolve a system (a refinement does not shrink the residual tenfold, which
          happens from κ(A) ≈ 30–40) the run continues as ``cg``, a few dozen steps later.
          Needs ``loss="l2"`` and memory for a float32 copy of ``A`` (a tensor, dense or
          sparse).
        * ``"sgd"``, ``"adam"``: :class:`torch.optim.SGD` and :class:`torch.optim.Adam` with
          full-batch gradients, for comparison (``momentum`` is SGD's momentum, Adam's β₁).
    loss : {"l2", "l2-norm", "l1"} or callable, default "l2"
        The loss of the residual ``r = A x − b``: ``"l2"`` is ½‖r‖², ``"l2-norm"`` the source
        post's unsquared ‖r‖₂, ``"l1"`` is ‖r‖₁ (Frobenius and entrywise sums for ``k``
        columns). A callable takes ``r`` (in ``b``'s shape, in the caller's units) to a
        scalar tensor; its gradient comes from autograd.
    lr : float, optional
        Step size. ``None`` derives one:

        * ``"l2"`` loss: from estimates ``L ≥ λ_max(AᵀA)`` (power iteration, times 1.1) and
          ``μ ≥ λ_min(AᵀA)`` (power iteration on ``L·I − AᵀA``, an overestimate): ``gd`` takes
          ``2/(L + μ)``, ``momentum`` Polyak's heavy-ball optimum ``4/(√L + √μ)²`` (or
          ``(1 + momentum)/L`` when ``momentum`` is given), ``nesterov`` and ``sgd`` take
          ``1/L``;
        * ``"l1"`` on a tall ``A`` (``m > n``) with ``gd``: no fixed step; gradient descent on
          Huber losses of shrinking width δ with the step δ/L, each iterate polished on its
          ``n`` smallest residuals (Madsen and Nielsen's finite smoothing; one column of
          ``b``);
        * a callable loss on a tall ``A``: ``1/L``, safe for a loss whose second derivative
          is at most 1 (such as Huber's);
        * other losses: Polyak's step ``f(x)/‖∇f(x)‖²`` (the minimum ``f* = 0`` assumed, i.e.
          a consistent system), which converges for the non-smooth ``"l1"`` too;
        * ``adam``: 1e-2.
    momentum : float, optional
        In ``[0, 1)``. ``None`` means: for ``momentum`` the heavy-ball optimum
        ``((√L − √μ)/(√L + √μ))²`` when ``lr`` is derived, else 0.9; for ``nesterov``
        ``(√L − √μ)/(√L + √μ)`` when ``lr`` is derived, else 0.9 (0.5 with Polyak steps); 0
        for ``sgd``; 0.9 for ``adam``. Not used by ``gd``, ``cg`` and ``cg-mixed``.
    preconditioner : {"jacobi"} or callable, optional
        ``cg`` and ``cgls`` only. ``"jacobi"`` divides each residual entry by ``A``'s
        diagonal (``cg``) or by the squared norm of ``A``'s column (``cgls``, the diagonal of
        ``AᵀA``): it needs ``A`` as a tensor. A callable ``M⁻¹(r)`` takes a tensor of ``x``'s
        shape and returns ``M⁻¹r`` of that shape, ``M`` symmetric positive definite and
        close to ``A`` (``cg``) or ``AᵀA`` (``cgls``): the step count then depends on the
        spectrum of ``M⁻¹A`` instead of ``A``'s. Scaling ``M`` changes nothing.
    reorthogonalise : bool, optional
        ``cgls`` only (see above). ``None`` means: for a dense ``A`` with no preconditioner
        (whose basis, at most ``n + 1`` vectors, is no larger than ``A`` itself); off for a
        sparse ``A`` or an operator, whose memory then stays a few vectors, and with a
        preconditioner.
    tol : float, optional
        Stop when the stopping measure (see Returns) is at or below ``tol``; 1e-6 for
        float64, 1e-4 for float32 by default.
    max_iter : int, optional
        Iteration budget: ``max(100, 4·min(m, n))`` for ``cg``, ``cgls`` and ``cg-mixed``,
        ``max(1000, 100·min(m, n))`` (at most 100,000) for the others.
    callback : callable, optional
        Called as ``callback(result_so_far)`` after each iteration; returning ``True`` stops.
        For ``cg``, ``cgls`` and ``cg-mixed`` the residual it sees is the recurrence's estimate
        (the final result's is recomputed).

    Returns
    -------
    Result
        ``x`` has ``b``'s shape with ``n`` rows. ``residual`` is the stopping measure: the
        true relative residual ``‖A x − b‖/‖b‖`` (recomputed from ``x``, not a recurrence's
        estimate), or, when ``m > n``, the loss's own optimality measure: for ``"l2"`` and
        ``"l2-norm"`` the normal-equation residual ``‖Aᵀ(A x − b)‖/‖Aᵀb‖``, for a callable
        loss the norm of its gradient ``Aᵀ∇loss(r)`` relative to the gradient at the start,
        for ``"l1"`` with ``gd`` and no ``lr`` the smallest subgradient ``Aᵀs``
        (``s = sign(r)`` where ``r ≠ 0``, ``s ∈ [−1, 1]`` where ``r`` is 0 to rounding)
        relative to ``Aᵀsign(b)``, and for ``"l1"`` otherwise the ℓ₁ gradient's norm, which
        does not vanish, so those runs cannot converge there (Frobenius norms for ``k``
        columns; a denominator that would be 0 is 1).
        ``loss_history`` records the loss (for the CG methods: ½‖r‖²; ``cg-mixed``
        records its float32 runs' estimate between refinements). A singular system without
        a solution never reports success, nor does one whose solution leaves the dtype's
        range. The run stalls when the measure has not fallen by 1 % in
        ``max(100, min(m, n)/2)`` iterations (the CG methods) or 1,000 (the others).
        The methods run on ``A`` and ``b`` scaled by powers of two (exactly) where their
        entries are far from 1, so the scale of the input never decides the outcome.

    Raises
    ------
    TypeError, ValueError
        For bad input: not tensors, wrong shapes or dtypes, NaN or Inf, tensors on different
        devices, ``lr <= 0``, ``momentum`` outside ``[0, 1)``, ``tol <= 0``, ``max_iter < 1``,
        an unknown method or loss, a setting the method does not use, ``cg-mixed`` with
        float32 input or an operator, ``cg`` with an ``A`` not known symmetric, a method
        that applies ``Aᵀ`` with an operator that has no ``rmatvec``, ``"jacobi"`` with an
        operator or (``cg``) a diagonal entry ``≤ 0``, ``loss="l1"`` on a tall ``A`` that is
        not dense (with ``gd`` and no ``lr``).

    Examples
    --------
    >>> import torch
    >>> A = torch.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
    >>> b = torch.tensor([1.0, 2.0], dtype=torch.float64)
    >>> result = solve(A, b, method="gd")
    >>> result.status, [f"{v:.5f}" for v in result.x.tolist()]
    ('converged', ['0.09091', '0.63636'])
    >>> solve(A, b, method="gd", lr=1.0, max_iter=50).status
    'diverged'

    Mixed precision reaches tolerances that float32 alone cannot:

    >>> result = solve(A, b, method="cg-mixed", tol=1e-12)
    >>> result.success, float((A @ result.x - b).norm() / b.norm()) <= 1e-12
    (True, True)

    A sparse symmetric positive definite matrix gets plain CG:

    >>> from gdtutorial.matrices import poisson_2d
    >>> P = poisson_2d(30)  # 900 unknowns, 4,380 nonzeros
    >>> result = solve(P, torch.ones(900, dtype=torch.float64))
    >>> result.method, result.success, result.nit
    ('cg', True, 48)

    Least squares with a tall matrix, several right-hand sides at once:

    >>> A = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    >>> B = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 3.0]], dtype=torch.float64)
    >>> result = solve(A, B)
    >>> result.success, result.x.round(decimals=4).tolist()
    (True, [[0.6667, 1.0], [0.6667, 1.0]])
    """
    problem = _Problem(A, b, x0, loss)
    settings = dict(
        lr=lr,
        momentum=momentum,
        preconditioner=preconditioner,
        reorthogonalise=reorthogonalise,
        tol=tol,
        max_iter=max_iter,
        callback=callback,
    )
    if method is not None:
        return METHODS.run(method, problem, **settings)
    if problem.loss_name != "l2":
        return METHODS.run("gd", problem, **settings)
    if problem.symmetric and reorthogonalise is None:
        result = METHODS.run("cg", problem, **settings)
        if result.status != "breakdown" or preconditioner is not None:
            return result
        # A is symmetric but not positive definite: CG on the normal equations takes any A
    return METHODS.run("cgls", problem, **settings)
