"""Read The Virtual Brain (TVB) connectivity ZIP files.

A TVB connectivity ZIP holds plain-text members, optionally bzip2-compressed
(``weights.txt.bz2``) and optionally inside one sub-folder:

===========================  ================================================  ===========
member (``.txt`` or ``.bz2``)  content                                          required
===========================  ================================================  ===========
``weights``                  (n, n) connection strengths                       yes
``tract_lengths``            (n, n) tract lengths, mm                          no
``centres`` / ``centers``    n lines ``name x y z`` (mm; extra ``None`` ok)    no
``hemispheres``              n values, 1 = right hemisphere                    no
``cortical``                 n values, 1 = cortical region                     no
``areas``                    n values, region areas (mm^2)                     no
``average_orientations``     (n, 3) mean unit normals                          no
``info``                     ``key = "value"`` unit strings                     no
===========================  ================================================  ===========

TVB's coupling sums ``weights[i, j] * x_j`` into node ``i`` (row = target,
column = source), which is the convention of :class:`mne_nmm.Connectome`, so the
matrices are used as stored (no transpose).

This module reads the files a user points at; it ships no TVB data (tvb-data is
GPL-3).
"""

from __future__ import annotations

import bz2
import io
import os
import re
import zipfile

import numpy as np

from .._validate import logger, validate_type, verbose
from ..connectome import Connectome, record_change

__all__ = ["read_tvb_connectivity"]

TVB_CITATION = ("Sanz Leon P, Knock SA, Woodman MM, Domide L, Mersmann J, McIntosh AR, Jirsa V (2013). "
                "The Virtual Brain: a simulator of primate brain network dynamics. Front Neuroinform 7:10. "
                "doi:10.3389/fninf.2013.00010")

# member kind -> accepted file stems (lower case, without .txt/.bz2)
_KINDS = {
    "weights": ("weights",),
    "tract_lengths": ("tract_lengths", "tract_length", "tracts"),
    "centres": ("centres", "centers"),
    "hemispheres": ("hemispheres", "hemisphere"),
    "cortical": ("cortical",),
    "areas": ("areas",),
    "average_orientations": ("average_orientations", "orientations"),
    "info": ("info",),
}
_NULL_TOKENS = {"none", "nan", "null"}


@verbose
def read_tvb_connectivity(path, *, name=None, coordinate_frame="unknown", verbose=None):
    """Read a TVB connectivity ZIP file into a :class:`~mne_nmm.Connectome`.

    Parameters
    ----------
    path : path-like
        The ``.zip`` file (e.g. ``tvb_data/connectivity/connectivity_76.zip``).
    name : str | None
        Name of the connectome (default: the file name without ``.zip``).
    coordinate_frame : str
        Frame of the centres in the file, stored in
        ``Connectome.coordinate_frame``. TVB ZIPs do not say; the 76- and
        192-region sets of tvb-data use the TVB head frame (``"tvb"``, see
        :func:`mne_nmm.datasets.load_connectome`).
    verbose : bool | str | int | None
        Log level of the ``"mne_nmm"`` logger (``None``: leave it unchanged).

    Returns
    -------
    connectome : Connectome
        ``weights`` (n, n) as stored (row = target, diagonal kept),
        ``tract_lengths_mm`` (n, n), ``region_names`` and ``centres_mm`` (n, 3)
        from the centres member, ``hemispheres`` (n,) bool (True = right; from the
        hemispheres member, else from the region names, see Notes). ``info`` holds
        ``"source"``, ``"members"``, ``"units"`` (parsed from ``key = "value"`` lines
        of ``info.txt``; its full text is in ``"info_txt"``),
        ``"cortical"`` (n,) bool, ``"areas_mm2"`` (n,) and
        ``"average_orientations"`` (n, 3) where present, ``"hemispheres_source"``,
        ``"notes"`` and ``"citation"``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a ZIP archive, lacks a weights member, has a member
        that cannot be decompressed or parsed, or members of inconsistent sizes.
        The message names the file and member.

    Notes
    -----
    Without a hemispheres member, hemispheres are derived from the names when
    every name ends in ``_R``/``_L`` (e.g. tvb96) or, as TVB does, when every
    name starts with ``r``/``l`` (tvb66/68/76/192); otherwise ``hemispheres`` is
    ``None``. A missing tract-lengths member gives zero lengths (no delays), which
    is recorded in ``info["changes"]``. Trailing ``None`` columns in the centres
    (tvb66) are ignored and noted in ``info["notes"]``.
    """
    validate_type(path, "path-like", "path")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path must be an existing TVB connectivity .zip file, got {path!r} (no such file).")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path must be a TVB connectivity .zip file, got {path!r}, which is not a ZIP archive.")
    if name is None:
        name = os.path.splitext(os.path.basename(path))[0]
    validate_type(name, str, "name")
    validate_type(coordinate_frame, str, "coordinate_frame")

    label = os.path.basename(path)
    notes, changes = [], []
    with zipfile.ZipFile(path) as zf:
        members = _classify_members(zf, label)
        if "weights" not in members:
            raise ValueError(f"{label} has no weights member (weights.txt or weights.txt.bz2); "
                             f"members are {sorted(zf.namelist())}.")
        texts = {kind: _read_text(zf, member, label) for kind, member in members.items()}

    weights = _parse_matrix(texts["weights"], members["weights"], label)
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
        raise ValueError(f"{members['weights']} in {label} must be a square (n_regions, n_regions) matrix, "
                         f"got shape {weights.shape}.")
    n = weights.shape[0]

    lengths = None
    if "tract_lengths" in texts:
        lengths = _parse_matrix(texts["tract_lengths"], members["tract_lengths"], label)
        if lengths.shape != (n, n):
            raise ValueError(f"{members['tract_lengths']} in {label} must have the shape of the weights ({n}, {n}), "
                             f"got {lengths.shape}.")
    else:
        changes.append("no tract_lengths member: tract lengths set to zero (no conduction delays)")

    names = centres = None
    if "centres" in texts:
        names, centres, dropped = _parse_centres(texts["centres"], members["centres"], label)
        if len(centres) != n:
            raise ValueError(f"{members['centres']} in {label} must have one line per region ({n}), "
                             f"got {len(centres)} lines.")
        if dropped:
            notes.append(f"{members['centres']}: ignored a trailing column of {sorted(dropped)} values")

    info = {"source": os.path.abspath(path), "format": "TVB connectivity zip",
            "members": dict(members), "citation": TVB_CITATION}
    if "info" in texts:
        info["info_txt"] = texts["info"]
        info["units"] = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', texts["info"]))

    for kind, key in (("cortical", "cortical"), ("areas", "areas_mm2")):
        if kind in texts:
            vec = _parse_vector(texts[kind], members[kind], label, n)
            if kind == "cortical":
                _check_binary(vec, members[kind], label)
                vec = vec.astype(bool)
            info[key] = vec
    if "average_orientations" in texts:
        ori = _parse_matrix(texts["average_orientations"], members["average_orientations"], label)
        if ori.shape != (n, 3):
            raise ValueError(f"{members['average_orientations']} in {label} must have shape ({n}, 3), got {ori.shape}.")
        info["average_orientations"] = ori

    hemispheres = None
    if "hemispheres" in texts:
        hemispheres = _parse_vector(texts["hemispheres"], members["hemispheres"], label, n)
        _check_binary(hemispheres, members["hemispheres"], label)
        hemispheres = hemispheres.astype(bool)
        info["hemispheres_source"] = members["hemispheres"]
    elif names is not None:
        hemispheres, rule = _hemispheres_from_names(names)
        info["hemispheres_source"] = rule
    else:
        info["hemispheres_source"] = "unknown (no hemispheres member, no region names)"

    if centres is not None:
        _, inverse, counts = np.unique(centres, axis=0, return_inverse=True, return_counts=True)
        n_dup = int(np.sum(counts[counts > 1]))
        if n_dup:
            notes.append(f"{n_dup} regions share a centre with another region ({int(np.sum(counts > 1))} distinct "
                         "shared positions): these centres are not usable for geometry")
    info["notes"] = notes
    info["changes"] = []
    for msg in notes:
        logger.info("%s: %s", label, msg)
    for msg in changes:
        record_change(info, f"{label}: {msg}")

    try:
        return Connectome(weights=weights, tract_lengths_mm=lengths, region_names=names, centres_mm=centres,
                          hemispheres=hemispheres, coordinate_frame=coordinate_frame, name=name, info=info)
    except ValueError as err:
        raise ValueError(f"{label} does not hold a valid connectome: {err}") from None


# -- helpers ------------------------------------------------------------------------
def _classify_members(zf, label):
    members = {}
    for member in zf.namelist():
        base = member.rsplit("/", 1)[-1]
        if member.endswith("/") or member.startswith("__MACOSX/") or base.startswith("."):
            continue
        stem = base.lower()
        if stem.endswith(".bz2"):
            stem = stem[:-4]
        stem = stem.rsplit(".", 1)[0] if "." in stem else stem
        for kind, stems in _KINDS.items():
            if stem in stems:
                if kind in members:
                    raise ValueError(f"{label} has two {kind} members ({members[kind]!r} and {member!r}); "
                                     "expected one.")
                members[kind] = member
    return members


def _read_text(zf, member, label):
    raw = zf.read(member)
    if member.lower().endswith(".bz2"):
        try:
            raw = bz2.decompress(raw)
        except (OSError, ValueError, EOFError) as err:
            raise ValueError(f"member {member!r} of {label} is not valid bzip2 data ({err}).") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("latin-1")
        except UnicodeDecodeError as err:  # pragma: no cover - latin-1 decodes any byte
            raise ValueError(f"member {member!r} of {label} is not text ({err}).") from None


def _parse_matrix(text, member, label):
    try:
        arr = np.loadtxt(io.StringIO(text), dtype=float, ndmin=2)
    except ValueError as err:
        raise ValueError(f"could not parse {member!r} in {label} as a numeric matrix: {err}") from None
    if arr.size == 0:
        raise ValueError(f"{member!r} in {label} is empty; expected a numeric matrix.")
    return arr


def _parse_vector(text, member, label, n):
    tokens = text.split()
    try:
        vec = np.array([float(t) for t in tokens])
    except ValueError as err:
        raise ValueError(f"could not parse {member!r} in {label} as numbers: {err}") from None
    if vec.shape != (n,):
        raise ValueError(f"{member!r} in {label} must hold one value per region ({n}), got {vec.size}.")
    return vec


def _check_binary(vec, member, label):
    if not np.all((vec == 0) | (vec == 1)):
        bad = vec[(vec != 0) & (vec != 1)]
        raise ValueError(f"{member!r} in {label} must hold 0/1 flags, got values such as {bad[:3].tolist()}.")


def _is_float(token):
    try:
        float(token)
    except ValueError:
        return False
    return True


def _parse_centres(text, member, label):
    names, rows, dropped = [], [], set()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for k, line in enumerate(lines):
        tok = line.split()
        name = None
        if not _is_float(tok[0]):
            name, tok = tok[0], tok[1:]
        extra = tok[3:]
        if len(tok) < 3 or any(t.lower() not in _NULL_TOKENS for t in extra):
            raise ValueError(f"line {k + 1} of {member!r} in {label} must read 'name x y z', got {line.strip()!r}.")
        dropped.update(extra)
        try:
            rows.append([float(t) for t in tok[:3]])
        except ValueError:
            raise ValueError(f"line {k + 1} of {member!r} in {label} has non-numeric coordinates: "
                             f"{line.strip()!r}.") from None
        names.append(name)
    if all(nm is None for nm in names):
        names = None
    elif any(nm is None for nm in names):
        raise ValueError(f"{member!r} in {label} names some regions but not others; expected 'name x y z' "
                         "on every line.")
    return names, np.array(rows, dtype=float).reshape(-1, 3), dropped


def _hemispheres_from_names(names):
    if all(nm.endswith(("_R", "_L")) for nm in names):
        return np.array([nm.endswith("_R") for nm in names]), "region-name suffix _R/_L"
    if all(nm[:1].lower() in "rl" and nm[:1] for nm in names):
        return np.array([nm[:1].lower() == "r" for nm in names]), "region-name prefix r/l (TVB rule)"
    return None, "unknown (no hemispheres member; names carry no r/l prefix or _R/_L suffix)"
