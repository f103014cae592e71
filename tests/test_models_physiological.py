"""Physiological models against closed forms and published behaviour."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

from mne_nmm.core.integrators import RK4
from mne_nmm.models import (ING, CoombesByrne, Epileptor, Freeman, JansenRit, LarterBreakspear, MontbrioPazoRoxin,
                            ReducedWongWangExcInh, WilsonCowan, WongWang, ZetterbergJansen)

from _helpers import largest_lyapunov


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def run(model, x0, T, dt, coupling=None, every=1):
    """RK4 under lax.scan; returns samples every ``every`` steps. ``x0``: (n_vars,) or (n_vars, n)."""
    x0 = jnp.asarray(x0, dtype=float)
    x0 = x0[:, None] if x0.ndim == 1 else x0
    n_c = max(1, len(model.coupled_variables))
    zero = jnp.zeros((n_c, x0.shape[1]))
    rk = RK4()
    f = lambda x, s: model.dfun(x, zero if coupling is None else coupling(x))

    def block(x, _):
        x, _ = jax.lax.scan(lambda y, _: (model.apply_bounds(rk.step(y, f, dt)), None), x, None, length=every)
        return x, x

    n = int(round(T / dt / every))
    _, xs = jax.jit(lambda x: jax.lax.scan(block, x, None, length=n))(x0)
    return np.arange(1, n + 1) * every * dt, np.asarray(xs)


@jax.jit
def _rhs(model, x):
    n_c = max(1, len(model.coupled_variables))
    return model.dfun(x[:, None], jnp.zeros((n_c, 1), dtype=x.dtype))[:, 0]


_jac = jax.jit(jax.jacfwd(_rhs, argnums=1))


def jac(model, x):
    return np.asarray(_jac(model, jnp.asarray(x, dtype=float)))


def rhs(model, x):
    return np.asarray(_rhs(model, jnp.asarray(x, dtype=float)))


def newton(model, x0, n_iter=60):
    x = np.asarray(x0, dtype=float)
    for _ in range(n_iter):
        step = np.linalg.solve(jac(model, x), rhs(model, x))
        x = x - step
        if np.abs(step).max() < 1e-15:
            break
    assert np.abs(rhs(model, x)).max() < 1e-12, rhs(model, x)
    return x


def dominant(model, x):
    ev = np.linalg.eigvals(jac(model, x))
    return ev[np.argmax(ev.real)]


def frequency_hz(t_ms, y):
    y = y - y.mean()
    up = np.flatnonzero((y[:-1] < 0) & (y[1:] >= 0))
    return (len(up) - 1) / (t_ms[up[-1]] - t_ms[up[0]]) * 1000.0


def decay_rate(t, y, center):
    """Exponential rate of the envelope of a damped oscillation about ``center`` (slope of log peak heights)."""
    y = y - center
    i = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:]) & (y[1:-1] > 0)) + 1
    return np.polyfit(t[i], np.log(y[i]), 1)[0]


# -- Wilson-Cowan -------------------------------------------------------------------------------
def _wc_fixed_point(m, guess):
    return newton(m, guess)


def test_wilson_cowan_limit_cycle_range():
    # Wilson & Cowan (1972) limit-cycle set: for a band of drives P the only fixed point is an unstable
    # focus surrounded by a limit cycle; its upper end is a supercritical Hopf bifurcation, where the
    # cycle's frequency is the imaginary part of the eigenvalues.
    base = WilsonCowan.limit_cycle()
    fp = lambda P: _wc_fixed_point(base.replace(P=P), [0.25, 0.2])
    P_h = brentq(lambda P: dominant(base.replace(P=P), fp(P)).real, 1.6, 2.4, xtol=1e-10)
    assert 1.7 < P_h < 2.1
    Ps = np.array([0.5, 1.25, 1.5, P_h - 0.02, 3.0])
    models = base.replace(P=Ps)                                    # five drives = five independent nodes
    t, x = run(models, np.tile([[0.1], [0.05]], (1, 5)), 3000.0, 0.05, every=4)
    keep = t > 2000
    amp = np.ptp(x[keep, 0], axis=0)
    assert amp[0] < 1e-6 and amp[4] < 1e-6                        # quiet below and above the band
    assert amp[1] > 0.1 and amp[2] > 0.1                           # oscillating inside
    assert 0 < amp[3] < 0.05                                       # small cycle just below P_h
    lam = dominant(base.replace(P=P_h - 0.02), fp(P_h - 0.02))
    assert frequency_hz(t[keep], x[keep, 0, 3]) == pytest.approx(abs(lam.imag) / (2 * np.pi) * 1000, rel=0.03)
    for P, unstable in ((0.5, False), (1.25, True), (1.5, True), (3.0, False)):
        assert (dominant(base.replace(P=P), fp(P)).real > 0) == unstable


# -- Jansen-Rit ---------------------------------------------------------------------------------
def _jr_upper_fixed_point(m):
    """The fixed point with the largest pyramidal potential v = y1 - y2 (closed-form reduction to 1D)."""
    S = lambda v: 2 * m.nu_max / (1 + np.exp(m.r * (m.v0 - v)))
    y0 = lambda v: m.A / m.a * S(v)
    F = lambda v: m.A / m.a * (m.mu + m.a_2 * m.J * S(m.a_1 * m.J * y0(v))) - m.B / m.b * m.a_4 * m.J * S(m.a_3 * m.J * y0(v)) - v
    vs = np.linspace(-20, 40, 6001)
    i = np.flatnonzero(np.sign(F(vs[:-1])) != np.sign(F(vs[1:])))[-1]
    v = brentq(F, vs[i], vs[i + 1], xtol=1e-13)
    y2 = m.B / m.b * m.a_4 * m.J * S(m.a_3 * m.J * y0(v))
    x = np.array([y0(v), v + y2, y2, 0, 0, 0])
    assert np.abs(rhs(m, x)).max() < 1e-10
    return x


def test_jansen_rit_hopf_points_and_alpha_rhythm():
    # Grimbert & Faugeras (2006): with Jansen & Rit's parameters the alpha cycle is born and dies in Hopf
    # bifurcations at p = 89.83 Hz and 315.70 Hz (mu = 0.0898 and 0.3157 /ms).
    base = JansenRit.jansen_rit_1995()
    growth = lambda mu: dominant(base.replace(mu=mu), _jr_upper_fixed_point(base.replace(mu=mu))).real
    assert brentq(growth, 0.06, 0.15, xtol=1e-8) == pytest.approx(0.08983, rel=0.01)
    assert brentq(growth, 0.25, 0.40, xtol=1e-8) == pytest.approx(0.31570, rel=0.01)
    # alpha rhythm inside the band, quiet focus above it (three drives as three nodes)
    mus = np.array([0.15, 0.22, 0.40])
    x0 = np.stack([_jr_upper_fixed_point(base.replace(mu=mu)) for mu in mus], axis=1) + np.array([0.1, 0.1, 0.002])
    t, x = run(base.replace(mu=mus), x0, 4000.0, 0.1, every=10)
    keep = t > 2000
    v = x[keep, 1] - x[keep, 2]
    for k in (0, 1):
        assert np.ptp(v[:, k]) > 1.0
        assert 9.5 < frequency_hz(t[keep], v[:, k]) < 12.0
    # above the upper Hopf point the alpha oscillation decays at the rate of the focus
    lam = dominant(base.replace(mu=0.40), _jr_upper_fixed_point(base.replace(mu=0.40))).real
    fp = _jr_upper_fixed_point(base.replace(mu=0.40))
    assert lam < 0 and decay_rate(t[keep], v[:, 2], fp[1] - fp[2]) == pytest.approx(lam, rel=0.02)


def test_jansen_rit_tvb_defaults_are_not_alpha():
    # documented: TVB's v0 = 5.52 mV puts the node on a large, slow (theta) cycle at mu = 0.22
    t, x = run(JansenRit(), JansenRit().default_initial(), 4000.0, 0.1, every=10)
    v = x[t > 2000, 1, 0] - x[t > 2000, 2, 0]
    assert np.ptp(v) > 5.0 and 5.0 < frequency_hz(t[t > 2000], v) < 8.5


def test_zetterberg_jansen_reduces_to_jansen_rit():
    # gamma_5 = 0, U = Q = -S(0): the Zetterberg column is Jansen-Rit with v1 = a1 J y0, v2 = y1, v3 = y2,
    # v4 = a3 J y0 and mu = P + S(0) (gamma_iT = 1)
    jr = JansenRit.jansen_rit_1995()
    S0 = 2 * jr.nu_max / (1 + np.exp(jr.r * jr.v0))
    zj = ZetterbergJansen(He=jr.A, Hi=jr.B, ke=jr.a, ki=jr.b, e0=jr.nu_max, rho_2=jr.v0, rho_1=jr.r,
                          gamma_1=jr.a_1 * jr.J, gamma_2=jr.a_2 * jr.J, gamma_3=jr.a_3 * jr.J, gamma_4=jr.a_4 * jr.J,
                          gamma_5=0.0, P=jr.mu - S0, U=-S0, Q=-S0)
    y = np.array([0.08, 20.0, 12.0, 0.01, 0.5, -0.3])
    z = np.array([135 * y[0], 135 * y[3], y[1], y[4], y[2], y[5], 0.25 * 135 * y[0], 0.25 * 135 * y[3], 0, 0,
                  y[1] - y[2], 0.25 * 135 * y[0]])
    t, xj = run(jr, y, 500.0, 0.1, every=10)
    t, xz = run(zj, z, 500.0, 0.1, every=10)
    np.testing.assert_allclose(xz[:, 2, 0], xj[:, 1, 0], rtol=1e-9)
    np.testing.assert_allclose(xz[:, 4, 0], xj[:, 2, 0], rtol=1e-9)
    np.testing.assert_allclose(xz[:, 0, 0], 135 * xj[:, 0, 0], rtol=1e-9)
    np.testing.assert_allclose(xz[:, 10, 0], xz[:, 2, 0] - xz[:, 4, 0], atol=1e-9)     # v6 = v2 - v3


# -- Wong-Wang (decision) --------------------------------------------------------------------------
def test_wong_wang_multistability_and_decision():
    m = WongWang()
    # no stimulus: spontaneous state and two persistent (memory) states coexist
    x0 = np.array([[0.05, 0.6, 0.05], [0.05, 0.05, 0.6], [0, 0, 0], [0, 0, 0]])
    t, x = run(m, x0, 3000.0, 0.5, every=20)
    r1 = np.asarray(m.derived("r1", jnp.asarray(x[-1])))
    r2 = np.asarray(m.derived("r2", jnp.asarray(x[-1])))
    assert r1[0] == pytest.approx(r2[0]) and r1[0] < 3.0                  # spontaneous: low, symmetric
    assert r1[1] > 15.0 and r2[1] < 2.0 and r2[2] > 15.0 and r1[2] < 2.0    # memory states
    # stimulus (mu0 = 30 Hz, zero coherence) turns the symmetric state into a saddle: decision dynamics
    ms = m.with_stimulus(0.0)
    S = brentq(lambda s: rhs(ms, [s, s, 0, 0])[0], 0.01, 0.5)
    ev = np.linalg.eigvals(jac(ms, [S, S, 0, 0])[:2, :2])
    assert ev.real.max() > 0 and ev.real.min() < 0
    assert np.linalg.eigvals(jac(m, x[-1, :, 0])[:2, :2]).real.max() < 0  # the unstimulated one is stable
    # with coherence, the more strongly driven population wins; the choice flips with the sign
    cohs = np.array([0.3, -0.3])
    t, x = run(m.with_stimulus(cohs), np.tile([[0.1], [0.1], [0], [0]], (1, 2)), 2000.0, 0.5, every=20)
    assert x[-1, 0, 0] > 0.4 > x[-1, 1, 0] and x[-1, 1, 1] > 0.4 > x[-1, 0, 1]


def test_wong_wang_noise_sigma_gives_paper_ou_std():
    m = WongWang()
    s = m.noise_sigma(0.02)
    assert s**2 * float(m.tau_AMPA) / 2 == pytest.approx(0.02**2)        # OU variance sigma^2 tau / 2


# -- reduced Wong-Wang E-I (Deco 2014) --------------------------------------------------------------
def test_reduced_wong_wang_spontaneous_rate_3hz():
    m = ReducedWongWangExcInh()
    t, x = run(m, m.default_initial(), 2000.0, 0.1, every=10)
    rate = float(m.derived("r_e", jnp.asarray(x[-1]))[0])
    assert rate == pytest.approx(3.0, abs=0.2)                 # Deco et al. 2014: ~3 Hz spontaneous state
    assert np.linalg.eigvals(jac(m, x[-1, :, 0])).real.max() < 0


def test_reduced_wong_wang_feedback_inhibition_control(rng):
    W = rng.uniform(0, 1, (5, 5))
    np.fill_diagonal(W, 0)
    G_net = 0.1
    coupling = lambda x: G_net * (jnp.asarray(W) @ x[0])[None]
    plain = ReducedWongWangExcInh()
    fic = plain.with_fic(W, global_coupling=G_net)
    assert np.asarray(fic.J_i).shape == (5,) and np.all(np.asarray(fic.J_i) > float(plain.J_i))
    x0 = np.tile(plain.default_initial()[:, None], (1, 5))
    rates = {}
    for name, m in (("plain", plain), ("fic", fic)):
        t, x = run(m, x0, 3000.0, 0.25, coupling=coupling, every=100)
        c = np.asarray(coupling(jnp.asarray(x[-1])))
        S_e, S_i = x[-1]
        x_e = m.w_p * m.J_N * S_e - np.asarray(m.J_i) * S_i + m.W_e * m.I_o + m.G * m.J_N * c[0]
        u = m.a_e * x_e - m.b_e
        rates[name] = u / (1 - np.exp(-m.d_e * u))
    np.testing.assert_allclose(rates["fic"], 3.0, atol=1e-3)
    assert np.all(rates["plain"] > 3.3)                        # without FIC, network input raises the rates
    # the FIC state is a stable fixed point of the network
    xs = jnp.asarray(x[-1])
    Jn = jax.jit(jax.jacfwd(lambda v: fic.dfun(v.reshape(2, 5), coupling(v.reshape(2, 5))).reshape(-1)))(xs.reshape(-1))
    assert np.linalg.eigvals(np.asarray(Jn)).real.max() < 0


# -- Montbrio-Pazo-Roxin -------------------------------------------------------------------------------
def test_mpr_fixed_points_closed_form_and_bistability():
    m = MontbrioPazoRoxin()                                    # TVB defaults: J = 15, Delta = 1, eta = -5
    fps = m.fixed_points()
    assert len(fps) == 3
    for r, V in fps:
        assert V == pytest.approx(-1.0 / (2 * np.pi * r))     # r* = Delta / (pi tau |V*|) / 2
        np.testing.assert_allclose(rhs(m, [r, V]), 0.0, atol=1e-11)
    stable = [dominant(m, fp).real < 0 for fp in fps]
    assert stable == [True, False, True]                       # low node, saddle, high focus
    assert abs(dominant(m, fps[2]).imag) > 0
    # integration from either side of the saddle lands on the two stable states
    x0 = np.array([[0.1, 1.3], [-2.0, -0.1]])
    t, x = run(m, x0, 100.0, 0.001, every=1000)
    np.testing.assert_allclose(x[-1, :, 0], fps[0], rtol=1e-9)
    np.testing.assert_allclose(x[-1, :, 1], fps[2], rtol=1e-9)


def test_mpr_bistable_range_saddle_nodes():
    # saddle nodes where d eta / d r = 0 along eta(r) = pi^2 r^2 - J r - Delta^2 / (4 pi^2 r^2)  (tau = 1)
    J, D = 15.0, 1.0
    rs = np.roots([2 * np.pi**2, -J, 0, 0, D**2 / (2 * np.pi**2)])
    rs = rs[(abs(rs.imag) < 1e-12) & (rs.real > 0)].real
    lo, hi = sorted(np.pi**2 * rs**2 - J * rs - D**2 / (4 * np.pi**2 * rs**2))
    m = MontbrioPazoRoxin(J=J, Delta=D)
    for eta, n in ((lo - 0.01, 1), (lo + 0.01, 3), (hi - 0.01, 3), (hi + 0.01, 1)):
        assert len(m.replace(eta=eta).fixed_points()) == n, eta
    # no bistability below the cusp J_c = (8 pi / 3) (3/4)^(1/4) sqrt(Delta)
    J_c = 8 * np.pi / 3 * 0.75**0.25
    for eta in np.linspace(-10, 5, 61):
        assert len(MontbrioPazoRoxin(J=0.99 * J_c, eta=eta).fixed_points()) == 1
    # just above it a narrow bistable window opens near the cusp's eta = -sqrt(3) Delta
    assert max(len(MontbrioPazoRoxin(J=1.01 * J_c, eta=eta).fixed_points())
               for eta in np.linspace(-2.2, -1.2, 2001)) == 3


# -- ING vs inhibitory MPR --------------------------------------------------------------------------------
def test_ing_gamma_oscillation_where_inhibitory_mpr_is_quiet():
    m = ING()
    r, v, s = m.fixed_point()
    np.testing.assert_allclose(rhs(m, [r, v, s]), 0.0, atol=1e-13)
    lam = dominant(m, [r, v, s])
    assert lam.real > 0                                          # synaptic kinetics: Hopf -> gamma cycle
    t, x = run(m, [r * 1.1, v, s], 1000.0, 0.01, every=10)
    keep = t > 500
    f = frequency_hz(t[keep], x[keep, 0, 0])
    assert 30.0 < f < 80.0
    assert np.ptp(x[keep, 0, 0]) > r                             # large collective oscillation
    # same neurons, instantaneous inhibition (MPR with J -> -J): a stable focus, no oscillation
    mpr = MontbrioPazoRoxin(tau=m.tau, Delta=m.Delta, J=-m.J, eta=m.eta)
    (r0, v0), = mpr.fixed_points()
    assert r0 == pytest.approx(r) and dominant(mpr, [r0, v0]).real < 0
    t, x = run(mpr, [r0 * 1.1, v0], 1000.0, 0.01, every=10)
    assert np.ptp(x[t > 500, 0, 0]) < 1e-8
    # slow synapses suppress the oscillation again (Wilson-Cowan limit)
    slow = m.replace(tau_d=100.0)
    assert dominant(slow, slow.fixed_point()).real < 0


def test_ing_frequency_at_onset_matches_linear_theory():
    m = ING()
    eta_h = brentq(lambda e: dominant(m.replace(eta=e), m.replace(eta=e).fixed_point()).real, 2.0, 10.0, xtol=1e-10)
    mh = m.replace(eta=eta_h + 0.05)
    fp = np.array(mh.fixed_point())
    t, x = run(mh, fp * [1.01, 1, 1], 3000.0, 0.01, every=10)
    keep = t > 2000
    assert np.ptp(x[keep, 0, 0]) > 0
    assert frequency_hz(t[keep], x[keep, 0, 0]) == pytest.approx(abs(dominant(mh, fp).imag) / (2 * np.pi) * 1000,
                                                                 rel=0.02)


# -- Coombes-Byrne ------------------------------------------------------------------------------------------
def test_coombes_byrne_fixed_point_and_hopf_oscillation():
    for eta, oscillates in ((2.0, False), (20.0, True), (30.0, False)):
        m = CoombesByrne(eta=eta)
        (fp,) = m.fixed_points()
        np.testing.assert_allclose(rhs(m, fp), 0.0, atol=1e-11)
        lam = dominant(m, fp)
        assert (lam.real > 0) == oscillates
        t, x = run(m, np.array(fp) * 1.01, 200.0, 0.001, every=100)
        r = x[:, 0, 0]
        if oscillates:
            assert np.ptp(r[t > 100]) > 0.1
            assert frequency_hz(t[t > 100], r[t > 100]) == pytest.approx(abs(lam.imag) / (2 * np.pi) * 1000, rel=0.25)
        else:   # decays at the rate of the focus
            assert decay_rate(t[t > 20], r[t > 20], fp[0]) == pytest.approx(lam.real, rel=0.02)


# -- Larter-Breakspear -----------------------------------------------------------------------------------------


def test_larter_breakspear_chaos_and_fixed_point():
    lam = largest_lyapunov(LarterBreakspear.alstott2009(), [-0.2, 0.1, 0.05], T=6000.0, dt=0.1, t_transient=1000.0)
    assert lam > 0.004                                             # chaotic (Breakspear et al. 2003)
    lam_fp = largest_lyapunov(LarterBreakspear(d_V=0.5), [-0.2, 0.1, 0.05], T=1000.0, dt=0.1, t_transient=1000.0)
    assert lam_fp < -0.005                                         # d_V < 0.55: fixed point


# -- Epileptor ----------------------------------------------------------------------------------------------------
def test_epileptor_seizure_threshold_and_onset_offset_hysteresis():
    m = Epileptor()
    s, I1 = float(m.s), float(m.Iext)
    x0_c = ((-4 / 3) ** 3 + 2 * (-4 / 3) ** 2 + s * (-4 / 3) - 1 - I1) / s       # fixed point at the fold
    assert x0_c == pytest.approx(-2.062, abs=1e-3)
    x0s = np.array([x0_c - 0.1, x0_c + 0.1, -1.6])
    init = np.tile(m.default_initial()[:, None], (1, 3))
    t, x = run(m.replace(x0=x0s), init, 16000.0, 0.05, every=20)
    keep = t > 2000
    x1, z = x[keep, 0], x[keep, 2]
    assert x1[:, 0].max() < -1.0                                       # healthy: interictal fixed point
    for k in (1, 2):
        assert x1[:, k].max() > 0.0                                    # seizures (x1 discharges)
    # seizures start when z has fallen to its minimum and stop when it has risen to its maximum
    # (saddle-node onset, homoclinic offset): z at onsets < z at offsets
    zk = z[:, 2]
    dz = np.diff(zk)
    onsets = np.flatnonzero((dz[:-1] < 0) & (dz[1:] >= 0)) + 1
    offsets = np.flatnonzero((dz[:-1] > 0) & (dz[1:] <= 0)) + 1
    assert len(onsets) >= 2 and len(offsets) >= 2
    assert zk[onsets].max() < zk[offsets].min()
    # during a seizure (z rising) the fast subsystem discharges; between seizures it is quiet
    rising = np.concatenate([[False], dz > 0])
    assert x1[rising, 2].max() > 0.0 and x1[~rising, 2].max() < x1[rising, 2].max()


# -- Freeman ---------------------------------------------------------------------------------------------------------
def test_freeman_filter_impulse_response_and_sigmoid():
    m = Freeman(w_ee=0.0, w_ei=0.0, w_ie=0.0, w_ii=0.0, P=0.0)
    a, b = float(m.a), float(m.b)
    t, x = run(m, [0.0, a * b, 0.0, 0.0], 30.0, 0.005, every=2)     # unit impulse: dv(0+) = a b
    exact = a * b / (b - a) * (np.exp(-a * t) - np.exp(-b * t))
    np.testing.assert_allclose(x[:, 0, 0], exact, atol=1e-10)
    v = jnp.linspace(-4.0, 4.0, 8001)
    Q = np.asarray(m.sigmoid(v))
    dQ = np.gradient(Q, np.asarray(v))
    u0 = -np.log(1 - 5 * np.log(1 + 1 / 5))
    assert float(m.sigmoid(jnp.array(0.0))) == 0.0 and dQ[4000] == pytest.approx(1.0, rel=1e-4)
    assert np.asarray(v)[np.argmax(dQ)] == pytest.approx(np.log(5.0), abs=2e-3)    # steepest at ln Q_m
    assert Q.min() == -1.0 and np.all(Q[np.asarray(v) <= -u0] == -1.0)
    assert float(m.sigmoid(jnp.array(-u0 + 1e-9))) == pytest.approx(-1.0, abs=1e-7)  # continuous at -u0
    assert Q.max() < 5.0


def test_freeman_kii_gamma_oscillation():
    m = Freeman()
    fp = newton(m, [0.2, 0, 0.4, 0])
    lam = dominant(m, fp)
    assert lam.real > 0 and dominant(m.replace(P=0.0), np.zeros(4)).real < 0
    # loop analysis: each filter lags 90 degrees at omega = sqrt(ab) (~63 Hz)
    assert abs(lam.imag) == pytest.approx(np.sqrt(m.a * m.b), rel=0.1)
    t, x = run(m, fp + [0.01, 0, 0, 0], 600.0, 0.01, every=10)
    keep = t > 300
    assert np.ptp(x[keep, 0, 0]) > 1.0
    assert 40.0 < frequency_hz(t[keep], x[keep, 0, 0]) < 80.0
