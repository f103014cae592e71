"""The linear-noise approximation of BOLD FC (fitting.linear) and LinearFCFit.

References: the zero-frequency spectrum J^-1 B B^T J^-T of a hand-written Hopf network Jacobian (numpy, not
JAX's jacfwd of the engine's drift), and the integrated covariance of a naive Euler-Maruyama loop of the
same linear SDE (Var of the time integral over T, divided by T, tends to J^-1 B B^T J^-T).
"""

import numpy as np
import pytest

import mne_nmm as nmm
from mne_nmm.fitting import LinearFCFit, linear_bold_fc


def _hopf_network(n=5, seed=0, G=0.3):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < 0.7)
    np.fill_diagonal(w, 0.0)
    net = nmm.Network(nmm.Connectome(w, np.full((n, n), 30.0)), coupling=nmm.coupling.Difference(),
                      global_coupling=G, speed_m_per_s=3.0, dt_ms=0.5)
    return net, w


def _params(net, model, sigma=0.02):
    _, params = nmm.make_simulator(net, model, duration_ms=10.0, integrator="stochastic_heun",
                                       noise=nmm.core.noise.AdditiveNoise(sigma=sigma))
    return params


def _hand_jacobian(w, G, a, om):
    n = w.shape[0]
    L = G * (w - np.diag(w.sum(1)))
    A = a * np.eye(n) + L
    return np.block([[A, -om * np.eye(n)], [om * np.eye(n), A]])


def test_linear_fc_matches_hand_written_hopf_spectrum():
    net, w = _hopf_network()
    model = nmm.models.Hopf(a=-0.03)
    params = _params(net, model, sigma=0.02)
    fc, info = linear_bold_fc(params, np.zeros((2, 5)))
    J = _hand_jacobian(w, 0.3, -0.03, model.omega)
    np.testing.assert_allclose(np.asarray(info["jacobian"]), J, atol=1e-6)
    Ji = np.linalg.inv(J)
    S = (Ji @ Ji.T * 0.02 ** 2)[:5, :5]
    ref = S / np.sqrt(np.outer(np.diag(S), np.diag(S)))
    np.testing.assert_allclose(np.asarray(fc), ref, atol=2e-5)
    np.testing.assert_allclose(np.asarray(info["variance"]), np.diag(S), rtol=1e-3)


def test_zero_frequency_spectrum_against_a_naive_linear_sde_loop():
    # Var(int_0^T xi dt) / T -> J^-1 B B^T J^-T for the linear SDE d xi = J xi dt + B dW (T >> relaxation time)
    n, G, a, om, sig, dt = 3, 0.5, -0.05, 0.02, 1.0, 0.5
    w = np.array([[0, 1.0, 0.2], [0.5, 0, 0.0], [0.3, 0.8, 0]])
    J = _hand_jacobian(w, G, a, om)
    rng = np.random.default_rng(1)
    n_rep, n_win, steps = 64, 40, 400                      # windows of 200 ms >> 1 / 0.05 = 20 ms
    x = np.zeros((n_rep, 2 * n))
    sums = []
    for _ in range(n_win):
        acc = np.zeros((n_rep, 2 * n))
        for _ in range(steps):
            x = x + dt * x @ J.T + sig * np.sqrt(dt) * rng.standard_normal(x.shape)
            acc += x * dt
        sums.append(acc)
    sums = np.concatenate(sums[2:])                        # drop the first windows (start-up)
    emp = np.cov(sums.T)[:n, :n] / (steps * dt)
    net = nmm.Network(nmm.Connectome(w, np.full((n, n), 10.0)), coupling=nmm.coupling.Difference(),
                      global_coupling=G, speed_m_per_s=3.0, dt_ms=dt)
    fc, info = linear_bold_fc(_params(net, nmm.models.Hopf(a=a, omega=om), sigma=sig), np.zeros((2, n)))
    ref = emp / np.sqrt(np.outer(np.diag(emp), np.diag(emp)))
    np.testing.assert_allclose(np.asarray(fc), ref, atol=0.08)
    np.testing.assert_allclose(np.asarray(info["variance"]), np.diag(emp), rtol=0.25)


def test_newton_finds_the_fixed_point_and_rejects_an_unstable_one():
    net, _ = _hopf_network()
    params = _params(net, nmm.models.Hopf(a=-0.03))
    _, info = linear_bold_fc(params, np.full((2, 5), 0.05), n_newton=20)
    assert float(info["residual"]) < 1e-6
    np.testing.assert_allclose(np.asarray(info["state"]), 0.0, atol=1e-6)
    from mne_nmm.fitting import LinearFCObjective

    with pytest.raises(ValueError, match="not stable"):
        LinearFCObjective(_params(net, nmm.models.Hopf(a=0.05)), np.eye(5), np.zeros((2, 5)))
    with pytest.raises(ValueError, match="target_fc must have shape"):
        LinearFCObjective(params, np.eye(4), np.zeros((2, 5)))


def test_linear_fit_recovers_a_known_connectivity_and_follows_the_estimator_contract():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    net, w_true = _hopf_network(n=6, seed=3, G=0.03)
    model = nmm.models.Hopf(a=-0.05)
    target, _ = linear_bold_fc(_params(net, model), np.zeros((2, 6)))
    target = np.asarray(target, dtype=float)
    target = (target + target.T) / 2.0
    np.fill_diagonal(target, 1.0)                                   # an FC matrix as target_fc recognises one
    rng = np.random.default_rng(0)
    start = nmm.Network(nmm.Connectome(w_true * np.exp(rng.standard_normal(w_true.shape)),
                                       np.full((6, 6), 30.0)), coupling=nmm.coupling.Difference(),
                        global_coupling=0.03, speed_m_per_s=3.0, dt_ms=0.5)
    est = LinearFCFit(start, model, duration_s=20.0, transient_s=2.0, tr_s=1.0, max_iter=600, learning_rate=0.03,
                      row_sum_limit=None, weights={"fc_rmse": 1.0})
    with pytest.raises(NotFittedError):
        est.score(target)
    assert est.fit(target) is est
    fc0 = np.asarray(linear_bold_fc(_params(start, model), np.zeros((2, 6)))[0])
    iu = np.triu_indices(6, 1)
    fc_fit = np.asarray(linear_bold_fc(est.best_params_, np.zeros((2, 6)))[0])
    err0, err = np.abs(fc0 - target)[iu].max(), np.abs(fc_fit - target)[iu].max()
    assert err0 > 0.05, err0                                                      # the start is visibly wrong
    assert err < 0.1 * err0 and err < 0.01, (err0, err)
    assert est.surrogate_r_ > 0.999
    w_fit = np.asarray(est.best_params_.weights)
    assert np.all(w_fit[w_true == 0] == 0)                                        # structural zeros stay zero
    assert est.loss_history_[-1] < 0.1 * est.loss_history_[0]
    assert est.max_heun_amplification_ < 1.0
    assert np.all(np.asarray(start.weights) == np.asarray(clone(est).network.weights))   # input unchanged


def test_target_fc_accepts_a_float32_fc_matrix():
    # a float32 FC (diagonal 0.99999994) must be used as an FC, not read as a time series
    from mne_nmm.fitting import target_fc

    rng = np.random.default_rng(0)
    fc = np.corrcoef(rng.standard_normal((7, 200))).astype(np.float32)
    fc[np.diag_indices(7)] = np.float32(0.99999994)
    out, _ = target_fc(fc)
    np.testing.assert_allclose(out, fc.astype(float))


def test_heun_spectral_radius_equals_numpy_eigenvalues_and_has_a_gradient():
    import jax
    import jax.numpy as jnp

    from mne_nmm.fitting.linear import heun_spectral_radius

    rng = np.random.default_rng(1)
    for scale, dt in ((0.01, 1.0), (0.5, 1.0), (1.0, 0.5), (0.2, 5.0)):
        J = -0.02 * np.eye(40) + scale * rng.standard_normal((40, 40)) / np.sqrt(40)
        J = J - 0.5 * np.diag(np.abs(J).sum(1))
        z = np.linalg.eigvals(J) * dt
        ref = np.abs(1 + z + z * z / 2).max()
        got = float(heun_spectral_radius(jnp.asarray(J), dt))
        np.testing.assert_allclose(got, ref, rtol=2e-3)
        assert got >= ref * (1 - 1e-6)                                  # an upper bound (Gelfand)
    # gradient against central differences of the numpy eigenvalue radius (a real dominant eigenvalue: for a
    # complex pair the bound's gradient carries a phase term, see the docstring)
    A = rng.standard_normal((6, 6))
    J = -0.3 * np.eye(6) - 0.2 * (A @ A.T) / 6
    E = rng.standard_normal((6, 6))
    E = E + E.T

    def np_radius(t):
        z = np.linalg.eigvals(J + t * E) * 2.0
        return np.abs(1 + z + z * z / 2).max()

    with jax.enable_x64(True):
        g = float(jax.grad(lambda t: heun_spectral_radius(jnp.asarray(J) + t * jnp.asarray(E), 2.0))(0.0))
    fd = (np_radius(1e-5) - np_radius(-1e-5)) / 2e-5
    np.testing.assert_allclose(g, fd, rtol=1e-3)


def test_linear_fit_stays_inside_heuns_stability_region(caplog):
    """A target FC whose generating network Heun cannot integrate at dt: the unconstrained fit reaches it (and
    warns), the default fit stops at the stability boundary."""
    n = 6
    rng = np.random.default_rng(3)
    w = rng.uniform(0.1, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < 0.7)
    np.fill_diagonal(w, 0.0)

    def network(weights):
        return nmm.Network(nmm.Connectome(weights, np.full((n, n), 30.0)), coupling=nmm.coupling.Difference(),
                           global_coupling=0.06, speed_m_per_s=3.0, dt_ms=10.0)

    model = nmm.models.Hopf(a=-0.05)
    _, params = nmm.make_simulator(network(w), model, duration_ms=100.0, integrator="stochastic_heun",
                                   noise=nmm.core.noise.AdditiveNoise(sigma=0.02),
                                   monitors=[nmm.monitors.Subsample(10.0)])
    fc, info = linear_bold_fc(params, np.zeros((2, n)))
    z = np.linalg.eigvals(np.asarray(info["jacobian"], dtype=float)) * 10.0
    assert np.abs(1 + z + z * z / 2).max() > 1.3                     # the generating network is outside
    fc = np.asarray(fc, dtype=float)
    fc = (fc + fc.T) / 2.0
    np.fill_diagonal(fc, 1.0)
    kw = dict(duration_s=20.0, transient_s=2.0, tr_s=1.0, max_iter=600, learning_rate=0.03, row_sum_limit=None,
              weights={"fc_rmse": 1.0})
    free = LinearFCFit(network(0.3 * w), model, stability=False, **kw).fit(fc)
    assert free.max_heun_amplification_ > 1.2
    assert "outside Heun's stability region" in caplog.text
    bounded = LinearFCFit(network(0.3 * w), model, **kw).fit(fc)
    assert bounded.max_heun_amplification_ < 1.0
    assert bounded.surrogate_r_ > 0.98                               # close to the target all the same
    with pytest.raises(TypeError, match="stability"):
        LinearFCFit(network(w), model, stability="yes", **kw).fit(fc)
