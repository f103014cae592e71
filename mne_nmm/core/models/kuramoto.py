"""Kuramoto phase oscillator (TVB ``Kuramoto``)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class Kuramoto(NeuralMass):
    r"""Kuramoto phase oscillator, TVB's ``Kuramoto`` model.

    .. math::

        \dot\theta_i = \omega_i + c_i, \qquad
        c_i = \frac{1}{N} \sum_j G\,W_{ij} \sin(\theta_j(t - \tau_{ij}) - \theta_i(t))

    Use it with :class:`mne_nmm.core.coupling.Kuramoto`, which computes ``c_i``
    (the phase ``theta`` is the single coupled variable). ``theta`` is not
    wrapped; ``sin(theta)`` is available as the derived observable ``"sin"``.

    Classic result (Kuramoto 1975; Strogatz 2000): for all-to-all coupling
    (``W_ij = 1``) and natural frequencies drawn from a unimodal density ``g``,
    incoherence is stable below ``K_c = 2 / (pi g(0))`` (``G = K``); for a
    Lorentzian of half-width ``Delta`` (``K_c = 2 Delta``) the stationary order
    parameter is exactly ``r = sqrt(1 - K_c / K)`` above threshold (Ott &
    Antonsen 2008).

    Parameters
    ----------
    omega : float | array (n_regions,)
        Natural angular frequency (rad/ms). Default 1 (TVB's default,
        ``~159 Hz``; use ``2 pi f / 1000`` for a frequency ``f`` in Hz).

    References
    ----------
    Kuramoto Y. (1975) Self-entrainment of a population of coupled non-linear oscillators.
    Lecture Notes in Physics 39:420-422.
    Strogatz S.H. (2000) From Kuramoto to Crawford. Physica D 143:1-20.
    Ott E., Antonsen T.M. (2008) Low dimensional behavior of large systems of globally
    coupled oscillators. Chaos 18:037113.
    Cabral J., Hugues E., Sporns O., Deco G. (2011) Role of local network oscillations in
    resting-state functional connectivity. NeuroImage 57:130-139.
    """

    name: ClassVar[str] = "kuramoto"
    state_variables: ClassVar[tuple] = ("theta",)
    coupled_variables: ClassVar[tuple] = ("theta",)
    derived_variables: ClassVar[dict] = {"sin": "sin(theta), an oscillating read-out"}
    default_output: ClassVar[str] = "sin"
    eeg_source: ClassVar[str] = "sin"
    bold_drive: ClassVar[str] = "sin"
    stimulus_variable: ClassVar[str] = "theta"
    units: ClassVar[dict] = {"theta": "rad", "sin": "a.u."}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "phase synchrony, metastability, delay-induced slow FC (Cabral 2011)"
    reference: ClassVar[str] = "Kuramoto 1975, Lect Notes Phys 39:420"

    omega: float = 1.0

    def dfun(self, state, coupling):
        return (self.omega + coupling[0] + 0.0 * state[0])[None]

    def derived(self, name, state):
        if name == "sin":
            return jnp.sin(state[0])
        return super().derived(name, state)

    def default_initial(self):
        return np.array([np.pi])

    def initial_spread(self):
        # random phases over the whole circle: an incoherent start
        return np.array([np.pi])
