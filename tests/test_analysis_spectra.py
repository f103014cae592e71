"""PSD (MNE Welch) against scipy's Welch and sinusoids; peak/band/median frequency; chi2 distance."""

import numpy as np
import pytest

from mne_nmm.analysis import band_power, median_frequency, peak_frequency, psd, spectral_chi2

SFREQ = 200.0


def test_psd_matches_scipy_welch():
    """Our PSD (through mne.time_frequency.psd_array_welch) equals scipy.signal.welch with the same settings."""
    from scipy.signal import welch

    rng = np.random.default_rng(0)
    x = rng.standard_normal((1013, 3)) * [1.0, 2.0, 0.5]
    p, f = psd(x, sfreq_hz=SFREQ, window_s=1.0, overlap=0.5)
    f_ref, p_ref = welch(x, fs=SFREQ, window="hamming", nperseg=200, noverlap=100, detrend="constant",
                         scaling="density", axis=0)
    np.testing.assert_allclose(f, f_ref)
    np.testing.assert_allclose(p, p_ref, rtol=1e-10)
    assert p.shape == (101, 3)  # frequency-major


def test_sinusoid_peak_and_band_power():
    t = np.arange(int(20 * SFREQ)) / SFREQ
    amps, freqs = np.array([3.0, 1.0]), np.array([12.5, 31.0])
    x = amps * np.sin(2 * np.pi * freqs * t[:, None] + [0.3, 1.1])
    x += 0.01 * np.random.default_rng(1).standard_normal(x.shape)
    p, f = psd(x, sfreq_hz=SFREQ, window_s=2.0)
    np.testing.assert_allclose(peak_frequency(p, f), freqs)  # on-bin frequencies (0.5 Hz resolution)
    assert peak_frequency(p[:, 0], f) == 12.5
    # power of a sinusoid is A^2 / 2 (Parseval), all within +-3 Hz of its peak
    bp = [band_power(p[:, c], f, fmin=fr - 3, fmax=fr + 3) for c, fr in enumerate(freqs)]
    np.testing.assert_allclose(bp, amps ** 2 / 2, rtol=5e-3)
    np.testing.assert_allclose(band_power(p, f, fmin=9.5, fmax=15.5, relative=True)[0], 1.0, atol=1e-3)
    # an off-bin frequency is found within half a bin
    y = np.sin(2 * np.pi * 17.3 * t)[:, None]
    py, fy = psd(y, sfreq_hz=SFREQ, window_s=2.0)
    assert abs(peak_frequency(py, fy)[0] - 17.3) <= 0.25


def test_white_noise_total_power_is_variance():
    x = 2.0 * np.random.default_rng(2).standard_normal((int(60 * SFREQ), 2))
    p, f = psd(x, sfreq_hz=SFREQ, window_s=1.0)
    np.testing.assert_allclose(band_power(p, f, fmin=0, fmax=SFREQ / 2), x.var(axis=0), rtol=0.03)
    np.testing.assert_allclose(median_frequency(p, f), SFREQ / 4, rtol=0.03)  # flat spectrum


def test_median_frequency_exact():
    f = np.linspace(0, 50, 101)
    assert median_frequency(np.ones_like(f), f) == pytest.approx(25.0, abs=1e-12)
    assert median_frequency(np.ones_like(f), f, fmin=10, fmax=20) == pytest.approx(15.0, abs=1e-12)
    tri = np.maximum(0, 10 - np.abs(f - 30))  # symmetric triangle around 30 Hz
    assert median_frequency(tri, f) == pytest.approx(30.0, abs=1e-12)
    both = median_frequency(np.stack([np.ones_like(f), tri], axis=1), f)
    np.testing.assert_allclose(both, [25.0, 30.0])


def test_relative_band_powers_partition_to_one():
    p = np.random.default_rng(3).uniform(0.1, 1.0, (41, 4))
    f = np.arange(41) * 0.5
    parts = band_power(p, f, fmin=0, fmax=5.2, relative=True) + band_power(p, f, fmin=5.4, fmax=20,
                                                                           relative=True)
    np.testing.assert_allclose(parts, 1.0)


def test_spectral_chi2_known_values():
    rng = np.random.default_rng(4)
    p = rng.uniform(0, 1, 50)
    assert spectral_chi2(p, p) == 0.0
    assert spectral_chi2(p, 7.5 * p) == pytest.approx(0.0, abs=1e-15)  # normalised like histograms
    a = np.r_[p[:25], np.zeros(25)]
    b = np.r_[np.zeros(25), p[25:]]
    assert spectral_chi2(a, b) == pytest.approx(2.0, abs=1e-14)  # disjoint: maximal
    # P = (1, 0), Q = (1/2, 1/2): (1/2)^2 / (3/2) + (1/2)^2 / (1/2) = 2/3
    assert spectral_chi2([2.0, 0.0], [1.0, 1.0]) == pytest.approx(2 / 3, abs=1e-15)
    per_channel = spectral_chi2(np.stack([p, a], 1), np.stack([p, b], 1))
    np.testing.assert_allclose(per_channel, [0.0, 2.0], atol=1e-14)
    q = rng.uniform(0, 1, 50)
    assert 0 < spectral_chi2(p, q) < 2
    assert spectral_chi2(p, q) == pytest.approx(spectral_chi2(q, p), abs=1e-15)  # symmetric


def test_spectra_errors():
    x = np.random.default_rng(5).standard_normal((101, 3))
    with pytest.raises(ValueError, match="longer than the data"):
        psd(x, sfreq_hz=SFREQ, window_s=1.0)
    with pytest.raises(ValueError, match="overlap must be a fraction"):
        psd(x, sfreq_hz=SFREQ, overlap=1.0)
    with pytest.raises(ValueError, match="psd_a and psd_b must have the same shape"):
        spectral_chi2(np.ones(5), np.ones(6))
    with pytest.raises(ValueError, match="psd_b has a spectrum with zero total power"):
        spectral_chi2(np.ones(5), np.zeros(5))
    with pytest.raises(ValueError, match="non-negative"):
        spectral_chi2(np.ones(5), -np.ones(5))
    with pytest.raises(ValueError, match=r"psds must have shape \(n_freqs,\)"):
        peak_frequency(np.ones((4, 2)), np.arange(5.0))
    with pytest.raises(ValueError, match="No frequency in"):
        band_power(np.ones(5), np.arange(5.0), fmin=10, fmax=12)
