"""An HTML report (:class:`mne.Report`) for one recording or a simulated/empirical pair."""

from __future__ import annotations

import html

import numpy as np

from .._validate import logger, validate_type, verbose
from ._common import figure
from ._inputs import bandpass, normalise_pair
from .compare import compare
from .fc import functional_connectivity
from .fcd import fcd_matrix
from .plotting import plot_band_topomaps, plot_carpet, plot_fc, plot_fc_comparison, plot_fcd, plot_psd
from .spectra import psd
from .synchrony import kuramoto_order, metastability

__all__ = ["make_report"]


def _provenance_of(obj):
    """The mne_nmm provenance dict carried by an input (Raw description JSON, ``.provenance``), or None."""
    import json

    prov = getattr(obj, "provenance", None)
    if isinstance(prov, dict) and prov:
        return prov
    info = getattr(obj, "info", None)
    desc = info.get("description") if hasattr(info, "get") else None
    if isinstance(desc, str) and desc.lstrip().startswith("{"):
        try:
            doc = json.loads(desc)
        except ValueError:
            return None
        if isinstance(doc, dict) and "generated_by" in doc:
            return doc
    return None


def _provenance_html(prov):
    import json

    sim = prov.get("simulation") or {}
    gen = prov.get("generated_by") or {}
    noise = sim.get("noise") or {}
    rows = [("produced by", f"{gen.get('function')} (mne_nmm {gen.get('version')})"),
            ("model", sim.get("model")), ("connectome", (sim.get("connectome") or {}).get("name")),
            ("coupling", (sim.get("coupling") or {}).get("name")), ("global coupling", sim.get("global_coupling")),
            ("speed (m/s)", sim.get("speed_m_per_s")), ("max delay (steps)", (sim.get("delays") or {}).get("max_steps")),
            ("dt (ms)", sim.get("dt_ms")), ("integrator", sim.get("integrator")),
            ("noise", f"{noise.get('name')} sigma={noise.get('sigma')} on {noise.get('variables')}" if noise else None),
            ("key", sim.get("key")), ("reproducible (mne-nmm rerun)", prov.get("reproducible"))]
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    full = html.escape(json.dumps(prov, indent=1, sort_keys=True, default=str))
    return f"<table>{table}</table><details><summary>full record</summary><pre>{full}</pre></details>"


def _order_figure(orders, sfreqs):
    fig = figure(8, 3)
    ax = fig.subplots()
    for k, (label, r) in enumerate(orders.items()):
        t = np.arange(r.size) / sfreqs[label]
        ax.plot(t, r, lw=0.8, color=f"C{k}", label=f"{label} (metastability {metastability(r):.3f})")
    ax.set_ylim(0, 1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("Kuramoto R(t)")
    ax.legend(frameon=False)
    return fig


@verbose
def make_report(simulated, empirical=None, *, sfreq_hz=None, band=None, window_s=None, step_s=None,
                psd_window_s=None, fmin=None, fmax=None, synchrony_band=None, info=None, bands=None,
                carpet=None, title="mne_nmm: simulated vs empirical", fname=None, monitor=None, variable=None,
                picks=None, labels_img=None, verbose=None):
    """Build an HTML report of one recording, or of a simulated/empirical pair.

    Sections (when they apply): a table of scores from
    :func:`~mne_nmm.analysis.compare`; FC matrices side by side and their
    scatter; PSD overlays; FCD matrices and histograms (with ``window_s``);
    Kuramoto order parameter (with ``synchrony_band``); a carpet plot of BOLD
    signals; band-power topomaps for EEG/MEG (MNE sensor objects, or
    ``info`` for a simulated sensor-level monitor). All figures come from the
    public plotting functions and use the same preprocessing on both sides.

    Parameters
    ----------
    simulated : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts.
    empirical : input | None
        Data to compare with; ``None`` reports ``simulated`` alone.
    sfreq_hz : float | (float, float) | None
        Sampling frequency for arrays, one value or a ``(simulated, empirical)`` pair.
    band : tuple of float | None
        ``(l_freq, h_freq)`` band-pass applied to both before every measure.
    window_s, step_s : float | None
        FCD window and step in seconds (FCD section only when given).
    psd_window_s, fmin, fmax : float | None
        Welch window (s) and frequency range (Hz), see :func:`~mne_nmm.analysis.compare`.
    synchrony_band : tuple of float | None
        Band for the Kuramoto order parameter (section only when given).
    info : mne.Info | None
        Sensor info for a simulated sensor-level array/monitor (topomaps).
    bands : dict | None
        Bands for the topomaps (default delta..beta).
    carpet : bool | None
        Force (True) or skip (False) carpet plots; ``None``: for BOLD data only.
    title : str
        Report title.
    fname : path-like | None
        If given, the report is saved there as HTML (overwriting).
    monitor, variable, picks, labels_img
        Input selection, see :func:`~mne_nmm.analysis.compare`.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    report : mne.Report
    """
    import mne

    validate_type(title, str, "title")
    if fname is not None:
        validate_type(fname, "path-like", "fname")
    pair = empirical is not None
    if pair:
        sim, emp = normalise_pair(simulated, empirical, sfreq_hz, monitor, variable, picks, labels_img)
        series = {"simulated": sim, "empirical": emp}
    else:
        sim, _ = normalise_pair(simulated, simulated, sfreq_hz, monitor, variable, picks, labels_img)
        series = {"simulated": sim}
    series = {k: bandpass(v, band, purpose=f"band-pass filtering ({k})") for k, v in series.items()}
    report = mne.Report(title=title, verbose=False)
    settings = ", ".join(f"{k}={v!r}" for k, v in dict(band=band, window_s=window_s, step_s=step_s,
                                                        psd_window_s=psd_window_s, fmin=fmin,
                                                        fmax=fmax).items() if v is not None)
    inputs_html = "".join(f"<li><b>{k}</b>: {html.escape(repr(v))}</li>" for k, v in series.items())
    report.add_html(f"<ul>{inputs_html}</ul><p>Settings: {html.escape(settings or 'defaults')}</p>",
                    title="Inputs", section="Summary")
    for k, obj in (("simulated", simulated), ("empirical", empirical)):
        prov = None if obj is None else _provenance_of(obj)
        if prov is not None:
            report.add_html(_provenance_html(prov), title=f"Provenance ({k})", section="Summary")
    same_regions = len({ts.n_channels for ts in series.values()}) == 1
    if pair:
        measures = ["psd"] + (["fc"] if same_regions else []) + (
            ["fcd"] if window_s is not None and same_regions else []) + (
            ["synchrony"] if synchrony_band is not None else [])
        scores = compare(series["simulated"], series["empirical"], measures=measures, window_s=window_s,
                         step_s=step_s, psd_window_s=psd_window_s, fmin=fmin, fmax=fmax,
                         synchrony_band=synchrony_band)
        report.add_html(scores.to_html(index=False, float_format=lambda v: f"{v:.4g}"), title="Scores",
                        section="Summary")
    figs = []
    # functional connectivity
    fcs = {k: functional_connectivity(ts) for k, ts in series.items() if ts.n_channels >= 2}
    names = series["simulated"].channel_names
    if pair and same_regions:
        figs.append((plot_fc_comparison(fcs["simulated"], fcs["empirical"], names=names),
                     "FC matrices and scatter", "Functional connectivity"))
    else:
        for k, m in fcs.items():
            figs.append((plot_fc(m, names=series[k].channel_names, title=f"FC {k}"), f"FC {k}",
                         "Functional connectivity"))
    # spectra
    if all(ts.sfreq_hz is not None for ts in series.values()):
        sfs = [ts.sfreq_hz for ts in series.values()]
        top = min(sfs) / 2 if fmax is None else fmax
        if psd_window_s is None:
            lo = int(np.argmin(sfs))
            lens = [ts.n_times // ts.n_segments for ts in series.values()]
            psd_window_s = min(min(256, lens[lo]) / sfs[lo], *(n / s for n, s in zip(lens, sfs)))
        spectra = {k: psd(ts, fmin=fmin, fmax=top, window_s=psd_window_s) for k, ts in series.items()}
        figs.append((plot_psd(spectra), "PSD (mean and 10-90 % range over channels)", "Spectra"))
        # fcd
        if window_s is not None and step_s is not None:
            fcds = {k: fcd_matrix(ts, window_s=window_s, step_s=step_s) for k, ts in series.items()}
            figs.append((plot_fcd(fcds, step_s=step_s), "FCD matrices and distributions", "FCD"))
        if synchrony_band is not None:
            orders = {k: kuramoto_order(ts, band=synchrony_band) for k, ts in series.items()}
            figs.append((_order_figure(orders, {k: ts.sfreq_hz for k, ts in series.items()}),
                         f"Kuramoto order parameter, band {synchrony_band} Hz", "Synchrony"))
    else:
        logger.info("make_report: no sampling frequency, skipping spectra, FCD and synchrony")
    # carpet plots
    for k, ts in series.items():
        if carpet or (carpet is None and ts.kind == "bold"):
            figs.append((plot_carpet(ts, title=f"Carpet {k}"), f"Carpet plot {k}", "BOLD"))
    # topomaps
    for k, ts in series.items():
        if ts.info is not None and ts.kind in ("eeg", "meg"):
            topo_info = ts.info
        elif k == "simulated" and info is not None:
            topo_info = info
        else:
            continue
        try:
            fig = plot_band_topomaps(ts, info=topo_info, bands=bands, window_s=psd_window_s)
        except ValueError as err:
            logger.warning("make_report: no topomaps for %s (%s)", k, err)
            continue
        figs.append((fig, f"Band power topomaps {k}", "Topographies"))
    for fig, fig_title, section in figs:
        report.add_figure(fig, title=fig_title, section=section, image_format="png")
    if fname is not None:
        import os

        from .._io import atomic_path

        with atomic_path(os.fspath(fname)) as tmp:
            report.save(tmp, overwrite=True, open_browser=False, verbose=False)
    return report
