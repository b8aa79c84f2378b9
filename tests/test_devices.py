"""Tests for gdtutorial.devices: device choice, synchronisation, the median timer."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from gdtutorial import devices
from gdtutorial.devices import Timing, default_device, format_seconds, synchronize, time_median


class FakeClock:
    """A clock that advances only when the timed function says so, logging every event."""

    def __init__(self, step: float = 0.1) -> None:
        self.now = 0.0
        self.step = step
        self.events: list[str] = []

    def read(self) -> float:
        self.events.append("clock")
        return self.now

    def work(self) -> None:
        self.events.append("fn")
        self.now += self.step

    def sync(self, device: object = None) -> None:
        self.events.append("sync")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(devices, "_clock", fake.read)
    monkeypatch.setattr(devices, "synchronize", fake.sync)
    return fake


# --- default_device ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"), [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]
)
def test_default_device_prefers_cuda_then_mps_then_cpu(
    monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool, expected: str
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert default_device() == torch.device(expected)


def test_default_device_matches_this_machine() -> None:
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is not None:
        assert default_device().type == expected
    else:
        assert default_device().type in {"mps", "cpu"}


# --- synchronize ------------------------------------------------------------------------------


def test_synchronize_waits_on_the_named_cuda_device(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(device))
    synchronize("cuda:1")
    synchronize(torch.device("cuda"))
    assert calls == [torch.device("cuda:1"), torch.device("cuda")]


def test_synchronize_waits_on_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(torch.mps, "synchronize", lambda: calls.append("mps"))
    synchronize("mps")
    assert calls == ["mps"]


def test_synchronize_is_a_no_op_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(device))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: calls.append("mps"))
    synchronize("cpu")
    synchronize(torch.device("cpu"))
    assert calls == []


def test_synchronize_none_means_the_default_device(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(devices, "default_device", lambda: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append(device))
    synchronize()
    assert calls == [torch.device("cuda")]


def test_synchronize_rejects_a_non_device() -> None:
    with pytest.raises(TypeError, match=r"Expected device to be a str, a torch\.device or None"):
        synchronize(0)  # type: ignore[arg-type]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_synchronize_on_a_real_cuda_device_finishes_queued_work() -> None:
    a = torch.randn(512, 512, device="cuda")
    b = a @ a
    synchronize(b.device)
    assert torch.cuda.current_stream().query()


# --- Timing -----------------------------------------------------------------------------------


def test_timing_statistics_from_known_times() -> None:
    timing = Timing(times=(4.0, 1.0, 3.0, 2.0, 100.0), device="cpu")
    assert timing.n == 5
    assert timing.median == 3.0
    assert timing.min == 1.0
    assert timing.iqr == pytest.approx(2.0)  # quartiles 2 and 4
    assert "median 3 s" in str(timing) and "5 runs on cpu" in str(timing)


def test_timing_of_a_single_run_has_zero_spread() -> None:
    timing = Timing(times=(0.5,))
    assert (timing.median, timing.iqr, timing.n) == (0.5, 0.0, 1)


def test_timing_is_frozen_and_needs_times() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Timing(times=(1.0,)).times = (2.0,)  # type: ignore[misc]
    with pytest.raises(ValueError, match="Expected at least one measured time, got none"):
        Timing(times=())


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.5, "2.5 s"), (0.0123, "12.3 ms"), (4.56e-5, "45.6 µs"), (7e-9, "7 ns"), (0.0, "0 ns")],
)
def test_format_seconds_picks_a_readable_unit(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


# --- time_median ------------------------------------------------------------------------------


def test_time_median_synchronises_around_every_clock_reading(clock: FakeClock) -> None:
    timing = time_median(clock.work, device="cpu", warmup=2, repeat=3)
    assert clock.events[:3] == ["fn", "fn", "sync"]  # warm-up, untimed
    run = ["sync", "clock", "fn", "sync", "clock"]
    assert clock.events[3:] == run * 3
    assert timing.times == pytest.approx((0.1, 0.1, 0.1))
    assert timing.device == "cpu"


def test_time_median_adds_runs_until_min_time(clock: FakeClock) -> None:
    timing = time_median(clock.work, device="cpu", warmup=0, repeat=2, min_time=0.95)
    assert timing.n == 10  # 10 runs of 0.1 s pass 0.95 s
    capped = time_median(clock.work, device="cpu", warmup=0, repeat=2, min_time=0.95, max_repeat=4)
    assert capped.n == 4


def test_time_median_reports_the_median_not_the_mean(monkeypatch: pytest.MonkeyPatch) -> None:
    durations = iter([0.01, 0.02, 5.0, 0.03, 0.04])
    now = [0.0]
    reads = iter(range(100))

    def clock() -> float:
        # Even reads start a run, odd reads end it after the next duration.
        if next(reads) % 2:
            now[0] += next(durations)
        return now[0]

    monkeypatch.setattr(devices, "_clock", clock)
    timing = time_median(lambda: None, device="cpu", warmup=0, repeat=5)
    assert timing.median == pytest.approx(0.03)
    assert timing.min == pytest.approx(0.01)


def test_time_median_on_a_real_device(device: torch.device) -> None:
    a = torch.randn(64, 64, device=device)
    calls = [0]

    def work() -> torch.Tensor:
        calls[0] += 1
        return a @ a

    timing = time_median(work, device=device, warmup=1, repeat=3)
    assert calls[0] == 4
    assert timing.n == 3 and all(t >= 0 for t in timing.times)
    assert timing.min <= timing.median <= max(timing.times)
    assert timing.device.startswith(device.type)


def test_time_median_measures_elapsed_time() -> None:
    import time

    timing = time_median(lambda: time.sleep(0.01), device="cpu", warmup=0, repeat=3)
    assert 0.009 <= timing.median < 1.0


def test_time_median_defaults_to_the_default_device(clock: FakeClock) -> None:
    timing = time_median(clock.work, repeat=1)
    assert timing.device == str(default_device())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"fn": 3}, TypeError, "Expected fn to be callable, got int"),
        ({"warmup": -1}, ValueError, "Expected warmup to be an int >= 0, got -1"),
        ({"repeat": 0}, ValueError, "Expected repeat to be an int >= 1, got 0"),
        ({"repeat": 2.0}, TypeError, "Expected repeat to be an int >= 1, got float"),
        ({"repeat": 5, "max_repeat": 3}, ValueError, "Expected max_repeat to be an int >= 5"),
        ({"min_time": -1.0}, ValueError, "Expected min_time to be finite and >= 0, got -1.0"),
        ({"min_time": math.inf}, ValueError, "Expected min_time to be finite and >= 0, got inf"),
        ({"min_time": "1"}, TypeError, "Expected min_time to be a number of seconds, got str"),
        ({"device": 1}, TypeError, "Expected device to be a str, a torch.device or None"),
    ],
)
def test_time_median_rejects_bad_input(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    arguments: dict[str, object] = {"fn": lambda: None, "device": "cpu", **kwargs}
    with pytest.raises(error, match=match):
        time_median(**arguments)  # type: ignore[arg-type]
