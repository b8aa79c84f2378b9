"""One spec per method: what a method takes, how it derives its defaults, how it runs, and what
it advises when a run fails.

Each solver module (:mod:`~gdtutorial.linear`, :mod:`~gdtutorial.inverse`,
:mod:`~gdtutorial.svd`) writes each of its methods as a subclass of :class:`Method` and lists
them in a :class:`Methods` table. The public function checks its problem (the matrices), then
calls :meth:`Methods.run`, which, in this one place for every solver,

* looks the method up (an unknown name is a ``ValueError`` that lists the valid ones),
* checks every setting the caller gave (``None`` means "derive a default"), and refuses one the
  method does not take, naming the settings it does take,
* asks the method whether it can take the problem at all (:meth:`Method.check`),
* lets the method derive its defaults and run under a :class:`~gdtutorial._loop.Tracker`, whose
  message for a failed run ends with the method's :meth:`~Method.advice`,
* and refuses to call a run a success when its answer is not finite.

Advice suggests calls as ``try name=value, name=value``: :meth:`Method.suggest` writes them, and
writes one only when the method it names accepts the problem and every setting the caller
gave (settings the new method does not take are reset with ``name=None``), so that doing what a
message says is always a valid call. Anchors: SciPy's ``minimize`` (one ``_minimize_<method>``
per method, ``show_options``) and ``torch.optim`` (each optimiser owns its defaults).

Examples
--------
>>> from gdtutorial import show_options
>>> text = show_options("solve", "gd", disp=False)
>>> print(text.splitlines()[0])
solve(method='gd'): gradient descent, x ← x − lr·∇f(x), the source post's method.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch

from ._checks import (
    check_bool,
    check_callback,
    check_choice,
    check_generator,
    check_max_iter,
    check_momentum,
    check_positive,
    check_preconditioner,
    check_tol,
)
from ._loop import Tracker, default_tol
from .result import STATUS_MESSAGES, Result

__all__ = ["COMMON_SETTINGS", "Method", "Methods", "show_options"]

COMMON_SETTINGS: dict[str, str] = {
    "tol": "stop at a residual at or below tol; 1e-6 for float64, 1e-4 for float32",
    "max_iter": "the iteration budget; None: {budget}",
    "callback": "called as callback(result_so_far) after each iteration; True stops",
}
"""The settings every method of every solver takes."""

# Note [one check per setting]: each setting is checked here, once, for every solver and method.
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "lr": lambda value: check_positive(value, "lr"),
    "momentum": check_momentum,
    "tol": check_tol,
    "max_iter": check_max_iter,
    "callback": check_callback,
    "generator": check_generator,
    "preconditioner": check_preconditioner,
    "reorthogonalise": lambda value: check_bool(value, "reorthogonalise"),
    "oversample": lambda value: _check_oversample(value),
}


def _check_oversample(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Expected oversample to be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"Expected oversample ≥ 0, got {value!r}")
    return value


def _format(value: Any) -> str:
    """A setting's value as it is written in a call (floats to 3 significant digits)."""
    if isinstance(value, float):
        return f"{value:.3g}"
    return repr(value)


class Method:
    """One method of a solver: its settings, derived defaults, run and advice.

    A subclass sets ``name``, ``summary`` and ``settings`` (the settings it takes besides
    ``tol``, ``max_iter`` and ``callback``, each with one line on its default), and writes
    :meth:`prepare` (derive the defaults), :meth:`run` and :meth:`advice`; :meth:`check`
    refuses a problem the method cannot take. ``self.given`` holds the settings the caller
    set (checked), ``self.problem`` the problem, ``self.tol`` and ``self.max_iter`` the values
    in force.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    settings: ClassVar[Mapping[str, str]] = {}
    stall_window: int | None = 1000
    """Iterations without a 1 % fall of the best residual after which a run has stalled."""
    budget: ClassVar[str] = "max(1000, 100·min(m, n)), at most 100,000"
    """The default of ``max_iter``, in words (:meth:`default_max_iter` computes it)."""
    stalls: ClassVar[str] = "1,000"
    """The stall window, in words."""

    def __init__(self, problem: Any, given: dict[str, Any], methods: Methods) -> None:
        self.problem = problem
        self.given = given
        self.methods = methods
        self.tol: float = given.get("tol") or default_tol(problem.dtype)
        self.max_iter: int = given.get("max_iter") or self.default_max_iter()
        self.prepare()

    @classmethod
    def check(cls, problem: Any) -> None:
        """Raise ``ValueError`` or ``TypeError`` for a problem this method cannot take."""

    @classmethod
    def accepts(cls, problem: Any) -> bool:
        """Whether :meth:`check` passes on ``problem``."""
        try:
            cls.check(problem)
        except (ValueError, TypeError):
            return False
        return True

    def default_max_iter(self) -> int:
        """The iteration budget when ``max_iter`` is not given."""
        return min(100_000, max(1000, 100 * self.problem.size))

    def prepare(self) -> None:
        """Derive the defaults of the settings not given (called once, before :meth:`run`)."""

    def build(self, state: Any, **fields: Any) -> Result:
        """Turn an iterate and the result's fields into the result (in the caller's units)."""
        return Result(x=state, **fields)

    def run(self, tracker: Tracker) -> Result:  # pragma: no cover - every method overrides it
        """Run from the problem's start until the tracker stops the run."""
        raise NotImplementedError

    def advice(self, status: str, tracker: Tracker) -> str | None:
        """What to try after a run that ended with ``status`` (not ``"converged"``): the text
        of :meth:`more_iterations`, :meth:`stalled` or :meth:`diverged`."""
        if status == "max_iter":
            return self.more_iterations(tracker)
        if status == "stalled":
            return self.stalled(tracker)
        if status == "diverged":
            return self.diverged()
        if status == "breakdown":
            return self.breakdown(tracker)
        return None

    def faster(self) -> str | None:
        """Another method to suggest (a :meth:`suggest` text), or ``None``."""
        return None

    def stalled(self, tracker: Tracker) -> str | None:
        """The advice for ``"stalled"``."""
        return None

    def diverged(self) -> str | None:
        """The advice for ``"diverged"``."""
        return None

    def breakdown(self, tracker: Tracker) -> str | None:
        """The advice for ``"breakdown"`` (the method met a problem it cannot take)."""
        return None

    # --- helpers for advice ---------------------------------------------------------------

    def suggest(self, **changes: Any) -> str | None:
        """``"name=value, …"``: a call that changes these settings, or ``None`` when the method
        it would run (``changes["method"]`` or this one) cannot take the problem.

        Every setting the caller gave that the new method does not take is reset (``=None``),
        so the call the text describes is valid. A float that is 0 or not finite cannot be
        suggested either (``None``).
        """
        target = self.methods[changes.get("method", self.name)]
        if not target.accepts(self.problem):
            return None
        if any(
            isinstance(value, float) and not 0 < abs(value) < math.inf for value in changes.values()
        ):
            return None
        accepted = set(target.settings) | set(self.methods.common)
        for name in self.given:
            if name not in accepted and name not in changes:
                changes[name] = None
        return ", ".join(f"{name}={_format(value)}" for name, value in changes.items())

    def more_iterations(self, tracker: Tracker) -> str | None:
        """The advice for ``max_iter``: ten times the budget, or the :meth:`faster` method;
        but a run that made no progress in the last half of its stall window would only stall
        with a larger budget: for it, the advice for ``"stalled"``."""
        window = self.stall_window
        if window is not None and tracker.nit - tracker.progress_nit >= window // 2:
            return self.stalled(tracker)
        options = [self.suggest(max_iter=10 * self.max_iter), self.faster()]
        tries = " or ".join(option for option in options if option)
        return f"Raise max_iter (it was {self.max_iter}): try {tries}."

    def step_size(self, used: float, safer: float | None, derived: bool) -> str:
        """The advice for a run diverged by its step size ``used`` (in the caller's units):
        ``safer`` (at most half of ``used``) if it can be written, else the derived step."""
        name = "the derived step" if derived else f"lr={used:.3g}"
        safe = None if safer is None else min(safer, used / 2)
        suggestion = self.suggest(lr=safe) if safe is not None else None
        if suggestion is None and not derived:
            suggestion = self.suggest(lr=None)
        if suggestion is None:
            return f"The step size ({name}) is too large."
        return f"The step size ({name}) is too large; try {suggestion}."

    @classmethod
    def describe(cls, solver: str, common: Mapping[str, str]) -> str:
        """The method's summary and its settings, one per line."""
        lines = [f"{solver}(method={cls.name!r}): {cls.summary}"]
        for name, text in {**cls.settings, **common}.items():
            lines.append(f"    {name}: {text.format(budget=cls.budget)}")
        lines.append(f"    (a run stalls after {cls.stalls} iterations without a 1 % fall)")
        return "\n".join(lines)


class Methods(dict[str, type[Method]]):
    """The methods of one solver, by name, and the one way to run one of them.

    Parameters
    ----------
    solver : str
        The public function's name, for messages.
    methods : type[Method]
        The method classes.
    common : mapping, optional
        Settings every method of this solver takes besides :data:`COMMON_SETTINGS`.
    """

    def __init__(
        self, solver: str, *methods: type[Method], common: Mapping[str, str] | None = None
    ) -> None:
        super().__init__((method.name, method) for method in methods)
        self.solver = solver
        self.common: dict[str, str] = {**(common or {}), **COMMON_SETTINGS}

    def run(self, method: str, problem: Any, **settings: Any) -> Result:
        """Check the settings, look the method up and run it on ``problem``."""
        given = {
            name: _CHECKS[name](value) for name, value in settings.items() if value is not None
        }
        spec: type[Method] = check_choice(method, "method", self)  # type: ignore[assignment]
        for name, value in given.items():
            if name not in spec.settings and name not in self.common:
                takes = ", ".join([*spec.settings, *self.common])
                raise ValueError(
                    f"Expected {name}=None with method={method!r}, which takes {takes}; "
                    f"got {value!r}"
                )
        spec.check(problem)
        instance = spec(problem, given, self)
        tracker = Tracker(
            method=spec.name,
            tol=instance.tol,
            max_iter=instance.max_iter,
            callback=given.get("callback"),
            advice=lambda status: instance.advice(status, tracker),
            stall_window=instance.stall_window,
            build=instance.build,
        )
        return _finite(instance.run(tracker), problem)

    def describe(self, method: str | None = None) -> str:
        """The text :func:`show_options` shows."""
        names = list(self) if method is None else [method]
        for name in names:
            check_choice(name, "method", self)
        return "\n\n".join(self[name].describe(self.solver, self.common) for name in names)


def _finite(result: Result, problem: Any) -> Result:
    """A success whose answer is not finite (it leaves the dtype's range) is no success."""
    answers = [result.x, *(getattr(result, name, result.x) for name in ("U", "S", "Vh"))]
    if not result.success or all(bool(torch.isfinite(t).all()) for t in answers):
        return result
    fields = {name: getattr(result, name) for name in result.__dataclass_fields__}
    fields.update(
        success=False,
        status="diverged",
        message=f"{STATUS_MESSAGES['diverged']} The answer's entries leave the range of "
        f"{problem.dtype} (the residual met tol in scaled units); rescale {problem.names} "
        "towards 1.",
    )
    return type(result)(**fields)


def show_options(
    solver: str | None = None, method: str | None = None, *, disp: bool = True
) -> str | None:
    """The settings each method of each solver takes, and how it derives their defaults.

    Parameters
    ----------
    solver : {"solve", "inverse", "svd"}, optional
        The solver; ``None`` shows all three.
    method : str, optional
        One of its methods; ``None`` shows them all.
    disp : bool, optional
        Print the text and return ``None`` (the default, as SciPy's ``show_options`` does);
        ``disp=False`` returns the text instead.

    Examples
    --------
    >>> from gdtutorial import show_options
    >>> print(show_options("svd", "orthogonal-iteration", disp=False))  # doctest: +ELLIPSIS
    svd(method='orthogonal-iteration'): ...
        generator: ...
        tol: ...
        max_iter: ...
        callback: ...
    >>> show_options("svd", "power")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: Expected method to be one of ['orthogonal-iteration', ...], got 'power'
    """
    from .inverse import METHODS as INVERSE
    from .linear import METHODS as SOLVE
    from .svd import METHODS as SVD

    tables = {"solve": SOLVE, "inverse": INVERSE, "svd": SVD}
    if solver is None and method is not None:
        raise ValueError(f"Expected a solver with method={method!r}, got solver=None")
    chosen = list(tables.values()) if solver is None else [check_choice(solver, "solver", tables)]
    text = "\n\n".join(table.describe(method) for table in chosen)  # type: ignore[union-attr]
    if not disp:
        return text
    print(text)
    return None
