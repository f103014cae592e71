"""Lagged cross-correlation: known shifts, sign convention, Fisher-z significance bound."""

import numpy as np
import pytest

from mne_nmm.analysis import cross_correlation, fisher_significance_bound, lagged_fc

SFREQ = 100.0


def _ar1(n, rng, phi=0.6):
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def _delayed(x, d, rng):
    """y[t] = x[t - d] (d > 0: y lags behind x), new noise where x is undefined."""
    y = np.empty_like(x)
    if d >= 0:
        y[d:] = x[:len(x) - d]
        y[:d] = rng.standard_normal(d)
    else:
        y[:d] = x[-d:]
        y[d:] = rng.standard_normal(-d)
    return y


def test_known_shift_gives_its_lag():
    rng = np.random.default_rng(0)
    x = _ar1(503, rng)
    for d in (7, -4, 0):
        y = _delayed(x, d, rng)
        cc = cross_correlation(x, y, sfreq_hz=SFREQ, max_lag=12)
        assert cc.best_lag == d
        assert cc.best_lag_s == pytest.approx(d / SFREQ)
        assert cc.best_r == pytest.approx(1.0, abs=1e-12)  # exact copy on the overlap
        assert cc.n_pairs[cc.lags == d][0] == 503 - abs(d)
        assert cc.significant and cc.p_value < 1e-10
        # swapping the signals flips the sign of the lag
        assert cross_correlation(y, x, max_lag=12).best_lag == -d
    np.testing.assert_array_equal(cc.lags, np.arange(-12, 13))
    np.testing.assert_allclose(cc.lags_s, cc.lags / SFREQ)


def test_each_lag_is_pearson_on_the_overlap():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(61), rng.standard_normal(61)
    cc = cross_correlation(x, y, max_lag=5)
    for k, r in zip(cc.lags, cc.r):
        ref = np.corrcoef(x[:61 - k], y[k:])[0, 1] if k >= 0 else np.corrcoef(x[-k:], y[:61 + k])[0, 1]
        assert r == pytest.approx(ref, abs=1e-12)


def test_mode_abs_finds_anticorrelation():
    rng = np.random.default_rng(2)
    x = _ar1(300, rng)
    y = -_delayed(x, 3, rng)
    assert cross_correlation(x, y, max_lag=6, mode="abs").best_lag == 3
    assert cross_correlation(x, y, max_lag=6, mode="abs").best_r == pytest.approx(-1.0, abs=1e-12)
    assert cross_correlation(x, y, max_lag=6, mode="max").best_lag != 3


def test_lagged_fc_matrix():
    rng = np.random.default_rng(3)
    x = _ar1(400, rng, phi=0.3)
    data = np.stack([x, _delayed(x, 3, rng), _delayed(x, -5, rng), rng.standard_normal(400)], axis=1)
    r, lag = lagged_fc(data, max_lag_s=0.1, sfreq_hz=SFREQ)
    assert lag[0, 1] == 3 and lag[1, 0] == -3
    assert lag[0, 2] == -5 and lag[1, 2] == -8
    np.testing.assert_array_equal(lag[:3, :3], -lag[:3, :3].T)
    np.testing.assert_allclose(r[:3, :3], 1.0, atol=1e-12)
    assert np.all(np.abs(r[3, :3]) < 0.3)
    cc = cross_correlation(data[:, 0], data[:, 3], max_lag=10)
    assert r[0, 3] == pytest.approx(cc.best_r) and lag[0, 3] == cc.best_lag


def test_fisher_bound_formula_and_false_positive_rate():
    # z = atanh(r) has standard error 1 / sqrt(n - 3): n = 103 -> se = 0.1
    assert fisher_significance_bound(103) == pytest.approx(np.tanh(1.959963984540054 * 0.1), rel=1e-12)
    assert fisher_significance_bound(103, alpha=0.01) == pytest.approx(np.tanh(2.5758293035489 * 0.1), rel=1e-12)
    # under independence about alpha of the zero-lag correlations exceed the bound
    rng = np.random.default_rng(4)
    n, draws = 40, 6000
    a = rng.standard_normal((draws, n))
    b = rng.standard_normal((draws, n))
    a -= a.mean(1, keepdims=True)
    b -= b.mean(1, keepdims=True)
    r = (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    rate = np.mean(np.abs(r) > fisher_significance_bound(n, alpha=0.05))
    assert rate == pytest.approx(0.05, abs=0.01)
    # significant <=> p < alpha at the best lag
    cc = cross_correlation(a[0], b[0], max_lag=0)
    assert cc.significant == (cc.p_value < 0.05)


def test_timedomain_errors():
    x = np.arange(20.0)
    with pytest.raises(ValueError, match="x and y must have the same length"):
        cross_correlation(x, x[:-1])
    with pytest.raises(ValueError, match="max_lag_s needs a sampling frequency"):
        cross_correlation(x, x, max_lag_s=0.1)
    with pytest.raises(ValueError, match="Give max_lag"):
        cross_correlation(x, x, max_lag=1, max_lag_s=0.1, sfreq_hz=SFREQ)
    with pytest.raises(ValueError, match="leaves 3 overlapping samples"):
        cross_correlation(x, x ** 2, max_lag=17)
    with pytest.raises(ValueError, match="n must be an integer"):
        fisher_significance_bound(3)
    with pytest.raises(ValueError, match="constant"):
        cross_correlation(x, np.ones(20), max_lag=2)
