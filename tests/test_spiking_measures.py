"""Spike-contrast and the chi-squared significance bound against their analytic limits."""

import numpy as np
import pytest

from mne_nmm.spiking import chi2_distance_threshold, spike_contrast, welch_dof


def test_spike_contrast_identical_trains_is_one():
    rng = np.random.default_rng(0)
    base = np.sort(rng.uniform(0, 2000, 30))
    base = base[np.concatenate([[True], np.diff(base) > 5])]
    s = spike_contrast([base] * 12, t_start_ms=0, t_stop_ms=2000)
    assert s > 0.95


def test_spike_contrast_independent_trains_is_low():
    rng = np.random.default_rng(1)
    trains = [np.sort(rng.uniform(0, 2000, 20)) for _ in range(40)]
    s, sizes, curve = spike_contrast(trains, t_start_ms=0, t_stop_ms=2000, return_curve=True)
    assert s < 0.3
    assert sizes.size == curve.size and np.all(np.diff(sizes) < 0)
    jitter = [np.sort(np.clip(trains[0] + rng.normal(0, 1.0, trains[0].size), 0, 2000)) for _ in range(40)]
    assert spike_contrast(jitter, t_start_ms=0, t_stop_ms=2000) > 0.8  # near-synchronous
    with pytest.raises(ValueError, match="at least 2 spike trains"):
        spike_contrast([trains[0]], t_start_ms=0, t_stop_ms=1)


def test_welch_dof_limits():
    # no overlap, boxcar: K independent periodograms -> 2K degrees of freedom
    assert welch_dof(1000, 100, 0, window="boxcar") == pytest.approx(20.0)
    # 50 % overlap Hamming: more than the 2K of the non-overlapping segments, fewer than 2 x all segments
    nu = welch_dof(1000, 100, 50)
    assert 2 * 10 < nu < 2 * 19


def test_chi2_threshold_false_positive_rate():
    """Two independent estimates of one spectrum exceed the bound in about alpha of the trials."""
    from scipy.signal import lfilter, welch

    from mne_nmm.analysis import spectral_chi2

    rng = np.random.default_rng(2)
    n, nper = 2500, 500
    dof = welch_dof(n, nper, nper // 2)
    alpha, trials, hits = 0.05, 300, 0
    for _ in range(trials):
        x, y = (lfilter([1.0], [1.0, -0.9], rng.normal(size=n)) for _ in range(2))  # AR(1), same spectrum
        f, px = welch(x, fs=1000, window="hamming", nperseg=nper, noverlap=nper // 2)
        _, py = welch(y, fs=1000, window="hamming", nperseg=nper, noverlap=nper // 2)
        sel = (f >= 2) & (f <= 100)
        d = spectral_chi2(px[sel], py[sel])
        hits += d > chi2_distance_threshold(px[sel], py[sel], dof, alpha=alpha)
    se = np.sqrt(alpha * (1 - alpha) / trials)
    assert abs(hits / trials - alpha) < 4 * se + 0.02  # within sampling error and the approximation
    with pytest.raises(ValueError, match="alpha must be"):
        chi2_distance_threshold(px, py, dof, alpha=2.0)
