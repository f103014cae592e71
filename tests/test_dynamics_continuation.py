"""Equilibria, continuation, normal forms and limit cycles against analytic and published results."""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
import pytest

from mne_nmm.core.models import Hopf, JansenRit, Linear, MontbrioPazoRoxin
from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.core import coupling as cpl
from mne_nmm.dynamics import (continue_bifurcation, continue_equilibrium, continue_limit_cycle, find_equilibria,
                              jacobian)


@neural_mass
class SaddleNode(NeuralMass):
    """x' = mu + b x - x^2: fold at mu = -b^2 / 4, x = b / 2."""

    state_variables: ClassVar[tuple] = ("x",)
    coupled_variables: ClassVar[tuple] = ("x",)
    mu: float = 1.0
    b: float = 0.0

    def dfun(self, state, coupling):
        x = state[0]
        return (self.mu + self.b * x - x * x + coupling[0])[None]

    def default_initial(self):
        return np.array([1.0])


@neural_mass
class SubHopf(NeuralMass):
    """Subcritical Hopf normal form z' = (a + i w) z + |z|^2 z."""

    state_variables: ClassVar[tuple] = ("x", "y")
    coupled_variables: ClassVar[tuple] = ("x",)
    a: float = -0.5
    omega: float = 0.4

    def dfun(self, state, coupling):
        x, y = state
        r2 = x * x + y * y
        return jnp.stack([(self.a + r2) * x - self.omega * y, (self.a + r2) * y + self.omega * x])


@neural_mass
class Brusselator(NeuralMass):
    """x' = A - (B + 1) x + x^2 y, y' = B x - x^2 y: Hopf at B = 1 + A^2 (fixed point (A, B/A))."""

    state_variables: ClassVar[tuple] = ("x", "y")
    coupled_variables: ClassVar[tuple] = ("x",)
    A: float = 1.0
    B: float = 1.5

    def dfun(self, state, coupling):
        x, y = state
        return jnp.stack([self.A - (self.B + 1) * x + x * x * y, self.B * x - x * x * y])

    def default_initial(self):
        return np.array([1.0, 1.5])


def test_saddle_node_fold_at_zero():
    br = continue_equilibrium(SaddleNode(mu=1.0), "mu", param_range=(-1.0, 2.0), start=[1.0])
    (lp,) = br.points("LP")
    assert abs(lp.param) < 1e-9
    assert abs(lp.state[0, 0]) < 1e-5
    # normal form u' = b mu + a u^2 with |q| = 1: |a| = |b| = 1 (x' = mu - x^2)
    assert abs(abs(lp.data["a"]) - 1.0) < 1e-6 and abs(abs(lp.data["b"]) - 1.0) < 1e-6
    # the x > 0 half of the parabola x = sqrt(mu) is stable, x < 0 unstable
    x = br.states[:, 0, 0]
    np.testing.assert_allclose(x ** 2, br.params, atol=1e-8)
    assert np.all(br.stable[x > 1e-3]) and not np.any(br.stable[x < -1e-3])
    assert br.points("H") == () and br.points("BP") == ()


def test_stuart_landau_hopf_and_lyapunov_sign():
    omega = 0.3
    br = continue_equilibrium(Hopf(a=-0.5, omega=omega), "a", param_range=(-1.0, 1.0), start=[0.0, 0.0])
    (h,) = br.points("H")
    assert abs(h.param) < 1e-10
    assert abs(h.data["omega"] - omega) < 1e-10
    # Kuznetsov (2004) eq. 3.20 with |q| = 1 for z' = (a + i w) z + c |z|^2 z gives l1 = 2 Re(c) / w
    assert abs(h.data["l1"] - (-2.0 / omega)) < 1e-8
    assert h.data["kind"] == "supercritical"
    np.testing.assert_allclose(br.eigenvalues[:, 0].real, br.params, atol=1e-10)


def test_subcritical_normal_form_has_positive_l1():
    omega = 0.4
    br = continue_equilibrium(SubHopf(a=-0.5, omega=omega), "a", param_range=(-1.0, 1.0), start=[0.0, 0.0])
    (h,) = br.points("H")
    assert abs(h.param) < 1e-10
    assert h.data["l1"] > 0 and h.data["kind"] == "subcritical"
    assert abs(h.data["l1"] - 2.0 / omega) < 1e-8


def _jr_mu_of_v(model, v):
    """Closed-form equilibrium curve of Jansen-Rit: the input mu at which v = y1 - y2 is an equilibrium."""
    A, B, a, b, J = model.A, model.B, model.a, model.b, model.J
    S = lambda u: 2 * model.nu_max / (1 + np.exp(model.r * (model.v0 - u)))  # noqa: E731
    y0 = A / a * S(v)
    y2 = B / b * model.a_4 * J * S(model.a_3 * J * y0)
    y1 = v + y2
    return a / A * y1 - model.a_2 * J * S(model.a_1 * J * y0)


def test_jansen_rit_hopf_points_grimbert_faugeras():
    """Hopf points at mu = 89.83 and 315.70 Hz (Grimbert & Faugeras 2006, Jansen & Rit's v0 = 6 mV)."""
    jr = JansenRit.jansen_rit_1995(mu=0.0)
    assert jr.a == 0.1 and jr.b == 0.05 and jr.nu_max == 0.0025 and jr.v0 == 6.0 and jr.r == 0.56  # their units: /ms
    br = continue_equilibrium(jr, "mu", param_range=(-0.1, 0.45))
    hopf = sorted(sp.param for sp in br.points("H"))
    assert any(abs(h - 0.08983) < 2e-4 for h in hopf), hopf
    assert any(abs(h - 0.31570) < 2e-4 for h in hopf), hopf
    # both alpha-range Hopf points are supercritical with ~10-11 Hz
    for sp in br.points("H"):
        if sp.param > 0.05:
            assert sp.data["l1"] < 0 and 9.0 < sp.data["frequency_hz"] < 12.5
    # folds where the closed-form equilibrium curve mu(v) turns back
    v = np.linspace(-20, 20, 400001)
    mu = _jr_mu_of_v(jr, v)
    turns = mu[1:-1][np.diff(np.sign(np.diff(mu))) != 0]
    lps = sorted(sp.param for sp in br.points("LP"))
    assert len(lps) == len(turns) == 2
    np.testing.assert_allclose(lps, np.sort(turns), atol=1e-6)
    # every branch point satisfies the closed form
    v_br = br.variable("y1") - br.variable("y2")
    np.testing.assert_allclose(_jr_mu_of_v(jr, v_br), br.params, atol=1e-8)


def test_mpr_fixed_points_and_folds_closed_form():
    m = MontbrioPazoRoxin()  # tau = 1, Delta = 1, J = 15, eta = -5 (bistable)
    eq = find_equilibria(m, n_starts=48)
    D, J, eta = 1.0, 15.0, -5.0
    roots = np.roots([np.pi ** 2, -J, -eta, 0.0, -D ** 2 / (4 * np.pi ** 2)])
    r = np.sort(roots[(np.abs(roots.imag) < 1e-12) & (roots.real > 0)].real)
    np.testing.assert_allclose(eq.variable("r"), r, rtol=1e-9)
    np.testing.assert_allclose(eq.variable("V"), -D / (2 * np.pi * r), rtol=1e-9)
    assert eq.kinds[0] == "stable node" and eq.kinds[1] == "saddle" and eq.stable[2]
    # folds of eta(r) = pi^2 r^2 - J r - Delta^2 / (4 pi^2 r^2): d eta / dr = 0
    crit = np.roots([2 * np.pi ** 2, -J, 0.0, 0.0, D ** 2 / (2 * np.pi ** 2)])
    crit = crit[(np.abs(crit.imag) < 1e-12) & (crit.real > 0)].real
    eta_lp = np.sort(np.pi ** 2 * crit ** 2 - J * crit - D ** 2 / (4 * np.pi ** 2 * crit ** 2))
    br = continue_equilibrium(m, "eta", param_range=(-8.0, 0.0), start=eq.states[0])
    np.testing.assert_allclose(sorted(sp.param for sp in br.points("LP")), eta_lp, atol=1e-7)


def test_stuart_landau_cycle_radius_period_and_floquet():
    omega = 0.3
    br = continue_equilibrium(Hopf(a=-0.5, omega=omega), "a", param_range=(-1.0, 1.0), start=[0.0, 0.0])
    cyc = continue_limit_cycle(br, param_range=(-1.0, 0.6), max_steps=40)
    a = cyc.params
    assert a.max() > 0.5 and np.all(a > 0)
    np.testing.assert_allclose(cyc.maxima[:, 0, 0], np.sqrt(a), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(cyc.periods_ms, 2 * np.pi / omega, rtol=1e-7)  # RK4, 200 steps per period
    np.testing.assert_allclose(np.abs(cyc.trivial_multiplier - 1.0), 0.0, atol=1e-9)
    radial = np.array([m[np.argmin(np.abs(m - 1))] for m in cyc.multipliers])  # trivial
    other = np.array([np.delete(m, np.argmin(np.abs(m - 1)))[0] for m in cyc.multipliers])
    np.testing.assert_allclose(other.real, np.exp(-2 * a * cyc.periods_ms), rtol=1e-5, atol=1e-12)
    assert np.all(np.abs(radial - 1) < 1e-9)
    assert np.all(cyc.stable)


def test_fold_locus_two_parameters():
    br = continue_equilibrium(SaddleNode(mu=1.0, b=0.5), "mu", param_range=(-2.0, 2.0), start=[1.25])
    (lp,) = br.points("LP")
    assert abs(lp.param + 0.25 ** 2) < 1e-9
    loc = continue_bifurcation(br, lp, "b", param_range=(-3.0, 3.0), param2_range=(-2.0, 2.0), max_steps=100)
    mu, b = loc.values.T
    assert b.min() < -1.5 and b.max() > 1.5
    np.testing.assert_allclose(mu, -b ** 2 / 4, atol=1e-9)
    np.testing.assert_allclose(loc.states[:, 0, 0], b / 2, atol=1e-7)


def test_hopf_locus_brusselator():
    br = continue_equilibrium(Brusselator(A=1.0, B=1.5), "B", param_range=(1.0, 3.0), start=[1.0, 1.5])
    (h,) = br.points("H")
    assert abs(h.param - 2.0) < 1e-9  # B_H = 1 + A^2
    assert abs(h.data["omega"] - 1.0) < 1e-9  # omega = A
    loc = continue_bifurcation(br, h, "A", param_range=(0.0, 10.0), param2_range=(0.5, 2.0), max_steps=100)
    B, A = loc.values.T
    assert A.min() < 0.6 and A.max() > 1.9
    np.testing.assert_allclose(B, 1 + A ** 2, rtol=1e-9)
    np.testing.assert_allclose(loc.omega, A, rtol=1e-9)


def test_network_equilibrium_and_jacobian_linear(small_connectome):
    w = small_connectome.weights
    G, gamma = 0.3, -1.0
    eq = find_equilibria(Linear(gamma=gamma), network=w, coupling=cpl.Linear(), global_coupling=G, n_starts=4)
    assert len(eq) == 1 and np.allclose(eq.states, 0.0, atol=1e-12)
    expected = np.sort_complex(gamma + G * np.linalg.eigvals(w))
    np.testing.assert_allclose(np.sort_complex(eq.eigenvalues[0]), expected, atol=1e-10)
    J = jacobian(Linear(gamma=gamma), np.zeros(1), network=w, coupling=cpl.Linear(), global_coupling=G)
    np.testing.assert_allclose(J, gamma * np.eye(5) + G * w, atol=1e-12)


def test_network_hopf_difference_coupling_eigenvalues(small_connectome):
    """Eigenvalues of diffusively coupled Stuart-Landau nodes: a ± i w + G * eig(W - diag(rowsum))."""
    w = small_connectome.weights
    a, omega, G = -0.2, 0.5, 0.1
    J = jacobian(Hopf(a=a, omega=omega), np.zeros(2), network=w, coupling=cpl.Difference(), global_coupling=G)
    lap = np.linalg.eigvals(w - np.diag(w.sum(1)))
    expected = np.concatenate([a + 1j * omega + G * lap, a - 1j * omega + G * lap])
    got = np.linalg.eigvals(J)
    for e in expected:
        assert np.min(np.abs(got - e)) < 1e-9


def test_continuation_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"param must be one of model.parameters\(\).*got 'foo'"):
        continue_equilibrium(Hopf(), "foo", param_range=(0, 1))
    with pytest.raises(ValueError, match="param_range"):
        continue_equilibrium(Hopf(a=-0.5), "a", param_range=(1, 0))
    with pytest.raises(ValueError, match="inside param_range"):
        continue_equilibrium(Hopf(a=-0.5), "a", param_range=(0, 1))
    with pytest.raises(TypeError, match="model must be an instance of"):
        find_equilibria("hopf")


def test_dynamics_does_not_change_jax_config():
    import jax

    before = jax.config.jax_enable_x64
    continue_equilibrium(SaddleNode(mu=1.0), "mu", param_range=(0.5, 2.0), start=[1.0], max_steps=3)
    assert jax.config.jax_enable_x64 == before


@pytest.mark.slow
def test_jansen_rit_alpha_cycles_join_the_two_hopf_points():
    jr = JansenRit.jansen_rit_1995(mu=0.0)
    br = continue_equilibrium(jr, "mu", param_range=(-0.1, 0.45))
    h1 = min(br.points("H"), key=lambda sp: abs(sp.param - 0.0898))
    cyc = continue_limit_cycle(br, point=h1, param_range=(0.0, 0.45), max_steps=200)
    assert "Hopf" in cyc.stop_reason
    assert abs(cyc.params[-1] - 0.3157) < 2e-3
    assert np.all(np.abs(cyc.trivial_multiplier - 1) < 1e-6)
    assert np.all(cyc.stable)
    assert 9.0 < cyc.frequencies_hz.min() and cyc.frequencies_hz.max() < 12.0
