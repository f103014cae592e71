"""Sliding-window FC, FCD matrices and FCD distribution distances."""

import numpy as np
import pytest

from mne_nmm.analysis import fcd_distance, fcd_matrix, fcd_values, sliding_window_fc, upper_triangle

SFREQ = 2.0  # Hz
N_REG = 6


def _process(rng, n_times, mixings, block):
    """Gaussian signals whose mixing (correlation structure) cycles through ``mixings`` every ``block`` samples."""
    z = rng.standard_normal((n_times, N_REG))
    out = np.empty_like(z)
    for start in range(0, n_times, block):
        m = mixings[(start // block) % len(mixings)]
        out[start:start + block] = z[start:start + block] @ m
    return out


@pytest.fixture
def mixings():
    rng = np.random.default_rng(5)
    return [rng.standard_normal((N_REG, N_REG)) for _ in range(2)]


def test_sliding_window_fc_matches_corrcoef_of_slices():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((97, N_REG))
    fcs, starts = sliding_window_fc(x, window_s=10.0, step_s=3.0, sfreq_hz=SFREQ)  # 20 and 6 samples
    expected_starts = np.arange(0, 97 - 20 + 1, 6)
    np.testing.assert_allclose(starts, expected_starts / SFREQ)
    assert fcs.shape == (len(expected_starts), N_REG, N_REG)
    for fc, s in zip(fcs, expected_starts):
        np.testing.assert_allclose(fc, np.corrcoef(x[s:s + 20], rowvar=False), atol=1e-10)


def test_fcd_matrix_is_correlation_of_window_upper_triangles():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((83, N_REG))
    fcs, _ = sliding_window_fc(x, window_s=8.0, step_s=2.0, sfreq_hz=SFREQ)
    fcd = fcd_matrix(x, window_s=8.0, step_s=2.0, sfreq_hz=SFREQ)
    expected = np.corrcoef(np.array([upper_triangle(f) for f in fcs]))
    np.testing.assert_allclose(fcd, expected, atol=1e-10)
    np.testing.assert_allclose(fcd_matrix(fcs, window_s=None, step_s=None), fcd)
    np.testing.assert_allclose(fcd, fcd.T)
    n_w = len(fcs)
    assert fcd_values(fcd).shape == (n_w * (n_w - 1) // 2,)
    assert fcd_values(fcd, k=3).shape == ((n_w - 3) * (n_w - 2) // 2,)


def test_switching_process_has_wider_fcd_than_stationary(mixings):
    """A process switching between two correlation structures spreads its FCD values far more."""
    n_times, block = 1200, 120
    kw = dict(window_s=20.0, step_s=5.0, sfreq_hz=SFREQ)  # 40-sample windows, 10-sample steps
    stat_a = fcd_matrix(_process(np.random.default_rng(10), n_times, mixings[:1], block), **kw)
    stat_b = fcd_matrix(_process(np.random.default_rng(20), n_times, mixings[:1], block), **kw)
    switch = fcd_matrix(_process(np.random.default_rng(30), n_times, mixings, block), **kw)
    k = 4  # non-overlapping windows only
    assert np.std(fcd_values(switch, k=k)) > 1.5 * np.std(fcd_values(stat_a, k=k))
    assert np.mean(fcd_values(switch, k=k)) < np.mean(fcd_values(stat_a, k=k))
    ks_same = fcd_distance(stat_a, stat_b, metric="ks", k=k)
    ks_diff = fcd_distance(switch, stat_a, metric="ks", k=k)
    assert ks_same < 0.2 < ks_diff
    assert fcd_distance(switch, stat_a, metric="wasserstein", k=k) > 2 * fcd_distance(stat_a, stat_b,
                                                                                      metric="wasserstein", k=k)


def test_fcd_distance_known_values():
    v = np.random.default_rng(3).uniform(-0.5, 0.5, 500)
    assert fcd_distance(v, v) == 0.0
    assert fcd_distance(v, v + 0.2, metric="wasserstein") == pytest.approx(0.2, abs=1e-12)
    assert fcd_distance(v, v + 2.0, metric="ks") == 1.0  # disjoint supports
    with pytest.raises(ValueError, match="Invalid value for the 'metric' parameter"):
        fcd_distance(v, v, metric="kl")


def test_fcd_errors():
    x = np.random.default_rng(4).standard_normal((41, N_REG))
    with pytest.raises(ValueError, match="sfreq_hz is required"):
        sliding_window_fc(x, window_s=5.0, step_s=1.0)
    with pytest.raises(ValueError, match="longer than the data"):
        sliding_window_fc(x, window_s=30.0, step_s=1.0, sfreq_hz=SFREQ)
    with pytest.raises(ValueError, match="at least 3 samples"):
        sliding_window_fc(x, window_s=0.5, step_s=1.0, sfreq_hz=SFREQ)
    with pytest.raises(ValueError, match="less than one sample"):
        sliding_window_fc(x, window_s=5.0, step_s=0.1, sfreq_hz=SFREQ)
    with pytest.raises(ValueError, match="window_s must be a finite number > 0"):
        sliding_window_fc(x, window_s=-5.0, step_s=1.0, sfreq_hz=SFREQ)
    with pytest.raises(ValueError, match="at least 2 windows"):
        fcd_matrix(x, window_s=20.0, step_s=10.0, sfreq_hz=SFREQ)
