"""Monitors: what a simulation records, computed inside the scan.

``Raw``, ``Subsample`` and ``TemporalAverage`` are here; the BOLD monitors live in
:mod:`mne_nmm.monitors.bold` and the lead-field (EEG/MEG) monitor in
:mod:`mne_nmm.monitors.leadfield` (imported on first use).
"""

import importlib as _importlib

from .base import (BuiltMonitor, Monitor, MonitorContext, Raw, Subsample, TemporalAverage, period_to_steps,
                   temporal_average_monitor)

_LAZY = {"BalloonWindkessel": "bold", "HRFConvolution": "bold", "LeadField": "leadfield", "EEG": "leadfield",
         "MEG": "leadfield"}


def __getattr__(name):
    if name in _LAZY:
        mod = _importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(mod, name)
    if name in ("bold", "leadfield"):  # ``mne_nmm.monitors.leadfield.EEG`` without importing the submodule first
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Monitor", "BuiltMonitor", "MonitorContext", "Raw", "Subsample", "TemporalAverage", "period_to_steps",
           "temporal_average_monitor", *_LAZY]
