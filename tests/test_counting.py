"""Tests for gdtutorial.counting: the operations, products, flops and bytes of a block of code."""

from __future__ import annotations

import pytest
import torch

import gdtutorial as gd
from gdtutorial.counting import Op, OpLog


def test_records_each_operation_with_its_shapes_and_dtypes() -> None:
    A = torch.ones(3, 4, dtype=torch.float64)
    x = torch.ones(4, dtype=torch.float32)
    with OpLog() as log:
        y = A @ x.double() + 1.0
    assert [op.name for op in log.ops] == ["_to_copy", "mv", "add"]
    assert log.ops[1] == Op("mv", (((3, 4), torch.float64), ((4,), torch.float64)))
    assert y.shape == (3,)


def test_views_compute_nothing_and_are_left_out() -> None:
    A = torch.ones(4, 4)
    with OpLog() as log:
        A.t()[1:], A.view(16), A[:, 0]
    assert log.ops == []


def test_matmul_is_counted_as_the_kernel_that_runs() -> None:
    A, B = torch.ones(5, 3), torch.ones(3, 2)
    with OpLog() as log:
        A @ B, A @ B[:, 0], torch.ones(7, 5, 3) @ torch.ones(7, 3, 2), B[:, 0] @ B[:, 1]
        torch.addmm(torch.zeros(5, 2), A, B)
    products = log.products()
    assert [op.name for op in products] == ["mm", "mv", "bmm", "dot", "addmm"]
    assert [op.flops for op in products] == [60, 30, 420, 6, 60]
    assert log.flops == 576 and log.count("mm", "addmm") == 2


def test_bytes_follow_the_dtype() -> None:
    for dtype, size in ((torch.float32, 4), (torch.float64, 8)):
        A, x = torch.ones(10, 10, dtype=dtype), torch.ones(10, dtype=dtype)
        with OpLog() as log:
            A @ x
        assert log.products()[0].bytes == 110 * size


def test_backward_passes_are_counted_too() -> None:
    A = torch.randn(6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x = torch.ones(6, dtype=torch.float64, requires_grad=True)
    with OpLog() as log:
        (A @ x).square().sum().backward()
    assert log.count("mv") == 2  # A x forward, Aᵀ g backward


def test_counts_a_solvers_matrix_vector_products() -> None:
    A = gd.matrices.random_matrix(20, cond=10, generator=torch.Generator().manual_seed(1))
    b = torch.ones(20, dtype=torch.float64)
    with OpLog() as log:
        result = gd.solve(A, b)
    products = [op for op in log.products() if op.tensors[0][0] == (20, 20)]
    assert result.success and len(products) >= 2 * result.nit  # CGLS: A p and Aᵀ r a step


def test_count_rejects_what_is_not_a_name() -> None:
    with OpLog() as log:
        torch.ones(2) + 1
    with pytest.raises(TypeError, match="Expected one or more operation names"):
        log.count()
    with pytest.raises(TypeError, match="Expected one or more operation names"):
        log.count(3)  # type: ignore[arg-type]
