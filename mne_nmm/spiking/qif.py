r"""Quadratic integrate-and-fire (QIF) network and its exact mean field (Montbrio, Pazo & Roxin 2015).

Neuron ``j`` (time in ms, ``tau`` the membrane time constant):

.. math::

    \tau \dot V_j = V_j^2 + \eta_j + J \tau r(t) + I(t)

with excitabilities ``eta_j`` Lorentzian-distributed around ``eta_mean`` with
half-width ``delta``, drawn as the deterministic quantiles
``eta_j = eta_mean + delta tan(pi/2 (2j - N - 1) / (N + 1))``, ``j = 1..N``
(MPR 2015). A neuron that reaches ``V_peak`` is refractory for
``2 tau / V_peak`` (the time the exact QIF spends between ``V_peak`` and
``+inf`` and between ``-inf`` and ``-V_peak``), emits its spike half-way, and
restarts at ``-V_peak``; while refractory its potential counts as ``+V_peak``
(first half) then ``-V_peak`` (second half) in the mean. Between spikes each
neuron follows the exact QIF solution for its input held over the step, and
the peak-crossing time inside a step is solved exactly, so the refractory
bookkeeping is in continuous time.

Coupling: ``r(t)`` is the network rate seen by a neuron. With ``p = 1``
(all-to-all, MPR's setting) it is the population spike count of the previous
step divided by ``N dt``; with ``p < 1`` the spikes travel through a directed
Erdos-Renyi graph (the same sparse, event-driven machinery as the LIF network,
:func:`~mne_nmm.spiking.connectivity.propagate_spikes`) and neuron ``i`` sees its
own arrivals divided by ``p N dt``. For ``N -> infinity`` (``p = 1``) the
population rate ``r`` and mean potential ``v`` obey exactly the firing-rate
equations of :class:`~mne_nmm.core.models.montbrio.MontbrioPazoRoxin`
(:meth:`QIFNetwork.to_mpr`).

References
----------
Montbrió E., Pazó D., Roxin A. (2015) Macroscopic description for networks of spiking neurons.
Phys Rev X 5:021028.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._base import check_leaves, pytree_dataclass, static_field
from .connectivity import default_k_max

__all__ = ["QIFNetwork", "QIFResult", "MPRTrace", "simulate_qif", "simulate_mpr", "lorentzian_quantiles"]


def lorentzian_quantiles(n, *, center=0.0, half_width=1.0):
    """Deterministic Lorentzian sample ``center + half_width * tan(pi/2 (2j - n - 1) / (n + 1))``, ``j = 1..n``."""
    j = np.arange(1, int(n) + 1)
    return float(center) + float(half_width) * np.tan(0.5 * np.pi * (2 * j - n - 1) / (n + 1))


@pytree_dataclass
class QIFNetwork:
    """Parameters of a QIF network (frozen pytree).

    Attributes
    ----------
    n_neurons : int
        Number of neurons (static).
    tau_ms : float
        Membrane time constant (ms); rates are in 1/ms.
    eta_mean, delta : float
        Centre and half-width of the Lorentzian excitability distribution.
    J : float
        Synaptic weight (mean-field coupling ``J tau r``).
    v_peak : float
        Peak / reset magnitude (``V_reset = -v_peak``).
    p : float
        Connection probability (1: all-to-all).
    """

    n_neurons: int = static_field(10_000)
    tau_ms: float = 10.0
    eta_mean: float = -5.0
    delta: float = 1.0
    J: float = 15.0
    v_peak: float = 100.0
    p: float = 1.0

    def __post_init__(self):
        from .._validate import check_int

        check_int(self.n_neurons, "QIFNetwork.n_neurons", minimum=2)
        check_leaves(self, positive=("tau_ms", "v_peak", "delta"), fraction=("p",))

    def to_mpr(self):
        """The catalogue :class:`~mne_nmm.core.models.montbrio.MontbrioPazoRoxin` mean field of this network."""
        from ..core.models.montbrio import MontbrioPazoRoxin

        return MontbrioPazoRoxin(tau=float(self.tau_ms), Delta=float(self.delta), J=float(self.J),
                                 eta=float(self.eta_mean), I=0.0)


@dataclass(frozen=True, eq=False)
class QIFResult:
    """Recording of a QIF network run (sample ``k`` at the end of step ``k``, ``times_ms[k] = (k + 1) dt``).

    Attributes
    ----------
    times_ms : ndarray, shape (n_times,)
    dt_ms : float
    rate_per_ms : ndarray, shape (n_times,)
        Spikes per neuron per ms in each step (population rate, 1/ms).
    v_mean : ndarray, shape (n_times,)
        Population-mean membrane potential.
    current : ndarray, shape (n_times,)
        External input ``I(t)``.
    spike_counts : ndarray of int, shape (n_neurons,)
    network : QIFNetwork
    """

    times_ms: np.ndarray
    dt_ms: float
    rate_per_ms: np.ndarray
    v_mean: np.ndarray
    current: np.ndarray
    spike_counts: np.ndarray
    network: QIFNetwork

    def smoothed_rate(self, window_ms=1.0):
        """Population rate (1/ms) averaged in a sliding boxcar of ``window_ms`` (same length as ``times_ms``)."""
        k = max(1, int(round(window_ms / self.dt_ms)))
        return np.convolve(self.rate_per_ms, np.ones(k) / k, mode="same")

    def __repr__(self):
        return (f"<QIFResult | n={self.network.n_neurons}, {self.times_ms.size * self.dt_ms:g} ms at "
                f"dt={self.dt_ms:g} ms, mean rate {self.rate_per_ms.mean() * 1e3:.3g} Hz>")


@dataclass(frozen=True, eq=False)
class MPRTrace:
    """Montbrio-Pazo-Roxin firing-rate equations integrated with the network's input (same time stamps)."""

    times_ms: np.ndarray
    rate_per_ms: np.ndarray
    v_mean: np.ndarray
    current: np.ndarray


def _qif_flow(v, c, h):
    """Exact solution of ``dV/ds = V^2 + c`` over ``s in [0, h]`` for constant ``c`` (a Moebius map of ``V``).

    ``V(h) = (f1 V + c f2) / (f1 - f2 V)`` with ``f1 = cos(sqrt(c) h)``,
    ``f2 = sin(sqrt(c) h) / sqrt(c)`` (``cosh``/``sinh`` for ``c < 0``; ``1``, ``h``
    at ``c = 0``). Returns ``(V(h), blew_up)``: ``blew_up`` when ``V`` passed through
    ``+inf`` within the step (the denominator changed sign).
    """
    import jax.numpy as jnp

    s = jnp.sqrt(jnp.abs(c))
    x = s * h
    small = x < 1e-3
    xs = jnp.where(small, 1.0, x)
    ss = jnp.where(small, 1.0, s)
    f1 = jnp.where(small, 1.0 - c * h * h / 2, jnp.where(c > 0, jnp.cos(xs), jnp.cosh(xs)))
    f2 = jnp.where(small, h * (1.0 - c * h * h / 6), jnp.where(c > 0, jnp.sin(xs), jnp.sinh(xs)) / ss)
    den = f1 - f2 * v
    return (f1 * v + c * f2) / jnp.where(den == 0, 1e-30, den), den <= 0


def _time_to_peak(v, c, vp):
    """Time (units of tau) for ``dV/ds = V^2 + c`` to go from ``v`` up to ``vp`` (for neurons that do)."""
    import jax.numpy as jnp

    s = jnp.sqrt(jnp.abs(c))
    ss = jnp.where(s > 1e-6, s, 1.0)
    t_pos = (jnp.arctan(vp / ss) - jnp.arctan(v / ss)) / ss
    ratio = jnp.abs((vp - ss) * (v + ss) / jnp.where((vp + ss) * (v - ss) == 0, 1e-30, (vp + ss) * (v - ss)))
    t_neg = jnp.log(jnp.maximum(ratio, 1e-30)) / (2 * ss)
    vv = jnp.where(v == 0, 1e-30, v)
    t_zero = 1.0 / vv - 1.0 / vp
    return jnp.where(s <= 1e-6, t_zero, jnp.where(c > 0, t_pos, t_neg))


def _run_qif(net, key, eta, current, *, n_steps, dt, k_max, sparse, chunk):
    import jax
    import jax.numpy as jnp
    from jax import lax

    from .connectivity import _er_targets, propagate_spikes

    f32 = jnp.float32
    n = net.n_neurons
    p = jax.tree_util.tree_map(lambda x: jnp.asarray(x, f32), net)
    k_conn, k_init = jax.random.split(key)
    vp = p.v_peak
    t_ref = 2.0 * p.tau_ms / vp  # ms spent beyond +-V_peak; the spike is emitted half-way
    t_half = 0.5 * t_ref
    mpr_r0, mpr_v0 = current[1], current[2]
    u = (jnp.arange(n, dtype=f32) + 0.5) / n
    u = jax.random.permutation(k_init, u)
    v0 = jnp.clip(mpr_v0 + jnp.pi * p.tau_ms * mpr_r0 * jnp.tan(jnp.pi * (u - 0.5)), -vp, vp * 0.999)
    drive = current[0]
    if sparse:
        targets, truncated = _er_targets(k_conn, n, p.p, k_max)
        zeros_type = jnp.zeros((n,), jnp.int32)
    else:
        truncated = jnp.asarray(False)
    scale = p.J * p.tau_ms
    h = dt / p.tau_ms

    def step(carry, i_ext):
        v, rem, rin, cnt = carry  # rem: refractory time left (ms), 0 when active
        c_in = eta + scale * rin + i_ext
        active = rem <= 0
        v1, blew_up = _qif_flow(v, c_in, h)
        crossed = active & ((v1 >= vp) | blew_up)
        t_star = jnp.clip(_time_to_peak(v, c_in, vp) * p.tau_ms, 0.0, dt)
        rem_before = jnp.where(crossed, t_ref, rem)  # refractory time left at the start of its part of the step
        rem_new = jnp.where(crossed, t_ref - (dt - t_star), jnp.where(active, 0.0, rem - dt))
        refr = crossed | ~active
        spike = refr & (rem_before > t_half) & (rem_new <= t_half)
        restart = refr & (rem_new <= 0)
        v_restart = _qif_flow(jnp.full_like(v, -vp), c_in, jnp.maximum(-rem_new, 0.0) / p.tau_ms)[0]
        v_new = jnp.where(refr, jnp.where(rem_new > t_half, vp, -vp), v1)
        v_new = jnp.where(restart, v_restart, v_new)
        rem_new = jnp.where(restart, 0.0, rem_new)
        s_f = spike.astype(f32)
        if sparse:
            arr = propagate_spikes(spike, targets, zeros_type, n_types=1, chunk=chunk)[0]
            rin = arr / (p.p * n * dt)
        else:
            rin = jnp.full((n,), jnp.sum(s_f) / (n * dt))
        return (v_new, rem_new, rin, cnt + spike.astype(jnp.int32)), (jnp.sum(s_f) / (n * dt), jnp.mean(v_new))

    carry0 = (v0, jnp.zeros((n,), f32), jnp.full((n,), mpr_r0, f32), jnp.zeros((n,), jnp.int32))
    (_, _, _, counts), (rate, vm) = lax.scan(step, carry0, drive)
    return rate, vm, counts, truncated


_QIF_JIT = {}


def _as_current(current, n_steps, name="current"):
    if current is None:
        return np.zeros(n_steps)
    c = np.asarray(current, dtype=float)
    if c.ndim == 0:
        return np.full(n_steps, float(c))
    if c.shape != (n_steps,):
        raise ValueError(f"{name} must be a scalar or an array of shape (n_steps,) = ({n_steps},), got shape {c.shape}.")
    if not np.all(np.isfinite(c)):
        raise ValueError(f"{name} must be finite.")
    return c


def simulate_qif(network, key, *, duration_ms=200.0, dt_ms=0.05, current=None, k_max=None, chunk=32):
    """Simulate a QIF network (exact QIF flow per step, deterministic heterogeneity).

    Parameters
    ----------
    network : QIFNetwork
    key : jax.Array
        PRNG key (initial-state permutation and, for ``p < 1``, the connectivity).
    duration_ms : float
        Simulated time (ms).
    dt_ms : float
        Time step (ms). Within a step each neuron follows the exact QIF solution
        for its input held constant (:func:`_qif_flow`), so ``dt`` only limits
        the resolution of the coupling and of spike times; the refractory time
        ``2 tau / v_peak`` is tracked in continuous time (exact peak-crossing
        time within the step), so it may be shorter than a step.
    current : float | array-like, shape (n_steps,) | None
        External input ``I(t)`` (units of ``eta``) in each step.
    k_max : int | None
        Padded out-degree for ``p < 1``.
    chunk : int
        Spikes per scatter for ``p < 1``.

    Returns
    -------
    result : QIFResult
        The initial state is a Lorentzian spread around the MPR fixed point
        (the largest-rate one) at the initial input.
    """
    import jax
    import jax.numpy as jnp

    from .._validate import check_int, check_positive, validate_type

    validate_type(network, QIFNetwork, "network")
    dt = check_positive(dt_ms, "dt_ms")
    n_steps = int(round(check_positive(duration_ms, "duration_ms") / dt))
    if n_steps < 1:
        raise ValueError(f"duration_ms={duration_ms!r} is shorter than one step dt_ms={dt_ms!r}.")
    cur = _as_current(current, n_steps)
    n = network.n_neurons
    p = float(network.p)
    sparse = p < 1.0
    k = (default_k_max(n, p) if k_max is None else check_int(k_max, "k_max", minimum=1)) if sparse else 1
    fps = network.to_mpr().fixed_points(input_current=float(cur[0]))
    r0, v0 = fps[-1]
    eta = jnp.asarray(lorentzian_quantiles(n, center=float(network.eta_mean), half_width=float(network.delta)),
                      jnp.float32)
    static = dict(n_steps=n_steps, dt=dt, k_max=k, sparse=sparse, chunk=check_int(chunk, "chunk", minimum=1))
    if "fn" not in _QIF_JIT:
        _QIF_JIT["fn"] = jax.jit(_run_qif, static_argnames=tuple(static))
    # current[0] is the drive; [1], [2] carry the initial (r0, v0) as traced scalars
    packed = (jnp.asarray(cur, jnp.float32), jnp.float32(r0), jnp.float32(v0))
    rate, vm, counts, truncated = _QIF_JIT["fn"](network, key, eta, packed, **static)
    if bool(truncated):
        raise ValueError(f"k_max={k} is too small for p={p:g} at n_neurons={n}; pass a larger k_max.")
    times = (np.arange(n_steps) + 1) * dt
    return QIFResult(times_ms=times, dt_ms=dt, rate_per_ms=np.asarray(rate, float), v_mean=np.asarray(vm, float),
                     current=cur, spike_counts=np.asarray(counts), network=network)


def simulate_mpr(model, *, duration_ms=200.0, dt_ms=0.05, current=None, initial=None):
    """Integrate the catalogue Montbrio-Pazo-Roxin equations (RK4) under an input ``I(t)``.

    Parameters
    ----------
    model : MontbrioPazoRoxin
        Catalogue model (e.g. :meth:`QIFNetwork.to_mpr`); ``I(t)`` enters through
        its ``V`` coupling input (``cv = 1``, ``cr = 0``).
    duration_ms, dt_ms : float
        As for :func:`simulate_qif` (the same stamps).
    current : float | array-like, shape (n_steps,) | None
        Input held constant over each step.
    initial : tuple (r0, v0) | None
        Initial state (default: the largest-rate fixed point at the initial input).

    Returns
    -------
    trace : MPRTrace
    """
    import dataclasses

    import jax.numpy as jnp

    from .._validate import check_positive
    from .mass import _rk4_scan

    dt = check_positive(dt_ms, "dt_ms")
    n_steps = int(round(check_positive(duration_ms, "duration_ms") / dt))
    cur = _as_current(current, n_steps)
    if initial is None:
        initial = model.fixed_points(input_current=float(cur[0]))[-1]
    m = dataclasses.replace(model, cr=0.0, cv=1.0)

    def dfun(y, i_ext):
        c = jnp.stack([jnp.zeros(1), i_ext[None]])
        return m.dfun(y, c)

    y0 = jnp.asarray(np.array(initial, float).reshape(2, 1), jnp.float32)
    ys = np.asarray(_rk4_scan(dfun, y0, jnp.asarray(cur, jnp.float32), dt), dtype=float)
    return MPRTrace(times_ms=(np.arange(n_steps) + 1) * dt, rate_per_ms=ys[:, 0, 0], v_mean=ys[:, 1, 0], current=cur)
