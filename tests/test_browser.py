"""The built site in a real browser: figures draw, hover works, nothing leaves the machine.

Runs Debian's Chromium through Playwright against the site served on 127.0.0.1. Outside CI
the test skips where Chromium or Playwright is missing; with ``CI=true`` that is a failure.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from conftest import ROOT, BookBuild
from test_book import EXPECTED_FIGURES

pytestmark = [pytest.mark.book, pytest.mark.browser]

CHROMIUM = Path(os.environ.get("GDT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SCREENSHOTS = Path(os.environ.get("GDT_SCREENSHOTS", ROOT / "_build" / "screenshots"))

# Pixel position, in the viewport, of a point of the figure's first trace.
# the title of the collapsed dropdown (a solution) that holds an element; clicking it opens it
COLLAPSED_TITLE = (
    "xpath=ancestor::div[contains(concat(' ', @class, ' '), ' dropdown ')][1]"
    "/p[contains(@class, 'admonition-title')]"
)

POINT_OF_FIRST_TRACE = """
(div) => {
  const layout = div._fullLayout, box = div.getBoundingClientRect();
  // the first trace shown: a slider's other steps are hidden and have no points
  const index = Math.max(0, div._fullData.findIndex((t) => t.visible === true));
  const trace = div._fullData[index];
  // the trace's own axes: a figure with subplots has several
  const xa = layout[(trace.xaxis || "x").replace("x", "xaxis")];
  const ya = layout[(trace.yaxis || "y").replace("y", "yaxis")];
  let x = xa._offset + xa._length / 2, y = ya._offset + ya._length / 2;
  if (trace.type === "scatter") {
    const points = div.calcdata[index].filter((p) => isFinite(p.x) && isFinite(p.y));
    const p = points[Math.floor(points.length / 2)];
    x = xa._offset + xa.c2p(p.x);
    y = ya._offset + ya.c2p(p.y);
  }
  return { x: box.left + x, y: box.top + y };
}
"""


# What the browser loaded for the page: the document and every resource, body bytes.
PAGE_WEIGHT = """
() => {
  const entries = performance.getEntriesByType("navigation")
    .concat(performance.getEntriesByType("resource"));
  const bytes = entries.reduce((sum, e) => sum + (e.decodedBodySize || 0), 0);
  return { requests: entries.length, bytes: bytes };
}
"""


def _browser_missing_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def site(book: BookBuild) -> Iterator[str]:
    """The built site served on an ephemeral loopback port."""
    handler = functools.partial(_QuietHandler, directory=str(book.html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Visit:
    """What happened while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    offsite_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot be skipped in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def open_page(context: Any, url: str) -> tuple[Any, Visit]:
    """Open ``url`` with every request to another host recorded and refused."""
    from playwright.sync_api import Error as PlaywrightError

    visit = Visit()
    page = context.new_page()

    def route(route: Any) -> None:
        target = urlparse(route.request.url)
        if target.scheme in {"http", "https", "ws", "wss"} and target.hostname not in LOOPBACK:
            visit.offsite_requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: (
            visit.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
    page.on("requestfailed", lambda request: visit.failed_requests.append(request.url))
    page.goto(url, wait_until="load")
    # Let MathJax finish typesetting (it loads its fonts then) and late requests show up.
    for _ in range(3):  # a page may redirect (index.html does) before this settles
        try:
            page.evaluate("() => window.MathJax?.startup?.promise ?? null")
            break
        except PlaywrightError:
            page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    return page, visit


def all_pages(book: BookBuild) -> list[str]:
    pages = sorted(
        p.relative_to(book.html).as_posix()
        for p in book.html.rglob("*.html")
        if not {"_static", "_sources"} & set(p.relative_to(book.html).parts)
    )
    return pages


def test_every_page_opens_cleanly_and_offline(
    book: BookBuild, site: str, browser_context: Any
) -> None:
    pages = all_pages(book)
    assert {f"{page}.html" for page in EXPECTED_FIGURES} <= set(pages)
    problems = {}
    weights = {}
    for relative in pages:
        page, visit = open_page(browser_context, f"{site}/{relative}")
        weights[relative] = page.evaluate(PAGE_WEIGHT)
        page.close()
        if visit.console_errors or visit.page_errors or visit.offsite_requests:
            problems[relative] = visit
        if visit.failed_requests:
            problems[relative] = visit
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "page-weights.json").write_text(json.dumps(weights, indent=1) + "\n")
    assert not problems, problems
    # every page loads something, and a page without figures does not load plotly.js
    assert all(w["bytes"] > 0 and w["requests"] > 0 for w in weights.values())


@pytest.mark.parametrize("page_name", [p for p, n in EXPECTED_FIGURES.items() if n])
def test_figures_render_and_show_hover_labels(
    page_name: str, site: str, browser_context: Any
) -> None:
    page, visit = open_page(browser_context, f"{site}/{page_name}.html")
    try:
        expected = EXPECTED_FIGURES[page_name]
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}",
            timeout=30_000,
        )
        figures = page.locator(".gdt-figure .js-plotly-plot")
        assert figures.count() == expected
        for i in range(expected):
            figure = figures.nth(i)
            if not figure.is_visible():  # in a collapsed solution: open it, as a reader would
                figure.locator(COLLAPSED_TITLE).click()
                figure.wait_for(state="visible", timeout=5_000)
            figure.scroll_into_view_if_needed()
            page.mouse.move(0, 0)
            point = figure.evaluate(POINT_OF_FIRST_TRACE)
            page.mouse.move(point["x"], point["y"], steps=4)
            hover = figure.locator(".hoverlayer .hovertext")
            hover.first.wait_for(state="attached", timeout=5_000)
            assert hover.count() >= 1, f"no hover label on figure {i} of {page_name}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / f"{page_name.replace('/', '-')}.png"), full_page=True
        )
        assert not visit.console_errors, visit.console_errors
        assert not visit.page_errors, visit.page_errors
        assert not visit.offsite_requests, visit.offsite_requests
    finally:
        page.close()


VISIBLE_TRACES = "(div) => div._fullData.map((trace) => trace.visible === true)"


def test_dragging_a_slider_changes_the_plot(site: str, browser_context: Any) -> None:
    """The step-size slider of chapter 2: a click on its rail, as a reader would, shows
    another precomputed run (another path and loss curve become visible)."""
    page, visit = open_page(browser_context, f"{site}/book/solving-axb.html")
    try:
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .slider-container').length >= 1",
            timeout=30_000,
        )
        figure = page.locator(".js-plotly-plot").filter(has=page.locator(".slider-container"))
        figure = figure.first
        figure.scroll_into_view_if_needed()
        before = figure.evaluate(VISIBLE_TRACES)
        rail = figure.locator(".slider-rail-touch-rect").first.bounding_box()
        assert rail is not None
        page.mouse.click(rail["x"] + 0.02 * rail["width"], rail["y"] + rail["height"] / 2)
        page.wait_for_function(
            f"(div) => JSON.stringify({VISIBLE_TRACES}(div)) !== '{json.dumps(before)}'",
            arg=figure.element_handle(),
            timeout=5_000,
        )
        after = figure.evaluate(VISIBLE_TRACES)
        assert after != before and sum(after) == sum(before) == 3  # contours, a path, a loss
        assert not visit.page_errors, visit.page_errors
    finally:
        page.close()


def test_browser_is_available_in_ci() -> None:
    """CI must run the browser tests: a missing browser there is a failure, not a skip."""
    if os.environ.get("CI", "").lower() != "true":
        pytest.skip("only meaningful in CI")
    assert _browser_missing_reason() is None
    assert shutil.which(str(CHROMIUM)) or CHROMIUM.exists()


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def test_every_page_passes_axe_without_serious_violations(
    book: BookBuild, site: str, browser_context: Any
) -> None:
    """WCAG 2 A and AA rules of axe-core, on every page of the site."""
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm ci` (make setup does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    results = {}
    for relative in all_pages(book):
        page, _ = open_page(browser_context, f"{site}/{relative}")
        try:
            page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
            violations = page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}))"
                ".violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,"
                " help: v.help}))"
            )
        finally:
            page.close()
        results[relative] = violations
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "axe.json").write_text(json.dumps(results, indent=1) + "\n")
    serious = {
        page: [v for v in found if v["impact"] in SERIOUS]
        for page, found in results.items()
        if any(v["impact"] in SERIOUS for v in found)
    }
    assert not serious, serious


def _figure_background(page: Any) -> str:
    return str(
        page.evaluate(
            "getComputedStyle(document.querySelector('.gdt-figure .main-svg')).backgroundColor"
        )
    )


def test_figures_follow_the_dark_mode_switch(site: str, browser_context: Any) -> None:
    page, visit = open_page(browser_context, f"{site}/book/tensors-and-autograd.html")
    try:
        page.wait_for_selector(".gdt-figure .main-svg")
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        light = _figure_background(page)
        assert light == "rgb(255, 255, 255)"
        # the theme's own switch, clicked as a reader would until the page is dark (it cycles
        # through light, auto and dark; auto is light in a browser that prefers light)
        switch = page.locator("button.theme-switch-button:visible").first
        for _ in range(3):
            switch.click()
            if page.evaluate("document.documentElement.dataset.theme") == "dark":
                break
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        page.wait_for_function(
            "getComputedStyle(document.querySelector('.gdt-figure .main-svg'))"
            ".backgroundColor !== 'rgb(255, 255, 255)'"
        )
        dark = _figure_background(page)
        red, green, blue = (int(c) for c in dark[dark.index("(") + 1 : -1].split(",")[:3])
        assert max(red, green, blue) < 80, dark  # a dark background, without a reload
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".gdt-figure").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "book-tensors-and-autograd-dark.png"))
        # and back to light restores the figure's own colours
        while page.evaluate("document.documentElement.dataset.theme") != "light":
            switch.click()
        page.wait_for_function(
            "getComputedStyle(document.querySelector('.gdt-figure .main-svg'))"
            ".backgroundColor === 'rgb(255, 255, 255)'"
        )
        assert not visit.console_errors and not visit.page_errors
    finally:
        page.close()


def test_search_finds_the_chapter_that_explains_newton_schulz(
    site: str, browser_context: Any
) -> None:
    page, visit = open_page(browser_context, f"{site}/search.html")
    try:
        box = page.locator("input[type=search]:visible").first
        box.fill("Newton")
        box.press("Enter")
        page.wait_for_selector("#search-results li a", timeout=15_000)
        links = page.locator("#search-results li a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert any("matrix-inverse" in href for href in links), links
        assert not visit.offsite_requests
    finally:
        page.close()
