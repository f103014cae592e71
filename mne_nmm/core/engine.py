"""The pure JAX simulation kernel: blocked delayed coupling, integrator, noise, monitors.

Everything here is a pure function of ``(carry, theta)`` so that it can be jitted,
vmapped (sweeps, ensembles) and differentiated (fitting). Host-side concerns
(chunking, progress, checkpoints, divergence reports) live in :mod:`.simulate`.

Algorithm
---------
State ``x_n`` (``n_state_variables, n_regions``) is the state at ``t = n dt``. The
delay buffer is a ring of ``L`` rows (a power of two ``>= max_delay + 1``); row
``m mod L`` holds ``pre(x_m)``, the pre-synaptic coupling features of step ``m``
(history before 0 defaults to ``x_0``).

Steps are processed in *blocks* of ``B <= min_delay`` steps. Inside a block,
step ``n + k`` (``0 <= k < B``) needs ``x_{n+k-d}`` and, for its end-of-step stage,
``x_{n+k+1-d}``, with ``d >= min_delay >= k + 1``: only states that exist when the
block starts (multi-stage integrators interpolate the delayed input linearly
within the step, so Heun and RK4 keep their order on delay equations); so the delayed input for the
whole block is gathered at once: for every connected pair one contiguous window
of ``B + 1`` history samples (the buffer is stored ``(F N, L + B + 1, n_runs)``,
with its first ``B + 1`` columns mirrored past ``L`` so that no window wraps), and the
``B`` steps inside the block are cheap element-wise updates. Connections with zero delay are applied
instantaneously (dense matrix product at every integrator stage).

Noise for step ``n`` is a pure function of the key and the step index
(:func:`.noise.step_normals`: the Threefry hash of the counter ``(n, j)``), so results
do not depend on block or chunk sizes (checkpoint and resume reproduce an uninterrupted
run bit for bit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .noise import step_normals


@dataclass(frozen=True)
class Plan:
    """Static (compile-time) description of one simulation configuration."""

    n_regions: int
    n_vars: int
    cvar: tuple
    n_feat: int
    block: int
    ring: int
    n_slots: int
    has_delayed: bool
    has_instant: bool
    noise_idx: tuple | None
    dt: float
    unroll: int


def choose_block(min_delay, periods, *, cap=32):
    """Block length ``B <= min_delay``: the delayed input of a whole block (end-of-step stages included) is history.

    Without delayed connections the block only groups steps (aligned with the monitor periods).
    """
    if min_delay > 0:
        return min(cap, min_delay)
    g = 0
    for p in periods:
        g = math.gcd(g, int(p))
    if g == 0:
        return cap
    best = 1
    for b in range(1, cap + 1):
        if g % b == 0 or b % g == 0:
            best = b
    return best


def connectivity_arrays(weights, delay_steps):
    """Split a weighted, delayed connectome into padded sparse delayed lists and a dense instantaneous part.

    Returns
    -------
    src : int32 (n_regions, n_slots)   source index of each incoming delayed connection (padding 0)
    dly : int32 (n_regions, n_slots)   its delay in steps (padding 1)
    w : float (n_regions, n_slots)     its weight (padding 0)
    w_instant : float (n_regions, n_regions) | None   weights with zero delay
    """
    w_all = np.asarray(weights, dtype=float)
    d_all = np.asarray(delay_steps, dtype=np.int64)
    connected = w_all != 0
    delayed = connected & (d_all > 0)
    instant = connected & (d_all == 0)
    n = w_all.shape[0]
    counts = delayed.sum(axis=1)
    m = int(max(counts.max(initial=0), 1))
    src = np.zeros((n, m), dtype=np.int32)
    dly = np.ones((n, m), dtype=np.int32)
    w = np.zeros((n, m), dtype=float)
    for i in range(n):
        js = np.flatnonzero(delayed[i])
        src[i, : len(js)] = js
        dly[i, : len(js)] = d_all[i, js]
        w[i, : len(js)] = w_all[i, js]
    w_instant = np.where(instant, w_all, 0.0) if instant.any() else None
    return src, dly, w, w_instant, bool(delayed.any())


def ring_length(max_delay):
    """Smallest power of two ``>= max_delay + 1``."""
    return 1 << int(max_delay).bit_length() if max_delay > 0 else 0


def make_block_fn(plan, integrator, noise, monitors, stim_fn, src, dly, theta_axes):
    """Build ``block(carry, theta, z, n_steps) -> (carry, raws)`` for a static block length.

    The kernel always carries a leading *run* axis (``n_runs`` parallel simulations: sweeps,
    trials; 1 for a single run). ``theta_axes`` says which leaves of ``theta`` have that axis (0)
    and which are shared (None). The delay buffer of all runs is one ``(F N, L + B + 1, n_runs)``
    array, so the delayed input of every run comes from gathers of contiguous windows (one per
    incoming-connection slot, fused with the weighted sum); the element-wise step is ``vmap``-ed
    over runs, with the state laid out ``(V, n_runs, N)`` inside the step loop (the carry keeps
    ``(n_runs, V, N)``). ``z`` is the standard-normal noise of the block,
    ``(n_steps, n_runs, n_state_variables, n_regions)``, or None (then drawn here if the model is noisy).
    """
    L = plan.ring
    F = plan.n_feat
    N = plan.n_regions
    B = plan.block
    take_cvar = _static_rows(plan.cvar)
    sqrt_dt = math.sqrt(plan.dt)
    dt = plan.dt
    stateful = [i for i, m in enumerate(monitors) if not m.stateless]
    if plan.has_delayed:
        # Buffer layout: (F * N, L + B + 1, n_runs): time along axis 1 with the first B + 1 columns
        # mirrored after column L, so that every window [s, s + B + 1) with 0 <= s < L is contiguous,
        # and the runs of a sweep innermost, so that one window of all runs is one contiguous slice.
        # Connections are ordered slot-major (m, f, i) so the weighted sum is a chain of M fused adds.
        M = np.shape(src)[1]
        rows_m = np.asarray((np.arange(F)[None, :, None] * N + np.asarray(src).T[:, None, :]).reshape(M, F * N),
                            dtype=np.int32)
        dly_m = np.asarray(np.broadcast_to(np.asarray(dly).T[:, None, :], (M, F, N)).reshape(M, F * N), dtype=np.int32)

    def delayed_sums(buf, n0, w, n_steps):
        """Unscaled delayed sums at t_{n0 + k}, k = 0 .. n_steps: (F, N, n_steps + 1, n_runs), the gather's layout."""
        n_runs = buf.shape[2]
        wT = w.T                                                     # (M, N)
        acc = None
        # One gather per slot feeding the chain of adds: XLA fuses them into one loop, so the gathered
        # windows are never materialised (~20% faster than one gather of all slots followed by the sum).
        for m in range(M):
            starts = (n0 - jnp.asarray(dly_m[m])) & (L - 1)
            vals = jax.vmap(lambda r, s: jax.lax.dynamic_slice(buf, (r, s, 0), (1, n_steps + 1, n_runs))[0])(
                jnp.asarray(rows_m[m]), starts).reshape(F, N, n_steps + 1, n_runs)
            term = vals * wT[m][None, :, None, None]
            acc = term if acc is None else acc + term
        return acc

    def write(buf, n0, pres, n_steps):
        """Store pre(x) of steps n0+1 .. n0+n_steps; pres: (n_steps, n_runs, F, N)."""
        p = (n0 + 1) & (L - 1)
        cols = jnp.transpose(pres, (2, 3, 0, 1)).reshape(F * N, n_steps, pres.shape[1])
        buf = jax.lax.dynamic_update_slice(buf, cols, (0, p, 0))    # may run past L into the mirror zone
        over = p + n_steps - L                                      # columns written past L
        head = jnp.where(jnp.arange(B + 1)[None, :, None] < over, buf[:, L:L + B + 1], buf[:, :B + 1])
        buf = jax.lax.dynamic_update_slice(buf, head, (0, 0, 0))
        return jax.lax.dynamic_update_slice(buf, head, (0, L, 0))

    def step_one(x, mst, theta, s_pair, z_k, n):
        """One integration step of one run (vmapped over runs)."""
        model = theta["model"]
        coupling = theta["coupling"]
        G = theta["G"]
        rowsum = G * theta["rowsum"]
        stim = stim_fn(n) if stim_fn is not None else None

        def f(xs, frac):
            xc = take_cvar(xs)
            s_d = None
            if s_pair is not None:
                s0, s1 = s_pair
                s_d = G * (s0 if frac == 0.0 else s1 if frac == 1.0 else s0 + frac * (s1 - s0))
            if plan.has_instant:
                s = (coupling.pre(xc) @ theta["w_instant"].T) * G
                s = s if s_d is None else s + s_d
            elif s_d is None:
                s = jnp.zeros((F, N), dtype=xs.dtype)
            else:
                s = s_d
            d = model.dfun(xs, coupling.post(s, xc, rowsum))
            return d if stim is None else d + stim

        if z_k is None:
            noise_term = None
        else:
            sigma = theta["sigma_full"]
            dw = sqrt_dt * z_k  # zero rows for the variables without noise

            def noise_term(xs):
                return noise.diffusion(xs, sigma) * dw

        xn = model.apply_bounds(integrator.step(x, f, dt, noise_term))
        new_mst = list(mst)
        for i in stateful:
            new_mst[i], _ = monitors[i].step(mst[i], xn, model)
        return xn, tuple(new_mst)

    def stateful_raw(mst, xn, theta):
        return tuple(monitors[i].step(mst[i], xn, theta["model"])[1] for i in stateful)

    def block(carry, theta, z, n_steps):
        x, buf, n0, mstates, bad, keys = carry
        n_runs = x.shape[0]
        if z is None and plan.noise_idx is not None:
            z = block_noise(keys, n0, n_steps, plan.noise_idx, plan.n_vars, plan.n_regions, x.dtype)
        S_all = None
        if plan.has_delayed:
            S_all = delayed_sums(buf, n0, theta["w"], n_steps)      # (F, N, n_steps + 1, runs)
            if n_runs > 1:
                # (n_steps + 1, F, runs, N): one transpose per block, so that the step loop reads slices with
                # the runs axis in the middle, where the models' stacked derivatives put it (~10% faster for 16
                # runs than a transposed slice in every step). A single run reads its slices in place: there
                # the transpose would only slow down the gather-sum it fuses into (~40 vs ~25 us per block).
                S_all = jnp.transpose(S_all, (2, 0, 3, 1))
        if z is not None:
            z = jnp.swapaxes(z, 1, 2)                                # (n_steps, V, runs, N)
        # Inside the step loop the state is (V, runs, N); the carry keeps (runs, V, N).
        v_step = jax.vmap(step_one, in_axes=(1, 0, theta_axes, 1 if S_all is not None else None,
                                             1 if z is not None else None, None), out_axes=(1, 0))
        v_raw = jax.vmap(stateful_raw, in_axes=(0, 1, theta_axes))

        def inner(c, inp):
            x, mst = c
            k, z_k = inp
            n = n0 + k
            s_k = None
            if S_all is not None and n_runs > 1:
                s_k = tuple(jax.lax.dynamic_index_in_dim(S_all, k + j, axis=0, keepdims=False)
                            for j in (0, 1))                        # (F, runs, N) at the step's start and end
            elif S_all is not None:
                s_k = tuple(jnp.moveaxis(jax.lax.dynamic_index_in_dim(S_all, k + j, axis=2, keepdims=False), -1, 1)
                            for j in (0, 1))                        # (F, 1, N): a reshape
            xn, mst_new = v_step(x, mst, theta, s_k, z_k, n)
            raws = v_raw(mst, xn, theta) if stateful else ()
            return (xn, mst_new), (xn, raws)

        n1 = n0 + n_steps
        (x, mstates), (states, sraws) = jax.lax.scan(inner, (jnp.swapaxes(x, 0, 1), mstates),
                                                     (jnp.arange(n_steps, dtype=jnp.int32), z),
                                                     length=n_steps, unroll=min(plan.unroll, n_steps))
        x = jnp.swapaxes(x, 0, 1)
        states = jnp.swapaxes(states, 1, 2)
        # states: (n_steps, n_runs, V, N). Divergence: first non-finite step and region of each run.
        nonfinite = ~jnp.all(jnp.isfinite(states), axis=2)         # (n_steps, runs, N)
        flat = jnp.moveaxis(nonfinite, 1, 0).reshape(n_runs, -1)   # (runs, n_steps * N), step-major
        first = jnp.argmax(flat, axis=1)
        any_bad = jnp.any(flat, axis=1)
        k_first, region = first // N, first % N
        new = (bad[0] < 0) & any_bad
        bad = (jnp.where(new, n0 + 1 + k_first.astype(jnp.int32), bad[0]),
               jnp.where(new, region.astype(jnp.int32), bad[1]))
        if plan.has_delayed:
            pre_fn = jax.vmap(jax.vmap(lambda xs, th: th["coupling"].pre(take_cvar(xs)), in_axes=(0, theta_axes)),
                              in_axes=(0, None))
            buf = write(buf, n0, pre_fn(states, theta), n_steps)
        raws = []
        it = iter(sraws)
        obs = jax.vmap(jax.vmap(lambda m, xs, th: m.step((), xs, th["model"])[1], in_axes=(None, 0, theta_axes)),
                       in_axes=(None, 0, None))
        for m in monitors:
            raws.append(obs(m, states, theta) if m.stateless else next(it))
        return (x, buf, n1, mstates, bad, keys), tuple(raws)

    return block


def _static_rows(idx):
    """``f(x) = x[idx]`` for static row indices, as slices (a gather would not vectorise under vmap)."""
    idx = tuple(int(i) for i in idx)
    if idx == tuple(range(idx[0], idx[0] + len(idx))):
        a, b = idx[0], idx[0] + len(idx)
        return lambda x: x[a:b]
    return lambda x: jnp.stack([x[i] for i in idx])


def block_noise(keys, n0, n_steps, noise_idx, n_vars, n_regions, dtype):
    """Standard-normal noise of steps ``n0 .. n0 + n_steps - 1`` for each run (:func:`.noise.step_normals`).

    Returns ``(n_steps, n_runs, n_vars, n_regions)`` with zero rows for the variables without noise.
    """
    steps = n0 + jnp.arange(n_steps, dtype=jnp.int32)
    n_noisy = len(noise_idx)
    z = jax.vmap(lambda key: step_normals(key, steps, n_noisy * n_regions, dtype))(keys)   # (runs, n_steps, n)
    z = jnp.moveaxis(z, 0, 1).reshape(n_steps, keys.shape[0], n_noisy, n_regions)
    if n_noisy == n_vars:
        return z
    return jnp.zeros(z.shape[:2] + (n_vars, n_regions), dtype=dtype).at[:, :, np.asarray(noise_idx)].set(z)


def make_chunk_fn(block, monitors, plan, theta_axes):
    """``chunk(carry, theta, n_blocks, tail) -> (carry, samples)``; the chunk must start at a multiple of every period.

    Samples are ``(n_runs, n_samples, ...)`` per monitor.
    """
    B = plan.block

    def chunk(carry, theta, n_blocks, tail):
        n_steps = n_blocks * B + tail
        x, n0, keys = carry[0], carry[2], carry[5]
        z = None
        # Noise is drawn for the whole chunk at once for a single run (fewer, larger operations: faster), and
        # block by block for batches (it stays in cache and its memory does not grow with runs x chunk length).
        if plan.noise_idx is not None and x.shape[0] == 1:
            z = block_noise(keys, n0, n_steps, plan.noise_idx, plan.n_vars, plan.n_regions, x.dtype)
        raws = None
        if n_blocks > 0:
            zb = None if z is None else z[: n_blocks * B].reshape((n_blocks, B) + z.shape[1:])
            carry, raws = jax.lax.scan(lambda c, zz: block(c, theta, zz, B), carry, zb, length=n_blocks)
            raws = [r.reshape((-1,) + r.shape[2:]) for r in raws]
        if tail > 0:
            carry, traws = block(carry, theta, None if z is None else z[n_blocks * B:], tail)
            raws = list(traws) if raws is None else [jnp.concatenate([a, b]) for a, b in zip(raws, traws)]
        outs = []
        model_axes = theta_axes["model"]
        for mon, r in zip(monitors, raws):
            p = mon.period_steps
            sel = jnp.moveaxis(r[p - 1 :: p], 1, 0)                 # (runs, n_samples, ...)
            outs.append(jax.vmap(mon.readout, in_axes=(0, model_axes))(sel, theta["model"]))
        return carry, tuple(outs)

    return chunk


def initial_carry(plan, x0, theta, theta_axes, monitors, keys):
    """Carry at step 0 for ``len(keys)`` runs: history rows all equal to ``pre(x0)``."""
    x0 = jnp.asarray(x0)
    n_runs = keys.shape[0]

    def one(th):
        buf = jnp.zeros((0,), dtype=x0.dtype)
        if plan.has_delayed:
            pre0 = th["coupling"].pre(x0[np.asarray(plan.cvar)]).reshape(-1)            # (F N,)
            buf = jnp.broadcast_to(pre0[:, None], (pre0.shape[0], plan.ring + plan.block + 1))
        mstates = tuple(m.init(x0, th["model"]) for m in monitors)
        return buf, mstates

    if all(a is None for a in jax.tree_util.tree_leaves(theta_axes, is_leaf=lambda v: v is None)):
        buf, mstates = one(theta)
        buf = jnp.broadcast_to(buf[None], (n_runs,) + buf.shape)
        mstates = jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (n_runs,) + jnp.shape(a)), mstates)
    else:
        buf, mstates = jax.vmap(one, in_axes=(theta_axes,), axis_size=n_runs)(theta)
    if plan.has_delayed:
        buf = jnp.moveaxis(jnp.array(buf), 0, -1)                   # (F N, L + B + 1, n_runs)
    else:
        buf = jnp.zeros((0,), dtype=x0.dtype)
    x = jnp.broadcast_to(x0, (n_runs,) + x0.shape)
    bad = (jnp.full((n_runs,), -1, dtype=jnp.int32), jnp.full((n_runs,), -1, dtype=jnp.int32))
    return (x, buf, jnp.asarray(0, dtype=jnp.int32), mstates, bad, keys)
