"""Freeman mass models: impulse response, CFM as a linear system, MFM steady state."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from mne_nmm.spiking import freeman_filter, freeman_impulse_response, run_cfm, run_mfm
from mne_nmm.spiking.lif import LIFNetwork, LIFResult


@pytest.mark.parametrize("a, b", [(0.22, 0.72), (0.05, 0.2), (0.1, 0.1)])
def test_freeman_filter_impulse_response_matches_closed_form(a, b):
    dt, n = 0.01, 6000
    u = np.zeros(n)
    u[0] = 1.0 / dt  # unit-area pulse over the first step
    v = freeman_filter(u, a=a, b=b, dt_ms=dt)  # the catalogue Freeman model's v_e filter
    t = (np.arange(n) + 1) * dt
    # a pulse of width dt: response = h convolved with a box -> compare at t - dt/2
    h = freeman_impulse_response(t - dt / 2, a, b)
    np.testing.assert_allclose(v, h, atol=2e-3 * h.max())
    # area up to T: 1 - (b exp(-aT) - a exp(-bT)) / (b - a) (unit DC gain; limit a -> b for equal rates)
    T = t[-1]
    area = 1 - (1 + a * T) * np.exp(-a * T) if a == b else 1 - (b * np.exp(-a * T) - a * np.exp(-b * T)) / (b - a)
    assert abs(v.sum() * dt - area) < 2e-3


def _fake_result(nu, dt=0.1, **net_kw):
    net = LIFNetwork(n_neurons=10, **net_kw)
    n = nu.shape[0]
    return LIFResult(times_ms=(np.arange(n) + 1) * dt, dt_ms=dt, v_mean_mv=np.full(n, -60.0),
                     v_mean_exc_mv=np.full(n, -60.0), v_mean_inh_mv=np.full(n, -60.0), rate_exc_hz=np.zeros(n),
                     rate_inh_hz=np.zeros(n), spike_input_per_ms=nu, conductance=np.zeros((n, 3)),
                     raster=np.zeros((n, 0), bool), raster_neurons=np.zeros(0, int), spike_counts=np.zeros(10, int),
                     is_exc=np.arange(10) < 8, network=net)


def test_cfm_equals_linear_system_solution():
    from scipy.signal import lsim

    rng = np.random.default_rng(0)
    n, dt = 4000, 0.1
    nu = np.abs(rng.normal([20.0, 5.0, 40.0], [3.0, 1.0, 2.0], size=(n, 3)))
    res = _fake_result(nu)
    pred = run_cfm(res, v0_mv=-55.0)
    net = res.network
    t = (np.arange(n) + 1) * dt
    v = np.full(n, float(net.v_leak_mv))
    for s, (tau, w, e) in enumerate([(net.tau_exc_ms, net.w_exc, net.e_exc_mv), (net.tau_inh_ms, net.w_inh,
                                     net.e_inh_mv), (net.tau_ext_ms, net.w_ext, net.e_ext_mv)]):
        a, b = 1 / net.tau_m_ms, 1 / tau
        u = tau * w * nu[:, s] * (e + 55.0)
        # independent reference: the transfer function ab / ((s + a)(s + b)), zero-order hold input
        _, y, _ = lsim(([a * b], [1, a + b, a * b]), np.concatenate([u, [u[-1]]]),
                       np.concatenate([[0.0], t]), interp=False)
        v += y[1:]
    np.testing.assert_allclose(pred.v_mv, v, atol=1e-3)


def test_mfm_constant_input_reaches_conductance_steady_state():
    n = 3000
    nu = np.tile([20.0, 4.0, 40.0], (n, 1))
    res = _fake_result(nu)
    net = res.network
    pred = run_mfm(res)
    tau = np.array([net.tau_exc_ms, net.tau_inh_ms, net.tau_ext_ms])
    w = np.array([net.w_exc, net.w_inh, net.w_ext])
    e = np.array([net.e_exc_mv, net.e_inh_mv, net.e_ext_mv])
    g = tau * w * nu[0]
    v_star = (net.v_leak_mv + g @ e) / (1 + g.sum())  # fixed point of tau_m dV/dt = -(V-V_L) - sum g (V - E)
    np.testing.assert_allclose(pred.conductance[-1], g, rtol=1e-4)
    assert abs(pred.v_mv[-1] - v_star) < 1e-3
    cfm = run_cfm(res, v0_mv=v_star)  # with V0 = V*, the CFM shares the fixed point but not the time constant
    v_cfm = net.v_leak_mv + g @ (e - v_star)
    assert abs(cfm.v_mv[-1] - v_cfm) < 1e-2


def test_freeman_impulse_response_validation():
    with pytest.raises(ValueError, match="a and b must be > 0"):
        freeman_impulse_response([0.0, 1.0], 0.0, 1.0)
    assert freeman_impulse_response(-1.0, 0.2, 0.5) == 0.0
