"""Volumetric atlases (labels images + region names) and region signals from the user's own fMRI.

* :class:`Atlas`: a labels image and the name of each label (select, resample);
* :func:`atlas_from_labels_img`, :func:`atlas_from_nilearn`: the atlas a user brings;
* :func:`atlas_from_surface`: an MNI labels image from a cortical surface with a
  region mapping (how ``"tvb76"`` is built);
* :func:`extract_region_signals`: region time series of a 4D fMRI image.

The atlases that ship or come with installed packages (``"tvb76"``, ``"aal2"``,
``"desikan_killiany"``) are data sets: :func:`mne_nmm.datasets.load_atlas`.
Region-name matching lives in :mod:`mne_nmm.adapters.regions`.

nibabel/nilearn are imported only inside the functions of this module.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_array, check_option, check_positive, logger, soft_import, verbose
from .regions import match_regions, suggest_names

__all__ = ["Atlas", "as_atlas", "atlas_from_labels_img", "atlas_from_nilearn", "atlas_from_surface", "mni_grid",
           "extract_region_signals"]

# Backward-compatible names: the atlas loaders are data sets and moved to mne_nmm.datasets (datasets build on
# adapters, never the reverse). Resolved on first access only; tests/test_import_nesting.py lists this exception.
_MOVED_TO_DATASETS = ("load_atlas", "list_atlases", "tvb76_atlas")


def __getattr__(name):
    if name in _MOVED_TO_DATASETS:
        import importlib

        return getattr(importlib.import_module("mne_nmm.datasets"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

def _nib():
    return soft_import("nibabel", "NIfTI images")


# ------------------------------------------------------------------------------------------
# Atlas container
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Atlas:
    """A labels image and the name of each label.

    Parameters
    ----------
    labels_img : nibabel.Nifti1Image
        3D image of integer labels (``background_label`` outside regions).
    region_names : tuple of str
        One unique name per region.
    label_values : tuple of int
        The image value of each region (same order as ``region_names``).
    name : str
        Short description (e.g. ``"aal2"``).
    background_label : int
        Value of voxels outside every region (default 0).
    info : dict
        Provenance (source files, citation, licence, construction rule, changes).
    """

    labels_img: object
    region_names: tuple
    label_values: tuple
    name: str = "atlas"
    background_label: int = 0
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        nib = _nib()
        if not isinstance(self.labels_img, nib.spatialimages.SpatialImage):
            raise TypeError(f"labels_img must be a nibabel image, got {type(self.labels_img).__name__}.")
        if len(self.labels_img.shape) != 3:
            raise ValueError(f"labels_img must be 3D, got shape {self.labels_img.shape}.")
        names = tuple(str(n) for n in self.region_names)
        values = tuple(int(v) for v in self.label_values)
        if len(names) != len(values):
            raise ValueError(f"region_names ({len(names)}) and label_values ({len(values)}) must have the same length.")
        _check_unique(names, "region_names")
        _check_unique(values, "label_values")
        if self.background_label in values:
            raise ValueError(f"label_values must not contain the background label {self.background_label}.")
        object.__setattr__(self, "region_names", names)
        object.__setattr__(self, "label_values", values)

    @property
    def n_regions(self):
        return len(self.region_names)

    @property
    def resolution_mm(self):
        """Voxel sizes in mm, ``(3,)``."""
        return tuple(float(z) for z in self.labels_img.header.get_zooms()[:3])

    def get_data(self):
        """The labels as an int array ``(nx, ny, nz)``."""
        return np.asarray(self.labels_img.dataobj).astype(np.int64)

    def voxel_counts(self):
        """Dict region name -> number of voxels."""
        data = self.get_data()
        vals, counts = np.unique(data, return_counts=True)
        lookup = dict(zip(vals.tolist(), counts.tolist()))
        return {n: int(lookup.get(v, 0)) for n, v in zip(self.region_names, self.label_values)}

    def select(self, region_names):
        """Atlas restricted to ``region_names`` (in that order); voxels of dropped regions become background.

        Parameters
        ----------
        region_names : sequence of str
            Names among :attr:`region_names`.
        """
        nib = _nib()
        idx = []
        for n in region_names:
            if n not in self.region_names:
                raise ValueError(f"region_names contains {n!r}, which is not a region of atlas {self.name!r}"
                                 f"{suggest_names(n, self.region_names)}.")
            idx.append(self.region_names.index(n))
        keep_vals = [self.label_values[i] for i in idx]
        data = self.get_data()
        mask = np.isin(data, keep_vals)
        new = np.where(mask, data, self.background_label).astype(np.int32)
        img = nib.Nifti1Image(new, self.labels_img.affine)
        img.header.set_xyzt_units("mm")
        info = dict(self.info)
        dropped = [n for n in self.region_names if n not in set(region_names)]
        if dropped:
            info["changes"] = list(info.get("changes", [])) + [f"dropped {len(dropped)} regions: {dropped[:10]}"
                                                               + (" ..." if len(dropped) > 10 else "")]
        return Atlas(img, tuple(self.region_names[i] for i in idx), tuple(keep_vals), name=self.name,
                     background_label=self.background_label, info=info)

    def resample(self, resolution_mm=3, *, on_lost="raise"):
        """Atlas on nilearn's MNI152 (2009) grid at ``resolution_mm`` (nearest-neighbour).

        Parameters
        ----------
        resolution_mm : float
            Isotropic voxel size in mm.
        on_lost : {"raise", "drop"}
            What to do with regions that have no voxel left at this resolution:
            raise (default) or drop them (recorded in ``info["changes"]``).

        Returns
        -------
        atlas : Atlas
        """
        check_option("on_lost", on_lost, ("raise", "drop"))
        res = check_positive(resolution_mm, "resolution_mm")
        affine, shape = mni_grid(res)
        if np.allclose(self.labels_img.affine, affine) and tuple(self.labels_img.shape) == tuple(shape):
            return self
        from nilearn.image import resample_img

        img = resample_img(self.labels_img, target_affine=affine, target_shape=shape, interpolation="nearest",
                           force_resample=True, copy_header=True)
        nib = _nib()
        img = nib.Nifti1Image(np.asarray(img.dataobj).astype(np.int32), affine)
        img.header.set_xyzt_units("mm")
        info = dict(self.info)
        info["changes"] = list(info.get("changes", [])) + [f"resampled (nearest) to the MNI152 grid at {res:g} mm"]
        out = Atlas(img, self.region_names, self.label_values, name=self.name,
                    background_label=self.background_label, info=info)
        lost = [n for n, c in out.voxel_counts().items() if c == 0]
        if lost:
            if on_lost == "raise":
                raise ValueError(f"{len(lost)} region(s) of atlas {self.name!r} have no voxel at {res:g} mm: {lost}. "
                                 f"Use a finer resolution_mm or on_lost='drop'.")
            out = out.select([n for n in out.region_names if n not in lost])
            logger.warning("Atlas %s: dropped %d region(s) without voxels at %g mm: %s", self.name, len(lost), res, lost)
        return out

    def __repr__(self):
        res = "x".join(f"{z:g}" for z in self.resolution_mm)
        return f"<Atlas '{self.name}' | {self.n_regions} regions, {res} mm, shape {tuple(self.labels_img.shape)}>"


def _check_unique(items, name):
    seen, dup = set(), []
    for x in items:
        if x in seen:
            dup.append(x)
        seen.add(x)
    if dup:
        raise ValueError(f"{name} must be unique, got duplicates {sorted(set(dup), key=str)[:10]}.")


# ------------------------------------------------------------------------------------------
# MNI grid
# ------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _mni_mask_cached(res):
    from nilearn.datasets import load_mni152_brain_mask

    if float(res).is_integer():
        return load_mni152_brain_mask(resolution=int(res))
    from nilearn.image import resample_img

    m1 = load_mni152_brain_mask(resolution=1)
    ext = np.array(m1.shape) * np.abs(np.diag(m1.affine)[:3])
    shape = tuple(int(np.ceil(e / res)) for e in ext)
    affine = np.diag([res, res, res, 1.0])
    affine[:3, 3] = m1.affine[:3, 3]
    return resample_img(m1, target_affine=affine, target_shape=shape, interpolation="nearest", force_resample=True,
                        copy_header=True)


def mni_grid(resolution_mm=3):
    """Affine and shape of nilearn's MNI152 (2009) grid at ``resolution_mm``.

    Parameters
    ----------
    resolution_mm : float
        Isotropic voxel size in mm (3 mm: shape (67, 79, 64); 2 mm: (99, 117, 95)).

    Returns
    -------
    affine : ndarray, shape (4, 4)
    shape : tuple of int, length 3
    """
    res = check_positive(resolution_mm, "resolution_mm")
    m = _mni_mask_cached(res)
    return np.array(m.affine), tuple(int(s) for s in m.shape)


def _mni_brain_mask(resolution_mm):
    m = _mni_mask_cached(float(resolution_mm))
    return np.asarray(m.dataobj) > 0, np.array(m.affine)


# ------------------------------------------------------------------------------------------
# Atlas from a labelled surface
# ------------------------------------------------------------------------------------------
def atlas_from_surface(vertices_mm, region_mapping, region_names, *, resolution_mm=3.0, max_distance_mm=4.0,
                       name="surface", info=None):
    """Volumetric MNI atlas from a cortical surface whose vertices carry region labels.

    Each voxel of nilearn's MNI152 brain mask at ``resolution_mm`` takes the region
    of its nearest vertex when that vertex is at most ``max_distance_mm`` away;
    the label of region ``r`` is ``r + 1``. (Nearest *region centre* would be a
    poor rule: it assigns cerebellum and white matter to cortical regions.)

    Parameters
    ----------
    vertices_mm : array, shape (n_vertices, 3)
        Vertex positions in MNI space, mm.
    region_mapping : array of int, shape (n_vertices,)
        Index into ``region_names`` of each vertex.
    region_names : sequence of str
        One name per region.
    resolution_mm : float
        Voxel size of the MNI152 grid (default 3 mm).
    max_distance_mm : float
        Largest voxel-to-vertex distance that still labels a voxel (default 4 mm).
    name : str
        Atlas name.
    info : dict | None
        Provenance to store (the construction rule is added).

    Returns
    -------
    atlas : Atlas
        ``len(region_names)`` regions, in the order of ``region_names``. A region
        left without voxels is an error (use a finer ``resolution_mm`` or a larger
        ``max_distance_mm``).
    """
    from scipy.spatial import cKDTree

    res = check_positive(resolution_mm, "resolution_mm")
    dmax = check_positive(max_distance_mm, "max_distance_mm")
    names = tuple(str(n) for n in region_names)
    verts = check_array(vertices_mm, "vertices_mm", shape=(None, 3))
    rm = check_array(region_mapping, "region_mapping", shape=(len(verts),), dtype=None)
    if rm.dtype.kind not in "iu" or (rm.size and (rm.min() < 0 or rm.max() >= len(names))):
        raise ValueError(f"region_mapping must hold integer region indices in [0, {len(names)}) (one per vertex), "
                         f"got dtype {rm.dtype} with values in [{rm.min() if rm.size else '-'}, "
                         f"{rm.max() if rm.size else '-'}].")
    nib = _nib()
    mask, affine = _mni_brain_mask(res)
    ijk = np.argwhere(mask)
    xyz = ijk @ affine[:3, :3].T + affine[:3, 3]
    dist, nearest = cKDTree(verts).query(xyz, distance_upper_bound=dmax)
    ok = np.isfinite(dist)
    data = np.zeros(mask.shape, dtype=np.int32)
    data[tuple(ijk[ok].T)] = rm[nearest[ok]] + 1
    img = nib.Nifti1Image(data, affine)
    img.header.set_xyzt_units("mm")
    info = dict(info or {})
    info.update(rule=f"MNI152 brain-mask voxel -> region of the nearest surface vertex (MNI) within {dmax:g} mm; "
                     f"label = region index + 1", resolution_mm=res, max_distance_mm=dmax)
    atlas = Atlas(img, names, tuple(range(1, len(names) + 1)), name=name, info=info)
    lost = [n for n, c in atlas.voxel_counts().items() if c == 0]
    if lost:
        raise ValueError(f"{name} atlas at {res:g} mm / {dmax:g} mm leaves {len(lost)} region(s) without voxels: "
                         f"{lost}; use a finer resolution_mm or a larger max_distance_mm.")
    return atlas


# ------------------------------------------------------------------------------------------
# User atlases
# ------------------------------------------------------------------------------------------
def _load_img(img, name):
    nib = _nib()
    if isinstance(img, (str, os.PathLike)):
        if not os.path.exists(img):
            raise FileNotFoundError(f"{name} file {os.fspath(img)!r} does not exist.")
        return nib.load(img)
    if not isinstance(img, nib.spatialimages.SpatialImage):
        raise TypeError(f"{name} must be a nibabel image or a path to one, got {type(img).__name__}.")
    return img


def atlas_from_labels_img(labels_img, region_names, *, label_values=None, background_label=0, name="atlas"):
    """Atlas from a labels image and region names.

    Parameters
    ----------
    labels_img : nibabel image | path-like
        3D integer labels image.
    region_names : sequence of str | dict of int -> str
        One name per label; a dict maps label values to names.
    label_values : sequence of int | None
        The label value of each name; default the sorted non-background values of
        the image (their number must equal the number of names).
    background_label : int
        Value of unlabelled voxels.
    name : str
        Atlas name.

    Returns
    -------
    atlas : Atlas
    """
    img = _load_img(labels_img, "labels_img")
    data = np.asarray(img.dataobj)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(f"labels_img must be 3D (a labels image), got shape {data.shape}; probabilistic (4D) atlases "
                         f"are not supported.")
    if not np.all(np.equal(np.mod(data, 1), 0)):
        raise ValueError("labels_img must contain integer labels, found non-integer values.")
    nib = _nib()
    img = nib.Nifti1Image(data.astype(np.int32), img.affine)
    img.header.set_xyzt_units("mm")
    present = sorted(set(np.unique(data).astype(int).tolist()) - {int(background_label)})
    if isinstance(region_names, dict):
        if label_values is not None:
            raise ValueError("label_values must be None when region_names is a dict of label -> name.")
        label_values = [int(k) for k in region_names]
        region_names = [str(v) for v in region_names.values()]
    region_names = [str(n) for n in region_names]
    if label_values is None:
        if len(present) != len(region_names):
            raise ValueError(f"labels_img has {len(present)} non-background labels but {len(region_names)} region "
                             f"names were given; pass label_values to say which label each name has.")
        label_values = present
    label_values = [int(v) for v in label_values]
    missing = [v for v in label_values if v not in present]
    if missing:
        raise ValueError(f"label_values {missing[:10]} do not occur in labels_img (its labels: {present[:20]}"
                         f"{' ...' if len(present) > 20 else ''}).")
    extra = [v for v in present if v not in label_values]
    if extra:
        logger.info("atlas %s: %d label(s) of the image have no name and are ignored: %s", name, len(extra), extra[:10])
        data = np.where(np.isin(data, label_values), data, background_label)
        img = nib.Nifti1Image(data.astype(np.int32), img.affine)
        img.header.set_xyzt_units("mm")
    return Atlas(img, tuple(region_names), tuple(label_values), name=name, background_label=int(background_label),
                 info={"changes": [f"ignored unnamed labels {extra[:10]}"] if extra else []})


def atlas_from_nilearn(bunch, *, name=None):
    """Atlas from a nilearn atlas bundle (``nilearn.datasets.fetch_atlas_*``).

    Parameters
    ----------
    bunch : sklearn.utils.Bunch | dict
        With ``maps`` (labels image or path) and either ``lut`` (a table with
        ``index`` and ``name`` columns, nilearn >= 0.11) or ``labels`` (names; when
        it has one more entry than the image has labels, the first is the
        background) and optionally ``indices``.
    name : str | None
        Atlas name (default ``bunch.get("atlas_type")`` or ``"nilearn"``).

    Returns
    -------
    atlas : Atlas
    """
    if not hasattr(bunch, "get") or "maps" not in bunch:
        raise TypeError(f"bunch must be a nilearn atlas Bunch with 'maps' and 'labels' or 'lut', got "
                        f"{type(bunch).__name__}.")
    name = name or bunch.get("atlas_type") or "nilearn"
    img = _load_img(bunch["maps"], "bunch['maps']")
    lut = bunch.get("lut")
    background = 0
    if lut is not None:
        idx = [int(v) for v in np.asarray(lut["index"])]
        names = [str(v) for v in np.asarray(lut["name"])]
        pairs = [(i, n) for i, n in zip(idx, names) if not (i == background or n.lower() == "background")]
        return atlas_from_labels_img(img, {i: n for i, n in pairs}, name=name)
    labels = [x.decode() if isinstance(x, bytes) else str(x) for x in bunch.get("labels", [])]
    if not labels:
        raise ValueError("bunch must have 'labels' or 'lut' naming the regions.")
    if bunch.get("indices") is not None:
        idx = [int(v) for v in bunch["indices"]]
        if len(idx) != len(labels):
            raise ValueError(f"bunch['indices'] ({len(idx)}) and bunch['labels'] ({len(labels)}) differ in length.")
        pairs = [(i, n) for i, n in zip(idx, labels) if i != background and n.lower() != "background"]
        return atlas_from_labels_img(img, {i: n for i, n in pairs}, name=name)
    data = np.asarray(img.dataobj)
    present = sorted(set(np.unique(data).astype(int).tolist()) - {background})
    if labels[0].lower() in ("background", "unknown") and len(labels) == len(present) + 1:
        labels = labels[1:]
    return atlas_from_labels_img(img, labels, label_values=present if len(labels) == len(present) else None,
                                 name=name)


def as_atlas(atlas, what="atlas"):
    """An :class:`Atlas` from an Atlas, a ``(labels_img, region_names)`` tuple or a nilearn atlas Bunch.

    Named atlases (``"aal2"``, ``"tvb76"``...) are data sets: load them with
    :func:`mne_nmm.datasets.load_atlas` (or :func:`mne_nmm.datasets.resolve_atlas`,
    which also accepts names).

    Parameters
    ----------
    atlas : Atlas | tuple | sklearn.utils.Bunch
        The atlas.
    what : str
        Name of the argument in the error message.

    Returns
    -------
    atlas : Atlas
    """
    if isinstance(atlas, Atlas):
        return atlas
    if isinstance(atlas, tuple) and len(atlas) == 2:
        return atlas_from_labels_img(atlas[0], atlas[1])
    if hasattr(atlas, "get") and "maps" in atlas:
        return atlas_from_nilearn(atlas)
    if isinstance(atlas, str):
        raise TypeError(f"{what} must be an Atlas, a (labels_img, region_names) tuple or a nilearn atlas Bunch, got "
                        f"the name {atlas!r}: load named atlases with mne_nmm.datasets.load_atlas({atlas!r}).")
    raise TypeError(f"{what} must be an Atlas, a (labels_img, region_names) tuple or a nilearn atlas Bunch, got "
                    f"{type(atlas).__name__}.")


# ------------------------------------------------------------------------------------------
# The user's own fMRI -> region signals
# ------------------------------------------------------------------------------------------
@verbose
def extract_region_signals(img, atlas, *, t_r=None, confounds=None, standardize=None, standardize_confounds=True,
                           detrend=False, low_pass=None, high_pass=None, strategy="mean", resampling_target="data",
                           region_names=None, on_mismatch="raise", name="bold", verbose=None):
    """Region time series of a 4D fMRI image through nilearn's ``NiftiLabelsMasker``.

    Parameters
    ----------
    img : nibabel image | path-like
        4D fMRI image ``(x, y, z, n_times)`` in the atlas's space (MNI).
    atlas : Atlas | tuple | sklearn.utils.Bunch
        Atlas (e.g. from :func:`mne_nmm.datasets.load_atlas`), ``(labels_img,
        region_names)`` or a nilearn atlas Bunch (see :func:`as_atlas`).
    t_r : float | None
        Repetition time in s; default the 4th zoom of the header when its time unit
        is seconds (else an error: TR is never guessed).
    confounds : array (n_times, n_confounds) | DataFrame | path | None
        Confounds regressed out (nilearn ``signal.clean``).
    standardize : {None, "zscore_sample", "psc"} | bool
        Standardisation of the region signals; default ``None`` (keep units, like
        simulated BOLD).
    standardize_confounds : bool
        Standardise the confounds before regression (nilearn's default ``True``).
    detrend : bool
        Remove linear trends (default ``False``: say it explicitly).
    low_pass, high_pass : float | None
        Band-pass in Hz (needs ``t_r``).
    strategy : str
        Region summary (nilearn's ``strategy``), default ``"mean"``.
    resampling_target : {"data", "labels", None}
        nilearn's resampling target (default ``"data"``: the atlas is resampled to
        the image).
    region_names : sequence of str | None
        Regions to return, in this order (e.g. a connectome's names), matched by name;
        default all atlas regions found in the data.
    on_mismatch : {"raise", "subset"}
        Requested ``region_names`` that are not extracted (not in the atlas, or
        without voxels in ``img``): an error listing them (default) or skip them.
    name : str
        Name of the returned output.
    verbose : bool | str | int | None
        Log level.

    Returns
    -------
    out : MonitorOutput
        ``data (n_times, 1, n_regions)`` (like a simulated BOLD monitor), ``times_s =
        (k + 1) * t_r`` (end of each volume), ``channel_names`` the regions, and the
        cleaning options in ``info``. Regions without voxels in the image are
        dropped and listed in ``info["regions_without_data"]``.
    """
    from nilearn.maskers import NiftiLabelsMasker

    from ..result import MonitorOutput

    atlas = as_atlas(atlas)
    img = _load_img(img, "img")
    if len(img.shape) != 4:
        raise ValueError(f"img must be a 4D fMRI image (x, y, z, n_times), got shape {img.shape}.")
    if t_r is None:
        zooms = img.header.get_zooms()
        t_unit = img.header.get_xyzt_units()[1] if hasattr(img.header, "get_xyzt_units") else "unknown"
        tr = float(zooms[3]) if len(zooms) > 3 else 0.0
        if t_unit == "msec":
            tr = tr / 1000.0
        elif t_unit != "sec" or tr <= 0:
            raise ValueError(f"t_r must be given: the header of img does not state the TR in seconds (time unit "
                             f"{t_unit!r}, 4th zoom {tr:g}).")
        t_r = tr
    t_r = check_positive(t_r, "t_r")
    masker = NiftiLabelsMasker(labels_img=atlas.labels_img, background_label=atlas.background_label,
                               standardize=standardize, standardize_confounds=standardize_confounds, detrend=detrend,
                               low_pass=low_pass, high_pass=high_pass, t_r=t_r, strategy=strategy,
                               resampling_target=resampling_target)
    signals = masker.fit_transform(img, confounds=confounds)
    ids = masker.region_ids_
    col_values = [int(ids[k]) for k in sorted(k for k in ids if k != "background")]
    by_value = dict(zip(atlas.label_values, atlas.region_names))
    col_names = [by_value[v] for v in col_values]
    missing = [n for n in atlas.region_names if n not in set(col_names)]
    if region_names is not None:
        check_option("on_mismatch", on_mismatch, ("raise", "subset"))
        m = match_regions(region_names, col_names, rule="exact", on_mismatch="ignore", what=("requested", "extracted"))
        if m.unmatched_regions and on_mismatch == "raise":
            raise ValueError(f"Some requested regions are not in the extracted signals (atlas {atlas.name!r}; "
                             f"regions without voxels in img: {missing}):\n{m.report}\n"
                             f"Pass on_mismatch='subset' to keep the {len(m.matched_names)} available ones.")
        signals = signals[:, m.target_index]
        col_names = list(m.matched_names)
    signals = np.asarray(signals)
    n_t = signals.shape[0]
    if confounds is None or isinstance(confounds, (str, os.PathLike)):
        conf_info = None if confounds is None else os.fspath(confounds)
    else:
        conf_info = f"array of shape {np.shape(confounds)}"
    info = dict(atlas=atlas.name, t_r=t_r, standardize=standardize, standardize_confounds=standardize_confounds,
                detrend=detrend, low_pass=low_pass, high_pass=high_pass, strategy=strategy, confounds=conf_info,
                regions_without_data=missing)
    return MonitorOutput(name=name, times_s=t_r * np.arange(1, n_t + 1), data=signals[:, None, :],
                         sfreq_hz=1.0 / t_r, variable_names=("bold",), channel_names=tuple(col_names),
                         time_stamp="end", window_s=t_r, units=("a.u.",), info=info)
