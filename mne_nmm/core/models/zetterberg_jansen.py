"""Zetterberg-Jansen cortical column (TVB ``ZetterbergJansen``)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class ZetterbergJansen(NeuralMass):
    r"""Zetterberg et al. (1978) lumped column, the precursor of Jansen-Rit; TVB's ``ZetterbergJansen``.

    Three populations — spiny stellate (excitatory interneurons), pyramidal cells
    and inhibitory interneurons — with the same second-order synaptic kernels as
    Jansen-Rit, but with separate external inputs (``U`` to stellate cells, ``P`` to
    pyramidal cells, ``Q`` to interneurons) and inhibitory self-connections (``gamma_5``)::

        S(v)  = 2 e0 / (1 + exp(rho_1 (rho_2 - v)))                         [1/ms]
        u     = S(c)                                  (network input, a rate)
        v1'' = He ke (gamma_1 S(v2 - v3) + gamma_1T (U + u)) - 2 ke v1' - ke^2 v1   (exc. PSP on stellate)
        v2'' = He ke (gamma_2 S(v1)      + gamma_2T (P + u)) - 2 ke v2' - ke^2 v2   (exc. PSP on pyramidal)
        v3'' = Hi ki (gamma_4 S(v4 - v5))                    - 2 ki v3' - ki^2 v3   (inh. PSP on pyramidal)
        v4'' = He ke (gamma_3 S(v2 - v3) + gamma_3T (Q + u)) - 2 ke v4' - ke^2 v4   (exc. PSP on interneurons)
        v5'' = Hi ki (gamma_5 S(v4 - v5))                    - 2 ki v5' - ki^2 v5   (inh. PSP on interneurons)
        v6'  = v2' - v3',   v7' = v4' - v5'

    written as first-order equations in ``(v_k, y_k = v_k')``; ``v6`` and ``v7``
    integrate the pyramidal and interneuron membrane potentials (``v6`` is the
    coupled variable, as in TVB). The EEG source is the pyramidal potential
    ``v2 - v3`` (mV, derived).

    With ``gamma_5 = 0`` and ``U + S(0) = Q + S(0) = 0`` it reduces exactly to
    Jansen-Rit (``v1 = a_1 J y0``, ``v2 = y1``, ``v3 = y2``, ``v4 = a_3 J y0`` with
    ``gamma_1 = a_1 J``, ``gamma_2 = a_2 J``, ``gamma_3 = a_3 J``, ``gamma_4 = a_4 J``
    and ``mu = P + S(0)``; tested).

    With TVB's defaults (``P = U = Q = 0.12 /ms``, ``gamma_5 = 15``) an isolated
    column rests at a stable fixed point: the interneurons' self-inhibition
    quenches the rhythm; with ``gamma_5 = 0``, ``U = Q = 0``, ``P = 0.22`` it is on
    Jansen-Rit's ~11 Hz alpha cycle.

    Names and defaults are TVB's. Deliberate difference: TVB's equation for
    ``v5`` uses ``ke^2 v5`` with ``2 ki y5`` (a typo: the interneuron-to-interneuron
    kernel is inhibitory); here both use ``ki``.

    References
    ----------
    Zetterberg L.H., Kristiansson L., Mossberg K. (1978) Performance of a model for a local
    neuron population. Biol Cybern 31:15-26.
    Jansen B.H., Rit V.G. (1995) Biol Cybern 73:357-366.
    Spiegler A., Kiebel S.J., Atay F.M., Knösche T.R. (2010) Bifurcation analysis of neural mass
    models: impact of extrinsic inputs and dendritic time constants. NeuroImage 52:1041-1058.
    """

    name: ClassVar[str] = "zetterberg_jansen"
    state_variables: ClassVar[tuple] = ("v1", "y1", "v2", "y2", "v3", "y3", "v4", "y4", "v5", "y5", "v6", "v7")
    coupled_variables: ClassVar[tuple] = ("v6",)
    derived_variables: ClassVar[dict] = {"v2-v3": "pyramidal membrane potential (EEG/MEG source)"}
    default_output: ClassVar[str] = "v2-v3"
    eeg_source: ClassVar[str] = "v2-v3"
    bold_drive: ClassVar[str] = "v2-v3"
    stimulus_variable: ClassVar[str] = "y2"
    units: ClassVar[dict] = {**{f"v{k}": "mV" for k in range(1, 8)}, **{f"y{k}": "mV/ms" for k in range(1, 6)},
                             "v2-v3": "mV"}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "EEG rhythms with separate thalamic/cortical inputs (JR precursor)"
    reference: ClassVar[str] = "Zetterberg et al. 1978, Biol Cybern 31:15"
    positive_parameters: ClassVar[tuple] = ("ke", "ki", "e0", "rho_1")

    He: float = 3.25
    Hi: float = 22.0
    ke: float = 0.1
    ki: float = 0.05
    e0: float = 0.0025
    rho_2: float = 6.0
    rho_1: float = 0.56
    gamma_1: float = 135.0
    gamma_2: float = 108.0
    gamma_3: float = 33.75
    gamma_4: float = 33.75
    gamma_5: float = 15.0
    gamma_1T: float = 1.0
    gamma_2T: float = 1.0
    gamma_3T: float = 1.0
    P: float = 0.12
    U: float = 0.12
    Q: float = 0.12

    def sigmoid(self, v):
        """Potential-to-rate sigmoid ``2 e0 / (1 + exp(rho_1 (rho_2 - v)))`` (1/ms)."""
        return 2.0 * self.e0 / (1.0 + jnp.exp(self.rho_1 * (self.rho_2 - v)))

    def dfun(self, state, coupling):
        v1, y1, v2, y2, v3, y3, v4, y4, v5, y5 = (state[i] for i in range(10))
        S = self.sigmoid
        u = S(coupling[0])
        ke, ki = self.ke, self.ki
        Heke, Hiki = self.He * ke, self.Hi * ki
        s_pyr = S(v2 - v3)
        s_inh = S(v4 - v5)
        return jnp.stack([
            y1,
            Heke * (self.gamma_1 * s_pyr + self.gamma_1T * (self.U + u)) - 2.0 * ke * y1 - ke * ke * v1,
            y2,
            Heke * (self.gamma_2 * S(v1) + self.gamma_2T * (self.P + u)) - 2.0 * ke * y2 - ke * ke * v2,
            y3,
            Hiki * (self.gamma_4 * s_inh) - 2.0 * ki * y3 - ki * ki * v3,
            y4,
            Heke * (self.gamma_3 * s_pyr + self.gamma_3T * (self.Q + u)) - 2.0 * ke * y4 - ke * ke * v4,
            y5,
            Hiki * (self.gamma_5 * s_inh) - 2.0 * ki * y5 - ki * ki * v5,
            y2 - y3,
            y4 - y5,
        ])

    def derived(self, name, state):
        if name == "v2-v3":
            return state[2] - state[4]
        return super().derived(name, state)

    def default_initial(self):
        return np.array([10.0, 0.0, 15.0, 0.0, 10.0, 0.0, 3.0, 0.0, 1.0, 0.0, 5.0, 2.0])

    def initial_spread(self):
        return np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.0, 0.2, 0.0, 0.5, 0.2])
