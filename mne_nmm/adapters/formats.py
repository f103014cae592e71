"""Structural connectomes from the files tractography tools write.

Every reader returns a :class:`~mne_nmm.connectome.Connectome` (row = target, column =
source; see :mod:`mne_nmm.connectome`) whose ``info`` says which file each array came from
and lists, in ``info["changes"]``, everything done to the data after reading (a
triangular matrix made symmetric, the diagonal zeroed, tract lengths computed from region
centres...).

Layouts read (the exact on-disk layout each reader expects is in its docstring):

MRtrix3 ``tck2connectome`` (:func:`read_mrtrix_connectome`)
    A numeric text matrix, one row per line, values separated by commas, tabs or spaces
    (MRtrix chooses the delimiter from the extension), lines starting with ``#`` are
    skipped (``tck2connectome`` writes none; other MRtrix matrix writers put their command history
    there). Row/column ``i`` is the node whose
    value in the parcellation image is ``i + 1`` (node 0, "unassigned", is left out unless
    ``tck2connectome -keep_unassigned`` was used: pass ``keep_unassigned=True``). Without
    ``-symmetric`` only the upper triangle is filled; it is mirrored here. The length
    matrix is a second ``tck2connectome`` run with ``-scale_length -stat_edge mean``
    (mean streamline length in mm). Region names come from the lookup table given to
    ``labelconvert`` (:func:`read_lut`). References: MRtrix3 documentation, commands
    ``tck2connectome`` and ``labelconvert``, and "Structural connectome construction"
    (mrtrix.readthedocs.io); ``Matrix::save`` in ``src/dwi/tractography/connectome/matrix.cpp``
    (no header or comment line in the matrix file; the delimiter is a tab for ``.tsv``, a comma
    for ``.csv``, else a space; without ``-symmetric`` only ``col >= row`` is written). The
    ``-out_assignments`` file (the node pair of each streamline) and ``-vector`` output are not
    connectome matrices and are refused with a message saying so.
DSI Studio (:func:`read_dsistudio_connectome`)
    The ``*.connectivity.mat`` file of ``dsi_studio --action=trk --connectivity=<atlas>``. Region
    names are the MATLAB variable ``name``: one string, each name followed by a newline, stored as
    uint8 (or char); ``atlas`` is the atlas name. The matrices, by DSI Studio version
    (``libs/tracking/tract_model.cpp``, ``ConnectivityMatrix::save_to_file``; ``cmd/trk.cpp``):

    * up to early 2026: one file per connectivity value, ``<tracts>.<atlas>.<value>[.<pass|end>]
      .connectivity.mat``, with the matrix in ``connectivity`` (the oldest releases also store
      ``tract_mean_length`` / ``tract_median_length`` beside it);
    * since March 2026 (commit 81602ff): one file per atlas, ``<tracts>.<atlas>.connectivity.mat``,
      with every metric as ``"<metric> r2r"`` (region to region, n x n, symmetric) and
      ``"<metric> t2r"`` (tract to region, n), e.g. ``"number of tracts r2r"``,
      ``"mean length(mm) r2r"``.
QSIRecon / QSIPrep (:func:`read_qsirecon_connectome`)
    The ``*_connectivity.mat`` file (``qsirecon/interfaces/mrtrix.py`` ``BuildConnectome``,
    ``qsirecon/interfaces/dsi_studio.py`` ``DSIStudioConnectivityMatrix``; all atlases merged by
    ``*AtlasGraph``): for each atlas ``A``, ``atlas_A_region_ids`` (the ``index`` column of the
    atlas' labels TSV), ``atlas_A_region_labels`` (its ``name`` column, a cell array) and one
    ``atlas_A_<measure>_connectivity`` matrix per measure (MRtrix: ``sift_invnodevol_radius2_count``,
    ``radius2_meanlength``, ``radius2_count``, ``sift_radius2_count``; DSI Studio: ``count_pass``,
    ``mean_length_pass``...), plus ``command``. QSIRecon before November 2024 (and QSIPrep) wrote the
    same keys without the ``atlas_`` prefix (``A_region_labels``...); both are read. Or a
    BIDS-style ``*.tsv`` matrix whose header row holds the region names.
Plain arrays (:func:`read_matrix_files`)
    ``weights`` and ``lengths`` as ``.npy`` or delimited text (``.csv``, ``.tsv``,
    ``.txt``; an optional header row of region names), with a label file: one name per
    line, or a BIDS ``dseg.tsv``-style table with ``index`` and ``name`` columns.
TVB zips
    :func:`mne_nmm.adapters.tvb.read_tvb_connectivity`.

Tract lengths: from the tool's length matrix when given; otherwise from region centres
(straight-line distance between centres, a lower bound of the fibre length), when centres
are given (``centres_mm``, or a parcellation image ``nodes_img`` whose label values are
the node indices, centres = voxel centroids in the image's world space); otherwise none
(all delays zero). Which one was used is stated in ``info["lengths_source"]`` and
logged.

:func:`read_connectome` picks the reader from the file. This module imports neither mne
nor nilearn; ``nodes_img`` needs nibabel, ``.mat`` files scipy.
"""

from __future__ import annotations

import csv
import io
import os
import re

import numpy as np

from .._io import atomic_write
from .._validate import check_option, logger, validate_type, verbose
from ..connectome import Connectome, record_change

__all__ = ["read_connectome", "read_mrtrix_connectome", "read_dsistudio_connectome", "read_qsirecon_connectome",
           "read_matrix_files", "read_lut", "read_label_file", "write_mrtrix_connectome", "centres_from_image",
           "FORMATS"]

#: Formats understood by :func:`read_connectome`.
FORMATS = ("auto", "mrtrix", "dsistudio", "qsirecon", "plain", "tvb")


# ------------------------------------------------------------------------------------------------
# small readers
# ------------------------------------------------------------------------------------------------
def _read_text(path):
    with open(path, encoding="utf-8-sig") as fh:
        return fh.read()


def _split(line):
    if "," in line:
        return [t.strip() for t in line.split(",")]
    if "\t" in line:
        return [t.strip() for t in line.split("\t")]
    return line.split()


def _is_number(token):
    try:
        float(token)
    except ValueError:
        return False
    return True


def _read_delimited(path, what):
    """``(matrix, header_names | None, row_names | None)`` of a numeric text matrix."""
    rows, header, row_names = [], None, None
    for lineno, raw in enumerate(_read_text(path).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = _split(line)
        if not rows and header is None and not all(_is_number(t) for t in tokens):
            header = tokens
            continue
        if not _is_number(tokens[0]) and len(tokens) > 1:
            row_names = row_names or []
            row_names.append(tokens[0])
            tokens = tokens[1:]
        bad = [t for t in tokens if not _is_number(t)]
        if bad:
            raise ValueError(f"{what} {path!r}, line {lineno}: {bad[0]!r} is not a number.")
        rows.append([float(t) for t in tokens])
    if not rows:
        raise ValueError(f"{what} {path!r} holds no numeric rows.")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"{what} {path!r}: rows have different numbers of values ({sorted(widths)}).")
    mat = np.array(rows, dtype=float)
    if header is not None:
        if row_names is not None and len(header) == mat.shape[1] + 1:
            header = header[1:]  # a corner cell above the row names
        if len(header) != mat.shape[1]:
            raise ValueError(f"{what} {path!r}: the header has {len(header)} names but the rows have "
                             f"{mat.shape[1]} values.")
    return mat, header, row_names


def _read_matrix(path, what):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist.")
    if path.endswith(".npy"):
        mat = np.load(path, allow_pickle=False)
        return np.asarray(mat, dtype=float), None
    mat, header, row_names = _read_delimited(path, what)
    if header is not None and row_names is not None and list(header) != list(row_names):
        raise ValueError(f"{what} {path!r}: the row names and the column names differ.")
    return mat, (header or row_names)


def _check_square(mat, path, what):
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
        raise ValueError(f"{what} {path!r} must be a square matrix (n_regions, n_regions), got shape {mat.shape}.")
    if not np.all(np.isfinite(mat)):
        i, j = np.argwhere(~np.isfinite(mat))[0]
        raise ValueError(f"{what} {path!r} has a non-finite value at row {i}, column {j}.")
    if np.any(mat < 0):
        i, j = np.argwhere(mat < 0)[0]
        raise ValueError(f"{what} {path!r} has a negative value ({mat[i, j]:g}) at row {i}, column {j}.")
    return mat


_NOT_A_MATRIX = ("It looks like a `tck2connectome -out_assignments` file (the node indices each streamline was "
                 "assigned to, one line per streamline), not the connectome matrix (the positional output of "
                 "tck2connectome).")

_LUT_ROW = re.compile(r"^\s*(\d+)\s+(.*)$")


def read_lut(path, *, name_column="auto"):
    """Read a parcellation look-up table: ``{index: name}``.

    Parameters
    ----------
    path : path-like
        A FreeSurfer colour table (``FreeSurferColorLUT.txt``: ``index name R G B A``),
        an MRtrix3 connectome LUT as used by ``labelconvert`` (e.g. ``fs_default.txt``:
        ``index short_name FreeSurfer_name R G B A``), a basic ``index name`` table,
        or a BIDS ``dseg.tsv`` (columns ``index`` and ``name``). ``#`` starts a comment.
    name_column : {"auto", "short", "long"}
        For MRtrix LUTs with two names per row: ``"long"`` (the FreeSurfer name,
        ``"ctx-lh-precentral"``; default with ``"auto"``) or ``"short"`` (``"L.PrCG"``).

    Returns
    -------
    lut : dict of int to str
    """
    check_option("name_column", name_column, ("auto", "short", "long"))
    path = os.fspath(path)
    text = _read_text(path)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    lut = {}
    if lines and "\t" in lines[0] and lines[0].split("\t")[:2] == ["index", "name"]:
        for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"):
            lut[int(row["index"])] = row["name"]
        return lut
    for ln in lines:
        m = _LUT_ROW.match(ln)
        if m is None:
            raise ValueError(f"look-up table {path!r}: cannot read the row {ln.strip()!r} (expected "
                             "'index name [R G B A]').")
        idx, rest = int(m.group(1)), m.group(2).split()
        colours = 0
        while colours < 4 and len(rest) - colours > 1 and rest[-1 - colours].isdigit():
            colours += 1
        names = rest[:len(rest) - colours] if colours else rest
        if not names:
            raise ValueError(f"look-up table {path!r}: row {ln.strip()!r} has no name.")
        if len(names) >= 2:
            name = names[0] if name_column == "short" else " ".join(names[1:])
        else:
            name = names[0]
        if idx in lut:
            raise ValueError(f"look-up table {path!r}: index {idx} appears twice.")
        lut[idx] = name
    return lut


def read_label_file(path):
    """Region names from a label file: one per line, a ``dseg.tsv`` or a LUT (sorted by index)."""
    path = os.fspath(path)
    lines = [ln.strip() for ln in _read_text(path).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise ValueError(f"label file {path!r} is empty.")
    if lines[0].split("\t")[:2] == ["index", "name"] or _LUT_ROW.match(lines[0]):
        lut = read_lut(path)
        return [lut[k] for k in sorted(lut)]
    return lines


# ------------------------------------------------------------------------------------------------
# centres and lengths
# ------------------------------------------------------------------------------------------------
def centres_from_image(nodes_img, indices):
    """Voxel centroids (world mm, the image's affine) of the given label values of a parcellation image.

    Parameters
    ----------
    nodes_img : path-like | nibabel image
        Integer parcellation (e.g. the ``labelconvert`` output given to ``tck2connectome``).
    indices : sequence of int
        Label values, one per region.

    Returns
    -------
    centres_mm : ndarray, shape (n_regions, 3)
    """
    import nibabel as nib

    img = nib.load(os.fspath(nodes_img)) if isinstance(nodes_img, (str, os.PathLike)) else nodes_img
    data = np.rint(np.asarray(img.dataobj)).astype(np.int64)
    out = np.empty((len(indices), 3))
    missing = []
    for k, idx in enumerate(indices):
        vox = np.argwhere(data == idx)
        if len(vox) == 0:
            missing.append(idx)
            continue
        out[k] = (img.affine @ np.r_[vox.mean(axis=0), 1.0])[:3]
    if missing:
        raise ValueError(f"the parcellation image has no voxel with label value(s) {missing[:10]}; cannot compute "
                         "those region centres.")
    return out


def _finish(weights, lengths, names, centres, *, source, name, zero_diagonal, symmetrize, lengths_from,
            coordinate_frame="unknown", extra_info=None):
    """Build the Connectome, recording every change made after reading."""
    info = {"source": source, "changes": []}
    if extra_info:
        info.update(extra_info)
    n = weights.shape[0]
    if names is None:
        names = [f"node{i + 1}" for i in range(n)]
        record_change(info, f"no region names in the files: named them node1..node{n}")
    names = [str(x) for x in names]
    if len(names) != n:
        raise ValueError(f"{source}: {len(names)} region names for a {n} x {n} matrix; they must match.")
    if lengths is not None and lengths.shape != weights.shape:
        raise ValueError(f"{source}: the length matrix has shape {lengths.shape}, the weights {weights.shape}.")

    def _sym(mat, what):
        lower, upper = np.tril(mat, -1), np.triu(mat, 1)
        if symmetrize == "never" or np.allclose(mat, mat.T):
            return mat
        if symmetrize == "auto" and not (np.all(lower == 0) or np.all(upper == 0)):
            return mat
        tri = upper if np.any(upper) else lower
        record_change(info, f"{what}: only one triangle was stored; mirrored it to a symmetric matrix "
                            "(undirected tractography)")
        return tri + tri.T + np.diag(np.diag(mat))

    weights = _sym(weights, "weights")
    if lengths is not None:
        lengths = _sym(lengths, "tract lengths")
        info["lengths_source"] = lengths_from
    elif centres is not None:
        diff = centres[:, None, :] - centres[None, :, :]
        lengths = np.sqrt((diff ** 2).sum(-1))
        info["lengths_source"] = "region centres (Euclidean distance)"
        record_change(info, "no length matrix: tract lengths set to the straight-line distance between region "
                            "centres (mm), a lower bound of the fibre length")
    else:
        info["lengths_source"] = "none"
        record_change(info, "no length matrix and no region centres: tract lengths are zero (no conduction delays)")
    if zero_diagonal and np.any(np.diag(weights)):
        k = int(np.count_nonzero(np.diag(weights)))
        weights = weights.copy()
        np.fill_diagonal(weights, 0.0)
        record_change(info, f"zeroed the {k} non-zero self-connection(s) on the diagonal")
    logger.info("read connectome %s: %d regions, lengths from %s", source, n, info["lengths_source"])
    return Connectome(weights=weights, tract_lengths_mm=lengths, region_names=tuple(names), centres_mm=centres,
                      coordinate_frame=coordinate_frame if centres is not None else "unknown", name=name, info=info)


def _centres_arg(centres_mm, n, what):
    if centres_mm is None:
        return None
    if isinstance(centres_mm, (str, os.PathLike)):
        mat, _ = _read_matrix(centres_mm, "centres file")
        centres_mm = mat
    c = np.asarray(centres_mm, dtype=float)
    if c.shape != (n, 3):
        raise ValueError(f"centres_mm must have shape ({n}, 3) for the {n} regions of {what}, got {c.shape}.")
    return c


# ------------------------------------------------------------------------------------------------
# MRtrix3
# ------------------------------------------------------------------------------------------------
@verbose
def read_mrtrix_connectome(weights, *, lengths=None, lut=None, nodes_img=None, centres_mm=None,
                           keep_unassigned=False, name_column="auto", zero_diagonal=True, symmetrize="auto", name=None,
                           verbose=None):
    """Read an MRtrix3 ``tck2connectome`` matrix (and its length matrix and look-up table).

    Parameters
    ----------
    weights : path-like
        The connectome matrix (``tck2connectome tracks.tck nodes.mif weights.csv``):
        n rows of n numbers separated by commas, tabs or spaces; ``#`` comment lines
        are skipped. Row/column ``i`` is node ``i + 1`` of the parcellation.
    lengths : path-like | None
        Mean streamline lengths in mm (``tck2connectome ... -scale_length -stat_edge
        mean lengths.csv``), same layout.
    lut : path-like | None
        The look-up table of the node image (the output LUT of ``labelconvert``, e.g.
        MRtrix's ``fs_default.txt``): node ``i + 1`` gets the name of index ``i + 1``.
        Without it, regions are named ``node1, node2, ...``.
    nodes_img : path-like | nibabel image | None
        The node parcellation image; used for the region centres (and so the tract
        lengths when ``lengths`` is None).
    centres_mm : array, shape (n, 3) | path-like | None
        Region centres instead of ``nodes_img``.
    keep_unassigned : bool
        The matrix has a first row/column for node 0 (``-keep_unassigned``); it is dropped.
    name_column : {"auto", "short", "long"}
        See :func:`read_lut`.
    zero_diagonal : bool
        Zero the self-connections (recorded in ``info["changes"]``).
    symmetrize : {"auto", "never", "always"}
        Mirror a matrix whose lower (or upper) triangle is empty (``"auto"``, MRtrix's
        default output without ``-symmetric``), always mirror the filled triangle
        (``"always"``), or keep the matrix as stored (``"never"``).
    name : str | None
        Connectome name (default: the file name).
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    connectome : Connectome
    """
    check_option("symmetrize", symmetrize, ("auto", "never", "always"))
    weights = os.fspath(weights)
    try:
        w, _ = _read_matrix(weights, "MRtrix3 connectome")
    except ValueError as err:
        if "different numbers of values" in str(err):
            raise ValueError(f"{err} {_NOT_A_MATRIX}") from None
        raise
    if w.ndim == 2 and w.shape[0] != w.shape[1]:
        if w.shape[0] == 1:
            raise ValueError(f"MRtrix3 connectome {weights!r} has one row of {w.shape[1]} values: a "
                             "`tck2connectome -vector` output (seed to each node), not a node-by-node matrix.")
        if w.shape[1] <= 2 and np.all(w == np.round(w)):
            raise ValueError(f"MRtrix3 connectome {weights!r} has shape {w.shape}, integer node indices in "
                             f"{w.shape[1]} column(s): {_NOT_A_MATRIX}")
    w = _check_square(w, weights, "MRtrix3 connectome")
    length_mat = None
    if lengths is not None:
        length_mat, _ = _read_matrix(lengths, "MRtrix3 length matrix")
        length_mat = _check_square(length_mat, os.fspath(lengths), "MRtrix3 length matrix")
    if keep_unassigned:
        w = w[1:, 1:]
        length_mat = None if length_mat is None else length_mat[1:, 1:]
    n = w.shape[0]
    indices = list(range(1, n + 1))
    names = None
    if lut is not None:
        table = read_lut(lut, name_column=name_column)
        missing = [i for i in indices if i not in table]
        if missing:
            raise ValueError(f"look-up table {os.fspath(lut)!r} has no entry for node index(es) {missing[:10]} of the "
                             f"{n}-node matrix {weights!r} (row i is node i + 1); is it the LUT given to labelconvert?")
        names = [table[i] for i in indices]
        extra = sorted(set(table) - set(indices) - {0})
        if extra:
            logger.info("read_mrtrix_connectome: LUT entries %s have no row in the matrix", extra[:10])
    centres = _centres_arg(centres_mm, n, weights)
    frame = "unknown"
    if centres is None and nodes_img is not None:
        centres = centres_from_image(nodes_img, indices)
        frame = "image"
    return _finish(w, length_mat, names, centres, source=weights, name=name or os.path.basename(weights),
                   zero_diagonal=zero_diagonal, symmetrize=symmetrize,
                   lengths_from=f"length matrix {os.fspath(lengths)!r}" if lengths is not None else None,
                   coordinate_frame=frame,
                   extra_info={"format": "mrtrix3 tck2connectome", "lut": None if lut is None else os.fspath(lut)})


def write_mrtrix_connectome(connectome, weights, *, lengths=None, lut=None, upper_triangle=False, delimiter=","):
    """Write a connectome in ``tck2connectome``'s layout (no header line; each file atomically).

    Parameters
    ----------
    connectome : Connectome
    weights, lengths, lut : path-like | None
        Destinations of the weights, the tract lengths and a basic LUT
        (``index name`` with a fake colour, as MRtrix's LUTs have).
    upper_triangle : bool
        Write only the upper triangle (``tck2connectome``'s default without ``-symmetric``).
    delimiter : str
        Value separator.
    """
    validate_type(connectome, Connectome, "connectome")

    def _write(mat, path):
        mat = np.triu(mat) if upper_triangle else mat
        with atomic_write(path, "w") as fh:
            for row in mat:
                fh.write(delimiter.join(repr(float(v)) for v in row) + "\n")

    _write(connectome.weights, weights)
    if lengths is not None:
        _write(connectome.tract_lengths_mm, lengths)
    if lut is not None:
        with atomic_write(lut, "w") as fh:
            fh.write("# index name R G B A\n")
            for i, nm in enumerate(connectome.region_names, start=1):
                fh.write(f"{i}\t{nm}\t{(37 * i) % 256} {(91 * i) % 256} {(151 * i) % 256} 255\n")


# ------------------------------------------------------------------------------------------------
# DSI Studio, QSIRecon
# ------------------------------------------------------------------------------------------------
def _loadmat(path, what):
    from scipy.io import loadmat

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} {path!r} does not exist.")
    try:
        return {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
    except Exception as err:  # scipy raises several types for a bad file
        raise ValueError(f"{what} {path!r} is not a readable MATLAB file: {err}") from None


def _mat_strings(value):
    """Region names from a MATLAB char/uint8 array (newline-separated) or a cell array."""
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":
        text = bytes(arr.ravel().astype(np.uint8)).decode("utf-8", errors="replace")
        return [t.strip() for t in text.replace("\0", "").split("\n") if t.strip()]
    if arr.dtype.kind == "U":
        if arr.ndim <= 1 or arr.shape[0] == 1:
            text = "".join(arr.ravel().tolist())
            if "\n" in text:
                return [t.strip() for t in text.split("\n") if t.strip()]
        return [str(t).strip() for t in arr.ravel()]
    if arr.dtype == object:
        out = []
        for t in arr.ravel():
            t = np.asarray(t)
            out.append(str(t.ravel()[0]) if t.size else "")
        return [t.strip() for t in out]
    raise ValueError(f"cannot read region names from a MATLAB array of dtype {arr.dtype}.")


#: DSI Studio metric holding mean streamline lengths (mm), in the per-atlas files since March 2026.
DSI_LENGTH_METRIC = "mean length(mm)"


def _dsi_matrix(d, path, measure, what):
    """``(matrix, measure used, mean-length matrix | None)`` of a loaded DSI Studio connectivity file."""
    if "connectivity" in d:                                       # one value per file (DSI Studio < 2026)
        if measure is not None:
            logger.info("read_dsistudio_connectome: %s holds one matrix ('connectivity'); measure=%r is its file "
                        "name's value", path, measure)
        lengths = d.get("tract_mean_length")                      # the oldest releases
        return np.asarray(d["connectivity"], dtype=float), measure, lengths
    metrics = sorted(k[:-len(" r2r")] for k in d if k.endswith(" r2r"))
    if not metrics:
        raise ValueError(f"{what} {path!r} has neither a 'connectivity' variable nor '<metric> r2r' matrices (it "
                         f"has {sorted(d)[:10]}); is it a DSI Studio *.connectivity.mat?")
    if measure is None:
        measure = "number of tracts"
    # the file names of DSI Studio write metrics with '_' for ' ' and without the unit: accept those too
    norm = {m: m.split("(")[0].strip().replace(" ", "_") for m in metrics}
    pick = [m for m in metrics if measure in (m, norm[m], f"{m} r2r")]
    if not pick:
        raise ValueError(f"measure must be one of the metrics of {path!r}: {metrics}, got {measure!r}.")
    lengths = d.get(f"{DSI_LENGTH_METRIC} r2r")
    return np.asarray(d[f"{pick[0]} r2r"], dtype=float), pick[0], lengths


@verbose
def read_dsistudio_connectome(path, *, measure=None, lengths=None, centres_mm=None, zero_diagonal=True,
                              symmetrize="auto", name=None, verbose=None):
    """Read a DSI Studio ``*.connectivity.mat`` file.

    Parameters
    ----------
    path : path-like
        MATLAB file with ``name`` (region names, each followed by a newline, as a uint8 or
        char array, or a cell array), optionally ``atlas``, and either ``connectivity``
        (n, n) (DSI Studio before 2026: one file per value) or ``"<metric> r2r"`` matrices
        (since March 2026: one file per atlas with every metric); see the module docstring.
    measure : str | None
        The metric of a per-atlas file, as DSI Studio names it (``"number of tracts"``,
        default) or as its file names write it (``"number_of_tracts"``, ``"mean_length"``).
    lengths : path-like | None
        Mean tract lengths (mm) from another DSI Studio file (``--connectivity_value=
        mean_length``), same layout. Default: the ``"mean length(mm) r2r"`` matrix (or the
        oldest releases' ``tract_mean_length``) of ``path`` when it has one.
    centres_mm, zero_diagonal, symmetrize, name, verbose
        See :func:`read_mrtrix_connectome`.

    Returns
    -------
    connectome : Connectome
    """
    path = os.fspath(path)
    d = _loadmat(path, "DSI Studio connectivity file")
    if "name" not in d:
        raise ValueError(f"DSI Studio connectivity file {path!r} has no variable 'name' (it has {sorted(d)[:10]}); "
                         "is it a DSI Studio *.connectivity.mat?")
    w, measure, in_file_lengths = _dsi_matrix(d, path, measure, "DSI Studio connectivity file")
    w = _check_square(w, path, "DSI Studio connectivity")
    names = _mat_strings(d["name"])
    length_mat, lengths_from = None, None
    if lengths is not None:
        dl = _loadmat(lengths, "DSI Studio length file")
        lm, _, _ = _dsi_matrix(dl, os.fspath(lengths), DSI_LENGTH_METRIC if "connectivity" not in dl else None,
                                 "DSI Studio length file")
        length_mat = _check_square(np.asarray(lm, dtype=float), os.fspath(lengths), "DSI Studio length matrix")
        lengths_from = f"DSI Studio length matrix {os.fspath(lengths)!r}"
    elif in_file_lengths is not None:
        length_mat = _check_square(np.asarray(in_file_lengths, dtype=float), path, "DSI Studio mean length matrix")
        lengths_from = f"mean streamline length matrix of {path!r}"
    atlas = _mat_strings(d["atlas"])[0] if "atlas" in d and np.asarray(d["atlas"]).size else None
    return _finish(w, length_mat, names, _centres_arg(centres_mm, w.shape[0], path), source=path,
                   name=name or os.path.basename(path), zero_diagonal=zero_diagonal, symmetrize=symmetrize,
                   lengths_from=lengths_from,
                   extra_info={"format": "dsistudio connectivity.mat", "atlas": atlas, "measure": measure})


@verbose
def read_qsirecon_connectome(path, *, atlas=None, measure=None, lengths_measure=("meanlength", "mean_length"),
                             labels=None, lengths=None, centres_mm=None, zero_diagonal=True, symmetrize="auto",
                             name=None, verbose=None):
    """Read a QSIRecon/QSIPrep connectivity matrix (``.mat`` with all atlases, or one ``.tsv``).

    Parameters
    ----------
    path : path-like
        ``*_connectivity.mat``: variables ``atlas_<atlas>_region_ids``,
        ``atlas_<atlas>_region_labels`` and ``atlas_<atlas>_<measure>_connectivity``
        (QSIRecon since November 2024; earlier QSIRecon and QSIPrep: the same without
        ``atlas_``); or a ``.tsv`` matrix whose header row is the region names (or with a
        separate ``labels`` file).
    atlas : str | None
        Atlas name in the ``.mat`` (e.g. ``"4S156Parcels"``; ``"atlas_4S156Parcels"`` is
        accepted too); required when it holds several.
    measure : str | None
        Weight measure, the middle of ``..._<measure>_connectivity`` (e.g.
        ``"sift_invnodevol_radius2_count"``, ``"count_pass"``); required when there are
        several (length measures, containing ``lengths_measure``, are not candidates).
    lengths_measure : str | tuple of str
        Substring(s) of the measures holding mean streamline lengths (MRtrix
        ``radius2_meanlength``, DSI Studio ``mean_length_pass``). Used for
        ``tract_lengths_mm`` when one such matrix exists, or when one of several shares
        the most ``_``-separated tokens (``sift``, ``radius2``...) with ``measure``.
    labels : path-like | None
        Label file for a ``.tsv`` without header (:func:`read_label_file`).
    lengths : path-like | None
        Length matrix for a ``.tsv`` (same layout).
    centres_mm, zero_diagonal, symmetrize, name, verbose
        See :func:`read_mrtrix_connectome`.

    Returns
    -------
    connectome : Connectome
    """
    path = os.fspath(path)
    if not path.endswith(".mat"):
        w, names = _read_matrix(path, "QSIRecon connectivity matrix")
        w = _check_square(w, path, "QSIRecon connectivity matrix")
        if labels is not None:
            names = read_label_file(labels)
        length_mat = None
        if lengths is not None:
            length_mat, _ = _read_matrix(lengths, "QSIRecon length matrix")
            length_mat = _check_square(length_mat, os.fspath(lengths), "QSIRecon length matrix")
        return _finish(w, length_mat, names, _centres_arg(centres_mm, w.shape[0], path), source=path,
                       name=name or os.path.basename(path), zero_diagonal=zero_diagonal, symmetrize=symmetrize,
                       lengths_from=f"length matrix {os.fspath(lengths)!r}" if lengths else None,
                       extra_info={"format": "qsirecon tsv"})
    d = _loadmat(path, "QSIRecon connectivity file")
    # key prefix of each atlas: "atlas_<A>_" (QSIRecon >= Nov 2024) or "<A>_" (earlier QSIRecon, QSIPrep)
    prefixes = {}
    for k in d:
        if k.endswith("_region_labels"):
            stem = k[:-len("_region_labels")]
            short = stem[len("atlas_"):] if stem.startswith("atlas_") and stem != "atlas_" else stem
            prefixes[short] = stem + "_"
    atlases = sorted(prefixes)
    if not atlases:
        raise ValueError(f"QSIRecon connectivity file {path!r} has no 'atlas_<atlas>_region_labels' (or "
                         f"'<atlas>_region_labels') variable (it has {sorted(d)[:10]}).")
    if atlas is None:
        if len(atlases) > 1:
            raise ValueError(f"{path!r} holds {len(atlases)} atlases {atlases}; pass atlas=one of them.")
        atlas = atlases[0]
    if isinstance(atlas, str) and atlas not in prefixes and atlas.startswith("atlas_") and atlas[6:] in prefixes:
        atlas = atlas[6:]
    check_option("atlas", atlas, atlases)
    prefix, suffix = prefixes[atlas], "_connectivity"
    # another atlas' keys may start with this prefix (atlas "AAL" vs "AAL_sub"): keep only this atlas' measures
    others = [p for p in prefixes.values() if p != prefix and p.startswith(prefix)]
    measures = sorted(k[len(prefix):-len(suffix)] for k in d if k.startswith(prefix) and k.endswith(suffix)
                      and not any(k.startswith(o) for o in others))
    if not measures:
        raise ValueError(f"{path!r} has no '{prefix}<measure>_connectivity' matrix for atlas {atlas!r}.")
    length_tokens = (lengths_measure,) if isinstance(lengths_measure, str) else tuple(lengths_measure)

    def is_length(m):
        return any(t in m for t in length_tokens)

    weight_measures = [m for m in measures if not is_length(m)]
    if measure is None:
        if len(weight_measures) != 1:
            raise ValueError(f"{path!r} holds {len(weight_measures)} weight measures for atlas {atlas!r}: "
                             f"{weight_measures}; pass measure=one of them.")
        measure = weight_measures[0]
    check_option("measure", measure, measures)
    w = _check_square(np.asarray(d[f"{prefix}{measure}{suffix}"], dtype=float), path, f"{atlas} {measure}")
    names = _mat_strings(d[f"{prefix}region_labels"])
    length_keys = [m for m in measures if is_length(m)]
    if len(length_keys) > 1:
        # several length matrices (e.g. radius2_meanlength and sift_radius2_meanlength): the one whose other
        # tokens (sift, radius) match the weight measure's
        wt = set(measure.split("_"))
        best = max(len(wt & set(m.split("_"))) for m in length_keys)
        close = [m for m in length_keys if len(wt & set(m.split("_"))) == best]
        if len(close) == 1:
            length_keys = close
    length_mat, lengths_from = None, None
    if len(length_keys) == 1:
        length_mat = _check_square(np.asarray(d[f"{prefix}{length_keys[0]}{suffix}"], dtype=float), path, "lengths")
        lengths_from = f"{prefix}{length_keys[0]}{suffix} in {path!r}"
    elif len(length_keys) > 1:
        logger.info("read_qsirecon_connectome: several length measures %s; none used", length_keys)
    ids = None
    if f"{prefix}region_ids" in d:
        ids = np.asarray(d[f"{prefix}region_ids"]).ravel().astype(int).tolist()
        if len(ids) != w.shape[0]:
            raise ValueError(f"{path!r}: {prefix}region_ids has {len(ids)} ids for a {w.shape[0]}-region matrix.")
    return _finish(w, length_mat, names, _centres_arg(centres_mm, w.shape[0], path), source=path,
                   name=name or f"{atlas}_{measure}", zero_diagonal=zero_diagonal, symmetrize=symmetrize,
                   lengths_from=lengths_from,
                   extra_info={"format": "qsirecon connectivity.mat", "atlas": atlas, "measure": measure,
                               "region_ids": ids})


# ------------------------------------------------------------------------------------------------
# plain files
# ------------------------------------------------------------------------------------------------
@verbose
def read_matrix_files(weights, *, lengths=None, labels=None, centres_mm=None, zero_diagonal=True,
                      symmetrize="never", name=None, verbose=None):
    """Read a plain weights (+ lengths) pair with a label file.

    Parameters
    ----------
    weights : path-like
        ``.npy`` or delimited text (``,``/tab/space; optional header row of names,
        optional first column of names), shape (n, n), row = target, column = source.
    lengths : path-like | None
        Tract lengths in mm, same layout.
    labels : path-like | sequence of str | None
        Label file (:func:`read_label_file`) or the names; default: the header of
        ``weights``, else ``node1..noden``.
    centres_mm, zero_diagonal, name, verbose
        See :func:`read_mrtrix_connectome`.
    symmetrize : {"never", "auto", "always"}
        Default ``"never"``: a plain matrix may be directed.

    Returns
    -------
    connectome : Connectome
    """
    check_option("symmetrize", symmetrize, ("auto", "never", "always"))
    weights = os.fspath(weights)
    w, names = _read_matrix(weights, "weights file")
    w = _check_square(w, weights, "weights file")
    length_mat = None
    if lengths is not None:
        length_mat, lnames = _read_matrix(lengths, "lengths file")
        length_mat = _check_square(length_mat, os.fspath(lengths), "lengths file")
        if names is not None and lnames is not None and list(lnames) != list(names):
            raise ValueError(f"the region names of {os.fspath(lengths)!r} and {weights!r} differ.")
    if labels is not None:
        names = read_label_file(labels) if isinstance(labels, (str, os.PathLike)) else [str(x) for x in labels]
    return _finish(w, length_mat, names, _centres_arg(centres_mm, w.shape[0], weights), source=weights,
                   name=name or os.path.basename(weights), zero_diagonal=zero_diagonal, symmetrize=symmetrize,
                   lengths_from=f"lengths file {os.fspath(lengths)!r}" if lengths is not None else None,
                   extra_info={"format": "plain"})


# ------------------------------------------------------------------------------------------------
# dispatch
# ------------------------------------------------------------------------------------------------
def _detect(path):
    p = path.lower()
    if p.endswith(".zip"):
        return "tvb"
    if p.endswith(".npy"):
        return "plain"
    if p.endswith(".mat"):
        from scipy.io import whosmat

        try:
            keys = {k for k, _, _ in whosmat(path)}
        except Exception as err:
            raise ValueError(f"{path!r} is not a readable MATLAB file: {err}") from None
        if "name" in keys and ("connectivity" in keys or any(k.endswith(" r2r") for k in keys)):
            return "dsistudio"
        if any(k.endswith("_region_labels") for k in keys):
            return "qsirecon"
        raise ValueError(f"cannot tell the format of {path!r} from its variables {sorted(keys)[:10]}; pass format=.")
    # text: MRtrix matrices are purely numeric; a header of names means a plain/QSIRecon table
    for raw in _read_text(path).splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            return "mrtrix" if all(_is_number(t) for t in _split(line)) else "plain"
    raise ValueError(f"{path!r} is empty.")


@verbose
def read_connectome(path, *, format="auto", lengths=None, lut=None, labels=None, nodes_img=None, centres_mm=None,
                    zero_diagonal=True, name=None, verbose=None, **kwargs):
    """Read a structural connectome from a tractography tool's files.

    Parameters
    ----------
    path : path-like
        The weights file.
    format : {"auto", "mrtrix", "dsistudio", "qsirecon", "plain", "tvb"}
        ``"auto"``: ``.zip`` TVB, ``.npy`` plain, ``.mat`` DSI Studio or QSIRecon by its
        variables, text MRtrix3 when purely numeric, else plain (header of names).
    lengths, lut, labels, nodes_img, centres_mm, zero_diagonal, name
        Passed to the reader where it takes them (``lut`` is the MRtrix LUT; ``labels``
        the label file of plain/QSIRecon tables).
    verbose : bool | str | int | None
        Logging level.
    **kwargs
        Reader-specific options (e.g. ``atlas``, ``measure`` for QSIRecon).

    Returns
    -------
    connectome : Connectome
    """
    check_option("format", format, FORMATS)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"connectome file {path!r} does not exist.")
    fmt = _detect(path) if format == "auto" else format
    if fmt == "tvb":
        from .tvb import read_tvb_connectivity

        con = read_tvb_connectivity(path, name=name)
        return con.without_self_connections() if zero_diagonal else con
    if fmt == "mrtrix":
        return read_mrtrix_connectome(path, lengths=lengths, lut=lut if lut is not None else labels,
                                      nodes_img=nodes_img, centres_mm=centres_mm, zero_diagonal=zero_diagonal,
                                      name=name, **kwargs)
    if fmt == "dsistudio":
        return read_dsistudio_connectome(path, lengths=lengths, centres_mm=centres_mm, zero_diagonal=zero_diagonal,
                                         name=name, **kwargs)
    if fmt == "qsirecon":
        return read_qsirecon_connectome(path, labels=labels, lengths=lengths, centres_mm=centres_mm,
                                        zero_diagonal=zero_diagonal, name=name, **kwargs)
    return read_matrix_files(path, lengths=lengths, labels=labels if labels is not None else lut,
                             centres_mm=centres_mm, zero_diagonal=zero_diagonal, name=name, **kwargs)
