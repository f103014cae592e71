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


def test_aggregate_seeds_against_numpy():
    from mne_nmm.spiking import aggregate_seeds

    rng = np.random.default_rng(4)
    chi2 = rng.uniform(0, 2, size=(3, 2, 5))
    r = rng.uniform(-0.9, 0.95, size=(3, 2, 5))
    r[0, 0] = [0.5, 0.5, 0.5, 0.5, 0.5]
    tracks = (rng.uniform(size=(3, 2, 5)) > 0.5).astype(float)
    tracks[1, 1] = 1.0
    tracks[2, 0] = 0.0
    chi2_missing = chi2.copy()
    chi2_missing[0, 1, 2] = np.nan  # a failed seed
    chi2_missing[2, 1, :] = np.nan  # a failed cell
    chi2_missing[1, 0, 1:] = np.nan  # one seed left
    mean, sd = aggregate_seeds({"chi2_cfm": chi2, "r_mfm": r, "tracks_mfm": tracks, "lag_cfm_ms": chi2_missing})
    np.testing.assert_allclose(mean["chi2_cfm"], np.mean(chi2, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(sd["chi2_cfm"], np.std(chi2, axis=-1, ddof=1), rtol=1e-13)
    # correlations: Fisher-z mean, spread of r
    np.testing.assert_allclose(mean["r_mfm"], np.tanh(np.mean(np.arctanh(r), axis=-1)), rtol=1e-12)
    assert mean["r_mfm"][0, 0] == pytest.approx(0.5, abs=1e-7)
    np.testing.assert_allclose(sd["r_mfm"], np.std(r, axis=-1, ddof=1), rtol=1e-13)
    # verdicts: fraction of seeds, consistent where all agree
    np.testing.assert_allclose(mean["frac_tracks_mfm"], tracks.mean(axis=-1), rtol=1e-13)
    frac = tracks.mean(axis=-1)
    np.testing.assert_array_equal(mean["consistent_tracks_mfm"], ((frac == 0) | (frac == 1)).astype(float))
    assert mean["consistent_tracks_mfm"][1, 1] == 1 and mean["consistent_tracks_mfm"][2, 0] == 1
    assert "tracks_mfm" not in sd
    # missing seeds are left out: numpy's nan-aware reductions
    sel = ([0, 0, 1], [0, 1, 1])
    np.testing.assert_allclose(mean["lag_cfm_ms"][sel], np.nanmean(chi2_missing[sel], axis=-1), rtol=1e-13)
    np.testing.assert_allclose(sd["lag_cfm_ms"][0, 1], np.nanstd(chi2_missing[0, 1], ddof=1), rtol=1e-13)
    assert np.isnan(mean["lag_cfm_ms"][2, 1]) and np.isnan(sd["lag_cfm_ms"][2, 1])
    assert mean["lag_cfm_ms"][1, 0] == chi2[1, 0, 0] and np.isnan(sd["lag_cfm_ms"][1, 0])
    with pytest.raises(TypeError, match="scores must be a dict"):
        aggregate_seeds([chi2])
    with pytest.raises(ValueError, match="seed axis"):
        aggregate_seeds({"chi2_cfm": 1.0})
