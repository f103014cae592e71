"""Integrator choices made explicit: TVB's once-per-step coupling and predictor clamping, against hand loops."""

import jax.numpy as jnp
import numpy as np
import pytest

import mne_nmm as nmm
from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.core.models.hopf import Hopf
from mne_nmm.monitors import Subsample


def _hopf_dfun(x, y, cx, cy, a, w):
    r2 = x * x + y * y
    return (a - r2) * x - w * y + cx, (a - r2) * y + w * x + cy


def _reference_heun(net, x0, n_steps, dt, a, w, once):
    """Heun on a Hopf network with difference coupling, float64; ``once``: coupling at the step start only."""
    W, D, G = np.asarray(net.weights), np.asarray(net.delay_steps), net.global_coupling
    n = W.shape[0]
    hx, hy = [x0[0].copy()], [x0[1].copy()]
    x, y = x0[0].copy(), x0[1].copy()
    rows = W.sum(1)

    def delayed(h, m):
        return np.array([sum(W[i, j] * h[max(m - D[i, j], 0)][j] for j in range(n) if W[i, j] != 0)
                         for i in range(n)])

    out = []
    for m in range(n_steps):
        sx0, sy0 = delayed(hx, m), delayed(hy, m)
        sx1, sy1 = delayed(hx, m + 1), delayed(hy, m + 1)      # every delay >= 1: steps <= m only
        cx0, cy0 = G * (sx0 - rows * x), G * (sy0 - rows * y)
        k1 = _hopf_dfun(x, y, cx0, cy0, a, w)
        xp, yp = x + dt * k1[0], y + dt * k1[1]
        if once:
            cx1, cy1 = cx0, cy0
        else:
            cx1, cy1 = G * (sx1 - rows * xp), G * (sy1 - rows * yp)
        k2 = _hopf_dfun(xp, yp, cx1, cy1, a, w)
        x, y = x + 0.5 * dt * (k1[0] + k2[0]), y + 0.5 * dt * (k1[1] + k2[1])
        hx.append(x.copy())
        hy.append(y.copy())
        out.append(x.copy())
    return np.array(out)


@pytest.mark.parametrize("rule", ["stages", "once"])
def test_heun_coupling_rule_matches_its_hand_loop(small_connectome, rule):
    net = nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), global_coupling=0.5, dt_ms=0.5,
                      speed_m_per_s=5.0)
    model = Hopf(a=0.05, omega=0.3)
    x0 = model.initial_state(5, rng=3)
    n_steps = 120
    res = nmm.simulate(net, model, duration_ms=n_steps * 0.5, integrator=nmm.Heun(coupling=rule), initial_state=x0,
                       monitors=[Subsample(0.5, variables="x")])
    got = res["subsample"].data[:, 0]
    ref = _reference_heun(net, x0, n_steps, 0.5, 0.05, 0.3, once=rule == "once")
    other = _reference_heun(net, x0, n_steps, 0.5, 0.05, 0.3, once=rule != "once")
    err = np.abs(got - ref).max()
    assert err < 2e-4, err
    assert np.abs(got - other).max() > 20 * err        # the two rules really differ at this step size


@neural_mass
class Relax(NeuralMass):
    """dx/dt = k (target - x), bounded to [0, 1]."""

    state_variables = ("x",)
    coupled_variables = ("x",)
    state_bounds = {"x": (0.0, 1.0)}
    k: float = 1.5
    target: float = 1.8

    def dfun(self, s, c):
        return jnp.stack([self.k * (self.target - s[0]) + c[0]])


@pytest.mark.parametrize("clamp", ["step", "stages"])
def test_bounds_clamp_rule_matches_its_hand_loop(clamp):
    net = nmm.Network(nmm.Connectome(np.zeros((1, 1))), coupling=nmm.coupling.Linear(), dt_ms=0.5)
    x, dt, k, tgt = 0.2, 0.5, 1.5, 1.8
    ref = []
    for _ in range(8):
        k1 = k * (tgt - x)
        xp = x + dt * k1
        if clamp == "stages":
            xp = min(max(xp, 0.0), 1.0)
        x = min(max(x + 0.5 * dt * (k1 + k * (tgt - xp)), 0.0), 1.0)
        ref.append(x)
    res = nmm.simulate(net, Relax(), duration_ms=4.0, integrator=nmm.Heun(clamp=clamp), initial_state=[0.2],
                       monitors=[Subsample(0.5)])
    np.testing.assert_allclose(res["subsample"].data[:, 0, 0], ref, rtol=1e-6)


def test_integrator_options_are_validated_and_compiled_apart():
    with pytest.raises(ValueError, match="coupling must be one of"):
        nmm.Heun(coupling="sometimes")
    with pytest.raises(ValueError, match="clamp must be one of"):
        nmm.StochasticHeun(clamp="never")
    assert nmm.Heun() == nmm.Heun() and nmm.Heun(coupling="once") != nmm.Heun()
    assert repr(nmm.Heun(coupling="once")) == "Heun(coupling='once')"
