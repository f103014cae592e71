"""The comparison harness end to end on small networks (shapes, significance bookkeeping, files, figure)."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from mne_nmm.spiking import (
    GridResult,
    LIFNetwork,
    compare_mass_models,
    effective_n,
    plot_grid,
    simulate_lif,
    sweep_p_lambda,
)


def test_effective_n_white_and_autocorrelated():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 4000))
    assert 0.8 * 4000 < effective_n(x, y) <= 4000
    from scipy.signal import lfilter

    a = lfilter([1], [1, -0.95], x)
    b = lfilter([1], [1, -0.95], y)
    # AR(1) with phi = 0.95: n_eff ~ n (1 - phi^2) / (1 + phi^2)
    assert effective_n(a, b) < 0.15 * 4000


def test_compare_mass_models_on_small_network():
    res = simulate_lif(LIFNetwork(n_neurons=400, p=0.5), jax.random.key(0), duration_ms=1200.0, n_recorded=50)
    out = compare_mass_models(res, t_discard_ms=200.0, window_s=0.25)
    assert set(out) == {"cfm", "mfm"}
    for c in out.values():
        assert c.v_network_mv.shape == c.v_model_mv.shape == (1000,)
        assert 0 <= c.chi2 <= 2 and c.chi2_crit > 0
        assert c.spectra_differ == (c.chi2 > c.chi2_crit)
        assert -50 <= c.lag_ms <= 50 and -1 <= c.r <= 1
        assert 4 <= c.n_eff <= 1000
        assert 2.0 <= c.median_freq_network_hz <= 100.0
    with pytest.raises(ValueError, match="sfreq_hz must divide"):
        compare_mass_models(res, sfreq_hz=3000.0)
    with pytest.raises(ValueError, match="models"):
        compare_mass_models(res, models=("jr",))


def test_sweep_grid_save_load_and_plot(tmp_path):
    grid = sweep_p_lambda([0.05, 0.3], [0.7, 0.9], base=LIFNetwork(n_neurons=200), duration_ms=700.0,
                          n_recorded=40, k_max="common", analysis_kwargs=dict(t_discard_ms=200.0, window_s=0.25))
    assert grid.maps["chi2_cfm"].shape == (2, 2)
    assert np.all(np.isfinite(grid.maps["r_mfm"]))
    fname = tmp_path / "grid.npz"
    grid.save(fname)
    back = GridResult.load(fname)
    np.testing.assert_array_equal(back.maps["chi2_mfm"], grid.maps["chi2_mfm"])
    assert back.settings["n_neurons"] == 200
    fig = plot_grid(grid)
    assert len(fig.axes) >= 9
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(ValueError, match="k_max"):
        sweep_p_lambda([0.1], [0.8], k_max="max")
    with pytest.raises(ValueError, match="scheduler"):
        sweep_p_lambda([0.1], [0.8], scheduler="ray")


def test_import_changes_no_jax_config():
    import jax as _jax

    before = dict(_jax.config.values)
    import mne_nmm.spiking  # noqa: F401

    assert dict(_jax.config.values) == before
