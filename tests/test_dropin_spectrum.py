"""The default resting EEG looks like resting EEG (issue 15): specparam ranges, posterior alpha, Welch windows."""

import numpy as np
import pytest

from mne_nmm.eeg import (RESTING_DEFAULTS, default_eeg_coupling, measure_resting_spectrum, resting_jansen_rit,
                         simulate_eeg, welch_n_fft)


def test_drive_gradient_follows_the_logistic_formula():
    y = np.array([-100.0, -55.0, -40.0, 0.0, 60.0])  # posterior -> anterior (mm, y anterior)
    pos = np.c_[np.zeros(5), y, np.zeros(5)]
    model = resting_jansen_rit(positions=pos)
    t = (y - y.min()) / (y.max() - y.min())
    d = RESTING_DEFAULTS
    want = d["mu_anterior"] + (d["mu_posterior"] - d["mu_anterior"]) / (1 + np.exp((t - d["boundary"]) / d["width"]))
    np.testing.assert_allclose(np.asarray(model.mu), want, rtol=1e-6)
    assert model.v0 == 6.0 and np.asarray(model.mu)[0] > 0.19 and np.asarray(model.mu)[-1] < 0.071


def test_coupling_scales_with_median_in_strength(small_connectome):
    w = small_connectome.normalized("max").weights
    assert default_eeg_coupling(small_connectome) == pytest.approx(10.0 / np.median(w.sum(axis=1)))


def test_welch_windows_fit_the_recording():
    n_fft = welch_n_fft(2500, 250.0)  # a 10 s file
    n_windows = 1 + (2500 - n_fft) // (n_fft // 2)
    assert n_fft == 625 and n_windows == 7
    assert welch_n_fft(15000, 250.0) == 1000  # 60 s: 4 s windows


def test_measure_resting_spectrum_recovers_a_synthetic_spectrum():
    """Pink (1/f^1.5) noise plus a 10 Hz burst-like oscillation: specparam finds the exponent and the peak."""
    import mne

    pytest.importorskip("specparam")
    rng = np.random.default_rng(0)
    sf, n = 250.0, 250 * 60
    f = np.fft.rfftfreq(n, 1 / sf)
    amp = np.zeros_like(f)
    amp[1:] = f[1:] ** -0.75
    amp *= 1 + 2.0 * np.exp(-0.5 * ((f - 10.0) / 1.0) ** 2)
    names = ["Oz", "O1", "O2", "Fpz", "Fp1", "Fp2"]
    data = np.array([np.fft.irfft(amp * np.exp(2j * np.pi * rng.uniform(size=f.size)), n) for _ in names])
    data[3:] *= 0.5  # anterior channels: a quarter of the power
    raw = mne.io.RawArray(data * 1e-5, mne.create_info(names, sf, "eeg"), verbose=False)
    m = measure_resting_spectrum(raw)
    assert m["exponent"] == pytest.approx(1.5, abs=0.15)
    assert m["alpha_cf_hz"] == pytest.approx(10.0, abs=0.3)
    assert m["post_ant_alpha_ratio"] == pytest.approx(4.0, rel=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("connectome", ["tvb76", "tvb68"])
def test_default_resting_eeg_is_in_the_published_ranges(connectome):
    pytest.importorskip("specparam")
    raw = simulate_eeg(20.0, connectome=connectome, seed=0)
    m = measure_resting_spectrum(raw)
    assert 1.0 <= m["exponent"] <= 2.5, m
    assert 8.0 <= m["alpha_cf_hz"] <= 12.0 and 1.0 <= m["alpha_bw_hz"] <= 4.0, m
    assert m["post_ant_alpha_ratio"] > 1.5, m
    assert 0.5e-6 < m["median_std"] < 100e-6
