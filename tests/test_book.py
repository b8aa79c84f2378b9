"""The book builds strictly from clean, and the site it makes is complete and offline."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from conftest import ROOT, BookBuild, run_book_build

pytestmark = pytest.mark.book

#: Interactive figures each page must show. A page added to _toc.yml must be added here.
EXPECTED_FIGURES = {
    "book/intro": 0,
    "book/tensors-and-autograd": 6,
    "book/solving-axb": 14,
    "book/large-sparse-systems": 8,
    "book/matrix-inverse": 6,
    "book/svd": 6,
    "book/gpu-notes": 6,
    "book/api": 0,
    "book/bibliography": 0,
}


def toc_pages() -> list[str]:
    """Every document named in _toc.yml, root first."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                pages.append(str(node["file"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", toc.get("chapters", [])))
    return [page.removesuffix(".md").removesuffix(".ipynb") for page in pages]


class _PageParser(HTMLParser):
    """Collects what a page loads, its figures and its notebook outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str]] = []
        self.figures = 0
        self.error_outputs = 0
        self.scripts: list[str] = []
        self.figure_json: list[dict] = []  # each figure's Plotly JSON, in page order
        self._in_figure_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = attributes.get("class", "").split()
        if tag == "script" and attributes.get("src"):
            self.loads.append((tag, attributes["src"]))
            self.scripts.append(attributes["src"].split("?")[0])
        if tag == "link" and attributes.get("href"):
            if attributes.get("rel", "") not in {"next", "prev", "index", "search", "canonical"}:
                self.loads.append((tag, attributes["href"]))
        if tag in {"img", "iframe", "source", "embed"} and attributes.get("src"):
            self.loads.append((tag, attributes["src"]))
        if "gdt-figure" in classes:
            self.figures += 1
        self._in_figure_data = tag == "script" and "gdt-figure-data" in classes
        if {"traceback", "error"} & set(classes) or ("output" in classes and "stderr" in classes):
            self.error_outputs += 1

    def handle_data(self, data: str) -> None:
        if self._in_figure_data:
            self.figure_json.append(json.loads(data.replace("<\\/", "</")))
            self._in_figure_data = False

    @property
    def slider_figures(self) -> list[dict]:
        """The figures with a slider: a parameter the reader moves, or an animation's frames."""
        return [fig for fig in self.figure_json if fig.get("layout", {}).get("sliders")]


def parse(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def html_pages(book: BookBuild) -> list[Path]:
    return sorted(p for p in book.html.rglob("*.html") if "_static" not in p.parts)


def test_book_build_succeeds_without_warnings(book: BookBuild) -> None:
    # -W turns any Sphinx warning into a failure, so success means no warning
    assert "build succeeded" in book.log
    assert "WARNING:" not in book.log, book.log[-4000:]


def test_every_toc_entry_has_a_page(book: BookBuild) -> None:
    pages = toc_pages()
    assert len(pages) >= 3
    missing = [page for page in pages if not (book.html / f"{page}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML: {missing}"


def test_every_toc_entry_has_an_expected_figure_count() -> None:
    assert set(toc_pages()) == set(EXPECTED_FIGURES), (
        "EXPECTED_FIGURES must list exactly the pages of _toc.yml"
    )


@pytest.mark.parametrize("page", sorted(EXPECTED_FIGURES))
def test_page_has_its_figures_and_no_error_output(book: BookBuild, page: str) -> None:
    parsed = parse(book.html / f"{page}.html")
    assert parsed.figures == EXPECTED_FIGURES[page]
    assert parsed.error_outputs == 0
    # plotly.js is loaded once on pages with figures, and not at all on the others
    plotly_loads = [s for s in parsed.scripts if s.endswith("plotly.min.js")]
    assert len(plotly_loads) == (1 if EXPECTED_FIGURES[page] else 0)


def test_the_reader_can_move_the_parameters_of_the_dynamics(book: BookBuild) -> None:
    """Issue 13's acceptance: at least 3 slider figures in chapters 1 and 2, 5 in the book,
    and every slider wired: each step shows a different set of traces, or a frame that exists."""
    sliders = {page: parse(book.html / f"{page}.html").slider_figures for page in EXPECTED_FIGURES}
    first_two = sliders["book/tensors-and-autograd"] + sliders["book/solving-axb"]
    assert len(first_two) >= 3, [fig["layout"]["title"]["text"] for fig in first_two]
    assert sum(len(figs) for figs in sliders.values()) >= 5
    for fig in (fig for figs in sliders.values() for fig in figs):
        title = fig["layout"]["title"]["text"]
        steps = fig["layout"]["sliders"][0]["steps"]
        assert len(steps) >= 2, title
        if steps[0]["method"] == "restyle":
            shown = [tuple(step["args"][0]["visible"]) for step in steps]
            assert all(len(v) == len(fig["data"]) for v in shown), title
            assert len(set(shown)) == len(steps), title  # no two steps show the same traces
        else:
            assert steps[0]["method"] == "animate", title
            frames = {frame["name"] for frame in fig["frames"]}
            assert all(step["args"][0][0] in frames for step in steps), title


def test_no_page_loads_anything_from_another_host(book: BookBuild) -> None:
    pages = html_pages(book)
    assert len(pages) >= len(EXPECTED_FIGURES)
    offsite = []
    for path in pages:
        for tag, url in parse(path).loads:
            parsed = urlparse(url)
            if parsed.scheme in {"http", "https"} or url.startswith("//"):
                offsite.append((path.name, tag, url))
    assert not offsite, offsite


def test_site_serves_plotly_and_mathjax_itself(book: BookBuild) -> None:
    static = book.html / "_static"
    assert (static / "plotly.min.js").stat().st_size > 1_000_000
    assert (static / "mathjax" / "tex-chtml.js").is_file()
    chapter = parse(book.html / "book" / "tensors-and-autograd.html")
    assert any(s.endswith("mathjax/tex-chtml.js") for s in chapter.scripts)


def test_numbers_in_prose_come_from_the_executed_chapter(book: BookBuild) -> None:
    text = (book.html / "book" / "tensors-and-autograd.html").read_text(encoding="utf-8")
    # glued values of the autograd section
    assert "16807" in text and "36015" in text
    assert "{glue" not in text


def test_a_failing_cell_fails_the_build(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "book").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", source / "_config.yml")
    (source / "book" / "references.bib").write_text((ROOT / "book" / "references.bib").read_text())
    (source / "_toc.yml").write_text("format: jb-book\nroot: book/broken\n")
    header = (ROOT / "book" / "tensors-and-autograd.md").read_text().split("---")[1]
    (source / "book" / "broken.md").write_text(
        f"---{header}---\n\n# Broken\n\n```{{code-cell}} ipython3\nraise ValueError('boom')\n```\n"
    )
    build = run_book_build(source, tmp_path / "out", timeout=300)
    assert build.returncode != 0
    assert "boom" in build.log


def test_pages_carry_a_last_updated_and_version_line_and_copy_buttons(book: BookBuild) -> None:
    import gdtutorial

    text = (book.html / "book" / "solving-axb.html").read_text(encoding="utf-8")
    assert "Last updated on" in text
    assert f"Computed with gdtutorial {gdtutorial.__version__}" in text
    assert "copybutton.js" in text


@pytest.mark.parametrize(
    "page", [p for p in EXPECTED_FIGURES if "api" not in p and "bib" not in p and "intro" not in p]
)
def test_chapters_offer_colab_binder_and_an_executed_notebook(book: BookBuild, page: str) -> None:
    import nbformat

    text = (book.html / f"{page}.html").read_text(encoding="utf-8")
    assert f"colab.research.google.com/github/gdtutorial/gdtutorial/blob/main/{page}.ipynb" in text
    assert "mybinder.org/v2/gh/gdtutorial/gdtutorial/main" in text
    executed = book.html / "_sources" / f"{page}.ipynb"
    notebook = nbformat.read(executed, as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert outputs, f"{executed} has no outputs"


def _plain_solutions(text: str) -> list[tuple[int, str]]:
    """The body and first line of every plain ``{solution}`` directive (not the gated form)."""
    found = []
    pattern = re.compile(r"^(`{3,}|:{3,})\{solution\}[^\n]*\n(.*?)^\1[ \t]*$", re.S | re.M)
    for match in pattern.finditer(text):
        found.append((text[: match.start()].count("\n") + 1, match.group(2)))
    return found


def _shows_code(body: str) -> bool:
    indented = re.search(r"^(?: {4}|\t)\S", body, re.M)
    fenced = re.search(
        r"^(`{3,}|~{3,})\s*(?:\{code-(?:block|cell)\}|python|ipython3?|py)?\s*$", body, re.M
    )
    return bool(indented or fenced)


def test_no_solution_shows_code_that_did_not_run() -> None:
    """Code in a solution is code that ran: it sits in code cells of the gated form
    (``{solution-start}`` … ``{solution-end}``), never in a plain ``{solution}``."""
    chapters = sorted((ROOT / "book").glob("*.md"))
    assert len(chapters) >= 5
    offending = [
        f"{path.name}:{line}"
        for path in chapters
        for line, body in _plain_solutions(path.read_text(encoding="utf-8"))
        if _shows_code(body)
    ]
    assert not offending, f"plain solutions that show unexecuted code: {offending}"


def test_the_solution_check_recognises_unexecuted_code() -> None:
    indented = "```{solution} ex\n:class: dropdown\n\nText:\n\n    x = 1\n```\n"
    fenced = "````{solution} ex\n```python\nx = 1\n```\n````\n"
    prose = "```{solution} ex\n:class: dropdown\n\nOnly words, and $x = 1$.\n```\n"
    assert [_shows_code(body) for _, body in _plain_solutions(indented + fenced + prose)] == [
        True,
        True,
        False,
    ]
