"""External Poisson drive: rate, Fano factor and distribution against the Poisson law."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from mne_nmm.spiking import poisson_drive
from mne_nmm.spiking.poisson import poisson_counts, poisson_table_size


def test_poisson_drive_rate_and_fano():
    k_trains, rate, dt = 10_000, 5.0, 0.1  # superposition: one Poisson process at K r = 50 / ms
    counts = np.asarray(poisson_drive(jax.random.key(0), 200, n_trains=k_trains, rate_hz=rate, duration_ms=100.0,
                                      dt_ms=dt))
    assert counts.shape == (1000, 200)
    mean_step = k_trains * rate * 1e-3 * dt
    n = counts.size
    assert abs(counts.mean() - mean_step) < 4 * np.sqrt(mean_step / n)
    # counts in 10-ms windows: Fano factor 1; sd of the variance ratio ~ sqrt(2 / (n_windows - 1))
    w = counts.reshape(10, 100, 200).sum(axis=1)  # (10 windows, 200 neurons) -> 2000 windows
    fano = w.var(axis=0, ddof=1).mean() / w.mean()
    assert abs(fano - 1) < 4 * np.sqrt(2 / 9) / np.sqrt(200)
    # independence across steps: lag-1 autocorrelation within sampling error
    x = counts - counts.mean()
    r1 = (x[1:] * x[:-1]).mean() / x.var()
    assert abs(r1) < 4 / np.sqrt(n)


@pytest.mark.parametrize("mean", [0.05, 5.0, 80.0])
def test_poisson_counts_follow_poisson_pmf(mean):
    from scipy.stats import chi2, poisson

    c = np.asarray(poisson_counts(jax.random.key(1), mean, (40_000,), k_table=poisson_table_size(mean)))
    ks = np.arange(c.max() + 1)
    obs = np.bincount(c, minlength=ks.size)
    exp = poisson.pmf(ks, mean) * c.size
    exp[-1] += poisson.sf(ks[-1], mean) * c.size
    keep = exp > 5  # pool sparse bins
    o = np.concatenate([obs[keep], [obs[~keep].sum()]])
    e = np.concatenate([exp[keep], [exp[~keep].sum()]])
    o, e = o[e > 0], e[e > 0]
    stat = ((o - e) ** 2 / e).sum()
    assert stat < chi2.ppf(0.999, max(o.size - 1, 1))


def test_poisson_drive_validation():
    with pytest.raises(ValueError, match="rate_hz must be"):
        poisson_drive(jax.random.key(0), 3, rate_hz=-1.0)
    with pytest.raises(TypeError, match="n_neurons must be"):
        poisson_drive(jax.random.key(0), 2.5)
