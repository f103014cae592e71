"""Epileptor (Jirsa et al. 2014), TVB's 6D ``Epileptor``."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from ..pytree import static_field
from .base import NeuralMass, neural_mass


@neural_mass
class Epileptor(NeuralMass):
    r"""Epileptor: phenomenological model of seizure dynamics (Jirsa et al. 2014), TVB's ``Epileptor``.

    Two oscillatory subsystems and a slow permittivity variable ``z``::

        x1' = tt [ y1 - f1(x1, x2, z) - z + Iext + Kvf c1 ]
        y1' = tt [ c - d x1^2 - y1 ]
        z'  = tt r [ h(x1, z) - z + Ks c1 ]
        x2' = tt [ -y2 + x2 - x2^3 + Iext2 + bb g - 0.3 (z - 3.5) + Kf c2 ]
        y2' = tt [ -y2 + f2(x2) ] / tau
        g'  = tt [ -0.01 (g - 0.1 x1) ]

        f1 = a x1^3 - b x1^2                           if x1 < 0
           = -(slope - x2 + 0.6 (z - 4)^2) x1           if x1 >= 0
        f2 = 0 if x2 < -0.25 else aa (x2 + 0.25)
        h  = s (x1 - x0) - 0.1 z^7 [z < 0]              (linear permittivity; TVB's default)
           = x0 + 3 / (1 + exp(-(x1 + 0.5) / 0.1))      (``modification=True``, Proix et al. 2014)

    Subsystem 1 (``x1``, ``y1``) generates the fast discharges, subsystem 2
    (``x2``, ``y2``) the spike-wave events, ``g`` is a low-pass filter of ``x1`` and
    ``z`` the slow permittivity variable (time scale ``1/r ~ 3 s``) that drives the
    system in and out of seizures: seizures start through a saddle-node
    bifurcation (``z`` decreasing) and stop through a homoclinic bifurcation (``z``
    increasing) — *square-wave bursting*.

    ``x0`` is the excitability (epileptogenicity). The interictal fixed point
    (``y1 = c - d x1^2``, ``z = s (x1 - x0)``) lies on the lower branch of the
    slow manifold ``z = -x1^3 - 2 x1^2 + 1 + Iext`` (defaults) while
    ``x1* < -4/3``, i.e. for ``x0 < x0_c = ((-4/3)^3 + 2 (-4/3)^2 + s (-4/3) - 1 - Iext) / s
    ~ -2.06``: the node stays interictal; above ``x0_c`` it seizes recurrently
    (Jirsa et al. 2014; Proix et al. 2014, who use ``x0_c = -2.05``).
    ``c1``, ``c2`` are the coupling inputs of the coupled variables ``x1`` and ``x2``
    (TVB's ``cvar = [0, 3]``): ``Ks`` is the permittivity (slow) coupling, e.g.
    ``Ks sum_j W_ij (x1_j - x1_i)`` with difference coupling (Proix et al. 2014).
    The LFP-like observable is ``x2 - x1`` (derived).

    Defaults are TVB's (``x0 = -1.6``: seizing). ``s`` (TVB declares it but hard-codes 4)
    is used here; its default 4 gives TVB's equations. TVB's docstring writes the
    ``-0.1 z^7`` term conditional on ``x1 < 0``; its code (and this implementation)
    applies it for ``z < 0``.

    References
    ----------
    Jirsa V.K., Stacey W.C., Quilichini P.P., Ivanov A.I., Bernard C. (2014) On the nature of
    seizure dynamics. Brain 137:2210-2230.
    Proix T., Bartolomei F., Chauvel P., Bernard C., Jirsa V.K. (2014) Permittivity coupling
    across brain regions determines seizure recruitment in partial epilepsy. J Neurosci
    34:15009-15021.
    """

    name: ClassVar[str] = "epileptor"
    state_variables: ClassVar[tuple] = ("x1", "y1", "z", "x2", "y2", "g")
    coupled_variables: ClassVar[tuple] = ("x1", "x2")
    derived_variables: ClassVar[dict] = {"x2-x1": "LFP-like signal (EEG/SEEG source)"}
    default_output: ClassVar[str] = "x2-x1"
    eeg_source: ClassVar[str] = "x2-x1"
    bold_drive: ClassVar[str] = "x2-x1"
    stimulus_variable: ClassVar[str] = "x1"
    units: ClassVar[dict] = {v: "a.u." for v in ("x1", "y1", "z", "x2", "y2", "g", "x2-x1")}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "seizure onset/offset, epileptogenic zone, virtual epileptic patient"
    reference: ClassVar[str] = "Jirsa et al. 2014, Brain 137:2210"
    positive_parameters: ClassVar[tuple] = ("tau", "tt")

    a: float = 1.0
    b: float = 3.0
    c: float = 1.0
    d: float = 5.0
    r: float = 0.00035
    s: float = 4.0
    x0: float = -1.6
    Iext: float = 3.1
    slope: float = 0.0
    Iext2: float = 0.45
    tau: float = 10.0
    aa: float = 6.0
    bb: float = 2.0
    Kvf: float = 0.0
    Kf: float = 0.0
    Ks: float = 0.0
    tt: float = 1.0
    modification: bool = static_field(default=False)

    def dfun(self, state, coupling):
        x1, y1, z, x2, y2, g = (state[i] for i in range(6))
        c1, c2 = coupling[0], coupling[1]
        neg = -self.a * x1 * x1 + self.b * x1                      # -f1 / x1 for x1 < 0
        pos = self.slope - x2 + 0.6 * (z - 4.0) ** 2               # -f1 / x1 for x1 >= 0
        dx1 = y1 - z + self.Iext + self.Kvf * c1 + jnp.where(x1 < 0.0, neg, pos) * x1
        dy1 = self.c - self.d * x1 * x1 - y1
        if self.modification:
            h = self.x0 + 3.0 / (1.0 + jnp.exp(-(x1 + 0.5) / 0.1))
        else:
            h = self.s * (x1 - self.x0) + jnp.where(z < 0.0, -0.1 * z ** 7, 0.0)
        dz = self.r * (h - z + self.Ks * c1)
        dx2 = -y2 + x2 - x2 ** 3 + self.Iext2 + self.bb * g - 0.3 * (z - 3.5) + self.Kf * c2
        dy2 = (-y2 + jnp.where(x2 < -0.25, 0.0, self.aa * (x2 + 0.25))) / self.tau
        dg = -0.01 * (g - 0.1 * x1)
        return self.tt * jnp.stack([dx1, dy1, dz, dx2, dy2, dg])

    def derived(self, name, state):
        if name == "x2-x1":
            return state[3] - state[0]
        return super().derived(name, state)

    def default_initial(self):
        # interictal branch (close to the fixed point for x0 ~ -2.2)
        return np.array([-1.8, -15.0, 3.6, -1.0, 0.0, -0.18])

    def initial_spread(self):
        return np.array([0.05, 0.2, 0.02, 0.05, 0.01, 0.005])
