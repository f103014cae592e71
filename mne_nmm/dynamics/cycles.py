"""Limit cycles: continuation by single shooting or orthogonal collocation, period, amplitude, Floquet multipliers.

Two discretisations of the periodic boundary-value problem share the continuation, phase
conditions and bifurcation tests below: single shooting (this module) and orthogonal collocation at
Gauss-Legendre points (``method="collocation"``, :mod:`._collocation`; Doedel, Keller & Kernevez
1991, AUTO), whose Floquet multipliers come from the collocation system's own monodromy.

A periodic orbit of ``dx/dt = f(x, p)`` with period ``T`` is a zero of the
shooting map ``phi(x0, T, p) - x0`` where ``phi`` is the flow over one period,
computed here in the rescaled time ``s = t / T`` with ``n_steps`` classical RK4
steps (``dx/ds = T f(x, p)``) and differentiated exactly by forward-mode JAX.
The integral phase condition of Doedel (AUTO),
``sum_k <x(s_k) - x_prev(s_k), f(x_prev(s_k))> = 0`` over the RK4 nodes of the
previous cycle, removes the freedom of the phase (a Poincaré section through
the previous point lets the phase drift along the orbit from step to step), so that ``(x0, T, p)`` lies on a curve followed by
pseudo-arclength continuation (Keller 1977). The monodromy matrix
``d phi / d x0`` gives the Floquet multipliers: one of them is exactly 1 (the
direction along the orbit; its distance from 1 measures the discretisation
error), and the cycle is stable when all others lie inside the unit circle.

Branches start at a Hopf point (the first two cycles are computed at fixed
small amplitude along the critical eigenvector ``Re q``, with the phase fixed by
``<x0 - x_H, Im q> = 0``) or from a point near a cycle (e.g. the end of a
simulation; :func:`find_limit_cycle`).

Detected points: folds of cycles (``"LPC"``: ``dp/ds = 0``), period doubling
(``"PD"``: a multiplier crosses -1, ``det(M + I)`` changes sign) and
Neimark-Sacker points (``"NS"``: a complex pair of multipliers crosses the unit
circle), each located on the branch.

References
----------
Keller H.B. (1977), see :mod:`.continuation`.
Kuznetsov Yu.A. (2004) Elements of Applied Bifurcation Theory, 3rd ed., sec. 1.5
(Floquet multipliers), sec. 10.3 (continuation of cycles).
Seydel R. (2010) Practical Bifurcation and Stability Analysis, 3rd ed., Springer, ch. 7 (shooting).
Doedel E.J., Keller H.B., Kernevez J.P. (1991) Numerical analysis and control of bifurcation problems
(II): bifurcation in infinite dimensions. Int J Bifurcat Chaos 1:745-772 (collocation).
Floquet G. (1883) Sur les équations différentielles linéaires à coefficients périodiques.
Ann Sci ENS 12:47-88.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, check_positive, validate_type
from . import _system as S
from ._arclength import Arclength, ContinuationFailure
from ._collocation import Collocation
from ._normal_form import hopf_vectors
from .continuation import Branch, SpecialPoint, _check_range, _state_weights


@dataclasses.dataclass(frozen=True, repr=False)
class CycleBranch:
    """A branch of limit cycles from :func:`continue_limit_cycle`.

    Attributes
    ----------
    param : str
    params : ndarray, shape (n_points,)
    periods_ms : ndarray, shape (n_points,)
    initial_states : ndarray, shape (n_points, n_state_variables, n_regions)
        A point of each orbit (on the Poincaré section of the previous one).
    minima, maxima : ndarray, shape (n_points, n_state_variables, n_regions)
        Extremes of every variable over the orbit (sampled at the RK4 nodes).
    orbits : ndarray, shape (n_points, n_samples, n_state_variables, n_regions)
        The orbits, sampled at ``n_samples`` equally spaced phases.
    multipliers : ndarray of complex, shape (n_points, n)
        Floquet multipliers by decreasing modulus, the trivial one included.
    trivial_multiplier : ndarray of complex, shape (n_points,)
        The multiplier closest to 1 (exactly 1 for the exact flow).
    stable : ndarray of bool, shape (n_points,)
        All non-trivial multipliers inside the unit circle.
    special_points : tuple of SpecialPoint
        ``"LPC"``, ``"PD"``, ``"NS"``.
    state_variables : tuple of str
    stop_reason : str
    """

    param: str
    params: np.ndarray
    periods_ms: np.ndarray
    initial_states: np.ndarray
    minima: np.ndarray
    maxima: np.ndarray
    orbits: np.ndarray
    multipliers: np.ndarray
    trivial_multiplier: np.ndarray
    stable: np.ndarray
    special_points: tuple
    state_variables: tuple
    stop_reason: str
    system: object = dataclasses.field(default=None, compare=False)

    def __len__(self):
        return len(self.params)

    @property
    def frequencies_hz(self):
        return 1000.0 / self.periods_ms

    def amplitude(self, name, region=0):
        """Peak-to-peak amplitude ``max - min`` of a variable along the branch, ``(n_points,)``."""
        i = self._index(name)
        return self.maxima[:, i, region] - self.minima[:, i, region]

    def _index(self, name):
        if name not in self.state_variables:
            raise ValueError(f"name must be one of the state variables {self.state_variables}, got {name!r}.")
        return self.state_variables.index(name)

    def points(self, label=None):
        return tuple(sp for sp in self.special_points if label is None or sp.label == label)

    def __repr__(self):
        sps = ", ".join(f"{sp.label}@{float(sp.param):.4g}" for sp in self.special_points)
        return (f"<CycleBranch | {self.param} in [{self.params.min():.4g}, {self.params.max():.4g}], "
                f"period {self.periods_ms.min():.4g}-{self.periods_ms.max():.4g} ms, {len(self)} cycles, "
                f"special points: {sps or 'none'}>")


# -- the shooting map --------------------------------------------------------------------------------

def _flow(static, n_steps, model, arrays, x0, T, p, save):
    h = 1.0 / n_steps

    def g(x):
        return T * S._call(static, model, arrays, x, p)

    def body(x, _):
        k1 = g(x)
        k2 = g(x + 0.5 * h * k1)
        k3 = g(x + 0.5 * h * k2)
        k4 = g(x + h * k3)
        xn = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        return xn, (xn if save else None)

    return jax.lax.scan(body, x0, None, length=n_steps)


def _shoot_residual_impl(static, n_steps, model, arrays, y, xref, fref):
    """Periodicity and phase: Poincaré (xref, fref of shape (d,)) or integral ((n_steps, d))."""
    d = int(np.prod(static[2]))
    x0, T, p = y[:d], y[d], y[d + 1:]
    xT, traj = _flow(static, n_steps, model, arrays, x0, T, p, True)
    if xref.ndim == 1:
        phase = (x0 - xref) @ fref
    else:  # integral phase condition (Doedel): mean_k <x_k - x_prev_k, f(x_prev_k)>
        phase = jnp.mean(jnp.sum((traj - xref) * fref, axis=1))
    return jnp.concatenate([xT - x0, jnp.atleast_1d(phase)])


def _traj_impl(static, n_steps, model, arrays, x0, T, p):
    return _flow(static, n_steps, model, arrays, x0, T, p, True)[1]


def _end_impl(static, n_steps, model, arrays, x0, T, p):
    return _flow(static, n_steps, model, arrays, x0, T, p, False)[0]


# compiled once per (model structure, n_steps), shared by every branch (keyed on structure, not values)
_shoot_res = jax.jit(_shoot_residual_impl, static_argnums=(0, 1))
_shoot_jac = jax.jit(jax.jacfwd(_shoot_residual_impl, argnums=4), static_argnums=(0, 1))
_shoot_traj = jax.jit(_traj_impl, static_argnums=(0, 1))
_shoot_mono = jax.jit(jax.jacfwd(_end_impl, argnums=4), static_argnums=(0, 1))
_f_batch = jax.jit(lambda static, model, arrays, X, p: jax.vmap(lambda x: S._call(static, model, arrays, x, p))(X),
                   static_argnums=(0,))


class _Shooting:
    """Single shooting: unknowns ``y = (x0, T, p)``, ``T`` at index :attr:`iT`."""

    def __init__(self, system, n_steps):
        self.system = system
        self.d = system.dim
        self.iT = self.d
        self.n_steps = n_steps
        static, model, arrays = S._split(system)
        self._args = (static, int(n_steps), S._to64(model), S._to64(arrays))

    def expand(self, wx):
        return np.asarray(wx, float)

    def from_function(self, fun, T, p):
        return np.concatenate([np.asarray(fun(0.0), float), [float(T)], np.atleast_1d(np.asarray(p, float))])

    def from_samples(self, traj, T, p):
        return np.concatenate([np.asarray(traj[0], float), [float(T)], np.atleast_1d(np.asarray(p, float))])

    def f(self, x, p):
        with S.x64():
            return np.asarray(S._f(self._args[0], *self._args[2:], np.asarray(x, float), np.asarray(p, float)))

    def ctx(self, y):
        """Integral phase reference from an accepted cycle: its RK4 nodes and the vector field there."""
        orb = self.orbit(y)[1:]
        with S.x64():
            fr = np.asarray(_f_batch(self._args[0], *self._args[2:], orb, np.asarray(y[self.d + 1:], float)))
        return orb, fr / max(float(np.sqrt(np.mean(np.sum(fr * fr, axis=1)))), 1e-300)

    def poincare_ctx(self, y):
        """Poincaré phase reference (x0, f(x0)) of a point."""
        x = y[: self.d]
        fr = self.f(x, y[self.d + 1:])
        return x, fr / max(np.linalg.norm(fr), 1e-300)

    def residual(self, y, ctx):
        with S.x64():
            return np.asarray(_shoot_res(*self._args, np.asarray(y, float), np.asarray(ctx[0]), np.asarray(ctx[1])))

    def jacobian(self, y, ctx):
        with S.x64():
            return np.asarray(_shoot_jac(*self._args, np.asarray(y, float), np.asarray(ctx[0]), np.asarray(ctx[1])))

    def monodromy(self, y):
        with S.x64():
            return np.asarray(_shoot_mono(*self._args, y[: self.d], y[self.d], y[self.d + 1:]))

    def orbit(self, y):
        with S.x64():
            tr = np.asarray(_shoot_traj(*self._args, y[: self.d], y[self.d], y[self.d + 1:]))
        return np.concatenate([y[None, : self.d], tr], axis=0)


def _multipliers(M):
    mu = np.linalg.eigvals(M)
    k = int(np.argmin(np.abs(mu - 1.0)))
    trivial = mu[k]
    others = np.delete(mu, k)
    order = np.argsort(-np.abs(mu))
    return mu[order], trivial, others


def _cycle_tests(sh, y, t, ctx):
    M = sh.monodromy(y)
    mu, triv, others = _multipliers(M)
    pd = float(np.real(np.prod(others + 1.0))) if others.size else 1.0
    n_out_cplx = int(np.sum((np.abs(others) > 1.0) & (np.abs(others.imag) > 1e-8)))
    cplx = others[np.abs(others.imag) > 1e-8]
    ns = float(np.abs(cplx[np.argmin(np.abs(np.abs(cplx) - 1.0))]) - 1.0) if cplx.size else np.nan
    return dict(mu=mu, trivial=triv, others=others, LPC=float(t[-1]), PD=pd, NS=ns, nout=n_out_cplx)


# -- public API --------------------------------------------------------------------------------------

def continue_limit_cycle(source, *, param=None, param_range=None, point=None, start=None, period_ms=None,
                         network=None, coupling=None, global_coupling=None, regions=None, amplitude=None,
                         n_steps=200, n_samples=100, max_steps=100, step=0.01, max_step=0.1, min_step=1e-7,
                         tol=1e-9, max_period_ms=None, detect=("LPC", "PD", "NS"), method="shooting",
                         n_intervals=40, degree=4):
    """Continue a branch of limit cycles (single shooting) with period, amplitude and Floquet multipliers.

    Parameters
    ----------
    source : Branch | NeuralMass
        A :class:`~mne_nmm.dynamics.Branch` with a Hopf point (the cycles born there are
        continued), or a model together with ``start`` and ``period_ms`` (a point near a
        cycle, e.g. from :func:`find_limit_cycle`).
    param : str | None
        Continuation parameter (default: the branch's; required with a model).
    param_range : (float, float) | None
        Stop when the parameter leaves this interval (default: the branch's range).
    point : SpecialPoint | int | None
        The Hopf point of ``source`` (default: its first ``"H"``).
    start : array, shape (n_state_variables,) or (n_state_variables, n_regions) | None
        With a model: a point on (or near) the cycle (for collocation the first orbit is
        one period of RK4 from it, then refined by damped Newton).
    period_ms : float | None
        With a model: the approximate period (ms).
    network, coupling, global_coupling, regions
        With a model: as in :func:`continue_equilibrium`.
    amplitude : float | None
        Amplitude of the first cycles near the Hopf point along ``Re q`` (default
        1 % of the state's typical scale in that direction).
    n_steps : int
        RK4 steps per period of the shooting map (raise it for stiff, relaxation cycles).
    n_samples : int
        Samples per stored orbit.
    max_steps, step, max_step, min_step, tol
        As in :func:`continue_equilibrium`.
    max_period_ms : float | None
        Stop when the period exceeds this (approach to a homoclinic orbit); default
        50 times the starting period.
    detect : sequence of {"LPC", "PD", "NS"}
    method : {"shooting", "collocation"}
        ``"shooting"``: single shooting with RK4 (``n_steps`` per period). ``"collocation"``:
        orthogonal collocation at Gauss-Legendre points on a uniform mesh of ``n_intervals``
        intervals with polynomials of ``degree`` (Doedel, Keller & Kernevez 1991; AUTO), the
        Floquet multipliers from the collocation system's monodromy (:mod:`._collocation`).
        Collocation is a boundary-value method: it also converges to unstable cycles and does
        not amplify errors along the orbit, which suits long or strongly unstable cycles.
    n_intervals, degree : int
        Mesh of the collocation method (ignored by shooting); the orbit has
        ``n_intervals * degree`` mesh values, accurate to ``O(h^(2 degree))`` there.

    Returns
    -------
    CycleBranch

    Notes
    -----
    Near a Hopf point the cycle radius grows like ``sqrt(|p - p_H|)``; for the
    Stuart-Landau oscillator the radius is exactly ``sqrt(a)``, the period
    ``2 pi / omega`` and the non-trivial multiplier ``exp(-2 a T)``.
    """
    n_steps = check_int(n_steps, "n_steps", minimum=8)
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    make = _discretisation(method, n_steps, n_intervals, degree)
    for name, v in (("step", step), ("max_step", max_step), ("min_step", min_step), ("tol", tol)):
        check_positive(v, name)
    for lab in detect:
        if lab not in ("LPC", "PD", "NS"):
            raise ValueError(f"detect entries must be among ('LPC', 'PD', 'NS'), got {lab!r}.")
    if isinstance(source, Branch):
        param = source.param if param is None else param
        if param != source.param:
            raise ValueError(f"param must be the branch's parameter {source.param!r} when starting from a Branch, got {param!r}.")
        sp = _hopf_point(source, point)
        lo, hi = (source.params.min(), source.params.max()) if param_range is None else _check_range(param_range, "param_range")
        system = source.system
        sh = make(system)
        first, second = _start_at_hopf(sh, sp, amplitude)
    else:
        from ..core.models.base import NeuralMass

        validate_type(source, NeuralMass, "source", "a Branch or a NeuralMass model")
        if param is None or param_range is None or start is None or period_ms is None:
            raise ValueError("with a model, continue_limit_cycle needs param, param_range, start and period_ms.")
        system = S.make_system(source, (param,), network=network, coupling=coupling, global_coupling=global_coupling,
                               regions=regions)
        lo, hi = _check_range(param_range, "param_range")
        period_ms = check_positive(period_ms, "period_ms")
        sh = make(system)
        from .equilibria import resolve_state

        x0 = resolve_state(system, start, what="start").reshape(-1)
        first = _polish_cycle(sh, _guess_from_point(sh, x0, period_ms, system.p0()))
        second = None
    d = system.dim
    iT = sh.iT
    T0 = first[iT]
    max_period = 50.0 * T0 if max_period_ms is None else check_positive(max_period_ms, "max_period_ms")
    w = np.concatenate([_orbit_weights(sh, first), [T0], [hi - lo]])
    al = Arclength(sh.residual, sh.jacobian, w, step=step, min_step=min_step, max_step=max_step, tol=tol,
                   max_newton=10, res_tol=1e-6)
    if hasattr(sh, "solve"):
        al.solve = sh.solve
    if second is not None:
        t0 = (second - first) / w
        t0 /= np.linalg.norm(t0)
        y, ctx = second, sh.ctx(second)
        t = al.tangent(y, ctx, t0)
        pts = [first, second]
    else:
        ctx = sh.ctx(first)
        t = al.tangent_from_null(first, ctx)
        if t[-1] < 0:
            t = -t
        y = first
        pts = [first]
    cur = _cycle_tests(sh, y, t, ctx)
    tests = [_cycle_tests(sh, p, t, sh.ctx(p)) for p in pts[:-1]] + [cur]
    sps = []
    reason = "max_steps"
    size0 = float(np.max(np.ptp(sh.orbit(pts[0]), axis=0)))
    grown = False
    peak = size0
    for _ in range(max_steps):
        try:
            y_new, t_new, h = al.step(y, t, ctx)
        except ContinuationFailure as err:
            reason = f"step size below min_step ({err})"
            break
        new = _cycle_tests(sh, y_new, t_new, ctx)
        found = []
        if "LPC" in detect and cur["LPC"] * new["LPC"] < 0:
            found.append("LPC")
        if "PD" in detect and cur["PD"] * new["PD"] < 0:
            found.append("PD")
        if ("NS" in detect and cur["nout"] != new["nout"] and np.isfinite(cur["NS"]) and np.isfinite(new["NS"])
                and cur["NS"] * new["NS"] < 0):
            found.append("NS")
        for lab in found:
            def test(yy, lab=lab):
                return _cycle_tests(sh, yy, al.tangent(yy, ctx, t), ctx)[lab]
            loc = al.locate(y, t, h, ctx, test, cur[lab], new[lab])
            if loc is None:
                continue
            y_sp = loc[0]
            pts.append(y_sp)
            tests.append(_cycle_tests(sh, y_sp, t, ctx))
            sps.append((len(pts) - 1, lab, y_sp))
        pts.append(y_new)
        tests.append(new)
        y, cur = y_new, new
        ctx = sh.ctx(y)
        t = al.tangent(y, ctx, t_new)  # tangent under the moved phase condition
        # scale the state by the orbit's size, so that a step never crosses the orbit
        t = al.set_weights(np.concatenate([_orbit_weights(sh, y), [max(y[iT], 1e-12)], [hi - lo]]), t)
        if not lo <= y[-1] <= hi:
            reason = "param_range"
            break
        if y[iT] > max_period:
            reason = "period above max_period_ms (homoclinic?)"
            break
        if y[iT] <= 0:
            reason = "period reached 0"
            break
        size = float(np.max(np.ptp(sh.orbit(y), axis=0)))
        peak = max(peak, size)
        grown = grown or size > 4.0 * size0
        if grown and size < 0.25 * peak:  # shrinking back towards an equilibrium: approach it finely
            al.hmax = min(al.hmax, 0.02)
            al.h = min(al.h, al.hmax)
        if grown and (size < 0.5 * size0 or size < 0.05 * peak):
            reason = "amplitude vanished (another Hopf point)"
            break
    return _assemble(sh, param, pts, tests, sps, reason, n_samples)


def _discretisation(method, n_steps, n_intervals, degree):
    """A factory ``system -> discretisation`` for ``method`` (validated)."""
    from .._validate import check_option

    check_option("method", method, ("shooting", "collocation"))
    if method == "shooting":
        return lambda system: _Shooting(system, n_steps)
    n_intervals = check_int(n_intervals, "n_intervals", minimum=4)
    degree = check_int(degree, "degree", minimum=1)
    if degree > 7:
        raise ValueError(f"degree must be between 1 and 7 (AUTO's NCOL range), got {degree}.")
    return lambda system: Collocation(system, n_intervals, degree)


def _guess_from_point(sh, x0, period, p, n=400):
    """Initial unknowns from a point near the cycle: for collocation, one period of RK4 from ``x0``."""
    if isinstance(sh, _Shooting):
        return np.concatenate([x0, [period], np.atleast_1d(p)])
    traj = integrate(sh.system, x0, p, period / n, n)
    return sh.from_samples(traj, period, p)


def _orbit_weights(sh, y):
    """Peak-to-peak size of the orbit per component, floored by 5 % of the model's typical scale."""
    orb = sh.orbit(y)
    ptp = np.ptp(orb, axis=0)
    return sh.expand(np.maximum(ptp, 0.05 * _state_weights(y[: sh.d], sh.system)))


def _hopf_point(branch, point):
    hs = branch.points("H")
    if point is None:
        if not hs:
            raise ValueError("the branch has no Hopf point ('H'); continue_limit_cycle starts at one.")
        return hs[0]
    if isinstance(point, (int, np.integer)):
        if not 0 <= point < len(hs):
            raise ValueError(f"point must index the branch's Hopf points (0..{len(hs) - 1}), got {point}.")
        return hs[point]
    validate_type(point, SpecialPoint, "point", "a SpecialPoint or an int")
    if point.label != "H":
        raise ValueError(f"point must be a Hopf point ('H'), got {point.label!r}.")
    return point


def _newton_square(fun, jac, y, *, n_iter=30, tol=1e-11):
    for _ in range(n_iter):
        F = fun(y)
        J = jac(y)
        dy = np.linalg.solve(J, -F)
        y = y + dy
        if np.linalg.norm(dy) < tol * (1.0 + np.linalg.norm(y)):
            return y
    raise RuntimeError("Newton did not converge")


def _start_at_hopf(sh, sp, amplitude):
    system = sh.system
    x_h = sp.state.reshape(-1)
    p_h = np.atleast_1d(sp.param).astype(float)
    A = S.jac_x(system, x_h, p_h)
    omega = sp.data["omega"]
    q, _ = hopf_vectors(A, omega)
    qr = np.real(q) / np.linalg.norm(np.real(q))
    qi = np.imag(q) / max(np.linalg.norm(np.imag(q)), 1e-300)
    if amplitude is None:
        eps = 0.01 * float(np.abs(qr) @ _state_weights(x_h, system))
    else:
        eps = check_positive(amplitude, "amplitude")
    T0 = 2.0 * np.pi / omega
    last_err = None
    for _ in range(6):  # shrink the amplitude until the fixed-amplitude Newton converges
        try:
            return _two_cycles(sh, x_h, p_h, q, T0, eps)
        except (RuntimeError, np.linalg.LinAlgError) as err:
            last_err = err
            if amplitude is not None:
                break
            eps /= 4.0
    raise RuntimeError(f"could not compute the first cycles near the Hopf point ({last_err}); "
                       "try another amplitude= or more n_steps=.")


def _two_cycles(sh, x_h, p_h, q, T0, eps):
    d = sh.d
    qr = np.real(q) / np.linalg.norm(np.real(q))
    qi = np.imag(q) / max(np.linalg.norm(np.imag(q)), 1e-300)
    out = []
    scale = eps / np.linalg.norm(np.real(q))   # x(s) = x_H + Re(q exp(2 pi i s)): the linearised cycle
    guess = sh.from_function(lambda s: x_h + scale * np.real(q * np.exp(2j * np.pi * s)), T0, p_h)
    xh_all = sh.from_function(lambda s: x_h, T0, p_h)[: sh.iT]
    for k, amp in enumerate((eps, 2.0 * eps)):
        def fun(y, amp=amp):
            r = sh.residual(y, (x_h, qi))  # phase condition <x0 - x_H, Im q> = 0
            return np.concatenate([r, [(y[:d] - x_h) @ qr - amp]])

        def jac(y):
            J = sh.jacobian(y, (x_h, qi))
            row = np.zeros(len(y))
            row[:d] = qr
            return np.vstack([J, row[None]])

        if k == 1:
            guess = out[0].copy()
            guess[: sh.iT] = xh_all + 2.0 * (out[0][: sh.iT] - xh_all)
        out.append(_newton_square(fun, jac, guess))
    return out[0], out[1]


def _damped_newton(fun, jac, z, n_free, *, n_iter=40, solve=np.linalg.solve):
    """Newton on the first ``n_free`` unknowns with backtracking (step halved until ``|F|`` decreases)."""
    z = np.asarray(z, float).copy()
    F = fun(z)
    for _ in range(n_iter):
        dz = solve(jac(z), -F)
        nF = np.linalg.norm(F)
        alpha = 1.0
        for _ in range(12):
            zt = z.copy()
            zt[:n_free] += alpha * dz
            Ft = fun(zt)
            if np.all(np.isfinite(Ft)) and np.linalg.norm(Ft) < max(nF, 1e-300) * (1.0 - 1e-4 * alpha):
                break
            alpha *= 0.5
        else:
            zt = z.copy()
            zt[:n_free] += dz
            Ft = fun(zt)
        z, F = zt, Ft
        if alpha == 1.0 and np.linalg.norm(dz) < 1e-11 * (1 + np.linalg.norm(z)):
            return z
        if np.linalg.norm(F) < 1e-12 and np.linalg.norm(alpha * dz) < 1e-9 * (1 + np.linalg.norm(z)):
            return z
    return None


def _polish_cycle(sh, y):
    ctx = sh.poincare_ctx(y)
    z = _damped_newton(lambda yy: sh.residual(yy, ctx), lambda yy: sh.jacobian(yy, ctx)[:, : sh.iT + 1], y,
                       sh.iT + 1, solve=getattr(sh, "solve", np.linalg.solve))
    if z is None:
        raise RuntimeError("start/period_ms do not lead to a periodic orbit (Newton did not converge); "
                           "start closer to the cycle (e.g. from find_limit_cycle) or increase n_steps "
                           "(shooting) / n_intervals (collocation).")
    return z


def _assemble(sh, param, pts, tests, sps, reason, n_samples):
    system = sh.system
    d = system.dim
    shape = system.shape
    Y = np.stack(pts)
    orbits, mins, maxs = [], [], []
    for y in Y:
        orb = sh.orbit(y)
        mins.append(orb.min(axis=0).reshape(shape))
        maxs.append(orb.max(axis=0).reshape(shape))
        idx = np.linspace(0, len(orb) - 1, n_samples).round().astype(int)
        orbits.append(orb[idx].reshape((n_samples,) + shape))
    mults = np.stack([tt["mu"] for tt in tests])
    triv = np.array([tt["trivial"] for tt in tests])
    stable = np.array([bool(np.all(np.abs(tt["others"]) < 1.0)) for tt in tests])
    special = tuple(SpecialPoint(lab, int(i), float(y[-1]), y[:d].reshape(shape),
                                 {"period_ms": float(y[sh.iT]), "multipliers": tests[i]["mu"]}) for i, lab, y in sps)
    return CycleBranch(param=param, params=Y[:, -1].copy(), periods_ms=Y[:, sh.iT].copy(),
                       initial_states=Y[:, :d].reshape((len(Y),) + shape), minima=np.stack(mins),
                       maxima=np.stack(maxs), orbits=np.stack(orbits), multipliers=mults, trivial_multiplier=triv,
                       stable=stable, special_points=special, state_variables=tuple(system.model.state_variables),
                       stop_reason=reason, system=system)


def find_limit_cycle(model, *, duration_ms=2000.0, dt_ms=0.05, start=None, network=None, coupling=None,
                     global_coupling=None, variable=None, n_steps=400, method="shooting", n_intervals=40, degree=4):
    """Locate a stable limit cycle by simulation then refine it by shooting.

    Integrates the node (or delay-free network) with RK4 for ``duration_ms``,
    estimates the period from the upward crossings of the mean of ``variable``
    in the second half, and solves the shooting problem from there.

    Parameters
    ----------
    model : NeuralMass
    duration_ms, dt_ms : float
        Simulation length and RK4 step (ms).
    start : array | None
        Initial state (default ``model.initial_state(n_regions)``).
    network, coupling, global_coupling
        As in :func:`find_equilibria`.
    variable : str | None
        State variable used to find the period (default: the first state variable).
    n_steps : int
        RK4 steps per period of the shooting map.
    method : {"shooting", "collocation"}
        Refinement of the simulated orbit: single shooting (RK4), or orthogonal collocation at
        Gauss-Legendre points (Doedel, Keller & Kernevez 1991), see :func:`continue_limit_cycle`.
    n_intervals, degree : int
        Collocation mesh (ignored by shooting).

    Returns
    -------
    state : ndarray, shape (n_state_variables, n_regions)
        A point on the cycle.
    period_ms : float

    Raises
    ------
    RuntimeError
        If the simulation settles on an equilibrium (no oscillation found).
    """
    system = S.make_system(model, network=network, coupling=coupling, global_coupling=global_coupling)
    make = _discretisation(method, check_int(n_steps, "n_steps", minimum=8), n_intervals, degree)
    duration_ms = check_positive(duration_ms, "duration_ms")
    dt_ms = check_positive(dt_ms, "dt_ms")
    sv = model.state_variables
    var = sv[0] if variable is None else variable
    if var not in sv:
        raise ValueError(f"variable must be one of the state variables {sv}, got {var!r}.")
    if start is None:
        x0 = np.asarray(model.initial_state(system.n_regions), float).reshape(-1)
    else:
        from .equilibria import resolve_state

        x0 = resolve_state(system, start).reshape(-1)
    n = int(round(duration_ms / dt_ms))
    traj = integrate(system, x0, system.p0(), dt_ms, n)
    i = sv.index(var) * system.n_regions
    sig = traj[n // 2:, i]
    m = sig.mean()
    up = np.where((sig[:-1] < m) & (sig[1:] >= m))[0]
    if len(up) < 3 or np.ptp(sig) < 1e-6 * (1 + abs(m)):
        raise RuntimeError(f"no oscillation found in {var!r} after {duration_ms:g} ms (peak-to-peak "
                           f"{np.ptp(sig):.3g}); the model settles on an equilibrium or needs a longer run.")
    # sub-step interpolation of the crossings
    frac = (m - sig[up]) / (sig[up + 1] - sig[up])
    tc = (up + frac) * dt_ms
    period = float(np.median(np.diff(tc)))
    x_start = traj[n // 2 + up[-1] + 1]
    sh = make(S.System(system.model, (), system.net, None))
    y = _polish_cycle_fixed(sh, _guess_from_point(sh, x_start, period, np.zeros(0)))
    if not abs(y[sh.iT] - period) < 0.5 * period:
        raise RuntimeError(f"the refined period ({y[sh.iT]:.4g} ms) is far from the simulated one ({period:.4g} ms): "
                           "the simulation has not reached a cycle; try a longer duration_ms or another start.")
    return y[: sh.d].reshape(system.shape), float(y[sh.iT])


def _polish_cycle_fixed(sh, y):
    z = np.asarray(y, float)
    ctx = sh.poincare_ctx(z)
    z = _damped_newton(lambda yy: sh.residual(yy, ctx), lambda yy: sh.jacobian(yy, ctx)[:, : sh.iT + 1], z,
                       sh.iT + 1, solve=getattr(sh, "solve", np.linalg.solve))
    if z is None:
        raise RuntimeError("the simulated orbit did not converge to a periodic orbit (shooting or collocation "
                           "Newton); try a longer duration_ms, a larger n_steps or n_intervals.")
    return z


def _rk4_scan_impl(static, model, arrays, x0, p, dt, n):
    def fx(x):
        return S._call(static, model, arrays, x, p)

    def body(x, _):
        k1 = fx(x)
        k2 = fx(x + 0.5 * dt * k1)
        k3 = fx(x + 0.5 * dt * k2)
        k4 = fx(x + dt * k3)
        xn = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        return xn, xn

    _, traj = jax.lax.scan(body, x0, None, length=n)
    return jnp.concatenate([x0[None], traj], axis=0)


_rk4_scan = jax.jit(_rk4_scan_impl, static_argnums=(0, 6))


def integrate(system, x0, p, dt_ms, n_steps):
    """RK4 trajectory ``(n_steps + 1, dim)`` of a system in float64 (no noise, no delays)."""
    static, model, arrays = S._split(system)
    with S.x64():
        return np.asarray(_rk4_scan(static, S._to64(model), S._to64(arrays), np.asarray(x0, float),
                                    np.asarray(p, float), float(dt_ms), int(n_steps)))
