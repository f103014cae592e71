"""Power spectra (through MNE's Welch estimator) and spectral summaries/distances."""

from __future__ import annotations

import numpy as np

from .._validate import check_array, check_option, check_positive, logger, validate_type, verbose
from ._inputs import as_timeseries

__all__ = ["psd", "peak_frequency", "band_power", "median_frequency", "spectral_chi2"]


@verbose
def psd(data, *, sfreq_hz=None, fmin=0.0, fmax=None, window_s=None, overlap=0.5, average="mean", monitor=None,
        variable=None, picks=None, labels_img=None, verbose=None):
    """Power spectral density with Welch's method (:func:`mne.time_frequency.psd_array_welch`).

    Parameters
    ----------
    data : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts; a sampling
        frequency is required.
    sfreq_hz : float | None
        Sampling frequency in Hz (required for arrays).
    fmin, fmax : float | None
        Frequency range in Hz (``fmax=None``: up to Nyquist).
    window_s : float | None
        Welch segment length in seconds (sets the resolution ``1 / window_s`` Hz).
        Default: ``min(256, n_times_per_segment)`` samples, MNE's default. Use the
        same ``window_s`` for recordings you want to compare.
    overlap : float
        Fraction of overlap between Welch segments, in [0, 1).
    average : {"mean", "median"}
        How Welch segments are averaged. Epochs/segments are then averaged
        (mean) so no Welch segment straddles an epoch boundary.
    monitor, variable, picks, labels_img
        Passed to :func:`~mne_nmm.analysis.as_timeseries`.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    psds : ndarray, shape (n_freqs, n_channels)
        Frequency-major (like time-major data) one-sided PSD in (data unit)^2/Hz
        (a Hamming window, mean removed per Welch segment).
    freqs : ndarray, shape (n_freqs,)
        Frequencies in Hz.
    """
    from mne.time_frequency import psd_array_welch

    ts = as_timeseries(data, sfreq_hz=sfreq_hz, monitor=monitor, variable=variable, picks=picks,
                       labels_img=labels_img)
    sf = ts.require_sfreq("a power spectrum")
    seg_len = ts.n_times // ts.n_segments
    if window_s is None:
        n_per_seg = min(256, seg_len)
    else:
        window_s = check_positive(window_s, "window_s")
        n_per_seg = int(round(window_s * sf))
        if n_per_seg > seg_len:
            raise ValueError(f"window_s={window_s:g} s ({n_per_seg} samples) is longer than the data "
                             f"({seg_len} samples = {seg_len / sf:g} s per segment).")
        if n_per_seg < 2:
            raise ValueError(f"window_s={window_s:g} s is fewer than 2 samples at {sf:g} Hz.")
    validate_type(overlap, "numeric", "overlap")
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap must be a fraction in [0, 1), got {overlap!r}.")
    check_option("average", average, ("mean", "median"))
    fmin = 0.0 if fmin is None else float(check_positive(fmin, "fmin", strict=False))
    fmax = np.inf if fmax is None else check_positive(fmax, "fmax")
    if fmax <= fmin:
        raise ValueError(f"fmax must be greater than fmin, got fmin={fmin:g}, fmax={fmax:g}.")
    x = np.ascontiguousarray(ts.segments().transpose(0, 2, 1))  # (n_seg, n_ch, n_times)
    psds, freqs = psd_array_welch(x, sf, fmin=fmin, fmax=fmax, n_fft=n_per_seg, n_per_seg=n_per_seg,
                                  n_overlap=int(overlap * n_per_seg), average=average, verbose=False)
    if freqs.size == 0:
        raise ValueError(f"No frequency bin lies in [fmin, fmax] = [{fmin:g}, {fmax:g}] Hz "
                         f"(resolution {sf / n_per_seg:g} Hz, Nyquist {sf / 2:g} Hz).")
    logger.info("PSD: %d-sample Welch windows (%.4g Hz resolution), %d segment(s)", n_per_seg, sf / n_per_seg,
                ts.n_segments)
    return psds.mean(axis=0).T, freqs


def _check_spectrum(psds, freqs, fmin, fmax):
    p = check_array(psds, "psds", nonnegative=True)
    f = check_array(freqs, "freqs", ndim=1)
    if p.ndim not in (1, 2) or p.shape[0] != f.size:
        raise ValueError(f"psds must have shape (n_freqs,) or (n_freqs, n_channels) with n_freqs = len(freqs) = "
                         f"{f.size}, got shape {p.shape}.")
    if f.size > 1 and np.any(np.diff(f) <= 0):
        raise ValueError("freqs must be strictly increasing.")
    lo = -np.inf if fmin is None else float(fmin)
    hi = np.inf if fmax is None else float(fmax)
    sel = (f >= lo) & (f <= hi)
    if not sel.any():
        raise ValueError(f"No frequency in [fmin, fmax] = [{fmin}, {fmax}] Hz; freqs span "
                         f"[{f[0]:g}, {f[-1]:g}] Hz.")
    return p, f, sel


def peak_frequency(psds, freqs, *, fmin=None, fmax=None):
    """Frequency of the largest PSD value.

    Parameters
    ----------
    psds : array-like, shape (n_freqs,) | (n_freqs, n_channels)
        Power spectra (frequency-major, as returned by :func:`psd`).
    freqs : array-like, shape (n_freqs,)
        Frequencies in Hz.
    fmin, fmax : float | None
        Search range in Hz. ``fmin=None`` excludes 0 Hz (the DC bin).

    Returns
    -------
    peak_hz : float | ndarray, shape (n_channels,)
        Resolution is the bin spacing of ``freqs``.
    """
    p, f, sel = _check_spectrum(psds, freqs, fmin, fmax)
    if fmin is None:
        sel &= f > 0
        if not sel.any():
            raise ValueError("No frequency above 0 Hz in freqs.")
    fs = f[sel]
    peak = fs[np.argmax(p[sel], axis=0)]
    return float(peak) if np.ndim(peak) == 0 else peak


def band_power(psds, freqs, *, fmin, fmax, relative=False):
    """Power in a frequency band (rectangle rule: sum of PSD bins times bin width).

    Parameters
    ----------
    psds : array-like, shape (n_freqs,) | (n_freqs, n_channels)
        PSD in unit^2/Hz.
    freqs : array-like, shape (n_freqs,)
        Equally spaced frequencies in Hz.
    fmin, fmax : float
        Band edges in Hz (bins with ``fmin <= f <= fmax``).
    relative : bool
        Divide by the power summed over all frequencies in ``freqs``.

    Returns
    -------
    power : float | ndarray, shape (n_channels,)
        In unit^2 (the variance explained by the band), or a fraction if
        ``relative``.
    """
    p, f, sel = _check_spectrum(psds, freqs, fmin, fmax)
    df = f[1] - f[0] if f.size > 1 else 1.0
    if f.size > 2 and not np.allclose(np.diff(f), df, rtol=1e-6):
        raise ValueError("freqs must be equally spaced for band_power.")
    power = p[sel].sum(axis=0) * df
    if relative:
        total = p.sum(axis=0) * df
        if np.any(total == 0):
            raise ValueError("relative=True but a spectrum has zero total power.")
        power = power / total
    return float(power) if np.ndim(power) == 0 else power


def median_frequency(psds, freqs, *, fmin=None, fmax=None):
    """Frequency that splits the power in ``[fmin, fmax]`` into two equal halves.

    The cumulative power is integrated with the trapezoid rule and the 50 % point
    is found by linear interpolation (so a flat spectrum gives the band centre).

    Parameters
    ----------
    psds : array-like, shape (n_freqs,) | (n_freqs, n_channels)
        PSD.
    freqs : array-like, shape (n_freqs,)
        Frequencies in Hz.
    fmin, fmax : float | None
        Range in Hz (default: all of ``freqs``).

    Returns
    -------
    median_hz : float | ndarray, shape (n_channels,)
    """
    p, f, sel = _check_spectrum(psds, freqs, fmin, fmax)
    fs, ps = f[sel], p[sel]
    if fs.size < 2:
        raise ValueError("median_frequency needs at least 2 frequency bins in [fmin, fmax].")
    ps2 = ps.reshape(fs.size, -1)
    out = np.empty(ps2.shape[1])
    for c in range(ps2.shape[1]):
        cum = np.concatenate([[0.0], np.cumsum((ps2[1:, c] + ps2[:-1, c]) / 2 * np.diff(fs))])
        if cum[-1] <= 0:
            raise ValueError(f"Spectrum {c} has zero power in [fmin, fmax]; its median frequency is undefined.")
        half = cum[-1] / 2
        j = int(np.searchsorted(cum, half))  # first index with cum >= half
        j = max(j, 1)
        c0, c1 = cum[j - 1], cum[j]
        out[c] = fs[j - 1] + (half - c0) / (c1 - c0) * (fs[j] - fs[j - 1]) if c1 > c0 else fs[j]
    return float(out[0]) if ps.ndim == 1 else out


def spectral_chi2(psd_a, psd_b):
    """Chi-square distance between spectra normalised like histograms.

    ``chi2(P, Q) = sum_l (P_l - Q_l)^2 / (P_l + Q_l)`` with ``sum_l P_l = sum_l
    Q_l = 1``; bins where ``P_l + Q_l = 0`` contribute 0. It is 0 for spectra of
    identical shape and 2 for spectra with disjoint support, the measure used to
    compare neural mass models with spiking networks.

    Parameters
    ----------
    psd_a, psd_b : array-like, shape (n_freqs,) | (n_freqs, n_channels)
        Non-negative spectra on the same frequency grid (frequency-major); each
        spectrum (column) is normalised to sum 1.

    Returns
    -------
    chi2 : float | ndarray, shape (n_channels,)
        In [0, 2].
    """
    a = check_array(psd_a, "psd_a", nonnegative=True)
    b = check_array(psd_b, "psd_b", nonnegative=True)
    if a.shape != b.shape or a.ndim not in (1, 2):
        raise ValueError(f"psd_a and psd_b must have the same shape (n_freqs,) or (n_freqs, n_channels), got "
                         f"{a.shape} and {b.shape}.")
    sums = []
    for name, x in (("psd_a", a), ("psd_b", b)):
        s = x.sum(axis=0)
        if np.any(s <= 0):
            raise ValueError(f"{name} has a spectrum with zero total power; it cannot be normalised.")
        sums.append(s)
    p, q = a / sums[0], b / sums[1]
    den = p + q
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(den > 0, (p - q) ** 2 / np.where(den > 0, den, 1.0), 0.0)
    out = terms.sum(axis=0)
    return float(out) if np.ndim(out) == 0 else out
