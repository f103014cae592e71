"""Differentiable summaries and losses in JAX, with the same definitions as :mod:`mne_nmm.analysis`.

Every function here is pure JAX (``jax.grad`` / ``jax.vmap`` / ``jax.jit`` apply) and computes
the same number as its numpy counterpart in :mod:`mne_nmm.analysis` (tested to rounding), so a
fitted score and a reported score are one definition:

============================  ==================================================================
here                          numpy / MNE reference
============================  ==================================================================
:func:`fc`                    :func:`mne_nmm.analysis.functional_connectivity` (Pearson)
:func:`fc_similarity`         :func:`mne_nmm.analysis.fc_similarity` (``r``, ``rmse``)
:func:`sliding_window_fc`     :func:`mne_nmm.analysis.sliding_window_fc`
:func:`fcd_matrix`            :func:`mne_nmm.analysis.fcd_matrix`
:func:`fcd_ks`                :func:`mne_nmm.analysis.fcd_distance` ``metric="ks"`` (not smooth)
:func:`fcd_wasserstein`       :func:`mne_nmm.analysis.fcd_distance` ``metric="wasserstein"``
:func:`bandpass`              :func:`mne.filter.filter_data` (MNE's zero-phase FIR, the filter
                              that ``band=`` uses everywhere in ``analysis``)
:func:`welch_psd`             :func:`mne_nmm.analysis.psd` (MNE's Welch, Hamming window)
============================  ==================================================================

Smooth stand-ins where the reference is piecewise constant: :func:`fcd_ks_smooth` (the KS
statistic with logistic CDFs; tends to :func:`fcd_ks` as ``bandwidth -> 0``) and
:func:`peak_frequency_soft` (a softmax-weighted frequency). :func:`fcd_wasserstein` is exact
and differentiable almost everywhere (it is Lipschitz in the FCD values), the recommended FCD
loss for gradients (it is the 1-D optimal-transport distance used for FCD by e.g. Cabral et al.
2017 in distribution form; KS is the classic score, Hansen et al. 2015).

Losses are "smaller is better": :func:`fc_loss` is ``1 - r``.

References
----------
Hansen E.C.A., Battaglia D., Spiegler A., Deco G., Jirsa V.K. (2015) Functional connectivity
dynamics: modeling the switching behavior of the resting state. NeuroImage 105:525-535.
Welch P. (1967) The use of fast Fourier transform for the estimation of power spectra. IEEE Trans
Audio Electroacoust 15:70-73.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["fc", "upper_triangle", "fc_similarity", "fc_loss", "fc_rmse", "sliding_window_fc", "fcd_matrix",
           "fcd_values", "fcd_ks", "fcd_ks_smooth", "fcd_wasserstein", "bandpass", "fir_kernel", "welch_psd",
           "log_psd_distance", "peak_frequency_soft", "evoked_error", "weighted_sum"]


def _pearson(x):
    """Pearson correlation of the columns of ``x`` (T, n); clipped to [-1, 1], unit diagonal."""
    xc = x - jnp.mean(x, axis=0)
    ss = jnp.sqrt(jnp.sum(xc * xc, axis=0))
    xn = xc / ss
    r = jnp.clip(xn.T @ xn, -1.0, 1.0)
    n = r.shape[0]
    return r.at[jnp.arange(n), jnp.arange(n)].set(1.0)


def fc(x):
    """Pearson FC of a time-major array ``(n_times, n_regions)`` -> ``(n_regions, n_regions)``.

    Equals :func:`mne_nmm.analysis.functional_connectivity` (and ``np.corrcoef(x.T)``). A constant
    region gives NaN here (the numpy version raises); losses built on it then return NaN.
    """
    return _pearson(jnp.asarray(x))


def upper_triangle(m, k=1):
    """Values above the ``k``-th diagonal of a square matrix (row-major order, as numpy's)."""
    n = m.shape[-1]
    i, j = np.triu_indices(n, k=k)
    return m[..., i, j]


def _corr1d(a, b):
    ac, bc = a - jnp.mean(a), b - jnp.mean(b)
    return jnp.sum(ac * bc) / jnp.sqrt(jnp.sum(ac * ac) * jnp.sum(bc * bc))


def fc_similarity(fc_a, fc_b):
    """``{"r", "rmse"}`` of two FC matrices over their upper triangles (as ``analysis.fc_similarity``)."""
    ua, ub = upper_triangle(fc_a), upper_triangle(fc_b)
    return {"r": _corr1d(ua, ub), "rmse": jnp.sqrt(jnp.mean((ua - ub) ** 2))}


def fc_loss(fc_sim, fc_emp):
    """``1 - r`` of the upper triangles (0 for a perfect match, 2 for anti-correlation)."""
    return 1.0 - _corr1d(upper_triangle(fc_sim), upper_triangle(fc_emp))


def fc_rmse(fc_sim, fc_emp):
    """Root mean squared difference of the upper triangles."""
    return jnp.sqrt(jnp.mean((upper_triangle(fc_sim) - upper_triangle(fc_emp)) ** 2))


def window_samples(sfreq_hz, window_s, step_s):
    """Window and step in samples, rounded as :mod:`mne_nmm.analysis.fcd` rounds them."""
    return int(round(window_s * sfreq_hz)), int(round(step_s * sfreq_hz))


def sliding_window_fc(x, n_window, n_step):
    """Window FCs ``(n_windows, n, n)`` of ``x`` (T, n); windows start at 0, n_step, ... (static ints)."""
    x = jnp.asarray(x)
    T = x.shape[0]
    starts = np.arange(0, T - n_window + 1, n_step)
    if starts.size == 0:
        raise ValueError(f"n_window={n_window} is longer than the data ({T} samples).")
    idx = starts[:, None] + np.arange(n_window)[None, :]
    return jax.vmap(_pearson)(x[idx])


def fcd_matrix(x, n_window, n_step):
    """FCD: correlation between the upper triangles of the window FCs (Hansen et al. 2015)."""
    fcs = sliding_window_fc(x, n_window, n_step)
    return _pearson(upper_triangle(fcs).T)


def fcd_values(fcd, k=1):
    """The FCD values that enter its distribution (upper triangle above diagonal ``k``)."""
    return upper_triangle(fcd, k=k)


def _as_values(f, k):
    f = jnp.asarray(f)
    return fcd_values(f, k) if f.ndim == 2 else f


def fcd_ks(fcd_a, fcd_b, k=1):
    """Two-sample Kolmogorov-Smirnov statistic of two FCD distributions (piecewise constant)."""
    a, b = jnp.sort(_as_values(fcd_a, k)), jnp.sort(_as_values(fcd_b, k))
    allv = jnp.concatenate([a, b])
    ca = jnp.searchsorted(a, allv, side="right").astype(a.dtype) / a.size
    cb = jnp.searchsorted(b, allv, side="right").astype(b.dtype) / b.size
    return jnp.max(jnp.abs(ca - cb))


def fcd_ks_smooth(fcd_a, fcd_b, k=1, bandwidth=0.02, n_grid=201, sharpness=0.005):
    """A smooth KS distance: logistic-kernel CDFs on a grid over [-1, 1], softmax-weighted max of |dCDF|.

    Tends to :func:`fcd_ks` as ``bandwidth``, ``sharpness -> 0`` (and ``n_grid`` grows); it is
    never above the KS distance of the smoothed CDFs; differentiable in the FCD values.
    """
    a, b = _as_values(fcd_a, k), _as_values(fcd_b, k)
    grid = jnp.linspace(-1.0, 1.0, n_grid, dtype=a.dtype)
    ca = jnp.mean(jax.nn.sigmoid((grid[:, None] - a[None, :]) / bandwidth), axis=1)
    cb = jnp.mean(jax.nn.sigmoid((grid[:, None] - b[None, :]) / bandwidth), axis=1)
    d = jnp.abs(ca - cb)
    return jnp.sum(jax.nn.softmax(d / sharpness) * d)


def fcd_wasserstein(fcd_a, fcd_b, k=1):
    """First Wasserstein distance of two FCD distributions (= ``scipy.stats.wasserstein_distance``).

    The integral of ``|CDF_a - CDF_b|``; exact for any sample sizes, and differentiable almost
    everywhere with respect to the values.
    """
    a, b = jnp.sort(_as_values(fcd_a, k)), jnp.sort(_as_values(fcd_b, k))
    allv = jnp.sort(jnp.concatenate([a, b]))
    deltas = jnp.diff(allv)
    ca = jnp.searchsorted(a, allv[:-1], side="right").astype(a.dtype) / a.size
    cb = jnp.searchsorted(b, allv[:-1], side="right").astype(b.dtype) / b.size
    return jnp.sum(jnp.abs(ca - cb) * deltas)


def fir_kernel(sfreq_hz, l_freq, h_freq, n_times):
    """MNE's default zero-phase FIR band-pass kernel (``mne.filter.create_filter``), as numpy.

    ``n_times`` is the signal length the filter is designed for (MNE shortens nothing; it only
    checks it). Host-side: build once, pass to :func:`bandpass`.
    """
    from mne.filter import create_filter

    h = create_filter(np.zeros(int(n_times)), float(sfreq_hz), l_freq, h_freq, method="fir", phase="zero",
                      fir_window="hamming", fir_design="firwin", verbose=False)
    return np.asarray(h, dtype=float)


def bandpass(x, h):
    """Apply a zero-phase FIR kernel ``h`` (from :func:`fir_kernel`) along time of ``x`` (T, n).

    Same result as :func:`mne.filter.filter_data`: the signal is extended at both ends by odd
    reflection (``2 x_0 - x_k``, MNE's ``"reflect_limited"``) by ``min(len(h), T) - 1`` samples,
    convolved (by FFT) and cut back with the linear-phase delay removed.
    """
    x = jnp.asarray(x)
    h = jnp.asarray(h, dtype=x.dtype)
    T, n_h = x.shape[0], h.shape[0]
    n_edge = max(min(n_h, T) - 1, 0)
    if n_edge >= T:
        raise ValueError(f"signal of {T} samples is too short for a {n_h}-tap filter.")
    left = 2 * x[:1] - x[n_edge:0:-1]
    right = 2 * x[-1:] - x[-2:-n_edge - 2:-1]
    xe = jnp.concatenate([left, x, right], axis=0)
    n_full = xe.shape[0] + n_h - 1
    n_fft = int(2 ** np.ceil(np.log2(n_full)))
    y = jnp.fft.irfft(jnp.fft.rfft(xe, n_fft, axis=0) * jnp.fft.rfft(h, n_fft)[:, None], n_fft, axis=0)
    shift = (n_h - 1) // 2 + n_edge
    return y[shift:shift + T]


def welch_psd(x, sfreq_hz, n_per_seg, overlap=0.5):
    """One-sided Welch PSD ``(n_freqs, n)`` of ``x`` (T, n) and the frequencies (numpy).

    As :func:`mne_nmm.analysis.psd` / :func:`mne.time_frequency.psd_array_welch` with
    ``n_fft = n_per_seg``: periodic Hamming window, mean removed per segment, density scaling
    (unit^2/Hz), mean over segments.
    """
    x = jnp.asarray(x)
    T = x.shape[0]
    n_overlap = int(overlap * n_per_seg)
    step = n_per_seg - n_overlap
    starts = np.arange(0, T - n_per_seg + 1, step)
    if starts.size == 0:
        raise ValueError(f"n_per_seg={n_per_seg} is longer than the data ({T} samples).")
    w = np.hamming(n_per_seg + 1)[:-1]  # periodic, as scipy.signal.get_window("hamming", N)
    segs = x[starts[:, None] + np.arange(n_per_seg)[None, :]]                 # (S, N, n)
    segs = segs - jnp.mean(segs, axis=1, keepdims=True)
    spec = jnp.fft.rfft(segs * jnp.asarray(w, dtype=x.dtype)[None, :, None], axis=1)
    p = (spec.real ** 2 + spec.imag ** 2) / (sfreq_hz * np.sum(w ** 2))
    scale = np.full(p.shape[1], 2.0)
    scale[0] = 1.0
    if n_per_seg % 2 == 0:
        scale[-1] = 1.0
    p = jnp.mean(p, axis=0) * jnp.asarray(scale, dtype=x.dtype)[:, None]
    return p, np.fft.rfftfreq(n_per_seg, 1.0 / sfreq_hz)


def log_psd_distance(psd_a, psd_b, freqs, fmin=None, fmax=None, eps=0.0):
    """Mean squared difference of ``log10`` spectra over ``[fmin, fmax]`` (all channels)."""
    freqs = np.asarray(freqs)
    sel = np.ones(freqs.size, bool)
    if fmin is not None:
        sel &= freqs >= fmin
    if fmax is not None:
        sel &= freqs <= fmax
    la = jnp.log10(jnp.asarray(psd_a)[sel] + eps)
    lb = jnp.log10(jnp.asarray(psd_b)[sel] + eps)
    return jnp.mean((la - lb) ** 2)


def peak_frequency_soft(psd, freqs, fmin, fmax, temperature=0.1):
    """Softmax-weighted peak frequency per channel over ``[fmin, fmax]`` (of the log10 spectrum).

    ``temperature`` is in decades of power: small values give the argmax frequency
    (:func:`mne_nmm.analysis.peak_frequency`), larger values a smooth, differentiable estimate.
    """
    freqs = np.asarray(freqs)
    sel = (freqs >= fmin) & (freqs <= fmax)
    lp = jnp.log10(jnp.asarray(psd)[sel])
    w = jax.nn.softmax(lp / temperature, axis=0)
    return jnp.sum(w * jnp.asarray(freqs[sel], dtype=lp.dtype).reshape((-1,) + (1,) * (lp.ndim - 1)), axis=0)


def evoked_error(sim, emp, normalize=True):
    """Mean squared error of two evoked responses ``(n_times, n_channels)``.

    ``normalize``: divided by the empirical variance (1 = as bad as predicting 0).
    """
    sim, emp = jnp.asarray(sim), jnp.asarray(emp)
    err = jnp.mean((sim - emp) ** 2)
    return err / jnp.mean(emp ** 2) if normalize else err


def weighted_sum(terms, weights):
    """``sum_k weights[k] * terms[k]`` over the names in ``weights`` (a multi-objective loss)."""
    missing = sorted(set(weights) - set(terms))
    if missing:
        raise KeyError(f"weights name unknown loss terms {missing}; terms are {sorted(terms)}")
    return sum(float(w) * terms[k] for k, w in weights.items())
