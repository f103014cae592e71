"""Networks: linear stability of a network's fixed point and synchrony sweeps over coupling and speed.

:func:`network_stability` linearises a connectome of nodes around a fixed point
**without delays**: the eigenvalues are those of the full Jacobian
``J = blockdiag(df/dx) + G * (coupling terms)`` (the characteristic equation
``det(lambda I - A_0 - sum_k A_k exp(-lambda tau_k)) = 0`` at ``tau = 0``). A
fixed point stable without delays can still be destabilised by delays (and vice
versa): :func:`~mne_nmm.dynamics.delayed_network_stability` computes the rightmost
roots of the delayed characteristic equation with the simulator's delays, and
:func:`synchrony_sweep` integrates the delayed network.

:func:`synchrony_sweep` integrates the delayed network for every pair of global
coupling and conduction speed in one vmapped run (integer delays
``rint(length / speed / dt)``, TVB's rule, gathered from a ring buffer of the
pre-synaptic coupling features) and returns the mean Kuramoto order parameter
``R(t) = |<exp(i phi_j(t))>_j|`` and the metastability ``std_t R(t)``
(Shanahan 2010; Deco et al. 2017).

References
----------
Kuramoto Y. (1984) Chemical Oscillations, Waves, and Turbulence. Springer.
Shanahan M. (2010) Metastable chimera states in community-structured oscillator networks.
Chaos 20:013108.
Deco G., Kringelbach M.L., Jirsa V.K., Ritter P. (2017) The dynamics of resting fluctuations in
the brain: metastability and its dynamical cortical core. Sci Rep 7:3095.
Yeung M.K.S., Strogatz S.H. (1999) Time delay in the Kuramoto model of coupled oscillators.
Phys Rev Lett 82:648.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_array, check_positive
from . import _system as S
from ._batch import analytic_phase
from .equilibria import find_equilibria, resolve_state


@dataclasses.dataclass(frozen=True, repr=False)
class NetworkStability:
    """Linear stability of a network fixed point (delay-free).

    Attributes
    ----------
    state : ndarray, shape (n_state_variables, n_regions)
        The fixed point.
    jacobian : ndarray, shape (n, n)
        Delay-free Jacobian (variable-major order, ``n = n_state_variables * n_regions``).
    eigenvalues : ndarray of complex, shape (n,)
        By decreasing real part (1/ms).
    leading_mode : ndarray of complex, shape (n_state_variables, n_regions)
        Eigenvector of the leading eigenvalue.
    stable : bool
    delays : str
        ``"ignored"``: the linearisation is delay-free.
    """

    state: np.ndarray
    jacobian: np.ndarray
    eigenvalues: np.ndarray
    leading_mode: np.ndarray
    stable: bool
    delays: str = "ignored"

    @property
    def leading_eigenvalue(self):
        return self.eigenvalues[0]

    def __repr__(self):
        lam = self.eigenvalues[0]
        return (f"<NetworkStability | {'stable' if self.stable else 'unstable'}, leading eigenvalue "
                f"{lam.real:.4g}{lam.imag:+.4g}j /ms, delay-free>")


def network_stability(model, network, *, coupling=None, global_coupling=None, state=None):
    """Delay-free linear stability of a network's fixed point.

    See :func:`~mne_nmm.dynamics.delayed_network_stability` for the stability with conduction delays.

    Parameters
    ----------
    model : NeuralMass
    network : Network | Connectome | array, shape (n_regions, n_regions)
    coupling, global_coupling
        As in :func:`~mne_nmm.dynamics.find_equilibria`.
    state : array, shape (n_state_variables,) or (n_state_variables, n_regions) | None
        The fixed point or a guess (polished by Newton); default: a stable fixed
        point if :func:`~mne_nmm.dynamics.find_equilibria` finds one.

    Returns
    -------
    NetworkStability
    """
    system = S.make_system(model, network=network, coupling=coupling, global_coupling=global_coupling)
    if state is None:
        eq = find_equilibria(model, network=system.net.weights, coupling=system.net.coupling,
                             global_coupling=system.net.global_coupling, n_starts=16)
        if len(eq) == 0:
            raise RuntimeError("no fixed point of the network found; pass state= explicitly.")
        x = eq.states[int(np.argmax(eq.stable)) if np.any(eq.stable) else 0].reshape(-1)
    else:
        from .equilibria import newton

        x0 = resolve_state(system, state).reshape(-1)
        X, r = newton(system, x0[None], system.p0(), n_iter=60)
        if r[0] > 1e-8:
            raise RuntimeError(f"state is not close to a fixed point (max |f| = {r[0]:.3g} after Newton).")
        x = X[0]
    J = S.jac_x(system, x, system.p0())
    w, V = np.linalg.eig(J)
    order = np.lexsort((-w.imag, -w.real))
    w, V = w[order], V[:, order]
    return NetworkStability(state=x.reshape(system.shape), jacobian=J, eigenvalues=w,
                            leading_mode=V[:, 0].reshape(system.shape), stable=bool(np.all(w.real < 0)))


@dataclasses.dataclass(frozen=True, repr=False)
class SynchronySweep:
    """Result of :func:`synchrony_sweep`; maps have shape ``(n_couplings, n_speeds)``.

    Attributes
    ----------
    global_couplings : ndarray, shape (n_couplings,)
    speeds_m_per_s : ndarray, shape (n_speeds,)
    order_mean : ndarray
        Time average of the Kuramoto order parameter ``R(t)``.
    metastability : ndarray
        Standard deviation of ``R(t)`` over time.
    order : ndarray, shape (n_couplings, n_speeds, n_samples)
        ``R(t)`` after the transient.
    sfreq_hz : float
    """

    global_couplings: np.ndarray
    speeds_m_per_s: np.ndarray
    order_mean: np.ndarray
    metastability: np.ndarray
    order: np.ndarray
    sfreq_hz: float

    def __repr__(self):
        return (f"<SynchronySweep | {len(self.global_couplings)} couplings x {len(self.speeds_m_per_s)} speeds, "
                f"R in [{self.order_mean.min():.3f}, {self.order_mean.max():.3f}]>")


def _delayed_run(static_key, n_hist, n_steps, n_skip, every, readout):
    (names, regions, shape, _), cvar = static_key
    n_vars, n = shape

    def one(model, coupling, w, G, lags, x0, dt, noise_sigma, key):
        rowsum = w.sum(axis=1)

        def pre(x):
            return coupling.pre(x.reshape(shape)[jnp.asarray(cvar)])          # (F, n)

        F0 = pre(x0)
        buf = jnp.broadcast_to(F0[None], (n_hist,) + F0.shape)               # history = initial state
        cols = jnp.arange(n)[None, :]

        def f(x, s):
            st = x.reshape(shape)
            c = coupling.post(s, st[jnp.asarray(cvar)], G * rowsum)
            return model.dfun(st, c).reshape(-1)

        def step(carry, k):
            x, buf, key = carry
            idx = jnp.mod(k - lags, n_hist)                                    # (n, n) row = target
            delayed = buf[idx, :, cols]                                        # (n, n, F)
            s = G * jnp.einsum("ij,ijf->fi", w, delayed)
            key, sub = jax.random.split(key)
            noise = noise_sigma * jnp.sqrt(dt) * jax.random.normal(sub, x.shape, x.dtype)
            k1 = f(x, s)
            xp = x + dt * k1 + noise
            k2 = f(xp, s)
            xn = x + 0.5 * dt * (k1 + k2) + noise
            xn = model.apply_bounds(xn.reshape(shape)).reshape(-1)
            buf = buf.at[jnp.mod(k + 1, n_hist)].set(pre(xn))
            return (xn, buf, key), None

        def chunk(carry, j):
            carry, _ = jax.lax.scan(step, carry, j * every + jnp.arange(every))
            return carry, readout(carry[0].reshape(shape), model)

        carry = (x0, buf, key)
        n_pre = n_skip // every
        carry, _ = jax.lax.scan(chunk, carry, jnp.arange(n_pre))
        _, rec = jax.lax.scan(chunk, carry, n_pre + jnp.arange((n_steps - n_skip) // every))
        return rec

    return jax.jit(jax.vmap(one, in_axes=(None, None, None, 0, 0, None, None, None, 0)))


def synchrony_sweep(model, network, *, global_couplings, speeds_m_per_s, duration_ms=2000.0, transient_ms=500.0,
                    dt_ms=0.1, coupling=None, noise_sigma=0.0, variable=None, phase=None, band_hz=None, start=None,
                    random_state=0, record_every=None):
    """Kuramoto order parameter and metastability over global coupling x conduction speed, one batched run.

    Parameters
    ----------
    model : NeuralMass
    network : Network | Connectome
        Needs tract lengths for the delays (a weight array means no delays).
    global_couplings : array, shape (n_couplings,)
    speeds_m_per_s : array, shape (n_speeds,)
        Conduction speeds (m/s = mm/ms); ``np.inf`` for no delays.
    duration_ms, transient_ms, dt_ms : float
        Run length, transient and Heun step (ms); delays are ``rint(length / speed / dt)`` steps.
    coupling : Coupling | None
        Default: the Network's, else the model's recommended one.
    noise_sigma : float
        Additive noise on every state variable (``sigma sqrt(dt) N(0, 1)`` per step).
    variable : str | None
        Read-out whose analytic-signal phase defines ``phi_j`` (default ``model.default_output``).
    phase : callable | None
        ``phase(state) -> (n_regions,)`` instead (e.g. ``lambda s: s[0]`` for phase models;
        used automatically when the first state variable is in rad).
    band_hz : (float, float) | None
        Band-pass the read-out (FFT mask) before taking its phase.
    start : array | None
        Initial state (default ``model.initial_state(n_regions, rng=random_state)``).
    random_state : int
        Seed of the initial state and of the noise.
    record_every : int | None
        Steps between samples (default about 1 ms).

    Returns
    -------
    SynchronySweep
    """
    net = S.network_spec(model, network, coupling=coupling)
    gs = check_array(global_couplings, "global_couplings", ndim=1)
    vs = check_array(speeds_m_per_s, "speeds_m_per_s", ndim=1, finite=False)
    if np.any(~(vs > 0)):
        raise ValueError("speeds_m_per_s must be > 0 (np.inf for no delays).")
    duration_ms = check_positive(duration_ms, "duration_ms")
    transient_ms = check_positive(transient_ms, "transient_ms", strict=False)
    dt_ms = check_positive(dt_ms, "dt_ms")
    noise_sigma = check_positive(noise_sigma, "noise_sigma", strict=False)
    if transient_ms >= duration_ms:
        raise ValueError(f"transient_ms must be < duration_ms ({duration_ms:g}), got {transient_ms:g}.")
    n = net.n_regions
    lengths = np.zeros((n, n)) if net.tract_lengths_mm is None else net.tract_lengths_mm
    lags = np.stack([np.zeros((n, n), int) if np.isinf(v) else np.rint(lengths / v / dt_ms).astype(int) for v in vs])
    n_hist = int(lags.max()) + 2
    sv = model.state_variables
    if phase is None and variable is None and model.unit_of(sv[0]) == "rad":
        def phase(s):
            return s[0]
    var = variable or model.default_output or sv[0]
    if var not in model.variables:
        raise ValueError(f"variable must be one of {model.variables}, got {var!r}.")

    def readout(state, m):
        return phase(state) if phase is not None else m.observe(state, [var])[0]

    every = int(record_every) if record_every else max(1, int(round(1.0 / dt_ms)))
    n_steps = int(round(duration_ms / dt_ms)) // every * every
    n_skip = int(round(transient_ms / dt_ms)) // every * every
    system = S.System(model, (), net, None)
    static = (S._split(system)[0], tuple(model.cvar_indices))
    fn = _delayed_run(static, n_hist, n_steps, n_skip, every, readout)
    if start is None:
        x0 = np.asarray(model.initial_state(n, rng=random_state), float).reshape(-1)
    else:
        x0 = resolve_state(system, start).reshape(-1)
    Gg, Ll = np.meshgrid(gs, np.arange(len(vs)), indexing="ij")
    keys = jax.random.split(jax.random.PRNGKey(int(random_state)), Gg.size)
    rec = np.asarray(fn(model, net.coupling, jnp.asarray(net.weights), jnp.asarray(Gg.ravel()),
                        jnp.asarray(lags[Ll.ravel()]), jnp.asarray(x0), jnp.asarray(dt_ms),
                        jnp.asarray(noise_sigma), keys))                       # (n_runs, n_rec, n)
    sf = 1000.0 / (every * dt_ms)
    if phase is not None:
        ph = rec
    else:
        sig = rec
        if band_hz is not None:
            sig = _bandpass(sig, sf, band_hz)
        ph = analytic_phase(sig, axis=1)
        cut = max(1, ph.shape[1] // 20)
        ph = ph[:, cut:-cut]
    R = np.abs(np.mean(np.exp(1j * ph), axis=2))                               # (n_runs, n_t)
    shape = Gg.shape
    return SynchronySweep(global_couplings=gs, speeds_m_per_s=vs, order_mean=R.mean(axis=1).reshape(shape),
                          metastability=R.std(axis=1).reshape(shape), order=R.reshape(shape + (-1,)), sfreq_hz=sf)


def _bandpass(x, sf, band):
    lo, hi = (float(v) for v in band)
    X = np.fft.rfft(x, axis=1)
    f = np.fft.rfftfreq(x.shape[1], 1.0 / sf)
    X[:, (f < lo) | (f > hi)] = 0.0
    return np.fft.irfft(X, n=x.shape[1], axis=1)


def order_parameter(phases, axis=-1):
    """Kuramoto order parameter ``|<exp(i phi)>|`` over ``axis`` (regions)."""
    return np.abs(np.mean(np.exp(1j * np.asarray(phases)), axis=axis))

