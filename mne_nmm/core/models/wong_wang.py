"""Wong-Wang models: the two-population decision circuit and the E-I resting-state model."""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .base import NeuralMass, neural_mass


def _phi(x, a, b, d):
    """Abbott-Chance transfer function ``(a x - b) / (1 - exp(-d (a x - b)))`` (Hz), regular at ``a x = b``."""
    u = a * x - b
    small = jnp.abs(d * u) < 1e-6
    safe = jnp.where(small, 1.0, u)
    return jnp.where(small, 1.0 / d + 0.5 * u, safe / (-jnp.expm1(-d * safe)))


@neural_mass
class WongWang(NeuralMass):
    r"""Reduced two-variable decision model of Wong & Wang (2006).

    Two selective excitatory populations compete through shared inhibition,
    reduced to their NMDA gating variables ``S1``, ``S2``::

        x1 = J11 S1 - J12 S2 + I0 + I1 + I_noise1 + c1          (nA)
        x2 = J22 S2 - J21 S1 + I0 + I2 + I_noise2 + c2
        H(x) = (a x - b) / (1 - exp(-d (a x - b)))               (Hz)
        dS_k/dt = -S_k / tau_S + (1 - S_k) gamma H(x_k)
        tau_AMPA dI_noise_k/dt = -I_noise_k  (+ white noise)

    ``I_k = J_ext mu0 (1 +- coherence)`` is the stimulus (set ``I1``, ``I2`` or use
    :meth:`with_stimulus`), ``c1``, ``c2`` network inputs. The AMPA noise of the
    paper (std ``sigma_noise = 0.02 nA``) is an Ornstein-Uhlenbeck process:
    integrate with additive noise on ``I_noise1``, ``I_noise2`` of amplitude
    :meth:`noise_sigma` (``sigma_noise sqrt(2 / tau_AMPA)``). Firing rates
    ``r1 = H(x1)``, ``r2 = H(x2)`` are derived variables.

    Behaviour (Wong & Wang 2006, Figs. 3-5): without stimulus the network is
    multistable: a low spontaneous state (~2 Hz) coexists with two persistent
    "memory" states in which one population fires at ~20 Hz and the other is
    suppressed; a stimulus (``mu0 = 30 Hz``) turns the symmetric state into a
    saddle and the population receiving the stronger input wins (decision).

    Time is in ms: ``gamma = 0.641e-3`` is the paper's 0.641 with time in s (as in
    TVB's ``ReducedWongWang``).

    References
    ----------
    Wong K.-F., Wang X.-J. (2006) A recurrent network mechanism of time integration in
    perceptual decisions. J Neurosci 26:1314-1328.
    """

    name: ClassVar[str] = "wong_wang"
    state_variables: ClassVar[tuple] = ("S1", "S2", "I_noise1", "I_noise2")
    coupled_variables: ClassVar[tuple] = ("S1", "S2")
    derived_variables: ClassVar[dict] = {"r1": "firing rate of population 1 (Hz)",
                                         "r2": "firing rate of population 2 (Hz)"}
    default_output: ClassVar[str] = "S1"
    eeg_source: ClassVar[str] = None
    bold_drive: ClassVar[str] = "S1"
    stimulus_variable: ClassVar[str] = "S1"
    units: ClassVar[dict] = {"S1": "1", "S2": "1", "I_noise1": "nA", "I_noise2": "nA", "r1": "Hz", "r2": "Hz"}
    state_bounds: ClassVar[dict] = {"S1": (0.0, 1.0), "S2": (0.0, 1.0)}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "perceptual decision making, working memory (winner-take-all)"
    reference: ClassVar[str] = "Wong & Wang 2006, J Neurosci 26:1314"
    positive_parameters: ClassVar[tuple] = ("tau_S", "tau_AMPA", "gamma", "d")

    a: float = 270.0          # Hz/nA
    b: float = 108.0          # Hz
    d: float = 0.154          # s
    gamma: float = 0.641e-3   # per ms (0.641 with time in s)
    tau_S: float = 100.0      # ms
    tau_AMPA: float = 2.0     # ms
    J11: float = 0.2609       # nA
    J22: float = 0.2609
    J12: float = 0.0497
    J21: float = 0.0497
    I0: float = 0.3255        # nA
    I1: float = 0.0           # nA
    I2: float = 0.0
    J_ext: float = 0.2243e-3  # nA/Hz
    mu0: float = 30.0         # Hz

    def with_stimulus(self, coherence, mu0=None):
        """Copy with the motion stimulus ``I_{1,2} = J_ext mu0 (1 +- coherence)`` (coherence in [0, 1])."""
        mu0 = self.mu0 if mu0 is None else mu0
        return self.replace(I1=self.J_ext * mu0 * (1.0 + coherence), I2=self.J_ext * mu0 * (1.0 - coherence), mu0=mu0)

    def noise_sigma(self, sigma_noise=0.02):
        """Additive-noise amplitude on ``I_noise`` giving the paper's OU std ``sigma_noise`` (nA)."""
        return sigma_noise * np.sqrt(2.0 / np.asarray(self.tau_AMPA))

    def _inputs(self, state, coupling):
        S1, S2, n1, n2 = state[0], state[1], state[2], state[3]
        x1 = self.J11 * S1 - self.J12 * S2 + self.I0 + self.I1 + n1 + coupling[0]
        x2 = self.J22 * S2 - self.J21 * S1 + self.I0 + self.I2 + n2 + coupling[1]
        return x1, x2

    def dfun(self, state, coupling):
        S1, S2, n1, n2 = state[0], state[1], state[2], state[3]
        x1, x2 = self._inputs(state, coupling)
        H1 = _phi(x1, self.a, self.b, self.d)
        H2 = _phi(x2, self.a, self.b, self.d)
        return jnp.stack([-S1 / self.tau_S + (1.0 - S1) * self.gamma * H1,
                          -S2 / self.tau_S + (1.0 - S2) * self.gamma * H2,
                          -n1 / self.tau_AMPA,
                          -n2 / self.tau_AMPA])

    def derived(self, name, state):
        if name in ("r1", "r2"):
            x1, x2 = self._inputs(state, jnp.zeros((2,) + state.shape[1:], dtype=state.dtype))
            return _phi(x1 if name == "r1" else x2, self.a, self.b, self.d)
        return super().derived(name, state)

    def default_initial(self):
        return np.array([0.1, 0.1, 0.0, 0.0])

    def initial_spread(self):
        return np.array([0.01, 0.01, 0.0, 0.0])


@neural_mass
class ReducedWongWangExcInh(NeuralMass):
    r"""Dynamic mean field of Deco et al. (2014), TVB's ``ReducedWongWangExcInh``.

    One excitatory (NMDA gating ``S_e``) and one inhibitory (GABA gating ``S_i``)
    pool per region::

        x_e = w_p J_N S_e - J_i S_i + W_e I_o + G J_N c + I_ext        (nA)
        x_i = J_N S_e - S_i + W_i I_o + lamda G J_N c
        H_e = (a_e x_e - b_e) / (1 - exp(-d_e (a_e x_e - b_e)))        (Hz)
        H_i = (a_i x_i - b_i) / (1 - exp(-d_i (a_i x_i - b_i)))
        dS_e/dt = -S_e / tau_e + (1 - S_e) gamma_e H_e
        dS_i/dt = -S_i / tau_i + gamma_i H_i

    ``c`` is the network input (linear coupling of the other regions' ``S_e``).
    As in TVB the model carries its own global coupling ``G`` (default 2): with
    the network's ``global_coupling`` the effective long-range strength is their
    product, so set one of them to 1.

    Behaviour (Deco et al. 2014): an isolated region sits in a low-activity
    spontaneous state with ``H_e ~ 3 Hz``; network input raises the rates unless
    *feedback inhibition control* (FIC) adjusts the local inhibitory weight
    ``J_i`` of each region so that ``H_e`` stays at 3 Hz (:meth:`with_fic`, the
    closed-form steady-state version of the paper's iterative procedure). The
    BOLD signal is driven by ``S_e``. Firing rates ``r_e = H_e`` and ``r_i = H_i``
    (Hz) are derived variables.

    Time is in ms (``gamma_e = 0.641e-3``, ``gamma_i = 1e-3`` per ms: TVB's values).

    References
    ----------
    Deco G., Ponce-Alvarez A., Hagmann P., Romani G.L., Mantini D., Corbetta M. (2014) How local
    excitation-inhibition ratio impacts the whole brain dynamics. J Neurosci 34:7886-7898.
    Wong K.-F., Wang X.-J. (2006) J Neurosci 26:1314-1328.
    """

    name: ClassVar[str] = "reduced_wong_wang_exc_inh"
    state_variables: ClassVar[tuple] = ("S_e", "S_i")
    coupled_variables: ClassVar[tuple] = ("S_e",)
    derived_variables: ClassVar[dict] = {"r_e": "excitatory firing rate H_e (Hz), without network input",
                                         "r_i": "inhibitory firing rate H_i (Hz), without network input"}
    default_output: ClassVar[str] = "S_e"
    eeg_source: ClassVar[str] = None
    bold_drive: ClassVar[str] = "S_e"
    stimulus_variable: ClassVar[str] = "S_e"
    units: ClassVar[dict] = {"S_e": "1", "S_i": "1", "r_e": "Hz", "r_i": "Hz"}
    state_bounds: ClassVar[dict] = {"S_e": (0.0, 1.0), "S_i": (0.0, 1.0)}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "resting-state BOLD FC (dynamic mean field), E-I balance / FIC"
    reference: ClassVar[str] = "Deco et al. 2014, J Neurosci 34:7886"
    positive_parameters: ClassVar[tuple] = ("tau_e", "tau_i", "gamma_e", "gamma_i", "d_e", "d_i")

    a_e: float = 310.0
    b_e: float = 125.0
    d_e: float = 0.160
    gamma_e: float = 0.641e-3
    tau_e: float = 100.0
    w_p: float = 1.4
    J_N: float = 0.15
    W_e: float = 1.0
    a_i: float = 615.0
    b_i: float = 177.0
    d_i: float = 0.087
    gamma_i: float = 1.0e-3
    tau_i: float = 10.0
    J_i: float = 1.0
    W_i: float = 0.7
    I_o: float = 0.382
    I_ext: float = 0.0
    G: float = 2.0
    lamda: float = 0.0

    def _currents(self, state, coupling):
        S_e, S_i = state[0], state[1]
        cc = self.G * self.J_N * coupling[0]
        x_e = self.w_p * self.J_N * S_e - self.J_i * S_i + self.W_e * self.I_o + cc + self.I_ext
        x_i = self.J_N * S_e - S_i + self.W_i * self.I_o + self.lamda * cc
        return x_e, x_i

    def dfun(self, state, coupling):
        S_e, S_i = state[0], state[1]
        x_e, x_i = self._currents(state, coupling)
        H_e = _phi(x_e, self.a_e, self.b_e, self.d_e)
        H_i = _phi(x_i, self.a_i, self.b_i, self.d_i)
        return jnp.stack([-S_e / self.tau_e + (1.0 - S_e) * self.gamma_e * H_e,
                          -S_i / self.tau_i + self.gamma_i * H_i])

    def rates(self, state, coupling):
        """Firing rates ``(H_e, H_i)`` in Hz with the network input ``coupling`` (shape (1, n))."""
        x_e, x_i = self._currents(state, coupling)
        return _phi(x_e, self.a_e, self.b_e, self.d_e), _phi(x_i, self.a_i, self.b_i, self.d_i)

    def derived(self, name, state):
        if name in ("r_e", "r_i"):
            x_e, x_i = self._currents(state, jnp.zeros((1,) + state.shape[1:], dtype=state.dtype))
            return _phi(x_e, self.a_e, self.b_e, self.d_e) if name == "r_e" else _phi(x_i, self.a_i, self.b_i, self.d_i)
        return super().derived(name, state)

    def with_fic(self, weights=None, global_coupling=1.0, target_rate_hz=3.0, return_state=False):
        """Feedback inhibition control: copy with a per-region ``J_i`` that pins ``H_e`` at the target.

        Solves the steady state in closed form (Deco et al. 2014 tuned ``J_i`` iteratively
        in simulation to the same end): with every region at ``H_e = target``,
        ``S_e* = gamma_e tau_e H / (1 + gamma_e tau_e H)``, the network input is
        ``c_k = global_coupling * sum_j W_kj S_e*`` (linear coupling), ``S_i*`` solves
        ``S_i = gamma_i tau_i H_i(J_N S_e* - S_i + W_i I_o + lamda G J_N c_k)`` and ``J_i``
        follows from ``H_e(x_e) = target``.

        Parameters
        ----------
        weights : array (n_regions, n_regions) | None
            Structural weights (row = target). ``None``: an isolated region.
        global_coupling : float
            The network's global coupling (multiplies the weights).
        target_rate_hz : float
            Target excitatory rate (Hz), 3 in Deco et al. (2014).
        return_state : bool
            Also return the fixed point ``(S_e*, S_i*)`` per region, shape (2, n_regions): the
            state the network holds with the returned ``J_i`` (start a simulation there; from
            the default start it can settle elsewhere). Its stability is reported by
            :func:`mne_nmm.fitting.feedback_inhibition_control`.
        """
        from scipy.optimize import brentq

        p = {k: np.asarray(v, dtype=float) for k, v in self.parameters().items()}
        if any(v.ndim for v in p.values()):
            raise ValueError("with_fic needs scalar model parameters (it returns a per-region J_i).")
        p = {k: float(v) for k, v in p.items()}
        if weights is None:
            rowsum = np.zeros(1)
        else:
            w = np.asarray(weights, dtype=float)
            if w.ndim != 2 or w.shape[0] != w.shape[1]:
                raise ValueError(f"weights must be square (n_regions, n_regions), got shape {w.shape}.")
            rowsum = w.sum(axis=1)
        H = float(target_rate_hz)
        ge_te = p["gamma_e"] * p["tau_e"]
        S_e = ge_te * H / (1.0 + ge_te * H)
        c = global_coupling * rowsum * S_e
        cc = p["G"] * p["J_N"] * c

        def phi(x, a, b, d):
            u = a * x - b
            return u / (1.0 - np.exp(-d * u)) if abs(d * u) > 1e-9 else 1.0 / d + 0.5 * u

        # current that gives H_e = target (H is monotone increasing in x)
        x_target = brentq(lambda x: phi(x, p["a_e"], p["b_e"], p["d_e"]) - H, -10.0, 10.0, xtol=1e-14)
        J_i = np.empty_like(rowsum)
        S_i_all = np.empty_like(rowsum)
        for k, cck in enumerate(cc):
            g = lambda s: s - p["gamma_i"] * p["tau_i"] * phi(p["J_N"] * S_e - s + p["W_i"] * p["I_o"]
                                                             + p["lamda"] * cck, p["a_i"], p["b_i"], p["d_i"])
            S_i = brentq(g, 0.0, 1.0 + p["gamma_i"] * p["tau_i"] * 1e3, xtol=1e-14)
            J_i[k] = (p["w_p"] * p["J_N"] * S_e + p["W_e"] * p["I_o"] + cck + p["I_ext"] - x_target) / S_i
            S_i_all[k] = S_i
        out = self.replace(J_i=J_i if weights is not None else float(J_i[0]))
        if return_state:
            return out, np.stack([np.full_like(S_i_all, S_e), S_i_all])
        return out

    def default_initial(self):
        return np.array([0.1, 0.05])

    def initial_spread(self):
        return np.array([0.01, 0.01])
