"""One- and two-parameter continuation of equilibria and of their bifurcations.

:func:`continue_equilibrium` follows a branch of equilibria ``f(x, p) = 0`` by
pseudo-arclength continuation (Keller 1977) and detects, by sign changes of test
functions, folds (``"LP"``, limit/saddle-node points: ``dp/ds = 0``), Hopf
points (``"H"``: a complex pair of eigenvalues crosses the imaginary axis, with
the first Lyapunov coefficient of Kuznetsov 2004, eq. 3.20) and branch points
(``"BP"``: the determinant of the augmented Jacobian ``[f_x f_p; t^T]`` changes
sign; Allgower & Georg 1990, sec. 8.1). Special points are located by a
corrector-based secant search and inserted into the branch.

:func:`continue_bifurcation` follows a fold or a Hopf point in two parameters
with the standard augmented systems (Kuznetsov 2004, sec. 10.2.2):

* fold: ``f(x, p) = 0, f_x v = 0, <v, v0> = 1`` (unknowns ``x, v, p1, p2``);
* Hopf: ``f = 0, f_x q_r + w q_i = 0, f_x q_i - w q_r = 0,
  <q_r, q_r0> + <q_i, q_i0> = 1, <q_r, q_i0> - <q_i, q_r0> = 0``
  (unknowns ``x, q_r, q_i, w, p1, p2``),

detecting cusps (``"CP"``: the fold's quadratic coefficient vanishes),
Bogdanov-Takens points (``"BT"``: ``w -> 0`` on a Hopf curve, or a fold where
``<p, q> = 0`` for the left and right null vectors of ``f_x``) and generalised Hopf
points (``"GH"``: ``l1 = 0``), each located on the curve by a corrector-based secant
search (cusp: ``<p, B(q, q)> = 0``; Govaerts 2000, sec. 4.3).

References
----------
Keller H.B. (1977) Numerical solution of bifurcation and nonlinear eigenvalue problems.
In: Applications of Bifurcation Theory, Academic Press.
Kuznetsov Yu.A. (2004) Elements of Applied Bifurcation Theory, 3rd ed., Springer (ch. 3, 8, 10).
Allgower E.L., Georg K. (1990) Numerical Continuation Methods. Springer.
Govaerts W. (2000) Numerical Methods for Bifurcations of Dynamical Equilibria. SIAM.
"""

from __future__ import annotations

import dataclasses
import logging

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, check_option, check_positive, validate_type
from . import _system as S
from ._arclength import Arclength, ContinuationFailure
from ._normal_form import first_lyapunov, fold_coefficient, hopf_vectors
from .equilibria import newton, resolve_state, sorted_eigenvalues

logger = logging.getLogger("mne_nmm")

LABELS = {"LP": "limit point (fold, saddle-node)", "H": "Hopf", "BP": "branch point",
          "LPC": "limit point of cycles (fold of cycles)", "PD": "period doubling (flip)",
          "NS": "Neimark-Sacker (torus)", "CP": "cusp", "BT": "Bogdanov-Takens", "GH": "generalised Hopf (Bautin)",
          "EP": "end point"}


@dataclasses.dataclass(frozen=True)
class SpecialPoint:
    """A labelled point on a branch.

    Attributes
    ----------
    label : str
        ``"LP"`` fold, ``"H"`` Hopf, ``"BP"`` branch point, ``"LPC"`` fold of cycles,
        ``"PD"`` period doubling, ``"NS"`` Neimark-Sacker, ``"CP"`` cusp,
        ``"BT"`` Bogdanov-Takens, ``"GH"`` generalised Hopf.
    index : int
        Index of the point in the branch arrays.
    param : float or ndarray
        Parameter value(s) at the point.
    state : ndarray, shape (n_state_variables, n_regions)
        Equilibrium (or, for cycles, the initial point of the orbit).
    data : dict
        Extra information: for ``"H"`` ``omega`` (rad/ms), ``frequency_hz``, ``l1`` (first
        Lyapunov coefficient) and ``kind`` (``"supercritical"`` / ``"subcritical"``); for
        ``"LP"`` the normal-form coefficients ``a``, ``b``; for cycles ``period_ms`` and
        ``multipliers``.
    """

    label: str
    index: int
    param: object
    state: np.ndarray
    data: dict = dataclasses.field(default_factory=dict)

    @property
    def description(self):
        return LABELS.get(self.label, self.label)

    def __repr__(self):
        par = np.atleast_1d(self.param)
        ps = ", ".join(f"{v:.6g}" for v in par)
        extra = ""
        if self.label == "H" and "l1" in self.data:
            extra = f", f={self.data['frequency_hz']:.4g} Hz, l1={self.data['l1']:.3g} ({self.data['kind']})"
        return f"<SpecialPoint {self.label} at param={ps}{extra}>"


@dataclasses.dataclass(frozen=True, repr=False)
class Branch:
    """A branch of equilibria from :func:`continue_equilibrium`.

    Attributes
    ----------
    param : str
        Name of the continuation parameter.
    params : ndarray, shape (n_points,)
        Parameter values along the branch (in the parameter's unit).
    states : ndarray, shape (n_points, n_state_variables, n_regions)
        Equilibria along the branch.
    eigenvalues : ndarray of complex, shape (n_points, n_state_variables * n_regions)
        Jacobian eigenvalues (1/ms) by decreasing real part.
    stable : ndarray of bool, shape (n_points,)
    n_unstable : ndarray of int, shape (n_points,)
        Number of eigenvalues with a positive real part.
    special_points : tuple of SpecialPoint
    state_variables : tuple of str
    stop_reason : str
        Why each direction ended (e.g. ``"param_range"``, ``"max_steps"``).
    """

    param: str
    params: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    n_unstable: np.ndarray
    special_points: tuple
    state_variables: tuple
    stop_reason: str
    system: object = dataclasses.field(default=None, compare=False)

    def __len__(self):
        return len(self.params)

    def variable(self, name, region=0):
        """One state variable along the branch, ``(n_points,)`` (``"y1-y2"``-style derived names work too)."""
        return _variable(self, name, region)

    def points(self, label=None):
        """Special points, optionally only those with ``label``."""
        return tuple(sp for sp in self.special_points if label is None or sp.label == label)

    def __repr__(self):
        sps = ", ".join(f"{sp.label}@{float(np.atleast_1d(sp.param)[0]):.4g}" for sp in self.special_points)
        return (f"<Branch | {self.param} in [{self.params.min():.4g}, {self.params.max():.4g}], {len(self)} points, "
                f"special points: {sps or 'none'}>")


def _variable(branch, name, region):
    sv = branch.state_variables
    if name in sv:
        return branch.states[:, sv.index(name), region]
    model = branch.system.model if branch.system is not None else None
    if model is not None and name in getattr(model, "derived_variables", {}):
        return np.asarray([np.asarray(model.derived(name, s))[region] for s in branch.states])
    raise ValueError(f"name must be one of the state variables {sv}, got {name!r}.")


# -- one-parameter continuation of equilibria -------------------------------------------------------

def _G_eq_impl(static, model, arrays, y):
    d = int(np.prod(static[2]))
    return S._call(static, model, arrays, y[:d], y[d:])


_G_eq = jax.jit(_G_eq_impl, static_argnums=(0,))
_J_eq = jax.jit(jax.jacfwd(_G_eq_impl, argnums=3), static_argnums=(0,))


def _eq_residual(system):
    static, model, arrays = S._split(system)
    model, arrays = S._to64(model), S._to64(arrays)

    def res(y, ctx=None):
        with S.x64():
            return np.asarray(_G_eq(static, model, arrays, np.asarray(y, float)))

    def jac(y, ctx=None):
        with S.x64():
            return np.asarray(_J_eq(static, model, arrays, np.asarray(y, float)))

    return res, jac


def _hopf_test(eigs, imag_tol):
    cplx = eigs[np.abs(eigs.imag) > imag_tol]
    if cplx.size == 0:
        return np.nan
    return float(cplx.real[np.argmin(np.abs(cplx.real))])


def _n_unstable_complex(eigs, imag_tol):
    return int(np.sum((eigs.real > 0) & (np.abs(eigs.imag) > imag_tol)))


class _EqTests:
    """Test functions of equilibria for LP, H, BP at a point y with scaled tangent t."""

    def __init__(self, system, al, jac):
        self.system, self.al, self.jac = system, al, jac
        self.d = system.dim

    def eval(self, y, t):
        J = self.jac(y)
        A = J[:, : self.d]
        eigs = sorted_eigenvalues(A)
        scale = max(1e-12, float(np.max(np.abs(eigs)))) if eigs.size else 1.0
        imag_tol = 1e-8 * scale
        M = np.vstack([J * self.al.w[None, :], t[None, :]])
        sign, _ = np.linalg.slogdet(M)
        return dict(eigs=eigs, LP=float(t[-1]), BP=float(sign), H=_hopf_test(eigs, imag_tol),
                    nuc=_n_unstable_complex(eigs, imag_tol), imag_tol=imag_tol)


def continue_equilibrium(model, param, *, param_range, start=None, network=None, coupling=None,
                         global_coupling=None, regions=None, direction="both", max_steps=200, step=0.01,
                         max_step=0.1, min_step=1e-7, tol=1e-10, detect=("LP", "H", "BP")):
    """Continue a branch of equilibria in one parameter and detect its bifurcations.

    Parameters
    ----------
    model : NeuralMass
        The model; the branch starts at its current value of ``param``.
    param : str
        A name in ``model.parameters()`` (or ``"global_coupling"`` for a network).
    param_range : (float, float)
        The branch stops when the parameter leaves this interval.
    start : array, shape (n_state_variables,) or (n_state_variables, n_regions) | None
        An (approximate) equilibrium to start from; default: the first stable
        equilibrium found by :func:`find_equilibria` (else the first one).
    network, coupling, global_coupling
        As in :func:`find_equilibria` (delay-free linearisation of a network).
    regions : sequence of int | None
        For a network: set the (model) parameter only in these regions (e.g. the
        epileptogenicity ``x0`` of one region); default all regions.
    direction : {"both", "up", "down"}
        Continue from the start towards increasing and/or decreasing ``param``.
    max_steps : int
        Maximum number of continuation steps per direction.
    step, max_step, min_step : float
        Initial, largest and smallest arclength step, in units where the parameter
        range has length 1 and each state component its typical magnitude.
    tol : float
        Newton tolerance (relative, scaled units).
    detect : sequence of {"LP", "H", "BP"}
        Special points to detect and locate.

    Returns
    -------
    Branch
        Parameters, states, eigenvalues, stability and special points (with the
        first Lyapunov coefficient at Hopf points).

    Notes
    -----
    Pseudo-arclength continuation (Keller 1977) with tangent predictor, Newton
    corrector and step control (Allgower & Georg 1990). Folds: zero of ``dp/ds``;
    Hopf: zero of the real part of the complex eigenvalue pair closest to the
    imaginary axis (neutral saddles, real pairs ``±l``, are not reported);
    branch points: sign change of ``det [f_x f_p; t^T]``. The first Lyapunov
    coefficient uses Kuznetsov (2004) eq. 3.20 with exact JAX derivatives.

    Examples
    --------
    >>> jr = JansenRit.jansen_rit_1995(mu=0.0)                       # doctest: +SKIP
    >>> br = continue_equilibrium(jr, "mu", param_range=(-0.05, 0.4))  # doctest: +SKIP
    >>> br.points("H")                                               # doctest: +SKIP
    """
    system = S.make_system(model, (param,), network=network, coupling=coupling, global_coupling=global_coupling,
                           regions=regions)
    lo, hi = _check_range(param_range, "param_range")
    check_option("direction", direction, ("both", "up", "down"))
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    for name, v in (("step", step), ("max_step", max_step), ("min_step", min_step), ("tol", tol)):
        check_positive(v, name)
    detect = tuple(detect)
    for lab in detect:
        check_option("detect", lab, ("LP", "H", "BP"))
    p0 = system.p0()
    if not lo <= p0[0] <= hi:
        raise ValueError(f"the model's {param} = {p0[0]:g} must lie inside param_range ({lo:g}, {hi:g}).")
    x0 = resolve_state(system, start, what="start").reshape(-1)
    X, r = newton(system, x0[None], p0, n_iter=60)
    if not np.isfinite(r[0]) or r[0] > 1e-8:
        raise RuntimeError(f"start is not close to an equilibrium at {param} = {p0[0]:g} (max |f| = {r[0]:.3g} after "
                           "Newton); pass a better start.")
    y0 = np.concatenate([X[0], p0])
    res, jac = _eq_residual(system)
    w = np.concatenate([_state_weights(X[0], system), [hi - lo]])
    parts, reasons = [], []
    dirs = {"both": (1, -1), "up": (1,), "down": (-1,)}[direction]
    for sgn in dirs:
        al = Arclength(res, jac, w, step=step, min_step=min_step, max_step=max_step, tol=tol)
        t0 = al.tangent_from_null(y0, None)
        if t0[-1] * sgn < 0 or (t0[-1] == 0 and sgn < 0):
            t0 = -t0
        pts, sps, reason = _run_branch(system, al, jac, y0, t0, lo, hi, max_steps, detect)
        parts.append((pts, sps))
        reasons.append(f"{'up' if sgn > 0 else 'down'}: {reason}")
    return _assemble_branch(system, param, parts, " | ".join(reasons))


def _state_weights(x, system=None):
    """Scale of each state component: its magnitude, floored by a quarter of the model's typical range."""
    x = np.abs(np.asarray(x, float))
    rms = max(float(np.sqrt(np.mean(x * x))), 1e-3)
    w = np.maximum(x, 0.1 * rms)
    if system is not None:
        from .equilibria import _default_box

        lo, hi = _default_box(system, None)
        half = np.where(np.isfinite(hi - lo), 0.5 * (hi - lo), 1.0)
        w = np.maximum(w, 0.25 * np.repeat(half, system.n_regions))
    return w


def _check_range(rng, name):
    try:
        lo, hi = (float(v) for v in rng)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high) of numbers, got {rng!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be (low, high) with finite low < high, got {rng!r}.")
    return lo, hi


def _run_branch(system, al, jac, y0, t0, lo, hi, max_steps, detect):
    tests = _EqTests(system, al, jac)
    d = system.dim
    y, t = y0, t0
    cur = tests.eval(y, t)
    pts = [(y, cur["eigs"])]
    sps = []
    reason = "max_steps"
    for _ in range(max_steps):
        try:
            y_new, t_new, h = al.step(y, t, None)
        except ContinuationFailure as err:
            reason = f"step size below min_step ({err})"
            break
        new = tests.eval(y_new, t_new)
        found = []
        if "LP" in detect and np.sign(cur["LP"]) * np.sign(new["LP"]) < 0:
            found.append("LP")
        if "BP" in detect and cur["BP"] * new["BP"] < 0:
            found.append("BP")
        if ("H" in detect and cur["nuc"] != new["nuc"] and np.isfinite(cur["H"]) and np.isfinite(new["H"])
                and np.sign(cur["H"]) != np.sign(new["H"])):
            found.append("H")
        located = []
        for lab in found:
            def test(yy, lab=lab):
                tt = al.tangent(yy, None, t)
                return tests.eval(yy, tt)[lab]
            loc = al.locate(y, t, h, None, test, cur[lab], new[lab])
            if loc is None:
                continue
            y_sp, h_sp = loc
            if not 0.0 < h_sp < h:
                continue
            located.append((h_sp, lab, y_sp))
        for h_sp, lab, y_sp in sorted(located, key=lambda v: v[0]):
            A = jac(y_sp)[:, :d]
            eigs = sorted_eigenvalues(A)
            pts.append((y_sp, eigs))
            sps.append((len(pts) - 1, lab, y_sp, _special_data(system, lab, y_sp, A, jac(y_sp)[:, d:], eigs)))
        pts.append((y_new, new["eigs"]))
        y, t, cur = y_new, t_new, new
        if not lo <= y[-1] <= hi:
            reason = "param_range"
            break
    return pts, sps, reason


def _special_data(system, lab, y, A, fp, eigs):
    d = system.dim
    x, p = y[:d], y[d:]
    if lab == "H":
        cplx = eigs[np.abs(eigs.imag) > 0]
        lam = cplx[np.argmin(np.abs(cplx.real))] if cplx.size else 0j
        omega = abs(float(lam.imag))
        try:
            l1 = first_lyapunov(system, x, p, A, omega)
        except np.linalg.LinAlgError:
            l1 = np.nan
        kind = "supercritical" if l1 < 0 else "subcritical" if l1 > 0 else "degenerate"
        return {"omega": omega, "frequency_hz": omega / (2 * np.pi) * 1000.0, "l1": l1, "kind": kind,
                "period_ms": 2 * np.pi / omega if omega else np.inf}
    if lab == "LP":
        a, b, _ = fold_coefficient(system, x, p, A, fp)
        return {"a": a, "b": b}
    return {}


def _assemble_branch(system, param, parts, reason):
    d = system.dim
    if len(parts) == 2:
        (up, sup), (down, sdown) = parts
        n_down = len(down)
        pts = down[::-1] + up[1:]
        sps = [(n_down - 1 - i, lab, y, data) for i, lab, y, data in sdown] + \
              [(n_down - 1 + i, lab, y, data) for i, lab, y, data in sup]
    else:
        pts, sps = parts[0]
    params = np.array([y[d] for y, _ in pts])
    states = np.stack([y[:d].reshape(system.shape) for y, _ in pts])
    eigs = np.stack([e for _, e in pts])
    special = tuple(sorted((SpecialPoint(lab, int(i), float(y[d]), y[:d].reshape(system.shape), data)
                            for i, lab, y, data in sps), key=lambda s: s.index))
    return Branch(param=param, params=params, states=states, eigenvalues=eigs, stable=np.all(eigs.real < 0, axis=1),
                  n_unstable=(eigs.real > 0).sum(axis=1).astype(int), special_points=special,
                  state_variables=tuple(system.model.state_variables), stop_reason=reason, system=system)


# -- two-parameter continuation of folds and Hopf points ----------------------------------------------

@dataclasses.dataclass(frozen=True, repr=False)
class Locus:
    """A curve of folds or Hopf points in two parameters, from :func:`continue_bifurcation`.

    Attributes
    ----------
    kind : {"LP", "H"}
    params : tuple of str
        The two parameter names ``(param, param2)``.
    values : ndarray, shape (n_points, 2)
        Parameter values along the curve.
    states : ndarray, shape (n_points, n_state_variables, n_regions)
        The equilibrium at each point.
    omega : ndarray, shape (n_points,)
        Hopf angular frequency (rad/ms); NaN on a fold curve.
    l1 : ndarray, shape (n_points,)
        First Lyapunov coefficient on a Hopf curve (NaN on a fold curve).
    special_points : tuple of SpecialPoint
        ``"CP"``, ``"BT"``, ``"GH"``.
    stop_reason : str
    """

    kind: str
    params: tuple
    values: np.ndarray
    states: np.ndarray
    omega: np.ndarray
    l1: np.ndarray
    special_points: tuple
    stop_reason: str

    def __len__(self):
        return len(self.values)

    def points(self, label=None):
        """Special points (``"CP"``, ``"BT"``, ``"GH"``), optionally only those with ``label``."""
        return tuple(sp for sp in self.special_points if label is None or sp.label == label)

    def __repr__(self):
        return (f"<Locus {self.kind} | {self.params[0]} in [{self.values[:, 0].min():.4g}, "
                f"{self.values[:, 0].max():.4g}], {self.params[1]} in [{self.values[:, 1].min():.4g}, "
                f"{self.values[:, 1].max():.4g}], {len(self)} points, {len(self.special_points)} special points>")


def _locus_residual(system, kind, d, v_ref):
    static, model, arrays = S._split(system)
    model, arrays = S._to64(model), S._to64(arrays)

    def fx(x, p):
        return S._call(static, model, arrays, x, p)

    if kind == "LP":
        def G(y):
            x, v, p = y[:d], y[d:2 * d], y[2 * d:]
            f = fx(x, p)
            Av = jax.jvp(lambda xx: fx(xx, p), (x,), (v,))[1]
            return jnp.concatenate([f, Av, jnp.atleast_1d(v @ v_ref - 1.0)])
    else:
        qr0, qi0 = v_ref

        def G(y):
            x, qr, qi, w, p = y[:d], y[d:2 * d], y[2 * d:3 * d], y[3 * d], y[3 * d + 1:]
            f = fx(x, p)
            Aqr = jax.jvp(lambda xx: fx(xx, p), (x,), (qr,))[1]
            Aqi = jax.jvp(lambda xx: fx(xx, p), (x,), (qi,))[1]
            return jnp.concatenate([f, Aqr + w * qi, Aqi - w * qr,
                                    jnp.atleast_1d(qr @ qr0 + qi @ qi0 - 1.0), jnp.atleast_1d(qr @ qi0 - qi @ qr0)])

    Gj = jax.jit(G)
    Jj = jax.jit(jax.jacfwd(G))

    def res(y, ctx=None):
        with S.x64():
            return np.asarray(Gj(np.asarray(y, float)))

    def jac(y, ctx=None):
        with S.x64():
            return np.asarray(Jj(np.asarray(y, float)))

    return res, jac


def continue_bifurcation(branch, point, param2, *, param_range, param2_range, max_steps=200, step=0.01,
                         max_step=0.1, min_step=1e-7, tol=1e-10, direction="both"):
    """Continue a fold (LP) or Hopf (H) point of a :class:`Branch` in two parameters.

    Parameters
    ----------
    branch : Branch
        The branch (from :func:`continue_equilibrium`) on which the point lies.
    point : SpecialPoint | int
        The fold or Hopf point (a :class:`SpecialPoint` of ``branch``, or an index into
        ``branch.special_points``).
    param2 : str
        Second parameter (a name in ``model.parameters()`` or ``"global_coupling"``).
    param_range, param2_range : (float, float)
        The curve stops when either parameter leaves its interval.
    max_steps, step, max_step, min_step, tol, direction
        As in :func:`continue_equilibrium`.

    Returns
    -------
    Locus
        The curve of the bifurcation in the ``(param, param2)`` plane, with cusp
        (``"CP"``), Bogdanov-Takens (``"BT"``) and generalised-Hopf (``"GH"``) points.

    Examples
    --------
    >>> br = continue_equilibrium(JansenRit.jansen_rit_1995(mu=0.0), "mu", param_range=(-0.05, 0.4))  # doctest: +SKIP
    >>> hopf = continue_bifurcation(br, br.points("H")[0], "A", param_range=(-0.1, 0.5), param2_range=(2, 5))  # doctest: +SKIP
    """
    validate_type(branch, Branch, "branch")
    if isinstance(point, (int, np.integer)) and not isinstance(point, bool):
        if not 0 <= point < len(branch.special_points):
            raise ValueError(f"point must index branch.special_points (0..{len(branch.special_points) - 1}), got {point}.")
        point = branch.special_points[point]
    validate_type(point, SpecialPoint, "point", "a SpecialPoint or an int")
    if point.label not in ("LP", "H"):
        raise ValueError(f"point must be a fold ('LP') or Hopf ('H') point, got label {point.label!r}.")
    sys1 = branch.system
    (param2,) = S.check_params(sys1.model, (param2,), net=sys1.net, what="param2")
    if param2 == branch.param:
        raise ValueError(f"param2 must differ from the branch parameter {branch.param!r}.")
    lo1, hi1 = _check_range(param_range, "param_range")
    lo2, hi2 = _check_range(param2_range, "param2_range")
    check_option("direction", direction, ("both", "up", "down"))
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    model_at, net_at = sys1.model_at([point.param])
    system = S.System(model_at, (branch.param, param2), net_at, sys1.regions)
    p = system.p0()
    if not lo2 <= p[1] <= hi2:
        raise ValueError(f"the model's {param2} = {p[1]:g} must lie inside param2_range ({lo2:g}, {hi2:g}).")
    d = system.dim
    x = point.state.reshape(-1)
    A = S.jac_x(system, x, p)
    kind = point.label
    if kind == "LP":
        _, _, vt = np.linalg.svd(A)
        v = vt[-1]
        v_ref = v.copy()
        y0 = np.concatenate([x, v, p])
        w = np.concatenate([_state_weights(x, system), np.ones(d) / np.sqrt(d), [hi1 - lo1, hi2 - lo2]])
    else:
        omega = point.data["omega"]
        q, _ = hopf_vectors(A, omega)
        qr, qi = np.real(q), np.imag(q)
        v_ref = (qr.copy(), qi.copy())
        y0 = np.concatenate([x, qr, qi, [omega], p])
        w = np.concatenate([_state_weights(x), np.ones(2 * d) / np.sqrt(d), [omega], [hi1 - lo1, hi2 - lo2]])
    res, jac = _locus_residual(system, kind, d, v_ref)
    # polish the start with the second parameter fixed
    y0 = _polish_fixed_last(res, jac, y0)
    parts, reasons = [], []
    dirs = {"both": (1, -1), "up": (1,), "down": (-1,)}[direction]
    for sgn in dirs:
        al = Arclength(res, jac, w, step=step, min_step=min_step, max_step=max_step, tol=tol)
        t0 = al.tangent_from_null(y0, None)
        if t0[-1] * sgn < 0:
            t0 = -t0
        pts, reason = _run_locus(system, al, y0, t0, (lo1, hi1), (lo2, hi2), max_steps, kind)
        parts.append(pts)
        reasons.append(f"{'up' if sgn > 0 else 'down'}: {reason}")
    pts = parts[0] if len(parts) == 1 else parts[1][::-1] + parts[0][1:]
    return _assemble_locus(system, kind, pts, " | ".join(reasons))


def _polish_fixed_last(res, jac, y0, n_iter=30):
    y = np.asarray(y0, float).copy()
    for _ in range(n_iter):
        G = res(y)
        J = jac(y)[:, :-1]
        dy = np.linalg.lstsq(J, -G, rcond=None)[0]
        y[:-1] += dy
        if np.linalg.norm(dy) < 1e-13 * (1 + np.linalg.norm(y)):
            break
    return y


class _LocusTests:
    """Test functions of codimension-two points along a fold or Hopf curve.

    Fold curve (Govaerts 2000, sec. 4.3; Kuznetsov 2004, sec. 10.2.2): with unit null
    vectors ``A q = 0`` (``q`` the continued ``v``) and ``A^T p = 0``, both oriented
    continuously along the curve, the cusp test is ``<p, B(q, q)>`` (the unscaled
    quadratic normal-form coefficient) and the Bogdanov-Takens test is ``<p, q>``
    (zero when the zero eigenvalue becomes double: ``q`` then lies in the range of
    ``A``). Hopf curve: Bogdanov-Takens where ``omega`` changes sign (the Hopf curve
    ends there, ``omega^2`` reaching 0), generalised Hopf where ``l1`` does.
    """

    def __init__(self, system, kind):
        self.system, self.kind = system, kind
        self.d = system.dim
        self.p_ref = None

    def left_null(self, A):
        _, _, vt = np.linalg.svd(A.T)
        p = vt[-1]
        if self.p_ref is not None and p @ self.p_ref < 0:
            p = -p
        return p

    def eval(self, y):
        d, system = self.d, self.system
        x, p = y[:d], y[-2:]
        A = S.jac_x(system, x, p)
        if self.kind == "H":
            w = float(y[3 * d])
            l1 = np.nan
            if abs(w) > 1e-9:
                try:
                    l1 = first_lyapunov(system, x, p, A, abs(w))
                except np.linalg.LinAlgError:
                    pass
            return {"BT": w, "GH": l1}
        from ._normal_form import _forms

        q = y[d:2 * d] / np.linalg.norm(y[d:2 * d])
        pl = self.left_null(A)
        B, _ = _forms(system, x, p)
        return {"CP": float(pl @ B(q, q)), "BT": float(pl @ q), "p": pl}

    def accept(self, vals):
        if "p" in vals:
            self.p_ref = vals["p"]


def _run_locus(system, al, y0, t0, r1, r2, max_steps, kind):
    d = system.dim
    tests = _LocusTests(system, kind)
    y, t = y0, t0
    cur = tests.eval(y)
    tests.accept(cur)
    pts = [(y, None)]
    reason = "max_steps"
    labels = ("BT", "GH") if kind == "H" else ("CP", "BT")
    for _ in range(max_steps):
        try:
            y_new, t_new, h = al.step(y, t, None)
        except ContinuationFailure as err:
            reason = f"step size below min_step ({err})"
            break
        new = tests.eval(y_new)
        located = []
        for lab in labels:
            a, b = cur[lab], new[lab]
            if not (np.isfinite(a) and np.isfinite(b) and a * b < 0):
                continue

            def test(yy, lab=lab):
                return tests.eval(yy)[lab]

            loc = al.locate(y, t, h, None, test, a, b)
            if loc is None or not 0.0 < loc[1] < h:
                continue
            located.append((loc[1], lab, loc[0]))
        stop = False
        for _, lab, y_sp in sorted(located, key=lambda v: v[0]):
            pts.append((y_sp, lab))
            if kind == "H" and lab == "BT":
                stop = True
                break
        if stop:
            reason = "omega reached 0 (Bogdanov-Takens)"
            break
        pts.append((y_new, None))
        y, t, cur = y_new, t_new, new
        tests.accept(cur)
        if kind == "H" and y[3 * d] <= 0:
            reason = "omega reached 0 (Bogdanov-Takens)"
            break
        if not (r1[0] <= y[-2] <= r1[1] and r2[0] <= y[-1] <= r2[1]):
            reason = "param_range"
            break
    return pts, reason


def _assemble_locus(system, kind, pts, reason):
    d = system.dim
    Y = np.stack([y for y, _ in pts])
    values = Y[:, -2:]
    states = Y[:, :d].reshape((len(Y),) + system.shape)
    omega = Y[:, 3 * d] if kind == "H" else np.full(len(Y), np.nan)
    l1 = np.full(len(Y), np.nan)
    if kind == "H":
        for k, y in enumerate(Y):
            if omega[k] > 1e-9:
                try:
                    l1[k] = first_lyapunov(system, y[:d], y[-2:], S.jac_x(system, y[:d], y[-2:]), omega[k])
                except np.linalg.LinAlgError:
                    pass
    sps = []
    for k, (y, lab) in enumerate(pts):
        if lab is None:
            continue
        data = {}
        if kind == "H":
            data = {"omega": float(y[3 * d])}
            if lab == "GH":
                data["l1"] = float(l1[k]) if np.isfinite(l1[k]) else 0.0
        else:
            A = S.jac_x(system, y[:d], y[-2:])
            data = {"eigenvalues": sorted_eigenvalues(A)}
        sps.append(SpecialPoint(lab, k, y[-2:].copy(), y[:d].reshape(system.shape), data))
    return Locus(kind=kind, params=tuple(system.params), values=values, states=states, omega=omega, l1=l1,
                 special_points=tuple(sps), stop_reason=reason)
