"""Measures on spike trains and spectra used by the spiking-vs-mass comparison.

* :func:`spike_contrast`: time-scale-independent multivariate spike-train
  synchrony (Ciba et al. 2018), 0 for independent trains, 1 for identical ones.
* :func:`welch_dof`: equivalent degrees of freedom of a Welch PSD estimate.
* :func:`chi2_distance_threshold`: significance bound of the chi-squared
  distance between two normalised spectra (:func:`mne_nmm.analysis.spectral_chi2`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["spike_contrast", "welch_dof", "chi2_distance_threshold", "population_rate"]


def spike_contrast(spike_times_ms, *, t_start_ms, t_stop_ms, min_bin_ms=None, shrink=0.9, return_curve=False):
    """Spike-contrast synchrony of a set of spike trains (Ciba et al. 2018).

    For bin sizes ``Delta`` shrinking geometrically (factor ``shrink``) from half
    the duration to ``min_bin_ms``, the trains are binned in bins of size
    ``Delta`` overlapping by half. With ``theta_k`` the spikes of all trains in
    bin ``k`` and ``n_k`` the number of trains with a spike in it:

    * contrast ``C = sum_k |theta_{k+1} - theta_k| / (2 * n_spikes)``;
    * active trains ``A = (sum_k n_k theta_k / sum_k theta_k - 1) / (n_trains - 1)``;
    * synchrony curve ``S(Delta) = C * A``; Spike-contrast ``= max S``.

    Parameters
    ----------
    spike_times_ms : list of array-like
        One array of spike times (ms) per train; at least 2 trains.
    t_start_ms, t_stop_ms : float
        Analysis window; spikes outside are ignored.
    min_bin_ms : float | None
        Smallest bin size (default: half the smallest inter-spike interval of
        any train, at least 0.1 ms).
    shrink : float
        Bin-size shrinking factor in (0, 1).
    return_curve : bool
        Also return the bin sizes and ``S(Delta)``.

    Returns
    -------
    synchrony : float
        In [0, 1]; ``nan`` if fewer than 2 spikes.
    bin_sizes_ms, curve : ndarray
        Only with ``return_curve``.

    References
    ----------
    Ciba M., Isomura T., Jimbo Y., Bahmer A., Thielemann C. (2018) Spike-contrast: a novel time scale
    independent and multivariate measure of spike train synchrony. J Neurosci Methods 293:136-143.
    """
    t0, t1 = float(t_start_ms), float(t_stop_ms)
    if not t1 > t0:
        raise ValueError(f"t_stop_ms must be greater than t_start_ms, got {t0:g} and {t1:g}.")
    if not 0 < shrink < 1:
        raise ValueError(f"shrink must be in (0, 1), got {shrink!r}.")
    trains = [np.sort(np.asarray(s, float)) for s in spike_times_ms]
    if len(trains) < 2:
        raise ValueError(f"spike_times_ms must hold at least 2 spike trains, got {len(trains)}.")
    trains = [s[(s >= t0) & (s <= t1)] for s in trains]
    n_tr = len(trains)
    ids = np.concatenate([np.full(s.size, j) for j, s in enumerate(trains)]).astype(int)
    times = np.concatenate(trains)
    n_spk = times.size
    if n_spk < 2:
        return (np.nan, np.array([]), np.array([])) if return_curve else np.nan
    if min_bin_ms is None:
        isis = [np.diff(s) for s in trains if s.size > 1]
        isis = np.concatenate(isis) if isis else np.array([t1 - t0])
        isis = isis[isis > 0]
        min_bin_ms = max(0.1, (isis.min() if isis.size else t1 - t0) / 2)
    sizes, curve = [], []
    delta = (t1 - t0) / 2
    while delta >= min_bin_ms:
        half = delta / 2
        n_half = int(np.ceil((t1 - t0) / half)) + 1
        hb = np.minimum(((times - t0) // half).astype(int), n_half - 1)
        c = np.zeros((n_tr, n_half + 1))
        np.add.at(c, (ids, hb), 1.0)
        n = c[:, :-1] + c[:, 1:]  # bins of size delta overlapping by half
        theta = n.sum(axis=0)
        active = (n > 0).sum(axis=0)
        # an isolated spike gives theta 0 -> 1 -> 1 -> 0 (it sits in 2 overlapping bins): contrast 1
        contrast = np.abs(np.diff(theta)).sum() / (2.0 * n_spk)
        act = (np.sum(active * theta) / theta.sum() - 1.0) / (n_tr - 1)
        sizes.append(delta)
        curve.append(contrast * act)
        delta *= shrink
    curve = np.asarray(curve)
    s = float(curve.max()) if curve.size else np.nan
    return (s, np.asarray(sizes), curve) if return_curve else s


def population_rate(raster, dt_ms, *, bin_ms=1.0):
    """Population rate (Hz per neuron) of a raster ``(n_times, n_neurons)`` in bins of ``bin_ms``."""
    r = np.asarray(raster, float)
    k = max(1, int(round(bin_ms / dt_ms)))
    m = r.shape[0] // k
    return r[:m * k].reshape(m, k, -1).sum(axis=(1, 2)) / (r.shape[1] * k * dt_ms * 1e-3)


def welch_dof(n_times, n_per_seg, n_overlap, *, window="hamming"):
    """Equivalent degrees of freedom ``nu`` of a Welch PSD estimate (per frequency bin).

    ``nu = 2 K / (1 + 2 sum_{m=1}^{K-1} (1 - m/K) rho_m)`` with ``K`` segments and
    ``rho_m = (sum_n w_n w_{n + m S})^2 / (sum_n w_n^2)^2`` the correlation of
    periodograms ``m`` segments apart (step ``S``) for a Gaussian process with a
    smooth spectrum (Welch 1967; Percival & Walden 1993, eq. 292b).
    """
    from scipy.signal import get_window

    n_times, n_per_seg, n_overlap = int(n_times), int(n_per_seg), int(n_overlap)
    if not 0 <= n_overlap < n_per_seg <= n_times:
        raise ValueError(f"need 0 <= n_overlap < n_per_seg <= n_times, got {n_overlap}, {n_per_seg}, {n_times}.")
    step = n_per_seg - n_overlap
    k = (n_times - n_per_seg) // step + 1
    w = get_window(window, n_per_seg)
    w2 = np.sum(w * w)
    denom = 1.0
    for m in range(1, k):
        lag = m * step
        if lag >= n_per_seg:
            break
        rho = (np.sum(w[:n_per_seg - lag] * w[lag:]) / w2) ** 2
        denom += 2 * (1 - m / k) * rho
    return 2.0 * k / denom


def chi2_distance_threshold(psd_a, psd_b, dof, *, alpha=0.01):
    """Critical chi-squared distance of two normalised spectra under "same spectrum".

    If ``P`` and ``Q`` are independent estimates of one spectrum ``p`` with
    ``nu`` degrees of freedom per bin (:func:`welch_dof`), ``P_l / p_l`` and
    ``Q_l / p_l`` are ``chi^2_nu / nu`` and, to leading order,
    ``d = sum_l (P_l - Q_l)^2 / (P_l + Q_l) ~ (2/nu) sum_l p_l z_l^2`` with
    ``z_l`` standard normal: mean ``2 / nu``, variance ``8 / nu^2 sum_l p_l^2``.
    We match it with a scaled chi-squared ``g chi^2_h`` (Satterthwaite),
    ``g = (2/nu) sum_l p_l^2``, ``h = 1 / sum_l p_l^2``, ``p`` the pooled
    normalised spectrum, and return its ``1 - alpha`` quantile. A distance above
    it means the two spectra differ beyond estimation error at level ``alpha``.

    Parameters
    ----------
    psd_a, psd_b : array-like, shape (n_freqs,)
        Non-negative spectra on the same grid.
    dof : float
        Degrees of freedom per bin of each estimate.
    alpha : float
        Significance level in (0, 1).

    Returns
    -------
    d_crit : float
    """
    from scipy.stats import chi2

    a = np.asarray(psd_a, float)
    b = np.asarray(psd_b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"psd_a and psd_b must be 1D spectra of equal length, got {a.shape} and {b.shape}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    if not dof > 0:
        raise ValueError(f"dof must be > 0, got {dof!r}.")
    pooled = a / a.sum() + b / b.sum()
    pooled = pooled / pooled.sum()
    s2 = float(np.sum(pooled ** 2))
    g = 2.0 / dof * s2
    return float(g * chi2.ppf(1 - alpha, 1.0 / s2))
