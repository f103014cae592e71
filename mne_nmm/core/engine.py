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
of ``B + 1`` history samples (the buffer is stored time-minor, ``(F N, L + B + 1)``,
with its first ``B + 1`` columns mirrored past ``L`` so that no window wraps), and the
``B`` steps inside the block are cheap element-wise updates. Connections with zero delay are applied
instantaneously (dense matrix product at every integrator stage).

Noise for step ``n`` is ``normal(fold_in(key, n))``: a pure function of the key and
the step index, so results do not depend on block or chunk sizes (checkpoint and
resume reproduce an uninterrupted run bit for bit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np


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


def make_block_fn(plan, integrator, noise, monitors, stim_fn, src, dly):
    """Build ``block(carry, theta, z, n_steps) -> (carry, raws)`` for a static block length.

    ``z`` is the standard-normal noise of the block, ``(n_steps, n_noisy, n_regions)`` or None.
    """
    L = plan.ring
    F = plan.n_feat
    N = plan.n_regions
    B = plan.block
    cvar = np.asarray(plan.cvar)
    noise_idx = None if plan.noise_idx is None else np.asarray(plan.noise_idx)
    full_noise = plan.noise_idx is not None and tuple(plan.noise_idx) == tuple(range(plan.n_vars))
    sqrt_dt = math.sqrt(plan.dt)
    dt = plan.dt
    if plan.has_delayed:
        # Buffer layout: (F * N, L + B + 1), time along the last axis, with the first B + 1 columns
        # mirrored after column L so that every window [s, s + B + 1) with 0 <= s < L is contiguous.
        rows_j = jnp.asarray((np.arange(F)[:, None, None] * N + np.asarray(src)[None]).reshape(-1), dtype=jnp.int32)
        dly_j = jnp.asarray(np.broadcast_to(np.asarray(dly)[None], (F,) + np.shape(dly)).reshape(-1), dtype=jnp.int32)
        M = np.shape(src)[1]

    def delayed_sums(buf, n0, w, n_steps):
        # Delayed input at t_{n0 + k} for k = 0 .. n_steps (one more than the block, for the
        # end-of-step stages of Heun / RK4).
        starts = (n0 - dly_j) & (L - 1)
        vals = jax.vmap(lambda r, s: jax.lax.dynamic_slice(buf, (r, s), (1, n_steps + 1))[0])(rows_j, starts)
        vals = vals.reshape(F, N, M, n_steps + 1)
        return jnp.einsum("fimk,im->kfi", vals, w)                 # (n_steps + 1, F, N)

    def write(buf, n0, pres, n_steps):
        pos = (n0 + 1 + jnp.arange(n_steps, dtype=jnp.int32)) & (L - 1)
        cols = pres.reshape(n_steps, F * N).T                      # (F N, n_steps)
        buf = buf.at[:, pos].set(cols)
        mirror = jnp.where(pos <= B, pos + L, pos)
        return buf.at[:, mirror].set(cols)

    def block(carry, theta, z, n_steps):
        x, buf, n0, mstates, bad, key = carry
        model = theta["model"]
        coupling = theta["coupling"]
        G = theta["G"]
        rowsum = G * theta["rowsum"]
        if plan.has_delayed:
            S_all = G * delayed_sums(buf, n0, theta["w"], n_steps)
            S = (S_all[:-1], S_all[1:])
        else:
            S = None
        sigma = None
        if noise_idx is not None:
            sigma = theta["sigma"]
            if not full_noise:  # embed the noisy rows into the full state shape (zeros elsewhere)
                sigma = jnp.zeros((plan.n_vars, N), dtype=sigma.dtype).at[noise_idx].set(sigma)

        def inner(c, inp):
            x, mst, bad, n = c
            s_k, z_k = inp
            stim = stim_fn(n) if stim_fn is not None else None

            def f(xs, frac):
                xc = xs[cvar]
                s_d = None
                if s_k is not None:
                    s_d = s_k[0] if frac == 0.0 else s_k[1] if frac == 1.0 else s_k[0] + frac * (s_k[1] - s_k[0])
                if plan.has_instant:
                    s = (coupling.pre(xc) @ theta["w_instant"].T) * G
                    s = s if s_d is None else s + s_d
                elif s_d is None:
                    s = jnp.zeros((F, N), dtype=xs.dtype)
                else:
                    s = s_d
                d = model.dfun(xs, coupling.post(s, xc, rowsum))
                return d if stim is None else d + stim

            if z_k is not None:
                dw = sqrt_dt * z_k  # (n_state_variables, n_regions), zero rows for noiseless variables

                def noise_term(xs):
                    return noise.diffusion(xs, sigma) * dw
            else:
                noise_term = None
            xn = integrator.step(x, f, dt, noise_term)
            xn = model.apply_bounds(xn)
            nonfinite = ~jnp.all(jnp.isfinite(xn), axis=0)
            first = (bad[0] < 0) & jnp.any(nonfinite)
            bad = (jnp.where(first, n + 1, bad[0]), jnp.where(first, jnp.argmax(nonfinite).astype(jnp.int32), bad[1]))
            new_mst, raws = [], []
            for mon, ms in zip(monitors, mst):
                ms, r = mon.step(ms, xn, model)
                new_mst.append(ms)
                raws.append(r)
            pre = coupling.pre(xn[cvar]) if plan.has_delayed else None
            return (xn, tuple(new_mst), bad, n + 1), (tuple(raws), pre)

        unroll = min(plan.unroll, n_steps) if plan.unroll else 1
        (x, mstates, bad, n1), (raws, pres) = jax.lax.scan(inner, (x, mstates, bad, n0), (S, z), length=n_steps,
                                                           unroll=unroll)
        if plan.has_delayed:
            buf = write(buf, n0, pres, n_steps)
        return (x, buf, n1, mstates, bad, key), raws

    return block


def block_noise(key, n0, n_steps, noise_idx, n_vars, n_regions, dtype):
    """Standard-normal noise of steps ``n0 .. n0 + n_steps - 1``: step ``n`` uses ``fold_in(key, n)``.

    Returns ``(n_steps, n_vars, n_regions)`` with zero rows for the variables without noise.
    """
    steps = n0 + jnp.arange(n_steps, dtype=jnp.int32)
    n_noisy = len(noise_idx)
    z = jax.vmap(lambda s: jax.random.normal(jax.random.fold_in(key, s), (n_noisy, n_regions), dtype=dtype))(steps)
    if n_noisy == n_vars:
        return z
    return jnp.zeros((n_steps, n_vars, n_regions), dtype=dtype).at[:, np.asarray(noise_idx)].set(z)


def make_chunk_fn(block, monitors, plan):
    """``chunk(carry, theta, n_blocks, tail) -> (carry, samples)``; the chunk must start at a multiple of every period."""
    B = plan.block

    def chunk(carry, theta, n_blocks, tail):
        n_steps = n_blocks * B + tail
        x, n0, key = carry[0], carry[2], carry[5]
        z = None
        if plan.noise_idx is not None:
            z = block_noise(key, n0, n_steps, plan.noise_idx, plan.n_vars, plan.n_regions, x.dtype)
        raws = None
        if n_blocks > 0:
            zb = None if z is None else z[: n_blocks * B].reshape((n_blocks, B) + z.shape[1:])
            carry, raws = jax.lax.scan(lambda c, zz: block(c, theta, zz, B), carry, zb, length=n_blocks)
            raws = [r.reshape((-1,) + r.shape[2:]) for r in raws]
        if tail > 0:
            carry, traws = block(carry, theta, None if z is None else z[n_blocks * B:], tail)
            raws = list(traws) if raws is None else [jnp.concatenate([a, b]) for a, b in zip(raws, traws)]
        outs = []
        for mon, r in zip(monitors, raws):
            p = mon.period_steps
            outs.append(mon.readout(r[p - 1 :: p], theta["model"]))
        return carry, tuple(outs)

    return chunk


def initial_carry(plan, x0, coupling, monitors, model, key):
    """Carry at step 0: history rows all equal to ``pre(x0)``."""
    x0 = jnp.asarray(x0)
    if plan.has_delayed:
        pre0 = coupling.pre(x0[np.asarray(plan.cvar)]).reshape(-1)            # (F N,)
        buf = jnp.array(jnp.broadcast_to(pre0[:, None], (pre0.shape[0], plan.ring + plan.block + 1)))
    else:
        buf = jnp.zeros((0,), dtype=x0.dtype)
    mstates = tuple(m.init(x0, model) for m in monitors)
    bad = (jnp.asarray(-1, dtype=jnp.int32), jnp.asarray(-1, dtype=jnp.int32))
    return (x0, buf, jnp.asarray(0, dtype=jnp.int32), mstates, bad, key)
