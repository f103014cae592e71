"""The chunked driver: runs the pure kernel chunk by chunk from the host.

Between chunks (never inside the traced function) it copies the monitor samples into
preallocated host buffers, advances the progress bar, writes checkpoints and checks the
divergence report; so memory does not grow with the duration beyond the outputs, and the
kernel stays a pure function that ``grad`` and ``vmap`` can use.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import warnings

import jax
import numpy as np

from .._validate import logger
from ..core.stimulus import stimulus_onsets_s
from ..result import MonitorOutput, SimulationResult
from . import checkpoint as ckpt
from .setup import float_dtype

__all__ = ["SimulationDivergedError", "drive"]


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


def _stderr_tty():
    import sys

    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # pragma: no cover
        return False


def n_samples(n_steps, period):
    return n_steps // period


def drive(s, run_chunk, carry, params, nb, checkpoint, progress, on_divergence, *, bar=None, bar_runs=1,
          run_index=None):
    """Run ``s.n_steps`` steps with ``run_chunk(carry, params, n_blocks, tail)``; returns a SimulationResult.

    ``carry`` and the chunk's outputs always have a leading run axis (of 1 for a single run); ``nb`` is the
    number of runs of a vectorized group, None for one run (then the result has no run axis).
    ``run_index`` gives the batch index of each run of the group (default ``0 .. nb - 1``): a divergence
    report names the run by it.
    """
    network, model = s.network, s.model
    n_steps, chunk_steps, B = s.n_steps, s.chunk_steps, s.plan.block
    n_chunks = math.ceil(n_steps / chunk_steps)
    fp = ckpt.fingerprint(s, params, nb) if checkpoint is not None else None
    lead = (nb or 1,)
    buffers = [np.empty(lead + (n_samples(n_steps, b.period_steps),) + tuple(b.sample_shape),
                        dtype=np.dtype(float_dtype())) for b in s.built]
    if checkpoint is None:
        lock = contextlib.nullcontext()
    else:
        checkpoint = ckpt.check_path(checkpoint)
        lock = ckpt.locked(checkpoint)
    with lock:
        return _drive(s, run_chunk, carry, params, nb, checkpoint, progress, on_divergence, bar, bar_runs, fp,
                      buffers, n_chunks, run_index)


def _drive(s, run_chunk, carry, params, nb, checkpoint, progress, on_divergence, bar, bar_runs, fp, buffers,
           n_chunks, run_index):
    network, model = s.network, s.model
    n_steps, chunk_steps, B = s.n_steps, s.chunk_steps, s.plan.block
    filled = [0] * len(s.built)
    done = 0
    if checkpoint is not None and os.path.exists(checkpoint):
        carry, done, filled = ckpt.load(checkpoint, fp, carry, buffers, n_steps,
                                        periods=[b.period_steps for b in s.built])
        logger.info("Resuming from checkpoint %s at step %d/%d", checkpoint, done, n_steps)
    own_bar = bar is None and (progress if progress is not None else (n_chunks > 3 and _stderr_tty()))
    dt_s = network.dt_ms / 1000.0
    if own_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_steps * dt_s, initial=done * dt_s, unit="s sim", desc="simulate", leave=False)
    elif bar is not None and done:
        bar.update(bar_runs * done * dt_s)
    t_start = time.perf_counter()
    last_ckpt = None           # the first checkpoint is written after the first chunk (see checkpoint.py)
    diverged = None
    try:
        while done < n_steps:
            steps = min(chunk_steps, n_steps - done)
            carry, outs = run_chunk(carry, params, steps // B, steps % B)
            outs = jax.device_get(outs)
            for i, o in enumerate(outs):
                k = o.shape[1]
                if k:
                    buffers[i][:, filled[i]:filled[i] + k] = o
                    filled[i] += k
            done += steps
            if bar is not None:
                bar.update(bar_runs * steps * dt_s)
            bad = np.asarray(carry.first_nonfinite)                   # (runs, 2)
            if np.any(bad[:, 0] >= 0):
                diverged = bad
                break
            if checkpoint is not None and done < n_steps and (
                    last_ckpt is None or time.perf_counter() - last_ckpt >= ckpt.INTERVAL_S):
                ckpt.save(checkpoint, fp, carry, done, buffers, filled)
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
        period_s = b.period_steps * dt_s
        outputs[b.name] = MonitorOutput(
            name=b.name, times_s=period_s * np.arange(1, nf + 1), data=data, sfreq_hz=1.0 / period_s,
            variable_names=b.variable_names, channel_names=b.channel_names, time_stamp=b.time_stamp,
            window_s=b.window_steps * dt_s, units=b.units, info=dict(b.info))
    info = {"integrator": s.integrator.name, "noise": repr(s.noise), "block_steps": B, "chunk_steps": chunk_steps,
            "ring_rows": s.plan.conn.ring, "steps_done": done, "wall_time_s": elapsed, "batch": nb,
            "key": np.asarray(s.key).tolist()}
    final = np.asarray(carry.x)
    duration_ms = s.n_steps * network.dt_ms
    result = SimulationResult(outputs=outputs, final_state=final[0] if nb is None else final, dt_ms=network.dt_ms,
                              duration_ms=done * network.dt_ms, model=model, network=network,
                              stimulus_onsets_s=stimulus_onsets_s(s.stimulus or None, duration_ms), info=info)
    if diverged is not None:
        b_i = int(np.argmax(diverged[:, 0] >= 0))
        step = int(diverged[b_i, 0])
        region = network.region_names[int(diverged[b_i, 1])]
        run_no = b_i if run_index is None else int(run_index[b_i])
        batch_txt = f" (run {run_no} of the batch)" if nb is not None or run_index is not None else ""
        msg = (f"Simulation diverged{batch_txt}: the state became non-finite at step {step} "
               f"(t = {step * network.dt_ms:g} ms), first in region {region!r}. Reduce dt_ms, the coupling or the "
               f"noise, or check the parameters. Outputs up to t = {done * network.dt_ms:g} ms are in the error's "
               f"partial_result.")
        info["divergence"] = {"step": step, "time_ms": step * network.dt_ms, "region": region}
        if nb is not None or run_index is not None:
            info["divergence"]["run"] = run_no
        if on_divergence == "raise":
            raise SimulationDivergedError(msg, step, step * network.dt_ms, region, result)
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
        return result
    if checkpoint is not None and os.path.exists(checkpoint):
        os.remove(checkpoint)
    logger.info("Simulated %g ms (%d steps, %d chunks of %d steps, block %d) in %.2f s", done * network.dt_ms, done,
                n_chunks, chunk_steps, B, elapsed)
    return result
