"""Kuramoto order parameter, metastability and phase-locking value against closed forms."""

import numpy as np
import pytest

from mne_nmm.analysis import (instantaneous_phase, kuramoto_order, metastability, order_parameter,
                              phase_locking_value)

SFREQ = 250.0


def test_order_parameter_closed_forms():
    rng = np.random.default_rng(0)
    same = np.repeat(rng.uniform(-np.pi, np.pi, (37, 1)), 6, axis=1)
    np.testing.assert_allclose(order_parameter(same), 1.0, atol=1e-12)
    theta = np.linspace(0, np.pi, 11)
    two_groups = np.stack([np.zeros_like(theta), np.zeros_like(theta), theta, theta], axis=1)
    np.testing.assert_allclose(order_parameter(two_groups), np.abs(np.cos(theta / 2)), atol=1e-12)
    splay = np.tile(2 * np.pi * np.arange(5) / 5, (3, 1)) + rng.uniform(0, 1, (3, 1))
    np.testing.assert_allclose(order_parameter(splay), 0.0, atol=1e-12)


@pytest.mark.parametrize("n", [4, 25])
def test_uniform_random_phases_give_one_over_sqrt_n(n):
    """For N independent uniform phases E[R^2] = 1/N exactly, so R ~ 1/sqrt(N)."""
    rng = np.random.default_rng(n)
    r = order_parameter(rng.uniform(-np.pi, np.pi, (20000, n)))
    assert np.sqrt(np.mean(r ** 2)) == pytest.approx(1 / np.sqrt(n), rel=0.02)
    assert 0.8 / np.sqrt(n) < np.mean(r) < 1.0 / np.sqrt(n)  # Rayleigh limit sqrt(pi / 4N) = 0.886 / sqrt(N)


def test_kuramoto_order_of_signals_and_band():
    t = np.arange(int(8 * SFREQ)) / SFREQ
    rng = np.random.default_rng(1)
    amps = rng.uniform(0.5, 2.0, 5)
    common = np.sin(2 * np.pi * 10 * t)[:, None] * amps + rng.uniform(-3, 3, 5)  # offsets are removed
    np.testing.assert_allclose(kuramoto_order(common, sfreq_hz=SFREQ), 1.0, atol=1e-10)
    # splay state: phases 2 pi k / N apart -> R = 0 away from the edges
    splay = np.sin(2 * np.pi * 10 * t[:, None] + 2 * np.pi * np.arange(5) / 5)
    mid = slice(int(SFREQ), -int(SFREQ))
    assert np.max(kuramoto_order(splay, sfreq_hz=SFREQ)[mid]) < 0.02
    # strong independent 40 Hz components hide the common 10 Hz rhythm unless we band-pass
    noisy = common + 4 * np.sin(2 * np.pi * 40 * t[:, None] + rng.uniform(0, 2 * np.pi, 5))
    broad = kuramoto_order(noisy, sfreq_hz=SFREQ)
    narrow = kuramoto_order(noisy, sfreq_hz=SFREQ, band=(7.0, 13.0))
    assert np.mean(broad[mid]) < 0.8
    assert np.min(narrow[mid]) > 0.99


def test_metastability_is_std_of_order():
    r = np.tile([0.2, 0.8], 50)
    assert metastability(r) == pytest.approx(0.3, abs=1e-12)
    assert metastability(np.full(20, 0.7)) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="order must be a Kuramoto order parameter"):
        metastability(np.array([0.5, 1.5]))


def test_phase_locking_value():
    t = np.arange(int(10 * SFREQ)) / SFREQ
    rng = np.random.default_rng(2)
    locked = np.sin(2 * np.pi * 6 * t[:, None] + [0.0, 1.0, 2.5])  # constant phase differences
    noise = rng.standard_normal((t.size, 2))
    data = np.concatenate([locked, noise], axis=1)
    plv = phase_locking_value(data, sfreq_hz=SFREQ, band=(4.0, 8.0))
    np.testing.assert_allclose(plv, plv.T)
    np.testing.assert_allclose(np.diag(plv), 1.0)
    np.testing.assert_allclose(plv[:3, :3], 1.0, atol=1e-2)  # filter and Hilbert edges cost a little
    assert plv[3, 4] < 0.25 and np.all(plv[:3, 3:] < 0.25)
    # PLV equals |mean exp(i dphi)| of the instantaneous phases
    ph = instantaneous_phase(data, sfreq_hz=SFREQ, band=(4.0, 8.0))
    assert plv[0, 3] == pytest.approx(np.abs(np.mean(np.exp(1j * (ph[:, 0] - ph[:, 3])))), abs=1e-12)


def test_phase_needs_sfreq_for_band():
    with pytest.raises(ValueError, match="sfreq_hz is required for band-pass filtering"):
        kuramoto_order(np.random.default_rng(3).standard_normal((100, 3)), band=(1.0, 2.0))
    with pytest.raises(ValueError, match="below the Nyquist"):
        kuramoto_order(np.random.default_rng(3).standard_normal((100, 3)), band=(1.0, 60.0), sfreq_hz=100.0)
