"""Device choice, synchronisation and a median timer that is honest on GPUs.

GPU kernels run asynchronously: ``fn()`` returns as soon as the work is queued.
Reading the clock without waiting for the device measures the queueing, not the
work, so :func:`time_median` synchronises before every clock reading.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

__all__ = [
    "Timing",
    "compare_times",
    "default_device",
    "speed_phrase",
    "synchronize",
    "time_median",
]

# The clock read by the timer; a module attribute so that tests can replace it.
_clock: Callable[[], float] = time.perf_counter


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def default_device() -> torch.device:
    """The fastest device PyTorch can use here.

    Returns
    -------
    torch.device
        ``cuda`` if a CUDA device is available, else ``mps`` (Apple GPUs) if
        available, else ``cpu``.

    Examples
    --------
    >>> from gdtutorial.devices import default_device
    >>> default_device().type in {"cpu", "cuda", "mps"}
    True
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _as_device(device: object) -> torch.device:
    if device is None:
        return default_device()
    if isinstance(device, (str, torch.device)):
        return torch.device(device)
    raise TypeError(
        f"Expected device to be a str, a torch.device or None, got {type(device).__name__}"
    )


def synchronize(device: str | torch.device | None = None) -> None:
    """Wait until all work queued on ``device`` has finished.

    Parameters
    ----------
    device : str or torch.device, optional
        A CUDA device waits with :func:`torch.cuda.synchronize`, an MPS device
        with :func:`torch.mps.synchronize`; on the CPU (which runs eagerly) this
        does nothing.  ``None`` means :func:`default_device`.

    Raises
    ------
    TypeError
        If ``device`` is not a string, a :class:`torch.device` or ``None``.

    Examples
    --------
    >>> from gdtutorial.devices import synchronize
    >>> synchronize("cpu")  # a no-op on the CPU
    """
    target = _as_device(device)
    if target.type == "cuda":
        torch.cuda.synchronize(target)
    elif target.type == "mps":
        torch.mps.synchronize()


@dataclass(frozen=True)
class Timing:
    """Wall-clock times of repeated runs of one function, in seconds.

    Attributes
    ----------
    times : tuple of float
        Every measured run, in order (warm-up runs excluded).
    device : str
        The device that was synchronised, e.g. ``"cpu"`` or ``"cuda:0"``.
    """

    times: tuple[float, ...]
    device: str = "cpu"

    def __post_init__(self) -> None:
        if not self.times:
            raise ValueError("Expected at least one measured time, got none")

    @property
    def n(self) -> int:
        """Number of measured runs."""
        return len(self.times)

    @property
    def median(self) -> float:
        """The median time of one run, robust to the odd slow run on a busy machine."""
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        """Fastest run."""
        return min(self.times)

    @property
    def iqr(self) -> float:
        """Interquartile range (75th minus 25th percentile); ``0.0`` for a single run."""
        if len(self.times) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.times, n=4, method="inclusive")
        return q3 - q1

    def __str__(self) -> str:
        return (
            f"median {format_seconds(self.median)} (IQR {format_seconds(self.iqr)}, "
            f"{self.n} runs on {self.device})"
        )


def format_seconds(seconds: float) -> str:
    """A time with a unit that keeps three significant digits.

    Examples
    --------
    >>> from gdtutorial.devices import format_seconds
    >>> format_seconds(0.000123), format_seconds(0.0456), format_seconds(7.891)
    ('123 µs', '45.6 ms', '7.89 s')
    """
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _check_count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Expected {name} to be an int >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"Expected {name} to be an int >= {minimum}, got {value}")
    return value


def _check_seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"Expected {name} to be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"Expected {name} to be finite and >= 0, got {value}")
    return float(value)


def time_median(
    fn: Callable[[], object],
    *,
    device: str | torch.device | None = None,
    warmup: int = 1,
    repeat: int = 5,
    min_time: float = 0.0,
    max_repeat: int = 1000,
) -> Timing:
    """Time ``fn()`` several times and report the median.

    Each measured run is ``synchronize(device); t0 = clock(); fn();
    synchronize(device); t1 = clock()`` with :func:`time.perf_counter` as the
    clock, so queued GPU work is neither charged to the next run nor missed.

    Parameters
    ----------
    fn : callable
        Called with no arguments; its return value is ignored.
    device : str or torch.device, optional
        The device ``fn`` works on, synchronised around every run;
        :func:`default_device` when ``None``.
    warmup : int, optional
        Untimed runs first (kernel compilation, caches, lazy initialisation).
    repeat : int, optional
        Minimum number of timed runs.
    min_time : float, optional
        Keep adding runs until the timed runs sum to at least this many seconds
        (or ``max_repeat`` runs are reached), for functions too quick to time once.
    max_repeat : int, optional
        Upper bound on the number of timed runs.

    Returns
    -------
    Timing
        All measured times, with their median, minimum and interquartile range.

    Raises
    ------
    TypeError
        If ``fn`` is not callable or a count is not an int.
    ValueError
        If ``warmup < 0``, ``repeat < 1``, ``max_repeat < repeat`` or
        ``min_time`` is negative or not finite.

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.devices import time_median
    >>> a = torch.ones(64, 64)
    >>> timing = time_median(lambda: a @ a, device="cpu", repeat=3)
    >>> timing.n, timing.median > 0
    (3, True)
    """
    if not callable(fn):
        raise TypeError(f"Expected fn to be callable, got {type(fn).__name__}")
    warmup = _check_count(warmup, "warmup", 0)
    repeat = _check_count(repeat, "repeat", 1)
    max_repeat = _check_count(max_repeat, "max_repeat", repeat)
    min_time = _check_seconds(min_time, "min_time")
    target = _as_device(device)

    for _ in range(warmup):
        fn()
    synchronize(target)
    times: list[float] = []
    while len(times) < repeat or (sum(times) < min_time and len(times) < max_repeat):
        synchronize(target)
        start = _clock()
        fn()
        synchronize(target)
        times.append(_clock() - start)
    return Timing(times=tuple(times), device=str(target))


def compare_times(
    fns: Mapping[str, Callable[[], object]],
    *,
    device: str | torch.device | None = None,
    warmup: int = 1,
    rounds: int = 7,
    min_time: float = 0.0,
) -> dict[str, Timing]:
    """Time several functions in interleaved rounds and report each one's median.

    Each round runs every function once, in turn (A, B, C, then B, C, A, …: the
    order rotates so that none always runs first), so a burst of load on a shared
    machine lands on all of them alike instead of on whichever was being timed
    when it came. Compare the medians, or their ratio; never a single run.

    Parameters
    ----------
    fns : Mapping of str to callable
        The functions to compare, by name; each is called with no arguments.
    device : str or torch.device, optional
        The device they work on, synchronised around every run (see
        :func:`time_median`); :func:`default_device` when ``None``.
    warmup : int, optional
        Untimed runs of each function before the first round.
    rounds : int, optional
        Number of rounds: each function gets this many timed runs.
    min_time : float, optional
        Within a round, repeat a function until its runs sum to at least this
        many seconds and keep their median, for functions too quick to time once.

    Returns
    -------
    dict of str to Timing
        One :class:`Timing` per name, in the order of ``fns``, holding one time
        per round.

    Raises
    ------
    TypeError
        If ``fns`` is not a mapping of strings to callables, or a count is not an int.
    ValueError
        If ``fns`` is empty, ``warmup < 0``, ``rounds < 1`` or ``min_time`` is
        negative or not finite.

    Examples
    --------
    >>> import torch
    >>> from gdtutorial.devices import compare_times
    >>> a = torch.ones(64, 64)
    >>> timings = compare_times({"a @ a": lambda: a @ a, "a + a": lambda: a + a}, device="cpu")
    >>> list(timings), timings["a @ a"].n
    (['a @ a', 'a + a'], 7)
    """
    if not isinstance(fns, Mapping):
        raise TypeError(
            f"Expected fns to be a mapping of names to callables, got {type(fns).__name__}"
        )
    if not fns:
        raise ValueError("Expected at least one function to time, got none")
    for name, fn in fns.items():
        if not isinstance(name, str) or not callable(fn):
            raise TypeError(
                f"Expected fns to map str names to callables, got {name!r}: {type(fn).__name__}"
            )
    warmup = _check_count(warmup, "warmup", 0)
    rounds = _check_count(rounds, "rounds", 1)
    min_time = _check_seconds(min_time, "min_time")  # before any run, not after the warm-up
    target = _as_device(device)
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        for _ in range(warmup):
            fns[name]()
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            run = time_median(fns[name], device=target, warmup=0, repeat=1, min_time=min_time)
            times[name].append(run.median)
    return {name: Timing(times=tuple(times[name]), device=str(target)) for name in names}


def speed_phrase(time: float, reference: float, *, tie: float = 1.1) -> str:
    """Words for how ``time`` compares with ``reference``, chosen from the numbers.

    A sentence that compares two measured times must not be written before the
    measurement: glue this phrase into it instead.

    Parameters
    ----------
    time, reference : float
        Two measured times (e.g. medians from :func:`compare_times`), in seconds.
    tie : float, optional
        Ratios closer to 1 than this factor (either way) read "about as fast as".

    Returns
    -------
    str
        ``"<r> times faster than"``, ``"<r> times slower than"`` or
        ``"about as fast as"``, the factor with one decimal below 10.

    Raises
    ------
    TypeError
        If an argument is not a real number.
    ValueError
        If a time is not positive and finite, or ``tie < 1``.

    Examples
    --------
    >>> from gdtutorial.devices import speed_phrase
    >>> speed_phrase(0.01, 0.03), speed_phrase(0.05, 0.02), speed_phrase(0.0105, 0.01)
    ('3.0 times faster than', '2.5 times slower than', 'about as fast as')
    """
    for name, value in (("time", time), ("reference", reference), ("tie", tie)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"Expected {name} to be a real number, got {type(value).__name__}")
    for name, value in (("time", time), ("reference", reference)):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"Expected {name} to be a positive, finite time, got {value}")
    if not math.isfinite(tie) or tie < 1:
        raise ValueError(f"Expected tie to be a finite ratio >= 1, got {tie}")
    ratio = reference / time
    if 1 / tie < ratio < tie:
        return "about as fast as"
    factor = max(ratio, 1 / ratio)
    digits = f"{factor:.1f}" if factor < 10 else f"{factor:.0f}"
    return f"{digits} times {'faster' if ratio > 1 else 'slower'} than"
