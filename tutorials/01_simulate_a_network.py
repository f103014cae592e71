"""
Simulate a whole-brain network: delays, noise, monitors, sweeps and gradients
=============================================================================

The simulation core in five steps: a connectome from tvb-data, a :class:`~mne_nmm.Network`
with conduction delays, a noisy Stuart-Landau (Hopf) run with two monitors, a batched sweep
over the global coupling, and a gradient of a loss through the delayed, noisy simulation.
"""

# %%
# A connectome and a network
# --------------------------
# ``weights[i, j]`` is the connection from source ``j`` to target ``i``. Delays become
# integer steps once, on the host: ``rint(length / speed / dt)``.
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import mne_nmm as nmm

conn = nmm.datasets.load_connectome("tvb76").normalized("max")
net = nmm.Network(conn, coupling=nmm.coupling.Difference(), global_coupling=0.1, speed_m_per_s=3.0, dt_ms=0.1)
print(conn)
print(net)

# %%
# A noisy run with two monitors
# -----------------------------
# Noise enters as ``sigma sqrt(dt) N(0, 1)`` (TVB's ``nsig`` converts with ``from_tvb_nsig``);
# monitors are computed inside the scan, so only their samples are kept.
model = nmm.models.Hopf(a=-0.05)  # a noise-driven focus oscillating at 10 Hz
res = nmm.simulate(net, model, duration_ms=2000.0, integrator="stochastic_heun",
                   noise=nmm.AdditiveNoise.from_tvb_nsig(1e-3),
                   monitors=[nmm.monitors.Subsample(period_ms=1.0), nmm.monitors.TemporalAverage(period_ms=10.0)],
                   key=0)
sub, avg = res["subsample"], res["tavg"]
print(sub)
print(avg)

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(sub.times_s, sub.get()[:, :3], lw=0.6)
ax.plot(avg.times_s, avg.get()[:, 0], "k", lw=1.5, label="10 ms average (end of window)")
ax.set(xlabel="time (s)", ylabel="x", xlim=(1.5, 2.0))
ax.legend(loc="upper right")

# %%
# A sweep over the global coupling, in one batched call
# -----------------------------------------------------
# Every run keeps its own parameters (and, with ``n_trials``, its own noise). The runs advance
# together in one vectorized kernel (``batch_mode="auto"``); on a CPU they are split into groups
# of at most 16 runs, spread over the cores in threads (``n_jobs``, default: all cores). The
# numbers do not depend on either choice.
gs = np.linspace(0.0, 0.3, 8)
batch = nmm.simulate(net, model, duration_ms=1000.0, integrator="stochastic_heun",
                     noise=nmm.AdditiveNoise.from_tvb_nsig(1e-3), monitors=[nmm.monitors.Subsample(1.0)],
                     sweep={"global_coupling": gs}, key=0)
x = batch["subsample"].get()  # (n_runs, n_times, n_regions)
fc_mean = [np.corrcoef(x[i].T)[np.triu_indices(76, 1)].mean() for i in range(len(gs))]
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(gs, fc_mean, "o-")
ax.set(xlabel="global coupling G", ylabel="mean FC")

# %%
# One parameter object: gradients and vmap
# -----------------------------------------
# :func:`~mne_nmm.make_simulator` returns the same computation as one pure function of a
# :class:`~mne_nmm.SimParams` (model, coupling, global coupling, the dense ``(n, n)`` weights,
# noise, stimuli, monitor parameters) and a key. ``jax.grad`` goes through delays, noise and
# monitors; ``jax.vmap`` over a leaf is a sweep. Any leaf is addressed by its path, the same
# names that ``simulate(sweep=...)`` takes.
run, params = nmm.make_simulator(net, model, duration_ms=200.0, integrator="stochastic_heun",
                                 noise=nmm.AdditiveNoise.from_tvb_nsig(1e-3), monitors=[nmm.monitors.Subsample(1.0)])
print(params)
print("sweepable paths:", params.paths())
key = jax.random.PRNGKey(0)


def power(G, weights):
    out = run(params.replace(global_coupling=G, weights=weights), key)
    return jnp.mean(out["subsample"] ** 2)


dG, dW = jax.grad(power, argnums=(0, 1))(0.1, params.weights)
print("d power / d G =", float(dG), "; d power / d W has shape", dW.shape)
powers = jax.vmap(lambda G: power(G, params.weights))(jnp.array([0.0, 0.1, 0.2]))
print("power at G = 0, 0.1, 0.2:", np.asarray(powers))

# %%
# Long runs
# ---------
# ``simulate`` runs in chunks; ``checkpoint="run.npz"`` lets an interrupted run resume from the
# last finished chunk with an identical result, and ``progress=True`` shows a progress bar.
# ``nmm.estimate_memory`` says what a run will need before it starts.
print(nmm.estimate_memory(net, model, duration_ms=600_000.0, monitors=[nmm.monitors.Subsample(1.0)]))
