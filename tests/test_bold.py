"""BOLD monitors against closed forms and independent references.

The monitors are run under ``jax.lax.scan`` exactly as the engine calls them
(``init`` once, ``step`` after every integration step, ``readout`` on the kept
samples) with a tiny model whose single state variable *is* the drive.
"""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402
from scipy.linalg import expm  # noqa: E402

from mne_nmm.monitors.base import MonitorContext  # noqa: E402
from mne_nmm.monitors.bold import BalloonWindkessel, HRFConvolution, hrf_kernel  # noqa: E402

N = 5


class DriveModel:
    """Minimal model: the state ``(1, n_regions)`` is the BOLD drive itself."""

    variables = ("x",)
    state_variables = ("x",)
    bold_drive = "x"
    default_output = "x"

    def observe(self, state, names):
        return state[:1]

    def unit_of(self, name):
        return "a.u."


class NoDriveModel(DriveModel):
    bold_drive = None


def build(monitor, dt_ms, n=N, model=None):
    model = DriveModel() if model is None else model
    ctx = MonitorContext(model=model, dt_ms=dt_ms, n_regions=n, region_names=tuple(f"r{i}" for i in range(n)))
    return monitor.build(ctx)


def run(monitor, drive, dt_ms, n=N, dtype=jnp.float32):
    """Run a monitor on a drive ``(n_steps, n)`` (value after each step). Returns (times_s, samples)."""
    built = build(monitor, dt_ms, n)
    model = DriveModel()
    drive = jnp.asarray(drive, dtype=dtype)
    m0 = built.init(drive[0][None], model, built.params)

    @jax.jit
    def scan(m0, drive):
        def body(m, x):
            return built.step(m, x[None], model, built.params)
        return jax.lax.scan(body, m0, drive)

    _, raws = scan(m0, drive)
    idx = np.arange(built.period_steps - 1, drive.shape[0], built.period_steps)
    out = np.asarray(built.readout(raws[idx], model, built.params))
    return (idx + 1) * dt_ms / 1000.0, out


def step_times_s(duration_s, dt_ms):
    n_steps = int(round(duration_s * 1000 / dt_ms))
    return (np.arange(n_steps) + 1) * dt_ms / 1000.0


# independent closed forms (written here from the equations, not taken from the module)
def closed_form_steady(z, kappa, gamma, alpha, rho, V0, k1, k2, k3):
    f = 1 + z / gamma
    v = f ** alpha
    q = v * (1 - (1 - rho) ** (1 / f)) / rho
    return f, v, q, V0 * (k1 * (1 - q) + k2 * (1 - q / v) + k3 * (1 - v))


FRISTON = dict(kappa=0.65, gamma=0.41, tau=0.98, alpha=0.32, rho=0.34, V0=0.02)


def smooth_drive(t_s, seed=0, amp=0.04):
    rng = np.random.default_rng(seed)
    freqs = rng.uniform(0.02, 0.3, (4, N))
    phases = rng.uniform(0, 2 * np.pi, (4, N))
    return amp * np.sin(2 * np.pi * freqs * t_s[..., None, None] + phases).sum(-2)


def balloon_rhs_reference(p, drive_fn):
    """Original (not deviation) Balloon-Windkessel equations, float64, for solve_ivp."""
    kappa, gamma, tau, alpha, rho = p["kappa"], p["gamma"], p["tau"], p["alpha"], p["rho"]

    def rhs(t, y):
        s, f, v, q = y.reshape(4, N)
        z = drive_fn(np.array(t))
        E = 1 - (1 - rho) ** (1 / f)
        return np.concatenate([z - kappa * s - gamma * (f - 1), s, (f - v ** (1 / alpha)) / tau,
                               (f * E / rho - v ** (1 / alpha) * q / v) / tau])
    return rhs


def reference_bold(p, drive_fn, t_eval):
    """Classic BOLD equation (k1 = 7 rho, k2 = 2, k3 = 2 rho - 0.2) on a DOP853 solution."""
    k1, k2, k3 = 7 * p["rho"], 2.0, 2 * p["rho"] - 0.2
    y0 = np.concatenate([np.zeros(N), np.ones(3 * N)])
    sol = solve_ivp(balloon_rhs_reference(p, drive_fn), (0, t_eval[-1]), y0, t_eval=t_eval, rtol=1e-10,
                    atol=1e-12, method="DOP853")
    s, f, v, q = sol.y.reshape(4, N, -1)
    return (p["V0"] * (k1 * (1 - q) + k2 * (1 - q / v) + k3 * (1 - v))).T


# ------------------------------------------------------------------------------------------
# Balloon-Windkessel
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", ["mean", "instant"])
def test_balloon_exactly_zero_at_rest(sample):
    mon = BalloonWindkessel(0.5, variables=("bold", "s", "f", "v", "q"), sample=sample)
    t, out = run(mon, np.zeros((20_000, N)), dt_ms=0.1)
    assert out.shape == (4, 5, N)
    np.testing.assert_array_equal(out[:, 0], 0.0)
    np.testing.assert_array_equal(out[:, 1], 0.0)
    np.testing.assert_array_equal(out[:, 2:], 1.0)


@pytest.mark.parametrize("preset", ["friston2000", "stephan2007"])
def test_balloon_steady_state_closed_form(preset):
    z = np.array([0.0, 0.05, -0.1, 0.2, 0.3])
    mon = BalloonWindkessel(1.0, preset=preset, variables=("bold", "s", "f", "v", "q"), sample="instant")
    t, out = run(mon, np.broadcast_to(z, (100_000, N)), dt_ms=1.0)   # 100 s: transients decay as exp(-t/3s)
    info = build(mon, 1.0).info
    f, v, q, bold = closed_form_steady(z, info["kappa"], info["gamma"], info["alpha"], info["rho"], info["V0"],
                                       info["k1"], info["k2"], info["k3"])
    last = out[-1]
    np.testing.assert_allclose(last[1], 0.0, atol=1e-6)
    np.testing.assert_allclose(last[2], f, rtol=1e-5)
    np.testing.assert_allclose(last[3], v, rtol=1e-5)
    np.testing.assert_allclose(last[4], q, rtol=1e-5)
    np.testing.assert_allclose(last[0], bold, rtol=1e-4, atol=1e-8)
    assert np.all(np.abs(bold[1:]) > 1e-3)   # non-trivial values


def test_balloon_init_steady_and_heterogeneous_parameters():
    z = np.array([0.1, 0.05, -0.1, 0.2, 0.3])
    gamma = np.array([0.3, 0.35, 0.41, 0.45, 0.5])
    mon = BalloonWindkessel(0.5, gamma=gamma, init="steady", variables=("bold", "f"))
    t, out = run(mon, np.broadcast_to(z, (10_000, N)), dt_ms=0.5)
    f, v, q, bold = closed_form_steady(z, 0.65, gamma, 0.32, 0.34, 0.02, 7 * 0.34, 2.0, 2 * 0.34 - 0.2)
    # starts (and stays) at the steady state of the initial drive: no transient
    np.testing.assert_allclose(out[:, 1], np.broadcast_to(f, out[:, 1].shape), rtol=1e-5)
    np.testing.assert_allclose(out[:, 0], np.broadcast_to(bold, out[:, 0].shape), rtol=1e-4)


def _linear_impulse(p, k1, k2, k3, amp, width_s, t_s):
    """Exact response of the Balloon model linearised at rest to a box drive (matrix exponential)."""
    kappa, gamma, tau, alpha, rho = p["kappa"], p["gamma"], p["tau"], p["alpha"], p["rho"]
    dEf = 1 + (1 - rho) * np.log(1 - rho) / rho          # d(f E(f)/rho)/df at f = 1
    A = np.array([[-kappa, -gamma, 0, 0],
                  [1, 0, 0, 0],
                  [0, 1 / tau, -1 / (alpha * tau), 0],
                  [0, dEf / tau, -(1 / alpha - 1) / tau, -1 / tau]])
    b = np.array([amp, 0, 0, 0])
    c = p["V0"] * np.array([0, 0, k2 - k3, -k1 - k2])
    # state at the end of the box: int_0^w expm(A u) b du via an augmented matrix
    M = np.zeros((5, 5))
    M[:4, :4] = A
    M[:4, 4] = b
    out = []
    for t in t_s:
        if t <= width_s:
            x = expm(M * t)[:4, 4]
        else:
            x = expm(A * (t - width_s)) @ expm(M * width_s)[:4, 4]
        out.append(c @ x)
    return np.array(out)


@pytest.mark.parametrize("preset, peak_range", [("friston2000", (2.5, 3.6)), ("stephan2007", (4.0, 6.0))])
def test_balloon_impulse_response(preset, peak_range):
    amp, width = 1e-3, 0.1     # small drive: the linearised model is exact to O(amp)
    dt = 0.5
    t = step_times_s(25.0, dt)
    drive = np.where(t[:, None] <= width + 1e-9, amp, 0.0) * np.ones(N)
    mon = BalloonWindkessel(0.1, preset=preset, sample="instant")
    ts, out = run(mon, drive, dt_ms=dt)
    y = out[:, 0, 0]
    info = build(mon, dt).info
    ref = _linear_impulse(info, info["k1"], info["k2"], info["k3"], amp, width, ts)
    np.testing.assert_allclose(y, ref, atol=5e-3 * np.abs(ref).max())
    i_peak = np.argmax(y)
    assert peak_range[0] <= ts[i_peak] <= peak_range[1]
    assert y[i_peak:].min() < -0.05 * y[i_peak]          # post-stimulus undershoot
    assert ts[np.argmin(y)] > ts[i_peak] + 3.0


@pytest.mark.parametrize("sample", ["mean", "instant"])
def test_balloon_dt_independence_and_reference(sample):
    """0.1 ms and 0.05 ms agree, and both match a float64 DOP853 solution of the original equations."""
    duration, tr = 20.0, 1.0
    p = dict(FRISTON)
    outs = {}
    for dt in (0.1, 0.05):
        t = step_times_s(duration, dt)
        outs[dt] = run(BalloonWindkessel(tr, sample=sample), smooth_drive(t), dt_ms=dt)[1][:, 0]
    fine_dt = 0.05
    t_fine = step_times_s(duration, fine_dt)
    ref_fine = reference_bold(p, lambda tt: smooth_drive(tt), t_fine)
    if sample == "instant":
        ref = ref_fine[int(round(tr * 1000 / fine_dt)) - 1::int(round(tr * 1000 / fine_dt))]
    else:
        ref = ref_fine.reshape(-1, int(round(tr * 1000 / fine_dt)), N).mean(1)
    scale = np.abs(ref).max()
    assert scale > 1e-3
    err_01 = np.abs(outs[0.1] - ref).max() / scale
    err_005 = np.abs(outs[0.05] - ref).max() / scale
    diff = np.abs(outs[0.1] - outs[0.05]).max() / scale
    assert err_01 < 1e-4 and err_005 < 1e-4 and diff < 1e-4, (err_01, err_005, diff)


def test_balloon_tr_must_be_whole_steps():
    with pytest.raises(ValueError, match=r"tr_s \(0.72 s = 720 ms\) must be a whole multiple of the integration "
                                         r"step dt \(0.7 ms\)"):
        build(BalloonWindkessel(0.72), dt_ms=0.7)
    assert build(BalloonWindkessel(0.72), dt_ms=0.1).period_steps == 7200
    assert build(BalloonWindkessel(2.0), dt_ms=0.1).time_stamp == "end"
    assert build(BalloonWindkessel(2.0, sample="instant"), dt_ms=0.1).time_stamp == "instant"


def test_balloon_validation():
    with pytest.raises(ValueError, match="tr_s must be a finite number > 0"):
        BalloonWindkessel(0.0)
    with pytest.raises(ValueError, match="'preset' parameter"):
        BalloonWindkessel(2.0, preset="tvb")
    with pytest.raises(ValueError, match="'variables' parameter"):
        BalloonWindkessel(2.0, variables=("bold", "x"))
    with pytest.raises(ValueError, match=r"rho .* must be in \(0, 1\)"):
        BalloonWindkessel(2.0, rho=1.2)
    with pytest.raises(ValueError, match="kappa must be > 0"):
        BalloonWindkessel(2.0, kappa=-1.0)
    with pytest.raises(ValueError, match=r"gamma must be a scalar or have shape \(5,\)"):
        build(BalloonWindkessel(2.0, gamma=np.ones(3) * 0.4), dt_ms=0.1)
    with pytest.raises(ValueError, match="drive must be among"):
        build(BalloonWindkessel(2.0, drive="y"), dt_ms=0.1)
    with pytest.raises(ValueError, match="declares no bold_drive"):
        build(BalloonWindkessel(2.0), dt_ms=0.1, model=NoDriveModel())
    with pytest.raises(TypeError, match="drive must be an instance of str"):
        BalloonWindkessel(2.0, drive=3)


def test_balloon_state_is_constant_size():
    """Flat memory: the scan carry does not depend on the duration or TR."""
    sizes = []
    for tr in (0.5, 2.0, 10.0):
        built = build(BalloonWindkessel(tr, variables=("bold", "f")), dt_ms=0.1, n=76)
        m0 = built.init(jnp.zeros((1, 76)), DriveModel(), built.params)
        sizes.append(sum(np.size(x) for x in jax.tree_util.tree_leaves(m0)))
    assert sizes[0] == sizes[1] == sizes[2] == 4 * 76 * 2 + 2 * 76 * 2 + 1


def test_balloon_differentiable():
    """d(mean BOLD)/d(drive amplitude) through the scan equals a central finite difference."""
    mon = BalloonWindkessel(1.0, sample="instant")
    built = build(mon, dt_ms=1.0)
    model = DriveModel()
    t = step_times_s(10.0, 1.0)
    shape = jnp.asarray(np.sin(2 * np.pi * 0.1 * t)[:, None] * np.ones(N), dtype=jnp.float32)

    def loss(amp):
        drive = amp * shape
        m0 = built.init(drive[0][None], model, built.params)
        _, raws = jax.lax.scan(lambda m, x: built.step(m, x[None], model, built.params), m0, drive)
        return jnp.sum(raws[999::1000] ** 2)

    g = float(jax.grad(loss)(0.1))
    fd = (float(loss(0.101)) - float(loss(0.099))) / 0.002
    assert g != 0 and abs(g - fd) < 2e-3 * abs(fd)


# ------------------------------------------------------------------------------------------
# HRF convolution
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["spm", "glover"])
def test_hrf_kernel_matches_nilearn(kernel):
    from nilearn.glm.first_level import glover_hrf, spm_hrf

    tr, over = 1.0, 50
    ref = (spm_hrf if kernel == "spm" else glover_hrf)(tr, oversampling=over, time_length=32.0, onset=0.0)
    # nilearn samples linspace(0, 32, n) shifted by one oversampled step (loc=dt) and uses ratio 0.167 for SPM
    t = np.linspace(0, 32, len(ref)) - tr / over
    ours = hrf_kernel(kernel, t)
    ours, ref = ours / ours.sum(), ref / ref.sum()
    np.testing.assert_allclose(ours, ref, atol=1e-3 * ref.max())
    assert np.argmax(ours) == np.argmax(ref)
    # unit integral
    tt = np.linspace(0, 200, 200_001)
    assert abs(np.trapezoid(hrf_kernel(kernel, tt), tt) - 1) < 1e-6


def test_hrf_constant_drive():
    from scipy.special import gammainc

    z = np.array([0.0, 0.1, -0.2, 0.5, 1.0])
    t, out = run(HRFConvolution(2.0), np.broadcast_to(z, (50_000, N)), dt_ms=1.0)
    # truncated at 32 s: integral of the kernel on [0, 32 s], from the gamma CDFs
    H32 = (gammainc(6, 32.0) - gammainc(16, 32.0) / 6) / (1 - 1 / 6)
    np.testing.assert_allclose(out[-5:, 0], np.broadcast_to(z * H32, (5, N)), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(out[:, 0, 0], 0.0)


@pytest.mark.parametrize("sample", ["instant", "mean"])
def test_hrf_sinusoid_analytic(sample):
    """Response to sin(w t) equals |H(w)| sin(w t + arg H(w)); H from the gamma characteristic functions."""
    freq = np.array([0.02, 0.05, 0.1, 0.15, 0.25])
    w = 2 * np.pi * freq
    dt, tr = 0.5, 1.0
    t = step_times_s(100.0, dt)
    drive = np.sin(w * t[:, None])
    ts, out = run(HRFConvolution(tr, kernel_length_s=80.0, bin_ms=5.0, sample=sample), drive, dt_ms=dt)

    # int_0^inf h(u) sin(w (t - u)) du = Im(exp(i w t) Hm), Hm = int h(u) exp(-i w u) du, and for a gamma
    # density of shape k and scale theta: int g(u) exp(-i w u) du = (1 + i w theta) ** -k
    Hm = ((1 + 1j * w) ** (-6.0) - (1 + 1j * w) ** (-16.0) / 6) / (1 - 1 / 6)
    if sample == "instant":
        ref = np.imag(np.exp(1j * w * ts[:, None]) * Hm)
    else:   # mean over (t - tr, t]
        ref = np.imag((np.exp(1j * w * ts[:, None]) - np.exp(1j * w * (ts[:, None] - tr))) / (1j * w * tr) * Hm)
    keep = ts > 82.0
    np.testing.assert_allclose(out[keep, 0], ref[keep], atol=2e-5)


def test_hrf_impulse_peak_and_memory():
    t = step_times_s(30.0, 1.0)
    drive = np.where(t[:, None] <= 0.1 + 1e-9, 1.0, 0.0) * np.ones(N)
    mon = HRFConvolution(0.1, sample="instant", bin_ms=1.0)
    ts, out = run(mon, drive, dt_ms=1.0)
    y = out[:, 0, 0]
    assert 4.5 <= ts[np.argmax(y)] <= 5.5       # SPM canonical: peak ~5 s
    assert y.min() < -0.05 * y.max() and 14 < ts[np.argmin(y)] < 18
    # memory: slots grow with kernel_length / tr, not with the duration
    built = build(HRFConvolution(2.0), dt_ms=0.1, n=76)
    m0 = built.init(jnp.zeros((1, 76)), DriveModel(), built.params)
    n_slots = built.info["n_slots"]
    assert (32.0 + 2.0) / 2.0 <= n_slots <= (32.0 + 2.0) / 2.0 + 3       # kernel + TR window, in TRs
    assert sum(np.size(x) for x in jax.tree_util.tree_leaves(m0)) == n_slots * 76 + 76 + 3


def test_hrf_validation():
    with pytest.raises(ValueError, match=r"tr_s \(1.005 s\) must be a whole multiple of bin_ms \(10 ms\)"):
        HRFConvolution(1.005)
    with pytest.raises(ValueError, match="'kernel' parameter"):
        HRFConvolution(2.0, kernel="boxcar")
    with pytest.raises(ValueError, match="bin_ms / 1000 .* must be a whole multiple of the integration step"):
        build(HRFConvolution(2.1, bin_ms=7.0), dt_ms=0.3)
    # a custom kernel equal to the canonical one gives the canonical table
    custom = HRFConvolution(2.0, kernel=lambda tt: hrf_kernel("spm", tt))
    np.testing.assert_allclose(custom.kernel_table(), HRFConvolution(2.0).kernel_table(), atol=1e-6)
