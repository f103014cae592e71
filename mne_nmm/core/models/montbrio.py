"""Montbrio-Pazo-Roxin exact mean field of QIF neurons (TVB ``MontbrioPazoRoxin``)."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


@neural_mass
class MontbrioPazoRoxin(NeuralMass):
    r"""Firing-rate equations of Montbrió, Pazó & Roxin (2015), TVB's ``MontbrioPazoRoxin``.

    Exact (Ott-Antonsen / Lorentzian ansatz) mean field of infinitely many
    all-to-all coupled quadratic integrate-and-fire neurons with Lorentzian
    distributed excitabilities (centre ``eta``, half-width ``Delta``):

    .. math::

        \tau \dot r &= \frac{\Delta}{\pi \tau} + 2 r V \\
        \tau \dot V &= V^2 - (\pi \tau r)^2 + \eta + J \tau r + I + c_r C_r + c_v C_V

    ``r`` is the population firing rate (1/time unit), ``V`` the mean membrane
    potential, ``C_r``, ``C_V`` the network inputs of the coupled variables ``r``
    and ``V`` weighted by ``cr``, ``cv`` (TVB).

    Fixed points: ``V* = -Delta / (2 pi tau r*)`` and ``r*`` a positive root of
    ``pi^2 tau^2 r^4 - J tau r^3 - (eta + I) r^2 - Delta^2 / (4 pi^2 tau^2) = 0``
    (:meth:`fixed_points`). Saddle-node bifurcations sit where
    ``d eta / d r = 0`` along ``eta(r) = pi^2 r^2 - J r - Delta^2 / (4 pi^2 r^2)``
    (``tau = 1``): above the cusp ``J = (8 pi / 3) (3/4)^(1/4) sqrt(Delta) ~ 7.8 sqrt(Delta)``
    there is a bistable range of ``eta`` in which a low-activity node and a
    high-activity focus coexist (MPR 2015, Fig. 1; ``J = 15``, ``Delta = 1``:
    ``-5.74 < eta < -3.14``).

    Defaults are TVB's (``tau = 1``, ``Delta = 1``, ``J = 15``, ``eta = -5``: bistable);
    time then is in units of the membrane time constant (use ``tau = 10`` for
    ms and rates in kHz). TVB declares a ``Gamma`` (synaptic-weight
    heterogeneity) parameter that its equations do not use; it is omitted here.

    References
    ----------
    Montbrió E., Pazó D., Roxin A. (2015) Macroscopic description for networks of spiking
    neurons. Phys Rev X 5:021028.
    Rabuffo G., Fousek J., Bernard C., Jirsa V. (2021) Neuronal cascades shape whole-brain
    functional dynamics at rest. eNeuro 8:ENEURO.0283-21.2021.
    """

    name: ClassVar[str] = "montbrio_pazo_roxin"
    state_variables: ClassVar[tuple] = ("r", "V")
    coupled_variables: ClassVar[tuple] = ("r", "V")
    default_output: ClassVar[str] = "r"
    eeg_source: ClassVar[str] = "V"
    bold_drive: ClassVar[str] = "r"
    stimulus_variable: ClassVar[str] = "V"
    units: ClassVar[dict] = {"r": "1/tau", "V": "a.u."}
    state_bounds: ClassVar[dict] = {"r": (0.0, np.inf)}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "exact QIF mean field; bistability, neuronal cascades, resting state"
    reference: ClassVar[str] = "Montbrio, Pazo & Roxin 2015, Phys Rev X 5:021028"
    positive_parameters: ClassVar[tuple] = ("tau",)

    tau: float = 1.0
    I: float = 0.0
    Delta: float = 1.0
    J: float = 15.0
    eta: float = -5.0
    cr: float = 1.0
    cv: float = 0.0

    def dfun(self, state, coupling):
        r, V = state[0], state[1]
        tau = self.tau
        dr = (self.Delta / (jnp.pi * tau) + 2.0 * V * r) / tau
        dV = (V * V - (jnp.pi * tau * r) ** 2 + self.eta + self.J * tau * r + self.I
              + self.cr * coupling[0] + self.cv * coupling[1]) / tau
        return jnp.stack([dr, dV])

    def fixed_points(self, input_current=0.0):
        """Closed-form fixed points ``[(r*, V*), ...]`` (ascending ``r*``) of an isolated node (scalar parameters)."""
        tau, D, J = float(self.tau), float(self.Delta), float(self.J)
        e = float(self.eta) + float(self.I) + float(input_current)
        roots = np.roots([np.pi ** 2 * tau ** 2, -J * tau, -e, 0.0, -D ** 2 / (4 * np.pi ** 2 * tau ** 2)])
        r = np.sort(roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real)
        return [(ri, -D / (2 * np.pi * tau * ri)) for ri in r]

    def default_initial(self):
        return np.array([0.1, -2.0])

    def initial_spread(self):
        return np.array([0.02, 0.1])
