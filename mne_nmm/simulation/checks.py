"""Generic plausibility checks of a run, applied by :func:`mne_nmm.simulation.simulate` to every network.

Host-side, numpy (and jax for one derivative) only, so the simulation layer can use
them; :mod:`mne_nmm.analysis.plausibility` re-exports them under the same names.

* :func:`check_coupling_stability` — the coupling's self-feedback rate
  ``G x in-strength x |d post / d x_local|`` times ``dt`` against the integrator's
  real-axis stability interval (explicit Euler / Heun: ``[-2, 0]``; RK4:
  ``[-2.785, 0]``; Hairer, Norsett & Wanner 1993, Solving ODEs I, sec. IV.2),
  with a 10 % margin. For diffusive coupling this is ``G x max in-strength x dt``
  (the rule :func:`mne_nmm.fmri.simulate_bold` has always applied).
* :func:`check_duration_ms` — a ``duration_ms`` under 100 ms is probably seconds.

:func:`~mne_nmm.simulation.simulate` applies the stability check to every run,
as a warning (:func:`run_checks`): the workflows that refuse an unstable coupling
(:func:`mne_nmm.eeg.simulate_eeg`, :func:`mne_nmm.fmri.simulate_bold`, the
command line, config runs) check first and raise, so no run warns twice.

The duration rule is *not* applied inside ``simulate``: runs of a few ms are
legitimate there and common (an integrator-order test records 1 sample after
4 ms; a 30 ms run checks that two lead fields give EEG in ratio 2, a 30 ms run
sweeps a BOLD time constant), and neither the sample count nor the monitor kind
tells them from a duration typed in seconds. The workflows take durations in
seconds (``duration_s``, ``--duration``), and :func:`check_duration_ms` stays
available to code that takes a ``duration_ms`` from a user.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["check_coupling_stability", "check_duration_ms", "coupling_self_rate", "run_checks", "STABILITY_LIMITS"]

#: ``|lambda| dt`` limit on the negative real axis, with a 10 % margin, per integrator name.
STABILITY_LIMITS = {"euler": 1.8, "heun": 1.8, "euler_maruyama": 1.8, "stochastic_heun": 1.8, "rk4": 2.5}


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


def _integrator_name(integrator):
    name = integrator if isinstance(integrator, str) else getattr(integrator, "name", type(integrator).__name__)
    return str(name).lower()


def check_coupling_stability(network, *, integrator="stochastic_heun", n_cvar=None, model=None, on_unstable="raise",
                             stacklevel=2):
    """Refuse (or warn about) a coupling x strength x dt that makes the integrator unstable.

    Parameters
    ----------
    network : Network
        Its ``coupling``, ``global_coupling``, weights and ``dt_ms``.
    integrator : str | Integrator
        Integrator or its name (see :data:`STABILITY_LIMITS`; others are not checked).
    n_cvar : int | None
        Number of coupled variables (default: ``len(model.coupled_variables)`` or 1).
    model : NeuralMass | None
        Used for ``n_cvar``.
    on_unstable : "raise" | "warn"
        What to do above the limit.
    stacklevel : int
        Of the warning (``on_unstable="warn"``).

    Returns
    -------
    stiffness : float
        ``G x max in-strength x self-rate x dt_ms`` (0 for couplings without local feedback).
    """
    if on_unstable not in ("raise", "warn"):
        raise ValueError(f"on_unstable must be 'raise' or 'warn', got {on_unstable!r}.")
    if n_cvar is None:
        n_cvar = len(getattr(model, "coupled_variables", ()) or ()) or 1
    name = _integrator_name(integrator)
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
        warnings.warn(msg, RuntimeWarning, stacklevel=stacklevel)
    return stiff


def check_duration_ms(duration_ms, *, stacklevel=2):
    """Warn when ``duration_ms`` is under 100 ms (probably given in seconds).

    Parameters
    ----------
    duration_ms : float
        Simulated time (ms).
    stacklevel : int
        Of the warning.

    Returns
    -------
    duration_ms : float
    """
    d = float(duration_ms)
    if d < 100.0:
        warnings.warn(f"duration_ms={d:g} is under 100 ms: durations here are in milliseconds (did you mean "
                      f"{d * 1000:g} ms = {d:g} s?).", RuntimeWarning, stacklevel=stacklevel)
    return d


def run_checks(setup, *, stacklevel=3):
    """The checks :func:`~mne_nmm.simulation.simulate` applies to a prepared run (warnings only).

    Today the coupling stability (:func:`check_coupling_stability` with
    ``on_unstable="warn"``); see the module docstring for why the duration rule is not.

    Parameters
    ----------
    setup : Setup
        From :func:`mne_nmm.simulation.setup.prepare` (network, model, integrator).
    stacklevel : int
        Of the warnings (3: the caller of ``simulate``).
    """
    check_coupling_stability(setup.network, integrator=setup.integrator, model=setup.model, on_unstable="warn",
                             stacklevel=stacklevel + 1)
