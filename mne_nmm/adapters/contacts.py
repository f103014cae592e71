"""Region-to-contact gains for intracranial electrodes (sEEG depth shafts, ECoG grids).

Contacts sit inside (sEEG) or on (ECoG) the brain, where the potential of a region
is dominated by the nearby tissue: each source point ``j`` of a region is a
current dipole of moment ``p n_j`` in an **infinite homogeneous conductor** of
conductivity ``sigma``, whose potential at contact ``x`` is (Nunez & Srinivasan
2006, eq. 1.7; Malmivuo & Plonsey 1995, sec. 8.3)::

    V(x) = p n_j . (x - r_j) / (4 pi sigma |x - r_j|^3)

The region gain is the mean (``mode="mean"``: the region moment is shared by its
points) or the sum of these over the region's points, so ``y = gain @ m`` with
``m`` in A·m and ``y`` in V, as for the scalp heads. Distances below
``min_distance_mm`` (the contact's radius, ~0.4-1 mm) are clamped to it, which
bounds the singularity at a source point under a contact. The infinite medium
ignores the skull and scalp (they matter little for contacts inside the brain;
von Ellenrieder et al. 2012 find the homogeneous model within ~10-20 % of a
realistic BEM for sEEG); for ECoG on the cortical surface it overestimates by up to
~2x (the half space above the cortex is not conductive), a known limitation.

:func:`make_contact_head` returns a :class:`~mne_nmm.adapters.forward.HeadModel`
whose Info has ``seeg`` / ``ecog`` channels and a montage, so
:class:`~mne_nmm.monitors.leadfield.LeadField` and
:func:`mne_nmm.convert.mne.to_raw` give an MNE Raw with those channel types.
"""

from __future__ import annotations

import mne
import numpy as np

from .._validate import check_array, check_option, check_positive, validate_type
from .forward import HeadModel
from .head import mni_to_head

__all__ = ["point_dipole_potential", "make_contact_head", "depth_electrode"]

#: Conductivity of brain tissue (S/m), the value of MNE's and most sphere models' brain compartment.
BRAIN_CONDUCTIVITY_S_PER_M = 0.33


def point_dipole_potential(contacts_m, positions_m, normals, *, conductivity_s_per_m=BRAIN_CONDUCTIVITY_S_PER_M,
                           min_distance_m=1e-3):
    """Potential (V) at each contact of a unit (1 A·m) dipole at each source point, infinite medium.

    Parameters
    ----------
    contacts_m : array, shape (n_contacts, 3)
        Contact positions (m).
    positions_m : array, shape (n_points, 3)
        Dipole positions (m), same frame.
    normals : array, shape (n_points, 3)
        Dipole orientations (normalised here).
    conductivity_s_per_m : float
        Conductivity of the medium (S/m).
    min_distance_m : float
        Distances below this are clamped to it (m).

    Returns
    -------
    gain : ndarray, shape (n_contacts, n_points)
        V/(A·m).
    """
    x = check_array(contacts_m, "contacts_m", ndim=2)
    r = check_array(positions_m, "positions_m", ndim=2)
    n = check_array(normals, "normals", shape=r.shape)
    if x.shape[1] != 3 or r.shape[1] != 3:
        raise ValueError(f"contacts_m and positions_m must have shape (n, 3), got {x.shape} and {r.shape}.")
    sigma = check_positive(conductivity_s_per_m, "conductivity_s_per_m")
    dmin = check_positive(min_distance_m, "min_distance_m")
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    if np.any(norm < 1e-12):
        raise ValueError("normals must be non-zero.")
    n = n / norm
    d = x[:, None, :] - r[None, :, :]
    dist = np.maximum(np.linalg.norm(d, axis=2), dmin)
    return np.einsum("cpk,pk->cp", d, n) / (4.0 * np.pi * sigma * dist**3)


def depth_electrode(entry_mm, target_mm, *, n_contacts=10, spacing_mm=3.5, name="A"):
    """Contact positions of a straight sEEG shaft, from its deepest contact outwards.

    Parameters
    ----------
    entry_mm, target_mm : array, shape (3,)
        A point on the trajectory outside (entry) and the deepest contact (target), mm.
    n_contacts : int
        Number of contacts (``name1`` at the target, ``name2`` ... towards the entry).
    spacing_mm : float
        Centre-to-centre spacing (3.5 mm: common clinical shafts).
    name : str
        Shaft name.

    Returns
    -------
    contacts : dict of str -> ndarray (3,)
        Ordered contact name -> position (mm, the frame of the inputs).
    """
    e = check_array(entry_mm, "entry_mm", shape=(3,))
    t = check_array(target_mm, "target_mm", shape=(3,))
    validate_type(n_contacts, "int", "n_contacts")
    if n_contacts < 1:
        raise ValueError(f"n_contacts must be >= 1, got {n_contacts}.")
    u = e - t
    if np.linalg.norm(u) == 0:
        raise ValueError("entry_mm and target_mm must differ.")
    u /= np.linalg.norm(u)
    step = check_positive(spacing_mm, "spacing_mm")
    return {f"{name}{k + 1}": t + k * step * u for k in range(n_contacts)}


def make_contact_head(contacts_mm, positions_mm, normals, *, region_mapping=None, region_names=None, ch_type="seeg",
                      frame="mni",
                      conductivity_s_per_m=BRAIN_CONDUCTIVITY_S_PER_M, min_distance_mm=1.0, mode="mean",
                      moment_am_per_unit=None, sfreq_hz=1000.0):
    """A region head for sEEG / ECoG contacts (infinite homogeneous medium; see the module docstring).

    Parameters
    ----------
    contacts_mm : dict of str -> array (3,)
        Contact name -> position in mm (e.g. :func:`depth_electrode`), in ``frame``.
    positions_mm, normals : array, shape (n_points, 3)
        Source points (mm, ``frame``) and their orientations (e.g. the cortex of
        :func:`mne_nmm.datasets.load_tvb_cortex`; :func:`mne_nmm.datasets.default_head`
        with ``kind="seeg"`` passes the default cortices).
    region_mapping : array of int, shape (n_points,) | None
        Region index of each point (default: one point per region).
    region_names : sequence of str | None
        Region names (default ``"r0", "r1", ...``).
    ch_type : "seeg" | "ecog"
        MNE channel type of the contacts.
    frame : "mni" | "head"
        Frame of the contacts and points: MNI / fsaverage surface RAS (mapped to
        fsaverage's head frame) or the head frame (mm).
    conductivity_s_per_m : float
        Tissue conductivity (default 0.33 S/m).
    min_distance_mm : float
        Contact radius: closer source points count at this distance.
    mode : "mean" | "sum"
        Region aggregation of the point gains.
    moment_am_per_unit : float | None
        Dipole moment per model unit stored on the head (default: the model's).
    sfreq_hz : float
        Sampling frequency written in the Info.

    Returns
    -------
    head : HeadModel
        ``gain`` (n_contacts, n_regions) in V/(A·m); ``info`` with ``ch_type``
        channels and a montage (head frame); ``fwd`` is ``None``.
    """
    check_option("ch_type", ch_type, ("seeg", "ecog"))
    check_option("frame", frame, ("mni", "head"))
    check_option("mode", mode, ("mean", "sum"))
    validate_type(contacts_mm, dict, "contacts_mm", "dict of name -> position (mm)")
    if not contacts_mm:
        raise ValueError("contacts_mm must hold at least one contact.")
    names = [str(k) for k in contacts_mm]
    xyz = np.array([np.asarray(v, dtype=float).reshape(3) for v in contacts_mm.values()])
    pos = check_array(positions_mm, "positions_mm", ndim=2)
    nn = check_array(normals, "normals", shape=pos.shape)
    rm = np.arange(len(pos)) if region_mapping is None else np.asarray(region_mapping)
    rnames = [f"r{i}" for i in range(int(rm.max()) + 1)] if region_names is None else [str(r) for r in region_names]
    if rm.shape != (len(pos),) or rm.dtype.kind not in "iu" or rm.min() < 0 or rm.max() >= len(rnames):
        raise ValueError(f"region_mapping must hold one region index in [0, {len(rnames)}) per source point.")
    if frame == "mni":
        x_m, r_m, n_h = mni_to_head(xyz), mni_to_head(pos), mni_to_head(nn, normals=True)
    else:
        x_m, r_m, n_h = xyz / 1000.0, pos / 1000.0, np.asarray(nn, dtype=float)
    g_pts = point_dipole_potential(x_m, r_m, n_h, conductivity_s_per_m=conductivity_s_per_m,
                                   min_distance_m=check_positive(min_distance_mm, "min_distance_mm") / 1000.0)
    n_reg = len(rnames)
    counts = np.bincount(rm, minlength=n_reg)
    if np.any(counts == 0):
        raise ValueError(f"regions without source points: {[rnames[i] for i in np.flatnonzero(counts == 0)][:10]}")
    gain = np.zeros((len(names), n_reg))
    np.add.at(gain.T, rm, g_pts.T)
    if mode == "mean":
        gain /= counts[None, :]
    centroids = np.zeros((n_reg, 3))
    np.add.at(centroids, rm, r_m)
    centroids /= counts[:, None]
    info = mne.create_info(names, float(sfreq_hz), ch_type)
    montage = mne.channels.make_dig_montage(ch_pos=dict(zip(names, x_m)), coord_frame="head")
    info.set_montage(montage, verbose=False)
    return HeadModel(gain=gain, info=info, region_names=tuple(rnames), mode=mode,
                     moment_am_per_unit=moment_am_per_unit, name=f"contacts-{ch_type}",
                     report={"model": "infinite homogeneous medium", "conductivity_s_per_m": conductivity_s_per_m,
                             "min_distance_mm": min_distance_mm, "n_points": int(len(pos)),
                             "region_positions_m": {n: c.tolist() for n, c in zip(rnames, centroids)}})
