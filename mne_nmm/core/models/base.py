"""Base class of neural mass models.

A model is a frozen pytree whose (traced) fields are its parameters in the
units of the source paper, plus class-level metadata. Its :meth:`dfun` is pure::

    dstate = model.dfun(state, coupling)      # state: (n_state_variables, n_regions)
                                              # coupling: (n_coupling_inputs, n_regions)

No dt, noise, integrator or mutable state lives in a model. Parameters are
scalars or arrays broadcastable to ``(n_regions,)`` (heterogeneous parameters).

Writing your own model
----------------------
Subclass :class:`NeuralMass`, decorate with :func:`neural_mass`, declare the
class metadata and write ``dfun``::

    @neural_mass
    class Damped(NeuralMass):
        state_variables = ("x", "v")
        coupled_variables = ("x",)
        omega: float = 0.06     # rad/ms
        zeta: float = 0.1

        def dfun(self, state, coupling):
            x, v = state
            return jnp.stack([v, -2 * self.zeta * self.omega * v - self.omega**2 * x + coupling[0]])
"""

from __future__ import annotations

import abc
import dataclasses
import functools
from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from ..pytree import register_dataclass_pytree


def neural_mass(cls):
    """Class decorator: make a :class:`NeuralMass` subclass a frozen, validated pytree.

    Parameters are validated when a model is *constructed* (``Model(...)``,
    ``model.replace(...)``), not when JAX rebuilds the pytree from its leaves: a
    gradient or tangent with respect to the parameters is a pytree of the same
    class whose "parameters" may legitimately be negative or zero.
    """
    cls = dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if kwargs:
            names = [f.name for f in dataclasses.fields(type(self)) if f.init]
            unknown = sorted(set(kwargs) - set(names))
            if unknown:
                raise TypeError(f"Unknown parameter(s) {unknown} for {type(self).__name__}; valid names: "
                                f"{sorted(names)}.")
        init(self, *args, **kwargs)

    cls.__init__ = __init__
    return register_dataclass_pytree(cls)


class NeuralMass(abc.ABC):
    """Base class; see the module docstring for the contract.

    Class attributes
    ----------------
    name : str
        Short registry name (``"jansen_rit"``).
    state_variables : tuple of str
        Names of the state variables, in the order of axis 0 of the state.
    coupled_variables : tuple of str
        State variables whose (delayed) values feed the network coupling.
    derived_variables : dict of str -> str
        Observables that are not state variables (e.g. ``"y1-y2"``), computed by
        :meth:`derived`; value is a short description.
    eeg_source : str | None
        Variable (state or derived) that is the EEG/MEG source of a region.
    bold_drive : str | None
        Variable that drives the hemodynamic (BOLD) model.
    default_output : str
        Variable recorded by monitors when none is given.
    stimulus_variable : str | None
        State variable whose derivative external stimuli are added to by default
        (``None``: the first state variable).
    units : dict of str -> str
        Unit of each state/derived variable; time is in ms throughout.
    state_bounds : dict of str -> (low, high)
        Variables clipped to a range after each step (e.g. gating in [0, 1]).
    category, typical_use, reference : str
        Registry information.
    """

    name: ClassVar[str] = "neural_mass"
    state_variables: ClassVar[tuple] = ()
    coupled_variables: ClassVar[tuple] = ()
    derived_variables: ClassVar[dict] = {}
    eeg_source: ClassVar[str | None] = None
    bold_drive: ClassVar[str | None] = None
    default_output: ClassVar[str | None] = None
    stimulus_variable: ClassVar[str | None] = None
    units: ClassVar[dict] = {}
    state_bounds: ClassVar[dict] = {}
    category: ClassVar[str] = "phenomenological"
    typical_use: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    # Parameters that must be strictly positive (e.g. time constants): checked on construction.
    positive_parameters: ClassVar[tuple] = ()

    def __post_init__(self):
        cls = type(self).__name__
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("static", False) or _is_tracer(value):
                continue
            what = f"{cls}.{f.name} must be a real number or an array of real numbers (one per region)"
            if value is None:
                raise TypeError(f"{what}, got None.")
            if isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{what}, got the bool {value!r}; pass a number.")
            if isinstance(value, (str, bytes, dict, set, complex, np.complexfloating)):
                raise TypeError(f"{what}, got {type(value).__name__} {value!r}.")
            try:
                arr = np.asarray(value)
            except (TypeError, ValueError):
                raise TypeError(f"{what}, got {type(value).__name__}.") from None
            if arr.dtype.kind not in "iuf":
                kind = {"b": "booleans", "c": "complex numbers", "O": "objects", "U": "strings"}.get(
                    arr.dtype.kind, f"dtype {arr.dtype}")
                raise TypeError(f"{what}, got {type(value).__name__} of {kind}.")
            if arr.ndim > 1:
                raise ValueError(f"{cls}.{f.name} must be a scalar or a 1D array of one value per region, got shape {arr.shape}.")
            if arr.ndim == 1 and arr.shape[0] == 0:
                raise ValueError(f"{cls}.{f.name} must be a scalar or a 1D array of one value per region, got an empty array.")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{cls}.{f.name} must be finite, got {value!r}.")
            if f.name in self.positive_parameters and np.any(arr <= 0):
                raise ValueError(f"{cls}.{f.name} must be > 0 (it is a time constant or rate), got {value!r}.")

    # -- contract -----------------------------------------------------------------
    @abc.abstractmethod
    def dfun(self, state, coupling):
        """Time derivative ``d state / dt`` (per ms) of shape ``(n_state_variables, n_regions)``."""

    def initial_state(self, n_regions, rng=None):
        """Default initial state ``(n_state_variables, n_regions)`` (numpy, float).

        The default is :attr:`default_initial` per variable plus a small random
        perturbation so that no network starts exactly on an unstable fixed point.
        """
        base = np.asarray(self.default_initial(), dtype=float)
        if base.shape != (self.n_state_variables,):
            raise ValueError(f"{type(self).__name__}.default_initial must return {self.n_state_variables} values.")
        rng = np.random.default_rng(0) if rng is None else np.random.default_rng(rng)
        spread = np.asarray(self.initial_spread(), dtype=float)
        return base[:, None] + spread[:, None] * rng.uniform(-1.0, 1.0, size=(self.n_state_variables, n_regions))

    def default_initial(self):
        """Central initial value of each state variable (override per model)."""
        return np.zeros(self.n_state_variables)

    def initial_spread(self):
        """Half-width of the uniform random perturbation of the initial state per variable."""
        return np.full(self.n_state_variables, 1e-3)

    def derived(self, name, state):
        """Compute a derived observable from the state (override for models that have any)."""
        raise ValueError(f"{type(self).__name__} has no derived variable {name!r}.")

    # -- helpers used by the engine ------------------------------------------------
    @property
    def n_state_variables(self):
        return len(self.state_variables)

    @property
    def variables(self):
        """All recordable variables: state variables then derived ones."""
        return tuple(self.state_variables) + tuple(self.derived_variables)

    def variable_index(self, name, *, what="variable"):
        if name not in self.state_variables:
            raise ValueError(f"{what} must be one of the state variables {self.state_variables} of {type(self).__name__}, got {name!r}.")
        return self.state_variables.index(name)

    @property
    def cvar_indices(self):
        return tuple(self.variable_index(v, what="coupled variable") for v in self.coupled_variables)

    def observe(self, state, names):
        """Stack the requested variables (state or derived) into ``(len(names), n_regions)``."""
        rows = []
        for n in names:
            if n in self.state_variables:
                rows.append(state[self.state_variables.index(n)])
            elif n in self.derived_variables:
                rows.append(self.derived(n, state))
            else:
                raise ValueError(f"variables must be among {self.variables} for {type(self).__name__}, got {n!r}.")
        return jnp.stack(rows)

    def unit_of(self, name):
        return self.units.get(name, "a.u.")

    def apply_bounds(self, state):
        """Clip bounded variables (see :attr:`state_bounds`)."""
        if not self.state_bounds:
            return state
        for name, (lo, hi) in self.state_bounds.items():
            i = self.state_variables.index(name)
            state = state.at[i].set(jnp.clip(state[i], lo, hi))
        return state

    def parameters(self):
        """Dict of parameter name -> value."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if not f.metadata.get("static", False)}

    def replace(self, **changes):
        """Copy with some parameters changed; unknown names raise."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"Unknown parameter(s) {unknown} for {type(self).__name__}; valid names: {sorted(names)}.")
        return dataclasses.replace(self, **changes)

    def __repr__(self):
        params = ", ".join(f"{k}={_short(v)}" for k, v in self.parameters().items())
        return f"{type(self).__name__}({params})"


def _short(v):
    arr = np.asarray(v) if not _is_tracer(v) else None
    if arr is None:
        return "<traced>"
    if arr.dtype.kind not in "biuf":
        return repr(v)
    if arr.ndim == 0:
        return f"{float(arr):g}"
    return f"array(shape={arr.shape})"


def _is_array(v):
    import jax

    return isinstance(v, jax.Array)


def _is_tracer(v):
    import jax

    return isinstance(v, jax.core.Tracer)
