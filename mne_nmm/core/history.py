"""The delay history: a ring buffer of pre-synaptic features and its blocked gather.

Algorithm
---------
Region ``i`` receives ``S_i(t_n) = sum_j W[i, j] pre(x_j(t_{n - d_ij}))`` with integer delays
``d_ij`` (steps; :class:`mne_nmm.Network` computes them once on the host with ``rint``).
History before step 0 equals the initial state.

*Connections.* The pairs that may carry a weight (by default the structural non-zeros
of the connectome) are listed per target in ``M`` padded *slots*:
``src[i, m]``, ``delay[i, m]`` and ``valid[i, m]`` (static, numpy). Their weights are
*gathered from the dense* ``(n, n)`` *weights inside the traced function*
(:func:`slot_weights`), so a new weight matrix is used exactly and its gradient has the
dense shape. Padding slots have weight 0 and delay 1 (any delay in ``[1, L)`` would do:
it only has to index inside the ring). Pairs with zero delay are the *instantaneous*
part, applied as a dense product at every integrator stage (:func:`instant_weights`).

*Ring.* Row ``f * N + j`` of the buffer holds feature ``f`` of region ``j``; column
``m & (L - 1)`` holds step ``m``. ``L`` is a power of two ``>= max_delay + 1``, so
``& (L - 1)`` is the modulo, and the ``max_delay + 1`` steps a block reads are all
present: at a block start ``n0`` the oldest needed is ``n0 - max_delay`` and the newest
``n0``; the block then writes steps ``n0 + 1 .. n0 + B``.

*Blocks.* Steps are processed in blocks of ``B <= min_delay`` steps. Step ``n0 + k``
(``0 <= k < B``) needs ``x_{n0+k-d}`` and, at its end-of-step stage, ``x_{n0+k+1-d}``,
with ``d >= min_delay >= B >= k + 1``: only steps ``<= n0``, which exist when the block
starts. So the delayed input of a whole block is one window of ``B + 1`` consecutive
columns per slot, gathered at once (:func:`delayed_sums`), and the steps inside the block
are element-wise updates. The first ``B + 1`` columns are mirrored after column ``L``
(the buffer has ``L + B + 1`` columns), so a window starting at any column ``< L`` never
wraps (:func:`write` keeps the mirror in step, including for a shorter tail block).

Multi-stage integrators interpolate the delayed input linearly between the window's
samples ``k`` and ``k + 1`` (Heun and RK4 keep their order on delay equations).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Connections", "connection_slots", "ring_length", "choose_block", "slot_weights", "instant_weights",
           "initial_history", "write", "delayed_sums", "masked_weights"]


@dataclass(frozen=True, eq=False)
class Connections:
    """Static structure of the delayed and instantaneous connections (numpy; compared by content)."""

    src: np.ndarray          # int32 (n, M) source region of each slot
    delay: np.ndarray        # int32 (n, M) its delay in steps (padding: 1)
    valid: np.ndarray        # bool (n, M)
    instant: np.ndarray      # bool (n, n): connections with zero delay
    mask: np.ndarray         # bool (n, n): every pair that may carry a weight (delayed or instantaneous)
    ring: int                # L (0 without delayed connections)
    min_delay: int           # smallest delay of a delayed connection (0 if none)
    max_delay: int

    @property
    def n_regions(self):
        return self.src.shape[0]

    @property
    def n_slots(self):
        return self.src.shape[1]

    @property
    def has_delayed(self):
        return bool(self.valid.any())

    @property
    def has_instant(self):
        return bool(self.instant.any())

    @property
    def digest(self):
        h = hashlib.sha1()
        for a in (self.src, self.delay, self.valid, self.instant, self.mask):
            h.update(str((a.dtype, a.shape)).encode())
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def __eq__(self, other):
        return isinstance(other, Connections) and self.digest == other.digest

    def __hash__(self):
        return hash(self.digest)


def ring_length(max_delay):
    """Smallest power of two ``>= max_delay + 1`` (0 without delays)."""
    return 1 << int(max_delay).bit_length() if max_delay > 0 else 0


def connection_slots(mask, delay_steps):
    """Padded per-target slots of the connections in ``mask`` (bool ``(n, n)``) with their delays.

    Parameters
    ----------
    mask : bool array, shape (n_regions, n_regions)
        Pairs that may carry a weight (row = target).
    delay_steps : int array, shape (n_regions, n_regions)
        Integer delays.

    Returns
    -------
    conn : Connections
    """
    mask = np.asarray(mask, dtype=bool)
    d_all = np.asarray(delay_steps, dtype=np.int64)
    delayed = mask & (d_all > 0)
    n = mask.shape[0]
    m = int(max(delayed.sum(axis=1).max(initial=0), 1))
    src = np.zeros((n, m), dtype=np.int32)
    dly = np.ones((n, m), dtype=np.int32)
    valid = np.zeros((n, m), dtype=bool)
    for i in range(n):
        js = np.flatnonzero(delayed[i])
        src[i, : len(js)] = js
        dly[i, : len(js)] = d_all[i, js]
        valid[i, : len(js)] = True
    dd = d_all[delayed]
    max_d = int(dd.max()) if dd.size else 0
    return Connections(src=src, delay=dly, valid=valid, instant=mask & (d_all == 0), mask=mask, ring=ring_length(max_d),
                       min_delay=int(dd.min()) if dd.size else 0, max_delay=max_d)


def choose_block(min_delay, periods, *, cap=32):
    """Block length ``B <= min_delay`` (so a block's delayed input is history); without delays, aligned with
    the monitor periods."""
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


def masked_weights(weights, conn):
    """``weights`` with every pair outside the connection structure set to 0 (traceable).

    The kernel uses these everywhere (slots, zero-delay part, row sums), so a weight set
    outside the structure is ignored consistently and its gradient is exactly 0.
    """
    return jnp.where(jnp.asarray(conn.mask), weights, jnp.zeros((), weights.dtype))


def slot_weights(weights, conn):
    """``W[i, src[i, m]]`` for the valid slots, 0 for padding: ``(n, M)``, traceable and differentiable."""
    w = jnp.take_along_axis(weights, jnp.asarray(conn.src), axis=1)
    return jnp.where(jnp.asarray(conn.valid), w, jnp.zeros((), w.dtype))


def instant_weights(weights, conn):
    """The zero-delay part of ``weights`` (``(n, n)``), or None when there is none."""
    if not conn.has_instant:
        return None
    return jnp.where(jnp.asarray(conn.instant), weights, jnp.zeros((), weights.dtype))


def initial_history(pre0, conn, block):
    """Buffer ``(F N, L + B + 1)`` whose every column is ``pre(x_0)`` (``pre0``: ``(F, N)``)."""
    flat = jnp.reshape(pre0, (-1,))
    return jnp.broadcast_to(flat[:, None], (flat.shape[0], conn.ring + block + 1))


def _write(buf, n0, pres, L, B):
    """:func:`write` without its custom VJP (the forward, and the reference its VJP is tested against)."""
    n = pres.shape[0]
    p = (n0 + 1) & (L - 1)
    cols = jnp.transpose(jnp.reshape(pres, (n, -1)))                    # (F N, n)
    buf = jax.lax.dynamic_update_slice(buf, cols, (jnp.zeros((), p.dtype), p))
    over = p + n - L                                                    # columns written past L (<= 0: none)
    idx = jnp.arange(B + 1, dtype=p.dtype)[None, :]
    head = jnp.where(idx < over, buf[:, L:L + B + 1], buf[:, :B + 1])   # the newest of each mirrored pair
    zero = jnp.zeros((), p.dtype)
    buf = jax.lax.dynamic_update_slice(buf, head, (zero, zero))
    return jax.lax.dynamic_update_slice(buf, head, (zero, zero + L))


def write(buf, n0, pres, conn, block):
    """Store ``pre(x)`` of steps ``n0 + 1 .. n0 + n`` (``pres``: ``(n, F, N)``, ``n <= block``).

    The columns may run past ``L`` into the mirror zone; afterwards the first ``B + 1`` columns
    and their mirror ``L .. L + B`` agree again.

    Backward (a custom VJP): a column and its mirror hold one value, so their cotangents are
    summed into the *logical* column ``m & (L - 1)``; the written steps take theirs and the
    older history keeps the rest (written columns zeroed). JAX's own transpose of the slices
    and updates above builds several buffer-sized temporaries per block (pads of each slice);
    with blocks of a few steps that cost more than the delayed gather itself.
    """
    L, B = conn.ring, block
    n = pres.shape[0]

    @jax.custom_vjp
    def w(buf, n0, pres):
        return _write(buf, n0, pres, L, B)

    def fwd(buf, n0, pres):
        return _write(buf, n0, pres, L, B), n0

    def bwd(n0, ct):
        logical = ct[:, :L].at[:, :B + 1].add(ct[:, L:])                  # (F N, L)
        cols = ((n0 + 1) + jnp.arange(n, dtype=n0.dtype)) & (L - 1)
        pres_bar = jnp.reshape(jnp.transpose(logical[:, cols]), pres_shape)
        logical = logical.at[:, cols].set(0)
        return jnp.pad(logical, ((0, 0), (0, B + 1))), None, pres_bar.astype(pres_dtype)

    pres_shape, pres_dtype = pres.shape, pres.dtype
    w.defvjp(fwd, bwd)
    return w(buf, n0, pres)


def _slot_tables(conn, n_feat):
    """Per-slot buffer rows and delays, slot-major ``(M, F N)`` (numpy)."""
    n, m = conn.src.shape
    rows = (np.arange(n_feat)[None, :, None] * n + conn.src.T[:, None, :]).reshape(m, n_feat * n)
    dly = np.broadcast_to(conn.delay.T[:, None, :], (m, n_feat, n)).reshape(m, n_feat * n)
    return rows.astype(np.int32), np.ascontiguousarray(dly, dtype=np.int32)


def _windows(buf, n0, rows_m, dly_m, L, k1):
    """Slot ``m``'s windows: ``vals[r, k] = buf[rows_m[r], ((n0 - dly_m[r]) & (L - 1)) + k]``, ``(F N, k1)``."""
    starts = (n0 - jnp.asarray(dly_m, dtype=n0.dtype)) & (L - 1)
    zero = jnp.zeros((), dtype=n0.dtype)
    return jax.vmap(lambda r, s: jax.lax.dynamic_slice(buf, (r, s), (1, k1))[0])(
        jnp.asarray(rows_m, dtype=n0.dtype) + zero, starts)


def delayed_sums(buf, n0, w_slots, conn, n_feat, n_steps):
    """Weighted delayed sums at ``t_{n0 + k}``, ``k = 0 .. n_steps``: ``(F, N, n_steps + 1)`` (unscaled by G).

    Forward: one gather of contiguous windows per slot feeds a chain of adds, which XLA fuses
    into one loop (the gathered windows are never materialised).

    Backward (a custom VJP): the cotangent of the buffer is *one* scatter-add of every slot's
    window into a single zero buffer. JAX's own transpose of the per-slot gathers builds one
    buffer-sized scatter per slot and adds them (``M F N (L + B + 1)`` values per block instead
    of ``M F N (B + 1)``), which made gradients through delays ~10-20x slower than without
    delays. The weights' cotangent re-reads each slot's windows and contracts them with the
    incoming cotangent.
    """
    L = conn.ring
    n = conn.n_regions
    rows, dly = _slot_tables(conn, n_feat)
    k1 = n_steps + 1

    def forward(buf, n0, wT):
        acc = None
        for m in range(rows.shape[0]):
            term = jnp.reshape(_windows(buf, n0, rows[m], dly[m], L, k1), (n_feat, n, k1)) * wT[m][None, :, None]
            acc = term if acc is None else acc + term
        return acc

    @jax.custom_vjp
    def sums(buf, n0, wT):
        return forward(buf, n0, wT)

    def fwd(buf, n0, wT):
        return forward(buf, n0, wT), (buf, n0, wT)

    def bwd(res, g):
        buf, n0, wT = res
        g = g.astype(buf.dtype)
        gg = jnp.reshape(g, (n_feat * n, k1))
        w_bar = jnp.stack([jnp.sum(jnp.reshape(_windows(buf, n0, rows[m], dly[m], L, k1) * gg, (n_feat, n, k1)),
                                   axis=(0, 2)) for m in range(rows.shape[0])])          # (M, N)
        starts = (n0 - jnp.asarray(dly, dtype=n0.dtype)) & (L - 1)                     # (M, F N)
        idx = jnp.stack([jnp.broadcast_to(jnp.asarray(rows, dtype=n0.dtype), starts.shape), starts], axis=-1)
        upd = wT[:, None, :, None] * g[None]                                           # (M, F, N, k1)
        dnums = jax.lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                                scatter_dims_to_operand_dims=(0, 1))
        buf_bar = jax.lax.scatter_add(jnp.zeros_like(buf), jnp.reshape(idx, (-1, 2)), jnp.reshape(upd, (-1, k1)),
                                      dnums, indices_are_sorted=False, unique_indices=False)
        return buf_bar, None, w_bar.astype(wT.dtype)

    sums.defvjp(fwd, bwd)
    return sums(buf, n0, jnp.transpose(w_slots))         # wT (M, N): each slot's weights contiguous
