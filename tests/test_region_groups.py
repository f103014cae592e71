"""A model per region group, against a hand-written two-model reference loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mne_nmm as nmm
from mne_nmm.core.models import Hopf, ReducedWongWangExcInh, RegionGroups, region_groups
from mne_nmm.monitors import Subsample


def _network():
    rng = np.random.default_rng(4)
    w = rng.uniform(0.2, 1.0, (5, 5)) * (rng.uniform(size=(5, 5)) < 0.8)
    np.fill_diagonal(w, 0.0)
    lengths = rng.uniform(8.0, 40.0, (5, 5))
    np.fill_diagonal(lengths, 0.0)
    conn = nmm.Connectome(w, lengths, region_names=["c0", "c1", "c2", "t0", "t1"])
    return nmm.Network(conn, coupling=nmm.coupling.Linear(), global_coupling=0.4, speed_m_per_s=4.0, dt_ms=0.1)


def _reference(net, cortex, thal, x0_c, x0_t, n_steps, dt):
    """Euler, numpy float64: cortex (regions 0-2) sends S_e, thalamus (3-4) sends x; linear delayed coupling
    c_i = G sum_j W_ij sent_j(t - d_ij) enters the cortex's single input and the thalamus's x input."""
    W, D, G = np.asarray(net.weights), np.asarray(net.delay_steps), net.global_coupling
    hist = np.zeros((n_steps + 1, 5))
    xc, xt = np.array(x0_c, float), np.array(x0_t, float)
    hist[0] = np.concatenate([xc[0], xt[0]])
    fc = jax.jit(lambda s, c: cortex.dfun(s, c))
    ft = jax.jit(lambda s, c: thal.dfun(s, c))
    out = []
    for n in range(n_steps):
        c = np.array([G * sum(W[i, j] * hist[max(n - D[i, j], 0), j] for j in range(5)) for i in range(5)])
        dc = np.asarray(fc(jnp.asarray(xc), jnp.asarray(c[None, :3])), dtype=float)
        dt_ = np.asarray(ft(jnp.asarray(xt), jnp.asarray(np.stack([c[3:], np.zeros(2)]))), dtype=float)
        xc, xt = xc + dt * dc, xt + dt * dt_
        hist[n + 1] = np.concatenate([xc[0], xt[0]])
        out.append(hist[n + 1].copy())
    return np.array(out)


def test_two_model_network_matches_a_hand_written_loop():
    net = _network()
    cortex = ReducedWongWangExcInh()
    thal = Hopf(a=0.05)
    model = region_groups({"cortex": (cortex, ["c0", "c1", "c2"]), "thalamus": (thal, ["t0", "t1"])},
                          send={"cortex": "S_e", "thalamus": "x"}, receive={"thalamus": (0, None)},
                          region_names=net.region_names)
    assert isinstance(model, RegionGroups) and model.coupled_variables == ("s0",)
    x0 = model.initial_state(5, rng=1)
    x0_c = x0[:2, :3]                                # cortex rows: S_e (sent), S_i
    x0_t = x0[:2, 3:]                                # thalamus rows: x (sent), y
    n_steps = 300
    res = nmm.simulate(net, model, duration_ms=n_steps * 0.1, integrator="euler", initial_state=x0,
                       monitors=[Subsample(0.1, variables=("s0", "cortex.S_i", "thalamus.y", "output"))])
    ref = _reference(net, cortex, thal, x0_c, x0_t, n_steps, 0.1)
    got = res["subsample"].data                      # (n_steps, 4, 5)
    np.testing.assert_allclose(got[:, 0], ref, rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(got[:, 3], ref, rtol=2e-4, atol=1e-6)        # each region's default output
    np.testing.assert_array_equal(got[:, 1, 3:], 0.0)                       # cortex.S_i is 0 outside the cortex
    np.testing.assert_array_equal(got[:, 2, :3], 0.0)
    assert np.abs(got[:, 0, 3:] - got[0, 0, 3:]).max() > 1e-3               # the thalamus moves


def test_region_groups_jit_vmap_grad_and_sweep():
    net = _network()
    model = region_groups({"cortex": (ReducedWongWangExcInh(), [0, 1, 2]), "thalamus": (Hopf(a=0.05), [3, 4])},
                          send={"cortex": "S_e", "thalamus": "x"})
    run, params = nmm.make_simulator(net, model, duration_ms=10.0, integrator="heun", monitors=[Subsample(1.0)])
    assert "model.models.1.a" in params.paths()

    def loss(a):
        return jnp.sum(run(params.replace(**{"model.models.1.a": a}), 0)["subsample"] ** 2)

    g = jax.grad(loss)(0.05)
    fd = (loss(0.05 + 1e-3) - loss(0.05 - 1e-3)) / 2e-3
    np.testing.assert_allclose(float(g), float(fd), rtol=2e-2)
    swept = nmm.simulate(net, model, duration_ms=10.0, integrator="heun", monitors=[Subsample(1.0)],
                         sweep={"model.models.1.a": np.array([0.05, -0.1])}, n_jobs=1)
    np.testing.assert_allclose(swept["subsample"].data[0], np.asarray(run(params, 0)["subsample"]), rtol=1e-5,
                               atol=1e-7)


def test_region_groups_errors():
    with pytest.raises(ValueError, match="exactly one group"):
        region_groups({"a": (Hopf(), [0, 1]), "b": (Hopf(), [1, 2])}, send={"a": "x", "b": "x"})
    with pytest.raises(ValueError, match="same number"):
        region_groups({"a": (Hopf(), [0]), "b": (Hopf(), [1])}, send={"a": "x", "b": ("x", "y")})
    with pytest.raises(ValueError, match="send\\['a'\\] variable"):
        region_groups({"a": (Hopf(), [0]), "b": (Hopf(), [1])}, send={"a": "S_e", "b": "x"})
