"""Time-domain measures: lagged cross-correlation with Fisher-z significance bounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_array, check_int, check_option, check_positive, validate_type, verbose
from ._inputs import as_timeseries

__all__ = ["CrossCorrelation", "cross_correlation", "lagged_fc", "fisher_significance_bound"]


def fisher_significance_bound(n, *, alpha=0.05):
    """Two-sided significance bound of a Pearson correlation via the Fisher transform.

    Under the null hypothesis of zero correlation between ``n`` independent
    samples, ``z = arctanh(r)`` is approximately normal with standard error
    ``1 / sqrt(n - 3)``; the bound is ``tanh(z_{1 - alpha/2} / sqrt(n - 3))``.
    Note that autocorrelated signals have fewer effective samples than ``n``
    (the bound is then too permissive), and that scanning many lags is a
    multiple comparison.

    Parameters
    ----------
    n : int | array-like of int
        Number of sample pairs (> 3).
    alpha : float
        Two-sided significance level in (0, 1).

    Returns
    -------
    r_crit : float | ndarray
        ``|r| > r_crit`` is significant at level ``alpha``.
    """
    from scipy.stats import norm

    alpha = check_positive(alpha, "alpha")
    if alpha >= 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    n_arr = np.asarray(n)
    if n_arr.dtype.kind not in "iu" or np.any(n_arr <= 3):
        raise ValueError(f"n must be an integer (or integers) > 3, got {n!r}.")
    r = np.tanh(norm.ppf(1 - alpha / 2) / np.sqrt(n_arr - 3.0))
    return float(r) if r.ndim == 0 else r


def _lagged_corr(x, max_lag):
    """Pearson correlations ``R[k, i, j] = corr(x_i[t], x_j[t + k])`` for ``k = 0..max_lag``.

    Each lag uses only the ``n - k`` overlapping samples (exact Pearson on the overlap).
    """
    n, m = x.shape
    out = np.empty((max_lag + 1, m, m))
    for k in range(max_lag + 1):
        a, b = x[:n - k], x[k:]
        a = a - a.mean(axis=0)
        b = b - b.mean(axis=0)
        sa, sb = np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0)
        if np.any(sa == 0) or np.any(sb == 0):
            bad = np.flatnonzero((sa == 0) | (sb == 0)).tolist()
            raise ValueError(f"channel(s) {bad} are constant over the {n - k} samples overlapping at lag {k}; "
                             "their correlation is undefined.")
        out[k] = np.clip((a / sa).T @ (b / sb), -1, 1)
    return out


@dataclass(frozen=True, eq=False)
class CrossCorrelation:
    """Lagged cross-correlation of two signals.

    Sign convention: ``r[k] = corr(x[t], y[t + lag[k]])``. A **positive** lag
    means ``y`` follows (lags behind) ``x``: if ``y[t] = x[t - d]`` then the
    optimal lag is ``+d``.

    Attributes
    ----------
    lags : ndarray of int, shape (n_lags,)
        Lags in samples, ``-max_lag..max_lag``.
    lags_s : ndarray, shape (n_lags,) | None
        Lags in seconds (``None`` without a sampling frequency).
    r : ndarray, shape (n_lags,)
        Pearson correlation over the ``n - |lag|`` overlapping samples.
    n_pairs : ndarray of int, shape (n_lags,)
        Number of overlapping samples per lag.
    r_crit : ndarray, shape (n_lags,)
        Fisher-z significance bound per lag (:func:`fisher_significance_bound`).
    best_lag, best_lag_s, best_r : int, float | None, float
        Optimal lag (largest ``r``, or largest ``|r|`` with ``mode="abs"``) and its correlation.
    p_value : float
        Two-sided Fisher-z p-value of ``best_r`` (not corrected for the lag scan).
    significant : bool
        ``|best_r| > r_crit`` at the best lag.
    """

    lags: np.ndarray
    lags_s: np.ndarray | None
    r: np.ndarray
    n_pairs: np.ndarray
    r_crit: np.ndarray
    best_lag: int
    best_lag_s: float | None
    best_r: float
    p_value: float
    significant: bool

    def __repr__(self):
        sec = "" if self.best_lag_s is None else f" ({self.best_lag_s:g} s)"
        return (f"<CrossCorrelation | best lag {self.best_lag} samples{sec}, r={self.best_r:.3f}, "
                f"p={self.p_value:.2g}, lags {self.lags[0]}..{self.lags[-1]}>")


def _max_lag(n, sfreq_hz, max_lag, max_lag_s):
    if max_lag is not None and max_lag_s is not None:
        raise ValueError("Give max_lag (samples) or max_lag_s (seconds), not both.")
    if max_lag_s is not None:
        if sfreq_hz is None:
            raise ValueError("max_lag_s needs a sampling frequency: pass sfreq_hz=... (or give max_lag in samples).")
        max_lag = int(round(check_positive(max_lag_s, "max_lag_s", strict=False) * sfreq_hz))
    elif max_lag is None:
        max_lag = n // 4
    else:
        max_lag = check_int(max_lag, "max_lag", minimum=0)
    if n - max_lag <= 3:
        raise ValueError(f"max_lag={max_lag} samples leaves {n - max_lag} overlapping samples; at least 4 are "
                         f"needed (n_times={n}).")
    return max_lag


def cross_correlation(x, y, *, sfreq_hz=None, max_lag=None, max_lag_s=None, mode="max", alpha=0.05):
    """Lagged Pearson cross-correlation of two signals and its optimal lag.

    Parameters
    ----------
    x, y : array-like, shape (n_times,)
        Signals sampled at the same times.
    sfreq_hz : float | None
        Sampling frequency in Hz (for lags in seconds).
    max_lag, max_lag_s : int | float | None
        Largest lag in samples or seconds (give at most one; default
        ``n_times // 4`` samples).
    mode : {"max", "abs"}
        Optimal lag maximises ``r`` (``"max"``) or ``|r|`` (``"abs"``).
    alpha : float
        Significance level for ``r_crit`` and ``significant``.

    Returns
    -------
    result : CrossCorrelation
        See :class:`CrossCorrelation` for the sign convention (positive lag: ``y``
        lags behind ``x``).
    """
    xa = check_array(x, "x", ndim=1)
    ya = check_array(y, "y", ndim=1)
    if xa.size != ya.size:
        raise ValueError(f"x and y must have the same length, got {xa.size} and {ya.size}.")
    check_option("mode", mode, ("max", "abs"))
    sf = None if sfreq_hz is None else check_positive(sfreq_hz, "sfreq_hz")
    n = xa.size
    L = _max_lag(n, sf, max_lag, max_lag_s)
    R = _lagged_corr(np.stack([xa, ya], axis=1), L)
    # k >= 0: corr(x[t], y[t+k]) = R[k, 0, 1]; k < 0: corr(x[t], y[t-|k|]) = corr(y[s], x[s+|k|]) = R[|k|, 1, 0]
    lags = np.arange(-L, L + 1)
    r = np.concatenate([R[L:0:-1, 1, 0], R[:, 0, 1]])
    n_pairs = n - np.abs(lags)
    r_crit = fisher_significance_bound(n_pairs, alpha=alpha)
    score = r if mode == "max" else np.abs(r)
    i = int(np.argmax(score))
    from scipy.stats import norm

    with np.errstate(divide="ignore"):
        z = np.arctanh(min(abs(r[i]), 1.0)) * np.sqrt(n_pairs[i] - 3.0)
    p = float(2 * norm.sf(z))
    best_lag = int(lags[i])
    return CrossCorrelation(lags=lags, lags_s=None if sf is None else lags / sf, r=r, n_pairs=n_pairs,
                            r_crit=np.atleast_1d(r_crit), best_lag=best_lag,
                            best_lag_s=None if sf is None else best_lag / sf, best_r=float(r[i]), p_value=p,
                            significant=bool(abs(r[i]) > r_crit[i]))


@verbose
def lagged_fc(data, *, max_lag=None, max_lag_s=None, mode="max", sfreq_hz=None, monitor=None, variable=None,
              picks=None, labels_img=None, verbose=None):
    """Peak lagged correlation and optimal lag for every pair of channels.

    Parameters
    ----------
    data : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts.
    max_lag, max_lag_s : int | float | None
        Largest lag in samples or seconds (default ``n_times // 4`` samples).
    mode : {"max", "abs"}
        Optimal lag maximises ``r`` or ``|r|``.
    sfreq_hz, monitor, variable, picks, labels_img
        Passed to :func:`~mne_nmm.analysis.as_timeseries`.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    r_peak : ndarray, shape (n_channels, n_channels)
        ``r_peak[i, j]`` is the correlation at the optimal lag.
    lag : ndarray of int, shape (n_channels, n_channels)
        Optimal lag in samples, with the :class:`CrossCorrelation` convention
        for ``x = channel i``, ``y = channel j``: positive means ``j`` lags
        behind ``i``. Antisymmetric (``lag.T == -lag``), zero on the diagonal.
        Multiply by ``1 / sfreq_hz`` for seconds.
    """
    validate_type(mode, str, "mode")
    check_option("mode", mode, ("max", "abs"))
    ts = as_timeseries(data, sfreq_hz=sfreq_hz, monitor=monitor, variable=variable, picks=picks,
                       labels_img=labels_img)
    if ts.n_segments > 1:
        raise ValueError(f"lagged_fc needs continuous data, got {ts.n_segments} segments (epochs).")
    L = _max_lag(ts.n_times, ts.sfreq_hz, max_lag, max_lag_s)
    R = _lagged_corr(ts.data, L)
    # full[k + L, i, j] = corr(x_i[t], x_j[t + k]) for k = -L..L
    full = np.concatenate([R[L:0:-1].transpose(0, 2, 1), R], axis=0)
    score = full if mode == "max" else np.abs(full)
    idx = np.argmax(score, axis=0)
    r_peak = np.take_along_axis(full, idx[None], axis=0)[0]
    lag = idx - L
    np.fill_diagonal(lag, 0)
    np.fill_diagonal(r_peak, 1.0)
    return r_peak, lag
