"""Sparse tensors and LinearOperators in solve and svd; plain CG, CGLS and preconditioning."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdtutorial import LinearOperator, solve, svd
from gdtutorial import linear as linear_module
from gdtutorial.matrices import poisson_2d, random_matrix, random_spd
from gdtutorial.operators import as_operator, frobenius, is_symmetric


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _operator(A: torch.Tensor, *, symmetric: bool = False, transpose: bool = True) -> Any:
    return LinearOperator(
        tuple(A.shape),
        lambda x: A @ x,
        (lambda y: A.mT @ y) if transpose else None,
        dtype=A.dtype,
        symmetric=symmetric,
    )


def _forms(A: torch.Tensor, *, symmetric: bool) -> dict[str, Any]:
    """The same matrix as a dense tensor, sparse COO, sparse CSR and a LinearOperator."""
    return {
        "dense": A,
        "coo": A.to_sparse(),
        "csr": A.to_sparse_csr(),
        "operator": _operator(A, symmetric=symmetric),
    }


# --- LinearOperator ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error", "pattern"),
    [
        (((3,), abs), ValueError, r"Expected shape to be two positive ints \(m, n\), got \(3,\)"),
        (((3, 0), abs), ValueError, r"got \(3, 0\)"),
        (((3, 3), "A"), TypeError, r"Expected matvec to be callable, got str"),
        (((3, 3), abs, 1), TypeError, r"Expected rmatvec to be callable or None, got int"),
    ],
)
def test_linear_operator_rejects_bad_arguments(
    arguments: tuple[Any, ...], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        LinearOperator(*arguments)


def test_linear_operator_rejects_a_bad_dtype_and_a_tall_symmetric_shape() -> None:
    with pytest.raises(TypeError, match=r"Expected dtype torch.float32 or torch.float64"):
        LinearOperator((2, 2), abs, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"Expected a square shape with symmetric=True"):
        LinearOperator((3, 2), abs, symmetric=True)


def test_a_product_of_the_wrong_shape_or_dtype_is_a_clear_error() -> None:
    A = random_spd(6, generator=_gen(0))
    b = torch.ones(6, dtype=torch.float64)
    wrong_shape = LinearOperator((6, 6), lambda x: (A @ x)[:5], symmetric=True)
    with pytest.raises(ValueError, match=r"Expected matvec of a \(6,\) tensor to return shape"):
        solve(wrong_shape, b)
    wrong_dtype = LinearOperator((6, 6), lambda x: (A @ x).float(), symmetric=True)
    with pytest.raises(TypeError, match=r"Expected matvec to return torch.float64 on cpu"):
        solve(wrong_dtype, b)
    with pytest.raises(ValueError, match=r"Expected a tensor of shape \(6,\) or \(6, k\)"):
        _operator(A) @ torch.ones(5, dtype=torch.float64)


def test_a_method_that_needs_the_transpose_says_so() -> None:
    A = random_matrix(8, 8, generator=_gen(1))
    b = torch.ones(8, dtype=torch.float64)
    no_transpose = _operator(A, transpose=False)
    for method in (None, "cgls", "gd", "nesterov"):
        with pytest.raises(
            ValueError, match=r"Expected a LinearOperator with rmatvec with method="
        ):
            solve(no_transpose, b, method=method)
    with pytest.raises(ValueError, match=r"Expected a LinearOperator with rmatvec for svd"):
        svd(no_transpose)
    # plain CG needs no transpose: a symmetric operator without rmatvec is solved
    S = random_spd(8, generator=_gen(2))
    assert solve(LinearOperator((8, 8), lambda x: S @ x, symmetric=True), b).success


def test_a_bad_symmetric_flag_or_product_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"Expected symmetric to be a bool, got 1"):
        LinearOperator((2, 2), abs, symmetric=1)  # type: ignore[arg-type]
    listing = LinearOperator((2, 2), lambda x: x.tolist(), symmetric=True)
    with pytest.raises(TypeError, match=r"Expected matvec to return a torch.Tensor, got list"):
        solve(listing, torch.ones(2, dtype=torch.float64))


@pytest.mark.parametrize("form", ["coo", "csr", "operator"])
@pytest.mark.parametrize("size", [1e-30, 1e30])
def test_operators_far_from_one_are_scaled_and_solved(form: str, size: float) -> None:
    A = random_spd(10, cond=10.0, generator=_gen(40)) * size
    b = torch.randn(10, dtype=torch.float64, generator=_gen(41))
    for method in ("cg", "cgls"):
        result = solve(_forms(A, symmetric=True)[form], b, method=method)
        assert result.success, (method, result.message)
        assert float((A @ result.x - b).norm() / b.norm()) <= 1.5e-6


def test_a_zero_sparse_matrix_is_no_success_and_no_crash() -> None:
    zero = torch.zeros(4, 4, dtype=torch.float64).to_sparse()
    result = solve(zero, torch.ones(4, dtype=torch.float64), method="cgls")
    assert not result.success


def test_cg_refuses_an_operator_not_declared_symmetric_and_the_advice_works() -> None:
    S = random_spd(8, generator=_gen(3))
    b = torch.ones(8, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"not declared symmetric=True; use method='cgls'"):
        solve(_operator(S), b, method="cg")
    assert solve(_operator(S), b, method="cgls").success
    assert solve(_operator(S), b).method == "cgls"  # not declared: the default is CGLS
    assert solve(_operator(S, symmetric=True), b).method == "cg"


# --- sparse tensors ----------------------------------------------------------------------------


def test_sparse_input_is_checked_like_dense_input() -> None:
    A = random_spd(5, generator=_gen(4))
    b = torch.ones(5, dtype=torch.float64)
    bad = A.clone()
    bad[1, 2] = math.nan
    with pytest.raises(ValueError, match=r"Expected A to hold finite values only"):
        solve(bad.to_sparse_csr(), b)
    with pytest.raises(TypeError, match=r"Expected A to have a real floating dtype"):
        solve(torch.eye(5, dtype=torch.int64).to_sparse(), b)
    with pytest.raises(ValueError, match=r"Expected b with 5 rows"):
        solve(A.to_sparse(), torch.ones(4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"Expected a sparse A with 2 sparse dimensions"):
        solve(torch.ones(2, 5, 5, dtype=torch.float64).to_sparse(), b)
    with pytest.raises(TypeError, match=r"Expected b to have the dtype of A"):
        solve(A.to_sparse(), b.float())


def test_a_csc_matrix_is_refused_with_advice_that_works() -> None:
    A = random_spd(5, generator=_gen(5))
    b = torch.ones(5, dtype=torch.float64)
    csc = A.to_sparse_csc()
    with pytest.raises(TypeError, match=r"got layout torch.sparse_csc") as error:
        solve(csc, b)
    advice = re.search(r"convert it with A\.(\w+)\(\)", str(error.value))
    assert advice is not None
    assert solve(getattr(csc, advice.group(1))(), b).success


def test_sparse_symmetry_is_detected_and_products_with_the_transpose_are_right() -> None:
    A = random_matrix(7, 5, generator=_gen(6))
    operator = as_operator(A.to_sparse_csr())
    assert not operator.symmetric
    y = torch.randn(7, dtype=torch.float64, generator=_gen(7))
    torch.testing.assert_close(operator.mT @ y, A.mT @ y)
    assert as_operator(poisson_2d(4)).symmetric
    assert frobenius(operator) == pytest.approx(float(A.norm()))


def test_symmetry_to_rounding_counts_as_symmetric() -> None:
    Q = torch.linalg.qr(torch.randn(30, 30, dtype=torch.float64, generator=_gen(8))).Q
    S = (Q * torch.linspace(1, 10, 30, dtype=torch.float64)) @ Q.mT  # not symmetrised
    assert is_symmetric(S) and is_symmetric(S.to_sparse())
    assert not is_symmetric(S + 1e-6 * torch.triu(torch.ones_like(S)))
    assert solve(S, torch.ones(30, dtype=torch.float64)).method == "cg"


def test_inputs_are_never_modified() -> None:
    A = random_spd(10, generator=_gen(9))
    sparse = A.to_sparse_csr()
    values = sparse.values().clone()
    b = torch.randn(10, dtype=torch.float64, generator=_gen(10))
    b_copy = b.clone()
    for method in ("cg", "cgls", "cg-mixed", "gd"):
        jacobi = "jacobi" if method == "cg" else None
        solve(sparse, b, method=method, preconditioner=jacobi, max_iter=200)
    assert torch.equal(sparse.values(), values) and torch.equal(b, b_copy)


# --- the same A in every form gives the same answer --------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 30),
    k=st.integers(0, 3),
    log_cond=st.floats(0.0, 3.0),
    method=st.sampled_from(["cg", "cgls", "gd"]),  # gd on κ ≤ 10 only: its rate is κ²
    seed=st.integers(0, 10_000),
)
def test_dense_sparse_and_operator_forms_of_an_spd_matrix_give_the_same_result(
    n: int, k: int, log_cond: float, method: str, seed: int
) -> None:
    generator = _gen(seed)
    log_cond = min(log_cond, 1.0) if method == "gd" else log_cond
    A = random_spd(n, cond=10**log_cond if n > 1 else 1.0, generator=generator)
    shape = (n, k) if k else (n,)
    b = torch.randn(*shape, dtype=torch.float64, generator=generator)
    max_iter = 5_000 if method == "gd" else None
    results = {
        name: solve(form, b, method=method, reorthogonalise=False if method == "cgls" else None,
                    max_iter=max_iter)
        for name, form in _forms(A, symmetric=True).items()
    }  # fmt: skip
    reference = results["dense"]
    for name, result in results.items():
        assert result.success, (name, result.message)
        assert result.x.shape == b.shape
        # the same algorithm: the same iterates up to rounding, so the same steps (± a few)
        assert abs(result.nit - reference.nit) <= max(2, reference.nit // 20), name
        residual = float((A @ result.x - b).norm() / b.norm())
        assert residual <= 1.5e-6, (name, residual)


@pytest.mark.parametrize("form", ["coo", "csr", "operator"])
def test_least_squares_with_a_sparse_or_operator_a_matches_lstsq(form: str) -> None:
    A = random_matrix(40, 12, cond=30.0, generator=_gen(11))
    b = torch.randn(40, dtype=torch.float64, generator=_gen(12))
    result = solve(_forms(A, symmetric=False)[form], b)
    assert result.success and result.method == "cgls", result.message
    expected = torch.linalg.lstsq(A, b.unsqueeze(1)).solution.squeeze(1)
    torch.testing.assert_close(result.x, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("method", ["cg-mixed", "momentum", "nesterov", "sgd", "adam"])
@pytest.mark.parametrize("form", ["coo", "csr", "operator"])
def test_every_other_method_runs_on_sparse_and_operator_input_as_on_dense(
    method: str, form: str
) -> None:
    A = random_spd(12, cond=5.0, generator=_gen(13))
    b = torch.randn(12, dtype=torch.float64, generator=_gen(14))
    if method == "cg-mixed" and form == "operator":
        with pytest.raises(TypeError, match=r"with method='cg-mixed', which makes a float32"):
            solve(_operator(A), b, method=method)
        return
    max_iter = 300 if method == "adam" else None  # Adam's fixed lr settles slowly: compare runs
    dense = solve(A, b, method=method, max_iter=max_iter)
    other = solve(_forms(A, symmetric=True)[form], b, method=method, max_iter=max_iter)
    assert other.status == dense.status and abs(other.nit - dense.nit) <= 2, other.message
    assert method == "adam" or other.success
    torch.testing.assert_close(other.x, dense.x, rtol=0, atol=1e-5)


def test_l1_on_a_tall_sparse_system_says_how_to_fit_it() -> None:
    A = random_matrix(20, 3, generator=_gen(15))
    b = torch.randn(20, dtype=torch.float64, generator=_gen(16))
    with pytest.raises(ValueError, match=r"pass A.to_dense\(\)") as error:
        solve(A.to_sparse(), b, loss="l1")
    assert "got a sparse tensor" in str(error.value)
    assert solve(A.to_sparse().to_dense(), b, loss="l1").success


# --- plain CG ----------------------------------------------------------------------------------


def _scipy_cg_steps(A: torch.Tensor, b: torch.Tensor, tol: float) -> int:
    scipy_linalg = pytest.importorskip("scipy.sparse.linalg")
    steps = [0]

    def count(_: Any) -> None:
        steps[0] += 1

    _, info = scipy_linalg.cg(A.numpy(), b.numpy(), rtol=tol, atol=0.0, callback=count)
    assert info == 0
    return steps[0]


@pytest.mark.parametrize("N", [10, 30])
def test_plain_cg_takes_scipys_steps_on_the_poisson_matrix(N: int) -> None:
    A = poisson_2d(N)
    b = torch.randn(N * N, dtype=torch.float64, generator=_gen(N))
    result = solve(A, b, tol=1e-8)
    assert result.success and result.method == "cg"
    assert abs(result.nit - _scipy_cg_steps(A.to_dense(), b, 1e-8)) <= 1


def test_plain_cg_is_the_textbook_iteration() -> None:
    A = random_spd(20, cond=50.0, generator=_gen(17))
    b = torch.randn(20, dtype=torch.float64, generator=_gen(18))
    iterates: list[torch.Tensor] = []
    solve(A, b, method="cg", tol=1e-10, callback=lambda result: iterates.append(result.x))
    x, r = torch.zeros(20, dtype=torch.float64), b.clone()
    p, rho = r.clone(), r @ r
    for expected in iterates[:15]:
        q = A @ p
        alpha = rho / (p @ q)
        x, r = x + alpha * p, r - alpha * q
        rho, rho_old = r @ r, rho
        p = r + (rho / rho_old) * p
        torch.testing.assert_close(expected, x, rtol=1e-7, atol=1e-10)


def test_plain_cg_needs_far_fewer_steps_than_cgls_on_an_ill_conditioned_spd_system() -> None:
    A = random_spd(200, cond=1e3, generator=_gen(19))
    b = torch.randn(200, dtype=torch.float64, generator=_gen(20))
    cg = solve(A, b, method="cg")
    cgls = solve(A, b, method="cgls", reorthogonalise=False, max_iter=20_000)
    assert cg.success and cgls.success
    assert 2 * cg.nit < cgls.nit  # √κ against κ


def test_an_indefinite_matrix_breaks_plain_cg_down_with_advice_and_the_default_falls_back() -> None:
    A = random_spd(30, generator=_gen(21)) - 0.5 * torch.eye(30, dtype=torch.float64)
    A = (A + A.mT) / 2
    b = torch.randn(30, dtype=torch.float64, generator=_gen(22))
    for form in _forms(A, symmetric=True).values():
        result = solve(form, b, method="cg")
        assert result.status == "breakdown" and not result.success
        assert re.search(r"pᵀAp was -?[\d.e+-]+ ≤ 0, so A is not positive definite", result.message)
        assert "try method='cgls'" in result.message
        fallback = solve(form, b)  # the default: CG, then CGLS once CG has seen pᵀAp ≤ 0
        assert fallback.success and fallback.method == "cgls", fallback.message


def test_cg_refuses_a_matrix_that_is_not_symmetric() -> None:
    A = random_matrix(6, 6, generator=_gen(23))
    with pytest.raises(ValueError, match=r"an A that is not symmetric; use method='cgls'"):
        solve(A, torch.ones(6, dtype=torch.float64), method="cg")
    with pytest.raises(ValueError, match=r"got a 6 × 3 A; use method='cgls'"):
        solve(A[:, :3], torch.ones(6, dtype=torch.float64), method="cg")


def test_plain_cg_keeps_a_few_vectors_and_cgls_stores_no_basis_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    original = linear_module._cgls

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["reorthogonalise"])
        return original(*args, **kwargs)

    monkeypatch.setattr(linear_module, "_cgls", spy)
    A = random_matrix(30, 30, generator=_gen(24))
    b = torch.ones(30, dtype=torch.float64)
    solve(A.to_sparse_csr(), b)  # sparse: no basis by default
    solve(A, b)  # dense: the basis, no larger than A
    solve(A.to_sparse_csr(), b, reorthogonalise=True)  # asked for
    solve(A, b, preconditioner="jacobi")  # preconditioned: the basis does not apply
    assert seen == [False, True, True, False]
    seen.clear()
    solve(random_spd(30, generator=_gen(25)), b)  # plain CG never calls CGLS
    assert seen == []


# --- preconditioning ---------------------------------------------------------------------------


def _badly_scaled_spd(n: int, seed: int) -> torch.Tensor:
    """D S D with S well conditioned and D spanning 4 orders of magnitude."""
    S = random_spd(n, cond=10.0, generator=_gen(seed))
    d = torch.logspace(0, 2, n, dtype=torch.float64)  # D² spans 10⁴
    return (d[:, None] * S) * d[None, :]


@pytest.mark.parametrize("form", ["dense", "csr", "operator"])
def test_jacobi_cuts_the_steps_of_a_badly_scaled_spd_system_at_least_threefold(form: str) -> None:
    A = _badly_scaled_spd(200, 26)
    b = torch.randn(200, dtype=torch.float64, generator=_gen(27))
    forms = _forms(A, symmetric=True)
    plain = solve(forms[form], b)
    if form == "operator":  # no entries: the same diagonal, as a callable
        d = A.diagonal()
        jacobi = solve(forms[form], b, preconditioner=lambda r: r / d)
    else:
        jacobi = solve(forms[form], b, preconditioner="jacobi")
    assert plain.success and jacobi.success, (plain.message, jacobi.message)
    assert 3 * jacobi.nit <= plain.nit, (jacobi.nit, plain.nit)
    assert float((A @ jacobi.x - b).norm() / b.norm()) <= 1.5e-6


def test_jacobi_for_cgls_scales_the_columns() -> None:
    A = random_matrix(80, 20, cond=10.0, generator=_gen(28)) * torch.logspace(0, 4, 20)
    b = torch.randn(80, dtype=torch.float64, generator=_gen(29))
    plain = solve(A, b, method="cgls", reorthogonalise=False, max_iter=5000)
    jacobi = solve(A, b, method="cgls", preconditioner="jacobi")
    assert jacobi.success and 3 * jacobi.nit <= plain.nit, (jacobi.nit, plain.nit)


def test_jacobi_for_cgls_takes_sparse_input_but_not_an_operator() -> None:
    A = random_matrix(60, 15, cond=10.0, generator=_gen(42)) * torch.logspace(0, 3, 15)
    b = torch.randn(60, dtype=torch.float64, generator=_gen(43))
    dense = solve(A, b, method="cgls", preconditioner="jacobi")
    sparse = solve(A.to_sparse_csr(), b, method="cgls", preconditioner="jacobi")
    assert dense.success and sparse.success and abs(dense.nit - sparse.nit) <= 1
    with pytest.raises(ValueError, match=r"which divides by the squared column norms of A"):
        solve(_operator(A), b, method="cgls", preconditioner="jacobi")


def test_bad_preconditioners_are_clear_errors() -> None:
    A = random_spd(6, generator=_gen(30))
    b = torch.ones(6, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"Expected preconditioner to be None, 'jacobi' or a"):
        solve(A, b, preconditioner="ilu")
    with pytest.raises(TypeError, match=r"Expected preconditioner to be None, 'jacobi' or a"):
        solve(A, b, preconditioner=3)
    with pytest.raises(ValueError, match=r"Expected preconditioner\(r\) to return a tensor of"):
        solve(A, b, preconditioner=lambda r: r[:3])
    with pytest.raises(ValueError, match=r"Expected lr=None|Expected preconditioner=None"):
        solve(A, b, method="gd", preconditioner="jacobi")
    with pytest.raises(ValueError, match=r"divides by diag\(A\), got a LinearOperator"):
        solve(_operator(A, symmetric=True), b, preconditioner="jacobi")
    negative = A.clone()
    negative[2, 2] = -1.0
    with pytest.raises(ValueError, match=r"got A\[2, 2\] = -1: A is not positive definite"):
        solve(negative, b, method="cg", preconditioner="jacobi")


def test_a_column_that_is_solved_from_the_start_is_no_breakdown() -> None:
    A = _badly_scaled_spd(30, 44)
    B = torch.randn(30, 3, dtype=torch.float64, generator=_gen(45))
    B[:, 1] = 0  # x = 0 solves it: rᵀM⁻¹r = 0 there, and that is no breakdown
    for preconditioner in (None, "jacobi"):
        result = solve(A, B, method="cg", preconditioner=preconditioner)
        assert result.success, result.message
        assert torch.equal(result.x[:, 1], torch.zeros(30, dtype=torch.float64))


def test_an_indefinite_preconditioner_is_a_breakdown() -> None:
    A = random_spd(10, generator=_gen(31))
    b = torch.ones(10, dtype=torch.float64)
    result = solve(A, b, method="cg", preconditioner=lambda r: -r)
    assert result.status == "breakdown" and "the preconditioner is not positive" in result.message


# --- the top-k SVD -----------------------------------------------------------------------------


def _decaying(m: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    S = 1 / torch.arange(1, n + 1, dtype=torch.float64)
    return random_matrix(m, n, singular_values=S.tolist(), generator=_gen(seed)), S


def test_oversampling_makes_the_top_k_svd_converge_at_the_oversampled_rate() -> None:
    M, S = _decaying(300, 120, 32)
    k, p = 5, 10
    plain = svd(M, k=k, oversample=0, tol=1e-6, generator=_gen(0))
    ritz = svd(M, k=k, oversample=p, tol=1e-6, generator=_gen(0))
    assert plain.success and ritz.success
    # the error falls like (σ_{k+p+1}/σ_k)² a step: about log(1e-6·gap)/log(rate) steps
    rate = (S[k + p] / S[k - 1]).item() ** 2
    assert ritz.nit <= math.ceil(math.log(1e-8) / math.log(rate)) + 2, ritz.nit
    assert 3 * ritz.nit < plain.nit
    torch.testing.assert_close(ritz.S, S[:k], rtol=1e-9, atol=0)
    assert ritz.U.shape == (300, k) and ritz.Vh.shape == (k, 120)


@pytest.mark.parametrize("form", ["coo", "csr", "operator"])
def test_svd_of_a_sparse_or_operator_m_equals_that_of_the_dense_one(form: str) -> None:
    M, _ = _decaying(60, 30, 33)
    for method in ("orthogonal-iteration", "riemannian"):
        dense = svd(M, k=4, method=method, generator=_gen(1))
        other = svd(_forms(M, symmetric=False)[form], k=4, method=method, generator=_gen(1))
        assert dense.success and other.success, (method, other.message)
        torch.testing.assert_close(other.S, dense.S, rtol=1e-6, atol=0)
        torch.testing.assert_close(other.U.abs(), dense.U.abs(), rtol=0, atol=1e-4)


def test_bad_oversampling_and_a_sparse_penalty_are_clear_errors() -> None:
    M, _ = _decaying(20, 10, 34)
    with pytest.raises(ValueError, match=r"pass oversample=4") as error:
        svd(M, k=6, oversample=5)
    assert svd(M, k=6, oversample=4, generator=_gen(2)).success  # the advice works
    assert "k + oversample ≤ min(m, n) = 10" in str(error.value)
    with pytest.raises(ValueError, match=r"Expected oversample ≥ 0, got -1"):
        svd(M, k=2, oversample=-1)
    with pytest.raises(TypeError, match=r"Expected oversample to be an int, got 1.5"):
        svd(M, k=2, oversample=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Expected oversample=None with method='riemannian'"):
        svd(M, k=2, method="riemannian", oversample=2)
    with pytest.raises(ValueError, match=r"Expected a dense M with method='penalty'"):
        svd(M.to_sparse(), method="penalty")


# --- the Poisson matrix ------------------------------------------------------------------------


def test_poisson_2d_is_the_five_point_laplacian_with_its_known_eigenvalues() -> None:
    N = 6
    A = poisson_2d(N)
    assert A.layout == torch.sparse_csr and A.shape == (N * N, N * N)
    dense = A.to_dense()
    assert torch.equal(dense, dense.mT) and torch.equal(dense.diagonal(), torch.full((N * N,), 4.0))
    assert int((dense != 0).sum()) == 5 * N * N - 4 * N
    angles = torch.arange(1, N + 1, dtype=torch.float64) * math.pi / (N + 1)
    expected = (4 - 2 * torch.cos(angles)[:, None] - 2 * torch.cos(angles)[None, :]).flatten()
    torch.testing.assert_close(torch.linalg.eigvalsh(dense), expected.sort().values)
    with pytest.raises(ValueError, match=r"Expected N"):
        poisson_2d(0)


# --- on every device ---------------------------------------------------------------------------


def test_sparse_and_operator_input_on_each_device(device: torch.device) -> None:
    A = poisson_2d(12, device=device)
    b = torch.ones(144, dtype=torch.float64, device=device)
    dense = A.to_dense()
    operator = LinearOperator((144, 144), lambda x: dense @ x, symmetric=True, device=device.type)
    for form in (A, operator):
        for method in ("cg", "cgls"):
            result = solve(form, b, method=method, preconditioner="jacobi" if form is A else None)
            assert result.success and result.x.device.type == device.type, result.message
            assert float((dense @ result.x - b).norm() / b.norm()) <= 1.5e-6
    top = svd(A, k=3, generator=_gen(0))
    assert top.success and top.S.device.type == device.type
    B = torch.ones(144, 2, dtype=torch.float64, device=device)
    assert solve(A, B).success  # several right-hand sides: per-column step lengths
