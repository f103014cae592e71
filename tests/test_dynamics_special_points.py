"""Every special point the continuation API advertises, on normal forms with known analytic locations.

Equilibria: BP (pitchfork, transcritical), CP (cusp), BT (on a fold and on a Hopf curve), GH (Bautin).
Cycles: PD (a flow whose cycle's transverse plane turns by pi per period, so its multipliers are
``-exp(alpha T)``, ``-exp(beta T)``) and NS (a transverse plane turning by ``kappa T``: multipliers
``exp((alpha +- i kappa) T)``). The models are written in Cartesian coordinates, as a user would.
"""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
import pytest

from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.dynamics import continue_bifurcation, continue_equilibrium, continue_limit_cycle


@neural_mass
class Pitchfork(NeuralMass):
    """x' = mu x - x^3: pitchfork (branch point) of the trivial branch at mu = 0."""

    state_variables: ClassVar[tuple] = ("x",)
    coupled_variables: ClassVar[tuple] = ("x",)
    mu: float = -0.5

    def dfun(self, state, coupling):
        x = state[0]
        return (self.mu * x - x ** 3)[None]


@neural_mass
class Transcritical(NeuralMass):
    """x' = mu x - x^2: transcritical branch point at mu = 0 (exchange of stability)."""

    state_variables: ClassVar[tuple] = ("x",)
    coupled_variables: ClassVar[tuple] = ("x",)
    mu: float = -0.5

    def dfun(self, state, coupling):
        x = state[0]
        return (self.mu * x - x * x)[None]


@neural_mass
class Cusp(NeuralMass):
    """x' = a + b x - x^3: folds on (a, b) = (-2 x^3, 3 x^2), cusp at (0, 0) (Kuznetsov 2004, sec. 8.2)."""

    state_variables: ClassVar[tuple] = ("x",)
    coupled_variables: ClassVar[tuple] = ("x",)
    a: float = 0.0
    b: float = 1.0

    def dfun(self, state, coupling):
        x = state[0]
        return (self.a + self.b * x - x ** 3)[None]


@neural_mass
class BogdanovTakens(NeuralMass):
    """x' = y, y' = b1 + b2 x + x^2 - x y (Kuznetsov 2004, eq. 8.52).

    Fold curve b1 = b2^2 / 4 (x = -b2 / 2, second eigenvalue b2 / 2); Hopf curve b1 = 0, b2 < 0
    (x = 0, omega = sqrt(-b2)); both end at the Bogdanov-Takens point (b1, b2) = (0, 0).
    """

    state_variables: ClassVar[tuple] = ("x", "y")
    coupled_variables: ClassVar[tuple] = ("x",)
    b1: float = 0.0
    b2: float = -1.0

    def dfun(self, state, coupling):
        x, y = state
        return jnp.stack([y, self.b1 + self.b2 * x + x * x - x * y])


@neural_mass
class Bautin(NeuralMass):
    """z' = (b1 + i w) z + b2 |z|^2 z - |z|^4 z, i.e. r' = b1 r + b2 r^3 - r^5 (Kuznetsov 2004, sec. 8.3).

    Hopf curve b1 = 0 with first Lyapunov coefficient l1 = 2 b2 / w (|q| = 1): generalised Hopf at b2 = 0.
    """

    state_variables: ClassVar[tuple] = ("x", "y")
    coupled_variables: ClassVar[tuple] = ("x",)
    b1: float = -0.5
    b2: float = -1.0
    omega: float = 1.0

    def dfun(self, state, coupling):
        x, y = state
        r2 = x * x + y * y
        g = self.b1 + self.b2 * r2 - r2 * r2
        return jnp.stack([g * x - self.omega * y, g * y + self.omega * x])


def _polar(x, y):
    r = jnp.sqrt(x * x + y * y)
    return r, x / r, y / r, r - 1.0


def _lift(drho, dz, r, c, s, omega):
    """Cartesian field of theta' = omega, r' = drho, z' = dz."""
    return jnp.stack([drho * c - r * omega * s, drho * s + r * omega * c, dz])


@neural_mass
class Flip(NeuralMass):
    """A cycle r = 1, z = 0 of period 2 pi / omega whose transverse plane (rho = r - 1, z) turns by pi.

    In the frame rotating with theta / 2 the transverse dynamics is ``v' = diag(alpha, beta) v - |v|^2 v``;
    in the fixed frame ``w = R(theta / 2) v``: ``w' = [m I + d R2(theta)] w + (omega / 2) J w - |w|^2 w`` with
    ``m = (alpha + beta) / 2``, ``d = (alpha - beta) / 2``, ``R2 = [[cos, sin], [sin, -cos]]`` (smooth in x, y).
    After one period ``v -> -v``: Floquet multipliers ``1, -exp(alpha T), -exp(beta T)``, a (supercritical)
    period doubling at alpha = 0.
    """

    state_variables: ClassVar[tuple] = ("x", "y", "z")
    coupled_variables: ClassVar[tuple] = ("x",)
    alpha: float = -0.05
    beta: float = -0.1
    omega: float = 0.5

    def dfun(self, state, coupling):
        x, y, z = state
        r, c, s, rho = _polar(x, y)
        m, d = 0.5 * (self.alpha + self.beta), 0.5 * (self.alpha - self.beta)
        n2 = rho * rho + z * z
        drho = m * rho + d * (c * rho + s * z) - 0.5 * self.omega * z - n2 * rho
        dz = m * z + d * (s * rho - c * z) + 0.5 * self.omega * rho - n2 * z
        return _lift(drho, dz, r, c, s, self.omega)

    def default_initial(self):
        return np.array([1.0, 0.0, 0.0])


@neural_mass
class Torus(NeuralMass):
    """Cycle r = 1, z = 0 with transverse dynamics ``w' = (alpha + i kappa) w - |w|^2 w`` (w = rho + i z).

    Floquet multipliers ``1, exp((alpha +- i kappa) T)``: a (supercritical) Neimark-Sacker bifurcation at
    alpha = 0 with rotation angle ``kappa T`` (Kuznetsov 2004, sec. 4.7 / 7.4, the normal form in a cycle's
    neighbourhood).
    """

    state_variables: ClassVar[tuple] = ("x", "y", "z")
    coupled_variables: ClassVar[tuple] = ("x",)
    alpha: float = -0.05
    kappa: float = 0.17
    omega: float = 0.5

    def dfun(self, state, coupling):
        x, y, z = state
        r, c, s, rho = _polar(x, y)
        n2 = rho * rho + z * z
        drho = self.alpha * rho - self.kappa * z - n2 * rho
        dz = self.alpha * z + self.kappa * rho - n2 * z
        return _lift(drho, dz, r, c, s, self.omega)

    def default_initial(self):
        return np.array([1.0, 0.0, 0.0])


@pytest.mark.parametrize("model", [Pitchfork(mu=-0.5), Transcritical(mu=-0.5)])
def test_branch_point_at_zero(model):
    br = continue_equilibrium(model, "mu", param_range=(-1.0, 1.0), start=[0.0])
    (bp,) = br.points("BP")
    assert abs(bp.param) < 1e-8                          # analytic: mu = 0 (tolerance: Illinois xtol)
    assert abs(bp.state[0, 0]) < 1e-10                   # on the trivial branch
    assert br.points("LP") == () and br.points("H") == ()
    # exchange of stability on the trivial branch x = 0: stable for mu < 0
    np.testing.assert_array_equal(br.stable, br.params < 0)


def test_cusp_on_fold_locus():
    br = continue_equilibrium(Cusp(a=0.0, b=1.0), "a", param_range=(-2.0, 2.0), start=[1.0])
    lps = sorted(sp.param for sp in br.points("LP"))
    np.testing.assert_allclose(lps, [-2 / 3 ** 1.5, 2 / 3 ** 1.5], atol=1e-9)   # a = -+2 (b/3)^(3/2), b = 1
    lp = br.points("LP")[0]
    loc = continue_bifurcation(br, lp, "b", param_range=(-3.0, 3.0), param2_range=(-0.5, 2.0), max_steps=200)
    a, b = loc.values.T
    x = loc.states[:, 0, 0]
    np.testing.assert_allclose(a, -2 * x ** 3, atol=1e-9)
    np.testing.assert_allclose(b, 3 * x ** 2, atol=1e-9)
    (cp,) = loc.special_points
    assert loc.points("CP") == (cp,) and loc.points("BT") == ()
    assert cp.label == "CP"
    np.testing.assert_allclose(cp.param, [0.0, 0.0], atol=1e-8)       # analytic cusp (a, b) = (0, 0)
    assert abs(cp.state[0, 0]) < 1e-6


def test_bogdanov_takens_on_fold_and_hopf_curves():
    br = continue_equilibrium(BogdanovTakens(b1=-0.5, b2=-1.0), "b1", param_range=(-0.9, 0.9), start=[0.7, 0.0])
    (lp,) = br.points("LP")
    (h,) = br.points("H")
    assert abs(lp.param - 0.25) < 1e-9 and abs(h.param) < 1e-9     # b1 = b2^2 / 4 and b1 = 0 at b2 = -1
    assert abs(h.data["omega"] - 1.0) < 1e-9
    # fold curve b1 = b2^2 / 4 through the BT point
    fold = continue_bifurcation(br, lp, "b2", param_range=(-3, 3), param2_range=(-1.5, 1.5), max_steps=200)
    np.testing.assert_allclose(fold.values[:, 0], fold.values[:, 1] ** 2 / 4, atol=1e-9)
    (bt,) = fold.special_points
    assert bt.label == "BT"
    np.testing.assert_allclose(bt.param, [0.0, 0.0], atol=1e-8)
    np.testing.assert_allclose(bt.data["eigenvalues"], 0.0, atol=1e-4)   # double zero (Jordan block: sqrt)
    # Hopf curve b1 = 0, omega = sqrt(-b2), ending at the BT point
    hopf = continue_bifurcation(br, h, "b2", param_range=(-3, 3), param2_range=(-1.5, 1.5), max_steps=200)
    np.testing.assert_allclose(hopf.values[:, 0], 0.0, atol=1e-9)
    ok = hopf.values[:, 1] < -1e-3
    np.testing.assert_allclose(hopf.omega[ok], np.sqrt(-hopf.values[ok, 1]), rtol=1e-8)
    (bt2,) = hopf.special_points
    assert bt2.label == "BT" and "Bogdanov" in hopf.stop_reason
    np.testing.assert_allclose(bt2.param, [0.0, 0.0], atol=1e-8)


def test_generalised_hopf_bautin():
    omega = 1.0
    br = continue_equilibrium(Bautin(b1=-0.5, b2=-1.0, omega=omega), "b1", param_range=(-1, 1), start=[0.0, 0.0])
    (h,) = br.points("H")
    assert abs(h.param) < 1e-10 and abs(h.data["l1"] - 2 * (-1.0) / omega) < 1e-8
    loc = continue_bifurcation(br, h, "b2", param_range=(-1, 1), param2_range=(-1.5, 1.5), max_steps=200)
    b1, b2 = loc.values.T
    np.testing.assert_allclose(b1, 0.0, atol=1e-12)
    np.testing.assert_allclose(loc.l1, 2 * b2 / omega, atol=1e-8)     # l1 = 2 b2 / w with |q| = 1
    (gh,) = loc.special_points
    assert gh.label == "GH"
    np.testing.assert_allclose(gh.param, [0.0, 0.0], atol=1e-8)


# location tolerance: RK4 shooting with 100 steps per period perturbs the multipliers by ~1e-7 relative,
# so alpha_PD by ~1e-7 / T; Gauss collocation (20 x 4) is superconvergent, O(h^8), at the mesh points
_CYCLE_METHODS = {"shooting": dict(n_steps=100), "collocation": dict(n_intervals=20, degree=4)}
_TOL = {"shooting": 1e-6, "collocation": 1e-10}


@pytest.mark.parametrize("method", [pytest.param("shooting", marks=pytest.mark.slow), "collocation"])
def test_period_doubling_of_a_cycle(method):
    omega = 0.5
    T = 2 * np.pi / omega
    cb = continue_limit_cycle(Flip(alpha=-0.04, omega=omega), param="alpha", param_range=(-0.05, 0.03),
                              start=[1.0, 0.0, 0.0], period_ms=T, max_steps=30, max_step=0.2, method=method,
                              **_CYCLE_METHODS[method])
    np.testing.assert_allclose(cb.periods_ms, T, rtol=1e-6)   # RK4 phase error ~(h omega)^4 / 120 per step
    (pd,) = cb.points("PD")
    assert abs(pd.param) < _TOL[method]                      # analytic: alpha = 0
    mu = pd.data["multipliers"]
    assert np.min(np.abs(mu + 1.0)) < 1e-5                   # a multiplier at -1
    expected = np.array([1.0, -np.exp(cb.params[0] * T), -np.exp(-0.1 * T)])
    np.testing.assert_allclose(np.sort(cb.multipliers[0].real), np.sort(expected), atol=1e-5)
    assert cb.stable[0] and not cb.stable[-1] and cb.params[-1] > 0
    assert cb.points("NS") == ()


@pytest.mark.parametrize("method", [pytest.param("shooting", marks=pytest.mark.slow), "collocation"])
def test_neimark_sacker_of_a_cycle(method):
    omega, kappa = 0.5, 0.17
    T = 2 * np.pi / omega
    cb = continue_limit_cycle(Torus(alpha=-0.04, kappa=kappa, omega=omega), param="alpha",
                              param_range=(-0.05, 0.03), start=[1.0, 0.0, 0.0], period_ms=T, max_steps=30,
                              max_step=0.2, method=method, **_CYCLE_METHODS[method])
    (ns,) = cb.points("NS")
    assert abs(ns.param) < _TOL[method]   # analytic: alpha = 0
    mu = ns.data["multipliers"]
    pair = mu[np.abs(mu.imag) > 1e-6]
    np.testing.assert_allclose(np.abs(pair), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.sort(np.abs(np.angle(pair))), [kappa * T, kappa * T], atol=1e-5)
    assert cb.points("PD") == ()
    assert cb.stable[0] and not cb.stable[-1]
