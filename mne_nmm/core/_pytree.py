"""Frozen dataclasses registered as JAX pytrees.

Fields are pytree *leaves* (traced under jit/grad/vmap) unless declared with
``static_field()``, in which case they are part of the tree structure (hashable,
compile-time constants such as names, indices or integer periods).
"""

from __future__ import annotations

import dataclasses

import jax


def static_field(**kwargs):
    """A dataclass field that is static (not traced) in the pytree."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata["static"] = True
    return dataclasses.field(metadata=metadata, **kwargs)


def pytree_dataclass(cls):
    """Decorate ``cls`` as a frozen dataclass and register it as a pytree."""
    cls = dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls) if not dataclasses.is_dataclass(cls) or "__dataclass_fields__" not in cls.__dict__ else cls
    fields = dataclasses.fields(cls)
    data = [f.name for f in fields if not f.metadata.get("static", False)]
    meta = [f.name for f in fields if f.metadata.get("static", False)]
    jax.tree_util.register_dataclass(cls, data_fields=data, meta_fields=meta)
    return cls


def replace(obj, **changes):
    """Return a copy of a frozen pytree dataclass with ``changes`` applied (validated by __post_init__)."""
    return dataclasses.replace(obj, **changes)


def field_values(obj):
    """Dict of the (non-static) field values of a pytree dataclass."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if not f.metadata.get("static", False)}
