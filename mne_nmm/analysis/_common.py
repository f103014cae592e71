"""Helpers shared by the analysis modules (a private module: its names are public within ``analysis``)."""

from __future__ import annotations

import numpy as np

from .._validate import check_array
from ._inputs import TimeSeries

__all__ = ["pearson", "as_matrix", "on_common_grid", "figure"]


def pearson(x, *, what="data"):
    """Pearson correlation of the columns of a time-major array (n_times, n)."""
    xc = x - x.mean(axis=0)
    ss = np.sqrt(np.einsum("ti,ti->i", xc, xc))
    bad = np.flatnonzero(ss <= np.finfo(float).tiny * max(1, x.shape[0]))
    if bad.size:
        raise ValueError(f"{what} has constant channel(s) {bad.tolist()}: their correlation is undefined. "
                         "Drop them or check the input.")
    xn = xc / ss
    r = xn.T @ xn
    np.clip(r, -1.0, 1.0, out=r)
    np.fill_diagonal(r, 1.0)
    return r


def as_matrix(fc, name):
    """``fc`` as a square float array, or an error naming ``name`` (a TimeSeries is not an FC matrix)."""
    if isinstance(fc, TimeSeries):
        raise TypeError(f"{name} must be an FC matrix (n, n), got a TimeSeries; compute it with "
                        "functional_connectivity first.")
    m = check_array(fc, name, ndim=2)
    if m.shape[0] != m.shape[1]:
        raise ValueError(f"{name} must be square (n_regions, n_regions), got shape {m.shape}.")
    return m


def on_common_grid(psd_a, freqs_a, psd_b, freqs_b):
    """Put two spectra on ``freqs_a``'s grid over the overlapping range (linear interpolation of b)."""
    lo, hi = max(freqs_a[0], freqs_b[0]), min(freqs_a[-1], freqs_b[-1])
    if hi <= lo:
        raise ValueError(f"The two spectra share no frequency range ([{freqs_a[0]:g}, {freqs_a[-1]:g}] vs "
                         f"[{freqs_b[0]:g}, {freqs_b[-1]:g}] Hz).")
    sel = (freqs_a >= lo - 1e-12) & (freqs_a <= hi + 1e-12)
    fa = freqs_a[sel]
    if fa.size == freqs_b.size and np.allclose(fa, freqs_b, rtol=1e-9, atol=1e-12):
        return psd_a[sel], psd_b, fa
    pb = np.interp(fa, freqs_b, psd_b) if psd_b.ndim == 1 else np.stack(
        [np.interp(fa, freqs_b, psd_b[:, c]) for c in range(psd_b.shape[1])], axis=1)
    return psd_a[sel], pb, fa


def figure(width, height):
    """A constrained-layout :class:`matplotlib.figure.Figure` of ``width x height`` inches, without pyplot."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")
