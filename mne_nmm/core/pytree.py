"""The one public way to declare a frozen pytree dataclass (models, couplings, noise, monitors, parameters).

Fields are pytree *leaves* (traced under ``jit`` / ``grad`` / ``vmap``) unless declared
with :func:`static_field`: then they are part of the tree *structure* (hashable,
compile-time constants such as names, flags, indices or integer periods). Two objects
whose static fields differ never share a compiled function; two objects that differ
only in leaves do (their values are arguments, not constants).

Example
-------
>>> @pytree_dataclass
... class MyCoupling(Coupling):
...     gain: float = 1.0                        # a leaf: sweepable, differentiable
...     normalize: bool = static_field(default=True)

Construction (``MyCoupling(...)``, :func:`dataclasses.replace`) runs ``__post_init__``
validation; rebuilding an object from transformed leaves (a gradient, a tangent, a
batch of values under ``vmap``) does not, so a gradient with respect to a positive time
constant may legitimately be negative.
"""

from __future__ import annotations

import dataclasses

import jax

__all__ = ["pytree_dataclass", "static_field", "register_dataclass_pytree", "is_static_field"]


def static_field(**kwargs):
    """A dataclass field that is static (part of the tree structure, not traced)."""
    metadata = dict(kwargs.pop("metadata", {}))
    metadata["static"] = True
    return dataclasses.field(metadata=metadata, **kwargs)


def is_static_field(f):
    """True when the dataclass field ``f`` was declared with :func:`static_field`."""
    return bool(f.metadata.get("static", False))


def register_dataclass_pytree(cls):
    """Register an existing (frozen) dataclass as a pytree; unflattening skips ``__init__`` (no validation)."""
    fields = dataclasses.fields(cls)
    data = tuple(f.name for f in fields if not is_static_field(f))
    meta = tuple(f.name for f in fields if is_static_field(f))

    def flatten_with_keys(obj):
        return [(jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in data], tuple(getattr(obj, n) for n in meta)

    def flatten(obj):
        return [getattr(obj, n) for n in data], tuple(getattr(obj, n) for n in meta)

    def unflatten(aux, children):
        obj = object.__new__(cls)
        for n, v in zip(data, children):
            object.__setattr__(obj, n, v)
        for n, v in zip(meta, aux):
            object.__setattr__(obj, n, v)
        return obj

    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
    return cls


def pytree_dataclass(cls=None, *, repr=False):
    """Decorate ``cls`` as a frozen dataclass (unless it already is one) and register it as a pytree."""
    def wrap(c):
        if "__dataclass_fields__" not in c.__dict__:
            c = dataclasses.dataclass(frozen=True, eq=False, repr=repr)(c)
        return register_dataclass_pytree(c)

    return wrap if cls is None else wrap(cls)
