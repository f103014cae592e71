"""
.. _tut-choosing-a-model:

Choosing a model
================

mne_nmm ships twenty neural mass models, from a phase that just rotates to
biophysical population models of cortex, decision circuits and seizures. This
tutorial is a guide: what each model is for, what it looks like on its own, and
how the simplest six compare side by side — alone, under periodic forcing and
in a network.

Every model is a frozen set of parameters (in the units of its paper) with a
pure right-hand side ``model.dfun(state, coupling)``; the simulation engine,
noise, stimuli and monitors are separate, so any model works with any of them.
"""

# %%
# The catalogue
# -------------
# :func:`mne_nmm.list_models` returns the catalogue as a table: name, category,
# number of state variables, the variables that feed EEG/MEG and BOLD, the
# typical use and the reference. ``to_dataframe()`` gives a pandas DataFrame,
# ``get_model(name, **params)`` builds a model (TVB class names work too).
import matplotlib.pyplot as plt
import numpy as np
import scipy.signal

import mne_nmm as nmm
from mne_nmm.models import get_model, list_models, recommended_network

print(nmm.list_models())

# %%
# Which model for which question?
# -------------------------------
# * **EEG/MEG rhythms and evoked responses** — :class:`~mne_nmm.models.JansenRit`
#   (alpha; its source is the pyramidal potential ``y1 - y2`` in mV). Use
#   ``JansenRit.jansen_rit_1995()`` for the original alpha regime: TVB's default
#   threshold ``v0 = 5.52 mV`` gives a slower, larger 7 Hz cycle. Its precursor
#   :class:`~mne_nmm.models.ZetterbergJansen` has a separate input per population
#   and inhibitory self-connections. For gamma,
#   :class:`~mne_nmm.models.ING` (interneuron gamma) or
#   :class:`~mne_nmm.models.Freeman`.
# * **Resting-state fMRI (BOLD FC)** — :class:`~mne_nmm.models.ReducedWongWangExcInh`
#   (Deco et al. 2014; ``with_fic()`` pins every region at 3 Hz) or the
#   Stuart-Landau :class:`~mne_nmm.models.Hopf` near its bifurcation (Deco et al. 2017).
# * **Synchrony, metastability, delays** — :class:`~mne_nmm.models.Kuramoto`,
#   :class:`~mne_nmm.models.PhaseOscillator`, :class:`~mne_nmm.models.Hopf`.
# * **E-I balance, rhythms from E-I loops** — :class:`~mne_nmm.models.WilsonCowan`,
#   :class:`~mne_nmm.models.ThresholdLinear` (inhibition-stabilised networks).
# * **Exact mean fields of spiking neurons** — :class:`~mne_nmm.models.MontbrioPazoRoxin`,
#   :class:`~mne_nmm.models.CoombesByrne` (conductance synapses), :class:`~mne_nmm.models.ING`.
# * **Decisions and working memory** — :class:`~mne_nmm.models.WongWang`.
# * **Seizures** — :class:`~mne_nmm.models.Epileptor`; **chaotic cortex** —
#   :class:`~mne_nmm.models.LarterBreakspear`; **excitability** —
#   :class:`~mne_nmm.models.FitzHughNagumo`, :class:`~mne_nmm.models.Generic2dOscillator`.
# * **Linear references** — :class:`~mne_nmm.models.Linear`,
#   :class:`~mne_nmm.models.DampedOscillator`; **chaos test fixture** — :class:`~mne_nmm.models.Lorenz`.
#
# Parameters transfer from The Virtual Brain: names and defaults follow TVB where
# TVB has the model; differences are listed in each docstring and in
# ``model_info(name).tvb_notes``. TVB's noise ``nsig`` becomes our ``sigma`` with
# :meth:`mne_nmm.AdditiveNoise.from_tvb_nsig` (``sigma = sqrt(2 nsig)``).
for info in list_models():
    if info.tvb_name:
        print(f"{info.name:27s} TVB {info.tvb_name:22s} {info.tvb_notes}")

# %%
# Every model on its own
# ----------------------
# One isolated node of each model, in a regime that shows what the model does:
# the time series of its default output and a phase portrait (two state
# variables; a delay embedding ``x(t), x(t - 25 ms)`` for one-variable models).
# A single node needs no network: because ``dfun`` is a pure function, a few
# lines of :func:`jax.lax.scan` with one of the package's integrators integrate
# it (networks, delays, noise, stimuli and monitors are what :func:`mne_nmm.simulate`
# adds; the ladder below uses it).
import jax
import jax.numpy as jnp


def run_node(name, model, duration_ms, x0):
    """Integrate one isolated node with Heun's scheme at the model's recommended step."""
    dt = nmm.models.model_info(name).dt_ms
    n_out = 2000
    every = max(1, int(round(duration_ms / dt / n_out)))
    x0 = model.default_initial() if x0 is None else np.asarray(x0, dtype=float)
    no_input = jnp.zeros((len(model.coupled_variables), 1))
    f = lambda x, stage: model.dfun(x, no_input)
    heun = nmm.Heun()

    def block(x, _):
        x, _ = jax.lax.scan(lambda y, _: (model.apply_bounds(heun.step(y, f, dt)), None), x, None, length=every)
        return x, x

    _, xs = jax.jit(lambda x: jax.lax.scan(block, x, None, length=n_out))(jnp.asarray(x0, dtype=jnp.float32)[:, None])
    names = tuple(dict.fromkeys((model.default_output,) + tuple(model.state_variables[:2])))
    data = np.asarray(jax.vmap(lambda x: model.observe(x, names))(xs))[:, :, 0]
    return np.arange(1, n_out + 1) * every * dt, data, names


SHOWCASE = {  # name: (model, duration_ms, initial state or None)
    "phase_oscillator": (get_model("phase_oscillator"), 400.0, None),
    "damped_oscillator": (get_model("damped_oscillator"), 400.0, [1.0, 0.0]),
    "hopf": (get_model("hopf"), 400.0, [0.02, 0.0]),
    "kuramoto": (get_model("kuramoto", omega=2 * np.pi * 10 / 1000), 400.0, None),
    "van_der_pol": (get_model("van_der_pol", mu=3.0), 600.0, [0.1, 0.0]),
    "fitzhugh_nagumo": (get_model("fitzhugh_nagumo", I=0.5), 300.0, None),
    "generic_2d_oscillator": (get_model("generic_2d_oscillator", a=2.0), 3000.0, None),
    "threshold_linear": (get_model("threshold_linear", tau_i=40.0), 1000.0, None),
    "linear": (get_model("linear", gamma=-0.02), 300.0, [1.0]),
    "lorenz": (get_model("lorenz"), 40.0, None),
    "wilson_cowan": (nmm.models.WilsonCowan.limit_cycle(), 300.0, None),
    "jansen_rit": (nmm.models.JansenRit.jansen_rit_1995(), 1500.0, None),
    "zetterberg_jansen": (get_model("zetterberg_jansen", gamma_5=0.0, U=0.0, Q=0.0, P=0.22), 1500.0, None),
    "ing": (get_model("ing"), 200.0, None),
    "wong_wang": (get_model("wong_wang").with_stimulus(0.1), 1500.0, [0.1, 0.1, 0.0, 0.0]),
    "reduced_wong_wang_exc_inh": (get_model("reduced_wong_wang_exc_inh"), 1000.0, [0.6, 0.3]),
    "montbrio_pazo_roxin": (get_model("montbrio_pazo_roxin"), 20.0, [1.6, -0.3]),
    "coombes_byrne": (get_model("coombes_byrne"), 30.0, None),
    "larter_breakspear": (nmm.models.LarterBreakspear.alstott2009(), 1500.0, None),
    "epileptor": (get_model("epileptor"), 8000.0, None),
    "freeman": (get_model("freeman"), 200.0, None),
}


fig, axes = plt.subplots(len(SHOWCASE), 2, figsize=(9, 2.0 * len(SHOWCASE)),
                         gridspec_kw=dict(width_ratios=[3, 1]), layout="constrained")
for row, (name, (model, duration, x0)) in zip(axes, SHOWCASE.items()):
    t, data, names = run_node(name, model, duration, x0)
    row[0].plot(t, data[:, 0], lw=0.8)
    row[0].set(ylabel=f"{names[0]}\n[{model.unit_of(names[0])}]", title=f"{name} ({model.category})")
    state = [n for n in names if n in model.state_variables]
    if len(state) >= 2:
        i, j = names.index(state[0]), names.index(state[1])
        row[1].plot(data[:, i], data[:, j], lw=0.6)
        row[1].set(xlabel=state[0], ylabel=state[1])
    else:  # delay embedding with a 25 ms lag (a quarter period at 10 Hz)
        lag = max(1, int(round(25.0 / (t[1] - t[0]))))
        row[1].plot(data[lag:, 0], data[:-lag, 0], lw=0.6)
        row[1].set(xlabel=f"{names[0]}(t)", ylabel=f"{names[0]}(t - lag)")
axes[-1, 0].set_xlabel("time (ms)")

# %%
# The ladder, side by side
# ------------------------
# Six models form a ladder of increasing realism ("Rosetta Stone" of neural mass
# models): a phase-only oscillator, a damped harmonic oscillator, the
# Stuart-Landau oscillator, Wilson-Cowan, Jansen-Rit and the interneuron-gamma
# (ING) mean field. Each runs here in the same 5-region network with conduction
# delays, and region 0 receives a sinusoidal input at 20 Hz during the second
# half of the run, added to the derivative of the model's ``stimulus_variable``.
# The spectra show what the forcing does to each rung: it detunes a phase
# oscillator without entraining it (additive forcing of the phase), drives the
# damped oscillator, Wilson-Cowan and Jansen-Rit (quiet regime) at 20 Hz,
# competes with the Stuart-Landau cycle at 10 Hz, and breaks up the ING gamma
# rhythm, which lies too far from 20 Hz to be simply entrained.
rng = np.random.default_rng(0)
w = rng.uniform(0.2, 1.0, (5, 5)) * (rng.uniform(size=(5, 5)) < 0.7)
np.fill_diagonal(w, 0.0)
lengths = rng.uniform(20.0, 80.0, (5, 5))
lengths = (lengths + lengths.T) / 2
np.fill_diagonal(lengths, 0.0)
five = nmm.Connectome(w, lengths, region_names=[f"r{i}" for i in range(5)])

LADDER = {  # name: (model, forcing amplitude)
    "phase_oscillator": (get_model("phase_oscillator"), 0.05),
    "damped_oscillator": (get_model("damped_oscillator"), 2e-3),
    "hopf": (get_model("hopf"), 0.05),
    "wilson_cowan": (get_model("wilson_cowan"), 0.01),
    "jansen_rit": (nmm.models.JansenRit.jansen_rit_1995(mu=0.4), 0.2),
    "ing": (get_model("ing"), 0.5),
}
duration, F = 2000.0, 20.0
fig, axes = plt.subplots(len(LADDER), 2, figsize=(9, 1.8 * len(LADDER)), layout="constrained")
for row, (name, (model, amp)) in zip(axes, LADDER.items()):
    net = recommended_network(five, name)
    stim = nmm.Stimulus(nmm.stimulus.Sinusoid(F, onset_ms=duration / 2), regions=["r0"], amplitude=amp)
    res = nmm.simulate(net, model, duration_ms=duration, integrator="heun", stimulus=stim,
                       monitors=[nmm.monitors.Subsample(1.0)], chunk_ms=duration)
    out = res["subsample"]
    x = out.data[:, 0, :]
    t = out.times_s * 1000
    row[0].plot(t, x[:, 0], lw=0.7, label="r0 (forced after 1 s)")
    row[0].plot(t, x[:, 1], lw=0.7, alpha=0.7, label="r1")
    row[0].set(title=name, ylabel=model.default_output)
    for half, label in ((slice(200, 1000), "unforced"), (slice(1200, 2000), "forced")):
        f, p = scipy.signal.welch(x[half, 0] - x[half, 0].mean(), fs=1000.0, nperseg=512)
        row[1].semilogy(f, p + 1e-20, label=label)
    row[1].axvline(F, color="k", lw=0.5, ls=":")
    row[1].set(xlim=(0, 80), xlabel="Hz")
axes[0, 0].legend(fontsize=7, loc="upper right")
axes[0, 1].legend(fontsize=7)
axes[-1, 0].set_xlabel("time (ms)")

# %%
# Summary
# -------
# Start from the question (EEG rhythm, BOLD FC, synchrony, seizures), pick the
# simplest model that has the mechanism you need, and check its regime on a
# single node before building the network: every model's docstring lists its
# regimes and the parameter values that produce them, and the tests in
# ``tests/test_models_*.py`` check each against its published behaviour.
