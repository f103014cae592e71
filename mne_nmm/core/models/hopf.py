"""Stuart-Landau oscillator (normal form of a supercritical Hopf bifurcation)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class Hopf(NeuralMass):
    r"""Stuart-Landau / supercritical Hopf normal form (Deco et al. 2017; TVB ``SupHopf``).

    .. math::

        \dot x &= (a - x^2 - y^2)\,x - \omega\,y + c_x \\
        \dot y &= (a - x^2 - y^2)\,y + \omega\,x + c_y

    For ``a > 0`` each uncoupled node has a stable limit cycle of radius
    ``sqrt(a)`` rotating at angular frequency ``omega`` (rad/ms); for ``a < 0`` a
    stable focus at the origin (noise-driven damped oscillations at ``omega``).
    Both ``x`` and ``y`` are coupled (``c_x``, ``c_y`` = coupling inputs 0 and 1),
    as in TVB and in Deco et al. (2017). Time is in ms. The equations are TVB's
    ``SupHopf``; the defaults deliberately differ from TVB's (``a = -0.5``,
    ``omega = 1 rad/ms``, a silent focus that rings at 159 Hz when driven).

    Parameters
    ----------
    a : float | array (n_regions,)
        Bifurcation parameter (1/ms). Default 0.1 (oscillating, radius 0.316).
    omega : float | array (n_regions,)
        Angular frequency in rad/ms. Default ``2 pi 10 Hz = 0.0628 rad/ms``.

    References
    ----------
    Kuznetsov, Elements of Applied Bifurcation Theory (2004), ch. 3.
    Deco G. et al. (2017) The dynamics of resting fluctuations in the brain: metastability
    and its dynamical cortical core. Sci Rep 7:3095.
    """

    name: ClassVar[str] = "hopf"
    state_variables: ClassVar[tuple] = ("x", "y")
    coupled_variables: ClassVar[tuple] = ("x", "y")
    default_output: ClassVar[str] = "x"
    eeg_source: ClassVar[str] = "x"
    bold_drive: ClassVar[str] = "x"
    units: ClassVar[dict] = {"x": "a.u.", "y": "a.u."}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "BOLD FC and synchrony near criticality; oscillation studies"
    reference: ClassVar[str] = "Deco et al. 2017, Sci Rep 7:3095"

    a: float = 0.1
    omega: float = 2.0 * np.pi * 10.0 / 1000.0

    def dfun(self, state, coupling):
        x, y = state[0], state[1]
        r2 = x * x + y * y
        g = self.a - r2
        return jnp.stack([g * x - self.omega * y + coupling[0], g * y + self.omega * x + coupling[1]])

    def default_initial(self):
        return np.array([0.1, 0.0])

    def initial_spread(self):
        return np.array([0.05, 0.05])
