"""Band-limited amplitude-envelope correlation, with pairwise orthogonalisation."""

from __future__ import annotations

import numpy as np

from .._validate import check_option, validate_type, verbose
from ._inputs import analytic, as_timeseries, bandpass

__all__ = ["envelope_correlation"]


def _centre_norm(x):
    xc = x - x.mean(axis=0)
    s = np.linalg.norm(xc, axis=0)
    s[s == 0] = 1.0
    return xc, s


def _aec_segment(z, orthogonalize, log, absolute):
    """Envelope correlation of one segment of analytic signals ``z`` (n_times, n)."""
    mag = np.abs(z)
    if np.any(mag == 0):
        t, c = np.argwhere(mag == 0)[0]
        raise ValueError(f"channel {c} has zero analytic amplitude at sample {t}; the envelope phase is undefined "
                         "(is a channel flat?).")
    env = np.log(mag ** 2) if log else mag
    env_c, env_s = _centre_norm(env)
    n = z.shape[1]
    if not orthogonalize:
        corr = (env_c / env_s).T @ (env_c / env_s)
        return corr
    unit_conj = z.conj() / mag  # exp(-i phi_j)
    corr = np.empty((n, n))
    for i in range(n):
        # envelope of x_i orthogonalised to each x_j: |Im(z_i conj(z_j)) / |z_j|| = |x_i| |sin(phi_i - phi_j)|
        orth = np.abs((z[:, [i]] * unit_conj).imag)
        orth[:, i] = 1.0  # self-orthogonalisation is 0: make it constant so it correlates to 0
        if log:
            orth = np.log(orth ** 2)
        orth_c, orth_s = _centre_norm(orth)
        corr[i] = np.einsum("tj,tj->j", orth_c, env_c) / (orth_s * env_s)
    if absolute:
        corr = np.abs(corr)
    return (corr + corr.T) / 2


@verbose
def envelope_correlation(data, *, band=None, orthogonalize=False, log=False, absolute=True, sfreq_hz=None,
                         monitor=None, variable=None, picks=None, labels_img=None, verbose=None):
    """Amplitude-envelope correlation (AEC), optionally leakage-corrected.

    The band-limited analytic signal ``z_j = |z_j| exp(i phi_j)`` of each
    region/source signal (:func:`scipy.signal.hilbert`) gives the envelope
    ``|z_j|``. Without orthogonalisation the result is the Pearson correlation
    of envelopes. With ``orthogonalize="pairwise"`` (Hipp et al. 2012), for
    each pair the signal ``i`` is orthogonalised to ``j`` at every sample,
    ``|Im(z_i conj(z_j)) / |z_j|| = |z_i| |sin(phi_i - phi_j)|``, which
    removes any component of ``x_i`` with zero lag to ``x_j`` (instantaneous
    field spread / source leakage); its envelope is correlated with ``|z_j|``
    and the matrix is symmetrised by averaging both directions. This follows
    the definition of :func:`mne_connectivity.envelope_correlation` (checked
    against it in the tests). Pairwise orthogonalisation is the bivariate form
    of the leakage correction of Brookes et al. (2012); their multivariate
    regression and the symmetric orthogonalisation of Colclough et al. (2015)
    are not implemented. Compute it on region or source
    signals; sensor-level AEC is dominated by field spread.

    Parameters
    ----------
    data : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts (e.g. a
        ``SourceEstimate`` or region signals).
    band : tuple of float | None
        ``(l_freq, h_freq)`` in Hz: zero-phase band-pass (MNE FIR) first.
        ``None`` assumes the data are already band-limited.
    orthogonalize : False | "pairwise"
        Leakage correction.
    log : bool
        Use ``log(envelope^2)`` (after orthogonalisation) instead of the envelope.
    absolute : bool
        Take ``|corr|`` before symmetrising (orthogonalised case only, as in
        mne-connectivity).
    sfreq_hz, monitor, variable, picks, labels_img
        Passed to :func:`~mne_nmm.analysis.as_timeseries`.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    aec : ndarray, shape (n_channels, n_channels)
        Symmetric. Diagonal 1 without, 0 with orthogonalisation. For epoched
        input the per-epoch matrices are averaged.

    References
    ----------
    Hipp J. F. et al. (2012) Large-scale cortical correlation structure of
    spontaneous oscillatory activity. Nat. Neurosci. 15, 884-890.
    Brookes M. J., Woolrich M. W., Barnes G. R. (2012) Measuring functional
    connectivity in MEG: a multivariate approach insensitive to linear source
    leakage. NeuroImage 63, 910-920.
    """
    check_option("orthogonalize", orthogonalize, (False, "pairwise"))
    validate_type(log, bool, "log")
    validate_type(absolute, bool, "absolute")
    ts = as_timeseries(data, sfreq_hz=sfreq_hz, monitor=monitor, variable=variable, picks=picks,
                       labels_img=labels_img)
    if ts.n_channels < 2:
        raise ValueError(f"envelope_correlation needs at least 2 channels, got {ts.n_channels}.")
    ts = bandpass(ts, band, purpose="band-pass filtering")
    z = analytic(ts).reshape(ts.n_segments, -1, ts.n_channels)
    mats = [_aec_segment(seg, orthogonalize, log, absolute) for seg in z]
    return np.mean(mats, axis=0)
