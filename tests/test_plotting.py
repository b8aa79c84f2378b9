"""Figure builders return styled Plotly figures and reject input they cannot draw."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch

from gdtutorial import plotting


def quadratic(points: torch.Tensor) -> torch.Tensor:
    return points[:, 0] ** 2 + 3 * points[:, 1] ** 2


def test_style_sets_title_axes_description_and_leaves_global_template_alone() -> None:
    before = pio.templates.default
    fig = plotting.style(
        go.Figure(), title="T", x_label="x (s)", y_label="y", log_x=True, description="D"
    )
    assert pio.templates.default == before
    assert fig.layout.title.text == "T"
    assert fig.layout.xaxis.title.text == "x (s)"
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "linear"
    assert fig.layout.meta["description"] == "D"
    assert list(fig.layout.colorway) == list(plotting.COLORS)


def test_style_rejects_what_is_not_a_figure() -> None:
    with pytest.raises(TypeError, match=r"Expected a plotly\.graph_objects\.Figure, got dict"):
        plotting.style({}, title="T", x_label="x", y_label="y")  # type: ignore[arg-type]


def test_curves_accepts_tensors_arrays_and_lists_and_dashes_the_named_ones() -> None:
    x = torch.linspace(0, 1, 5)
    fig = plotting.curves(
        x,
        {"tensor": x**2, "array": np.ones(5), "list": [0.0, 1, 2, 3, 4]},
        title="t",
        x_label="x",
        y_label="y",
        dashed=["list"],
        log_y=True,
    )
    assert [t.name for t in fig.data] == ["tensor", "array", "list"]
    assert [t.line.dash for t in fig.data] == ["solid", "solid", "dash"]
    assert fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(fig.data[0].y, (x**2).numpy())


def test_curves_does_not_modify_its_inputs() -> None:
    x = torch.linspace(0, 1, 5, requires_grad=True)
    y = x.detach().clone()
    plotting.curves(x, {"y": y}, title="t", x_label="x", y_label="y")
    assert torch.equal(y, torch.linspace(0, 1, 5)) and x.requires_grad


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ys": {"a": [1.0, 2.0]}}, ValueError, "Expected y series 'a' of the shape of x"),
        ({"ys": {}}, ValueError, "Expected at least one of y series"),
        ({"ys": [1.0]}, TypeError, "Expected a mapping from labels to y series, got list"),
        ({"ys": {"a": [1.0, 2.0, 3.0]}, "dashed": ["b"]}, ValueError, "Expected dashed labels"),
        ({"ys": {"a": "abc"}}, TypeError, "Expected a tensor, array or sequence of numbers"),
        ({"ys": {"a": [[1.0, 2.0, 3.0]]}}, ValueError, "with 1 dimension"),
        ({"ys": {"a": torch.ones(3, dtype=torch.complex64)}}, TypeError, "complex"),
        ({"ys": {"a": [1.0, None, object()]}}, TypeError, "Expected numbers"),
    ],
)
def test_curves_rejects_bad_input(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        plotting.curves([0.0, 1.0, 2.0], title="t", x_label="x", y_label="y", **kwargs)


class _FakeResult:
    def __init__(self, history: torch.Tensor) -> None:
        self.loss_history = history


def test_loss_curves_draws_results_and_series_with_theory_in_the_runs_colour() -> None:
    k = torch.arange(10, dtype=torch.float64)
    fig = plotting.loss_curves(
        {"result": _FakeResult(0.5**k), "series": [1.0, 0.1, 0.01]},
        theory={"result": 0.6**k, "other bound": 0.9**k},
    )
    names = [t.name for t in fig.data]
    assert names == ["result (theory)", "other bound", "result", "series"]
    by_name = {t.name: t for t in fig.data}
    assert by_name["result (theory)"].line.color == by_name["result"].line.color
    assert by_name["result (theory)"].line.dash == "dash"
    assert by_name["other bound"].line.color not in {by_name["result"].line.color}
    assert fig.layout.yaxis.type == "log"
    assert list(by_name["series"].x) == [0, 1, 2]


def test_loss_curves_rejects_an_empty_history() -> None:
    with pytest.raises(ValueError, match="non-empty history for 'run'"):
        plotting.loss_curves({"run": torch.tensor([])})


def test_descent_paths_draws_contours_and_one_trace_per_path() -> None:
    paths = {"a": torch.tensor([[1.0, 1.0], [0.5, 0.2]]), "b": [[-1.0, 0.5], [0.0, 0.0]]}
    fig = plotting.descent_paths(quadratic, paths, x_range=(-2, 2), y_range=(-1, 1), resolution=11)
    assert [t.type for t in fig.data] == ["contour", "scatter", "scatter"]
    contour = fig.data[0]
    assert np.asarray(contour.z).shape == (11, 11)
    # log contours floored six decades below the maximum, never -inf at the minimum
    z = np.asarray(contour.z, dtype=np.float64)
    assert np.isfinite(z).all() and z.max() - z.min() <= 6 + 1e-6
    assert fig.layout.yaxis.scaleanchor == "x"


def test_descent_paths_linear_contours_show_the_loss_itself() -> None:
    fig = plotting.descent_paths(
        quadratic,
        {"a": [[0.0, 0.0]]},
        x_range=(-1, 1),
        y_range=(-1, 1),
        resolution=3,
        log_contours=False,
    )
    assert np.asarray(fig.data[0].z, dtype=np.float64).max() == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"loss": 3}, TypeError, "Expected a callable loss, got int"),
        ({"x_range": (1, -1)}, ValueError, "Expected x_range as \\(low, high\\)"),
        ({"y_range": (0, float("nan"))}, ValueError, "Expected y_range"),
        ({"resolution": 1}, ValueError, "resolution >= 2"),
        ({"paths": {"p": [[1.0, 2.0, 3.0]]}}, ValueError, "of shape \\(k, 2\\)"),
        ({"paths": {"p": [1.0, 2.0]}}, ValueError, "with 2 dimension"),
    ],
)
def test_descent_paths_rejects_bad_input(kwargs: dict, error: type, match: str) -> None:
    arguments = {
        "loss": quadratic,
        "paths": {"p": [[0.0, 0.0]]},
        "x_range": (-1, 1),
        "y_range": (-1, 1),
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        plotting.descent_paths(**arguments)


def test_matrix_heatmap_single_matrix_has_no_animation() -> None:
    fig = plotting.matrix_heatmap(torch.eye(3), title="I")
    assert len(fig.frames) == 0 and not fig.layout.sliders
    assert fig.data[0].zmin == -1 and fig.data[0].zmax == 1


def test_matrix_heatmap_animates_frames_with_slider_and_play_button() -> None:
    frames = [torch.zeros(2, 2), 0.5 * torch.eye(2), torch.eye(2)]
    fig = plotting.matrix_heatmap(frames, frame_labels=["0", "10", "20"], zmin=0, zmax=1)
    assert [f.name for f in fig.frames] == ["0", "10", "20"]
    assert [s.label for s in fig.layout.sliders[0].steps] == ["0", "10", "20"]
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == 1


@pytest.mark.parametrize(
    ("frames", "kwargs", "error", "match"),
    [
        ([], {}, TypeError, "non-empty sequence of matrices"),
        ("abc", {}, TypeError, "non-empty sequence of matrices"),
        ([torch.zeros(2, 2), torch.zeros(3, 3)], {}, ValueError, "frames of one shape"),
        ([torch.zeros(2, 2)] * 2, {"frame_labels": ["a"]}, ValueError, "Expected 2 frame labels"),
        ([torch.zeros(2)], {}, ValueError, "with 2 dimension"),
    ],
)
def test_matrix_heatmap_rejects_bad_input(
    frames: object, kwargs: dict, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        plotting.matrix_heatmap(frames, **kwargs)  # type: ignore[arg-type]


def test_figures_serialise_to_json_for_the_book() -> None:
    fig = plotting.loss_curves({"r": [1.0, float("inf"), 0.1]})
    assert '"type":"log"' in fig.to_json().replace(" ", "")


def test_matrix_heatmap_prints_entries_only_in_small_matrices() -> None:
    small = plotting.matrix_heatmap(torch.eye(3))
    large = plotting.matrix_heatmap(torch.zeros(10, 10))
    assert small.data[0].texttemplate == "%{text}" and small.data[0].text is not None
    assert large.data[0].texttemplate is None and large.data[0].text is None


def test_log_axes_show_powers_of_ten_and_linear_axes_plain_numbers() -> None:
    fig = plotting.curves(
        [1, 10, 100], {"y": [1.0, 2.0, 3.0]}, title="t", x_label="x", y_label="y", log_x=True
    )
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.exponentformat == "power"
    assert fig.layout.yaxis.type == "linear" and fig.layout.yaxis.exponentformat == "none"


def test_loss_curves_thin_long_histories_but_keep_both_ends() -> None:
    history = torch.logspace(0, -12, 20_001, dtype=torch.float64)
    fig = plotting.loss_curves({"long": history}, max_points=500)
    trace = fig.data[0]
    assert len(trace.x) <= 500
    assert trace.x[0] == 0 and trace.x[-1] == 20_000
    assert trace.y[-1] == pytest.approx(1e-12, rel=1e-6)
    short = plotting.loss_curves({"short": [1.0, 0.5, 0.25]})
    assert list(short.data[0].x) == [0, 1, 2]


@pytest.mark.parametrize("bad", [1, 0, 2.5, True, "many"])
def test_loss_curves_rejects_a_bad_max_points(bad: object) -> None:
    with pytest.raises(ValueError, match="Expected an integer max_points >= 2"):
        plotting.loss_curves({"r": [1.0, 0.5]}, max_points=bad)  # type: ignore[arg-type]


def test_field_heatmap_places_the_grid_in_its_domain_with_outlines() -> None:
    field = torch.arange(36, dtype=torch.float64).reshape(6, 6)
    fig = plotting.field_heatmap(
        field, title="a field", outlines=[(0.3, 0.6, 0.1, "heater"), (0.5, 0.5, 0.2, "disc")],
        colorbar="temperature", every=2,
    )  # fmt: skip
    heat = fig.data[0]
    assert heat.type == "heatmap" and np.asarray(heat.z).shape == (3, 3)
    np.testing.assert_allclose(heat.x, (np.arange(1, 7) / 7)[::2])
    assert (heat.zmin, heat.zmax) == (0.0, 35.0)  # over the whole field, not only what is shown
    assert [trace.name for trace in fig.data[1:]] == ["heater", "disc"]
    assert fig.layout.xaxis.title.text == "x" and fig.layout.yaxis.title.text == "y"
    assert fig.layout.title.text == "a field"
    with pytest.raises(ValueError, match=r"Expected a square field"):
        plotting.field_heatmap(torch.ones(2, 3), title="t")
    with pytest.raises(ValueError, match=r"Expected every to be an int >= 1"):
        plotting.field_heatmap(torch.ones(2, 2), title="t", every=0)
    with pytest.raises(ValueError, match=r"Expected extent"):
        plotting.field_heatmap(torch.ones(2, 2), title="t", extent=(1.0, 0.0))


def test_descent_path_slider_shows_one_run_per_step() -> None:
    def bowl(p: torch.Tensor) -> torch.Tensor:
        return p[:, 0] ** 2 + 4 * p[:, 1] ** 2

    paths = {f"η = {e}": [[2.0, 1.0], [2.0 - e, 1.0 - e]] for e in (0.1, 0.5, 0.9)}
    losses = {label: [8.0, 1.0] for label in paths}
    fig = plotting.descent_path_slider(
        bowl, paths, losses, x_range=(-2, 2), y_range=(-1, 1), title="t", active=1,
        slider_label="step size ",
    )  # fmt: skip
    assert [trace.visible for trace in fig.data] == [None, False, False, True, True, False, False]
    steps = fig.layout.sliders[0].steps
    assert [step.label for step in steps] == list(paths)
    assert steps[2].args[0]["visible"] == [True, False, False, False, False, True, True]
    assert fig.layout.sliders[0].active == 1 and fig.layout.sliders[0].currentvalue.prefix
    assert fig.layout.yaxis2.type == "log" and fig.layout.xaxis2.title.text == "step"
    with pytest.raises(ValueError, match=r"Expected losses for the same runs as paths"):
        plotting.descent_path_slider(bowl, paths, {"other": [1.0]}, x_range=(-1, 1),
                                     y_range=(-1, 1), title="t")  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected active in \[0, 2\], got 3"):
        plotting.descent_path_slider(bowl, paths, losses, x_range=(-1, 1), y_range=(-1, 1),
                                     title="t", active=3)  # fmt: skip


def test_descent_path_slider_compares_methods_in_every_step() -> None:
    def bowl(p: torch.Tensor) -> torch.Tensor:
        return p[:, 0] ** 2 + 4 * p[:, 1] ** 2

    start = [2.0, 1.0]
    paths = {
        f"κ = {k}": {"heavy ball": [start, [1.0, 0.5]], "Nesterov": [start, [0.5, 0.2], [0.1, 0.0]]}
        for k in (2, 10)
    }
    losses = {label: {"heavy ball": [8.0, 2.0], "Nesterov": [8.0, 0.4, 0.01]} for label in paths}
    fig = plotting.descent_path_slider(
        bowl, paths, losses, x_range=(-2, 2), y_range=(-1, 1), title="t", active=1
    )
    # contours, then per step: each method's path and loss, one colour per method
    assert len(fig.data) == 1 + 2 * 4
    assert [t.visible for t in fig.data[1:]] == [False] * 4 + [True] * 4
    assert [t.name for t in fig.data[1:5]] == ["heavy ball"] * 2 + ["Nesterov"] * 2
    assert fig.data[1].line.color == fig.data[2].line.color != fig.data[3].line.color
    # every step names its methods in the legend (only the visible step's entries show)
    assert [t.showlegend for t in fig.data[1:]] == [True, False, True, False] * 2
    assert fig.layout.sliders[0].steps[0].args[0]["visible"] == [True] + [True] * 4 + [False] * 4
    assert list(fig.data[3].x) == [2.0, 0.5, 0.1]  # Nesterov's own path
    with pytest.raises(ValueError, match=r"Expected the methods \['heavy ball', 'Nesterov'\]"):
        plotting.descent_path_slider(
            bowl, {**paths, "κ = 3": {"heavy ball": [start]}}, {**losses, "κ = 3": {}},
            x_range=(-2, 2), y_range=(-1, 1), title="t",
        )  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected losses of step 'κ = 2' for the methods"):
        plotting.descent_path_slider(
            bowl, paths, {**losses, "κ = 2": [8.0, 2.0]}, x_range=(-2, 2), y_range=(-1, 1),
            title="t",
        )  # fmt: skip
    with pytest.raises(TypeError, match=r"Expected every step's paths of the same kind"):
        plotting.descent_path_slider(
            bowl, {**paths, "plain": [start]}, {**losses, "plain": [8.0]}, x_range=(-2, 2),
            y_range=(-1, 1), title="t",
        )  # fmt: skip


def test_curves_slider_shows_one_family_per_step_on_fixed_axes() -> None:
    k = np.arange(6)
    frames = {
        f"ρ = {r}": {"flat": r**k, "steep": (r / 2) ** k[:4]}  # a shorter run is fine
        for r in (0.5, 0.9, 1.1)
    }
    theory = {"ρ = 0.9": {"flat": 0.9**k}}
    fig = plotting.curves_slider(
        k, frames, theory=theory, title="t", x_label="step", y_label="error", log_y=True,
        active=1, slider_label="rate ", vlines={"k = 3": 3.0},
    )  # fmt: skip
    assert len(fig.data) == 2 * 3 + 1  # two curves per step, one prediction
    names = [(t.name, t.visible) for t in fig.data]
    assert names[2:5] == [("flat (theory)", True), ("flat", True), ("steep", True)]
    assert fig.data[2].line.dash == "dash" and fig.data[2].line.color == fig.data[3].line.color
    assert fig.data[3].line.color == fig.data[0].line.color  # a name keeps its colour
    assert list(fig.data[1].x) == [0, 1, 2, 3]  # the short curve against the first x values
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == list(frames)
    assert steps[2].args[0]["visible"] == [False] * 5 + [True] * 2
    # the y range is fixed across steps and holds every value: 1.1⁵ at the top, 0.25³ below
    low, high = fig.layout.yaxis.range
    assert fig.layout.yaxis.autorange is False
    assert low < np.log10(0.25**3) and high > np.log10(1.1**5)
    assert fig.layout.shapes[0].x0 == 3.0 and fig.layout.annotations[0].text == "k = 3"
    fixed = plotting.curves_slider(
        k, frames, title="t", x_label="s", y_label="e", log_y=True, y_range=(1e-3, 10.0)
    )
    assert np.allclose(fixed.layout.yaxis.range, [-3.0, 1.0])


def test_curves_slider_rejects_what_it_cannot_draw() -> None:
    k = np.arange(3)
    frames = {"a": {"x": k}, "b": {"x": k}}
    with pytest.raises(ValueError, match=r"Expected the curves \['x'\] in every step, got"):
        plotting.curves_slider(k, {"a": {"x": k}, "b": {"y": k}}, title="t", x_label="",
                               y_label="")  # fmt: skip
    with pytest.raises(ValueError, match=r"of at most 3 values \(x's\), got 4"):
        plotting.curves_slider(k, {"a": {"x": np.arange(4)}}, title="t", x_label="", y_label="")
    with pytest.raises(ValueError, match=r"Expected theory for slider labels among"):
        plotting.curves_slider(k, frames, theory={"c": {"x": k}}, title="t", x_label="",
                               y_label="")  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected theory curves of step 'a' among \['x'\]"):
        plotting.curves_slider(k, frames, theory={"a": {"z": k}}, title="t", x_label="",
                               y_label="")  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected mode"):
        plotting.curves_slider(k, frames, title="t", x_label="", y_label="", mode="bars")
    with pytest.raises(ValueError, match=r"low > 0 on a log axis"):
        plotting.curves_slider(k, frames, title="t", x_label="", y_label="", log_y=True,
                               y_range=(0.0, 1.0))  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected active in \[0, 1\], got 2"):
        plotting.curves_slider(k, frames, title="t", x_label="", y_label="", active=2)


def test_curves_draw_labelled_vertical_lines_in_data_units() -> None:
    fig = plotting.curves(
        [0.1, 1.0, 10.0], {"y": [1.0, 2.0, 3.0]}, title="t", x_label="η", y_label="rate",
        log_x=True, vlines={"2/L": 2.0},
    )  # fmt: skip
    # a shape on a log axis takes the data value, an annotation its logarithm (Plotly's rule)
    assert fig.layout.shapes[0].x0 == fig.layout.shapes[0].x1 == 2.0
    assert fig.layout.shapes[0].yref == "paper" and fig.layout.shapes[0].line.dash == "dot"
    assert fig.layout.annotations[0].x == pytest.approx(np.log10(2.0))
    with pytest.raises(ValueError, match=r"Expected a positive x for vline '0' on a log axis"):
        plotting.curves([1.0, 2.0], {"y": [1.0, 2.0]}, title="t", x_label="", y_label="",
                        log_x=True, vlines={"0": 0.0})  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected a finite x value for vline 'a'"):
        plotting.curves([1.0, 2.0], {"y": [1.0, 2.0]}, title="t", x_label="", y_label="",
                        vlines={"a": float("nan")})  # fmt: skip
    with pytest.raises(TypeError, match=r"Expected vlines as a mapping"):
        plotting.curves([1.0, 2.0], {"y": [1.0, 2.0]}, title="t", x_label="", y_label="",
                        vlines=[1.0])  # type: ignore[arg-type]  # fmt: skip


def test_parameter_map_draws_the_plane_its_marks_and_its_edge() -> None:
    eta = np.linspace(0.0, 2.0, 21)
    beta = np.linspace(0.0, 0.9, 10)
    rate = np.abs(1 - eta[None, :]) + beta[:, None] / 10
    fig = plotting.parameter_map(
        eta, beta, rate, title="t", x_label="η", y_label="β", z_label="rate",
        marks={"optimum": (1.0, 0.0), "other": (0.5, 0.5)}, z_range=(0.0, 1.0), contour=1.0,
    )  # fmt: skip
    heatmap, edge, *marks = fig.data
    assert heatmap.type == "heatmap" and np.asarray(heatmap.z).shape == (10, 21)
    assert (heatmap.zmin, heatmap.zmax) == (0.0, 1.0)
    assert edge.type == "contour" and edge.contours.start == edge.contours.end == 1.0
    assert [m.name for m in marks] == ["optimum", "other"] and list(marks[0].x) == [1.0]
    assert fig.layout.xaxis.title.text == "η" and heatmap.colorbar.title.text == "rate"
    assert plotting.parameter_map(eta, beta, rate, title="t", x_label="", y_label="",
                                  z_label="").data[0].zmin is None  # fmt: skip
    with pytest.raises(
        ValueError, match=r"Expected z of shape \(len\(y\), len\(x\)\) = \(10, 21\)"
    ):
        plotting.parameter_map(eta, beta, rate.T, title="t", x_label="", y_label="", z_label="")
    with pytest.raises(ValueError, match=r"Expected x of at least 2 increasing values"):
        plotting.parameter_map(eta[::-1], beta, rate, title="t", x_label="", y_label="",
                               z_label="")  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected mark 'm' as a finite \(x, y\) pair"):
        plotting.parameter_map(eta, beta, rate, title="t", x_label="", y_label="", z_label="",
                               marks={"m": (1.0,)})  # type: ignore[dict-item]  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected z_range as \(low, high\)"):
        plotting.parameter_map(eta, beta, rate, title="t", x_label="", y_label="", z_label="",
                               z_range=(1.0, 0.0))  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected a finite contour level"):
        plotting.parameter_map(eta, beta, rate, title="t", x_label="", y_label="", z_label="",
                               contour=float("inf"))  # fmt: skip


def test_descent_path_slider_draws_each_steps_own_contours_when_the_loss_changes() -> None:
    def bowl(weight: float):  # a loss of the given weight
        return lambda p: p[:, 0] ** 2 + weight * p[:, 1] ** 2

    paths = {f"κ = {k}": {"a": [[1.0, 1.0], [0.0, 0.5]]} for k in (2, 10)}
    losses = {label: {"a": [1.0, 0.5]} for label in paths}
    fig = plotting.descent_path_slider(
        {"κ = 2": bowl(2.0), "κ = 10": bowl(10.0)}, paths, losses, x_range=(-1, 1),
        y_range=(-1, 1), title="t", active=1,
    )  # fmt: skip
    assert [t.type for t in fig.data] == ["contour", "contour"] + ["scatter"] * 4
    assert [t.visible for t in fig.data] == [False, True, False, False, True, True]
    first, second = (np.asarray(t.z) for t in fig.data[:2])
    assert not np.allclose(first, second)  # each step's own loss
    steps = fig.layout.sliders[0].steps
    assert steps[0].args[0]["visible"] == [True, False, True, True, False, False]
    with pytest.raises(ValueError, match=r"Expected a loss for each slider step"):
        plotting.descent_path_slider({"κ = 2": bowl(2.0)}, paths, losses, x_range=(-1, 1),
                                     y_range=(-1, 1), title="t")  # fmt: skip


def test_legends_sit_outside_the_plot_so_a_narrow_page_keeps_its_width() -> None:
    line = plotting.curves([1.0, 2.0], {"a": [1.0, 2.0], "b": [2.0, 1.0]}, title="t",
                           x_label="x", y_label="y")  # fmt: skip
    assert line.layout.legend.orientation == "h" and line.layout.legend.yref == "container"
    assert line.layout.legend.y == 0  # under the x axis
    slider = plotting.curves_slider(
        [0, 1], {"s": {"a": [1.0, 2.0], "b": [2.0, 1.0]}}, title="t", x_label="x", y_label="y"
    )
    # above the plot, under the title: the slider is below
    assert slider.layout.legend.yref == "container" and slider.layout.legend.y > 0.8
    assert slider.layout.title.yref == "container" and slider.layout.title.y == 1
