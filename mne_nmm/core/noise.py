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

import jax.numpy as jnp
import numpy as np

from ._pytree import pytree_dataclass


class Noise:
    """Base class. ``sigma`` is per noisy variable, scalar or ``(n_noisy_variables[, n_regions])``."""

    multiplicative = False

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
