"""The book's build glue: offline Plotly HTML, page scripts, and execution-cache invalidation.

The whole pipeline is exercised by the book build in test_book.py; these tests pin down
each piece on its own, including the branches a normal build does not take.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import gdtutorial.sphinxext as ext
from gdtutorial.sphinxext import plotly_renderer as renderer


def test_figure_html_embeds_the_json_safely_and_deterministically() -> None:
    figure = {"data": [{"type": "scatter", "name": "</script><b>"}], "layout": {"height": 300}}
    first = renderer.figure_html(figure, key="0:0")
    assert first == renderer.figure_html(json.dumps(figure), key="0:0")
    assert first != renderer.figure_html(figure, key="1:0")
    assert "</script><b>" not in first  # cannot close the JSON's script element early
    payload = first.split('class="gdt-figure-data">')[1].split("</script>")[0]
    assert json.loads(payload.replace("<\\/", "</")) == figure
    assert "height:300px" in first
    assert 'aria-label="Interactive figure"' in first


def test_figure_html_carries_title_and_description_for_screen_readers() -> None:
    figure = {"data": [], "layout": {"title": "Plain title", "meta": {"description": "A & B"}}}
    text = renderer.figure_html(figure)
    assert 'aria-label="Plain title"' in text
    assert "A &amp; B" in text and "aria-describedby=" in text


def test_figure_html_rejects_json_that_is_not_a_figure() -> None:
    with pytest.raises(TypeError, match="Expected Plotly figure JSON \\(a dict\\), got list"):
        renderer.figure_html("[1, 2]")


def _mime(mime_type: str, content: Any) -> SimpleNamespace:
    return SimpleNamespace(mime_type=mime_type, content=content, cell_index=3, output_index=0)


def test_renderer_handles_plotly_blocks_only() -> None:
    handle = renderer.PlotlyMimeRenderer.handle_mime
    nodes = handle(None, _mime(renderer.PLOTLY_MIME, {"data": [], "layout": {}}), False)
    assert nodes is not None and nodes[0]["format"] == "html"
    assert renderer.FIGURE_CLASS in nodes[0].astext()
    assert handle(None, _mime("text/html", "<p>x</p>"), False) is None
    assert handle(None, _mime(renderer.PLOTLY_MIME, {}), True) is None


def test_renderer_outranks_html_in_html_builders() -> None:
    overrides = renderer.PlotlyMimeRenderer.mime_priority_overrides
    assert ("html", renderer.PLOTLY_MIME, 5) in overrides


def test_package_fingerprint_covers_the_package_but_not_the_build_glue() -> None:
    fingerprint = ext.package_fingerprint()
    assert len(fingerprint) == 64 and fingerprint == ext.package_fingerprint()


def _app(tmp_path: Path, cache: str = "") -> SimpleNamespace:
    return SimpleNamespace(
        config={"nb_execution_cache_path": cache},
        outdir=str(tmp_path / "_build" / "html"),
        env=SimpleNamespace(),
    )


def test_stale_cache_is_cleared_when_the_package_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(tmp_path)
    cache = tmp_path / "_build" / ".jupyter_cache"
    monkeypatch.setattr(ext, "package_fingerprint", lambda: "one")
    ext._invalidate_stale_cache(app)  # type: ignore[arg-type]
    (cache / "executed.db").write_text("outputs")
    ext._invalidate_stale_cache(app)  # type: ignore[arg-type]
    assert (cache / "executed.db").exists(), "same package: the cache is kept"
    monkeypatch.setattr(ext, "package_fingerprint", lambda: "two")
    ext._invalidate_stale_cache(app)  # type: ignore[arg-type]
    assert not (cache / "executed.db").exists(), "changed package: the cache is cleared"
    assert (cache / ext.FINGERPRINT_FILE).read_text().strip() == "two"
    assert app.env.gdtutorial_fingerprint_now == "two"


def test_a_cache_without_fingerprint_is_treated_as_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "custom-cache"
    cache.mkdir()
    (cache / "old.db").write_text("outputs of unknown provenance")
    monkeypatch.setattr(ext, "package_fingerprint", lambda: "x")
    ext._invalidate_stale_cache(_app(tmp_path, cache=str(cache)))  # type: ignore[arg-type]
    assert not (cache / "old.db").exists()


def test_every_page_is_reread_after_a_package_change() -> None:
    env = SimpleNamespace(found_docs={"a", "b", "c"}, gdtutorial_fingerprint_now="one")
    assert ext._outdated_after_package_change(None, env, set(), set(), set()) == []  # type: ignore[arg-type]
    env.gdtutorial_fingerprint_now = "one"
    assert ext._outdated_after_package_change(None, env, set(), set(), set()) == []  # type: ignore[arg-type]
    env.gdtutorial_fingerprint_now = "two"
    outdated = ext._outdated_after_package_change(None, env, {"a"}, set(), set())  # type: ignore[arg-type]
    assert outdated == ["b", "c"]


class _Script(str):
    def __new__(cls, filename: str | None, body: str = "") -> _Script:
        self = super().__new__(cls, filename or "")
        self.filename = filename  # type: ignore[attr-defined]
        self.attributes = {"body": body} if body else {}  # type: ignore[attr-defined]
        return self


def test_page_scripts_lose_duplicates_and_thebe_when_thebe_is_off() -> None:
    scripts = [
        _Script("doctools.js"),
        _Script(None, "const THEBE_JS_URL = 'https://example.invalid/thebe.js'"),
        _Script(None, "var x = 1"),
        _Script(None, "var x = 1"),
        _Script("sphinx-thebe.js"),
        _Script("doctools.js"),
    ]
    kept = ext._offline_scripts(scripts, thebe=False)
    assert [(s.filename, s.attributes.get("body", "")) for s in kept] == [
        ("doctools.js", ""),
        (None, "var x = 1"),
    ]
    with_thebe = ext._offline_scripts(scripts, thebe=True)
    assert len(with_thebe) == 4


def test_plotly_scripts_are_added_only_to_pages_with_figures() -> None:
    added: list[str] = []
    app = SimpleNamespace(
        add_js_file=lambda name, **kw: added.append(name),
        config={"html_theme_options": {}},
    )
    ext._page_context(app, "p", "page.html", {"body": "<p>no figures</p>"}, None)  # type: ignore[arg-type]
    assert added == []
    body = f'<div class="{renderer.FIGURE_CLASS}"></div>'
    ext._page_context(app, "p", "page.html", {"body": body, "script_files": []}, None)  # type: ignore[arg-type]
    assert added == [ext.PLOTLY_JS, ext.LOADER_JS]


def test_a_sphinx_build_serves_plotly_only_where_a_figure_is(tmp_path: Path) -> None:
    """A real, small MyST-NB build in this process: setup, assets and per-page scripts."""
    from sphinx.cmd.build import build_main

    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        'extensions = ["myst_nb", "gdtutorial.sphinxext"]\n'
        'exclude_patterns = ["_build"]\n'
        'nb_execution_mode = "force"\n'
        "nb_execution_raise_on_error = True\n"
    )
    (source / "index.md").write_text("# Home\n\n```{toctree}\nfigure\n```\n")
    (source / "figure.md").write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Figure\n\n"
        "```{code-cell} ipython3\nimport plotly.graph_objects as go\n"
        "go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout_title_text='Line')\n```\n"
    )
    out = tmp_path / "html"
    assert build_main(["-b", "html", "-q", "-W", str(source), str(out)]) == 0
    assert (out / "_static" / ext.PLOTLY_JS).stat().st_size > 1_000_000
    assert (out / "_static" / ext.LOADER_JS).exists()
    figure_page = (out / "figure.html").read_text()
    assert figure_page.count(f'class="{renderer.FIGURE_CLASS}"') == 1
    assert 'aria-label="Line"' in figure_page
    assert ext.PLOTLY_JS in figure_page
    assert ext.PLOTLY_JS not in (out / "index.html").read_text()


def test_bibliography_entries_become_list_items() -> None:
    app = SimpleNamespace(add_js_file=lambda name, **kw: None, config={"html_theme_options": {}})
    body = '<div role="list"><div class="citation" role="doc-biblioentry">A</div></div>'
    context = {"body": body}
    ext._page_context(app, "bib", "page.html", context, None)  # type: ignore[arg-type]
    assert context["body"] == '<div role="list"><div class="citation" role="listitem">A</div></div>'


def test_notebook_for_a_chapter_starts_with_the_setup_cell(tmp_path: Path) -> None:
    chapter = tmp_path / "chapter.md"
    chapter.write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\nkernelspec:\n"
        "  name: python3\n  display_name: Python 3\n---\n\n# T\n\n"
        "```{code-cell} ipython3\n1 + 1\n```\n"
    )
    text = ext.notebook_for(chapter, repository="https://example.invalid/r", branch="dev")
    assert text is not None and "git+https://example.invalid/r@dev" in text
    notebook = json.loads(text)
    assert notebook["cells"][0]["metadata"]["tags"] == ["colab-setup"]
    assert [c["cell_type"] for c in notebook["cells"]] == ["code", "markdown", "code"]
    assert text == ext.notebook_for(chapter, repository="https://example.invalid/r", branch="dev")
    plain = tmp_path / "plain.md"
    plain.write_text("# Just text\n")
    assert ext.notebook_for(plain, repository="", branch="") is None


def test_write_notebooks_writes_only_what_changed(tmp_path: Path) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.invalid/r\n")
    (tmp_path / "book" / "c.md").write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\nkernelspec:\n"
        "  name: python3\n  display_name: Python 3\n---\n\n# C\n"
    )
    (tmp_path / "book" / "plain.md").write_text("# Plain\n")
    assert ext.write_notebooks(tmp_path) == [tmp_path / "book" / "c.ipynb"]
    assert ext.write_notebooks(tmp_path) == []
    assert not (tmp_path / "book" / "plain.ipynb").exists()
