r"""Conductance-based leaky integrate-and-fire (LIF) network with sparse event-driven synapses.

Neuron ``i`` (``tau_m`` in ms, potentials in mV, conductances in units of the
leak conductance):

.. math::

    \tau_m \dot V_i = -(V_i - V_L) - \sum_{s \in \{E, I, X\}} g_{s,i} (V_i - E_s)
                      + \sigma \sqrt{2 \tau_m}\, \xi_i(t), \qquad
    \tau_s \dot g_{s,i} = -g_{s,i} + \tau_s w_s \sum_k \delta(t - t^s_{i,k})

When ``V_i`` reaches ``V_th`` it emits a spike, is reset to ``V_reset`` and held
there for ``t_ref``. Without input the membrane is an Ornstein-Uhlenbeck process
of standard deviation ``sigma`` around ``V_L`` (white noise, variance independent
of ``dt``). Synapse types: excitatory (``E``, from the excitatory neurons),
inhibitory (``I``) and external (``X``, Poisson trains onto the excitatory neurons
only, see :mod:`mne_nmm.spiking.poisson`). Each spike of type ``s`` increments
the conductance by ``w_s``; conductances decay exponentially.

Connectivity: directed Erdos-Renyi with probability ``p`` irrespective of type
(:mod:`mne_nmm.spiking.connectivity`); the first ``round(frac_exc * n)`` neurons
are excitatory (fraction ``lambda``).

Time stepping (``dt = 0.1`` ms by default), in the order of one step ``k``:
conductances decay exactly (``exp(-dt / tau_s)``) and take the spikes arriving
in the step; the membrane takes one Euler-Maruyama step; neurons that cross
threshold spike and reset; their spikes are scattered to their targets and
arrive in step ``k + 1`` (a synaptic delay of one step).

References
----------
Brunel N. (2000) Dynamics of sparsely connected networks of excitatory and inhibitory spiking neurons.
J Comput Neurosci 8:183-208.
Gerstner W., Kistler W.M., Naud R., Paninski L. (2014) Neuronal Dynamics, ch. 1 and 13. Cambridge UP.
Deschle N., Gossn J.I., Tewarie P., Schelter B., Daffertshofer A. (2021) On the validity of neural mass
models. Front Comput Neurosci 14:581040. doi:10.3389/fncom.2020.581040
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from ._base import check_leaves, pytree_dataclass, static_field
from .connectivity import default_k_max

__all__ = ["LIFNetwork", "LIFResult", "simulate_lif", "lif_rate_constant_conductance"]

SYNAPSE_TYPES = ("exc", "inh", "ext")


@pytree_dataclass
class LIFNetwork:
    """Parameters of a conductance-based LIF network (frozen pytree; numeric fields are leaves).

    Attributes
    ----------
    n_neurons : int
        Number of neurons (static).
    p : float
        Connection probability of each ordered pair (directed Erdos-Renyi, no autapses).
    frac_exc : float
        Fraction ``lambda`` of excitatory neurons (the first ``round(lambda n)``).
    tau_m_ms, v_leak_mv, v_th_mv, v_reset_mv, t_ref_ms : float
        Membrane time constant, leak reversal, threshold, reset, refractory period.
    e_exc_mv, e_inh_mv, e_ext_mv : float
        Reversal potentials of the E, I and external synapses.
    tau_exc_ms, tau_inh_ms, tau_ext_ms : float
        Synaptic decay time constants.
    w_exc, w_inh, w_ext : float
        Conductance increment per spike, in units of the leak conductance.
    n_ext_trains, rate_ext_hz : float
        ``K`` external Poisson trains of rate ``r`` onto each excitatory neuron
        (drawn as one Poisson process of rate ``K r``).
    g_ext_tonic : float
        Constant external conductance onto the excitatory neurons (leak units), 0 by default.
    sigma_mv : float
        Standard deviation of the free membrane's white-noise fluctuations (mV).
    """

    n_neurons: int = static_field(10_000)
    p: float = 0.1
    frac_exc: float = 0.8
    tau_m_ms: float = 20.0
    v_leak_mv: float = -70.0
    v_th_mv: float = -50.0
    v_reset_mv: float = -60.0
    t_ref_ms: float = 2.0
    e_exc_mv: float = 0.0
    e_inh_mv: float = -80.0
    e_ext_mv: float = 0.0
    tau_exc_ms: float = 5.0
    tau_inh_ms: float = 10.0
    tau_ext_ms: float = 5.0
    w_exc: float = 0.004
    w_inh: float = 0.06
    w_ext: float = 0.0014
    n_ext_trains: float = 10_000.0
    rate_ext_hz: float = 5.0
    g_ext_tonic: float = 0.0
    sigma_mv: float = 1.0

    def __post_init__(self):
        from .._validate import check_int

        check_int(self.n_neurons, "LIFNetwork.n_neurons", minimum=1)
        check_leaves(self, positive=("tau_m_ms", "tau_exc_ms", "tau_inh_ms", "tau_ext_ms"),
                     fraction=("p", "frac_exc"),
                     nonnegative=("t_ref_ms", "w_exc", "w_inh", "w_ext", "n_ext_trains", "rate_ext_hz",
                                  "g_ext_tonic", "sigma_mv"))
        try:
            vth, vr = np.asarray(self.v_th_mv, float), np.asarray(self.v_reset_mv, float)
        except TypeError:  # traced leaves
            return
        if not np.all(vr < vth):
            raise ValueError(f"LIFNetwork.v_reset_mv must be below v_th_mv, got v_reset_mv={self.v_reset_mv!r}, "
                             f"v_th_mv={self.v_th_mv!r}.")

    def replace(self, **changes):
        """A copy with some parameters changed (validated)."""
        import dataclasses

        return dataclasses.replace(self, **changes)

    @property
    def n_exc(self):
        """Number of excitatory neurons ``round(frac_exc * n_neurons)`` (concrete parameters)."""
        return int(np.round(float(self.frac_exc) * self.n_neurons))

    @property
    def ext_rate_per_ms(self):
        """Total external spike rate per excitatory neuron ``K r`` in 1/ms."""
        return float(self.n_ext_trains) * float(self.rate_ext_hz) * 1e-3


def lif_rate_constant_conductance(net, *, g_exc=0.0, g_inh=0.0, g_ext=0.0):
    """Analytic firing rate (Hz) of one noiseless LIF neuron of ``net`` under constant conductances.

    With constant conductances the membrane relaxes with ``tau_eff = tau_m / g_tot``,
    ``g_tot = 1 + g_E + g_I + g_X``, to ``V_inf = (V_L + sum_s g_s E_s) / g_tot``;
    if ``V_inf > V_th`` it fires periodically at
    ``1 / (t_ref + tau_eff ln((V_inf - V_reset) / (V_inf - V_th)))``, else not at all.
    """
    g = np.array([g_exc, g_inh, g_ext], dtype=float)
    e = np.array([net.e_exc_mv, net.e_inh_mv, net.e_ext_mv], dtype=float)
    g_tot = 1.0 + g.sum()
    v_inf = (float(net.v_leak_mv) + float(g @ e)) / g_tot
    tau_eff = float(net.tau_m_ms) / g_tot
    if v_inf <= float(net.v_th_mv):
        return 0.0
    t_int = tau_eff * np.log((v_inf - float(net.v_reset_mv)) / (v_inf - float(net.v_th_mv)))
    return 1e3 / (float(net.t_ref_ms) + t_int)


@dataclass(frozen=True, eq=False)
class LIFResult:
    """Recording of one LIF network run (numpy arrays, time-major).

    Sample ``k`` is the state at the **end** of step ``k``: ``times_ms[k] = (k + 1) dt``.

    Attributes
    ----------
    times_ms : ndarray, shape (n_times,)
    dt_ms : float
    v_mean_mv, v_mean_exc_mv, v_mean_inh_mv : ndarray, shape (n_times,)
        Population-mean membrane potential of all, excitatory and inhibitory neurons (mV).
    rate_exc_hz, rate_inh_hz : ndarray, shape (n_times,)
        Population firing rate (spikes per neuron per second) in each step.
    spike_input_per_ms : ndarray, shape (n_times, 3)
        Spikes of each synapse type (``synapse_types``: exc, inh, ext) arriving per
        neuron per ms in each step, averaged over **all** neurons.
    conductance : ndarray, shape (n_times, 3)
        Population-mean conductance of each synapse type (leak units), after the step's arrivals.
    raster : ndarray of bool, shape (n_times, n_recorded)
        Spikes of the recorded neurons ``raster_neurons`` in each step.
    raster_neurons : ndarray of int, shape (n_recorded,)
    spike_counts : ndarray of int, shape (n_neurons,)
        Spikes of every neuron over the run.
    is_exc : ndarray of bool, shape (n_neurons,)
    network : LIFNetwork
        The (scalar) parameters of this network.
    """

    times_ms: np.ndarray
    dt_ms: float
    v_mean_mv: np.ndarray
    v_mean_exc_mv: np.ndarray
    v_mean_inh_mv: np.ndarray
    rate_exc_hz: np.ndarray
    rate_inh_hz: np.ndarray
    spike_input_per_ms: np.ndarray
    conductance: np.ndarray
    raster: np.ndarray
    raster_neurons: np.ndarray
    spike_counts: np.ndarray
    is_exc: np.ndarray
    network: LIFNetwork
    synapse_types: tuple = SYNAPSE_TYPES

    @property
    def sfreq_hz(self):
        """Sampling frequency of the traces (``1000 / dt_ms``)."""
        return 1e3 / self.dt_ms

    @property
    def duration_ms(self):
        return self.times_ms.size * self.dt_ms

    @property
    def firing_rates_hz(self):
        """Mean firing rate of every neuron over the run, shape (n_neurons,)."""
        return self.spike_counts / (self.duration_ms * 1e-3)

    @property
    def mean_rate_exc_hz(self):
        return float(self.firing_rates_hz[self.is_exc].mean()) if self.is_exc.any() else float("nan")

    @property
    def mean_rate_inh_hz(self):
        return float(self.firing_rates_hz[~self.is_exc].mean()) if (~self.is_exc).any() else float("nan")

    def spike_times_ms(self):
        """Spike times of the recorded neurons: a list of ``n_recorded`` arrays (end of the spiking step, ms)."""
        return [self.times_ms[np.flatnonzero(self.raster[:, j])] for j in range(self.raster.shape[1])]

    def __repr__(self):
        net = self.network
        return (f"<LIFResult | n={net.n_neurons}, p={float(net.p):g}, lambda={float(net.frac_exc):g}, "
                f"{self.duration_ms:g} ms at dt={self.dt_ms:g} ms, rates E {self.mean_rate_exc_hz:.3g} Hz / "
                f"I {self.mean_rate_inh_hz:.3g} Hz>")


def _run_lif(net, key, record_idx, *, n_steps, dt, k_max, k_table, chunk):
    """Pure run of one network: returns (recordings dict, spike counts, truncated flag)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    from .connectivity import _er_targets, propagate_spikes
    from .poisson import poisson_counts

    f32 = jnp.float32
    n = net.n_neurons
    k_conn, k_init, k_run = jax.random.split(key, 3)
    targets, truncated = _er_targets(k_conn, n, net.p, k_max)
    n_exc = jnp.round(jnp.asarray(net.frac_exc, f32) * n).astype(jnp.int32)
    is_exc = jnp.arange(n) < n_exc
    exc_f = is_exc.astype(f32)
    presyn_type = jnp.where(is_exc, 0, 1).astype(jnp.int32)
    p = jax.tree_util.tree_map(lambda x: jnp.asarray(x, f32), net)
    v0 = jax.random.uniform(k_init, (n,), f32, p.v_reset_mv, p.v_th_mv)
    tau_s = jnp.stack([p.tau_exc_ms, p.tau_inh_ms, p.tau_ext_ms])
    decay = jnp.exp(-dt / tau_s)[:, None]
    w = jnp.stack([p.w_exc, p.w_inh, p.w_ext])[:, None]
    e_rev = jnp.stack([p.e_exc_mv, p.e_inh_mv, p.e_ext_mv])[:, None]
    ext_mean = p.n_ext_trains * p.rate_ext_hz * 1e-3 * dt
    ref_steps = jnp.round(p.t_ref_ms / dt).astype(jnp.int32)
    noise_amp = p.sigma_mv * jnp.sqrt(2.0 * dt / p.tau_m_ms)
    n_e = jnp.maximum(n_exc, 1).astype(f32)
    n_i = jnp.maximum(n - n_exc, 1).astype(f32)
    g_tonic = p.g_ext_tonic * exc_f

    def step(carry, k):
        v, g, ref, arr, cnt = carry
        k1, k2 = jax.random.split(k)
        ext = poisson_counts(k1, ext_mean, (n,), k_table=k_table).astype(f32) * exc_f
        inputs = jnp.stack([arr[0], arr[1], ext])
        g = g * decay + w * inputs
        g_x = g.at[2].add(g_tonic)
        drive = -(v - p.v_leak_mv) - jnp.sum(g_x * (v[None] - e_rev), axis=0)
        xi = jax.random.normal(k2, (n,), f32)
        v_new = v + (dt / p.tau_m_ms) * drive + noise_amp * xi
        refractory = ref > 0
        v_new = jnp.where(refractory, p.v_reset_mv, v_new)
        spiked = (v_new >= p.v_th_mv) & ~refractory
        v_new = jnp.where(spiked, p.v_reset_mv, v_new)
        ref = jnp.where(spiked, ref_steps, jnp.maximum(ref - 1, 0))
        arr = propagate_spikes(spiked, targets, presyn_type, n_types=2, chunk=chunk)
        s_f = spiked.astype(f32)
        rec = dict(
            v_mean=jnp.mean(v_new), v_exc=jnp.sum(v_new * exc_f) / n_e, v_inh=jnp.sum(v_new * (1 - exc_f)) / n_i,
            rate_exc=jnp.sum(s_f * exc_f) / n_e / dt * 1e3, rate_inh=jnp.sum(s_f * (1 - exc_f)) / n_i / dt * 1e3,
            spike_input=jnp.mean(inputs, axis=1) / dt, conductance=jnp.mean(g_x, axis=1),
            raster=spiked[record_idx])
        return (v_new, g, ref, arr, cnt + spiked.astype(jnp.int32)), rec

    carry0 = (v0, jnp.zeros((3, n), f32), jnp.zeros((n,), jnp.int32), jnp.zeros((2, n), f32),
              jnp.zeros((n,), jnp.int32))
    keys = jax.random.split(k_run, n_steps)
    (_, _, _, _, counts), rec = lax.scan(step, carry0, keys)
    return rec, counts, truncated, is_exc


_STATIC = ("n_steps", "dt", "k_max", "k_table", "chunk")


def _jitted(batched):
    import jax

    if not batched:
        return jax.jit(_run_lif, static_argnames=_STATIC)

    def fn(net, key, record_idx, **static):
        return jax.vmap(partial(_run_lif, **static), in_axes=(0, 0, None))(net, key, record_idx)

    return jax.jit(fn, static_argnames=_STATIC)


_JIT_CACHE = {}


def _get_jitted(batched):
    if batched not in _JIT_CACHE:
        _JIT_CACHE[batched] = _jitted(batched)
    return _JIT_CACHE[batched]


def _leaf_array(net, name):
    return np.asarray(getattr(net, name), dtype=float)


def _batch_keys(key, b):
    """``key`` if it already holds ``b`` keys, else ``jax.random.split(key, b)``."""
    import jax

    typed = jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    single_ndim = 0 if typed else 1
    if key.ndim == single_ndim:
        return jax.random.split(key, b)
    if key.ndim == single_ndim + 1 and key.shape[0] == b:
        return key
    raise ValueError(f"key must be one PRNG key or {b} keys (one per network), got shape {key.shape}.")


def simulate_lif(network, key, *, duration_ms=3000.0, dt_ms=0.1, n_recorded=200, k_max=None, chunk=32,
                 verbose=None):
    """Simulate one LIF network, or a batch of them in one ``vmap``.

    Parameters
    ----------
    network : LIFNetwork
        Parameters. For a batch, give array leaves of one common length ``B``
        (e.g. ``LIFNetwork(p=np.array([0.05, 0.1]), frac_exc=np.array([0.8, 0.7]))``;
        scalar leaves are broadcast); ``n_neurons`` is shared.
    key : jax.Array
        PRNG key (connectivity, initial potentials, Poisson drive and noise are
        drawn from it; the same key gives the same bits). A batch uses
        ``jax.random.split(key, B)`` unless ``key`` already has shape ``(B, ...)``.
    duration_ms : float
        Simulated time (ms).
    dt_ms : float
        Time step (ms).
    n_recorded : int
        Number of neurons whose spike trains are kept in ``raster`` (evenly spaced
        over the population, so both types are sampled); all neurons' spike counts are kept.
    k_max : int | None
        Padded out-degree (default from the largest ``p`` of the batch,
        :func:`~mne_nmm.spiking.connectivity.default_k_max`).
    chunk : int
        Spikes scattered per chunk in the event-driven propagation.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    result : LIFResult | tuple of LIFResult
        One result, or one per network of the batch.
    """
    import jax
    import jax.numpy as jnp

    from .._validate import (
        check_int,
        check_positive,
        logger,
        use_log_level,
        validate_type,
    )
    from .poisson import poisson_table_size

    validate_type(network, LIFNetwork, "network")
    dt = check_positive(dt_ms, "dt_ms")
    duration = check_positive(duration_ms, "duration_ms")
    n_steps = int(round(duration / dt))
    if n_steps < 1:
        raise ValueError(f"duration_ms={duration_ms!r} is shorter than one step dt_ms={dt_ms!r}.")
    n = network.n_neurons
    n_rec = min(check_int(n_recorded, "n_recorded", minimum=0), n)
    chunk = check_int(chunk, "chunk", minimum=1)
    shapes = {name: _leaf_array(network, name).shape for name in LIFNetwork._leaf_names}
    lengths = {s[0] for s in shapes.values() if s != ()}
    if any(len(s) > 1 for s in shapes.values()) or len(lengths) > 1:
        raise ValueError(f"network leaves must be scalars or 1D arrays of one common length, got shapes "
                         f"{ {k: v for k, v in shapes.items() if v != ()} }.")
    batched = bool(lengths)
    p_max = float(np.max(_leaf_array(network, "p")))
    k = default_k_max(n, p_max) if k_max is None else check_int(k_max, "k_max", minimum=1)
    ext_mean = float(np.max(_leaf_array(network, "n_ext_trains") * _leaf_array(network, "rate_ext_hz"))) * 1e-3 * dt
    k_table = poisson_table_size(ext_mean)
    record_idx = jnp.asarray(np.linspace(0, n - 1, n_rec).round().astype(np.int32) if n_rec else
                             np.zeros((0,), np.int32))
    with use_log_level(verbose):
        if batched:
            b = lengths.pop()
            net_b = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(jnp.asarray(x, jnp.float32), (b,)), network)
            keys = _batch_keys(key, b)
            logger.info("LIF: %d networks x %d neurons, %d steps (k_max=%d)", b, n, n_steps, k)
        else:
            net_b, keys, b = network, key, None
            logger.info("LIF: %d neurons, %d steps (k_max=%d)", n, n_steps, k)
        rec, counts, truncated, is_exc = _get_jitted(batched)(net_b, keys, record_idx, n_steps=n_steps, dt=dt,
                                                              k_max=k, k_table=k_table, chunk=chunk)
        rec = jax.tree_util.tree_map(np.asarray, rec)
        counts, truncated, is_exc = np.asarray(counts), np.asarray(truncated), np.asarray(is_exc)
    if np.any(truncated):
        raise ValueError(f"k_max={k} is too small for p={p_max:g} at n_neurons={n}: a neuron has more targets; "
                         "pass a larger k_max.")
    times = (np.arange(n_steps) + 1) * dt

    def one(i):
        sel = (lambda x: x) if i is None else (lambda x: x[i])
        net_i = network if i is None else jax.tree_util.tree_map(
            lambda x: float(np.broadcast_to(np.asarray(x, float), (b,))[i]), network)
        return LIFResult(times_ms=times, dt_ms=dt, v_mean_mv=sel(rec["v_mean"]), v_mean_exc_mv=sel(rec["v_exc"]),
                         v_mean_inh_mv=sel(rec["v_inh"]), rate_exc_hz=sel(rec["rate_exc"]),
                         rate_inh_hz=sel(rec["rate_inh"]), spike_input_per_ms=sel(rec["spike_input"]),
                         conductance=sel(rec["conductance"]), raster=sel(rec["raster"]),
                         raster_neurons=np.asarray(record_idx), spike_counts=sel(counts), is_exc=sel(is_exc),
                         network=net_i)

    if not batched:
        return one(None)
    return tuple(one(i) for i in range(b))
