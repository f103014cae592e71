"""SimParams: everything a sweep or a fit may change, as one typed pytree.

One object holds every *value* of a simulation; the structure around it (which
pairs are connected and with which integer delays, the integrator, the monitors'
static configuration) is fixed when the run is built::

    SimParams(model, coupling, global_coupling, weights, noise_sigma, stimulus, monitors)

=================  =====================================  ==============================================
field              shape                                  meaning
=================  =====================================  ==============================================
``model``          model pytree                           node parameters (paper units; scalars or per region)
``coupling``       coupling pytree                        coupling-function parameters
``global_coupling`` ()                                    ``G``: scales every weight
``weights``        (n_regions, n_regions)                 ``W[i, j]``: from source ``j`` to target ``i``
``noise_sigma``    (n_state_variables, n_regions) | None  ``g`` of the noise per variable and region (0 = none)
``stimulus``       tuple of (n_regions,) arrays            amplitude x spatial pattern of each stimulus
``monitors``       dict name -> monitor parameter pytree  e.g. ``monitors["eeg"]["gain"]``, ``monitors["bold"]["tau"]``
=================  =====================================  ==============================================

The kernel derives everything else from these leaves *inside* the traced function
(the padded per-slot weights, the row sums of difference coupling, the zero-delay
part), so replacing ``weights`` is exact and ``jax.grad`` with respect to it has the
shape ``(n_regions, n_regions)``. Conduction delays are integers computed on the host
from the tract lengths (:class:`mne_nmm.Network`); they are structure, not leaves.

Names are the same in sweeps, fits and results: a dotted *path* addresses any leaf,
``"global_coupling"``, ``"weights"``, ``"noise_sigma"``, ``"model.a"``, ``"coupling.cmax"``,
``"stimulus.0"``, ``"monitors.bold.tau"``::

    params = params.replace(**{"model.a": -0.02, "global_coupling": 0.3})
    params.get("monitors.eeg.gain")
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .pytree import pytree_dataclass

__all__ = ["SimParams", "get_path", "set_path", "leaf_paths"]


@pytree_dataclass
class SimParams:
    """The values of one simulation (see the module docstring)."""

    model: object
    coupling: object
    global_coupling: object
    weights: object
    noise_sigma: object = None
    stimulus: tuple = ()
    monitors: dict = dataclasses.field(default_factory=dict)

    @property
    def n_regions(self):
        return int(np.shape(self.weights)[0])

    def get(self, path):
        """The value at a dotted ``path`` (e.g. ``"model.a"``)."""
        return get_path(self, path)

    def replace(self, **changes):
        """Copy with leaves replaced; keys are field names or dotted paths (``**{"model.a": 0.1}``).

        Model and coupling parameters given by path go through the model's / coupling's
        own ``replace`` (validated, like constructing it).
        """
        out = self
        for path, value in changes.items():
            out = set_path(out, path, value)
        return out

    def paths(self):
        """Dotted paths of every leaf (what ``sweep=`` and ``replace`` accept)."""
        return leaf_paths(self)

    def __repr__(self):
        n = self.n_regions if not isinstance(self.weights, jax.core.Tracer) else "?"
        mons = ", ".join(self.monitors) if self.monitors else "none"
        return (f"SimParams({type(self.model).__name__}, {type(self.coupling).__name__}, n_regions={n}, "
                f"noise={'yes' if self.noise_sigma is not None else 'no'}, stimuli={len(self.stimulus)}, "
                f"monitor parameters: {mons})")


def _split(path):
    if not isinstance(path, str) or not path:
        raise TypeError(f"a parameter path must be a non-empty string such as 'model.a', got {path!r}.")
    parts = path.split(".")
    if parts[0] == "noise" and parts[1:] == ["sigma"]:   # the name used by earlier versions
        return ["noise_sigma"]
    return parts


_FIELDS = tuple(f.name for f in dataclasses.fields(SimParams))


def _child(obj, name, path):
    if isinstance(obj, dict):
        if name not in obj:
            raise KeyError(f"{path!r}: no entry {name!r}; available: {sorted(obj)}.")
        return obj[name]
    if isinstance(obj, (tuple, list)):
        try:
            return obj[int(name)]
        except (ValueError, IndexError):
            raise KeyError(f"{path!r}: {name!r} is not an index of a sequence of length {len(obj)}.") from None
    if dataclasses.is_dataclass(obj):
        names = [f.name for f in dataclasses.fields(obj) if not f.metadata.get("static", False)]
        if name not in names:
            raise KeyError(f"{path!r}: {type(obj).__name__} has no parameter {name!r}; its parameters are {names}.")
        return getattr(obj, name)
    raise KeyError(f"{path!r}: cannot look up {name!r} in a {type(obj).__name__}.")


def get_path(params, path):
    """Value of the leaf (or subtree) at a dotted ``path`` of a :class:`SimParams`."""
    parts = _split(path)
    if parts[0] not in _FIELDS:
        raise KeyError(f"{path!r}: parameter paths start with one of {list(_FIELDS)}.")
    obj = params
    for name in parts:
        obj = _child(obj, name, path)
    return obj


def _with(obj, name, value, path, validate):
    if isinstance(obj, dict):
        _child(obj, name, path)
        return {**obj, name: value}
    if isinstance(obj, tuple):
        i = int(name)
        _child(obj, name, path)
        return obj[:i] + (value,) + obj[i + 1:]
    if dataclasses.is_dataclass(obj):
        _child(obj, name, path)
        if validate and hasattr(obj, "replace") and not isinstance(obj, SimParams):
            return obj.replace(**{name: value})
        return _replace_unvalidated(obj, name, value)
    raise KeyError(f"{path!r}: cannot set {name!r} in a {type(obj).__name__}.")


def _replace_unvalidated(obj, name, value):
    new = object.__new__(type(obj))   # a copy without __init__: no validation of traced values
    for f in dataclasses.fields(obj):
        object.__setattr__(new, f.name, getattr(obj, f.name))
    object.__setattr__(new, name, value)
    return new


def set_path(params, path, value, *, validate=True):
    """Copy of ``params`` with the leaf at ``path`` replaced by ``value``.

    ``validate=False`` skips the model's / coupling's parameter checks (used for traced or
    batched values, e.g. inside ``vmap``).
    """
    parts = _split(path)
    if parts[0] not in _FIELDS:
        raise KeyError(f"{path!r}: parameter paths start with one of {list(_FIELDS)}.")
    chain = [params]
    for name in parts[:-1]:
        chain.append(_child(chain[-1], name, path))
    if validate and parts[0] in ("global_coupling", "weights", "noise_sigma") and len(parts) == 1 and value is not None:
        value = _as_float_array(value, path, like=getattr(params, parts[0]))
    new = value
    for obj, name in zip(reversed(chain), reversed(parts)):
        new = _with(obj, name, new, path, validate and not _is_traced(new))
    return new


def _as_float_array(value, path, like):
    if _is_traced(value):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{path} must be real numbers, got dtype {arr.dtype}.")
    if like is not None and np.shape(like) != arr.shape:
        raise ValueError(f"{path} must have shape {np.shape(like)}, got {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{path} must be finite.")
    return jnp.asarray(arr, dtype=jnp.asarray(like).dtype if like is not None else None)


def _is_traced(v):
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(v))


def leaf_paths(params):
    """Dotted path of every leaf of ``params``, in tree order."""
    paths, _ = zip(*jax.tree_util.tree_flatten_with_path(params)[0]) if jax.tree_util.tree_leaves(params) else ((), None)
    out = []
    for kp in paths:
        names = []
        for k in kp:
            if isinstance(k, jax.tree_util.GetAttrKey):
                names.append(k.name)
            elif isinstance(k, jax.tree_util.DictKey):
                names.append(str(k.key))
            elif isinstance(k, jax.tree_util.SequenceKey):
                names.append(str(k.idx))
            else:  # pragma: no cover
                names.append(str(k))
        out.append(".".join(names))
    return out
