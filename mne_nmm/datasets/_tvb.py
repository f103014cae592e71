"""Connectomes and the cortical surface of tvb-data, and the TVB -> MNI transform.

tvb-data is GPL-3: its files are read from the installed package at run time and
nothing of it is copied into mne_nmm. The only shipped file is the 4x4 matrix
``mne_nmm/data/tvb_to_mni.txt`` derived by ``datasets/build_tvb_to_mni.py``.

The TVB head frame
------------------
The centres of tvb76 and tvb192 and the vertices of ``cortex_16384`` use TVB's head
frame: **x anterior, y LEFT, z up**, in mm, origin near the centroid of the cortex.
In RAS terms ``(right, anterior, superior) = (-y, x, z)`` (a 90 degree rotation about
z, no mirror). It is *not* MNI: :func:`tvb_to_mni` applies the fitted affine
(scale ~0.96, rotation ~4 degrees, shift ~(0, -18, +15) mm).
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_array, check_option, logger, validate_type, verbose
from ..adapters.tvb import read_tvb_connectivity
from ..connectome import record_change

__all__ = ["list_connectomes", "load_connectome", "tvb_to_mni", "tvb_to_mni_affine", "load_tvb_cortex",
           "TVBCortex"]

_DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
TVB_TO_MNI_FILE = os.path.join(_DATA_DIR, "tvb_to_mni.txt")

_TVB_FRAME_NOTE = ("centres in the TVB head frame: x anterior, y LEFT, z up (mm); RAS = (-y, x, z); "
                   "use frame='mni' or mne_nmm.datasets.tvb_to_mni for MNI coordinates")
_CONNECTOMES = {
    "tvb66": dict(file="connectivity_66.zip", frame="unknown", notes=[
        "centres are voxel-like indices of an unknown image (x posterior-to-anterior, y right-to-left); "
        "not usable as MNI coordinates",
        "centres.txt carries a trailing 'None' column, ignored when reading"]),
    "tvb68": dict(file="connectivity_68.zip", frame="unknown", notes=[
        "Desikan-Killiany regions (names r_/l_ + aparc name), symmetric weights 0-0.12",
        "centres are voxel-like indices of an unknown image (x anterior-to-posterior); "
        "not usable as MNI coordinates",
        "members are bzip2-compressed inside the zip"]),
    "tvb76": dict(file="connectivity_76.zip", frame="tvb", notes=[
        "TVB's default connectome (CoCoMac-based regional map); weights 0-3 (almost all whole numbers), "
        "asymmetric; 38 right regions first, then the same 38 on the left",
        _TVB_FRAME_NOTE,
        "each centre is the mean of the cortex_16384 vertices of that region (regionMapping_16k_76)"]),
    "tvb96": dict(file="connectivity_96.zip", frame="unknown", notes=[
        "regional map (RM-), Tzourio-Mazoyer/Kotter (MM82a, TM-) and basal ganglia (BG-) regions; "
        "hemisphere from the _R/_L suffix",
        "centres are in an RAS, MNI-like frame (all 96 inside the MNI152 brain mask), but the frame is not "
        "documented: coordinate_frame stays 'unknown'"]),
    "tvb192": dict(file="connectivity_192.zip", frame="tvb", notes=[
        "tvb76 plus 116 thalamic/basal nuclei; left regions first, then right",
        _TVB_FRAME_NOTE,
        "115 duplicate centres: 116 thalamic/basal regions share one position: unusable for geometry",
        "the 76 cortical regions equal tvb76's (same centres, weights, areas) with the l/r name prefixes "
        "swapped: e.g. 'lV1' here is 'rV1' of tvb76 and lies on the right (TVB's EEG projection matrix "
        "confirms tvb76's sides); names are kept as stored"]),
}


def list_connectomes():
    """Names accepted by :func:`load_connectome`.

    Returns
    -------
    names : tuple of str
        ``("tvb66", "tvb68", "tvb76", "tvb96", "tvb192")``.
    """
    return tuple(_CONNECTOMES)


def _tvb_data_dir():
    try:
        import tvb_data
    except ImportError as err:
        raise ImportError("tvb-data is required for the TVB connectomes and cortex. "
                          "Install it with: pip install tvb-data") from err
    return os.path.dirname(os.path.abspath(tvb_data.__file__))


def _tvb_path(*parts):
    path = os.path.join(_tvb_data_dir(), *parts)
    if not os.path.exists(path):
        raise FileNotFoundError(f"tvb-data file {os.path.join(*parts)} not found at {path}; "
                                "is a complete tvb-data (>= 2.0) installed?")
    return path


def tvb_to_mni_affine():
    """The 4x4 affine from the TVB head frame to MNI space.

    Returns
    -------
    affine : ndarray, shape (4, 4)
        ``mni_mm = affine[:3, :3] @ tvb_mm + affine[:3, 3]``. Fitted by
        ``datasets/build_tvb_to_mni.py`` (see ``datasets/tvb_to_mni.md``): the RAS
        flip ``(x, y, z) -> (-y, x, z)`` followed by a similarity transform (scale
        ~0.96, rotation ~4 degrees, shift ~(0, -18, +15) mm) that brings TVB's
        ``cortex_16384`` onto fsaverage5's pial surface (MNI305 space; median
        vertex distance ~2.2 mm).
    """
    return np.loadtxt(TVB_TO_MNI_FILE)


def tvb_to_mni(points_mm):
    """Map points from the TVB head frame to MNI space.

    Parameters
    ----------
    points_mm : array-like, shape (3,) | (n_points, 3)
        Coordinates in the TVB head frame (x anterior, y left, z up), mm — e.g.
        the centres of ``load_connectome("tvb76", frame="tvb")`` or the vertices
        of ``load_tvb_cortex(frame="tvb")``.

    Returns
    -------
    mni_mm : ndarray, shape like ``points_mm``
        MNI coordinates (x right, y anterior, z up), mm.
    """
    pts = check_array(points_mm, "points_mm")
    if pts.shape == (3,):
        return tvb_to_mni(pts[np.newaxis])[0]
    pts = check_array(pts, "points_mm", shape=(None, 3))
    affine = tvb_to_mni_affine()
    return pts @ affine[:3, :3].T + affine[:3, 3]


@verbose
def load_connectome(name="tvb76", *, zero_diagonal=True, frame="tvb", verbose=None):
    """Load a connectome shipped with tvb-data.

    Parameters
    ----------
    name : str
        One of :func:`list_connectomes`: ``"tvb66"``, ``"tvb68"``, ``"tvb76"``
        (TVB's default), ``"tvb96"``, ``"tvb192"``.
    zero_diagonal : bool
        Set the diagonal of the weights to zero (self-connections; tvb76 has 66
        non-zero ones). Recorded in ``info["changes"]``.
    frame : ``"tvb"`` | ``"mni"``
        ``"tvb"``: centres as stored in tvb-data (``coordinate_frame`` is ``"tvb"``
        for tvb76/tvb192, the TVB head frame: x anterior, y LEFT, z up; ``"unknown"``
        for the others). ``"mni"``: centres mapped with :func:`tvb_to_mni`
        (``coordinate_frame="mni"``); only for ``"tvb76"`` (tvb192's centres are
        unusable for geometry; tvb66/68/96 are in undocumented frames).
    verbose : bool | str | int | None
        Log level of the ``"mne_nmm"`` logger.

    Returns
    -------
    connectome : Connectome
        ``weights`` (n, n) in TVB's arbitrary units (row = target, column =
        source, TVB's own convention), ``tract_lengths_mm`` (n, n), ``centres_mm``
        (n, 3), ``region_names``, ``hemispheres`` (True = right).
        ``info["notes"]`` lists what is known about the set (frame, duplicates,
        label issues), ``info["cortical"]``/``info["areas_mm2"]`` are included
        where tvb-data has them.

    Notes
    -----
    tvb-data is GPL-3; the data are read from the installed package. Cite
    Sanz Leon et al. (2013), Front Neuroinform 7:10 (see ``datasets/tvb_connectomes.md``).
    """
    validate_type(name, str, "name")
    check_option("name", name, list_connectomes())
    validate_type(zero_diagonal, bool, "zero_diagonal")
    check_option("frame", frame, ("tvb", "mni"))
    spec = _CONNECTOMES[name]
    if frame == "mni" and name != "tvb76":
        raise ValueError(f"frame='mni' is available for 'tvb76' only, got name={name!r}: "
                         + ("its centres are unusable for geometry (115 duplicates, l/r names swapped "
                            "relative to tvb76)." if name == "tvb192" else
                            "its centres are in an undocumented frame.") + " Use frame='tvb'.")
    con = read_tvb_connectivity(_tvb_path("connectivity", spec["file"]), name=name,
                                coordinate_frame=spec["frame"])
    info = dict(con.info)
    info["notes"] = list(info.get("notes", [])) + list(spec["notes"])
    info["dataset"] = f"tvb-data {_version('tvb-data')}: connectivity/{spec['file']}"
    info["license"] = "GPL-3.0 (tvb-data); read from the installed package, not redistributed"
    con = con._replace(info=info)
    if frame == "mni":
        con = con._changed("centres mapped from the TVB head frame to MNI with mne_nmm/data/tvb_to_mni.txt",
                           centres_mm=tvb_to_mni(con.centres_mm), coordinate_frame="mni")
    if zero_diagonal:
        con = con.without_self_connections()
    return con


@dataclass(frozen=True, eq=False)
class TVBCortex:
    """TVB's ``cortex_16384`` surface with its 76-region mapping.

    Attributes
    ----------
    vertices_mm : ndarray, shape (16384, 3)
        Vertex positions in mm, in ``coordinate_frame``.
    triangles : ndarray of int, shape (32760, 3)
        Vertex indices, counter-clockwise seen from outside (right-hand normals
        point outward, the MNE/FreeSurfer convention). Two closed surfaces, one
        per hemisphere.
    normals : ndarray, shape (16384, 3)
        Outward unit vertex normals (from tvb-data's ``vertex_normals.txt``,
        rotated with the vertices).
    region_mapping : ndarray of int, shape (16384,)
        Index into ``region_names`` of each vertex (tvb-data's
        ``regionMapping_16k_76.txt``), the order of ``load_connectome("tvb76")``.
    region_names : tuple of str, length 76
        Region names of tvb76.
    coordinate_frame : str
        ``"mni"`` or ``"tvb"``.
    info : dict
        Source files, changes (triangle winding reversed, frame), citation.
    """

    vertices_mm: np.ndarray
    triangles: np.ndarray
    normals: np.ndarray
    region_mapping: np.ndarray
    region_names: tuple
    coordinate_frame: str
    info: dict = field(default_factory=dict)

    @property
    def n_vertices(self):
        return self.vertices_mm.shape[0]

    @property
    def hemispheres(self):
        """``(n_vertices,)`` bool, True for right-hemisphere vertices (from the region names)."""
        right = np.array([nm.startswith("r") for nm in self.region_names])
        return right[self.region_mapping]

    def __repr__(self):
        return (f"<TVBCortex | {self.n_vertices} vertices, {len(self.triangles)} triangles, "
                f"{len(self.region_names)} regions, frame {self.coordinate_frame!r}>")


@verbose
def load_tvb_cortex(frame="mni", *, verbose=None):
    """Load TVB's ``cortex_16384`` surface, its normals and the 76-region mapping.

    Parameters
    ----------
    frame : ``"mni"`` | ``"tvb"``
        ``"mni"``: vertices mapped with :func:`tvb_to_mni` (normals rotated
        accordingly); ``"tvb"``: as stored (TVB head frame, x anterior, y LEFT,
        z up).
    verbose : bool | str | int | None
        Log level of the ``"mne_nmm"`` logger.

    Returns
    -------
    cortex : TVBCortex
        Frozen dataclass with ``vertices_mm`` (16384, 3), ``triangles``
        (32760, 3), ``normals`` (16384, 3) unit outward, ``region_mapping``
        (16384,) and ``region_names`` (76).

    Notes
    -----
    tvb-data stores the triangles clockwise seen from outside (their right-hand
    normals point inward, opposite to its own ``vertex_normals.txt``); they are
    returned reversed, which is recorded in ``info["changes"]``. Every region of
    tvb76 has vertices, and each tvb76 centre is the mean of its region's
    vertices, which fixes the mapping's order to the connectome's.
    """
    check_option("frame", frame, ("mni", "tvb"))
    surf_path = _tvb_path("surfaceData", "cortex_16384.zip")
    map_path = _tvb_path("regionMapping", "regionMapping_16k_76.txt")
    with zipfile.ZipFile(surf_path) as zf:
        vertices = np.loadtxt(io.BytesIO(zf.read("vertices.txt")))
        triangles = np.loadtxt(io.BytesIO(zf.read("triangles.txt")), dtype=np.int64)
        normals = np.loadtxt(io.BytesIO(zf.read("vertex_normals.txt")))
    mapping = np.loadtxt(map_path, dtype=np.int64)
    names = read_tvb_connectivity(_tvb_path("connectivity", "connectivity_76.zip")).region_names
    n = len(vertices)
    if mapping.shape != (n,) or mapping.min() < 0 or mapping.max() >= len(names):
        raise ValueError(f"{map_path} must hold one region index in [0, {len(names)}) per vertex ({n}), "
                         f"got {mapping.shape[0]} values in [{mapping.min()}, {mapping.max()}].")
    info = {"source": {"surface": surf_path, "region_mapping": map_path},
            "dataset": f"tvb-data {_version('tvb-data')}",
            "license": "GPL-3.0 (tvb-data); read from the installed package, not redistributed",
            "citation": ("Sanz Leon P et al. (2013) The Virtual Brain: a simulator of primate brain network "
                         "dynamics. Front Neuroinform 7:10"),
            "changes": []}
    triangles = triangles[:, ::-1].copy()
    record_change(info, "triangles reversed to counter-clockwise (tvb-data winds them clockwise: their "
                        "right-hand normals pointed inward)")
    if frame == "mni":
        affine = tvb_to_mni_affine()
        vertices = vertices @ affine[:3, :3].T + affine[:3, 3]
        normals = normals @ np.linalg.inv(affine[:3, :3])  # inverse-transpose for normals
        record_change(info, "vertices and normals mapped from the TVB head frame to MNI "
                            "(mne_nmm/data/tvb_to_mni.txt)")
    normals = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    arrays = {}
    for key, arr in dict(vertices_mm=vertices, triangles=triangles, normals=normals, region_mapping=mapping).items():
        arr = np.array(arr)
        arr.flags.writeable = False
        arrays[key] = arr
    logger.debug("loaded TVB cortex (%d vertices) in frame %s", n, frame)
    return TVBCortex(region_names=tuple(names), coordinate_frame=frame, info=info, **arrays)


def _version(dist):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown version"
