"""Concurrency: two runs on one checkpoint path, or into one CLI output folder; the second is refused cleanly.

Also the determinism of batches run in threads: which settings give identical bits.
"""

import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _fault_child  # noqa: E402
from test_faults import Child, _assert_same, _load  # noqa: E402


@pytest.fixture(scope="module")
def jax_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("jax_cache"))


@pytest.mark.skipif(sys.platform == "win32", reason="fcntl advisory locks")
def test_second_process_on_one_checkpoint_is_refused(tmp_path, jax_cache):
    ckpt = tmp_path / "run.ckpt.npz"
    first = Child("run", ckpt, tmp_path / "first.npz", jax_cache, sleep=1.5)
    first.wait_for("SAVED")                                   # holds the lock, sleeping between chunks
    second = Child("run", ckpt, tmp_path / "second.npz", jax_cache)
    rc, out, err = second.finish()
    assert rc == 1
    assert "SAVED" not in out and "DONE" not in out            # it did no work and wrote nothing
    last = err.strip().splitlines()[-1]
    assert last.startswith("mne_nmm.simulation.checkpoint.CheckpointInUseError: checkpoint ")
    assert f"is in use by another run (pid {first.proc.pid} on" in last
    assert "wait for it to finish or use another path" in last
    assert not (tmp_path / "second.npz").exists()
    rc, out, err = first.finish()                              # the first run is unharmed
    assert rc == 0, err
    reference = _fault_child.arrays_of(_fault_child.small_run(None))
    _assert_same(_load(tmp_path / "first.npz"), reference)
    assert sorted(os.listdir(tmp_path)) == ["first.npz"]      # checkpoint and lock removed


def test_same_process_second_open_of_a_checkpoint_is_refused(tmp_path):
    from mne_nmm.simulation import checkpoint as C

    ckpt = tmp_path / "run.ckpt.npz"
    with C.locked(ckpt):
        with pytest.raises(C.CheckpointInUseError, match="is in use by another run"):
            _fault_child.small_run(str(ckpt))
        assert (tmp_path / "run.ckpt.npz.lock").read_text().startswith(f"pid {os.getpid()} on ")
    assert os.listdir(tmp_path) == []                         # the lock file goes with the lock
    res = _fault_child.small_run(str(ckpt))                   # free again
    assert res["subsample"].data.shape == (60, 1, 5)


def test_two_cli_runs_into_one_output_folder(tmp_path, capsys):
    from mne_nmm._io import file_lock
    from mne_nmm.cli import main

    out = tmp_path / "sim.npz"
    with file_lock(tmp_path / ".mne-nmm.lock", what="another run"):     # as a running `mne-nmm` holds it
        rc = main(_fault_child.CLI_ARGS + ["--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1
    assert f"--out folder {str(tmp_path)!r} is in use by another run (pid {os.getpid()}" in err
    assert not out.exists()
    assert main(_fault_child.CLI_ARGS + ["--out", str(out)]) == 0
    assert sorted(os.listdir(tmp_path)) == ["sim.npz"]


def test_batch_bits_by_mode_and_n_jobs():
    """What the simulate docstring promises: sequential is bit-identical to single runs for every n_jobs;
    vectorized is reproducible for a given n_jobs and equal to single runs up to float rounding."""
    import mne_nmm as nmm
    from mne_nmm.models import Hopf
    from mne_nmm.monitors import Subsample

    r = np.random.default_rng(7)
    w = r.uniform(0.1, 1, (5, 5))
    np.fill_diagonal(w, 0)
    net = nmm.Network(nmm.Connectome(w, r.uniform(10, 60, (5, 5))), global_coupling=0.2, dt_ms=0.1)
    kw = dict(duration_ms=10.0, monitors=[Subsample(1.0)], noise=nmm.AdditiveNoise(sigma=1e-2),
              integrator="stochastic_heun", key=11)
    gs = np.array([0.1, 0.3, 0.5])
    singles = np.stack([nmm.simulate(net.replace(global_coupling=float(g)), Hopf(), **kw)["subsample"].data
                        for g in gs])
    sweep = {"global_coupling": gs}
    for n_jobs in (1, 3):
        seq = nmm.simulate(net, Hopf(), sweep=sweep, batch_mode="sequential", n_jobs=n_jobs, **kw)
        np.testing.assert_array_equal(seq["subsample"].data, singles)
    for n_jobs in (1, 2):
        a = nmm.simulate(net, Hopf(), sweep=sweep, batch_mode="vectorized", n_jobs=n_jobs, **kw)["subsample"].data
        b = nmm.simulate(net, Hopf(), sweep=sweep, batch_mode="vectorized", n_jobs=n_jobs, **kw)["subsample"].data
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, singles, rtol=0, atol=1e-5)
