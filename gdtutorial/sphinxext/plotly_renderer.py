"""A MyST-NB mime renderer for Plotly figures that works without a network.

A notebook keeps Plotly's standard ``application/vnd.plotly.v1+json`` output, so the
executed notebooks still show figures in Jupyter and Colab. In the HTML book each figure
becomes a placeholder ``<div>`` with the figure's JSON beside it in a
``<script type="application/json">``; the loader script served by
:mod:`gdtutorial.sphinxext` draws it with the site's own copy of plotly.js.
"""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any, ClassVar

from docutils import nodes

__all__ = ["FIGURE_CLASS", "PLOTLY_MIME", "PlotlyMimeRenderer", "figure_html"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
FIGURE_CLASS = "gdt-figure"
DEFAULT_HEIGHT = 450


def _title_of(figure: dict[str, Any]) -> str:
    title = figure.get("layout", {}).get("title", "")
    if isinstance(title, dict):
        title = title.get("text", "")
    return str(title or "")


def figure_html(figure: dict[str, Any] | str, *, key: str = "") -> str:
    """HTML for one figure: a placeholder, its JSON, and a text description.

    Parameters
    ----------
    figure
        The figure as Plotly JSON (a dict, or its serialisation as a string).
    key
        Anything that tells figures with equal JSON on one page apart (e.g. a cell index);
        the element id is derived from it and the JSON, so rebuilds give identical HTML.

    Returns
    -------
    str
        HTML with a ``div.gdt-figure`` that the site's loader script draws.

    Examples
    --------
    >>> html_text = figure_html({"data": [], "layout": {"title": {"text": "Loss"}}})
    >>> 'class="gdt-figure"' in html_text and 'aria-label="Loss"' in html_text
    True
    """
    if isinstance(figure, str):
        figure = json.loads(figure)
    if not isinstance(figure, dict):
        raise TypeError(f"Expected Plotly figure JSON (a dict), got {type(figure).__name__}")
    payload = json.dumps(figure, separators=(",", ":"), sort_keys=True)
    ident = "gdt-fig-" + hashlib.sha256((key + payload).encode()).hexdigest()[:12]
    layout = figure.get("layout", {})
    height = layout.get("height") or DEFAULT_HEIGHT
    title = _title_of(figure) or "Interactive figure"
    description = (
        layout.get("meta", {}).get("description", "")
        if isinstance(layout.get("meta"), dict)
        else ""
    )
    # "</" inside a script element would end it early.
    safe_payload = payload.replace("</", "<\\/")
    desc_html = (
        f'<p class="gdt-figure-description" id="{ident}-desc">{html.escape(description)}</p>'
        if description
        else ""
    )
    described_by = f' aria-describedby="{ident}-desc"' if description else ""
    return (
        f'<div class="{FIGURE_CLASS}" role="figure" aria-label="{html.escape(title)}"'
        f"{described_by}>"
        f'<div class="gdt-plotly" id="{ident}" style="height:{int(height)}px"></div>'
        f'<script type="application/json" class="gdt-figure-data">{safe_payload}</script>'
        f"{desc_html}</div>"
    )


class PlotlyMimeRenderer:
    """Renders ``application/vnd.plotly.v1+json`` outputs in HTML builds (MyST-NB plugin)."""

    mime_priority_overrides: ClassVar[list[tuple[str, str, int | None]]] = [
        ("html", PLOTLY_MIME, 5),
        ("dirhtml", PLOTLY_MIME, 5),
        ("singlehtml", PLOTLY_MIME, 5),
    ]

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[nodes.Element] | None:
        """Return the figure's HTML as a raw node, or None for any other mime type."""
        if inline or data.mime_type != PLOTLY_MIME:
            return None
        key = f"{data.cell_index}:{data.output_index}"
        content = data.content
        return [
            nodes.raw(
                text=figure_html(content, key=key),
                format="html",
                classes=["output", "plotly"],
            )
        ]
