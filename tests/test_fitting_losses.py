"""The JAX losses give the same numbers as analysis's numpy/MNE/scipy definitions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from mne_nmm import analysis
from mne_nmm.fitting import losses as L


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):  # equality to rounding needs float64 (the engine's default is float32)
        yield


@pytest.fixture
def ts():
    rng = np.random.default_rng(3)
    mix = rng.normal(size=(7, 7))
    return rng.normal(size=(301, 7)) @ mix  # correlated channels, unequal sizes


def test_fc_and_similarity_match_numpy(ts):
    f = np.asarray(L.fc(ts))
    np.testing.assert_allclose(f, np.corrcoef(ts, rowvar=False), atol=1e-12)
    np.testing.assert_allclose(f, analysis.functional_connectivity(ts), atol=1e-12)
    other = np.corrcoef(ts[::-1] ** 2, rowvar=False)
    ref = analysis.fc_similarity(f, other)
    got = L.fc_similarity(f, other)
    assert float(got["r"]) == pytest.approx(ref["r"], abs=1e-12)
    assert float(got["rmse"]) == pytest.approx(ref["rmse"], abs=1e-12)
    assert float(L.fc_loss(f, other)) == pytest.approx(1 - ref["r"], abs=1e-12)


def test_fcd_matches_analysis(ts):
    sf = 2.0
    n_win, n_step = L.window_samples(sf, 20.0, 5.0)
    ref_fcs, _ = analysis.sliding_window_fc(ts, window_s=20.0, step_s=5.0, sfreq_hz=sf)
    np.testing.assert_allclose(np.asarray(L.sliding_window_fc(ts, n_win, n_step)), ref_fcs, atol=1e-12)
    ref = analysis.fcd_matrix(ts, window_s=20.0, step_s=5.0, sfreq_hz=sf)
    got = np.asarray(L.fcd_matrix(ts, n_win, n_step))
    np.testing.assert_allclose(got, ref, atol=1e-12)
    other = analysis.fcd_matrix(np.cumsum(ts, axis=0), window_s=30.0, step_s=7.0, sfreq_hz=sf)  # other size
    for metric, fn in (("ks", L.fcd_ks), ("wasserstein", L.fcd_wasserstein)):
        want = analysis.fcd_distance(ref, other, metric=metric)
        assert float(fn(ref, other)) == pytest.approx(want, abs=1e-12), metric  # same inputs, same definition
    # the smooth KS approaches the exact one
    assert float(L.fcd_ks_smooth(got, other, bandwidth=1e-3, n_grid=4001)) == pytest.approx(
        analysis.fcd_distance(ref, other, metric="ks"), abs=0.02)


def test_wasserstein_matches_scipy_and_is_differentiable():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=37), rng.normal(0.3, 1.2, size=53)
    assert float(L.fcd_wasserstein(a, b)) == pytest.approx(stats.wasserstein_distance(a, b), abs=1e-12)
    # shifting every value of a by +d changes W1 by the fraction-weighted derivative: check by FD
    g = jax.grad(lambda s: L.fcd_wasserstein(jnp.asarray(a) + s, b))(0.0)
    eps = 1e-6
    fd = (stats.wasserstein_distance(a + eps, b) - stats.wasserstein_distance(a - eps, b)) / (2 * eps)
    assert float(g) == pytest.approx(fd, abs=1e-6)


def test_bandpass_matches_mne_filter_data(ts):
    from mne.filter import filter_data

    sf = 100.0
    x = np.cumsum(np.concatenate([ts, ts[::-1], ts]), axis=0)  # 903 samples, a trend, like BOLD
    h = L.fir_kernel(sf, 1.0, 10.0, x.shape[0])
    assert 1 < h.size < x.shape[0]
    got = np.asarray(L.bandpass(x, h))
    ref = filter_data(x.T.copy(), sf, 1.0, 10.0, verbose=False).T
    np.testing.assert_allclose(got, ref, atol=1e-10 * np.abs(ref).max())
    # and analysis's band= path (which calls MNE) gives the same FC
    fc_ref = analysis.functional_connectivity(x, band=(1.0, 10.0), sfreq_hz=sf)
    np.testing.assert_allclose(np.asarray(L.fc(L.bandpass(x, h))), fc_ref, atol=1e-9)


def test_welch_matches_analysis_psd(ts):
    sf = 250.0
    ref, freqs = analysis.psd(ts, sfreq_hz=sf, window_s=64 / sf)
    got, f = L.welch_psd(ts, sf, 64)
    np.testing.assert_allclose(f, freqs)
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-10)
    odd, fo = L.welch_psd(ts, sf, 63, overlap=0.3)
    ref_o, freqs_o = analysis.psd(ts, sfreq_hz=sf, window_s=63 / sf, overlap=0.3)
    np.testing.assert_allclose(fo, freqs_o)
    np.testing.assert_allclose(np.asarray(odd), ref_o, rtol=1e-10)


def test_peak_frequency_soft_and_log_psd():
    sf, T = 200.0, 4000
    t = np.arange(T) / sf
    rng = np.random.default_rng(1)
    x = np.stack([np.sin(2 * np.pi * 10.0 * t), np.sin(2 * np.pi * 23.0 * t)], axis=1) + 0.1 * rng.normal(size=(T, 2))
    p, f = L.welch_psd(x, sf, 400)
    pk = np.asarray(L.peak_frequency_soft(p, f, 2.0, 40.0, temperature=0.01))
    ref = analysis.peak_frequency(np.asarray(p), f, fmin=2.0, fmax=40.0)
    np.testing.assert_allclose(pk, ref, atol=1e-6)
    np.testing.assert_allclose(pk, [10.0, 23.0], atol=0.5)
    assert float(L.log_psd_distance(p, p, f)) == 0.0
    assert float(L.log_psd_distance(p, 10 * p, f, fmin=1.0)) == pytest.approx(1.0, abs=1e-12)  # one decade


def test_weighted_sum_names_unknown_terms():
    assert float(L.weighted_sum({"fc": 0.5, "fcd": 0.2}, {"fc": 1.0, "fcd": 2.0})) == pytest.approx(0.9)
    with pytest.raises(KeyError, match="psd"):
        L.weighted_sum({"fc": 0.5}, {"psd": 1.0})
