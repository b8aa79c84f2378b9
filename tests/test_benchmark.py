"""Tests for gdtutorial.benchmark, run in-process with small (--quick) problems."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gdtutorial import benchmark
from gdtutorial.benchmark import (
    CASES,
    Case,
    ProgressBar,
    Row,
    environment,
    format_table,
    main,
    run_benchmark,
    write_table,
)
from gdtutorial.devices import Timing
from gdtutorial.result import Result

QUICK = ["--quick", "--repeat", "1", "--no-progress", "--device", "cpu", "--one-process"]


def _row(**changes: object) -> Row:
    values: dict[str, object] = {
        "case": "solve-cond10",
        "method": "cg",
        "size": "8x8",
        "cond": 10.0,
        "dtype": "float64",
        "device": "cpu",
        "tol": 1e-6,
        "status": "converged",
        "iterations": 7,
        "residual": 2.5e-7,
        "error": 1e-8,
        "time": 0.002,
        "reference_time": 0.001,
        "ratio": 2.0,
        "target": "ratio <= 2",
        "met": True,
    }
    values.update(changes)
    return Row(**values)  # type: ignore[arg-type]


class FakeSolver:
    """Stands in for a solver: returns ``torch.linalg``'s answer with chosen nit and status."""

    def __init__(self, nit: int = 5, status: str = "converged") -> None:
        self.nit, self.status, self.calls = nit, status, 0

    def __call__(self, a: torch.Tensor, b: torch.Tensor | None = None, **kwargs: object) -> Result:
        self.calls += 1
        x = torch.linalg.solve(a, b) if b is not None else torch.linalg.inv(a)
        return Result(
            x=x,
            success=self.status == "converged",
            status=self.status,
            message="",
            nit=self.nit,
            residual=0.0,
            loss_history=torch.zeros(self.nit + 1, dtype=torch.float64),
            method="fake",
        )


@pytest.fixture
def fixed_times(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make time_median return 1 s for our solver and 0.1 s for torch.linalg (ratio 10)."""
    medians = [1.0, 0.1]
    calls = iter(range(1000))

    def fake_time_median(fn: object, **kwargs: object) -> Timing:
        return Timing(times=(medians[next(calls) % 2],))

    monkeypatch.setattr(benchmark, "time_median", fake_time_median)
    return medians


def _small_case(monkeypatch: pytest.MonkeyPatch, name: str, **changes: object) -> None:
    case = benchmark._CASES_BY_NAME[name]
    fields = {**case.__dict__, "n": 12, **changes}
    monkeypatch.setitem(benchmark._CASES_BY_NAME, name, Case(**fields))  # type: ignore[arg-type]


# --- cases and rows ---------------------------------------------------------------------------


def test_cases_are_the_issues_cases_and_targets() -> None:
    summary = {
        (c.kind, c.method, c.n, c.cond, c.max_ratio, c.max_iterations)
        for c in CASES
        if c.kind in ("solve", "inverse", "svd")
    }
    assert summary == {
        ("solve", None, 1024, 10.0, 2.0, None),
        ("solve", "cg-mixed", 1024, 10.0, 2.0, None),
        ("solve", None, 1024, 1e3, 100.0, None),
        ("solve", "cg-mixed", 1024, 1e3, 100.0, None),
        ("inverse", None, 256, 1e3, 30.0, 35),
        ("svd", None, 256, 1e3, 200.0, None),
    }
    assert benchmark._CASES_BY_NAME["inverse-cond1e3"].target == "ratio <= 30, iterations <= 35"


def test_the_sparse_cases_are_the_issues_cases_and_targets() -> None:
    sparse = {c.name: (c.kind, c.n, c.m, c.peer, c.target) for c in CASES if c.needs_scipy}
    assert sparse == {
        "poisson-200-superlu": ("poisson", 200, None, "scipy.spsolve", "ratio <= 1"),
        "poisson-200-cg": ("poisson", 200, None, "scipy.cg", "ratio <= 3, steps = peer's ±5%"),
        "spd-cond1e3": ("spd", 1024, None, "scipy.cg", "steps = peer's ±5%"),
    }
    jacobi = benchmark._CASES_BY_NAME["spd-badly-scaled-jacobi"]
    assert (jacobi.n, jacobi.target) == (1024, "steps <= peer's/3")
    top = benchmark._CASES_BY_NAME["svd-top10"]
    assert (top.m, top.n, top.peer, top.target) == (
        2000,
        500,
        "torch.svd_lowrank",
        "ratio <= 2, error <= 1e-08",
    )


def test_the_sparse_cases_meet_their_step_targets_at_the_quick_sizes() -> None:
    pytest.importorskip("scipy")
    names = ["poisson-200-cg", "spd-cond1e3", "spd-badly-scaled-jacobi", "svd-top10"]
    rows = {row.case: row for row in run_benchmark(names, device="cpu", repeat=1, quick=True)}
    for name in ("poisson-200-cg", "spd-cond1e3"):  # plain CG takes SciPy's steps
        row = rows[name]
        assert row.method == "cg" and row.reference_iterations is not None
        assert abs(row.iterations - row.reference_iterations) <= 0.05 * row.reference_iterations
        assert row.residual <= 2 * row.tol
    jacobi = rows["spd-badly-scaled-jacobi"]
    assert jacobi.reference_iterations is not None
    assert 3 * jacobi.iterations <= jacobi.reference_iterations
    top = rows["svd-top10"]
    assert top.size == "200x60" and top.error <= 1e-8 and top.status == "converged"


def test_a_run_without_scipy_leaves_its_cases_out_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(benchmark, "_scipy_available", lambda: False)
    monkeypatch.setattr(benchmark.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match=r"pip install 'gdtutorial\[benchmark\]'"):
        run_benchmark(["poisson-200-cg"], device="cpu", quick=True)
    seen: list[list[str]] = []
    monkeypatch.setattr(
        benchmark, "run_benchmark", lambda names, **kwargs: seen.append(list(names)) or []
    )
    assert main([*QUICK]) == 0
    assert seen and not any(benchmark._CASES_BY_NAME[n].needs_scipy for n in seen[0])
    assert "SciPy is not installed" in capsys.readouterr().err


def test_main_runs_each_case_in_a_fresh_process_and_gathers_the_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "rows.json"
    args = ["--quick", "--repeat", "1", "--no-progress", "--device", "cpu", "--output", str(out)]
    assert main([*args, "--cases", "solve-cond10", "inverse-cond1e3"]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [row["case"] for row in rows] == ["solve-cond10", "inverse-cond1e3"]
    assert all(row["status"] == "converged" for row in rows)
    assert "inverse-cond1e3" in capsys.readouterr().out


def test_run_benchmark_quick_rows_are_accurate_and_unjudged() -> None:
    rows = run_benchmark(device="cpu", repeat=1, quick=True)
    assert [row.case for row in rows] == [case.name for case in CASES]
    assert [row.method for row in rows[:4]] == ["cgls", "cg-mixed", "cgls", "cg-mixed"]
    for row, case in zip(rows, CASES, strict=True):
        if case.kind in ("solve", "inverse", "svd", "spd", "jacobi"):
            assert row.size == f"{case.quick_n}x{case.quick_n}"
        assert row.status == "converged", row
        assert row.iterations >= 1
        assert row.residual <= 10 * row.tol, row
        assert row.error <= 1e-3, row
        assert row.time > 0 and row.reference_time > 0
        assert row.ratio == pytest.approx(row.time / row.reference_time)
        assert row.met is None
        assert (row.dtype, row.device) == ("float64", "cpu")
        # the top-k case picks its own tol: the largest that meets its error target
        assert row.tol == 1e-6 or (case.kind == "topk" and row.error <= 1e-8)


def test_run_benchmark_float32_uses_the_float32_tolerance() -> None:
    (row,) = run_benchmark(
        ["solve-cond10"], device="cpu", dtype=torch.float32, repeat=1, quick=True
    )
    assert row.dtype == "float32" and row.tol == 1e-4
    assert row.residual <= 10 * row.tol


def test_float32_runs_leave_out_the_mixed_precision_cases() -> None:
    rows = run_benchmark(device="cpu", dtype=torch.float32, repeat=1, quick=True)
    assert [row.case for row in rows] == [c.name for c in CASES if c.method != "cg-mixed"]
    with pytest.raises(
        ValueError,
        match=r"Expected cases that run in float32, got \['solve-cond10-mixed'\] "
        r"\(method 'cg-mixed' needs float64\)",
    ):
        run_benchmark(["solve-cond10-mixed"], dtype=torch.float32, quick=True)


def test_run_benchmark_is_reproducible_in_its_accuracy() -> None:
    first = run_benchmark(["solve-cond1e3"], device="cpu", repeat=1, quick=True, seed=5)
    second = run_benchmark(["solve-cond1e3"], device="cpu", repeat=1, quick=True, seed=5)
    assert (first[0].iterations, first[0].residual) == (second[0].iterations, second[0].residual)


def test_run_benchmark_judges_the_ratio_target(
    monkeypatch: pytest.MonkeyPatch, fixed_times: list[float]
) -> None:
    monkeypatch.setattr(benchmark, "solve", FakeSolver())
    _small_case(monkeypatch, "solve-cond10")  # target ratio <= 2
    _small_case(monkeypatch, "solve-cond1e3")  # target ratio <= 100
    rows = run_benchmark(["solve-cond10", "solve-cond1e3"], device="cpu", repeat=1)
    assert [row.ratio for row in rows] == pytest.approx([10.0, 10.0])
    assert [row.met for row in rows] == [False, True]
    assert rows[0].error < 1e-10  # the fake returns linalg's answer


def test_run_benchmark_judges_iterations_and_success(
    monkeypatch: pytest.MonkeyPatch, fixed_times: list[float]
) -> None:
    _small_case(monkeypatch, "inverse-cond1e3")  # ratio <= 30 and iterations <= 35
    for nit, status, met in [
        (35, "converged", True),
        (36, "converged", False),
        (5, "max_iter", False),
    ]:
        monkeypatch.setattr(benchmark, "inverse", FakeSolver(nit=nit, status=status))
        (row,) = run_benchmark(["inverse-cond1e3"], device="cpu", repeat=1)
        assert (row.iterations, row.status, row.met) == (nit, status, met)


def test_run_benchmark_rejects_unknown_cases_and_dtypes() -> None:
    with pytest.raises(ValueError, match=r"Expected case names from \[.*\], got \['lu'\]"):
        run_benchmark(["lu"], quick=True)
    with pytest.raises(ValueError, match=r"Expected dtype torch\.float32 or torch\.float64"):
        run_benchmark(["svd-cond1e3"], dtype=torch.float16, quick=True)


# --- table and files --------------------------------------------------------------------------


def test_format_table_aligns_columns_and_marks_misses() -> None:
    rows = [_row(), _row(case="svd-cond1e3", met=False, ratio=250.0), _row(met=None)]
    lines = format_table(rows).splitlines()
    assert lines[0].split()[:3] == ["case", "method", "size"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[-1] == "yes" and lines[3].split()[-1] == "NO"
    assert lines[4].split()[-1] == "n/a"
    assert "250x" in lines[3] and "2 ms" in lines[2] and "2.5e-07" in lines[2]
    assert len({line.index("method") for line in lines[:1]}) == 1


def test_format_table_markdown() -> None:
    lines = format_table([_row()], markdown=True).splitlines()
    assert lines[0].startswith("| case | method |") and lines[1].startswith("|---|")
    assert lines[2].count("|") == lines[0].count("|")


def test_write_table_formats_by_suffix(tmp_path: Path) -> None:
    info = {"device": "cpu", "torch": torch.__version__, "command": "python -m x"}
    rows = [_row(), _row(case="svd-cond1e3", met=None)]
    write_table(rows, tmp_path / "t.json", info)
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["environment"] == info and data["rows"][1]["case"] == "svd-cond1e3"
    assert data["rows"][0]["met"] is True and data["rows"][1]["met"] is None

    write_table(rows, tmp_path / "t.csv", info)
    text = (tmp_path / "t.csv").read_text().splitlines()
    assert text[:3] == ["# device: cpu", f"# torch: {torch.__version__}", "# command: python -m x"]
    records = list(csv.DictReader(text[3:]))
    assert records[0]["case"] == "solve-cond10" and float(records[0]["ratio"]) == 2.0

    write_table(rows, tmp_path / "t.md", info)
    markdown = (tmp_path / "t.md").read_text()
    assert "- **device**: `cpu`" in markdown and "| solve-cond10 | cg |" in markdown

    with pytest.raises(ValueError, match="Expected an output file ending in"):
        write_table(rows, tmp_path / "t.txt", info)


def test_environment_records_the_machine_and_command() -> None:
    info = environment("cpu", ["--quick", "--output", "a b.md"])
    assert info["command"] == "python -m gdtutorial.benchmark --quick --output 'a b.md'"
    assert info["torch"] == torch.__version__ and info["device"] == "cpu"
    assert info["device_model"] == info["cpu"] != ""
    assert info["date"].endswith("+00:00")


def test_environment_names_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Fake GPU 9000")
    assert environment("cuda:0", [])["device_model"] == "Fake GPU 9000"
    assert environment("mps", [])["device_model"] == "Apple GPU (MPS)"


def test_cpu_model_falls_back_without_proc_cpuinfo(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_file(*args: object, **kwargs: object) -> None:
        raise OSError("no /proc here")

    monkeypatch.setattr(benchmark, "open", no_file, raising=False)
    monkeypatch.setattr(benchmark.platform, "processor", lambda: "")
    monkeypatch.setattr(benchmark.platform, "machine", lambda: "toaster64")
    assert benchmark._cpu_model() == "toaster64"


# --- progress bar -----------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal() -> None:
    stream = FakeTerminal()
    bar = ProgressBar(4, stream=stream, width=8)
    assert bar.enabled
    bar.start("solve: gdtutorial")
    bar.advance()
    bar.advance()
    bar.close()
    frames = stream.getvalue().split("\r")[1:]
    assert frames[0].startswith("[--------] 0/4 solve: gdtutorial")
    assert frames[2].startswith("[####----] 2/4")
    assert stream.getvalue().endswith("\n")
    # A shorter frame blanks out the rest of a longer one.
    assert len(frames[1].rstrip("\n")) >= len("[--------] 0/4 solve: gdtutorial")


def test_progress_bar_is_silent_off_a_terminal_or_when_disabled() -> None:
    for bar in (
        ProgressBar(2, stream=io.StringIO()),
        ProgressBar(2, stream=FakeTerminal(), enabled=False),
    ):
        assert not bar.enabled
        bar.start("x")
        bar.advance()
        bar.close()
        assert bar.stream.getvalue() == ""  # type: ignore[attr-defined]


# --- command line -----------------------------------------------------------------------------


def test_main_quick_prints_the_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    assert main([*QUICK, "--cases", "solve-cond10", "svd-cond1e3", "--output", str(out)]) == 0
    printed = capsys.readouterr()
    assert "solve-cond10" in printed.out and "svd-cond1e3" in printed.out
    assert "inverse-cond1e3" not in printed.out
    assert "targets not judged (--quick)" in printed.out
    assert printed.err == ""  # --no-progress
    data = json.loads(out.read_text())
    assert [row["case"] for row in data["rows"]] == ["solve-cond10", "svd-cond1e3"]
    assert "--quick" in data["environment"]["command"]
    assert data["environment"]["dtype"] == "float64"
    assert data["environment"]["repeat"].startswith("1 round")


def test_main_reports_missed_targets_with_exit_status_zero(
    monkeypatch: pytest.MonkeyPatch, fixed_times: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(benchmark, "solve", FakeSolver())
    _small_case(monkeypatch, "solve-cond10")
    _small_case(monkeypatch, "solve-cond1e3")
    argv = [
        "--repeat",
        "1",
        "--no-progress",
        "--device",
        "cpu",
        "--cases",
        "solve-cond10",
        "solve-cond1e3",
        "--one-process",  # the fakes live in this process
    ]
    assert main(argv) == 0
    assert "targets met: 1/2; missed: solve-cond10" in capsys.readouterr().out


def test_main_returns_one_on_a_runtime_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(benchmark, "solve", broken)
    assert main([*QUICK, "--cases", "solve-cond10"]) == 1
    assert "error: out of memory" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--repeat", "0"], "Expected --repeat >= 1, got 0"),
        (["--threads", "0"], "Expected --threads >= 1, got 0"),
        (["--output", "table.xlsx"], "Expected --output to end in .csv, .json or .md"),
        (["--device", "warp-drive"], "Expected a device such as cpu or cuda, got 'warp-drive'"),
        (["--cases", "lu"], "invalid choice: 'lu'"),
        (["--dtype", "float16"], "invalid choice: 'float16'"),
    ],
)
def test_main_rejects_bad_arguments(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_main_rejects_an_unavailable_device(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit):
        main(["--device", "cuda"])
    assert "Expected an available device, got 'cuda'" in capsys.readouterr().err


def test_module_runs_as_a_script(tmp_path: Path) -> None:
    out = tmp_path / "bench.csv"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "gdtutorial.benchmark",
            *QUICK,
            "--cases",
            "inverse-cond1e3",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "inverse-cond1e3" in completed.stdout
    assert out.read_text().startswith("# device: cpu")


def test_main_threads_option_applies_and_is_restored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[int] = []
    real = benchmark.run_benchmark

    def spy(*args: object, **kwargs: object) -> list[Row]:
        seen.append(torch.get_num_threads())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(benchmark, "run_benchmark", spy)
    before = torch.get_num_threads()
    assert main([*QUICK, "--threads", "1", "--cases", "inverse-cond1e3"]) == 0
    assert seen == [1]
    assert torch.get_num_threads() == before
    assert "1 threads" in capsys.readouterr().out


def test_run_benchmark_alternates_our_runs_with_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[str] = []

    def spy(fn: object, **kwargs: object) -> Timing:
        order.append("reference" if kwargs.get("min_time") else "ours")
        return Timing(times=(0.5 if order[-1] == "ours" else 0.01,))

    monkeypatch.setattr(benchmark, "time_median", spy)
    stream = FakeTerminal()
    bar = ProgressBar(4, stream=stream)
    (row,) = run_benchmark(["svd-cond1e3"], device="cpu", repeat=3, quick=True, progress=bar)
    assert order == ["ours", "reference"] * 3
    assert row.ratio == pytest.approx(50.0)
    assert bar.done == 4  # the warm-up and three rounds
    assert "svd-cond1e3: round 3/3" in stream.getvalue()


def test_run_benchmark_recomputes_accuracy_instead_of_trusting_the_solver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def claims_success(a: torch.Tensor, b: torch.Tensor, **kwargs: object) -> Result:
        wrong = torch.zeros_like(b)
        history = torch.zeros(2, dtype=torch.float64)
        return Result(wrong, True, "converged", "", 1, 0.0, history, "liar")

    monkeypatch.setattr(benchmark, "solve", claims_success)
    (row,) = run_benchmark(["solve-cond10"], device="cpu", repeat=1, quick=True)
    assert row.residual == pytest.approx(1.0)  # ‖A·0 − b‖/‖b‖
    assert row.error == pytest.approx(1.0)
    assert row.method == "liar"


def test_a_claimed_success_with_a_wrong_answer_misses_the_target(
    monkeypatch: pytest.MonkeyPatch, fixed_times: list[float]
) -> None:
    def claims_success(a: torch.Tensor, b: torch.Tensor, **kwargs: object) -> Result:
        nearly = torch.linalg.solve(a, b) * (1 + 1e-3)
        return Result(nearly, True, "converged", "", 1, 0.0, torch.zeros(2).double(), "liar")

    monkeypatch.setattr(benchmark, "solve", claims_success)
    _small_case(monkeypatch, "solve-cond1e3")  # ratio 10 <= 100 would pass
    (row,) = run_benchmark(["solve-cond1e3"], device="cpu", repeat=1)
    assert row.residual == pytest.approx(1e-3, rel=1e-6)
    assert row.met is False


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"progress": False},
            TypeError,
            "Expected progress to be a ProgressBar or None, got False",
        ),
        ({"repeat": 0}, ValueError, "Expected repeat to be an int >= 1, got 0"),
        ({"repeat": 2.5}, ValueError, "Expected repeat to be an int >= 1"),
        ({"seed": -1}, ValueError, "Expected seed to be an int >= 0, got -1"),
    ],
)
def test_run_benchmark_rejects_bad_settings(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        run_benchmark(["inverse-cond1e3"], device="cpu", quick=True, **kwargs)
