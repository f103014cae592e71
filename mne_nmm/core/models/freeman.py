"""Freeman KII-type neural mass (second-order dendritic filter + asymmetric sigmoid)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class Freeman(NeuralMass):
    r"""Freeman's (1975) KII set: an excitatory and an inhibitory population in negative feedback.

    Each population converts incoming pulse density into a wave (dendritic
    potential) through Freeman's second-order linear filter and back into pulse
    density through his asymmetric sigmoid:

    .. math::

        \frac{1}{ab}\left(\ddot v_e + (a + b)\dot v_e + ab\,v_e\right) &=
            w_{ee} Q(v_e) - w_{ie} Q(v_i) + P + c \\
        \frac{1}{ab}\left(\ddot v_i + (a + b)\dot v_i + ab\,v_i\right) &=
            w_{ei} Q(v_e) - w_{ii} Q(v_i) \\
        Q(v) &= Q_m \left(1 - \exp\!\left(-\frac{e^v - 1}{Q_m}\right)\right), \quad v > -u_0;
        \qquad Q(v) = -1, \quad v \le -u_0

    with ``u0 = -ln(1 - Q_m ln(1 + 1/Q_m))`` (``Q`` is continuous at ``-u0``).
    State: ``v_e``, ``dv_e`` (= ``dv_e/dt``), ``v_i``, ``dv_i``; ``P`` is the
    background input, ``c`` the network input. The filter's impulse response is
    ``ab / (b - a) (exp(-a t) - exp(-b t))`` with Freeman's rate constants
    ``a = 0.22 /ms``, ``b = 0.72 /ms`` (olfactory bulb and cortex); ``Q`` has
    ``Q(0) = 0``, ``Q'(0) = 1``, its steepest slope at ``v = ln Q_m`` (the
    excitatory bias of the pulse-to-wave conversion) and the saturation ``Q_m``.

    Linearising, the negative feedback loop E -> I -> E oscillates when its
    gain at the frequency where each filter lags by 90 degrees,
    ``omega = sqrt(ab)`` (~63 Hz), exceeds one: the KII set generates gamma-band
    oscillations (the olfactory-bulb gamma of Freeman 1975) when drive ``P``
    raises the sigmoid gain. The weights here are illustrative (rest at
    ``P = 0``, a ~50-60 Hz limit cycle at the default ``P = 1``); Freeman's full
    KII has two populations of each kind.

    References
    ----------
    Freeman W.J. (1975) Mass Action in the Nervous System. Academic Press.
    Freeman W.J. (1987) Simulation of chaotic EEG patterns with a dynamic model of the
    olfactory system. Biol Cybern 56:139-150.
    Kozma R., Freeman W.J. (2001) Chaotic resonance: methods and applications for robust
    classification of noisy and variable patterns. Int J Bifurc Chaos 11:1607-1629.
    """

    name: ClassVar[str] = "freeman"
    state_variables: ClassVar[tuple] = ("v_e", "dv_e", "v_i", "dv_i")
    coupled_variables: ClassVar[tuple] = ("v_e",)
    derived_variables: ClassVar[dict] = {"Q_e": "excitatory pulse density Q(v_e)"}
    default_output: ClassVar[str] = "v_e"
    eeg_source: ClassVar[str] = "v_e"
    bold_drive: ClassVar[str] = "v_e"
    stimulus_variable: ClassVar[str] = "dv_e"
    units: ClassVar[dict] = {"v_e": "a.u.", "dv_e": "a.u./ms", "v_i": "a.u.", "dv_i": "a.u./ms", "Q_e": "a.u."}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "olfactory/cortical gamma, wave-pulse conversion (K-sets)"
    reference: ClassVar[str] = "Freeman 1975, Mass Action in the Nervous System"
    positive_parameters: ClassVar[tuple] = ("a", "b", "Q_m")

    a: float = 0.22
    b: float = 0.72
    Q_m: float = 5.0
    w_ee: float = 0.5
    w_ei: float = 2.0
    w_ie: float = 2.0
    w_ii: float = 0.2
    P: float = 1.0

    def sigmoid(self, v):
        """Freeman's asymmetric sigmoid ``Q(v)`` (pulse density, normalised)."""
        qm = self.Q_m
        u0 = -jnp.log(1.0 - qm * jnp.log(1.0 + 1.0 / qm))
        q = qm * (1.0 - jnp.exp(-(jnp.exp(jnp.minimum(v, 30.0)) - 1.0) / qm))
        return jnp.where(v > -u0, q, -1.0)

    def dfun(self, state, coupling):
        ve, dve, vi, dvi = state[0], state[1], state[2], state[3]
        a, b = self.a, self.b
        ab, apb = a * b, a + b
        qe, qi = self.sigmoid(ve), self.sigmoid(vi)
        in_e = self.w_ee * qe - self.w_ie * qi + self.P + coupling[0]
        in_i = self.w_ei * qe - self.w_ii * qi
        return jnp.stack([dve, ab * in_e - apb * dve - ab * ve, dvi, ab * in_i - apb * dvi - ab * vi])

    def derived(self, name, state):
        if name == "Q_e":
            return self.sigmoid(state[0])
        return super().derived(name, state)

    def default_initial(self):
        return np.array([0.1, 0.0, 0.1, 0.0])

    def initial_spread(self):
        return np.array([0.05, 0.0, 0.05, 0.0])
