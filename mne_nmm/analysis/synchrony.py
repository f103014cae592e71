"""Phase synchrony: Kuramoto order parameter, metastability, phase-locking value."""

from __future__ import annotations

import numpy as np

from .._validate import check_array, verbose
from ._inputs import analytic, as_timeseries, bandpass

__all__ = ["instantaneous_phase", "order_parameter", "kuramoto_order", "metastability", "phase_locking_value"]


@verbose
def instantaneous_phase(data, *, band=None, sfreq_hz=None, monitor=None, variable=None, picks=None,
                        labels_img=None, verbose=None):
    """Instantaneous phase from the analytic signal (:func:`scipy.signal.hilbert`).

    Parameters
    ----------
    data : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts.
    band : tuple of float | None
        ``(l_freq, h_freq)`` in Hz: zero-phase band-pass (MNE FIR) first. The
        phase of a broadband signal is poorly defined; band-pass unless the
        signal is already narrow-band. Edge samples (about half a filter length
        and a few cycles) are less reliable.
    sfreq_hz, monitor, variable, picks, labels_img
        Passed to :func:`~mne_nmm.analysis.as_timeseries`.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    phases : ndarray, shape (n_times, n_channels)
        Phases in radians, in (-pi, pi]. The mean of each segment is removed
        before the Hilbert transform.
    """
    ts = as_timeseries(data, sfreq_hz=sfreq_hz, monitor=monitor, variable=variable, picks=picks,
                       labels_img=labels_img)
    ts = bandpass(ts, band, purpose="band-pass filtering")
    segs = ts.segments()
    ts = ts.with_data((segs - segs.mean(axis=1, keepdims=True)).reshape(ts.data.shape))
    return np.angle(analytic(ts))


def order_parameter(phases):
    """Kuramoto order parameter of given phases.

    ``R(t) = | (1/N) sum_j exp(i phi_j(t)) |``: 1 when all ``N`` phases are
    equal, about ``1/sqrt(N)`` (``E[R^2] = 1/N`` exactly) for independent
    uniform phases.

    Parameters
    ----------
    phases : array-like, shape (n_times, n_regions)
        Phases in radians.

    Returns
    -------
    R : ndarray, shape (n_times,)
        In [0, 1].
    """
    ph = check_array(phases, "phases", ndim=2)
    return np.abs(np.exp(1j * ph).mean(axis=1))


def kuramoto_order(data, *, band=None, sfreq_hz=None, monitor=None, variable=None, picks=None, labels_img=None,
                   verbose=None):
    """Kuramoto order parameter ``R(t)`` of a multichannel signal.

    Phases come from :func:`instantaneous_phase` (analytic signal, optionally
    band-passed); ``R(t)`` from :func:`order_parameter`.

    Parameters
    ----------
    data : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts.
    band, sfreq_hz, monitor, variable, picks, labels_img, verbose
        See :func:`instantaneous_phase`.

    Returns
    -------
    R : ndarray, shape (n_times,)
        Order parameter over time, in [0, 1].
    """
    return order_parameter(instantaneous_phase(data, band=band, sfreq_hz=sfreq_hz, monitor=monitor,
                                               variable=variable, picks=picks, labels_img=labels_img,
                                               verbose=verbose))


def metastability(order):
    """Metastability: the standard deviation over time of the Kuramoto order parameter.

    Parameters
    ----------
    order : array-like, shape (n_times,)
        ``R(t)`` from :func:`kuramoto_order` or :func:`order_parameter`.

    Returns
    -------
    metastability : float
        ``std(R)`` (population standard deviation, ``ddof=0``).
    """
    r = check_array(order, "order", ndim=1)
    if np.any(r < 0) or np.any(r > 1 + 1e-12):
        raise ValueError("order must be a Kuramoto order parameter R(t) with values in [0, 1]; "
                         "compute it with kuramoto_order(data) first.")
    return float(np.std(r))


def phase_locking_value(data, *, band=None, sfreq_hz=None, monitor=None, variable=None, picks=None,
                        labels_img=None, verbose=None):
    """Phase-locking value between every pair of channels.

    ``PLV[j, k] = | mean_t exp(i (phi_j(t) - phi_k(t))) |``.

    Parameters
    ----------
    data : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts.
    band, sfreq_hz, monitor, variable, picks, labels_img, verbose
        See :func:`instantaneous_phase`.

    Returns
    -------
    plv : ndarray, shape (n_channels, n_channels)
        Symmetric, in [0, 1], ones on the diagonal.
    """
    ph = instantaneous_phase(data, band=band, sfreq_hz=sfreq_hz, monitor=monitor, variable=variable, picks=picks,
                             labels_img=labels_img, verbose=verbose)
    u = np.exp(1j * ph)
    plv = np.abs(u.T @ u.conj()) / ph.shape[0]
    np.clip(plv, 0.0, 1.0, out=plv)
    np.fill_diagonal(plv, 1.0)
    return plv
