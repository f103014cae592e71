"""
.. _tut-fit-eeg-spectrum:

Fit regional alpha frequencies to an EEG spectrum through the lead field
========================================================================

EEG spectra are sums over regions seen through the lead field: a posterior region that
oscillates faster shifts the alpha peak at occipital electrodes more than at frontal ones.
Because the lead field is inside the differentiated simulation
(:class:`~mne_nmm.monitors.LeadField`), the gradient of a sensor-level spectral loss reaches
every region's parameter.

Here the "recording" is simulated with a known posterior-to-anterior gradient of alpha
frequencies (9 to 11.5 Hz) on the default head, so the fit can be checked against the truth;
with your own data replace ``target`` by ``mne_nmm.analysis.psd(raw, window_s=...)``.

The loss (:class:`~mne_nmm.fitting.SpectrumObjective`) is the mean squared difference of the
log10 Welch spectra of every channel (each normalised to unit power over 2-30 Hz: the shape,
not the unknown source amplitude) plus a soft peak-frequency term in the alpha band. The
Welch estimate is the same as :func:`mne_nmm.analysis.psd` (tested to rounding).

Not covered here: the aperiodic (1/f) slope; a Hopf node has none (its spectrum is a
Lorentzian peak), fit it with a model that has one (e.g. Jansen-Rit driven by noise) and a
spectral-parameterisation target.
"""

# %%
import os

import jax
import matplotlib.pyplot as plt
import numpy as np

import mne_nmm as nmm
from mne_nmm import analysis
from mne_nmm.fitting import SpectrumObjective, gradient_fit

QUICK = os.environ.get("MNE_NMM_TUTORIAL_QUICK") == "1"

conn = nmm.datasets.load_connectome("tvb76").normalized("max")
head = nmm.datasets.default_head("eeg")
if QUICK:                                       # a quarter of the regions: the same code, faster
    conn = conn.subset(list(conn.region_names[::4]))
net = nmm.Network(conn, coupling=nmm.coupling.Difference(), global_coupling=0.005, speed_m_per_s=3.0, dt_ms=1.0)
mon = nmm.monitors.LeadField(head, period_ms=4.0, variable="x", moment_am_per_unit=1e-8)   # 250 Hz EEG
noise = nmm.AdditiveNoise(sigma=0.02)
hz = 2 * np.pi / 1000.0                          # Hopf omega is in rad/ms

# %%
# The "recording": alpha faster at the back of the head
# -----------------------------------------------------
# TVB-76 centres are in a frame whose x axis points anterior (see the data notes).
x_ant = conn.centres_mm[:, 0]
posterior = (x_ant.max() - x_ant) / np.ptp(x_ant)        # 1 at the back, 0 at the front
f_true = 9.0 + 2.5 * posterior                            # Hz
duration_s = 20.0 if QUICK else 60.0
res = nmm.simulate(net, nmm.models.Hopf(a=-0.02, omega=f_true * hz), duration_ms=(duration_s + 1) * 1000.0,
                   integrator="stochastic_heun", noise=noise, monitors=[mon], key=1)
eeg = res[mon.name].data[250:, 0, :]
target, freqs = analysis.psd(eeg, sfreq_hz=250.0, window_s=2.0)
print("target: %d channels, peak %.2f-%.2f Hz across channels"
      % (target.shape[1], *np.percentile(analysis.peak_frequency(target, freqs, fmin=5, fmax=15), [5, 95])))

# %%
# Fit one frequency per region, starting everywhere at 10 Hz
# ----------------------------------------------------------
obj = SpectrumObjective(net, nmm.models.Hopf(a=-0.02, omega=10.0 * hz), mon, target, duration_s=duration_s,
                        window_s=2.0, fmin=2.0, fmax=30.0, peak_band=(6.0, 14.0), noise=noise)
fit = gradient_fit(obj, {"model.omega": {"bounds": (6 * hz, 14 * hz), "shape": "region"}},
                   keys="fresh", n_keys=1, learning_rate=0.1, max_iter=3 if QUICK else 60,
                   n_validation_keys=1, validate_every=1 if QUICK else 10, patience=None, random_state=0)
f_fit = fit["best_values_"]["model.omega"] / hz
r = np.corrcoef(f_fit, f_true)[0, 1]
print("%d steps, %.1f s per step; fitted vs true regional frequency: r = %.2f, median |error| %.2f Hz"
      % (fit["n_iter_"], fit["seconds_per_step_"], r, np.median(np.abs(f_fit - f_true))))

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
axes[0].scatter(f_true, f_fit)
axes[0].plot([9, 11.5], [9, 11.5], "k--", lw=1)
axes[0].set(xlabel="true alpha frequency (Hz)", ylabel="fitted (Hz)", title=f"regions (r = {r:.2f})")
axes[1].plot(fit["loss_history_"], label="training (fresh noise)")
if fit["validation_history_"]:
    it, v = zip(*fit["validation_history_"])
    axes[1].plot(it, v, "o-", label="validation")
axes[1].set(xlabel="step", ylabel="spectral loss")
axes[1].legend()
