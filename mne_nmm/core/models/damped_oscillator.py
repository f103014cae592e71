"""Damped harmonic oscillator (linear second-order neural mass)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class DampedOscillator(NeuralMass):
    r"""Damped harmonic oscillator driven by its input.

    .. math::

        \dot x &= v \\
        \dot v &= -2\,\zeta\,\omega_0\,v - \omega_0^2\,x + c + I(t)

    ``x`` is the activity (EEG source), ``v`` its rate of change, ``omega_0 = 2 pi f / 1000``
    the natural angular frequency (rad/ms) and ``zeta`` the damping ratio. It is the
    linearisation of any neural mass around a stable focus: for ``0 < zeta < 1`` an
    impulse gives ``x ~ exp(-zeta omega_0 t) sin(omega_d t)`` with
    ``omega_d = omega_0 sqrt(1 - zeta^2)``; noise produces a resonance peak near ``f``
    (the noise-driven alpha rhythm of linear models; cf. Jansen-Rit below its
    Hopf point). A sinusoidal input ``eps sin(W t)`` gives the steady amplitude
    ``eps / sqrt((omega_0^2 - W^2)^2 + (2 zeta omega_0 W)^2)``.

    Parameters
    ----------
    f : float
        Natural frequency (Hz). Default 10.
    zeta : float
        Damping ratio (dimensionless). Default 0.1 (quality factor 5).

    References
    ----------
    Freeman W.J. (1975) Mass Action in the Nervous System, ch. 2 (linear lumped models).
    Castaldo F. et al. (2026) A Rosetta Stone of neural mass models. Physics Reports.
    """

    name: ClassVar[str] = "damped_oscillator"
    state_variables: ClassVar[tuple] = ("x", "v")
    coupled_variables: ClassVar[tuple] = ("x",)
    default_output: ClassVar[str] = "x"
    eeg_source: ClassVar[str] = "x"
    bold_drive: ClassVar[str] = "x"
    stimulus_variable: ClassVar[str] = "v"
    units: ClassVar[dict] = {"x": "a.u.", "v": "a.u./ms"}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "noise-driven resonances; linear response; ladder rung 2"
    reference: ClassVar[str] = "Freeman 1975, Mass Action in the Nervous System"
    positive_parameters: ClassVar[tuple] = ("f",)

    f: float = 10.0
    zeta: float = 0.1

    @property
    def omega0(self):
        """Natural angular frequency (rad/ms)."""
        return 2.0 * jnp.pi * self.f / 1000.0

    def dfun(self, state, coupling):
        x, v = state[0], state[1]
        w0 = self.omega0
        return jnp.stack([v, -2.0 * self.zeta * w0 * v - w0 * w0 * x + coupling[0]])

    def default_initial(self):
        return np.array([1.0, 0.0])

    def initial_spread(self):
        return np.array([0.1, 0.0])
