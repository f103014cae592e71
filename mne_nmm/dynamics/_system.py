"""The vector field behind every tool of :mod:`mne_nmm.dynamics`.

A *system* is a model, optionally wired into a delay-free network, seen as an
autonomous ODE ``dx/dt = f(x, p)`` on the flattened state
``x = state.reshape(-1)`` (``state`` of shape ``(n_state_variables, n_regions)``,
variable-major) and a small vector ``p`` of *free parameters* (model parameters,
or ``"global_coupling"`` for a network). Time is in ms, as everywhere in mne_nmm.

Network linearisation is delay-free: region ``i`` receives
``c_i = post(sum_j G W[i, j] pre(x_j(t)), x_i(t), G rowsum_i)`` with the
network's coupling, i.e. conduction delays are set to zero. Fixed points of a
network do not depend on the delays (a constant state has the same delayed and
instantaneous value), but their stability can; the delay-free eigenvalues are
those of the delayed characteristic equation at zero delay.

All numerics run in float64 inside :func:`jax.enable_x64` (a context manager: the
global ``jax.config`` is never changed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import jax
import jax.numpy as jnp
import numpy as np

from .._validate import validate_type
from ..core.coupling import Coupling
from ..core.models.base import NeuralMass

GLOBAL_COUPLING = "global_coupling"


@contextlib.contextmanager
def x64():
    """Run a block in float64 without touching the global ``jax.config``."""
    with jax.enable_x64(True):
        yield


def _to64(tree):
    return jax.tree_util.tree_map(lambda v: np.asarray(v, dtype=np.float64)
                                  if np.asarray(v).dtype.kind in "biuf" else v, tree)


@dataclasses.dataclass(frozen=True, eq=False)
class NetworkSpec:
    """Delay-free network wiring: weights (row = target), coupling, global coupling, tract lengths."""

    weights: np.ndarray
    coupling: Coupling
    global_coupling: float
    tract_lengths_mm: np.ndarray | None = None
    region_names: tuple = ()

    @property
    def n_regions(self):
        return self.weights.shape[0]


def network_spec(model, network, *, coupling=None, global_coupling=None):
    """Normalise ``network`` (Network | Connectome | (n, n) array | None) to a :class:`NetworkSpec`.

    ``coupling`` / ``global_coupling`` override those of a :class:`~mne_nmm.Network`;
    for a Connectome or a weight array they default to the model's recommended
    coupling (registry) or :class:`~mne_nmm.core.coupling.Difference` and ``1.0``.
    """
    if network is None:
        if coupling is not None or global_coupling is not None:
            raise ValueError("coupling and global_coupling need a network (a Network, a Connectome or a weight "
                             "matrix), got network=None.")
        return None
    from ..connectome import Connectome

    lengths = None
    names = ()
    if hasattr(network, "connectome") and hasattr(network, "coupling") and hasattr(network, "global_coupling"):
        weights = np.asarray(network.weights, dtype=float)
        lengths = np.asarray(network.connectome.tract_lengths_mm, dtype=float)
        names = tuple(network.region_names)
        coupling = network.coupling if coupling is None else coupling
        global_coupling = network.global_coupling if global_coupling is None else global_coupling
    elif isinstance(network, Connectome):
        weights = np.asarray(network.weights, dtype=float)
        lengths = np.asarray(network.tract_lengths_mm, dtype=float)
        names = tuple(network.region_names)
    else:
        try:
            weights = np.asarray(network, dtype=float)
        except (TypeError, ValueError):
            raise TypeError("network must be a Network, a Connectome or a (n_regions, n_regions) weight array, "
                            f"got {type(network).__name__}.") from None
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
        raise ValueError(f"network weights must be square (n_regions, n_regions), got shape {weights.shape}.")
    if not np.all(np.isfinite(weights)):
        raise ValueError("network weights must be finite.")
    if coupling is None:
        coupling = _recommended(model)
    validate_type(coupling, Coupling, "coupling", "a Coupling instance (e.g. mne_nmm.coupling.Difference())")
    if hasattr(coupling, "n_regions") and getattr(coupling, "n_regions") != weights.shape[0]:
        coupling = dataclasses.replace(coupling, n_regions=weights.shape[0])
    g = 1.0 if global_coupling is None else global_coupling
    validate_type(g, "numeric", "global_coupling")
    if not np.isfinite(g):
        raise ValueError(f"global_coupling must be finite, got {g!r}.")
    if not names:
        names = tuple(f"region{i}" for i in range(weights.shape[0]))
    return NetworkSpec(weights, coupling, float(g), lengths, names)


def _recommended(model):
    try:
        from ..core.models.registry import recommended_coupling

        return recommended_coupling(type(model))[0]
    except (ValueError, TypeError, ImportError):
        from ..core.coupling import Difference

        return Difference()


def check_model(model, name="model"):
    validate_type(model, NeuralMass, name, "a NeuralMass model (e.g. mne_nmm.models.JansenRit())")
    return model


def check_params(model, names, *, net, what="param"):
    """Validate free-parameter names; return a tuple of str."""
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    valid = list(model.parameters())
    if net is not None:
        valid = valid + [GLOBAL_COUPLING]
    for n in names:
        if not isinstance(n, str) or n not in valid:
            extra = " (or 'global_coupling' for a network)" if net is None else " or 'global_coupling'"
            raise ValueError(f"{what} must be one of model.parameters() {sorted(model.parameters())}{extra}, got {n!r}.")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} must name distinct parameters, got {names}.")
    return names


def param_value(model, name, net, regions=None):
    """Current (scalar) value of a free parameter; per-region arrays must be uniform over ``regions``."""
    if name == GLOBAL_COUPLING:
        return float(net.global_coupling)
    v = np.asarray(model.parameters()[name], dtype=float)
    if v.ndim == 0:
        return float(v)
    sel = v if regions is None else v[list(regions)]
    if not np.allclose(sel, sel.flat[0]):
        raise ValueError(f"parameter {name!r} varies across the regions it is continued in; pass a model with a "
                         "uniform value there (the continued value is set in all of those regions).")
    return float(sel.flat[0])


def n_coupling_inputs(model, net):
    if net is not None:
        return net.coupling.n_features(len(model.coupled_variables))
    return max(1, len(model.coupled_variables))


def with_params(model, names, values, net, regions, n_regions):
    """Return ``(model, G)`` with the free parameters set (traceable)."""
    changes = {}
    g = None if net is None else net.global_coupling
    for i, n in enumerate(names):
        val = values[i]
        if n == GLOBAL_COUPLING:
            g = val
            continue
        if regions is not None:
            base = jnp.broadcast_to(jnp.asarray(model.parameters()[n], dtype=jnp.result_type(float)), (n_regions,))
            val = base.at[jnp.asarray(regions)].set(val)
        changes[n] = val
    if changes:
        model = dataclasses.replace(model, **changes)  # no re-validation of traced values
    return model, g


def network_input(model, state, net, g):
    """Coupling input ``(n_coupling_inputs, n_regions)`` of a delay-free network (zeros for one node)."""
    if net is None:
        return jnp.zeros((n_coupling_inputs(model, None), state.shape[1]), dtype=state.dtype)
    xc = state[jnp.asarray(model.cvar_indices)]
    w = jnp.asarray(net.weights, dtype=state.dtype)
    s = (net.coupling.pre(xc) @ w.T) * g
    return net.coupling.post(s, xc, g * w.sum(axis=1))


@dataclasses.dataclass(frozen=True, eq=False)
class System:
    """A model (+ delay-free network) with named free parameters: ``f(x_flat, p)``.

    Attributes
    ----------
    model : NeuralMass
    params : tuple of str
        Free parameters (order of ``p``).
    net : NetworkSpec | None
    regions : tuple of int | None
        Regions in which model parameters are set to ``p`` (``None``: all).
    extra_input : ndarray | None
        Constant coupling input ``(n_coupling_inputs, n_regions)`` added to the network input.
    """

    model: NeuralMass
    params: tuple
    net: NetworkSpec | None = None
    regions: tuple | None = None

    @property
    def n_regions(self):
        return 1 if self.net is None else self.net.n_regions

    @property
    def n_vars(self):
        return self.model.n_state_variables

    @property
    def dim(self):
        return self.n_vars * self.n_regions

    @property
    def shape(self):
        return (self.n_vars, self.n_regions)

    def p0(self):
        return np.array([param_value(self.model, n, self.net, self.regions) for n in self.params], dtype=float)

    def f(self, x, p):
        """Flattened vector field (traceable)."""
        return _rhs(x, p, self.model, self.params, self.net, self.regions, self.shape)

    def f_state(self, state, p):
        return self.f(state.reshape(-1), p).reshape(self.shape)

    def with_model(self, model):
        return dataclasses.replace(self, model=model)

    def model_at(self, p):
        """The model (and global coupling) with the free parameters set to ``p`` (numpy floats)."""
        changes = {}
        net = self.net
        for n, v in zip(self.params, np.atleast_1d(p)):
            if n == GLOBAL_COUPLING:
                net = dataclasses.replace(net, global_coupling=float(v))
            elif self.regions is not None:
                base = np.broadcast_to(np.asarray(self.model.parameters()[n], dtype=float), (self.n_regions,)).copy()
                base[list(self.regions)] = float(v)
                changes[n] = base
            else:
                changes[n] = float(v)
        return (self.model.replace(**changes) if changes else self.model), net


def _rhs(x, p, model, names, net, regions, shape):
    state = x.reshape(shape)
    m, g = with_params(model, names, p, net, regions, shape[1])
    c = network_input(m, state, net, g)
    return m.dfun(state, c).reshape(-1)


def make_system(model, params=(), *, network=None, coupling=None, global_coupling=None, regions=None,
                what="param"):
    """Validate user arguments and build a :class:`System`."""
    check_model(model)
    net = network_spec(model, network, coupling=coupling, global_coupling=global_coupling)
    names = check_params(model, params, net=net, what=what) if params else ()
    if regions is not None:
        if net is None:
            raise ValueError("regions needs a network; got network=None.")
        regs = np.atleast_1d(np.asarray(regions))
        if regs.dtype.kind not in "iu" or regs.ndim != 1 or np.any(regs < 0) or np.any(regs >= net.n_regions):
            raise ValueError(f"regions must be integer indices in [0, {net.n_regions}), got {regions!r}.")
        regions = tuple(int(r) for r in regs)
    return System(model, names, net, regions)


# -- jitted numerics (cached on the pytree structure, not on values) ------------------------

def _split(system):
    """(static, model, net_arrays) so that jit caches on structure and traces values."""
    net = system.net
    arrays = None if net is None else (np.asarray(net.weights, float), net.coupling, np.float64(net.global_coupling))
    static = (system.params, system.regions, system.shape, net is None)
    return static, system.model, arrays


def _call(static, model, arrays, x, p):
    names, regions, shape, no_net = static
    net = None
    if not no_net:
        w, cpl, g = arrays
        net = _TracedNet(w, cpl, g)
    return _rhs(x, p, model, names, net, regions, shape)


class _TracedNet:
    """Duck-typed NetworkSpec whose arrays may be tracers."""

    def __init__(self, weights, coupling, g):
        self.weights = weights
        self.coupling = coupling
        self.global_coupling = g

    @property
    def n_regions(self):
        return self.weights.shape[0]


def _fx(static, model, arrays, x, p):
    return jax.jacfwd(lambda xx: _call(static, model, arrays, xx, p))(x)


def _fp(static, model, arrays, x, p):
    return jax.jacfwd(lambda pp: _call(static, model, arrays, x, pp))(p)


_f = jax.jit(_call, static_argnums=(0,))
_jac_x = jax.jit(_fx, static_argnums=(0,))
_jac_p = jax.jit(_fp, static_argnums=(0,))


def f(system, x, p):
    """``f(x, p)`` as float64 numpy."""
    static, model, arrays = _split(system)
    with x64():
        return np.asarray(_f(static, _to64(model), _to64(arrays), np.asarray(x, float), np.asarray(p, float)))


def jac_x(system, x, p):
    static, model, arrays = _split(system)
    with x64():
        return np.asarray(_jac_x(static, _to64(model), _to64(arrays), np.asarray(x, float), np.asarray(p, float)))


def jac_p(system, x, p):
    static, model, arrays = _split(system)
    with x64():
        return np.asarray(_jac_p(static, _to64(model), _to64(arrays), np.asarray(x, float), np.asarray(p, float)))


def traced(system):
    """``(fn, args)`` with ``fn(x, p, *args)`` a pure traceable vector field (for custom jitted code)."""
    static, model, arrays = _split(system)

    def fn(x, p, model, arrays):
        return _call(static, model, arrays, x, p)

    return fn, (model, arrays)


def state_scale(x):
    x = np.abs(np.asarray(x, float))
    return max(float(np.sqrt(np.mean(x * x))), 1e-3)
