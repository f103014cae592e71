"""Normal-form coefficients of codimension-one bifurcations of equilibria.

The multilinear forms ``B(u, v)`` and ``C(u, v, w)`` of the Taylor expansion
``f(x0 + u) = A u + B(u, u)/2 + C(u, u, u)/6 + ...`` are computed exactly by nested
forward-mode derivatives (:func:`jax.jvp`) of the model's vector field; complex
arguments are expanded by multilinearity.

* Fold (saddle-node): ``a = <p, B(q, q)> / 2`` with ``A q = 0``, ``A^T p = 0``,
  ``<p, q> = 1`` (Kuznetsov 2004, eq. 3.14 and sec. 3.5).
* Hopf: the first Lyapunov coefficient (Kuznetsov 2004, eq. 3.20)::

      l1 = Re[ <p, C(q, q, q̄)> - 2 <p, B(q, A^-1 B(q, q̄))>
               + <p, B(q̄, (2 i w I - A)^-1 B(q, q))> ] / (2 w)

  with ``A q = i w q``, ``A^T p = -i w p``, ``<p, q> = p̄ᵀ q = 1``. ``l1 < 0``: a
  supercritical Hopf (a stable cycle is born), ``l1 > 0``: subcritical.

References
----------
Kuznetsov Yu.A. (2004) Elements of Applied Bifurcation Theory, 3rd ed., Springer, sec. 3.5
(eq. 3.20) and sec. 8.7 (computation of normal forms).
"""

from __future__ import annotations

import itertools

import jax
import numpy as np

from ._system import _split, _to64, _call, x64


def _d2_impl(static, model, arrays, x, p, u, v):
    def fx(xx):
        return _call(static, model, arrays, xx, p)

    return jax.jvp(lambda y: jax.jvp(fx, (y,), (u,))[1], (x,), (v,))[1]


def _d3_impl(static, model, arrays, x, p, u, v, w):
    return jax.jvp(lambda y: _d2_impl(static, model, arrays, y, p, u, v), (x,), (w,))[1]


_d2 = jax.jit(_d2_impl, static_argnums=(0,))
_d3 = jax.jit(_d3_impl, static_argnums=(0,))


def _forms(system, x, p):
    """Real multilinear forms B(u, v), C(u, v, w) of f at (x, p), extended to complex vectors."""
    static, model, arrays = _split(system)
    model, arrays = _to64(model), _to64(arrays)
    x = np.asarray(x, float)
    p = np.asarray(p, float)

    def B(u, v):
        with x64():
            return _complex_multilinear(lambda a, b: np.asarray(_d2(static, model, arrays, x, p, a, b)), (u, v))

    def C(u, v, w):
        with x64():
            return _complex_multilinear(lambda a, b, c: np.asarray(_d3(static, model, arrays, x, p, a, b, c)),
                                        (u, v, w))

    return B, C


def _complex_multilinear(fn, vecs):
    vecs = [np.asarray(v) for v in vecs]
    if not any(np.iscomplexobj(v) for v in vecs):
        return fn(*[v.astype(float) for v in vecs])
    parts = [(np.real(v).astype(float), np.imag(v).astype(float)) for v in vecs]
    out = 0.0
    for choice in itertools.product((0, 1), repeat=len(vecs)):
        args = [parts[k][c] for k, c in enumerate(choice)]
        if any(not np.any(a) for a in args):
            continue
        out = out + (1j ** sum(choice)) * fn(*args)
    if np.isscalar(out):
        return np.zeros(vecs[0].shape, dtype=complex)
    return np.asarray(out, dtype=complex)


def hopf_vectors(A, omega):
    """``q, p`` with ``A q = i w q``, ``A^T p = -i w p``, ``|q| = 1``, ``p̄ᵀ q = 1``."""
    n = A.shape[0]
    w, V = np.linalg.eig(A)
    k = int(np.argmin(np.abs(w - 1j * omega)))
    q = V[:, k]
    # make Re q and Im q orthogonal with |Re q| >= |Im q| (fixes the arbitrary phase)
    theta = 0.5 * np.arctan2(-2.0 * np.real(q) @ np.imag(q), np.real(q) @ np.real(q) - np.imag(q) @ np.imag(q))
    q = q * np.exp(1j * theta)
    if np.linalg.norm(np.imag(q)) > np.linalg.norm(np.real(q)):
        q = q * 1j
    q = q / np.linalg.norm(q)
    wt, Vt = np.linalg.eig(A.T)
    k2 = int(np.argmin(np.abs(wt + 1j * omega)))
    p = Vt[:, k2]
    p = p / np.conj(np.conj(p) @ q)  # p̄ᵀ q = 1
    del n
    return q, p


def first_lyapunov(system, x, p_val, A, omega):
    """First Lyapunov coefficient (Kuznetsov 2004, eq. 3.20); see the module docstring."""
    B, C = _forms(system, x, p_val)
    q, p = hopf_vectors(A, omega)
    qb = np.conj(q)
    n = A.shape[0]
    s1 = np.linalg.solve(A, B(q, qb))
    s2 = np.linalg.solve(2j * omega * np.eye(n) - A, B(q, q))
    val = np.conj(p) @ C(q, q, qb) - 2.0 * (np.conj(p) @ B(q, s1)) + np.conj(p) @ B(qb, s2)
    return float(np.real(val) / (2.0 * omega))


def fold_coefficient(system, x, p_val, A, fp):
    """Fold normal-form coefficients ``(a, b)``: ``a = <p, B(q, q)>/2``, ``b = <p, f_p>`` (``<p, q> = 1``).

    With ``A q = 0``, ``A^T p = 0`` the restricted equation near the fold is
    ``u' = b (alpha - alpha_LP) + a u^2`` (Kuznetsov 2004, eq. 3.14); ``a != 0`` and
    ``b != 0`` make it a non-degenerate saddle-node.
    """
    B, _ = _forms(system, x, p_val)
    _, _, vt = np.linalg.svd(A)
    q = vt[-1]
    _, _, vt2 = np.linalg.svd(A.T)
    pv = vt2[-1]
    pv = pv / (pv @ q)
    a = 0.5 * float(pv @ B(q, q))
    b = float(pv @ np.asarray(fp).reshape(-1))
    return a, b, q
