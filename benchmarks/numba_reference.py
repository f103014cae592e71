"""Hand-written numba reference loops for the reference workloads (BENCHMARKS.md).

They do the same work as ``mne_nmm.simulate`` on W1/W2/W3: stochastic Heun (TVB's
scheme: delayed coupling evaluated once per step), float64, a sparse loop over
connected pairs, a ring buffer of the coupled variables, output every 1 ms. The ring has a
power-of-two length so that the row of a delayed read is a bit mask, not an integer modulo
(the modulo cost ~12% of W2).
Used only by ``benchmarks/run_benchmarks.py`` (run by hand, never by CI).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def _ring(delays):
    """Smallest power of two > the largest delay (rows of the history ring)."""
    return 1 << int(delays.max()).bit_length()


def sparse_lists(weights, delays):
    """CSR-like incoming lists: for target i, pairs ptr[i]:ptr[i+1] with sources src and delays dly."""
    n = weights.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    src, dly, w = [], [], []
    for i in range(n):
        js = np.flatnonzero(weights[i])
        src.extend(js)
        dly.extend(delays[i, js])
        w.extend(weights[i, js])
        ptr[i + 1] = len(src)
    return ptr, np.array(src, np.int64), np.array(dly, np.int64), np.array(w, np.float64)


@njit(cache=True, fastmath=False)
def _hopf_run(x0, y0, ptr, src, dly, w, G, a, omega, dt, sigma, n_steps, every, L, seed):
    np.random.seed(seed)
    mask = L - 1  # L is a power of two
    n = x0.shape[0]
    hx = np.empty((L, n))
    hy = np.empty((L, n))
    for t in range(L):
        hx[t] = x0
        hy[t] = y0
    x = x0.copy()
    y = y0.copy()
    rows = np.zeros(n)
    for i in range(n):
        for p in range(ptr[i], ptr[i + 1]):
            rows[i] += w[p]
    out = np.empty((n_steps // every, n))
    cx = np.empty(n)
    cy = np.empty(n)
    sq = np.sqrt(dt) * sigma
    k = 0
    for step in range(n_steps):
        for i in range(n):
            sx = 0.0
            sy = 0.0
            for p in range(ptr[i], ptr[i + 1]):
                r = (step - dly[p]) & mask
                sx += w[p] * hx[r, src[p]]
                sy += w[p] * hy[r, src[p]]
            cx[i] = G * (sx - rows[i] * x[i])
            cy[i] = G * (sy - rows[i] * y[i])
        for i in range(n):
            zx = np.random.standard_normal() * sq
            zy = np.random.standard_normal() * sq
            r2 = x[i] * x[i] + y[i] * y[i]
            fx = (a - r2) * x[i] - omega * y[i] + cx[i]
            fy = (a - r2) * y[i] + omega * x[i] + cy[i]
            px = x[i] + dt * fx + zx
            py = y[i] + dt * fy + zy
            r2p = px * px + py * py
            gx = (a - r2p) * px - omega * py + cx[i]
            gy = (a - r2p) * py + omega * px + cy[i]
            x[i] = x[i] + 0.5 * dt * (fx + gx) + zx
            y[i] = y[i] + 0.5 * dt * (fy + gy) + zy
        r = (step + 1) & mask
        hx[r] = x
        hy[r] = y
        if (step + 1) % every == 0:
            out[k] = x
            k += 1
    return out


@njit(cache=True)
def _sigm(v, nu_max, r, v0):
    return 2.0 * nu_max / (1.0 + np.exp(r * (v0 - v)))


@njit(cache=True)
def _jr_rhs(y, c, A, B, a, b, v0, nu_max, r, J, a1, a2, a3, a4, mu, out):
    s12 = _sigm(y[1] - y[2], nu_max, r, v0)
    s01 = _sigm(a1 * J * y[0], nu_max, r, v0)
    s03 = _sigm(a3 * J * y[0], nu_max, r, v0)
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = A * a * s12 - 2.0 * a * y[3] - a * a * y[0]
    out[4] = A * a * (mu + a2 * J * s01 + c) - 2.0 * a * y[4] - a * a * y[1]
    out[5] = B * b * (a4 * J * s03) - 2.0 * b * y[5] - b * b * y[2]


@njit(cache=True)
def _jr_run(y0, ptr, src, dly, w, G, cmax, midpoint, rr, dt, sigma, n_steps, every, L, seed):
    A, B, a, b, v0, nu_max, r, J, a1, a2, a3, a4, mu = 3.25, 22.0, 0.1, 0.05, 5.52, 0.0025, 0.56, 135.0, 1.0, 0.8, 0.25, 0.25, 0.22
    np.random.seed(seed)
    mask = L - 1  # L is a power of two
    n = y0.shape[1]
    hist = np.empty((L, n))  # pre-synaptic firing rate of y1 - y2
    for i in range(n):
        v = cmax / (1.0 + np.exp(rr * (midpoint - (y0[1, i] - y0[2, i]))))
        for t in range(L):
            hist[t, i] = v
    y = y0.copy()
    out = np.empty((n_steps // every, n))
    c = np.empty(n)
    k1 = np.empty(6)
    k2 = np.empty(6)
    yp = np.empty(6)
    yi = np.empty(6)
    sq = np.sqrt(dt) * sigma
    k = 0
    for step in range(n_steps):
        for i in range(n):
            s = 0.0
            for p in range(ptr[i], ptr[i + 1]):
                s += w[p] * hist[(step - dly[p]) & mask, src[p]]
            c[i] = G * s
        for i in range(n):
            for v in range(6):
                yi[v] = y[v, i]
            z = np.random.standard_normal() * sq
            _jr_rhs(yi, c[i], A, B, a, b, v0, nu_max, r, J, a1, a2, a3, a4, mu, k1)
            for v in range(6):
                yp[v] = yi[v] + dt * k1[v]
            yp[4] += z
            _jr_rhs(yp, c[i], A, B, a, b, v0, nu_max, r, J, a1, a2, a3, a4, mu, k2)
            for v in range(6):
                y[v, i] = yi[v] + 0.5 * dt * (k1[v] + k2[v])
            y[4, i] += z
        rw = (step + 1) & mask
        for i in range(n):
            hist[rw, i] = cmax / (1.0 + np.exp(rr * (midpoint - (y[1, i] - y[2, i]))))
        if (step + 1) % every == 0:
            for i in range(n):
                out[k, i] = y[1, i] - y[2, i]
            k += 1
    return out


@njit(parallel=True, cache=True)
def _hopf_sweep(x0, y0, ptr, src, dly, w, Gs, a, omega, dt, sigma, n_steps, every, L):
    res = np.empty((Gs.shape[0], n_steps // every, x0.shape[0]))
    for b in prange(Gs.shape[0]):
        res[b] = _hopf_run(x0, y0, ptr, src, dly, w, Gs[b], a, omega, dt, sigma, n_steps, every, L, b)
    return res


def hopf(weights, delays, *, G=0.1, a=-0.05, omega=2 * np.pi * 0.01, dt=0.1, sigma=np.sqrt(2e-3), n_steps=100_000,
         every=10, seed=0):
    """W2: returns x every ``every`` steps, shape (n_steps // every, n_regions)."""
    ptr, src, dly, w = sparse_lists(weights, delays)
    L = _ring(delays)
    rng = np.random.default_rng(seed)
    x0, y0 = 0.1 + 0.05 * rng.uniform(-1, 1, weights.shape[0]), 0.05 * rng.uniform(-1, 1, weights.shape[0])
    return _hopf_run(x0, y0, ptr, src, dly, w, G, a, omega, dt, sigma, n_steps, every, L, seed)


def hopf_sweep(weights, delays, Gs, *, a=-0.05, omega=2 * np.pi * 0.01, dt=0.1, sigma=np.sqrt(2e-3), n_steps=100_000,
               every=10, seed=0):
    """W3: W2 for each global coupling in ``Gs`` (threads over the sweep)."""
    ptr, src, dly, w = sparse_lists(weights, delays)
    L = _ring(delays)
    rng = np.random.default_rng(seed)
    x0, y0 = 0.1 + 0.05 * rng.uniform(-1, 1, weights.shape[0]), 0.05 * rng.uniform(-1, 1, weights.shape[0])
    return _hopf_sweep(x0, y0, ptr, src, dly, w, np.asarray(Gs, float), a, omega, dt, sigma, n_steps, every, L)


def jansen_rit(weights, delays, *, G=1.0, cmax=0.005, midpoint=6.0, r=0.56, dt=0.1, sigma=np.sqrt(2e-5),
               n_steps=100_000, every=10, seed=0):
    """W1: returns y1 - y2 every ``every`` steps, shape (n_steps // every, n_regions)."""
    ptr, src, dly, w = sparse_lists(weights, delays)
    L = _ring(delays)
    rng = np.random.default_rng(seed)
    n = weights.shape[0]
    y0 = np.zeros((6, n))
    y0[0] = 0.1 + 0.05 * rng.uniform(-1, 1, n)
    y0[1] = 15.0 + 2.0 * rng.uniform(-1, 1, n)
    y0[2] = 10.0 + 2.0 * rng.uniform(-1, 1, n)
    return _jr_run(y0, ptr, src, dly, w, G, cmax, midpoint, r, dt, sigma, n_steps, every, L, seed)
