"""Static functional connectivity and FC similarity."""

from __future__ import annotations

import numpy as np

from .._validate import check_array, check_option, logger, validate_type, verbose
from ._common import as_matrix, pearson
from ._inputs import as_timeseries, bandpass

__all__ = ["functional_connectivity", "fisher_z", "fc_similarity", "upper_triangle"]

_KINDS = ("correlation", "partial correlation", "partial", "tangent", "covariance")


def upper_triangle(matrix, *, k=1):
    """Return the upper-triangle entries of a square matrix (row-major order).

    Parameters
    ----------
    matrix : array-like, shape (n, n)
        Square matrix.
    k : int
        Diagonal offset (1 excludes the diagonal).

    Returns
    -------
    values : ndarray, shape (n * (n - 1) / 2,) for ``k=1``
    """
    m = check_array(matrix, "matrix", ndim=2, finite=False)
    if m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be square (n, n), got shape {m.shape}.")
    return m[np.triu_indices(m.shape[0], k=k)]


def fisher_z(r):
    """Fisher z-transform ``z = arctanh(r)``.

    Parameters
    ----------
    r : float | array-like
        Correlation coefficients in [-1, 1]. ``|r| == 1`` maps to ``±inf``.

    Returns
    -------
    z : float | ndarray
        Same shape as ``r``.
    """
    arr = check_array(r, "r", finite=False)
    if np.any(np.isnan(arr)) or np.any(np.abs(arr) > 1):
        raise ValueError(f"r must contain correlations in [-1, 1], got values in "
                         f"[{np.nanmin(arr):g}, {np.nanmax(arr):g}]{' and NaN' if np.isnan(arr).any() else ''}.")
    with np.errstate(divide="ignore"):
        z = np.arctanh(arr)
    return float(z) if z.ndim == 0 else z


def _nilearn_connectivity(list_of_data, kind):
    from nilearn.connectome import ConnectivityMeasure
    from sklearn.covariance import EmpiricalCovariance

    # Explicit empirical covariance: nilearn's default is Ledoit-Wolf shrinkage.
    cm = ConnectivityMeasure(kind=kind, cov_estimator=EmpiricalCovariance(), vectorize=False,
                             discard_diagonal=False)
    return np.asarray(cm.fit_transform([np.asarray(x) for x in list_of_data]), dtype=float)


@verbose
def functional_connectivity(data, *, kind="correlation", fisher=False, band=None, sfreq_hz=None, monitor=None,
                            variable=None, picks=None, labels_img=None, verbose=None):
    """Static functional connectivity (FC) of one recording or a group.

    Parameters
    ----------
    data : input | list of input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts (array of shape
        (n_times, n_regions), MonitorOutput, SimulationResult, MNE object, 4D
        image with ``labels_img``). A Python ``list`` of such inputs is a group:
        one matrix per element is returned (required for ``kind="tangent"``).
    kind : {"correlation", "covariance", "partial correlation", "tangent"}
        ``"correlation"`` (default) is Pearson correlation, identical to
        ``np.corrcoef(x.T)``; ``"covariance"`` the unbiased sample covariance
        (``np.cov``). ``"partial correlation"`` (alias ``"partial"``) and
        ``"tangent"`` use :class:`nilearn.connectome.ConnectivityMeasure` with
        :class:`sklearn.covariance.EmpiricalCovariance` (never nilearn's shrunk
        default). ``"tangent"`` is relative to the group mean and needs at least
        two recordings.
    fisher : bool
        Return Fisher z (``arctanh``) of a correlation matrix; the diagonal
        (``inf``) is set to 0. Only for correlation-like kinds.
    band : tuple of float | None
        ``(l_freq, h_freq)`` in Hz: band-pass (MNE zero-phase FIR) before FC.
    sfreq_hz, monitor, variable, picks, labels_img
        Passed to :func:`~mne_nmm.analysis.as_timeseries`.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    fc : ndarray, shape (n_regions, n_regions) | (n_recordings, n_regions, n_regions)
        Symmetric FC matrix (a stack for list input).
    """
    validate_type(kind, str, "kind")
    check_option("kind", kind, _KINDS)
    kind = "partial correlation" if kind == "partial" else kind
    validate_type(fisher, bool, "fisher")
    if fisher and kind in ("covariance", "tangent"):
        raise ValueError(f"fisher=True only applies to correlation kinds, got kind={kind!r}.")
    group = isinstance(data, list)
    items = data if group else [data]
    if group and len(items) == 0:
        raise ValueError("data is an empty list; give at least one recording.")
    series = [bandpass(as_timeseries(d, sfreq_hz=sfreq_hz, monitor=monitor, variable=variable, picks=picks,
                                      labels_img=labels_img), band, purpose="band-pass filtering")
              for d in items]
    n_ch = {ts.n_channels for ts in series}
    if len(n_ch) > 1:
        raise ValueError(f"all recordings in data must have the same number of channels, got {sorted(n_ch)}.")
    for ts in series:
        if ts.n_times < 3:
            raise ValueError(f"data must have at least 3 time samples for FC, got {ts.n_times} ({ts.source}).")
    if kind == "tangent" and len(series) < 2:
        raise ValueError("kind='tangent' is defined relative to a group mean and needs a list of at least 2 "
                         "recordings; a single recording gives a zero matrix.")
    if kind == "correlation":
        out = np.stack([pearson(ts.data) for ts in series])
    elif kind == "covariance":
        out = np.stack([np.cov(ts.data, rowvar=False) for ts in series])
    else:
        logger.info("FC kind=%r via nilearn ConnectivityMeasure(cov_estimator=EmpiricalCovariance())", kind)
        out = _nilearn_connectivity([ts.data for ts in series], kind)
    if fisher:
        out = out.copy()
        for m in out:
            np.fill_diagonal(m, 0.0)
        out = np.arctanh(np.clip(out, -1.0, 1.0))
    return out if group else out[0]


def fc_similarity(fc_a, fc_b, *, fisher=False):
    """Similarity of two FC matrices over their upper triangles (diagonal excluded).

    Parameters
    ----------
    fc_a, fc_b : array-like, shape (n_regions, n_regions)
        FC matrices (e.g. simulated and empirical) with the same region order.
    fisher : bool
        Fisher-z transform both matrices (``arctanh``) before comparing.

    Returns
    -------
    scores : dict
        ``"r"``: Pearson correlation of the upper triangles; ``"rmse"``: root mean
        squared difference of the upper triangles (units of the FC values).
    """
    a = as_matrix(fc_a, "fc_a")
    b = as_matrix(fc_b, "fc_b")
    if a.shape != b.shape:
        raise ValueError(f"fc_a and fc_b must have the same shape, got {a.shape} and {b.shape}.")
    if a.shape[0] < 3:
        raise ValueError(f"FC similarity needs at least 3 regions (3 upper-triangle values), got {a.shape[0]}.")
    ua, ub = upper_triangle(a), upper_triangle(b)
    if fisher:
        ua, ub = fisher_z(ua), fisher_z(ub)
        if not (np.all(np.isfinite(ua)) and np.all(np.isfinite(ub))):
            raise ValueError("fisher=True: an off-diagonal correlation is exactly ±1, its Fisher z is infinite.")
    rmse = float(np.sqrt(np.mean((ua - ub) ** 2)))
    if np.ptp(ua) == 0 or np.ptp(ub) == 0:
        raise ValueError("FC similarity r is undefined: the upper triangle of "
                         f"{'fc_a' if np.ptp(ua) == 0 else 'fc_b'} is constant.")
    r = float(np.corrcoef(ua, ub)[0, 1])
    return {"r": r, "rmse": rmse}
