"""Sweeps and ensembles: ``jax.vmap`` of the one pure kernel over SimParams leaves and keys.

A sweep names leaves of :class:`~mne_nmm.core.params.SimParams` by their dotted paths
(``"global_coupling"``, ``"weights"``, ``"noise_sigma"``, ``"model.a"``, ``"coupling.cmax"``,
``"stimulus.0"``, ``"monitors.bold.tau"``); each gets a leading batch axis, and the
kernel's functions are ``vmap``-ed with ``in_axes`` 0 on exactly those leaves. How the runs
execute is host policy: vectorized groups (one device call advances a whole group) or one
run at a time (the single-run kernel), and how many groups run at once in threads.

Bits: one run at a time is bit-identical to the single run for any ``n_jobs``; a vectorized group's
runs equal single runs up to float rounding, and depend on the grouping (:func:`make_groups`, which
uses ``n_jobs``) only by that rounding (see the Notes of :func:`mne_nmm.simulate`).
"""

from __future__ import annotations

import math
import os

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int
from ..core.params import leaf_paths, set_path, get_path

__all__ = ["apply_sweep", "make_groups", "single_fns", "vectorized_fns", "resolve_n_jobs", "CPU_GROUP_RUNS",
           "axes_of", "take_run"]

# On a CPU, a vectorized group of more runs than this is slower per run (its delay buffers fall
# out of the caches).
CPU_GROUP_RUNS = 16


def apply_sweep(params, sweep):
    """``(params with batched leaves, swept paths, batch size)`` for a ``sweep`` dict (or None)."""
    if not sweep:
        return params, (), None
    if not isinstance(sweep, dict):
        raise TypeError(f"sweep must be a dict mapping parameter paths (e.g. 'global_coupling', 'model.a') to "
                        f"arrays with a leading batch axis, got {type(sweep).__name__}.")
    sizes = {}
    arrays = {}
    for path, values in sweep.items():
        arr = np.asarray(values)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"sweep[{path!r}] must be real numbers, got dtype {arr.dtype}.")
        if arr.ndim < 1 or arr.shape[0] < 1:
            raise ValueError(f"sweep[{path!r}] must be an array with a leading batch axis, got shape {arr.shape}.")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"sweep[{path!r}] must be finite.")
        sizes[path] = arr.shape[0]
        arrays[path] = arr.astype(float)
    if len(set(sizes.values())) != 1:
        raise ValueError(f"all sweep arrays must have the same length, got {sizes}.")
    nb = next(iter(sizes.values()))
    swept = []
    out = params
    for path, arr in arrays.items():
        try:
            leaf = get_path(params, path)
        except KeyError as err:
            raise ValueError(f"sweep key {path!r} names no parameter: {err.args[0]} Sweepable paths: "
                             f"{leaf_paths(params)}.") from None
        if leaf is None:
            raise ValueError(f"sweep[{path!r}]: this run has no such values (e.g. 'noise_sigma' needs noise=...).")
        leaf_shape = np.shape(leaf)
        try:
            target = np.broadcast_shapes(arr.shape[1:], leaf_shape)
        except ValueError:
            raise ValueError(f"sweep[{path!r}] must have shape ({nb},) + a shape broadcastable to {leaf_shape}, "
                             f"got {arr.shape}.") from None
        pad = len(target) - (arr.ndim - 1)
        full = np.broadcast_to(arr.reshape((nb,) + (1,) * pad + arr.shape[1:]), (nb,) + tuple(target))
        if path.startswith(("model.", "coupling.")):
            for i in range(nb):   # the model's / coupling's own validation, one run at a time
                try:
                    set_path(params, path, full[i])
                except (TypeError, ValueError) as err:
                    raise ValueError(f"sweep[{path!r}] run {i}: {err}") from None
        if path == "weights" or path.startswith("weights"):
            _check_weights(full, params)
        dtype = jnp.asarray(leaf).dtype if jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.floating) else None
        out = set_path(out, path, jnp.asarray(full, dtype=dtype), validate=False)
        swept.append(path if not path.startswith("noise.") else "noise_sigma")
    return out, tuple(swept), nb


def _check_weights(stack, params):
    base = np.asarray(params.weights)
    outside = (base == 0) & np.any(stack != 0, axis=0)
    np.fill_diagonal(outside, False)
    if outside.any():
        i, j = np.argwhere(outside)[0]
        raise ValueError(f"sweep['weights'] sets {int(outside.sum())} weight(s) where the connectome has none (e.g. "
                         f"[{i}, {j}]); the connection structure (slots and delays) is fixed by the network. Build "
                         f"the run with connections='all' (make_simulator) to vary every pair.")


def axes_of(params, swept):
    """``in_axes`` pytree for ``params``: 0 on the swept leaves (and below them), None elsewhere."""
    swept = tuple(swept)
    paths = leaf_paths(params)
    leaves, treedef = jax.tree_util.tree_flatten(params)
    axes = [0 if any(p == s or p.startswith(s + ".") for s in swept) else None for p in paths]
    return jax.tree_util.tree_unflatten(treedef, axes)


def _axes_key(axes):
    leaves, treedef = jax.tree_util.tree_flatten(axes, is_leaf=lambda v: v is None)
    return (treedef, tuple(leaves))


def take_run(params, axes, i):
    """The parameters of run ``i`` of a batch."""
    return jax.tree_util.tree_map(lambda leaf, ax: leaf if ax is None else leaf[i], params, axes,
                                  is_leaf=lambda v: v is None)


def single_fns(s):
    """Jitted ``(init, chunk)`` of one run, with a leading run axis of 1 on the carry and the outputs."""
    k = s.kernel

    def build():
        def init(params, x0, keys):
            return jax.tree_util.tree_map(lambda a: a[None], k.init(params, x0, keys[0]))

        def chunk(carry, params, n_blocks, tail):
            c, outs = k.chunk(jax.tree_util.tree_map(lambda a: a[0], carry), params, n_blocks, tail)
            return jax.tree_util.tree_map(lambda a: a[None], c), tuple(o[None] for o in outs)

        return jax.jit(init), jax.jit(chunk, static_argnums=(2, 3))

    return s.cached("single", build)


def vectorized_fns(s, axes):
    """Jitted ``(init, chunk)`` of a group of runs: ``jax.vmap`` of the kernel over the swept leaves and keys."""
    k = s.kernel

    def build():
        def init(params, x0, keys):
            return jax.vmap(k.init, in_axes=(axes, None, 0))(params, x0, keys)

        def chunk(carry, params, n_blocks, tail):
            return jax.vmap(lambda c, p: k.chunk(c, p, n_blocks, tail), in_axes=(0, axes))(carry, params)

        return jax.jit(init), jax.jit(chunk, static_argnums=(2, 3))

    return s.cached(("vectorized", _axes_key(axes)), build)


def resolve_n_jobs(n_jobs, nb):
    if n_jobs is None:
        if jax.default_backend() != "cpu":
            return 1
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover
            cores = os.cpu_count() or 1
        return max(1, min(cores, nb))
    return min(check_int(n_jobs, "n_jobs", minimum=1), nb)


def make_groups(nb, batch_mode, n_jobs):
    """Run indices of each group: one run each when sequential; else at least ``n_jobs`` groups, bounded on CPUs."""
    if batch_mode == "sequential":
        return [[i] for i in range(nb)]
    n_groups = n_jobs
    if jax.default_backend() == "cpu":
        n_groups = max(n_groups, math.ceil(nb / CPU_GROUP_RUNS))
    return [list(g) for g in np.array_split(np.arange(nb), n_groups)]
