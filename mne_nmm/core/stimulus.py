"""External stimuli: a temporal waveform times a spatial pattern, added to a state derivative.

A :class:`Stimulus` adds ``amplitude * waveform(t) * pattern[i]`` to the derivative
of one state variable of each region ``i`` (TVB adds stimuli to the derivative in
the same way). Waveforms are pure functions of time in ms, evaluated inside the
simulation scan; :class:`ArrayWaveform` samples a user array on the simulation grid.

Example
-------
>>> stim = Stimulus(PulseTrain(onset_ms=500, period_ms=1000, width_ms=10, n_pulses=5),
...                 regions=["lV1", "rV1"], amplitude=0.05)
"""

from __future__ import annotations

import abc

import numpy as np
import jax.numpy as jnp

from .._validate import check_array, check_positive, validate_type
from .digest import content_key


def _finite(value, name):
    v = float(validate_type(value, "numeric", name))
    if not np.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    return v


def _offset(value):
    v = float(validate_type(value, "numeric", "offset_ms"))
    if np.isnan(v):
        raise ValueError(f"offset_ms must be a number (np.inf: no offset), got {value!r}.")
    return v


class Waveform(abc.ABC):
    """Base class of temporal waveforms ``w(t_ms, step)`` (dimensionless)."""

    @abc.abstractmethod
    def __call__(self, t_ms, step):
        """Value at time ``t_ms`` (ms) of integration step ``step`` (traceable)."""

    def onsets_ms(self, duration_ms):
        """Onsets of discrete events in ``[0, duration_ms)`` (empty for continuous waveforms)."""
        return np.zeros(0)


class Pulse(Waveform):
    """A single rectangular pulse of width ``width_ms`` starting at ``onset_ms``."""

    def __init__(self, onset_ms, width_ms):
        self.onset_ms = check_positive(onset_ms, "onset_ms", strict=False)
        self.width_ms = check_positive(width_ms, "width_ms")

    def __call__(self, t_ms, step):
        return ((t_ms >= self.onset_ms) & (t_ms < self.onset_ms + self.width_ms)).astype(jnp.float32)

    def onsets_ms(self, duration_ms):
        return np.array([self.onset_ms]) if self.onset_ms < duration_ms else np.zeros(0)


class PulseTrain(Waveform):
    """Rectangular pulses of ``width_ms`` every ``period_ms`` from ``onset_ms`` (``n_pulses`` or unlimited)."""

    def __init__(self, onset_ms, period_ms, width_ms, n_pulses=None):
        self.onset_ms = check_positive(onset_ms, "onset_ms", strict=False)
        self.period_ms = check_positive(period_ms, "period_ms")
        self.width_ms = check_positive(width_ms, "width_ms")
        if self.width_ms > self.period_ms:
            raise ValueError(f"width_ms ({width_ms}) must not exceed period_ms ({period_ms}).")
        self.n_pulses = None if n_pulses is None else int(validate_type(n_pulses, ("int", None), "n_pulses"))
        if self.n_pulses is not None and self.n_pulses < 1:
            raise ValueError(f"n_pulses must be >= 1 or None, got {n_pulses}.")

    def __call__(self, t_ms, step):
        rel = t_ms - self.onset_ms
        k = jnp.floor(rel / self.period_ms)
        on = (rel >= 0) & (rel - k * self.period_ms < self.width_ms)
        if self.n_pulses is not None:
            on = on & (k < self.n_pulses)
        return on.astype(jnp.float32)

    def onsets_ms(self, duration_ms):
        n = int(np.ceil((duration_ms - self.onset_ms) / self.period_ms)) if duration_ms > self.onset_ms else 0
        if self.n_pulses is not None:
            n = min(n, self.n_pulses)
        t = self.onset_ms + self.period_ms * np.arange(max(n, 0))
        return t[t < duration_ms]


class Sinusoid(Waveform):
    """``sin(2 pi f t + phase)`` between ``onset_ms`` and ``offset_ms`` (periodic forcing)."""

    def __init__(self, frequency_hz, phase_rad=0.0, onset_ms=0.0, offset_ms=np.inf):
        self.frequency_hz = check_positive(frequency_hz, "frequency_hz")
        self.phase_rad = _finite(phase_rad, "phase_rad")
        self.onset_ms = check_positive(onset_ms, "onset_ms", strict=False)
        self.offset_ms = _offset(offset_ms)

    def __call__(self, t_ms, step):
        on = (t_ms >= self.onset_ms) & (t_ms < self.offset_ms)
        return jnp.where(on, jnp.sin(2.0 * jnp.pi * self.frequency_hz * t_ms * 1e-3 + self.phase_rad), 0.0)


class Step(Waveform):
    """1 from ``onset_ms`` until ``offset_ms`` (default: the end), else 0."""

    def __init__(self, onset_ms, offset_ms=np.inf):
        self.onset_ms = check_positive(onset_ms, "onset_ms", strict=False)
        self.offset_ms = _offset(offset_ms)
        if self.offset_ms <= self.onset_ms:
            raise ValueError(f"offset_ms ({offset_ms}) must be after onset_ms ({onset_ms}).")

    def __call__(self, t_ms, step):
        return ((t_ms >= self.onset_ms) & (t_ms < self.offset_ms)).astype(jnp.float32)

    def onsets_ms(self, duration_ms):
        return np.array([self.onset_ms]) if self.onset_ms < duration_ms else np.zeros(0)


class ArrayWaveform(Waveform):
    """Values sampled on the simulation grid: ``values[n]`` is applied during step ``n``.

    ``values`` has shape ``(n_steps,)`` (times the stimulus pattern) or
    ``(n_steps, n_regions)`` (a full space-time input; use ``regions=None``).
    Steps beyond the array get 0.
    """

    def __init__(self, values):
        self.values = check_array(values, "values")
        if self.values.ndim not in (1, 2):
            raise ValueError(f"values must have shape (n_steps,) or (n_steps, n_regions), got {self.values.shape}.")

    def __call__(self, t_ms, step):
        vals = jnp.asarray(self.values)
        n = vals.shape[0]
        idx = jnp.clip(step, 0, n - 1)
        v = vals[idx]
        return jnp.where(step < n, v, jnp.zeros_like(v))


class Stimulus:
    """Spatio-temporal input added to the derivative of one state variable.

    Parameters
    ----------
    waveform : Waveform | callable
        Temporal profile ``w(t_ms, step)``; plain callables receive ``(t_ms, step)``.
    regions : None | sequence of str | sequence of int | array (n_regions,)
        Where the stimulus enters: names or indices (weight 1 each), a full weight
        vector, or ``None`` for all regions.
    amplitude : float
        Scale, in units of the target variable per ms.
    variable : str | None
        Target state variable (default: the model's ``stimulus_variable``).
    """

    def __init__(self, waveform, *, regions=None, amplitude=1.0, variable=None):
        if not callable(waveform):
            raise TypeError(f"waveform must be a Waveform or a callable w(t_ms, step), got {type(waveform).__name__}.")
        self.waveform = waveform
        self.regions = regions
        self.amplitude = float(validate_type(amplitude, "numeric", "amplitude"))
        if not np.isfinite(self.amplitude):
            raise ValueError(f"amplitude must be a finite number, got {amplitude!r}.")
        if variable is not None and not isinstance(variable, str):
            raise TypeError(f"variable must be a state variable name (str) or None, got {type(variable).__name__}.")
        self.variable = variable

    def pattern(self, region_names):
        n = len(region_names)
        r = self.regions
        if r is None:
            return np.ones(n)
        if isinstance(r, str):
            r = [r]
        arr = np.asarray(r)
        if arr.dtype.kind == "b":
            raise TypeError("regions must be region names, integer indices or a float weight vector (n_regions,), "
                            "got booleans; use np.flatnonzero(mask) for a mask.")
        if arr.dtype.kind in "fc":  # a full weight vector
            return check_array(arr, "regions", shape=(n,))
        pat = np.zeros(n)
        for item in r:
            if isinstance(item, str):
                if item not in region_names:
                    raise ValueError(f"regions contains {item!r}, which is not a region of the network.")
                pat[list(region_names).index(item)] = 1.0
            else:
                i = int(item)
                if not 0 <= i < n:
                    raise ValueError(f"regions contains index {i}, out of range for {n} regions.")
                pat[i] = 1.0
        return pat

    def target_index(self, model):
        name = self.variable or model.stimulus_variable or model.state_variables[0]
        return model.variable_index(name, what="stimulus variable")

    def static_key(self):
        """Content key of what is compiled into a run: the waveform (type and attribute values) and the
        target variable (the amplitude and pattern are parameters, ``SimParams.stimulus``)."""
        return (content_key(self.waveform), self.variable)

    def onsets_ms(self, duration_ms):
        f = getattr(self.waveform, "onsets_ms", None)
        return np.asarray(f(duration_ms)) if f is not None else np.zeros(0)

    def __repr__(self):
        return f"Stimulus({type(self.waveform).__name__}, amplitude={self.amplitude:g}, variable={self.variable})"


def as_stimulus_list(stimuli):
    """Normalise the ``stimulus`` argument to a list of :class:`Stimulus`."""
    if stimuli is None:
        return []
    if isinstance(stimuli, Stimulus):
        return [stimuli]
    stimuli = list(stimuli)
    for i, s in enumerate(stimuli):
        if not isinstance(s, Stimulus):
            raise TypeError(f"stimulus[{i}] must be a Stimulus, got {type(s).__name__}.")
    return stimuli


def build_stimulus_fn(stimuli, model, region_names, dt_ms):
    """Compile the stimuli: ``(fn, patterns)`` or ``(None, ())`` without stimuli.

    ``patterns`` is a tuple of ``amplitude * pattern`` arrays ``(n_regions,)`` (the values that go
    into ``SimParams.stimulus``); ``fn(step, patterns) -> (n_state_variables, n_regions)`` sums
    ``waveform(t, step) * pattern`` into each stimulus' target variable.
    """
    stimuli = as_stimulus_list(stimuli)
    if not stimuli:
        return None, ()
    n_vars, n = model.n_state_variables, len(region_names)
    parts = []
    patterns = []
    for s in stimuli:
        pat = s.pattern(region_names)
        if isinstance(s.waveform, ArrayWaveform) and s.waveform.values.ndim == 2:
            if s.waveform.values.shape[1] != n:
                raise ValueError(f"ArrayWaveform values must have shape (n_steps, {n}), got {s.waveform.values.shape}.")
        parts.append((s.target_index(model), s.waveform))
        patterns.append(np.asarray(pat * s.amplitude, dtype=float))

    def fn(step, pats):
        t = step * dt_ms
        out = None
        for (idx, w), pat in zip(parts, pats):
            v = w(t, step) * pat
            out = (jnp.zeros((n_vars,) + jnp.shape(v), dtype=jnp.result_type(v)) if out is None else out).at[idx].add(v)
        return out

    return fn, tuple(patterns)


def stimulus_onsets_s(stimuli, duration_ms):
    """Sorted unique onsets (s) of all discrete stimulus events."""
    if stimuli is None:
        return np.zeros(0)
    if isinstance(stimuli, Stimulus):
        stimuli = [stimuli]
    on = [s.onsets_ms(duration_ms) for s in stimuli]
    on = np.concatenate(on) if on else np.zeros(0)
    return np.unique(on) / 1000.0
