"""Setup: validate the inputs of a run and build its static plan, kernel and default parameters."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_positive, validate_type
from ..core import history
from ..core.digest import content_key
from ..core.integrators import get_integrator
from ..core.kernel import MAX_STEPS, Plan, make_kernel
from ..core.models.base import NeuralMass
from ..core.noise import Noise
from ..core.params import SimParams
from ..core.stimulus import as_stimulus_list, build_stimulus_fn
from ..core.timing import whole_steps
from ..monitors.base import MonitorContext, as_monitor_list, build_monitors
from ..network import Network
from . import cache

__all__ = ["Setup", "prepare", "float_dtype", "as_key", "check_run_args"]

#: Default simulated time per device call (rounded to whole monitor periods).
DEFAULT_CHUNK_MS = 1000.0
#: Largest block length (steps whose delayed input is gathered at once).
BLOCK_CAP = 32


def float_dtype():
    """The float type of this process (float64 when ``jax_enable_x64`` is set)."""
    return jnp.zeros(()).dtype


@dataclasses.dataclass(eq=False)
class Setup:
    """Everything static about one run, plus its default parameters."""

    plan: Plan
    kernel: object
    params: SimParams
    x0: np.ndarray
    built: list
    n_steps: int
    chunk_steps: int
    integrator: object
    noise: object
    stimulus: list
    key: np.ndarray
    structure_key: tuple
    network: Network
    model: NeuralMass

    def cached(self, what, build):
        """A function built once per structure (see :mod:`.cache`)."""
        return cache.cached((self.structure_key, what), build)


def as_key(key):
    """Raw ``uint32[2]`` key from an int seed or a JAX key."""
    if key is None:
        key = 0
    if isinstance(key, (bool, np.bool_)):
        raise TypeError(f"key must be an int seed or a jax.random.PRNGKey (uint32[2]), got bool {key!r}.")
    if isinstance(key, (int, np.integer)):
        seed = int(key)
        if 0 <= seed < 2**32:  # == jax.random.PRNGKey(seed) (threefry: [0, seed]) without a device call
            return np.array([0, seed], dtype=np.uint32)
        if not -2**63 <= seed < 2**64:
            raise ValueError(f"key must be an int seed in [-2**63, 2**64), got {seed}.")
        return np.asarray(jax.random.PRNGKey(seed))
    if isinstance(key, (str, bytes, float, complex, dict, set)) or key is Ellipsis:
        raise TypeError(f"key must be an int seed or a jax.random.PRNGKey (uint32[2]), got {type(key).__name__} "
                        f"{key!r}.")
    try:
        arr = jnp.asarray(key)
    except (TypeError, ValueError):
        raise TypeError(f"key must be an int seed or a jax.random.PRNGKey (uint32[2]), got "
                        f"{type(key).__name__}.") from None
    if jnp.issubdtype(arr.dtype, jax.dtypes.prng_key):
        if arr.shape != ():
            raise ValueError(f"key must be a single PRNG key, got a key array of shape {arr.shape}; pass one key "
                             f"(use n_trials=... for an ensemble).")
        return np.asarray(jax.random.key_data(arr))
    if arr.shape != (2,) or arr.dtype != jnp.uint32:
        raise TypeError(f"key must be an int seed or a jax.random.PRNGKey (uint32[2]), got {type(key).__name__} "
                        f"with shape {arr.shape} and dtype {arr.dtype}.")
    return np.asarray(arr)


def _seed_from_key(key):
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key) % 2**63           # non-negative seeds unchanged; negative ones are valid keys too
    return int(np.asarray(as_key(key)).sum() % (2**31))


def initial_state(initial_state, model, n_regions, seed):
    if initial_state is None:
        return np.asarray(model.initial_state(n_regions, rng=seed), dtype=float)
    if isinstance(initial_state, (str, bytes, dict, set)):
        raise TypeError(f"initial_state must be an array of numbers, got {type(initial_state).__name__}.")
    try:
        raw = np.asarray(initial_state)
    except (TypeError, ValueError) as err:
        raise TypeError(f"initial_state must be an array of numbers, got {type(initial_state).__name__} "
                        f"({err}).") from None
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"initial_state must be real numbers, got dtype {raw.dtype}"
                        + (" (complex values are not accepted)" if raw.dtype.kind == "c" else "") + ".")
    x0 = raw.astype(float)
    v = model.n_state_variables
    if x0.shape == (v,):
        x0 = np.repeat(x0[:, None], n_regions, axis=1)
    if x0.shape != (v, n_regions):
        raise ValueError(f"initial_state must have shape ({v}, {n_regions}) (n_state_variables, n_regions) or ({v},), "
                         f"got {x0.shape}.")
    if not np.all(np.isfinite(x0)):
        bad = np.argwhere(~np.isfinite(x0))
        i, j = (int(k) for k in bad[0])
        raise ValueError(f"initial_state must be finite, found {len(bad)} NaN/inf entries (first at index [{i}, {j}]: "
                         f"variable {model.state_variables[i]!r}, region {j}, value {x0[i, j]!r}).")
    return x0


def check_run_args(checkpoint=None, max_memory_gb=None):
    """Check the host-side arguments of a run (``checkpoint``, ``max_memory_gb``) before any work starts."""
    if checkpoint is not None:
        from .checkpoint import check_path

        check_path(checkpoint, "checkpoint")
    if max_memory_gb is not None:
        check_positive(max_memory_gb, "max_memory_gb")


def check_model_against_network(model, network):
    """Per-region model parameters must have one value per region of ``network`` (naming the parameter)."""
    n = network.n_regions
    for name, value in model.parameters().items():
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError):
            continue
        if arr.dtype.kind not in "biuf":       # e.g. the sub-models of RegionGroups
            continue
        shape = arr.shape
        if len(shape) == 1 and shape[0] not in (1, n):
            raise ValueError(f"{type(model).__name__}.{name} has {shape[0]} values but the network has {n} regions; "
                             f"give a scalar or one value per region (shape ({n},)).")


def check_monitor_samples(built, monitors, n_steps, duration_ms, dt):
    """Refuse monitors that would record no sample in ``duration_ms`` (naming both numbers)."""
    for m, b in zip(monitors, built):
        if n_steps // b.period_steps == 0:
            raise ValueError(f"monitor {b.name!r} ({m!r}) samples every {b.period_steps * dt:g} ms "
                             f"({b.period_steps} steps of dt={dt:g} ms) but duration_ms is {duration_ms:g} ms "
                             f"({n_steps} steps): it would record 0 samples. Make duration_ms at least "
                             f"{b.period_steps * dt:g} ms or shorten the monitor's period.")


def check_float_range(network, ftype):
    """Weights and global coupling must be representable in the run's float type (not only finite in float64)."""
    big = float(np.finfo(np.dtype(ftype)).max)
    w = np.abs(np.asarray(network.weights, dtype=float))
    wmax = float(w.max()) if w.size else 0.0
    if wmax > big:
        raise ValueError(f"weights reach {wmax:.3g}, beyond the {np.dtype(ftype).name} range ({big:.3g}) of this run; "
                         f"rescale them (e.g. Connectome.normalized('max')) or enable jax_enable_x64.")
    g = abs(float(network.global_coupling))
    if g > big:
        raise ValueError(f"global_coupling ({g:.3g}) is beyond the {np.dtype(ftype).name} range ({big:.3g}) of "
                         f"this run.")
    if wmax * g > big:
        raise ValueError(f"global_coupling * weights reach {wmax * g:.3g}, beyond the {np.dtype(ftype).name} range "
                         f"({big:.3g}) of this run; rescale the weights or the global coupling.")


def _lcm(values):
    out = 1
    for v in values:
        out = out * int(v) // math.gcd(out, int(v))
    return out


def _tree_as(tree, dtype):
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype=dtype), tree)


def prepare(network, model, *, duration_ms, integrator="heun", noise=None, monitors=None, stimulus=None,
            initial_state_=None, key=0, chunk_ms=None, connections="structural", noise_per_chunk=True, unroll=1):
    """Validate the arguments of :func:`~mne_nmm.simulate` and build the static side of the run."""
    validate_type(network, Network, "network")
    validate_type(model, NeuralMass, "model", "a NeuralMass model (e.g. mne_nmm.models.Hopf())")
    raw_key = as_key(key)
    integrator = get_integrator(integrator)
    if noise is not None:
        validate_type(noise, Noise, "noise", "a Noise (e.g. mne_nmm.AdditiveNoise(sigma=1e-3))")
        if not integrator.stochastic:
            raise ValueError(f"noise was given but integrator {integrator.name!r} is deterministic; use "
                             f"integrator='stochastic_heun' or 'euler_maruyama'.")
    if connections not in ("structural", "all"):
        raise ValueError(f"connections must be 'structural' (the connectome's non-zero weights) or 'all' (every "
                         f"pair, for fitting free weights), got {connections!r}.")
    dt = network.dt_ms
    n_steps = whole_steps(duration_ms, dt, "duration_ms")
    if n_steps > MAX_STEPS:
        raise ValueError(f"duration_ms ({duration_ms:g}) is {n_steps} steps of dt={dt:g} ms, more than the "
                         f"{MAX_STEPS} steps the int32 step counter allows; increase dt_ms or split the run.")
    n = network.n_regions
    check_model_against_network(model, network)
    check_float_range(network, float_dtype())
    mons = as_monitor_list(monitors)
    ctx = MonitorContext(model=model, dt_ms=dt, n_regions=n, region_names=network.region_names)
    built = build_monitors(mons, ctx)
    check_monitor_samples(built, mons, n_steps, duration_ms, dt)
    for m, b in zip(mons, built):
        b.info.setdefault("spec", repr(m))
    coupling = network.coupling
    cvar = model.cvar_indices
    if not cvar:
        raise ValueError(f"{type(model).__name__} declares no coupled_variables; it cannot be simulated in a network.")
    n_feat = coupling.n_features(len(cvar))
    weights = np.asarray(network.weights, dtype=float)
    mask = weights != 0
    if connections == "all":
        mask = mask | ~np.eye(n, dtype=bool)
    conn = history.connection_slots(mask, network.delay_steps)
    periods = [b.period_steps for b in built]
    block = history.choose_block(conn.min_delay if conn.has_delayed else 0, periods, cap=BLOCK_CAP)
    noise_idx = None
    sigma_full = None
    ftype = float_dtype()
    if noise is not None:
        noise_idx = noise.resolve_variables(model)
        noise.check(len(noise_idx), n)
        sigma_full = np.zeros((model.n_state_variables, n), dtype=ftype)
        sigma_full[np.asarray(noise_idx)] = np.asarray(noise.sigma_array(len(noise_idx), n))
    plan = Plan(n_regions=n, n_vars=model.n_state_variables, cvar=tuple(cvar), n_feat=n_feat, block=block, conn=conn,
                noise_idx=noise_idx, dt=dt, unroll=(block if unroll is True else int(unroll) if unroll else 1),
                noise_per_chunk=bool(noise_per_chunk))
    stimuli = as_stimulus_list(stimulus)
    stim_fn, patterns = build_stimulus_fn(stimuli, model, network.region_names, dt)
    base = _lcm(periods + [block])         # chunks start on a multiple of every monitor period and of the block
    target = max(1, int(round((DEFAULT_CHUNK_MS if chunk_ms is None else check_positive(chunk_ms, "chunk_ms")) / dt)))
    chunk_steps = base * max(1, target // base)
    x0 = initial_state(initial_state_, model, n, _seed_from_key(key))
    params = SimParams(model=model, coupling=coupling,
                       global_coupling=jnp.asarray(network.global_coupling, dtype=ftype),
                       weights=jnp.asarray(weights, dtype=ftype),
                       noise_sigma=None if sigma_full is None else jnp.asarray(sigma_full),
                       stimulus=tuple(jnp.asarray(p, dtype=ftype) for p in patterns),
                       monitors={b.name: _tree_as(b.params, ftype) for b in built if b.params is not None})
    structure_key = (plan, content_key(integrator), type(noise), getattr(noise, "variables", None), type(model),
                     type(coupling), tuple(b.structure_key() for b in built),
                     tuple(s.static_key() for s in stimuli), chunk_steps, str(ftype))
    kernel = cache.cached((structure_key, "kernel"),
                          lambda: make_kernel(plan, integrator, noise, built, stim_fn))
    return Setup(plan=plan, kernel=kernel, params=params, x0=x0, built=built, n_steps=n_steps,
                 chunk_steps=chunk_steps, integrator=integrator, noise=noise, stimulus=stimuli, key=raw_key,
                 structure_key=structure_key, network=network, model=model)
