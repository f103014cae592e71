"""
.. _tut-dynamics-ladder:

The dynamics of the neural-mass ladder
======================================

The "Rosetta Stone of neural mass models" (Castaldo et al., Physics Reports 2026)
orders models by what they add: a phase that rotates, a damped oscillator, the
Stuart-Landau oscillator, Wilson-Cowan, Jansen-Rit and the next-generation
interneuron-gamma (ING) mean field. :mod:`mne_nmm.dynamics` answers the questions
that decide between them — where does a node oscillate, how is the rhythm born,
how does it lock to a stimulus, how does a network synchronise — with the same
functions for every model:

* :func:`~mne_nmm.dynamics.find_equilibria` and :func:`~mne_nmm.dynamics.phase_portrait`,
* :func:`~mne_nmm.dynamics.continue_equilibrium` (folds ``LP``, Hopf points ``H`` with
  their first Lyapunov coefficient) and :func:`~mne_nmm.dynamics.continue_limit_cycle`
  (the cycles born at a Hopf point, with Floquet multipliers),
* :func:`~mne_nmm.dynamics.entrainment_map` (Arnold tongues) and
  :func:`~mne_nmm.dynamics.synchrony_sweep` / :func:`~mne_nmm.dynamics.network_stability`.

Set ``MNE_NMM_TUTORIAL_QUICK=1`` for a fast run with coarser grids.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import mne_nmm as nmm
from mne_nmm import dynamics as dyn
from mne_nmm.models import ING, DampedOscillator, Hopf, JansenRit, PhaseOscillator, WilsonCowan

QUICK = os.environ.get("MNE_NMM_TUTORIAL_QUICK", "0") == "1"
STEPS = 60 if QUICK else 200

# %%
# One figure, six rungs
# ---------------------
# Top row: the phase portrait of one node (vector field, nullclines, trajectories,
# filled/open dots for stable/unstable equilibria). Bottom row: its bifurcation
# diagram against the parameter that turns the rhythm on (solid = stable,
# dashed = unstable; equilibria in black, the extrema of the limit cycles in blue).
fig, axes = plt.subplots(2, 6, figsize=(22, 7), layout="constrained")

# 1. Phase oscillator: no equilibria, the phase simply rotates at f. Its "diagram"
# is the frequency against f (measured by a batched brute-force sweep).
po = PhaseOscillator(f=10.0)
th = np.linspace(0, 2 * np.pi, 200)
axes[0, 0].plot(np.cos(th), np.sin(th), color="tab:red")
axes[0, 0].set(title="1 phase oscillator", xlabel="cos theta", ylabel="sin theta", aspect="equal")
sweep = dyn.sweep_diagram(po, "f", np.linspace(2, 40, 8 if QUICK else 20), variable="x", duration_ms=1000.0,
                          transient_ms=100.0, dt_ms=0.5)
axes[1, 0].plot(sweep.values, sweep.dominant_frequency_hz[:, 0], "o-")
axes[1, 0].set(xlabel="f (Hz)", ylabel="frequency (Hz)")

# 2. Damped oscillator: a stable focus for zeta > 0; at zeta = 0 a (linear, degenerate)
# Hopf point with l1 = 0.
do = DampedOscillator(f=10.0, zeta=0.2)
pp = dyn.phase_portrait(do, "x", "v", x_range=(-1, 1), y_range=(-0.06, 0.06), duration_ms=150.0)
dyn.plot_phase_portrait(pp, ax=axes[0, 1], title="2 damped oscillator")
br = dyn.continue_equilibrium(do, "zeta", param_range=(-0.3, 0.5), start=[0.0, 0.0], max_steps=STEPS)
axes[1, 1].plot(br.params, br.eigenvalues[:, 0].real * 1000, "k")
for sp in br.points("H"):
    axes[1, 1].plot(sp.param, 0, "o", color="tab:green")
    axes[1, 1].annotate(f"H (l1 = {sp.data['l1']:.0g})", (sp.param, 0), xytext=(4, 6), textcoords="offset points")
axes[1, 1].set(xlabel="zeta", ylabel="Re lambda_max (1/s)")

# 3. Stuart-Landau: a supercritical Hopf at a = 0; the continued cycle has radius sqrt(a).
sl = Hopf(a=0.1, omega=2 * np.pi * 10 / 1000)
pp = dyn.phase_portrait(sl, "x", "y", x_range=(-0.6, 0.6), y_range=(-0.6, 0.6), duration_ms=200.0)
dyn.plot_phase_portrait(pp, ax=axes[0, 2], title="3 Stuart-Landau")
br = dyn.continue_equilibrium(sl.replace(a=-0.2), "a", param_range=(-0.2, 0.3), start=[0.0, 0.0])
cyc = dyn.continue_limit_cycle(br, param_range=(-0.2, 0.3), max_steps=40)
dyn.plot_bifurcation_diagram([br, cyc], variable="x", ax=axes[1, 2])
print(br.points("H"))

# 4. Wilson-Cowan (1972 limit-cycle set): the E-I loop oscillates between two Hopf points in the drive P.
wc = WilsonCowan.limit_cycle()
pp = dyn.phase_portrait(wc, "E", "I", x_range=(0, 0.5), y_range=(0, 0.5), duration_ms=200.0)
dyn.plot_phase_portrait(pp, ax=axes[0, 3], title="4 Wilson-Cowan")
br = dyn.continue_equilibrium(wc.replace(P=0.0), "P", param_range=(0.0, 3.0), max_steps=STEPS)
print(br, br.points("H"))
branches = [br]
if br.points("H") and not QUICK:
    branches.append(dyn.continue_limit_cycle(br, param_range=(0.0, 3.0), max_steps=STEPS // 2))
dyn.plot_bifurcation_diagram(branches, variable="E", ax=axes[1, 3])

# 5. Jansen-Rit (Jansen & Rit's v0 = 6 mV): folds and Hopf points at mu = 0.0898 and
# 0.3157 /ms (Grimbert & Faugeras 2006); the alpha cycles join the two Hopf points.
jr = JansenRit.jansen_rit_1995()
pp = dyn.phase_portrait(jr, "y1", "y2", x_range=(0, 30), y_range=(0, 25), duration_ms=300.0, dt_ms=0.2)
dyn.plot_phase_portrait(pp, ax=axes[0, 4], title="5 Jansen-Rit", show_field=False)
br = dyn.continue_equilibrium(jr.replace(mu=0.0), "mu", param_range=(-0.1, 0.45), max_steps=STEPS)
h1 = min(br.points("H"), key=lambda sp: abs(sp.param - 0.0898))
cyc = dyn.continue_limit_cycle(br, point=h1, param_range=(0.0, 0.45), max_steps=STEPS)
dyn.plot_bifurcation_diagram([br, cyc], variable="y1", ax=axes[1, 4])
for sp in br.points("H"):
    print(f"Jansen-Rit Hopf at mu = {sp.param:.4f} /ms, {sp.data['frequency_hz']:.2f} Hz, {sp.data['kind']}")

# 6. ING: recurrent inhibition with synaptic kinetics; gamma oscillations appear at a Hopf point in eta.
ing = ING()
pp = dyn.phase_portrait(ing, "r", "v", x_range=(0.0, 0.15), y_range=(-1.5, 0.5), duration_ms=100.0, dt_ms=0.02)
dyn.plot_phase_portrait(pp, ax=axes[0, 5], title="6 ING (s at equilibrium)", show_field=False)
br = dyn.continue_equilibrium(ing.replace(eta=1.0), "eta", param_range=(0.5, 15.0), max_steps=STEPS)
branches = [br]
print(br.points("H"))
if br.points("H") and not QUICK:
    branches.append(dyn.continue_limit_cycle(br, param_range=(0.5, 15.0), max_steps=STEPS // 2))
dyn.plot_bifurcation_diagram(branches, variable="r", ax=axes[1, 5])

# %%
# Forcing: the Arnold tongue of the Stuart-Landau rung
# ----------------------------------------------------
# All forcing frequencies and amplitudes integrate in one vmapped run. Inside the
# tongue the phase-locking value is 1; its width grows linearly with the amplitude
# for weak forcing (``|F - f| < eps / (4 pi sqrt(a))``, Pikovsky et al. 2001).
n = 12 if QUICK else 40
em = dyn.entrainment_map(sl, frequencies_hz=np.linspace(6, 14, n), amplitudes=np.linspace(0, 0.02, n),
                         duration_ms=800.0 if QUICK else 1500.0, transient_ms=300.0, dt_ms=0.5)
dyn.plot_entrainment_map(em, title="Stuart-Landau, 1:1 tongue")

# %%
# In a network: synchrony against coupling and conduction speed
# --------------------------------------------------------------
# Ten Kuramoto-coupled phase oscillators on a random connectome: the mean order
# parameter and the metastability (its standard deviation in time) over global
# coupling and conduction speed, one batched run with integer delays.
rng = np.random.default_rng(0)
w = rng.uniform(size=(10, 10)) * (rng.uniform(size=(10, 10)) < 0.5)
np.fill_diagonal(w, 0)
lengths = rng.uniform(20, 120, (10, 10))
lengths = (lengths + lengths.T) / 2
con = nmm.Connectome(w, lengths, region_names=[f"r{i}" for i in range(10)])
omega = 2 * np.pi * rng.normal(10, 0.5, 10) / 1000
sync = dyn.synchrony_sweep(nmm.models.Kuramoto(omega=omega), con, global_couplings=np.linspace(0, 0.6, 4 if QUICK else 10),
                           speeds_m_per_s=[1.0, 3.0, 10.0, np.inf], coupling=nmm.coupling.Kuramoto(),
                           duration_ms=1500.0 if QUICK else 4000.0, transient_ms=500.0, dt_ms=0.5)
fig, ax = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
for k, v in enumerate(sync.speeds_m_per_s):
    ax[0].plot(sync.global_couplings, sync.order_mean[:, k], "o-", label=f"{v:g} m/s")
    ax[1].plot(sync.global_couplings, sync.metastability[:, k], "o-")
ax[0].set(xlabel="global coupling G", ylabel="mean order R")
ax[1].set(xlabel="global coupling G", ylabel="metastability (std R)")
ax[0].legend(fontsize="small")

# %%
# And the network's fixed point: Stuart-Landau nodes below their Hopf point stay
# quiet as long as the leading eigenvalue of the (delay-free) network Jacobian,
# ``a + G * max Re eig(W - diag(rowsum))``, is negative.
ns = dyn.network_stability(Hopf(a=-0.02, omega=2 * np.pi * 10 / 1000), con, coupling=nmm.coupling.Difference(),
                           global_coupling=0.1)
print(ns)
