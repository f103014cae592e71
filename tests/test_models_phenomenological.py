"""Phenomenological models against analytic results and classic published behaviour."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from scipy.optimize import brentq

from mne_nmm.core.coupling import Kuramoto as KuramotoCoupling
from mne_nmm.core.integrators import RK4
from mne_nmm.models import (DampedOscillator, FitzHughNagumo, Generic2dOscillator, Hopf, Kuramoto, Linear, Lorenz,
                            PhaseOscillator, ThresholdLinear, VanDerPol)

from _helpers import largest_lyapunov


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def run(model, x0, T, dt, coupling=None, drive=None, every=1):
    """RK4 under lax.scan. ``x0``: (n_vars,) or (n_vars, n). ``drive(t) -> (n_vars, n)`` is added to the derivative."""
    x0 = jnp.asarray(x0, dtype=float)
    x0 = x0[:, None] if x0.ndim == 1 else x0
    n_c = max(1, len(model.coupled_variables))
    c = jnp.zeros((n_c, x0.shape[1])) if coupling is None else None
    rk = RK4()

    def f_at(t):
        def f(x, stage):
            cc = c if coupling is None else coupling(x)
            d = model.dfun(x, cc)
            return d if drive is None else d + drive(t + stage * dt)
        return f

    def step(x, k):
        t = k * dt
        return model.apply_bounds(rk.step(x, f_at(t), dt)), None

    def block(x, k0):
        x, _ = jax.lax.scan(step, x, k0 * every + jnp.arange(every))
        return x, x

    n = int(round(T / dt / every))
    _, xs = jax.jit(lambda x: jax.lax.scan(block, x, jnp.arange(n)))(x0)
    return (np.arange(1, n + 1) * every * dt), np.asarray(xs)


@jax.jit
def _rhs(model, x):
    n_c = max(1, len(model.coupled_variables))
    return model.dfun(x[:, None], jnp.zeros((n_c, 1), dtype=x.dtype))[:, 0]


_jac = jax.jit(jax.jacfwd(_rhs, argnums=1))


def jac(model, x):
    return np.asarray(_jac(model, jnp.asarray(x, dtype=float)))


def peak_times(t, y):
    i = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:]) & (y[1:-1] > 0.5 * (y.max() + y.min()))) + 1
    return t[i]


# -- Stuart-Landau (Hopf) ----------------------------------------------------------------------
def test_hopf_radius_and_frequency():
    m = Hopf(a=0.1, omega=2 * np.pi * 10 / 1000)
    t, x = run(m, [0.05, 0.0], 400.0, 0.05)
    keep = t > 200
    r = np.hypot(x[keep, 0, 0], x[keep, 1, 0])
    np.testing.assert_allclose(r, np.sqrt(0.1), rtol=1e-6)
    freq = np.polyfit(t[keep], np.unwrap(np.arctan2(x[keep, 1, 0], x[keep, 0, 0])), 1)[0]
    assert freq == pytest.approx(m.omega, rel=1e-6)
    # below the bifurcation the radius obeys r' = a r - r^3 exactly: 1/r^2 = (1/r0^2 - 1/a) exp(-2 a t) + 1/a
    a, r0 = -0.05, 0.3
    t, x = run(Hopf(a=a), [r0, 0.0], 100.0, 0.05)
    exact = 1 / np.sqrt((1 / r0**2 - 1 / a) * np.exp(-2 * a * t) + 1 / a)
    np.testing.assert_allclose(np.hypot(x[:, 0, 0], x[:, 1, 0]), exact, rtol=1e-7)


# -- Van der Pol -------------------------------------------------------------------------------
def test_van_der_pol_relaxation_period_large_mu():
    mu, airy0 = 20.0, 2.338107
    m = VanDerPol(mu=mu, omega=1.0)
    t, x = run(m, [2.0, 0.0], 250.0, 0.002, every=5)
    tp = peak_times(t[t > 60], x[t > 60, 0, 0])
    period = np.diff(tp).mean()
    asymptotic = (3 - 2 * np.log(2)) * mu + 3 * airy0 * mu ** (-1 / 3)   # Grasman 1987, two terms
    assert period == pytest.approx(asymptotic, rel=0.01), (period, asymptotic)
    assert period / mu == pytest.approx(3 - 2 * np.log(2), rel=0.1)


def test_van_der_pol_weakly_nonlinear_cycle():
    m = VanDerPol(mu=0.05)                 # near-harmonic: amplitude 2, period 2 pi / omega
    t, x = run(m, [2.0, 0.0], 2000.0, 0.1)
    keep = t > 1000
    assert x[keep, 0, 0].max() == pytest.approx(2.0, rel=2e-3)
    period = np.diff(peak_times(t[keep], x[keep, 0, 0])).mean()
    assert period == pytest.approx(2 * np.pi / float(m.omega), rel=2e-3)


# -- FitzHugh-Nagumo ---------------------------------------------------------------------------
def _fhn_rest(m):
    a, b, I = float(m.a), float(m.b), float(m.I)
    v = brentq(lambda v: v - v**3 / 3 - (v + a) / b + I, -3, 3)   # unique for b < 1
    return np.array([v, (v + a) / b])


def test_fitzhugh_nagumo_rest_state_and_excitability_threshold():
    m = FitzHughNagumo()
    rest = _fhn_rest(m)
    np.testing.assert_allclose(rest, m.default_initial(), atol=1e-4)     # (-1.1994, -0.6243)
    assert np.all(np.linalg.eigvals(jac(m, rest)).real < 0)
    # all-or-none response to an instantaneous kick of v from rest (four kicks as four independent nodes)
    kicks = np.array([0.2, 0.4, 0.8, 1.2])
    x0 = rest[:, None] + np.stack([kicks, np.zeros(4)])
    t, x = run(m, x0, 200.0, 0.05)
    maxima = x[:, 0, :].max(axis=0)
    np.testing.assert_allclose(x[-1], np.repeat(rest[:, None], 4, axis=1), atol=1e-3)   # back to rest
    assert maxima[0] < rest[0] + 0.2 and maxima[1] < 0.0               # subthreshold: decays
    assert maxima[2] > 1.5 and maxima[3] > 1.5                          # suprathreshold: full spike


def test_fitzhugh_nagumo_hopf_onset_of_repetitive_firing():
    m = FitzHughNagumo()
    a, b, eps = float(m.a), float(m.b), float(m.epsilon)
    v_h = -np.sqrt(1 - eps * b)                    # trace of the Jacobian vanishes: 1 - v^2 = eps b
    I_h = (v_h + a) / b - v_h + v_h**3 / 3          # ~0.331
    assert I_h == pytest.approx(0.3313, abs=1e-3)
    for I, stable in ((I_h - 0.01, True), (I_h + 0.01, False)):
        mi = m.replace(I=I)
        assert (np.linalg.eigvals(jac(mi, _fhn_rest(mi))).real.max() < 0) == stable
    t, x = run(m.replace(I=0.5), [-1.0, -0.5], 600.0, 0.05)
    v = x[t > 300, 0, 0]
    assert v.max() > 1.5 and v.min() < -1.5          # repetitive spiking
    t, x = run(m.replace(I=0.25), [-1.0, -0.5], 600.0, 0.05)
    assert np.ptp(x[t > 400, 0, 0]) < 1e-2            # subthreshold drive: rest


# -- threshold-linear E-I ----------------------------------------------------------------------
def test_threshold_linear_fixed_point_and_paradoxical_effect():
    m = ThresholdLinear()
    W = np.array([[m.w_ee, -m.w_ei], [m.w_ie, -m.w_ii]], dtype=float)
    A = np.eye(2) - W
    for dI_i in (0.0, 1.0):
        I = np.array([m.I_e, m.I_i + dI_i], dtype=float)
        r_star = np.linalg.solve(A, I)
        t, x = run(m.replace(I_i=m.I_i + dI_i), [1.0, 1.0], 500.0, 0.05)
        np.testing.assert_allclose(x[-1, :, 0], r_star, rtol=1e-8)
    # ISN (w_ee > 1): extra drive to inhibition lowers the inhibitory rate
    assert m.w_ee > 1
    dri_dIi = np.linalg.inv(A)[1, 1]
    assert dri_dIi == pytest.approx((1 - m.w_ee) / np.linalg.det(A)) and dri_dIi < 0
    J = np.diag([1 / m.tau_e, 1 / m.tau_i]) @ (W - np.eye(2))
    assert np.trace(J) < 0 and np.linalg.det(J) > 0


def test_threshold_linear_slow_inhibition_oscillates():
    m = ThresholdLinear(tau_i=40.0)
    W = np.array([[m.w_ee, -m.w_ei], [m.w_ie, -m.w_ii]], dtype=float)
    J = np.diag([1 / m.tau_e, 1 / m.tau_i]) @ (W - np.eye(2))
    assert np.trace(J) > 0 and np.linalg.det(J) > 0            # unstable focus
    t, x = run(m, [5.0, 5.0], 2000.0, 0.05)
    re = x[t > 1000, 0, 0]
    assert np.isfinite(re).all() and np.ptp(re) > 1.0 and re.min() >= 0.0
    period = np.diff(peak_times(t[t > 1000], re)).mean()
    assert 2 * np.pi / abs(np.linalg.eigvals(J)[0].imag) == pytest.approx(period, rel=0.5)


# -- Generic 2D oscillator ---------------------------------------------------------------------
def test_generic_2d_excitable_default_and_limit_cycle():
    m = Generic2dOscillator()
    # fixed point: f V^3 - e V^2 - g V - gamma I = alpha W and beta W = a + b V + c V^2
    coeff = [m.f, -m.e - m.c / m.beta * m.alpha, -m.g - m.b / m.beta * m.alpha, -m.gamma * m.I - m.a / m.beta * m.alpha]
    roots = np.roots(np.asarray(coeff, dtype=float))
    V = roots[np.abs(roots.imag) < 1e-12].real
    assert V.size == 1
    fp = np.array([V[0], (m.a + m.b * V[0] + m.c * V[0] ** 2) / m.beta])
    assert np.linalg.eigvals(jac(m, fp)).real.max() < 0
    t, x = run(m, fp + [0.05, 0.0], 2000.0, 0.1)
    np.testing.assert_allclose(x[-1, :, 0], fp, atol=1e-6)
    # TVB documentation: "limit cycle if a is 2.0"
    m2 = m.replace(a=2.0)
    t, x = run(m2, [0.0, 0.0], 3000.0, 0.1)
    assert np.ptp(x[t > 1500, 0, 0]) > 1.0


# -- Lorenz --------------------------------------------------------------------------------------


def test_lorenz_largest_lyapunov_exponent():
    lam = largest_lyapunov(Lorenz(), [1.0, 1.0, 20.0], T=600.0, dt=0.005, t_transient=20.0)
    assert lam == pytest.approx(0.9056, abs=0.03)        # Sprott 2003
    lam_fp = largest_lyapunov(Lorenz(rho=20.0), [1.0, 1.0, 20.0], T=100.0, dt=0.01, t_transient=200.0)
    assert lam_fp < 0                                     # below 24.74: stable fixed points


# -- Linear -------------------------------------------------------------------------------------
def test_linear_network_matches_matrix_exponential(rng):
    m = Linear(gamma=-0.5)
    W = rng.uniform(0, 1, (5, 5))
    np.fill_diagonal(W, 0)
    G = 0.1
    x0 = rng.normal(size=5)
    t, x = run(m, x0[None], 10.0, 0.01, coupling=lambda x: G * (jnp.asarray(W) @ x[0])[None])
    np.testing.assert_allclose(x[-1, 0], scipy.linalg.expm((m.gamma * np.eye(5) + G * W) * 10.0) @ x0, rtol=1e-9)


# -- Kuramoto -------------------------------------------------------------------------------------
@pytest.mark.parametrize("ratio", [0.5, 1.5, pytest.param(2.5, marks=pytest.mark.slow)])
def test_kuramoto_critical_coupling_lorentzian(ratio):
    # N = 500 all-to-all oscillators with Lorentzian natural frequencies (half-width Delta, deterministic
    # quantiles): incoherence is stable below K_c = 2 / (pi g(0)) = 2 Delta (Kuramoto 1975) and the order
    # parameter is r = sqrt(1 - K_c / K) above it (Ott & Antonsen 2008). Uses the model's dfun and the
    # Kuramoto coupling's pre/post (W = 1, summed in closed form for speed).
    N, Delta, w0 = 500, 0.05, 1.0
    K_c = 2 * Delta
    K = ratio * K_c
    q = (np.arange(N) + 0.5) / N
    m = Kuramoto(omega=w0 + Delta * np.tan(np.pi * (q - 0.5)))
    cpl = KuramotoCoupling(n_regions=N)
    coupling = lambda x: cpl.post(K * jnp.sum(cpl.pre(x), axis=1, keepdims=True), x, K * N)
    theta0 = np.random.default_rng(1).uniform(0, 2 * np.pi, N)
    t, x = run(m, theta0[None], 500.0, 0.1, coupling=coupling, every=10)
    r = np.abs(np.exp(1j * x[:, 0]).mean(axis=1))[t > 250].mean()
    if ratio < 1:
        assert r < 0.15, r
    else:
        assert r == pytest.approx(np.sqrt(1 - K_c / K), abs=0.04), r


def test_kuramoto_mean_frequency_without_coupling():
    m = Kuramoto(omega=np.array([0.5, 1.0, 2.0]))
    t, x = run(m, np.zeros((1, 3)), 10.0, 0.1)
    np.testing.assert_allclose(x[-1, 0], np.array([0.5, 1.0, 2.0]) * 10.0, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(m.derived("sin", jnp.asarray(x[-1]))), np.sin(x[-1, 0]))


# -- phase oscillator --------------------------------------------------------------------------------
def test_phase_oscillator_frequency_and_pairwise_locking():
    m = PhaseOscillator(f=np.array([10.0, 10.5]))
    dw = 2 * np.pi * 0.5 / 1000                          # rad/ms
    cpl = KuramotoCoupling(n_regions=2)
    W = jnp.array([[0.0, 1.0], [1.0, 0.0]])
    out = {}
    for K in (0.8 * dw, 1.2 * dw):                      # phase difference: phi' = dw - K sin(phi); locks iff K >= dw
        coupling = lambda x, K=K: cpl.post(K * (cpl.pre(x) @ W.T), x, K)   # c_i = (K / N) sin(theta_j - theta_i)
        t, x = run(m, np.array([[0.0, 0.0]]), 20000.0, 0.5, coupling=coupling, every=10)
        out[K] = (x[-1, 0, 1] - x[-1, 0, 0]) - (x[len(t) // 2, 0, 1] - x[len(t) // 2, 0, 0])
    assert abs(out[1.2 * dw]) < 1e-6                     # locked: constant phase difference
    assert out[0.8 * dw] > 2 * np.pi                     # drifting
    # uncoupled: theta advances at 2 pi f
    t, x = run(PhaseOscillator(f=12.0), [0.0], 1000.0, 0.1)
    assert x[-1, 0, 0] == pytest.approx(2 * np.pi * 12.0, rel=1e-12)


@pytest.mark.parametrize("detuning_hz, locked", [(0.5, True), (1.2, False)])
def test_phase_oscillator_adler_locking_with_phase_response(detuning_hz, locked):
    # forcing eps cos(2 pi F t) through the PRC Z = -sin(theta)/A: locks iff |F - f| < eps 1000 / (4 pi A)
    m = PhaseOscillator(f=10.0, A=1.0)
    eps = 0.01                                           # locking half-width 0.796 Hz
    F = 10.0 + detuning_hz
    rk = RK4()
    dt = 0.5

    def step(x, k):
        t = k * dt
        f = lambda y, s: m.dfun(y, jnp.zeros((1, 1))) + m.phase_response(y) * eps * jnp.cos(2 * jnp.pi * F / 1000 * (t + s * dt))
        return rk.step(x, f, dt), None

    x, _ = jax.lax.scan(step, jnp.zeros((1, 1)), jnp.arange(40000))
    x2, _ = jax.lax.scan(step, x, 40000 + jnp.arange(40000))
    mean_f = float(x2[0, 0] - x[0, 0]) / (2 * np.pi * 40000 * dt) * 1000
    assert (abs(mean_f - F) < 1e-3) == locked, mean_f


# -- damped oscillator --------------------------------------------------------------------------------
def test_damped_oscillator_decay_rate_and_frequency():
    m = DampedOscillator(f=10.0, zeta=0.1)
    w0 = 2 * np.pi * 10 / 1000
    wd = w0 * np.sqrt(1 - 0.1**2)
    t, x = run(m, [0.0, 1.0], 500.0, 0.05)
    exact = np.exp(-0.1 * w0 * t) * np.sin(wd * t) / wd            # impulse response
    np.testing.assert_allclose(x[:, 0, 0], exact, atol=1e-9 * np.abs(exact).max())


def test_damped_oscillator_forced_resonance_amplitude():
    m = DampedOscillator(f=10.0, zeta=0.1)
    w0, eps = 2 * np.pi * 10 / 1000, 1e-3
    for F in (6.0, 10.0, 14.0):
        W = 2 * np.pi * F / 1000
        drive = lambda t, W=W: jnp.stack([0.0 * t, eps * jnp.sin(W * t)])[:, None]
        t, x = run(m, [0.0, 0.0], 1500.0, 0.1, drive=drive)
        amp = np.ptp(x[t > 1000, 0, 0]) / 2
        expected = eps / np.sqrt((w0**2 - W**2) ** 2 + (2 * 0.1 * w0 * W) ** 2)
        assert amp == pytest.approx(expected, rel=2e-3), F
