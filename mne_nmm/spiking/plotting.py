"""Figures of the spiking-vs-mass comparison (matplotlib imported on use)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_grid", "plot_comparison", "plot_qif_mpr"]


def _imshow(ax, grid, data, title, cmap="viridis", vmin=None, vmax=None, contour=None, frac=None):
    """One map; ``contour``: white line at 0 of the seed-mean margin; ``frac``: fraction of seeds where the
    verdict holds (white dots where all seeds agree it holds, red crosses where the seeds disagree)."""
    p, lam = grid.p_values, grid.lambda_values
    im = ax.imshow(data.T, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                   extent=(-0.5, p.size - 0.5, -0.5, lam.size - 0.5))
    ax.set_xticks(range(p.size), [f"{x:g}" for x in p], rotation=45)
    ax.set_yticks(range(lam.size), [f"{x:g}" for x in lam])
    ax.set_xlabel("connection probability p")
    ax.set_ylabel("excitatory fraction $\\lambda$")
    ax.set_title(title, fontsize=9)
    if contour is not None and p.size > 1 and lam.size > 1 and np.nanmin(contour) < 0 < np.nanmax(contour):
        ax.contour(np.arange(p.size), np.arange(lam.size), contour.T, levels=[0.0], colors="w", linewidths=1.5)
    if frac is None and contour is not None:
        frac = (contour > 0).astype(float)
    if frac is not None:  # contours need >= 2 x 2 grids: mark the cells too
        ii, jj = np.nonzero(frac == 1)
        ax.plot(ii, jj, "w.", ms=5)
        ii, jj = np.nonzero((frac > 0) & (frac < 1))
        ax.plot(ii, jj, "rx", ms=7, mew=1.5)
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return im


def plot_grid(grid, *, show=False):
    """Maps over {p, lambda}: seed means of chi-squared (CFM, MFM), lags, correlations, synchrony.

    Every map shows the mean over the seeds of each cell. On the chi-squared and
    correlation maps the white line is the zero contour of the mean margin
    (``chi2 - chi2_crit``, ``r - r_crit``), white dots mark cells where every seed
    is significant (spectra differ at ``alpha``; correlation above the Fisher
    bound) and red crosses cells where the seeds disagree. On the lag maps red
    crosses mark cells where the seeds disagree on whether the model tracks.

    Parameters
    ----------
    grid : GridResult
    show : bool
        Call ``plt.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    m = grid.maps
    fig, axes = plt.subplots(3, 3, figsize=(12, 10), constrained_layout=True)
    a = grid.settings.get("alpha", 0.01)
    ns = grid.n_seeds
    for col, mod in enumerate(("cfm", "mfm")):
        _imshow(axes[0, col], grid, m[f"chi2_{mod}"], f"{mod.upper()} $\\chi^2$ (dots: > crit, $\\alpha$={a:g})",
                "magma", 0, 2, contour=m[f"chi2_{mod}"] - m[f"chi2_crit_{mod}"],
                frac=m.get(f"frac_spectra_differ_{mod}"))
        _imshow(axes[2, col], grid, m[f"r_{mod}"], f"{mod.upper()} lagged correlation (dots: > Fisher bound)",
                "RdBu_r", -1, 1, contour=m[f"r_{mod}"] - m[f"r_crit_{mod}"], frac=m.get(f"frac_correlated_{mod}"))
    _imshow(axes[0, 2], grid, m["spike_contrast"], "Spike-contrast synchrony", "cividis", 0, 1)
    lim = np.nanmax(np.abs(np.concatenate([m["lag_cfm_ms"].ravel(), m["lag_mfm_ms"].ravel()])))
    lim = lim if np.isfinite(lim) and lim > 0 else 1.0
    for col, mod in enumerate(("cfm", "mfm")):
        tr = m.get(f"frac_tracks_{mod}")
        inconsistent = None if tr is None else np.where((tr > 0) & (tr < 1), 0.5, 0.0)
        _imshow(axes[1, col], grid, m[f"lag_{mod}_ms"], f"{mod.upper()} optimal lag (ms; x: 'tracks' varies)",
                "RdBu_r", -lim, lim, frac=inconsistent)
    _imshow(axes[1, 2], grid, m["median_freq_network_hz"], "network median frequency (Hz)", "viridis")
    _imshow(axes[2, 2], grid, m["rate_exc_hz"], "excitatory rate (Hz)", "viridis")
    fig.suptitle(f"spiking network vs Freeman mass models (N={grid.settings.get('n_neurons')}, "
                 f"{grid.settings.get('duration_ms', 0) / 1e3:g} s, mean of {ns} seed{'s' if ns > 1 else ''}; "
                 f"red x: seeds disagree)")
    if show:
        plt.show()
    return fig


def plot_comparison(result, comparisons, *, t_window_ms=500.0, show=False):
    """Traces and spectra of one network and its mass models.

    Parameters
    ----------
    result : LIFResult
    comparisons : dict of str -> MassComparison
        From :func:`~mne_nmm.spiking.compare_mass_models`.
    t_window_ms : float
        Length of the trace excerpt shown.
    show : bool

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(9, 8), constrained_layout=True)
    first = next(iter(comparisons.values()))
    t = first.times_ms
    sel = t < t[0] + t_window_ms
    ax = axes[0]
    ts = result.spike_times_ms()
    for j, s in enumerate(ts):
        s = s[(s >= t[0]) & (s < t[0] + t_window_ms)]
        ax.plot(s, np.full(s.size, j), "k|", ms=2)
    ax.set_ylabel("neuron")
    ax.set_title(repr(result), fontsize=9)
    ax = axes[1]
    z = lambda x: (x - x.mean()) / (x.std() or 1.0)
    ax.plot(t[sel], z(first.v_network_mv)[sel], "k", lw=1.5, label="network")
    for name, c in comparisons.items():
        ax.plot(t[sel], z(c.v_model_mv)[sel], lw=1, label=f"{name.upper()} (r={c.r:.2f}, lag {c.lag_ms:g} ms)")
    ax.set_ylabel("mean potential (z-score)")
    ax.set_xlabel("time (ms)")
    ax.legend(fontsize=8, loc="upper right")
    ax = axes[2]
    f = first.freqs_hz
    ax.semilogy(f, first.psd_network / first.psd_network.sum(), "k", lw=1.5, label="network")
    for name, c in comparisons.items():
        ax.semilogy(f, c.psd_model / c.psd_model.sum(), lw=1,
                    label=f"{name.upper()} ($\\chi^2$={c.chi2:.2f}, crit {c.chi2_crit:.2f})")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("normalised PSD")
    ax.legend(fontsize=8)
    if show:
        plt.show()
    return fig


def plot_qif_mpr(qif, mpr, *, window_ms=1.0, show=False):
    """Population rate and mean potential of a QIF network against the Montbrio-Pazo-Roxin equations."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True, constrained_layout=True)
    axes[0].plot(qif.times_ms, qif.smoothed_rate(window_ms) * 1e3, "k", lw=1, label=f"QIF network (N={qif.network.n_neurons})")
    axes[0].plot(mpr.times_ms, mpr.rate_per_ms * 1e3, "r", lw=1.5, label="MPR mean field")
    axes[0].set_ylabel("rate (Hz)")
    axes[0].legend(fontsize=8)
    k = max(1, int(round(window_ms / qif.dt_ms)))
    axes[1].plot(qif.times_ms, np.convolve(qif.v_mean, np.ones(k) / k, mode="same"), "k", lw=1)
    axes[1].plot(mpr.times_ms, mpr.v_mean, "r", lw=1.5)
    axes[1].set_ylabel("mean potential v")
    axes[2].plot(qif.times_ms, qif.current, "g")
    axes[2].set_ylabel("input I")
    axes[2].set_xlabel("time (ms)")
    if show:
        plt.show()
    return fig
