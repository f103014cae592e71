"""Pseudo-arclength continuation of the zero set of ``G(y) = 0``, ``G: R^m -> R^(m-1)``.

Keller's (1977) method: Euler predictor along the unit tangent ``t`` (the null
vector of ``G_y``, oriented by the previous tangent), Newton corrector on the
hyperplane orthogonal to ``t`` through the predicted point, and step control by
the number of Newton iterations (Allgower & Georg 1990, ch. 6; Kuznetsov 2004,
ch. 10.2). Components are scaled (``y = w * z``) so that one step is a comparable
fraction of each unknown's range. Zeros of test functions between two accepted
points are located by the Illinois (modified regula falsi) method on the step
length, each trial point being corrected back onto the curve.

References
----------
Keller H.B. (1977) Numerical solution of bifurcation and nonlinear eigenvalue problems.
In: Applications of Bifurcation Theory, Academic Press, 359-384.
Allgower E.L., Georg K. (1990) Numerical Continuation Methods. Springer.
Kuznetsov Yu.A. (2004) Elements of Applied Bifurcation Theory, 3rd ed., Springer, ch. 10.
"""

from __future__ import annotations

import numpy as np


class ContinuationFailure(RuntimeError):
    """The corrector did not converge."""


class Arclength:
    """Stateful pseudo-arclength continuation.

    Parameters
    ----------
    residual, jacobian : callable
        ``residual(y, ctx) -> (m-1,)`` and ``jacobian(y, ctx) -> (m-1, m)``; ``ctx`` is
        the last accepted point (for moving phase conditions), passed unchanged.
    weights : ndarray (m,)
        Scale of each unknown (``y = weights * z``).
    """

    def __init__(self, residual, jacobian, weights, *, step=0.01, min_step=1e-7, max_step=0.1, tol=1e-9,
                 max_newton=8, res_tol=1e-7):
        self.residual = residual
        self.jacobian = jacobian
        self.w = np.asarray(weights, float)
        self.h = float(step)
        self.hmin = float(min_step)
        self.hmax = float(max_step)
        self.tol = float(tol)
        self.max_newton = int(max_newton)
        self.res_tol = float(res_tol)
        self.solve = np.linalg.solve  # replaceable by a sparse solver (collocation)

    def set_weights(self, weights, t):
        """Change the scaling; returns the scaled tangent ``t`` expressed in the new scaling."""
        w_new = np.asarray(weights, float)
        t_new = t * self.w / w_new
        self.w = w_new
        return t_new / np.linalg.norm(t_new)

    # scaled helpers
    def _G(self, z, ctx):
        return np.asarray(self.residual(self.w * z, ctx), float)

    def _J(self, z, ctx):
        return np.asarray(self.jacobian(self.w * z, ctx), float) * self.w[None, :]

    def tangent(self, y, ctx, ref, jac=None):
        """Unit tangent (scaled coordinates) at ``y``, oriented along ``ref`` (scaled)."""
        z = y / self.w
        J = self._J(z, ctx) if jac is None else jac * self.w[None, :]
        M = np.vstack([J, ref[None, :]])
        rhs = np.zeros(M.shape[0])
        rhs[-1] = 1.0
        try:
            t = self.solve(M, rhs)
        except np.linalg.LinAlgError:
            t = np.linalg.lstsq(M, rhs, rcond=None)[0]
        t /= np.linalg.norm(t)
        if t @ ref < 0:
            t = -t
        return t

    def tangent_from_null(self, y, ctx):
        """Unit tangent from the null space of ``G_y`` (no reference; sign arbitrary)."""
        J = self._J(y / self.w, ctx)
        _, _, vt = np.linalg.svd(J)
        return vt[-1]

    def correct(self, y_base, t, h, ctx):
        """Newton corrector from ``y_base + h t`` (scaled tangent ``t``). Returns ``(y, n_iter)``."""
        z0 = y_base / self.w
        zp = z0 + h * t
        z = zp.copy()
        for it in range(1, self.max_newton + 1):
            G = self._G(z, ctx)
            J = self._J(z, ctx)
            F = np.concatenate([G, [t @ (z - zp)]])
            M = np.vstack([J, t[None, :]])
            try:
                dz = self.solve(M, -F)
            except np.linalg.LinAlgError:
                raise ContinuationFailure("singular corrector matrix") from None
            if not np.all(np.isfinite(dz)):
                raise ContinuationFailure("non-finite Newton step")
            z = z + dz
            if np.linalg.norm(dz) < self.tol * (1.0 + np.linalg.norm(z)) and \
                    np.linalg.norm(self._G(z, ctx)) < self.res_tol:
                if np.linalg.norm(z - zp) > 2.0 * abs(h) + 1e-12:
                    raise ContinuationFailure("corrector jumped away from the predicted point")
                return self.w * z, it
        raise ContinuationFailure(f"Newton did not converge in {self.max_newton} iterations")

    def step(self, y, t, ctx):
        """One accepted step from ``(y, t)``: returns ``(y_new, t_new, h_used)``; raises when h < min_step."""
        while True:
            h = self.h
            try:
                y_new, n_it = self.correct(y, t, h, ctx)
                t_new = self.tangent(y_new, ctx, t)
                if t_new @ t < 0.8:  # too sharp a turn: likely a jump between branches
                    raise ContinuationFailure("tangent turned too sharply")
            except ContinuationFailure:
                self.h = h / 2.0
                if self.h < self.hmin:
                    raise
                continue
            if n_it <= 3:
                self.h = min(h * 1.5, self.hmax)
            elif n_it >= 6:
                self.h = max(h * 0.7, self.hmin)
            return y_new, t_new, h

    def locate(self, y_base, t, h_end, ctx, test, phi0, phi1, *, max_iter=30, xtol=1e-10):
        """Zero of ``test(y)`` on the curve between ``y_base`` (h=0, value phi0) and the point at ``h_end`` (phi1).

        Illinois method on ``h``. Returns ``(y, h)``; ``None`` if the corrector fails.
        """
        a, b = 0.0, float(h_end)
        fa, fb = float(phi0), float(phi1)
        y_best, side = None, 0
        for _ in range(max_iter):
            if fb == fa:
                break
            c = b - fb * (b - a) / (fb - fa)
            if not (min(a, b) < c < max(a, b)):
                c = 0.5 * (a + b)
            try:
                y_c, _ = self.correct(y_base, t, c, ctx)
            except ContinuationFailure:
                return None
            fc = float(test(y_c))
            y_best = (y_c, c)
            if not np.isfinite(fc):
                return None
            if fc == 0.0 or abs(b - a) < xtol * max(1.0, abs(h_end)):
                break
            if np.sign(fc) == np.sign(fb):
                b, fb = c, fc
                if side == -1:
                    fa /= 2.0
                side = -1
            else:
                a, fa = c, fc
                if side == 1:
                    fb /= 2.0
                side = 1
            if abs(b - a) < xtol * max(1.0, abs(h_end)):
                break
        return y_best
