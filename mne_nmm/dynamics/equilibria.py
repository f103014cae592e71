"""Equilibria (fixed points) of a node or a delay-free network, with their stability."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from .._validate import check_int, check_positive, validate_type
from . import _system as S


@dataclasses.dataclass(frozen=True)
class Equilibria:
    """Equilibria found by :func:`find_equilibria`.

    Attributes
    ----------
    states : ndarray, shape (n_equilibria, n_state_variables, n_regions)
        The equilibria, sorted by their first state variable (region 0).
    eigenvalues : ndarray of complex, shape (n_equilibria, n_state_variables * n_regions)
        Eigenvalues of the Jacobian (1/ms), by decreasing real part.
    stable : ndarray of bool, shape (n_equilibria,)
        All eigenvalues have a negative real part.
    n_unstable : ndarray of int, shape (n_equilibria,)
        Number of eigenvalues with a positive real part.
    kinds : tuple of str
        ``"stable node"``, ``"stable focus"``, ``"saddle"``, ``"saddle-focus"``,
        ``"unstable node"``, ``"unstable focus"`` or ``"non-hyperbolic"``.
    residuals : ndarray, shape (n_equilibria,)
        ``max |f(x*)|`` (per ms).
    state_variables : tuple of str
    n_starts : int
        Number of Newton starts; ``n_converged`` of them converged.
    n_converged : int
    """

    states: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    n_unstable: np.ndarray
    kinds: tuple
    residuals: np.ndarray
    state_variables: tuple
    n_starts: int
    n_converged: int

    def __len__(self):
        return len(self.states)

    def __iter__(self):
        return iter(self.states)

    def variable(self, name, region=0):
        """Values of one state variable at every equilibrium, ``(n_equilibria,)``."""
        if name not in self.state_variables:
            raise ValueError(f"name must be one of {self.state_variables}, got {name!r}.")
        return self.states[:, self.state_variables.index(name), region]

    def __repr__(self):
        lines = [f"<Equilibria | {len(self)} found from {self.n_starts} starts>"]
        for k in range(len(self)):
            vals = ", ".join(f"{v}={self.states[k, i, 0]:.4g}" for i, v in enumerate(self.state_variables[:6]))
            lines.append(f"  [{k}] {self.kinds[k]:15s} {vals}")
        return "\n".join(lines)


def classify(eigs, tol=1e-9):
    """Name of a hyperbolic equilibrium type from its eigenvalues."""
    eigs = np.asarray(eigs)
    re = eigs.real
    scale = max(1.0, float(np.max(np.abs(eigs)))) if eigs.size else 1.0
    if np.any(np.abs(re) < tol * scale):
        return "non-hyperbolic"
    complex_ = np.any(np.abs(eigs.imag) > tol * scale)
    if np.all(re < 0):
        return "stable focus" if complex_ else "stable node"
    if np.all(re > 0):
        return "unstable focus" if complex_ else "unstable node"
    return "saddle-focus" if complex_ else "saddle"


def sorted_eigenvalues(J):
    w = np.linalg.eigvals(J)
    return w[np.lexsort((-w.imag, -w.real))]


def _F_batch_impl(static, model, arrays, X, p):
    return jax.vmap(lambda x: S._call(static, model, arrays, x, p))(X)


def _FJ_batch_impl(static, model, arrays, X, p):
    def fun(x):
        return S._call(static, model, arrays, x, p)

    return jax.vmap(fun)(X), jax.vmap(jax.jacfwd(fun))(X)


_F_batch = jax.jit(_F_batch_impl, static_argnums=(0,))
_FJ_batch = jax.jit(_FJ_batch_impl, static_argnums=(0,))
_ALPHAS = np.array([1.0, 0.5, 0.25, 1 / 16, 1 / 256, 0.0])


def newton(system, X0, p, *, n_iter=40):
    """Damped Newton from many starts ``X0 (n_starts, dim)`` in float64; returns ``(X, max|f|)``.

    Each iteration evaluates ``f`` and its exact Jacobian for all starts in one
    vmapped call, solves the Newton systems (a gradient step where singular) and
    keeps, per start, the step length among ``1, 1/2, 1/4, 1/16, 1/256, 0`` with the
    smallest residual (backtracking, all candidates in one call).
    """
    static, model, arrays = S._split(system)
    X = np.asarray(X0, float).copy()
    n_in = len(X)
    n_pad = max(8, 1 << (n_in - 1).bit_length())  # bucketed batch sizes: few recompilations
    X = np.concatenate([X, np.repeat(X[-1:], n_pad - n_in, axis=0)])
    n, d = X.shape
    with S.x64():
        model, arrays = S._to64(model), S._to64(arrays)
        p = np.asarray(p, float)
        for _ in range(int(n_iter)):
            F, J = (np.asarray(a) for a in _FJ_batch(static, model, arrays, X, p))
            with np.errstate(all="ignore"):
                try:
                    dX = np.linalg.solve(J, -F[..., None])[..., 0]
                except np.linalg.LinAlgError:
                    dX = np.stack([np.linalg.lstsq(J[k], -F[k], rcond=None)[0] for k in range(n)])
            bad = ~np.all(np.isfinite(dX), axis=1)
            if bad.any():
                dX[bad] = -np.einsum("kji,kj->ki", J[bad], F[bad])
            cand = X[None] + _ALPHAS[:, None, None] * dX[None]
            Fc = np.asarray(_F_batch(static, model, arrays, cand.reshape(-1, d), p)).reshape(len(_ALPHAS), n, d)
            norms = np.where(np.isfinite(Fc).all(axis=2), np.sum(Fc * Fc, axis=2), np.inf)
            best = np.argmin(norms, axis=0)
            X = cand[best, np.arange(n)]
            if np.all(norms[best, np.arange(n)] < 1e-26):
                break
        res = np.max(np.abs(np.asarray(_F_batch(static, model, arrays, X, p))), axis=1)
    return X[:n_in], np.where(np.isfinite(res), res, np.inf)[:n_in]


def _default_box(system, bounds):
    model = system.model
    centre = np.asarray(model.default_initial(), float)
    spread = np.asarray(model.initial_spread(), float)
    half = np.maximum(np.maximum(10.0 * spread, np.abs(centre)), 1.0)
    lo, hi = centre - half, centre + half
    if bounds is not None:
        validate_type(bounds, dict, "bounds")
        for name, rng in bounds.items():
            if name not in model.state_variables:
                raise ValueError(f"bounds keys must be state variables {model.state_variables}, got {name!r}.")
            rng = np.asarray(rng, float)
            if rng.shape != (2,) or not rng[0] < rng[1]:
                raise ValueError(f"bounds[{name!r}] must be (low, high) with low < high, got {tuple(rng)}.")
            i = model.state_variables.index(name)
            lo[i], hi[i] = rng
    for name, (blo, bhi) in model.state_bounds.items():
        i = model.state_variables.index(name)
        lo[i] = max(lo[i], blo)
        hi[i] = min(hi[i], bhi)
    return lo, hi


def _in_bounds(model, state):
    for name, (lo, hi) in model.state_bounds.items():
        row = state[model.state_variables.index(name)]
        if np.any(row < lo) or np.any(row > hi):
            return False
    return True


def find_equilibria(model, *, network=None, coupling=None, global_coupling=None, n_starts=64, bounds=None,
                    starts=None, random_state=0, tol=1e-9, max_iter=40):
    """Find the equilibria of a node or of a delay-free network by Newton's method from many starts.

    All starts run at once (one vmapped, jitted damped-Newton solve with exact JAX
    Jacobians, float64); converged points are deduplicated, polished and classified
    by the eigenvalues of their Jacobian.

    Parameters
    ----------
    model : NeuralMass
        Any catalogue or user model, at the parameter values to analyse.
    network : Network | Connectome | array, shape (n_regions, n_regions) | None
        ``None``: one isolated node (zero coupling input). Otherwise the network
        (row = target) with ``coupling`` and ``global_coupling`` (a Network's own by
        default), linearised without delays (fixed points do not depend on delays).
    coupling : Coupling | None
        Coupling for a Connectome or weight array (default: the model's recommended one).
    global_coupling : float | None
        Global coupling strength ``G`` (default: the Network's, else 1).
    n_starts : int
        Number of random starts, drawn uniformly in ``bounds`` (each region independently).
    bounds : dict of str -> (float, float) | None
        Box of starting values per state variable. Default: ``default_initial() ±
        max(10 * initial_spread(), |default_initial()|, 1)``, clipped to ``model.state_bounds``.
    starts : array, shape (n, n_state_variables) or (n, n_state_variables, n_regions) | None
        Extra explicit starting points (added to the random ones).
    random_state : int | None
        Seed of the random starts.
    tol : float
        Convergence tolerance on ``max |f|`` (1/ms times the state unit).
    max_iter : int
        Newton iterations per start.

    Returns
    -------
    Equilibria
        States ``(n_equilibria, n_state_variables, n_regions)``, eigenvalues, stability.
        Equilibria outside the model's ``state_bounds`` (e.g. negative rates) are dropped.

    Examples
    --------
    >>> eq = find_equilibria(JansenRit.jansen_rit_1995(mu=0.12))   # doctest: +SKIP
    >>> eq.kinds                                                     # doctest: +SKIP
    ('stable node', 'saddle', 'unstable focus')
    """
    system = S.make_system(model, network=network, coupling=coupling, global_coupling=global_coupling)
    n_starts = check_int(n_starts, "n_starts", minimum=0)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    nv, nr = system.shape
    lo, hi = _default_box(system, bounds)
    rng = np.random.default_rng(random_state)
    X0 = lo[None, :, None] + (hi - lo)[None, :, None] * rng.uniform(size=(n_starts, nv, nr))
    if nr > 1 and n_starts:  # half the starts homogeneous across regions
        X0[: n_starts // 2] = X0[: n_starts // 2, :, :1]
    if starts is not None:
        st = np.asarray(starts, float)
        if st.ndim == 1:
            st = st[None]
        if st.ndim == 2:
            if st.shape[1] != nv:
                raise ValueError(f"starts must have shape (n, {nv}) or (n, {nv}, {nr}), got {st.shape}.")
            st = np.repeat(st[:, :, None], nr, axis=2)
        if st.shape[1:] != (nv, nr):
            raise ValueError(f"starts must have shape (n, {nv}) or (n, {nv}, {nr}), got {st.shape}.")
        X0 = np.concatenate([X0, st], axis=0)
    if len(X0) == 0:
        raise ValueError("find_equilibria needs n_starts > 0 or explicit starts.")
    p = system.p0()
    X, res = newton(system, X0.reshape(len(X0), -1), p, n_iter=max_iter)
    ok = np.isfinite(res) & (res < tol * 1e3)
    return _collect(system, X[ok], p, tol, len(X0))


def _collect(system, X, p, tol, n_starts):
    nv, nr = system.shape
    model = system.model
    uniq = []
    scale = S.state_scale(X) if len(X) else 1.0
    for x in X[np.argsort(np.abs(X).sum(axis=1))]:
        if any(np.max(np.abs(x - u)) < 1e-5 * (1.0 + scale) for u in uniq):
            continue
        uniq.append(x)
    states, eigs, resid = [], [], []
    if uniq:
        XP, RP = newton(system, np.stack(uniq), p, n_iter=5)
    for xp, r in zip(XP if uniq else [], RP if uniq else []):
        r = float(r)
        if r > tol or not _in_bounds(model, xp.reshape(nv, nr)):
            continue
        if any(np.max(np.abs(xp - s.reshape(-1))) < 1e-6 * (1.0 + scale) for s in states):
            continue
        states.append(xp.reshape(nv, nr))
        eigs.append(sorted_eigenvalues(S.jac_x(system, xp, p)))
        resid.append(r)
    if states:
        order = np.argsort([s[0, 0] for s in states], kind="stable")
        states = np.stack([states[i] for i in order])
        eigs = np.stack([eigs[i] for i in order])
        resid = np.asarray([resid[i] for i in order])
    else:
        states = np.zeros((0, nv, nr))
        eigs = np.zeros((0, nv * nr), complex)
        resid = np.zeros(0)
    n_unst = (eigs.real > 0).sum(axis=1).astype(int)
    return Equilibria(states=states, eigenvalues=eigs, stable=np.all(eigs.real < 0, axis=1), n_unstable=n_unst,
                      kinds=tuple(classify(e) for e in eigs), residuals=resid,
                      state_variables=tuple(model.state_variables), n_starts=int(n_starts), n_converged=len(X))


def jacobian(model, state=None, *, network=None, coupling=None, global_coupling=None):
    """Jacobian ``df/dx`` (1/ms) of a node or delay-free network at ``state``.

    Parameters
    ----------
    model : NeuralMass
    state : array, shape (n_state_variables,) or (n_state_variables, n_regions)
        Where to linearise (default: the first stable equilibrium, else the first found).
    network, coupling, global_coupling
        As in :func:`find_equilibria`.

    Returns
    -------
    J : ndarray, shape (n, n) with ``n = n_state_variables * n_regions``
        In the order of ``state.reshape(-1)`` (variable-major: all regions of
        variable 0, then variable 1, ...).
    """
    system = S.make_system(model, network=network, coupling=coupling, global_coupling=global_coupling)
    x = resolve_state(system, state)
    return S.jac_x(system, x.reshape(-1), system.p0())


def resolve_state(system, state, *, what="state"):
    """Flattened float state from user input, or the first stable equilibrium when ``None``."""
    nv, nr = system.shape
    if state is None:
        eq = find_equilibria(system.model, network=_as_weights(system), coupling=_cpl(system),
                             global_coupling=_g(system))
        if len(eq) == 0:
            raise RuntimeError("no equilibrium found; pass the state explicitly.")
        k = int(np.argmax(eq.stable)) if np.any(eq.stable) else 0
        return eq.states[k]
    st = np.asarray(state, float)
    if st.shape == (nv,):
        st = np.repeat(st[:, None], nr, axis=1)
    if st.shape != (nv, nr):
        raise ValueError(f"{what} must have shape ({nv},) or ({nv}, {nr}), got {st.shape}.")
    return st


def _as_weights(system):
    return None if system.net is None else system.net.weights


def _cpl(system):
    return None if system.net is None else system.net.coupling


def _g(system):
    return None if system.net is None else system.net.global_coupling
