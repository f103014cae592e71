"""LIF network: analytic single-neuron rate, sparse vs dense propagation, connectivity statistics, noise, batching."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from mne_nmm.spiking import (
    LIFNetwork,
    erdos_renyi_targets,
    lif_rate_constant_conductance,
    propagate_spikes,
    simulate_lif,
    targets_to_dense,
)


def _closed_form_isi(tau, vl, vth, vr, tref, g, e):
    """ISI of a noiseless LIF with constant conductance g to reversal e (Gerstner et al. 2014, ch. 1)."""
    gt = 1.0 + g
    v_inf = (vl + g * e) / gt
    return tref + tau / gt * np.log((v_inf - vr) / (v_inf - vth))


@pytest.mark.parametrize("dt", [0.1, pytest.param(0.01, marks=pytest.mark.slow)])
def test_single_neuron_fires_at_analytic_rate(dt):
    net = LIFNetwork(n_neurons=1, frac_exc=1.0, n_ext_trains=0.0, sigma_mv=0.0, g_ext_tonic=0.5, p=0.0)
    res = simulate_lif(net, jax.random.key(3), duration_ms=600.0, dt_ms=dt, n_recorded=1)
    t = res.spike_times_ms()[0]
    isi = np.diff(t[1:])  # the first spike depends on the random initial potential
    expected = _closed_form_isi(20.0, -70.0, -50.0, -60.0, 2.0, 0.5, 0.0)
    # threshold crossings are detected at the end of a step: each ISI is late by less than one step
    assert np.all(np.abs(isi - expected) <= dt + 0.02 * dt * expected)
    assert abs(np.mean(isi) - expected) <= 0.75 * dt
    assert np.isclose(lif_rate_constant_conductance(net, g_ext=0.5), 1e3 / expected)


def test_subthreshold_neuron_is_silent_and_relaxes():
    net = LIFNetwork(n_neurons=1, frac_exc=1.0, n_ext_trains=0.0, sigma_mv=0.0, g_ext_tonic=0.3, p=0.0)
    res = simulate_lif(net, jax.random.key(0), duration_ms=600.0, n_recorded=1)  # same compiled run as above
    assert res.spike_counts.sum() <= 1
    assert lif_rate_constant_conductance(net, g_ext=0.3) == 0.0
    assert np.isclose(res.v_mean_mv[-1], -70.0 / 1.3, atol=1e-3)  # V_inf = (V_L + g E) / (1 + g)


def test_sparse_propagation_equals_dense_reference():
    n = 37
    targets = erdos_renyi_targets(jax.random.key(1), n, 0.3)
    dense = targets_to_dense(targets, n)  # (post, pre)
    rng = np.random.default_rng(0)
    ptype = (np.arange(n) >= 29).astype(np.int32)
    prop = jax.jit(lambda s: propagate_spikes(s, targets, jax.numpy.asarray(ptype), n_types=2, chunk=4, block=8))
    for frac in (0.0, 0.05, 0.3, 1.0):  # 1.0: every neuron spikes, many chunks
        spiked = rng.uniform(size=n) < frac
        got = np.asarray(prop(jax.numpy.asarray(spiked)))
        for s in (0, 1):
            np.testing.assert_array_equal(got[s], dense @ (spiked & (ptype == s)).astype(int))


def test_erdos_renyi_statistics():
    n, p = 400, 0.05
    t = np.asarray(erdos_renyi_targets(jax.random.key(2), n, p))
    assert t.shape[0] == n + 1 and t.dtype == np.int32
    dense = targets_to_dense(t, n)
    assert np.all(np.diag(dense) == 0)  # no autapses
    assert dense.max() == 1  # no multapses
    n_edges = dense.sum()
    m = n * (n - 1)
    assert abs(n_edges - m * p) < 4 * np.sqrt(m * p * (1 - p))
    out_deg = dense.sum(axis=0)
    assert abs(out_deg.var() / ((n - 1) * p * (1 - p)) - 1) < 0.25  # Binomial variance
    with pytest.raises(ValueError, match="k_max"):
        erdos_renyi_targets(jax.random.key(2), n, p, k_max=5)
    with pytest.raises(ValueError, match="p must be"):
        erdos_renyi_targets(jax.random.key(2), n, 1.5)
    full = np.sort(np.asarray(erdos_renyi_targets(jax.random.key(0), 5, 1.0))[:5], axis=1)
    np.testing.assert_array_equal(full[:, :4], [[j for j in range(5) if j != i] for i in range(5)])


@pytest.mark.parametrize("dt", [0.1, pytest.param(0.05, marks=pytest.mark.slow)])
def test_membrane_noise_variance_independent_of_dt(dt):
    # no input, unreachable threshold: OU process, stationary sd = sigma (Gerstner et al. 2014, ch. 8)
    net = LIFNetwork(n_neurons=800, p=0.0, n_ext_trains=0.0, sigma_mv=2.0, v_th_mv=100.0, v_reset_mv=-70.0)
    res = simulate_lif(net, jax.random.key(4), duration_ms=500.0, dt_ms=dt, n_recorded=0)
    # the population mean of N independent OU processes has variance sigma^2 / N around V_L
    x = res.v_mean_mv[int(150 / dt):]
    assert abs(x.mean() + 70.0) < 4 * 2.0 / np.sqrt(800)
    assert 0.7 < x.std() * np.sqrt(800) / 2.0 < 1.3


def test_poisson_drive_rate_in_network():
    # same sizes as the noise test above (one compiled run); parameters are traced leaves
    net = LIFNetwork(n_neurons=800, p=0.0, frac_exc=0.6, v_th_mv=100.0, v_reset_mv=-70.0, sigma_mv=0.0)
    res = simulate_lif(net, jax.random.key(5), duration_ms=500.0, n_recorded=0)
    # external arrivals per neuron per ms, averaged over all neurons: lambda * K * r
    expect = 0.6 * 10_000 * 5e-3
    got = res.spike_input_per_ms[:, 2].mean()
    sem = np.sqrt(480 * 5000 * 10_000 * 5e-3 * 0.1) / (800 * 5000 * 0.1)  # Poisson total count / normaliser
    assert abs(got - expect) < 5 * sem
    assert np.all(res.spike_input_per_ms[:, :2] == 0)


def test_recorded_conductance_is_filtered_spike_input():
    net = LIFNetwork(n_neurons=300, p=0.2)
    res = simulate_lif(net, jax.random.key(6), duration_ms=300.0, n_recorded=10)
    tau = np.array([net.tau_exc_ms, net.tau_inh_ms, net.tau_ext_ms])
    w = np.array([net.w_exc, net.w_inh, net.w_ext])
    g = np.zeros(3)
    out = np.empty_like(res.conductance)
    for k, nu in enumerate(res.spike_input_per_ms):  # exact exponential decay + jumps, averaged over neurons
        g = g * np.exp(-res.dt_ms / tau) + w * nu * res.dt_ms
        out[k] = g
    np.testing.assert_allclose(res.conductance, out, rtol=2e-4, atol=1e-6)
    assert res.raster.shape == (3000, 10)
    assert res.spike_counts.sum() >= res.raster.sum()


def test_same_key_same_bits_and_batch_matches_single():
    # same sizes as the conductance test above: one compiled single run, one compiled batch
    net = LIFNetwork(n_neurons=300, p=0.2)
    kw = dict(duration_ms=300.0, n_recorded=10)
    a = simulate_lif(net, jax.random.key(7), **kw)
    b = simulate_lif(net, jax.random.key(7), **kw)
    np.testing.assert_array_equal(a.v_mean_mv, b.v_mean_mv)
    keys = jax.random.split(jax.random.key(8), 2)
    batch = simulate_lif(net.replace(frac_exc=np.array([0.8, 0.6])), keys, **kw)
    assert len(batch) == 2 and float(batch[1].network.frac_exc) == 0.6
    for i, lam in enumerate([0.8, 0.6]):
        single = simulate_lif(net.replace(frac_exc=lam), keys[i], **kw)
        np.testing.assert_array_equal(single.spike_counts, batch[i].spike_counts)
        np.testing.assert_allclose(single.v_mean_mv, batch[i].v_mean_mv, atol=1e-4)
        assert batch[i].is_exc.sum() == round(lam * 300)


def test_lif_validation_messages():
    with pytest.raises(ValueError, match="frac_exc must be a fraction"):
        LIFNetwork(frac_exc=1.2)
    with pytest.raises(ValueError, match="tau_m_ms must be > 0"):
        LIFNetwork(tau_m_ms=0.0)
    with pytest.raises(ValueError, match="v_reset_mv must be below v_th_mv"):
        LIFNetwork(v_reset_mv=-40.0)
    with pytest.raises(TypeError, match="network must be an instance of LIFNetwork"):
        simulate_lif("net", jax.random.key(0))
    with pytest.raises(ValueError, match="one PRNG key or 2 keys"):
        simulate_lif(LIFNetwork(n_neurons=10, p=np.array([0.1, 0.2])), jax.random.split(jax.random.key(0), 3),
                     duration_ms=1.0)
