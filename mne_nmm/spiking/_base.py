"""Small shared helpers of :mod:`mne_nmm.spiking`: frozen pytree dataclasses and checks.

Parameters live in frozen dataclasses registered as JAX pytrees: numeric fields
are leaves (so a sweep may ``vmap`` over them), fields declared with
``static_field()`` are static (sizes and flags that fix array shapes).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..core.pytree import is_static_field, register_dataclass_pytree
from ..core.pytree import static_field as _static_field

__all__ = ["pytree_dataclass", "static_field"]


def static_field(default, **kwargs):
    """A dataclass field that is part of the pytree structure (a shape or a flag), not a leaf."""
    return _static_field(default=default, **kwargs)


def pytree_dataclass(cls):
    """Make ``cls`` a frozen dataclass and register it as a JAX pytree (:mod:`mne_nmm.core.pytree`)."""
    cls = dataclasses.dataclass(frozen=True, eq=False)(cls)
    cls = register_dataclass_pytree(cls)
    fields = dataclasses.fields(cls)
    cls._leaf_names = tuple(f.name for f in fields if not is_static_field(f))
    cls._static_names = tuple(f.name for f in fields if is_static_field(f))
    return cls


def _is_tracer(x):
    try:
        import jax

        return isinstance(x, jax.core.Tracer)
    except Exception:  # pragma: no cover
        return False


def check_leaves(obj, *, positive=(), fraction=(), nonnegative=()):
    """Validate concrete numeric leaves of a parameter dataclass (skipped under tracing)."""
    name = type(obj).__name__
    for f in dataclasses.fields(obj):
        if f.metadata.get("static", False):
            continue
        v = getattr(obj, f.name)
        if _is_tracer(v):
            continue
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{name}.{f.name} must be a number, got {type(v).__name__}.") from None
        if arr.ndim > 1:
            raise ValueError(f"{name}.{f.name} must be a scalar or a 1D array (one value per network of a "
                             f"batch), got shape {arr.shape}.")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}.{f.name} must be finite, got {v!r}.")
        if f.name in positive and np.any(arr <= 0):
            raise ValueError(f"{name}.{f.name} must be > 0, got {v!r}.")
        if f.name in nonnegative and np.any(arr < 0):
            raise ValueError(f"{name}.{f.name} must be >= 0, got {v!r}.")
        if f.name in fraction and not np.all((arr >= 0) & (arr <= 1)):
            raise ValueError(f"{name}.{f.name} must be a fraction in [0, 1], got {v!r}.")
