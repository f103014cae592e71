"""SimParams: one typed, differentiable parameter path; sweeps as vmap; monitors' parameters as leaves.

Regression tests for the silent wrong results of issue 11 (stale lead field, stale row sums,
float64 with delays, ``import *``, silent divergence of the pure run).
"""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mne_nmm as nmm
from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.core.models.hopf import Hopf
from mne_nmm.monitors import EEG, BalloonWindkessel, Subsample

KW = dict(duration_ms=30.0, integrator="stochastic_heun", noise=nmm.AdditiveNoise(sigma=0.01), key=0)


@pytest.fixture
def net(small_connectome):
    return nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), global_coupling=0.3, dt_ms=0.1)


def test_two_gains_give_eeg_in_ratio_two(net):
    """Two lead fields g and 2g (same names, same shapes) give EEG in ratio 2: no stale compiled gain."""
    g = np.random.default_rng(0).normal(size=(7, 5)) * 1e-6
    names = [f"E{i}" for i in range(7)]
    kw = dict(monitors=None, **KW)
    a = nmm.simulate(net, Hopf(a=0.02), **{**kw, "monitors": [EEG(g, ch_names=names, moment_am_per_unit=1e-8)]})
    b = nmm.simulate(net, Hopf(a=0.02), **{**kw, "monitors": [EEG(2 * g, ch_names=names, moment_am_per_unit=1e-8)]})
    ea, eb = a["eeg"].data, b["eeg"].data
    assert np.abs(ea).max() > 0
    np.testing.assert_allclose(eb, 2 * ea, rtol=1e-5, atol=0)
    # and the same through the parameter object, with one compiled function
    run, params = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=30.0, integrator="stochastic_heun",
                                     noise=nmm.AdditiveNoise(sigma=0.01),
                                     monitors=[EEG(g, ch_names=names, moment_am_per_unit=1e-8)])
    f = jax.jit(run)
    e1 = np.asarray(f(params, 0)["eeg"])
    e3 = np.asarray(f(params.replace(**{"monitors.eeg.gain": 3 * params.get("monitors.eeg.gain")}), 0)["eeg"])
    np.testing.assert_allclose(e1, ea, rtol=1e-5, atol=1e-14)
    np.testing.assert_allclose(e3, 3 * e1, rtol=1e-5, atol=0)


def test_zero_weights_through_params_equal_an_uncoupled_run(net):
    """Row sums of difference coupling are derived from the weights inside the run: zero weights = no coupling."""
    run, params = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=30.0, integrator="stochastic_heun",
                                     noise=nmm.AdditiveNoise(sigma=0.01), monitors=[Subsample(1.0)])
    zero = np.asarray(run(params.replace(weights=jnp.zeros((5, 5))), 0)["subsample"])
    uncoupled = nmm.simulate(net.replace(global_coupling=0.0), Hopf(a=0.02), monitors=[Subsample(1.0)], **KW)
    np.testing.assert_array_equal(zero, uncoupled["subsample"].data)
    coupled = np.asarray(run(params, 0)["subsample"])
    assert np.abs(coupled - zero).max() > 1e-3          # the coupling does matter at these weights


def test_weights_gradient_is_dense_and_matches_finite_differences(net):
    run, params = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=20.0, integrator="stochastic_heun",
                                     noise=nmm.AdditiveNoise(sigma=0.01), monitors=[Subsample(1.0)])

    def loss(w):
        return jnp.mean(run(params.replace(weights=w), 1)["subsample"] ** 2)

    w0 = params.weights
    g = np.asarray(jax.jit(jax.grad(loss))(w0))
    assert g.shape == (5, 5)
    structural = np.asarray(net.weights) != 0
    np.testing.assert_array_equal(g[~structural], 0.0)   # masked to the connectome's structural zeros
    lj = jax.jit(loss)
    for i, j in np.argwhere(structural)[:4]:
        e = jnp.zeros((5, 5)).at[i, j].set(1e-2)
        fd = (lj(w0 + e) - lj(w0 - e)) / 2e-2
        np.testing.assert_allclose(g[i, j], fd, rtol=0.03, atol=1e-7)
    # connections="all": every pair may carry a weight, and gets a gradient
    run_all, p_all = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=20.0, integrator="stochastic_heun",
                                        noise=nmm.AdditiveNoise(sigma=0.01), monitors=[Subsample(1.0)],
                                        connections="all")
    np.testing.assert_allclose(np.asarray(run_all(p_all, 1)["subsample"]), np.asarray(run(params, 1)["subsample"]),
                               rtol=1e-5, atol=1e-6)
    g_all = np.asarray(jax.grad(lambda w: jnp.mean(run_all(p_all.replace(weights=w), 1)["subsample"] ** 2))(w0))
    off = ~structural & ~np.eye(5, dtype=bool)
    assert np.all(g_all[off] != 0)


def test_remat_modes_give_the_same_gradient(net):
    """What the backward pass keeps ("chunks", "save_delayed", "none") changes speed and memory, never the gradient."""
    from mne_nmm.simulation.api import _remat_mode

    grads = {}
    for mode in ("chunks", "save_delayed", "none", "auto"):
        run, params = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=20.0, integrator="stochastic_heun",
                                         noise=nmm.AdditiveNoise(sigma=0.01), monitors=[Subsample(1.0)],
                                         chunk_ms=5.0, remat=mode)
        grads[mode] = jax.grad(lambda G, w: jnp.mean(run(params.replace(global_coupling=G, weights=w), 1)["subsample"]
                                                     ** 2), argnums=(0, 1))(0.3, params.weights)
    for mode in ("save_delayed", "none", "auto"):
        for a, b in zip(grads["chunks"], grads[mode]):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-9)
    assert float(jnp.abs(grads["chunks"][0])) > 0
    plan = nmm.simulation.setup.prepare(net, Hopf(a=0.02), duration_ms=20.0, integrator="heun", noise=None,
                                        monitors=None, stimulus=None, initial_state_=None, key=0,
                                        chunk_ms=None).kernel.plan
    assert plan.conn.has_delayed
    assert _remat_mode("auto", plan, 200, 4) == "save_delayed"           # a small store: kept
    assert _remat_mode("auto", plan, 10**12, 4) == "chunks"              # too large: bounded memory
    assert _remat_mode(True, plan, 200, 4) == "chunks" and _remat_mode(False, plan, 200, 4) == "none"
    with pytest.raises(ValueError, match="remat"):
        nmm.make_simulator(net, Hopf(a=0.02), duration_ms=20.0, remat="fast")


def test_delayed_float64_deterministic_run_matches_float32_to_float32_precision():
    code = """
import numpy as np, jax, mne_nmm as nmm
from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.core.models.hopf import Hopf
r = np.random.default_rng(7)
w = r.uniform(0.1, 1.0, (5, 5)) * (r.uniform(size=(5, 5)) < 0.7); np.fill_diagonal(w, 0)
L = r.uniform(10.0, 60.0, (5, 5)); L = (L + L.T) / 2; np.fill_diagonal(L, 0)
net = nmm.Network(nmm.Connectome(w, L), global_coupling=0.3, dt_ms=0.1)
kw = dict(duration_ms=50.0, integrator="heun", monitors=[nmm.monitors.Subsample(1.0)])
a = nmm.simulate(net, Hopf(a=0.02), **kw)["subsample"].data
jax.config.update("jax_enable_x64", True)
b = nmm.simulate(net, Hopf(a=0.02), **kw)["subsample"].data
assert b.dtype == np.float64
print(float(np.abs(a - b).max() / np.abs(b).max()))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout) < 1e-5


def test_star_import_works():
    out = subprocess.run([sys.executable, "-c", "from mne_nmm import *; print(simulate, SimParams, Network)"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


@neural_mass
class Growth(NeuralMass):
    """dx/dt = k x: blows up in float32 after a known number of Euler steps."""

    state_variables = ("x",)
    coupled_variables = ("x",)
    k: float = 50.0

    def dfun(self, s, c):
        return jnp.stack([self.k * s[0] + c[0]])


def test_pure_run_reports_divergence(small_connectome):
    net = nmm.Network(small_connectome, dt_ms=0.1, global_coupling=0.0)
    x0 = np.zeros((1, 5))
    x0[0, 3] = 1.0
    run, params = nmm.make_simulator(net, Growth(), duration_ms=100.0, integrator="euler", initial_state=x0,
                                     monitors=[Subsample(1.0)])
    out = jax.jit(run)(params, 0)
    x, expected = np.float32(1.0), None     # the same Euler recursion in numpy float32
    with np.errstate(over="ignore"):
        for n in range(1, 1000):
            x = np.float32(x + np.float32(0.1) * (np.float32(50.0) * x))
            if not np.isfinite(x):
                expected = n
                break
    assert bool(out.diverged) and int(out.diverged_step) == expected and int(out.diverged_region) == 3
    ok = run(params.replace(**{"model.k": -1.0}), 0)
    assert int(ok.diverged_step) == -1 and not bool(ok.diverged)


def test_vmap_and_grad_of_the_pure_run_over_simparams(net):
    run, params = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=20.0, integrator="stochastic_heun",
                                     noise=nmm.AdditiveNoise(sigma=0.01), monitors=[Subsample(1.0)])
    Gs = jnp.array([0.0, 0.15, 0.3])
    batched = jax.vmap(lambda G: run(params.replace(global_coupling=G), 4)["subsample"])(Gs)
    for i, G in enumerate(np.asarray(Gs)):
        single = nmm.simulate(net.replace(global_coupling=float(G)), Hopf(a=0.02), duration_ms=20.0,
                              integrator="stochastic_heun", noise=nmm.AdditiveNoise(sigma=0.01),
                              monitors=[Subsample(1.0)], key=4,
                              initial_state=Hopf(a=0.02).initial_state(5, rng=0))["subsample"].data
        np.testing.assert_allclose(np.asarray(batched[i]), single, rtol=1e-5, atol=1e-6)
    keys = jnp.stack([jnp.array([0, k], dtype=jnp.uint32) for k in (1, 2)])
    ens = jax.vmap(lambda k: run(params, k)["subsample"])(keys)
    np.testing.assert_allclose(np.asarray(ens[1]), np.asarray(run(params, 2)["subsample"]), rtol=1e-5, atol=1e-6)


def test_sweeps_equal_single_runs_bit_for_bit(net):
    """A sequential sweep is the single-run kernel: bit for bit. A vectorized one is ``vmap`` of it: XLA may
    contract or fuse the vectorized arithmetic differently, so it agrees to float32 rounding."""
    sweep = {"global_coupling": np.array([0.1, 0.3]), "model.a": np.array([0.02, -0.05])}
    seq = nmm.simulate(net, Hopf(), monitors=[Subsample(1.0)], sweep=sweep, n_jobs=1, batch_mode="sequential", **KW)
    vec = nmm.simulate(net, Hopf(), monitors=[Subsample(1.0)], sweep=sweep, n_jobs=1, **KW)
    for i in range(2):
        one = nmm.simulate(net.replace(global_coupling=float(sweep["global_coupling"][i])),
                           Hopf(a=float(sweep["model.a"][i])), monitors=[Subsample(1.0)], **KW)
        np.testing.assert_array_equal(seq["subsample"].data[i], one["subsample"].data)
        np.testing.assert_allclose(vec["subsample"].data[i], one["subsample"].data, rtol=2e-6, atol=1e-7)


def test_any_leaf_can_be_swept(net):
    """Weights stacks, per-region model parameters, stimulus patterns and monitor parameters."""
    w = np.asarray(net.weights)
    stim = nmm.Stimulus(nmm.stimulus.Step(onset_ms=5.0), regions=[0], amplitude=0.05)
    kw = dict(monitors=[Subsample(1.0)], stimulus=stim, duration_ms=30.0, integrator="heun")
    sweep = {"weights": np.stack([w, 0.5 * w]), "model.a": np.stack([np.full(5, 0.02), np.linspace(-0.1, 0.1, 5)]),
             "stimulus.0": np.stack([np.eye(5)[0] * 0.05, np.eye(5)[2] * 0.1])}
    res = nmm.simulate(net, Hopf(), sweep=sweep, **kw)
    half = nmm.Connectome(0.5 * w, net.connectome.tract_lengths_mm, region_names=net.region_names)
    one = nmm.simulate(nmm.Network(half, coupling=net.coupling, global_coupling=0.3, dt_ms=0.1),
                       Hopf(a=np.linspace(-0.1, 0.1, 5)),
                       **{**kw, "stimulus": nmm.Stimulus(nmm.stimulus.Step(onset_ms=5.0), regions=[2], amplitude=0.1)})
    np.testing.assert_allclose(res["subsample"].data[1], one["subsample"].data, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="where the connectome has none"):
        nmm.simulate(net, Hopf(), sweep={"weights": np.ones((2, 5, 5))}, **kw)
    # a BOLD time constant
    bw = BalloonWindkessel(tr_s=0.01, variables=("bold",))
    bkw = dict(monitors=[bw], duration_ms=30.0, integrator="heun")
    res = nmm.simulate(net, Hopf(), sweep={f"monitors.{bw.name}.tau": np.array([0.98, 2.0])}, **bkw)
    one = nmm.simulate(net, Hopf(), **{**bkw, "monitors": [BalloonWindkessel(tr_s=0.01, variables=("bold",),
                                                                               tau=2.0)]})
    np.testing.assert_allclose(res[bw.name].data[1], one[bw.name].data, rtol=1e-5, atol=1e-9)


def test_gradient_through_the_bold_and_lead_field_parameters(net):
    g = np.random.default_rng(1).normal(size=(7, 5)) * 1e-6
    bw = BalloonWindkessel(tr_s=0.01, variables=("bold",))
    run, params = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=20.0, integrator="heun",
                                     monitors=[bw, EEG(g, moment_am_per_unit=1e-8)])

    def loss(p):
        out = run(p, 0)
        return jnp.sum(out[bw.name] ** 2) * 1e6 + jnp.sum(out["eeg"] ** 2) * 1e18

    grads = jax.grad(loss)(params)
    assert grads.monitors["eeg"]["gain"].shape == (7, 5)
    # d/d tau of the BOLD power against a central difference, in float64 (the early BOLD is ~1e-6: float32
    # differences of its square would be rounding noise)
    jax.config.update("jax_enable_x64", True)
    try:
        run64, p64 = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=20.0, integrator="heun", monitors=[bw])
        path = f"monitors.{bw.name}.tau"

        def bold_loss(p):
            return jnp.sum(run64(p, 0)[bw.name] ** 2) * 1e6

        tau_g = float(jax.grad(bold_loss)(p64).monitors[bw.name]["tau"])
        t0 = p64.get(path)
        fd = (bold_loss(p64.replace(**{path: t0 + 1e-4})) - bold_loss(p64.replace(**{path: t0 - 1e-4}))) / 2e-4
        assert tau_g != 0
        np.testing.assert_allclose(tau_g, float(fd), rtol=1e-5)
    finally:
        jax.config.update("jax_enable_x64", False)
    # EEG = gain @ window means m, so d sum(EEG^2) / d gain = 2 sum_k EEG_k m_k^T (computed from a TemporalAverage)
    from mne_nmm.monitors import TemporalAverage

    m = nmm.simulate(net, Hopf(a=0.02), duration_ms=20.0, integrator="heun",
                     monitors=[TemporalAverage(1.0, variables="x")])["tavg"].data[:, 0]     # (n_samples, 5)
    eeg = m @ np.asarray(params.get("monitors.eeg.gain")).T
    expected = 2e18 * eeg.T @ m
    np.testing.assert_allclose(np.asarray(grads.monitors["eeg"]["gain"]), expected, rtol=2e-3,
                               atol=1e-6 * np.abs(expected).max())


def test_simparams_paths_and_errors(net):
    _, params = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=1.0, monitors=[Subsample(1.0)])
    assert {"model.a", "model.omega", "global_coupling", "weights"} <= set(params.paths())
    with pytest.raises(ValueError, match="Hopf.a must be finite"):
        params.replace(**{"model.a": np.nan})
    with pytest.raises(KeyError, match="Hopf has no parameter 'b'"):
        params.replace(**{"model.b": 1.0})
    with pytest.raises(ValueError, match=r"weights must have shape \(5, 5\), got \(4, 4\)"):
        params.replace(weights=np.zeros((4, 4)))
    with pytest.raises(KeyError, match="parameter paths start with one of"):
        params.get("speed")
