"""The chapters as Jupyter notebooks: generated for Colab and Binder, current, and runnable."""

from __future__ import annotations

import itertools
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient
from test_book import EXPECTED_FIGURES

import gdtutorial.devices
from gdtutorial.sphinxext import SETUP_CELL, notebook_for

CHAPTERS = sorted(
    page for page in EXPECTED_FIGURES if notebook_for(ROOT / f"{page}.md", repository="", branch="")
)


def test_every_chapter_is_a_notebook() -> None:
    assert len(CHAPTERS) >= 5
    assert "book/api" not in CHAPTERS and "book/bibliography" not in CHAPTERS


@pytest.mark.parametrize("page", CHAPTERS)
def test_generated_notebook_is_committed_and_current(page: str) -> None:
    import yaml

    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    expected = notebook_for(ROOT / f"{page}.md", repository=repo["url"], branch=repo["branch"])
    committed = ROOT / f"{page}.ipynb"
    assert committed.exists(), f"{committed} is missing: build the book to generate it"
    assert committed.read_text(encoding="utf-8") == expected, f"{committed} is stale"


def test_setup_cell_installs_only_what_is_missing() -> None:
    source = SETUP_CELL.format(repository="https://example.invalid/repo", branch="main")
    assert "find_spec(name) is None" in source and "if missing:" in source
    compile(source, "setup", "exec")


#: Run first in the kernel: a clock whose every reading has advanced by a random time between
#: 0.1 µs and 10 s, in place of time.perf_counter and the package's timer clock. Under it a
#: chapter runs as on a machine whose load comes and goes wildly, so an assertion that depends on
#: a measured time fails (a ratio of two such times is as likely below 1 as above).
CHAOTIC_CLOCK = """\
import random
import time

import gdtutorial.devices

_chaos = random.Random({seed})
_now = [0.0]


def _chaotic_clock():
    _now[0] += 10 ** _chaos.uniform(-7, 1)
    return _now[0]


time.perf_counter = _chaotic_clock
gdtutorial.devices._clock = _chaotic_clock
"""


@pytest.mark.book
@pytest.mark.parametrize("page", CHAPTERS)
def test_generated_notebook_runs_top_to_bottom_whatever_the_clock_says(
    page: str, tmp_path: Path
) -> None:
    """Outside the book, as a reader's Jupyter would run it (the set-up cell is a no-op here),
    and with a clock that reports random times: no assertion may depend on a measured time."""
    folder = tmp_path / "book"
    shutil.copytree(ROOT / "book", folder, ignore=shutil.ignore_patterns("*.md"))
    notebook = nbformat.read(folder / f"{Path(page).name}.ipynb", as_version=4)
    seed = sum(map(ord, page))
    notebook.cells.insert(1, nbformat.v4.new_code_cell(CHAOTIC_CLOCK.format(seed=seed)))
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": folder}}
    ).execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    assert sum(1 for cell in notebook.cells if cell.cell_type == "code") >= 5


def test_chaotic_clock_replaces_both_clocks_with_random_durations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # undone after the test: monkeypatch restores what it saw first
    monkeypatch.setattr(time, "perf_counter", time.perf_counter)
    monkeypatch.setattr(gdtutorial.devices, "_clock", gdtutorial.devices._clock)
    namespace: dict[str, object] = {}
    exec(CHAOTIC_CLOCK.format(seed=1), namespace)
    clock = namespace["_chaotic_clock"]
    assert callable(clock)
    assert time.perf_counter is clock and gdtutorial.devices._clock is clock
    readings = [clock() for _ in range(200)]
    durations = [b - a for a, b in itertools.pairwise(readings)]
    assert min(durations) > 0
    assert max(durations) / min(durations) > 1e4  # spread over many orders of magnitude
    timing = gdtutorial.devices.compare_times({"a": lambda: None, "b": lambda: None}, device="cpu")
    ratios = [a / b for a, b in zip(timing["a"].times, timing["b"].times, strict=True)]
    assert min(ratios) < 1 < max(ratios)  # the same work, timed as faster and as slower
