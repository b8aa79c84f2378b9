"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param(
        "cuda",
        id="cuda",
        marks=[
            pytest.mark.cuda,
            pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here"),
        ],
    ),
]


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> torch.device:
    """Every device the test should run on: the CPU always, CUDA where there is one."""
    return torch.device(request.param)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def dtype(request: pytest.FixtureRequest) -> torch.dtype:
    """Both floating dtypes the solvers support."""
    return request.param


# --- The book, built once per test run -------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BookBuild:
    """A clean build of the book: where its HTML is and what the build printed."""

    html: Path
    returncode: int
    log: str
    seconds: float


def run_book_build(source: Path, output: Path, *, timeout: float = 900) -> BookBuild:
    """Build the book at ``source`` from clean into ``output``, strictly (``-W -n``)."""
    executable = Path(sys.executable).with_name("jupyter-book")
    command = [str(executable) if executable.exists() else "jupyter-book"]
    command += ["build", str(source), "--path-output", str(output), "-W", "-n", "--keep-going"]
    start = time.perf_counter()
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=source, check=False
    )
    return BookBuild(
        html=output / "_build" / "html",
        returncode=completed.returncode,
        log=completed.stdout + completed.stderr,
        seconds=time.perf_counter() - start,
    )


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> BookBuild:
    """The whole book built from clean (a fresh output folder and execution cache)."""
    build = run_book_build(ROOT, tmp_path_factory.mktemp("book"))
    if build.returncode != 0:
        pytest.fail(f"the book did not build (exit {build.returncode}):\n{build.log[-6000:]}")
    return build
