"""QIF network against the exact Montbrio-Pazo-Roxin mean field of the catalogue."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from mne_nmm.spiking import QIFNetwork, lorentzian_quantiles, simulate_mpr, simulate_qif
from mne_nmm.spiking.qif import _qif_flow, _time_to_peak


def test_exact_qif_flow_matches_closed_forms():
    h = 0.003
    v = np.array([-3.0, 0.5, 2.0, 10.0])
    for c in (4.0, -4.0, 0.0):
        got = np.asarray(_qif_flow(jax.numpy.asarray(v), jax.numpy.full(4, c), h)[0], float)
        if c > 0:
            s = np.sqrt(c)
            ref = s * np.tan(s * h + np.arctan(v / s))
        elif c < 0:
            k = np.sqrt(-c)
            a = (v - k) / (v + k) * np.exp(2 * k * h)
            ref = k * (1 + a) / (1 - a)
        else:
            ref = v / (1 - v * h)
        np.testing.assert_allclose(got, ref, rtol=2e-5)
    # time to the peak: integral of dV / (V^2 + c) from 2 to 100 with c = 4
    t = float(_time_to_peak(jax.numpy.float32(2.0), jax.numpy.float32(4.0), 100.0))
    assert np.isclose(t, (np.arctan(50.0) - np.arctan(1.0)) / 2.0, rtol=1e-5)


def test_lorentzian_quantiles_median_and_quartiles():
    eta = lorentzian_quantiles(1001, center=-5.0, half_width=2.0)
    assert np.isclose(np.median(eta), -5.0)
    assert np.isclose(np.percentile(eta, 75) - np.percentile(eta, 25), 4.0, rtol=0.01)  # IQR = 2 half-widths


def _steady(n, current=3.0):
    net = QIFNetwork(n_neurons=n)
    res = simulate_qif(net, jax.random.key(0), duration_ms=200.0, dt_ms=0.05, current=current)
    sel = res.times_ms > 60.0
    r_star, v_star = net.to_mpr().fixed_points(input_current=current)[-1]
    return res.rate_per_ms[sel].mean(), res.v_mean[sel].mean(), r_star, v_star


def test_qif_mean_rate_converges_to_mpr_fixed_point():
    """Finite-size error ~ 1/sqrt(N): |r_N / r* - 1| <= 0.6 / sqrt(N), |v_N - v*| <= 1.5 / sqrt(N), shrinking with N."""
    errs = []
    for n in (1000, 4000):
        r, v, r_star, v_star = _steady(n)
        assert abs(r / r_star - 1) <= 0.6 / np.sqrt(n)
        assert abs(v - v_star) <= 1.5 / np.sqrt(n)
        errs.append(abs(r / r_star - 1))
    assert errs[1] < errs[0]


@pytest.mark.slow
def test_qif_converges_large_n_and_tracks_step_transient():
    r, v, r_star, v_star = _steady(16000)
    assert abs(r / r_star - 1) <= 0.6 / np.sqrt(16000)
    net = QIFNetwork(n_neurons=20000)
    dur, dt = 200.0, 0.05
    t = (np.arange(int(dur / dt)) + 1) * dt
    cur = np.where((t > 50) & (t < 120), 3.0, 0.0)  # MPR 2015 Fig. 2 protocol (eta=-5, J=15, Delta=1)
    q = simulate_qif(net, jax.random.key(1), duration_ms=dur, dt_ms=dt, current=cur)
    m = simulate_mpr(net.to_mpr(), duration_ms=dur, dt_ms=dt, current=cur)
    rq = q.smoothed_rate(1.0)
    assert np.corrcoef(rq, m.rate_per_ms)[0, 1] > 0.95
    # 10-ms window means agree within 5 % (finite size ~0.6 / sqrt(N) plus the 1-ms smoothing of fast transients)
    for a in range(50, 200, 10):
        w = (q.times_ms > a) & (q.times_ms <= a + 10)
        assert abs(rq[w].mean() / m.rate_per_ms[w].mean() - 1) < 0.05


def test_sparse_qif_uses_the_same_machinery():
    net = QIFNetwork(n_neurons=1500, p=0.2)
    res = simulate_qif(net, jax.random.key(2), duration_ms=100.0, current=3.0)
    r_star = net.to_mpr().fixed_points(3.0)[-1][0]
    assert abs(res.rate_per_ms[res.times_ms > 40].mean() / r_star - 1) < 0.1
    with pytest.raises(ValueError, match="current must be"):
        simulate_qif(net, jax.random.key(2), duration_ms=1.0, current=np.zeros(3))
