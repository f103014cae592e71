"""Lorenz system (a chaotic test fixture)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class Lorenz(NeuralMass):
    r"""Lorenz (1963) system, a canonical chaotic flow used as a test fixture.

    .. math::

        \dot x &= \sigma\,(y - x) + c \\
        \dot y &= x\,(\rho - z) - y \\
        \dot z &= x\,y - \beta\,z

    Not a neural model: it is here to test chaos-related analysis (Lyapunov
    exponents, surrogate tests, synchronisation of chaotic units). Time is
    dimensionless (one unit per ms here). At the classic parameters
    ``sigma = 10``, ``rho = 28``, ``beta = 8/3`` the flow has the strange
    attractor with Lyapunov spectrum ``(0.906, 0, -14.57)`` (Sprott 2003).
    For ``rho < 1`` the origin is globally stable; for
    ``1 < rho < 24.74`` trajectories settle on one of the fixed points
    ``(+-sqrt(beta (rho - 1)), +-sqrt(beta (rho - 1)), rho - 1)``.

    References
    ----------
    Lorenz E.N. (1963) Deterministic nonperiodic flow. J Atmos Sci 20:130-141.
    Sprott J.C. (2003) Chaos and Time-Series Analysis. Oxford University Press.
    """

    name: ClassVar[str] = "lorenz"
    state_variables: ClassVar[tuple] = ("x", "y", "z")
    coupled_variables: ClassVar[tuple] = ("x",)
    default_output: ClassVar[str] = "x"
    eeg_source: ClassVar[str] = "x"
    bold_drive: ClassVar[str] = "x"
    stimulus_variable: ClassVar[str] = "x"
    units: ClassVar[dict] = {"x": "a.u.", "y": "a.u.", "z": "a.u."}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "chaos test fixture (Lyapunov exponents, chaotic synchronisation)"
    reference: ClassVar[str] = "Lorenz 1963, J Atmos Sci 20:130"
    positive_parameters: ClassVar[tuple] = ()

    sigma: float = 10.0
    rho: float = 28.0
    beta: float = 8.0 / 3.0

    def dfun(self, state, coupling):
        x, y, z = state[0], state[1], state[2]
        return jnp.stack([self.sigma * (y - x) + coupling[0], x * (self.rho - z) - y, x * y - self.beta * z])

    def default_initial(self):
        return np.array([1.0, 1.0, 20.0])

    def initial_spread(self):
        return np.array([0.5, 0.5, 0.5])
