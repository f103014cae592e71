"""Provenance of simulated outputs: what produced them, and how to repeat them bit for bit.

Every workflow output (:func:`mne_nmm.eeg.simulate_eeg`, :func:`mne_nmm.fmri.simulate_bold`,
the ``mne-nmm`` commands) carries one JSON document::

    {"generated_by": {"name": "mne_nmm", "version": ..., "function": "mne_nmm.eeg.simulate_eeg",
                      "command": "eeg"},
     "arguments": {...the arguments that reproduce the run...},
     "simulation": {"model": ..., "parameters": {...}, "connectome": {"name", "n_regions", "weights_sha256"},
                    "coupling": ..., "global_coupling": ..., "speed_m_per_s": ..., "delays": {...},
                    "dt_ms": ..., "integrator": ..., "noise": {...}, "key": ..., "duration_ms": ...},
     "environment": {"jax": ..., "numpy": ..., "mne": ..., "nilearn": ..., "x64": ...},
     "outputs": {"<file>": {"data_sha256": ...}}}

It is written to ``raw.info["description"]`` (FIF), the NIfTI header's ``descrip``
(a short pointer; the header has 80 bytes) and, in BIDS style, a JSON sidecar next
to each file (``sim_eeg-raw.json``, ``bold.json`` with ``RepetitionTime``,
``TaskName``, ``SkullStripped``...; BIDS specification 1.9, "Common principles:
sidecar JSON"). ``mne-nmm rerun SIDECAR.json`` re-runs ``arguments`` and checks the
new data against ``data_sha256`` (a digest of the float64 data array, not of the
file, whose bytes hold write times).

Checking a FIF against its provenance
-------------------------------------
``raw.save`` writes 32-bit floats by default (``fmt="single"``), so the float64
digest ``data_sha256`` cannot be recomputed from a file. The Raw outputs therefore
also record ``stored_sha256``: the digest of the data *as a FIF stores them*, the
float32 values of ``data / (cal * range)`` per channel (:func:`stored_data_digest`).
Reading the file back and digesting it gives the same value, whichever way it was
saved (``fmt="single"`` or ``"double"``: the float32 rounding of a float64 value
read back is the float32 value written)::

    raw = mne.io.read_raw_fif("sim_eeg-raw.fif", preload=True)
    doc = json.loads(raw.info["description"])
    assert stored_data_digest(raw) == doc["outputs"]["raw"]["stored_sha256"]

The float64 ``data_sha256`` stays the bit-for-bit check of a rerun in memory and of
a file saved with ``fmt="double"`` (``data_digest(raw.get_data())``).
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

__all__ = ["data_digest", "stored_data_digest", "environment", "connectome_provenance", "simulation_provenance",
           "make_provenance",
           "write_sidecar", "read_sidecar", "to_jsonable"]

SCHEMA = "mne_nmm.provenance/1"


def to_jsonable(obj):
    """Numbers, arrays, tuples, dataclass-like objects -> JSON types (arrays as lists)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if isinstance(obj, str) or obj is None:
        return obj
    if hasattr(obj, "__array__"):
        a = np.asarray(obj)
        return to_jsonable(a.item()) if a.ndim == 0 else to_jsonable(a.tolist())
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return repr(obj)


def data_digest(data):
    """SHA-256 of an array's float64 C-order bytes (shape included): equal digests, equal data."""
    a = np.ascontiguousarray(np.asarray(data, dtype=np.float64))
    h = hashlib.sha256(repr(a.shape).encode())
    h.update(a.tobytes())
    return h.hexdigest()


def stored_data_digest(raw):
    """SHA-256 of a Raw's data as a FIF stores them (float32), comparable with ``stored_sha256``.

    The stored value of a channel is ``data / (cal * range)`` (MNE's calibration,
    1 for simulated channels) rounded to float32, the ``fmt="single"`` default of
    :meth:`mne.io.Raw.save`; the digest is :func:`data_digest` of those float32
    values (shape ``(n_channels, n_times)``, all channels in ``raw.ch_names`` order).

    Parameters
    ----------
    raw : mne.io.BaseRaw | path-like
        A Raw in memory (e.g. from :func:`mne_nmm.eeg.simulate_eeg`) or a FIF file.

    Returns
    -------
    digest : str
        Hex SHA-256.
    """
    import mne

    if isinstance(raw, (str, os.PathLike)):
        raw = mne.io.read_raw_fif(raw, preload=True, verbose="error")
    if not isinstance(raw, mne.io.BaseRaw):
        raise TypeError(f"raw must be an mne.io.Raw or the path of a FIF file, got {type(raw).__name__}.")
    cals = np.array([ch["cal"] * ch["range"] for ch in raw.info["chs"]], dtype=np.float64)
    stored = (raw.get_data() / cals[:, None]).astype(np.float32)
    return data_digest(stored)


def environment():
    """Versions that decide the bits of a run (jax, numpy, mne, nilearn) and jax's precision."""
    import importlib.metadata as md

    from .._version import __version__

    env = {"mne_nmm": __version__}
    for pkg in ("jax", "jaxlib", "numpy", "scipy", "mne", "nilearn", "nibabel"):
        try:
            env[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            env[pkg] = None
    try:
        import jax

        env["jax_enable_x64"] = bool(jax.config.jax_enable_x64)
        env["jax_backend"] = jax.default_backend()
    except Exception:  # pragma: no cover
        pass
    return env


def connectome_provenance(conn):
    """Name, size and a digest of the weights and tract lengths of a Connectome."""
    return {"name": getattr(conn, "name", None), "n_regions": int(conn.n_regions),
            "weights_sha256": data_digest(conn.weights),
            "tract_lengths_sha256": None if getattr(conn, "tract_lengths_mm", None) is None
            else data_digest(conn.tract_lengths_mm),
            "region_names": list(conn.region_names)}


def _model_parameters(model):
    if hasattr(model, "parameters") and callable(model.parameters):
        try:
            return to_jsonable(model.parameters())
        except Exception:  # pragma: no cover
            pass
    import dataclasses

    if dataclasses.is_dataclass(model):
        return to_jsonable({f.name: getattr(model, f.name) for f in dataclasses.fields(model)})
    return repr(model)


def simulation_provenance(network, model, *, integrator, noise, key, duration_ms, monitors=(), stimulus=None):
    """The ``"simulation"`` block: model, parameters, connectome, coupling, delays, dt, integrator, noise, key."""
    delays = np.asarray(network.delay_steps) if hasattr(network, "delay_steps") else None
    block = {
        "model": type(model).__name__,
        "model_reference": getattr(model, "reference", None),
        "parameters": _model_parameters(model),
        "connectome": connectome_provenance(network.connectome),
        "weights_normalisation": "max" if getattr(network.connectome, "weights", None) is not None else None,
        "coupling": {"name": type(network.coupling).__name__, **to_jsonable(network.coupling.parameters())},
        "global_coupling": float(network.global_coupling),
        "speed_m_per_s": float(network.speed_m_per_s),
        "delays": None if delays is None else {"rule": "rint(tract_length_mm / speed_m_per_s / dt_ms)",
                                               "max_steps": int(delays.max()) if delays.size else 0,
                                               "sha256": data_digest(delays)},
        "dt_ms": float(network.dt_ms),
        "integrator": integrator if isinstance(integrator, str) else type(integrator).__name__,
        "noise": None if noise is None else {"name": type(noise).__name__, "sigma": to_jsonable(noise.sigma),
                                             "variables": to_jsonable(getattr(noise, "variables", None))},
        "key": to_jsonable(key),
        "duration_ms": float(duration_ms),
        "monitors": [repr(m) for m in monitors],
        "stimulus": None if stimulus is None else repr(stimulus),
    }
    return block


def make_provenance(function, arguments, simulation=None, *, command=None, outputs=None, extra=None):
    """Assemble the provenance document (see the module docstring)."""
    from .._version import __version__

    doc = {"schema": SCHEMA,
           "generated_by": {"name": "mne_nmm", "version": __version__, "function": function, "command": command},
           "arguments": to_jsonable(arguments), "simulation": to_jsonable(simulation),
           "environment": environment(), "outputs": to_jsonable(outputs or {})}
    if extra:
        doc.update(to_jsonable(extra))
    return doc


def write_sidecar(path, doc):
    """Write a JSON sidecar atomically (sorted keys, indented); returns the path."""
    from .._io import atomic_write

    with atomic_write(os.fspath(path), "w") as fh:
        json.dump(to_jsonable(doc), fh, indent=2, sort_keys=True)
    return os.fspath(path)


def read_sidecar(path):
    """The provenance record of a sidecar (ours, or a BIDS sidecar with an ``"mne_nmm"`` entry).

    Raises ``ValueError`` when the file holds no mne_nmm provenance.
    """
    with open(os.fspath(path), encoding="utf-8") as fh:
        try:
            doc = json.load(fh)
        except ValueError as err:
            raise ValueError(f"{os.fspath(path)!r} is not a JSON sidecar: {err}") from None
    if isinstance(doc, dict) and isinstance(doc.get("mne_nmm"), dict):  # a BIDS sidecar holding our record
        doc = doc["mne_nmm"]
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ValueError(f"{os.fspath(path)!r} is not an mne_nmm provenance sidecar (no schema {SCHEMA!r}).")
    return doc
