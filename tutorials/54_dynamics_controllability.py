"""
.. _tut-dynamics-controllability:

Which regions steer the connectome? Network controllability
============================================================

Stimulation (TMS, tDCS, deep brain stimulation) acts on a few regions; the
connectome carries the effect to the rest of the brain. Network control theory
asks which regions move the whole network most cheaply (Gu et al. 2015;
Pasqualetti, Zampieri & Bullo 2014). Around a fixed point a network is a
linear system ``dx/dt = A x + B u`` (``B``: the stimulated regions), and
everything follows from the controllability Gramian
``W_T = int_0^T e^{A t} B B^T e^{A^T t} dt``:

* the **minimum energy** ``int |u|^2 dt`` to steer ``x(0) = 0`` to ``x(T) = x_f``
  is exactly ``x_f^T W_T^{-1} x_f`` (Kailath 1980);
* the **average controllability** of a region (``trace`` of its Gramian) is large
  for regions that push the network into many easily reachable states; the
  **modal controllability** (``sum_j (1 - lambda_j^2) v_ij^2``) is large for
  regions that reach the fast, hard-to-reach modes (Gu et al. 2015).

We use the normalised structural system of Gu et al. (2015),
``A = W / (1 + sigma_max(W))`` (discrete time; ``- I`` in continuous time), on
the 76-region TVB connectome, with :func:`~mne_nmm.dynamics.structural_system`,
:func:`~mne_nmm.dynamics.average_controllability`,
:func:`~mne_nmm.dynamics.modal_controllability`,
:func:`~mne_nmm.dynamics.controllability_gramian`,
:func:`~mne_nmm.dynamics.minimum_energy_control` and, through a simulated
network, :func:`~mne_nmm.dynamics.optimal_control`.

References: Kalman (1960); Kailath T. (1980) *Linear Systems*; Pasqualetti F.,
Zampieri S., Bullo F. (2014) IEEE Trans Control Netw Syst 1:40-52; Gu S. et al.
(2015) Controllability of structural brain networks, *Nat Commun* 6:8414;
Betzel R.F. et al. (2016) Optimally controlling the human connectome, *Sci Rep*
6:38424; Karrer T.M. et al. (2020) A practical guide to methodological
considerations in the controllability of structural brain networks,
*J Neural Eng* 17:026031.

Set ``MNE_NMM_TUTORIAL_QUICK=1`` for a fast run.
"""

# %%
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg as sla
from scipy.integrate import solve_ivp
from scipy.sparse.csgraph import connected_components
from scipy.stats import spearmanr

import mne_nmm as nmm
from mne_nmm import dynamics as dyn
from mne_nmm.datasets import load_connectome

QUICK = os.environ.get("MNE_NMM_TUTORIAL_QUICK", "0") == "1"

# %%
# The structural system
# ---------------------
# The TVB connectome comes from tracer data (CoCoMac) and is directed. The
# controllability measures of Gu et al. (2015) assume an undirected network
# (orthogonal eigenvectors), so we use the symmetric part ``(W + W^T) / 2``.
# Two regions have no connection at all; no input elsewhere can ever reach them
# (the Kalman rank of any set of sites that leaves them out is ``n - 2``), so we
# keep the connected part of the graph.
con = load_connectome("tvb76")
w_sym = 0.5 * (con.weights + con.weights.T)
_, comp = connected_components(w_sym > 0)
keep = np.flatnonzero(comp == np.bincount(comp).argmax())
dropped = [con.region_names[i] for i in range(len(comp)) if i not in set(keep)]
print(f"isolated regions left out: {dropped}")
W = w_sym[np.ix_(keep, keep)]
names = [con.region_names[i] for i in keep]
n = len(names)
strength = W.sum(axis=1)

A_d = dyn.structural_system(W)                    # discrete time, spectral radius < 1
A_c = dyn.structural_system(W, discrete=False)    # continuous time, A_d - I (1/ms)
print(f"{n} regions; spectral radius of A_d = {np.max(np.abs(np.linalg.eigvalsh(A_d))):.3f}")

# %%
# Average and modal controllability of every region
# -------------------------------------------------
# Average controllability of region ``i`` is ``sum_k |A^k e_i|^2`` (the trace of
# its infinite-horizon Gramian). We check the Lyapunov-equation result against
# that power series summed directly.
ac = dyn.average_controllability(A_d)
mc = dyn.modal_controllability(A_d)
series = np.zeros(n)
Ak = np.eye(n)
for _ in range(2000):
    series += np.sum(Ak ** 2, axis=0)
    Ak = A_d @ Ak
assert np.allclose(ac, series, rtol=1e-8), "average controllability differs from sum_k |A^k e_i|^2"

rho_ac = spearmanr(ac, strength)[0]
rho_mc = spearmanr(mc, strength)[0]
print(f"Spearman rho with node strength: average {rho_ac:+.3f}, modal {rho_mc:+.3f}")
order = np.argsort(-ac)
print("highest average controllability:", [names[i] for i in order[:5]])
print("highest modal controllability:  ", [names[i] for i in np.argsort(-mc)[:5]])
# Gu et al. (2015, Fig. 2): average controllability rises with strength (hubs),
# modal controllability falls with it (weakly connected regions).
assert rho_ac > 0.8 and rho_mc < -0.8, "expected hubs to have high average and low modal controllability"

fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
axes[0].scatter(strength, ac, s=12)
axes[0].set(xlabel="node strength", ylabel="average controllability", title=f"Spearman rho = {rho_ac:+.2f}")
axes[1].scatter(strength, mc, s=12, color="tab:orange")
axes[1].set(xlabel="node strength", ylabel="modal controllability", title=f"Spearman rho = {rho_mc:+.2f}")
top = order[:12]
axes[2].barh(np.arange(12)[::-1], ac[top])
axes[2].set_yticks(np.arange(12)[::-1], [names[i] for i in top], fontsize="small")
axes[2].set(xlabel="average controllability", title="best average controllers")
xmin = ac.min() - 0.1 * (ac.max() - ac.min())
axes[2].set_xlim(xmin, None)

# %%
# Nearly all of the regions' controllability ranking is node strength: hubs move
# the network along its slow, collective modes, weakly connected regions along
# the fast, local ones. The interest of the measures lies in the residuals and,
# more concretely, in the energy of actual control tasks.
#
# Minimum energy from a set of stimulation sites
# ----------------------------------------------
# Steer the continuous-time network from rest to the uniform state
# ``x_f = (1, ..., 1)`` in ``T = 1`` ms (the normalised time of Gu et al.) from
# ``k`` sites chosen by average controllability, by modal controllability, or at
# random. First the closed form with every region stimulated (``B = I``):
# ``W_T = (2 A)^{-1} (e^{2 A T} - I)`` for a symmetric ``A``.
T = 1.0
xf = np.ones(n)
full = dyn.minimum_energy_control(A_c, np.eye(n), np.zeros(n), xf, horizon_ms=T)
W_closed = np.linalg.solve(2 * A_c, sla.expm(2 * A_c * T) - np.eye(n))
E_closed = xf @ np.linalg.solve(W_closed, xf)
print(f"all regions stimulated: E = {full.energy:.4f} (closed form {E_closed:.4f})")
assert abs(full.energy - E_closed) < 1e-8 * E_closed, "full-actuation energy differs from the closed form"

# %%
# With fewer sites the Gramian becomes ill conditioned very quickly (the energy
# grows exponentially as sites are removed; Pasqualetti et al. 2014), so we
# report a set only where the Gramian is well inside double precision
# (condition number < 1e10) and check each optimal input against an independent
# integration of ``dx/dt = A x + B u*(t)`` by :func:`scipy.integrate.solve_ivp`.
# :func:`~mne_nmm.dynamics.minimum_energy_control` itself refuses a numerically singular
# Gramian (condition number > 1e12, a ``ValueError`` naming the Kalman rank) and warns
# above 1e8; here both count as "not reported".
rng = np.random.default_rng(0)
strategies = {"average": np.argsort(-ac), "modal": np.argsort(-mc),
              "random": np.stack([rng.permutation(n) for _ in range(2 if QUICK else 10)])}
ks = np.array([30, 45, 60, 74]) if QUICK else np.arange(26, n + 1, 4)
energy = {name: np.full(len(ks), np.nan) for name in strategies}
for name, orders in strategies.items():
    for j, k in enumerate(ks):
        vals = []
        for od in np.atleast_2d(orders):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)          # ill-conditioned: filtered below
                    m = dyn.minimum_energy_control(A_c, np.eye(n)[:, od[:k]], np.zeros(n), xf, horizon_ms=T,
                                                   n_times=2)
            except ValueError:                                               # numerically singular Gramian
                vals.append(np.nan)
                continue
            vals.append(m.energy if np.linalg.cond(m.gramian) < 1e10 else np.nan)
        energy[name][j] = np.exp(np.nanmean(np.log(vals))) if np.any(np.isfinite(vals)) else np.nan

for name, e in energy.items():
    print(f"{name:8s}", " ".join(f"k={k}: {v:9.3g}" for k, v in zip(ks, e)))
    good = e[np.isfinite(e)]
    # more sites never cost more: W_T grows (in the Loewner order) when B gains a column
    assert np.all(np.diff(good) <= 1e-6 * good[:-1]), f"energy must not increase with sites ({name})"

# independent check of one optimal input: u*(t) = B^T e^{A^T (T - t)} W_T^{-1} x_f, integrated by solve_ivp
sites = strategies["average"][:40]
B = np.eye(n)[:, sites]
mec = dyn.minimum_energy_control(A_c, B, np.zeros(n), xf, horizon_ms=T, n_times=401)
lam = np.linalg.solve(mec.gramian, xf)
evals, evecs = np.linalg.eigh(A_c)      # e^{A^T s} = V diag(e^{lambda s}) V^T for the symmetric A
lam_modes = evecs.T @ lam
sol = solve_ivp(lambda t, x: A_c @ x + B @ (B.T @ (evecs @ (np.exp(evals * (T - t)) * lam_modes))), (0, T),
                np.zeros(n), rtol=1e-10, atol=1e-12)
print(f"40 hub sites: E = {mec.energy:.4g}, |x(T) - x_f| by solve_ivp = {np.abs(sol.y[:, -1] - xf).max():.2g}")
assert np.abs(sol.y[:, -1] - xf).max() < 1e-4 * np.abs(xf).max(), "the minimum-energy input misses the target"
e_num = np.trapezoid(np.sum(mec.inputs ** 2, axis=1), mec.times_ms)
assert abs(e_num - mec.energy) < 1e-3 * mec.energy, "int |u|^2 dt differs from x_f^T W^-1 x_f"

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for name, e in energy.items():
    axes[0].semilogy(ks, e, "o-", label=f"sites by {name}" + (" (geometric mean)" if name == "random" else ""))
axes[0].axhline(E_closed, color="k", lw=0.8, ls=":")
axes[0].set(xlabel="number of stimulated regions k", ylabel="minimum energy to x_f = 1",
            title=f"steering to the uniform state in T = {T:g} ms")
axes[0].legend(fontsize="small")
for i in np.argsort(-np.abs(mec.inputs).max(axis=0))[:6]:
    axes[1].plot(mec.times_ms, mec.inputs[:, i], label=names[sites[i]])
axes[1].set(xlabel="time (ms)", ylabel="u*(t)", title="minimum-energy inputs (40 hub sites, largest six)")
axes[1].legend(fontsize="small", ncol=2)

# %%
# Which sets are cheap? The printed table answers for this target: the ranking
# of the strategies changes with ``k``, and once more than about half the regions
# are stimulated the weakly connected regions (high modal controllability) are
# the cheapest choice and hub sets are no cheaper than random ones (checked
# below for the largest partial set). Hubs are reached through
# the network anyway; an unstimulated weakly connected region has to be driven
# through its few links, which costs a lot. Average controllability measures
# something else: how far the sites push the network *in any direction* (the
# trace of the Gramian, largest for hubs, below), not the cost of one given
# whole-brain pattern (Gu et al. 2015; Karrer et al. 2020 recommend always
# stating the target). Below ~30 sites the Gramian is numerically singular for
# every strategy: the network is formally controllable (Kalman rank 74) but in
# practice it is not (Pasqualetti et al. 2014).
j = len(ks) - 2
assert energy["modal"][j] < min(energy["average"][j], energy["random"][j]), \
    f"with k = {ks[j]} sites the weakly connected regions should be the cheapest set"
k_mid = 45
for name in ("average", "modal"):
    m = dyn.minimum_energy_control(A_c, np.eye(n)[:, strategies[name][:k_mid]], np.zeros(n), xf, horizon_ms=T,
                                   n_times=2)
    print(f"k = {k_mid}, sites by {name:7s}: trace W_T = {np.trace(m.gramian):.3f}, energy to x_f = {m.energy:.3g}")
print("Kalman rank with the 10 best hubs:", dyn.controllability_rank(A_c, np.eye(n)[:, strategies["average"][:10]]))

# %%
# Optimal control through a simulated network
# -------------------------------------------
# :func:`~mne_nmm.dynamics.optimal_control` optimises a piecewise-constant input
# by gradients through an RK4 simulation of any model, here the TVB ``Linear`` node
# ``dx/dt = gamma x + c`` with ``gamma = -1`` and linear coupling of strength
# ``G = 1 / (1 + sigma_max)``, which is exactly the continuous structural system
# above (checked with :func:`~mne_nmm.dynamics.linearize`). It minimises
# ``int |u|^2 dt + w |x(T) - x_f|^2``; for a linear system that optimum is
# ``x_f^T (W_T + I / w)^{-1} x_f`` (regularised least squares), and tends to the
# Gramian energy as ``w`` grows.
G = 1.0 / (1.0 + np.linalg.svd(W, compute_uv=False)[0])
node = nmm.models.Linear(gamma=-1.0)
ls = dyn.linearize(node, network=W, coupling=nmm.coupling.Linear(), global_coupling=G, state=np.zeros(1),
                   inputs=sites)
assert np.allclose(ls.A, A_c, atol=1e-12), "linearised Linear network differs from structural_system"
w_term = 1e3
oc = dyn.optimal_control(node, np.zeros(1), xf[None, :], duration_ms=T, dt_ms=0.01, n_knots=20,
                         terminal_weight=w_term, inputs=sites, network=W, coupling=nmm.coupling.Linear(),
                         global_coupling=G, max_iter=300)
J_star = xf @ np.linalg.solve(mec.gramian + np.eye(n) / w_term, xf)
print(f"optimal_control: cost {oc.cost:.2f} (analytic optimum {J_star:.2f}), energy {oc.energy:.2f}, "
      f"terminal error {oc.terminal_error:.3f}; exact-target Gramian energy {mec.energy:.2f}")
assert J_star * (1 - 1e-6) <= oc.cost < 1.02 * J_star, "optimal_control cost is not the analytic optimum"

ws = np.logspace(0, 7, 50)
fig, ax = plt.subplots(figsize=(5.5, 4), layout="constrained")
ax.loglog(ws, [xf @ np.linalg.solve(mec.gramian + np.eye(n) / v, xf) for v in ws], label="analytic optimum")
ax.axhline(mec.energy, color="k", ls=":", label="Gramian energy (exact target)")
ax.plot(w_term, oc.cost, "o", color="tab:red", label="optimal_control (simulated)")
ax.set(xlabel="terminal weight w", ylabel="cost", title="penalised control approaches the Gramian bound")
ax.legend(fontsize="small")

# %%
# The gradient-based optimiser, which knows nothing of Gramians, lands on the
# analytic optimum of its penalised problem (to the resolution of its 20
# piecewise-constant steps). The same call works for nonlinear models, where no
# Gramian exists (e.g. steering a bistable region into its high state, see
# :ref:`tut-dynamics-ignition` for the thresholds of that switch).
