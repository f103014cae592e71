"""Fault tests: kill -9 a run at several moments; nothing is lost or half-written, and resuming is bit-identical.

Each test drives ``tests/_fault_child.py`` in a subprocess (a small noisy delayed network, a checkpoint
after every chunk) and kills it with SIGKILL at a chosen moment: mid-run between checkpoints, half-way
through a checkpoint's temporary file, after the temporary file is complete but before its rename, and
half-way through the CLI's output file. The children share a JAX compilation cache so each takes a few
seconds.
"""

import glob
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CHILD = os.path.join(HERE, "_fault_child.py")
sys.path.insert(0, HERE)

import _fault_child  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or sys.platform == "win32",
                                reason="POSIX kill -9")


@pytest.fixture(scope="module")
def jax_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("jax_cache"))


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted run, in this process, without a checkpoint."""
    return _fault_child.arrays_of(_fault_child.small_run(None))


class Child:
    def __init__(self, mode, ckpt, result, cache, sleep=0.05):
        env = dict(os.environ, NMM_SLEEP=str(sleep), JAX_COMPILATION_CACHE_DIR=cache,
                   JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0", JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
                   PYTHONWARNINGS="ignore")
        self.proc = subprocess.Popen([sys.executable, CHILD, mode, str(ckpt), str(result)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, cwd=HERE)
        self.watchdog = threading.Timer(120, self.proc.kill)
        self.watchdog.start()
        self.lines = []

    def wait_for(self, prefix, count=1):
        """Read stdout until the ``count``-th line starting with ``prefix``; return that line."""
        seen = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                raise AssertionError(f"child ended (rc {self.proc.returncode}) before {prefix!r} x{count}: "
                                     f"{self.lines}\n{self.proc.stderr.read()}")
            self.lines.append(line.strip())
            if line.startswith(prefix):
                seen += 1
                if seen == count:
                    return line.strip()

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.close()
        assert self.proc.returncode == -signal.SIGKILL

    def finish(self):
        out, err = self.proc.communicate(timeout=120)
        self.close()
        self.lines += out.split()
        return self.proc.returncode, out, err

    def close(self):
        self.watchdog.cancel()
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None and not f.closed:
                f.close()


def _load(path):
    with open(path, "rb") as fh, np.load(fh) as z:          # own handle: np.load leaks one on a bad zip
        return {k: z[k] for k in z.files}


def _assert_same(result, reference):
    assert sorted(result) == sorted(reference)
    for k in reference:
        np.testing.assert_array_equal(result[k], reference[k], err_msg=k)


def _tmp_files(folder):
    return sorted(glob.glob(os.path.join(str(folder), ".*.tmp-*")))


def test_reference_is_a_real_run(reference):
    # the run the fault tests compare against: 60 ms at dt 0.1 with 1 ms and 2 ms monitors, non-trivial noise
    assert reference["out_subsample"].shape == (60, 1, 5)          # default output x
    assert reference["final"].shape == (2, 5)
    assert np.all(np.isfinite(reference["out_subsample"]))
    assert np.std(np.diff(reference["out_subsample"][:, 0, 0])) > 1e-4


def test_kill_mid_run_twice_then_resume_is_bit_identical(tmp_path, jax_cache, reference):
    ckpt, result = tmp_path / "run.ckpt.npz", tmp_path / "result.npz"
    a = Child("run", ckpt, result, jax_cache, sleep=5.0)
    assert a.wait_for("SAVED") == "SAVED 160"                 # the first checkpoint follows the first chunk
    a.kill9()
    assert _load(ckpt)["done"] == 160 and not result.exists()
    b = Child("run", ckpt, result, jax_cache, sleep=5.0)
    assert b.wait_for("SAVED") == "SAVED 320"                 # resumed at 160: its first write is at 320
    b.kill9()
    saved = _load(ckpt)
    assert saved["done"] == 320 and saved["filled"].tolist() == [32, 16]
    c = Child("run", ckpt, result, jax_cache)
    rc, out, err = c.finish()
    assert rc == 0, err
    assert "SAVED 480" in out and "SAVED 160" not in out and "DONE" in out
    _assert_same(_load(result), reference)
    assert not ckpt.exists()                                  # removed when the run completes
    assert os.listdir(tmp_path) == ["result.npz"]             # no lock, no temporary file left


@pytest.mark.parametrize("mode", ["hang-ckpt", "hang-rename"])
def test_kill_during_a_checkpoint_write_keeps_the_previous_one(mode, tmp_path, jax_cache, reference):
    ckpt, result = tmp_path / "run.ckpt.npz", tmp_path / "result.npz"
    a = Child(mode, ckpt, result, jax_cache)
    a.wait_for("HALF")                                        # inside the third checkpoint write
    a.kill9()
    assert a.lines[-2] == "SAVED 320"
    previous = _load(ckpt)                                    # still the complete second checkpoint
    assert previous["done"] == 320
    stale = _tmp_files(tmp_path)
    assert len(stale) == 1 and stale[0].endswith("-run.ckpt.npz")
    if mode == "hang-ckpt":                                   # half an archive: not loadable
        with pytest.raises(Exception):
            _load(stale[0])
    else:                                                     # complete but never renamed: the next one
        assert _load(stale[0])["done"] == 480
    c = Child("run", ckpt, result, jax_cache)
    rc, out, err = c.finish()
    assert rc == 0, err
    assert "SAVED 480" in out
    _assert_same(_load(result), reference)
    assert not ckpt.exists() and _tmp_files(tmp_path) == []   # the stale temporary file was cleaned up
    assert sorted(os.listdir(tmp_path)) == ["result.npz"]


def test_kill_during_the_cli_output_write_leaves_the_old_file(tmp_path, jax_cache):
    from mne_nmm.cli import main as cli_main

    out = tmp_path / "sim.npz"
    np.savez(out, data=np.arange(3.0))
    old_bytes = out.read_bytes()
    a = Child("cli-hang", "none", out, jax_cache)
    a.wait_for("HALF")
    a.kill9()
    assert out.read_bytes() == old_bytes                      # the old complete file, untouched
    assert len(_tmp_files(tmp_path)) == 1                     # the half-written one is only a temporary file
    c = Child("cli", "none", out, jax_cache)
    rc, stdout, err = c.finish()
    assert rc == 0, err
    assert f"wrote {out}:" in stdout                          # the path actually written
    new = _load(out)
    assert new["data"].shape == (30, 1, 66)
    assert _tmp_files(tmp_path) == [] and sorted(os.listdir(tmp_path)) == ["sim.npz"]
    # the same command in this process gives the same bits
    here = tmp_path / "here.npz"
    assert cli_main(_fault_child.CLI_ARGS + ["--out", str(here)]) == 0
    np.testing.assert_array_equal(_load(here)["data"], new["data"])


# -- damaged checkpoints, in process ------------------------------------------------------------------
def test_first_checkpoint_is_written_after_the_first_chunk(tmp_path, monkeypatch):
    import mne_nmm.simulation.checkpoint as C

    ckpt = tmp_path / "run.ckpt.npz"
    real = C.save
    calls = []

    def record(*args):
        real(*args)
        calls.append(args[3])
        assert _load(ckpt)["done"] == args[3]                 # complete and in place as soon as save returns

    monkeypatch.setattr(C, "INTERVAL_S", 1e9)                  # no time-based write during this short run
    monkeypatch.setattr(C, "save", record)
    _fault_child.small_run(str(ckpt))
    assert calls == [160]                                     # after the first chunk, never after the last
    assert not ckpt.exists()


def _tamper(path, **changes):
    arrays = _load(path)
    arrays.update(changes)
    for k in [k for k, v in changes.items() if v is None]:
        del arrays[k]
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


@pytest.mark.parametrize("changes, text", [
    (dict(done=np.array(480)), "output 0 records 32 samples but 480 steps"),
    (dict(done=np.array(0)), "done=0"),
    (dict(done=np.array(1.5)), "field 'done' has dtype float64"),
    (dict(filled=np.array([32, 99])), "output 1 records 99 samples"),
    (dict(filled=np.array([32])), "1 outputs recorded for 2 monitors"),
    (dict(out_0=np.zeros((1, 3, 1, 5), np.float32)), "output 0 is (1, 3, 1, 5)"),
    (dict(carry_0=np.zeros((7,), np.float32)), "carry entry 0"),
    (dict(out_1=None), "output 1 is missing"),
    (dict(fingerprint=None), "no run fingerprint"),
    (dict(fingerprint=np.array("0" * 40)), "written by a different simulation"),
])
def test_damaged_checkpoint_fields_are_refused(tmp_path, monkeypatch, changes, text):
    import mne_nmm.simulation.checkpoint as C

    ckpt = tmp_path / "run.ckpt.npz"
    real = C.save

    def save_then_stop(*args):
        real(*args)
        if args[3] >= 320:
            raise KeyboardInterrupt

    monkeypatch.setattr(C, "INTERVAL_S", 0.0)
    monkeypatch.setattr(C, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        _fault_child.small_run(str(ckpt))
    monkeypatch.setattr(C, "save", real)
    assert _load(ckpt)["done"] == 320
    _tamper(ckpt, **changes)
    with pytest.raises(C.CheckpointError, match="delete it or pass another path") as info:
        _fault_child.small_run(str(ckpt))
    assert text in str(info.value)
    assert ckpt.exists()                                      # refused, not overwritten


def test_stale_lock_file_of_a_killed_run_does_not_block(tmp_path):
    ckpt = tmp_path / "run.ckpt.npz"
    (tmp_path / "run.ckpt.npz.lock").write_text("pid 999999 on elsewhere\n")   # no process holds it
    (tmp_path / ".run.ckpt.npz.12345.tmp").write_bytes(b"old-style stale temporary file")
    res = _fault_child.small_run(str(ckpt))
    assert res["subsample"].data.shape == (60, 1, 5)
    assert os.listdir(tmp_path) == []


@pytest.fixture
def x64():
    import jax

    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


def _interrupt_after(monkeypatch, done_at):
    import mne_nmm.simulation.checkpoint as C

    real = C.save

    def save_then_stop(*args):
        real(*args)
        if args[3] >= done_at:
            raise KeyboardInterrupt

    monkeypatch.setattr(C, "INTERVAL_S", 0.0)
    monkeypatch.setattr(C, "save", save_then_stop)
    return lambda: monkeypatch.setattr(C, "save", real)


def test_float64_delayed_run_resumes_bit_identically_and_refuses_a_float32_checkpoint(tmp_path, monkeypatch,
                                                                                        x64):
    import mne_nmm.simulation.checkpoint as C

    full = _fault_child.small_run(None)                       # delays (speed 3 m/s) + noise, in float64
    assert full["subsample"].data.dtype == np.float64
    assert np.all(np.isfinite(full["subsample"].data))     # (float64 draws other normals than float32)
    ckpt = tmp_path / "run.ckpt.npz"
    restore = _interrupt_after(monkeypatch, 320)
    with pytest.raises(KeyboardInterrupt):
        _fault_child.small_run(str(ckpt))
    restore()
    assert _load(ckpt)["carry_0"].dtype == np.float64
    resumed = _fault_child.small_run(str(ckpt))
    _assert_same(_fault_child.arrays_of(resumed), _fault_child.arrays_of(full))
    # a float32 run's checkpoint is another simulation for a float64 run
    import jax

    jax.config.update("jax_enable_x64", False)
    restore = _interrupt_after(monkeypatch, 160)
    with pytest.raises(KeyboardInterrupt):
        _fault_child.small_run(str(ckpt))
    restore()
    jax.config.update("jax_enable_x64", True)
    with pytest.raises(C.CheckpointError, match="written by a different simulation"):
        _fault_child.small_run(str(ckpt))
