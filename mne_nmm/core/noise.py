"""Noise processes for stochastic integration.

The SDE is ``dx = f(x) dt + g(x) dW`` with ``dW = sqrt(dt) * N(0, 1)`` per step, so
statistics do not depend on ``dt`` (the noise is never added inside the drift).
An Ornstein-Uhlenbeck process ``dx = -theta x dt + sigma dW`` has stationary variance
``sigma**2 / (2 theta)`` at any ``dt`` (tested).

TVB parameterises additive noise by ``nsig`` with ``g = sqrt(2 nsig)``: use
:meth:`AdditiveNoise.from_tvb_nsig` to transfer parameters.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.random import threefry2x32_p

from .pytree import pytree_dataclass


def step_normals(key, steps, n, dtype=jnp.float32):
    """Standard normals ``(len(steps), n)`` for the integration steps ``steps`` of one run.

    The draw of step ``s`` is a pure function of ``(key, s)``: the Threefry-2x32 hash
    (Salmon et al. 2011, the generator behind :mod:`jax.random`) of the counter pair
    ``(s, j)``, ``j = 0 .. ceil(n / 2) - 1``, under the run's key. In float32 each hash
    gives two 32-bit words, i.e. two normals; in float64 one (64 bits). Words become
    uniforms on ``(-1, 1)`` and normals by ``sqrt(2) erfinv(u)``, exactly as
    :func:`jax.random.normal` does. Because nothing depends on how the steps are grouped,
    results do not depend on block or chunk sizes, and a resumed run draws the same bits.
    (``jax.random.normal(fold_in(key, s), ...)`` does the same work with one word per hash
    in JAX's default "partitionable" mode: about twice the hashing per normal.)

    Parameters
    ----------
    key : uint32 array, shape (2,)
        Raw Threefry key data of the run.
    steps : int array, shape (n_steps,)
        Step indices (``< 2**32``).
    n : int
        Normals per step.
    dtype : float32 | float64
        Output precision.

    Returns
    -------
    z : array, shape (n_steps, n)
    """
    dtype = jnp.dtype(dtype)
    wide = dtype.itemsize == 8
    m = n if wide else (n + 1) // 2
    shape = (steps.shape[0], m)
    c1 = jnp.broadcast_to(jnp.asarray(steps).astype(jnp.uint32)[:, None], shape)
    c2 = jnp.broadcast_to(jnp.arange(m, dtype=jnp.uint32)[None, :], shape)
    key = jnp.asarray(key, dtype=jnp.uint32)
    b1, b2 = threefry2x32_p.bind(key[0], key[1], c1, c2)
    if wide:
        bits = (b1.astype(jnp.uint64) << jnp.uint64(32)) | b2.astype(jnp.uint64)
        one = jax.lax.bitcast_convert_type((bits >> jnp.uint64(12)) | jnp.uint64(0x3FF0000000000000), dtype)
    else:
        bits = jnp.concatenate([b1, b2], axis=1)[:, :n]
        one = jax.lax.bitcast_convert_type((bits >> jnp.uint32(9)) | jnp.uint32(0x3F800000), dtype)
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    u = jnp.maximum(lo, (one - np.array(1.0, dtype)) * (np.array(1.0, dtype) - lo) + lo)   # uniform on (-1, 1)
    return np.array(np.sqrt(2.0), dtype) * jax.lax.erf_inv(u)


class Noise:
    """Base class. ``sigma`` is per noisy variable, scalar or ``(n_noisy_variables[, n_regions])``."""

    multiplicative = False

    def __post_init__(self):
        """Validate ``sigma`` and ``variables`` on construction (not when JAX rebuilds the pytree)."""
        name = f"{type(self).__name__}.sigma"
        sigma = self.sigma
        if not isinstance(sigma, jax.core.Tracer):
            if sigma is None or isinstance(sigma, (bool, np.bool_, str, bytes, complex, dict, set)):
                raise TypeError(f"{name} must be a real number or an array of real numbers, got "
                                f"{type(sigma).__name__} {sigma!r}.")
            try:
                arr = np.asarray(sigma)
            except (TypeError, ValueError):
                raise TypeError(f"{name} must be a real number or an array of real numbers, got "
                                f"{type(sigma).__name__}.") from None
            if arr.dtype.kind not in "iuf":
                raise TypeError(f"{name} must be real numbers, got dtype {arr.dtype}.")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"{name} must be finite and >= 0, got {sigma!r}.")
        v = self.variables
        if v is not None and not isinstance(v, str) and not (
                isinstance(v, (tuple, list)) and all(isinstance(x, str) for x in v)):
            raise TypeError(f"{type(self).__name__}.variables must be a state variable name, a tuple of names or "
                            f"None, got {v!r}.")

    def resolve_variables(self, model):
        names = model.state_variables if self.variables is None else self.variables
        if isinstance(names, str):
            names = (names,)
        return tuple(model.variable_index(n, what="noise variable") for n in names)

    def sigma_array(self, n_noisy, n_regions):
        """``sigma`` broadcast to ``(n_noisy, n_regions)`` (traceable)."""
        s = jnp.asarray(self.sigma, dtype=float)
        if s.ndim == 1 and s.shape[0] == n_noisy and n_noisy != n_regions:
            s = s[:, None]
        return jnp.broadcast_to(s, (n_noisy, n_regions))

    def check(self, n_noisy, n_regions):
        s = np.asarray(self.sigma) if not hasattr(self.sigma, "aval") else None
        if s is None:
            return
        if s.dtype.kind not in "biuf" or not np.all(np.isfinite(s)) or np.any(s < 0):
            raise ValueError(f"noise sigma must be finite and >= 0, got {self.sigma!r}.")
        ok = s.ndim == 0 or s.shape in ((n_noisy,), (n_regions,), (n_noisy, n_regions), (n_noisy, 1), (1, n_regions))
        if not ok:
            raise ValueError(f"noise sigma must be a scalar or have shape ({n_noisy},) (one per noisy variable), "
                             f"({n_regions},) or ({n_noisy}, {n_regions}); got shape {s.shape}.")

    def diffusion(self, x_noisy, sigma):
        """``g(x)`` for the noisy variables: ``sigma`` (additive) or ``sigma * x`` (multiplicative)."""
        return sigma * x_noisy if self.multiplicative else sigma


@pytree_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class AdditiveNoise(Noise):
    """Additive white noise ``g(x) = sigma``.

    Parameters
    ----------
    sigma : float | array
        Noise amplitude in state units per sqrt(ms), scalar or one per noisy variable
        (or per variable and region).
    variables : tuple of str | None
        State variables that receive noise (default: all).
    """

    sigma: float = 1e-3
    variables: tuple | None = dataclasses.field(default=None, metadata={"static": True})

    @classmethod
    def from_tvb_nsig(cls, nsig, variables=None):
        """TVB's ``Additive(nsig=...)`` has ``g = sqrt(2 nsig)``."""
        return cls(sigma=np.sqrt(2.0 * np.asarray(nsig, dtype=float)), variables=variables)


@pytree_dataclass
@dataclasses.dataclass(frozen=True, eq=False)
class MultiplicativeNoise(Noise):
    """Multiplicative (state-proportional) noise ``g(x) = sigma * x``.

    Integrated with stochastic Heun this converges to the Stratonovich solution,
    with Euler-Maruyama to the Ito solution.
    """

    sigma: float = 1e-3
    variables: tuple | None = dataclasses.field(default=None, metadata={"static": True})
    multiplicative = True
