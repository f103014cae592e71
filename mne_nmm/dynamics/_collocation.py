"""Periodic orbits by orthogonal collocation (AUTO's method), with Floquet multipliers from its Jacobian.

A periodic orbit of ``dx/dt = f(x, p)`` with period ``T`` is written in the rescaled time
``s = t / T in [0, 1]`` as ``dx/ds = T f(x, p)``, ``x(1) = x(0)``. The interval ``[0, 1]`` is cut into
``n_intervals`` equal mesh intervals of width ``h``; on each, ``x`` is the polynomial of degree ``m`` through
its values at ``m + 1`` equally spaced points (shared with the neighbours, so ``x`` is continuous, and the
last interval ends at ``x(0)``, so it is periodic by construction). The ODE is imposed at the ``m``
Gauss-Legendre points of every interval (Doedel, Keller & Kernevez 1991; de Boor & Swartz 1973; Ascher,
Mattheij & Russell 1995, ch. 5):

    sum_l l_l'(z_c) x_{i, l} - h T f(sum_l l_l(z_c) x_{i, l}, p) = 0,

which is accurate to ``O(h^m)`` uniformly and superconvergent, ``O(h^(2m))``, at the mesh points. The
phase is fixed by Doedel's integral condition ``int_0^1 <x(s) - x_prev(s), x_prev'(s)> ds = 0`` (Gauss
quadrature on the same points), or by a Poincaré section through a point.

Floquet multipliers come from the collocation system itself: linearising the collocation equations of
interval ``i`` in its unknowns and eliminating the interior ones gives the transfer matrix from the
interval's first point to its last; their product over the mesh is the monodromy matrix of the
collocation discretisation of the variational equation (the condensation of Fairgrieve & Jepson 1991,
used by AUTO; here the plain product, adequate when the multipliers span a moderate range of moduli).

References
----------
Doedel E.J., Keller H.B., Kernevez J.P. (1991) Numerical analysis and control of bifurcation problems (II):
bifurcation in infinite dimensions. Int J Bifurcat Chaos 1:745-772.
de Boor C., Swartz B. (1973) Collocation at Gaussian points. SIAM J Numer Anal 10:582-606.
Ascher U.M., Mattheij R.M.M., Russell R.D. (1995) Numerical Solution of Boundary Value Problems for
Ordinary Differential Equations. SIAM.
Fairgrieve T.F., Jepson A.D. (1991) O.K. Floquet multipliers. SIAM J Numer Anal 28:1446-1462.
Doedel E.J. et al. AUTO-07P: Continuation and bifurcation software for ordinary differential equations.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from . import _system as S


def _lagrange(nodes, points):
    """Values ``L[c, l] = l_l(points[c])`` and derivatives ``D[c, l] = l_l'(points[c])``."""
    n = len(nodes)
    L = np.ones((len(points), n))
    D = np.zeros((len(points), n))
    for l in range(n):
        others = [j for j in range(n) if j != l]
        den = np.prod([nodes[l] - nodes[j] for j in others])
        for c, z in enumerate(points):
            L[c, l] = np.prod([z - nodes[j] for j in others]) / den
            D[c, l] = sum(np.prod([z - nodes[j] for j in others if j != k]) for k in others) / den
    return L, D


@functools.lru_cache(maxsize=64)
def _mesh(ntst, m):
    """Constant matrices of the (ntst, m) mesh: Lagrange values/derivatives at the Gauss points etc."""
    z, wq = np.polynomial.legendre.leggauss(m)
    z, wq = 0.5 * (z + 1.0), 0.5 * wq
    tl = np.linspace(0.0, 1.0, m + 1)
    L, Dm = _lagrange(tl, z)
    idx = (np.arange(ntst)[:, None] * m + np.arange(m + 1)[None, :]) % (ntst * m)
    return z, wq, L, Dm, idx


def _unpack(y, N, d):
    return y[: N * d].reshape(N, d), y[N * d], y[N * d + 1:]


def _local(static, model, arrays, L, Dm, h, Xloc, T, p):
    xc = L @ Xloc
    fc = jax.vmap(lambda x: S._call(static, model, arrays, x, p))(xc)
    return (Dm @ Xloc - h * T * fc).reshape(-1)


def _colloc_points(cfg, X):
    ntst, m, d = cfg
    _, _, L, _, idx = _mesh(ntst, m)
    return jnp.einsum("cl,ild->icd", jnp.asarray(L), X[jnp.asarray(idx)]).reshape(-1, d)


def _phase(cfg, y, xref, fref):
    ntst, m, d = cfg
    _, wq, _, _, _ = _mesh(ntst, m)
    X = y[: ntst * m * d].reshape(ntst * m, d)
    if xref.ndim == 1:
        return (X[0] - xref) @ fref
    w = jnp.asarray(np.tile(wq, ntst) / ntst)
    return jnp.sum(w[:, None] * (_colloc_points(cfg, X) - xref) * fref)


def _residual_impl(static, cfg, model, arrays, y, xref, fref):
    ntst, m, d = cfg
    _, _, L, Dm, idx = _mesh(ntst, m)
    X, T, p = _unpack(y, ntst * m, d)
    loc = functools.partial(_local, static, model, arrays, jnp.asarray(L), jnp.asarray(Dm), 1.0 / ntst)
    r = jax.vmap(loc, in_axes=(0, None, None))(X[jnp.asarray(idx)], T, p).reshape(-1)
    return jnp.concatenate([r, jnp.atleast_1d(_phase(cfg, y, xref, fref))])


def _blocks_impl(static, cfg, model, arrays, y):
    ntst, m, d = cfg
    _, _, L, Dm, idx = _mesh(ntst, m)
    X, T, p = _unpack(y, ntst * m, d)
    loc = functools.partial(_local, static, model, arrays, jnp.asarray(L), jnp.asarray(Dm), 1.0 / ntst)
    return jax.vmap(jax.jacfwd(loc, argnums=(0, 1, 2)), in_axes=(0, None, None))(X[jnp.asarray(idx)], T, p)


def _deriv_impl(cfg, X):
    ntst, m, d = cfg
    _, _, _, Dm, idx = _mesh(ntst, m)
    return jnp.einsum("cl,ild->icd", jnp.asarray(Dm), X[jnp.asarray(idx)]).reshape(-1, d) * ntst


# compiled once per (model structure, mesh), never per call (caches keyed on structure, not values)
_residual = jax.jit(_residual_impl, static_argnums=(0, 1))
_blocks = jax.jit(_blocks_impl, static_argnums=(0, 1))
_dphase = jax.jit(jax.grad(_phase, argnums=1), static_argnums=(0,))
_cpts = jax.jit(_colloc_points, static_argnums=(0,))
_deriv = jax.jit(_deriv_impl, static_argnums=(0,))


class Collocation:
    """Collocation discretisation with the interface of the shooting map (see :mod:`.cycles`).

    Unknowns ``y = (X, T, p)`` with ``X`` the ``n_intervals * degree`` mesh values, point-major
    (``y[:d]`` is ``x(0)``), ``T`` at index :attr:`iT`.
    """

    def __init__(self, system, n_intervals, degree):
        self.system = system
        self.d = d = system.dim
        self.ntst, self.m = int(n_intervals), int(degree)
        self.N = self.ntst * self.m
        self.iT = self.N * d
        self.h = 1.0 / self.ntst
        self.cfg = (self.ntst, self.m, d)
        self.z, self.wq, self.L, self.Dm, self.idx = _mesh(self.ntst, self.m)
        self.s_nodes = np.arange(self.N) / self.N
        static, model, arrays = S._split(system)
        self._args = (static, self.cfg, S._to64(model), S._to64(arrays))
        m = self.m
        rows = (np.arange(self.ntst)[:, None, None, None] * (m * d) + np.arange(m * d)[None, :, None, None])
        cols = self.idx[:, None, :, None] * d + np.arange(d)[None, None, None, :]
        self._rows = np.broadcast_to(rows, (self.ntst, m * d, m + 1, d))
        self._cols = np.broadcast_to(cols, (self.ntst, m * d, m + 1, d))
        self._patterns = {}

    # -- interface shared with the shooting map ------------------------------------------------
    def expand(self, wx):
        """Scale of the state part of ``y`` from a per-component scale: ``sqrt(N)`` times it at every mesh
        value, so that scaled norms are root-mean-square norms over the orbit (AUTO's L2 norm) and a
        continuation step means the same as for shooting."""
        return np.tile(np.asarray(wx, float), self.N) * np.sqrt(self.N)

    def f(self, x, p):
        return S.f(self.system, x, p)

    def ctx(self, y):
        """Integral phase reference: the orbit and its derivative at the collocation points."""
        with S.x64():
            X = np.asarray(y[: self.iT], float).reshape(self.N, self.d)
            xr = np.asarray(_cpts(self.cfg, X))
            dr = np.asarray(_deriv(self.cfg, X))
        return xr, dr / max(float(np.sqrt(np.mean(np.sum(dr * dr, axis=1)))), 1e-300)

    def poincare_ctx(self, y):
        x = np.asarray(y[: self.d], float)
        fr = self.f(x, y[self.iT + 1:])
        return x, fr / max(np.linalg.norm(fr), 1e-300)

    def residual(self, y, ctx):
        with S.x64():
            return np.asarray(_residual(*self._args, np.asarray(y, float), np.asarray(ctx[0]), np.asarray(ctx[1])))

    def jacobian(self, y, ctx):
        y = np.asarray(y, float)
        d, m, ntst = self.d, self.m, self.ntst
        with S.x64():
            BX, BT, BP = (np.asarray(b) for b in _blocks(*self._args, y))
            dph = np.asarray(_dphase(self.cfg, y, np.asarray(ctx[0]), np.asarray(ctx[1])))
        n_rows = ntst * m * d + 1
        J = np.zeros((n_rows, len(y)))
        np.add.at(J, (self._rows, self._cols), BX)
        J[: n_rows - 1, self.iT] = BT.reshape(-1)
        if BP.shape[-1]:
            J[: n_rows - 1, self.iT + 1:] = BP.reshape(-1, BP.shape[-1])
        J[-1] = dph
        return J

    def _pattern(self, shape):
        """Structural nonzeros of a collocation matrix of ``shape`` (blocks, T / p columns, bottom rows)."""
        if self._patterns.get(shape) is None:
            R, C = shape
            nc = self.ntst * self.m * self.d
            br, bc = self._rows.reshape(-1), self._cols.reshape(-1)
            keep = bc < C
            rr = [br[keep], np.repeat(np.arange(nc), max(C - self.iT, 0)),
                  np.repeat(np.arange(nc, R), C)]
            cc = [bc[keep], np.tile(np.arange(self.iT, C), nc) if C > self.iT else np.zeros(0, int),
                  np.tile(np.arange(C), R - nc)]
            r, c = np.concatenate(rr), np.concatenate(cc)
            key = np.unique(r * C + c)
            self._patterns[shape] = (key // C, key % C)
        return self._patterns[shape]

    def solve(self, M, rhs):
        """Sparse LU (SuperLU) of the block-banded collocation matrix (dense rows/columns for T, p, phase)."""
        M = np.asarray(M, float)
        if M.shape[0] < 200 or M.shape[0] != M.shape[1] or M.shape[0] < self.ntst * self.m * self.d:
            return np.linalg.solve(M, rhs)
        from scipy.sparse import csc_matrix
        from scipy.sparse.linalg import splu

        r, c = self._pattern(M.shape)
        try:
            lu = splu(csc_matrix((M[r, c], (r, c)), shape=M.shape))
        except RuntimeError:                      # exactly singular
            raise np.linalg.LinAlgError("singular collocation matrix") from None
        out = lu.solve(np.asarray(rhs, float))
        if not np.all(np.isfinite(out)):
            raise np.linalg.LinAlgError("singular collocation matrix")
        return out

    def monodromy(self, y):
        """Product of the collocation transfer matrices over the mesh (see the module docstring)."""
        d = self.d
        with S.x64():
            BX = np.asarray(_blocks(*self._args, np.asarray(y, float))[0])   # (ntst, m d, m + 1, d)
        C = BX.reshape(self.ntst, self.m * d, (self.m + 1) * d)
        transfer = -np.linalg.solve(C[:, :, d:], C[:, :, :d])[:, -d:]       # (ntst, d, d), one batched call
        M = np.eye(d)
        for Ti in transfer:
            M = Ti @ M
        return M

    def orbit(self, y):
        """The piecewise polynomial at ``2 m`` equally spaced points per interval, closed (``x(1) = x(0)``)."""
        X = np.asarray(y[: self.iT], float).reshape(self.N, self.d)
        if not hasattr(self, "_Lfine"):
            self._Lfine = _lagrange(np.linspace(0.0, 1.0, self.m + 1), np.arange(2 * self.m) / (2 * self.m))[0]
        fine = np.einsum("cl,ild->icd", self._Lfine, X[self.idx]).reshape(-1, self.d)
        return np.concatenate([fine, X[:1]], axis=0)

    # -- initial guesses -------------------------------------------------------------------------
    def from_function(self, fun, T, p):
        """``y`` from a callable ``fun(s) -> x`` (``s in [0, 1)``)."""
        X = np.stack([np.asarray(fun(s), float) for s in self.s_nodes])
        return np.concatenate([X.reshape(-1), [float(T)], np.atleast_1d(np.asarray(p, float))])

    def from_samples(self, traj, T, p):
        """``y`` from a trajectory sampled uniformly over one period (rows: ``n_samples + 1`` times)."""
        traj = np.asarray(traj, float)
        s = np.linspace(0.0, 1.0, len(traj))
        X = np.stack([np.interp(self.s_nodes, s, traj[:, k]) for k in range(traj.shape[1])], axis=1)
        return np.concatenate([X.reshape(-1), [float(T)], np.atleast_1d(np.asarray(p, float))])
