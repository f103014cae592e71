"""Feedback inhibition control (FIC) for the reduced Wong-Wang model: J_i, fixed point, stability.

Deco et al. (2014) adjust each region's local inhibitory weight ``J_i`` so that its excitatory
rate stays at ~3 Hz whatever the network input; with FIC the model's FC fits improve markedly
(the E-I balance step). :meth:`ReducedWongWangExcInh.with_fic` solves for ``J_i`` in closed
form; this module adds what a simulation needs besides: the fixed point itself (the network
started anywhere else can settle on another branch: from the default start the 68/76-region
networks sit at ``S_e ~ 0.07`` for ``G >= 1``), and its linear stability (the delay-free
Jacobian of the whole network; above some coupling the balanced state is unstable and a run
started there leaves it).

References
----------
Deco G., Ponce-Alvarez A., Hagmann P., Romani G.L., Mantini D., Corbetta M. (2014) How local
excitation-inhibition ratio impacts the whole brain dynamics. J Neurosci 34:7886-7898.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

__all__ = ["FICResult", "feedback_inhibition_control"]


@dataclasses.dataclass(frozen=True, repr=False)
class FICResult:
    """Result of :func:`feedback_inhibition_control`.

    Attributes
    ----------
    model : ReducedWongWangExcInh
        With the per-region ``J_i``.
    initial_state : ndarray, shape (2, n_regions)
        The balanced fixed point ``(S_e*, S_i*)``; pass it as ``initial_state``.
    excitatory_rate_hz : ndarray, shape (n_regions,)
        ``H_e`` at the fixed point with the network input (the target, to rounding).
    eigenvalues : ndarray
        Of the network's delay-free Jacobian at the fixed point (1/ms), sorted by real part.
    stable : bool
        All real parts < 0 (delay-free linearisation; delays can only destabilise it further
        for oscillatory modes, see :func:`mne_nmm.dynamics.network_stability`).
    """

    model: object
    initial_state: np.ndarray
    excitatory_rate_hz: np.ndarray
    eigenvalues: np.ndarray
    stable: bool

    @property
    def max_real(self):
        return float(np.max(self.eigenvalues.real))

    def __repr__(self):
        return (f"<FICResult | {self.initial_state.shape[1]} regions, S_e* = {self.initial_state[0, 0]:.4f}, "
                f"J_i in [{np.min(self.model.J_i):.3f}, {np.max(self.model.J_i):.3f}], "
                f"{'stable' if self.stable else 'UNSTABLE'} (max Re = {self.max_real:.3g} /ms)>")


def feedback_inhibition_control(model, network, *, target_rate_hz=3.0, warn_unstable=True):
    """FIC ``J_i`` per region, the balanced fixed point and its stability.

    Parameters
    ----------
    model : ReducedWongWangExcInh
        Scalar parameters (``J_i`` is what FIC sets).
    network : Network
        With :class:`~mne_nmm.coupling.Linear` coupling (Deco et al. 2014 couple ``S_e``
        linearly); its ``global_coupling`` and weights enter the network input.
    target_rate_hz : float
        Target excitatory rate (3 Hz in the paper).
    warn_unstable : bool
        Warn when the fixed point is unstable.

    Returns
    -------
    FICResult
    """
    from ..core.coupling import Linear
    from ..core.models.wong_wang import ReducedWongWangExcInh
    from ..dynamics import network_stability

    if not isinstance(model, ReducedWongWangExcInh):
        raise TypeError(f"model must be ReducedWongWangExcInh (FIC is defined for it), got {type(model).__name__}.")
    if not isinstance(network.coupling, Linear):
        raise ValueError(f"FIC assumes linear coupling of S_e (Deco et al. 2014); the network has "
                         f"{type(network.coupling).__name__}. Build it with coupling=nmm.coupling.Linear().")
    if float(getattr(network.coupling, "b", 0.0)) != 0.0:
        raise ValueError("FIC's closed form assumes Linear coupling with b = 0.")
    w = np.asarray(network.weights, dtype=float)
    m, state = model.with_fic(weights=w, global_coupling=float(network.global_coupling),
                              target_rate_hz=target_rate_hz, return_state=True)
    stab = network_stability(m, network, state=state)
    x = np.asarray(stab.state).reshape(state.shape)
    # H_e at the fixed point with the network input
    import jax.numpy as jnp

    c = float(network.global_coupling) * (w @ x[0])
    rate = np.asarray(m.rates(jnp.asarray(x), jnp.asarray(c)[None])[0])
    res = FICResult(model=m, initial_state=x, excitatory_rate_hz=rate, eigenvalues=np.asarray(stab.eigenvalues),
                    stable=bool(stab.stable))
    if warn_unstable and not res.stable:
        warnings.warn(f"FIC fixed point is unstable at global_coupling={float(network.global_coupling):g} (max real "
                      f"eigenvalue {res.max_real:.3g} /ms): a run started there leaves the balanced state.",
                      RuntimeWarning, stacklevel=2)
    return res
