"""Memory estimate of a run (outputs, delay buffer, per-chunk transients), checked before it starts."""

from __future__ import annotations

import os

import numpy as np

from .driver import n_samples
from .setup import float_dtype

__all__ = ["estimate", "physical_memory", "available_memory", "cgroup_memory", "check"]

#: Fraction of the available memory a run may plan to use by default.
DEFAULT_FRACTION = 0.8


def physical_memory():
    """Installed RAM in bytes."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 16 * 2**30


def _read_int(path):
    try:
        with open(path, encoding="ascii") as fh:
            text = fh.read().strip()
    except OSError:
        return None
    if not text or text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def cgroup_memory(root="/sys/fs/cgroup"):
    """``(limit, usage)`` in bytes of this process's memory cgroup, ``(None, None)`` without a limit.

    Reads cgroup v2 (``memory.max``, ``memory.current``) or v1 (``memory/memory.limit_in_bytes``,
    ``memory/memory.usage_in_bytes``); v1's "unlimited" (a huge number) counts as no limit.
    """
    for limit_f, usage_f in (("memory.max", "memory.current"),
                             ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        limit = _read_int(os.path.join(root, limit_f))
        if limit is not None and limit < 2**60:
            return limit, _read_int(os.path.join(root, usage_f)) or 0
    return None, None


def available_memory():
    """Bytes a new allocation can use now: ``MemAvailable`` of ``/proc/meminfo``, capped by the cgroup's
    free room (limit - usage) when a cgroup limit is set; physical memory where neither is known."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        avail = None
    if avail is None:
        avail = physical_memory()
    limit, usage = cgroup_memory()
    if limit is not None:
        avail = min(avail, max(limit - usage, 0))
    return avail


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
    """Raise MemoryError when the estimate exceeds ``max_memory_gb`` (default: 80 % of the available memory,
    :func:`available_memory`, which honours a cgroup limit)."""
    if max_memory_gb is not None:
        from .._validate import check_positive

        max_memory_gb = check_positive(max_memory_gb, "max_memory_gb")
    est = estimate(s, batch)
    if max_memory_gb is not None:
        limit, what = max_memory_gb * 2**30, "max_memory_gb"
    else:
        limit, what = DEFAULT_FRACTION * available_memory(), "80% of the available memory"
    if est["total_bytes"] > limit:
        raise MemoryError(
            f"This run needs about {est['total_bytes'] / 2**30:.2f} GiB (outputs {est['outputs_bytes'] / 2**30:.2f} GiB, "
            f"per-chunk work {est['chunk_bytes'] / 2**30:.2f} GiB), more than the limit of {limit / 2**30:.2f} GiB "
            f"({what}). "
            f"Record fewer variables, use longer monitor periods, a shorter duration or a smaller chunk_ms.")
    return est
