"""Lead-field (EEG / MEG / sEEG) monitor, computed inside the simulation scan.

Each integration step adds the region source variable (the model's
``eeg_source``, e.g. Jansen-Rit's ``y1 - y2`` in mV) to a running window sum
(:func:`~mne_nmm.monitors.base.temporal_average_monitor`); only the kept window
means are projected to the sensors::

    sensors[k] = gain @ (moment_am_per_unit * mean_window_k(source))      # SI: V, T, T/m

so a long run never stores region time series it does not need, and the
projection costs one small matrix product per *sample*, not per step.

Units: ``gain`` is in V/(A·m) (EEG), T/(A·m) (magnetometers) or T/m/(A·m)
(gradiometers) (see :class:`mne_nmm.adapters.forward.HeadModel`), and
``moment_am_per_unit`` converts one unit of the model's source variable into a
region dipole moment in A·m (see :func:`default_moment_am_per_unit`).

This module imports no mne: the head model is used only through its ``gain``,
``ch_names``, ``ch_types``, ``region_names`` and ``moment_am_per_unit``.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._validate import check_option, check_positive, logger, validate_type
from .base import Monitor, period_to_steps, temporal_average_monitor

#: Region dipole moment (A·m) per unit of each model's EEG/MEG source variable, with the
#: :class:`~mne_nmm.adapters.forward.HeadModel` ``mode="mean"`` convention (the moment of a whole
#: region, shared by its source points). Jansen-Rit: 10 nA·m per mV of ``y1 - y2``: its alpha limit
#: cycle (y1 - y2 between ~2 and ~12 mV) then gives region moments of ~20-120 nA·m (a few cm² of
#: partially synchronous cortex at ~0.5 nA·m/mm², Murakami & Okada 2006) and, on the default
#: head, EEG of tens of µV and MEG of hundreds of fT.
DEFAULT_MOMENT_AM_PER_UNIT = {"jansen_rit": 1e-8}


def default_moment_am_per_unit(model):
    """Default dipole moment (A·m) per unit of ``model``'s EEG/MEG source variable.

    Looks for a model attribute ``eeg_moment_am_per_unit`` first, then
    :data:`DEFAULT_MOMENT_AM_PER_UNIT` by ``model.name``.

    Parameters
    ----------
    model : NeuralMass
        The model.

    Returns
    -------
    moment : float
        A·m per unit (e.g. per mV).
    """
    value = getattr(model, "eeg_moment_am_per_unit", None)
    if value is None:
        value = DEFAULT_MOMENT_AM_PER_UNIT.get(getattr(model, "name", None))
    if value is None:
        raise ValueError(f"There is no default dipole-moment scale for {type(model).__name__}; pass "
                         "moment_am_per_unit=... (A·m of region dipole moment per unit of its source variable "
                         f"{getattr(model, 'eeg_source', None)!r}, e.g. 1e-8 for 10 nA·m per unit).")
    return float(value)


def resolve_moment(model=None, head=None, moment_am_per_unit=None):
    """The dipole-moment scale in use: explicit value, else the head's, else the model's default."""
    if moment_am_per_unit is not None:
        return check_positive(moment_am_per_unit, "moment_am_per_unit")
    if head is not None and getattr(head, "moment_am_per_unit", None) is not None:
        return float(head.moment_am_per_unit)
    if model is None:
        raise ValueError("moment_am_per_unit must be given (A·m of region dipole moment per unit of the source "
                         "variable): neither the head nor a model provides one.")
    return default_moment_am_per_unit(model)


def match_region_order(head, region_names, match="names"):
    """Column indices of ``head.gain`` for the simulation's ``region_names``.

    Parameters
    ----------
    head : HeadModel
        Head model.
    region_names : sequence of str
        Region names of the network.
    match : "names" | "order"
        ``"names"``: pick the head's columns by the network's names (every network
        region must be in the head; head regions the network lacks are silent and
        left out, logged); ``"order"``: take the columns as they are (only the
        number must agree).

    Returns
    -------
    idx : ndarray of int, shape (n_regions,)
    """
    check_option("match", match, ("names", "order"))
    region_names = tuple(str(n) for n in region_names)
    hnames = tuple(head.region_names)
    if match == "order" or hnames == region_names:
        if len(hnames) != len(region_names):
            raise ValueError(f"The head has {len(hnames)} regions but the network has {len(region_names)}; they "
                             "must describe the same regions.")
        return np.arange(len(hnames))
    missing = [n for n in region_names if n not in hnames]
    if missing:
        extra = [n for n in hnames if n not in region_names]
        raise ValueError(f"The head's regions do not match the network's: {len(missing)} network region(s) "
                         f"not in the head {missing[:10]}{' ...' if len(missing) > 10 else ''}; {len(extra)} head "
                         f"region(s) not in the network {extra[:10]}{' ...' if len(extra) > 10 else ''}. Build the "
                         "head with region_names=connectome.region_names (name matching), or pass match='order' if "
                         "both are in the same order.")
    if len(region_names) != len(set(region_names)):
        raise ValueError("region_names of the network must be unique to be matched to the head by name.")
    if len(region_names) < len(hnames):
        logger.info("%d head region(s) are not simulated and contribute nothing: %s", len(hnames) - len(region_names),
                    [n for n in hnames if n not in region_names][:10])
    return np.array([hnames.index(n) for n in region_names])


def _channel_kind(types):
    kinds = set(types)
    if kinds == {"eeg"}:
        return "eeg", "V"
    if kinds == {"mag"}:
        return "meg", "T"
    if kinds == {"grad"}:
        return "meg", "T/m"
    if kinds <= {"mag", "grad"}:
        return "meg", "T (mag), T/m (grad)"
    if kinds <= {"seeg", "ecog", "dbs"}:
        return "ieeg", "V"
    return "mixed", "SI (V, T, T/m by channel type)"


class _GainHead:
    """A head made of a plain gain array (what :class:`LeadField` needs of a HeadModel)."""

    def __init__(self, gain, ch_names, ch_types, region_names, moment_am_per_unit=None):
        self.gain = gain
        self.ch_names = tuple(ch_names)
        self.ch_types = tuple(ch_types)
        self.region_names = None if region_names is None else tuple(str(r) for r in region_names)
        self.moment_am_per_unit = moment_am_per_unit
        self.info = None
        self.name = "gain array"

    @property
    def n_channels(self):
        return len(self.ch_names)

    def pick(self, ch_type):
        types = (ch_type,) if isinstance(ch_type, str) else tuple(ch_type)
        if "meg" in types:
            types = types + ("mag", "grad")
        keep = [i for i, t in enumerate(self.ch_types) if t in types]
        if not keep:
            raise ValueError(f"ch_type {ch_type!r} selects no channel; the channel types are {sorted(set(self.ch_types))}.")
        return _GainHead(self.gain[keep], [self.ch_names[i] for i in keep], [self.ch_types[i] for i in keep],
                         self.region_names, self.moment_am_per_unit)

    def __repr__(self):
        return f"<gain array | {len(self.ch_names)} channels x {self.gain.shape[1]} regions>"


def _as_head(head, ch_names, ch_types, region_names):
    if all(hasattr(head, a) for a in ("gain", "region_names", "ch_names", "ch_types")):
        if ch_names is not None or ch_types is not None or region_names is not None:
            raise TypeError("ch_names, ch_types and region_names are given by the HeadModel; pass them only "
                            "with a plain gain array.")
        return head
    if isinstance(head, (str, bytes)) or not hasattr(head, "__array__") and not isinstance(head, (list, tuple)):
        raise TypeError(f"head must be a HeadModel (with gain, region_names, ch_names) or a gain array of shape "
                        f"(n_channels, n_regions), got {type(head).__name__}.")
    gain = np.asarray(head)
    if gain.dtype.kind not in "biuf" or gain.ndim != 2:
        raise ValueError(f"gain must be a real array of shape (n_channels, n_regions), got dtype {gain.dtype} and "
                         f"shape {gain.shape}.")
    if not np.all(np.isfinite(gain)):
        raise ValueError("gain must be finite (NaN rows: drop those channels first).")
    n_ch = gain.shape[0]
    ch_names = [f"EEG{i:03d}" for i in range(n_ch)] if ch_names is None else [str(c) for c in ch_names]
    if len(ch_names) != n_ch:
        raise ValueError(f"ch_names must have one name per gain row ({n_ch}), got {len(ch_names)}.")
    if ch_types is None:
        ch_types = ["eeg"] * n_ch
    elif isinstance(ch_types, str):
        ch_types = [ch_types] * n_ch
    if len(ch_types) != n_ch:
        raise ValueError(f"ch_types must have one type per gain row ({n_ch}), got {len(ch_types)}.")
    return _GainHead(gain.astype(float), ch_names, ch_types, region_names)


class LeadField(Monitor):
    """Sensor signals (EEG, MEG, sEEG) through a region lead field, inside the scan.

    Temporal average of the model's source variable over each ``period_ms``
    window, then ``gain @ (moment_am_per_unit * mean)``; the output is in SI
    units (V, T, T/m), one "variable" (the projection), one column per channel.

    The gain is a *parameter* of the run (``SimParams.monitors[name]["gain"]``, the
    ``(n_channels, n_regions)`` gain in the network's region order, already multiplied by
    ``moment_am_per_unit``): it can be swept or differentiated, and two heads with different
    gains never share a compiled function's constants.

    Parameters
    ----------
    head : HeadModel | array, shape (n_channels, n_regions)
        Region lead field: a :class:`~mne_nmm.adapters.forward.HeadModel`
        (:func:`mne_nmm.adapters.head.default_head`, :func:`mne_nmm.adapters.forward.make_head_model`),
        or a plain gain array (V/(A·m), T/(A·m)) whose columns are the network's regions in order.
    period_ms : float
        Sampling period (a whole number of integration steps); ``1000 / period_ms``
        is the sampling frequency of the Raw.
    variable : str | None
        Source variable; default: the model's ``eeg_source``.
    moment_am_per_unit : float | None
        A·m of region dipole moment per unit of ``variable``; default: the head's,
        else the model's (:func:`default_moment_am_per_unit`).
    ch_type : str | list of str | None
        Keep only these channel types of the head (``"eeg"``, ``"meg"``, ``"mag"``,
        ``"grad"``, ``"seeg"``).
    match : "names" | "order"
        How the head's regions are aligned with the network's (see
        :func:`match_region_order`; a gain array without ``region_names`` is taken in order).
    name : str | None
        Monitor name (default ``"leadfield"``; :class:`EEG` and :class:`MEG` use
        ``"eeg"`` / ``"meg"``).
    ch_names, ch_types, region_names : sequence of str | None
        Only with a gain array: channel names (default ``EEG000 ...``), types (default
        ``"eeg"``) and the regions of the columns (default: the network's, in order).

    Notes
    -----
    ``output.info`` holds ``kind="leadfield"``, the ``head`` (restricted to the
    kept channels; its ``info`` gives :func:`mne_nmm.convert.mne.to_raw` the
    channels), the ``moment_am_per_unit`` used and the ``variable``.
    """

    name = "leadfield"
    _ch_type = None

    def __init__(self, head, *, period_ms=1.0, variable=None, moment_am_per_unit=None, ch_type=None, match="names",
                 name=None, ch_names=None, ch_types=None, region_names=None):
        super().__init__(period_ms, variable, name)
        head = _as_head(head, ch_names, ch_types, region_names)
        check_positive(period_ms, "period_ms")
        if moment_am_per_unit is not None:
            check_positive(moment_am_per_unit, "moment_am_per_unit")
        if variable is not None:
            validate_type(variable, str, "variable")
        check_option("match", match, ("names", "order"))
        ch_type = ch_type if ch_type is not None else self._ch_type
        if ch_type is not None:
            head = head.pick(ch_type)
        self.head = head
        self.moment_am_per_unit = moment_am_per_unit
        self.ch_type = ch_type
        self.match = match

    def build(self, ctx):
        model = ctx.model
        variable = self.variables
        if variable is None:
            variable = getattr(model, "eeg_source", None)
            if variable is None:
                raise ValueError(f"{type(model).__name__} declares no eeg_source; pass variable=... to "
                                 f"{type(self).__name__} (one of {model.variables}).")
        if variable not in model.variables:
            raise ValueError(f"{type(self).__name__} variable must be one of {model.variables} for "
                             f"{type(model).__name__}, got {variable!r}.")
        period = period_to_steps(self.period_ms, ctx.dt_ms)
        if self.head.region_names is None:
            if self.head.gain.shape[1] != ctx.n_regions:
                raise ValueError(f"gain must have one column per network region ({ctx.n_regions}), got shape "
                                 f"{self.head.gain.shape}.")
            idx = np.arange(ctx.n_regions)
        else:
            idx = match_region_order(self.head, ctx.region_names, self.match)
        moment = resolve_moment(model, self.head, self.moment_am_per_unit)
        gain = np.asarray(self.head.gain, dtype=np.float64)[:, idx] * moment  # (n_ch, n_regions), SI per unit
        kind, unit = _channel_kind(self.head.ch_types)

        def readout(raw, model, params):
            # raw: (n_samples, 1, n_regions) window means -> (n_samples, 1, n_channels)
            return jnp.einsum("svr,cr->svc", raw, params["gain"].astype(raw.dtype))

        info = dict(kind="leadfield", sensor_kind=kind, head=self.head, moment_am_per_unit=moment,
                    variable=variable, source_unit=model.unit_of(variable),
                    ch_types=tuple(self.head.ch_types))
        return temporal_average_monitor(self.name, period, (variable,), ctx, readout=readout,
                                        channel_names=tuple(self.head.ch_names), units=(unit,),
                                        sample_shape=(1, self.head.n_channels), info=info,
                                        params={"gain": gain}, static=("leadfield",))

    def __repr__(self):
        return (f"{type(self).__name__}({self.head!r}, period_ms={self.period_ms}, variable={self.variables}, "
                f"moment_am_per_unit={self.moment_am_per_unit})")


class EEG(LeadField):
    """:class:`LeadField` restricted to the head's EEG channels (monitor name ``"eeg"``)."""

    name = "eeg"
    _ch_type = "eeg"


class MEG(LeadField):
    """:class:`LeadField` restricted to the head's MEG channels (monitor name ``"meg"``)."""

    name = "meg"
    _ch_type = "meg"


__all__ = ["LeadField", "EEG", "MEG", "default_moment_am_per_unit", "resolve_moment", "match_region_order",
           "DEFAULT_MOMENT_AM_PER_UNIT"]
