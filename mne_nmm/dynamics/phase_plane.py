"""Phase portraits: vector field, nullclines and trajectories in the plane of any two state variables."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_int, check_positive, validate_type
from . import _system as S
from .cycles import integrate


@dataclasses.dataclass(frozen=True, repr=False)
class PhasePortrait:
    """Data of a phase portrait (from :func:`phase_portrait`).

    Attributes
    ----------
    x, y : str
        The two state variables (abscissa, ordinate).
    x_grid, y_grid : ndarray, shape (n_grid,)
    u, v : ndarray, shape (n_grid, n_grid)
        ``dx/dt`` and ``dy/dt`` on the grid (``[i, j]`` at ``y_grid[i], x_grid[j]``); the
        nullclines are their zero contours.
    trajectories : ndarray, shape (n_trajectories, n_times, 2)
        Trajectories of the full model projected on ``(x, y)``.
    equilibria : ndarray, shape (n_equilibria, 2)
        Equilibria of the full model lying in the plotted window.
    equilibria_stable : ndarray of bool, shape (n_equilibria,)
    fixed : dict
        Values of the other state variables on the grid.
    """

    x: str
    y: str
    x_grid: np.ndarray
    y_grid: np.ndarray
    u: np.ndarray
    v: np.ndarray
    trajectories: np.ndarray
    equilibria: np.ndarray
    equilibria_stable: np.ndarray
    fixed: dict

    def __repr__(self):
        return (f"<PhasePortrait | {self.x} x {self.y}, {len(self.x_grid)}x{len(self.y_grid)} grid, "
                f"{len(self.trajectories)} trajectories, {len(self.equilibria)} equilibria>")


def phase_portrait(model, x, y, *, x_range, y_range, n_grid=30, fixed=None, starts=None, duration_ms=500.0,
                   dt_ms=0.1, find_equilibria_kw=None):
    """Vector field, nullclines, trajectories and equilibria in the plane of two state variables.

    Parameters
    ----------
    model : NeuralMass
        A single node (any number of state variables).
    x, y : str
        State variables on the axes.
    x_range, y_range : (float, float)
        Window.
    n_grid : int
        Grid points per axis.
    fixed : dict of str -> float | None
        Values of the other state variables on the grid (default: those of the
        first stable equilibrium, else ``model.default_initial()``).
    starts : array, shape (n, 2) | None
        Initial ``(x, y)`` of trajectories (others at ``fixed``); default a 3 x 3 grid.
    duration_ms, dt_ms : float
        Trajectory length and RK4 step (ms).
    find_equilibria_kw : dict | None
        Extra arguments of :func:`~mne_nmm.dynamics.find_equilibria`.

    Returns
    -------
    PhasePortrait
    """
    from .continuation import _check_range
    from .equilibria import find_equilibria

    system = S.make_system(model)
    sv = model.state_variables
    for name, val in (("x", x), ("y", y)):
        if val not in sv:
            raise ValueError(f"{name} must be one of the state variables {sv}, got {val!r}.")
    if x == y:
        raise ValueError(f"x and y must be different state variables, got {x!r} twice.")
    xr = _check_range(x_range, "x_range")
    yr = _check_range(y_range, "y_range")
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    duration_ms = check_positive(duration_ms, "duration_ms")
    dt_ms = check_positive(dt_ms, "dt_ms")
    eq = find_equilibria(model, **(find_equilibria_kw or {}))
    base = np.asarray(model.default_initial(), float)
    if len(eq):
        k = int(np.argmax(eq.stable)) if np.any(eq.stable) else 0
        base = eq.states[k, :, 0].copy()
    if fixed is not None:
        validate_type(fixed, dict, "fixed")
        for name, val in fixed.items():
            if name not in sv:
                raise ValueError(f"fixed keys must be state variables {sv}, got {name!r}.")
            base[sv.index(name)] = float(val)
    ix, iy = sv.index(x), sv.index(y)
    xg = np.linspace(*xr, n_grid)
    yg = np.linspace(*yr, n_grid)
    XX, YY = np.meshgrid(xg, yg)
    pts = np.repeat(base[None], XX.size, axis=0)
    pts[:, ix] = XX.ravel()
    pts[:, iy] = YY.ravel()
    static, mdl, arrays = S._split(system)
    p = system.p0()
    with S.x64():
        F = np.asarray(jax.vmap(lambda z: S._call(static, S._to64(mdl), S._to64(arrays), z, jnp.asarray(p)))(
            jnp.asarray(pts)))
    U = F[:, ix].reshape(XX.shape)
    V = F[:, iy].reshape(XX.shape)
    if starts is None:
        sx = np.linspace(*xr, 5)[1:-1]
        sy = np.linspace(*yr, 5)[1:-1]
        starts = np.array([(a, b) for a in sx for b in sy])
    starts = np.atleast_2d(np.asarray(starts, float))
    if starts.shape[1] != 2:
        raise ValueError(f"starts must have shape (n, 2), got {starts.shape}.")
    n = int(round(duration_ms / dt_ms))
    trajs = []
    for sx_, sy_ in starts:
        x0 = base.copy()
        x0[ix], x0[iy] = sx_, sy_
        tr = integrate(system, x0, p, dt_ms, n)
        trajs.append(tr[:, [ix, iy]])
    if len(eq):
        E = eq.states[:, [ix, iy], 0]
        inside = (E[:, 0] >= xr[0]) & (E[:, 0] <= xr[1]) & (E[:, 1] >= yr[0]) & (E[:, 1] <= yr[1])
        E, st = E[inside], eq.stable[inside]
    else:
        E, st = np.zeros((0, 2)), np.zeros(0, bool)
    others = {v: float(base[i]) for i, v in enumerate(sv) if i not in (ix, iy)}
    return PhasePortrait(x=x, y=y, x_grid=xg, y_grid=yg, u=U, v=V, trajectories=np.stack(trajs), equilibria=E,
                         equilibria_stable=st, fixed=others)
