"""Larter-Breakspear conductance-based neural mass (TVB ``LarterBreakspear``)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from ..pytree import pytree_dataclass
from ..coupling import Coupling
from .base import NeuralMass, neural_mass


@neural_mass
class LarterBreakspear(NeuralMass):
    r"""Larter-Breakspear model (Larter et al. 1999; Breakspear et al. 2003), TVB's ``LarterBreakspear``.

    A cortical column of excitatory pyramidal cells (mean membrane potential
    ``V``, fraction of open potassium channels ``W``) and inhibitory interneurons
    (mean membrane potential ``Z``), with voltage-gated Na, K, Ca and leak
    conductances (dimensionless, normalised units)::

        m_ion = 0.5 (1 + tanh((V - T_ion) / d_ion))                 ion = Ca, Na, K
        Q_V   = 0.5 QV_max (1 + tanh((V - VT) / d_V))               (pyramidal firing rate)
        Q_Z   = 0.5 QZ_max (1 + tanh((Z - ZT) / d_Z))
        dV/dt = t_scale [ -(gCa + (1 - C) rNMDA aee Q_V + C rNMDA aee c) m_Ca (V - VCa)
                          - gK W (V - VK) - gL (V - VL)
                          - (gNa m_Na + (1 - C) aee Q_V + C aee c) (V - VNa)
                          - aie Z Q_Z + ane Iext ]
        dW/dt = t_scale phi (m_K - W) / tau_K
        dZ/dt = t_scale b (ani Iext + aei V Q_V)

    ``c`` is the network input: the (weighted) mean firing rate ``<Q_V>`` of the
    connected regions, which :class:`LarterBreakspearCoupling` computes from
    their ``V`` (TVB's ``HyperbolicTangent`` coupling with ``a = QV_max / 2``,
    ``midpoint = VT``, ``sigma = d_V``); ``C`` weighs it against the local input.

    Regimes of an isolated column (Breakspear et al. 2003): fixed point for
    ``d_V < 0.55``, limit cycle for ``0.55 < d_V < 0.59`` and chaotic
    oscillations above. Defaults and names are TVB's; note that TVB's default
    ``gCa = 1.1`` puts a column on a (nearly) periodic orbit, while the
    parameter set of Breakspear et al. (2003) / Alstott et al. (2009)
    (``gCa = 1``, ``aee = 0.36``, ``d_Z = d_V = 0.65``; :meth:`alstott2009`) is
    chaotic, with a largest Lyapunov exponent of ~0.01 per time unit.
    Time unit: ms in TVB (``t_scale`` rescales it).

    References
    ----------
    Larter R., Speelman B., Worth R.M. (1999) A coupled ordinary differential equation lattice
    model for the simulation of epileptic seizures. Chaos 9:795-804.
    Breakspear M., Terry J.R., Friston K.J. (2003) Modulation of excitatory synaptic coupling
    facilitates synchronization and complex dynamics in a biophysical model of neuronal
    dynamics. Network 14:703-732.
    Honey C.J., Kötter R., Breakspear M., Sporns O. (2007) Network structure of cerebral cortex
    shapes functional connectivity on multiple time scales. PNAS 104:10240-10245.
    Alstott J., Breakspear M., Hagmann P., Cammoun L., Sporns O. (2009) Modeling the impact of
    lesions in the human brain. PLoS Comput Biol 5:e1000408.
    """

    name: ClassVar[str] = "larter_breakspear"
    state_variables: ClassVar[tuple] = ("V", "W", "Z")
    coupled_variables: ClassVar[tuple] = ("V",)
    derived_variables: ClassVar[dict] = {"QV": "pyramidal firing rate Q_V"}
    default_output: ClassVar[str] = "V"
    eeg_source: ClassVar[str] = "V"
    bold_drive: ClassVar[str] = "V"
    stimulus_variable: ClassVar[str] = "V"
    units: ClassVar[dict] = {"V": "a.u.", "W": "1", "Z": "a.u.", "QV": "a.u."}
    category: ClassVar[str] = "physiological"
    typical_use: ClassVar[str] = "chaotic / metastable cortical dynamics, FC on multiple time scales"
    reference: ClassVar[str] = "Breakspear et al. 2003, Network 14:703"
    positive_parameters: ClassVar[tuple] = ("tau_K", "d_K", "d_Na", "d_Ca", "d_V", "d_Z", "t_scale")

    gCa: float = 1.1
    gK: float = 2.0
    gL: float = 0.5
    phi: float = 0.7
    gNa: float = 6.7
    TK: float = 0.0
    TCa: float = -0.01
    TNa: float = 0.3
    VCa: float = 1.0
    VK: float = -0.7
    VL: float = -0.5
    VNa: float = 0.53
    d_K: float = 0.3
    tau_K: float = 1.0
    d_Na: float = 0.15
    d_Ca: float = 0.15
    aei: float = 2.0
    aie: float = 2.0
    b: float = 0.1
    C: float = 0.1
    ane: float = 1.0
    ani: float = 0.4
    aee: float = 0.4
    Iext: float = 0.3
    rNMDA: float = 0.25
    VT: float = 0.0
    d_V: float = 0.65
    ZT: float = 0.0
    d_Z: float = 0.7
    QV_max: float = 1.0
    QZ_max: float = 1.0
    t_scale: float = 1.0

    @classmethod
    def alstott2009(cls, **changes):
        """The chaotic parameter set of Alstott et al. (2009, Table; Breakspear et al. 2003)."""
        params = dict(gCa=1.0, aee=0.36, d_V=0.65, d_Z=0.65)
        params.update(changes)
        return cls(**params)

    def dfun(self, state, coupling):
        V, W, Z = state[0], state[1], state[2]
        c = coupling[0]
        m_Ca = 0.5 * (1.0 + jnp.tanh((V - self.TCa) / self.d_Ca))
        m_Na = 0.5 * (1.0 + jnp.tanh((V - self.TNa) / self.d_Na))
        m_K = 0.5 * (1.0 + jnp.tanh((V - self.TK) / self.d_K))
        QV = 0.5 * self.QV_max * (1.0 + jnp.tanh((V - self.VT) / self.d_V))
        QZ = 0.5 * self.QZ_max * (1.0 + jnp.tanh((Z - self.ZT) / self.d_Z))
        dV = (-(self.gCa + (1.0 - self.C) * self.rNMDA * self.aee * QV + self.C * self.rNMDA * self.aee * c)
              * m_Ca * (V - self.VCa)
              - self.gK * W * (V - self.VK)
              - self.gL * (V - self.VL)
              - (self.gNa * m_Na + (1.0 - self.C) * self.aee * QV + self.C * self.aee * c) * (V - self.VNa)
              - self.aie * Z * QZ
              + self.ane * self.Iext)
        dW = self.phi * (m_K - W) / self.tau_K
        dZ = self.b * (self.ani * self.Iext + self.aei * V * QV)
        return self.t_scale * jnp.stack([dV, dW, dZ])

    def derived(self, name, state):
        if name == "QV":
            return 0.5 * self.QV_max * (1.0 + jnp.tanh((state[0] - self.VT) / self.d_V))
        return super().derived(name, state)

    def default_initial(self):
        return np.array([-0.2, 0.1, 0.05])

    def initial_spread(self):
        return np.array([0.05, 0.02, 0.02])


@pytree_dataclass
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class LarterBreakspearCoupling(Coupling):
    """Firing-rate coupling of the Larter-Breakspear model (TVB ``HyperbolicTangent``)::

        pre_j = a (1 + tanh((V_j - midpoint) / sigma))        (source firing rate Q_V)
        c_i   = sum_j G W_ij pre_j(t - tau_ij)                  (divided by G rowsum_i if ``normalize``)

    Defaults match the model's defaults (``a = QV_max / 2``, ``midpoint = VT``,
    ``sigma = d_V``). With ``normalize=True`` the input is the weighted *mean*
    ``<Q_V>`` of the afferent regions, as in Breakspear et al. (2003); then ``C``
    alone sets the coupling strength.
    """

    a: float = 0.5
    midpoint: float = 0.0
    sigma: float = 0.65
    normalize: bool = dataclasses.field(default=False, metadata={"static": True})

    def n_features(self, n_cvar):
        if n_cvar != 1:
            raise ValueError(f"LarterBreakspearCoupling needs exactly 1 coupled variable (V), the model has {n_cvar}.")
        return 1

    def pre(self, x):
        return self.a * (1.0 + jnp.tanh((x - self.midpoint) / self.sigma))

    def post(self, s, x_local, rowsum):
        if self.normalize:
            return s / jnp.where(rowsum > 0, rowsum, 1.0)
        return s
