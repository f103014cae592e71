"""Sparse directed Erdos-Renyi connectivity as padded target lists, and event-driven propagation.

A network of ``n`` neurons is stored by its *outgoing* lists: ``targets[j, :]``
holds the postsynaptic indices of neuron ``j`` followed by the padding index
``n`` (a dummy neuron that receives and sends nothing); row ``n`` is all
padding. Memory is ``(n + 1) * k_max`` int32, about ``4 n^2 p`` bytes (40 MB at
``n = 10,000``, ``p = 0.1``), instead of ``n^2`` floats for a dense matrix.

Each pair ``(j -> i)``, ``i != j``, is present independently with probability
``p`` (no autapses): the targets of a row are drawn by geometric skipping over
the ``n - 1`` candidate indices (gaps between successive successes of a
Bernoulli(p) sequence are Geometric(p)), which is exact and jittable and needs
no ``n x n`` draw.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["default_k_max", "erdos_renyi_targets", "targets_to_dense", "propagate_spikes"]


def default_k_max(n_neurons, p):
    """Padded row length: mean out-degree + 7 standard deviations + 8 (capped at ``n - 1``).

    The probability that a Binomial(n - 1, p) out-degree exceeds it is below
    ``1e-11`` per neuron; :func:`erdos_renyi_targets` reports a truncated row anyway.
    """
    n1 = max(int(n_neurons) - 1, 0)
    p = float(p)
    mean = n1 * p
    k = int(math.ceil(mean + 7.0 * math.sqrt(max(mean * (1.0 - p), 0.0)) + 8))
    return max(1, min(k, max(n1, 1)))


def _er_targets(key, n_neurons, p, k_max):
    """Jittable core: ``(targets (n + 1, k_max) int32, truncated bool)``; ``p`` may be traced."""
    import jax
    import jax.numpy as jnp

    n = n_neurons
    n_cand = n - 1
    p = jnp.asarray(p, jnp.float32)
    u = jax.random.uniform(key, (n, k_max), jnp.float32, minval=jnp.finfo(jnp.float32).tiny, maxval=1.0)
    log1mp = jnp.log1p(-jnp.minimum(p, 1.0))
    # Geometric(p) gaps >= 1; p == 0 gives inf gaps (no targets), p == 1 gives gaps of 1 (all targets).
    gaps = jnp.where(p > 0, jnp.floor(jnp.log(u) / jnp.where(log1mp < 0, log1mp, -jnp.inf)) + 1.0, jnp.inf)
    pos = jnp.cumsum(gaps, axis=1) - 1.0  # candidate positions 0..n-2 among the other neurons
    valid = pos < n_cand
    pos_i = jnp.where(valid, pos, 0.0).astype(jnp.int32)
    src = jnp.arange(n, dtype=jnp.int32)[:, None]
    tgt = pos_i + (pos_i >= src).astype(jnp.int32)  # skip the neuron itself (no autapses)
    tgt = jnp.where(valid, tgt, n).astype(jnp.int32)
    truncated = jnp.any(valid[:, -1]) & (k_max < n_cand)
    targets = jnp.concatenate([tgt, jnp.full((1, k_max), n, jnp.int32)], axis=0)
    return targets, truncated


_JIT = {}


def _er_jit():
    if "er" not in _JIT:
        import jax

        _JIT["er"] = jax.jit(_er_targets, static_argnums=(1, 3))
    return _JIT["er"]


def erdos_renyi_targets(key, n_neurons, p, *, k_max=None):
    """Draw a directed Erdos-Renyi graph as padded outgoing target lists.

    Parameters
    ----------
    key : jax.Array
        PRNG key.
    n_neurons : int
        Number of neurons ``n``.
    p : float
        Connection probability of every ordered pair ``j -> i`` (``i != j``), in [0, 1].
    k_max : int | None
        Row length (default :func:`default_k_max`).

    Returns
    -------
    targets : jax.Array of int32, shape (n_neurons + 1, k_max)
        ``targets[j]``: postsynaptic neurons of ``j``, padded with ``n_neurons``.
    """
    from .._validate import check_int

    n = check_int(n_neurons, "n_neurons", minimum=1)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}.")
    k = default_k_max(n, p) if k_max is None else check_int(k_max, "k_max", minimum=1)
    targets, truncated = _er_jit()(key, n, p, k)
    if bool(truncated):
        raise ValueError(f"k_max={k} is too small: at least one neuron has more than {k} targets at "
                         f"n_neurons={n}, p={p:g}; pass a larger k_max (default {default_k_max(n, p)}).")
    return targets


def targets_to_dense(targets, n_neurons):
    """Dense ``(n, n)`` matrix ``C[i, j]`` = number of synapses ``j -> i`` (row = target), for tests and small nets."""
    t = np.asarray(targets)[:n_neurons]
    c = np.zeros((n_neurons + 1, n_neurons), dtype=np.int64)
    src = np.repeat(np.arange(n_neurons), t.shape[1])
    np.add.at(c, (t.ravel(), src), 1)
    return c[:n_neurons]


def _next_spikes(remaining, n_blocks_sel, chunk, block):
    """Indices of up to ``chunk`` neurons still flagged in ``remaining`` (padding ``n``), by a two-level top-k.

    ``remaining`` (n,) is viewed as blocks of ``block`` neurons; the first level
    picks up to ``n_blocks_sel`` blocks holding a flagged neuron, the second up to
    ``chunk`` flagged neurons inside them. At least one flagged neuron is returned
    whenever there is one; the cost is ``O(n / block + n_blocks_sel * block)``
    instead of the ``O(n)`` cumulative sum of a full ``nonzero``.
    """
    import jax.numpy as jnp
    from jax import lax

    n = remaining.shape[0]
    n_blk = -(-n // block)
    padded = jnp.concatenate([remaining, jnp.zeros((n_blk * block - n,), bool)]).reshape(n_blk, block)
    nb = min(n_blocks_sel, n_blk)
    _, bidx = lax.top_k(jnp.any(padded, axis=1).astype(jnp.float32), nb)
    sub = padded[bidx].astype(jnp.float32).ravel()  # (nb * block,)
    k = min(chunk, nb * block)
    val, pos = lax.top_k(sub, k)
    flat = (bidx[:, None] * block + jnp.arange(block)[None, :]).ravel()[pos]
    return jnp.where(val > 0, flat, n).astype(jnp.int32)


def propagate_spikes(spiked, targets, presyn_type, *, n_types=2, chunk=32, block=128):
    """Scatter the spikes of one time step onto their targets (event-driven, jittable).

    Only the neurons that spiked are visited, up to ``chunk`` at a time (a
    ``while_loop`` until none is left): each chunk gathers its rows of
    ``targets`` and adds them with one scatter-add, so the cost is
    ``O(n_spikes * k_max)`` per step plus a cheap search, never ``O(n^2)``.

    Parameters
    ----------
    spiked : jax.Array of bool, shape (n,)
    targets : jax.Array of int32, shape (n + 1, k_max)
        Padded outgoing lists (padding index ``n``).
    presyn_type : jax.Array of int, shape (n,)
        Synapse type of each presynaptic neuron, in ``[0, n_types)``.
    n_types : int
        Number of synapse types.
    chunk : int
        Spikes gathered per scatter.
    block : int
        Block size of the two-level search for spiking neurons.

    Returns
    -------
    counts : jax.Array of float32, shape (n_types, n)
        ``counts[s, i]``: spikes of type ``s`` arriving at neuron ``i``.
    """
    import jax.numpy as jnp
    from jax import lax

    n = spiked.shape[0]
    typ = jnp.concatenate([presyn_type.astype(jnp.int32), jnp.zeros((1,), jnp.int32)])
    n_sel = max(1, chunk // 2)

    def cond(state):
        return jnp.any(state[0])

    def body(state):
        remaining, acc = state
        idx = _next_spikes(remaining, n_sel, chunk, block)
        flat = targets[idx] + (typ[idx] * (n + 1))[:, None]
        acc = acc.at[flat.ravel()].add(1.0)
        remaining = remaining.at[idx].set(False, mode="drop")
        return remaining, acc

    _, acc = lax.while_loop(cond, body, (spiked, jnp.zeros((n_types * (n + 1),), jnp.float32)))
    return acc.reshape(n_types, n + 1)[:, :n]
