"""Tests of the result types and the status table."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from gdtutorial import Result, SVDResult
from gdtutorial.result import STATUS_MESSAGES, STATUSES


def _result(**changes: object) -> Result:
    fields: dict[str, object] = {
        "x": torch.zeros(2),
        "success": True,
        "status": "converged",
        "message": STATUS_MESSAGES["converged"],
        "nit": 1,
        "residual": 0.0,
        "loss_history": torch.zeros(2, dtype=torch.float64),
        "method": "gd",
    }
    fields.update(changes)
    return Result(**fields)  # type: ignore[arg-type]


def test_statuses_are_the_six_of_the_contract() -> None:
    expected = {"converged", "max_iter", "diverged", "stalled", "callback", "breakdown"}
    assert set(STATUSES) == expected
    assert all(message.endswith(".") for message in STATUS_MESSAGES.values())


def test_result_is_frozen() -> None:
    result = _result()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.nit = 2  # type: ignore[misc]


def test_result_fields_are_the_contract() -> None:
    names = [field.name for field in dataclasses.fields(Result)]
    assert names == [
        "x",
        "success",
        "status",
        "message",
        "nit",
        "residual",
        "loss_history",
        "method",
    ]
    svd_names = [field.name for field in dataclasses.fields(SVDResult)]
    assert svd_names == [*names, "U", "S", "Vh"]


def test_unknown_status_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"Expected status in .*got 'done'"):
        _result(status="done")


def test_success_must_match_status() -> None:
    with pytest.raises(ValueError, match="Expected success == "):
        _result(success=False)
    with pytest.raises(ValueError, match="Expected success == "):
        _result(success=True, status="max_iter")


def test_repr_is_short_and_informative() -> None:
    text = repr(_result(residual=1.5e-7))
    assert (
        text == "Result(status='converged', success=True, nit=1, residual=1.500e-07, method='gd')"
    )


def test_svd_result_carries_the_factors() -> None:
    S = torch.tensor([2.0, 1.0])
    result = SVDResult(
        x=S,
        success=False,
        status="max_iter",
        message=STATUS_MESSAGES["max_iter"],
        nit=3,
        residual=0.1,
        loss_history=torch.zeros(4, dtype=torch.float64),
        method="penalty",
        U=torch.eye(3, 2),
        S=S,
        Vh=torch.eye(2),
    )
    assert isinstance(result, Result)
    assert result.S is S and result.U.shape == (3, 2) and result.Vh.shape == (2, 2)
    assert repr(result).startswith("SVDResult(status='max_iter'")
