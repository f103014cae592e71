"""Van der Pol relaxation oscillator."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class VanDerPol(NeuralMass):
    r"""Van der Pol oscillator (van der Pol 1926), written as a first-order system.

    .. math::

        \dot x &= \omega\, y \\
        \dot y &= \omega\,\left(\mu\,(1 - x^2)\,y - x\right) + c

    ``x`` is the oscillating activity, ``y = \dot x / \omega`` its scaled velocity and
    ``c`` the network input (coupling input 0, entering the velocity equation, i.e.
    a force on ``x``). ``omega`` (rad/ms) sets the time unit: in the dimensionless
    time ``s = omega t`` the system is the classic ``x'' - mu (1 - x^2) x' + x = 0``.

    Regimes (uncoupled):

    * ``mu = 0``: harmonic oscillator with angular frequency ``omega``;
    * small ``mu > 0``: near-sinusoidal limit cycle of amplitude ``2`` (period ``2 pi / omega``);
    * large ``mu``: relaxation oscillations with period
      ``T omega ~ (3 - 2 ln 2) mu + 3 a mu^{-1/3}`` (``a = 2.338``, the first zero of
      the Airy function; Strogatz 2015 §7.5; Grasman 1987);
    * ``mu < 0``: the origin is a stable focus/node (damped oscillator).

    Parameters
    ----------
    mu : float
        Nonlinear damping (dimensionless). Default 1.
    omega : float
        Angular frequency of the linear part (rad/ms). Default ``2 pi 10 Hz``.

    References
    ----------
    van der Pol B. (1926) On "relaxation-oscillations". Phil Mag 2:978-992.
    Strogatz S.H. (2015) Nonlinear Dynamics and Chaos, 2nd ed., §7.5.
    Grasman J. (1987) Asymptotic Methods for Relaxation Oscillations and Applications. Springer.
    """

    name: ClassVar[str] = "van_der_pol"
    state_variables: ClassVar[tuple] = ("x", "y")
    coupled_variables: ClassVar[tuple] = ("x",)
    default_output: ClassVar[str] = "x"
    eeg_source: ClassVar[str] = "x"
    bold_drive: ClassVar[str] = "x"
    stimulus_variable: ClassVar[str] = "y"
    units: ClassVar[dict] = {"x": "a.u.", "y": "a.u."}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "relaxation oscillations; nonlinear oscillator networks"
    reference: ClassVar[str] = "van der Pol 1926, Phil Mag 2:978"
    positive_parameters: ClassVar[tuple] = ("omega",)

    mu: float = 1.0
    omega: float = 2.0 * np.pi * 10.0 / 1000.0

    def dfun(self, state, coupling):
        x, y = state[0], state[1]
        return jnp.stack([self.omega * y, self.omega * (self.mu * (1.0 - x * x) * y - x) + coupling[0]])

    def default_initial(self):
        return np.array([0.5, 0.0])

    def initial_spread(self):
        return np.array([0.1, 0.1])
