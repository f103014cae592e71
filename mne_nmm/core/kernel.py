"""The pure simulation kernel: one run as a function of ``(SimParams, key)``.

:func:`make_kernel` builds, for one static configuration (:class:`Plan`: sizes, connection
structure and delays, block length; the integrator; the noise's kind; the monitors' static
configuration; the stimulus waveforms), three pure functions::

    carry            = kernel.init(params, x0, key)                  # step 0
    carry, samples   = kernel.chunk(carry, params, n_blocks, tail)    # n_blocks * B + tail steps
    output           = kernel.run(params, key, x0)                    # the whole run (RunOutput)

Every value they use comes from ``params`` (:class:`~mne_nmm.core.params.SimParams`); nothing
numerical is closed over, so one compiled function serves any parameter values, and
``jax.vmap`` over ``params`` and ``key`` is how sweeps and ensembles run (the host decides
the grouping, :mod:`mne_nmm.simulation.batch`); ``jax.grad`` goes through delays, noise
and monitors. The delayed input is read from the ring buffer of :mod:`.history` one block
of steps at a time (the algorithm is explained there).

Noise of step ``n`` is a pure function of the key and ``n`` (:func:`.noise.step_normals`), so
results do not depend on block or chunk sizes and a resumed run is bit-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.ad_checkpoint import checkpoint_name

from . import history
from .noise import step_normals
from .pytree import pytree_dataclass

__all__ = ["Plan", "Carry", "RunOutput", "Kernel", "make_kernel", "block_noise", "REMAT_MODES", "saved_delayed_bytes"]

#: Largest step index the int32 step counter (and the noise counter) may reach.
MAX_STEPS = 2**31 - 1


@dataclass(frozen=True)
class Plan:
    """Static (compile-time) description of one simulation configuration."""

    n_regions: int
    n_vars: int
    cvar: tuple
    n_feat: int
    block: int
    conn: history.Connections
    noise_idx: tuple | None
    dt: float
    unroll: int = 1
    noise_per_chunk: bool = True   # draw a chunk's noise at once (single runs) or per block (batches)


class Carry(NamedTuple):
    """State of a run between blocks."""

    x: object                  # (n_state_variables, n_regions), the state after ``step`` steps
    history: object            # (F N, L + B + 1) ring buffer of pre(x) (empty without delays)
    step: object               # int32, steps done
    monitor_state: tuple       # one entry per monitor
    first_nonfinite: object    # int32 (2,): first non-finite step (1-based) and region, -1 if none
    key: object                # uint32 (2,): the run's noise key


@pytree_dataclass
class RunOutput:
    """What the pure run returns: the monitor samples and the divergence report.

    ``output["name"]`` is ``samples["name"]``, ``(n_samples, n_variables, n_channels)``.
    ``diverged_step`` is the first step (1-based) whose state was non-finite, ``-1`` if none,
    and ``diverged_region`` its first region.
    """

    samples: dict
    final_state: object
    diverged_step: object
    diverged_region: object

    def __getitem__(self, name):
        return self.samples[name]

    def keys(self):
        return self.samples.keys()

    @property
    def diverged(self):
        return self.diverged_step >= 0


#: ``remat`` modes of :func:`make_kernel`'s ``run_steps``: what the backward pass keeps from the forward pass.
REMAT_MODES = ("chunks", "save_delayed", "none")

_POLICIES = {"chunks": None, "save_delayed": jax.checkpoint_policies.save_only_these_names("delayed_sums")}


def _static_rows(idx):
    """``f(x) = x[idx]`` for static row indices, as slices when contiguous."""
    idx = tuple(int(i) for i in idx)
    if idx == tuple(range(idx[0], idx[0] + len(idx))):
        a, b = idx[0], idx[0] + len(idx)
        return lambda x: x[a:b]
    return lambda x: jnp.stack([x[i] for i in idx])


def block_noise(key, n0, n_steps, noise_idx, n_vars, n_regions, dtype):
    """Standard normals of steps ``n0 .. n0 + n_steps - 1``: ``(n_steps, n_vars, n_regions)``, zero rows for the
    variables without noise."""
    steps = n0 + jnp.arange(n_steps, dtype=jnp.int32)
    n_noisy = len(noise_idx)
    z = step_normals(key, steps, n_noisy * n_regions, dtype).reshape(n_steps, n_noisy, n_regions)
    if n_noisy == n_vars:
        return z
    return jnp.zeros((n_steps, n_vars, n_regions), dtype=dtype).at[:, np.asarray(noise_idx)].set(z)


def saved_delayed_bytes(plan, n_steps, itemsize):
    """Bytes the ``"save_delayed"`` remat mode keeps for a run of ``n_steps`` (0 without delayed connections)."""
    if not plan.conn.has_delayed:
        return 0
    n_blocks = -(-n_steps // plan.block)
    return n_blocks * plan.n_feat * plan.n_regions * (plan.block + 1) * itemsize


class Kernel(NamedTuple):
    init: object
    block: object
    chunk: object
    run_steps: object
    plan: Plan


def make_kernel(plan, integrator, noise, monitors, stimulus_fn=None):
    """Build the pure functions of one configuration (see the module docstring).

    Parameters
    ----------
    plan : Plan
    integrator : Integrator
    noise : Noise | None
        Only its kind is used (additive / multiplicative); amplitudes are ``params.noise_sigma``.
    monitors : sequence of BuiltMonitor
        Their functions take the monitor's parameters ``params.monitors[name]``.
    stimulus_fn : callable | None
        ``stimulus_fn(step, params.stimulus) -> (n_state_variables, n_regions)``.
    """
    conn = plan.conn
    F, N, B = plan.n_feat, plan.n_regions, plan.block
    dt = plan.dt
    sqrt_dt = math.sqrt(dt)
    take_cvar = _static_rows(plan.cvar)
    monitors = tuple(monitors)
    stateful = [i for i, m in enumerate(monitors) if not m.stateless]

    def mparams(params, m):
        return params.monitors.get(m.name) if params.monitors else None

    def init(params, x0, key):
        x0 = jnp.asarray(x0)
        buf = jnp.zeros((0,), dtype=x0.dtype)
        if conn.has_delayed:
            pre0 = params.coupling.pre(take_cvar(x0))
            buf = history.initial_history(pre0.astype(x0.dtype), conn, B)
        mstates = tuple(m.init(x0, params.model, mparams(params, m)) for m in monitors)
        return Carry(x=x0, history=buf, step=jnp.zeros((), jnp.int32), monitor_state=mstates,
                     first_nonfinite=jnp.full((2,), -1, dtype=jnp.int32), key=jnp.asarray(key, dtype=jnp.uint32))

    def step_one(x, mst, params, derived, s_pair, z_k, n):
        """One integration step (state x_n -> x_{n+1}) and the stateful monitors' update."""
        model, coupling = params.model, params.coupling
        G, rowsum_g, w_instant, _ = derived
        stim = stimulus_fn(n, params.stimulus) if stimulus_fn is not None else None

        def network_input(xs, frac):
            xc = take_cvar(xs)
            s = None
            if s_pair is not None:
                s0, s1 = s_pair
                s = G * (s0 if frac == 0.0 else s1 if frac == 1.0 else s0 + frac * (s1 - s0))
            if w_instant is not None:
                si = (coupling.pre(xc) @ w_instant.T) * G
                s = si if s is None else s + si
            if s is None:
                s = jnp.zeros((F, N), dtype=xs.dtype)
            return coupling.post(s, xc, rowsum_g)

        c_once = network_input(x, 0.0) if integrator.coupling == "once" else None

        def f(xs, frac):
            if integrator.clamp == "stages" and frac != 0.0:
                xs = model.apply_bounds(xs)
            d = model.dfun(xs, c_once if c_once is not None else network_input(xs, frac))
            return d if stim is None else d + stim

        noise_term = None
        if z_k is not None:
            dw = sqrt_dt * z_k                                   # zero rows for the variables without noise
            sigma = params.noise_sigma

            def noise_term(xs):
                return noise.diffusion(xs, sigma) * dw

        xn = model.apply_bounds(integrator.step(x, f, dt, noise_term))
        new = list(mst)
        raws = []
        for i in stateful:
            new[i], raw = monitors[i].step(mst[i], xn, model, mparams(params, monitors[i]))
            raws.append(raw)
        return xn, tuple(new), tuple(raws)

    def derive(params, dtype):
        """Arrays derived from the weights (computed once per chunk, inside the traced function):
        ``(G, G * row sums, zero-delay weights, per-slot weights)``."""
        weights = history.masked_weights(jnp.asarray(params.weights, dtype=dtype), conn)
        G = jnp.asarray(params.global_coupling, dtype=dtype)
        w_slots = history.slot_weights(weights, conn) if conn.has_delayed else None
        return G, G * jnp.sum(weights, axis=1), history.instant_weights(weights, conn), w_slots

    def block(carry, params, n_steps, z=None, derived=None):
        """Advance ``n_steps <= B`` steps; returns the new carry and each monitor's per-step raw values."""
        n0 = carry.step
        x = carry.x
        if z is None and plan.noise_idx is not None:
            z = block_noise(carry.key, n0, n_steps, plan.noise_idx, plan.n_vars, N, x.dtype)
        if derived is None:
            derived = derive(params, x.dtype)
        S = None
        if conn.has_delayed:
            S = checkpoint_name(history.delayed_sums(carry.history, n0, derived[3], conn, F, n_steps), "delayed_sums")

        def inner(c, inp):
            xk, mst = c
            k, z_k = inp
            s_pair = None
            if S is not None:
                s_pair = tuple(jax.lax.dynamic_index_in_dim(S, k + j, axis=2, keepdims=False) for j in (0, 1))
            xn, mst, raws = step_one(xk, mst, params, derived, s_pair, z_k, n0 + k)
            return (xn, mst), (xn, raws)

        (x, mstates), (states, sraws) = jax.lax.scan(
            inner, (x, carry.monitor_state), (jnp.arange(n_steps, dtype=jnp.int32), z), length=n_steps,
            unroll=min(plan.unroll, n_steps))
        # divergence: the first non-finite step and region (step-major)
        flat = (~jnp.all(jnp.isfinite(states), axis=1)).reshape(-1)          # (n_steps * N,)
        first = jnp.argmax(flat).astype(jnp.int32)
        new = (carry.first_nonfinite[0] < 0) & jnp.any(flat)
        bad = jnp.where(new, jnp.stack([n0 + 1 + first // N, first % N]), carry.first_nonfinite)
        buf = carry.history
        if conn.has_delayed:
            pres = jax.vmap(lambda xs: params.coupling.pre(take_cvar(xs)))(states)
            buf = history.write(buf, n0, pres.astype(buf.dtype), conn, B)
        raws = []
        k = 0
        for m in monitors:
            if m.stateless:
                mp = mparams(params, m)
                raws.append(jax.vmap(lambda xs: m.step((), xs, params.model, mp)[1])(states))
            else:
                raws.append(sraws[k])
                k += 1
        return Carry(x=x, history=buf, step=n0 + n_steps, monitor_state=mstates, first_nonfinite=bad,
                     key=carry.key), tuple(raws)

    def chunk(carry, params, n_blocks, tail):
        """``n_blocks * B + tail`` steps; the chunk starts at a multiple of every monitor period.

        Returns the carry and one ``(n_samples, ...)`` array per monitor.
        """
        n_steps = n_blocks * B + tail
        z = None
        if plan.noise_idx is not None and plan.noise_per_chunk:
            z = block_noise(carry.key, carry.step, n_steps, plan.noise_idx, plan.n_vars, N, carry.x.dtype)
        raws = None
        derived = derive(params, carry.x.dtype)
        if n_blocks > 0:
            zb = None if z is None else z[: n_blocks * B].reshape((n_blocks, B) + z.shape[1:])
            carry, raws = jax.lax.scan(lambda c, zz: block(c, params, B, zz, derived), carry, zb, length=n_blocks)
            raws = [r.reshape((-1,) + r.shape[2:]) for r in raws]
        if tail > 0:
            carry, traws = block(carry, params, tail, None if z is None else z[n_blocks * B:], derived)
            raws = list(traws) if raws is None else [jnp.concatenate([a, b]) for a, b in zip(raws, traws)]
        outs = []
        for m, r in zip(monitors, raws):
            p = m.period_steps
            outs.append(m.readout(r[p - 1:: p], params.model, mparams(params, m)))
        return carry, tuple(outs)

    def run_steps(params, key, x0, n_steps, chunk_steps, remat="chunks"):
        """The whole run of ``n_steps`` in chunks of ``chunk_steps`` (``lax.scan``).

        ``remat`` says what the backward pass keeps (it only matters under ``jax.grad``):
        ``"chunks"`` keeps each chunk's starting carry and recomputes the chunk (memory ~ one
        chunk, whatever the duration); ``"save_delayed"`` also keeps the delayed sums of every
        block (``(F, N, B + 1)`` values per block, memory grows with the duration) so that the
        recomputation skips the delayed gather, ~3/4 of a delayed network's forward time;
        ``"none"`` keeps every intermediate.
        """
        if remat is True:
            remat = "chunks"
        if remat is False:
            remat = "none"
        if remat not in REMAT_MODES:
            raise ValueError(f"remat must be one of {REMAT_MODES}, got {remat!r}.")
        carry = init(params, x0, key)
        n_full, rest = divmod(n_steps, chunk_steps)

        def one(c, _):
            return chunk(c, params, chunk_steps // B, chunk_steps % B)

        if remat != "none":
            one = jax.checkpoint(one, policy=_POLICIES[remat])
        parts = []
        if n_full:
            carry, outs = jax.lax.scan(one, carry, None, length=n_full)
            parts.append([o.reshape((-1,) + o.shape[2:]) for o in outs])
        if rest:
            carry, outs = chunk(carry, params, rest // B, rest % B)
            parts.append(list(outs))
        samples = {m.name: jnp.concatenate([p[i] for p in parts]) for i, m in enumerate(monitors)}
        return RunOutput(samples=samples, final_state=carry.x, diverged_step=carry.first_nonfinite[0],
                         diverged_region=carry.first_nonfinite[1])

    return Kernel(init=init, block=block, chunk=chunk, run_steps=run_steps, plan=plan)
