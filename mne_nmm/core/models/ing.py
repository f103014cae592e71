"""Interneuron-gamma (ING) neural mass: exact mean field of inhibitory QIF neurons with synaptic kinetics."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class ING(NeuralMass):
    r"""Inhibitory QIF population with first-order synapses (Devalle, Roxin & Montbrió 2017).

    .. math::

        \tau \dot r &= \frac{\Delta}{\pi \tau} + 2 r v \\
        \tau \dot v &= v^2 + \eta - (\pi \tau r)^2 - J \tau s + I + c \\
        \tau_d \dot s &= -s + r

    ``r``: population firing rate (kHz, i.e. 1/ms), ``v``: mean membrane potential
    (dimensionless QIF units), ``s``: synaptic activation (kHz), ``tau``: membrane
    time constant, ``tau_d``: synaptic decay time, ``J > 0``: strength of the
    recurrent *inhibition*, ``eta``/``Delta``: centre/half-width of the
    Lorentzian distribution of excitabilities, ``c``: network input.

    This is the exact (Ott-Antonsen / Lorentzian ansatz) firing-rate description
    of a large network of heterogeneous inhibitory quadratic integrate-and-fire
    neurons, and it keeps the *voltage-dependent spike-synchrony* mechanism
    that standard rate (Wilson-Cowan) equations lack. Consequences (Devalle et
    al. 2017): with instantaneous synapses (``tau_d -> 0``, i.e. the inhibitory
    Montbrió-Pazó-Roxin model) the fixed point is always stable — no
    oscillations — whereas with synaptic kinetics (``tau_d > 0``) sufficiently
    strong drive ``eta`` destabilises it through a Hopf bifurcation into
    collective oscillations at gamma frequencies (interneuron gamma, ING); for
    slow synapses (``tau_d >> tau``) the model reduces to a Wilson-Cowan-type
    equation and the oscillations disappear again.

    Defaults: ``tau = 10 ms``, ``tau_d = 5 ms`` (GABA_A decay), ``Delta = 1``,
    ``J = 21``, ``eta = 10``: a ~50 Hz gamma limit cycle. Fixed points:
    ``s* = r*``, ``v* = -Delta / (2 pi tau r*)`` and ``r*`` the unique positive root of
    ``pi^2 tau^2 r^4 + J tau r^3 - (eta + I) r^2 - Delta^2 / (4 pi^2 tau^2) = 0``
    (:meth:`fixed_point`).

    References
    ----------
    Devalle F., Roxin A., Montbrió E. (2017) Firing rate equations require a spike synchrony
    mechanism to correctly describe fast oscillations in inhibitory networks. PLoS Comput Biol
    13:e1005881.
    Montbrió E., Pazó D., Roxin A. (2015) Phys Rev X 5:021028.
    Castaldo F. et al. (2026) A Rosetta Stone of neural mass models. Physics Reports.
    """

    name: ClassVar[str] = "ing"
    state_variables: ClassVar[tuple] = ("r", "v", "s")
    coupled_variables: ClassVar[tuple] = ("r",)
    default_output: ClassVar[str] = "r"
    eeg_source: ClassVar[str] = "v"
    bold_drive: ClassVar[str] = "r"
    stimulus_variable: ClassVar[str] = "v"
    units: ClassVar[dict] = {"r": "kHz", "v": "a.u.", "s": "kHz"}
    state_bounds: ClassVar[dict] = {"r": (0.0, np.inf)}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "interneuron gamma (30-80 Hz) rhythms; ladder rung 6"
    reference: ClassVar[str] = "Devalle, Roxin & Montbrio 2017, PLoS Comput Biol 13:e1005881"
    positive_parameters: ClassVar[tuple] = ("tau", "tau_d")

    tau: float = 10.0
    tau_d: float = 5.0
    Delta: float = 1.0
    J: float = 21.0
    eta: float = 10.0
    I: float = 0.0

    def dfun(self, state, coupling):
        r, v, s = state[0], state[1], state[2]
        tau = self.tau
        return jnp.stack([
            (self.Delta / (jnp.pi * tau) + 2.0 * r * v) / tau,
            (v * v + self.eta - (jnp.pi * tau * r) ** 2 - self.J * tau * s + self.I + coupling[0]) / tau,
            (-s + r) / self.tau_d,
        ])

    def fixed_point(self):
        """Closed-form fixed point ``(r*, v*, s*)`` of an isolated node (scalar parameters)."""
        tau, D, J = float(self.tau), float(self.Delta), float(self.J)
        e = float(self.eta) + float(self.I)
        roots = np.roots([np.pi ** 2 * tau ** 2, J * tau, -e, 0.0, -D ** 2 / (4 * np.pi ** 2 * tau ** 2)])
        r = roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real
        r = float(np.max(r))
        return r, -D / (2 * np.pi * tau * r), r

    def default_initial(self):
        return np.array([0.05, -0.3, 0.05])

    def initial_spread(self):
        return np.array([0.01, 0.05, 0.01])
