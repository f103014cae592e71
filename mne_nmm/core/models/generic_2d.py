"""Generic two-dimensional oscillator (TVB ``Generic2dOscillator``)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class Generic2dOscillator(NeuralMass):
    r"""Generic planar oscillator with a cubic and a quadratic nullcline (TVB ``Generic2dOscillator``).

    .. math::

        \dot V &= d\,\tau\,(\alpha W - f V^3 + e V^2 + g V + \gamma I + \gamma c) \\
        \dot W &= \frac{d}{\tau}\,(a + b V + c_2 V^2 - \beta W)

    ``V`` is a fast activation variable, ``W`` a slow recovery variable, ``c`` the
    network input. The parameter TVB calls ``c`` (quadratic term of the
    ``W``-nullcline) is named ``c`` here too; the coupling input is a separate argument.
    Reducing to FitzHugh-Nagumo-like, Morris-Lecar-like or bistable dynamics by
    the choice of the nullclines (Stefanescu & Jirsa 2008; Sanz Leon et al. 2015).

    Regimes (TVB's documentation tables): with the defaults (``a = -2``,
    ``b = -10``, ``c = 0``, ``d = 0.02``, ``e = 3``, ``f = 1``, ``g = 0``,
    ``I = 0``) an excitable fixed point; ``a = 2`` gives a limit cycle.
    ``a = -0.5`` (Sanz Leon et al. 2013) gives a ~10 Hz intrinsic frequency.

    Parameters follow TVB's names and defaults: ``tau``, ``I``, ``a``, ``b``, ``c``,
    ``d``, ``e``, ``f``, ``g``, ``alpha``, ``beta``, ``gamma``.

    References
    ----------
    FitzHugh R. (1961) Biophys J 1:445-466.
    Stefanescu R.A., Jirsa V.K. (2008) A low dimensional description of globally coupled
    heterogeneous neural networks of excitatory and inhibitory neurons. PLoS Comput Biol 4:e1000219.
    Sanz Leon P., Knock S.A., Woodman M.M., et al. (2013) The Virtual Brain: a simulator of
    primate brain network dynamics. Front Neuroinform 7:10.
    """

    name: ClassVar[str] = "generic_2d_oscillator"
    state_variables: ClassVar[tuple] = ("V", "W")
    coupled_variables: ClassVar[tuple] = ("V",)
    default_output: ClassVar[str] = "V"
    eeg_source: ClassVar[str] = "V"
    bold_drive: ClassVar[str] = "V"
    stimulus_variable: ClassVar[str] = "V"
    units: ClassVar[dict] = {"V": "a.u.", "W": "a.u."}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "configurable excitable/oscillatory node (TVB default model)"
    reference: ClassVar[str] = "Sanz Leon et al. 2013, Front Neuroinform 7:10"
    positive_parameters: ClassVar[tuple] = ("tau", "d")

    tau: float = 1.0
    I: float = 0.0
    a: float = -2.0
    b: float = -10.0
    c: float = 0.0
    d: float = 0.02
    e: float = 3.0
    f: float = 1.0
    g: float = 0.0
    alpha: float = 1.0
    beta: float = 1.0
    gamma: float = 1.0

    def dfun(self, state, coupling):
        V, W = state[0], state[1]
        V2 = V * V
        dV = self.d * self.tau * (self.alpha * W - self.f * V2 * V + self.e * V2 + self.g * V
                                  + self.gamma * self.I + self.gamma * coupling[0])
        dW = self.d * (self.a + self.b * V + self.c * V2 - self.beta * W) / self.tau
        return jnp.stack([dV, dW])

    def default_initial(self):
        return np.array([0.0, 0.0])

    def initial_spread(self):
        return np.array([0.1, 0.1])
