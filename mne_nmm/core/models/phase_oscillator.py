"""Phase-only oscillator (first rung of the neural-mass ladder)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class PhaseOscillator(NeuralMass):
    r"""Phase-only oscillator with frequency in Hz and a cosine read-out.

    .. math::

        \dot\theta = 2\pi f / 1000 + c + I(t), \qquad x = A \cos\theta

    The simplest oscillator: a phase rotating at ``f`` Hz (``theta`` in rad,
    time in ms) with no amplitude dynamics; its observable ``x`` (EEG source) is
    a sinusoid of amplitude ``A``. It is the phase reduction of any limit-cycle
    oscillator (e.g. :class:`~mne_nmm.core.models.hopf.Hopf` at ``omega = 2 pi f / 1000``,
    ``A = sqrt(a)``) and, with :class:`~mne_nmm.core.coupling.Kuramoto` coupling,
    the Kuramoto model. It differs from :class:`~.kuramoto.Kuramoto` (TVB's
    parameterisation in rad/ms) in its units and in the read-out.

    External input ``I(t)`` (stimuli) adds to the phase velocity. A periodic
    input of this kind modulates the instantaneous frequency but cannot entrain
    the oscillator (its phase drifts at ``f`` on average); entrainment needs a
    phase-dependent input, ``I = Z(theta) s(t)`` with the phase response curve
    ``Z(theta) = -sin(theta) / A`` of the Stuart-Landau oscillator
    (:meth:`phase_response`); with ``s = eps cos(2 pi F t)`` the phase locks to
    the forcing for ``|F - f| < eps / (4 pi A) * 1000`` Hz (Adler 1946; Pikovsky,
    Rosenblum & Kurths 2001, ch. 7).

    Parameters
    ----------
    f : float
        Natural frequency (Hz). Default 10.
    A : float
        Amplitude of the read-out ``x``. Default 1.

    References
    ----------
    Adler R. (1946) A study of locking phenomena in oscillators. Proc IRE 34:351-357.
    Pikovsky A., Rosenblum M., Kurths J. (2001) Synchronization: A Universal Concept in
    Nonlinear Sciences. Cambridge University Press.
    Castaldo F. et al. (2026) A Rosetta Stone of neural mass models. Physics Reports.
    """

    name: ClassVar[str] = "phase_oscillator"
    state_variables: ClassVar[tuple] = ("theta",)
    coupled_variables: ClassVar[tuple] = ("theta",)
    derived_variables: ClassVar[dict] = {"x": "A cos(theta), the oscillating read-out (EEG source)"}
    default_output: ClassVar[str] = "x"
    eeg_source: ClassVar[str] = "x"
    bold_drive: ClassVar[str] = "x"
    stimulus_variable: ClassVar[str] = "theta"
    units: ClassVar[dict] = {"theta": "rad", "x": "a.u."}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "rhythms without amplitude; phase synchrony; ladder rung 1"
    reference: ClassVar[str] = "Pikovsky, Rosenblum & Kurths 2001, Synchronization (CUP)"
    positive_parameters: ClassVar[tuple] = ("A",)

    f: float = 10.0
    A: float = 1.0

    def dfun(self, state, coupling):
        return (2.0 * jnp.pi * self.f / 1000.0 + coupling[0] + 0.0 * state[0])[None]

    def derived(self, name, state):
        if name == "x":
            return self.A * jnp.cos(state[0])
        return super().derived(name, state)

    def phase_response(self, state):
        """Phase response curve ``Z(theta) = -sin(theta) / A`` to a force on ``x`` (per unit input)."""
        return -jnp.sin(state[0]) / self.A

    def default_initial(self):
        return np.array([0.0])

    def initial_spread(self):
        return np.array([np.pi])
