"""Structural connectomes.

Convention (stated once, used everywhere): ``weights[i, j]`` is the strength of the
connection **from source region j to target region i** (row = target, column =
source), so the coupling input of region ``i`` is ``sum_j weights[i, j] * x_j``.
``tract_lengths_mm[i, j]`` is the length of that connection in millimetres.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import check_array, check_option, logger


@dataclass(frozen=True, eq=False)
class Connectome:
    """A validated structural connectome (plain numpy, immutable).

    Parameters
    ----------
    weights : array, shape (n_regions, n_regions)
        Non-negative connection strengths, row = target, column = source.
    tract_lengths_mm : array, shape (n_regions, n_regions) | None
        Tract lengths in mm (``None``: no delays, all zero).
    region_names : sequence of str | None
        Unique region names (default ``"r0", "r1", ...``).
    centres_mm : array, shape (n_regions, 3) | None
        Region centres in mm; ``coordinate_frame`` says in which frame.
    hemispheres : array of bool, shape (n_regions,) | None
        ``True`` for right-hemisphere regions (TVB convention).
    coordinate_frame : str
        Frame of ``centres_mm`` (``"mni"``, ``"tvb"``, ``"unknown"``...).
    name : str
        Short description (e.g. ``"tvb76"``).
    info : dict
        Provenance (source file, citation, notes). Every change made to the data
        after it was read (zeroed diagonal, normalisation, subsetting...) is appended
        as a sentence to ``info["changes"]`` (a list) and logged on the
        ``"mne_nmm"`` logger. Per-region arrays stored under the keys listed in
        :attr:`REGIONAL_INFO_KEYS` (e.g. ``info["cortical"]``, shape
        ``(n_regions,)``) are re-indexed by :meth:`subset`.

    Notes
    -----
    Construction validates everything and never changes data silently: a non-zero
    diagonal, for example, is kept; use :meth:`without_self_connections` to drop it.
    Derived connectomes get their own copy of ``info``; the original is untouched.
    """

    #: ``info`` keys holding per-region arrays (first axis = region), kept in step by :meth:`subset`.
    REGIONAL_INFO_KEYS = ("cortical", "areas_mm2", "average_orientations")

    weights: np.ndarray
    tract_lengths_mm: np.ndarray | None = None
    region_names: tuple = None
    centres_mm: np.ndarray | None = None
    hemispheres: np.ndarray | None = None
    coordinate_frame: str = "unknown"
    name: str = "connectome"
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        w = check_array(self.weights, "weights", ndim=2, nonnegative=True)
        if w.shape[0] != w.shape[1]:
            raise ValueError(f"weights must be square (n_regions, n_regions), got shape {w.shape}.")
        n = w.shape[0]
        if n < 1:
            raise ValueError("weights must describe at least one region, got shape (0, 0).")
        object.__setattr__(self, "weights", _frozen(w))
        if self.tract_lengths_mm is None:
            lengths = np.zeros_like(w)
        else:
            lengths = check_array(self.tract_lengths_mm, "tract_lengths_mm", shape=(n, n), nonnegative=True)
        object.__setattr__(self, "tract_lengths_mm", _frozen(lengths))
        names = self.region_names
        if names is None:
            names = tuple(f"r{i}" for i in range(n))
        names = tuple(str(x) for x in names)
        if len(names) != n:
            raise ValueError(f"region_names must have one name per region ({n}), got {len(names)}.")
        seen, dup = set(), []
        for x in names:
            if x in seen:
                dup.append(x)
            seen.add(x)
        if dup:
            raise ValueError(f"region_names must be unique, got duplicates {sorted(set(dup))[:10]}.")
        object.__setattr__(self, "region_names", names)
        if self.centres_mm is not None:
            object.__setattr__(self, "centres_mm", _frozen(check_array(self.centres_mm, "centres_mm", shape=(n, 3))))
        if self.hemispheres is not None:
            h = np.asarray(self.hemispheres)
            if h.shape != (n,):
                raise ValueError(f"hemispheres must have shape ({n},), got {h.shape}.")
            if h.dtype != bool:
                if h.dtype.kind not in "iuf" or not np.all((h == 0) | (h == 1)):
                    raise ValueError("hemispheres must be booleans (True = right) or 0/1 values, "
                                     f"got values {np.unique(h)[:5]!r} of dtype {h.dtype}.")
            object.__setattr__(self, "hemispheres", _frozen(h.astype(bool)))
        if not isinstance(self.coordinate_frame, str):
            raise TypeError(f"coordinate_frame must be a str, got {type(self.coordinate_frame).__name__}.")
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {type(self.name).__name__}.")
        if not isinstance(self.info, dict):
            raise TypeError(f"info must be a dict, got {type(self.info).__name__}.")

    # -- constructors -----------------------------------------------------------
    @classmethod
    def from_arrays(cls, weights, tract_lengths_mm=None, region_names=None, centres_mm=None, **kwargs):
        """Build a connectome from arrays (see the class parameters)."""
        return cls(weights=weights, tract_lengths_mm=tract_lengths_mm, region_names=region_names,
                   centres_mm=centres_mm, **kwargs)

    # -- properties ---------------------------------------------------------------
    @property
    def n_regions(self):
        return self.weights.shape[0]

    @property
    def density(self):
        """Fraction of off-diagonal pairs with a non-zero weight."""
        n = self.n_regions
        if n < 2:
            return 0.0
        off = self.weights[~np.eye(n, dtype=bool)]
        return float(np.count_nonzero(off) / off.size)

    # -- derived connectomes ----------------------------------------------------------
    def _replace(self, **changes):
        kw = dict(weights=self.weights, tract_lengths_mm=self.tract_lengths_mm, region_names=self.region_names,
                  centres_mm=self.centres_mm, hemispheres=self.hemispheres, coordinate_frame=self.coordinate_frame,
                  name=self.name, info=_copy_info(self.info))
        kw.update(changes)
        return Connectome(**kw)

    def _changed(self, message, **changes):
        """Copy with ``changes`` applied, ``message`` appended to info["changes"] and logged."""
        info = _copy_info(changes.pop("info", self.info))
        record_change(info, message)
        return self._replace(info=info, **changes)

    def without_self_connections(self):
        """Copy with a zero diagonal (weights only; tract lengths are kept).

        The number of non-zero diagonal entries that were removed is recorded in
        ``info["changes"]``.
        """
        w = self.weights.copy()
        n_nonzero = int(np.count_nonzero(np.diag(w)))
        np.fill_diagonal(w, 0.0)
        return self._changed(f"diagonal of weights set to zero ({n_nonzero} of {self.n_regions} entries were "
                             "non-zero)", weights=w)

    def normalized(self, method="max"):
        """Copy with weights scaled: ``"max"`` (max = 1), ``"sum"`` (total = 1),
        ``"row"`` (each row sums to 1), ``"log1p"`` (``log(1 + w)`` then max = 1)."""
        check_option("method", method, ("max", "sum", "row", "log1p"))
        label = method
        w = self.weights.astype(float).copy()
        if method == "log1p":
            w = np.log1p(w)
            method = "max"
        if method == "max":
            m = w.max()
            w = w / m if m > 0 else w
        elif method == "sum":
            s = w.sum()
            w = w / s if s > 0 else w
        else:
            rs = w.sum(axis=1, keepdims=True)
            w = np.divide(w, rs, out=np.zeros_like(w), where=rs > 0)
        return self._changed(f"weights normalized ({label})", weights=w)

    def subset(self, regions):
        """Copy restricted to ``regions`` (names or indices), in the given order.

        Per-region ``info`` arrays (:attr:`REGIONAL_INFO_KEYS`) are re-indexed too.
        """
        if isinstance(regions, str) or not hasattr(regions, "__iter__"):
            raise TypeError(f"regions must be a sequence of region names or indices, got {type(regions).__name__}.")
        idx = []
        for r in regions:
            if isinstance(r, str):
                if r not in self.region_names:
                    raise ValueError(f"regions contains {r!r}, which is not a region of this connectome.")
                idx.append(self.region_names.index(r))
            else:
                if isinstance(r, (bool, np.bool_)) or not isinstance(r, (int, np.integer)):
                    raise TypeError(f"regions must contain region names (str) or integer indices, got {r!r}.")
                i = int(r)
                if not -self.n_regions <= i < self.n_regions:
                    raise ValueError(f"regions contains index {i}, out of range for {self.n_regions} regions.")
                idx.append(i % self.n_regions)
        if not idx:
            raise ValueError("regions must select at least one region, got an empty sequence.")
        idx = np.asarray(idx, dtype=int)
        info = _copy_info(self.info)
        for key in self.REGIONAL_INFO_KEYS:
            val = info.get(key)
            if isinstance(val, np.ndarray) and val.ndim >= 1 and val.shape[0] == self.n_regions:
                info[key] = val[idx]
        return self._changed(
            f"subset to {len(idx)} of {self.n_regions} regions", info=info,
            weights=self.weights[np.ix_(idx, idx)], tract_lengths_mm=self.tract_lengths_mm[np.ix_(idx, idx)],
            region_names=tuple(self.region_names[i] for i in idx),
            centres_mm=None if self.centres_mm is None else self.centres_mm[idx],
            hemispheres=None if self.hemispheres is None else self.hemispheres[idx])

    def symmetrized(self):
        """Copy with ``(W + W.T) / 2`` weights and tract lengths."""
        asym = float(np.abs(self.weights - self.weights.T).max())
        return self._changed(f"weights and tract lengths symmetrized as (A + A.T) / 2 (max |W - W.T| was {asym:g})",
                             weights=(self.weights + self.weights.T) / 2,
                             tract_lengths_mm=(self.tract_lengths_mm + self.tract_lengths_mm.T) / 2)

    def __repr__(self):
        frame = f", centres in {self.coordinate_frame!r} frame" if self.centres_mm is not None else ""
        return (f"<Connectome '{self.name}' | {self.n_regions} regions, density {self.density:.1%}, "
                f"max tract {self.tract_lengths_mm.max():.0f} mm{frame}>")


def record_change(info, message):
    """Append ``message`` to ``info["changes"]`` (creating the list) and log it.

    Parameters
    ----------
    info : dict
        The provenance dict to update in place.
    message : str
        One sentence saying what was changed and why.
    """
    info["changes"] = list(info.get("changes", [])) + [message]
    logger.info("mne_nmm changed data: %s", message)


def _copy_info(info):
    out = dict(info)
    for key in ("changes", "notes"):
        if key in out:
            out[key] = list(out[key])
    return out


def _frozen(a):
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


