"""Warnings and refusals for implausible inputs and outputs.

Small host-side checks shared by :mod:`mne_nmm.eeg`, :mod:`mne_nmm.fmri` and the
command line; each returns what it measured so callers and tests can use it.
:func:`check_coupling_stability`, :func:`coupling_self_rate` and
:func:`check_duration_ms` are defined in :mod:`mne_nmm.simulation.checks` (which
:func:`mne_nmm.simulation.simulate` applies to every run) and re-exported here.

* :func:`check_coupling_stability` — the coupling's self-feedback rate
  ``G x in-strength x |d post / d x_local|`` times ``dt`` against the integrator's
  real-axis stability interval (explicit Euler / Heun: ``[-2, 0]``; RK4:
  ``[-2.785, 0]``; Hairer, Norsett & Wanner 1993, Solving ODEs I, sec. IV.2),
  with a 10 % margin. For diffusive coupling this is ``G x max in-strength x dt``
  (the rule :func:`mne_nmm.fmri.simulate_bold` has always applied).
* :func:`check_sensor_amplitude` — EEG with a median channel standard deviation
  outside 0.1-500 µV, MEG magnetometers outside 1 fT-10 pT, gradiometers outside
  0.1 fT/cm-5 pT/cm (resting scalp EEG is ~10-100 µV, MEG ~0.1-1 pT: Hämäläinen et
  al. 1993, Rev Mod Phys 65:413), which is what a moment in the wrong unit gives.
* :func:`check_duration_ms` — a ``duration_ms`` under 100 ms is probably seconds.
* :func:`check_region_names` — region names that are not in the network, with the
  close matches (:func:`difflib.get_close_matches`).
"""

from __future__ import annotations

import difflib
import warnings

import numpy as np

# the generic run checks live in the simulation layer (simulate() applies them to every network); re-exported here
# under their old names
from ..simulation.checks import STABILITY_LIMITS, check_coupling_stability, check_duration_ms, coupling_self_rate

__all__ = ["check_coupling_stability", "check_sensor_amplitude", "check_duration_ms", "check_region_names",
           "coupling_self_rate", "STABILITY_LIMITS"]

#: Median channel standard deviation considered plausible (SI units) per channel type.
AMPLITUDE_RANGES = {"eeg": (0.1e-6, 500e-6, 1e6, "µV"), "seeg": (0.1e-6, 5e-3, 1e6, "µV"),
                    "ecog": (0.1e-6, 5e-3, 1e6, "µV"), "mag": (1e-15, 10e-12, 1e15, "fT"),
                    "grad": (1e-14, 5e-10, 1e13, "fT/cm")}


def check_sensor_amplitude(raw, *, stacklevel=2):
    """Warn when the median channel standard deviation of a channel type is implausible.

    Parameters
    ----------
    raw : mne.io.BaseRaw | mne.Evoked | mne.Epochs
        Sensor data (SI units).

    Returns
    -------
    medians : dict
        Median channel standard deviation per channel type present (SI units).
    """
    out = {}
    types = raw.get_channel_types()
    data = raw.get_data()
    if data.ndim == 3:
        data = np.concatenate(list(data), axis=-1)
    for ch_type, (lo, hi, scale, unit) in AMPLITUDE_RANGES.items():
        idx = [i for i, t in enumerate(types) if t == ch_type]
        if not idx:
            continue
        med = float(np.median(np.std(data[idx], axis=1)))
        out[ch_type] = med
        if not lo <= med <= hi:
            warnings.warn(f"The simulated {ch_type.upper()} has a median channel standard deviation of "
                          f"{med * scale:.3g} {unit}, outside the plausible {lo * scale:g}-{hi * scale:g} {unit}: "
                          "check the dipole moment per model unit (A·m, not nA·m) and the model's drive.",
                          RuntimeWarning, stacklevel=stacklevel)
    return out


def check_region_names(requested, available, *, what="stimulus region"):
    """Raise ``ValueError`` for names not in ``available``, listing the close matches.

    Integer indices are checked against the range. Returns the requested names/indices.
    """
    available = [str(a) for a in available]
    bad = []
    for r in requested:
        if isinstance(r, (int, np.integer)):
            if not -len(available) <= int(r) < len(available):
                bad.append(f"{int(r)} (index out of range for {len(available)} regions)")
        elif str(r) not in available:
            close = difflib.get_close_matches(str(r), available, n=3, cutoff=0.5)
            lower = [a for a in available if a.lower() == str(r).lower()]
            hint = lower or close
            bad.append(f"{r!r}" + (f" (did you mean {', '.join(repr(h) for h in hint)}?)" if hint else ""))
    if bad:
        raise ValueError(f"{what} not in the network: {'; '.join(bad)}. The network has {len(available)} regions, "
                         f"e.g. {available[:6]}.")
    return list(requested)
