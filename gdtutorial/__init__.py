"""Linear algebra by gradient descent with PyTorch.

The solvers :func:`solve` (``A x = b``), :func:`inverse` and :func:`svd` all return a
:class:`Result` (:class:`SVDResult` for the SVD); :func:`solve` and :func:`svd` take dense
or sparse tensors and :class:`LinearOperator` objects (matrices known by their products);
:mod:`gdtutorial.matrices` makes test matrices with a chosen spectrum, the 2-D Poisson
matrix and the source posts' matrices.

Examples
--------
>>> import torch
>>> import gdtutorial
>>> A = torch.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
>>> result = gdtutorial.solve(A, torch.tensor([3.0, 5.0], dtype=torch.float64))
>>> result.status, [round(v, 6) for v in result.x.tolist()]
('converged', [0.8, 1.4])
"""

from . import counting, devices, exercises, matrices, operators
from ._methods import show_options
from .inverse import inverse
from .linear import solve
from .operators import LinearOperator
from .result import Result, SVDResult
from .svd import svd

__version__ = "0.1.0"

__all__ = [
    "LinearOperator",
    "Result",
    "SVDResult",
    "counting",
    "devices",
    "exercises",
    "inverse",
    "matrices",
    "operators",
    "show_options",
    "solve",
    "svd",
]
