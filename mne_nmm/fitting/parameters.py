"""What is fitted: leaves of :class:`~mne_nmm.SimParams`, their shape and their constraint.

A fit works on an unconstrained vector ``u`` (what the optimiser moves) and maps it to
parameter values through a transform:

==============  ===============================  ==========================================
transform       value                            use
==============  ===============================  ==========================================
``"identity"``  ``u``                            unbounded (e.g. Hopf ``a``)
``"positive"``  ``lo + softplus(u)``             a lower bound (``bounds=(lo, None)``)
``"bounded"``   ``lo + (hi - lo) sigmoid(u)``    both bounds (``bounds=(lo, hi)``)
``"log"``       ``base * exp(u)``                multiplicative, keeps zeros and signs of the
                                                 starting value (connection weights)
==============  ===============================  ==========================================

Shapes: ``"scalar"`` (one number; for an array leaf such as ``noise_sigma`` it *scales* the
starting pattern so its largest entry equals the value), ``"region"`` (one value per region,
the leaf's last axis) or ``"full"`` (the leaf's own shape, e.g. ``weights`` (n, n)).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..core.params import SimParams, set_path

__all__ = ["Parameter", "ParameterSpace", "as_parameters"]

_TRANSFORMS = ("identity", "positive", "bounded", "log")
_SHAPES = ("scalar", "region", "full")


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One fitted leaf.

    Parameters
    ----------
    path : str
        Dotted path of a :class:`~mne_nmm.SimParams` leaf (``"global_coupling"``,
        ``"noise_sigma"``, ``"model.a"``, ``"weights"``).
    bounds : (float | None, float | None) | None
        Constraint; picks the transform when ``transform`` is None: ``(lo, hi)`` ->
        ``"bounded"``, ``(lo, None)`` -> ``"positive"``, None -> ``"identity"``.
    shape : {"scalar", "region", "full"}
        See the module docstring.
    transform : {"identity", "positive", "bounded", "log"} | None
    init : float | array | None
        Starting value (default: the current value in the parameters being fitted).
    """

    path: str
    bounds: tuple = None
    shape: str = "scalar"
    transform: str = None
    init: object = None

    def __post_init__(self):
        if not isinstance(self.path, str) or not self.path:
            raise TypeError(f"Parameter path must be a dotted string such as 'model.a', got {self.path!r}.")
        if self.shape not in _SHAPES:
            raise ValueError(f"Parameter {self.path!r}: shape must be one of {_SHAPES}, got {self.shape!r}.")
        b = self.bounds
        if b is not None:
            if not (isinstance(b, (tuple, list)) and len(b) == 2):
                raise ValueError(f"Parameter {self.path!r}: bounds must be (lo, hi) with None for no bound, got {b!r}.")
            lo, hi = b
            if lo is not None and hi is not None and not float(lo) < float(hi):
                raise ValueError(f"Parameter {self.path!r}: bounds must satisfy lo < hi, got {b!r}.")
            if lo is None and hi is not None:
                raise ValueError(f"Parameter {self.path!r}: an upper bound alone is not supported; give (lo, hi).")
            object.__setattr__(self, "bounds", (None if lo is None else float(lo), None if hi is None else float(hi)))
        t = self.transform
        if t is None:
            t = "identity" if b is None or b[0] is None else ("positive" if b[1] is None else "bounded")
            object.__setattr__(self, "transform", t)
        if t not in _TRANSFORMS:
            raise ValueError(f"Parameter {self.path!r}: transform must be one of {_TRANSFORMS}, got {t!r}.")
        if t in ("positive", "bounded") and (self.bounds is None or self.bounds[0] is None):
            raise ValueError(f"Parameter {self.path!r}: transform {t!r} needs bounds=(lo, ...).")
        if t == "bounded" and self.bounds[1] is None:
            raise ValueError(f"Parameter {self.path!r}: transform 'bounded' needs both bounds.")


def as_parameters(fit):
    """Normalise ``fit`` (a path, a list of paths / Parameters, or a dict path -> bounds or options)."""
    if isinstance(fit, (str, Parameter)):
        fit = [fit]
    if isinstance(fit, dict):
        out = []
        for path, opt in fit.items():
            if isinstance(opt, dict):
                out.append(Parameter(path, **opt))
            elif isinstance(opt, Parameter):
                out.append(opt)
            else:
                out.append(Parameter(path, bounds=opt))
        fit = out
    if not isinstance(fit, (list, tuple)) or not fit:
        raise TypeError(f"fit must name at least one parameter (a path, a list, or a dict path -> bounds), got {fit!r}.")
    params = [p if isinstance(p, Parameter) else Parameter(p) for p in fit]
    paths = [p.path for p in params]
    if len(set(paths)) != len(paths):
        raise ValueError(f"fit names a parameter twice: {paths}.")
    return tuple(params)


def _softplus_inv(y):
    y = np.asarray(y, dtype=float)
    return np.where(y > 30, y, np.log(np.expm1(np.maximum(y, 1e-12))))


class ParameterSpace:
    """The map between an unconstrained pytree ``{path: u}`` and :class:`~mne_nmm.SimParams`.

    Parameters
    ----------
    params : SimParams
        The starting parameters; every leaf not fitted keeps its value.
    fit : see :func:`as_parameters`
    """

    def __init__(self, params, fit):
        if not isinstance(params, SimParams):
            raise TypeError(f"params must be a SimParams (from make_simulator), got {type(params).__name__}.")
        self.params = params
        self.parameters = as_parameters(fit)
        paths = set(params.paths())
        self._base = {}
        for p in self.parameters:
            try:
                cur = np.asarray(params.get(p.path), dtype=float)
            except (KeyError, AttributeError, TypeError) as err:
                raise KeyError(f"fit parameter {p.path!r} is not a leaf of the parameters; leaves are "
                               f"{sorted(paths)}") from err
            n = params.n_regions
            if p.shape == "region" and not (cur.ndim == 0 or cur.shape[-1] == n):
                raise ValueError(f"fit parameter {p.path!r}: shape='region' needs a scalar or a leaf whose last "
                                 f"axis has n_regions={n} entries, got shape {cur.shape}.")
            self._base[p.path] = cur
            if p.bounds is not None and p.transform != "log":
                lo, hi = p.bounds
                v = self._start_value(p)
                if np.any(v < lo - 1e-12) or (hi is not None and np.any(v > hi + 1e-12)):
                    raise ValueError(f"fit parameter {p.path!r}: starting value {np.round(v, 6).tolist()} is outside "
                                     f"bounds {p.bounds}; pass init= or widen the bounds.")

    # -- values ---------------------------------------------------------------------------------
    def _pattern(self, p):
        """The starting leaf divided by its scale (max |.|, per region for shape='region')."""
        base = self._base[p.path]
        if base.ndim == 0 or p.shape == "full":
            return None
        if p.shape == "scalar":
            ref = np.max(np.abs(base))
        else:
            ref = np.max(np.abs(base.reshape(-1, base.shape[-1])), axis=0) if base.ndim > 1 else None
            if ref is None:
                return None
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(ref > 0, base / np.where(ref > 0, ref, 1.0), 1.0)

    def _start_value(self, p):
        base = self._base[p.path]
        if p.init is not None:
            v = np.asarray(p.init, dtype=float)
        elif p.shape == "scalar":
            v = np.asarray(np.max(np.abs(base)) if base.ndim else base, dtype=float)
        elif p.shape == "region":
            n = self.params.n_regions
            v = (np.full(n, float(base)) if base.ndim == 0 else
                 base if base.ndim == 1 else np.max(np.abs(base.reshape(-1, n)), axis=0))
        else:
            v = base
        if p.shape == "region" and v.ndim == 0:
            v = np.full(self.params.n_regions, float(v))
        if p.shape == "full" and v.shape != base.shape:
            v = np.broadcast_to(v, base.shape).copy()
        return np.asarray(v, dtype=float)

    def init(self):
        """The unconstrained starting point ``{path: u}`` (numpy arrays)."""
        out = {}
        for p in self.parameters:
            v = self._start_value(p)
            if p.transform == "identity":
                u = v
            elif p.transform == "positive":
                u = _softplus_inv(v - p.bounds[0])
            elif p.transform == "bounded":
                lo, hi = p.bounds
                f = np.clip((v - lo) / (hi - lo), 1e-6, 1 - 1e-6)
                u = np.log(f) - np.log1p(-f)
            else:  # log: relative to the start (init sets the start)
                u = np.zeros_like(v)
            out[p.path] = np.asarray(u, dtype=float)
        return out

    def values(self, u):
        """Constrained values ``{path: value}`` (what the parameters will hold) for ``u``."""
        out = {}
        for p in self.parameters:
            x = u[p.path]
            if p.transform == "identity":
                v = x
            elif p.transform == "positive":
                v = p.bounds[0] + jax.nn.softplus(x)
            elif p.transform == "bounded":
                v = p.bounds[0] + (p.bounds[1] - p.bounds[0]) * jax.nn.sigmoid(x)
            else:
                v = jnp.asarray(self._start_value(p)) * jnp.exp(x)
            out[p.path] = v
        return out

    def to_params(self, u, params=None):
        """:class:`~mne_nmm.SimParams` with the fitted leaves set from ``u`` (traceable)."""
        out = self.params if params is None else params
        vals = self.values(u)
        for p in self.parameters:
            v = vals[p.path]
            pattern = self._pattern(p)
            if pattern is not None:
                v = v * pattern if p.shape == "scalar" else v[..., :] * pattern
            dtype = jnp.asarray(self.params.get(p.path)).dtype
            out = set_path(out, p.path, jnp.asarray(v, dtype=dtype), validate=False)
        return out

    def describe(self, u):
        """``{path: numpy value}`` for reports (scalars as floats)."""
        vals = self.values(u)
        return {k: (float(v) if np.ndim(v) == 0 else np.asarray(v)) for k, v in vals.items()}
