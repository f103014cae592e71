"""Simulated-versus-empirical comparison with identical preprocessing on both sides."""

from __future__ import annotations

import numpy as np

from .._validate import check_positive, logger, validate_type, verbose
from ._common import on_common_grid
from ._inputs import bandpass, normalise_pair
from .envelope import envelope_correlation
from .fc import fc_similarity, functional_connectivity
from .fcd import fcd_distance, fcd_matrix
from .spectra import median_frequency, peak_frequency, psd, spectral_chi2
from .synchrony import kuramoto_order, metastability

__all__ = ["compare"]

_MEASURES = ("fc", "fcd", "psd", "synchrony", "aec")


def _row(measure, score, value, simulated=np.nan, empirical=np.nan, better="", description=""):
    return dict(measure=measure, score=score, value=float(value), simulated=float(simulated),
                empirical=float(empirical), better=better, description=description)


@verbose
def compare(simulated, empirical, *, measures=None, sfreq_hz=None, band=None, window_s=None, step_s=None,
            psd_window_s=None, fmin=None, fmax=None, synchrony_band=None, aec_band=None, monitor=None,
            variable=None, picks=None, labels_img=None, verbose=None):
    """Score a simulation against empirical data (or any two recordings).

    Both inputs go through :func:`~mne_nmm.analysis.as_timeseries` and then
    the **same** preprocessing (optional ``band``-pass) and the same estimators
    with the same settings (FC kind, FCD windows in seconds, Welch window in
    seconds, frequency range), so differences in the scores come from the data,
    not the pipeline.

    Parameters
    ----------
    simulated, empirical : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts. For ``fc``,
        ``fcd`` and ``aec`` both must have the same regions in the same order.
    measures : list of str | None
        Any of ``"fc"``, ``"fcd"``, ``"psd"``, ``"synchrony"``, ``"aec"``.
        Default: ``["fc", "psd"]``, plus ``"fcd"`` when ``window_s`` is given.
    sfreq_hz : float | (float, float) | None
        Sampling frequency in Hz for array inputs, one for both or a
        ``(simulated, empirical)`` pair.
    band : tuple of float | None
        ``(l_freq, h_freq)`` in Hz band-pass applied to both before every measure.
    window_s, step_s : float | None
        FCD sliding window and step in seconds (required for ``"fcd"``).
    psd_window_s : float | None
        Welch window in seconds, the same for both (so the frequency resolution
        matches). Default: 256 samples of the side with the lower sampling rate
        (or its whole length if shorter), capped by the shorter recording.
    fmin, fmax : float | None
        Frequency range in Hz for spectra (default: 0 to the lower Nyquist).
    synchrony_band : tuple of float | None
        Band-pass for the Kuramoto order parameter (``"synchrony"``).
    aec_band : tuple of float
        Band for the orthogonalised amplitude-envelope FC (required for ``"aec"``).
    monitor, variable : str | int | None
        Applied to a :class:`~mne_nmm.result.SimulationResult` /
        :class:`~mne_nmm.result.MonitorOutput` side.
    picks : str | list | None
        Applied to an MNE-object side.
    labels_img : image | None
        Applied to a 4D-image side.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    scores : pandas.DataFrame
        One row per score with columns ``measure``, ``score``, ``value``,
        ``simulated``, ``empirical`` (per-side values for summary measures such
        as the peak frequency; NaN for pairwise scores), ``better``
        (``"higher"``, ``"lower"`` or ``"closer to 0"``) and ``description``.
        Scores: ``fc_r``, ``fc_rmse`` (upper triangles of Pearson FC),
        ``fcd_ks``, ``fcd_wasserstein`` (FCD distributions), ``psd_chi2`` (chi2
        distance of the channel-averaged spectra normalised to sum 1, in
        [0, 2]), ``psd_chi2_regional`` (mean over regions, when regions
        match), ``peak_frequency_hz``, ``median_frequency_hz`` (value =
        simulated - empirical), ``mean_order``, ``metastability``
        (simulated - empirical), ``aec_orth_r`` (correlation of the
        orthogonalised envelope FC matrices). ``scores.attrs["settings"]``
        records the settings used.
    """
    import pandas as pd

    if measures is None:
        measures = ["fc", "psd"] + (["fcd"] if window_s is not None else [])
    if isinstance(measures, str):
        measures = [measures]
    validate_type(measures, (list, tuple), "measures")
    for m in measures:
        if m not in _MEASURES:
            raise ValueError(f"Invalid value in 'measures': allowed are {', '.join(map(repr, _MEASURES))}, "
                             f"got {m!r}.")
    sim, emp = normalise_pair(simulated, empirical, sfreq_hz, monitor, variable, picks, labels_img)
    sim = bandpass(sim, band, purpose="band-pass filtering (simulated)")
    emp = bandpass(emp, band, purpose="band-pass filtering (empirical)")
    region_measures = [m for m in measures if m in ("fc", "fcd", "aec")]
    if region_measures and sim.n_channels != emp.n_channels:
        raise ValueError(f"{region_measures} compare regions one to one: simulated has {sim.n_channels} "
                         f"channels, empirical {emp.n_channels}.")
    settings = dict(band=band, simulated=repr(sim), empirical=repr(emp))
    rows = []
    if "fc" in measures:
        s = fc_similarity(functional_connectivity(sim), functional_connectivity(emp))
        rows.append(_row("fc", "fc_r", s["r"], better="higher",
                         description="Pearson r of FC upper triangles"))
        rows.append(_row("fc", "fc_rmse", s["rmse"], better="lower",
                         description="RMSE of FC upper triangles"))
    if "fcd" in measures:
        if window_s is None or step_s is None:
            raise ValueError("window_s and step_s (seconds) are required for the 'fcd' measure, e.g. "
                             "window_s=60, step_s=2 for BOLD.")
        fcds = [fcd_matrix(ts, window_s=window_s, step_s=step_s) for ts in (sim, emp)]
        rows.append(_row("fcd", "fcd_ks", fcd_distance(*fcds, metric="ks"), better="lower",
                         description="KS statistic between FCD distributions"))
        rows.append(_row("fcd", "fcd_wasserstein", fcd_distance(*fcds, metric="wasserstein"),
                         better="lower", description="Wasserstein distance between FCD distributions"))
        settings.update(window_s=window_s, step_s=step_s)
    if "psd" in measures:
        sfs = (sim.require_sfreq("spectra (simulated)"), emp.require_sfreq("spectra (empirical)"))
        if psd_window_s is None:
            lo = int(np.argmin(sfs))
            lens = (sim.n_times // sim.n_segments, emp.n_times // emp.n_segments)
            psd_window_s = min(256, lens[lo]) / sfs[lo]
            psd_window_s = min(psd_window_s, lens[0] / sfs[0], lens[1] / sfs[1])
        psd_window_s = check_positive(psd_window_s, "psd_window_s")
        top = min(sfs) / 2 if fmax is None else fmax
        spectra = [psd(ts, fmin=fmin, fmax=top, window_s=psd_window_s) for ts in (sim, emp)]
        (p_s, f_s), (p_e, f_e) = spectra
        g_s, g_e, f = on_common_grid(p_s.mean(axis=1), f_s, p_e.mean(axis=1), f_e)
        rows.append(_row("psd", "psd_chi2", spectral_chi2(g_s, g_e), better="lower",
                         description="chi2 distance of normalised mean spectra (0 same, 2 disjoint)"))
        if sim.n_channels == emp.n_channels:
            r_s, r_e, _ = on_common_grid(p_s, f_s, p_e, f_e)
            rows.append(_row("psd", "psd_chi2_regional", np.mean(spectral_chi2(r_s, r_e)), better="lower",
                             description="mean over regions of the chi2 spectral distance"))
        pk = [peak_frequency(g, f) for g in (g_s, g_e)]
        rows.append(_row("psd", "peak_frequency_hz", pk[0] - pk[1], pk[0], pk[1], better="closer to 0",
                         description="peak frequency of the mean spectrum (simulated - empirical), Hz"))
        md = [median_frequency(g, f) for g in (g_s, g_e)]
        rows.append(_row("psd", "median_frequency_hz", md[0] - md[1], md[0], md[1], better="closer to 0",
                         description="median frequency of the mean spectrum (simulated - empirical), Hz"))
        settings.update(psd_window_s=psd_window_s, fmin=fmin, fmax=top, freq_resolution_hz=float(f[1] - f[0])
                        if f.size > 1 else np.nan)
    if "synchrony" in measures:
        orders = [kuramoto_order(ts, band=synchrony_band) for ts in (sim, emp)]
        mr = [float(np.mean(o)) for o in orders]
        ms = [metastability(o) for o in orders]
        rows.append(_row("synchrony", "mean_order", mr[0] - mr[1], mr[0], mr[1], better="closer to 0",
                         description="time-mean Kuramoto order parameter (simulated - empirical)"))
        rows.append(_row("synchrony", "metastability", ms[0] - ms[1], ms[0], ms[1], better="closer to 0",
                         description="std of the Kuramoto order parameter (simulated - empirical)"))
        settings.update(synchrony_band=synchrony_band)
    if "aec" in measures:
        if aec_band is None:
            raise ValueError("aec_band=(l_freq, h_freq) in Hz is required for the 'aec' measure.")
        aecs = [envelope_correlation(ts, band=aec_band, orthogonalize="pairwise") for ts in (sim, emp)]
        s = fc_similarity(aecs[0], aecs[1])
        rows.append(_row("aec", "aec_orth_r", s["r"], better="higher",
                         description="Pearson r of orthogonalised envelope-FC upper triangles"))
        settings.update(aec_band=aec_band)
    df = pd.DataFrame(rows, columns=["measure", "score", "value", "simulated", "empirical", "better",
                                     "description"])
    df.attrs["settings"] = settings
    logger.info("compare: %d scores (%s)", len(df), ", ".join(measures))
    return df
