"""Converters to standard objects (imported on first use, so mne/nilearn load only when needed).

:mod:`.mne`: ``to_raw``, ``to_epochs``, ``to_evoked``, ``to_source_estimate``;
:mod:`.nifti`: ``to_nifti``, ``to_surface``.
"""

import importlib as _importlib

_LAZY = {"to_raw": "mne", "to_epochs": "mne", "to_evoked": "mne", "to_source_estimate": "mne", "to_template_stc": "mne",
         "to_nifti": "nifti", "to_surface": "nifti"}


_SUBMODULES = ("mne", "nifti", "provenance")


def __getattr__(name):
    if name in _LAZY:
        return getattr(_importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name in _SUBMODULES:  # ``mne_nmm.convert.nifti.to_nifti`` works without importing the submodule first
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
