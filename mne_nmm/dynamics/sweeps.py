"""Brute-force bifurcation diagrams by batched simulation.

Continuation follows equilibria and cycles; what it cannot show (chaos,
quasi-periodicity, the attractor actually reached from a given start) a
brute-force diagram shows: for every value of a parameter, integrate (all
values in one vmapped run), drop a transient and record the minimum, maximum,
the local maxima (a Poincaré-like section: one point for a period-1 cycle, a
cloud for chaos) and the dominant frequency of a variable.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from .._validate import check_array, check_int, check_positive
from . import _system as S
from ._batch import dominant_frequency, simulate_batch


@dataclasses.dataclass(frozen=True, repr=False)
class SweepDiagram:
    """Result of :func:`sweep_diagram`.

    Attributes
    ----------
    param : str
    values : ndarray, shape (n_values,)
    variable : str
    minima, maxima : ndarray, shape (n_values, n_regions)
        Extremes of ``variable`` after the transient.
    peaks : ndarray, shape (n_values, max_peaks)
        Local maxima of ``variable`` (region 0), NaN-padded.
    dominant_frequency_hz : ndarray, shape (n_values, n_regions)
        Periodogram peak (0 for a constant signal).
    traces : ndarray, shape (n_values, n_samples, n_regions)
        The recorded (post-transient) read-out.
    sfreq_hz : float
        Sampling rate of ``traces``.
    """

    param: str
    values: np.ndarray
    variable: str
    minima: np.ndarray
    maxima: np.ndarray
    peaks: np.ndarray
    dominant_frequency_hz: np.ndarray
    traces: np.ndarray
    sfreq_hz: float

    def __repr__(self):
        return (f"<SweepDiagram | {self.param} in [{self.values.min():.4g}, {self.values.max():.4g}] "
                f"({len(self.values)} values), variable {self.variable!r}>")


def _zero_drive(args):
    def drive(t):
        return None, None
    return drive


def sweep_diagram(model, param, values, *, variable=None, duration_ms=2000.0, transient_ms=1000.0, dt_ms=0.1,
                  start=None, network=None, coupling=None, global_coupling=None, regions=None, record_every=None,
                  max_peaks=200):
    """Brute-force bifurcation diagram: min/max, local maxima and dominant frequency against a parameter.

    Parameters
    ----------
    model : NeuralMass
    param : str
        A name in ``model.parameters()`` (or ``"global_coupling"`` with a network).
    values : array, shape (n_values,)
        Parameter values, all integrated in one vmapped run.
    variable : str | None
        Recorded variable (state or derived; default ``model.default_output``).
    duration_ms, transient_ms, dt_ms : float
        Run length, discarded transient and RK4 step (ms).
    start : array | None
        Initial state shared by all runs (default ``model.initial_state``).
    network, coupling, global_coupling, regions
        As in :func:`~mne_nmm.dynamics.continue_equilibrium` (no delays).
    record_every : int | None
        Steps between samples (default about 1 ms).
    max_peaks : int
        Local maxima kept per value.

    Returns
    -------
    SweepDiagram
    """
    system = S.make_system(model, (param,), network=network, coupling=coupling, global_coupling=global_coupling,
                           regions=regions)
    vals = check_array(values, "values", ndim=1)
    duration_ms = check_positive(duration_ms, "duration_ms")
    transient_ms = check_positive(transient_ms, "transient_ms", strict=False)
    dt_ms = check_positive(dt_ms, "dt_ms")
    max_peaks = check_int(max_peaks, "max_peaks", minimum=1)
    if transient_ms >= duration_ms:
        raise ValueError(f"transient_ms must be < duration_ms ({duration_ms:g}), got {transient_ms:g}.")
    var = variable or model.default_output or model.state_variables[0]
    if var not in model.variables:
        raise ValueError(f"variable must be one of {model.variables}, got {var!r}.")
    every = int(record_every) if record_every else max(1, int(round(1.0 / dt_ms)))
    n_steps = int(round(duration_ms / dt_ms))
    n_skip = int(round(transient_ms / dt_ms))
    from .forcing import _start

    x0 = _start(system, start)

    def readout(state, m):
        return m.observe(state, [var])

    rec = simulate_batch(system, vals[:, None], np.repeat(x0[None], len(vals), axis=0), dt_ms=dt_ms, n_steps=n_steps,
                         n_skip=n_skip, every=every, readout=readout, drive_factory=_zero_drive,
                         drive_args=jnp.zeros(len(vals)))
    tr = rec[:, :, 0, :]                                            # (n_values, n_rec, n_regions)
    sf = 1000.0 / (every * dt_ms)
    x = tr[:, :, 0]
    is_peak = (x[:, 1:-1] > x[:, :-2]) & (x[:, 1:-1] >= x[:, 2:])
    peaks = np.full((len(vals), max_peaks), np.nan)
    for k in range(len(vals)):
        pk = x[k, 1:-1][is_peak[k]]
        if pk.size == 0:
            pk = x[k, -1:]
        pk = pk[-max_peaks:]
        peaks[k, : len(pk)] = pk
    return SweepDiagram(param=system.params[0], values=vals, variable=var, minima=tr.min(axis=1),
                        maxima=tr.max(axis=1), peaks=peaks, dominant_frequency_hz=dominant_frequency(tr, sf, axis=1),
                        traces=tr, sfreq_hz=sf)
