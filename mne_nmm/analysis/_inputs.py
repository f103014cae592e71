"""One input-normalisation path for simulated and empirical data.

Every analysis function calls :func:`as_timeseries` first, so a numpy array, a
:class:`~mne_nmm.result.MonitorOutput`, a :class:`~mne_nmm.result.SimulationResult`,
an MNE ``Raw`` / ``Epochs`` / ``Evoked`` / ``SourceEstimate`` and a nilearn 4D image
(with a labels atlas) all become the same time-major :class:`TimeSeries` and go
through identical steps afterwards.

mne, nilearn and nibabel are imported only when such an object is passed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_array, check_positive, logger, validate_type, verbose

__all__ = ["TimeSeries", "as_timeseries"]


@dataclass(frozen=True, eq=False)
class TimeSeries:
    """Time-major multichannel signal, the common currency of :mod:`mne_nmm.analysis`.

    Attributes
    ----------
    data : ndarray, shape (n_times, n_channels)
        Float64 samples. For epoched input the epochs are concatenated in time
        (``n_times = n_segments * n_times_per_segment``).
    sfreq_hz : float | None
        Sampling frequency in Hz (``None`` when unknown, e.g. a bare array given
        without ``sfreq_hz``; functions that need it then raise).
    channel_names : tuple of str
        One name per channel (region, source or sensor).
    n_segments : int
        Number of equal-length contiguous segments (epochs) in ``data``; 1 for
        continuous data. Spectra are averaged over segments and never straddle a
        segment boundary.
    kind : str
        What the signal is: ``"region"``, ``"bold"``, ``"source"``, ``"eeg"``,
        ``"meg"``, ``"mixed"`` or ``"unknown"``.
    source : str
        Human-readable description of where the data came from.
    info : mne.Info | None
        Measurement info (sensor positions) when the input was an MNE sensor-space
        object; used for topographic maps.
    """

    data: np.ndarray
    sfreq_hz: float | None
    channel_names: tuple
    n_segments: int = 1
    kind: str = "unknown"
    source: str = "array"
    info: object = field(default=None, repr=False)

    def __post_init__(self):
        if self.data.ndim != 2:
            raise ValueError(f"TimeSeries.data must be 2D (n_times, n_channels), got shape {self.data.shape}.")
        if len(self.channel_names) != self.data.shape[1]:
            raise ValueError(f"TimeSeries.channel_names has {len(self.channel_names)} entries but data has "
                             f"{self.data.shape[1]} channels.")
        if self.data.shape[0] % self.n_segments:
            raise ValueError(f"TimeSeries.data has {self.data.shape[0]} samples, not a multiple of "
                             f"n_segments={self.n_segments}.")

    @property
    def n_times(self):
        """Number of samples (all segments together)."""
        return self.data.shape[0]

    @property
    def n_channels(self):
        """Number of channels."""
        return self.data.shape[1]

    @property
    def times_s(self):
        """Sample times in seconds from the first sample, shape (n_times,) (requires ``sfreq_hz``)."""
        return np.arange(self.n_times) / self.require_sfreq("times_s")

    def segments(self):
        """Return the data as ``(n_segments, n_times_per_segment, n_channels)`` (a view)."""
        return self.data.reshape(self.n_segments, -1, self.n_channels)

    def require_sfreq(self, purpose):
        """Return ``sfreq_hz`` or raise a ValueError saying it is needed for ``purpose``."""
        if self.sfreq_hz is None:
            raise ValueError(f"sfreq_hz is required for {purpose}: the input ({self.source}) carries no sampling "
                             "frequency, pass sfreq_hz=... explicitly.")
        return self.sfreq_hz

    def with_data(self, data, **changes):
        """Return a copy holding ``data`` (same sampling, names and metadata unless changed)."""
        kw = dict(data=np.asarray(data, dtype=float), sfreq_hz=self.sfreq_hz, channel_names=self.channel_names,
                  n_segments=self.n_segments, kind=self.kind, source=self.source, info=self.info)
        kw.update(changes)
        return TimeSeries(**kw)

    def __repr__(self):
        sf = "unknown sfreq" if self.sfreq_hz is None else f"{self.sfreq_hz:g} Hz"
        seg = f", {self.n_segments} segments" if self.n_segments > 1 else ""
        return (f"<TimeSeries | {self.n_times} samples x {self.n_channels} channels at {sf}{seg}, "
                f"kind={self.kind}, from {self.source}>")


def _merge_sfreq(found, given, source):
    """Reconcile a sampling frequency carried by the object with an explicit one."""
    if given is None:
        return found
    given = check_positive(given, "sfreq_hz")
    if found is not None and not np.isclose(found, given, rtol=1e-6, atol=0):
        raise ValueError(f"sfreq_hz={given:g} Hz contradicts the sampling frequency stored in the {source} "
                         f"({found:g} Hz); pass sfreq_hz=None to use the stored one.")
    return given


def _is_mne_object(obj):
    return type(obj).__module__.split(".")[0] == "mne"


def _is_image(obj):
    return hasattr(obj, "get_fdata") and hasattr(obj, "affine") and hasattr(obj, "header")


def _from_monitor(out, variable, sfreq_hz, channel_names):
    from ..result import MonitorOutput

    assert isinstance(out, MonitorOutput)
    if out.data.ndim == 4:
        raise ValueError(f"data holds {out.data.shape[0]} batched runs (sweep or trials) of monitor '{out.name}'; "
                         "select one run first (output[i], or result.run(i) for a SimulationResult).")
    data = out.get(variable)
    if variable is None:
        var = out.variable_names[0] if out.variable_names else "0"
    else:
        var = variable if isinstance(variable, str) else out.variable_names[variable]
    names = tuple(out.channel_names) if channel_names is None else channel_names
    name = str(out.name).lower()
    kind = "bold" if "bold" in name else ("eeg" if "eeg" in name else ("meg" if "meg" in name else "region"))
    sf = _merge_sfreq(float(out.sfreq_hz), sfreq_hz, f"MonitorOutput '{out.name}'")
    return data, sf, names, 1, kind, f"MonitorOutput '{out.name}' variable {var!r}", None


def _channel_kind(types):
    types = set(types)
    if not types:
        return "unknown"
    if types <= {"eeg"}:
        return "eeg"
    if types <= {"mag", "grad"}:
        return "meg"
    if len(types) == 1:
        return next(iter(types))
    return "mixed"


def _from_mne(inst, picks, sfreq_hz, channel_names):
    import mne

    if isinstance(inst, (mne.VectorSourceEstimate, mne.VolVectorSourceEstimate, mne.MixedVectorSourceEstimate)):
        raise ValueError("data is a vector source estimate (3 orientations per source); pass "
                         "stc.magnitude() or stc.normal(src) to get one signal per source.")
    if isinstance(inst, (mne.SourceEstimate, mne.VolSourceEstimate, mne.MixedSourceEstimate)):
        if picks is not None:
            raise ValueError("picks is not supported for source estimates; restrict the estimate first "
                             "(e.g. stc.in_label(label) or mne.extract_label_time_course).")
        data = np.asarray(inst.data, dtype=float).T
        if isinstance(inst, mne.SourceEstimate):
            names = tuple(f"lh:{v}" for v in inst.vertices[0]) + tuple(f"rh:{v}" for v in inst.vertices[1])
        else:
            names = tuple(f"src{k}:{v}" for k, verts in enumerate(inst.vertices) for v in verts)
        sf = _merge_sfreq(1.0 / float(inst.tstep), sfreq_hz, type(inst).__name__)
        names = names if channel_names is None else channel_names
        return data, sf, names, 1, "source", type(inst).__name__, None
    if isinstance(inst, (mne.io.BaseRaw, mne.BaseEpochs, mne.Evoked)):
        picked = inst.copy().pick("data" if picks is None else picks, exclude="bads")
        arr = picked.get_data()
        if arr.ndim == 3:  # epochs: (n_epochs, n_channels, n_times) -> concatenated time-major
            n_seg = arr.shape[0]
            if n_seg == 0:
                raise ValueError("data is an Epochs object without any epochs.")
            data = np.concatenate(list(arr), axis=1).T
        else:
            n_seg = 1
            data = arr.T
        sf = _merge_sfreq(float(picked.info["sfreq"]), sfreq_hz, type(inst).__name__)
        names = tuple(picked.ch_names) if channel_names is None else channel_names
        kind = _channel_kind(picked.get_channel_types())
        return np.asarray(data, dtype=float), sf, names, n_seg, kind, type(inst).__name__, picked.info
    raise TypeError(f"data must be a Raw, Epochs, Evoked or SourceEstimate when it is an MNE object, "
                    f"got {type(inst).__name__}.")


def _image_sfreq(img):
    """Sampling frequency from a 4D NIfTI header, or None when the header has no usable TR."""
    zooms = img.header.get_zooms()
    if len(zooms) < 4:
        return None
    tr = float(zooms[3])
    try:
        t_unit = img.header.get_xyzt_units()[1]
    except Exception:  # non-NIfTI headers
        t_unit = "unknown"
    scale = {"sec": 1.0, "msec": 1e-3, "usec": 1e-6}.get(t_unit)
    if scale is None or tr <= 0:
        return None
    return 1.0 / (tr * scale)


def _from_image(img, labels_img, sfreq_hz, channel_names):
    from nilearn.maskers import NiftiLabelsMasker

    if labels_img is None:
        raise ValueError("labels_img is required to extract region signals from a 4D image (data is a "
                         f"{type(img).__name__}); pass the labels atlas image used for the regions.")
    if len(img.shape) != 4:
        raise ValueError(f"data must be a 4D image (x, y, z, time) to extract region time series, got an image "
                         f"of shape {img.shape}.")
    masker = NiftiLabelsMasker(labels_img, standardize=None, resampling_target=None)
    data = np.asarray(masker.fit_transform(img), dtype=float)
    sf = _image_sfreq(img)
    if sf is None and sfreq_hz is not None:
        sf = check_positive(sfreq_hz, "sfreq_hz")
    else:
        sf = _merge_sfreq(sf, sfreq_hz, "image header (TR)")
    if channel_names is None:
        region_names = getattr(masker, "region_names_", None)
        if isinstance(region_names, dict) and len(region_names) == data.shape[1]:
            channel_names = tuple(str(region_names[k]) for k in sorted(region_names))
        else:
            channel_names = tuple(f"label {k + 1}" for k in range(data.shape[1]))
    return data, sf, channel_names, 1, "bold", f"{type(img).__name__} via NiftiLabelsMasker", None


@verbose
def as_timeseries(data, *, sfreq_hz=None, monitor=None, variable=None, picks=None, labels_img=None,
                  channel_names=None, verbose=None):
    """Normalise any supported input to a time-major :class:`TimeSeries`.

    This is the single entry point used by every function of
    :mod:`mne_nmm.analysis`, so simulated and empirical data always go through the
    same steps.

    Parameters
    ----------
    data : ndarray | MonitorOutput | SimulationResult | Raw | Epochs | Evoked | SourceEstimate | image | TimeSeries
        The signal.

        * ndarray, shape (n_times, n_channels): time-major samples (a region
          per column). A 1D array is **not** accepted (ambiguous).
        * :class:`~mne_nmm.result.MonitorOutput`: one recorded ``variable``.
        * :class:`~mne_nmm.result.SimulationResult`: the output of ``monitor``
          (may be omitted when there is a single monitor), then ``variable``.
        * MNE ``Raw`` / ``Epochs`` / ``Evoked``: ``get_data()`` of ``picks`` (bad
          channels excluded), transposed to time-major; epochs are concatenated
          and remembered as segments. ``SourceEstimate`` / ``VolSourceEstimate``:
          ``stc.data`` transposed. The sampling frequency comes from the object.
        * A 4D nibabel image with ``labels_img``: region signals extracted with
          ``NiftiLabelsMasker(labels_img, standardize=None, resampling_target=None)``
          (no standardisation, no resampling); the sampling frequency is ``1 / TR``
          from the header when its time unit is set, else ``sfreq_hz``.
    sfreq_hz : float | None
        Sampling frequency in Hz. Required for time/frequency measures when
        ``data`` is an array; for objects that store it, it must agree with the
        stored value (a mismatch raises rather than silently overriding).
    monitor : str | None
        Monitor name when ``data`` is a :class:`~mne_nmm.result.SimulationResult`.
    variable : str | int | None
        Recorded variable of a monitor output (``None`` if only one is recorded).
    picks : str | list | None
        MNE channel selection for Raw/Epochs/Evoked (default ``"data"``: all data
        channels; bad channels are always excluded).
    labels_img : nibabel image | str | None
        Labels atlas for 4D image input.
    channel_names : list of str | None
        Names overriding those found in ``data`` (default ``"ch0"``, ``"ch1"``,
        ... for arrays).
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    ts : TimeSeries
        ``ts.data`` has shape (n_times, n_channels), float64, finite.
    """
    if channel_names is not None:
        validate_type(channel_names, (list, tuple), "channel_names")
        channel_names = tuple(str(c) for c in channel_names)
    if isinstance(data, TimeSeries):
        for name, val in (("monitor", monitor), ("variable", variable), ("picks", picks),
                          ("labels_img", labels_img)):
            if val is not None:
                raise ValueError(f"{name} cannot be used when data is already a TimeSeries, got {val!r}.")
        sf = _merge_sfreq(data.sfreq_hz, sfreq_hz, "TimeSeries")
        ts = data.with_data(data.data, sfreq_hz=sf,
                            channel_names=data.channel_names if channel_names is None else channel_names)
        return ts
    from ..result import MonitorOutput, SimulationResult

    if monitor is not None and not isinstance(data, SimulationResult):
        raise ValueError(f"monitor={monitor!r} is only meaningful when data is a SimulationResult, "
                         f"got {type(data).__name__}.")
    if isinstance(data, SimulationResult):
        if monitor is None and len(data.outputs) != 1:
            raise ValueError(f"monitor must be given: this SimulationResult records {list(data.outputs)}.")
        out = data.output if monitor is None else data[monitor]
        parts = _from_monitor(out, variable, sfreq_hz, channel_names)
    elif isinstance(data, MonitorOutput):
        parts = _from_monitor(data, variable, sfreq_hz, channel_names)
    elif variable is not None:
        raise ValueError(f"variable={variable!r} is only meaningful for MonitorOutput/SimulationResult input, "
                         f"got {type(data).__name__}.")
    elif _is_mne_object(data):
        parts = _from_mne(data, picks, sfreq_hz, channel_names)
    elif _is_image(data) or (labels_img is not None and isinstance(data, (str, os.PathLike))):
        if isinstance(data, (str, os.PathLike)):
            import nibabel as nib

            data = nib.load(data)
        parts = _from_image(data, labels_img, sfreq_hz, channel_names)
    elif isinstance(data, np.ndarray):
        if picks is not None or labels_img is not None:
            raise ValueError("picks and labels_img only apply to MNE objects and images; data is a numpy array.")
        arr = check_array(data, "data", ndim=2)
        sf = None if sfreq_hz is None else check_positive(sfreq_hz, "sfreq_hz")
        names = channel_names if channel_names is not None else tuple(f"ch{k}" for k in range(arr.shape[1]))
        parts = (arr, sf, names, 1, "region", "numpy array", None)
    else:
        raise TypeError("data must be an ndarray (n_times, n_channels), a MonitorOutput, a SimulationResult, "
                        "an MNE Raw/Epochs/Evoked/SourceEstimate, a 4D nibabel image (with labels_img) or a "
                        f"TimeSeries, got {type(data).__name__} instead.")
    arr, sf, names, n_seg, kind, source, info = parts
    arr = check_array(arr, "data", ndim=2)
    if len(names) != arr.shape[1]:
        raise ValueError(f"channel_names must have one entry per channel ({arr.shape[1]}), got {len(names)}.")
    if arr.shape[0] < 2:
        raise ValueError(f"data must have at least 2 time samples, got shape {arr.shape} "
                         "(arrays are time-major: (n_times, n_channels)).")
    ts = TimeSeries(data=np.ascontiguousarray(arr, dtype=float), sfreq_hz=sf, channel_names=tuple(names),
                    n_segments=n_seg, kind=kind, source=source, info=info)
    logger.debug("as_timeseries: %r", ts)
    return ts


def bandpass(ts, band, *, purpose):
    """Band-pass a TimeSeries with MNE's default zero-phase FIR filter (per segment).

    ``band`` is ``(l_freq, h_freq)`` in Hz (either may be None for high/low-pass),
    or None to return ``ts`` unchanged.
    """
    if band is None:
        return ts
    validate_type(band, (tuple, list), "band")
    if len(band) != 2:
        raise ValueError(f"band must be a (l_freq, h_freq) pair in Hz, got {band!r}.")
    l_freq, h_freq = band
    sf = ts.require_sfreq(purpose)
    if l_freq is not None:
        l_freq = check_positive(l_freq, "band[0] (l_freq)")
    if h_freq is not None:
        h_freq = check_positive(h_freq, "band[1] (h_freq)")
        if h_freq >= sf / 2:
            raise ValueError(f"band[1] (h_freq) must be below the Nyquist frequency {sf / 2:g} Hz, got {h_freq:g}.")
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise ValueError(f"band must satisfy l_freq < h_freq, got {band!r}.")
    from mne.filter import filter_data

    segs = ts.segments()
    out = np.empty_like(segs)
    for k, seg in enumerate(segs):
        out[k] = filter_data(seg.T.copy(), sf, l_freq, h_freq, verbose=False).T
    return ts.with_data(out.reshape(ts.data.shape))


def analytic(ts):
    """Analytic signal (scipy.signal.hilbert, zero-padded to a fast length), per segment."""
    from scipy.fft import next_fast_len
    from scipy.signal import hilbert

    segs = ts.segments()
    n = segs.shape[1]
    z = hilbert(segs, N=next_fast_len(n), axis=1)[:, :n]
    return z.reshape(ts.data.shape)


def normalise_pair(simulated, empirical, sfreq_hz, monitor, variable, picks, labels_img):
    """as_timeseries on both sides; each option goes to the side(s) it applies to."""
    from ..result import MonitorOutput, SimulationResult

    if isinstance(sfreq_hz, (tuple, list)):
        if len(sfreq_hz) != 2:
            raise ValueError(f"sfreq_hz must be a number or a (simulated, empirical) pair, got {sfreq_hz!r}.")
        sf = tuple(sfreq_hz)
    else:
        sf = (sfreq_hz, sfreq_hz)
    out = []
    for side, d, s in (("simulated", simulated, sf[0]), ("empirical", empirical, sf[1])):
        kw = {}
        if isinstance(d, (SimulationResult, MonitorOutput)):
            kw["variable"] = variable
            if isinstance(d, SimulationResult):
                kw["monitor"] = monitor
        elif type(d).__module__.split(".")[0] == "mne":
            kw["picks"] = picks
        elif not isinstance(d, (np.ndarray, TimeSeries)):
            kw["labels_img"] = labels_img
        try:
            out.append(as_timeseries(d, sfreq_hz=s, **kw))
        except (TypeError, ValueError) as err:
            raise type(err)(f"{side}: {err}") from None
    return out
