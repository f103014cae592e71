"""Simulation core against analytic results and independent references."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import mne_nmm as nmm
from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.core.models.hopf import Hopf
from mne_nmm.core.models.jansen_rit import JansenRit
from mne_nmm.monitors import Raw, Subsample, TemporalAverage


@neural_mass
class LinearSystem(NeuralMass):
    """dx/dt = A x + c (A given row-major as a flat 4-vector for a 2-state node)."""

    state_variables = ("u", "v")
    coupled_variables = ("u",)
    a11: float = -0.1
    a12: float = 1.0
    a21: float = -1.0
    a22: float = -0.1

    def dfun(self, s, c):
        return jnp.stack([self.a11 * s[0] + self.a12 * s[1] + c[0], self.a21 * s[0] + self.a22 * s[1]])


@neural_mass
class Scalar(NeuralMass):
    """dx/dt = -k x + c (OU process with noise; pure delay equation with k = 0)."""

    state_variables = ("x",)
    coupled_variables = ("x",)
    k: float = 0.0

    def dfun(self, s, c):
        return jnp.stack([-self.k * s[0] + c[0]])


def _single(dt=0.1, length=0.0, weight=0.0, G=1.0, speed=1.0, coupling=None):
    conn = nmm.Connectome(np.full((1, 1), weight), np.full((1, 1), length))
    return nmm.Network(conn, coupling=coupling or nmm.coupling.Linear(), global_coupling=G, speed_m_per_s=speed,
                       dt_ms=dt)


@pytest.fixture
def x64():
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


# -- integrators -----------------------------------------------------------------------
@pytest.mark.parametrize("integrator, order", [("euler", 1), ("heun", 2), ("rk4", 4)])
def test_integrator_order_against_expm(x64, integrator, order):
    model = LinearSystem()
    A = np.array([[model.a11, model.a12], [model.a21, model.a22]])
    x0 = np.array([1.0, 0.5])
    T = 4.0
    exact = scipy.linalg.expm(A * T) @ x0
    errors = []
    for dt in (0.1, 0.05):
        net = _single(dt=dt)
        res = nmm.simulate(net, model, duration_ms=T, integrator=integrator, initial_state=x0,
                           monitors=[Subsample(T, variables=("u", "v"))])
        errors.append(np.abs(res["subsample"].data[-1, :, 0] - exact).max())
    observed = np.log2(errors[0] / errors[1])
    assert abs(observed - order) < 0.25, (errors, observed)


@pytest.mark.parametrize("dt", [0.1, 0.01])
def test_ou_stationary_variance_independent_of_dt(dt):
    theta, sigma = 0.5, 0.2
    net = _single(dt=dt)
    n_trials = 64
    duration = 200.0
    res = nmm.simulate(net, Scalar(k=theta), duration_ms=duration, integrator="euler_maruyama",
                       noise=nmm.AdditiveNoise(sigma=sigma), monitors=[Subsample(1.0)], initial_state=[0.0],
                       n_trials=n_trials, key=3)
    data = res["subsample"].data[:, 20:, 0, 0]  # discard 20 ms (10 relaxation times)
    var = data.var()
    expected = sigma**2 / (2 * theta)
    # samples 1 ms apart are correlated (exp(-0.5)); effective n ~ n_trials * n / (1 + 2 rho/(1-rho))
    n_eff = data.size / (1 + 2 * np.exp(-0.5) / (1 - np.exp(-0.5)))
    se = expected * np.sqrt(2.0 / n_eff)
    assert abs(var - expected) < 4 * se + 0.5 * theta * dt * expected, (var, expected, se)


def test_stochastic_heun_matches_ou_variance():
    theta, sigma = 0.2, 0.1
    net = _single(dt=0.05)
    res = nmm.simulate(net, Scalar(k=theta), duration_ms=400.0, integrator="stochastic_heun",
                       noise=nmm.AdditiveNoise(sigma=sigma), monitors=[Subsample(2.0)], initial_state=[0.0],
                       n_trials=32, key=11)
    var = res["subsample"].data[:, 25:, 0, 0].var()
    expected = sigma**2 / (2 * theta)
    assert abs(var / expected - 1) < 0.15


def test_tvb_nsig_conversion():
    assert np.isclose(float(nmm.AdditiveNoise.from_tvb_nsig(1e-3).sigma), np.sqrt(2e-3))


# -- delays ----------------------------------------------------------------------------------
def test_pulse_arrives_exactly_delay_steps_later():
    # region 0 -> region 1: 7.4 mm at 2 mm/ms and dt 0.1 ms -> rint(37.0) = 37 steps.
    w = np.array([[0.0, 0.0], [1.0, 0.0]])
    lengths = np.array([[0.0, 7.4], [7.4, 0.0]])
    conn = nmm.Connectome(w, lengths)
    net = nmm.Network(conn, coupling=nmm.coupling.Linear(), global_coupling=1.0, speed_m_per_s=2.0, dt_ms=0.1)
    d = int(net.delay_steps[1, 0])
    assert d == 37
    stim = nmm.Stimulus(nmm.stimulus.Pulse(onset_ms=1.0, width_ms=0.1), regions=[0], amplitude=10.0)
    res = nmm.simulate(net, Scalar(k=0.0), duration_ms=10.0, integrator="euler", stimulus=stim,
                       monitors=[Raw()], initial_state=[0.0])
    x = res["raw"].data[:, 0, :]  # sample k is x_{k+1}
    first0 = np.flatnonzero(x[:, 0] != 0)[0] + 1  # first nonzero state index of region 0
    first1 = np.flatnonzero(x[:, 1] != 0)[0] + 1
    # Euler: the coupling input of step n is x_0(t_n - d dt) and first shows in x_1 at step n + 1.
    assert first1 == first0 + d + 1
    np.testing.assert_allclose(x[first1 - 1, 1], 0.1 * x[first0 - 1, 0], rtol=1e-6)


def test_delay_differential_equation_method_of_steps():
    # x'(t) = -x(t - tau), x = 1 for t <= 0; exact solution by the method of steps on [0, 3 tau].
    tau = 1.0

    def exact(t):
        x = np.where(t <= tau, 1 - t, 0.0)
        x = np.where((t > tau) & (t <= 2 * tau), 1 - t + (t - tau) ** 2 / 2, x)
        return np.where(t > 2 * tau, 1 - t + (t - tau) ** 2 / 2 - (t - 2 * tau) ** 3 / 6, x)

    errs = {}
    for dt in (0.01, 0.005):
        net = _single(dt=dt, length=tau, weight=1.0, G=-1.0, speed=1.0)
        res = nmm.simulate(net, Scalar(), duration_ms=3 * tau, integrator="heun", monitors=[Raw()],
                           initial_state=[1.0])
        o = res["raw"]
        errs[dt] = np.abs(o.data[:, 0, 0] - exact(o.times_s * 1000)).max()
    assert errs[0.01] < 2e-5
    assert errs[0.01] / errs[0.005] > 2.5  # second order (float32 floor permitting)


def test_delay_rounding_rule_and_zero_delay_warning(small_connectome):
    net = nmm.Network(small_connectome, speed_m_per_s=3.0, dt_ms=0.1)
    expected = np.rint(small_connectome.tract_lengths_mm / 3.0 / 0.1).astype(int)
    np.testing.assert_array_equal(net.delay_steps, expected)
    conn = nmm.Connectome(np.array([[0, 1.0], [1.0, 0]]), np.array([[0, 0.01], [0.01, 0]]))
    with pytest.warns(RuntimeWarning, match="rounds to 0 steps"):
        nmm.Network(conn, speed_m_per_s=3.0, dt_ms=0.1)


def test_blocked_delays_equal_reference_loop(small_connectome):
    """The blocked gather equals a plain per-step numpy loop of the same scheme (Euler, difference coupling)."""
    net = nmm.Network(small_connectome.normalized(), coupling=nmm.coupling.Difference(), global_coupling=0.3,
                      speed_m_per_s=5.0, dt_ms=0.1)
    model = Hopf(a=0.05, omega=0.05)
    x0 = model.initial_state(5, rng=1)
    n = 600
    res = nmm.simulate(net, model, duration_ms=n * 0.1, integrator="euler", initial_state=x0,
                       monitors=[Raw(variables=("x", "y"))])
    W, D, G = net.weights, net.delay_steps, net.global_coupling
    hist = [x0.copy()]
    x = x0.copy()
    for step in range(n):
        delayed = np.empty((2, 5))
        for i in range(5):
            acc = np.zeros(2)
            for j in range(5):
                xj = hist[max(step - D[i, j], 0)][:, j]
                acc += W[i, j] * xj
            delayed[:, i] = acc
        c = G * (delayed - W.sum(1) * x)
        r2 = x[0] ** 2 + x[1] ** 2
        dx = np.stack([(model.a - r2) * x[0] - model.omega * x[1] + c[0], (model.a - r2) * x[1] + model.omega * x[0] + c[1]])
        x = x + 0.1 * dx
        hist.append(x.copy())
    ref = np.array(hist[1:])
    np.testing.assert_allclose(res["raw"].data, ref, atol=2e-5)


# -- models in the core ------------------------------------------------------------------------
def test_hopf_limit_cycle_radius_and_frequency():
    a, omega = 0.04, 2 * np.pi * 0.012
    net = _single(dt=0.1)
    res = nmm.simulate(net, Hopf(a=a, omega=omega), duration_ms=3000, integrator="heun",
                       monitors=[Subsample(0.5, variables=("x", "y"))], initial_state=[0.05, 0.0])
    d = res["subsample"].data[-2000:, :, 0]
    radius = np.hypot(d[:, 0], d[:, 1])
    np.testing.assert_allclose(radius, np.sqrt(a), rtol=1e-3)
    phase = np.unwrap(np.arctan2(d[:, 1], d[:, 0]))
    freq = np.polyfit(res["subsample"].times_s[-2000:] * 1000, phase, 1)[0]
    assert abs(freq - omega) / omega < 1e-3


@pytest.mark.realdata
def test_jansen_rit_default_network_spectrum_peaks_in_alpha():
    """TVB defaults (W1 of BENCHMARKS.md, 3 s): alpha peak and the expected mean/std of y1 - y2."""
    import scipy.signal

    conn = nmm.datasets.load_connectome("tvb76").normalized("max")
    net = nmm.Network(conn, coupling=nmm.coupling.SigmoidalJansenRit(), global_coupling=1.0, speed_m_per_s=3.0,
                      dt_ms=0.1)
    res = nmm.simulate(net, JansenRit(), duration_ms=3000, integrator="stochastic_heun",
                       noise=nmm.AdditiveNoise.from_tvb_nsig(1e-5, variables=("y4",)), monitors=[Subsample(1.0)])
    x = res["subsample"].get()[1000:]
    f, p = scipy.signal.welch(x - x.mean(0), fs=1000.0, nperseg=1024, axis=0)
    peak = f[np.argmax(p.mean(axis=1))]
    assert 8.0 <= peak <= 12.0, peak
    assert 6.0 < x.mean() < 7.3 and 1.8 < x.std() < 3.0  # BENCHMARKS.md: mean ~6.66 mV, std ~2.5 mV


def test_jansen_rit_isolated_node_oscillation_depends_on_drive():
    """Jansen & Rit (1995): oscillation for intermediate drive, quiet fixed point for low drive; frequency rises with mu."""
    import scipy.signal

    net = _single(dt=0.1, coupling=nmm.coupling.SigmoidalJansenRit())
    freqs = {}
    for mu in (0.09, 0.22, 0.3):
        res = nmm.simulate(net, JansenRit(mu=mu), duration_ms=3000, integrator="heun", monitors=[Subsample(1.0)])
        x = res["subsample"].get()[1000:, 0]
        f, p = scipy.signal.welch(x - x.mean(), fs=1000.0, nperseg=2000)
        freqs[mu] = (f[np.argmax(p)], x.std())
    assert freqs[0.09][1] < 1e-3  # fixed point
    assert freqs[0.22][1] > 1.0 and freqs[0.3][1] > 1.0  # limit cycle
    assert 5.0 < freqs[0.22][0] < freqs[0.3][0] < 12.0


# -- randomness, chunking, checkpoints --------------------------------------------------------
def _noisy_run(small_connectome, **kw):
    net = nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), global_coupling=0.2, dt_ms=0.1)
    args = dict(duration_ms=50.0, integrator="stochastic_heun", noise=nmm.AdditiveNoise(sigma=0.01),
                monitors=[Subsample(0.5), TemporalAverage(1.0)], key=5)
    args.update(kw)
    return nmm.simulate(net, Hopf(a=-0.02), **args)


def test_same_key_same_bits_and_chunk_invariance(small_connectome):
    a = _noisy_run(small_connectome)
    b = _noisy_run(small_connectome)
    c = _noisy_run(small_connectome, chunk_ms=7.0)
    d = _noisy_run(small_connectome, key=6)
    for name in ("subsample", "tavg"):
        np.testing.assert_array_equal(a[name].data, b[name].data)
        np.testing.assert_array_equal(a[name].data, c[name].data)
        assert not np.allclose(a[name].data, d[name].data)


@pytest.mark.parametrize("wide", [False, True])
def test_step_normals_are_standard_normal_and_independent(wide, request):
    """The engine's noise source: N(0, 1) by KS, moments within sampling error, no correlation between
    steps, lanes, halves of the hash output or keys; a step's draw does not depend on its neighbours."""
    from scipy import stats

    from mne_nmm.core.noise import step_normals

    if wide:
        request.getfixturevalue("x64")
    dtype = jnp.float64 if wide else jnp.float32
    key = jnp.array([0, 7], dtype=jnp.uint32)
    n_steps, n = 4000, 51  # odd n: the last hash contributes one word
    draw = jax.jit(lambda k, steps: step_normals(k, steps, n, dtype))
    out = draw(key, jnp.arange(n_steps))
    assert out.shape == (n_steps, n) and out.dtype == dtype
    z = np.asarray(out, dtype=float)
    flat = z.ravel()
    m = flat.size
    assert abs(flat.mean()) < 4 / np.sqrt(m)
    assert abs(flat.var() - 1) < 4 * np.sqrt(2 / m)
    assert abs(stats.skew(flat)) < 4 * np.sqrt(6 / m) and abs(stats.kurtosis(flat)) < 4 * np.sqrt(24 / m)
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    bound = 4 / np.sqrt(n_steps)
    assert abs(np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]) < 4 / np.sqrt(m)      # step to step
    half = (n + 1) // 2
    assert np.max(np.abs(np.corrcoef(z.T)[np.triu_indices(n, 1)])) < bound * 1.5      # lanes (incl. word pairs)
    assert abs(np.corrcoef(z[:, 0], z[:, half])[0, 1]) < bound                         # both words of one hash
    other = np.asarray(draw(jnp.array([0, 8], dtype=jnp.uint32), jnp.arange(n_steps)))
    assert abs(np.corrcoef(flat, other.ravel())[0, 1]) < 4 / np.sqrt(m)                 # neighbouring keys
    some = np.asarray(draw(key, jnp.array([3, 999, 17])))                               # any grouping of steps
    np.testing.assert_array_equal(some, np.asarray(out)[[3, 999, 17]])


def test_checkpoint_resume_is_identical(small_connectome, tmp_path, monkeypatch):
    import mne_nmm.simulation.checkpoint as sim

    full = _noisy_run(small_connectome, chunk_ms=5.0)
    ckpt = tmp_path / "run.ckpt.npz"
    monkeypatch.setattr(sim, "INTERVAL_S", 0.0)
    calls = {"n": 0}
    orig = sim.save

    def save_then_die(*args):
        orig(*args)
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("simulated kill")

    monkeypatch.setattr(sim, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _noisy_run(small_connectome, chunk_ms=5.0, checkpoint=ckpt)
    assert ckpt.exists()
    monkeypatch.setattr(sim, "save", orig)
    resumed = _noisy_run(small_connectome, chunk_ms=5.0, checkpoint=ckpt)
    for name in ("subsample", "tavg"):
        np.testing.assert_array_equal(full[name].data, resumed[name].data)
    np.testing.assert_array_equal(full.final_state, resumed.final_state)
    assert not ckpt.exists()
    # a checkpoint from another configuration is refused
    monkeypatch.setattr(sim, "save", save_then_die)
    calls["n"] = 0
    with pytest.raises(KeyboardInterrupt):
        _noisy_run(small_connectome, chunk_ms=5.0, checkpoint=ckpt)
    monkeypatch.setattr(sim, "save", orig)
    with pytest.raises(ValueError, match="different simulation"):
        _noisy_run(small_connectome, chunk_ms=5.0, checkpoint=ckpt, key=99)


# -- monitors ------------------------------------------------------------------------------------
def test_monitor_time_stamps_and_temporal_average(small_connectome):
    net = nmm.Network(small_connectome, dt_ms=0.1)
    res = nmm.simulate(net, Hopf(), duration_ms=20.0, integrator="heun",
                       monitors=[Raw(), Subsample(2.0), TemporalAverage(2.0)])
    raw, sub, avg = res["raw"], res["subsample"], res["tavg"]
    assert raw.n_times == 200 and sub.n_times == 10 and avg.n_times == 10
    np.testing.assert_allclose(raw.times_s, 1e-4 * np.arange(1, 201))
    np.testing.assert_allclose(sub.times_s, 2e-3 * np.arange(1, 11))
    np.testing.assert_array_equal(sub.data, raw.data[19::20])
    np.testing.assert_allclose(avg.data, raw.data.reshape(10, 20, 1, 5).mean(axis=1), rtol=1e-5, atol=1e-7)
    assert avg.time_stamp == "end" and sub.time_stamp == "instant"
    assert sub.sfreq_hz == pytest.approx(500.0)


def test_period_not_multiple_of_dt_is_refused(small_connectome):
    net = nmm.Network(small_connectome, dt_ms=0.1)
    with pytest.raises(ValueError, match="whole multiple of the integration step"):
        nmm.simulate(net, Hopf(), duration_ms=10.0, monitors=[Subsample(0.25)])


# -- batching and gradients ---------------------------------------------------------------------------
def test_sweep_equals_individual_runs(small_connectome):
    net = nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), dt_ms=0.1)
    gs = np.array([0.0, 0.1, 0.4])
    kw = dict(duration_ms=30.0, integrator="heun", monitors=[Subsample(1.0)])
    batch = nmm.simulate(net, Hopf(), sweep={"global_coupling": gs}, **kw)
    assert batch["subsample"].data.shape == (3, 30, 1, 5)
    for i, g in enumerate(gs):
        single = nmm.simulate(net.replace(global_coupling=float(g)), Hopf(), **kw)
        np.testing.assert_allclose(batch["subsample"].data[i], single["subsample"].data, rtol=1e-5, atol=1e-6)
    b2 = nmm.simulate(net, Hopf(), sweep={"model.a": np.array([-0.1, 0.2])}, **kw)
    s2 = nmm.simulate(net, Hopf(a=0.2), **kw)
    np.testing.assert_allclose(b2["subsample"].data[1], s2["subsample"].data, rtol=1e-5, atol=1e-6)


def test_gradient_through_delayed_noisy_network(small_connectome):
    net = nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), global_coupling=0.2, dt_ms=0.1)
    run, params = nmm.make_simulator(net, Hopf(a=0.02), duration_ms=20.0, integrator="stochastic_heun",
                                     noise=nmm.AdditiveNoise(sigma=0.01), monitors=[Subsample(1.0)])
    key = jax.random.PRNGKey(0)

    @jax.jit
    def loss(G, a):
        p = params.replace(**{"global_coupling": G, "model.a": a})
        return jnp.mean(run(p, key)["subsample"] ** 2)

    g_G, g_a = jax.jit(jax.grad(loss, argnums=(0, 1)))(0.2, 0.02)
    eps = 1e-2
    fd_G = (loss(0.2 + eps, 0.02) - loss(0.2 - eps, 0.02)) / (2 * eps)
    fd_a = (loss(0.2, 0.02 + 1e-3) - loss(0.2, 0.02 - 1e-3)) / 2e-3
    assert np.isfinite(g_G) and np.isfinite(g_a)
    np.testing.assert_allclose(g_G, fd_G, rtol=0.05, atol=1e-7)
    np.testing.assert_allclose(g_a, fd_a, rtol=0.05, atol=1e-7)
    # the pure function reproduces simulate() for the same key
    res = nmm.simulate(net, Hopf(a=0.02), duration_ms=20.0, integrator="stochastic_heun",
                       noise=nmm.AdditiveNoise(sigma=0.01), monitors=[Subsample(1.0)], key=0)
    np.testing.assert_allclose(np.asarray(jax.jit(run)(params, key)["subsample"]), res["subsample"].data, rtol=1e-5,
                               atol=1e-6)


# -- stimulus ------------------------------------------------------------------------------------------
def test_step_stimulus_shifts_fixed_point():
    # dx/dt = -k x + I  ->  x* = I / k
    net = _single(dt=0.1)
    stim = nmm.Stimulus(nmm.stimulus.Step(onset_ms=0.0), amplitude=0.3)
    res = nmm.simulate(net, Scalar(k=0.5), duration_ms=40.0, integrator="rk4", stimulus=stim,
                       monitors=[Subsample(40.0)], initial_state=[0.0])
    np.testing.assert_allclose(res["subsample"].data[-1, 0, 0], 0.6, rtol=1e-5)


def test_pulse_train_onsets_reported():
    net = _single(dt=0.1)
    stim = nmm.Stimulus(nmm.stimulus.PulseTrain(onset_ms=5.0, period_ms=10.0, width_ms=1.0, n_pulses=3))
    res = nmm.simulate(net, Scalar(k=1.0), duration_ms=50.0, stimulus=stim)
    np.testing.assert_allclose(res.stimulus_onsets_s, [0.005, 0.015, 0.025])


# -- divergence, bad input, memory ---------------------------------------------------------------------
def test_divergence_reports_step_and_region(small_connectome):
    net = nmm.Network(small_connectome, dt_ms=0.1)
    x0 = np.zeros((1, 5))
    x0[0, 3] = 1.0
    with pytest.raises(nmm.SimulationDivergedError, match="region 'reg3'") as err:
        nmm.simulate(net.replace(global_coupling=0.0), Scalar(k=-50.0), duration_ms=100.0, integrator="euler",
                     initial_state=x0)
    # independent reference: the same Euler recursion x + dt * (50 x) in numpy float32
    x, expected = np.float32(1.0), None
    with np.errstate(over="ignore"):
        for n in range(1, 200):
            x = np.float32(x + np.float32(0.1) * (np.float32(50.0) * x))
            if not np.isfinite(x):
                expected = n
                break
    assert err.value.step == expected
    assert err.value.region == "reg3"
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = nmm.simulate(net.replace(global_coupling=0.0), Scalar(k=-50.0), duration_ms=100.0, integrator="euler",
                           initial_state=x0, on_divergence="warn")
    assert res.info["divergence"]["step"] == expected


def test_bad_inputs_have_clear_messages(small_connectome):
    net = nmm.Network(small_connectome, dt_ms=0.1)
    with pytest.raises(ValueError, match="must be square"):
        nmm.Connectome(np.ones((3, 2)))
    with pytest.raises(ValueError, match="duration_ms"):
        nmm.simulate(net, Hopf(), duration_ms=1.05)
    with pytest.raises(ValueError, match="initial_state must have shape \\(2, 5\\)"):
        nmm.simulate(net, Hopf(), duration_ms=1.0, initial_state=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="deterministic"):
        nmm.simulate(net, Hopf(), duration_ms=1.0, noise=nmm.AdditiveNoise(0.1), integrator="heun")
    with pytest.raises(ValueError, match="integrator must be one of"):
        nmm.simulate(net, Hopf(), duration_ms=1.0, integrator="leapfrog")
    with pytest.raises(TypeError, match="model must be"):
        nmm.simulate(net, "hopf", duration_ms=1.0)
    with pytest.raises(ValueError, match="Hopf.a must be finite"):
        Hopf(a=np.nan)
    with pytest.raises(ValueError, match="noise sigma must be a scalar or have shape"):
        nmm.simulate(net, Hopf(), duration_ms=1.0, noise=nmm.AdditiveNoise(np.ones(3)), integrator="euler_maruyama")
    with pytest.raises(ValueError, match="sweep key .speed. names no parameter.*Sweepable paths"):
        nmm.simulate(net, Hopf(), duration_ms=1.0, sweep={"speed": [1, 2]})
    with pytest.raises(ValueError, match="Unknown parameter"):
        Hopf().replace(b=1.0)
    with pytest.raises(ValueError, match="speed_m_per_s must be a finite number > 0"):
        nmm.Network(small_connectome, speed_m_per_s=-3)


def test_memory_estimate_and_refusal(small_connectome):
    net = nmm.Network(small_connectome, dt_ms=0.1)
    est = nmm.estimate_memory(net, Hopf(), duration_ms=1000.0, monitors=[Raw(variables=("x", "y"))])
    assert est["outputs_bytes"] == 10000 * 2 * 5 * 4
    with pytest.raises(MemoryError, match="GiB"):
        nmm.simulate(net, Hopf(), duration_ms=1000.0, monitors=[Raw()], max_memory_gb=1e-5)


def test_import_core_loads_no_edge_packages():
    code = ("import sys, mne_nmm, mne_nmm.core, mne_nmm.core.kernel, mne_nmm.simulation; "
            "bad = [m for m in ('mne', 'nilearn', 'nibabel', 'optax', 'dask', 'matplotlib') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_sweep_over_a_positive_time_constant(small_connectome):
    """Sweeping a parameter that must be > 0 (Jansen-Rit ``a``) works and matches single runs."""
    net = nmm.Network(small_connectome, coupling=nmm.coupling.SigmoidalJansenRit(), dt_ms=0.1)
    kw = dict(duration_ms=20.0, integrator="heun", monitors=[Subsample(1.0)])
    batch = nmm.simulate(net, JansenRit(), sweep={"model.a": np.array([0.08, 0.12])}, **kw)
    single = nmm.simulate(net, JansenRit(a=0.12), **kw)
    np.testing.assert_allclose(batch["subsample"].data[1], single["subsample"].data, rtol=1e-4, atol=1e-4)


def test_sequential_and_vectorized_batches_agree(small_connectome):
    net = nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), dt_ms=0.1)
    kw = dict(duration_ms=20.0, integrator="stochastic_heun", noise=nmm.AdditiveNoise(0.01),
              monitors=[Subsample(1.0)], sweep={"global_coupling": np.array([0.0, 0.3])}, n_trials=2, key=4)
    a = nmm.simulate(net, Hopf(), batch_mode="sequential", **kw)
    b = nmm.simulate(net, Hopf(), batch_mode="vectorized", **kw)
    np.testing.assert_allclose(a["subsample"].data, b["subsample"].data, rtol=1e-5, atol=1e-6)
    assert a.final_state.shape == b.final_state.shape == (2, 2, 5)
    with pytest.raises(ValueError, match="batch_mode"):
        nmm.simulate(net, Hopf(), batch_mode="parallel", **kw)


def test_auto_batches_are_vectorized_in_bounded_cpu_groups(small_connectome, monkeypatch):
    """The default batch mode is vectorized; on a CPU a group holds at most CPU_GROUP_RUNS runs (here 2, so
    5 runs make 3 groups on one thread) and the numbers equal the single-run kernel's."""
    import mne_nmm.simulation.batch as sim

    monkeypatch.setattr(sim, "CPU_GROUP_RUNS", 2)
    net = nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), dt_ms=0.1)
    kw = dict(duration_ms=20.0, integrator="stochastic_heun", noise=nmm.AdditiveNoise(0.01),
              monitors=[Subsample(1.0)], n_trials=5, key=3, n_jobs=1)
    auto = nmm.simulate(net, Hopf(), **kw)
    assert auto.info["batch_mode"] == "vectorized" and auto.info["n_groups"] == 3
    seq = nmm.simulate(net, Hopf(), batch_mode="sequential", **kw)
    assert seq.info["n_groups"] == 5
    np.testing.assert_allclose(auto["subsample"].data, seq["subsample"].data, rtol=1e-5, atol=1e-6)
    assert not np.allclose(auto["subsample"].data[0], auto["subsample"].data[1])  # trials differ


@pytest.mark.parametrize("batch_mode", ["sequential", "vectorized"])
def test_n_jobs_does_not_change_results(small_connectome, batch_mode):
    """Runs split over 1, 2 or 3 threads (uneven groups) give the same numbers, in run order."""
    net = nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), dt_ms=0.1)
    kw = dict(duration_ms=20.0, integrator="stochastic_heun", noise=nmm.AdditiveNoise(0.01),
              monitors=[Subsample(1.0)], sweep={"global_coupling": np.linspace(0.0, 0.4, 5)}, key=9,
              batch_mode=batch_mode)
    ref = nmm.simulate(net, Hopf(), n_jobs=1, **kw)
    for n_jobs in (2, 3):
        res = nmm.simulate(net, Hopf(), n_jobs=n_jobs, **kw)
        assert res.info["n_jobs"] == n_jobs
        np.testing.assert_allclose(res["subsample"].data, ref["subsample"].data, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(res.final_state, ref.final_state, rtol=1e-6, atol=1e-7)
    # run 3 alone equals run 3 of the batch (its own parameter, same key for all runs of a sweep)
    single = nmm.simulate(net.replace(global_coupling=0.3), Hopf(), duration_ms=20.0, integrator="stochastic_heun",
                          noise=nmm.AdditiveNoise(0.01), monitors=[Subsample(1.0)], key=9)
    np.testing.assert_allclose(ref["subsample"].data[3], single["subsample"].data, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="n_jobs must be"):
        nmm.simulate(net, Hopf(), n_jobs=0, **kw)


def test_divergence_in_a_threaded_batch_names_the_run(small_connectome):
    net = nmm.Network(small_connectome, dt_ms=0.1, global_coupling=0.0)
    x0 = np.zeros((1, 5))
    x0[0, 3] = 1.0
    kw = dict(duration_ms=100.0, integrator="euler", initial_state=x0, sweep={"model.k": np.array([1.0, -50.0, 1.0])},
              n_jobs=2)
    with pytest.raises(nmm.SimulationDivergedError, match="Run 1 of the batch") as err:
        nmm.simulate(net, Scalar(), batch_mode="sequential", **kw)
    assert err.value.region == "reg3"
    with pytest.raises(nmm.SimulationDivergedError, match="Runs 0-1 of the batch"):
        nmm.simulate(net, Scalar(), batch_mode="vectorized", **kw)
