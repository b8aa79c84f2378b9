"""Tests for gdtutorial.matrices: chosen spectra, Haar factors, the source posts' matrices."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtutorial.matrices import DEFAULT_COND, _haar, random_matrix, random_spd, source_matrices


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _rtol(dtype: torch.dtype, factor: float = 100.0) -> float:
    return factor * torch.finfo(dtype).eps


# --- the source posts' matrices ---------------------------------------------------------------


def test_seeded_generator_matches_manual_seed_then_rand() -> None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(314)
        first, second = torch.rand(5, 4), torch.rand(4)
    generator = torch.Generator().manual_seed(314)
    torch.testing.assert_close(torch.rand(5, 4, generator=generator), first, rtol=0, atol=0)
    torch.testing.assert_close(torch.rand(4, generator=generator), second, rtol=0, atol=0)


def test_source_matrices_are_drawn_as_the_posts_drew_them() -> None:
    mats = source_matrices()
    recipes = {
        "svd_M1": (314, lambda: torch.rand(size=(5, 4))),
        "svd_M2": (315, lambda: torch.rand(size=(4, 4))),
        "svd_M3": (316, lambda: torch.rand(size=(7, 4))),
        "svd_M4": (317, lambda: torch.rand(size=(3, 4)).T),
        "svd_M5": (317, lambda: torch.rand(size=(4, 3))),
        "inverse_random": (314, lambda: torch.rand(size=(4, 4))),
        "inverse_start": (314, lambda: torch.rand(size=[4, 4])),
    }
    for name, (seed, draw) in recipes.items():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            expected = draw()
        torch.testing.assert_close(mats[name], expected, rtol=0, atol=0, msg=name)
        assert mats[name].dtype == torch.float32
    torch.testing.assert_close(
        mats["inverse_diagonal"], torch.diag(torch.tensor([1.0, 2.0, 3.0, 4.0])), rtol=0, atol=0
    )
    assert set(mats) == {*recipes, "inverse_diagonal"}


def test_source_inverse_start_reproduces_the_posts_printed_product() -> None:
    # The post prints random_inverse @ diag(1, 2, 3, 4) to four decimals.
    printed = torch.tensor(
        [
            [0.7196, 1.2590, 2.0002, 1.3540],
            [0.8522, 0.6251, 1.5017, 1.8571],
            [0.0083, 0.8938, 2.4086, 2.2047],
            [0.3556, 0.7420, 2.0490, 1.2297],
        ]
    )
    mats = source_matrices()
    product = mats["inverse_start"] @ mats["inverse_diagonal"]
    torch.testing.assert_close(product, printed, rtol=0, atol=5e-5)


def test_source_matrices_leave_the_global_random_state_alone() -> None:
    before = torch.get_rng_state()
    source_matrices()
    assert torch.equal(torch.get_rng_state(), before)


def test_source_matrices_float64_holds_the_same_numbers() -> None:
    single, double = source_matrices(), source_matrices(torch.float64)
    for name in single:
        assert double[name].dtype == torch.float64
        assert torch.equal(double[name].float(), single[name]), name


def test_source_matrices_returns_a_fresh_dict_each_call() -> None:
    first = source_matrices()
    first["svd_M1"].zero_()
    assert source_matrices()["svd_M1"].abs().sum() > 0


def test_source_matrices_rejects_an_integer_dtype() -> None:
    with pytest.raises(TypeError, match=r"Expected a real floating dtype, got torch\.int64"):
        source_matrices(torch.int64)


# --- random_matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "n", "cond"),
    [(1, 1, 1.0), (1, 5, 1.0)]
    + [(m, n, c) for m, n in [(4, 4), (7, 3), (3, 7), (20, 20)] for c in [1.0, 10.0, 1e3, 1e6]],
)
def test_random_matrix_has_the_requested_condition_number(m: int, n: int, cond: float) -> None:
    a = random_matrix(m, n, cond=cond, generator=_gen())
    assert a.shape == (m, n)
    assert a.dtype == torch.float64
    s = torch.linalg.svdvals(a)
    expected = cond ** (-torch.arange(min(m, n), dtype=torch.float64) / max(min(m, n) - 1, 1))
    torch.testing.assert_close(s, expected, rtol=1e-9, atol=1e-13)


def test_random_matrix_dtype_and_device(device: torch.device, dtype: torch.dtype) -> None:
    a = random_matrix(8, 5, cond=50.0, dtype=dtype, device=device)
    assert a.dtype == dtype and a.device.type == device.type
    measured = torch.linalg.cond(a.double()).item()
    assert measured == pytest.approx(50.0, rel=_rtol(dtype, 1e3))


def test_random_matrix_is_square_when_n_is_omitted() -> None:
    assert random_matrix(5, generator=_gen()).shape == (5, 5)


def test_random_matrix_default_spectrum_is_documented_cond() -> None:
    assert DEFAULT_COND == 10.0
    a = random_matrix(6, 4, generator=_gen())
    assert torch.linalg.cond(a).item() == pytest.approx(10.0, rel=1e-10)


def test_random_matrix_with_given_singular_values_in_any_order() -> None:
    values = [0.5, 3.0, 0.0, 1.25]
    a = random_matrix(6, 4, singular_values=values, generator=_gen())
    s = torch.linalg.svdvals(a)
    torch.testing.assert_close(
        s, torch.tensor(sorted(values, reverse=True), dtype=torch.float64), rtol=0, atol=1e-12
    )
    assert torch.linalg.matrix_rank(a).item() == 3


def test_random_matrix_singular_values_tensor_is_not_modified() -> None:
    values = torch.tensor([2.0, 1.0, 0.25], dtype=torch.float32)
    copy = values.clone()
    random_matrix(3, singular_values=values, generator=_gen())
    assert torch.equal(values, copy)


def test_random_matrix_integer_singular_values_tensor_is_accepted() -> None:
    a = random_matrix(2, singular_values=torch.tensor([3, 1]), generator=_gen())
    torch.testing.assert_close(torch.linalg.svdvals(a), torch.tensor([3.0, 1.0]).double())


def test_random_matrix_cond_one_has_orthonormal_columns() -> None:
    a = random_matrix(9, 4, cond=1.0, generator=_gen())
    torch.testing.assert_close(a.T @ a, torch.eye(4, dtype=torch.float64))


def test_random_matrix_is_reproducible_with_a_generator() -> None:
    first = random_matrix(5, 3, cond=7.0, generator=_gen(3))
    second = random_matrix(5, 3, cond=7.0, generator=_gen(3))
    other = random_matrix(5, 3, cond=7.0, generator=_gen(4))
    assert torch.equal(first, second)
    assert not torch.allclose(first, other)


def test_random_matrix_with_a_generator_leaves_the_global_state_alone() -> None:
    before = torch.get_rng_state()
    random_matrix(4, generator=_gen())
    assert torch.equal(torch.get_rng_state(), before)


def test_random_matrix_without_generator_uses_the_global_generator() -> None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(11)
        first = random_matrix(4, 3)
        torch.manual_seed(11)
        second = random_matrix(4, 3)
    assert torch.equal(first, second)


def test_haar_factor_is_uniform_not_biased_by_qr_signs() -> None:
    # Without the sign fix, LAPACK's QR gives the first column a fixed sign in its first
    # entry, so the angle of a 2 × 2 factor would only cover half the circle.
    generator = _gen(123)
    angles = torch.stack(
        [
            torch.atan2(*_haar(2, 2, generator, torch.device("cpu"))[:, 0].flip(0))
            for _ in range(800)
        ]
    )
    counts = torch.histc(angles, bins=4, min=-math.pi, max=math.pi)
    assert counts.min() > 150, counts  # 200 expected per quarter
    q = _haar(6, 4, generator, torch.device("cpu"))
    torch.testing.assert_close(q.T @ q, torch.eye(4, dtype=torch.float64))


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 9),
    n=st.integers(1, 9),
    log_cond=st.floats(0.0, 8.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_matrix_condition_number_property(
    m: int, n: int, log_cond: float, seed: int
) -> None:
    cond = 1.0 if min(m, n) == 1 else 10.0**log_cond
    a = random_matrix(m, n, cond=cond, generator=_gen(seed))
    s = torch.linalg.svdvals(a)
    assert a.shape == (m, n)
    assert s[0].item() == pytest.approx(1.0, rel=1e-12)
    assert (s[0] / s[-1]).item() == pytest.approx(cond, rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"m": 0}, ValueError, "Expected m to be a positive int, got 0"),
        ({"m": -2}, ValueError, "Expected m to be a positive int, got -2"),
        ({"m": 2.0}, TypeError, "Expected m to be a positive int, got float"),
        ({"m": True}, TypeError, "Expected m to be a positive int, got bool"),
        ({"m": 3, "n": 0}, ValueError, "Expected n to be a positive int, got 0"),
        ({"m": 3, "cond": 0.5}, ValueError, r"Expected cond to be finite and >= 1, got 0.5"),
        ({"m": 3, "cond": math.inf}, ValueError, "Expected cond to be finite and >= 1, got inf"),
        ({"m": 3, "cond": math.nan}, ValueError, "Expected cond to be finite and >= 1, got nan"),
        ({"m": 3, "cond": "10"}, TypeError, "Expected cond to be a real number, got str"),
        ({"m": 1, "n": 4, "cond": 10.0}, ValueError, "Expected cond == 1 for a matrix with a"),
        (
            {"m": 2, "cond": 10.0, "singular_values": [1.0, 0.1]},
            ValueError,
            "Expected at most one of cond and singular_values, got both",
        ),
        (
            {"m": 3, "singular_values": [1.0, 2.0]},
            ValueError,
            r"Expected singular_values of shape \(3,\), got shape \(2,\)",
        ),
        (
            {"m": 2, "singular_values": [1.0, -1.0]},
            ValueError,
            "Expected non-negative singular_values",
        ),
        (
            {"m": 2, "singular_values": [1.0, math.nan]},
            ValueError,
            "Expected finite singular_values",
        ),
        (
            {"m": 2, "singular_values": torch.tensor([1.0, 2.0j])},
            TypeError,
            "Expected singular_values to be real numbers, got dtype torch.complex64",
        ),
        (
            {"m": 2, "singular_values": ["a", "b"]},
            TypeError,
            "Expected singular_values to be a sequence of real numbers",
        ),
        (
            {"m": 2, "singular_values": "ab"},
            TypeError,
            "Expected singular_values to be a 1-D tensor or a sequence of numbers, got str",
        ),
        (
            {"m": 2, "dtype": torch.int32},
            TypeError,
            "Expected a real floating dtype, got torch.int32",
        ),
        (
            {"m": 2, "dtype": torch.complex128},
            TypeError,
            "Expected a real floating dtype, got torch.complex128",
        ),
        ({"m": 2, "dtype": "float64"}, TypeError, "Expected dtype to be a torch.dtype, got str"),
        ({"m": 2, "device": 0}, TypeError, "Expected device to be a str, a torch.device or None"),
        (
            {"m": 2, "generator": 42},
            TypeError,
            "Expected generator to be None or a torch.Generator, got 42",
        ),
    ],
)
def test_random_matrix_rejects_bad_input(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        random_matrix(**kwargs)  # type: ignore[arg-type]


# --- random_spd -------------------------------------------------------------------------------


@pytest.mark.parametrize("cond", [1.0, 10.0, 1e4])
def test_random_spd_is_symmetric_with_the_requested_spectrum(cond: float) -> None:
    s = random_spd(7, cond=cond, generator=_gen())
    assert torch.equal(s, s.T)
    eig = torch.linalg.eigvalsh(s)
    expected = cond ** (-torch.arange(6, -1, -1, dtype=torch.float64) / 6)
    torch.testing.assert_close(eig, expected, rtol=1e-9, atol=1e-13)


def test_random_spd_with_given_eigenvalues_and_dtype(dtype: torch.dtype) -> None:
    s = random_spd(3, eigenvalues=torch.tensor([4.0, 1.0, 2.0]), dtype=dtype, generator=_gen())
    assert s.dtype == dtype and torch.equal(s, s.T)
    torch.testing.assert_close(
        torch.linalg.eigvalsh(s),
        torch.tensor([1.0, 2.0, 4.0], dtype=dtype),
        rtol=_rtol(dtype),
        atol=0,
    )
    torch.linalg.cholesky(s)  # positive definite: does not raise


def test_random_spd_default_and_single_entry() -> None:
    assert torch.linalg.cond(random_spd(4, generator=_gen())).item() == pytest.approx(10.0)
    assert random_spd(1, generator=_gen()).item() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, "Expected n to be a positive int, got 0"),
        ({"n": 2, "eigenvalues": [1.0, 0.0]}, ValueError, "Expected positive eigenvalues"),
        ({"n": 2, "eigenvalues": [1.0]}, ValueError, r"Expected eigenvalues of shape \(2,\)"),
        ({"n": 2, "cond": 2.0, "eigenvalues": [1.0, 2.0]}, ValueError, "at most one of cond"),
        ({"n": 1, "cond": 2.0}, ValueError, "Expected cond == 1 for a matrix with a single"),
        ({"n": 2, "dtype": torch.bool}, TypeError, "Expected a real floating dtype"),
        (
            {"n": 2, "generator": "seed"},
            TypeError,
            "Expected generator to be None or a torch.Generator",
        ),
    ],
)
def test_random_spd_rejects_bad_input(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        random_spd(**kwargs)  # type: ignore[arg-type]
