"""Delayed linear stability: characteristic roots against Lambert W, a direct root finder and simulations."""

import numpy as np
import pytest
from scipy.optimize import fsolve
from scipy.special import lambertw

import mne_nmm as nmm
from mne_nmm.core import coupling as cpl
from mne_nmm.core.models import Hopf, JansenRit, Linear
from mne_nmm.dynamics import (characteristic_roots, delayed_linearization, delayed_network_stability, jacobian,
                              network_stability)


def _lambert_roots(a, b, tau, ks):
    """Roots of lambda = a + b exp(-lambda tau): a + W_k(b tau exp(-a tau)) / tau (Asl & Ulsoy 2003)."""
    return np.array([a + lambertw(b * tau * np.exp(-a * tau), k) / tau for k in ks])


@pytest.mark.parametrize("a, b, tau", [(-1.0, 0.5, 2.0), (-0.5, -1.0, 1.0), (0.2, -1.5, 3.0), (-0.1, -0.2, 20.0)])
def test_scalar_dde_matches_lambert_w(a, b, tau):
    cr = characteristic_roots([[a]], [[[b]]], [tau], n_roots=5)
    assert np.all(cr.converged)
    # the principal branch gives the rightmost root (Shinozaki & Mori 2006, Automatica 42:1791)
    lw0 = _lambert_roots(a, b, tau, [0])[0]
    assert abs(cr.roots[0].real - lw0.real) < 1e-12
    assert min(abs(cr.roots[:2] - lw0)) < 1e-12
    assert cr.stable == (lw0.real < 0)
    # the next roots are those of the branches k = -1, 1, -2, 2, ...: the 5 rightmost of 9 branches
    ref = _lambert_roots(a, b, tau, range(-4, 5))
    for lam in cr.roots:
        assert np.min(np.abs(ref - lam)) < 1e-10 * (1 + abs(lam))
    np.testing.assert_allclose(cr.roots.real, np.sort(ref.real)[::-1][:5], atol=1e-10)
    np.testing.assert_allclose(cr.residuals, 0.0, atol=1e-12)


def test_scalar_through_the_network_api_lambert_w():
    """x' = gamma x + G w x(t - tau): a Linear node with a delayed self-connection."""
    gamma, G, tau = -0.1, -0.15, 30.0
    ds = delayed_network_stability(Linear(gamma=gamma), np.array([[1.0]]), coupling=cpl.Linear(),
                                   global_coupling=G, delays_ms=np.array([[tau]]), state=[0.0])
    lw0 = _lambert_roots(gamma, G, tau, [0])[0]
    lam = ds.leading_eigenvalue
    assert abs(lam.real - lw0.real) < 1e-12 and abs(abs(lam.imag) - abs(lw0.imag)) < 1e-12
    assert not ds.stable and ds.delay_free_eigenvalues[0].real < 0       # destabilised by the delay
    np.testing.assert_allclose(ds.delay_free_eigenvalues, [gamma + G])


def test_zero_delay_limit_equals_delay_free_eigenvalues(small_connectome):
    model = Hopf(a=-0.05, omega=0.3)
    kw = dict(coupling=cpl.Difference(), global_coupling=0.02, state=[0.0, 0.0])
    ns = network_stability(model, small_connectome.weights, **kw)
    # no delays (infinite speed): exactly the delay-free eigenvalues
    ds = delayed_network_stability(model, small_connectome, speed_m_per_s=np.inf, **kw)
    np.testing.assert_allclose(ds.eigenvalues, ns.eigenvalues, atol=1e-12)
    assert len(ds.linearization.delays_ms) == 0
    # tiny delays (speed 1e4 m/s: tau <= 6 us): the rightmost roots tend to the delay-free ones as O(tau)
    fast = delayed_network_stability(model, small_connectome, speed_m_per_s=1e4, **kw)
    tau_max = fast.linearization.delays_ms.max()
    assert 0 < tau_max < 1e-2
    for lam in ns.eigenvalues:
        assert np.min(np.abs(fast.eigenvalues - lam)) < 5 * tau_max * np.abs(ns.eigenvalues).max() ** 2 + 1e-12
    assert fast.stable == ns.stable
    # with a Network: its own integer delays (rint(length / speed / dt) steps, TVB's rule) times dt, and
    # A0 + sum_k A_k is the delay-free Jacobian
    net = nmm.Network(small_connectome, coupling=cpl.Difference(), global_coupling=0.02, speed_m_per_s=3.0,
                      dt_ms=0.4)
    lin = delayed_linearization(model, net, state=[0.0, 0.0])
    conn = small_connectome.weights > 0
    np.testing.assert_allclose(lin.delay_matrix_ms[conn], (net.delay_steps * 0.4)[conn], atol=1e-12)
    np.testing.assert_allclose(lin.delays_ms, np.unique(np.rint(small_connectome.tract_lengths_mm[conn] / 3.0 / 0.4)
                                                        * 0.4), atol=1e-12)
    np.testing.assert_allclose(lin.jacobian, ns.jacobian, atol=1e-14)


@pytest.mark.slow
def test_linearization_sums_to_the_delay_free_jacobian_and_uses_simulator_delays():
    """Jansen-Rit (sigmoidal pre-synaptic coupling): A0 + sum_k A_k is the delay-free Jacobian, and the
    delays are the Network's integer steps times dt."""
    w = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [0.5, 0.2, 0.0]])
    lengths = np.array([[0.0, 30.0, 52.0], [30.0, 0.0, 21.0], [52.0, 21.0, 0.0]])
    con = nmm.Connectome(w, lengths, region_names=["a", "b", "c"])
    net = nmm.Network(con, coupling=cpl.SigmoidalJansenRit(), global_coupling=0.5, speed_m_per_s=3.0, dt_ms=0.4)
    jr = JansenRit.jansen_rit_1995(mu=0.1)
    x = np.asarray(jr.default_initial(), float)
    lin = delayed_linearization(jr, net, state=x)
    J = jacobian(jr, lin.state, network=net)
    np.testing.assert_allclose(lin.jacobian, J, atol=1e-12 * np.abs(J).max())
    np.testing.assert_allclose(lin.delay_matrix_ms, net.delay_steps * net.dt_ms, atol=1e-12)
    np.testing.assert_allclose(lin.delays_ms, np.unique(np.rint(lengths[w > 0] / 3.0 / 0.4) * 0.4))
    # each A_k only couples the (target, source) pairs with that delay: A_k[var, i; var', j] = 0 elsewhere
    nv, n = lin.state.shape
    for Ak, tk in zip(lin.delayed, lin.delays_ms):
        blocks = np.abs(Ak.reshape(nv, n, nv, n)).sum(axis=(0, 2))
        assert np.all(blocks[~np.isclose(lin.delay_matrix_ms, tk)] == 0)


def _hopf_pair(a, omega, G, W, tau):
    """Real 4x4 coefficients of two Stuart-Landau nodes at 0 with difference coupling, order (x1, x2, y1, y2)."""
    r = W.sum(axis=1)
    A0 = np.zeros((4, 4))
    for i in range(2):
        A0[i, i] = A0[2 + i, 2 + i] = a - G * r[i]
        A0[i, 2 + i], A0[2 + i, i] = -omega, omega
    mats = []
    for i, j in ((0, 1), (1, 0)):
        A = np.zeros((4, 4))
        A[i, j] = A[2 + i, 2 + j] = G * W[i, j]
        mats.append((A, tau[i, j]))
    return A0, mats


def test_two_nodes_against_a_direct_root_finder():
    a, omega, G = -0.02, 0.25, 0.05
    W = np.array([[0.0, 1.0], [0.6, 0.0]])
    tau = np.array([[0.0, 6.0], [10.0, 0.0]])
    ds = delayed_network_stability(Hopf(a=a, omega=omega), W, coupling=cpl.Difference(), global_coupling=G,
                                   delays_ms=tau, state=[0.0, 0.0], n_roots=16)
    A0, mats = _hopf_pair(a, omega, G, W, tau)

    def det(z):
        lam = z[0] + 1j * z[1]
        D = lam * np.eye(4) - A0 - sum(A * np.exp(-lam * t) for A, t in mats)
        d = np.linalg.det(D)
        return [d.real, d.imag]

    found = []
    for re in np.linspace(-0.3, 0.1, 5):
        for im in np.linspace(-1.2, 1.2, 13):
            z, info, ier, _ = fsolve(det, [re, im], full_output=True, xtol=1e-14)
            lam = z[0] + 1j * z[1]
            if ier == 1 and np.hypot(*det(z)) < 1e-12 and lam.real > -0.15 and abs(lam.imag) < 1.0:
                if not any(abs(lam - f) < 1e-7 for f in found):
                    found.append(lam)
    found = np.array(found)
    assert len(found) >= 4
    ours = ds.eigenvalues[(ds.eigenvalues.real > -0.14) & (np.abs(ds.eigenvalues.imag) < 0.99)]
    for lam in found:                   # every root the direct search found is among ours ...
        assert np.min(np.abs(ours - lam)) < 1e-8
    for lam in ours:                    # ... and ours are roots it finds
        assert np.min(np.abs(found - lam)) < 1e-8
    rightmost = found[np.argmax(found.real)]
    assert abs(ds.leading_eigenvalue.real - rightmost.real) < 1e-10


def _simulate_hopf_pair(a, omega, G, tau, T, dt):
    """Naive Heun integration of the linear complex DDE z_i' = (a + i w - G) z_i + G z_j(t - tau)."""
    m = int(round(tau / dt))
    n = int(round(T / dt))
    z = np.zeros((n + m + 1, 2), complex)
    z[: m + 1] = np.array([1.0, 0.3 + 0.2j])           # constant history
    c = a + 1j * omega - G

    def f(zz, zd):
        return c * zz + G * zd[::-1]

    for k in range(m, m + n):
        k1 = f(z[k], z[k - m])
        zp = z[k] + dt * k1
        z[k + 1] = z[k] + 0.5 * dt * (k1 + f(zp, z[k + 1 - m]))
    return np.abs(z[m:]).max(axis=1)


@pytest.mark.parametrize("G, tau", [(0.08, 5.0), (0.08, 9.0)])
def test_stability_verdict_matches_a_simulation(G, tau):
    """Delay-induced amplitude death of two Stuart-Landau oscillators (Reddy, Sen & Johnston 1998, PRL 80:5109):
    unstable without delays, stable for tau = 5 ms, unstable again for tau = 9 ms."""
    a, omega = 0.03, 0.3
    W = np.array([[0.0, 1.0], [1.0, 0.0]])
    ds = delayed_network_stability(Hopf(a=a, omega=omega), W, coupling=cpl.Difference(), global_coupling=G,
                                   delays_ms=tau * W, state=[0.0, 0.0])
    assert ds.delay_free_eigenvalues[0].real > 0
    T, dt = 1500.0, 0.01
    amp = _simulate_hopf_pair(a, omega, G, tau, T, dt)
    t = np.arange(len(amp)) * dt
    late = t > T / 2
    rate = np.polyfit(t[late], np.log(amp[late]), 1)[0]
    assert ds.stable == (rate < 0)
    # the envelope grows or decays at the rightmost root's real part (Heun, dt = 0.01 ms)
    assert abs(rate - ds.leading_eigenvalue.real) < 2e-3 * abs(ds.leading_eigenvalue.real) + 1e-5


def test_delay_errors_name_the_argument(small_connectome):
    with pytest.raises(ValueError, match=r"A0 must be a square"):
        characteristic_roots(np.zeros((2, 3)), np.zeros((1, 2, 2)), [1.0])
    with pytest.raises(ValueError, match=r"delayed must have shape \(n_delays, 2, 2\)"):
        characteristic_roots(np.zeros((2, 2)), np.zeros((1, 3, 3)), [1.0])
    with pytest.raises(ValueError, match=r"delays_ms must have shape \(1,\)"):
        characteristic_roots(np.zeros((2, 2)), np.zeros((1, 2, 2)), [1.0, 2.0])
    with pytest.raises(ValueError, match="delays_ms must be finite and >= 0"):
        characteristic_roots(np.zeros((2, 2)), np.zeros((1, 2, 2)), [-1.0])
    with pytest.raises(ValueError, match="speed_m_per_s is required for a Connectome"):
        delayed_network_stability(Hopf(), small_connectome, state=[0.0, 0.0])
    with pytest.raises(ValueError, match="a weight array has no tract lengths"):
        delayed_network_stability(Hopf(), small_connectome.weights, speed_m_per_s=3.0, state=[0.0, 0.0])
    with pytest.raises(ValueError, match=r"delays_ms must have shape \(5, 5\)"):
        delayed_network_stability(Hopf(), small_connectome.weights, delays_ms=np.zeros((4, 4)), state=[0.0, 0.0])
