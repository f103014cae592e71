"""``simulate`` and ``make_simulator``: short compositions of setup, batch, memory and driver."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor

import jax
import numpy as np

from .._validate import check_int, check_option, use_log_level
from ..core.kernel import REMAT_MODES, saved_delayed_bytes
from . import batch, memory
from .checks import run_checks
from .driver import SimulationDivergedError, drive
from .setup import Setup, as_key, check_run_args, float_dtype, prepare

__all__ = ["simulate", "make_simulator", "estimate_memory", "SAVE_DELAYED_MAX_BYTES"]

#: Largest store of delayed sums ``make_simulator(remat="auto")`` keeps for a gradient.
SAVE_DELAYED_MAX_BYTES = 2**30


def _remat_mode(remat, plan, n_steps, itemsize):
    """The kernel's remat mode for ``make_simulator``'s ``remat`` argument (see its docstring)."""
    if remat is True:
        return "chunks"
    if remat is False:
        return "none"
    check_option("remat", remat, ("auto",) + REMAT_MODES)
    if remat != "auto":
        return remat
    size = saved_delayed_bytes(plan, n_steps, itemsize)
    if 0 < size <= min(SAVE_DELAYED_MAX_BYTES, memory.available_memory() // 4):
        return "save_delayed"
    return "chunks"


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
        Batched parameters by their :class:`~mne_nmm.SimParams` path, each an array with one
        leading batch axis of the same length: ``{"global_coupling": np.linspace(0, 0.3, 32)}``,
        ``{"model.a": values}`` (``(B,)`` or ``(B, n_regions)``), ``{"coupling.cmax": values}``,
        ``{"noise_sigma": values}``, ``{"weights": stack}`` (``(B, n, n)``, within the connectome's
        structure), ``{"stimulus.0": patterns}``, ``{"monitors.bold.tau": values}``. Runs are
        ``jax.vmap`` of the single-run kernel and equal single runs of the same parameters.
    n_trials : int | None
        Ensemble of independent noise realisations (keys split from ``key``). With a
        ``sweep`` of length B each parameter set gets its own key; ``n_trials`` alone
        runs ``n_trials`` copies.
    chunk_ms : float | None
        Simulated time per device call (default ~1000 ms, rounded to whole monitor periods).
    checkpoint : path-like | None
        File where the run state and finished outputs are saved (atomically) between chunks; an
        interrupted run given the same file resumes from the last saved chunk with a bit-identical
        final result. Removed when the run completes. The first checkpoint is written after the first
        chunk, then after every chunk ending 10 s or more (wall time) after the previous one, so a
        kill loses at most that much work. While the run lasts it holds an advisory lock
        (``<checkpoint>.lock``): a second run on the same path raises ``CheckpointInUseError``. A file
        that is empty, damaged or from another simulation raises ``CheckpointError`` ("delete it or
        pass another path"). The folder must exist and be writable (checked before the run starts).
    progress : bool | None
        Show a progress bar (default: when the run has several chunks and stderr is a terminal).
    on_divergence : {"raise", "warn"}
        What to do when the state becomes non-finite: raise :class:`SimulationDivergedError`
        (carrying the partial result), or warn and return the partial result.
    max_memory_gb : float | None
        Refuse runs whose outputs and buffers exceed this (default: 80% of the memory available now,
        ``MemAvailable``, capped by the free room of the process's cgroup memory limit when one is set).
    batch_mode : {"auto", "vectorized", "sequential"}
        How the runs of a sweep / ensemble execute: ``"vectorized"``, groups of runs advance together
        in one device call (``jax.vmap`` of the kernel); ``"sequential"``, the single-run kernel
        applied to each run in turn. ``"auto"`` (the default) is ``"vectorized"``. On a CPU a group
        holds at most 16 runs (larger groups fall out of the caches). With a checkpoint and several
        groups, each group uses its own file. See Notes for which settings give identical bits.
    n_jobs : int | None
        Groups of runs executed concurrently, in threads (XLA releases the GIL). Default: the number
        of CPU cores available on the CPU backend, 1 on accelerators. In ``"vectorized"`` mode it also
        sets how the runs are split into groups (at least ``n_jobs`` groups), see Notes.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    result : SimulationResult
        ``result[name]`` is a :class:`~mne_nmm.result.MonitorOutput` with time-major data
        ``(n_times, n_variables, n_regions)`` (a leading batch axis is added for sweeps/trials).

    Notes
    -----
    **Determinism.** The same arguments on the same machine and backend give the same bits, every
    time (noise is a pure function of the key and the step; chunking, checkpoints and resuming do not
    change a bit). Across batch settings:

    * ``batch_mode="sequential"``: every run is the single-run kernel, bit-identical to ``simulate``
      of that run's parameters and key alone, for every ``n_jobs``.
    * ``batch_mode="vectorized"`` / ``"auto"``: the runs are split into groups (at least ``n_jobs``
      groups, at most 16 runs per group on a CPU; :func:`mne_nmm.simulation.batch.make_groups`) and
      each group is one ``jax.vmap``-ed call. A run's bits depend on that split: the same ``nb``,
      ``n_jobs`` and backend give identical bits; another ``n_jobs`` (hence another split) may change a
      run by float rounding (a few ulp, ~6e-8 in float32 on a unit-size state), as may the difference
      between a group of one run (equal to the single run) and a larger group. Since the default
      ``n_jobs`` is the number of CPU cores, pass ``n_jobs`` explicitly (or use
      ``batch_mode="sequential"``) when bit-identical results are needed on machines with different
      core counts.
    """
    with use_log_level(verbose):
        check_option("batch_mode", batch_mode, ("auto", "vectorized", "sequential"))
        check_option("on_divergence", on_divergence, ("raise", "warn"))
        check_run_args(checkpoint, max_memory_gb)
        batched = bool(sweep) or n_trials is not None
        vectorized = batched and batch_mode != "sequential"
        s = prepare(network, model, duration_ms=duration_ms, integrator=integrator, noise=noise, monitors=monitors,
                    stimulus=stimulus, initial_state_=initial_state, key=key, chunk_ms=chunk_ms,
                    noise_per_chunk=not vectorized)
        run_checks(s)  # a warning for a coupling x strength x dt the integrator cannot take
        params, swept, nb = batch.apply_sweep(s.params, sweep)
        keys = None
        if n_trials is not None:
            n_trials = check_int(n_trials, "n_trials", minimum=1)
            if nb is not None and n_trials != nb:
                raise ValueError(f"n_trials ({n_trials}) must equal the sweep length ({nb}) when both are given.")
            nb = n_trials
            keys = np.asarray(jax.random.split(s.key, n_trials))
        memory.check(s, nb or 1, max_memory_gb)
        x0 = np.asarray(s.x0, dtype=float_dtype())
        if keys is None:
            keys = np.broadcast_to(np.asarray(s.key), (nb or 1, 2))
        if nb is None:
            init, chunk = batch.single_fns(s)
            return drive(s, chunk, init(params, x0, keys), params, None, checkpoint, progress, on_divergence)
        axes = batch.axes_of(params, swept)
        n_jobs = batch.resolve_n_jobs(n_jobs, nb)
        mode = "sequential" if batch_mode == "sequential" else "vectorized"
        groups = batch.make_groups(nb, mode, n_jobs)
        return _run_groups(s, x0, params, axes, keys, nb, groups, mode, n_jobs, checkpoint, progress, on_divergence)


def _run_groups(s, x0, params, axes, keys, nb, groups, mode, n_jobs, checkpoint, progress, on_divergence):
    """Run the groups (``n_jobs`` at a time, in threads); results concatenated in run order."""
    single = mode == "sequential"
    init, chunk = batch.single_fns(s) if single else batch.vectorized_fns(s, axes)
    n_chunks = -(-s.n_steps // s.chunk_steps)
    use_bar = progress if progress is not None else (n_chunks * len(groups) > 3 and _stderr_tty())
    bar = None
    if use_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=nb * s.n_steps * s.network.dt_ms / 1000.0, unit="s sim", desc=f"simulate ({nb} runs)",
                   leave=False)
    tag = "run" if single else "group"

    def one(gi):
        idx = np.asarray(groups[gi])
        p = batch.take_run(params, axes, idx[0] if single else idx)
        path = None
        if checkpoint is not None:
            path = os.fspath(checkpoint) if len(groups) == 1 else f"{os.fspath(checkpoint)}.{tag}{gi}.npz"
        return drive(s, chunk, init(p, x0, keys[idx]), p, None if single else len(idx), path, False, on_divergence,
                     bar=bar, bar_runs=len(idx), run_index=[int(i) for i in idx])

    outcomes = []
    try:
        if n_jobs > 1 and len(groups) > 1:
            with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="mne_nmm") as ex:
                for f in [ex.submit(one, gi) for gi in range(len(groups))]:
                    try:
                        outcomes.append(f.result())
                    except SimulationDivergedError as err:
                        outcomes.append(err)
        else:
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
            g = groups[gi]
            where = f"Run {g[0]} of the batch" if single else f"Runs {g[0]}-{g[-1]} of the batch"
            raise SimulationDivergedError(f"{where}: {out}", out.step, out.time_ms, out.region,
                                          out.partial_result) from None
    return _merge(outcomes, nb, single, mode, n_jobs)


def _stderr_tty():
    from .driver import _stderr_tty as tty

    return tty()


def _merge(results, nb, single, batch_mode, n_jobs):
    join = np.stack if single else np.concatenate
    first = results[0]
    outputs = {name: dataclasses.replace(out, data=join([r.outputs[name].data for r in results]))
               for name, out in first.outputs.items()}
    wall = [r.info["wall_time_s"] for r in results]
    info = dict(first.info, batch=nb, batch_mode=batch_mode, n_jobs=n_jobs, n_groups=len(results),
                wall_time_s=max(wall) if n_jobs > 1 else sum(wall))
    divs = [r.info.get("divergence") for r in results]
    if any(divs):
        info["divergence"] = next(d for d in divs if d)
    return dataclasses.replace(first, outputs=outputs, final_state=join([r.final_state for r in results]), info=info)


def _traceable_key(key):
    """Raw ``uint32[2]`` key from an int seed (concrete or traced) or a JAX key, inside or outside a trace."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return as_key(key)
    arr = jax.numpy.asarray(key)
    if jax.numpy.issubdtype(arr.dtype, jax.dtypes.prng_key):
        return jax.random.key_data(arr)
    if arr.shape == () and jax.numpy.issubdtype(arr.dtype, jax.numpy.integer):
        return jax.numpy.stack([jax.numpy.zeros((), jax.numpy.uint32), arr.astype(jax.numpy.uint32)])
    if arr.shape != (2,) or arr.dtype != jax.numpy.uint32:
        raise TypeError(f"key must be an int seed or a jax.random.PRNGKey (uint32[2]), got {type(key).__name__} with "
                        f"shape {arr.shape} and dtype {arr.dtype}.")
    return arr


def estimate_memory(network, model=None, *, batch=1, **kwargs):
    """Estimate the memory of a run (like TVB's ``memory_requirement``).

    Parameters
    ----------
    network : Network
        The network.
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
    if isinstance(network, Setup):
        return memory.estimate(network, batch)
    kw = dict(integrator="heun", noise=None, monitors=None, stimulus=None, initial_state=None, key=0, chunk_ms=None)
    kw.update(kwargs)
    if kw["noise"] is not None and kw["integrator"] == "heun":
        kw["integrator"] = "stochastic_heun"
    kw["initial_state_"] = kw.pop("initial_state")
    s = prepare(network, model, noise_per_chunk=batch == 1, **kw)
    return memory.estimate(s, batch)


def make_simulator(network, model, *, duration_ms, integrator="heun", noise=None, monitors=None, stimulus=None,
                   initial_state=None, chunk_ms=None, remat="auto", connections="structural"):
    """Return the whole simulation as one pure function of :class:`~mne_nmm.SimParams` and a key.

    Parameters
    ----------
    network, model, duration_ms, integrator, noise, monitors, stimulus, initial_state, chunk_ms
        As in :func:`simulate`.
    remat : "auto" | "chunks" | "save_delayed" | "none"
        What a gradient keeps from the forward pass (no effect on values or on a forward run).
        ``"chunks"``: each chunk is recomputed in the backward pass, so memory is about one
        chunk whatever the duration. ``"save_delayed"``: also keeps each block's delayed sums
        (``n_steps / B * F * N * (B + 1)`` values; 0.6 GB for 10 minutes of 80 regions at 1 ms)
        so the recomputation skips the delayed gather: a gradient ~1.3x faster with
        delays. ``"auto"`` (default) chooses ``"save_delayed"`` when that store is at most
        :data:`SAVE_DELAYED_MAX_BYTES` and a quarter of the available memory, else
        ``"chunks"``; under ``jax.vmap`` the store is per batch member, so pass ``"chunks"`` for
        large batched gradients. ``True`` / ``False`` mean ``"chunks"`` / ``"none"``.
    connections : {"structural", "all"}
        Pairs that may carry a weight: the connectome's non-zero weights (default; the
        gradient with respect to ``weights`` is 0 elsewhere), or every pair (fitting free
        effective connectivity; slower: every region receives from all others).

    Returns
    -------
    run : callable
        ``run(params, key, x0=None) -> RunOutput``; pure and jittable, ``jax.vmap``-able over
        ``params`` leaves and keys, differentiable with respect to every leaf of ``params``.
        ``out["name"]`` is a monitor's samples ``(n_samples, n_variables, n_channels)``;
        ``out.diverged_step`` is the first non-finite step (-1 if none) and ``out.diverged_region``
        its region.
    params : SimParams
        The default parameters (from the network, model, noise, stimuli and monitors).

    Examples
    --------
    >>> run, params = make_simulator(net, Hopf(), duration_ms=2000, monitors=[Subsample(10.0)])
    >>> loss = lambda G: jnp.mean(run(params.replace(global_coupling=G), key)["subsample"] ** 2)
    >>> jax.grad(loss)(0.2)
    """
    s = prepare(network, model, duration_ms=duration_ms, integrator=integrator, noise=noise, monitors=monitors,
                stimulus=stimulus, initial_state_=initial_state, key=0, chunk_ms=chunk_ms, connections=connections)
    x0_default = np.asarray(s.x0, dtype=float_dtype())
    kernel = s.kernel
    n_steps, chunk_steps = s.n_steps, s.chunk_steps
    remat = _remat_mode(remat, kernel.plan, n_steps, x0_default.dtype.itemsize)

    def run(params, key, x0=None):
        return kernel.run_steps(params, _traceable_key(key), x0_default if x0 is None else x0, n_steps, chunk_steps,
                                remat=remat)

    return run, s.params
