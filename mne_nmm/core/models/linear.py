"""Linear node (TVB ``Linear``)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class Linear(NeuralMass):
    r"""Linear (Ornstein-Uhlenbeck) node, TVB's ``Linear`` model.

    .. math::

        \dot x = \gamma\,x + c

    With linear coupling the whole network is the linear system
    ``dx/dt = (gamma I + G W) x``, solved exactly by ``expm((gamma I + G W) t) x0``
    and stable iff every eigenvalue of ``gamma I + G W`` has a negative real part
    (for non-negative weights: ``gamma + G lambda_max(W) < 0``). Driven by additive
    noise of amplitude ``sigma`` an isolated node has stationary variance
    ``sigma^2 / (2 |gamma|)``; the network's covariance solves the Lyapunov equation
    ``A P + P A^T + sigma^2 I = 0``. Used for linear-stochastic models of
    resting-state FC (Galán 2008; Saggio et al. 2016).

    Parameters
    ----------
    gamma : float
        Decay rate (1/ms), must be negative for a stable node. Default -10 (TVB).

    References
    ----------
    Galán R.F. (2008) On how network architecture determines the dominant patterns of
    spontaneous neural activity. PLoS One 3:e2148.
    Saggio M.L., Ritter P., Jirsa V.K. (2016) Analytical operations relate structural and
    functional connectivity in the brain. PLoS One 11:e0157292.
    Sanz Leon P. et al. (2013) The Virtual Brain. Front Neuroinform 7:10 (``Linear``).
    """

    name: ClassVar[str] = "linear"
    state_variables: ClassVar[tuple] = ("x",)
    coupled_variables: ClassVar[tuple] = ("x",)
    default_output: ClassVar[str] = "x"
    eeg_source: ClassVar[str] = "x"
    bold_drive: ClassVar[str] = "x"
    stimulus_variable: ClassVar[str] = "x"
    units: ClassVar[dict] = {"x": "a.u."}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "linear-stochastic FC models; analytic reference for the engine"
    reference: ClassVar[str] = "Galan 2008, PLoS One 3:e2148"

    gamma: float = -10.0

    def dfun(self, state, coupling):
        return (self.gamma * state[0] + coupling[0])[None]

    def default_initial(self):
        return np.array([0.0])

    def initial_spread(self):
        return np.array([0.1])
