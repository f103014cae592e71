"""
.. _tut-custom-model:

Add your own model
==================

A neural mass model in mne_nmm is one small class: its parameters (with units
and defaults) as dataclass fields, a few lines of metadata, and a pure
``dfun(state, coupling)`` that returns the time derivatives. Everything else —
networks with delays, noise, stimuli, EEG/MEG and BOLD monitors, parameter
sweeps with ``vmap`` and gradients for fitting — comes from the package.

Here we add a firing-rate population with spike-frequency adaptation
(Benda & Herz 2003; Treves 1993), check it against its fixed point computed by
hand, register it in the catalogue and run it in a network.
"""

# %%
# The model: one class
# --------------------
# A population with firing rate ``r`` (Hz) and an adaptation current ``a``::
#
#     tau_r dr/dt = -r + r_max / (1 + exp(-(I + w r - a + c - theta) / k))
#     tau_a da/dt = -a + g r
#
# ``I`` is the background drive, ``w`` the recurrent excitation, ``c`` the
# network input. Slow negative feedback through ``a`` turns a recurrently
# excited population into a relaxation oscillator (the slow "up/down"
# alternations of cortex in sleep and anaesthesia).
#
# What the class declares:
#
# * **fields** are the parameters, in the units of the source (floats or one
#   value per region); they are traced by JAX, so sweeps and gradients work;
# * ``state_variables`` and ``coupled_variables`` (which variables other regions
#   see through the coupling);
# * the observables: ``default_output``, ``eeg_source``, ``bold_drive``, and the
#   ``stimulus_variable`` stimuli are added to, with ``units``;
# * ``positive_parameters`` are checked on construction (a time constant <= 0
#   raises a clear error);
# * ``default_initial()`` / ``initial_spread()`` set where simulations start.
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import brentq

import mne_nmm as nmm
from mne_nmm.models import NeuralMass, neural_mass, register_model


@neural_mass
class AdaptiveRate(NeuralMass):
    """Firing-rate population with spike-frequency adaptation (Benda & Herz 2003).

    ``tau_r r' = -r + F(I + w r - a + c)``, ``tau_a a' = -a + g r`` with the logistic
    ``F(x) = r_max / (1 + exp(-(x - theta) / k))``.

    References
    ----------
    Benda J., Herz A.V.M. (2003) A universal model for spike-frequency adaptation.
    Neural Comput 15:2523-2564.
    """

    name = "adaptive_rate"
    state_variables = ("r", "a")
    coupled_variables = ("r",)
    default_output = "r"
    eeg_source = "r"
    bold_drive = "r"
    stimulus_variable = "r"
    units = {"r": "Hz", "a": "a.u."}
    state_bounds = {"r": (0.0, np.inf)}
    category = "phenomenological"
    typical_use = "slow oscillations (up/down states) from adaptation"
    reference = "Benda & Herz 2003, Neural Comput 15:2523"
    positive_parameters = ("tau_r", "tau_a", "k", "r_max")

    tau_r: float = 10.0    # ms
    tau_a: float = 500.0   # ms
    r_max: float = 50.0    # Hz
    theta: float = 5.0     # threshold of the input (a.u.)
    k: float = 1.0         # width of the sigmoid (a.u.)
    w: float = 0.2         # recurrent excitation (a.u. per Hz)
    g: float = 0.2         # adaptation strength (a.u. per Hz)
    I: float = 2.5         # background drive (a.u.)

    def rate(self, x):
        return self.r_max / (1.0 + jnp.exp(-(x - self.theta) / self.k))

    def dfun(self, state, coupling):
        r, a = state[0], state[1]
        dr = (-r + self.rate(self.I + self.w * r - a + coupling[0])) / self.tau_r
        da = (-a + self.g * r) / self.tau_a
        return jnp.stack([dr, da])

    def default_initial(self):
        return np.array([1.0, 0.0])

    def initial_spread(self):
        return np.array([0.5, 0.1])


model = AdaptiveRate()
print(model)

# %%
# Check it like any other model
# -----------------------------
# Parameters are validated, unknown names are rejected, and ``dfun`` is a pure
# function: it can be jitted, differentiated and batched.
for bad in (dict(tau_a=-1.0), dict(tau_adapt=100.0)):
    try:
        model.replace(**bad)
    except ValueError as err:
        print("ValueError:", err)

state = jnp.asarray(model.initial_state(3, rng=0), dtype=jnp.float32)
no_input = jnp.zeros((1, 3))
grad = jax.grad(lambda m: jnp.sum(m.dfun(state, no_input) ** 2))(model)
print("d|f|^2 / d g =", grad.g)

# %%
# Compare with a result derived by hand
# -------------------------------------
# Without adaptation dynamics (at steady state ``a = g r``) the fixed points solve
# the scalar equation ``r = F(I + (w - g) r)``. With a strong drive there is a
# single fixed point; we compute it with a root finder and check that a
# simulation of one isolated node converges to it.
strong = model.replace(I=8.0)
F = lambda r: float(strong.rate(strong.I + (strong.w - strong.g) * r))
r_star = brentq(lambda r: r - F(r), 0.0, 50.0)

one = nmm.Connectome(np.zeros((1, 1)), np.zeros((1, 1)))
net1 = nmm.Network(one, coupling=nmm.coupling.Linear(), dt_ms=0.1)
res = nmm.simulate(net1, strong, duration_ms=10000.0, monitors=[nmm.monitors.Subsample(10.0, variables=("r", "a"))])
r_end = res["subsample"].data[-1, 0, 0]
print(f"fixed point by hand: r* = {r_star:.4f} Hz, simulation: {r_end:.4f} Hz")
assert abs(r_end - r_star) / r_star < 1e-3   # single precision: the slow variable a stalls within ~1e-4

# %%
# Register it
# -----------
# :func:`~mne_nmm.models.register_model` adds the class to the catalogue with
# the coupling and global coupling that suit it; from then on it behaves like a
# built-in model: ``get_model("adaptive_rate", ...)``, the table of
# ``list_models()``, ``recommended_network``.
register_model(AdaptiveRate, coupling=nmm.coupling.Linear, global_coupling=0.05, overwrite=True)
print(nmm.list_models()["adaptive_rate"].to_record())

# %%
# Run it in a network
# -------------------
# Five regions with conduction delays, weak linear coupling of the rates and a
# little noise on ``r``: each region alternates between up and down states,
# and the coupling tends to align the transitions.
rng = np.random.default_rng(1)
w = rng.uniform(0.2, 1.0, (5, 5)) * (rng.uniform(size=(5, 5)) < 0.7)
np.fill_diagonal(w, 0.0)
lengths = rng.uniform(20.0, 80.0, (5, 5))
lengths = (lengths + lengths.T) / 2
np.fill_diagonal(lengths, 0.0)
conn = nmm.Connectome(w, lengths, region_names=[f"r{i}" for i in range(5)])

net = nmm.models.recommended_network(conn, "adaptive_rate")
res = nmm.simulate(net, nmm.models.get_model("adaptive_rate"), duration_ms=6000.0, integrator="stochastic_heun",
                   noise=nmm.AdditiveNoise(sigma=0.5, variables=("r",)), key=3,
                   monitors=[nmm.monitors.Subsample(2.0, variables=("r", "a"))])
out = res["subsample"]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5), gridspec_kw=dict(width_ratios=[3, 1]),
                               layout="constrained")
ax1.plot(out.times_s, out.data[:, 0, :], lw=0.8)
ax1.set(xlabel="time (s)", ylabel="r (Hz)", title="AdaptiveRate in a 5-region network")
ax2.plot(out.data[:, 0, 0], out.data[:, 1, 0], lw=0.6)
ax2.set(xlabel="r (Hz)", ylabel="a", title="region r0")
