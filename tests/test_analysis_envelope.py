"""Amplitude-envelope correlation and pairwise orthogonalisation (leakage correction)."""

import numpy as np
import pytest
from scipy.signal import hilbert

from mne_nmm.analysis import envelope_correlation

SFREQ = 100.0
T = int(60 * SFREQ)


def _slow(rng, scale=1.0):
    """Smooth Gaussian noise (0.5 s Gaussian kernel), unit-variance times scale."""
    w = rng.standard_normal(T)
    k = np.exp(-0.5 * (np.arange(-150, 151) / SFREQ / 0.5) ** 2)
    y = np.convolve(w, k / k.sum(), "same")
    return y / y.std() * scale


def _source(rng, envelope=None):
    """10 Hz carrier with a slowly drifting phase and a positive slow envelope."""
    t = np.arange(T) / SFREQ
    a = np.exp(0.5 * _slow(rng)) if envelope is None else envelope
    phase = np.cumsum(_slow(rng)) * np.pi / SFREQ
    return a * np.cos(2 * np.pi * 10 * t + phase), a


def test_orthogonalisation_removes_zero_lag_leakage():
    """Two independent sources mixed instantaneously: plain AEC is high, orthogonalised AEC near 0."""
    rng = np.random.default_rng(0)
    s1, a1 = _source(rng)
    s2, _ = _source(rng)
    mixed = np.stack([s1 + 0.8 * s2, s2 + 0.8 * s1], axis=1)
    plain = envelope_correlation(mixed, band=(6.0, 14.0), sfreq_hz=SFREQ)
    orth = envelope_correlation(mixed, band=(6.0, 14.0), sfreq_hz=SFREQ, orthogonalize="pairwise")
    assert plain[0, 1] > 0.8
    assert orth[0, 1] < 0.1
    np.testing.assert_allclose(np.diag(plain), 1.0)
    np.testing.assert_allclose(np.diag(orth), 0.0)
    # genuine envelope coupling (same envelope, independent phases) survives orthogonalisation
    s3, _ = _source(rng, envelope=a1)
    coupled = np.stack([s1, s3], axis=1)
    assert envelope_correlation(coupled, band=(6.0, 14.0), sfreq_hz=SFREQ, orthogonalize="pairwise")[0, 1] > 0.5


def test_matches_definition():
    """AEC equals the textbook formula written with angles: |x_i| |sin(phi_i - phi_j)| vs |x_j|."""
    rng = np.random.default_rng(1)
    x = np.stack([_source(rng)[0] for _ in range(3)], axis=1) + 0.3 * rng.standard_normal((T, 3))
    z = hilbert(x, axis=0)
    amp, phi = np.abs(z), np.angle(z)
    # our implementation zero-pads the Hilbert transform to a fast length: compare on data of that length
    from scipy.fft import next_fast_len

    assert next_fast_len(T) == T
    plain = envelope_correlation(x, sfreq_hz=SFREQ)
    np.testing.assert_allclose(plain, np.corrcoef(amp, rowvar=False), atol=1e-10)
    orth = envelope_correlation(x, sfreq_hz=SFREQ, orthogonalize="pairwise")
    for i in range(3):
        for j in range(3):
            if i == j:
                continue
            c_ij = np.corrcoef(amp[:, i] * np.abs(np.sin(phi[:, i] - phi[:, j])), amp[:, j])[0, 1]
            c_ji = np.corrcoef(amp[:, j] * np.abs(np.sin(phi[:, j] - phi[:, i])), amp[:, i])[0, 1]
            assert orth[i, j] == pytest.approx((abs(c_ij) + abs(c_ji)) / 2, abs=1e-10)


@pytest.mark.parametrize("orthogonalize, log, absolute", [("pairwise", False, True), ("pairwise", True, False),
                                                          (False, False, True), (False, True, True)])
def test_matches_mne_connectivity(orthogonalize, log, absolute):
    """Independent reference: mne_connectivity.envelope_correlation on the same band-passed data."""
    mc = pytest.importorskip("mne_connectivity")
    from mne.filter import filter_data

    rng = np.random.default_rng(2)
    x = rng.standard_normal((1201, 5)) @ rng.standard_normal((5, 5))
    from scipy.fft import next_fast_len

    xf = filter_data(x.T.copy(), SFREQ, 8.0, 12.0, verbose=False)
    # mne-connectivity pads the Hilbert transform to scipy.fftpack's fast length (1215 here), we to scipy.fft's
    # (1210): give it the same analytic signal so the envelope/orthogonalisation arithmetic is what is compared
    z = hilbert(xf, N=next_fast_len(xf.shape[1]), axis=-1)[:, :xf.shape[1]]
    ref = mc.envelope_correlation(z[np.newaxis], orthogonalize=orthogonalize, log=log, absolute=absolute)
    ref = ref.get_data(output="dense")[0, :, :, 0]
    ours = envelope_correlation(x, band=(8.0, 12.0), sfreq_hz=SFREQ, orthogonalize=orthogonalize, log=log,
                                absolute=absolute)
    np.testing.assert_allclose(ours, ref, atol=1e-10)


def test_epochs_average_and_errors():
    mne = pytest.importorskip("mne")
    rng = np.random.default_rng(3)
    ep = rng.standard_normal((3, 4, 400))
    epochs = mne.EpochsArray(ep, mne.create_info(4, SFREQ, "eeg"), verbose=False)
    per = [envelope_correlation(e.T, sfreq_hz=SFREQ, orthogonalize="pairwise") for e in ep]
    np.testing.assert_allclose(envelope_correlation(epochs, orthogonalize="pairwise"), np.mean(per, axis=0))
    with pytest.raises(ValueError, match="Invalid value for the 'orthogonalize' parameter"):
        envelope_correlation(ep[0].T, orthogonalize=True)
    with pytest.raises(ValueError, match="at least 2 channels"):
        envelope_correlation(ep[0, :1].T)
