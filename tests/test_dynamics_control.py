"""Controllability, Gramians, minimum energy and optimal control against closed forms and quadrature."""

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.integrate import quad_vec, solve_ivp

from mne_nmm.core import coupling as cpl
from mne_nmm.core.models import DampedOscillator, Linear
from mne_nmm.dynamics import (average_controllability, controllability_gramian, controllability_rank, linearize,
                              minimum_energy_control, modal_controllability, observability_rank, optimal_control,
                              structural_system)


def _chain(n):
    A = np.zeros((n, n))
    for i in range(n - 1):
        A[i, i + 1] = A[i + 1, i] = 1.0
    return A


def test_chain_controllability_rank():
    n = 7
    A = _chain(n) - 3 * np.eye(n)
    e = np.eye(n)
    assert controllability_rank(A, e[:, [0]]) == n                 # driven at an end: controllable
    # driven at the centre of a symmetric chain the antisymmetric modes are unreachable: rank (n + 1) / 2
    assert controllability_rank(A, e[:, [n // 2]]) == (n + 1) // 2
    assert observability_rank(A, e[[0]]) == n


def test_gramian_against_quadrature(rng):
    n = 4
    A = rng.normal(size=(n, n)) - 3 * np.eye(n)
    B = rng.normal(size=(n, 2))
    T = 1.7
    ref, _ = quad_vec(lambda t: sla.expm(A * t) @ B @ B.T @ sla.expm(A.T * t), 0, T, epsabs=1e-12, epsrel=1e-12)
    np.testing.assert_allclose(controllability_gramian(A, B, horizon_ms=T), ref, rtol=1e-9, atol=1e-12)
    ref_inf, _ = quad_vec(lambda t: sla.expm(A * t) @ B @ B.T @ sla.expm(A.T * t), 0, 40, epsabs=1e-12)
    np.testing.assert_allclose(controllability_gramian(A, B), ref_inf, rtol=1e-7, atol=1e-10)
    with pytest.raises(ValueError, match="Hurwitz"):
        controllability_gramian(A + 10 * np.eye(n), B)


def test_minimum_energy_reaches_target_with_gramian_energy():
    n = 5
    A = _chain(n) - 2.5 * np.eye(n)
    B = np.eye(n)[:, [0]]
    x0 = np.zeros(n)
    xf = np.array([1.0, 0.5, 0.2, 0.1, 0.05])
    T = 4.0
    mec = minimum_energy_control(A, B, x0, xf, horizon_ms=T, n_times=401)
    W = controllability_gramian(A, B, horizon_ms=T)
    assert abs(mec.energy - xf @ np.linalg.solve(W, xf)) < 1e-9 * mec.energy
    # independent check: u = B^T mu with mu' = -A^T mu, mu(T) = W^-1 xf; the joint linear system
    # [x; mu]' = [[A, B B^T], [0, -A^T]] [x; mu] is integrated by solve_ivp and reaches xf
    lam = np.linalg.solve(W, xf)
    mu0 = sla.expm(A.T * T) @ lam
    M = np.block([[A, B @ B.T], [np.zeros((n, n)), -A.T]])
    sol = solve_ivp(lambda t, z: M @ z, (0, T), np.concatenate([x0, mu0]), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(sol.y[:n, -1], xf, atol=1e-6)
    np.testing.assert_allclose(mec.states[-1], xf, atol=1e-8)
    e_num = np.trapezoid(np.sum(mec.inputs ** 2, axis=1), mec.times_ms)
    assert abs(e_num - mec.energy) < 1e-3 * mec.energy


def test_average_and_modal_controllability_closed_form():
    W = _chain(6) + 0.3 * np.eye(6)
    A = structural_system(W)
    ac = average_controllability(A)
    ref = np.diag(sum(np.linalg.matrix_power(A.T, k) @ np.linalg.matrix_power(A, k) for k in range(400)))
    np.testing.assert_allclose(ac, ref, rtol=1e-10)
    lam, V = np.linalg.eigh(A)
    np.testing.assert_allclose(modal_controllability(A), (V ** 2) @ (1 - lam ** 2), rtol=1e-12)
    assert ac[0] < ac[2]   # hubs (inner nodes of the chain) have higher average controllability


def test_linearize_network_of_linear_nodes(small_connectome):
    w = small_connectome.weights
    ls = linearize(Linear(gamma=-1.0), network=w, coupling=cpl.Linear(), global_coupling=0.2, state=np.zeros(1),
                   inputs=[1, 3], outputs=np.ones((2, 5)))
    np.testing.assert_allclose(ls.A, -np.eye(5) + 0.2 * w, atol=1e-12)
    np.testing.assert_allclose(ls.B[:, 0], np.eye(5)[1])
    np.testing.assert_allclose(ls.C, np.ones((2, 5)))


def test_optimal_control_matches_gramian_bound_for_linear_model():
    """Gradient-based optimal control of a damped oscillator vs the exact minimum energy."""
    model = DampedOscillator(f=10.0, zeta=0.3)
    ls = linearize(model, state=np.zeros(2))
    T = 60.0
    x0 = np.zeros(2)
    xf = np.array([1.0, 0.0])
    bound = minimum_energy_control(ls.A, ls.B, x0, xf, horizon_ms=T).energy
    oc = optimal_control(model, x0, xf, duration_ms=T, dt_ms=0.25, n_knots=60, terminal_weight=1e5, max_iter=500)
    assert oc.terminal_error < 2e-2
    assert bound <= oc.energy * (1 + 1e-6) + 1e-12   # the Gramian energy is a lower bound
    assert oc.energy < 1.05 * bound                  # and piecewise-constant inputs come close to it


def test_minimum_energy_refuses_a_singular_gramian_and_modal_warns_on_directed():
    """A chain driven at its head with one of two decoupled blocks unreachable: rank-deficient Gramian."""
    A = np.array([[-1.0, 0.0, 0.0], [1.0, -1.0, 0.0], [0.0, 0.0, -1.0]])     # node 2 is not reachable from 0
    B = np.array([[1.0], [0.0], [0.0]])
    assert controllability_rank(A, B) == 2
    with pytest.raises(ValueError, match="numerically singular.*Kalman rank 2 of 3"):
        minimum_energy_control(A, B, np.zeros(3), np.ones(3), horizon_ms=5.0)
    with pytest.warns(RuntimeWarning, match="not symmetric"):
        modal_controllability(0.3 * A + 0.5 * np.eye(3))
