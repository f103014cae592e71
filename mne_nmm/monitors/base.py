"""Monitor interface and the basic monitors (Raw, Subsample, TemporalAverage).

Monitors are computed *inside* the simulation scan. A user-facing monitor is a
small spec object (period in ms, variables); :meth:`Monitor.build` turns it into a
:class:`BuiltMonitor`: its *parameters* (a pytree of arrays: a lead field's gain, the
Balloon constants, ...) and pure JAX functions that receive them explicitly::

    mstate            = init(state0, model, params)                  # before the first step
    mstate, raw       = step(mstate, state, model, params)           # after EVERY integration step,
                                                                     # with the new state x_{n+1}
    samples           = readout(raw_at_sample_steps, model, params)  # vectorised over samples

(for one run; sweeps ``vmap`` the whole run). The parameters travel in
``SimParams.monitors[name]``, so they can be swept and differentiated, and a new gain or
time constant never needs a new compilation. Everything the functions close over must be
*static* configuration, declared in :attr:`BuiltMonitor.static` (hashable, compared by
value): the engine's compile cache is keyed on it, never on a repr.

A built monitor declares ``sample_shape`` (one sample, e.g. ``(n_variables, n_channels)``),
``units`` (one per variable), ``time_stamp`` (``"instant"`` or ``"end"`` of its window) and
``static``; :func:`build_monitors` refuses one that does not.

The engine keeps ``raw`` only at the monitor's sample steps: step indices
``n = k * period_steps - 1`` (0-based), i.e. the sample ``k`` (1-based) describes
the state at time ``k * period_steps * dt``. ``readout`` runs on the kept samples
only (so a lead field or a BOLD read-out costs nothing per integration step).

Writing a monitor: subclass :class:`Monitor` and implement ``build``; see
:class:`TemporalAverage` for a stateful example.
"""

from __future__ import annotations

import abc

from dataclasses import dataclass, field
from typing import Callable

import jax.numpy as jnp
import numpy as np

from ..core.timing import whole_steps


@dataclass(frozen=True)
class MonitorContext:
    """What a monitor needs to know when it is built."""

    model: object
    dt_ms: float
    n_regions: int
    region_names: tuple


@dataclass(frozen=True, eq=False)
class BuiltMonitor:
    """Compiled form of a monitor (see module docstring)."""

    name: str
    period_steps: int
    init: Callable
    step: Callable
    readout: Callable
    variable_names: tuple
    channel_names: tuple
    units: tuple
    sample_shape: tuple = None
    time_stamp: str = None
    static: object = None
    params: object = None
    window_steps: int = 0
    info: dict = field(default_factory=dict)
    # True when ``step`` keeps no state (``init`` returns ()): the engine then evaluates it once per
    # block on all the block's states instead of inside the step loop.
    stateless: bool = False

    def structure_key(self):
        """What of this monitor is compiled into a run (the compile cache's key)."""
        return (self.name, self.period_steps, tuple(self.variable_names), self.static, self.stateless,
                self.time_stamp, tuple(self.sample_shape))


_TIME_STAMPS = ("instant", "end")


def build_monitors(monitors, ctx):
    """Build every monitor spec for ``ctx`` and check each built monitor's declarations.

    Returns
    -------
    built : list of BuiltMonitor
    """
    built = []
    for m in monitors:
        b = m.build(ctx)
        who = f"{type(m).__name__}.build()"
        if not isinstance(b, BuiltMonitor):
            raise TypeError(f"{who} must return a BuiltMonitor, got {type(b).__name__}.")
        shape = b.sample_shape
        if shape is None or not isinstance(shape, tuple) or not shape or not all(
                isinstance(v, (int, np.integer)) and v > 0 for v in shape):
            raise TypeError(f"{who} must declare sample_shape, the shape of one sample as a tuple of positive ints "
                            f"(e.g. (n_variables, n_channels)), got {shape!r}.")
        if b.time_stamp not in _TIME_STAMPS:
            raise TypeError(f"{who} must declare time_stamp, one of {_TIME_STAMPS} (when in its window a sample is "
                            f"stamped), got {b.time_stamp!r}.")
        if b.units is None or len(tuple(b.units)) != shape[0]:
            raise TypeError(f"{who} must declare units, one per variable ({shape[0]}), got {b.units!r}.")
        if b.static is None:
            raise TypeError(f"{who} must declare static, a hashable tuple of the configuration its functions close "
                            "over (the compile cache is keyed on it); use () when there is none.")
        try:
            hash(b.structure_key())
        except TypeError:
            raise TypeError(f"{who}: static must be hashable (compared by value), got {b.static!r}.") from None
        if not isinstance(b.period_steps, (int, np.integer)) or b.period_steps < 1:
            raise TypeError(f"{who} must declare period_steps >= 1, got {b.period_steps!r}.")
        built.append(b)
    return built


def period_to_steps(period_ms, dt_ms, what="period_ms"):
    """Convert a period in ms to a whole number of steps, or raise (never round silently)."""
    return whole_steps(period_ms, dt_ms, what)


class Monitor(abc.ABC):
    """Base class of monitor specifications."""

    name = "monitor"

    def __init__(self, period_ms=None, variables=None, name=None):
        self.period_ms = period_ms
        self.variables = variables
        if name is not None:
            self.name = str(name)

    def resolve_variables(self, model):
        v = self.variables
        if v is None:
            v = (model.default_output or model.state_variables[0],)
        elif isinstance(v, str):
            v = (v,)
        v = tuple(v)
        for name in v:
            if name not in model.variables:
                raise ValueError(f"{type(self).__name__} variables must be among {model.variables} for "
                                 f"{type(model).__name__}, got {name!r}.")
        return v

    @abc.abstractmethod
    def build(self, ctx: MonitorContext) -> BuiltMonitor:
        """Compile the monitor for one model, step and network (see the module docstring)."""

    def __repr__(self):
        return f"{type(self).__name__}(period_ms={self.period_ms}, variables={self.variables})"


class Raw(Monitor):
    """Every integration step of the chosen variables (use sparingly)."""

    name = "raw"

    def __init__(self, variables=None, name=None):
        super().__init__(None, variables, name)

    def build(self, ctx):
        names = self.resolve_variables(ctx.model)
        return _instant_monitor(self.name, 1, names, ctx)


class Subsample(Monitor):
    """Instantaneous state every ``period_ms`` (TVB's ``SubSample``).

    Parameters
    ----------
    period_ms : float
        Sampling period in ms; must be a whole number of integration steps.
    variables : str | sequence of str | None
        Variables to record (state or derived); default: the model's ``default_output``.
    """

    name = "subsample"

    def __init__(self, period_ms=1.0, variables=None, name=None):
        super().__init__(period_ms, variables, name)

    def build(self, ctx):
        names = self.resolve_variables(ctx.model)
        p = period_to_steps(self.period_ms, ctx.dt_ms)
        return _instant_monitor(self.name, p, names, ctx)


def _instant_monitor(name, period, names, ctx):
    def init(state0, model, params):
        return ()

    def step(mstate, state, model, params):
        return mstate, model.observe(state, names)

    def readout(raw, model, params):
        return raw

    return BuiltMonitor(name=name, period_steps=period, init=init, step=step, readout=readout,
                        variable_names=names, channel_names=tuple(ctx.region_names),
                        units=tuple(ctx.model.unit_of(n) for n in names), time_stamp="instant", static=("instant",),
                        window_steps=0, sample_shape=(len(names), ctx.n_regions), stateless=True)


class TemporalAverage(Monitor):
    """Mean over each window of ``period_ms`` (TVB's ``TemporalAverage``).

    Sample ``k`` is the mean of the states after steps ``(k-1) P + 1 ... k P``; its
    time stamp is the *end* of the window.
    """

    name = "tavg"

    def __init__(self, period_ms=1.0, variables=None, name=None):
        super().__init__(period_ms, variables, name)

    def build(self, ctx):
        names = self.resolve_variables(ctx.model)
        p = period_to_steps(self.period_ms, ctx.dt_ms)
        return temporal_average_monitor(self.name, p, names, ctx)


def temporal_average_monitor(name, period, names, ctx, *, readout=None, channel_names=None, units=None,
                             sample_shape=None, info=None, params=None, static=()):
    """Build a windowed-mean monitor; ``readout(mean_samples, model, params)`` may project the means.

    Used by :class:`TemporalAverage` and by projection monitors (lead fields) that
    average first and project only the kept samples.
    """
    n_vars = len(names)
    inv_p = 1.0 / period

    def init(state0, model, params):
        return (jnp.zeros((n_vars, ctx.n_regions), dtype=state0.dtype), jnp.zeros((), dtype=jnp.int32))

    def step(mstate, state, model, params):
        acc, count = mstate
        acc = acc + model.observe(state, names)
        count = count + 1
        out = acc * inv_p
        full = count == period
        acc = jnp.where(full, 0.0, acc)
        count = jnp.where(full, 0, count)
        return (acc, count), out

    def default_readout(raw, model, params):
        return raw

    return BuiltMonitor(name=name, period_steps=period, init=init, step=step,
                        readout=default_readout if readout is None else readout,
                        variable_names=names,
                        channel_names=tuple(ctx.region_names if channel_names is None else channel_names),
                        units=tuple(ctx.model.unit_of(n) for n in names) if units is None else tuple(units),
                        time_stamp="end", window_steps=period,
                        sample_shape=(n_vars, ctx.n_regions) if sample_shape is None else sample_shape,
                        info={} if info is None else dict(info), params=params,
                        static=("temporal_average", names) + tuple(static))


def as_monitor_list(monitors):
    """Normalise the ``monitors`` argument to a list of Monitor with unique names."""
    if monitors is None:
        monitors = [Subsample(1.0)]
    elif isinstance(monitors, Monitor):
        monitors = [monitors]
    monitors = list(monitors)
    for i, m in enumerate(monitors):
        if not isinstance(m, Monitor):
            raise TypeError(f"monitors[{i}] must be a Monitor (e.g. Subsample(period_ms=1.0)), got {type(m).__name__}.")
    names = [m.name for m in monitors]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"monitors must have unique names, got duplicates {dup}; pass name=... to tell them apart.")
    return monitors


__all__ = ["Monitor", "BuiltMonitor", "MonitorContext", "Raw", "Subsample", "TemporalAverage",
           "temporal_average_monitor", "period_to_steps", "as_monitor_list", "build_monitors"]
