"""Linear stability of a delayed network's fixed point: the characteristic roots of a linear DDE.

Around a fixed point ``x*`` a network with conduction delays linearises to the retarded
delay differential equation

    x'(t) = A_0 x(t) + sum_k A_k x(t - tau_k),

whose exponential solutions ``v exp(lambda t)`` solve the characteristic equation
``det Delta(lambda) = 0`` with ``Delta(lambda) = lambda I - A_0 - sum_k A_k exp(-lambda tau_k)``. The fixed
point is asymptotically stable iff every root has a negative real part (Hale & Verduyn Lunel 1993,
ch. 1; Michiels & Niculescu 2007, ch. 1). There are infinitely many roots, but only finitely many to the
right of any vertical line, so stability is decided by the rightmost ones.

:func:`characteristic_roots` computes them in two stages:

1. **Pseudospectral collocation of the infinitesimal generator** (Breda, Maset & Vermiglio 2005): the
   solution operator's generator acting on functions on ``[-tau_max, 0]`` is discretised on the
   ``N + 1`` Chebyshev extremal nodes ``theta_j = tau_max (cos(j pi / N) - 1) / 2``; rows ``j >= 1`` are
   the Chebyshev differentiation matrix (Trefethen 2000, ch. 6), row ``j = 0`` is the DDE itself with the
   delayed values read from the barycentric interpolant (Berrut & Trefethen 2004). Its eigenvalues
   converge spectrally (faster than any power of ``1/N``) to the rightmost characteristic roots.
2. **Newton refinement** of each root on the nonlinear eigenvalue problem ``Delta(lambda) v = 0``,
   ``c^H v = 1`` (Ruhe 1973), with ``Delta'(lambda) = I + sum_k tau_k A_k exp(-lambda tau_k)``; a refined
   root is a root of the characteristic equation to machine precision, whatever ``N``.

:func:`delayed_network_stability` builds ``A_0`` and the ``A_k`` of a catalogue or user model wired into a
connectome, with **the simulator's delays**: ``tau_ij = delay_steps[i, j] * dt_ms`` of a
:class:`~mne_nmm.Network` (``delay_steps = rint(length / speed / dt)``, TVB's rule), or
``length / speed`` (optionally rounded the same way) for a :class:`~mne_nmm.Connectome`. With the
separable coupling ``c_i = post(sum_j G W_ij pre(x_j(t - tau_ij)), x_i(t), G rowsum_i)`` the delayed part is

    A_k = sum_{(i, j): tau_ij = tau_k} (d f_i / d S_i) G W_ij (d pre / d x_j),

and ``A_0`` holds the node's own Jacobian and the local (``post``) terms, so that
``A_0 + sum_k A_k`` is exactly the delay-free Jacobian of :func:`network_stability`.

References
----------
Breda D., Maset S., Vermiglio R. (2005) Pseudospectral differencing methods for characteristic roots of
delay differential equations. SIAM J Sci Comput 27:482-495.
Breda D., Maset S., Vermiglio R. (2015) Stability of Linear Delay Differential Equations. Springer.
Hale J.K., Verduyn Lunel S.M. (1993) Introduction to Functional Differential Equations. Springer.
Michiels W., Niculescu S.-I. (2007) Stability and Stabilization of Time-Delay Systems. SIAM.
Trefethen L.N. (2000) Spectral Methods in MATLAB. SIAM (``cheb``).
Berrut J.-P., Trefethen L.N. (2004) Barycentric Lagrange interpolation. SIAM Rev 46:501-517.
Ruhe A. (1973) Algorithms for the nonlinear eigenvalue problem. SIAM J Numer Anal 10:674-689.
Asl F.M., Ulsoy A.G. (2003) Analysis of a system of linear delay differential equations. J Dyn Syst Meas
Control 125:215-223 (Lambert W solution of the scalar case).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, check_positive
from . import _system as S
from .equilibria import find_equilibria, newton, resolve_state


@dataclasses.dataclass(frozen=True, repr=False)
class CharacteristicRoots:
    """Rightmost roots of ``det(lambda I - A_0 - sum_k A_k exp(-lambda tau_k)) = 0``.

    Attributes
    ----------
    roots : ndarray of complex, shape (n_roots,)
        By decreasing real part (1/ms), then decreasing imaginary part.
    vectors : ndarray of complex, shape (n_roots, n)
        Unit null vectors ``Delta(lambda) v = 0``.
    residuals : ndarray, shape (n_roots,)
        ``|Delta(lambda) v|`` after Newton.
    converged : ndarray of bool, shape (n_roots,)
        Newton converged (``False``: the pseudospectral approximation is kept as is).
    delays_ms : ndarray, shape (n_delays,)
        The distinct delays ``tau_k``.
    n_nodes : int
        Chebyshev degree ``N`` of the discretisation (0 without delays).
    """

    roots: np.ndarray
    vectors: np.ndarray
    residuals: np.ndarray
    converged: np.ndarray
    delays_ms: np.ndarray
    n_nodes: int

    @property
    def spectral_abscissa(self):
        """Largest real part (1/ms)."""
        return float(self.roots.real.max())

    @property
    def stable(self):
        return bool(np.all(self.roots.real < 0))

    def __len__(self):
        return len(self.roots)

    def __repr__(self):
        lam = self.roots[0]
        return (f"<CharacteristicRoots | {len(self)} rightmost roots, {len(self.delays_ms)} delays, "
                f"rightmost {lam.real:.4g}{lam.imag:+.4g}j /ms, {'stable' if self.stable else 'unstable'}>")


def _cheb(n):
    """Chebyshev extremal nodes ``cos(j pi / n)`` and differentiation matrix (Trefethen 2000, ``cheb``)."""
    x = np.cos(np.pi * np.arange(n + 1) / n)
    c = np.ones(n + 1)
    c[0] = c[-1] = 2.0
    c = c * (-1.0) ** np.arange(n + 1)
    dx = x[:, None] - x[None, :]
    D = np.outer(c, 1.0 / c) / (dx + np.eye(n + 1))
    D = D - np.diag(D.sum(axis=1))
    return x, D


def _bary_weights(n):
    w = (-1.0) ** np.arange(n + 1)
    w[0] *= 0.5
    w[-1] *= 0.5
    return w


def _lagrange_row(x_nodes, w, t):
    """Values at ``t`` of the Lagrange basis on ``x_nodes`` (barycentric formula, second kind)."""
    diff = t - x_nodes
    hit = np.abs(diff) < 1e-14
    if hit.any():
        row = np.zeros(len(x_nodes))
        row[np.argmax(hit)] = 1.0
        return row
    q = w / diff
    return q / q.sum()


def _check_matrices(A0, delayed, delays_ms):
    A0 = np.asarray(A0, dtype=float)
    if A0.ndim != 2 or A0.shape[0] != A0.shape[1]:
        raise ValueError(f"A0 must be a square (n, n) matrix, got shape {A0.shape}.")
    n = A0.shape[0]
    Ak = np.asarray(delayed, dtype=float)
    if Ak.ndim == 2:
        Ak = Ak[None]
    if Ak.ndim != 3 or Ak.shape[1:] != (n, n):
        raise ValueError(f"delayed must have shape (n_delays, {n}, {n}), got {np.shape(delayed)}.")
    tau = np.atleast_1d(np.asarray(delays_ms, dtype=float))
    if tau.shape != (Ak.shape[0],):
        raise ValueError(f"delays_ms must have shape ({Ak.shape[0]},) (one delay per matrix in delayed), "
                         f"got {tau.shape}.")
    if not (np.all(np.isfinite(A0)) and np.all(np.isfinite(Ak))):
        raise ValueError("A0 and delayed must be finite.")
    if np.any(~np.isfinite(tau)) or np.any(tau < 0):
        raise ValueError(f"delays_ms must be finite and >= 0, got {tau}.")
    # merge equal delays, fold zero delays into A0
    A0 = A0 + Ak[tau == 0].sum(axis=0)
    keep = tau > 0
    Ak, tau = Ak[keep], tau[keep]
    uniq = np.unique(tau)
    Ak = np.stack([Ak[tau == u].sum(axis=0) for u in uniq]) if len(uniq) else np.zeros((0, n, n))
    return A0, Ak, uniq


def delta(lam, A0, delayed, delays_ms):
    """Characteristic matrix ``Delta(lambda) = lambda I - A_0 - sum_k A_k exp(-lambda tau_k)``."""
    n = A0.shape[0]
    e = np.exp(-lam * np.asarray(delays_ms))
    return lam * np.eye(n) - A0 - np.tensordot(e, delayed, axes=1)


def _newton_root(lam, v, A0, Ak, tau, *, tol, max_iter):
    n = A0.shape[0]
    v = v / np.linalg.norm(v)
    c = v.copy()
    for _ in range(max_iter):
        e = np.exp(-lam * tau)
        D = lam * np.eye(n) - A0 - np.tensordot(e, Ak, axes=1)
        Dp = np.eye(n) + np.tensordot(tau * e, Ak, axes=1)
        M = np.zeros((n + 1, n + 1), complex)
        M[:n, :n] = D
        M[:n, n] = Dp @ v
        M[n, :n] = np.conj(c)
        rhs = -np.concatenate([D @ v, [np.conj(c) @ v - 1.0]])
        try:
            step = np.linalg.solve(M, rhs)
        except np.linalg.LinAlgError:
            return lam, v, False
        if not np.all(np.isfinite(step)):
            return lam, v, False
        v = v + step[:n]
        lam = lam + step[n]
        if abs(step[n]) < tol * (1.0 + abs(lam)) and np.linalg.norm(step[:n]) < 1e3 * tol * np.linalg.norm(v):
            return lam, v, True
    return lam, v, False


def characteristic_roots(A0, delayed, delays_ms, *, n_roots=None, n_nodes=24, tol=1e-13, max_iter=30):
    """Rightmost characteristic roots of the linear DDE ``x' = A_0 x + sum_k A_k x(t - tau_k)``.

    Parameters
    ----------
    A0 : array, shape (n, n)
        Coefficient of the present state (1/ms).
    delayed : array, shape (n_delays, n, n)
        Coefficients ``A_k`` of the delayed states (1/ms).
    delays_ms : array, shape (n_delays,)
        Delays ``tau_k >= 0`` (ms); equal delays are merged, zero delays added to ``A0``.
    n_roots : int | None
        How many rightmost roots to return (default ``n``, the number of eigenvalues at zero delay).
    n_nodes : int
        Chebyshev degree ``N`` of the pseudospectral discretisation (matrix size ``(N + 1) n``). The
        rightmost roots converge spectrally in ``N``; Newton then polishes them to machine precision.
    tol : float
        Newton tolerance (relative, on ``lambda``).
    max_iter : int
        Newton iterations per root.

    Returns
    -------
    CharacteristicRoots

    Notes
    -----
    Pseudospectral collocation of the infinitesimal generator (Breda, Maset & Vermiglio 2005) on
    Chebyshev extremal nodes, followed by Newton's method on ``Delta(lambda) v = 0``, ``c^H v = 1``
    (Ruhe 1973). Without delays the roots are the eigenvalues of ``A0 + sum_k A_k``. For the scalar
    equation ``x' = a x + b x(t - tau)`` the roots are ``a + W_k(b tau exp(-a tau)) / tau`` with the
    branches ``W_k`` of Lambert's function, the principal branch giving the rightmost root (Asl & Ulsoy
    2003). Dense eigenvalues cost ``O(((N + 1) n)^3)``: use a smaller ``n_nodes`` for large networks.

    Examples
    --------
    >>> cr = characteristic_roots([[-1.0]], [[[0.5]]], [2.0])       # doctest: +SKIP
    >>> cr.roots[0]                                                   # doctest: +SKIP
    """
    A0, Ak, tau = _check_matrices(A0, delayed, delays_ms)
    n = A0.shape[0]
    n_roots = n if n_roots is None else check_int(n_roots, "n_roots", minimum=1)
    n_nodes = check_int(n_nodes, "n_nodes", minimum=2)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if len(tau) == 0:
        w, V = np.linalg.eig(A0)
        order = np.lexsort((-w.imag, -w.real))[:n_roots]
        res = np.array([np.linalg.norm(A0 @ V[:, k] - w[k] * V[:, k]) for k in order])
        return CharacteristicRoots(roots=w[order], vectors=V[:, order].T, residuals=res,
                                   converged=np.ones(len(order), bool), delays_ms=tau, n_nodes=0)
    tmax = float(tau.max())
    N = n_nodes
    xc, D = _cheb(N)                                   # nodes in [-1, 1], x_0 = 1 (theta = 0)
    bw = _bary_weights(N)
    big = np.zeros(((N + 1) * n, (N + 1) * n))
    # rows j >= 1: derivative of the interpolant, d/dtheta = (2 / tau_max) d/dx
    big[n:, :] = np.kron((2.0 / tmax) * D[1:, :], np.eye(n))
    # row 0: the DDE at theta = 0
    row = np.zeros((n, (N + 1) * n))
    row[:, :n] += A0
    for A, t in zip(Ak, tau):
        ell = _lagrange_row(xc, bw, 2.0 * (-t) / tmax + 1.0)
        row += np.kron(ell[None, :], A)
    big[:n, :] = row
    w, V = np.linalg.eig(big)
    order = np.lexsort((-w.imag, -w.real))
    roots, vecs, resid, conv = [], [], [], []
    for k in order:
        lam0 = w[k]
        v0 = V[:n, k]
        if np.linalg.norm(v0) == 0:
            continue
        lam, v, ok = _newton_root(lam0, v0, A0, Ak, tau, tol=tol, max_iter=max_iter)
        if not ok or abs(lam - lam0) > 0.1 * (1.0 + abs(lam0)):  # diverged or jumped to another root
            lam, v, ok = lam0, v0 / np.linalg.norm(v0), False
        v = v / np.linalg.norm(v)
        if any(abs(lam - r) < 1e-8 * (1.0 + abs(r)) for r in roots):
            continue
        roots.append(lam)
        vecs.append(v)
        resid.append(float(np.linalg.norm(delta(lam, A0, Ak, tau) @ v)))
        conv.append(ok)
        if len(roots) >= n_roots + 4:                  # a margin: re-sort after refinement below
            break
    roots = np.asarray(roots)
    srt = np.lexsort((-roots.imag, -roots.real))[:n_roots]
    return CharacteristicRoots(roots=roots[srt], vectors=np.asarray(vecs)[srt], residuals=np.asarray(resid)[srt],
                               converged=np.asarray(conv)[srt], delays_ms=tau, n_nodes=N)


# -- networks -----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False)
class DelayedLinearization:
    """``x' = A_0 x + sum_k A_k x(t - tau_k)`` around a network's fixed point (variable-major order).

    Attributes
    ----------
    state : ndarray, shape (n_state_variables, n_regions)
    A0 : ndarray, shape (n, n)
        Node Jacobians and local coupling terms (1/ms), ``n = n_state_variables * n_regions``.
    delayed : ndarray, shape (n_delays, n, n)
        ``A_k`` for the distinct nonzero delays.
    delays_ms : ndarray, shape (n_delays,)
    delay_matrix_ms : ndarray, shape (n_regions, n_regions)
        The delay of every connection (row = target), as the simulator uses it.
    """

    state: np.ndarray
    A0: np.ndarray
    delayed: np.ndarray
    delays_ms: np.ndarray
    delay_matrix_ms: np.ndarray

    @property
    def jacobian(self):
        """Delay-free Jacobian ``A_0 + sum_k A_k``."""
        return self.A0 + self.delayed.sum(axis=0)

    def __repr__(self):
        return (f"<DelayedLinearization | n={self.A0.shape[0]}, {len(self.delays_ms)} distinct delays "
                f"in [{self.delays_ms.min() if len(self.delays_ms) else 0:.4g}, "
                f"{self.delays_ms.max() if len(self.delays_ms) else 0:.4g}] ms>")


@dataclasses.dataclass(frozen=True, repr=False)
class DelayedNetworkStability:
    """Linear stability of a network fixed point with conduction delays.

    Attributes
    ----------
    state : ndarray, shape (n_state_variables, n_regions)
    eigenvalues : ndarray of complex, shape (n_roots,)
        Rightmost characteristic roots (1/ms) by decreasing real part.
    leading_mode : ndarray of complex, shape (n_state_variables, n_regions)
        Null vector of ``Delta`` at the rightmost root.
    stable : bool
        Every characteristic root has a negative real part.
    delay_free_eigenvalues : ndarray of complex, shape (n,)
        Eigenvalues of ``A_0 + sum_k A_k`` (those of :func:`network_stability`).
    linearization : DelayedLinearization
    roots : CharacteristicRoots
    delays : str
        ``"included"``.
    """

    state: np.ndarray
    eigenvalues: np.ndarray
    leading_mode: np.ndarray
    stable: bool
    delay_free_eigenvalues: np.ndarray
    linearization: DelayedLinearization
    roots: CharacteristicRoots
    delays: str = "included"

    @property
    def leading_eigenvalue(self):
        return self.eigenvalues[0]

    @property
    def frequency_hz(self):
        """Frequency of the leading mode (Hz)."""
        return abs(float(self.eigenvalues[0].imag)) / (2 * np.pi) * 1000.0

    def __repr__(self):
        lam = self.eigenvalues[0]
        return (f"<DelayedNetworkStability | {'stable' if self.stable else 'unstable'}, leading root "
                f"{lam.real:.4g}{lam.imag:+.4g}j /ms, {len(self.linearization.delays_ms)} delays>")


def _delay_matrix(network, net, speed_m_per_s, dt_ms, delays_ms):
    n = net.n_regions
    if delays_ms is not None:
        tau = np.asarray(delays_ms, dtype=float)
        if tau.shape != (n, n):
            raise ValueError(f"delays_ms must have shape ({n}, {n}) (row = target), got {tau.shape}.")
        if np.any(~np.isfinite(tau)) or np.any(tau < 0):
            raise ValueError("delays_ms must be finite and >= 0.")
        return tau
    is_network = hasattr(network, "delay_steps") and hasattr(network, "dt_ms")
    if is_network and speed_m_per_s is None and dt_ms is None:
        return np.asarray(network.delay_steps, dtype=float) * float(network.dt_ms)
    if net.tract_lengths_mm is None:
        raise ValueError("a weight array has no tract lengths: pass delays_ms= (n_regions, n_regions) in ms, or a "
                         "Network / Connectome with speed_m_per_s.")
    if speed_m_per_s is None:
        raise ValueError("speed_m_per_s is required for a Connectome (conduction speed in m/s = mm/ms; np.inf for "
                         "no delays).")
    v = check_positive(speed_m_per_s, "speed_m_per_s", allow_inf=True)
    if dt_ms is None and is_network:
        dt_ms = network.dt_ms
    if np.isinf(v):
        return np.zeros((n, n))
    tau = np.asarray(net.tract_lengths_mm, dtype=float) / v
    if dt_ms is not None:
        dt = check_positive(dt_ms, "dt_ms")
        tau = np.rint(tau / dt) * dt                   # the simulator's integer steps (TVB's rint rule)
    return tau


def _delay_parts(system, x):
    """Jacobians ``A_loc = df/dx|_S``, ``B = df/dS`` (d, F, n) and ``P = d pre / dx`` (F, n, d) at ``x``."""
    model, net = system.model, system.net
    nv, nr = system.shape
    cvar = jnp.asarray(model.cvar_indices)
    with S.x64():
        m = S._to64(model)
        cpl = S._to64(net.coupling)
        w = jnp.asarray(net.weights, dtype=jnp.float64)
        g = jnp.float64(net.global_coupling)

        def pre(xf):
            return cpl.pre(xf.reshape(nv, nr)[cvar])

        def field(xf, s):
            st = xf.reshape(nv, nr)
            c = cpl.post(s, st[cvar], g * w.sum(axis=1))
            return m.dfun(st, c).reshape(-1)

        xj = jnp.asarray(x, dtype=jnp.float64)
        s0 = g * (pre(xj) @ w.T)
        A_loc = np.asarray(jax.jacfwd(field, argnums=0)(xj, s0))
        B = np.asarray(jax.jacfwd(field, argnums=1)(xj, s0))
        P = np.asarray(jax.jacfwd(pre)(xj))
    return A_loc, B, P


def delayed_linearization(model, network, *, coupling=None, global_coupling=None, speed_m_per_s=None,
                          dt_ms=None, delays_ms=None, state=None):
    """Linearise a delayed network at a fixed point: ``x' = A_0 x + sum_k A_k x(t - tau_k)``.

    Parameters
    ----------
    model : NeuralMass
    network : Network | Connectome | array, shape (n_regions, n_regions)
    coupling, global_coupling
        As in :func:`~mne_nmm.dynamics.find_equilibria`.
    speed_m_per_s : float | None
        Conduction speed (m/s = mm/ms). Default for a Network: its own delays
        (``delay_steps * dt_ms``, exactly what the simulator uses). Required for a Connectome.
    dt_ms : float | None
        If given (or taken from a Network when ``speed_m_per_s`` is given), delays are rounded to
        integer steps ``rint(length / speed / dt) * dt`` like the simulator; otherwise ``length / speed``.
    delays_ms : array, shape (n_regions, n_regions) | None
        Explicit delays (row = target), e.g. with a weight array.
    state : array | None
        The fixed point or a guess (polished by Newton); default: a stable delay-free fixed point if
        one is found (fixed points do not depend on delays).

    Returns
    -------
    DelayedLinearization
    """
    system = S.make_system(model, network=network, coupling=coupling, global_coupling=global_coupling)
    tau = _delay_matrix(network, system.net, speed_m_per_s, dt_ms, delays_ms)
    x = _fixed_point(system, state)
    A_loc, B, P = _delay_parts(system, x)
    G = system.net.global_coupling
    W = np.asarray(system.net.weights, float)
    conn = W != 0
    A0 = A_loc + np.einsum("afi,ij,fjb->ab", B, G * W * (conn & (tau == 0)), P)
    uniq = np.unique(tau[conn & (tau > 0)])
    Ak = np.stack([np.einsum("afi,ij,fjb->ab", B, G * W * (conn & (tau == u)), P) for u in uniq]) \
        if len(uniq) else np.zeros((0,) + A0.shape)
    return DelayedLinearization(state=x.reshape(system.shape), A0=A0, delayed=Ak, delays_ms=uniq,
                                delay_matrix_ms=np.where(conn, tau, 0.0))


def _fixed_point(system, state):
    if state is None:
        eq = find_equilibria(system.model, network=system.net.weights, coupling=system.net.coupling,
                             global_coupling=system.net.global_coupling, n_starts=16)
        if len(eq) == 0:
            raise RuntimeError("no fixed point of the network found; pass state= explicitly.")
        return eq.states[int(np.argmax(eq.stable)) if np.any(eq.stable) else 0].reshape(-1)
    x0 = resolve_state(system, state).reshape(-1)
    if np.max(np.abs(S.f(system, x0, system.p0()))) < 1e-12 * (1.0 + np.max(np.abs(x0))):
        return x0                                      # already a fixed point: skip the batched Newton
    X, r = newton(system, x0[None], system.p0(), n_iter=60)
    if r[0] > 1e-8:
        raise RuntimeError(f"state is not close to a fixed point (max |f| = {r[0]:.3g} after Newton).")
    return X[0]


def delayed_network_stability(model, network, *, coupling=None, global_coupling=None, speed_m_per_s=None,
                              dt_ms=None, delays_ms=None, state=None, n_roots=None, n_nodes=24):
    """Linear stability of a network's fixed point **with conduction delays**.

    The rightmost roots of ``det(lambda I - A_0 - sum_k A_k exp(-lambda tau_k)) = 0`` (see
    :func:`delayed_linearization` and :func:`characteristic_roots`), with the simulator's delays.
    A fixed point stable without delays (:func:`network_stability`) can be destabilised by them, and
    vice versa.

    Parameters
    ----------
    model, network, coupling, global_coupling, speed_m_per_s, dt_ms, delays_ms, state
        As in :func:`delayed_linearization`.
    n_roots : int | None
        Number of rightmost roots (default ``n_state_variables * n_regions``).
    n_nodes : int
        Chebyshev degree of the pseudospectral discretisation (matrix size ``(n_nodes + 1) n``).

    Returns
    -------
    DelayedNetworkStability

    Examples
    --------
    >>> net = nmm.Network(con, coupling=Difference(), global_coupling=0.1, speed_m_per_s=2.0)  # doctest: +SKIP
    >>> ds = delayed_network_stability(Hopf(a=-0.05), net)                                     # doctest: +SKIP
    >>> ds.stable, ds.leading_eigenvalue                                                       # doctest: +SKIP
    """
    lin = delayed_linearization(model, network, coupling=coupling, global_coupling=global_coupling,
                                speed_m_per_s=speed_m_per_s, dt_ms=dt_ms, delays_ms=delays_ms, state=state)
    cr = characteristic_roots(lin.A0, lin.delayed, lin.delays_ms, n_roots=n_roots, n_nodes=n_nodes)
    w0 = np.linalg.eigvals(lin.jacobian)
    w0 = w0[np.lexsort((-w0.imag, -w0.real))]
    return DelayedNetworkStability(state=lin.state, eigenvalues=cr.roots, leading_mode=cr.vectors[0].reshape(
        lin.state.shape), stable=cr.stable, delay_free_eigenvalues=w0, linearization=lin, roots=cr)
