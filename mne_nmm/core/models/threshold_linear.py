"""Threshold-linear excitatory-inhibitory rate model."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class ThresholdLinear(NeuralMass):
    r"""Threshold-linear (rectified-linear) excitatory-inhibitory rate model.

    .. math::

        \tau_e\,\dot r_e &= -r_e + [\,w_{ee}\,r_e - w_{ei}\,r_i + I_e + c\,]_+ \\
        \tau_i\,\dot r_i &= -r_i + [\,w_{ie}\,r_e - w_{ii}\,r_i + I_i\,]_+

    ``r_e``, ``r_i`` are the firing rates (Hz) of the excitatory and inhibitory
    populations, ``[x]_+ = max(x, 0)``, ``I_e``, ``I_i`` external inputs (Hz) and
    ``c`` the network input to the excitatory population.

    In the regime where both populations are active the model is linear and its
    fixed point is the solution of ``(1 - W) r = I`` with
    ``W = [[w_ee, -w_ei], [w_ie, -w_ii]]``. With ``w_ee > 1`` the excitatory
    subnetwork is unstable on its own and is stabilised by inhibition: an
    *inhibition-stabilised network* (ISN), whose signature is the *paradoxical
    effect*: extra input to the inhibitory population *lowers* its steady rate
    (Tsodyks et al. 1997; Ozeki et al. 2009). The active fixed point is stable
    iff ``trace(J) < 0`` and ``det(J) > 0`` for ``J = diag(1/tau) (W - 1)``;
    when the trace crosses zero (slow inhibition) the network oscillates.

    Defaults (an ISN): ``w_ee = 2``, ``w_ei = 2.5``, ``w_ie = 2.5``, ``w_ii = 1``,
    ``tau_e = 10 ms``, ``tau_i = 5 ms``, ``I_e = 10 Hz``, ``I_i = 5 Hz``.

    References
    ----------
    Tsodyks M.V., Skaggs W.E., Sejnowski T.J., McNaughton B.L. (1997) Paradoxical effects of
    external modulation of inhibitory interneurons. J Neurosci 17:4382-4388.
    Ozeki H., Finn I.M., Schaffer E.S., Miller K.D., Ferster D. (2009) Inhibitory stabilization
    of the cortical network underlies visual surround suppression. Neuron 62:578-592.
    Dayan P., Abbott L.F. (2001) Theoretical Neuroscience, ch. 7. MIT Press.
    """

    name: ClassVar[str] = "threshold_linear"
    state_variables: ClassVar[tuple] = ("r_e", "r_i")
    coupled_variables: ClassVar[tuple] = ("r_e",)
    default_output: ClassVar[str] = "r_e"
    eeg_source: ClassVar[str] = "r_e"
    bold_drive: ClassVar[str] = "r_e"
    stimulus_variable: ClassVar[str] = "r_e"
    units: ClassVar[dict] = {"r_e": "Hz", "r_i": "Hz"}
    state_bounds: ClassVar[dict] = {"r_e": (0.0, np.inf), "r_i": (0.0, np.inf)}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = "E-I balance, inhibition-stabilised networks, linear-response analysis"
    reference: ClassVar[str] = "Tsodyks et al. 1997, J Neurosci 17:4382"
    positive_parameters: ClassVar[tuple] = ("tau_e", "tau_i")

    w_ee: float = 2.0
    w_ei: float = 2.5
    w_ie: float = 2.5
    w_ii: float = 1.0
    tau_e: float = 10.0
    tau_i: float = 5.0
    I_e: float = 10.0
    I_i: float = 5.0

    def dfun(self, state, coupling):
        re, ri = state[0], state[1]
        he = jnp.maximum(self.w_ee * re - self.w_ei * ri + self.I_e + coupling[0], 0.0)
        hi = jnp.maximum(self.w_ie * re - self.w_ii * ri + self.I_i, 0.0)
        return jnp.stack([(-re + he) / self.tau_e, (-ri + hi) / self.tau_i])

    def default_initial(self):
        return np.array([5.0, 5.0])

    def initial_spread(self):
        return np.array([0.5, 0.5])
