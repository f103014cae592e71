"""
.. _tut-dynamics-epilepsy:

Excitability, seizures and their spread: a bifurcation view of epilepsy
========================================================================

Seizures are transitions between dynamical regimes, and bifurcation theory
names them (Jirsa et al. 2014; Saggio et al. 2020). This tutorial walks through
three levels with :mod:`mne_nmm.dynamics`:

1. **Excitability near a SNIC.** Below a saddle-node on invariant circle
   (SNIC) a node rests but answers a large enough kick with one full excursion, a
   spike; above it the excursion repeats forever, with a frequency that starts at
   zero (Izhikevich 2007, ch. 6-7: "class 1" excitability). Continuation shows the
   fold (``LP``) and the cycle whose period diverges there.
2. **The Epileptor** (Jirsa et al. 2014): a slow permittivity variable ``z`` sweeps
   the fast subsystem through a fold (seizure onset) and back through a homoclinic
   bifurcation (offset). Its excitability ``x0`` has a critical value that the
   slow manifold gives in closed form.
3. **An x0 map on the connectome.** One epileptogenic region (EZ) in the 76-region
   TVB connectome, coupled through the permittivity coupling of Proix et al.
   (2014): which regions are recruited, and when.

References: Izhikevich E.M. (2007) *Dynamical Systems in Neuroscience*, MIT Press;
Strogatz S.H. (2015) *Nonlinear Dynamics and Chaos*, 2nd ed., sec. 4.3 (the
nonuniform oscillator); Jirsa V.K., Stacey W.C., Quilichini P.P., Ivanov A.I.,
Bernard C. (2014) On the nature of seizure dynamics, *Brain* 137:2210-2230;
Proix T., Bartolomei F., Chauvel P., Bernard C., Jirsa V.K. (2014) Permittivity
coupling across brain regions determines seizure recruitment in partial epilepsy,
*J Neurosci* 34:15009-15021; Jirsa V.K. et al. (2017) The Virtual Epileptic
Patient, *NeuroImage* 145:377-388; Saggio M.L. et al. (2020) A taxonomy of seizure
dynamotypes, *eLife* 9:e55632; Kuznetsov Yu.A. (2004) *Elements of Applied
Bifurcation Theory*, Springer.

Set ``MNE_NMM_TUTORIAL_QUICK=1`` for a fast run (shorter simulations).
"""

# %%
import os

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import mne_nmm as nmm
from mne_nmm import dynamics as dyn
from mne_nmm.datasets import load_connectome
from mne_nmm.models import Epileptor, NeuralMass, neural_mass

QUICK = os.environ.get("MNE_NMM_TUTORIAL_QUICK", "0") == "1"

# %%
# 1. Excitability below a SNIC, oscillation above it
# --------------------------------------------------
# The simplest SNIC is the nonuniform oscillator ``dtheta/dt = omega (mu -
# cos theta)`` (Strogatz 2015, sec. 4.3; Izhikevich 2007, sec. 6.1) on an attracting
# circle. Written in the plane (a user model, see :ref:`tut-custom-model`)::
#
#     dx/dt = lam x (1 - x^2 - y^2) - omega (mu - x) y
#     dy/dt = lam y (1 - x^2 - y^2) + omega (mu - x) x
#
# For ``mu < 1`` the circle carries a stable node and a saddle at ``x = mu``; they
# merge at ``mu = 1`` and for ``mu > 1`` the flow runs round the circle with period
# ``T = 2 pi / (omega sqrt(mu^2 - 1))``, infinite at the bifurcation.


@neural_mass
class NonuniformOscillator(NeuralMass):
    """Nonuniform oscillator on an attracting unit circle: a SNIC at ``mu = 1`` (Strogatz 2015, sec. 4.3).

    ``x' = lam x (1 - r^2) - omega (mu - x) y + c``, ``y' = lam y (1 - r^2) + omega (mu - x) x``;
    on ``r = 1`` the angle obeys ``theta' = omega (mu - cos theta)`` (Izhikevich 2007, sec. 6.1).
    """

    name = "nonuniform_oscillator"
    state_variables = ("x", "y")
    coupled_variables = ("x",)
    default_output = "x"
    eeg_source = "x"
    bold_drive = "x"
    stimulus_variable = "y"
    units = {"x": "a.u.", "y": "a.u."}
    positive_parameters = ("lam", "omega")

    lam: float = 0.1                       # radial attraction (1/ms)
    omega: float = 2 * np.pi * 10 / 1000   # angular scale (rad/ms)
    mu: float = 0.9

    def dfun(self, state, coupling):
        x, y = state[0], state[1]
        radial = self.lam * (1.0 - x * x - y * y)
        turn = self.omega * (self.mu - x)
        return jnp.stack([radial * x - turn * y + coupling[0], radial * y + turn * x])

    def default_initial(self):
        return np.array([0.9, -0.44])

    def initial_spread(self):
        return np.array([0.01, 0.01])


snic = NonuniformOscillator(mu=0.5)
rest = [0.5, -np.sqrt(0.75)]                   # the stable node at mu = 0.5
branch = dyn.continue_equilibrium(snic, "mu", param_range=(0.5, 1.2), start=rest, max_steps=200)
(fold,) = branch.points("LP")
print(branch, fold)
assert abs(fold.param - 1.0) < 1e-6, f"the SNIC fold should be at mu = 1, got {fold.param}"

# The cycle above the fold, found by simulation and continued in mu: its period
# follows the closed form all the way down to mu = 1.01.
near = snic.replace(mu=1.01)
start, period = dyn.find_limit_cycle(near, duration_ms=8000.0, dt_ms=0.2)
cycles = dyn.continue_limit_cycle(near, param="mu", param_range=(1.0, 1.6), start=start, period_ms=period,
                                  n_steps=400, max_steps=12 if QUICK else 60)
T_exact = 2 * np.pi / (near.omega * np.sqrt(cycles.params ** 2 - 1))
print(cycles, f"max relative period error {np.max(np.abs(cycles.periods_ms / T_exact - 1)):.1e}")
assert np.allclose(cycles.periods_ms, T_exact, rtol=1e-4), "cycle periods differ from 2 pi / (omega sqrt(mu^2 - 1))"

# %%
# Now simulate both sides. Three independent copies of the node (a network
# without connections): below the SNIC (``mu = 0.97``) hit by a weak and by a
# strong 5 ms pulse on ``y``, and above it (``mu = 1.03``) left alone. To fire, a
# pulse must carry the state across the saddle, an angle ``2 arccos(mu)`` away
# from rest.
mus = np.array([0.97, 0.97, 1.03])
theta_gap = 2 * np.arccos(0.97)
print(f"angle from rest to the saddle at mu = 0.97: {theta_gap:.3f} rad")
copies = nmm.Network(nmm.Connectome(np.zeros((3, 3)), np.zeros((3, 3)), region_names=["weak", "strong", "above"]),
                     coupling=nmm.coupling.Linear(), global_coupling=0.0, dt_ms=0.1)
x_rest = np.stack([np.full(3, 0.97), np.full(3, -np.sqrt(1 - 0.97 ** 2))])
kick = nmm.Stimulus(nmm.stimulus.Pulse(onset_ms=200.0, width_ms=5.0), regions=np.array([0.05, 0.15, 0.0]))
sim = nmm.simulate(copies, snic.replace(mu=mus), duration_ms=1500.0, integrator="rk4", stimulus=kick,
                   initial_state=x_rest, monitors=[nmm.monitors.Subsample(1.0, variables=("x", "y"))])
xs = sim["subsample"].data[:, 0, :]
t_snic = sim["subsample"].times_s * 1000.0
assert xs[:, 0].min() > 0.5, "the weak pulse should stay below threshold (no spike)"
assert xs[:, 1].min() < -0.99 and abs(xs[-1, 1] - 0.97) < 1e-3, "the strong pulse should give one spike and rest"
n_spikes_above = np.sum((xs[:-1, 2] > -0.5) & (xs[1:, 2] <= -0.5))
print(f"spikes: weak pulse 0, strong pulse 1, above the SNIC {n_spikes_above} in 1.5 s "
      f"(period {2 * np.pi / (near.omega * np.sqrt(1.03 ** 2 - 1)):.0f} ms)")

fig, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
dyn.plot_bifurcation_diagram([branch, cycles], variable="y", ax=axes[0], title="equilibria and cycles vs mu")
axes[1].semilogy(cycles.params, cycles.periods_ms, "o", ms=3, label="continue_limit_cycle")
mm = np.linspace(1.002, 1.6, 200)
axes[1].semilogy(mm, 2 * np.pi / (near.omega * np.sqrt(mm ** 2 - 1)), "k-", lw=1, label="2 pi / (omega sqrt(mu^2 - 1))")
axes[1].axvline(1.0, color="tab:red", ls=":", label="SNIC (LP)")
axes[1].set(xlabel="mu", ylabel="period (ms)", title="the period diverges at the SNIC")
axes[1].legend(fontsize="small")
for j, lab in enumerate(("mu = 0.97, weak pulse", "mu = 0.97, strong pulse", "mu = 1.03, no input")):
    axes[2].plot(t_snic, xs[:, j] - 2.5 * j, label=lab)
axes[2].axvline(200.0, color="0.7", lw=0.8)
axes[2].set(xlabel="time (ms)", ylabel="x (offset)", title="excitable vs oscillatory", yticks=[])
axes[2].legend(fontsize="small", loc="lower right")

# %%
# Below the SNIC the node is *excitable*: an all-or-none response whose
# threshold is the saddle. A pulse of amplitude ``A`` and width 5 ms on ``y`` turns
# the state by about ``5 A cos(theta_rest)``, 0.24 rad for the weak and 0.73 rad
# for the strong pulse, against the 0.49 rad to the saddle. Just above the SNIC
# the same excursion repeats at an arbitrarily low rate (``f ~ sqrt(mu - 1)``),
# most of each period spent in the bottleneck ("ghost") left where the node and
# the saddle merged. A Hopf onset instead starts at
# a finite frequency (see :ref:`tut-dynamics-ladder` and :ref:`tut-dynamics-dbs`).
#
# 2. The Epileptor: onset at a fold, offset at a homoclinic
# ---------------------------------------------------------
# In the Epileptor the fast subsystem ``(x1, y1)`` sits on the lower branch of the
# slow manifold ``z = -x1^3 - 2 x1^2 + 1 + Iext`` (``x1 < 0``), whose fold at
# ``x1 = -4/3`` lies at ``z_LP = 1 + Iext - 32/27``. The slow variable ``z`` drifts
# towards ``s (x1 - x0)``; the equilibrium of the whole model survives while it sits
# on the lower branch, i.e. for ``x0 < x0_c = ((-4/3)^3 + 2 (-4/3)^2 + s (-4/3) - 1
# - Iext) / s``. Continuation of the full 6-variable model in ``x0`` finds where
# it loses stability.
ep = Epileptor()
z_LP = 1 + ep.Iext - 32 / 27
x0_c = ((-4 / 3) ** 3 + 2 * (-4 / 3) ** 2 + ep.s * (-4 / 3) - 1 - ep.Iext) / ep.s
eq_branch = dyn.continue_equilibrium(ep.replace(x0=-2.2), "x0", param_range=(-2.3, -1.95), max_steps=60)
(h_x0,) = eq_branch.points("H")
print(eq_branch, h_x0, f"closed form x0_c = {x0_c:.4f}, z_LP = {z_LP:.4f}")
assert abs(h_x0.param - x0_c) < 0.01, f"the interictal equilibrium should lose stability near x0_c = {x0_c:.3f}"

# %%
# The slow time scale ``1/r`` (about 3 s) makes the fold a singular Hopf point,
# displaced from ``x0_c`` by ``O(r)``. Above it the node seizes recurrently. We
# simulate the TVB default ``x0 = -1.6`` and read onsets and offsets off ``x1``
# (positive only in seizure).
one = nmm.Network(nmm.Connectome(np.zeros((1, 1)), np.zeros((1, 1))), coupling=nmm.coupling.Difference(),
                  dt_ms=0.05)
duration = 10000.0 if QUICK else 20000.0
res = nmm.simulate(one, ep, duration_ms=duration, integrator="heun",
                   initial_state=np.array([-1.8, -15.0, 3.6, -1.0, 0.0, -0.18]),
                   monitors=[nmm.monitors.Subsample(1.0, variables=("x1", "z", "x2-x1"))])
t_ep = res["subsample"].times_s
x1, z, lfp = (res["subsample"].data[:, k, 0] for k in range(3))


def seizure_episodes(x1, gap=300):
    """(onset, offset) sample indices of runs of ``x1 > 0`` separated by >= ``gap`` samples."""
    idx = np.flatnonzero(x1 > 0)
    if idx.size == 0:
        return np.zeros((0, 2), int)
    breaks = np.flatnonzero(np.diff(idx) > gap)
    return np.stack([idx[np.r_[0, breaks + 1]], idx[np.r_[breaks, idx.size - 1]]], axis=1)


ep_idx = seizure_episodes(x1)
complete = ep_idx[(ep_idx[:, 0] > ep_idx[0, 0]) & (ep_idx[:, 1] < len(x1) - 300)] if len(ep_idx) > 2 else ep_idx[1:2]
z_on, z_off = z[complete[:, 0]], z[complete[:, 1]]
print(f"{len(ep_idx)} seizures; durations {np.round(np.diff(complete, axis=1)[:, 0] / 1000, 2)} s")
print(f"z at onset {np.round(z_on, 3)} (fold z_LP = {z_LP:.3f}); z at offset {np.round(z_off, 3)}")
# onsets happen just after z crosses the fold (the slow passage delays the jump a little)
assert np.all((z_on < z_LP) & (z_on > z_LP - 0.15)), "seizures should start when z has just crossed the fold"
assert np.all(z_off > z_on + 0.8), "seizures should end at a much higher z (hysteresis)"

fig, axes = plt.subplots(1, 2, figsize=(14, 4), layout="constrained", gridspec_kw=dict(width_ratios=[2, 1]))
axes[0].plot(t_ep, lfp, lw=0.4, color="k")
ax2 = axes[0].twinx()
ax2.plot(t_ep, z, color="tab:orange")
ax2.axhline(z_LP, color="tab:orange", ls=":", lw=1)
ax2.set_ylabel("z (orange), dotted: fold z_LP")
axes[0].set(xlabel="time (s)", ylabel="x2 - x1 (LFP-like)", title="Epileptor, x0 = -1.6: recurrent seizures")
xx = np.linspace(-2.2, 0.0, 200)
axes[1].plot(xx, -xx ** 3 - 2 * xx ** 2 + 1 + ep.Iext, "k-", lw=1, label="slow manifold (x1 < 0)")
axes[1].plot(x1, z, lw=0.3, color="tab:blue", label="trajectory")
axes[1].plot(-4 / 3, z_LP, "o", color="tab:red", label="fold (onset)")
axes[1].set(xlabel="x1", ylabel="z", title="square-wave bursting", xlim=(-2.2, 1.2))
axes[1].legend(fontsize="small")

# %%
# Seizures start where ``z`` has just passed the fold of the slow manifold (the
# interictal state disappears and ``x1`` jumps to the ictal cycle) and stop at a
# much higher ``z``, where the ictal cycle hits the saddle (homoclinic): the
# "square-wave burster" class of Jirsa et al. (2014), in which the seizure
# amplitude is constant and the inter-spike interval slows towards the end.
#
# 3. An x0 map on the connectome: recruitment
# -------------------------------------------
# The Virtual Epileptic Patient workflow (Jirsa et al. 2017) places Epileptors on
# a connectome with an excitability map ``x0``: an epileptogenic zone (EZ) above
# ``x0_c``, candidate propagation zones, healthy tissue well below. Regions are
# coupled through ``z`` (permittivity coupling, Proix et al. 2014):
# ``z_i' = r (s (x1_i - x0_i) - z_i + Ks sum_j W_ij (x1_j - x1_i))`` with ``Ks < 0``,
# so that a seizing neighbour (higher ``x1``) pulls ``z_i`` towards the fold. Here the
# EZ is the right hippocampus (``x0 = -1.6``), four temporal/orbitofrontal regions
# have ``x0 = -1.95``, the rest ``-2.3``. Note that ``-1.95 > x0_c``: alone, those
# regions would seize; in the network their healthy neighbours hold them
# interictal. We run the map with and without the EZ (one batched simulation).
con = load_connectome("tvb76")
W = con.weights / con.weights.max()
names = list(con.region_names)
ez = names.index("rHC")
pz = [names.index(r) for r in ("rAMYG", "rPHC", "rTCPOL", "rPFCORB")]
x0_map = np.full(len(names), -2.3)
x0_map[pz] = -1.95
x0_map[ez] = -1.6
x0_no_ez = x0_map.copy()
x0_no_ez[ez] = -2.3
net = nmm.Network(nmm.Connectome(W, con.tract_lengths_mm, region_names=names), coupling=nmm.coupling.Difference(),
                  global_coupling=1.0, speed_m_per_s=3.0, dt_ms=0.05)
duration = 10000.0 if QUICK else 20000.0
runs = nmm.simulate(net, Epileptor(Ks=-1.0), duration_ms=duration, integrator="heun",
                    initial_state=np.array([-1.8, -15.0, 3.6, -1.0, 0.0, -0.18]),
                    sweep={"model.x0": np.stack([x0_map, x0_no_ez])},
                    monitors=[nmm.monitors.Subsample(1.0, variables=("x1", "x2-x1"))])
data = runs["subsample"].data                   # (2, n_times, 2, n_regions)
t_net = runs["subsample"].times_s
onset = np.array([[np.argmax(r) if r.any() else -1 for r in (data[k, :, 0, :] > 0).T] for k in range(2)])
recruited = np.flatnonzero(onset[0] >= 0)
order = recruited[np.argsort(onset[0, recruited])]
print(f"with the EZ: {len(recruited)} regions seize; without it: {np.sum(onset[1] >= 0)}")
for i in order[:12]:
    print(f"  {names[i]:8s} onset {t_net[onset[0, i]]:6.2f} s   x0 = {x0_map[i]:5.2f}   W from EZ = {W[i, ez]:.2f}")
hemisphere = {names[i][0] for i in recruited}
print("hemispheres involved:", sorted(hemisphere))
first_pz = order[1]
print(f"inputs of {names[first_pz]}:", [(names[j], round(W[first_pz, j], 2)) for j in np.flatnonzero(W[first_pz])])
print(f"inputs of the EZ {names[ez]}:", [(names[j], round(W[ez, j], 2)) for j in np.flatnonzero(W[ez])])
assert np.sum(onset[1] >= 0) == 0, "without the EZ no region should seize"
assert order[0] == ez, "the EZ should seize first"
assert set(pz) <= set(recruited), "the propagation zone should be recruited"

fig, axes = plt.subplots(1, 2, figsize=(14, 5), layout="constrained", gridspec_kw=dict(width_ratios=[2, 1]))
show = list(order[:10])
for j, i in enumerate(show):
    axes[0].plot(t_net, data[0, :, 1, i] / 4 - j, lw=0.4, color="tab:red" if i == ez else "k")
axes[0].set_yticks(-np.arange(len(show)), [names[i] for i in show])
axes[0].set(xlabel="time (s)", title="x2 - x1 of the first ten recruited regions (EZ in red)")
kind = np.where(order == ez, "tab:red", np.where(np.isin(order, pz), "tab:orange", "0.5"))
axes[1].barh(np.arange(len(order))[::-1], t_net[onset[0, order]], color=kind)
axes[1].set_yticks(np.arange(len(order))[::-1], [names[i] for i in order], fontsize=5)
axes[1].set(xlabel="seizure onset (s)", title=f"recruitment order ({len(order)} of {len(names)} regions)")
axes[1].legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in ("tab:red", "tab:orange", "0.5")],
               labels=["EZ (x0 = -1.6)", "propagation zone (-1.95)", "healthy (-2.3)"], fontsize="small",
               loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)

# %%
# The EZ's seizures drag down ``z`` of the regions it projects to; the first
# region to give way is a member of the propagation zone that is not even a
# direct target of the EZ (printed: its inputs include ``rPHC``, the EZ's only
# partner, and ``rTCPOL``, another near-critical region). Once a few
# regions seize, the rest of the hemisphere tips over within a fraction of a
# second (printed onsets): the recruitment is a cascade, set by the x0 map and
# the paths of the connectome together (Proix et al. 2014). Without the EZ the
# same map stays silent, although the propagation zone's ``x0`` lies above the
# threshold of an isolated node: the network's healthy regions stabilise it. The
# onset order is what stereo-EEG records, and fitting ``x0`` maps to it is the core
# of the Virtual Epileptic Patient (Jirsa et al. 2017).
