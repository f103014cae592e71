"""Functional connectivity dynamics (FCD): sliding-window FC and its distributions."""

from __future__ import annotations

import numpy as np

from .._validate import check_array, check_int, check_option, check_positive, verbose
from ._common import pearson
from ._inputs import as_timeseries, bandpass

__all__ = ["sliding_window_fc", "fcd_matrix", "fcd_values", "fcd_distance"]


def _window_samples(ts, window_s, step_s):
    sf = ts.require_sfreq("sliding windows given in seconds")
    window_s = check_positive(window_s, "window_s")
    step_s = check_positive(step_s, "step_s")
    n_win = int(round(window_s * sf))
    n_step = int(round(step_s * sf))
    n_seg = ts.n_times // ts.n_segments
    if n_win < 3:
        raise ValueError(f"window_s={window_s:g} s is {n_win} samples at {sf:g} Hz; a window needs at least 3 "
                         "samples for a correlation.")
    if n_win > n_seg:
        raise ValueError(f"window_s={window_s:g} s ({n_win} samples) is longer than the data "
                         f"({n_seg} samples = {n_seg / sf:g} s per segment).")
    if n_step < 1:
        raise ValueError(f"step_s={step_s:g} s is less than one sample at {sf:g} Hz.")
    return n_win, n_step


@verbose
def sliding_window_fc(data, *, window_s, step_s, sfreq_hz=None, band=None, monitor=None, variable=None,
                      picks=None, labels_img=None, verbose=None):
    """FC (Pearson correlation) in sliding windows.

    Windows never straddle a segment (epoch) boundary.

    Parameters
    ----------
    data : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts.
    window_s : float
        Window length in seconds (rounded to the nearest sample count, at least 3).
    step_s : float
        Step between window starts in seconds (rounded to samples, at least 1).
    sfreq_hz, monitor, variable, picks, labels_img
        Passed to :func:`~mne_nmm.analysis.as_timeseries`.
    band : tuple of float | None
        ``(l_freq, h_freq)`` in Hz band-pass applied before windowing.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    fcs : ndarray, shape (n_windows, n_regions, n_regions)
        One correlation matrix per window.
    starts_s : ndarray, shape (n_windows,)
        Start time of each window in seconds from the first sample (a window
        covers samples ``[start, start + n_window)``).
    """
    ts = as_timeseries(data, sfreq_hz=sfreq_hz, monitor=monitor, variable=variable, picks=picks,
                       labels_img=labels_img)
    ts = bandpass(ts, band, purpose="band-pass filtering")
    n_win, n_step = _window_samples(ts, window_s, step_s)
    n_seg_len = ts.n_times // ts.n_segments
    fcs, starts = [], []
    for s in range(ts.n_segments):
        for start in range(0, n_seg_len - n_win + 1, n_step):
            t0 = s * n_seg_len + start
            fcs.append(pearson(ts.data[t0:t0 + n_win], what=f"window starting at sample {t0}"))
            starts.append(t0)
    return np.stack(fcs), np.asarray(starts) / ts.sfreq_hz


@verbose
def fcd_matrix(data, *, window_s, step_s, sfreq_hz=None, band=None, monitor=None, variable=None, picks=None,
               labels_img=None, verbose=None):
    """Functional connectivity dynamics matrix.

    ``FCD[a, b]`` is the Pearson correlation between the upper triangles
    (diagonal excluded) of the FC matrices of windows ``a`` and ``b``
    (Hansen et al. 2015; Deco et al. 2017).

    Parameters
    ----------
    data : input | ndarray, shape (n_windows, n_regions, n_regions)
        A time series (anything :func:`~mne_nmm.analysis.as_timeseries`
        accepts) or a stack of window FCs from :func:`sliding_window_fc`
        (3D array; then the other parameters except ``window_s``/``step_s``
        are ignored and those may be None).
    window_s, step_s : float
        Window length and step in seconds (see :func:`sliding_window_fc`).
    sfreq_hz, band, monitor, variable, picks, labels_img, verbose
        See :func:`sliding_window_fc`.

    Returns
    -------
    fcd : ndarray, shape (n_windows, n_windows)
        Symmetric, ones on the diagonal.
    """
    if isinstance(data, np.ndarray) and data.ndim == 3:
        fcs = check_array(data, "data")
        if fcs.shape[1] != fcs.shape[2]:
            raise ValueError(f"data as window FCs must have shape (n_windows, n, n), got {fcs.shape}.")
    else:
        fcs, _ = sliding_window_fc(data, window_s=window_s, step_s=step_s, sfreq_hz=sfreq_hz, band=band,
                                   monitor=monitor, variable=variable, picks=picks, labels_img=labels_img)
    n = fcs.shape[1]
    if n < 3:
        raise ValueError(f"FCD needs at least 3 regions (3 upper-triangle values per window), got {n}.")
    if fcs.shape[0] < 2:
        raise ValueError(f"FCD needs at least 2 windows, got {fcs.shape[0]}; shorten window_s or step_s.")
    iu = np.triu_indices(n, k=1)
    return pearson(fcs[:, iu[0], iu[1]].T, what="window FC upper triangles (as columns)")


def fcd_values(fcd, *, k=1):
    """Values of an FCD matrix entering its distribution (upper triangle).

    Parameters
    ----------
    fcd : array-like, shape (n_windows, n_windows)
        FCD matrix from :func:`fcd_matrix`.
    k : int
        Diagonal offset: pairs of windows at least ``k`` windows apart are used.
        ``k=1`` (default) uses all distinct pairs; set ``k = ceil(window_s /
        step_s)`` to use only non-overlapping windows.

    Returns
    -------
    values : ndarray, shape (n_pairs,)
    """
    m = check_array(fcd, "fcd", ndim=2)
    if m.shape[0] != m.shape[1]:
        raise ValueError(f"fcd must be square (n_windows, n_windows), got shape {m.shape}.")
    k = check_int(k, "k", minimum=1)
    vals = m[np.triu_indices(m.shape[0], k=k)]
    if vals.size == 0:
        raise ValueError(f"fcd of {m.shape[0]} windows has no pairs at least k={k} windows apart.")
    return vals


def fcd_distance(fcd_a, fcd_b, *, metric="ks", k=1):
    """Distance between the distributions of two FCD matrices.

    Parameters
    ----------
    fcd_a, fcd_b : array-like, shape (n_windows, n_windows)
        FCD matrices (sizes may differ), or 1D arrays of FCD values.
    metric : {"ks", "wasserstein"}
        ``"ks"``: two-sample Kolmogorov-Smirnov statistic (max distance between
        the empirical CDFs, in [0, 1]; :func:`scipy.stats.ks_2samp`).
        ``"wasserstein"``: first Wasserstein (earth mover's) distance in units of
        correlation (:func:`scipy.stats.wasserstein_distance`).
    k : int
        Diagonal offset passed to :func:`fcd_values` for matrix input.

    Returns
    -------
    distance : float
    """
    from scipy import stats

    check_option("metric", metric, ("ks", "wasserstein"))
    vals = []
    for name, f in (("fcd_a", fcd_a), ("fcd_b", fcd_b)):
        arr = check_array(f, name)
        if arr.ndim == 2:
            vals.append(fcd_values(arr, k=k))
        elif arr.ndim == 1:
            vals.append(arr)
        else:
            raise ValueError(f"{name} must be an FCD matrix (n, n) or a 1D array of values, got shape {arr.shape}.")
    if metric == "ks":
        return float(stats.ks_2samp(vals[0], vals[1], method="asymp").statistic)
    return float(stats.wasserstein_distance(vals[0], vals[1]))
