"""The offline default head of the shipped ``tvb76`` connectome (EEG or MEG).

Built with :func:`mne_nmm.adapters.head.make_sphere_head` from TVB's cortex
(:func:`load_tvb_cortex`) or the tvb76 region centres (:func:`load_connectome`).
mne is imported only inside the functions.
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
def default_head(kind="eeg", *, sources="cortex", mode="mean", montage="fsaverage_1010", meg_system="neuromag",
                 dev_head_t=None, moment_am_per_unit=None, cache=True, cache_dir=None, verbose=None):
    """Offline head for the shipped ``tvb76`` connectome.

    Parameters
    ----------
    kind : "eeg" | "meg"
        70 EEG electrodes (``montage``) or 306 Neuromag MEG sensors (``meg_system``).
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
        Region names and order of ``mne_nmm.datasets.load_connectome("tvb76")``.
    """
    import mne

    from ..adapters.forward import HeadModel
    from ..adapters.head import make_sphere_head

    check_option("kind", kind, ("eeg", "meg"))
    check_option("sources", sources, ("cortex", "centres"))
    dht = dev_head_t["trans"] if isinstance(dev_head_t, mne.transforms.Transform) else dev_head_t
    key = (kind, sources, mode, montage if isinstance(montage, str) else id(montage), meg_system,
           None if dht is None else np.asarray(dht, dtype=float).tobytes(), moment_am_per_unit)
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
    cortex = load_tvb_cortex(frame="mni")
    if sources == "cortex":
        pos, nn, rm = cortex.vertices_mm, cortex.normals, cortex.region_mapping
    else:
        conn = load_connectome("tvb76", frame="mni")
        if tuple(conn.region_names) != tuple(cortex.region_names):
            raise RuntimeError("tvb76 connectome and cortex region names differ; cannot build the centres head.")
        pos = conn.centres_mm
        nn = np.zeros((conn.n_regions, 3))
        np.add.at(nn, cortex.region_mapping, cortex.normals)
        rm = None
    head = make_sphere_head(pos, normals=nn, region_mapping=rm, region_names=cortex.region_names, kind=kind,
                            frame="mni", montage=montage, meg_system=meg_system, dev_head_t=dev_head_t, mode=mode,
                            moment_am_per_unit=moment_am_per_unit, name=f"tvb76-{sources}-{kind}", verbose=verbose)
    head.report["build_time_s"] = time.perf_counter() - t0
    logger.info("default_head: %r built in %.2f s", head, head.report["build_time_s"])
    if disk is not None:
        import pickle

        os.makedirs(os.path.dirname(disk), exist_ok=True)
        tmp = f"{disk}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(head, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, disk)  # atomic: concurrent processes never read a partial file
    if cache:
        _CACHE[key] = head
        return head.copy()
    return head


def _disk_cache_path(cache_dir, key):
    import hashlib

    import mne

    validate_type(cache_dir, "path-like", "cache_dir")
    tag = repr((key, mne.__version__, _package_version(), np.__version__)).encode()
    return os.path.join(os.fspath(cache_dir), f"head-{key[0]}-{key[1]}-{hashlib.sha1(tag).hexdigest()[:16]}.pkl")


