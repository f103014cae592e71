"""
.. _tut-dynamics-ignition:

Ignition of a bistable region: folds, thresholds and gain
=========================================================

A cortical region with strong recurrent excitation can hold two stable states, a
low spontaneous one and a high self-sustained one ("persistent activity", Wong &
Wang 2006). A brief input that pushes it past the unstable state in between
*ignites* it: the region jumps to the high state and stays there. Ignition is the
mechanism behind working memory, the "global workspace" of conscious access
(Dehaene & Changeux 2011) and the intrinsic-ignition framework of whole-brain
models (Deco & Kringelbach 2017). Neuromodulators such as noradrenaline act as a
multiplicative gain on the input of neurons (Servan-Schreiber, Printz & Cohen
1990): how does that gain change the threshold of ignition?

The one-population reduction of the Wong-Wang model (Wong & Wang 2006; Deco et
al. 2013, TVB's ``ReducedWongWang``) is a single NMDA gating variable ``S``::

    dS/dt = -S / tau_S + (1 - S) gamma H(x),   x = gain (w J_N S + I_0 + J_N c)
    H(x)  = (a x - b) / (1 - exp(-d (a x - b)))        (Hz)

With one variable the geometry is simple and exact: for an instantaneous kick
``Delta S`` the threshold is the distance from the low state to the saddle,
and it vanishes at the fold (saddle-node) where the two merge, like
``2 sqrt(b (gain_LP - gain) / a)`` with the fold's normal-form coefficients
(Kuznetsov 2004, eq. 3.14; Strogatz 2015, ch. 3). We find the folds with
:func:`~mne_nmm.dynamics.continue_equilibrium` and
:func:`~mne_nmm.dynamics.continue_bifurcation`, then measure thresholds by
simulation with :func:`mne_nmm.simulate` and check them against those numbers.

References: Wong K.-F., Wang X.-J. (2006) J Neurosci 26:1314; Deco G., Ponce-Alvarez
A., Mantini D., Romani G.L., Hagmann P., Corbetta M. (2013) J Neurosci 33:11239;
Deco G., Jirsa V.K. (2012) Ongoing cortical activity at rest: criticality,
multistability, and ghost attractors, J Neurosci 32:3366; Deco G., Kringelbach
M.L. (2017) Neuron 94:961; Dehaene S., Changeux J.-P. (2011) Neuron 70:200;
Servan-Schreiber D., Printz H., Cohen J.D. (1990) Science 249:892; Kuznetsov Yu.A.
(2004) *Elements of Applied Bifurcation Theory*, Springer; Strogatz S.H. (2015)
*Nonlinear Dynamics and Chaos*, 2nd ed., Westview.

Set ``MNE_NMM_TUTORIAL_QUICK=1`` for a fast run with coarser grids.
"""

# %%
import os

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import mne_nmm as nmm
from mne_nmm import dynamics as dyn
from mne_nmm.models import NeuralMass, neural_mass

QUICK = os.environ.get("MNE_NMM_TUTORIAL_QUICK", "0") == "1"

# %%
# The model
# ---------
# A user model (see :ref:`tut-custom-model`), in the catalogue's units (time in
# ms, currents in nA, rates in Hz). We take the recurrent weight ``w = 1.4`` (the
# ``w_+`` of Deco et al. 2014) and ``I_0 = 0.30 nA``, where an isolated region is
# bistable at ``gain = 1``.


@neural_mass
class ReducedWongWang(NeuralMass):
    """One-population reduced Wong-Wang model with an input gain (Wong & Wang 2006; Deco et al. 2013).

    ``dS/dt = -S / tau_S + (1 - S) gamma H(x)``, ``x = gain (w J_N S + I_0 + J_N c)`` with the
    Abbott-Chance transfer function ``H(x) = (a x - b) / (1 - exp(-d (a x - b)))`` (Hz).
    """

    name = "reduced_wong_wang_gain"
    state_variables = ("S",)
    coupled_variables = ("S",)
    default_output = "S"
    eeg_source = "S"
    bold_drive = "S"
    stimulus_variable = "S"
    units = {"S": "1"}
    state_bounds = {"S": (0.0, 1.0)}
    positive_parameters = ("tau_S", "d", "gamma")

    a: float = 270.0          # Hz/nA
    b: float = 108.0          # Hz
    d: float = 0.154          # s
    gamma: float = 0.641e-3   # 0.641 with time in s
    tau_S: float = 100.0      # ms
    w: float = 1.4
    J_N: float = 0.2609       # nA
    I_0: float = 0.30         # nA
    gain: float = 1.0

    def rate(self, x):
        u = self.a * x - self.b
        return u / (-jnp.expm1(-self.d * u))

    def dfun(self, state, coupling):
        S = state[0]
        x = self.gain * (self.w * self.J_N * S + self.I_0 + self.J_N * coupling[0])
        return (-S / self.tau_S + (1.0 - S) * self.gamma * self.rate(x))[None]

    def default_initial(self):
        return np.array([0.05])

    def initial_spread(self):
        return np.array([0.3])


node = ReducedWongWang()
eq = dyn.find_equilibria(node, bounds={"S": (0.0, 1.0)})
print(eq)
rates = [float(node.rate(node.gain * (node.w * node.J_N * s + node.I_0))) for s in eq.variable("S")]
print("firing rates at the equilibria (Hz):", np.round(rates, 1))
assert eq.kinds == ("stable node", "unstable node", "stable node"), "expected low / saddle / high states"

# %%
# The low state fires below 1 Hz, the high state at tens of Hz; in one dimension
# the unstable equilibrium between them is the boundary of the two basins.
#
# Folds by continuation
# ---------------------
# Continue the equilibria in the input gain. The branch folds twice: the high
# state is born at the lower fold, the low state dies at the upper fold; between
# them the region is bistable.
branch = dyn.continue_equilibrium(node.replace(gain=0.85), "gain", param_range=(0.8, 1.2), start=[0.01],
                                  max_steps=300)
folds = sorted(branch.points("LP"), key=lambda sp: sp.param)
print(branch)
for sp in folds:
    print(f"  fold at gain = {sp.param:.5f}, S = {sp.state[0, 0]:.4f}, normal form a = {sp.data['a']:.4f}, "
          f"b = {sp.data['b']:.4f}")
g_birth, g_death = folds[0].param, folds[1].param
print(f"bistable for {g_birth:.4f} < gain < {g_death:.4f}")

# The two folds are one curve in the (gain, I_0) plane, folded at a cusp: for
# background inputs below the cusp's I_0 the region is bistable over a range of
# gains, above it the transition from low to high activity is smooth.
locus = dyn.continue_bifurcation(branch, folds[1], "I_0", param_range=(0.55, 1.3), param2_range=(0.2, 0.6),
                                 max_steps=200)
print(locus, locus.special_points)
(cusp,) = [sp for sp in locus.special_points if sp.label == "CP"]
print(f"cusp at gain = {cusp.param[0]:.4f}, I_0 = {cusp.param[1]:.4f} nA")


def dS_dt(S, model):
    return model.dfun(jnp.stack([S])[:, None], jnp.zeros((1, 1)))[0, 0]


# At a cusp f = f_S = f_SS = 0 and f_SSS != 0; checked with JAX derivatives of dfun itself
with jax.enable_x64(True):
    at_cusp = node.replace(gain=float(cusp.param[0]), I_0=float(cusp.param[1]))
    S_c = jnp.asarray(float(cusp.state[0, 0]))
    d1, d2, d3 = (jax.grad(lambda v: dS_dt(v, at_cusp)), jax.grad(jax.grad(lambda v: dS_dt(v, at_cusp))),
                  jax.grad(jax.grad(jax.grad(lambda v: dS_dt(v, at_cusp)))))
    derivs = [float(dS_dt(S_c, at_cusp)), float(d1(S_c)), float(d2(S_c)), float(d3(S_c))]
print("f, f_S, f_SS, f_SSS at the cusp:", np.array(derivs))
assert max(abs(v) for v in derivs[:3]) < 1e-6 and abs(derivs[3]) > 1e-3, "the CP point is not a cusp of dS/dt"

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
dyn.plot_bifurcation_diagram(branch, variable="S", ax=axes[0], title="equilibria vs input gain")
dyn.plot_locus(locus, ax=axes[1], title="fold curves (gain, I_0)")
axes[1].plot(1.0, node.I_0, "k*", ms=10)

# %%
# The ignition threshold: kicks and pulses
# ----------------------------------------
# We now measure, by simulation, the smallest input that ignites the region, for
# gains across the bistable range and three pulse durations (rectangular pulses on
# ``dS/dt`` of amplitude ``A`` and width ``D``; the delivered kick is ``A D``).
# Regions without connections are independent copies of the node, so a whole
# grid of (gain, amplitude, duration) runs as one simulation of a disconnected
# "network", every region with its own gain, pulse and initial (low) state. The
# fate is decided when the pulse ends: in one dimension a state above the saddle
# ignites, one below it relaxes back.
gains = np.linspace(g_birth + 0.01, g_death - 0.004, 6 if QUICK else 16)
low, saddle = [], []
for g in gains:
    s = dyn.find_equilibria(node.replace(gain=g), bounds={"S": (0.0, 1.0)}, n_starts=16).variable("S")
    assert len(s) == 3, f"gain {g:.4f} should be bistable"
    low.append(s[0])
    saddle.append(s[1])
low, saddle = np.array(low), np.array(saddle)
gap = saddle - low                         # exact threshold of an instantaneous kick

durations = (0.5, 20.0, 100.0)             # ms
q = {0.5: np.linspace(0.95, 1.05, 21 if QUICK else 41), 20.0: np.linspace(0.95, 1.5, 23 if QUICK else 111),
     100.0: np.linspace(0.95, 2.0, 22 if QUICK else 106)}
blocks, gain_of, amp_of, x0 = [], [], [], []
for D in durations:
    G, Q = np.meshgrid(np.arange(len(gains)), q[D], indexing="ij")
    blocks.append(G.size)
    gain_of.append(gains[G.ravel()])
    amp_of.append(Q.ravel() * gap[G.ravel()] / D)
    x0.append(low[G.ravel()])
n = int(np.sum(blocks))
offsets = np.concatenate([[0], np.cumsum(blocks)])
stimuli = []
for k, D in enumerate(durations):
    pattern = np.zeros(n)
    pattern[offsets[k]:offsets[k + 1]] = amp_of[k]
    stimuli.append(nmm.Stimulus(nmm.stimulus.Pulse(onset_ms=50.0, width_ms=D), regions=pattern))
copies = nmm.Connectome(np.zeros((n, n)), np.zeros((n, n)))
net = nmm.Network(copies, coupling=nmm.coupling.Linear(), global_coupling=0.0, dt_ms=0.05)
res = nmm.simulate(net, node.replace(gain=np.concatenate(gain_of)), duration_ms=600.0, integrator="rk4",
                   stimulus=stimuli, initial_state=np.concatenate(x0)[None, :],
                   monitors=[nmm.monitors.Subsample(1.0, variables=("S",))])
out = res["subsample"]
t_ms = out.times_s * 1000.0
S = out.data[:, 0, :]
print(f"{n} copies of the node simulated together")

threshold = {}
for k, D in enumerate(durations):
    sl = slice(offsets[k], offsets[k + 1])
    i_end = np.searchsorted(t_ms, 50.0 + D + 1.0)
    above = (S[i_end, sl] > np.repeat(saddle, len(q[D]))).reshape(len(gains), len(q[D]))
    assert np.all(above.any(axis=1)) and not np.any(above[:, 0]), f"widen the amplitude grid for D = {D} ms"
    first = np.argmax(above, axis=1)
    threshold[D] = q[D][first] * gap                # kick A D at the threshold
    print(f"D = {D:5.1f} ms: threshold kick A D / (S_saddle - S_low) = {np.round(q[D][first], 3)}")
    ignited = S[-1, sl].reshape(len(gains), len(q[D])) > 0.5
    # nothing below the saddle ignites (just above it the escape can take longer than the run)
    assert not np.any(ignited & ~above), "a state below the saddle ended in the high state"

# The short pulse is a kick: its threshold is the distance to the saddle, within the grid step.
step = q[0.5][1] - q[0.5][0]
assert np.all(np.abs(threshold[0.5] / gap - 1.0) <= step + 0.005), "short-pulse threshold is not S_saddle - S_low"
for D in durations:
    assert np.all(np.diff(threshold[D]) < 0), f"the threshold of {D} ms pulses should fall as the gain rises"
assert np.all(threshold[100.0] > threshold[20.0]) and np.all(threshold[20.0] >= threshold[0.5]), \
    "longer pulses should need a larger total kick (the region leaks while it is driven)"

# %%
# Three facts, each checked above: a short pulse ignites exactly when it lifts
# ``S`` past the saddle; longer pulses need a larger total charge, because the
# low state pulls ``S`` back while the pulse is on; and at every duration the
# threshold falls as the gain rises. Near the upper fold the normal form gives the
# law of that fall: the gap closes like a square root.
near = gains > g_death - 0.012
nf = 2 * np.sqrt(folds[1].data["b"] * (g_death - gains[near]) / folds[1].data["a"])
print("gap near the fold:", np.round(gap[near], 4), " normal form:", np.round(nf, 4))
assert np.allclose(gap[near], nf, rtol=0.1), "the gap does not close like the fold's normal form"

gg = np.linspace(gains[0], g_death, 200)
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for D, c in zip(durations, ("tab:blue", "tab:orange", "tab:green")):
    axes[0].plot(gains, threshold[D], "o", color=c, label=f"simulated, {D:g} ms pulse")
axes[0].plot(gains, gap, "k-", label="S_saddle - S_low (equilibria)")
axes[0].plot(gg[gg > g_death - 0.02], 2 * np.sqrt(np.clip(folds[1].data["b"] * (g_death - gg[gg > g_death - 0.02])
                                                          / folds[1].data["a"], 0, None)), "k--",
             label="fold normal form")
axes[0].axvline(g_death, color="tab:red", lw=0.8, ls=":")
axes[0].set(xlabel="input gain", ylabel="ignition threshold (kick A D)", title="threshold falls with gain")
axes[0].legend(fontsize="small")
k_mid = len(gains) // 2
sl = slice(offsets[1] + k_mid * len(q[20.0]), offsets[1] + (k_mid + 1) * len(q[20.0]))
i_thr = np.argmax(np.isclose(q[20.0], threshold[20.0][k_mid] / gap[k_mid]))
for j, (lab, col) in enumerate(((f"just below threshold", "tab:gray"), ("just above threshold", "tab:red"))):
    axes[1].plot(t_ms, S[:, sl][:, i_thr - 1 + j], color=col, label=lab)
axes[1].axhline(saddle[k_mid], color="k", lw=0.8, ls=":", label="saddle")
axes[1].axvspan(50.0, 70.0, color="0.9")
axes[1].set(xlabel="time (ms)", ylabel="S", title=f"20 ms pulses at gain {gains[k_mid]:.3f}")
axes[1].legend(fontsize="small")

# %%
# A neuromodulatory gain moves the region towards the fold: at the upper fold the
# low state disappears and ignition needs no input at all; just below it the
# smallest fluctuation suffices. In a whole-brain model the same role is played
# by the input from the rest of the network (``J_N c`` above, with the global
# coupling), which is why the intrinsic ignition of a region depends on how
# strongly it is embedded (Deco & Kringelbach 2017), and why a network poised near
# such folds shows multistability and "ghost" attractors (Deco & Jirsa 2012).
