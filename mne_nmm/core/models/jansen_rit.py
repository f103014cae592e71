"""Jansen-Rit cortical column (TVB parameterisation)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class JansenRit(NeuralMass):
    r"""Jansen-Rit neural mass model (Jansen & Rit 1995), TVB's parameterisation.

    Three populations (pyramidal cells, excitatory and inhibitory interneurons);
    ``y0`` is the output PSP of the pyramidal population, ``y1``/``y2`` the
    excitatory/inhibitory PSPs onto pyramidal cells and ``y3..y5`` their derivatives::

        S(v)   = 2 nu_max / (1 + exp(r (v0 - v)))                     [1/ms]
        y0' = y3                 y3' = A a S(y1 - y2)                          - 2 a y3 - a^2 y0
        y1' = y4                 y4' = A a (mu + a2 J S(a1 J y0) + c)           - 2 a y4 - a^2 y1
        y2' = y5                 y5' = B b (a4 J S(a3 J y0))                    - 2 b y5 - b^2 y2

    ``c`` is the network input (with :class:`~mne_nmm.core.coupling.SigmoidalJansenRit`
    coupling, the summed delayed firing rate of the other regions' pyramidal cells).
    The EEG/MEG source of a region is the pyramidal membrane potential ``y1 - y2``
    (mV). Coupled variables are ``(y1, y2)`` as in TVB. Time in ms, potentials in mV,
    rates in 1/ms.

    Defaults are TVB's, including the mean drive ``mu = 0.22 /ms`` (220 Hz) and
    TVB's firing threshold ``v0 = 5.52 mV``. With these an isolated node is *not*
    on the alpha cycle: it sits on a large-amplitude (~10 mV) ~7 Hz limit cycle.
    Jansen & Rit's own threshold ``v0 = 6 mV`` (:meth:`jansen_rit_1995`) gives the
    ~11 Hz alpha rhythm for drives between two Hopf bifurcations at
    ``mu = 0.0898`` and ``0.3157 /ms`` (Grimbert & Faugeras 2006; Jansen & Rit drove
    the model with 120-320 Hz noise) and a quiet focus above; ``mu = 0`` leaves a
    node at a quiet fixed point.

    Parameters
    ----------
    A, B : float
        Maximum excitatory / inhibitory PSP amplitude (mV). Defaults 3.25, 22.
    a, b : float
        Reciprocal excitatory / inhibitory time constants (1/ms). Defaults 0.1, 0.05.
    v0 : float
        Firing threshold (mV), 5.52 (TVB; Jansen & Rit used 6).
    nu_max : float
        Half the maximum firing rate (1/ms), 0.0025 (``2 nu_max = 5 Hz``).
    r : float
        Sigmoid steepness (1/mV), 0.56.
    J : float
        Average number of synapses, 135.
    a_1, a_2, a_3, a_4 : float
        Connectivity fractions 1, 0.8, 0.25, 0.25.
    mu : float
        Mean extrinsic input rate (1/ms), 0.22.

    References
    ----------
    Jansen B.H., Rit V.G. (1995) Electroencephalogram and visual evoked potential generation
    in a mathematical model of coupled cortical columns. Biol Cybern 73:357-366.
    Grimbert F., Faugeras O. (2006) Bifurcation analysis of Jansen's neural mass model.
    Neural Comput 18:3052-3068.
    Sanz Leon P. et al. (2013) The Virtual Brain. Front Neuroinform 7:10 (``JansenRit``).
    """

    name: ClassVar[str] = "jansen_rit"
    state_variables: ClassVar[tuple] = ("y0", "y1", "y2", "y3", "y4", "y5")
    coupled_variables: ClassVar[tuple] = ("y1", "y2")
    derived_variables: ClassVar[dict] = {"y1-y2": "pyramidal membrane potential (EEG/MEG source)"}
    default_output: ClassVar[str] = "y1-y2"
    stimulus_variable: ClassVar[str] = "y4"
    eeg_source: ClassVar[str] = "y1-y2"
    bold_drive: ClassVar[str] = "y1-y2"
    units: ClassVar[dict] = {"y0": "mV", "y1": "mV", "y2": "mV", "y3": "mV/ms", "y4": "mV/ms", "y5": "mV/ms",
                             "y1-y2": "mV"}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "EEG/MEG alpha rhythm and evoked potentials"
    reference: ClassVar[str] = "Jansen & Rit 1995, Biol Cybern 73:357"
    positive_parameters: ClassVar[tuple] = ("a", "b", "nu_max", "r")

    A: float = 3.25
    B: float = 22.0
    a: float = 0.1
    b: float = 0.05
    v0: float = 5.52
    nu_max: float = 0.0025
    r: float = 0.56
    J: float = 135.0
    a_1: float = 1.0
    a_2: float = 0.8
    a_3: float = 0.25
    a_4: float = 0.25
    mu: float = 0.22

    @classmethod
    def jansen_rit_1995(cls, **changes):
        """Jansen & Rit's (1995) parameter set (``v0 = 6 mV``): an alpha (~11 Hz) limit cycle at ``mu = 0.22``."""
        params = dict(v0=6.0)
        params.update(changes)
        return cls(**params)

    def sigmoid(self, v):
        """Potential-to-rate sigmoid ``2 nu_max / (1 + exp(r (v0 - v)))`` (1/ms)."""
        return 2.0 * self.nu_max / (1.0 + jnp.exp(self.r * (self.v0 - v)))

    def dfun(self, state, coupling):
        y0, y1, y2, y3, y4, y5 = (state[i] for i in range(6))
        a, b, J = self.a, self.b, self.J
        s12 = self.sigmoid(y1 - y2)
        s01 = self.sigmoid(self.a_1 * J * y0)
        s03 = self.sigmoid(self.a_3 * J * y0)
        return jnp.stack([
            y3,
            y4,
            y5,
            self.A * a * s12 - 2.0 * a * y3 - a * a * y0,
            self.A * a * (self.mu + self.a_2 * J * s01 + coupling[0]) - 2.0 * a * y4 - a * a * y1,
            self.B * b * (self.a_4 * J * s03) - 2.0 * b * y5 - b * b * y2,
        ])

    def derived(self, name, state):
        if name == "y1-y2":
            return state[1] - state[2]
        return super().derived(name, state)

    def default_initial(self):
        return np.array([0.1, 15.0, 10.0, 0.0, 0.0, 0.0])

    def initial_spread(self):
        return np.array([0.05, 2.0, 2.0, 0.0, 0.0, 0.0])
