"""Checkpoints: the carry and the finished outputs of a run, written atomically between chunks.

A checkpoint carries a fingerprint of everything that determines the run (structure,
every parameter value, the initial state, the key, the length and the batch size); a
checkpoint written by another run is refused, never resumed. Files are written to a
temporary file in the same folder, fsynced and renamed into place, so a kill leaves
either the previous checkpoint or the complete new one.
"""

from __future__ import annotations

import hashlib
import os

import jax
import jax.numpy as jnp
import numpy as np

from ..core.digest import array_digest, content_key

__all__ = ["fingerprint", "save", "load"]

#: Seconds between checkpoints of a running simulation.
INTERVAL_S = 10.0


def fingerprint(setup, params, nb):
    h = hashlib.sha1()
    h.update(repr(content_key(setup.structure_key)).encode())
    for leaf in jax.tree_util.tree_leaves(params):
        h.update(array_digest(np.asarray(leaf)).encode())
    h.update(array_digest(np.asarray(setup.x0), np.asarray(setup.key)).encode())
    h.update(f"{setup.n_steps}/{nb}".encode())
    return h.hexdigest()


def save(path, fp, carry, done, buffers, filled):
    """Write the checkpoint atomically (temporary file in the same folder, fsync, rename)."""
    leaves = jax.tree_util.tree_leaves(carry)
    arrays = {f"carry_{i}": np.asarray(v) for i, v in enumerate(leaves)}
    for i, (b, nf) in enumerate(zip(buffers, filled)):
        arrays[f"out_{i}"] = b[..., :nf, :, :]
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, fingerprint=np.array(fp), done=np.array(done), filled=np.array(filled), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load(path, fp, carry, buffers, n_steps):
    """Restore ``(carry, done, filled)`` into ``buffers``; every field is checked against the run."""
    where = os.fspath(path)
    with np.load(path, allow_pickle=False) as z:
        if "fingerprint" not in z or str(z["fingerprint"]) != fp:
            raise ValueError(f"checkpoint {where!r} was written by a different simulation (other network, model, "
                             f"parameters, monitors, key or duration); delete it or pass another checkpoint path.")
        leaves, treedef = jax.tree_util.tree_flatten(carry)
        new = []
        for i, leaf in enumerate(leaves):
            a = z[f"carry_{i}"] if f"carry_{i}" in z else None
            if a is None or a.shape != leaf.shape:
                raise ValueError(f"checkpoint {where!r} is damaged: carry entry {i} is missing or has shape "
                                 f"{None if a is None else a.shape}, expected {leaf.shape}.")
            new.append(jnp.asarray(a, dtype=leaf.dtype))
        done = int(z["done"])
        filled = [int(v) for v in np.atleast_1d(z["filled"])]
        if not 0 <= done <= n_steps or len(filled) != len(buffers):
            raise ValueError(f"checkpoint {where!r} is damaged: done={done} of {n_steps} steps, {len(filled)} "
                             f"outputs for {len(buffers)} monitors.")
        for i, nf in enumerate(filled):
            out = z[f"out_{i}"]
            expect = buffers[i][..., :nf, :, :].shape
            if not 0 <= nf <= buffers[i].shape[-3] or out.shape != expect:
                raise ValueError(f"checkpoint {where!r} is damaged: output {i} has shape {out.shape}, expected "
                                 f"{expect} ({nf} samples).")
            buffers[i][..., :nf, :, :] = out
        step = int(np.max(np.asarray(new[_step_leaf(treedef, leaves)])))
        if step != done:
            raise ValueError(f"checkpoint {where!r} is damaged: its state is at step {step} but it records "
                             f"{done} steps done.")
        return jax.tree_util.tree_unflatten(treedef, new), done, filled


def _step_leaf(treedef, leaves):
    """Index of the carry's ``step`` leaf among the flattened leaves."""
    marked = jax.tree_util.tree_unflatten(treedef, list(range(len(leaves))))
    return int(np.max(np.asarray(marked.step)))
