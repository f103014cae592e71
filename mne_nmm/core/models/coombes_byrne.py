"""Coombes-Byrne next-generation neural mass with conductance synapses (TVB ``CoombesByrne``)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class CoombesByrne(NeuralMass):
    r"""Next-generation neural mass of Coombes & Byrne (2019), TVB's ``CoombesByrne``.

    Exact mean field of QIF neurons (Lorentzian excitabilities, centre ``eta``,
    half-width ``Delta``) with a synaptic *conductance* ``g`` driven by the
    population rate through an alpha-function synapse:

    .. math::

        \dot r &= \Delta/\pi + 2 r V - g r \\
        \dot V &= V^2 - \pi^2 r^2 + \eta + (v_{syn} - V)\, g + c \\
        \dot g &= \alpha\, q \\
        \dot q &= \alpha\, (k \pi r - g - 2 q)

    ``r``: firing rate, ``V``: mean membrane potential, ``g``: conductance and ``q``
    its derivative (scaled by ``1/alpha``); ``c``: network input (coupled variable
    ``r``). Unlike current-based MPR, a conductance-based synapse shunts the
    rate equation (``-g r``) and pulls ``V`` toward the reversal potential ``v_syn``.

    Fixed points: ``q* = 0``, ``g* = k pi r*``, ``V* = (g* r* - Delta/pi) / (2 r*)`` with
    ``r*`` a root of the ``V`` equation (:meth:`fixed_points`). Depending on ``eta``
    the fixed point is a stable focus or is surrounded by a limit cycle
    (Hopf bifurcation; Coombes & Byrne 2019, Fig. 3) — a mechanism for
    event-related synchrony/desynchrony that the Wilson-Cowan family lacks.

    Defaults and equations are TVB's (``Delta = 0.5``, ``alpha = 0.95``,
    ``v_syn = -10``, ``k = 1``, ``eta = 20``). TVB's docstring writes the shunting
    term as ``-g r^2``; its code, the derivation from the QIF network and this
    implementation use ``-g r``.

    References
    ----------
    Coombes S., Byrne Á. (2019) Next generation neural mass models. In: Corinto F., Torcini A.
    (eds) Nonlinear Dynamics in Computational Neuroscience. Springer, pp 1-16.
    Byrne Á., Avitabile D., Coombes S. (2019) Next-generation neural field model: the evolution
    of synchrony within patterns and waves. Phys Rev E 99:012313.
    """

    name: ClassVar[str] = "coombes_byrne"
    state_variables: ClassVar[tuple] = ("r", "V", "g", "q")
    coupled_variables: ClassVar[tuple] = ("r",)
    default_output: ClassVar[str] = "r"
    eeg_source: ClassVar[str] = "V"
    bold_drive: ClassVar[str] = "r"
    stimulus_variable: ClassVar[str] = "V"
    units: ClassVar[dict] = {"r": "a.u.", "V": "a.u.", "g": "a.u.", "q": "a.u."}
    state_bounds: ClassVar[dict] = {"r": (0.0, np.inf)}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "next-generation NMM: synchrony-dependent rhythms, ERS/ERD"
    reference: ClassVar[str] = "Coombes & Byrne 2019, Nonlinear Dyn Comput Neurosci 1-16"
    positive_parameters: ClassVar[tuple] = ("alpha",)

    Delta: float = 0.5
    alpha: float = 0.95
    v_syn: float = -10.0
    k: float = 1.0
    eta: float = 20.0

    def dfun(self, state, coupling):
        r, V, g, q = state[0], state[1], state[2], state[3]
        return jnp.stack([
            self.Delta / jnp.pi + 2.0 * V * r - g * r,
            V * V - jnp.pi ** 2 * r * r + self.eta + (self.v_syn - V) * g + coupling[0],
            self.alpha * q,
            self.alpha * (self.k * jnp.pi * r - g - 2.0 * q),
        ])

    def fixed_points(self):
        """Closed-form fixed points ``[(r, V, g, q), ...]`` (ascending ``r``) of an isolated node (scalar parameters)."""
        D, k, vs, eta = float(self.Delta), float(self.k), float(self.v_syn), float(self.eta)
        # V = (k pi r^2 - D/pi) / (2 r) = A r - B / r with A = k pi / 2, B = D / (2 pi)
        A, B = k * np.pi / 2.0, D / (2.0 * np.pi)
        # V^2 - pi^2 r^2 + eta + (vs - V) k pi r = 0, multiplied by r^2:
        # (A r^2 - B)^2 - pi^2 r^4 + eta r^2 + vs k pi r^3 - (A r^2 - B) k pi r^2 = 0
        c4 = A ** 2 - np.pi ** 2 - A * k * np.pi
        c3 = vs * k * np.pi
        c2 = -2 * A * B + eta + B * k * np.pi
        c0 = B ** 2
        roots = np.roots([c4, c3, c2, 0.0, c0])
        r = np.sort(roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real)
        return [(ri, A * ri - B / ri, k * np.pi * ri, 0.0) for ri in r]

    def default_initial(self):
        return np.array([0.5, -1.0, 1.5, 0.0])

    def initial_spread(self):
        return np.array([0.05, 0.1, 0.05, 0.01])
