"""Content keys for the compile caches: structure and values, never a repr, a name or an id.

:func:`content_key` turns configuration objects (numbers, strings, arrays, tuples, dicts,
dataclasses, plain objects with attributes) into a hashable key that changes whenever any
value that could change a result changes. Arrays are hashed by dtype, shape and bytes.
Objects it cannot look inside (functions, callables) enter the key *as themselves*: they
compare by identity and the cache keeps them alive, so a key can never be reused by a
different object that happens to get the same ``id``.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

__all__ = ["content_key", "array_digest"]


def array_digest(*arrays):
    """SHA-1 of the dtypes, shapes and bytes of numpy arrays."""
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a))
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def content_key(obj, _depth=0):
    """A hashable key of ``obj``'s type, structure and values (see the module docstring)."""
    if _depth > 20:
        raise ValueError("content_key: configuration nested too deeply (a cycle?).")
    d = _depth + 1
    if obj is None or isinstance(obj, (bool, int, str, bytes)):
        return (type(obj).__name__, obj)
    if isinstance(obj, float):
        return ("float", float(obj).hex())
    if isinstance(obj, (np.ndarray, np.generic)) or type(obj).__module__.startswith("jax"):
        try:
            arr = np.asarray(obj)
        except Exception:  # a tracer or another non-concrete object: identity
            return ("object", obj)
        return ("array", array_digest(arr))
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__,) + tuple(content_key(v, d) for v in obj)
    if isinstance(obj, dict):
        return ("dict",) + tuple((content_key(k, d), content_key(obj[k], d)) for k in sorted(obj, key=repr))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj),) + tuple((f.name, content_key(getattr(obj, f.name), d)) for f in dataclasses.fields(obj))
    if isinstance(obj, type):
        return ("type", obj)
    attrs = getattr(obj, "__dict__", None)
    if attrs is not None and not hasattr(obj, "__code__"):      # an instance: its type and attribute values
        return (type(obj),) + tuple((k, content_key(attrs[k], d)) for k in sorted(attrs))
    return ("object", obj)                                      # a function, a builtin: itself (identity)
