"""Periodic orbits by orthogonal collocation against the Stuart-Landau closed form and the shooting method."""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from mne_nmm.core.models import Hopf, JansenRit
from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.dynamics import continue_equilibrium, continue_limit_cycle, find_limit_cycle
from mne_nmm.dynamics._collocation import _lagrange


def test_collocation_basis_is_exact_on_polynomials():
    """Lagrange values / derivatives at the Gauss points reproduce x^k and k x^(k-1) for k <= m."""
    nodes = np.linspace(0, 1, 5)
    z = 0.5 * (np.polynomial.legendre.leggauss(4)[0] + 1)
    L, D = _lagrange(nodes, z)
    for k in range(5):
        np.testing.assert_allclose(L @ nodes ** k, z ** k, atol=1e-13)
        np.testing.assert_allclose(D @ nodes ** k, k * z ** max(k - 1, 0), atol=1e-11)


def test_stuart_landau_cycles_by_collocation():
    omega = 0.3
    br = continue_equilibrium(Hopf(a=-0.5, omega=omega), "a", param_range=(-1.0, 1.0), start=[0.0, 0.0])
    cyc = continue_limit_cycle(br, param_range=(-1.0, 0.6), max_steps=40, method="collocation", n_intervals=20,
                               degree=4)
    a = cyc.params
    assert a.max() > 0.5 and np.all(a > 0) and "param_range" in cyc.stop_reason
    # radius sqrt(a) (the orbit is the circle: every sample, not only the maximum) and period 2 pi / omega
    r = np.hypot(cyc.orbits[:, :, 0, 0], cyc.orbits[:, :, 1, 0])
    np.testing.assert_allclose(r, np.broadcast_to(np.sqrt(a)[:, None], r.shape), rtol=1e-7)
    np.testing.assert_allclose(cyc.periods_ms, 2 * np.pi / omega, rtol=1e-9)
    # Floquet multipliers from the collocation monodromy: 1 and exp(-2 a T)
    np.testing.assert_allclose(np.abs(cyc.trivial_multiplier - 1.0), 0.0, atol=1e-9)
    other = np.array([np.delete(m, np.argmin(np.abs(m - 1)))[0] for m in cyc.multipliers])
    np.testing.assert_allclose(other.real, np.exp(-2 * a * cyc.periods_ms), rtol=1e-6, atol=1e-12)
    assert np.all(cyc.stable)


@neural_mass
class VanDerPol(NeuralMass):
    """x' = y, y' = mu (1 - x^2) y - x (van der Pol 1926)."""

    state_variables: ClassVar[tuple] = ("x", "y")
    coupled_variables: ClassVar[tuple] = ("x",)
    mu: float = 1.0

    def dfun(self, state, coupling):
        x, y = state
        return jnp.stack([y, self.mu * (1 - x * x) * y - x])

    def default_initial(self):
        return np.array([2.0, 0.0])


def _vdp_reference(mu):
    """Period and non-trivial multiplier of the van der Pol cycle by scipy's DOP853 (rtol 1e-12).

    The multiplier follows from Liouville's formula: the product of the multipliers is
    ``exp(int_0^T trace(df/dx) dt) = exp(int_0^T mu (1 - x^2) dt)`` and the trivial one is 1.
    """
    def rhs(t, z):
        return [z[1], mu * (1 - z[0] ** 2) * z[1] - z[0], mu * (1 - z[0] ** 2)]

    def up(t, z):
        return z[0]

    up.direction = 1
    sol = solve_ivp(rhs, (0.0, 120.0), [2.0, 0.0, 0.0], method="DOP853", rtol=1e-12, atol=1e-12, events=up,
                    dense_output=True)
    t0, t1 = sol.t_events[0][-2:]
    return t1 - t0, np.exp(sol.sol(t1)[2] - sol.sol(t0)[2])


def test_van_der_pol_period_and_multiplier_by_collocation():
    T_ref, mu2_ref = _vdp_reference(1.0)
    assert abs(T_ref - 6.663286859323) < 1e-8           # the classical value (e.g. Buonomo 1998, SIAM J Appl Math)
    x, T = find_limit_cycle(VanDerPol(), duration_ms=100.0, dt_ms=0.01, method="collocation")
    assert abs(T - T_ref) < 1e-8 * T_ref
    cb = continue_limit_cycle(VanDerPol(), param="mu", param_range=(0.9, 1.1), start=x, period_ms=T, max_steps=1,
                              method="collocation")
    mu = cb.multipliers[0]
    assert abs(cb.trivial_multiplier[0] - 1) < 1e-9
    assert abs(mu[np.argmin(np.abs(mu - mu2_ref))] - mu2_ref) < 1e-6 * mu2_ref
    # on the cycle: the amplitude of x is the classical 2.0086 (mu = 1)
    assert abs(cb.maxima[0, 0, 0] - 2.00862) < 1e-4


@pytest.mark.slow
def test_collocation_agrees_with_shooting_on_jansen_rit_alpha_cycle():
    jr = JansenRit.jansen_rit_1995(mu=0.2)
    found = {}
    for method in ("shooting", "collocation"):
        x, period = find_limit_cycle(jr, duration_ms=2000.0, dt_ms=0.1, method=method)
        cb = continue_limit_cycle(jr, param="mu", param_range=(0.15, 0.25), start=x, period_ms=period, max_steps=1,
                                  method=method)
        found[method] = (period, cb.multipliers[0], cb.amplitude("y1")[0], cb.trivial_multiplier[0])
    (T_s, mu_s, amp_s, tr_s), (T_c, mu_c, amp_c, tr_c) = found["shooting"], found["collocation"]
    assert 80.0 < T_s < 105.0                             # an alpha cycle (9.5-12.5 Hz)
    # two independent discretisations (RK4, 200 steps; Gauss collocation, 40 x 4): periods agree to 1e-8
    assert abs(T_c - T_s) < 1e-8 * T_s
    assert abs(tr_c - 1) < 1e-8 and abs(tr_s - 1) < 1e-8
    np.testing.assert_allclose(np.sort(np.abs(mu_c))[::-1][:3], np.sort(np.abs(mu_s))[::-1][:3], rtol=1e-6,
                               atol=1e-9)
    amp = {"shooting": amp_s, "collocation": amp_c}
    assert abs(amp["collocation"] - amp["shooting"]) < 1e-4 * amp["shooting"]  # extremes on different grids


def test_collocation_errors_name_the_argument():
    br = continue_equilibrium(Hopf(a=-0.5, omega=0.3), "a", param_range=(-1.0, 1.0), start=[0.0, 0.0],
                              max_steps=20)
    with pytest.raises(ValueError, match="method"):
        continue_limit_cycle(br, method="spline")
    with pytest.raises(ValueError, match="degree must be between 1 and 7"):
        continue_limit_cycle(br, method="collocation", degree=9)
    with pytest.raises(ValueError, match="n_intervals"):
        find_limit_cycle(Hopf(a=0.1), method="collocation", n_intervals=2)
