"""One jitted, vmapped integration of many settings of a node or a delay-free network.

Used by the brute-force diagrams and the entrainment maps: every setting (a value
of the swept parameter, or a forcing frequency and amplitude) is one lane of a
single ``jax.vmap`` over a :func:`jax.lax.scan` of classical RK4 steps, so a
40 x 40 Arnold-tongue map is one compiled call. Forcing is evaluated at the RK4
stage times. Runs in the default JAX precision (float32 unless enabled).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import _system as S


def _vector_field(static, model, arrays, names, x, p, t, drive):
    """f(x, p) + forcing; ``drive(t) -> (u_state (dim,), u_coupling (n_cin, n_regions) | None)``."""
    names_, regions, shape, no_net = static
    state = x.reshape(shape)
    net = None if no_net else S._TracedNet(*arrays)
    m, g = S.with_params(model, names_, p, net, regions, shape[1])
    c = S.network_input(m, state, net, g)
    u_x, u_c = drive(t)
    if u_c is not None:
        if u_c.shape[0] > c.shape[0]:  # a forcing with more channels than the network input
            c = jnp.concatenate([c, jnp.zeros((u_c.shape[0] - c.shape[0],) + c.shape[1:], c.dtype)])
        c = c + u_c
    out = m.dfun(state, c).reshape(-1)
    if u_x is not None:
        out = out + u_x
    return out


def simulate_batch(system, P, x0, *, dt_ms, n_steps, n_skip, every, readout, drive_factory, drive_args):
    """Integrate ``len(P)`` settings at once.

    Parameters
    ----------
    P : array (n_batch, n_params)
        Free-parameter values per lane.
    x0 : array (n_batch, dim)
    readout : callable(state (n_vars, n_regions), model) -> (k,)
        What to record every ``every`` steps after ``n_skip`` steps.
    drive_factory : callable(args) -> (callable(t) -> (u_x, u_c))
    drive_args : pytree with leading axis n_batch
    Returns
    -------
    rec : ndarray (n_batch, n_records, k)
    """
    static, model, arrays = S._split(system)
    n_rec = (n_steps - n_skip) // every
    fn = _compiled(static, int(n_steps), int(n_skip), int(every), int(n_rec), readout, drive_factory)
    out = fn(model, arrays, jnp.asarray(P), jnp.asarray(x0), jnp.asarray(dt_ms), drive_args)
    return np.asarray(out)


_CACHE = {}


def _compiled(static, n_steps, n_skip, every, n_rec, readout, drive_factory):
    key = (static, n_steps, n_skip, every, n_rec, readout, drive_factory)
    if key in _CACHE:
        return _CACHE[key]
    shape = static[2]

    def one(model, arrays, p, x0, dt, args):
        drive = drive_factory(args)

        def f(x, t):
            return _vector_field(static, model, arrays, static[0], x, p, t, drive)

        def step(x, k):
            t = k * dt
            k1 = f(x, t)
            k2 = f(x + 0.5 * dt * k1, t + 0.5 * dt)
            k3 = f(x + 0.5 * dt * k2, t + 0.5 * dt)
            k4 = f(x + dt * k3, t + dt)
            xn = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            return model.apply_bounds(xn.reshape(shape)).reshape(-1)

        def skip_body(k, x):
            return step(x, k)

        x = jax.lax.fori_loop(0, n_skip, skip_body, x0)

        def rec_body(carry, j):
            x = carry

            def inner(i, xx):
                return step(xx, n_skip + j * every + i)

            x = jax.lax.fori_loop(0, every, inner, x)
            return x, readout(x.reshape(shape), model)

        _, rec = jax.lax.scan(rec_body, x, jnp.arange(n_rec))
        return rec

    fn = jax.jit(jax.vmap(one, in_axes=(None, None, 0, 0, None, 0)))
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = fn
    return fn


def analytic_phase(x, axis=-1):
    """Unwrapped phase of the analytic signal (FFT Hilbert transform) of demeaned ``x`` along ``axis``."""
    x = np.asarray(x, float)
    x = x - x.mean(axis=axis, keepdims=True)
    n = x.shape[axis]
    X = np.fft.fft(x, axis=axis)
    h = np.zeros(n)
    if n % 2 == 0:
        h[0] = h[n // 2] = 1
        h[1:n // 2] = 2
    else:
        h[0] = 1
        h[1:(n + 1) // 2] = 2
    shape = [1] * x.ndim
    shape[axis] = n
    z = np.fft.ifft(X * h.reshape(shape), axis=axis)
    return np.unwrap(np.angle(z), axis=axis)


def dominant_frequency(x, sfreq_hz, axis=-1):
    """Frequency (Hz) of the largest periodogram peak (Hann window, DC excluded) along ``axis``."""
    x = np.asarray(x, float)
    x = x - x.mean(axis=axis, keepdims=True)
    n = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = n
    P = np.abs(np.fft.rfft(x * np.hanning(n).reshape(shape), axis=axis)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / sfreq_hz)
    P = np.moveaxis(P, axis, -1)
    P[..., 0] = 0.0
    k = np.argmax(P, axis=-1)
    flat = np.moveaxis(x, axis, -1)
    return np.where(np.ptp(flat, axis=-1) > 1e-9 * (1 + np.abs(flat).max(axis=-1)), freqs[k], 0.0)


def band_power(x, sfreq_hz, band, axis=-1):
    """Periodogram power of demeaned ``x`` in ``band = (lo, hi)`` Hz along ``axis``."""
    x = np.asarray(x, float)
    x = x - x.mean(axis=axis, keepdims=True)
    n = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = n
    P = np.abs(np.fft.rfft(x * np.hanning(n).reshape(shape), axis=axis)) ** 2 / n
    freqs = np.fft.rfftfreq(n, 1.0 / sfreq_hz)
    sel = (freqs >= band[0]) & (freqs <= band[1])
    return np.moveaxis(P, axis, -1)[..., sel].sum(axis=-1)
