"""Host-side simulation driver: validation, chunked runs, sweeps, checkpoints, progress.

:func:`simulate` runs the pure kernel of :mod:`.engine` chunk by chunk: only
monitor samples come back to the host, so memory does not grow with duration
beyond the outputs. :func:`make_simulator` returns the same computation as one
pure function for ``jax.grad`` / ``jax.vmap`` (fitting and sweeps).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import time
from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, check_positive, logger, use_log_level, validate_type
from ..result import MonitorOutput, SimulationResult
from .engine import Plan, choose_block, connectivity_arrays, initial_carry, make_block_fn, make_chunk_fn, ring_length
from .integrators import get_integrator
from .models.base import NeuralMass
from .noise import Noise
from .stimulus import build_stimulus_fn, stimulus_onsets_s


class SimulationDivergedError(RuntimeError):
    """Raised when the state becomes non-finite; carries the report and the partial result.

    Attributes
    ----------
    step : int
        First integration step (1-based: the state after ``step`` steps) that was non-finite.
    time_ms : float
        Its time.
    region : str
        Name of the first non-finite region at that step.
    partial_result : SimulationResult
        Outputs recorded up to the end of the chunk that diverged.
    """

    def __init__(self, message, step, time_ms, region, partial_result):
        super().__init__(message)
        self.step = step
        self.time_ms = time_ms
        self.region = region
        self.partial_result = partial_result


# ----------------------------------------------------------------------------------
# Setup shared by simulate() and make_simulator()
# ----------------------------------------------------------------------------------
@dataclasses.dataclass(eq=False)
class _Setup:
    plan: Plan
    theta: dict
    x0: np.ndarray
    built: list
    n_steps: int
    chunk_steps: int
    integrator: object
    noise: object
    stimulus: object
    key: object
    cache_key: tuple


_FN_CACHE: OrderedDict = OrderedDict()
_FN_CACHE_SIZE = 16


def _as_key(key):
    if key is None:
        key = 0
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        seed = int(key)
        if 0 <= seed < 2**32:  # == jax.random.PRNGKey(seed) (threefry: [0, seed]) without a device call
            return np.array([0, seed], dtype=np.uint32)
        return jax.random.PRNGKey(seed)
    arr = jnp.asarray(key)
    if jnp.issubdtype(arr.dtype, jax.dtypes.prng_key):
        return jax.random.key_data(arr)
    if arr.shape != (2,) or arr.dtype != jnp.uint32:
        raise TypeError(f"key must be an int seed or a jax.random.PRNGKey (uint32[2]), got {type(key).__name__} "
                        f"with shape {getattr(arr, 'shape', None)}.")
    return arr


def _n_steps(duration_ms, dt_ms):
    duration_ms = check_positive(duration_ms, "duration_ms")
    ratio = duration_ms / dt_ms
    n = int(round(ratio))
    if n < 1 or abs(ratio - n) > 1e-6 * max(1.0, ratio):
        raise ValueError(f"duration_ms ({duration_ms:g}) must be a whole number of integration steps of dt={dt_ms:g} ms "
                         f"(it is {ratio:.6g} steps).")
    return n


def _initial_state(initial_state, model, n_regions, seed):
    if initial_state is None:
        return np.asarray(model.initial_state(n_regions, rng=seed), dtype=float)
    x0 = np.asarray(initial_state, dtype=float)
    v = model.n_state_variables
    if x0.shape == (v,):
        x0 = np.repeat(x0[:, None], n_regions, axis=1)
    if x0.shape != (v, n_regions):
        raise ValueError(f"initial_state must have shape ({v}, {n_regions}) (n_state_variables, n_regions) or ({v},), "
                         f"got {x0.shape}.")
    if not np.all(np.isfinite(x0)):
        raise ValueError("initial_state must be finite.")
    return x0


def _lcm(values):
    out = 1
    for v in values:
        out = out * int(v) // math.gcd(out, int(v))
    return out


def _setup(network, model, *, duration_ms, integrator, noise, monitors, stimulus, initial_state, key, chunk_ms,
           block_cap=32, unroll=1):
    from ..monitors.base import MonitorContext, as_monitor_list
    from ..network import Network

    validate_type(network, Network, "network")
    validate_type(model, NeuralMass, "model", "a NeuralMass model (e.g. mne_nmm.models.Hopf())")
    integrator = get_integrator(integrator)
    if noise is not None:
        validate_type(noise, Noise, "noise", "a Noise (e.g. mne_nmm.AdditiveNoise(sigma=1e-3))")
        if not integrator.stochastic:
            raise ValueError(f"noise was given but integrator {integrator.name!r} is deterministic; use "
                             f"integrator='stochastic_heun' or 'euler_maruyama'.")
    dt = network.dt_ms
    n_steps = _n_steps(duration_ms, dt)
    n = network.n_regions
    mons = as_monitor_list(monitors)
    ctx = MonitorContext(model=model, dt_ms=dt, n_regions=n, region_names=network.region_names)
    built = [m.build(ctx) for m in mons]
    for m, b in zip(mons, built):
        b.info.setdefault("spec", repr(m))
    coupling = network.coupling
    cvar = model.cvar_indices
    if not cvar:
        raise ValueError(f"{type(model).__name__} declares no coupled_variables; it cannot be simulated in a network.")
    n_feat = coupling.n_features(len(cvar))
    src, dly, w, w_instant, has_delayed = connectivity_arrays(network.weights, network.delay_steps)
    periods = [b.period_steps for b in built]
    block = choose_block(network.min_delay_steps if has_delayed else 0, periods, cap=block_cap)
    ring = ring_length(network.max_delay_steps) if has_delayed else 0
    noise_idx = None
    sigma = None
    if noise is not None:
        noise_idx = noise.resolve_variables(model)
        noise.check(len(noise_idx), n)
        sigma = noise.sigma_array(len(noise_idx), n)
    plan = Plan(n_regions=n, n_vars=model.n_state_variables, cvar=tuple(cvar), n_feat=n_feat, block=block, ring=ring,
                n_slots=src.shape[1], has_delayed=has_delayed, has_instant=w_instant is not None,
                noise_idx=noise_idx, dt=dt, unroll=(block if unroll is True else int(unroll) if unroll else 1))
    stim_fn = build_stimulus_fn(stimulus, model, network.region_names, dt)
    # Chunks must start on a multiple of every monitor period (static sample positions) and of the block.
    base = _lcm(periods + [block])
    target = max(1, int(round((1000.0 if chunk_ms is None else check_positive(chunk_ms, "chunk_ms")) / dt)))
    chunk_steps = base * max(1, target // base)
    x0 = _initial_state(initial_state, model, n, _seed_from_key(key))
    sigma_full = None
    if sigma is not None:
        sigma_np = np.asarray(sigma)
        sigma_full = np.zeros((model.n_state_variables, n), dtype=np.dtype(_float()))
        sigma_full[np.asarray(noise_idx)] = sigma_np
        sigma_full = jnp.asarray(sigma_full)
    theta = {"model": model, "coupling": coupling, "G": jnp.asarray(network.global_coupling, dtype=_float()),
             "rowsum": jnp.asarray(network.weights.sum(axis=1)), "w": jnp.asarray(w),
             "w_instant": None if w_instant is None else jnp.asarray(w_instant), "sigma_full": sigma_full}
    cache_key = (plan, type(model), integrator, type(noise), type(coupling),
                 jax.tree_util.tree_structure(coupling), tuple(_monitor_key(m) for m in mons),
                 None if stim_fn is None else _stimulus_key(stimulus), _digest(src, dly), chunk_steps)
    setup = _Setup(plan=plan, theta=theta, x0=x0, built=built, n_steps=n_steps, chunk_steps=chunk_steps,
                   integrator=integrator, noise=noise, stimulus=stimulus, key=_as_key(key), cache_key=cache_key)
    setup.parts = (stim_fn, src, dly)
    return setup


def _axes_for(obj, batched):
    """in_axes pytree for a pytree dataclass: 0 for the fields in ``batched``, None elsewhere.

    Built by unflattening (not by constructing the class), so parameter validation never sees the 0s.
    """
    fields = [f.name for f in dataclasses.fields(obj) if not f.metadata.get("static", False)]
    leaves_tree = jax.tree_util.tree_structure(obj)
    values = [0 if name in batched else None for name in fields]
    return jax.tree_util.tree_unflatten(leaves_tree, values)


def _no_axes(theta):
    return jax.tree_util.tree_map(lambda _: None, theta, is_leaf=lambda v: v is None)


def _axes_key(axes):
    leaves, tree = jax.tree_util.tree_flatten(axes, is_leaf=lambda v: v is None)
    return (str(tree), tuple(leaves))


def _chunk_fn(s, axes, *, jit=True):
    """The (cached) compiled chunk function for a setup and a batching pattern of theta."""
    def build():
        stim_fn, src, dly = s.parts
        blk = make_block_fn(s.plan, s.integrator, s.noise, s.built, stim_fn, src, dly, axes)
        fn = make_chunk_fn(blk, s.built, s.plan, axes)
        return jax.jit(fn, static_argnums=(2, 3)) if jit else fn

    return _cached((s.cache_key, _axes_key(axes), jit), build)


def _cached(key, build):
    """Least-recently-used cache of built (jitted) functions, keyed by configuration content."""
    fn = _FN_CACHE.get(key)
    if fn is None:
        fn = _FN_CACHE[key] = build()
        while len(_FN_CACHE) > _FN_CACHE_SIZE:
            _FN_CACHE.popitem(last=False)
    else:
        _FN_CACHE.move_to_end(key)
    return fn


def _init_fn(s, axes):
    """The (cached) jitted ``initial_carry`` for a setup and a batching pattern (one compilation, not dozens of
    eager operations)."""
    plan, built = s.plan, s.built
    return _cached((s.cache_key, _axes_key(axes), "init"),
                   lambda: jax.jit(lambda x0, theta, keys: initial_carry(plan, x0, theta, axes, built, keys)))


def _seed_from_key(key):
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    return int(np.asarray(_as_key(key)).sum() % (2**31))


def _monitor_key(m):
    fn = getattr(m, "cache_key", None)
    if fn is not None:
        return fn()
    return (type(m), id(m))


def _stimulus_key(stimulus):
    from .stimulus import Stimulus

    items = [stimulus] if isinstance(stimulus, Stimulus) else list(stimulus)
    return tuple(s.cache_key() for s in items)


def _digest(*arrays):
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------------
# Sweeps (batched parameters / ensembles)
# ----------------------------------------------------------------------------------
def _apply_sweep(theta, sweep):
    """Return (theta with batched leaves, in_axes pytree, batch size)."""
    if not sweep:
        return theta, _no_axes(theta), None
    if not isinstance(sweep, dict):
        raise TypeError(f"sweep must be a dict mapping parameter names to 1D arrays, got {type(sweep).__name__}.")
    sizes = {}
    batched = {}
    for name, values in sweep.items():
        arr = np.asarray(values, dtype=float)
        if arr.ndim < 1 or arr.shape[0] < 1:
            raise ValueError(f"sweep[{name!r}] must be an array with a leading batch axis, got shape {arr.shape}.")
        sizes[name] = arr.shape[0]
        batched[name] = arr
    if len(set(sizes.values())) != 1:
        raise ValueError(f"all sweep arrays must have the same length, got {sizes}.")
    nb = next(iter(sizes.values()))
    theta = dict(theta)
    axes = _no_axes(theta)
    model_axes = {}
    coupling_axes = {}
    for name, arr in batched.items():
        if name == "global_coupling":
            theta["G"] = jnp.asarray(arr)
            axes["G"] = 0
        elif name == "noise.sigma":
            if theta["sigma_full"] is None:
                raise ValueError("sweep over 'noise.sigma' needs noise=... to be given.")
            if arr.ndim != 1:
                raise ValueError(f"sweep['noise.sigma'] must be 1D (one amplitude per run), got shape {arr.shape}.")
            mask = (theta["sigma_full"] != 0).astype(theta["sigma_full"].dtype)  # the noisy variables
            theta["sigma_full"] = jnp.asarray(arr, dtype=mask.dtype)[:, None, None] * mask[None]
            axes["sigma_full"] = 0
        elif name.startswith("model."):
            p = name[len("model."):]
            if p not in theta["model"].parameters():
                raise ValueError(f"sweep names model parameter {p!r}, but {type(theta['model']).__name__} has "
                                 f"{sorted(theta['model'].parameters())}.")
            model_axes[p] = jnp.asarray(arr)
        elif name.startswith("coupling."):
            p = name[len("coupling."):]
            names = [f.name for f in dataclasses.fields(theta["coupling"])]
            if p not in names:
                raise ValueError(f"sweep names coupling parameter {p!r}, but {type(theta['coupling']).__name__} has {names}.")
            coupling_axes[p] = jnp.asarray(arr)
        else:
            raise ValueError(f"sweep keys must be 'global_coupling', 'noise.sigma', 'model.<param>' or "
                             f"'coupling.<param>', got {name!r}.")
    if model_axes:
        m = theta["model"]
        theta["model"] = m.replace(**model_axes)
        axes["model"] = _axes_for(m, model_axes)
    if coupling_axes:
        c = theta["coupling"]
        theta["coupling"] = dataclasses.replace(c, **coupling_axes)
        axes["coupling"] = _axes_for(c, coupling_axes)
    return theta, axes, nb


# ----------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------
def simulate(network, model, *, duration_ms, integrator="heun", noise=None, monitors=None, stimulus=None,
             initial_state=None, key=0, sweep=None, n_trials=None, chunk_ms=None, checkpoint=None, progress=None,
             on_divergence="raise", max_memory_gb=None, batch_mode="auto", n_jobs=None, verbose=None):
    """Simulate a network of neural masses.

    Parameters
    ----------
    network : Network
        Connectome, coupling, global coupling strength, conduction speed and ``dt_ms``.
    model : NeuralMass
        Node model with its parameters (scalars or one value per region).
    duration_ms : float
        Simulated time; must be a whole number of steps.
    integrator : str | Integrator
        ``"euler"``, ``"heun"``, ``"rk4"`` (deterministic) or ``"euler_maruyama"``,
        ``"stochastic_heun"`` (with ``noise``).
    noise : Noise | None
        :class:`~mne_nmm.AdditiveNoise` or :class:`~mne_nmm.MultiplicativeNoise`.
    monitors : Monitor | list of Monitor | None
        What to record (default ``Subsample(period_ms=1.0)`` of the model's default output).
    stimulus : Stimulus | list of Stimulus | None
        External input added to the derivatives.
    initial_state : array, shape (n_state_variables, n_regions) or (n_state_variables,) | None
        ``x(0)``; the delay history before 0 equals it. Default: the model's
        default plus a small seeded perturbation.
    key : int | jax PRNGKey
        Randomness for the noise (same key, same bits).
    sweep : dict | None
        Batched parameters, e.g. ``{"global_coupling": np.linspace(0, 0.3, 32)}`` or
        ``{"model.a": values}``, ``{"coupling.cmax": values}``, ``{"noise.sigma": values}``;
        all arrays share one leading batch length.
    n_trials : int | None
        Ensemble of independent noise realisations (keys split from ``key``). With a
        ``sweep`` of length B each parameter set gets its own key; ``n_trials`` alone
        runs ``n_trials`` copies.
    chunk_ms : float | None
        Simulated time per device call (default ~1000 ms, rounded to whole monitor periods).
    checkpoint : path-like | None
        File where the run state and finished outputs are saved after chunks; an
        interrupted run given the same file resumes from the last finished chunk with
        a bit-identical final result. Removed when the run completes.
    progress : bool | None
        Show a progress bar (default: when the run has several chunks and stderr is a terminal).
    on_divergence : {"raise", "warn"}
        What to do when the state becomes non-finite: raise :class:`SimulationDivergedError`
        (carrying the partial result), or warn and return the partial result.
    max_memory_gb : float | None
        Refuse runs whose outputs and buffers exceed this (default: 80% of physical memory).
    batch_mode : {"auto", "vectorized", "sequential"}
        How the runs of a sweep / ensemble execute. ``"vectorized"``: the runs of a group advance
        together in one device call (the delayed input of all of them is one fused gather, and every
        step's element-wise update covers all of them); ``"sequential"``: one compiled single-run
        kernel applied to each run in turn. ``"auto"`` (the default) is ``"vectorized"``: it is the
        faster mode on CPUs too (W3: 32 runs on 2 cores ~1.6x faster than sequential). On a CPU a
        group holds at most 16 runs (larger groups fall out of the caches). Results are identical
        up to float rounding. With a checkpoint, sequential runs use one file per run.
    n_jobs : int | None
        Groups of runs executed concurrently, in threads (XLA releases the GIL): the runs are split
        into at least ``n_jobs`` groups (one run each when sequential). Default: the number of CPU
        cores available to this process on the CPU backend, 1 on accelerators. Results do not
        depend on it (each run keeps its own key). With a checkpoint and several groups, each group
        uses its own file.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    result : SimulationResult
        ``result[name]`` is a :class:`~mne_nmm.result.MonitorOutput` with time-major data
        ``(n_times, n_variables, n_regions)`` (a leading batch axis is added for sweeps/trials).
    """
    with use_log_level(verbose):
        return _simulate(network, model, duration_ms=duration_ms, integrator=integrator, noise=noise,
                         monitors=monitors, stimulus=stimulus, initial_state=initial_state, key=key, sweep=sweep,
                         n_trials=n_trials, chunk_ms=chunk_ms, checkpoint=checkpoint, progress=progress,
                         on_divergence=on_divergence, max_memory_gb=max_memory_gb, batch_mode=batch_mode,
                         n_jobs=n_jobs)


def _simulate(network, model, *, duration_ms, integrator, noise, monitors, stimulus, initial_state, key, sweep,
              n_trials, chunk_ms, checkpoint, progress, on_divergence, max_memory_gb, batch_mode, n_jobs):
    if batch_mode not in ("auto", "vectorized", "sequential"):
        raise ValueError(f"batch_mode must be 'auto', 'vectorized' or 'sequential', got {batch_mode!r}.")
    if on_divergence not in ("raise", "warn"):
        raise ValueError(f"on_divergence must be 'raise' or 'warn', got {on_divergence!r}.")
    s = _setup(network, model, duration_ms=duration_ms, integrator=integrator, noise=noise, monitors=monitors,
               stimulus=stimulus, initial_state=initial_state, key=key, chunk_ms=chunk_ms)
    theta, axes, nb = _apply_sweep(s.theta, sweep)
    keys = None
    if n_trials is not None:
        n_trials = check_int(n_trials, "n_trials", minimum=1)
        if nb is not None and n_trials != nb:
            raise ValueError(f"n_trials ({n_trials}) must equal the sweep length ({nb}) when both are given.")
        nb = n_trials
        keys = np.asarray(jax.random.split(s.key, n_trials))
    est = estimate_memory(s, batch=nb or 1)
    limit = (max_memory_gb * 2**30) if max_memory_gb is not None else 0.8 * _physical_memory()
    if est["total_bytes"] > limit:
        raise MemoryError(
            f"This run needs about {est['total_bytes'] / 2**30:.2f} GiB (outputs {est['outputs_bytes'] / 2**30:.2f} GiB, "
            f"per-chunk work {est['chunk_bytes'] / 2**30:.2f} GiB), more than the limit of {limit / 2**30:.2f} GiB. "
            f"Record fewer variables, use longer monitor periods, a shorter duration or a smaller chunk_ms.")
    x0 = np.asarray(s.x0, dtype=_float())
    if keys is None:
        keys = np.broadcast_to(np.asarray(s.key), (nb or 1, 2))
    if batch_mode == "auto":
        batch_mode = "vectorized"
    if nb is None:
        carry = _init_fn(s, axes)(x0, theta, keys)
        return _drive(s, _chunk_fn(s, axes), carry, theta, nb, network, model, checkpoint, progress, on_divergence,
                      duration_ms)
    n_jobs = _resolve_n_jobs(n_jobs, nb)
    if batch_mode == "sequential":
        groups = [[i] for i in range(nb)]
    else:
        n_groups = n_jobs
        if jax.default_backend() == "cpu":  # bounded groups keep each group's delay buffer in cache
            n_groups = max(n_groups, math.ceil(nb / _CPU_GROUP_RUNS))
        groups = [list(g) for g in np.array_split(np.arange(nb), n_groups)]
    return _run_groups(s, x0, theta, axes, keys, nb, groups, batch_mode, n_jobs, network, model, checkpoint,
                       progress, on_divergence, duration_ms)


# On a CPU, a vectorized group of more runs than this is slower per run (its delay buffer,
# (F N, L + B + 1, runs), falls out of the caches: 32 runs of W3 in one group take 2.3x longer than in
# two groups of 16).
_CPU_GROUP_RUNS = 16


def _resolve_n_jobs(n_jobs, nb):
    if n_jobs is None:
        if jax.default_backend() != "cpu":
            return 1
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover
            cores = os.cpu_count() or 1
        return max(1, min(cores, nb))
    return min(check_int(n_jobs, "n_jobs", minimum=1), nb)


def _run_groups(s, x0, theta, axes, keys, nb, groups, batch_mode, n_jobs, network, model, checkpoint, progress,
                on_divergence, duration_ms):
    """Run the runs of a batch in groups (one run each when sequential), ``n_jobs`` groups at a time in threads.

    Each group is driven like a single simulation (chunks, checkpoint file, divergence report); the
    results are concatenated in run order.
    """
    single = batch_mode == "sequential"
    g_axes = _no_axes(s.theta) if single else axes
    run_chunk = _chunk_fn(s, g_axes)
    is_leaf = lambda v: v is None  # noqa: E731
    n_chunks = math.ceil(s.n_steps / s.chunk_steps)
    use_bar = progress if progress is not None else (n_chunks * len(groups) > 3 and _stderr_tty())
    bar = None
    if use_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=nb * s.n_steps * network.dt_ms / 1000.0, unit="s sim", desc=f"simulate ({nb} runs)",
                   leave=False)
    tag = "run" if single else "group"

    def one(gi):
        idx = np.asarray(groups[gi])
        sel = idx[0] if single else idx
        theta_g = jax.tree_util.tree_map(lambda leaf, ax: leaf if ax is None else leaf[sel], theta, axes,
                                         is_leaf=is_leaf)
        carry = _init_fn(s, g_axes)(x0, theta_g, keys[idx])
        whole = len(groups) == 1
        ckpt = None if checkpoint is None else (os.fspath(checkpoint) if whole else f"{os.fspath(checkpoint)}.{tag}{gi}.npz")
        return _drive(s, run_chunk, carry, theta_g, None if single else len(idx), network, model, ckpt, False,
                      on_divergence, duration_ms, bar=bar, bar_runs=len(idx))

    try:
        if n_jobs > 1 and len(groups) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="mne_nmm") as ex:
                futures = [ex.submit(one, gi) for gi in range(len(groups))]
                outcomes = []
                for f in futures:
                    try:
                        outcomes.append(f.result())
                    except SimulationDivergedError as err:
                        outcomes.append(err)
        else:
            outcomes = []
            for gi in range(len(groups)):
                try:
                    outcomes.append(one(gi))
                except SimulationDivergedError as err:
                    outcomes.append(err)
                    break
    finally:
        if bar is not None:
            bar.close()
    for gi, out in enumerate(outcomes):
        if isinstance(out, SimulationDivergedError):
            first_run = groups[gi][0]
            where = f"Run {first_run} of the batch" if single else f"Runs {groups[gi][0]}-{groups[gi][-1]} of the batch"
            raise SimulationDivergedError(f"{where}: {out}", out.step, out.time_ms, out.region,
                                          out.partial_result) from None
    return _merge_results(outcomes, nb, single, batch_mode, n_jobs)


def _merge_results(results, nb, single, batch_mode, n_jobs):
    """Concatenate per-group results (leading run axis) in run order."""
    join = np.stack if single else np.concatenate
    first = results[0]
    outputs = {name: dataclasses.replace(out, data=join([r.outputs[name].data for r in results]))
               for name, out in first.outputs.items()}
    info = dict(first.info, batch=nb, batch_mode=batch_mode, n_jobs=n_jobs, n_groups=len(results),
                wall_time_s=max(r.info["wall_time_s"] for r in results) if n_jobs > 1 else
                sum(r.info["wall_time_s"] for r in results))
    divs = [r.info.get("divergence") for r in results]
    if any(divs):
        info["divergence"] = next(d for d in divs if d)
    return dataclasses.replace(first, outputs=outputs, final_state=join([r.final_state for r in results]), info=info)


def _float():
    return jnp.zeros(()).dtype


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 16 * 2**30


def _n_samples(n_steps, period):
    return n_steps // period


def estimate_memory(setup_or_network, model=None, *, batch=1, **kwargs):
    """Estimate the memory of a run (like TVB's ``memory_requirement``).

    Parameters
    ----------
    setup_or_network : Network
        The network (or an internal setup object).
    model : NeuralMass
        The model.
    batch : int
        Number of runs batched together (sweeps/trials).
    **kwargs
        The :func:`simulate` arguments ``duration_ms``, ``monitors``, ``noise``, ``integrator``...

    Returns
    -------
    estimate : dict
        ``outputs_bytes`` (the recorded samples), ``buffer_bytes`` (delay ring and
        state), ``chunk_bytes`` (per-chunk transients on the device) and ``total_bytes``.
    """
    if isinstance(setup_or_network, _Setup):
        s = setup_or_network
    else:
        kw = dict(integrator="heun", noise=None, monitors=None, stimulus=None, initial_state=None, key=0, chunk_ms=None)
        kw.update(kwargs)
        if kw["noise"] is not None and kw["integrator"] == "heun":
            kw["integrator"] = "stochastic_heun"
        s = _setup(setup_or_network, model, **kw)
    item = np.dtype(_float()).itemsize
    plan = s.plan
    out_bytes = 0
    raw_per_step = 0
    for b in s.built:
        n_samp = _n_samples(s.n_steps, b.period_steps)
        out_bytes += n_samp * int(np.prod(b.sample_shape or (1,))) * item
        raw_per_step += int(np.prod(b.sample_shape or (1,))) * item
    buf = plan.ring * plan.n_feat * plan.n_regions * item + plan.n_vars * plan.n_regions * item
    gather = plan.block * plan.n_feat * plan.n_regions * plan.n_slots * (item + 4) * 2 if plan.has_delayed else 0
    noise = 0
    if plan.noise_idx is not None:  # drawn per chunk for a single run, per block for batches (engine.make_chunk_fn)
        noise_steps = min(s.chunk_steps, s.n_steps) if batch == 1 else plan.block
        noise = 2 * noise_steps * plan.n_vars * plan.n_regions * item
    chunk = min(s.chunk_steps, s.n_steps) * raw_per_step + gather + noise
    total = batch * (out_bytes * 2 + buf + chunk)
    return {"outputs_bytes": batch * out_bytes, "buffer_bytes": batch * buf, "chunk_bytes": batch * chunk,
            "total_bytes": total}


def _drive(s, run_chunk, carry, theta, nb, network, model, checkpoint, progress, on_divergence, duration_ms, *,
           bar=None, bar_runs=1):
    n_steps, chunk_steps, B = s.n_steps, s.chunk_steps, s.plan.block
    n_chunks = math.ceil(n_steps / chunk_steps)
    fp = _fingerprint(s, theta, nb) if checkpoint is not None else None
    lead = (nb or 1,)
    buffers = []
    for b in s.built:
        shape = lead + (_n_samples(n_steps, b.period_steps),) + tuple(b.sample_shape)
        buffers.append(np.empty(shape, dtype=np.dtype(_float())))
    filled = [0] * len(s.built)
    done = 0
    if checkpoint is not None and os.path.exists(checkpoint):
        carry, done, filled = _load_checkpoint(checkpoint, fp, carry, buffers)
        logger.info("Resuming from checkpoint %s at step %d/%d", checkpoint, done, n_steps)
    own_bar = bar is None and (progress if progress is not None else (n_chunks > 3 and _stderr_tty()))
    if own_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_steps * network.dt_ms / 1000.0, initial=done * network.dt_ms / 1000.0, unit="s sim",
                   desc="simulate", leave=False)
    elif bar is not None and done:
        bar.update(bar_runs * done * network.dt_ms / 1000.0)
    t_start = time.perf_counter()
    last_ckpt = time.perf_counter()
    diverged = None
    try:
        while done < n_steps:
            steps = min(chunk_steps, n_steps - done)
            carry, outs = run_chunk(carry, theta, steps // B, steps % B)
            outs = jax.device_get(outs)
            for i, o in enumerate(outs):
                k = o.shape[len(lead)]
                if k:
                    buffers[i][(slice(None),) * len(lead) + (slice(filled[i], filled[i] + k),)] = o
                    filled[i] += k
            done += steps
            if bar is not None:
                bar.update(bar_runs * steps * network.dt_ms / 1000.0)
            bad_step = np.asarray(carry[4][0])
            if np.any(bad_step >= 0):
                diverged = (np.asarray(carry[4][0]), np.asarray(carry[4][1]))
                break
            if checkpoint is not None and done < n_steps and time.perf_counter() - last_ckpt >= _CKPT_INTERVAL_S:
                _save_checkpoint(checkpoint, fp, carry, done, buffers, filled)
                last_ckpt = time.perf_counter()
    finally:
        if own_bar:
            bar.close()
    elapsed = time.perf_counter() - t_start
    outputs = {}
    for b, buf, nf in zip(s.built, buffers, filled):
        data = buf[:, :nf]
        if nb is None:
            data = data[0]
        period_s = b.period_steps * network.dt_ms / 1000.0
        times = period_s * np.arange(1, nf + 1)
        outputs[b.name] = MonitorOutput(
            name=b.name, times_s=times, data=data, sfreq_hz=1.0 / period_s, variable_names=b.variable_names,
            channel_names=b.channel_names, time_stamp=b.time_stamp, window_s=b.window_steps * network.dt_ms / 1000.0,
            units=b.units, info=dict(b.info))
    info = {"integrator": s.integrator.name, "noise": repr(s.noise), "block_steps": B, "chunk_steps": chunk_steps,
            "ring_rows": s.plan.ring, "steps_done": done, "wall_time_s": elapsed, "batch": nb,
            "key": np.asarray(s.key).tolist()}
    final = np.asarray(carry[0])
    result = SimulationResult(outputs=outputs, final_state=final[0] if nb is None else final, dt_ms=network.dt_ms,
                              duration_ms=done * network.dt_ms, model=model, network=network,
                              stimulus_onsets_s=stimulus_onsets_s(s.stimulus, duration_ms), info=info)
    if diverged is not None:
        step_arr, reg_arr = diverged
        flat = np.atleast_1d(step_arr)
        b_i = int(np.argmax(flat >= 0))
        step = int(flat[b_i])
        region = network.region_names[int(np.atleast_1d(reg_arr)[b_i])]
        batch_txt = f" (run {b_i} of the batch)" if nb is not None else ""
        msg = (f"Simulation diverged{batch_txt}: the state became non-finite at step {step} (t = {step * network.dt_ms:g} ms), "
               f"first in region {region!r}. Reduce dt_ms, the coupling or the noise, or check the parameters. "
               f"Outputs up to t = {done * network.dt_ms:g} ms are in the error's partial_result.")
        info["divergence"] = {"step": step, "time_ms": step * network.dt_ms, "region": region}
        if on_divergence == "raise":
            raise SimulationDivergedError(msg, step, step * network.dt_ms, region, result)
        import warnings

        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        return result
    if checkpoint is not None and os.path.exists(checkpoint):
        os.remove(checkpoint)
    logger.info("Simulated %g ms (%d steps, %d chunks of %d steps, block %d) in %.2f s", done * network.dt_ms, done,
                n_chunks, chunk_steps, B, elapsed)
    return result


_CKPT_INTERVAL_S = 10.0


def _stderr_tty():
    import sys

    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # pragma: no cover
        return False


def _fingerprint(s, theta, nb):
    h = hashlib.sha1()
    h.update(repr(s.cache_key).encode())
    for leaf in jax.tree_util.tree_leaves(theta):
        a = np.asarray(leaf)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    h.update(np.asarray(s.x0).tobytes())
    h.update(np.asarray(s.key).tobytes())
    h.update(f"{s.n_steps}/{nb}/{repr(s.stimulus)}".encode())
    return h.hexdigest()


def _save_checkpoint(path, fp, carry, done, buffers, filled):
    leaves = jax.tree_util.tree_leaves(carry)
    arrays = {f"carry_{i}": np.asarray(v) for i, v in enumerate(leaves)}
    for i, (b, nf) in enumerate(zip(buffers, filled)):
        arrays[f"out_{i}"] = b[..., :nf, :, :] if b.ndim >= 3 else b
    tmp = f"{path}.tmp.npz"
    np.savez(tmp, fingerprint=np.array(fp), done=np.array(done), filled=np.array(filled), **arrays)
    os.replace(tmp, path)


def _load_checkpoint(path, fp, carry, buffers):
    with np.load(path, allow_pickle=False) as z:
        if str(z["fingerprint"]) != fp:
            raise ValueError(f"checkpoint {os.fspath(path)!r} was written by a different simulation (other network, "
                             f"model, parameters, monitors, key or duration); delete it or pass another checkpoint path.")
        leaves, treedef = jax.tree_util.tree_flatten(carry)
        new = [jnp.asarray(z[f"carry_{i}"], dtype=leaves[i].dtype) for i in range(len(leaves))]
        filled = [int(v) for v in z["filled"]]
        for i, nf in enumerate(filled):
            buffers[i][..., :nf, :, :] = z[f"out_{i}"]
        return jax.tree_util.tree_unflatten(treedef, new), int(z["done"]), filled


def make_simulator(network, model, *, duration_ms, integrator="heun", noise=None, monitors=None, stimulus=None,
                   initial_state=None, chunk_ms=None, remat=True):
    """Return the whole simulation as one pure function for ``jax.grad`` / ``jax.vmap``.

    Parameters
    ----------
    network, model, duration_ms, integrator, noise, monitors, stimulus, initial_state, chunk_ms
        As in :func:`simulate`.
    remat : bool
        Rematerialise each chunk in the backward pass (memory ~ one chunk instead of
        the whole run when differentiating).

    Returns
    -------
    run : callable
        ``run(theta, key, x0=None) -> dict name -> array (n_samples, n_variables, n_channels)``;
        pure and jittable; differentiable with respect to ``theta``.
    theta : dict
        Default parameters: ``theta["model"]`` (the model pytree), ``theta["G"]`` (global
        coupling), ``theta["coupling"]``, ``theta["sigma_full"]`` (noise amplitude per state variable and region, or None),
        ``theta["w"]`` (padded connection weights) and ``theta["rowsum"]``.

    Examples
    --------
    >>> run, theta = make_simulator(net, Hopf(), duration_ms=2000, monitors=[Subsample(10.0)])
    >>> loss = lambda G: jnp.mean(run({**theta, "G": G}, key)["subsample"] ** 2)
    >>> jax.grad(loss)(0.2)
    """
    s = _setup(network, model, duration_ms=duration_ms, integrator=integrator, noise=noise, monitors=monitors,
               stimulus=stimulus, initial_state=initial_state, key=0, chunk_ms=chunk_ms)
    axes = _no_axes(s.theta)
    chunk = _chunk_fn(s, axes, jit=False)
    B = s.plan.block
    n_full, rest = divmod(s.n_steps, s.chunk_steps)
    names = [b.name for b in s.built]
    x0_default = jnp.asarray(s.x0, dtype=_float())

    def run(theta, key, x0=None):
        keys = _as_key(key)[None]
        x0_ = x0_default if x0 is None else jnp.asarray(x0)
        carry = initial_carry(s.plan, x0_, theta, axes, s.built, keys)
        step_chunk = (lambda c, t: chunk(c, t, s.chunk_steps // B, s.chunk_steps % B))
        if remat:
            step_chunk = jax.checkpoint(step_chunk)
        outs_list = []
        if n_full:
            carry, outs = jax.lax.scan(lambda c, _: step_chunk(c, theta), carry, None, length=n_full)
            outs_list.append([jnp.moveaxis(o, 0, 1).reshape((1, -1) + o.shape[3:]) for o in outs])
        if rest:
            carry, outs = chunk(carry, theta, rest // B, rest % B)
            outs_list.append(list(outs))
        merged = [jnp.concatenate([ol[i] for ol in outs_list], axis=1)[0] for i in range(len(names))]
        return dict(zip(names, merged))

    return run, dict(s.theta)
