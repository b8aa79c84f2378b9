"""Tests for gdtutorial.devices: device choice, synchronisation, the median timer."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from gdtutorial import devices
from gdtutorial.devices import (
    Timing,
    compare_times,
    default_device,
    format_seconds,
    speed_phrase,
    synchronize,
    time_median,
)


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
    assert timing.median >= 0.009  # no upper bound: never assert on a busy clock


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


# --- compare_times ----------------------------------------------------------------------------


def test_compare_times_interleaves_the_functions_and_rotates_their_order(
    clock: FakeClock,
) -> None:
    calls: list[str] = []

    def run(name: str, seconds: float) -> None:
        calls.append(name)
        clock.now += seconds

    timings = compare_times(
        {"a": lambda: run("a", 0.3), "b": lambda: run("b", 0.1), "c": lambda: run("c", 0.2)},
        device="cpu",
        warmup=1,
        rounds=4,
    )
    assert calls[:3] == ["a", "b", "c"]  # warm-up
    assert calls[3:] == list("abcbcacababc")
    assert list(timings) == ["a", "b", "c"]
    assert timings["a"].times == pytest.approx((0.3,) * 4)
    assert timings["b"].median == pytest.approx(0.1) and timings["c"].n == 4
    assert all(timing.device == "cpu" for timing in timings.values())


def test_compare_times_lets_a_load_burst_hit_every_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow spell that lasts a few runs: timed back to back, one side would take all of it."""
    now = [0.0]
    runs = [0]

    def clock() -> float:
        return now[0]

    def work(seconds: float) -> None:
        runs[0] += 1
        burst = 10.0 if 4 <= runs[0] <= 7 else 1.0  # four runs in a row are slowed tenfold
        now[0] += seconds * burst

    monkeypatch.setattr(devices, "_clock", clock)
    timings = compare_times(
        {"fast": lambda: work(0.01), "slow": lambda: work(0.02)}, device="cpu", warmup=0, rounds=6
    )
    assert timings["slow"].median / timings["fast"].median == pytest.approx(2.0)


def test_compare_times_repeats_quick_functions_up_to_min_time(clock: FakeClock) -> None:
    timings = compare_times({"quick": clock.work}, device="cpu", warmup=0, rounds=2, min_time=0.35)
    assert timings["quick"].n == 2
    assert clock.events.count("fn") == 8  # four runs of 0.1 s per round pass 0.35 s


def test_compare_times_on_a_real_device(device: torch.device) -> None:
    a = torch.randn(32, 32, device=device)
    timings = compare_times({"mm": lambda: a @ a, "add": lambda: a + a}, device=device, rounds=3)
    assert [timing.n for timing in timings.values()] == [3, 3]
    assert all(t >= 0 for timing in timings.values() for t in timing.times)


@pytest.mark.parametrize(
    ("fns", "kwargs", "error", "match"),
    [
        ([lambda: None], {}, TypeError, "Expected fns to be a mapping of names to callables"),
        ({}, {}, ValueError, "Expected at least one function to time, got none"),
        ({"a": 3}, {}, TypeError, "Expected fns to map str names to callables, got 'a': int"),
        ({1: lambda: None}, {}, TypeError, "Expected fns to map str names to callables, got 1"),
        ({"a": lambda: None}, {"rounds": 0}, ValueError, "Expected rounds to be an int >= 1"),
        ({"a": lambda: None}, {"warmup": 1.5}, TypeError, "Expected warmup to be an int >= 0"),
        ({"a": lambda: None}, {"min_time": -1}, ValueError, "Expected min_time to be finite"),
        ({"a": lambda: None}, {"device": 2}, TypeError, "Expected device to be a str"),
    ],
)
def test_compare_times_rejects_bad_input(
    fns: object, kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        compare_times(fns, **{"device": "cpu", **kwargs})  # type: ignore[arg-type]


# --- speed_phrase -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "reference", "phrase"),
    [
        (0.01, 0.03, "3.0 times faster than"),
        (0.05, 0.02, "2.5 times slower than"),
        (0.001, 0.25, "250 times faster than"),
        (1.0, 1.05, "about as fast as"),
        (1.05, 1.0, "about as fast as"),
        (1.0, 1.2, "1.2 times faster than"),
    ],
)
def test_speed_phrase_words_come_from_the_numbers(
    time: float, reference: float, phrase: str
) -> None:
    assert speed_phrase(time, reference) == phrase


def test_speed_phrase_tie_band_is_a_setting() -> None:
    assert speed_phrase(1.0, 1.2, tie=1.5) == "about as fast as"
    assert speed_phrase(1.0, 1.2, tie=1.0) == "1.2 times faster than"


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("1", 1.0), {}, TypeError, "Expected time to be a real number, got str"),
        ((1.0, True), {}, TypeError, "Expected reference to be a real number, got bool"),
        ((0.0, 1.0), {}, ValueError, "Expected time to be a positive, finite time, got 0.0"),
        ((1.0, math.nan), {}, ValueError, "Expected reference to be a positive, finite time"),
        ((1.0, 1.0), {"tie": 0.5}, ValueError, "Expected tie to be a finite ratio >= 1, got 0.5"),
    ],
)
def test_speed_phrase_rejects_bad_input(
    args: tuple[object, object], kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        speed_phrase(*args, **kwargs)  # type: ignore[arg-type]


def test_compare_times_checks_its_settings_before_running_anything() -> None:
    calls: list[int] = []
    with pytest.raises(ValueError, match="Expected min_time to be finite and >= 0"):
        compare_times({"a": lambda: calls.append(1)}, device="cpu", min_time=-1)
    assert calls == []
