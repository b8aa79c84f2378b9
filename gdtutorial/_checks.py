"""Input validation shared by every solver: the one place for "Expected …, got …" messages.

Each function checks one thing, raises :class:`TypeError` (wrong kind of object) or
:class:`ValueError` (right kind, wrong value) with a message saying what was expected and what
came, and otherwise returns its input unchanged, so a solver can write ``lr = check_positive(lr,
"lr")``. ``None`` passes through the checks of optional settings: it means "derive a default".

Examples
--------
>>> import torch
>>> from gdtutorial._checks import check_choice, check_momentum, check_tensor
>>> check_tensor(torch.ones(2, 3), "A", ndim=2).shape
torch.Size([2, 3])
>>> check_momentum(0.9)
0.9
>>> check_choice("cg", "method", {"gd": 1, "cg": 2})
2
>>> check_choice("newton", "method", {"gd": 1, "cg": 2})
Traceback (most recent call last):
    ...
ValueError: Expected method to be one of ['cg', 'gd'], got 'newton'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import torch

__all__ = [
    "check_bool",
    "check_callback",
    "check_choice",
    "check_generator",
    "check_int_range",
    "check_max_iter",
    "check_momentum",
    "check_positive",
    "check_preconditioner",
    "check_same_device",
    "check_same_dtype",
    "check_tensor",
    "check_tol",
]

T = TypeVar("T")


def _describe(value: object) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{value!r} ({type(value).__name__})"


def check_tensor(
    x: object, name: str, *, ndim: int | tuple[int, ...] | None = None
) -> torch.Tensor:
    """Check that ``x`` is a non-empty, finite, real floating-point tensor.

    Parameters
    ----------
    x : object
        The value to check.
    name : str
        Its name in error messages.
    ndim : int or tuple of int, optional
        The allowed number(s) of dimensions.

    Returns
    -------
    torch.Tensor
        ``x`` itself.

    Raises
    ------
    TypeError
        If ``x`` is not a tensor, is not dense (a sparse layout), or its dtype is not a real
        floating type.
    ValueError
        If ``x`` has the wrong number of dimensions, is empty, or holds NaN or Inf.

    Examples
    --------
    >>> import torch
    >>> check_tensor(torch.tensor([1, 2]), "b")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    TypeError: Expected b to have a real floating dtype ..., got torch.int64
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"Expected {name} to be a torch.Tensor, got {_describe(x)}")
    if not x.dtype.is_floating_point or x.dtype.is_complex:
        raise TypeError(
            f"Expected {name} to have a real floating dtype (torch.float32 or torch.float64), "
            f"got {x.dtype}"
        )
    if x.layout != torch.strided:
        raise TypeError(
            f"Expected {name} to be a dense tensor, got layout {x.layout}; convert it with "
            f"{name}.to_dense()"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if x.ndim not in allowed:
            wanted = " or ".join(str(d) for d in allowed)
            raise ValueError(
                f"Expected {name} to have {wanted} dimensions, got {x.ndim} "
                f"(shape {tuple(x.shape)})"
            )
    if x.numel() == 0:
        raise ValueError(f"Expected {name} to be non-empty, got shape {tuple(x.shape)}")
    # aminmax propagates NaN and shows ±Inf, without a boolean copy of x (17 times faster
    # than isfinite(x).all() on a 1024 × 1024 matrix)
    low, high = torch.aminmax(x.detach())
    if not bool(torch.isfinite(low) & torch.isfinite(high)):
        raise ValueError(f"Expected {name} to hold finite values only, got NaN or Inf entries")
    return x


def check_same_device(**tensors: torch.Tensor | None) -> None:
    """Check that all the given tensors (``None`` ones skipped) live on one device.

    Examples
    --------
    >>> import torch
    >>> check_same_device(A=torch.ones(2, 2), b=torch.ones(2), x0=None)
    """
    named = [(name, t) for name, t in tensors.items() if t is not None]
    if not named:
        return
    first_name, first = named[0]
    for name, t in named[1:]:
        if t.device != first.device:
            raise ValueError(
                f"Expected {name} on the same device as {first_name} ({first.device}), "
                f"got {t.device}"
            )


def check_same_dtype(**tensors: torch.Tensor | None) -> None:
    """Check that all the given tensors (``None`` ones skipped) have one dtype.

    Examples
    --------
    >>> import torch
    >>> check_same_dtype(A=torch.ones(2, 2), b=torch.ones(2, dtype=torch.float64))
    Traceback (most recent call last):
        ...
    TypeError: Expected b to have the dtype of A (torch.float32), got torch.float64
    """
    named = [(name, t) for name, t in tensors.items() if t is not None]
    if not named:
        return
    first_name, first = named[0]
    for name, t in named[1:]:
        if t.dtype != first.dtype:
            raise TypeError(
                f"Expected {name} to have the dtype of {first_name} ({first.dtype}), got {t.dtype}"
            )


def _check_real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Expected {name} to be a real number, got {_describe(value)}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"Expected {name} to be finite, got {value!r}")
    return result


def check_positive(value: float | None, name: str) -> float | None:
    """Check that ``value`` is ``None`` or a finite real number > 0 (e.g. a learning rate).

    Examples
    --------
    >>> check_positive(0.1, "lr")
    0.1
    >>> check_positive(0.0, "lr")
    Traceback (most recent call last):
        ...
    ValueError: Expected lr > 0, got 0.0
    """
    if value is None:
        return None
    number = _check_real(value, name)
    if number <= 0:
        raise ValueError(f"Expected {name} > 0, got {value!r}")
    return number


def check_momentum(value: float | None, name: str = "momentum") -> float | None:
    """Check that ``value`` is ``None`` or a momentum in ``[0, 1)``.

    Examples
    --------
    >>> check_momentum(1.0)
    Traceback (most recent call last):
        ...
    ValueError: Expected momentum in [0, 1), got 1.0
    """
    if value is None:
        return None
    number = _check_real(value, name)
    if not 0.0 <= number < 1.0:
        raise ValueError(f"Expected {name} in [0, 1), got {value!r}")
    return number


def check_tol(value: float | None, name: str = "tol") -> float | None:
    """Check that ``value`` is ``None`` or a tolerance > 0.

    Examples
    --------
    >>> check_tol(-1e-6)
    Traceback (most recent call last):
        ...
    ValueError: Expected tol > 0, got -1e-06
    """
    return check_positive(value, name)


def check_max_iter(value: int | None, name: str = "max_iter") -> int | None:
    """Check that ``value`` is ``None`` or an integer >= 1.

    Examples
    --------
    >>> check_max_iter(0)
    Traceback (most recent call last):
        ...
    ValueError: Expected max_iter >= 1, got 0
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Expected {name} to be an integer, got {_describe(value)}")
    if value < 1:
        raise ValueError(f"Expected {name} >= 1, got {value!r}")
    return int(value)


def check_int_range(value: int, name: str, low: int, high: int) -> int:
    """Check that ``value`` is an integer with ``low <= value <= high``.

    Examples
    --------
    >>> check_int_range(5, "k", 1, 4)
    Traceback (most recent call last):
        ...
    ValueError: Expected k in [1, 4], got 5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Expected {name} to be an integer, got {_describe(value)}")
    if not low <= value <= high:
        raise ValueError(f"Expected {name} in [{low}, {high}], got {value!r}")
    return int(value)


def check_choice(
    value: object, name: str, choices: Mapping[str, T], *, allow_callable: bool = False
) -> T | Callable[..., Any]:
    """Look ``value`` up in ``choices``; the error lists the valid keys.

    Parameters
    ----------
    value : str or callable
        The option given by the caller.
    name : str
        Its name in error messages.
    choices : mapping
        Valid names and what each stands for.
    allow_callable : bool, default False
        Whether a callable is accepted as is (e.g. a custom loss function).

    Returns
    -------
    object
        ``choices[value]``, or ``value`` itself when it is an allowed callable.

    Examples
    --------
    >>> check_choice(abs, "loss", {"l2": 2}, allow_callable=True) is abs
    True
    >>> check_choice(3, "loss", {"l2": 2}, allow_callable=True)
    Traceback (most recent call last):
        ...
    ValueError: Expected loss to be one of ['l2'] or a callable, got 3
    """
    if allow_callable and callable(value) and not isinstance(value, str):
        return value
    if isinstance(value, str) and value in choices:
        return choices[value]
    alternative = " or a callable" if allow_callable else ""
    raise ValueError(f"Expected {name} to be one of {sorted(choices)}{alternative}, got {value!r}")


def check_callback(callback: object) -> Callable[..., Any] | None:
    """Check that ``callback`` is ``None`` or callable.

    Examples
    --------
    >>> check_callback(print) is print
    True
    """
    if callback is not None and not callable(callback):
        raise TypeError(f"Expected callback to be None or callable, got {_describe(callback)}")
    return callback


def check_generator(generator: object) -> torch.Generator | None:
    """Check that ``generator`` is ``None`` or a :class:`torch.Generator`.

    Examples
    --------
    >>> check_generator(None) is None
    True
    """
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"Expected generator to be None or a torch.Generator, got {_describe(generator)}"
        )
    return generator


def check_bool(value: object, name: str) -> bool | None:
    """Check that ``value`` is ``None`` or a bool.

    Examples
    --------
    >>> check_bool(1, "reorthogonalise")
    Traceback (most recent call last):
        ...
    TypeError: Expected reorthogonalise to be True, False or None, got 1 (int)
    """
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"Expected {name} to be True, False or None, got {_describe(value)}")
    return value


def check_preconditioner(value: object) -> str | Callable[..., Any] | None:
    """Check that ``value`` is ``None``, ``"jacobi"`` or a callable (that applies ``M⁻¹``).

    Examples
    --------
    >>> check_preconditioner("jacobi")
    'jacobi'
    >>> check_preconditioner("ilu")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: Expected preconditioner to be None, 'jacobi' or a callable ..., got 'ilu'
    """
    if value is None or value == "jacobi" or (callable(value) and not isinstance(value, str)):
        return value
    error = ValueError if isinstance(value, str) else TypeError
    raise error(
        "Expected preconditioner to be None, 'jacobi' or a callable that applies M⁻¹, got "
        f"{value!r}"
    )
