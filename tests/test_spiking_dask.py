"""The {p, lambda} sweep on Dask, its checkpoints (resumption) and failed rows, and seeds per cell."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from mne_nmm.spiking import SCORES, VERDICTS, GridResult, LIFNetwork, sweep_p_lambda
from mne_nmm.spiking import compare as compare_mod

P, LAM = [0.1, 0.4], [0.7, 0.9]
KW = dict(base=LIFNetwork(n_neurons=80), duration_ms=500.0, n_recorded=20, k_max="common", n_seeds=2, seed=3,
          analysis_kwargs=dict(t_discard_ms=100.0, window_s=0.1))


def assert_same_grid(a, b):
    assert set(a.seed_maps) == set(b.seed_maps) == set(SCORES + VERDICTS)
    for k in a.seed_maps:
        np.testing.assert_array_equal(a.seed_maps[k], b.seed_maps[k], err_msg=k)
    for k in a.maps:
        np.testing.assert_array_equal(a.maps[k], b.maps[k], err_msg=k)


@pytest.fixture(scope="module")
def local_grid():
    return sweep_p_lambda(P, LAM, **KW)


def test_local_grid_has_seeds(local_grid):
    g = local_grid
    assert g.n_seeds == 2 and g.seed_maps["chi2_cfm"].shape == (2, 2, 2) and g.maps["chi2_cfm"].shape == (2, 2)
    assert np.all(np.isfinite(g.seed_maps["r_mfm"]))
    # the two seeds are different networks, not copies
    assert not np.array_equal(g.seed_maps["chi2_cfm"][..., 0], g.seed_maps["chi2_cfm"][..., 1])
    # the verdicts recorded per seed are the ones the scores imply
    np.testing.assert_array_equal(g.seed_maps["spectra_differ_mfm"],
                                  (g.seed_maps["chi2_mfm"] > g.seed_maps["chi2_crit_mfm"]).astype(float))
    np.testing.assert_array_equal(g.seed_maps["correlated_cfm"],
                                  (g.seed_maps["r_cfm"] > g.seed_maps["r_crit_cfm"]).astype(float))
    # means and spreads are those of the seed values (numpy, independent of aggregate_seeds)
    np.testing.assert_allclose(g.maps["chi2_cfm"], g.seed_maps["chi2_cfm"].mean(-1), rtol=1e-12)
    np.testing.assert_allclose(g.maps_sd["lag_mfm_ms"], g.seed_maps["lag_mfm_ms"].std(-1, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(g.maps["r_mfm"], np.tanh(np.arctanh(g.seed_maps["r_mfm"]).mean(-1)), rtol=1e-6)
    assert len(g.seed_table()) == 8 and len(g.table()) == 4


@pytest.mark.slow
def test_seed_is_the_same_network_whatever_n_seeds(local_grid):
    one = sweep_p_lambda(P, LAM, **dict(KW, n_seeds=1))
    for k in SCORES + VERDICTS:
        np.testing.assert_array_equal(one.seed_maps[k][..., 0], local_grid.seed_maps[k][..., 0], err_msg=k)
    assert np.all(np.isnan(one.maps_sd["chi2_cfm"]))  # one seed: no spread


def test_dask_distributed_equals_local(local_grid):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as stream:
            grid = sweep_p_lambda(P, LAM, scheduler="dask", **KW)
    assert len(stream.data) == len(P)  # one task per row, run by the cluster's worker
    assert_same_grid(grid, local_grid)
    assert grid.failed == ()


def test_checkpoint_resume_and_failed_rows(local_grid, tmp_path, monkeypatch):
    ckpt = tmp_path / "ckpt"
    first = sweep_p_lambda(P, LAM, checkpoint_dir=ckpt, **KW)
    assert_same_grid(first, local_grid)
    files = sorted(f.name for f in ckpt.glob("row_*.npz"))
    assert len(files) == 2 and (ckpt / "manifest.json").exists()

    calls = []

    def broken(p, *args, **kwargs):
        calls.append(p)
        raise RuntimeError(f"simulated failure at p={p}")

    monkeypatch.setattr(compare_mod, "_compute_row", broken)
    # resumption: every row is on disk, nothing is recomputed, the numbers are the same
    resumed = sweep_p_lambda(P, LAM, checkpoint_dir=ckpt, **KW)
    assert calls == []
    assert_same_grid(resumed, local_grid)
    # changed inputs -> other digests -> recomputed (here: fails), never served stale rows
    with pytest.raises(RuntimeError, match="simulated failure"):
        sweep_p_lambda(P, LAM, checkpoint_dir=ckpt, **dict(KW, duration_ms=520.0))

    # a failing row with on_error="nan": nan cells, listed in .failed, not checkpointed, the other row kept
    (ckpt / files[1]).unlink()
    (ckpt / "manifest.json").unlink()
    part = sweep_p_lambda(P, LAM, checkpoint_dir=ckpt, on_error="nan", **KW)
    assert calls[-1] == P[1]
    assert [f["row"] for f in part.failed] == [1] and "simulated failure" in part.failed[0]["error"]
    assert np.all(np.isnan(part.seed_maps["chi2_cfm"][1])) and np.all(np.isnan(part.maps["frac_tracks_mfm"][1]))
    np.testing.assert_array_equal(part.seed_maps["chi2_cfm"][0], local_grid.seed_maps["chi2_cfm"][0])
    assert not (ckpt / files[1]).exists() and not (ckpt / "manifest.json").exists()
    assert "1 failed row" in repr(part)
    # the failure survives a save/load round trip
    part.save(tmp_path / "part.npz")
    back = GridResult.load(tmp_path / "part.npz")
    assert back.failed[0]["row"] == 1
    np.testing.assert_array_equal(back.seed_maps["r_cfm"], part.seed_maps["r_cfm"])
    np.testing.assert_array_equal(back.maps_sd["r_cfm"], part.maps_sd["r_cfm"])
    # on_error="raise" (default) propagates
    with pytest.raises(RuntimeError, match="simulated failure"):
        sweep_p_lambda(P, LAM, checkpoint_dir=ckpt, **KW)
    # ... and on Dask too
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="synchronous"):
        with pytest.raises(RuntimeError, match="simulated failure"):
            sweep_p_lambda(P, LAM, checkpoint_dir=ckpt, scheduler="dask", **KW)
        part_dask = sweep_p_lambda(P, LAM, checkpoint_dir=ckpt, scheduler="dask", on_error="nan", **KW)
    assert [f["row"] for f in part_dask.failed] == [1]
    np.testing.assert_array_equal(part_dask.seed_maps["chi2_mfm"][0], local_grid.seed_maps["chi2_mfm"][0])


def test_sweep_bad_arguments():
    with pytest.raises(ValueError, match="on_error"):
        sweep_p_lambda([0.1], [0.8], on_error="skip")
    with pytest.raises(ValueError, match="n_seeds"):
        sweep_p_lambda([0.1], [0.8], n_seeds=0)
    with pytest.raises(TypeError, match="base must be an instance of LIFNetwork"):
        sweep_p_lambda([0.1], [0.8], base="lif")
    with pytest.raises(ValueError, match="scalar parameters"):
        sweep_p_lambda([0.1], [0.8], base=LIFNetwork(n_neurons=50, w_exc=np.array([0.004, 0.005])))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\], got p_values=\[1.5\]"):
        sweep_p_lambda([1.5], [0.8])


@pytest.mark.slow
def test_dask_worker_processes_equal_local(local_grid):
    """Rows computed in a separate worker process (its own compilation) give the same numbers."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        grid = sweep_p_lambda(P, LAM, scheduler="dask", **KW)
    assert_same_grid(grid, local_grid)
