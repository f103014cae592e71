"""Gradient-free search (CMA-ES) and the Dask sweep (equal to the local one, survives a killed worker)."""

import os
import signal
import threading
import time

import jax
import numpy as np
import pytest

from mne_nmm.fitting import cma_search, grid, sweep
from mne_nmm.fitting import losses as L

from test_fitting import _objective


def test_cma_search_finds_the_coupling_of_the_target():
    pytest.importorskip("cma")
    base = _objective()
    seed = 5
    fc_target = np.asarray(L.fc(base.bold(base.params.replace(global_coupling=0.5), jax.random.PRNGKey(seed))[0]))
    obj = _objective(target=fc_target)
    res = cma_search(obj, {"global_coupling": (0.0, 0.7)}, popsize=6, max_generations=5, seed=seed,
                     noise="fixed")
    assert res.n_evaluations == len(res.history) <= 30
    # the best point is the best of the history, and it is near the generating value
    assert res.best_score == pytest.approx(res.history["fc_r"].max())
    assert abs(res.best_values["global_coupling"] - 0.5) < 0.05
    assert (res.history["seed"] == seed).all()
    assert float(res.best_params.global_coupling) == pytest.approx(res.best_values["global_coupling"], rel=1e-6)
    with pytest.raises(ValueError, match="lo < hi"):
        cma_search(obj, {"global_coupling": (0.5, 0.1)})


def test_dask_sweep_equals_local_and_survives_a_killed_worker(tmp_path):
    distributed = pytest.importorskip("distributed")
    obj = _objective()
    design = grid(global_coupling=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    local = sweep(obj, design, batch_size=1, seed=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        out = {}

        def run():
            out["table"] = sweep(obj, design, batch_size=1, seed=3, client=client, out_dir=tmp_path / "dask")

        t = threading.Thread(target=run)
        t.start()
        deadline = time.time() + 120
        while not list((tmp_path / "dask").glob("batch-*.npz")) and time.time() < deadline:
            time.sleep(0.2)
        n_at_kill = len(list((tmp_path / "dask").glob("batch-*.npz")))
        pids = client.run(os.getpid)                             # worker address -> process id
        os.kill(pids[sorted(pids)[0]], signal.SIGKILL)           # kill -9 one worker mid-sweep
        t.join(timeout=300)
        assert not t.is_alive()
    assert 1 <= n_at_kill < len(design)                          # the kill came while batches were pending
    tab = out["table"]
    assert len(tab) == len(local)
    np.testing.assert_array_equal(tab["fc_r"].to_numpy(), local["fc_r"].to_numpy())
    assert len(list((tmp_path / "dask").glob("batch-*.npz"))) == len(design)
