"""Batched sweeps over SimParams leaves: designs, a tidy table of scores, resumable, local or Dask.

A *design* is a :class:`pandas.DataFrame` whose columns are parameter paths
(``"global_coupling"``, ``"noise_sigma"``, ``"model.a"``) and whose rows are points;
:func:`grid` and :func:`random_design` build the usual ones. :func:`sweep` evaluates an
objective's :meth:`scores` at every point and noise seed in batches: one compiled function
per batch (``jax.vmap`` on accelerators; ``jax.lax.map`` on CPU, where a vectorised batch is
slower per run than one run at a time), so the cost is one compilation plus the runs.

With ``out_dir`` every finished batch is written (atomically) as it completes and a rerun
skips the batches already there; the folder records a fingerprint of the objective and the
design, and a different sweep into the same folder is refused. With ``client`` (a
``dask.distributed.Client``) each batch is one task (retried when a worker dies); results
are the same as a local sweep.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, logger, validate_type

__all__ = ["grid", "random_design", "sweep", "evaluate_batch"]


def grid(axes=None, **kwargs):
    """Cartesian design: ``grid({"global_coupling": [0.1, 0.2], "noise_sigma": [0.01, 0.02]})``.

    Keyword arguments may be used for paths without dots (``grid(global_coupling=[...])``).
    """
    import pandas as pd

    axes = dict(axes or {})
    axes.update(kwargs)
    if not axes:
        raise ValueError("grid needs at least one parameter path with values.")
    cols, vals = [], []
    for k, v in axes.items():
        arr = np.atleast_1d(np.asarray(v, dtype=float))
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"grid values for {k!r} must be a non-empty 1D sequence, got shape {arr.shape}.")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"grid values for {k!r} must be finite.")
        cols.append(k)
        vals.append(arr)
    rows = list(itertools.product(*vals))
    return pd.DataFrame(rows, columns=cols)


def random_design(bounds, n_points, *, log=(), random_state=0):
    """Uniform random design (``log``: paths sampled log-uniformly) within ``bounds`` path -> (lo, hi)."""
    import pandas as pd

    n_points = check_int(n_points, "n_points", minimum=1)
    rng = np.random.default_rng(random_state)
    out = {}
    for k, (lo, hi) in dict(bounds).items():
        if not float(lo) < float(hi):
            raise ValueError(f"bounds[{k!r}] must satisfy lo < hi, got {(lo, hi)!r}.")
        if k in log:
            if lo <= 0:
                raise ValueError(f"bounds[{k!r}]: log sampling needs lo > 0, got {lo!r}.")
            out[k] = np.exp(rng.uniform(np.log(lo), np.log(hi), n_points))
        else:
            out[k] = rng.uniform(lo, hi, n_points)
    return pd.DataFrame(out)


def _space(objective, paths):
    from .parameters import Parameter, ParameterSpace

    return ParameterSpace(objective.params, [Parameter(p, transform="identity") for p in paths])


def _batch_fn(objective, paths, vectorize):
    space = _space(objective, paths)

    def one(vals, key):
        return objective.scores(space.to_params(vals), key)

    if vectorize:
        f = jax.vmap(one)
    else:
        def f(vals, keys):
            return jax.lax.map(lambda a: one(*a), (vals, keys))
    return jax.jit(f)


_FN_CACHE = {}


def evaluate_batch(objective, paths, values, seeds, vectorize=False):
    """Scores of one batch: ``values`` (b, n_paths) and integer ``seeds`` (b,) -> dict of (b,) arrays."""
    ck = (id(objective), tuple(paths), bool(vectorize))
    fn = _FN_CACHE.get(ck)
    if fn is None or fn[0] is not objective:
        fn = (objective, _batch_fn(objective, paths, vectorize))
        _FN_CACHE.clear()
        _FN_CACHE[ck] = fn
    vals = {p: jnp.asarray(values[:, i]) for i, p in enumerate(paths)}
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds, dtype=jnp.uint32))
    out = fn[1](vals, keys)
    return {k: np.asarray(v) for k, v in out.items()}


def _fingerprint(objective, design, seeds):
    from ..core.digest import array_digest

    leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(objective.params)]
    h = hashlib.sha1()
    h.update(repr(objective).encode())
    h.update(array_digest(*leaves, objective.target.fc, np.asarray(objective.network.delay_steps)).encode())
    h.update(array_digest(design.to_numpy(dtype=float), np.asarray(seeds)).encode())
    h.update(",".join(design.columns).encode())
    return h.hexdigest()


def _remote_batch(objective, paths, values, seeds, vectorize):  # a Dask task (module-level: picklable)
    return evaluate_batch(objective, paths, values, seeds, vectorize)


def sweep(objective, design, *, n_seeds=1, seed=0, batch_size=8, vectorize="auto", out_dir=None, progress=None,
          client=None, retries=2):
    """Evaluate ``objective.scores`` over a design and noise seeds; return a tidy table.

    Parameters
    ----------
    objective : BoldObjective | object with ``params``, ``scores(params, key)``, ``target``
    design : pandas.DataFrame
        Columns are parameter paths; see :func:`grid` / :func:`random_design`.
    n_seeds : int
        Noise realisations per point (seeds ``seed, seed + 1, ...``).
    batch_size : int
        Runs per compiled call (and per Dask task / per file in ``out_dir``).
    vectorize : "auto" | bool
        ``jax.vmap`` the batch (default on GPU/TPU) or ``jax.lax.map`` it (default on CPU).
    out_dir : path-like | None
        Resume folder (see the module docstring).
    progress : bool | None
        tqdm bar (default: when stderr is a terminal).
    client : dask.distributed.Client | None
        Run batches as Dask tasks (retried ``retries`` times on worker failure).

    Returns
    -------
    table : pandas.DataFrame
        One row per (point, seed): the design columns, ``point``, ``seed`` and every score
        (``fc_r``, ``fc_rmse``, ``diverged``, ...).
    """
    import pandas as pd

    validate_type(design, pd.DataFrame, "design", "a pandas DataFrame (see grid / random_design)")
    if len(design) == 0 or len(design.columns) == 0:
        raise ValueError("design has no rows or no parameter columns.")
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    paths = list(design.columns)
    _space(objective, paths)   # validates the paths now, before any run
    if vectorize == "auto":
        vectorize = jax.default_backend() != "cpu"
    pts = np.repeat(np.arange(len(design)), n_seeds)
    seeds = np.tile(seed + np.arange(n_seeds), len(design))
    values = design.to_numpy(dtype=float)[pts]
    batches = [np.arange(i, min(i + batch_size, pts.size)) for i in range(0, pts.size, batch_size)]
    done = {}
    if out_dir is not None:
        done = _open_out_dir(os.fspath(out_dir), _fingerprint(objective, design, seeds), len(batches))
    todo = [b for b in range(len(batches)) if b not in done]
    logger.info("sweep: %d points x %d seeds = %d runs in %d batches (%d already done)", len(design), n_seeds,
                pts.size, len(batches), len(batches) - len(todo))
    bar = _bar(progress, len(batches), len(batches) - len(todo))

    def finish(b, res):
        done[b] = res
        if out_dir is not None:
            _write_batch(os.fspath(out_dir), b, res)
        if bar is not None:
            bar.update(1)

    try:
        if client is None:
            for b in todo:
                idx = batches[b]
                finish(b, evaluate_batch(objective, paths, values[idx], seeds[idx], vectorize))
        else:
            from distributed import as_completed

            futs = {client.submit(_remote_batch, objective, paths, values[batches[b]], seeds[batches[b]], vectorize,
                                  retries=retries, pure=False): b for b in todo}
            for fut in as_completed(list(futs)):
                finish(futs[fut], fut.result())
    finally:
        if bar is not None:
            bar.close()
    cols = {k: np.concatenate([done[b][k] for b in range(len(batches))]) for k in done[0]}
    table = design.iloc[pts].reset_index(drop=True)
    table.insert(0, "point", pts)
    table.insert(1, "seed", seeds)
    for k, v in cols.items():
        table[k] = v
    return table


def _bar(progress, total, initial):
    import sys

    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="sweep batches", unit="batch")


def _open_out_dir(out_dir, fingerprint, n_batches):
    from .._io import atomic_write

    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise NotADirectoryError(f"out_dir {out_dir!r} exists and is not a folder.")
    os.makedirs(out_dir, exist_ok=True)
    meta = os.path.join(out_dir, "sweep.json")
    if os.path.exists(meta):
        with open(meta, encoding="utf-8") as fh:
            try:
                old = json.load(fh)
            except ValueError:
                raise ValueError(f"out_dir {out_dir!r}: sweep.json is corrupt; delete the folder or pass another "
                                 "out_dir.") from None
        if old.get("fingerprint") != fingerprint:
            raise ValueError(f"out_dir {out_dir!r} holds the results of a different sweep (objective, parameters, "
                             "design or seeds differ); pass another out_dir or delete it.")
    else:
        with atomic_write(meta, "w") as fh:
            json.dump({"fingerprint": fingerprint, "n_batches": n_batches}, fh)
    done = {}
    for b in range(n_batches):
        f = os.path.join(out_dir, f"batch-{b:05d}.npz")
        if os.path.exists(f):
            try:
                with np.load(f) as z:
                    done[b] = {k: z[k] for k in z.files}
            except (OSError, ValueError, EOFError) as err:
                logger.warning("sweep: %s is unreadable (%s); recomputing that batch", f, err)
    return done


def _write_batch(out_dir, b, res):
    from .._io import atomic_write

    with atomic_write(os.path.join(out_dir, f"batch-{b:05d}.npz")) as fh:
        np.savez(fh, **res)
