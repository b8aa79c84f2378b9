"""Matrices known by their products: :class:`LinearOperator`, and sparse tensors as operators.

:func:`~gdtutorial.solve` and :func:`~gdtutorial.svd` take a dense tensor, a sparse COO or CSR
tensor, or a :class:`LinearOperator`. Their methods touch ``A`` only through ``A @ X`` and
``A.mT @ Y`` (and, for a few, its entries), so a sparse matrix or a function that applies ``A``
serves as well as a dense one, with memory proportional to its nonzeros. Anchor: SciPy's
``scipy.sparse.linalg.LinearOperator`` (shape, ``matvec``, ``rmatvec``, dtype).

Examples
--------
>>> import torch
>>> from gdtutorial.operators import LinearOperator
>>> d = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
>>> D = LinearOperator((3, 3), lambda x: d * x if x.ndim == 1 else d[:, None] * x, symmetric=True)
>>> D
LinearOperator(shape=(3, 3), dtype=torch.float64, device=cpu, symmetric=True)
>>> (D @ torch.ones(3, dtype=torch.float64)).tolist()
[1.0, 2.0, 4.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from ._checks import check_tensor

__all__ = ["LinearOperator"]

Product = Callable[[torch.Tensor], torch.Tensor]
"""A product with ``A`` (or ``Aᵀ``): ``(n,)`` or ``(n, k)`` to ``(m,)`` or ``(m, k)``."""

_SPARSE = (torch.sparse_coo, torch.sparse_csr)


class LinearOperator:
    """A matrix ``A`` given by the products ``A x`` (and ``Aᵀ y``), never by its entries.

    Parameters
    ----------
    shape : tuple of int
        ``(m, n)``, both positive.
    matvec : callable
        ``matvec(x)`` returns ``A x``: a tensor of shape ``(n,)`` gives ``(m,)``, one of shape
        ``(n, k)`` gives ``(m, k)``, in ``dtype`` on ``device``. It must not modify ``x``.
    rmatvec : callable, optional
        ``rmatvec(y)`` returns ``Aᵀ y`` in the same way, ``(m,)`` or ``(m, k)`` to ``(n,)`` or
        ``(n, k)``. Only the methods that use ``Aᵀ`` need it (every method of
        :func:`~gdtutorial.solve` but ``"cg"``, and :func:`~gdtutorial.svd`); they say so when
        it is missing. With ``symmetric=True`` it is ``matvec``.
    dtype : torch.dtype, optional
        ``torch.float64`` (the default) or ``torch.float32``: the dtype of the products.
    device : torch.device or str, optional
        Where the products live; the CPU by default.
    symmetric : bool, optional
        Declares ``Aᵀ = A`` (``m = n``): :func:`~gdtutorial.solve` then picks plain CG by
        default. Not checked: a wrong declaration gives wrong answers.

    Notes
    -----
    ``A @ X`` checks the shape, dtype and device of what ``matvec`` returns and raises
    ``ValueError`` or ``TypeError`` naming what was expected. ``A.mT`` is the transposed
    operator. Multiplying by a number scales the operator. Every call counts as one product
    with a block of vectors, whatever ``k`` is.

    Examples
    --------
    >>> import torch
    >>> M = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
    >>> A = LinearOperator((3, 2), lambda x: M @ x, lambda y: M.mT @ y)
    >>> (A @ torch.ones(2, dtype=torch.float64)).tolist(), A.mT.shape
    ([3.0, 7.0, 11.0], (2, 3))
    >>> LinearOperator((3, 2), lambda x: M @ x).mT  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: Expected a LinearOperator with rmatvec (this product needs Aᵀ), got ...
    """

    def __init__(
        self,
        shape: tuple[int, int],
        matvec: Product,
        rmatvec: Product | None = None,
        *,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
        symmetric: bool = False,
    ) -> None:
        if (
            not isinstance(shape, tuple | list)
            or len(shape) != 2
            or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
        ):
            raise ValueError(f"Expected shape to be two positive ints (m, n), got {shape!r}")
        if not callable(matvec):
            raise TypeError(f"Expected matvec to be callable, got {type(matvec).__name__}")
        if rmatvec is not None and not callable(rmatvec):
            raise TypeError(
                f"Expected rmatvec to be callable or None, got {type(rmatvec).__name__}"
            )
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"Expected dtype torch.float32 or torch.float64, got {dtype!r}")
        if not isinstance(symmetric, bool):
            raise TypeError(f"Expected symmetric to be a bool, got {symmetric!r}")
        m, n = shape
        if symmetric and m != n:
            raise ValueError(f"Expected a square shape with symmetric=True, got {tuple(shape)}")
        self.shape: tuple[int, int] = (m, n)
        self.dtype = dtype
        target = torch.device("cpu" if device is None else device)
        if target.type == "cuda" and target.index is None and torch.cuda.is_available():
            target = torch.device("cuda", torch.cuda.current_device())  # as tensors report it
        self.device = target
        self.symmetric = symmetric
        self._matvec = matvec
        self._rmatvec = matvec if symmetric and rmatvec is None else rmatvec

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(shape={self.shape}, dtype={self.dtype}, "
            f"device={self.device}, symmetric={self.symmetric})"
        )

    @property
    def has_transpose(self) -> bool:
        """Whether ``Aᵀ`` can be applied (``rmatvec`` given, or ``symmetric``)."""
        return self._rmatvec is not None

    @property
    def mT(self) -> LinearOperator:
        """The transposed operator ``Aᵀ``."""
        if self._rmatvec is None:
            raise ValueError(
                f"Expected a LinearOperator with rmatvec (this product needs Aᵀ), got {self!r} "
                "without one; pass rmatvec=, or symmetric=True if Aᵀ = A"
            )
        return LinearOperator(
            (self.shape[1], self.shape[0]),
            self._rmatvec,
            self._matvec,
            dtype=self.dtype,
            device=self.device,
            symmetric=self.symmetric,
        )

    T = mT

    def element_size(self) -> int:
        """Bytes per number of the products (as ``torch.Tensor.element_size()``)."""
        return torch.empty((), dtype=self.dtype).element_size()

    def __matmul__(self, X: torch.Tensor) -> torch.Tensor:
        m, n = self.shape
        if not isinstance(X, torch.Tensor) or X.ndim not in (1, 2) or X.shape[0] != n:
            got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"Expected a tensor of shape ({n},) or ({n}, k) for A @ x, got {got}")
        if X.ndim == 2 and X.shape[1] == 1:  # one column: the vector product, often faster
            return self._apply(X[:, 0], (m,)).unsqueeze(1)
        return self._apply(X, (m, *X.shape[1:]))

    def _apply(self, X: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
        Y = self._matvec(X)
        if not isinstance(Y, torch.Tensor):
            raise TypeError(f"Expected matvec to return a torch.Tensor, got {type(Y).__name__}")
        if tuple(Y.shape) != shape:
            raise ValueError(
                f"Expected matvec of a {tuple(X.shape)} tensor to return shape {shape}, "
                f"got {tuple(Y.shape)}"
            )
        if Y.dtype != self.dtype or Y.device.type != self.device.type:
            raise TypeError(
                f"Expected matvec to return {self.dtype} on {self.device}, got {Y.dtype} on "
                f"{Y.device}"
            )
        return Y

    def __mul__(self, factor: float) -> LinearOperator:
        matvec, rmatvec = self._matvec, self._rmatvec
        return LinearOperator(
            self.shape,
            lambda X: factor * matvec(X),
            None if rmatvec is None else (lambda Y: factor * rmatvec(Y)),
            dtype=self.dtype,
            device=self.device,
            symmetric=self.symmetric,
        )

    __rmul__ = __mul__

    def magnitude(self) -> float:
        """A rough size of ``A``'s entries, for scaling by powers of two: ``max |A u|`` for a
        fixed pseudo-random unit vector ``u`` (one product)."""
        generator = torch.Generator().manual_seed(20200214)
        u = torch.randn(self.shape[1], generator=generator, dtype=torch.float64)
        u = (u / u.norm()).to(self.device, self.dtype)
        return float((self @ u).abs().max().item())

    def diagonal(self) -> torch.Tensor | None:
        """The diagonal of ``A``, where it is known (not for an operator given by products)."""
        return None

    def column_norms2(self) -> torch.Tensor | None:
        """The squared norm of each column of ``A`` (the diagonal of ``AᵀA``), where known."""
        return None

    def to(self, dtype: torch.dtype) -> LinearOperator:
        """The operator in another dtype, where its entries are known."""
        raise TypeError(
            f"Expected a tensor A to convert to {dtype}, got a LinearOperator given by its products"
        )


class SparseOperator(LinearOperator):
    """A sparse matrix as an operator: CSR products with ``A`` and, kept beside it, ``Aᵀ``.

    Built by :func:`as_operator` from a COO or CSR tensor (checked there). The transpose is
    stored as its own CSR matrix (as many numbers again, unless ``A`` is symmetric, when it is
    ``A`` itself), because a CSR product with ``Aᵀ`` read from ``A``'s rows is far slower.
    """

    def __init__(self, csr: torch.Tensor, csr_t: torch.Tensor | None, *, symmetric: bool) -> None:
        self.csr = csr
        self.csr_t = csr if csr_t is None else csr_t  # None: A equals its transpose exactly
        super().__init__(
            tuple(csr.shape),  # type: ignore[arg-type]
            csr.__matmul__,
            self.csr_t.__matmul__,
            dtype=csr.dtype,
            device=csr.device,
            symmetric=symmetric,
        )

    def __repr__(self) -> str:
        return (
            f"SparseOperator(shape={self.shape}, nnz={self.csr.values().numel()}, "
            f"dtype={self.dtype}, symmetric={self.symmetric})"
        )

    @property
    def mT(self) -> SparseOperator:
        if self.csr_t is self.csr:
            return self
        return SparseOperator(self.csr_t, self.csr, symmetric=self.symmetric)

    T = mT

    def _apply(self, X: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
        return self.csr @ X

    def _map_values(self, function: Callable[[torch.Tensor], torch.Tensor]) -> SparseOperator:
        def mapped(csr: torch.Tensor) -> torch.Tensor:
            return _csr(
                csr.crow_indices(), csr.col_indices(), function(csr.values()), tuple(csr.shape)
            )

        transposed = None if self.csr_t is self.csr else mapped(self.csr_t)
        return SparseOperator(mapped(self.csr), transposed, symmetric=self.symmetric)

    def __mul__(self, factor: float) -> SparseOperator:
        return self._map_values(lambda values: values * factor)

    __rmul__ = __mul__

    def to(self, dtype: torch.dtype) -> SparseOperator:
        return self._map_values(lambda values: values.to(dtype))

    def magnitude(self) -> float:
        return float(self.csr.values().abs().max().item())

    def _coo(self) -> torch.Tensor:
        return self.csr.to_sparse_coo().coalesce()

    def diagonal(self) -> torch.Tensor:
        coo = self._coo()
        rows, cols = coo.indices()
        on = rows == cols
        diagonal = torch.zeros(min(self.shape), dtype=self.dtype, device=self.device)
        return diagonal.index_add_(0, rows[on], coo.values()[on])

    def column_norms2(self) -> torch.Tensor:
        coo = self._coo()
        norms = torch.zeros(self.shape[1], dtype=self.dtype, device=self.device)
        return norms.index_add_(0, coo.indices()[1], coo.values().square())


def _csr(
    crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, shape: tuple[int, ...]
) -> torch.Tensor:
    with warnings.catch_warnings():  # torch warns that CSR support is in beta, every time
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, size=shape, check_invariants=False)


def _to_csr(A: torch.Tensor) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return A.to_sparse_csr()


def as_operator(A: object, name: str = "A") -> torch.Tensor | LinearOperator:
    """Check ``A`` and return it as the solvers use it: a dense tensor as it is, a sparse
    COO or CSR tensor as a :class:`SparseOperator`, a :class:`LinearOperator` as it is.

    A sparse tensor is checked as a dense one is: two dimensions (no batch or dense
    dimensions), a real floating dtype, not empty, finite stored values.

    Examples
    --------
    >>> import torch
    >>> S = torch.tensor([[2.0, 0.0], [0.0, 3.0]], dtype=torch.float64).to_sparse()
    >>> as_operator(S)
    SparseOperator(shape=(2, 2), nnz=2, dtype=torch.float64, symmetric=True)
    """
    if isinstance(A, LinearOperator):
        return A
    if not isinstance(A, torch.Tensor) or A.layout == torch.strided:
        return check_tensor(A, name, ndim=2)
    if A.layout not in _SPARSE:
        raise TypeError(
            f"Expected {name} dense, sparse COO or sparse CSR, got layout {A.layout}; convert "
            f"it with {name}.to_sparse_csr()"
        )
    if A.ndim != 2 or A.dense_dim() != 0:
        raise ValueError(
            f"Expected a sparse {name} with 2 sparse dimensions and no batch or dense ones, "
            f"got shape {tuple(A.shape)} with {A.dense_dim()} dense dimensions"
        )
    if not A.dtype.is_floating_point or A.dtype.is_complex:
        raise TypeError(
            f"Expected {name} to have a real floating dtype (torch.float32 or torch.float64), "
            f"got {A.dtype}"
        )
    if A.numel() == 0:
        raise ValueError(f"Expected {name} to be non-empty, got shape {tuple(A.shape)}")
    coo = A.detach().coalesce() if A.layout == torch.sparse_coo else A.detach().to_sparse_coo()
    coo = coo.coalesce()
    values = coo.values()
    if values.numel() and not bool(torch.isfinite(values).all()):
        raise ValueError(f"Expected {name} to hold finite values only, got NaN or Inf entries")
    if values.numel() == 0:  # A = 0: one stored zero, so that CSR products are defined
        coo = torch.sparse_coo_tensor(
            torch.zeros(2, 1, dtype=torch.long, device=A.device),
            torch.zeros(1, dtype=A.dtype, device=A.device),
            A.shape,
            check_invariants=False,
        ).coalesce()
    transposed = coo.t().coalesce()
    m, n = A.shape
    exact = (
        m == n
        and torch.equal(coo.indices(), transposed.indices())
        and torch.equal(coo.values(), transposed.values())
    )
    symmetric = exact or (
        m == n
        and _close(
            float((coo - transposed).coalesce().values().abs().max().item()), coo.values(), n
        )
    )
    return SparseOperator(_to_csr(coo), None if exact else _to_csr(transposed), symmetric=symmetric)


def _close(difference: float, values: torch.Tensor, n: int) -> bool:
    """Whether ``max |A − Aᵀ|`` is rounding: at most ``10·n·ε·max |A|``."""
    largest = float(values.abs().max().item()) if values.numel() else 0.0
    return difference <= 10 * n * torch.finfo(values.dtype).eps * largest


def frobenius(A: torch.Tensor | LinearOperator) -> float:
    """``‖A‖_F``: exact for a tensor (dense or sparse); for an operator given by products an
    unbiased estimate from 16 fixed pseudo-random probes, ``√(mean ‖A g‖²)`` over Gaussian
    ``g`` (Hutchinson's estimator of ``tr(AᵀA)``).

    Examples
    --------
    >>> import torch
    >>> frobenius(torch.tensor([[3.0, 0.0], [0.0, 4.0]]))
    5.0
    """
    if isinstance(A, torch.Tensor):
        return float(A.norm().item())
    if isinstance(A, SparseOperator):
        return float(A.csr.values().norm().item())
    generator = torch.Generator().manual_seed(20200214)
    G = torch.randn(A.shape[1], 16, generator=generator, dtype=torch.float64)
    products = A @ G.to(A.device, A.dtype)
    return float((products.square().sum() / 16).sqrt().item())


def is_symmetric(A: torch.Tensor | LinearOperator) -> bool:
    """Whether ``A`` is known to be symmetric: for a tensor, ``max |A − Aᵀ|`` at most
    ``10·n·ε·max |A|`` (rounding, as in ``Q diag(λ) Qᵀ``); for an operator, as declared.

    Examples
    --------
    >>> import torch
    >>> is_symmetric(torch.tensor([[2.0, 1.0], [1.0, 2.0]])), is_symmetric(torch.eye(2, 3))
    (True, False)
    """
    if isinstance(A, LinearOperator):
        return A.symmetric
    if A.layout != torch.strided:
        return as_operator(A).symmetric  # type: ignore[union-attr]
    m, n = A.shape
    if m != n:
        return False
    # first the first rows against the first columns: most matrices that are not symmetric
    # fail here, without the passes over all of A (and A's transpose) below
    largest = float(A.abs().max().item())
    k = min(n, 8)
    probe = float((A[:k] - A[:, :k].mT).abs().max().item())
    if probe > 10 * n * torch.finfo(A.dtype).eps * largest:
        return False
    if torch.equal(A, A.mT):
        return True
    return _close(float((A - A.mT).abs().max().item()), A, n)


def diagonal(A: torch.Tensor | LinearOperator) -> torch.Tensor | None:
    """The diagonal of ``A`` where its entries are known, else ``None``."""
    return A.diagonal()


def column_norms2(A: torch.Tensor | LinearOperator) -> torch.Tensor | None:
    """The squared column norms of ``A`` (the diagonal of ``AᵀA``) where known, else ``None``."""
    if isinstance(A, LinearOperator):
        return A.column_norms2()
    return torch.linalg.vector_norm(A, dim=0).square()
