"""
.. _tut-spiking-vs-mass:

When is a neural mass a fair summary of a spiking network?
==========================================================

A neural mass model stands for a population of spiking neurons. This tutorial
checks that claim the way Deschle et al. (2021) did: simulate a network of
noisy conductance-based leaky integrate-and-fire (LIF) neurons, record the
population-averaged spike input of each synapse type, drive two Freeman-type
mass models with it (the conventional CFM, with a constant mean potential in
the driving force, and the modified MFM, with the time-dependent one), and
compare their mean potential with the network's:

* median frequency of both spectra and the chi-squared distance between the
  normalised spectra, with its significance bound (alpha = 0.01);
* optimal lag and lagged correlation, with a Fisher-z bound that accounts for
  autocorrelation.

Then we sweep the connection probability ``p`` and the excitatory fraction
``lambda``, and finally check the Montbrio-Pazo-Roxin mean field of the
catalogue against a network of quadratic integrate-and-fire neurons, for which
it is exact.

Set ``MNE_NMM_TUTORIAL_QUICK=1`` to run everything small (CI). A 300-neuron
network is not a 2,000-neuron one with fewer cells: with fixed weights, the
regimes move. The statements in the text are about the full settings.

References: Deschle N., Gossn J.I., Tewarie P., Schelter B., Daffertshofer A.
(2021) On the validity of neural mass models. Front Comput Neurosci 14:581040;
Freeman W.J. (1975) Mass action in the nervous system; Montbrió E., Pazó D.,
Roxin A. (2015) Phys Rev X 5:021028; Ciba M. et al. (2018) J Neurosci Methods
293:136-143 (Spike-contrast).
"""

# %%
# Settings
# --------
# The full-size network has 10,000 neurons; the quick mode keeps the mean
# in-degree ``p N`` (which sets the regime, the weights being fixed) but uses
# fewer neurons and shorter runs.
import os

import jax
import numpy as np

from mne_nmm import spiking

QUICK = os.environ.get("MNE_NMM_TUTORIAL_QUICK", "0") == "1"
N = 300 if QUICK else 2000
DURATION = 800.0 if QUICK else 3000.0
ANALYSIS = {"t_discard_ms": 200.0 if QUICK else 500.0, "window_s": 0.2 if QUICK else 0.5, "alpha": 0.01}
DEGREE_SYNC, DEGREE_DESYNC = (250, 50) if QUICK else (500, 100)
# one padded out-degree for every run: one compilation serves them all
K_MAX = spiking.connectivity.default_k_max(N, DEGREE_SYNC / N)
print(f"N = {N} neurons, {DURATION:g} ms per network")

# %%
# One network near the onset of low-frequency synchronisation
# -----------------------------------------------------------
# Mean in-degree 500 (250 in the quick mode), 80 % excitatory neurons. The external drive is 10,000
# Poisson trains at 5 Hz onto each excitatory neuron, drawn as a single Poisson
# process of rate 50 spikes/ms (superposition).
net = spiking.LIFNetwork(n_neurons=N, p=DEGREE_SYNC / N, frac_exc=0.8)
res = spiking.simulate_lif(net, jax.random.key(0), duration_ms=DURATION, k_max=K_MAX)
print(res)
cmp = spiking.compare_mass_models(res, **ANALYSIS)
for c in cmp.values():
    print(c, "-> tracks" if c.tracks else "-> fails")
sync = spiking.spike_contrast(res.spike_times_ms(), t_start_ms=ANALYSIS["t_discard_ms"], t_stop_ms=DURATION,
                              min_bin_ms=1.0)
print(f"Spike-contrast synchrony: {sync:.2f}")
fig = spiking.plot_comparison(res, cmp)

# %%
# A desynchronised network
# ------------------------
# With a mean in-degree of 100 the neurons fire irregularly and independently;
# the mean potential barely fluctuates and the mass models, which neglect
# threshold and reset, miss its spectrum.
res_desync = spiking.simulate_lif(net.replace(p=DEGREE_DESYNC / N), jax.random.key(1), duration_ms=DURATION,
                                  k_max=K_MAX)
for c in spiking.compare_mass_models(res_desync, **ANALYSIS).values():
    print(c, "-> tracks" if c.tracks else "-> fails")

# %%
# The {p, lambda} grid
# --------------------
# Networks with the same ``p`` run as one ``vmap`` over ``lambda``. The full
# grid of the study (10,000 neurons, finer axes, several seeds) is the same
# call with ``scheduler="dask"`` on a cluster.
degrees = [DEGREE_DESYNC, DEGREE_SYNC] if QUICK else [100, 300, 500, 1000]
lambdas = [0.65, 0.95] if QUICK else [0.5, 0.65, 0.8, 0.95]
grid = spiking.sweep_p_lambda([d / N for d in degrees], lambdas, base=spiking.LIFNetwork(n_neurons=N),
                              duration_ms=DURATION, k_max="common", analysis_kwargs=ANALYSIS)
table = grid.table()
table["cfm_tracks"] = (table.chi2_cfm <= table.chi2_crit_cfm) & (table.r_cfm > table.r_crit)
table["mfm_tracks"] = (table.chi2_mfm <= table.chi2_crit_mfm) & (table.r_mfm > table.r_crit)
print(table[["p", "lam", "median_freq_network_hz", "median_freq_mfm_hz", "chi2_cfm", "chi2_mfm", "chi2_crit_mfm",
             "r_mfm", "r_crit", "spike_contrast", "cfm_tracks", "mfm_tracks"]].round(3).to_string(index=False))
fig = spiking.plot_grid(grid)

# %%
# QIF network against the Montbrio-Pazo-Roxin mean field
# ------------------------------------------------------
# For quadratic integrate-and-fire neurons with Lorentzian excitabilities the
# firing-rate equations are exact as ``N`` grows. A step of input produces a
# damped-oscillation transient in both.
qnet = spiking.QIFNetwork(n_neurons=1000 if QUICK else 20000)
dur, dt = (100.0, 0.05) if QUICK else (200.0, 0.05)
t = (np.arange(int(dur / dt)) + 1) * dt
current = np.where((t > 30) & (t < 80), 3.0, 0.0)
qif = spiking.simulate_qif(qnet, jax.random.key(2), duration_ms=dur, dt_ms=dt, current=current)
mpr = spiking.simulate_mpr(qnet.to_mpr(), duration_ms=dur, dt_ms=dt, current=current)
r_star = qnet.to_mpr().fixed_points(input_current=3.0)[-1][0]
late = (t > 65) & (t < 80)
print(f"rate during the step: network {qif.rate_per_ms[late].mean() * 1e3:.1f} Hz, MPR fixed point "
      f"{r_star * 1e3:.1f} Hz")
fig = spiking.plot_qif_mpr(qif, mpr)
