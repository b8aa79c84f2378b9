"""The chapters as Jupyter notebooks: generated for Colab and Binder, current, and runnable."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient
from test_book import EXPECTED_FIGURES

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


@pytest.mark.book
@pytest.mark.parametrize("page", CHAPTERS)
def test_generated_notebook_runs_top_to_bottom(page: str, tmp_path: Path) -> None:
    """Outside the book, as a reader's Jupyter would run it (the set-up cell is a no-op here)."""
    folder = tmp_path / "book"
    shutil.copytree(ROOT / "book", folder, ignore=shutil.ignore_patterns("*.md"))
    notebook = nbformat.read(folder / f"{Path(page).name}.ipynb", as_version=4)
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
