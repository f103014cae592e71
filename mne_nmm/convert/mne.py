"""Simulation results -> MNE objects (Raw, Epochs, Evoked, SourceEstimate).

All converters take a :class:`~mne_nmm.result.SimulationResult` or a single
:class:`~mne_nmm.result.MonitorOutput`, either

* **sensor-level** — the output of a :class:`~mne_nmm.monitors.leadfield.LeadField`
  monitor, already in SI units (V, T, T/m); its channels are looked up in the head
  (or Info) given, or in the head the monitor carries; or
* **region-level** — e.g. ``Subsample`` / ``TemporalAverage`` of the model's
  ``eeg_source``; it is projected here: ``data = gain @ (moment_am_per_unit * x)``.

Timing: sample ``k`` of the monitor becomes sample ``first_samp + k`` of the Raw
with ``first_samp = round(times_s[0] * sfreq)``, so ``raw.times + raw.first_time``
equals ``times_s`` and event samples are ``round(onset_s * sfreq)``.
Data handed to MNE are float64 in SI units.
"""

from __future__ import annotations

import warnings

import mne
import numpy as np

from .._validate import check_option, logger, validate_type
from ..adapters.regions import region_indices
from ..monitors.leadfield import resolve_moment
from ..result import MonitorOutput, SimulationResult

_EVENT_DESC = "stimulus"


# ----------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------
def _is_head(obj):
    return hasattr(obj, "gain") and hasattr(obj, "region_names") and hasattr(obj, "info")


def _pick_output(result, monitor):
    """Return (MonitorOutput, model, onsets_s) from a result or an output."""
    if isinstance(result, MonitorOutput):
        if monitor is not None and monitor != result.name:
            raise ValueError(f"monitor={monitor!r} was given but result is the single output {result.name!r}.")
        return result, None, None
    validate_type(result, (SimulationResult, MonitorOutput), "result", "SimulationResult or MonitorOutput")
    outputs = result.outputs
    if monitor is not None:
        out = result[monitor]
    else:
        sensor = [o for o in outputs.values() if o.info.get("kind") == "leadfield"]
        if len(sensor) == 1:
            out = sensor[0]
        elif len(sensor) > 1:
            raise ValueError(f"result has several lead-field monitors {[o.name for o in sensor]}; pass monitor=... "
                             "to choose one.")
        else:
            src = getattr(result.model, "eeg_source", None)
            cands = [o for o in outputs.values() if src is not None and src in o.variable_names
                     and not o.info.get("kind")]
            if len(cands) == 1:
                out = cands[0]
            elif len(outputs) == 1:
                out = next(iter(outputs.values()))
            else:
                raise ValueError(f"Cannot tell which monitor to convert among {list(outputs)}; pass monitor=... (a "
                                 "LeadField monitor, or a region monitor recording the model's eeg_source "
                                 f"{src!r}).")
    onsets = np.asarray(result.stimulus_onsets_s, dtype=float).ravel()
    return out, result.model, onsets


def _sensor_data(out, head, variable, moment_am_per_unit, model, match):
    """Return (data (n_channels, n_times) float64 SI, mne.Info of those channels, head or None)."""
    if out.info.get("kind") == "leadfield":
        if moment_am_per_unit is not None:
            raise ValueError("moment_am_per_unit cannot be applied to a LeadField output: it was scaled inside the "
                             f"simulation (moment_am_per_unit={out.info.get('moment_am_per_unit')}).")
        data = np.asarray(out.get(0 if variable is None else variable), dtype=np.float64).T
        if head is None:
            head = out.info.get("head")
            if head is None:
                raise ValueError("head must be given (a HeadModel or an mne.Info with the output's channels): the "
                                 "output carries no head.")
        info = head.info if _is_head(head) else head
        validate_type(info, mne.Info, "head", "HeadModel or mne.Info")
        names = list(out.channel_names)
        missing = [c for c in names if c not in info["ch_names"]]
        if missing:
            raise ValueError(f"The output has {len(missing)} channel(s) that the {'head' if _is_head(head) else 'info'}"
                             f" lacks: {missing[:10]}{' ...' if len(missing) > 10 else ''} (it has "
                             f"{len(info['ch_names'])} channels, e.g. {info['ch_names'][:5]}).")
        info = mne.pick_info(info, [info["ch_names"].index(c) for c in names], verbose=False)
        return data, info, head if _is_head(head) else None
    # region-level
    if head is None or not _is_head(head):
        got = "nothing" if head is None else type(head).__name__
        raise TypeError(f"head must be a HeadModel to project the region-level output {out.name!r} "
                        f"({out.data.shape[2]} regions) to sensors, got {got}. Use "
                        "mne_nmm.adapters.head.default_head() or make_head_model(fwd, labels).")
    if variable is None:
        src = getattr(model, "eeg_source", None)
        if out.data.shape[1] == 1:
            variable = 0
        elif src in out.variable_names:
            variable = src
        else:
            raise ValueError(f"variable must be given: {out.name!r} records {out.variable_names}.")
    x = np.asarray(out.get(variable), dtype=np.float64)  # (n_times, n_regions)
    idx = region_indices(out.channel_names, head.region_names, match=match)
    moment = resolve_moment(model, head, moment_am_per_unit)
    data = (head.gain[:, idx] * moment) @ x.T
    return data, head.info, head


def _with_sfreq(info, sfreq):
    info = info.copy()
    with info._unlock():  # MNE has no public setter for sfreq; this is what its own simulators do
        info["sfreq"] = float(sfreq)
        info["lowpass"] = float(sfreq) / 2.0
        info["highpass"] = 0.0
    return info


def _events_from_onsets(onsets_s, sfreq, first_samp, n_times, event_id):
    samples = np.round(np.asarray(onsets_s, dtype=float) * sfreq).astype(int)
    inside = (samples >= first_samp) & (samples < first_samp + n_times)
    if not inside.all():
        warnings.warn(f"{int((~inside).sum())} stimulus onset(s) fall outside the recorded samples "
                      f"([{first_samp / sfreq:g}, {(first_samp + n_times - 1) / sfreq:g}] s) and are not marked: "
                      f"{np.asarray(onsets_s)[~inside][:5].tolist()} s.", RuntimeWarning, stacklevel=3)
    samples = np.unique(samples[inside])
    return np.c_[samples, np.zeros(len(samples), int), np.full(len(samples), event_id, int)]


# ----------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------
def to_raw(result, head=None, *, monitor=None, variable=None, moment_am_per_unit=None, onsets_s=None,
           stim_channel="STI 014", event_id=1, noise_cov=None, random_state=None, reference=None, projection=True,
           match="names", description=None, verbose=None):
    """Convert a simulation to an :class:`mne.io.RawArray` with a real Info.

    Parameters
    ----------
    result : SimulationResult | MonitorOutput
        A lead-field output (sensor data in V/T), or a region-level output of the
        model's EEG source (projected with ``head``). From a SimulationResult the
        lead-field monitor is taken if there is one (else the region monitor
        recording the model's ``eeg_source``), with its stimulus onsets.
    head : HeadModel | mne.Info | None
        Head model (needed for region-level data) or, for lead-field outputs, an
        Info holding its channels (e.g. the info of a recording); default: the head
        the LeadField monitor carries.
    monitor : str | None
        Name of the output to convert (for SimulationResults with several).
    variable : str | None
        Recorded variable to project (region-level outputs with several).
    moment_am_per_unit : float | None
        A·m of region dipole moment per unit of the source variable (region-level
        outputs only); default: the head's, else the model's.
    onsets_s : array of float | None
        Stimulus onsets in s (default: ``result.stimulus_onsets_s``).
    stim_channel : str | None
        Name of the stim channel added when there are stimulus onsets in the
        recording (``None``: never; without onsets no stim channel is added, since an
        all-zero channel would make :func:`mne.find_events` return nothing). Each
        onset sets it to ``event_id`` for one sample; annotations ``"stimulus"`` mark
        the same onsets.
    event_id : int
        Value written in the stim channel.
    noise_cov : mne.Covariance | "ad_hoc" | None
        Sensor noise added with :func:`mne.simulation.add_noise`;
        ``"ad_hoc"`` uses :func:`mne.make_ad_hoc_cov` (0.2 µV EEG, 20 fT
        magnetometer, 5 fT/cm gradiometer standard deviations).
    random_state : int | numpy.random.Generator | None
        Seed of the sensor noise; required with ``noise_cov`` (reproducible noise).
    reference : "average" | None
        ``"average"`` re-references EEG to the average (after adding noise).
    projection : bool
        With ``reference="average"``: ``True`` (default) adds MNE's average-reference
        projector and applies it (``raw.set_eeg_reference("average",
        projection=True).apply_proj()``), so the data are average-referenced *and*
        :func:`mne.minimum_norm.make_inverse_operator` accepts them; ``False``
        applies a custom reference (``info["custom_ref_applied"]``), which MNE's
        inverse modelling refuses.
    match : "names" | "order"
        How region-level data are aligned with the head's regions.
    description : str | None
        Written to ``raw.info["description"]`` (e.g. the JSON provenance of the
        simulation, see :mod:`mne_nmm.convert.provenance`).
    verbose : bool | str | int | None
        Logging level (also passed to MNE).

    Returns
    -------
    raw : mne.io.RawArray
        Data channels in the order of the head/forward, float64 in V / T / T/m,
        ``sfreq`` of the monitor, montage and digitisation of the head, a stim
        channel and annotations for the stimuli (when there are any).

    Examples
    --------
    >>> import numpy as np
    >>> from mne_nmm import MonitorOutput
    >>> from mne_nmm.datasets import default_head
    >>> from mne_nmm.convert.mne import to_raw
    >>> head = default_head("eeg", sources="centres")
    >>> x = np.zeros((250, 1, head.n_regions))
    >>> x[:, 0, head.region_names.index("rV1")] = np.sin(2 * np.pi * 10 * np.arange(250) / 250)
    >>> out = MonitorOutput(name="sub", times_s=np.arange(250) / 250, data=x, sfreq_hz=250.0,
    ...                     variable_names=("y1-y2",), channel_names=head.region_names)
    >>> raw = to_raw(out, head, moment_am_per_unit=1e-8, reference="average")
    >>> raw.info["sfreq"], len(raw.ch_names), bool(raw.info["custom_ref_applied"])
    (250.0, 70, False)
    """
    mv = False if verbose is None else verbose
    check_option("reference", reference, (None, "average"))
    validate_type(event_id, "int", "event_id")
    if stim_channel is not None:
        validate_type(stim_channel, str, "stim_channel")
    out, model, res_onsets = _pick_output(result, monitor)
    if onsets_s is None:
        onsets_s = res_onsets if res_onsets is not None else np.zeros(0)
    onsets_s = np.asarray(onsets_s, dtype=float).ravel()
    if noise_cov is not None and random_state is None:
        raise ValueError("random_state must be given (an int seed or a numpy Generator) when noise_cov is used, so "
                         "that the sensor noise is reproducible.")
    data, info, head_used = _sensor_data(out, head, variable, moment_am_per_unit, model, match)
    sfreq = float(out.sfreq_hz)
    info = _with_sfreq(info, sfreq)
    first_samp = int(np.round(out.times_s[0] * sfreq)) if out.n_times else 0
    raw = mne.io.RawArray(np.ascontiguousarray(data, dtype=np.float64), info, first_samp=first_samp, verbose=mv)
    if noise_cov is not None:
        if isinstance(noise_cov, str):
            check_option("noise_cov", noise_cov, ("ad_hoc",))
            noise_cov = mne.make_ad_hoc_cov(raw.info, verbose=mv)
        validate_type(noise_cov, mne.Covariance, "noise_cov", "mne.Covariance or 'ad_hoc'")
        missing = [c for c in raw.ch_names if c not in noise_cov["names"]]
        if missing:
            warnings.warn(f"noise_cov has no entry for {len(missing)} channel(s), which get no noise: "
                          f"{missing[:10]}.", RuntimeWarning, stacklevel=2)
        rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
        with warnings.catch_warnings():
            # MNE suggests an average-reference projector for whitening; colouring white noise with the
            # covariance does not need one (the reference, if asked for, is applied afterwards).
            warnings.filterwarnings("ignore", message="No average EEG reference present", category=RuntimeWarning)
            with mne.utils.use_log_level("error" if verbose is None else verbose):  # MNE also logs that warning
                mne.simulation.add_noise(raw, noise_cov, rng=rng, verbose="error" if verbose is None else verbose)
    if reference == "average":
        if "eeg" not in raw.get_channel_types():
            raise ValueError("reference='average' needs EEG channels; this Raw has "
                             f"{sorted(set(raw.get_channel_types()))}.")
        if projection:
            raw.set_eeg_reference("average", projection=True, verbose=mv)
            raw.apply_proj(verbose=mv)
        else:
            raw.set_eeg_reference("average", projection=False, verbose=mv)
    events = _events_from_onsets(onsets_s, sfreq, first_samp, raw.n_times, event_id)
    if description is not None:
        validate_type(description, str, "description")
        with raw.info._unlock():
            raw.info["description"] = description
    if stim_channel is not None and stim_channel in raw.ch_names:
        raise ValueError(f"stim_channel {stim_channel!r} is already a data channel; choose another name.")
    if stim_channel is not None and len(events):
        close = np.flatnonzero(np.diff(events[:, 0]) == 1)
        if len(close):
            warnings.warn(f"{len(close)} pair(s) of stimulus onsets fall on consecutive samples (first at "
                          f"{events[close[0], 0] / sfreq:g} s): find_events will see each pair as one event; the "
                          "annotations keep them apart.", RuntimeWarning, stacklevel=2)
        stim = np.zeros((1, raw.n_times))
        stim[0, events[:, 0] - first_samp] = event_id
        sinfo = mne.create_info([stim_channel], sfreq, "stim")
        raw.add_channels([mne.io.RawArray(stim, sinfo, first_samp=first_samp, verbose=mv)], force_update_info=True)
    if len(events):
        onsets = events[:, 0] / sfreq - raw.first_time
        raw.set_annotations(mne.Annotations(onsets, np.zeros(len(onsets)), [_EVENT_DESC] * len(onsets)))
    logger.info("to_raw: %d channels x %d samples at %g Hz, %d events", len(info["ch_names"]), raw.n_times, sfreq,
                len(events))
    return raw


def to_epochs(result, head=None, *, tmin=-0.1, tmax=0.5, baseline=(None, 0), event_id=1, reject=None,
              verbose=None, **raw_kwargs):
    """Epochs around the stimulus events of a simulation.

    Parameters
    ----------
    result : SimulationResult | MonitorOutput | mne.io.BaseRaw
        Simulation (converted with :func:`to_raw`, with ``raw_kwargs``) or a Raw
        made by :func:`to_raw` (events read from its stim channel, or its
        ``"stimulus"`` annotations without one).
    head : HeadModel | mne.Info | None
        See :func:`to_raw`.
    tmin, tmax : float
        Epoch limits in s around each onset.
    baseline : tuple | None
        Baseline correction (:class:`mne.Epochs`).
    event_id : int
        Stim-channel value of the stimulus events.
    reject : dict | None
        Rejection thresholds (:class:`mne.Epochs`).
    verbose : bool | str | int | None
        Logging level.
    **raw_kwargs
        Passed to :func:`to_raw` (``monitor``, ``onsets_s``, ``noise_cov``,
        ``random_state``, ``reference``, ``stim_channel``...).

    Returns
    -------
    epochs : mne.Epochs
        Preloaded epochs, one per stimulus onset that fits in the data.
    """
    mv = False if verbose is None else verbose
    if isinstance(result, mne.io.BaseRaw):
        if raw_kwargs:
            raise TypeError(f"{sorted(raw_kwargs)} apply only when converting a simulation, not to a Raw.")
        raw = result
    else:
        raw = to_raw(result, head, event_id=event_id, verbose=verbose, **raw_kwargs)
    stim = mne.pick_types(raw.info, meg=False, stim=True)
    if len(stim):
        events = mne.find_events(raw, stim_channel=raw.ch_names[stim[0]], shortest_event=1, verbose=mv)
    else:
        events, _ = mne.events_from_annotations(raw, event_id={_EVENT_DESC: event_id}, verbose=mv)
    events = events[events[:, 2] == event_id]
    if len(events) == 0:
        raise ValueError("No stimulus event to epoch around: simulate with a Stimulus (its onsets are recorded in "
                         "result.stimulus_onsets_s) or pass onsets_s=[...].")
    epochs = mne.Epochs(raw, events, event_id={_EVENT_DESC: event_id}, tmin=tmin, tmax=tmax, baseline=baseline,
                        reject=reject, preload=True, verbose=mv)
    n_drop = len(events) - len(epochs)
    if n_drop:
        logger.info("to_epochs: %d of %d events dropped (too close to the edges or rejected)", n_drop, len(events))
    if len(epochs) == 0:
        raise ValueError(f"All {len(events)} events were dropped: the window [{tmin}, {tmax}] s does not fit in the "
                         "data around any onset, or every epoch was rejected.")
    return epochs


def to_evoked(result, head=None, *, tmin=-0.1, tmax=0.5, baseline=(None, 0), event_id=1, verbose=None,
              **raw_kwargs):
    """Average of :func:`to_epochs` (the evoked response to the stimuli).

    Parameters
    ----------
    result, head, tmin, tmax, baseline, event_id, verbose, **raw_kwargs
        See :func:`to_epochs`.

    Returns
    -------
    evoked : mne.Evoked
        Average over the epochs (``nave`` epochs), in V / T / T/m.
    """
    epochs = to_epochs(result, head, tmin=tmin, tmax=tmax, baseline=baseline, event_id=event_id, verbose=verbose,
                       **raw_kwargs)
    return epochs.average()


def to_source_estimate(result, head, *, monitor=None, variable=None, moment_am_per_unit=None, match="names",
                       tmin=None, tmax=None, subject=None, verbose=None):
    """Spread region activity over the head's source points as an MNE source estimate.

    Source ``j`` of region ``r`` gets the moment ``W[j, r] * m_r(t)`` where
    ``W = head.source_weights`` (``1/n_r`` for ``mode="mean"``, signs for the flip
    modes) and ``m_r = moment_am_per_unit * x_r`` (A·m), so that
    ``mne.apply_forward(head.fwd, stc, info)`` reproduces ``head.gain @ m``.

    Parameters
    ----------
    result : SimulationResult | MonitorOutput
        Region-level output (e.g. ``Subsample`` of the model's ``eeg_source``).
    head : HeadModel
        Head with its forward (``head.fwd``) and ``source_weights``.
    monitor, variable, moment_am_per_unit, match
        See :func:`to_raw`.
    tmin, tmax : float | None
        Keep the samples with ``tmin <= times_s <= tmax`` (s; ``None``: from the
        start / to the end). The estimate holds ``n_sources x n_times`` float64
        values (16384 sources x 1 s at 250 Hz: 33 MB), so select what you need.
    subject : str | None
        Subject name written in the estimate (default: the source space's).
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    stc : mne.SourceEstimate | mne.VolSourceEstimate | mne.MixedSourceEstimate | vector variants
        Dipole moments in A·m: surface source spaces give a SourceEstimate (lh, rh),
        discrete/volume ones a VolSourceEstimate; free-orientation forwards give the
        vector variants (moments along the orientation used for the gain).

    Notes
    -----
    The offline default heads (:func:`mne_nmm.datasets.default_head`) use a
    *discrete* source space (points, no MRI volume, no inflated surfaces), so
    ``stc.plot()`` / :class:`mne.viz.Brain` cannot draw their estimates directly.
    :func:`to_template_stc` puts such an estimate on the offline template subject
    (:func:`mne_nmm.adapters.head.template_subject`, fsaverage5), which they can draw::

        subject, subjects_dir = template_subject()
        to_template_stc(stc, head).plot(subject=subject, subjects_dir=subjects_dir, backend="matplotlib")

    Region values can also be shown with
    :func:`mne_nmm.analysis.plotting.plot_region_map`.
    """
    if not _is_head(head) or getattr(head, "fwd", None) is None or head.source_weights is None:
        raise TypeError(f"head must be a HeadModel with a forward and source weights, got {type(head).__name__}.")
    out, model, _ = _pick_output(result, monitor)
    if out.info.get("kind") == "leadfield":
        raise ValueError(f"{out.name!r} is a sensor-level (lead-field) output; to_source_estimate needs region "
                         "activity (record the model's eeg_source with Subsample or TemporalAverage).")
    if variable is None:
        src_var = getattr(model, "eeg_source", None)
        variable = 0 if out.data.shape[1] == 1 else src_var
        if variable is None or (isinstance(variable, str) and variable not in out.variable_names):
            raise ValueError(f"variable must be given: {out.name!r} records {out.variable_names}.")
    times = np.asarray(out.times_s, dtype=float)
    keep = np.ones(len(times), bool)
    if tmin is not None:
        keep &= times >= float(tmin) - 1e-9
    if tmax is not None:
        keep &= times <= float(tmax) + 1e-9
    if not keep.any():
        raise ValueError(f"No sample of {out.name!r} ({times[0]:g}..{times[-1]:g} s) lies in [tmin, tmax] = "
                         f"[{tmin}, {tmax}] s.")
    x = np.asarray(out.get(variable), dtype=np.float64)[keep]
    times = times[keep]
    idx = region_indices(out.channel_names, head.region_names, match=match)
    moment = resolve_moment(model, head, moment_am_per_unit)
    W = head.source_weights[:, idx]
    cols = np.asarray(W @ (moment * x.T))  # (n_fwd_columns, n_times), A·m
    fwd = head.fwd
    src = fwd["src"]
    vertices = [np.asarray(s["vertno"]) for s in src]
    n_src = sum(len(v) for v in vertices)
    t0 = float(times[0])
    tstep = 1.0 / float(out.sfreq_hz)
    subject = subject if subject is not None else src[0].get("subject_his_id", None)
    kinds = [s["type"] for s in src]
    fixed = cols.shape[0] == n_src
    if not fixed:
        nn = np.asarray(fwd["source_nn"]).reshape(n_src, 3, 3)  # orientation of each column
        cols = np.einsum("jkt,jkx->jxt", cols.reshape(n_src, 3, -1), nn)
    if any(k == "discrete" for k in kinds):
        logger.info("to_source_estimate: discrete source space: to plot this estimate with stc.plot() / "
                    "mne.viz.Brain, map it onto the offline template subject with "
                    "mne_nmm.convert.mne.to_template_stc(stc, head) and pass subject, subjects_dir = "
                    "mne_nmm.adapters.head.template_subject()")
    if all(k == "surf" for k in kinds):
        if len(src) != 2:
            raise ValueError(f"surface source estimates need two hemispheres, the forward has {len(src)}.")
        cls = mne.SourceEstimate if fixed else mne.VectorSourceEstimate
    elif all(k in ("vol", "discrete") for k in kinds):
        cls = mne.VolSourceEstimate if fixed else mne.VolVectorSourceEstimate
    else:
        cls = mne.MixedSourceEstimate if fixed else mne.MixedVectorSourceEstimate
    return cls(cols, vertices, t0, tstep, subject=subject, verbose=False if verbose is None else verbose)


def to_template_stc(stc, head, *, subject=None, max_distance_mm=10.0, verbose=None):
    """Put a discrete-source estimate on the template subject's cortex, for ``stc.plot`` and ``Brain``.

    Each of the 2 x 10242 vertices of the template subject
    (:func:`mne_nmm.adapters.head.template_subject`, fsaverage5) takes the value of
    the nearest source of ``head`` in the same hemisphere (sign of ``x``), its
    position on the mid-cortical surface (halfway between white and pial) compared
    with the sources' in the head frame (fsaverage's MRI -> head transform, as the
    default heads place their sources). Vertices farther than ``max_distance_mm``
    from every source (the medial wall, for parcellations without it) get 0. For
    the tvb68 default head, whose sources are fsaverage5 vertices, this is the
    identity on the labelled vertices; for tvb76 (TVB's cortex, within ~3 mm of
    fsaverage5) a nearest-neighbour resampling. Values are those of the sources
    (A·m per source point): a display, not a moment-conserving morph.

    Parameters
    ----------
    stc : mne.VolSourceEstimate
        From :func:`to_source_estimate` on a head with a discrete (point) source
        space, e.g. :func:`mne_nmm.datasets.default_head`.
    head : HeadModel
        The head the estimate was computed with (its ``fwd`` gives the source positions).
    subject : str | None
        Subject name of the result (default :data:`mne_nmm.adapters.head.TEMPLATE_SUBJECT`).
    max_distance_mm : float
        Template vertices farther than this from every source get 0.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    stc : mne.SourceEstimate
        ``vertices = [arange(10242), arange(10242)]``, same times as the input.
    """
    from scipy.spatial import cKDTree

    from .._validate import check_positive, soft_import
    from ..adapters.head import TEMPLATE_SUBJECT, mni_to_head

    validate_type(stc, mne.VolSourceEstimate, "stc", "a mne.VolSourceEstimate on a discrete source space (from "
                  "to_source_estimate on a default head)")
    if not _is_head(head) or getattr(head, "fwd", None) is None:
        raise TypeError(f"head must be a HeadModel with a forward (head.fwd), got {type(head).__name__}.")
    max_d = check_positive(max_distance_mm, "max_distance_mm") / 1000.0
    src = head.fwd["src"]
    if len(src) != 1 or len(stc.vertices) != 1:
        raise ValueError(f"stc and head must have one discrete source space, got {len(stc.vertices)} and {len(src)}.")
    vertno = np.asarray(src[0]["vertno"])
    if not np.array_equal(np.asarray(stc.vertices[0]), vertno):
        raise ValueError(f"stc's vertices ({len(stc.vertices[0])}) are not the head's sources ({len(vertno)}): "
                         "compute stc with to_source_estimate(result, head) on this head.")
    rr = np.asarray(src[0]["rr"], dtype=float)[vertno]  # head frame, m
    nilearn_ds = soft_import("nilearn.datasets", "the fsaverage5 meshes of the template subject")
    fs = nilearn_ds.load_fsaverage("fsaverage5")
    data, vertices = [], []
    for hemi, sign in (("left", -1.0), ("right", 1.0)):
        mid = 0.5 * (np.asarray(fs["white_matter"].parts[hemi].coordinates, float)
                     + np.asarray(fs["pial"].parts[hemi].coordinates, float))
        pos = mni_to_head(mid)
        cand = np.flatnonzero(np.sign(rr[:, 0]) == sign)
        if len(cand) == 0:
            data.append(np.zeros((len(pos), stc.data.shape[1])))
        else:
            dist, j = cKDTree(rr[cand]).query(pos)
            vals = stc.data[cand[j]]
            vals[dist > max_d] = 0.0
            data.append(vals)
        vertices.append(np.arange(len(pos)))
    logger.info("to_template_stc: %d sources -> 2 x %d template vertices", len(vertno), len(vertices[0]))
    return mne.SourceEstimate(np.concatenate(data), vertices, stc.tmin, stc.tstep,
                              subject=TEMPLATE_SUBJECT if subject is None else subject,
                              verbose=False if verbose is None else verbose)


__all__ = ["to_raw", "to_epochs", "to_evoked", "to_source_estimate", "to_template_stc"]
