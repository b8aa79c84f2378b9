"""Counting the work a piece of PyTorch code does: operations, matrix products, flops, bytes.

Times depend on the machine and on what else it is doing; the work does not. A claim such as
"two matrix products a step" or "float32 reads half the bytes" is checked by counting, and
:class:`OpLog` counts: inside ``with OpLog() as log:`` every operation PyTorch runs is
recorded with the shapes and dtypes of its tensor arguments.

Note [Counting at the dispatcher]
PyTorch sends every operation through its dispatcher, where a ``TorchDispatchMode`` sees it
after ``@``, ``torch.matmul`` and autograd's backward have been broken down into the kernels
that really run (``mm``, ``mv``, ``addmm``, …). Counting there, rather than at the Python
level, counts what is computed, backward passes included; it is the mechanism of PyTorch's
own ``torch.utils.flop_counter``. Views (``t``, ``view``, ``select``, …) compute nothing and
are left out.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["Op", "OpLog"]

# Matrix products, and where in their arguments the two factors are.
_PRODUCTS = {"mm": 0, "mv": 0, "bmm": 0, "dot": 0, "vdot": 0, "addmm": 1, "addmv": 1, "baddbmm": 1}


class Op(NamedTuple):
    """One operation PyTorch ran: its name and the ``(shape, dtype)`` of each tensor argument.

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.counting import Op
    >>> op = Op("mv", (((3, 4), torch.float64), ((4,), torch.float64)))
    >>> op.is_product, op.flops, op.bytes
    (True, 24, 128)
    """

    name: str
    tensors: tuple[tuple[tuple[int, ...], torch.dtype], ...]

    @property
    def is_product(self) -> bool:
        """Whether this is a matrix (or matrix–vector, or vector–vector) product."""
        return self.name in _PRODUCTS

    @property
    def flops(self) -> int:
        """Floating-point operations of a product (a multiply and an add per term); 0 otherwise.

        An ``(m, k)`` by ``(k, n)`` product costs ``2·m·k·n``; a batch multiplies that by the
        batch size; the added term of ``addmm`` is not counted.
        """
        if not self.is_product:
            return 0
        first = _PRODUCTS[self.name]
        (a, _), (b, _) = self.tensors[first : first + 2]
        batch = math.prod(a[:-2])
        rows = a[-2] if len(a) >= 2 else 1
        inner = a[-1]
        cols = b[-1] if len(b) >= 2 else 1
        return 2 * batch * rows * inner * cols

    @property
    def bytes(self) -> int:
        """The number of bytes of the tensor arguments, which the operation must read at least."""
        return sum(math.prod(shape) * dtype.itemsize for shape, dtype in self.tensors)


class OpLog(TorchDispatchMode):
    """Records every operation PyTorch runs inside a ``with`` block.

    Attributes
    ----------
    ops : list of Op
        The operations in the order they ran (views left out; see the module's Note).

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.counting import OpLog
    >>> A = torch.ones(3, 4, dtype=torch.float64)
    >>> x = torch.ones(4, dtype=torch.float64)
    >>> with OpLog() as log:
    ...     r = A @ x - 1.0
    >>> [op.name for op in log.ops]
    ['mv', 'sub']
    >>> log.count("mv"), log.flops, log.products()[0].bytes
    (1, 24, 128)
    """

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[Op] = []

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        if not func.is_view:
            tensors = tuple((tuple(a.shape), a.dtype) for a in args if isinstance(a, torch.Tensor))
            self.ops.append(Op(func.overloadpacket.__name__, tensors))
        return func(*args, **(kwargs or {}))

    def count(self, *names: str) -> int:
        """Number of recorded operations with any of these names (e.g. ``"mm"``, ``"mv"``)."""
        if not names or not all(isinstance(name, str) for name in names):
            raise TypeError(f"Expected one or more operation names (str), got {names!r}")
        return sum(op.name in names for op in self.ops)

    def products(self) -> list[Op]:
        """The matrix products among the recorded operations, in order."""
        return [op for op in self.ops if op.is_product]

    @property
    def flops(self) -> int:
        """Floating-point operations of all recorded products."""
        return sum(op.flops for op in self.ops)
