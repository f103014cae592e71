"""Helpers shared by several test files (not collected as tests)."""

import jax
import jax.numpy as jnp

from mne_nmm.core.integrators import RK4


def largest_lyapunov(model, x0, T, dt, t_transient, renorm=10):
    """Largest Lyapunov exponent of an uncoupled node (RK4 flow + tangent vector via jvp, renormalised)."""
    rk = RK4()
    f = lambda y, s: model.dfun(y, jnp.zeros((1, y.shape[1])))
    flow = lambda y: rk.step(y, f, dt)

    def block(carry, _):
        x, v, acc = carry
        x, v = jax.lax.fori_loop(0, renorm, lambda i, xv: jax.jvp(flow, (xv[0],), (xv[1],)), (x, v))
        n = jnp.linalg.norm(v)
        return (x, v / n, acc + jnp.log(n)), None

    @jax.jit
    def go(x):
        x, _ = jax.lax.scan(lambda y, _: (flow(y), None), x, None, length=int(t_transient / dt))
        v = jnp.ones_like(x) / jnp.sqrt(x.size)
        (x, v, acc), _ = jax.lax.scan(block, (x, v, 0.0), None, length=int(T / dt / renorm))
        return acc

    return float(go(jnp.asarray(x0, dtype=float)[:, None])) / (int(T / dt / renorm) * renorm * dt)
