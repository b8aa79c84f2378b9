"""Figure builders: the book's one visual style, and the only module that imports Plotly.

Every function returns a :class:`plotly.graph_objects.Figure` and never shows it; none of
them changes Plotly's global state. Tensors, NumPy arrays and plain sequences are all
accepted wherever numbers are expected.

The style lives in :data:`COLORS` and :func:`style`: a colour-blind-safe palette (Okabe and
Ito), light grid lines, log axes for losses and residuals, theory drawn dashed beside
measurement. A text description given as ``description=`` is stored in the figure's
``layout.meta`` and read out by screen readers in the book.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch

__all__ = [
    "COLORS",
    "curves",
    "curves_slider",
    "descent_path_slider",
    "descent_paths",
    "field_heatmap",
    "loss_curves",
    "matrix_heatmap",
    "parameter_map",
    "style",
]

#: The palette of Okabe and Ito (2008), distinguishable with any colour vision.
COLORS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_GRID = "#e6e6e6"
_AXIS_LINE = "#888888"

Series = torch.Tensor | np.ndarray | Sequence[float]


def _as_array(values: Any, name: str, *, ndim: int | None = 1) -> np.ndarray:
    """Convert a tensor, array or sequence of numbers to a float64 NumPy array."""
    if isinstance(values, torch.Tensor):
        if values.is_complex():
            raise TypeError(f"Expected real numbers for {name}, got a complex tensor")
        array = values.detach().to("cpu", torch.float64).numpy()
    elif isinstance(values, np.ndarray | Sequence) and not isinstance(values, str | bytes):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"Expected numbers for {name}, got {values!r:.80}") from error
    else:
        raise TypeError(
            f"Expected a tensor, array or sequence of numbers for {name}, "
            f"got {type(values).__name__}"
        )
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"Expected {name} with {ndim} dimension(s), got shape {array.shape}")
    return array


def _history(run: Any, name: str) -> np.ndarray:
    """The per-iteration values of a run: a result's ``loss_history`` or a plain series."""
    values = getattr(run, "loss_history", run)
    array = _as_array(values, f"the history of {name!r}")
    if array.size == 0:
        raise ValueError(f"Expected a non-empty history for {name!r}, got an empty one")
    return array


def _check_mapping(runs: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(runs, Mapping):
        raise TypeError(f"Expected a mapping from labels to {what}, got {type(runs).__name__}")
    if not runs:
        raise ValueError(f"Expected at least one of {what}, got an empty mapping")
    return runs


def style(
    fig: go.Figure,
    *,
    title: str,
    x_label: str,
    y_label: str,
    log_x: bool = False,
    log_y: bool = False,
    description: str | None = None,
    height: int = 420,
) -> go.Figure:
    """Apply the book's visual style to ``fig`` in place and return it.

    Parameters
    ----------
    fig
        The figure to style.
    title, x_label, y_label
        The figure's title and axis titles (with units where there are any).
    log_x, log_y
        Whether an axis is logarithmic.
    description
        A sentence or two saying what the figure shows, for readers who cannot see it.
    height
        The figure's height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig`` itself.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> fig = style(go.Figure(), title="Loss", x_label="iteration", y_label="loss", log_y=True)
    >>> fig.layout.yaxis.type, fig.layout.title.text
    ('log', 'Loss')
    """
    if not isinstance(fig, go.Figure):
        raise TypeError(f"Expected a plotly.graph_objects.Figure, got {type(fig).__name__}")
    axis = {
        "showgrid": True,
        "gridcolor": _GRID,
        "zeroline": False,
        "linecolor": _AXIS_LINE,
        "showline": True,
        "ticks": "outside",
        "tickcolor": _AXIS_LINE,
        "automargin": True,
    }
    fig.update_layout(
        template="none",
        title={"text": title, "x": 0.02, "xanchor": "left"},
        font={"family": _FONT, "size": 14, "color": "#222222"},
        colorway=list(COLORS),
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        height=height,
        margin={"l": 70, "r": 20, "t": 60, "b": 60},
        hovermode="closest",
        legend={"bgcolor": "rgba(255,255,255,0.8)", "borderwidth": 0},
        meta={"description": description or title},
    )
    # powers of ten on log axes (10⁻⁶), plain numbers on linear ones (15000, not 1.5×10⁴)
    fig.update_xaxes(
        title={"text": x_label},
        type="log" if log_x else "linear",
        exponentformat="power" if log_x else "none",
        **axis,
    )
    fig.update_yaxes(
        title={"text": y_label},
        type="log" if log_y else "linear",
        exponentformat="power" if log_y else "none",
        **axis,
    )
    return fig


def curves(
    x: Series,
    ys: Mapping[str, Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    dashed: Sequence[str] = (),
    log_x: bool = False,
    log_y: bool = False,
    vlines: Mapping[str, float] | None = None,
    description: str | None = None,
) -> go.Figure:
    """Several curves over the same x values, one colour each.

    Parameters
    ----------
    x
        The x values, 1-D.
    ys
        Label to y values, each of the same length as ``x``.
    title, x_label, y_label
        Title and axis titles.
    dashed
        Labels of the curves to draw dashed (theory, or a reference to compare with).
    log_x, log_y
        Whether an axis is logarithmic.
    vlines
        Label to an x value, drawn as a labelled dotted vertical line (an edge, an optimum).
    description
        A text description of the figure.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import torch
    >>> x = torch.linspace(0, 3, 4)
    >>> fig = curves(x, {"x²": x**2, "2x": 2 * x}, title="A parabola and its slope",
    ...              x_label="x", y_label="value", dashed=["2x"])
    >>> [trace.line.dash for trace in fig.data]
    ['solid', 'dash']
    """
    xs = _as_array(x, "x")
    ys = _check_mapping(ys, "y series")
    unknown = set(dashed) - set(ys)
    if unknown:
        raise ValueError(f"Expected dashed labels among {sorted(ys)}, got {sorted(unknown)}")
    fig = go.Figure()
    for i, (label, values) in enumerate(ys.items()):
        y = _as_array(values, f"y series {label!r}")
        if y.shape != xs.shape:
            raise ValueError(
                f"Expected y series {label!r} of the shape of x {xs.shape}, got {y.shape}"
            )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=y,
                name=label,
                mode="lines",
                line={
                    "color": COLORS[i % len(COLORS)],
                    "dash": "dash" if label in dashed else "solid",
                    "width": 2.5 if label in dashed else 2,
                },
            )
        )
    fig = style(
        fig,
        title=title,
        x_label=x_label,
        y_label=y_label,
        log_x=log_x,
        log_y=log_y,
        description=description,
    )
    _add_vlines(fig, vlines, log_x=log_x)
    _legend(fig, "bottom")
    return fig


def _check_window(name: str, window: Any, *, positive: bool = False) -> None:
    """A window ``(low, high)`` of finite numbers with ``low < high`` (and ``low > 0`` where
    ``positive``, for a log axis): the descent panels, a fixed y range, a colour scale."""
    if (
        not isinstance(window, Sequence)
        or len(window) != 2
        or not all(isinstance(v, int | float) and math.isfinite(v) for v in window)
        or not window[0] < window[1]
        or (positive and window[0] <= 0)
    ):
        raise ValueError(
            f"Expected {name} as (low, high) with low < high"
            + (" and low > 0 on a log axis" if positive else "")
            + f", got {window!r}"
        )


def _legend(fig: go.Figure, where: str) -> None:
    """A horizontal legend outside the plot, so that a narrow page keeps the plot's width:
    ``"bottom"`` under the x axis, or ``"top"`` under the title (for figures whose slider sits
    below). Placed relative to the whole figure, it makes room for itself however many rows it
    wraps to."""
    if where == "bottom":
        fig.update_layout(
            legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yref": "container",
                    "yanchor": "bottom"}
        )  # fmt: skip
    else:
        height = fig.layout.height or 450
        fig.update_layout(
            title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12}},
            legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1 - 44 / height,
                    "yref": "container", "yanchor": "top"},
        )  # fmt: skip


def _add_vlines(fig: go.Figure, vlines: Mapping[str, float] | None, *, log_x: bool) -> None:
    """Labelled, dotted grey vertical lines across the whole plot (a boundary, an optimum)."""
    if vlines is None:
        return
    if not isinstance(vlines, Mapping):
        raise TypeError(f"Expected vlines as a mapping from labels to x values, got {vlines!r:.80}")
    for label, value in vlines.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"Expected a finite x value for vline {label!r}, got {value!r}")
        if log_x and value <= 0:
            raise ValueError(
                f"Expected a positive x for vline {label!r} on a log axis, got {value}"
            )
    # neighbours' labels go to opposite sides of their lines, so that two close lines stay legible
    order = sorted(vlines, key=lambda label: vlines[label])
    side = {label: ("right", "left")[rank % 2] for rank, label in enumerate(order)}
    for label, value in vlines.items():
        # a shape takes data values on a log axis; an annotation takes their logarithm
        fig.add_shape(
            type="line", x0=value, x1=value, xref="x", y0=0, y1=1, yref="paper",
            line={"color": "#666666", "width": 1.5, "dash": "dot"}, layer="below",
        )  # fmt: skip
        fig.add_annotation(
            x=math.log10(value) if log_x else value, xref="x", y=1.0, yref="paper",
            text=str(label), showarrow=False, yanchor="bottom", xanchor=side[label],
            font={"size": 12, "color": "#444444"},
        )  # fmt: skip


def _fixed_range(values: list[np.ndarray], log: bool) -> list[float] | None:
    """An axis range holding every finite value (positive ones only on a log axis), padded;
    on a log axis it is given as the logs of the ends, as Plotly wants."""
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    if log:
        finite = finite[finite > 0]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if log:
        low, high = math.log10(low), math.log10(high)
    pad = 0.05 * (high - low) if high > low else (0.5 if log else max(abs(high), 1.0) * 0.1)
    return [low - pad, high + pad]


def _slider(
    labels: Sequence[str], visible: Sequence[list[bool]], *, active: int, prefix: str
) -> dict:
    """A slider whose step i shows the traces ``visible[i]`` (restyle; no frames, no kernel)."""
    return {
        "active": active,
        "x": 0.0,
        "y": -0.2,
        "len": 1.0,
        "xanchor": "left",
        "yanchor": "top",
        "currentvalue": {"prefix": prefix},
        "steps": [
            {"label": label, "method": "restyle", "args": [{"visible": shown}]}
            for label, shown in zip(labels, visible, strict=True)
        ],
    }


def _check_active(active: Any, labels: Sequence[str]) -> None:
    if isinstance(active, bool) or not isinstance(active, int) or not 0 <= active < len(labels):
        raise ValueError(f"Expected active in [0, {len(labels) - 1}], got {active!r}")


def curves_slider(
    x: Series,
    frames: Mapping[str, Mapping[str, Series]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    theory: Mapping[str, Mapping[str, Series]] | None = None,
    log_x: bool = False,
    log_y: bool = False,
    y_range: tuple[float, float] | None = None,
    mode: str = "lines",
    slider_label: str = "",
    active: int = 0,
    vlines: Mapping[str, float] | None = None,
    description: str | None = None,
) -> go.Figure:
    """A slider over families of curves: each slider step shows one family, computed beforehand,
    so the page needs no kernel. The axes stay fixed as the slider moves, so what changes is the
    curves, not the scale.

    Parameters
    ----------
    x
        The x values, 1-D, shared by every curve.
    frames
        Slider label (e.g. ``"η = 0.5"``) to a family: curve name to y values. Every family has
        the same curve names, and a name keeps its colour across the steps. A curve may be
        shorter than ``x`` (a run that stopped early): it is drawn against the first x values.
    title, x_label, y_label
        Title and axis titles.
    theory
        The same slider labels (all or some) to predictions: curve name (one of the family's) to
        y values, drawn dashed in that curve's colour.
    log_x, log_y
        Whether an axis is logarithmic.
    y_range
        The y axis range ``(low, high)``, in data units (also on a log axis). By default it holds
        every finite value of every step (positive ones on a log axis).
    mode
        ``"lines"``, ``"markers"`` or ``"lines+markers"``.
    slider_label
        Shown before the current step's label (e.g. ``"step size "``).
    active
        The step shown first.
    vlines
        Label to an x value, drawn as a labelled dotted vertical line.
    description
        A text description of the figure.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import torch
    >>> k = torch.arange(5)
    >>> frames = {f"ρ = {r}": {"error": r**k} for r in (0.5, 0.9)}
    >>> fig = curves_slider(k, frames, title="t", x_label="step", y_label="error", log_y=True,
    ...                     theory={"ρ = 0.5": {"error": 0.5**k}})
    >>> [step.label for step in fig.layout.sliders[0].steps]
    ['ρ = 0.5', 'ρ = 0.9']
    >>> [(t.name, t.line.dash, t.visible) for t in fig.data]  # theory first, under its curve
    [('error (theory)', 'dash', True), ('error', None, True), ('error', None, False)]
    """
    xs = _as_array(x, "x")
    frames = _check_mapping(frames, "families of curves")
    labels = list(frames)
    _check_active(active, labels)
    if mode not in ("lines", "markers", "lines+markers"):
        raise ValueError(f"Expected mode 'lines', 'markers' or 'lines+markers', got {mode!r}")
    theory = dict(theory or {})
    unknown = set(theory) - set(labels)
    if unknown:
        raise ValueError(f"Expected theory for slider labels among {labels}, got {sorted(unknown)}")
    names: list[str] | None = None
    for label in labels:
        family = _check_mapping(frames[label], f"curves of step {label!r}")
        if names is None:
            names = list(family)
        elif list(family) != names:
            raise ValueError(
                f"Expected the curves {names} in every step, got {list(family)} in {label!r}"
            )
        extra = set(theory.get(label, {})) - set(names)
        if extra:
            raise ValueError(
                f"Expected theory curves of step {label!r} among {names}, got {sorted(extra)}"
            )
    assert names is not None  # frames is not empty
    colour_of = {name: COLORS[i % len(COLORS)] for i, name in enumerate(names)}

    def series(values: Series, what: str) -> np.ndarray:
        y = _as_array(values, what)
        if y.size > xs.size:
            raise ValueError(f"Expected {what} of at most {xs.size} values (x's), got {y.size}")
        return y

    fig = go.Figure()
    owner: list[int] = []  # the slider step of each trace
    all_y: list[np.ndarray] = []
    for i, label in enumerate(labels):
        for name in names:  # theory first, wide and translucent, so a measurement on it shows both
            if name in theory.get(label, {}):
                y = series(theory[label][name], f"theory {name!r} of step {label!r}")
                all_y.append(y)
                owner.append(i)
                fig.add_trace(
                    go.Scatter(
                        x=xs[: y.size], y=y, name=f"{name} (theory)", mode="lines",
                        visible=i == active, opacity=0.6, legendgroup=name,
                        line={"color": colour_of[name], "width": 4, "dash": "dash"},
                        hovertemplate=f"%{{x:.4g}}, %{{y:.3g}}<extra>{name} (theory)</extra>",
                    )
                )  # fmt: skip
        for name in names:
            y = series(frames[label][name], f"curve {name!r} of step {label!r}")
            all_y.append(y)
            owner.append(i)
            fig.add_trace(
                go.Scatter(
                    x=xs[: y.size], y=y, name=name, mode=mode, visible=i == active,
                    legendgroup=name, line={"color": colour_of[name], "width": 2},
                    marker={"color": colour_of[name], "size": 6},
                    hovertemplate=f"%{{x:.4g}}, %{{y:.3g}}<extra>{name}</extra>",
                )
            )  # fmt: skip
    fig = style(
        fig, title=title, x_label=x_label, y_label=y_label, log_x=log_x, log_y=log_y,
        description=description,
    )  # fmt: skip
    if y_range is not None:
        _check_window("y_range", y_range, positive=log_y)
        fixed: list[float] | None = (
            [math.log10(y_range[0]), math.log10(y_range[1])] if log_y else list(y_range)
        )
    else:
        fixed = _fixed_range(all_y, log_y)
    if fixed is not None:
        fig.update_yaxes(range=fixed, autorange=False)
    x_fixed = _fixed_range([xs], log_x)
    if x_fixed is not None:
        fig.update_xaxes(range=x_fixed, autorange=False)
    _add_vlines(fig, vlines, log_x=log_x)
    visible = [[j == i for j in owner] for i in range(len(labels))]
    fig.update_layout(
        height=480,
        margin={"b": 150},
        sliders=[_slider(labels, visible, active=active, prefix=slider_label)],
    )
    _legend(fig, "top")
    return fig


def parameter_map(
    x: Series,
    y: Series,
    z: Series | Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    z_label: str,
    marks: Mapping[str, tuple[float, float]] | None = None,
    z_range: tuple[float, float] | None = None,
    contour: float | None = None,
    description: str | None = None,
) -> go.Figure:
    """A quantity over a plane of two parameters (a rate over step size and momentum), as a
    heatmap, with labelled points and, optionally, one level line (an edge of convergence).

    Parameters
    ----------
    x, y
        The parameter values along each axis, 1-D and increasing.
    z
        The values, of shape ``(len(y), len(x))``: ``z[i, j]`` belongs to ``(x[j], y[i])``.
        NaN leaves a cell empty.
    title, x_label, y_label
        Title and axis titles.
    z_label
        The colour bar's title and the hover's name for z.
    marks
        Label to an ``(x, y)`` point, drawn as a labelled marker (an optimum, a default).
    z_range
        The ends ``(low, high)`` of the colour scale; values beyond them take the end colours,
        and the hover still shows the value. By default the range of the finite values.
    contour
        Draw the level line ``z = contour`` (e.g. ``1``, where a rate stops converging).
    description
        A text description of the figure.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import numpy as np
    >>> eta, beta = np.linspace(0, 2, 5), np.linspace(0, 1, 3)
    >>> rate = np.abs(1 - eta[None, :]) + 0 * beta[:, None]
    >>> fig = parameter_map(eta, beta, rate, title="t", x_label="η", y_label="β", z_label="rate",
    ...                     marks={"best": (1.0, 0.0)}, z_range=(0, 1), contour=1.0)
    >>> [trace.type for trace in fig.data], (fig.data[0].zmin, fig.data[0].zmax)
    (['heatmap', 'contour', 'scatter'], (0, 1))
    """
    xs, ys = _as_array(x, "x"), _as_array(y, "y")
    for name, axis in (("x", xs), ("y", ys)):
        if axis.size < 2 or not np.all(np.diff(axis) > 0):
            raise ValueError(f"Expected {name} of at least 2 increasing values, got {axis!r:.80}")
    zs = _as_array(z, "z", ndim=2)
    if zs.shape != (ys.size, xs.size):
        raise ValueError(
            f"Expected z of shape (len(y), len(x)) = {(ys.size, xs.size)}, got {zs.shape}"
        )
    if z_range is not None:
        _check_window("z_range", z_range)
    fig = go.Figure(
        go.Heatmap(
            x=xs, y=ys, z=zs.astype(np.float32), colorscale="Viridis",
            zmin=None if z_range is None else z_range[0],
            zmax=None if z_range is None else z_range[1],
            colorbar={"title": {"text": z_label}},
            hovertemplate=f"{x_label}=%{{x:.4g}}<br>{y_label}=%{{y:.4g}}<br>{z_label}=%{{z:.4g}}"
            "<extra></extra>",
        )
    )  # fmt: skip
    if contour is not None:
        if (
            isinstance(contour, bool)
            or not isinstance(contour, int | float)
            or not math.isfinite(contour)
        ):
            raise ValueError(f"Expected a finite contour level, got {contour!r}")
        fig.add_trace(
            go.Contour(
                x=xs, y=ys, z=zs, showscale=False, hoverinfo="skip",
                name=f"{z_label} = {contour:g}",
                contours={"coloring": "none", "start": contour, "end": contour, "size": 1.0,
                          "showlabels": True, "labelfont": {"color": "#ffffff"}},
                line={"color": "#ffffff", "width": 2, "dash": "dash"},
            )
        )  # fmt: skip
    for i, (label, point) in enumerate((marks or {}).items()):
        if (
            not isinstance(point, Sequence)
            or len(point) != 2
            or not all(isinstance(v, int | float) and math.isfinite(v) for v in point)
        ):
            raise ValueError(f"Expected mark {label!r} as a finite (x, y) pair, got {point!r}")
        fig.add_trace(
            go.Scatter(
                x=[point[0]], y=[point[1]], name=str(label), mode="markers+text",
                text=[str(label)], textposition="top center", textfont={"color": "#ffffff"},
                marker={"symbol": ["star", "x", "diamond", "circle"][i % 4], "size": 14,
                        "color": "#ffffff", "line": {"color": "#000000", "width": 1.5}},
                hovertemplate=f"{label}<br>{x_label}=%{{x:.4g}}<br>{y_label}=%{{y:.4g}}<extra></extra>",
            )
        )  # fmt: skip
    fig = style(fig, title=title, x_label=x_label, y_label=y_label, description=description)
    fig.update_xaxes(showgrid=False, range=[float(xs[0]), float(xs[-1])])
    fig.update_yaxes(showgrid=False, range=[float(ys[0]), float(ys[-1])])
    fig.update_layout(showlegend=False, height=480)
    return fig


def loss_curves(
    runs: Mapping[str, Any],
    *,
    title: str = "Loss against iteration",
    y_label: str = "loss",
    x_label: str = "iteration",
    theory: Mapping[str, Series] | None = None,
    description: str | None = None,
    max_points: int = 2000,
) -> go.Figure:
    """Loss (or residual) histories of several runs on one log axis.

    Parameters
    ----------
    runs
        Label to a run: a solver's result (its ``loss_history`` is drawn) or a 1-D series.
        Iterations are counted from 0 for the first entry.
    title, y_label, x_label
        Title and axis titles.
    theory
        Label to a theoretical bound or prediction, drawn dashed; a label that is also in
        ``runs`` takes that run's colour.
    description
        A text description of the figure.
    max_points
        Longer histories are drawn through this many evenly spaced iterations (the last one
        always included), so that a page with 20,000-step runs stays light.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import torch
    >>> k = torch.arange(20)
    >>> fig = loss_curves({"measured": 0.5**k}, theory={"measured": 0.6**k})
    >>> [trace.name for trace in fig.data], fig.layout.yaxis.type
    (['measured (theory)', 'measured'], 'log')
    """
    runs = _check_mapping(runs, "runs")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 2:
        raise ValueError(f"Expected an integer max_points >= 2, got {max_points!r}")
    theory = dict(theory or {})
    histories = {label: _history(run, label) for label, run in runs.items()}

    def thinned(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        steps = np.arange(values.size)
        if values.size > max_points:
            steps = np.unique(np.linspace(0, values.size - 1, max_points).round().astype(int))
        return steps, values[steps].astype(np.float32)  # ample digits for a log plot

    colour_of = {label: COLORS[i % len(COLORS)] for i, label in enumerate(histories)}
    fig = go.Figure()
    # Theory first, wide and translucent, so that a measurement lying on it leaves it visible.
    for j, (label, values) in enumerate(theory.items()):
        steps, bound = thinned(_as_array(values, f"theory {label!r}"))
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=bound,
                name=f"{label} (theory)" if label in runs else label,
                mode="lines",
                opacity=0.6,
                line={
                    "color": colour_of.get(label, COLORS[(len(runs) + j) % len(COLORS)]),
                    "width": 4,
                    "dash": "dash",
                },
            )
        )
    for label, values in histories.items():
        steps, shown = thinned(values)
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=shown,
                name=label,
                mode="lines",
                line={"color": colour_of[label], "width": 2},
            )
        )
    fig = style(
        fig, title=title, x_label=x_label, y_label=y_label, log_y=True, description=description
    )
    _legend(fig, "bottom")
    return fig


def _contours(
    loss: Callable[[torch.Tensor], torch.Tensor],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    resolution: int,
    log_contours: bool,
) -> go.Contour:
    """The contours of ``loss`` over the window (checked), as the descent figures draw them."""
    if not callable(loss):
        raise TypeError(f"Expected a callable loss, got {type(loss).__name__}")
    _check_window("x_range", x_range)
    _check_window("y_range", y_range)
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"Expected an integer resolution >= 2, got {resolution!r}")
    gx = torch.linspace(x_range[0], x_range[1], resolution, dtype=torch.float64)
    gy = torch.linspace(y_range[0], y_range[1], resolution, dtype=torch.float64)
    grid_x, grid_y = torch.meshgrid(gx, gy, indexing="xy")
    points = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)
    with torch.no_grad():
        values = loss(points)
    z = _as_array(values, "loss(points)").reshape(resolution, resolution)
    if log_contours:
        # six decades below the largest value in view: the exact minimum would be -inf
        floor = max(float(np.nanmax(z)) * 1e-6, np.finfo(np.float64).tiny)
        z = np.log10(np.maximum(z, floor))
    z = z.astype(np.float32)  # plenty for contours, and half the bytes in the page
    return go.Contour(
        x=gx.numpy(),
        y=gy.numpy(),
        z=z,
        colorscale=[[0.0, "#8c8c8c"], [1.0, "#f7f7f7"]],
        contours={"coloring": "heatmap", "showlines": True},
        line={"width": 0.5, "color": "rgba(0,0,0,0.2)"},
        colorbar={"title": {"text": "log₁₀ loss" if log_contours else "loss"}},
        hovertemplate="x₁=%{x:.3f}<br>x₂=%{y:.3f}<br>"
        + ("log₁₀ loss" if log_contours else "loss")
        + "=%{z:.3f}<extra></extra>",
        name="loss",
        showlegend=False,
    )


def _path_trace(label: str, path: Series, color: str, **options: Any) -> go.Scatter:
    """A 2-D path of iterates (``(k, 2)``, checked) as the descent figures draw it."""
    xy = _as_array(path, f"path {label!r}", ndim=2)
    if xy.shape[1] != 2 or xy.shape[0] == 0:
        raise ValueError(f"Expected path {label!r} of shape (k, 2), got {xy.shape}")
    return go.Scatter(
        x=xy[:, 0],
        y=xy[:, 1],
        name=label,
        mode="lines+markers",
        line={"color": color, "width": 2},
        marker={"size": 5},
        customdata=np.arange(xy.shape[0]),
        hovertemplate="step %{customdata}<br>x₁=%{x:.4f}<br>x₂=%{y:.4f}"
        f"<extra>{label}</extra>",
        **options,
    )


def descent_paths(
    loss: Callable[[torch.Tensor], torch.Tensor],
    paths: Mapping[str, Series],
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    title: str = "Descent paths over the loss contours",
    x_label: str = "x₁",
    y_label: str = "x₂",
    resolution: int = 81,
    log_contours: bool = True,
    description: str | None = None,
) -> go.Figure:
    """Paths of 2-D iterations drawn over the contours of the loss they descend.

    Parameters
    ----------
    loss
        Takes a ``(N, 2)`` float64 tensor of points to their ``(N,)`` losses.
    paths
        Label to a ``(k, 2)`` sequence of iterates, first to last.
    x_range, y_range
        The window shown, as ``(low, high)``.
    title, x_label, y_label
        Title and axis titles.
    resolution
        Grid points per axis for the contours.
    log_contours
        Contour ``log10`` of the loss (for losses spanning many decades).
    description
        A text description of the figure.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import torch
    >>> def bowl(p):
    ...     return p[:, 0] ** 2 + 4 * p[:, 1] ** 2
    >>> path = torch.tensor([[2.0, 1.0], [1.0, 0.2], [0.5, 0.0]])
    >>> fig = descent_paths(bowl, {"gd": path}, x_range=(-2, 2), y_range=(-1.5, 1.5))
    >>> [trace.type for trace in fig.data]
    ['contour', 'scatter']
    """
    paths = _check_mapping(paths, "paths")
    fig = go.Figure(_contours(loss, x_range, y_range, resolution, log_contours))
    palette = COLORS
    for i, (label, path) in enumerate(paths.items()):
        fig.add_trace(_path_trace(label, path, palette[i % len(palette)]))
    fig = style(fig, title=title, x_label=x_label, y_label=y_label, description=description)
    fig.update_layout(height=520, legend={"orientation": "h", "x": 0, "y": -0.15, "yanchor": "top"})
    # equal scales, so that the gradient is drawn perpendicular to the contours
    fig.update_xaxes(range=list(x_range), showgrid=False, constrain="domain")
    fig.update_yaxes(
        range=list(y_range), showgrid=False, scaleanchor="x", scaleratio=1, constrain="domain"
    )
    return fig


def matrix_heatmap(
    frames: Series | Sequence[Series],
    *,
    title: str = "Matrix entries",
    frame_labels: Sequence[str] | None = None,
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str = "RdBu",
    description: str | None = None,
) -> go.Figure:
    """A heatmap of a matrix, or an animation over a sequence of matrices.

    Parameters
    ----------
    frames
        One 2-D matrix, or a sequence of matrices of one shape (e.g. iterates). With more
        than one, the figure gets a slider and a play button.
    title
        The figure's title.
    frame_labels
        One label per frame (e.g. ``"iteration 20"``); default ``"frame i"``.
    zmin, zmax
        The colour range; default symmetric around 0 over all frames.
    colorscale
        A Plotly colour scale name.
    description
        A text description of the figure.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import torch
    >>> fig = matrix_heatmap([torch.zeros(2, 2), torch.eye(2)], frame_labels=["start", "end"])
    >>> len(fig.frames), fig.layout.sliders[0].steps[1].label
    (2, 'end')
    """
    if isinstance(frames, torch.Tensor | np.ndarray) and np.ndim(frames) == 2:
        frames = [frames]
    if not isinstance(frames, Sequence) or isinstance(frames, str) or len(frames) == 0:
        raise TypeError(
            f"Expected a matrix or a non-empty sequence of matrices, got {frames!r:.80}"
        )
    mats = [_as_array(f, f"frame {i}", ndim=2) for i, f in enumerate(frames)]
    if any(m.shape != mats[0].shape for m in mats):
        raise ValueError(f"Expected frames of one shape, got {[m.shape for m in mats]}")
    labels = (
        list(frame_labels) if frame_labels is not None else [f"frame {i}" for i in range(len(mats))]
    )
    if len(labels) != len(mats):
        raise ValueError(f"Expected {len(mats)} frame labels, got {len(labels)}")
    bound = max(float(np.nanmax(np.abs(m))) for m in mats) or 1.0
    zmin = -bound if zmin is None else zmin
    zmax = bound if zmax is None else zmax
    rows, cols = mats[0].shape

    small = rows * cols <= 64  # entries are printed in the cells of small matrices only

    def heat(m: np.ndarray) -> go.Heatmap:
        return go.Heatmap(
            z=m.astype(np.float32),  # ample for colours, and half the bytes in the page
            x=np.arange(1, cols + 1),
            y=np.arange(1, rows + 1),
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            text=np.round(m, 3) if small else None,
            texttemplate="%{text}" if small else None,
            hovertemplate="row %{y}, column %{x}: %{z:.4g}<extra></extra>",
        )

    fig = go.Figure(heat(mats[0]))
    fig = style(fig, title=title, x_label="column", y_label="row", description=description)
    fig.update_yaxes(autorange="reversed", showgrid=False, dtick=1, scaleanchor="x")
    fig.update_xaxes(showgrid=False, dtick=1)
    if len(mats) > 1:
        fig.frames = [
            go.Frame(data=[heat(m)], name=label) for m, label in zip(mats, labels, strict=True)
        ]
        animate = {"frame": {"duration": 400, "redraw": True}, "transition": {"duration": 0}}
        fig.update_layout(
            height=520,
            margin={"b": 110},
            updatemenus=[
                {
                    "type": "buttons",
                    "direction": "left",
                    "x": 0.0,
                    "y": -0.12,
                    "xanchor": "left",
                    "yanchor": "top",
                    "showactive": False,
                    "buttons": [
                        {
                            "label": "▶ Play",
                            "method": "animate",
                            "args": [None, {**animate, "fromcurrent": True}],
                        },
                        {
                            "label": "❚❚ Pause",
                            "method": "animate",
                            "args": [[None], {"mode": "immediate", **animate}],
                        },
                    ],
                }
            ],
            sliders=[
                {
                    "active": 0,
                    "x": 0.22,
                    "y": -0.08,
                    "len": 0.78,
                    "xanchor": "left",
                    "yanchor": "top",
                    "currentvalue": {"prefix": ""},
                    "steps": [
                        {
                            "label": label,
                            "method": "animate",
                            "args": [[label], {"mode": "immediate", **animate}],
                        }
                        for label in labels
                    ],
                }
            ],
        )
    return fig


def field_heatmap(
    field: Series,
    *,
    title: str,
    extent: tuple[float, float] = (0.0, 1.0),
    outlines: Sequence[tuple[float, float, float, str]] = (),
    colorbar: str = "value",
    every: int = 1,
    colorscale: str = "Inferno",
    description: str | None = None,
) -> go.Figure:
    """A field on a square grid (a temperature, a potential) as a heatmap over its domain.

    Parameters
    ----------
    field
        ``N × N`` values; row ``i`` is the height ``y_i``, column ``j`` the position ``x_j``,
        of the interior grid points ``lo + (j + 1)·(hi − lo)/(N + 1)``.
    title
        The figure's title.
    extent
        ``(lo, hi)``: the domain is the square ``[lo, hi]²``.
    outlines
        Circles drawn dashed over the field, ``(x, y, radius, name)`` each (a heater, an
        inclusion), named in the legend.
    colorbar
        The colour bar's title (what the values are).
    every
        Draw every ``every``-th grid point in each direction (keeps large fields light).
    colorscale
        A Plotly colour scale name.
    description
        A text description of the figure.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import torch
    >>> fig = field_heatmap(torch.ones(4, 4), title="flat", outlines=[(0.5, 0.5, 0.2, "disc")])
    >>> fig.data[0].type, fig.data[1].name, round(float(fig.data[0].x[0]), 2)
    ('heatmap', 'disc', 0.2)
    """
    values = _as_array(field, "field", ndim=2)
    N = values.shape[0]
    if values.shape != (N, N):
        raise ValueError(f"Expected a square field, got shape {values.shape}")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"Expected every to be an int >= 1, got {every!r}")
    lo, hi = (float(v) for v in extent)
    if not hi > lo:
        raise ValueError(f"Expected extent (lo, hi) with hi > lo, got {extent!r}")
    points = lo + np.arange(1, N + 1) * (hi - lo) / (N + 1)
    shown = values[::every, ::every]
    fig = go.Figure(
        go.Heatmap(
            z=shown.astype(np.float32),  # ample for colours, and half the bytes in the page
            x=points[::every],
            y=points[::every],
            zmin=float(np.nanmin(values)),
            zmax=float(np.nanmax(values)),
            colorscale=colorscale,
            colorbar={"title": {"text": colorbar}},
            hovertemplate="x = %{x:.3f}, y = %{y:.3f}<br>%{z:.4g}<extra></extra>",
        )
    )
    fig = style(fig, title=title, x_label="x", y_label="y", description=description)
    span = (hi - lo) / 5
    fig.update_xaxes(range=[lo, hi], dtick=span, showgrid=False, constrain="domain")
    fig.update_yaxes(
        range=[lo, hi], dtick=span, showgrid=False, scaleanchor="x", constrain="domain"
    )
    angle = np.linspace(0, 2 * np.pi, 121)
    for i, (cx, cy, radius, name) in enumerate(outlines):
        fig.add_scatter(
            x=cx + radius * np.cos(angle),
            y=cy + radius * np.sin(angle),
            name=name,
            mode="lines",
            hoverinfo="name",
            line={"color": COLORS[(5, 2)[i % 2]], "dash": "dash", "width": 2},
        )
    fig.update_layout(
        height=560,
        showlegend=bool(outlines),
        legend={"orientation": "h", "x": 0, "y": -0.15, "yanchor": "top"},
    )
    return fig


def descent_path_slider(
    loss: Callable[[torch.Tensor], torch.Tensor]
    | Mapping[str, Callable[[torch.Tensor], torch.Tensor]],
    paths: Mapping[str, Series | Mapping[str, Series]],
    losses: Mapping[str, Series | Mapping[str, Series]],
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    title: str,
    slider_label: str = "",
    active: int = 0,
    resolution: int = 81,
    description: str | None = None,
) -> go.Figure:
    """A slider over runs: each step shows 2-D paths on the loss contours (left) and their
    losses against the step (right, log axis). Every run is computed beforehand; the slider
    only switches which ones are visible, so the page needs no kernel.

    Parameters
    ----------
    loss
        Takes a ``(N, 2)`` float64 tensor of points to their ``(N,)`` losses; or, when the
        slider changes the problem (its conditioning, say), a mapping from each slider label
        to its own loss, whose contours that step shows.
    paths
        Slider label (e.g. ``"η = 0.5"``) to a ``(k, 2)`` sequence of iterates; or, to compare
        methods, to a mapping from method name to its iterates (the same names in every step,
        one colour each, named in a legend).
    losses
        The same labels (and method names) to each run's loss history.
    x_range, y_range
        The window of the contour panel, as ``(low, high)``; a path may leave it.
    title
        The figure's title.
    slider_label
        Shown before the current step's label (e.g. ``"step size "``).
    active
        The step shown first.
    resolution
        Grid points per axis for the contours.
    description
        A text description of the figure.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import torch
    >>> def bowl(p):
    ...     return p[:, 0] ** 2 + 4 * p[:, 1] ** 2
    >>> paths = {"slow": [[2.0, 1.0], [1.5, 0.6]], "fast": [[2.0, 1.0], [0.5, 0.1]]}
    >>> losses = {"slow": [8.0, 3.7], "fast": [8.0, 0.29]}
    >>> fig = descent_path_slider(bowl, paths, losses, x_range=(-2, 2), y_range=(-1, 1),
    ...                           title="t")
    >>> [step.label for step in fig.layout.sliders[0].steps], [t.visible for t in fig.data]
    ... # the contours (always shown), then each run's path and loss
    (['slow', 'fast'], [None, True, True, False, False])
    >>> methods = {"κ = 2": {"a": paths["slow"], "b": paths["fast"]}}
    >>> histories = {"κ = 2": {"a": losses["slow"], "b": losses["fast"]}}
    >>> fig = descent_path_slider(bowl, methods, histories, x_range=(-2, 2), y_range=(-1, 1),
    ...                           title="t")
    >>> [(t.name, t.showlegend) for t in fig.data[1:]]
    [('a', True), ('a', False), ('b', True), ('b', False)]
    """
    paths = _check_mapping(paths, "paths")
    losses = _check_mapping(losses, "losses")
    if list(paths) != list(losses):
        raise ValueError(
            f"Expected losses for the same runs as paths, got {list(losses)} for {list(paths)}"
        )
    labels = list(paths)
    _check_active(active, labels)
    compare = isinstance(paths[labels[0]], Mapping)
    methods: list[str] = []
    for label in labels:
        run, history = paths[label], losses[label]
        if isinstance(run, Mapping) != compare:
            raise TypeError(
                "Expected every step's paths of the same kind (all paths, or all mappings from "
                f"method names to paths), got a mixture at {label!r}"
            )
        if not compare:
            continue
        run = _check_mapping(run, f"paths of step {label!r}")
        if not methods:
            methods = list(run)
        if list(run) != methods:
            raise ValueError(
                f"Expected the methods {methods} in every step, got {list(run)} in {label!r}"
            )
        if not isinstance(history, Mapping) or list(history) != methods:
            got = list(history) if isinstance(history, Mapping) else type(history).__name__
            raise ValueError(
                f"Expected losses of step {label!r} for the methods {methods}, got {got}"
            )
    if isinstance(loss, Mapping):
        if list(loss) != labels:
            raise ValueError(f"Expected a loss for each slider step {labels}, got {list(loss)}")
        backgrounds = [
            _contours(loss[label], x_range, y_range, resolution, True) for label in labels
        ]
    else:
        backgrounds = [_contours(loss, x_range, y_range, resolution, True)]
    fig = go.Figure()
    fig.set_subplots(1, 2, horizontal_spacing=0.14, column_widths=[0.5, 0.5])
    owner: list[int | None] = []  # the slider step of each trace (None: shown in every step)
    for i, contours in enumerate(backgrounds):
        # the contours are the background: no colour bar
        per_label = len(backgrounds) > 1
        contours.update(showscale=False)
        if per_label:
            contours.update(visible=i == active)
        fig.add_trace(contours, row=1, col=1)
        owner.append(i if per_label else None)
    for i, label in enumerate(labels):
        shown = i == active
        step_paths: Any = paths[label]
        step_losses: Any = losses[label]
        runs: list[tuple[str, Any, Any]] = (
            [(name, step_paths[name], step_losses[name]) for name in methods]
            if compare
            else [(label, step_paths, step_losses)]
        )
        for j, (name, path, values) in enumerate(runs):
            history = _as_array(values, f"losses {label!r}" + (f", {name!r}" if compare else ""))
            path_colour, loss_colour = (COLORS[j], COLORS[j]) if compare else (COLORS[0], COLORS[1])
            where = f"{label}, {name}" if compare else label
            trace = _path_trace(where, path, path_colour, visible=shown, legendgroup=name,
                                showlegend=compare)  # fmt: skip
            trace.update(name=name)
            fig.add_trace(trace, row=1, col=1)
            owner.append(i)
            fig.add_trace(
                go.Scatter(
                    x=np.arange(history.size),
                    y=history,
                    name=name,
                    mode="lines",
                    visible=shown,
                    legendgroup=name,
                    line={"color": loss_colour, "width": 2},
                    hovertemplate=f"step %{{x}}<br>loss %{{y:.3g}}<extra>{where}</extra>",
                    showlegend=False,
                ),
                row=1,
                col=2,
            )
            owner.append(i)
    fig = style(fig, title=title, x_label="x₁", y_label="x₂", description=description)
    fig.update_layout(height=480, margin={"b": 150})
    if compare:
        _legend(fig, "top")
    fig.update_xaxes(range=list(x_range), showgrid=False, constrain="domain", row=1, col=1)
    fig.update_yaxes(
        range=list(y_range), showgrid=False, scaleanchor="x", scaleratio=1, constrain="domain",
        row=1, col=1,
    )  # fmt: skip
    fig.update_xaxes(title={"text": "step"}, row=1, col=2)
    fig.update_yaxes(title={"text": "loss"}, type="log", exponentformat="power", row=1, col=2)
    visible = [[j is None or j == i for j in owner] for i in range(len(labels))]
    fig.update_layout(sliders=[_slider(labels, visible, active=active, prefix=slider_label)])
    return fig
