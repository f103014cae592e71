"""Entrainment, brute-force sweeps, network synchrony and phase portraits against analytic results."""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
import pytest

import mne_nmm as nmm
from mne_nmm.core import coupling as cpl
from mne_nmm.core.models import Hopf, Kuramoto, WilsonCowan
from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.dynamics import (entrainment_map, network_stability, phase_portrait, plot_bifurcation_diagram,
                              plot_entrainment_map, plot_phase_portrait, sweep_diagram, synchrony_sweep,
                              continue_equilibrium)


@neural_mass
class AdlerOscillator(NeuralMass):
    """theta' = w + c0 cos(theta) - c1 sin(theta); with c = eps (sin W t, cos W t) this is
    theta' = w + eps sin(W t - theta), i.e. Adler's psi' = (w - W) - eps sin(psi) for psi = theta - W t."""

    state_variables: ClassVar[tuple] = ("theta",)
    coupled_variables: ClassVar[tuple] = ("theta",)
    units: ClassVar[dict] = {"theta": "rad"}
    f: float = 10.0  # Hz

    def dfun(self, state, coupling):
        th = state[0]
        return (2 * jnp.pi * self.f / 1000 + coupling[0] * jnp.cos(th) - coupling[1] * jnp.sin(th))[None]


def _quadrature(t_ms, f_hz):
    ph = 2 * jnp.pi * f_hz * t_ms / 1000.0
    return jnp.stack([jnp.sin(ph), jnp.cos(ph)])


def test_adler_locking_range_equals_forcing_amplitude():
    f0 = 10.0
    eps_hz = np.array([0.6, 1.2])                      # forcing amplitude in Hz (eps = 2 pi eps_hz / 1000 rad/ms)
    freqs = np.linspace(8.0, 12.0, 33)
    em = entrainment_map(AdlerOscillator(f=f0), frequencies_hz=freqs, amplitudes=2 * np.pi * eps_hz / 1000,
                         drive="coupling", waveform=_quadrature, phase=lambda s: s[0], duration_ms=6000.0,
                         transient_ms=1000.0, dt_ms=0.5, start=[0.0])
    assert abs(em.natural_frequency_hz - f0) < 5e-3  # float32 phase accumulation
    detune = np.abs(freqs - f0)
    for k, eps in enumerate(eps_hz):
        inside = detune < eps - 0.05
        outside = detune > eps + 0.05
        assert np.all(em.plv[k, inside] > 0.99) and np.all(np.abs(em.rotation_number[k, inside] - 1) < 1e-3)
        # outside the tongue the beat frequency is sqrt(detuning^2 - eps^2) (Adler 1946); compared where the
        # 5 s window holds >= 4 beats (a fractional, non-uniform beat biases the mean frequency)
        far = detune > eps + 0.3
        beat = np.abs(em.mean_frequency_hz[k, far] - freqs[far])
        np.testing.assert_allclose(beat, np.sqrt(detune[far] ** 2 - eps ** 2), rtol=0.05)
        assert np.all(em.plv[k, outside] < 0.9)
    lock = em.locked()
    np.testing.assert_allclose(em.locking_range_hz(), 2 * eps_hz, atol=2 * (freqs[1] - freqs[0]))
    assert lock.shape == (2, 33)


def test_stuart_landau_tongue_batched_40x40_widens_with_amplitude():
    em = entrainment_map(Hopf(a=0.1, omega=2 * np.pi * 10 / 1000), frequencies_hz=np.linspace(6, 14, 40),
                         amplitudes=np.linspace(0.0, 0.02, 40), duration_ms=1500.0, transient_ms=500.0, dt_ms=0.5)
    assert em.plv.shape == (40, 40)
    assert abs(em.natural_frequency_hz - 10.0) < 0.05
    widths = em.locking_range_hz()
    assert widths[0] < 0.5 and widths[-1] > widths[10] > widths[1]
    # weak-forcing phase reduction: |F - f| < eps / (4 pi sqrt(a)) * 1000 Hz (Pikovsky et al. 2001)
    k = 10
    predicted = 2 * em.amplitudes[k] / (4 * np.pi * np.sqrt(0.1)) * 1000
    assert abs(widths[k] - predicted) < 2 * (em.frequencies_hz[1] - em.frequencies_hz[0]) + 0.2 * predicted


def test_pulse_train_band_power():
    em = entrainment_map(Hopf(a=0.05, omega=2 * np.pi * 10 / 1000), frequencies_hz=[10.0, 130.0],
                         amplitudes=[0.0, 2.0], waveform=nmm.dynamics.pulse_waveform(0.5), band_hz=(8, 12),
                         duration_ms=1500.0, transient_ms=500.0, dt_ms=0.05)
    np.testing.assert_allclose(em.band_power_ratio[0], 1.0, rtol=1e-6)   # zero amplitude = unforced
    assert em.band_power_ratio.shape == (2, 2)


def test_sweep_diagram_stuart_landau_min_max_and_frequency():
    omega = 2 * np.pi * 8 / 1000
    a = np.array([-0.1, 0.02, 0.05, 0.1])
    sd = sweep_diagram(Hopf(omega=omega), "a", a, variable="x", duration_ms=3000.0, transient_ms=2000.0, dt_ms=0.5)
    osc = a > 0
    np.testing.assert_allclose(sd.maxima[osc, 0], np.sqrt(a[osc]), rtol=2e-3)
    np.testing.assert_allclose(sd.minima[osc, 0], -np.sqrt(a[osc]), rtol=2e-3)
    assert np.all(np.abs(sd.dominant_frequency_hz[osc, 0] - 8.0) <= 1.0)  # 1 Hz resolution of a 1 s window
    assert abs(sd.maxima[0, 0]) < 1e-3


def test_network_stability_delay_free_hopf(small_connectome):
    w = small_connectome.weights
    a, omega, G = -0.05, 0.3, 0.02
    ns = network_stability(Hopf(a=a, omega=omega), w, coupling=cpl.Difference(), global_coupling=G)
    lap = np.linalg.eigvals(w - np.diag(w.sum(1)))
    assert abs(ns.leading_eigenvalue.real - (a + G * lap.real.max())) < 1e-10
    assert ns.stable and ns.delays == "ignored"
    np.testing.assert_allclose(ns.state, 0.0, atol=1e-12)


def test_synchrony_sweep_two_delayed_kuramoto_oscillators():
    """In-phase locking needs K cos(W tau) > 0, anti-phase K cos(W tau) < 0 (Yeung & Strogatz 1999)."""
    w = np.array([[0.0, 1.0], [1.0, 0.0]])
    lengths = np.full((2, 2), 50.0)
    np.fill_diagonal(lengths, 0.0)
    con = nmm.Connectome(w, lengths, region_names=["a", "b"])
    omega = 2 * np.pi * 10 / 1000                     # 10 Hz: tau = 50 ms -> W tau = pi, 100 ms -> 2 pi
    sweep = synchrony_sweep(Kuramoto(omega=omega), con, global_couplings=[0.0, 0.04],
                            speeds_m_per_s=[np.inf, 1.0, 0.5], coupling=cpl.Kuramoto(), duration_ms=3000.0,
                            transient_ms=2000.0, dt_ms=0.5, start=np.array([[0.3, 2.0]]).reshape(1, 2))
    R = sweep.order_mean
    assert R.shape == (2, 3)
    np.testing.assert_allclose(R[0], abs(np.cos((2.0 - 0.3) / 2)), atol=1e-3)   # uncoupled: constant phase gap
    assert R[1, 0] > 0.999 and R[1, 2] > 0.999                                    # no delay, W tau = 2 pi
    assert R[1, 1] < 0.01                                                         # W tau = pi: anti-phase
    assert np.all(sweep.metastability[1] < 1e-2)


def test_phase_portrait_wilson_cowan_and_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wc = WilsonCowan(P=1.25)
    pp = phase_portrait(wc, "E", "I", x_range=(0, 0.5), y_range=(0, 0.5), n_grid=15, duration_ms=100.0, dt_ms=0.5)
    # the field is the model's vector field
    i, j = 4, 7
    d = np.asarray(wc.dfun(jnp.asarray([[pp.x_grid[j]], [pp.y_grid[i]]]), jnp.zeros((1, 1))))
    np.testing.assert_allclose([pp.u[i, j], pp.v[i, j]], d[:, 0], rtol=1e-5)
    fig = plot_phase_portrait(pp)
    br = continue_equilibrium(Hopf(a=-0.5, omega=0.3), "a", param_range=(-1, 1), start=[0, 0], max_steps=20)
    fig2 = plot_bifurcation_diagram(br, variable="x")
    em = entrainment_map(Hopf(), frequencies_hz=[9.0, 10.0, 11.0], amplitudes=[0.0, 0.01], duration_ms=300.0,
                         transient_ms=100.0, dt_ms=0.5)
    fig3 = plot_entrainment_map(em)
    for f in (fig, fig2, fig3):
        assert f.axes
    plt.close("all")


def test_forcing_errors():
    with pytest.raises(ValueError, match="drive must be 'coupling' or one of the state variables"):
        entrainment_map(Hopf(), frequencies_hz=[10.0], amplitudes=[0.1], drive="z")
    with pytest.raises(ValueError, match="frequencies_hz must be > 0"):
        entrainment_map(Hopf(), frequencies_hz=[-1.0], amplitudes=[0.1])
