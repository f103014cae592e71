"""Atomic writes, manifests, locks and output-folder checks (mne_nmm._io)."""

import os

import numpy as np
import pytest

from mne_nmm import _io


def _names(folder):
    return sorted(os.listdir(folder))


def test_atomic_write_replaces_whole_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("old")
    with _io.atomic_write(path, "w") as fh:
        fh.write("new content")
        assert path.read_text() == "old"                  # nothing visible until the rename
        assert len(_names(tmp_path)) == 2
    assert path.read_text() == "new content"
    assert _names(tmp_path) == ["a.json"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with _io.atomic_write(path) as fh:
            fh.write(b"half")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"old"
    assert _names(tmp_path) == ["a.bin"]


def test_atomic_write_mode_and_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="mode must be"):
        with _io.atomic_write(tmp_path / "x", "a"):
            pass
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with _io.atomic_write(tmp_path / "nope" / "x"):
            pass


def _dead_pid():
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_atomic_path_keeps_suffixes_and_cleans_stale_temporaries(tmp_path):
    stale = tmp_path / f".img.nii.gz.tmp-{_io._HOST}-{_dead_pid()}-deadbeef0000-img.nii.gz"
    stale.write_bytes(b"left by a killed run")
    with _io.atomic_path(tmp_path / "img.nii.gz") as tmp:
        assert tmp.endswith("img.nii.gz") and os.path.dirname(tmp) == str(tmp_path)
        assert not stale.exists()
        with open(tmp, "wb") as fh:
            np.save(fh, np.arange(3))
    assert _names(tmp_path) == ["img.nii.gz"]
    with pytest.raises(RuntimeError, match="produced no file"):
        with _io.atomic_path(tmp_path / "other.png"):
            pass
    assert _names(tmp_path) == ["img.nii.gz"]


def test_manifest_detects_missing_changed_and_truncated_files(tmp_path):
    (tmp_path / "a.tsv").write_text("1\t2\n")
    (tmp_path / "b.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="MANIFEST.json is missing"):
        _io.check_manifest(tmp_path)
    _io.write_manifest(tmp_path, ["a.tsv", str(tmp_path / "b.bin")], extra={"run": 3})
    doc = _io.check_manifest(tmp_path)
    assert doc["complete"] is True and doc["run"] == 3 and doc["files"]["b.bin"]["bytes"] == 100
    (tmp_path / "a.tsv").write_text("9\t2\n")                   # same size, other content
    with pytest.raises(ValueError, match="does not match its checksum"):
        _io.check_manifest(tmp_path)
    assert _io.check_manifest(tmp_path, hashes=False)
    (tmp_path / "b.bin").write_bytes(b"\x00" * 50)
    with pytest.raises(ValueError, match="has 50 bytes, the manifest says 100"):
        _io.check_manifest(tmp_path, hashes=False)
    (tmp_path / "a.tsv").write_text("1\t2\n")
    os.remove(tmp_path / "b.bin")
    with pytest.raises(ValueError, match="b.bin' listed in .* is missing"):
        _io.check_manifest(tmp_path)
    (tmp_path / "MANIFEST.json").write_text("{not json")
    with pytest.raises(ValueError, match="is corrupt"):
        _io.check_manifest(tmp_path)


def test_file_lock_is_exclusive_and_removed_with_the_lock(tmp_path):
    lock = tmp_path / "x.lock"
    with _io.file_lock(lock, what="thing 'x'"):
        assert lock.read_text().startswith(f"pid {os.getpid()} on ")
        with pytest.raises(_io.LockedError, match=rf"thing 'x' is in use by another run \(pid {os.getpid()} on"):
            with _io.file_lock(lock, what="thing 'x'"):
                pass
        assert lock.exists()                                 # the refused attempt did not remove it
    assert not lock.exists()
    lock.write_text("pid 1 on a-dead-host\n")                 # a stale file (no process holds the lock)
    with _io.file_lock(lock):
        assert lock.read_text().startswith(f"pid {os.getpid()} ")
    assert not lock.exists()


def test_output_folder_and_file_checks_name_the_argument(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    assert _io.check_output_folder(tmp_path / "new" / "deep", "out_dir") == str(tmp_path / "new" / "deep")
    assert (tmp_path / "new" / "deep").is_dir()
    with pytest.raises(NotADirectoryError, match="out_dir .* is a file, not a folder"):
        _io.check_output_folder(f, "out_dir")
    with pytest.raises(FileNotFoundError, match="--out .* does not exist"):
        _io.check_output_folder(tmp_path / "absent", "--out", create=False)
    with pytest.raises(TypeError, match="out_dir must be a path"):
        _io.check_output_folder(3, "out_dir")
    with pytest.raises(ValueError, match="out_dir must be a folder path, got an empty string"):
        _io.check_output_folder("", "out_dir")
    assert _io.check_output_file(tmp_path / "ok.npz", "fname") == str(tmp_path / "ok.npz")
    with pytest.raises(IsADirectoryError, match="fname .* is a folder"):
        _io.check_output_file(tmp_path, "fname")
    with pytest.raises(FileNotFoundError, match="fname .* does not exist"):
        _io.check_output_file(tmp_path / "absent" / "x.npz", "fname")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        _io.check_output_file(f / "x.npz", "fname")


def test_a_temporary_being_written_by_a_live_process_is_kept(tmp_path):
    """Two processes writing one target at once: neither deletes the other's temporary (the last rename wins)."""
    import time

    live = tmp_path / f".x.npy.tmp-{_io._HOST}-{os.getppid()}-0123456789ab-x.npy"     # our parent: alive
    live.write_bytes(b"still being written")
    old_style = tmp_path / ".x.npy.tmp-deadbeef0000-x.npy"                        # no host/pid: judged by age
    old_style.write_bytes(b"old")
    recent_style = tmp_path / ".x.npy.tmp-cafebabe0000-x.npy"
    recent_style.write_bytes(b"recent")
    t_old = time.time() - 2 * _io.STALE_AFTER_S
    os.utime(old_style, (t_old, t_old))
    with _io.atomic_write(tmp_path / "x.npy") as fh:
        fh.write(b"new")
    assert live.exists() and recent_style.exists() and not old_style.exists()
    assert (tmp_path / "x.npy").read_bytes() == b"new"
