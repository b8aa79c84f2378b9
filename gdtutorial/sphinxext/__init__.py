"""Sphinx glue for the gdtutorial book.

Add ``gdtutorial.sphinxext`` to ``sphinx.extra_extensions`` in ``_config.yml``. It

* renders Plotly figures offline: the MyST-NB mime renderer in
  :mod:`gdtutorial.sphinxext.plotly_renderer` turns each figure's JSON into a placeholder,
  and this extension serves ``plotly.min.js`` (copied from the installed ``plotly`` package)
  plus a small loader script, on the pages that contain a figure and on no other page;
* keeps executed outputs honest: the execution cache keys on a notebook's code only, so a
  change in the package's source would otherwise leave stale outputs in the book. A
  fingerprint of the package's source is kept beside the cache; when it changes, the cache
  is cleared and every page is executed again;
* removes inline scripts that Sphinx 7.4 emits twice on a page.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from gdtutorial.sphinxext.plotly_renderer import FIGURE_CLASS

__all__ = ["package_fingerprint", "setup"]

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
PLOTLY_JS = "plotly.min.js"
LOADER_JS = "gdt-figures.js"
FINGERPRINT_FILE = "gdtutorial-source.sha256"


def package_fingerprint() -> str:
    """A SHA-256 over the source files of ``gdtutorial`` that chapters execute.

    The build glue itself (this sub-package) is left out: it changes how pages are
    rendered, not what the chapters compute.
    """
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if STATIC_DIR.parent in path.parents:
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_path(app: Sphinx) -> Path:
    configured = app.config["nb_execution_cache_path"]
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def _invalidate_stale_cache(app: Sphinx) -> None:
    """Clear the execution cache when the package's source changed since it was filled."""
    fingerprint = package_fingerprint()
    app.env.gdtutorial_fingerprint_now = fingerprint  # type: ignore[attr-defined]
    cache = _cache_path(app)
    stamp = cache / FINGERPRINT_FILE
    if cache.exists() and (not stamp.exists() or stamp.read_text().strip() != fingerprint):
        logger.info("gdtutorial: package source changed, clearing the execution cache %s", cache)
        shutil.rmtree(cache)
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n")


def _outdated_after_package_change(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Re-read every page when the package changed since the environment was pickled."""
    now = getattr(env, "gdtutorial_fingerprint_now", None)
    before = getattr(env, "gdtutorial_fingerprint", None)
    env.gdtutorial_fingerprint = now  # type: ignore[attr-defined]
    if before is not None and before != now:
        return sorted(env.found_docs - added - changed)
    return []


def _copy_plotly_js(app: Sphinx) -> None:
    import plotly

    source = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    target = Path(app.outdir) / "_static" / PLOTLY_JS
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        shutil.copyfile(source, target)


def _builder_inited(app: Sphinx) -> None:
    _invalidate_stale_cache(app)
    write_notebooks(Path(app.srcdir))
    if app.builder.format == "html":
        _copy_plotly_js(app)


#: The first cell of every generated notebook: on Colab or Binder it installs what the
#: chapter needs; where the packages are already installed it does nothing.
SETUP_CELL = """\
# Run this cell first. On Colab or Binder it installs gdtutorial (from the book's
# repository) and MyST-NB, whose `glue` the chapter uses; where both are installed
# already it does nothing.
import importlib.util
import subprocess
import sys

missing = [name for name in ("gdtutorial", "myst_nb") if importlib.util.find_spec(name) is None]
if missing:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "gdtutorial @ git+{repository}@{branch}", "myst-nb==1.4.0"],
        check=True,
    )"""


def notebook_for(markdown: Path, *, repository: str, branch: str) -> str | None:
    """The ``.ipynb`` text of a MyST Markdown chapter, with the set-up cell first.

    Returns None for a page that is not a notebook (no jupytext header). The output has no
    execution counts or outputs, so it changes only when the chapter's text changes.
    """
    import jupytext
    import nbformat

    text = markdown.read_text(encoding="utf-8")
    if "jupytext:" not in text.split("---", 2)[1 if text.startswith("---") else 0]:
        return None
    notebook = jupytext.reads(text, fmt="md:myst")
    setup = nbformat.v4.new_code_cell(SETUP_CELL.format(repository=repository, branch=branch))
    setup.metadata["tags"] = ["colab-setup"]
    notebook.cells.insert(0, setup)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # stable ids: the file changes only with the chapter
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["colab"] = {"provenance": []}
    return str(nbformat.writes(notebook)) + "\n"


def write_notebooks(srcdir: Path) -> list[Path]:
    """Write ``book/<chapter>.ipynb`` beside every MyST notebook chapter, where it changed.

    The launch buttons of sphinx-book-theme point Colab and Binder at an ``.ipynb`` of the
    same name when one exists, and Colab can open nothing else. The notebooks are generated,
    committed, and excluded from the Sphinx build (``exclude_patterns``).
    """
    import yaml

    config_file = srcdir / "_config.yml"
    if not config_file.exists():  # not a Jupyter Book: nothing to launch from
        return []
    repo = (yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}).get("repository", {})
    written = []
    for markdown in sorted((srcdir / "book").glob("*.md")):
        text = notebook_for(
            markdown, repository=repo.get("url", ""), branch=repo.get("branch", "main")
        )
        target = markdown.with_suffix(".ipynb")
        if text is not None and (not target.exists() or target.read_text(encoding="utf-8") != text):
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    body = context.get("body", "")
    if 'role="doc-biblioentry"' in body:
        # docutils puts bibliography entries, role "doc-biblioentry" (deprecated in DPUB-ARIA
        # 1.1), inside a role="list", which accessibility checkers then read as a list without
        # items; "listitem" is what the list needs.
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')
    if FIGURE_CLASS in body:
        app.add_js_file(PLOTLY_JS, loading_method="defer")
        app.add_js_file(LOADER_JS, loading_method="defer")
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = _offline_scripts(scripts, thebe=_thebe_enabled(app))


def _thebe_enabled(app: Sphinx) -> bool:
    return bool(app.config["html_theme_options"].get("launch_buttons", {}).get("thebe"))


def _offline_scripts(scripts: list[Any], *, thebe: bool) -> list[Any]:
    """The page's scripts without duplicates, and without Thebe's where it is switched off.

    Sphinx 7.4 lists some inline scripts twice on a page ("Identifier 'THEBE_JS_URL' has
    already been declared"); the first of each is kept. Jupyter Book loads sphinx-thebe even
    with Thebe switched off, and its inline script names a CDN copy of Thebe: a page that
    cannot launch Thebe needs neither.
    """
    seen: set[tuple[str, str]] = set()
    kept = []
    for script in scripts:
        filename = str(script.filename or "")
        body = str(script.attributes.get("body", ""))
        if not thebe and ("thebe" in filename or "THEBE_JS_URL" in body):
            continue
        key = (filename, body)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def _config_inited(app: Sphinx, config: Any) -> None:
    config.html_static_path.append(str(STATIC_DIR))
    if config.html_theme != "sphinx_book_theme":  # the footer line below is that theme's
        return
    # Every page says which version of the package its outputs were computed with.
    import gdtutorial

    options = config.html_theme_options
    footer = options.get("extra_footer") or ""
    options["extra_footer"] = (
        f"{footer}<p>Computed with gdtutorial {gdtutorial.__version__} and "
        f"PyTorch {_torch_version()}.</p>"
    )


def _torch_version() -> str:
    import torch

    return str(torch.__version__).split("+")[0]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the book's build glue with Sphinx."""
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _outdated_after_package_change)
    app.connect("html-page-context", _page_context)
    app.add_css_file("gdt-figures.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
