"""Wilson-Cowan excitatory-inhibitory population model (TVB ``WilsonCowan``)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from ..pytree import static_field
from .base import NeuralMass, neural_mass


@neural_mass
class WilsonCowan(NeuralMass):
    r"""Wilson-Cowan model (Wilson & Cowan 1972, eqs. 11-12), TVB's ``WilsonCowan``.

    .. math::

        \tau_e \dot E &= -E + (k_e - r_e E)\, S_e\!\left(\alpha_e (c_{ee} E - c_{ei} I + P - \theta_e + c)\right) \\
        \tau_i \dot I &= -I + (k_i - r_i I)\, S_i\!\left(\alpha_i (c_{ie} E - c_{ii} I + Q - \theta_i)\right) \\
        S(x) &= \frac{c_s}{1 + e^{-a (x - b)}} - \frac{c_s}{1 + e^{a b}} \quad\text{(shifted, } S(0) = 0\text{)}

    ``E``, ``I``: proportions of excitatory / inhibitory cells firing per unit time,
    ``P``, ``Q``: external inputs, ``c``: network input to the excitatory population
    (TVB couples ``E`` and ``I`` but only adds the first coupling input to ``E``;
    here the coupled variable is ``E``). ``r_e``, ``r_i``: refractory periods,
    ``k_e``, ``k_i``: maximal responses. With ``shift_sigmoid=False`` the plain logistic
    ``c_s / (1 + exp(-a (x - b)))`` is used (TVB's ``shift_sigmoid``).

    Defaults are TVB's, i.e. Wilson & Cowan's (1972) parameter set of their Fig. 3-4
    (``c_ee = 12``, ``c_ei = 4``, ``c_ie = 13``, ``c_ii = 11``, ``a_e = 1.2``,
    ``b_e = 2.8``, ``a_i = 1``, ``b_i = 4``, ``r = 1``, ``tau = 10 ms``).
    Their limit-cycle set (Fig. 7-8: ``c_ee = 16``, ``c_ei = 12``, ``c_ie = 15``,
    ``c_ii = 3``, ``a_e = 1.3``, ``b_e = 4``, ``a_i = 2``, ``b_i = 3.7``,
    :meth:`limit_cycle`) oscillates for a band of constant drives ``P``, bounded by
    two Hopf bifurcations (Wilson & Cowan 1972, Fig. 8; Borisyuk & Kirillov 1992).

    References
    ----------
    Wilson H.R., Cowan J.D. (1972) Excitatory and inhibitory interactions in localized
    populations of model neurons. Biophys J 12:1-24.
    Borisyuk R.M., Kirillov A.B. (1992) Bifurcation analysis of a neural network model.
    Biol Cybern 66:319-325.
    Sanz Leon P. et al. (2013) The Virtual Brain. Front Neuroinform 7:10 (``WilsonCowan``).
    """

    name: ClassVar[str] = "wilson_cowan"
    state_variables: ClassVar[tuple] = ("E", "I")
    coupled_variables: ClassVar[tuple] = ("E",)
    default_output: ClassVar[str] = "E"
    eeg_source: ClassVar[str] = "E"
    bold_drive: ClassVar[str] = "E"
    stimulus_variable: ClassVar[str] = "E"
    units: ClassVar[dict] = {"E": "proportion active", "I": "proportion active"}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "E-I population rhythms, hysteresis, oscillation onset"
    reference: ClassVar[str] = "Wilson & Cowan 1972, Biophys J 12:1"
    positive_parameters: ClassVar[tuple] = ("tau_e", "tau_i")

    c_ee: float = 12.0
    c_ei: float = 4.0
    c_ie: float = 13.0
    c_ii: float = 11.0
    tau_e: float = 10.0
    tau_i: float = 10.0
    a_e: float = 1.2
    b_e: float = 2.8
    c_e: float = 1.0
    theta_e: float = 0.0
    a_i: float = 1.0
    b_i: float = 4.0
    theta_i: float = 0.0
    c_i: float = 1.0
    r_e: float = 1.0
    r_i: float = 1.0
    k_e: float = 1.0
    k_i: float = 1.0
    P: float = 0.0
    Q: float = 0.0
    alpha_e: float = 1.0
    alpha_i: float = 1.0
    shift_sigmoid: bool = static_field(default=True)

    @classmethod
    def limit_cycle(cls, **changes):
        """Wilson & Cowan's (1972, Fig. 7-8) limit-cycle parameter set with a drive ``P = 1.25``."""
        params = dict(c_ee=16.0, c_ei=12.0, c_ie=15.0, c_ii=3.0, a_e=1.3, b_e=4.0, a_i=2.0, b_i=3.7,
                      tau_e=10.0, tau_i=10.0, P=1.25,
                      k_e=1.0 - 1.0 / (1.0 + np.exp(1.3 * 4.0)), k_i=1.0 - 1.0 / (1.0 + np.exp(2.0 * 3.7)))
        params.update(changes)
        return cls(**params)

    def _sigmoid(self, x, a, b, c):
        s = c / (1.0 + jnp.exp(-a * (x - b)))
        if self.shift_sigmoid:
            s = s - c / (1.0 + jnp.exp(a * b))
        return s

    def dfun(self, state, coupling):
        E, I = state[0], state[1]
        x_e = self.alpha_e * (self.c_ee * E - self.c_ei * I + self.P - self.theta_e + coupling[0])
        x_i = self.alpha_i * (self.c_ie * E - self.c_ii * I + self.Q - self.theta_i)
        s_e = self._sigmoid(x_e, self.a_e, self.b_e, self.c_e)
        s_i = self._sigmoid(x_i, self.a_i, self.b_i, self.c_i)
        return jnp.stack([(-E + (self.k_e - self.r_e * E) * s_e) / self.tau_e,
                          (-I + (self.k_i - self.r_i * I) * s_i) / self.tau_i])

    def default_initial(self):
        return np.array([0.1, 0.05])

    def initial_spread(self):
        return np.array([0.02, 0.02])
