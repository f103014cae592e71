"""Warnings and refusals for implausible inputs and outputs.

Small host-side checks shared by :mod:`mne_nmm.eeg`, :mod:`mne_nmm.fmri` and the
command line; each returns what it measured so callers and tests can use it.

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

__all__ = ["check_coupling_stability", "check_sensor_amplitude", "check_duration_ms", "check_region_names",
           "coupling_self_rate", "STABILITY_LIMITS"]

#: ``|lambda| dt`` limit on the negative real axis, with a 10 % margin, per integrator name.
STABILITY_LIMITS = {"euler": 1.8, "heun": 1.8, "euler_maruyama": 1.8, "stochastic_heun": 1.8, "rk4": 2.5}

#: Median channel standard deviation considered plausible (SI units) per channel type.
AMPLITUDE_RANGES = {"eeg": (0.1e-6, 500e-6, 1e6, "µV"), "seeg": (0.1e-6, 5e-3, 1e6, "µV"),
                    "ecog": (0.1e-6, 5e-3, 1e6, "µV"), "mag": (1e-15, 10e-12, 1e15, "fT"),
                    "grad": (1e-14, 5e-10, 1e13, "fT/cm")}


def coupling_self_rate(coupling, n_cvar=1):
    """``|d c_i / d x_i|`` per unit of ``G x in-strength``: the decay a coupling adds to a node.

    Evaluated with jax at ``x_local = 0`` and ``S = 0`` (for diffusive coupling it is
    exactly 1; for couplings whose read-out ignores the local state, e.g. linear or
    Jansen-Rit sigmoidal, 0).
    """
    import jax
    import jax.numpy as jnp

    n_feat = coupling.n_features(n_cvar) if hasattr(coupling, "n_features") else n_cvar

    def post(x):
        s = jnp.zeros((n_feat, 1))
        return jnp.sum(coupling.post(s, x, jnp.ones((1,))))

    try:
        g = jax.grad(post)(jnp.zeros((n_cvar, 1)))
    except Exception:  # a coupling that cannot be differentiated this way: no rule
        return 0.0
    return float(jnp.max(jnp.abs(g)))


def check_coupling_stability(network, *, integrator="stochastic_heun", n_cvar=None, model=None, on_unstable="raise"):
    """Refuse (or warn about) a coupling x strength x dt that makes the integrator unstable.

    Parameters
    ----------
    network : Network
        Its ``coupling``, ``global_coupling``, weights and ``dt_ms``.
    integrator : str
        Integrator name (see :data:`STABILITY_LIMITS`; others are not checked).
    n_cvar : int | None
        Number of coupled variables (default: ``len(model.coupled_variables)`` or 1).
    model : NeuralMass | None
        Used for ``n_cvar``.
    on_unstable : "raise" | "warn"
        What to do above the limit.

    Returns
    -------
    stiffness : float
        ``G x max in-strength x self-rate x dt_ms`` (0 for couplings without local feedback).
    """
    if n_cvar is None:
        n_cvar = len(getattr(model, "coupled_variables", ()) or ()) or 1
    name = integrator if isinstance(integrator, str) else getattr(integrator, "name", type(integrator).__name__)
    name = str(name).lower()
    rate = coupling_self_rate(network.coupling, n_cvar)
    w = np.asarray(network.weights, dtype=float)
    strength = float(np.abs(w).sum(axis=1).max()) if w.size else 0.0
    stiff = abs(float(network.global_coupling)) * strength * rate * float(network.dt_ms)
    limit = STABILITY_LIMITS.get(name)
    if limit is not None and stiff > limit:
        per_dt = stiff / float(network.dt_ms)
        msg = (f"global_coupling x max in-strength x dt_ms = {stiff:.3g} > {limit:g} for "
               f"{type(network.coupling).__name__} coupling: the {name} step is unstable (the coupling adds a decay "
               f"rate of {per_dt:.3g}/ms to the most connected node). Reduce dt_ms (to <= {limit / per_dt:.3g} ms) "
               "or global_coupling.")
        if on_unstable == "raise":
            raise ValueError(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return stiff


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


def check_duration_ms(duration_ms, *, stacklevel=2):
    """Warn when ``duration_ms`` is under 100 ms (probably given in seconds)."""
    d = float(duration_ms)
    if d < 100.0:
        warnings.warn(f"duration_ms={d:g} is under 100 ms: durations here are in milliseconds (did you mean "
                      f"{d * 1000:g} ms = {d:g} s?).", RuntimeWarning, stacklevel=stacklevel)
    return d


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
