"""Plots of the dynamics toolkit (matplotlib is imported inside each function)."""

from __future__ import annotations

import numpy as np

from .._validate import validate_type


def _axes(ax, figsize=(5, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def plot_phase_portrait(portrait, *, ax=None, density=1.0, show_field=True, title=None):
    """Phase portrait: streamlines of the vector field, nullclines, trajectories and equilibria.

    Parameters
    ----------
    portrait : PhasePortrait
    ax : matplotlib Axes | None
    density : float
        Streamline density.
    show_field : bool
        Draw the vector field.
    title : str | None

    Returns
    -------
    fig : matplotlib Figure
    """
    from .phase_plane import PhasePortrait

    validate_type(portrait, PhasePortrait, "portrait")
    fig, ax = _axes(ax)
    pp = portrait
    if show_field:
        speed = np.hypot(pp.u, pp.v)
        ax.streamplot(pp.x_grid, pp.y_grid, pp.u, pp.v, color=np.log1p(speed / (speed.max() + 1e-300) * 50),
                      cmap="Greys", density=density, linewidth=0.6, arrowsize=0.7)
    cx = ax.contour(pp.x_grid, pp.y_grid, pp.u, levels=[0.0], colors="tab:blue", linewidths=1.5)
    cy = ax.contour(pp.x_grid, pp.y_grid, pp.v, levels=[0.0], colors="tab:orange", linewidths=1.5)
    handles = []
    if cx.allsegs and any(len(s) for s in cx.allsegs[0]):
        handles.append(ax.plot([], [], color="tab:blue", label=f"d{pp.x}/dt = 0")[0])
    if cy.allsegs and any(len(s) for s in cy.allsegs[0]):
        handles.append(ax.plot([], [], color="tab:orange", label=f"d{pp.y}/dt = 0")[0])
    for tr in pp.trajectories:
        ax.plot(tr[:, 0], tr[:, 1], color="tab:red", lw=0.9, alpha=0.8)
        ax.plot(tr[0, 0], tr[0, 1], "o", color="tab:red", ms=2.5)
    for (ex, ey), st in zip(pp.equilibria, pp.equilibria_stable):
        ax.plot(ex, ey, "o", ms=7, mec="k", mfc="k" if st else "w", zorder=5)
    ax.set_xlim(pp.x_grid[0], pp.x_grid[-1])
    ax.set_ylim(pp.y_grid[0], pp.y_grid[-1])
    ax.set_xlabel(pp.x)
    ax.set_ylabel(pp.y)
    if handles:
        ax.legend(handles=handles, loc="upper right", fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def plot_bifurcation_diagram(branches, *, variable, region=0, ax=None, labels=True, title=None,
                             sweep=None):
    """Bifurcation diagram: stable (solid) and unstable (dashed) branches, cycle extrema, labelled points.

    Parameters
    ----------
    branches : Branch | CycleBranch | list of them
        Equilibrium branches are drawn by ``variable``; cycle branches by the maximum and
        minimum of ``variable`` over the orbit.
    variable : str
        State variable (or derived variable of the model for equilibrium branches).
    region : int
    ax : matplotlib Axes | None
    labels : bool
        Annotate special points (LP, H, BP, LPC, PD, NS).
    title : str | None
    sweep : SweepDiagram | None
        Overlay the local maxima of a brute-force diagram (grey dots).

    Returns
    -------
    fig : matplotlib Figure
    """
    from .continuation import Branch
    from .cycles import CycleBranch

    if isinstance(branches, (Branch, CycleBranch)):
        branches = [branches]
    fig, ax = _axes(ax)
    colors = {"LP": "tab:red", "H": "tab:green", "BP": "tab:purple", "LPC": "tab:red", "PD": "tab:brown",
              "NS": "tab:pink"}
    if sweep is not None:
        vals = np.repeat(sweep.values[:, None], sweep.peaks.shape[1], axis=1)
        ax.plot(vals.ravel(), sweep.peaks.ravel(), ".", color="0.6", ms=1.5, zorder=0)
    param = None
    for br in branches:
        validate_type(br, (Branch, CycleBranch), "branches", "Branch or CycleBranch")
        param = br.param
        if isinstance(br, Branch):
            y = br.variable(variable, region)
            segs = [(br.params, y, br.stable)]
            for sp in br.special_points:
                if labels:
                    yy = _point_value(br, sp, variable, region)
                    ax.plot(sp.param, yy, "o", color=colors.get(sp.label, "k"), ms=5, zorder=6)
                    ax.annotate(sp.label, (sp.param, yy), textcoords="offset points", xytext=(4, 4),
                                fontsize="small", color=colors.get(sp.label, "k"))
            color = "k"
        else:
            i = br._index(variable)
            segs = [(br.params, br.maxima[:, i, region], br.stable), (br.params, br.minima[:, i, region], br.stable)]
            color = "tab:blue"
            for sp in br.special_points:
                if labels:
                    k = sp.index
                    ax.plot(sp.param, br.maxima[k, i, region], "s", color=colors.get(sp.label, "k"), ms=5)
                    ax.annotate(sp.label, (sp.param, br.maxima[k, i, region]), textcoords="offset points",
                                xytext=(4, 4), fontsize="small", color=colors.get(sp.label, "k"))
        for xs, ys, st in segs:
            _stability_line(ax, xs, ys, st, color)
    ax.plot([], [], "-", color="k", label="stable")
    ax.plot([], [], "--", color="k", label="unstable")
    ax.legend(loc="best", fontsize="small")
    ax.set_xlabel(param)
    ax.set_ylabel(variable)
    if title:
        ax.set_title(title)
    return fig


def _point_value(br, sp, variable, region):
    if variable in br.state_variables:
        return sp.state[br.state_variables.index(variable), region]
    return br.variable(variable, region)[sp.index]


def _stability_line(ax, x, y, stable, color):
    """Solid where stable, dashed where unstable (segments split where stability changes)."""
    stable = np.asarray(stable, bool)
    start = 0
    for k in range(1, len(x) + 1):
        if k == len(x) or stable[k] != stable[start]:
            sl = slice(start, min(k + 1, len(x)))
            ax.plot(x[sl], y[sl], "-" if stable[start] else "--", color=color, lw=1.6 if stable[start] else 1.1)
            start = k


def plot_entrainment_map(emap, *, kind="plv", ax=None, title=None, cmap="viridis"):
    """Arnold-tongue map: PLV, rotation number or band-power ratio over forcing frequency x amplitude.

    Parameters
    ----------
    emap : EntrainmentMap
    kind : {"plv", "rotation_number", "band_power_ratio"}
    ax : matplotlib Axes | None
    title : str | None
    cmap : str

    Returns
    -------
    fig : matplotlib Figure
    """
    from .._validate import check_option
    from .forcing import EntrainmentMap

    validate_type(emap, EntrainmentMap, "emap")
    check_option("kind", kind, ("plv", "rotation_number", "band_power_ratio"))
    data = getattr(emap, kind)
    if data is None:
        raise ValueError("emap has no band_power_ratio; pass band_hz= to entrainment_map.")
    fig, ax = _axes(ax)
    im = ax.pcolormesh(emap.frequencies_hz, emap.amplitudes, data, shading="nearest", cmap=cmap)
    fig.colorbar(im, ax=ax, label={"plv": "phase-locking value", "rotation_number": "rotation number",
                                   "band_power_ratio": "band power (forced / unforced)"}[kind])
    ax.axvline(emap.natural_frequency_hz, color="w", lw=0.8, ls=":")
    ax.set_xlabel("forcing frequency (Hz)")
    ax.set_ylabel("forcing amplitude")
    if title:
        ax.set_title(title)
    return fig


def plot_locus(loci, *, ax=None, title=None):
    """Two-parameter bifurcation curves (folds red, Hopf green) with CP / BT / GH points."""
    from .continuation import Locus

    if isinstance(loci, Locus):
        loci = [loci]
    fig, ax = _axes(ax)
    for loc in loci:
        validate_type(loc, Locus, "loci", "Locus")
        ax.plot(loc.values[:, 0], loc.values[:, 1], color="tab:red" if loc.kind == "LP" else "tab:green",
                label="fold (LP)" if loc.kind == "LP" else "Hopf (H)")
        for sp in loc.special_points:
            ax.plot(*sp.param, "ko", ms=4)
            ax.annotate(sp.label, sp.param, textcoords="offset points", xytext=(4, 4), fontsize="small")
        ax.set_xlabel(loc.params[0])
        ax.set_ylabel(loc.params[1])
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return fig
