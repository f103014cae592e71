"""FitzHugh-Nagumo excitable system."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class FitzHughNagumo(NeuralMass):
    r"""FitzHugh-Nagumo model (FitzHugh 1961; Nagumo et al. 1962).

    .. math::

        \dot v &= v - v^3/3 - w + I + c \\
        \dot w &= \epsilon\,(v + a - b\,w)

    ``v`` is a fast, voltage-like activation variable, ``w`` a slow recovery
    variable, ``I`` a constant drive and ``c`` the network input (coupling input 0).
    The system is dimensionless; here one time unit is one ms (rescale ``epsilon``
    and the drive to change the time scale).

    Regimes with FitzHugh's classic values ``a = 0.7``, ``b = 0.8``, ``epsilon = 0.08``:

    * ``I = 0``: a single stable rest state ``(v*, w*) = (-1.199, -0.624)`` that is
      *excitable*: a small kick of ``v`` decays, a kick beyond the middle branch
      of the cubic ``v``-nullcline elicits a full spike (all-or-none response);
    * the rest state loses stability in a Hopf bifurcation where
      ``1 - v*^2 = epsilon b`` (``I ~ 0.331``); above it the system spikes
      periodically (relaxation limit cycle), and again becomes stationary for
      ``I > ~1.42``.

    Parameters
    ----------
    a, b : float
        Offset and slope of the linear ``w``-nullcline. Defaults 0.7, 0.8.
    epsilon : float
        Time-scale ratio (slow/fast), per ms. Default 0.08.
    I : float
        Constant external drive. Default 0 (excitable rest).

    References
    ----------
    FitzHugh R. (1961) Impulses and physiological states in theoretical models of nerve
    membrane. Biophys J 1:445-466.
    Nagumo J., Arimoto S., Yoshizawa S. (1962) An active pulse transmission line simulating
    nerve axon. Proc IRE 50:2061-2070.
    """

    name: ClassVar[str] = "fitzhugh_nagumo"
    state_variables: ClassVar[tuple] = ("v", "w")
    coupled_variables: ClassVar[tuple] = ("v",)
    default_output: ClassVar[str] = "v"
    eeg_source: ClassVar[str] = "v"
    bold_drive: ClassVar[str] = "v"
    stimulus_variable: ClassVar[str] = "v"
    units: ClassVar[dict] = {"v": "a.u.", "w": "a.u."}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "excitability, spikes/bursts of activity, excitable networks"
    reference: ClassVar[str] = "FitzHugh 1961, Biophys J 1:445"
    positive_parameters: ClassVar[tuple] = ("epsilon",)

    a: float = 0.7
    b: float = 0.8
    epsilon: float = 0.08
    I: float = 0.0

    def dfun(self, state, coupling):
        v, w = state[0], state[1]
        return jnp.stack([v - v ** 3 / 3.0 - w + self.I + coupling[0], self.epsilon * (v + self.a - self.b * w)])

    def default_initial(self):
        # the excitable rest state for the default parameters
        return np.array([-1.1994, -0.6243])

    def initial_spread(self):
        return np.array([0.05, 0.05])
