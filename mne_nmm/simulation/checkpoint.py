"""Checkpoints: the carry and the finished outputs of a run, written atomically between chunks.

Policy
------
* **When.** The first checkpoint is written right after the first chunk, then after every chunk
  that ends at least :data:`INTERVAL_S` seconds of wall time after the previous write; none is
  written after the last chunk (the run is complete and the file is removed). A run killed at any
  moment therefore loses at most the chunks simulated since the last write (one chunk when chunks
  take longer than :data:`INTERVAL_S`).
* **What.** A checkpoint carries a fingerprint of everything that determines the run (structure,
  every parameter value, the initial state, the key, the length and the batch size); one written by
  another run is refused, never resumed. Every field (``done``, ``filled``, the carry's shapes and
  dtypes, the output arrays) is checked against the run before anything is restored.
* **How.** Each write goes to a uniquely named temporary file in the same folder, is fsynced and
  renamed into place (:func:`mne_nmm._io.atomic_write`), so a kill leaves either the previous
  checkpoint or the complete new one. Stale temporary files of earlier killed runs are removed.
* **Who.** A running simulation holds an advisory lock (``fcntl.flock`` on ``<checkpoint>.lock``)
  for as long as it runs, so a second run on the same path is refused with
  :class:`CheckpointInUseError` instead of both writing the same file.
* **Damage.** An empty, truncated, corrupt or foreign file raises :class:`CheckpointError` ("checkpoint
  X is corrupt or incompatible: ...; delete it or pass another path"), never a zip or pickle error.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import zipfile

import jax
import jax.numpy as jnp
import numpy as np

from .._io import LockedError, atomic_write, check_output_file, file_lock
from ..core.digest import array_digest, content_key

__all__ = ["CheckpointError", "CheckpointInUseError", "fingerprint", "save", "load", "locked", "check_path"]

#: Seconds of wall time between checkpoints of a running simulation (the first one is written after
#: the first chunk regardless).
INTERVAL_S = 10.0


class CheckpointError(ValueError):
    """A checkpoint file that cannot be resumed: corrupt, truncated, empty, foreign or from another run."""


class CheckpointInUseError(RuntimeError):
    """Another running simulation holds the checkpoint path."""


def check_path(path, name="checkpoint"):
    """Validate a checkpoint path up front (type, folder exists and is writable, not a folder)."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or os.PathLike) or None, got {type(path).__name__}.")
    return check_output_file(path, name)


def _clean_stale_tmp(path):
    """Remove temporary files that killed runs left next to ``path`` (old and new naming)."""
    folder, name = os.path.split(os.path.abspath(path))
    for pattern in (f".{glob.escape(name)}.tmp-*", f".{glob.escape(name)}.*.tmp"):
        for stale in glob.glob(os.path.join(glob.escape(folder), pattern)):
            with contextlib.suppress(OSError):
                os.remove(stale)


@contextlib.contextmanager
def locked(path):
    """Hold the checkpoint's advisory lock for the ``with`` block; clean stale temporary files."""
    try:
        with file_lock(os.fspath(path) + ".lock", what=f"checkpoint {os.fspath(path)!r}"):
            _clean_stale_tmp(path)
            yield
    except LockedError as err:
        raise CheckpointInUseError(str(err)) from None


def fingerprint(setup, params, nb):
    h = hashlib.sha1()
    h.update(repr(content_key(setup.structure_key)).encode())
    for leaf in jax.tree_util.tree_leaves(params):
        h.update(array_digest(np.asarray(leaf)).encode())
    h.update(array_digest(np.asarray(setup.x0), np.asarray(setup.key)).encode())
    h.update(f"{setup.n_steps}/{nb}".encode())
    return h.hexdigest()


def save(path, fp, carry, done, buffers, filled):
    """Write the checkpoint atomically (unique temporary file in the same folder, fsync, rename)."""
    leaves = jax.tree_util.tree_leaves(carry)
    arrays = {f"carry_{i}": np.asarray(v) for i, v in enumerate(leaves)}
    for i, (b, nf) in enumerate(zip(buffers, filled)):
        arrays[f"out_{i}"] = b[..., :nf, :, :]
    with atomic_write(path, "wb") as fh:
        np.savez(fh, fingerprint=np.array(fp), done=np.array(done, dtype=np.int64),
                 filled=np.array(filled, dtype=np.int64), **arrays)


def _bad(where, why):
    return CheckpointError(f"checkpoint {where!r} is corrupt or incompatible ({why}): delete it or pass another "
                           f"path.")


def _int_field(z, key, where):
    a = z[key]
    if a.dtype.kind not in "iu":
        raise _bad(where, f"field {key!r} has dtype {a.dtype}, expected integers")
    return a


def load(path, fp, carry, buffers, n_steps, periods=None):
    """Restore ``(carry, done, filled)`` into ``buffers``; every field is checked against the run.

    ``periods`` (the monitors' periods in steps) lets the sample counts be checked against ``done``.
    Any unreadable or inconsistent file raises :class:`CheckpointError`.
    """
    where = os.fspath(path)
    if os.path.getsize(where) == 0:
        raise _bad(where, "the file is empty")
    with open(where, "rb") as fh:     # our own handle: np.load leaks its own on a damaged zip
        try:
            z = np.load(fh, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
            raise _bad(where, f"not a readable checkpoint: {type(err).__name__}: {err}") from None
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise _bad(where, "it holds a single array, not a checkpoint archive")
        try:
            with z:
                return _restore(z, where, fp, carry, buffers, n_steps, periods)
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError) as err:
            raise _bad(where, f"{type(err).__name__}: {err}") from None


def _restore(z, where, fp, carry, buffers, n_steps, periods):
    if "fingerprint" not in z.files:
        raise _bad(where, "it has no run fingerprint: it was not written by mne_nmm.simulate")
    stored = z["fingerprint"]
    if stored.dtype.kind != "U" or stored.shape != () or str(stored) != fp:
        raise CheckpointError(f"checkpoint {where!r} is incompatible: it was written by a different simulation "
                              f"(other network, model, parameters, monitors, key or duration): delete it or pass "
                              f"another path.")
    for key in ("done", "filled"):
        if key not in z.files:
            raise _bad(where, f"field {key!r} is missing")
    leaves, treedef = jax.tree_util.tree_flatten(carry)
    new = []
    for i, leaf in enumerate(leaves):
        a = z[f"carry_{i}"] if f"carry_{i}" in z.files else None
        if a is None or a.shape != leaf.shape or a.dtype != np.dtype(leaf.dtype):
            got = None if a is None else f"{a.shape} {a.dtype}"
            raise _bad(where, f"carry entry {i} is missing or is {got}, expected {leaf.shape} {leaf.dtype}")
        new.append(jnp.asarray(a, dtype=leaf.dtype))
    done_a = _int_field(z, "done", where)
    filled_a = _int_field(z, "filled", where)
    if done_a.shape != () or filled_a.ndim != 1:
        raise _bad(where, f"done has shape {done_a.shape} and filled {filled_a.shape}, expected () and (n,)")
    done = int(done_a)
    filled = [int(v) for v in filled_a]
    if not 0 < done < n_steps:
        raise _bad(where, f"done={done}, expected 0 < done < {n_steps} steps")
    if len(filled) != len(buffers):
        raise _bad(where, f"{len(filled)} outputs recorded for {len(buffers)} monitors")
    for i, nf in enumerate(filled):
        if periods is not None and nf != done // int(periods[i]):
            raise _bad(where, f"output {i} records {nf} samples but {done} steps at a period of {periods[i]} "
                              f"steps give {done // int(periods[i])}")
        if not 0 <= nf <= buffers[i].shape[-3]:
            raise _bad(where, f"output {i} records {nf} samples, more than the run's {buffers[i].shape[-3]}")
        key = f"out_{i}"
        if key not in z.files:
            raise _bad(where, f"output {i} is missing")
        out = z[key]
        expect = buffers[i][..., :nf, :, :].shape
        if out.shape != expect or out.dtype != buffers[i].dtype:
            raise _bad(where, f"output {i} is {out.shape} {out.dtype}, expected {expect} {buffers[i].dtype}")
        buffers[i][..., :nf, :, :] = out
    steps = np.asarray(new[_step_leaf(treedef, leaves)])
    if steps.size == 0 or np.any(steps != done):
        raise _bad(where, f"its state is at step {steps.ravel()[:3].tolist()} but it records {done} steps done")
    return jax.tree_util.tree_unflatten(treedef, new), done, filled


def _step_leaf(treedef, leaves):
    """Index of the carry's ``step`` leaf among the flattened leaves."""
    marked = jax.tree_util.tree_unflatten(treedef, list(range(len(leaves))))
    return int(np.max(np.asarray(marked.step)))
