"""Test matrices with a chosen spectrum, and the matrices of the source posts.

Every function that draws random numbers takes ``generator=``: pass a seeded
:class:`torch.Generator` for reproducible matrices.  The functions never touch
the caller's global random state unless no generator is given, in which case
they draw from the global generator like any ``torch.rand`` call would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from gdtutorial._checks import check_generator

__all__ = ["poisson_2d", "random_matrix", "random_spd", "source_matrices"]

#: Condition number used when neither ``cond`` nor the spectrum is given.
DEFAULT_COND = 10.0


# Note [Working precision]
# The orthogonal factors and the product Q1·diag(s)·Q2ᵀ are computed in float64
# (float32 on MPS, which has no float64) and only then cast to the requested
# dtype, so a float32 matrix is the float64 one rounded once: its condition
# number is ``cond`` up to that rounding.


def _check_size(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Expected {name} to be a positive int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"Expected {name} to be a positive int, got {value}")
    return value


def _check_dtype(dtype: object) -> torch.dtype:
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"Expected dtype to be a torch.dtype, got {type(dtype).__name__}")
    if not dtype.is_floating_point:
        raise TypeError(f"Expected a real floating dtype, got {dtype}")
    return dtype


def _check_cond(cond: object) -> float:
    if isinstance(cond, bool) or not isinstance(cond, (int, float)):
        raise TypeError(f"Expected cond to be a real number, got {type(cond).__name__}")
    if not math.isfinite(cond) or cond < 1:
        raise ValueError(f"Expected cond to be finite and >= 1, got {cond}")
    return float(cond)


def _check_spectrum(values: object, length: int, name: str, *, positive: bool) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        if values.is_complex() or values.dtype == torch.bool:
            raise TypeError(f"Expected {name} to be real numbers, got dtype {values.dtype}")
        spectrum = values.detach().to(device="cpu", dtype=torch.float64)
    elif isinstance(values, Sequence) and not isinstance(values, (str, bytes)):
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise TypeError(f"Expected {name} to be a sequence of real numbers, got {values!r}")
        spectrum = torch.tensor([float(v) for v in values], dtype=torch.float64)
    else:
        raise TypeError(
            f"Expected {name} to be a 1-D tensor or a sequence of numbers, "
            f"got {type(values).__name__}"
        )
    if spectrum.shape != (length,):
        raise ValueError(f"Expected {name} of shape ({length},), got shape {tuple(spectrum.shape)}")
    if not torch.isfinite(spectrum).all():
        raise ValueError(f"Expected finite {name}, got {spectrum.tolist()}")
    if positive and not (spectrum > 0).all():
        raise ValueError(f"Expected positive {name}, got {spectrum.tolist()}")
    if not positive and (spectrum < 0).any():
        raise ValueError(f"Expected non-negative {name}, got {spectrum.tolist()}")
    return spectrum


def _geometric(length: int, cond: float) -> torch.Tensor:
    """``length`` values spaced geometrically from 1 down to ``1/cond``."""
    if length == 1:
        return torch.ones(1, dtype=torch.float64)
    exponents = torch.arange(length, dtype=torch.float64) / (length - 1)
    return torch.tensor(cond, dtype=torch.float64) ** (-exponents)


def _spectrum(
    values: object,
    cond: object,
    length: int,
    names: tuple[str, str],
    *,
    positive: bool,
) -> torch.Tensor:
    values_name, _ = names
    if cond is not None and values is not None:
        raise ValueError(
            f"Expected at most one of cond and {values_name}, got both "
            f"(cond={cond!r}, {values_name}=...)"
        )
    if values is not None:
        return _check_spectrum(values, length, values_name, positive=positive)
    condition = DEFAULT_COND if cond is None else _check_cond(cond)
    if length == 1 and condition != 1:
        if cond is None:
            return torch.ones(1, dtype=torch.float64)
        raise ValueError(
            f"Expected cond == 1 for a matrix with a single {names[1]}, got {condition}"
        )
    return _geometric(length, condition)


def _haar(
    rows: int, cols: int, generator: torch.Generator | None, device: torch.device
) -> torch.Tensor:
    """A Haar-distributed ``rows × cols`` matrix with orthonormal columns (float64)."""
    # Note [Haar sign fix]
    # QR of a Gaussian matrix is Haar-distributed only once the signs are fixed so
    # that R has a positive diagonal (Mezzadri, 2007); without the fix the columns
    # are biased by the QR implementation's sign convention.
    draw_device = generator.device if generator is not None else device
    dtype = torch.float32 if draw_device.type == "mps" else torch.float64
    gaussian = torch.randn(rows, cols, dtype=dtype, device=draw_device, generator=generator)
    q, r = torch.linalg.qr(gaussian)
    signs = torch.sign(torch.diagonal(r))
    signs = torch.where(signs == 0, torch.ones_like(signs), signs)
    return (q * signs).to(device)


def _resolve_device(device: object) -> torch.device:
    if device is None:
        return torch.device("cpu")
    if isinstance(device, (str, torch.device)):
        return torch.device(device)
    raise TypeError(
        f"Expected device to be a str, a torch.device or None, got {type(device).__name__}"
    )


def random_matrix(
    m: int,
    n: int | None = None,
    *,
    cond: float | None = None,
    singular_values: Sequence[float] | torch.Tensor | None = None,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""A random ``m × n`` matrix with a prescribed spectrum of singular values.

    The matrix is :math:`Q_1 \operatorname{diag}(s) Q_2^\top` where
    :math:`Q_1` (``m × k``) and :math:`Q_2` (``n × k``), ``k = min(m, n)``, have
    Haar-random orthonormal columns (QR of a Gaussian matrix with the signs of
    ``R``'s diagonal made positive).  Its singular values are therefore exactly
    ``s`` (up to rounding in ``dtype``).

    Parameters
    ----------
    m, n : int
        Number of rows and columns; ``n=None`` gives a square matrix.
    cond : float, optional
        The 2-norm condition number, ``>= 1``.  The singular values are spaced
        geometrically from ``1`` down to ``1/cond``:
        :math:`s_i = \mathrm{cond}^{-i/(k-1)}`, ``i = 0, …, k-1``.  If ``k = 1``
        only ``cond=1`` is possible.
    singular_values : sequence of float or 1-D tensor, optional
        The ``k`` singular values themselves (non-negative and finite, in any
        order; zeros give a rank-deficient matrix).  Excludes ``cond``.  When
        neither is given, ``cond=10`` is used (``DEFAULT_COND``).
    dtype : torch.dtype, optional
        A floating dtype; ``torch.float64`` by default.
    device : str or torch.device, optional
        Where the matrix lives; the CPU by default.
    generator : torch.Generator, optional
        Source of randomness (drawn on the generator's device, then moved to
        ``device``); the global generator when ``None``.

    Returns
    -------
    torch.Tensor
        The ``m × n`` matrix.

    Raises
    ------
    TypeError
        If a size is not an int, ``dtype`` is not floating or ``generator`` is
        not a :class:`torch.Generator`.
    ValueError
        If a size is not positive, ``cond`` is not finite or below 1, both
        ``cond`` and ``singular_values`` are given, or the singular values have
        the wrong length or are negative or not finite.

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.matrices import random_matrix
    >>> A = random_matrix(6, 4, cond=100.0, generator=torch.Generator().manual_seed(0))
    >>> A.shape, A.dtype
    (torch.Size([6, 4]), torch.float64)
    >>> print(f"{torch.linalg.cond(A).item():.6f}")
    100.000000
    >>> g = torch.Generator().manual_seed(1)
    >>> B = random_matrix(3, singular_values=[3.0, 2.0, 0.0], generator=g)
    >>> print(torch.linalg.svdvals(B).round(decimals=6).tolist())
    [3.0, 2.0, 0.0]
    """
    rows = _check_size(m, "m")
    cols = rows if n is None else _check_size(n, "n")
    dtype = _check_dtype(dtype)
    target = _resolve_device(device)
    generator = check_generator(generator)
    k = min(rows, cols)
    s = _spectrum(singular_values, cond, k, ("singular_values", "singular value"), positive=False)
    q1 = _haar(rows, k, generator, target)
    q2 = _haar(cols, k, generator, target)
    s = s.to(device=target, dtype=q1.dtype)
    return ((q1 * s) @ q2.T).to(dtype)


def random_spd(
    n: int,
    *,
    cond: float | None = None,
    eigenvalues: Sequence[float] | torch.Tensor | None = None,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""A random symmetric positive definite ``n × n`` matrix with chosen eigenvalues.

    The matrix is :math:`Q \operatorname{diag}(\lambda) Q^\top` with a
    Haar-random orthogonal :math:`Q`, symmetrised as :math:`(A + A^\top)/2` so
    that it is exactly symmetric in ``dtype``.

    Parameters
    ----------
    n : int
        Size of the matrix.
    cond : float, optional
        The condition number, ``>= 1``; the eigenvalues are spaced geometrically
        from ``1`` down to ``1/cond``.  If ``n = 1`` only ``cond=1`` is possible.
    eigenvalues : sequence of float or 1-D tensor, optional
        The ``n`` eigenvalues (positive and finite, in any order).  Excludes
        ``cond``.  When neither is given, ``cond=10`` is used.
    dtype : torch.dtype, optional
        A floating dtype; ``torch.float64`` by default.
    device : str or torch.device, optional
        Where the matrix lives; the CPU by default.
    generator : torch.Generator, optional
        Source of randomness; the global generator when ``None``.

    Returns
    -------
    torch.Tensor
        The ``n × n`` symmetric positive definite matrix.

    Raises
    ------
    TypeError, ValueError
        As :func:`random_matrix`; eigenvalues must be strictly positive.

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.matrices import random_spd
    >>> S = random_spd(5, cond=1e3, generator=torch.Generator().manual_seed(0))
    >>> bool(torch.equal(S, S.T))
    True
    >>> print(f"{torch.linalg.cond(S).item():.3f}")
    1000.000
    >>> T = random_spd(2, eigenvalues=[2.0, 0.5], generator=torch.Generator().manual_seed(1))
    >>> print(torch.linalg.eigvalsh(T).round(decimals=6).tolist())
    [0.5, 2.0]
    """
    size = _check_size(n, "n")
    dtype = _check_dtype(dtype)
    target = _resolve_device(device)
    generator = check_generator(generator)
    lam = _spectrum(eigenvalues, cond, size, ("eigenvalues", "eigenvalue"), positive=True)
    q = _haar(size, size, generator, target)
    lam = lam.to(device=target, dtype=q.dtype)
    a = (q * lam) @ q.T
    return ((a + a.T) / 2).to(dtype)


def poisson_2d(
    N: int, *, dtype: torch.dtype = torch.float64, device: str | torch.device | None = None
) -> torch.Tensor:
    r"""The 2-D Poisson matrix: the 5-point Laplacian on an ``N × N`` grid, as sparse CSR.

    Row ``i·N + j`` belongs to grid point ``(i, j)``: 4 on the diagonal, −1 for each of its
    (up to four) neighbours in the grid; the boundary values are 0 (Dirichlet), so the matrix
    is symmetric positive definite, of size ``N² × N²`` with about ``5N²`` nonzeros. It is
    ``h²`` times the discrete ``−Δ`` with spacing ``h = 1/(N + 1)``; its eigenvalues are
    :math:`4 - 2\cos\frac{i\pi}{N+1} - 2\cos\frac{j\pi}{N+1}`, ``1 ≤ i, j ≤ N``.

    Parameters
    ----------
    N : int
        Grid points per side, ``≥ 1``.
    dtype : torch.dtype, optional
        A floating dtype; ``torch.float64`` by default.
    device : str or torch.device, optional
        Where the matrix lives; the CPU by default.

    Returns
    -------
    torch.Tensor
        The ``N² × N²`` matrix in the ``torch.sparse_csr`` layout.

    Examples
    --------
    >>> from gdtutorial.matrices import poisson_2d
    >>> A = poisson_2d(2)
    >>> A.layout, A.shape, A.to_dense().tolist()[0]
    (torch.sparse_csr, torch.Size([4, 4]), [4.0, -1.0, -1.0, 0.0])
    """
    from gdtutorial.operators import _to_csr

    size = _check_size(N, "N")
    dtype = _check_dtype(dtype)
    target = _resolve_device(device)
    grid = torch.arange(size * size, device=target).reshape(size, size)
    rows, cols = [grid.flatten()], [grid.flatten()]
    values = [torch.full((size * size,), 4.0, dtype=dtype, device=target)]
    for a, b in ((grid[1:], grid[:-1]), (grid[:, 1:], grid[:, :-1])):  # vertical, horizontal
        for i, j in ((a, b), (b, a)):
            rows.append(i.flatten())
            cols.append(j.flatten())
            values.append(torch.full((i.numel(),), -1.0, dtype=dtype, device=target))
    indices = torch.stack([torch.cat(rows), torch.cat(cols)])
    shape = (size * size, size * size)
    coo = torch.sparse_coo_tensor(indices, torch.cat(values), shape, check_invariants=False)
    return _to_csr(coo.coalesce())


def _post_rand(seed: int, *size: int) -> torch.Tensor:
    """``torch.rand(size)`` after ``torch.manual_seed(seed)``, leaving the global state alone."""
    # A CPU generator seeded with ``seed`` produces the same stream as the global
    # generator after ``torch.manual_seed(seed)`` (tests/test_matrices.py checks it).
    return torch.rand(*size, generator=torch.Generator().manual_seed(seed))


def source_matrices(dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    r"""The matrices of the source posts, drawn exactly as the posts drew them.

    The posts used PyTorch's default dtype (float32) on the CPU.  The caller's
    global random state is left untouched: each matrix is drawn from its own
    freshly seeded :class:`torch.Generator`, which yields the same numbers as
    ``torch.manual_seed(seed)`` followed by ``torch.rand``.

    Parameters
    ----------
    dtype : torch.dtype, optional
        The dtype of the returned tensors.  The numbers are always drawn in
        float32, as in the posts, and then converted (exactly, for float64).

    Returns
    -------
    dict of str to torch.Tensor
        A new dictionary (safe to modify) with the keys

        ``"svd_M1"`` … ``"svd_M5"``
            The SVD post's matrices: ``rand(5, 4)`` after seed 314,
            ``rand(4, 4)`` after 315, ``rand(7, 4)`` after 316,
            ``rand(3, 4).T`` after 317 (a ``4 × 3`` matrix) and ``rand(4, 3)``
            after 317.  The post's method stalls on ``svd_M3`` and ``svd_M5``.
        ``"inverse_random"``
            The inverse post's random matrix, ``rand(4, 4)`` after seed 314.
        ``"inverse_diagonal"``
            The inverse post's ``diag(1, 2, 3, 4)``.
        ``"inverse_start"``
            The inverse post's starting guess, ``rand(4, 4)`` after re-seeding
            with 314 (so it equals ``"inverse_random"`` entry for entry).

    Examples
    --------
    >>> from gdtutorial.matrices import source_matrices
    >>> mats = source_matrices()
    >>> sorted(mats)  # doctest: +NORMALIZE_WHITESPACE
    ['inverse_diagonal', 'inverse_random', 'inverse_start',
     'svd_M1', 'svd_M2', 'svd_M3', 'svd_M4', 'svd_M5']
    >>> tuple(mats["svd_M4"].shape), mats["svd_M1"].dtype
    ((4, 3), torch.float32)
    >>> print(f"{mats['inverse_start'][0, 0].item():.4f}")
    0.7196
    """
    dtype = _check_dtype(dtype)
    matrices = {
        "svd_M1": _post_rand(314, 5, 4),
        "svd_M2": _post_rand(315, 4, 4),
        "svd_M3": _post_rand(316, 7, 4),
        "svd_M4": _post_rand(317, 3, 4).T.contiguous(),
        "svd_M5": _post_rand(317, 4, 3),
        "inverse_random": _post_rand(314, 4, 4),
        "inverse_diagonal": torch.diag(torch.tensor([1.0, 2.0, 3.0, 4.0])),
        "inverse_start": _post_rand(314, 4, 4),
    }
    return {name: matrix.to(dtype) for name, matrix in matrices.items()}
