"""Figures for FC, spectra, FCD, BOLD carpets and sensor topographies.

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot
(no global state, nothing shown), usable alone or in :func:`make_report`.
matplotlib and mne are imported inside the functions.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_array, check_positive, validate_type, verbose
from ._common import as_matrix, figure
from ._inputs import as_timeseries
from .fc import fc_similarity, upper_triangle
from .fcd import fcd_values

__all__ = ["plot_fc", "plot_fc_comparison", "plot_psd", "plot_fcd", "plot_carpet", "plot_band_topomaps",
           "plot_region_map"]

DEFAULT_BANDS = {"delta": (1.0, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0)}


def _as_dict(obj, name, what):
    if isinstance(obj, dict):
        if not obj:
            raise ValueError(f"{name} is empty; give at least one {what}.")
        return {str(k): v for k, v in obj.items()}
    return {"data": obj}


def _matrix_axes(ax, m, title, names, vmin, vmax, cmap, cbar_label):
    im = ax.imshow(m, vmin=vmin, vmax=vmax, cmap=cmap, interpolation="nearest")
    ax.set_title(title)
    if names is not None and len(names) <= 40:
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
        ax.set_yticks(range(len(names)), names, fontsize=6)
    else:
        ax.set_xlabel("region")
        ax.set_ylabel("region")
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label=cbar_label)
    return im


def plot_fc(fc, *, names=None, title="Functional connectivity", vmin=-1.0, vmax=1.0, cmap="RdBu_r"):
    """Plot one FC matrix.

    Parameters
    ----------
    fc : array-like, shape (n_regions, n_regions)
        FC matrix (e.g. from :func:`~mne_nmm.analysis.functional_connectivity`).
    names : list of str | None
        Region names for tick labels (shown when there are at most 40).
    title : str
        Axes title.
    vmin, vmax : float
        Colour limits.
    cmap : str
        Matplotlib colormap.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    m = as_matrix(fc, "fc")
    fig = figure(5, 4.2)
    _matrix_axes(fig.subplots(), m, title, names, vmin, vmax, cmap, "r")
    return fig


def plot_fc_comparison(fc_simulated, fc_empirical, *, labels=("simulated", "empirical"), names=None,
                       vmin=-1.0, vmax=1.0, cmap="RdBu_r"):
    """FC matrices side by side and a scatter of their upper triangles.

    Parameters
    ----------
    fc_simulated, fc_empirical : array-like, shape (n_regions, n_regions)
        FC matrices with the same region order.
    labels : tuple of str
        Names of the two matrices.
    names : list of str | None
        Region names (ticks when at most 40).
    vmin, vmax : float
        Colour limits.
    cmap : str
        Matplotlib colormap.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Three axes: two matrices and the scatter (title gives r and RMSE from
        :func:`~mne_nmm.analysis.fc_similarity`).
    """
    a = as_matrix(fc_simulated, "fc_simulated")
    b = as_matrix(fc_empirical, "fc_empirical")
    if a.shape != b.shape:
        raise ValueError(f"fc_simulated and fc_empirical must have the same shape, got {a.shape} and {b.shape}.")
    validate_type(labels, (tuple, list), "labels")
    fig = figure(14, 4.2)
    axes = fig.subplots(1, 3)
    _matrix_axes(axes[0], a, f"FC {labels[0]}", names, vmin, vmax, cmap, "r")
    _matrix_axes(axes[1], b, f"FC {labels[1]}", names, vmin, vmax, cmap, "r")
    ua, ub = upper_triangle(a), upper_triangle(b)
    axes[2].scatter(ub, ua, s=4, alpha=0.5, color="k", rasterized=True)
    lo, hi = min(ua.min(), ub.min()), max(ua.max(), ub.max())
    axes[2].plot([lo, hi], [lo, hi], color="C3", lw=1, label="identity")
    axes[2].set_xlabel(f"FC {labels[1]}")
    axes[2].set_ylabel(f"FC {labels[0]}")
    try:
        s = fc_similarity(a, b)
        axes[2].set_title(f"r = {s['r']:.3f}, RMSE = {s['rmse']:.3f}")
    except ValueError:
        axes[2].set_title("upper triangles")
    axes[2].legend(loc="upper left", frameon=False)
    axes[2].set_aspect("equal", adjustable="datalim")
    return fig


def plot_psd(spectra, *, log=True, fmin=None, fmax=None, show_channels=False, unit=None,
             title="Power spectral density"):
    """Overlay power spectra.

    Parameters
    ----------
    spectra : (psds, freqs) | dict of str -> (psds, freqs)
        Output(s) of :func:`~mne_nmm.analysis.psd`: ``psds`` of shape
        (n_freqs,) or (n_freqs, n_channels), ``freqs`` in Hz. Each entry is
        drawn as the channel mean (line) with the 10-90 % range across channels
        (shaded), in its own colour.
    log : bool
        Logarithmic power axis.
    fmin, fmax : float | None
        Frequency limits of the plot in Hz.
    show_channels : bool
        Also draw every channel as a thin line.
    unit : str | None
        Data unit for the axis label (e.g. ``"V"``), giving ``unit^2/Hz``.
    title : str
        Axes title.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    spectra = _as_dict(spectra, "spectra", "(psds, freqs) pair")
    fig = figure(6.5, 4)
    ax = fig.subplots()
    for k, (label, pair) in enumerate(spectra.items()):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"spectra[{label!r}] must be a (psds, freqs) pair, got {type(pair).__name__}.")
        p = check_array(pair[0], f"spectra[{label!r}] psds", nonnegative=True)
        f = check_array(pair[1], f"spectra[{label!r}] freqs", ndim=1)
        p = p.reshape(f.size, -1)
        color = f"C{k}"
        if show_channels:
            ax.plot(f, p, color=color, lw=0.3, alpha=0.4)
        if p.shape[1] > 1:
            ax.fill_between(f, np.percentile(p, 10, axis=1), np.percentile(p, 90, axis=1), color=color, alpha=0.2,
                            lw=0)
        ax.plot(f, p.mean(axis=1), color=color, lw=1.5, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlim(left=fmin, right=fmax)
    ax.set_xlabel("Frequency (Hz)")
    ax.set_ylabel(f"PSD ({unit}²/Hz)" if unit else "PSD (unit²/Hz)")
    ax.set_title(title)
    ax.legend(frameon=False)
    return fig


def plot_fcd(fcds, *, step_s=None, k=1, bins=40):
    """FCD matrices and the histograms of their values.

    Parameters
    ----------
    fcds : array-like | dict of str -> array-like
        FCD matrix/matrices of shape (n_windows, n_windows) from
        :func:`~mne_nmm.analysis.fcd_matrix`.
    step_s : float | None
        Window step in seconds: axes in seconds instead of window index.
    k : int
        Diagonal offset of the values entering the histogram
        (:func:`~mne_nmm.analysis.fcd_values`).
    bins : int
        Histogram bins on [-1, 1].

    Returns
    -------
    fig : matplotlib.figure.Figure
        One matrix per entry, then one axes with all histograms (densities).
    """
    fcds = _as_dict(fcds, "fcds", "FCD matrix")
    mats = {label: check_array(m, f"fcds[{label!r}]", ndim=2) for label, m in fcds.items()}
    if step_s is not None:
        step_s = check_positive(step_s, "step_s")
    n = len(mats)
    fig = figure(4.2 * (n + 1), 3.8)
    axes = np.atleast_1d(fig.subplots(1, n + 1))
    edges = np.linspace(-1, 1, bins + 1)
    for k_ax, (label, m) in enumerate(mats.items()):
        ext = None if step_s is None else (0, m.shape[0] * step_s, m.shape[0] * step_s, 0)
        im = axes[k_ax].imshow(m, vmin=-1, vmax=1, cmap="RdBu_r", extent=ext, interpolation="nearest")
        axes[k_ax].set_title(f"FCD {label}")
        unit = "window" if step_s is None else "time (s)"
        axes[k_ax].set_xlabel(unit)
        axes[k_ax].set_ylabel(unit)
        fig.colorbar(im, ax=axes[k_ax], shrink=0.8, label="r")
        axes[n].hist(fcd_values(m, k=k), bins=edges, density=True, histtype="step", lw=1.5, color=f"C{k_ax}",
                     label=label)
    axes[n].set_xlabel("FCD value (r between window FCs)")
    axes[n].set_ylabel("density")
    axes[n].set_title("FCD distributions")
    axes[n].legend(frameon=False)
    return fig


@verbose
def plot_carpet(data, *, sfreq_hz=None, zscore=True, vlim=2.0, title="Carpet plot", monitor=None, variable=None,
                picks=None, labels_img=None, verbose=None):
    """Carpet plot (regions x time image), e.g. of BOLD signals.

    Parameters
    ----------
    data : input
        Anything :func:`~mne_nmm.analysis.as_timeseries` accepts.
    sfreq_hz : float | None
        Sampling frequency (time axis in seconds when known, else samples).
    zscore : bool
        z-score each region over time first (colour limits ``±vlim``).
    vlim : float
        Symmetric colour limit (in z units if ``zscore``).
    title : str
        Axes title.
    monitor, variable, picks, labels_img, verbose
        Passed to :func:`~mne_nmm.analysis.as_timeseries`.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Top: global (mean) signal; bottom: the carpet.
    """
    ts = as_timeseries(data, sfreq_hz=sfreq_hz, monitor=monitor, variable=variable, picks=picks,
                       labels_img=labels_img)
    x = ts.data
    if zscore:
        sd = x.std(axis=0)
        sd[sd == 0] = 1.0
        x = (x - x.mean(axis=0)) / sd
    t_end = ts.n_times if ts.sfreq_hz is None else ts.n_times / ts.sfreq_hz
    fig = figure(9, 5)
    ax_g, ax_c = fig.subplots(2, 1, sharex=True, height_ratios=(1, 3))
    t = np.arange(ts.n_times) * (t_end / ts.n_times)
    ax_g.plot(t, x.mean(axis=1), color="k", lw=0.8)
    ax_g.set_ylabel("global" + (" (z)" if zscore else ""))
    ax_g.set_title(title)
    v = vlim if zscore else np.max(np.abs(x))
    im = ax_c.imshow(x.T, aspect="auto", cmap="gray", vmin=-v, vmax=v, extent=(0, t_end, ts.n_channels, 0),
                     interpolation="nearest")
    ax_c.set_xlabel("time (s)" if ts.sfreq_hz is not None else "sample")
    ax_c.set_ylabel("region")
    fig.colorbar(im, ax=ax_c, shrink=0.8, label="z" if zscore else "signal")
    return fig


@verbose
def plot_band_topomaps(data, *, info=None, bands=None, relative=True, sfreq_hz=None, window_s=None, picks=None,
                       verbose=None):
    """Sensor topographies of band power (EEG or MEG).

    Parameters
    ----------
    data : input
        Sensor-level signals: an MNE ``Raw``/``Epochs``/``Evoked`` (positions from
        its info) or an array / monitor output of shape (n_times, n_channels)
        with ``info``.
    info : mne.Info | None
        Measurement info with channel positions (required unless ``data`` is an
        MNE object); its channels must match ``data``'s in number and order.
    bands : dict of str -> (float, float) | None
        Bands in Hz (default delta, theta, alpha, beta).
    relative : bool
        Plot band power relative to the total power of each channel.
    sfreq_hz : float | None
        Sampling frequency for array input (default: ``info["sfreq"]``).
    window_s : float | None
        Welch window in seconds (see :func:`~mne_nmm.analysis.psd`).
    picks : str | list | None
        Channel selection for MNE objects.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One topomap per band.
    """
    import mne

    from .spectra import band_power, psd

    bands = DEFAULT_BANDS if bands is None else bands
    validate_type(bands, dict, "bands")
    if info is not None:
        validate_type(info, mne.Info, "info")
    ts = as_timeseries(data, sfreq_hz=sfreq_hz, picks=picks)
    if ts.sfreq_hz is None and info is not None:
        ts = ts.with_data(ts.data, sfreq_hz=float(info["sfreq"]))
    if info is None:
        info = ts.info
    if info is None:
        raise ValueError("info (an mne.Info with channel positions) is required when data is not an MNE "
                         f"sensor-space object (got {ts.source}).")
    if len(info["ch_names"]) != ts.n_channels:
        raise ValueError(f"info has {len(info['ch_names'])} channels but data has {ts.n_channels}.")
    types = set(info.get_channel_types())
    if not types <= {"eeg", "mag", "grad"} or ({"mag", "grad"} & types and "eeg" in types):
        raise ValueError(f"plot_band_topomaps needs EEG-only or MEG-only channels, got types {sorted(types)}; "
                         "use picks.")
    ch_type = "eeg" if types == {"eeg"} else ("mag" if "mag" in types else "grad")
    sel = [i for i, t in enumerate(info.get_channel_types()) if t == ch_type]
    p, f = psd(ts, window_s=window_s)
    fig = figure(3.0 * len(bands), 3.2)
    axes = np.atleast_1d(fig.subplots(1, len(bands)))
    sub_info = mne.pick_info(info, sel)
    for ax, (name, (lo, hi)) in zip(axes, bands.items()):
        bp = band_power(p, f, fmin=lo, fmax=hi, relative=relative)[sel]
        im, _ = mne.viz.plot_topomap(bp, sub_info, ch_type=ch_type, axes=ax, show=False, cmap="viridis")
        ax.set_title(f"{name} {lo:g}-{hi:g} Hz")
        fig.colorbar(im, ax=ax, shrink=0.7, label="relative power" if relative else "power")
    return fig


def plot_region_map(values, region_names, *, atlas="tvb76", cmap="viridis", vmin=None, vmax=None, title=None,
                    label=None, max_distance_mm=5.0):
    """One value per region painted on nilearn's fsaverage5 cortex (lateral and medial views).

    The way to look at region-level estimates of the offline default heads, whose
    discrete source spaces ``stc.plot`` cannot draw (it needs a FreeSurfer
    subject's inflated surfaces): e.g. the alpha power of each region, or the
    region columns of ``mne.minimum_norm.apply_inverse`` on the ``"centres"`` head.
    Uses :func:`mne_nmm.convert.nifti.to_surface` and
    :func:`nilearn.plotting.plot_surf_stat_map`.

    Parameters
    ----------
    values : array, shape (n_regions,)
        Values to show.
    region_names : sequence of str
        Their region names (tvb76 or Desikan-Killiany / tvb68 names).
    atlas : "tvb76" | "desikan_killiany"
        Vertex labelling of fsaverage5 (see :func:`~mne_nmm.convert.nifti.to_surface`).
    cmap, vmin, vmax : str, float | None
        Colour map and limits (default: the range of ``values``).
    title, label : str | None
        Figure title and colour-bar label.
    max_distance_mm : float
        tvb76 labelling distance.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Four views: left lateral, left medial, right lateral, right medial.
    """
    from matplotlib import cm, colors
    from matplotlib.figure import Figure
    from nilearn import plotting

    from ..convert.nifti import to_surface

    v = check_array(values, "values", ndim=1)
    names = [str(n) for n in region_names]
    if len(names) != v.size:
        raise ValueError(f"region_names must have one name per value ({v.size}), got {len(names)}.")
    img = to_surface(v[None, :], atlas, region_names=names, tr_s=1.0, on_mismatch="subset",
                     max_distance_mm=max_distance_mm)
    lo = float(np.nanmin(v)) if vmin is None else float(vmin)
    hi = float(np.nanmax(v)) if vmax is None else float(vmax)
    if not hi > lo:
        hi = lo + 1.0
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    views = [("left", "lateral"), ("left", "medial"), ("right", "lateral"), ("right", "medial")]
    for k, (hemi, view) in enumerate(views):
        ax = fig.add_subplot(1, 5, k + 1, projection="3d")
        plotting.plot_surf_stat_map(img.mesh, img, hemi=hemi, view=view, axes=ax, figure=fig, colorbar=False,
                                    cmap=cmap, vmin=lo, vmax=hi, symmetric_cbar=False, threshold=None)
        ax.set_title(f"{hemi} {view}", fontsize="small")
    cax = fig.add_subplot(1, 5, 5)
    cax.set_axis_off()
    fig.colorbar(cm.ScalarMappable(norm=colors.Normalize(lo, hi), cmap=cmap), ax=cax, fraction=0.5,
                 label=label or "")
    if title:
        fig.suptitle(title)
    return fig
