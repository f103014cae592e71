"""Memory estimate of a run (outputs, delay buffer, per-chunk transients), checked before it starts."""

from __future__ import annotations

import os

import numpy as np

from .driver import n_samples
from .setup import float_dtype

__all__ = ["estimate", "physical_memory", "check"]

#: Fraction of physical memory a run may plan to use by default.
DEFAULT_FRACTION = 0.8


def physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 16 * 2**30


def estimate(s, batch=1):
    """``outputs_bytes``, ``buffer_bytes``, ``chunk_bytes`` and ``total_bytes`` of a prepared run."""
    item = np.dtype(float_dtype()).itemsize
    plan = s.plan
    conn = plan.conn
    out_bytes = 0
    raw_per_step = 0
    for b in s.built:
        size = int(np.prod(b.sample_shape))
        out_bytes += n_samples(s.n_steps, b.period_steps) * size * item
        raw_per_step += size * item
    buf = (conn.ring + plan.block + 1) * plan.n_feat * plan.n_regions * item + plan.n_vars * plan.n_regions * item
    # delayed sums of a block: (F, N, B + 1) plus the int32 gather indices
    gather = (plan.block + 1) * plan.n_feat * plan.n_regions * (item + 4) * 2 if conn.has_delayed else 0
    noise = 0
    if plan.noise_idx is not None:
        noise_steps = min(s.chunk_steps, s.n_steps) if plan.noise_per_chunk else plan.block
        noise = 2 * noise_steps * plan.n_vars * plan.n_regions * item
    chunk = min(s.chunk_steps, s.n_steps) * raw_per_step + gather + noise
    total = batch * (out_bytes * 2 + buf + chunk)
    return {"outputs_bytes": batch * out_bytes, "buffer_bytes": batch * buf, "chunk_bytes": batch * chunk,
            "total_bytes": total}


def check(s, batch, max_memory_gb):
    """Raise MemoryError when the estimate exceeds ``max_memory_gb`` (default: 80 % of physical memory)."""
    est = estimate(s, batch)
    limit = (max_memory_gb * 2**30) if max_memory_gb is not None else DEFAULT_FRACTION * physical_memory()
    if est["total_bytes"] > limit:
        raise MemoryError(
            f"This run needs about {est['total_bytes'] / 2**30:.2f} GiB (outputs {est['outputs_bytes'] / 2**30:.2f} GiB, "
            f"per-chunk work {est['chunk_bytes'] / 2**30:.2f} GiB), more than the limit of {limit / 2**30:.2f} GiB. "
            f"Record fewer variables, use longer monitor periods, a shorter duration or a smaller chunk_ms.")
    return est
