"""Network coupling functions as pure, separable pytrees.

Conventions
-----------
Weights ``W`` have **row = target, column = source**. The global coupling strength
``G`` of the :class:`~mne_nmm.Network` scales the weights. Every coupling here is
written in the separable form used by TVB::

    S_i  = sum_j  G * W[i, j] * pre(x_j(t - tau_ij))          (weighted sum of pre-synaptic features)
    c_i  = post(S_i, x_i(t), G * rowsum_i)                     (node-local read-out)

``pre`` acts on the delayed *source* state only, so its values can be stored in the
delay buffer once per step (one exponential per region for Jansen-Rit, not per
pair), and ``post`` acts on the local state. Difference and Kuramoto couplings are
exactly separable this way (``sum_j w (x_j - x_i) = S_i - x_i rowsum_i``;
``sin(a - b) = sin a cos b - cos a sin b``).

``x`` is the stack of the model's *coupled variables*, shape ``(n_cvar, n_regions)``.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

from .pytree import pytree_dataclass


class Coupling:
    """Base class: ``n_features``, ``pre`` and ``post`` (see module docstring)."""

    def __post_init__(self):
        """Parameters must be real, finite numbers (checked on construction, not when JAX rebuilds the pytree)."""
        import jax
        import numpy as np

        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("static", False) or isinstance(value, jax.core.Tracer):
                continue
            what = f"{type(self).__name__}.{f.name} must be a real number"
            if value is None or isinstance(value, (bool, np.bool_, str, bytes, complex, dict, set)):
                raise TypeError(f"{what}, got {type(value).__name__} {value!r}.")
            try:
                arr = np.asarray(value)
            except (TypeError, ValueError):
                raise TypeError(f"{what}, got {type(value).__name__}.") from None
            if arr.dtype.kind not in "iuf":
                raise TypeError(f"{what}, got {type(value).__name__} of dtype {arr.dtype}.")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{type(self).__name__}.{f.name} must be finite, got {value!r}.")

    def n_features(self, n_cvar):
        return n_cvar

    def pre(self, x):
        return x

    def post(self, s, x_local, rowsum):
        return s

    def parameters(self):
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __repr__(self):
        p = ", ".join(f"{k}={v}" for k, v in self.parameters().items())
        return f"{type(self).__name__}({p})"


@pytree_dataclass
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Linear(Coupling):
    """Linear coupling ``c_i = sum_j G W_ij x_j(t - tau_ij) + b`` (TVB ``Linear`` with ``a = G``)."""

    b: float = 0.0

    def post(self, s, x_local, rowsum):
        return s + self.b


@pytree_dataclass
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Difference(Coupling):
    """Diffusive coupling ``c_i = sum_j G W_ij (x_j(t - tau_ij) - x_i(t))`` (TVB ``Difference``)."""

    def post(self, s, x_local, rowsum):
        return s - rowsum * x_local


@pytree_dataclass
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Sigmoidal(Coupling):
    """Sigmoid of the summed input (TVB ``Sigmoidal``).

    The coupling input is::

        c_i = cmin + (cmax - cmin) / (1 + exp(-a (S_i - midpoint) / sigma))
    """

    cmin: float = -1.0
    cmax: float = 1.0
    midpoint: float = 0.0
    a: float = 1.0
    sigma: float = 230.0

    def post(self, s, x_local, rowsum):
        return self.cmin + (self.cmax - self.cmin) / (1.0 + jnp.exp(-self.a * (s - self.midpoint) / self.sigma))


@pytree_dataclass
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SigmoidalJansenRit(Coupling):
    """Jansen-Rit coupling: the firing rate of the delayed source PSP (TVB ``SigmoidalJansenRit``)::

        pre_j = cmin + (cmax - cmin) / (1 + exp(r (midpoint - (y1_j - y2_j))))     [1/ms]
        c_i   = sum_j G W_ij pre_j(t - tau_ij)

    Requires two coupled variables ``(y1, y2)``; returns one coupling input.
    Defaults are TVB's: ``cmax = 2 e0 = 0.005 /ms``, ``midpoint = v0 = 6 mV``, ``r = 0.56 /mV``.
    """

    cmin: float = 0.0
    cmax: float = 0.005
    midpoint: float = 6.0
    r: float = 0.56

    def n_features(self, n_cvar):
        if n_cvar != 2:
            raise ValueError(f"SigmoidalJansenRit coupling needs exactly 2 coupled variables (y1, y2), the model has {n_cvar}.")
        return 1

    def pre(self, x):
        return (self.cmin + (self.cmax - self.cmin) / (1.0 + jnp.exp(self.r * (self.midpoint - (x[0] - x[1])))))[None]


@pytree_dataclass
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Kuramoto(Coupling):
    """Kuramoto coupling ``c_i = (1/N) sum_j G W_ij sin(theta_j(t - tau_ij) - theta_i(t))`` (TVB ``Kuramoto``).

    ``n_regions`` is ``N`` in the normalisation (set automatically by the Network;
    use ``normalize=False`` for the un-normalised sum).
    """

    normalize: bool = dataclasses.field(default=True, metadata={"static": True})
    n_regions: int = dataclasses.field(default=1, metadata={"static": True})

    def n_features(self, n_cvar):
        if n_cvar != 1:
            raise ValueError(f"Kuramoto coupling needs exactly 1 coupled variable (the phase), the model has {n_cvar}.")
        return 2

    def pre(self, x):
        return jnp.concatenate([jnp.sin(x), jnp.cos(x)], axis=0)

    def post(self, s, x_local, rowsum):
        c = jnp.cos(x_local[0]) * s[0] - jnp.sin(x_local[0]) * s[1]
        if self.normalize:
            c = c / self.n_regions
        return c[None]


COUPLINGS = {
    "linear": Linear,
    "difference": Difference,
    "sigmoidal": Sigmoidal,
    "sigmoidal_jansen_rit": SigmoidalJansenRit,
    "kuramoto": Kuramoto,
}
