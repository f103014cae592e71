"""Region lead fields from an MNE forward solution.

A :class:`HeadModel` holds everything needed to turn region activity into
sensor data (and back into source estimates):

* ``gain`` — the region lead field, shape ``(n_channels, n_regions)``, in SI
  units per A·m of region dipole moment (V/(A·m) for EEG/sEEG, T/(A·m) for
  magnetometers, T/m/(A·m) for gradiometers); sensors are ``y = gain @ m``;
* ``info`` — an :class:`mne.Info` with the channels of ``gain``, in order;
* ``fwd`` and ``source_weights`` ``W`` (sparse, ``(n_fwd_columns, n_regions)``)
  such that **``gain == fwd["sol"]["data"] @ W`` exactly**. ``W[:, r]`` says how
  a unit moment of region ``r`` is spread over the forward's sources; it is what
  :func:`mne_nmm.convert.mne.to_source_estimate` uses, so that
  ``mne.apply_forward(fwd, stc, info)`` reproduces ``gain @ m``.

Aggregation (``mode``) — how a region's moment ``m_r`` (A·m) is distributed over
its ``n_r`` source points, each oriented along the cortical normal:

``"mean"`` (default)
    each point carries ``m_r / n_r``: the region is one extended source of total
    moment ``m_r``, with the cancellation between opposite sulcal walls that the
    normals imply; amplitudes do not depend on the source-space resolution.
``"sum"``
    each point carries ``m_r`` (TVB's region-mapping projection): amplitudes grow
    with the number of source points, so ``m_r`` is a moment *per source point*.
``"mean_flip"``, ``"sum_flip"``
    as above with the sign of each point flipped by :func:`mne.label_sign_flip`
    (the same rule for region mappings), so that all points push along the
    region's dominant orientation without cancellation (the forward counterpart of
    ``mne.extract_label_time_course(..., mode="mean_flip")``).

Surface and discrete source spaces use MNE's fixed-normal forward
(``mne.convert_forward_solution(fwd, surf_ori=True, force_fixed=True)``).
Volume grids have no normal (MNE stores ``(0, 0, 1)`` placeholders, and makes
grids built without an MRI "discrete"): every point of a region then gets the
region's orientation of maximal sensor power (the first right singular vector of
the region's ``(n_channels, 3)`` summed free-orientation gain, sign chosen to point
away from the origin of the head frame); see ``orientation`` in
:func:`make_head_model`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import mne
import numpy as np
import scipy.sparse as sp

from .._validate import check_option, logger, validate_type
from .regions import match_regions

_MODES = ("mean", "sum", "mean_flip", "sum_flip")
_DATA_TYPES = dict(meg=True, eeg=True, seeg=True, ecog=True, dbs=True, ref_meg=False, exclude=())
_LH, _RH = 101, 102  # FIFFV_MNE_SURF_LEFT_HEMI / RIGHT_HEMI


def _mne_verbose(verbose):
    return False if verbose is None else verbose


# ----------------------------------------------------------------------------------
# HeadModel
# ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HeadModel:
    """Region lead field with its sensors and source space.

    Build one with :func:`make_head_model` (your own forward and labels) or
    :func:`mne_nmm.adapters.head.default_head` (offline template).

    Attributes
    ----------
    gain : ndarray, shape (n_channels, n_regions)
        Region lead field in SI units per A·m (V/(A·m) EEG, T/(A·m) magnetometers,
        T/m/(A·m) gradiometers): sensor data ``y = gain @ m`` for region dipole
        moments ``m`` in A·m.
    info : mne.Info
        Measurement info of the ``n_channels`` channels, in the order of ``gain``.
    region_names : tuple of str
        Names of the ``n_regions`` regions (columns of ``gain``).
    fwd : mne.Forward | None
        Forward solution the gain was computed from (fixed orientation where the
        source space allows it), restricted to the channels of ``info``.
    source_weights : scipy.sparse.csr_matrix, shape (n_fwd_columns, n_regions) | None
        ``gain == fwd["sol"]["data"] @ source_weights``.
    mode : str
        Aggregation mode (see the module docstring).
    moment_am_per_unit : float | None
        Dipole moment (A·m) per unit of the model's EEG/MEG source variable
        (e.g. per mV of Jansen-Rit ``y1 - y2``); ``None`` uses the model's default
        (:func:`mne_nmm.monitors.leadfield.default_moment_am_per_unit`).
    name : str
        Short description.
    report : dict
        Provenance: sources per region, dropped sources, unmatched names...
    """

    gain: np.ndarray
    info: object
    region_names: tuple
    fwd: object = None
    source_weights: object = None
    mode: str = "mean"
    moment_am_per_unit: float | None = None
    name: str = "head"
    report: dict = field(default_factory=dict)

    def __post_init__(self):
        validate_type(self.info, mne.Info, "info")
        gain = np.asarray(self.gain, dtype=np.float64)
        if gain.ndim != 2:
            raise ValueError(f"gain must be a 2D array (n_channels, n_regions), got shape {gain.shape}.")
        if gain.shape[0] != len(self.info["ch_names"]):
            raise ValueError(f"gain has {gain.shape[0]} rows but info has {len(self.info['ch_names'])} channels; "
                             "they must match (one row per channel, in the order of info).")
        names = tuple(str(n) for n in self.region_names)
        if len(names) != gain.shape[1]:
            raise ValueError(f"region_names must have one name per gain column ({gain.shape[1]}), got {len(names)}.")
        if len(set(names)) != len(names):
            raise ValueError("region_names must be unique.")
        if not np.all(np.isfinite(gain)):
            raise ValueError("gain must contain only finite values.")
        if self.moment_am_per_unit is not None:
            m = float(self.moment_am_per_unit)
            if not np.isfinite(m) or m <= 0:
                raise ValueError(f"moment_am_per_unit must be a finite number > 0 (A·m per model unit), got {self.moment_am_per_unit!r}.")
            object.__setattr__(self, "moment_am_per_unit", m)
        check_option("mode", self.mode, _MODES)
        gain = gain.copy()
        gain.flags.writeable = False
        object.__setattr__(self, "gain", gain)
        object.__setattr__(self, "region_names", names)

    # -- properties --------------------------------------------------------------
    @property
    def ch_names(self):
        """Channel names (rows of ``gain``)."""
        return list(self.info["ch_names"])

    @property
    def n_channels(self):
        return self.gain.shape[0]

    @property
    def n_regions(self):
        return self.gain.shape[1]

    @property
    def ch_types(self):
        """Channel type of each row (``"eeg"``, ``"mag"``, ``"grad"``, ``"seeg"``...)."""
        return self.info.get_channel_types()

    @property
    def src(self):
        """The forward's source space (``None`` without a forward)."""
        return None if self.fwd is None else self.fwd["src"]

    # -- operations --------------------------------------------------------------
    def project(self, region_moments_am):
        """Sensor data from region dipole moments.

        Parameters
        ----------
        region_moments_am : array, shape (n_times, n_regions)
            Region dipole moments in A·m (time-major).

        Returns
        -------
        data : ndarray, shape (n_times, n_channels)
            Sensor data in SI units (V, T, T/m).
        """
        x = np.asarray(region_moments_am, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_regions:
            raise ValueError(f"region_moments_am must have shape (n_times, {self.n_regions}), got {x.shape}.")
        return x @ self.gain.T

    def pick(self, ch_type):
        """Copy restricted to one or several channel types.

        Parameters
        ----------
        ch_type : str | list of str
            E.g. ``"eeg"``, ``"meg"`` (magnetometers and gradiometers), ``"mag"``, ``"grad"``.
        """
        types = [ch_type] if isinstance(ch_type, str) else list(ch_type)
        have = self.ch_types
        keep = [i for i, t in enumerate(have) if t in types or ("meg" in types and t in ("mag", "grad"))]
        if not keep:
            raise ValueError(f"ch_type {ch_type!r} selects no channel; this head has types {sorted(set(have))}.")
        return self._select_channels(keep)

    def _select_channels(self, keep):
        keep = list(keep)
        names = [self.info["ch_names"][i] for i in keep]
        info = mne.pick_info(self.info, keep, verbose=False)
        fwd = None
        if self.fwd is not None:
            fwd = mne.pick_channels_forward(self.fwd, names, ordered=True, verbose=False)
        return self._replace(gain=self.gain[keep], info=info, fwd=fwd)

    def reorder(self, region_names):
        """Copy whose columns follow ``region_names`` (a permutation of :attr:`region_names`)."""
        region_names = tuple(str(n) for n in region_names)
        missing = [n for n in region_names if n not in self.region_names]
        extra = [n for n in self.region_names if n not in region_names]
        if missing or extra or len(region_names) != self.n_regions:
            raise ValueError(_name_mismatch_message("region_names", region_names, self.region_names))
        idx = [self.region_names.index(n) for n in region_names]
        w = None if self.source_weights is None else self.source_weights[:, idx].tocsr()
        return self._replace(gain=self.gain[:, idx], region_names=region_names, source_weights=w)

    def copy(self, **changes):
        """Copy (with ``info`` and ``fwd`` copied), optionally changing attributes."""
        return self._replace(**changes)

    def _replace(self, **changes):
        kw = dict(gain=self.gain, info=self.info.copy(), region_names=self.region_names,
                  fwd=None if self.fwd is None else self.fwd.copy(), source_weights=self.source_weights,
                  mode=self.mode, moment_am_per_unit=self.moment_am_per_unit, name=self.name,
                  report=dict(self.report))
        kw.update(changes)
        return HeadModel(**kw)

    def __repr__(self):
        types = {}
        for t in self.ch_types:
            types[t] = types.get(t, 0) + 1
        chs = ", ".join(f"{n} {t}" for t, n in types.items())
        scale = "model default" if self.moment_am_per_unit is None else f"{self.moment_am_per_unit:g} A·m/unit"
        return f"<HeadModel '{self.name}' | {chs} x {self.n_regions} regions, mode={self.mode}, moment {scale}>"


def _name_mismatch_message(what, got, expected, limit=10):
    got, expected = list(got), list(expected)
    missing = [n for n in expected if n not in got]
    extra = [n for n in got if n not in expected]
    parts = [f"{what} must match the {len(expected)} names of the head/connectome"]
    if extra:
        parts.append(f"{len(extra)} not found there: {extra[:limit]}{' ...' if len(extra) > limit else ''}")
    if missing:
        parts.append(f"{len(missing)} missing: {missing[:limit]}{' ...' if len(missing) > limit else ''}")
    if not missing and not extra:
        parts.append(f"got {len(got)} names with duplicates")
    return "; ".join(parts) + "."


# ----------------------------------------------------------------------------------
# Region lead field from a forward
# ----------------------------------------------------------------------------------
def make_head_model(fwd, labels=None, *, region_mapping=None, region_names=None, mode="mean", orientation="auto",
                    info=None, src=None, moment_am_per_unit=None, on_missing="raise", name=None, verbose=None):
    """Region lead field from an MNE forward solution and labels or a region mapping.

    Parameters
    ----------
    fwd : mne.Forward
        Forward solution (surface, discrete, volume or mixed source space; free or
        fixed orientation), e.g. from :func:`mne.make_forward_solution` or
        :func:`mne.read_forward_solution`.
    labels : list of mne.Label | None
        One label per region (surface source spaces), e.g. from
        :func:`mne.read_labels_from_annot`. Give either ``labels`` or
        ``region_mapping``.
    region_mapping : array of int | None
        Region index of each source, ``-1`` for sources in no region. Its length is
        either the number of sources in the forward (in the order of
        ``fwd["src"]``'s ``vertno``, space after space) or the total number of
        points of the source spaces (``sum(s["np"])``, e.g. TVB's 16384-vertex
        mapping of the full cortex mesh; points not used by the forward are skipped).
    region_names : sequence of str | None
        With ``labels``: the regions in the order wanted (e.g. the connectome's),
        matched to labels by name with :func:`mne_nmm.adapters.regions.match_regions`
        (``rule="hemisphere"``); default: the label
        names. With ``region_mapping``: one name per region index (default
        ``"r0", "r1", ...``).
    mode : "mean" | "sum" | "mean_flip" | "sum_flip"
        How a region's moment is spread over its sources (see the module docstring).
    orientation : "auto" | "normal" | "max_power"
        Source orientation: along the source normals (surface and discrete source
        spaces with normals), or, per region, the orientation of maximal sensor
        power (needs a free-orientation forward). ``"auto"`` uses normals where the
        source space has them and maximal power for volume grids (whose normals MNE
        stores as the placeholder (0, 0, 1)).
    info : mne.Info | None
        Measurement info (e.g. ``raw.info``) whose data channels (EEG, MEG, sEEG,
        ECoG; bad channels excluded) the head uses, in its order; each must exist in
        the forward. Default: the forward's channels, with their definitions from
        ``fwd["info"]`` (which has no digitisation: pass an info with a montage,
        e.g. the recording's, to keep it).
    src : mne.SourceSpaces | None
        The source space the forward was computed from; if given, sources it has
        but the forward lacks (dropped by ``mindist`` or outside the inner skull)
        are reported by region.
    moment_am_per_unit : float | None
        Dipole moment per model unit stored on the head (see :class:`HeadModel`).
    on_missing : "raise" | "warn" | "ignore"
        What to do with regions that have no source in the forward (the gain column
        is then zero) and with unmatched names.
    name : str | None
        Description of the head.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    head : HeadModel
        With ``gain`` of shape ``(n_channels, n_regions)`` in SI units per A·m.

    Notes
    -----
    The fixed-normal forward comes from ``mne.convert_forward_solution(fwd,
    surf_ori=True, force_fixed=True)`` (cortical patch statistics included);
    label vertices are those of :meth:`mne.Label.get_vertices_used` on the
    forward's ``vertno``, and flips come from :func:`mne.label_sign_flip`.
    """
    validate_type(fwd, mne.Forward, "fwd")
    check_option("mode", mode, _MODES)
    check_option("on_missing", on_missing, ("raise", "warn", "ignore"))
    if (labels is None) == (region_mapping is None):
        raise ValueError("Give exactly one of labels (a list of mne.Label) or region_mapping (an array of region "
                         f"indices), got {'both' if labels is not None else 'neither'}.")
    mv = _mne_verbose(verbose)
    report = {}

    # -- channels ------------------------------------------------------------------
    fwd_names = list(fwd["sol"]["row_names"])
    if info is not None:
        validate_type(info, mne.Info, "info")
        picks = mne.pick_types(info, **_DATA_TYPES)
        picks = [p for p in picks if info["ch_names"][p] not in info["bads"]]
        if not picks:
            raise ValueError("info has no good EEG/MEG/sEEG/ECoG channel to build a head model for.")
        ch_names = [info["ch_names"][p] for p in picks]
        missing = [c for c in ch_names if c not in fwd_names]
        if missing:
            raise ValueError(f"info has {len(missing)} channel(s) that are not in the forward solution: "
                             f"{missing[:10]}{' ...' if len(missing) > 10 else ''}. The forward has "
                             f"{len(fwd_names)} channels ({fwd_names[:5]} ...); compute it from this info, or drop "
                             "those channels (mark them bad or pick the others).")
        head_info = mne.pick_info(info, picks, verbose=False)
    else:
        ch_names = fwd_names
        head_info = _info_from_forward(fwd, ch_names)
    fwd_in = fwd
    if list(ch_names) != fwd_names:
        fwd = mne.pick_channels_forward(fwd, ch_names, ordered=True, verbose=mv)

    # -- orientation -----------------------------------------------------------------
    check_option("orientation", orientation, ("auto", "normal", "max_power"))
    has_nn = [_has_normals(s) for s in fwd["src"]]
    if orientation == "normal" and not all(has_nn):
        raise ValueError("orientation='normal' needs source normals, but the forward's source space has "
                         f"{[s['type'] for s, h in zip(fwd['src'], has_nn) if not h]} space(s) without them (volume "
                         "grids; MNE stores their normals as (0, 0, 1)); use orientation='auto' or 'max_power'.")
    use_nn = [h and orientation != "max_power" for h in has_nn]
    fixed = mne.forward.is_fixed_orient(fwd)
    if fixed and not all(use_nn):
        if orientation == "max_power":
            raise ValueError("orientation='max_power' needs a free-orientation forward, got a fixed-orientation one.")
        warnings.warn("The forward has fixed orientation on a source space without normals (all (0, 0, 1), "
                      "MNE's placeholder for volume grids): every source points along z. Compute a free-orientation "
                      "forward to get the regions' orientation of maximal power.", RuntimeWarning, stacklevel=2)
        use_nn = [True] * len(use_nn)
    if not fixed and all(use_nn):
        fwd = mne.convert_forward_solution(fwd, surf_ori=True, force_fixed=True, copy=True, verbose=mv)
        fixed = True
    elif not fixed and not fwd["surf_ori"] and any(use_nn):
        fwd = mne.convert_forward_solution(fwd, surf_ori=True, force_fixed=False, copy=True, verbose=mv)
    if fwd is fwd_in:  # never keep a reference to the caller's object
        fwd = fwd.copy()
    n_src = sum(len(s["vertno"]) for s in fwd["src"])
    offsets = np.cumsum([0] + [len(s["vertno"]) for s in fwd["src"]])

    # -- regions -> source indices -----------------------------------------------------
    if labels is not None:
        groups, names, flips = _groups_from_labels(fwd["src"], labels, region_names, offsets, on_missing, mode, report)
    else:
        groups, names = _groups_from_mapping(fwd["src"], region_mapping, region_names, offsets, report)
        flips = None
    if src is not None:
        _report_dropped(src, fwd["src"], groups, names, labels, region_mapping, report)
    empty = [n for n, g in zip(names, groups) if len(g) == 0]
    if empty:
        dropped = [n for n in empty if n in report.get("dropped_sources", {})]
        msg = (f"{len(empty)} region(s) have no source in the forward solution: {empty[:10]}"
               f"{' ...' if len(empty) > 10 else ''}; their gain column would be zero."
               + (f" The forward dropped all the sources of {dropped[:10]}." if dropped else ""))
        if on_missing == "raise":
            raise ValueError(msg + " Check that the labels belong to this subject and source space, or pass "
                             "on_missing='warn'.")
        if on_missing == "warn":
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
        report["empty_regions"] = empty
    report["n_sources"] = {n: int(len(g)) for n, g in zip(names, groups)}

    # -- weights -------------------------------------------------------------------------
    if "flip" in mode and flips is None:
        flips = [_sign_flip(_source_normals(fwd["src"], g, offsets), what=n) for n, g in zip(names, groups)]
    G = fwd["sol"]["data"]
    n_reg = len(names)
    rows, cols, vals = [], [], []
    normal_src = np.concatenate([np.full(len(s_["vertno"]), u) for s_, u in zip(fwd["src"], use_nn)])
    for r, g in enumerate(groups):
        g = np.asarray(g, dtype=int)
        if len(g) == 0:
            continue
        w = np.full(len(g), 1.0 / len(g) if mode.startswith("mean") else 1.0)
        if "flip" in mode:
            w = w * flips[r]
        if fixed:
            rows.append(g), cols.append(np.full(len(g), r)), vals.append(w)
            continue
        along_nn = normal_src[g]
        if np.any(along_nn):  # free surf-oriented forward: the 3rd column of each source is its normal
            gs, ws = g[along_nn], w[along_nn]
            rows.append(3 * gs + 2), cols.append(np.full(len(gs), r)), vals.append(ws)
        if np.any(~along_nn):  # no normal: one orientation per region, that of maximal sensor power
            gv, wv = g[~along_nn], w[~along_nn]
            blocks = np.stack([G[:, 3 * gv + k] @ wv for k in range(3)], axis=1)  # (n_ch, 3) in the fwd's basis
            nn = np.asarray(fwd["source_nn"]).reshape(-1, 3, 3)[gv]  # basis vectors of each source (head frame)
            ori = _max_power_orientation(blocks, nn, _source_positions(fwd, gv).mean(axis=0))
            for k in range(3):
                rows.append(3 * gv + k), cols.append(np.full(len(gv), r)), vals.append(wv * ori[k])
    n_cols = G.shape[1]
    if rows:
        W = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_cols, n_reg))
    else:
        W = sp.csr_matrix((n_cols, n_reg))
    gain = np.asarray(W.T @ G.T).T
    report["n_fwd_sources"] = int(n_src)
    head = HeadModel(gain=gain, info=head_info, region_names=tuple(names), fwd=fwd, source_weights=W, mode=mode,
                     moment_am_per_unit=moment_am_per_unit, name=name or "forward", report=report)
    logger.info("make_head_model: %r", head)
    return head


def _info_from_forward(fwd, ch_names):
    """A complete Info (projs, sfreq, dig...) for the forward's channels.

    ``fwd["info"]`` is a reduced Info (no ``projs``, ``sfreq``, ``dig``) that MNE
    functions such as ``make_ad_hoc_cov`` or ``RawArray`` do not accept; the
    channel definitions (positions, coil types, units) and ``dev_head_t`` are copied
    from it into a fresh one.
    """
    from copy import deepcopy

    finfo = fwd["info"]
    sel = [finfo["ch_names"].index(c) for c in ch_names]
    types = [mne.channel_type(finfo, i) for i in sel]
    info = mne.create_info(list(ch_names), 1000.0, types)
    with info._unlock():  # no public API to set channel definitions; this is what MNE's own readers do
        info["chs"] = [deepcopy(finfo["chs"][i]) for i in sel]
        if finfo.get("dev_head_t") is not None:
            info["dev_head_t"] = deepcopy(finfo["dev_head_t"])
        info["bads"] = [b for b in finfo.get("bads", []) if b in ch_names]
    info._update_redundant()
    info._check_consistency()
    return info


def _has_normals(s):
    """Whether a source space carries real orientations (volume grids store (0, 0, 1) placeholders)."""
    if s["type"] == "surf":
        return True
    if s["type"] == "vol":
        return False
    nn = s["nn"][s["vertno"]]
    return not (len(nn) > 1 and np.all(nn == np.array([0.0, 0.0, 1.0])))


def _source_positions(fwd, idx):
    return np.asarray(fwd["source_rr"])[idx]


def _max_power_orientation(block, basis, centre):
    """Unit orientation (in the forward's column basis) maximising ``||block @ u||``, pointing away from the
    head-frame origin."""
    _, _, vh = np.linalg.svd(block, full_matrices=False)
    ori = vh[0]
    direction = ori @ basis[0]  # all sources of a region share the basis of a non-rotated (xyz) grid
    if np.dot(direction, centre) < 0:
        ori = -ori
    return ori


def _source_normals(src, g, offsets):
    out = []
    for i, s in enumerate(src):
        sel = g[(g >= offsets[i]) & (g < offsets[i + 1])] - offsets[i]
        if len(sel) == 0:
            continue
        if not _has_normals(s):
            raise ValueError("mode with sign flips needs source normals, but volume source spaces have none; use "
                             "mode='mean' or 'sum'.")
        out.append(s["nn"][s["vertno"][sel]])
    return np.concatenate(out) if out else np.zeros((0, 3))


def _sign_flip(normals, what=""):
    """MNE's label_sign_flip rule for any set of normals (first right singular vector)."""
    if len(normals) == 0:
        return np.zeros(0)
    _, _, vh = np.linalg.svd(normals, full_matrices=False)
    dots = normals @ vh[0]
    if np.mean(dots) < 0:
        dots = -dots
    return np.sign(dots)


def _hemi_space(src, hemi):
    want = _LH if hemi == "lh" else _RH
    for i, s in enumerate(src):
        if s["type"] == "surf" and s.get("id", None) == want:
            return i
    return None


def _groups_from_labels(src, labels, region_names, offsets, on_missing, mode, report):
    if isinstance(labels, (mne.Label, mne.BiHemiLabel)):
        labels = [labels]
    labels = list(labels)
    if not labels:
        raise ValueError("labels must contain at least one mne.Label, got an empty list.")
    for i, lab in enumerate(labels):
        if not isinstance(lab, (mne.Label, mne.BiHemiLabel)):
            raise TypeError(f"labels[{i}] must be an mne.Label, got {type(lab).__name__}.")
    if not any(s["type"] == "surf" for s in src):
        raise ValueError("labels need a surface source space, but the forward's source space is "
                         f"{[s['type'] for s in src]}; use region_mapping for volume/discrete sources.")
    src_subject = src[0].get("subject_his_id", None)
    bad_subject = sorted({lab.subject for lab in labels if lab.subject and src_subject and lab.subject != src_subject})
    if bad_subject:
        raise ValueError(f"labels belong to subject(s) {bad_subject} but the forward's source space is of subject "
                         f"{src_subject!r}.")
    if region_names is None:
        names = [lab.name for lab in labels]
        if any(not n for n in names) or len(set(names)) != len(names):
            raise ValueError("labels must have unique, non-empty names, or pass region_names.")
        ordered = labels
    else:
        match = match_regions(region_names, labels, rule="hemisphere", require="names", on_mismatch=on_missing,
                              what=("connectome", "labels"),
                              hint="Rename the labels or regions, or pass on_missing='warn' (or 'ignore').")
        report["unmatched_regions"] = list(match.unmatched_regions)
        report["unmatched_labels"] = list(match.unmatched_targets)
        names = list(match.region_names)
        ordered = [None if j is None else labels[j] for j in match.indices]
    groups, flips = [], []
    for lab in ordered:
        if lab is None:
            groups.append(np.zeros(0, int))
            flips.append(np.zeros(0))
            continue
        parts = [lab] if isinstance(lab, mne.Label) else [lab.lh, lab.rh]
        g = []
        for part in parts:
            k = _hemi_space(src, part.hemi)
            if k is None:
                raise ValueError(f"label {lab.name!r} is on hemisphere {part.hemi!r}, which the forward's source "
                                 "space does not have.")
            used = part.get_vertices_used(src[k]["vertno"])  # sorted, as in label_sign_flip
            g.append(offsets[k] + np.searchsorted(src[k]["vertno"], used))
        g = np.concatenate(g).astype(int)
        groups.append(g)
        if "flip" in mode and len(g):
            two_hemi = sum(s["type"] == "surf" for s in src) == 2 and len(src) == 2
            flips.append(mne.label_sign_flip(lab, src) if two_hemi else
                         _sign_flip(_source_normals(src, g, offsets)))
        else:
            flips.append(None)
    return groups, names, (flips if "flip" in mode else None)


def _groups_from_mapping(src, region_mapping, region_names, offsets, report):
    rm = np.asarray(region_mapping)
    if rm.ndim != 1 or rm.dtype.kind not in "iu":
        raise ValueError(f"region_mapping must be a 1D array of integer region indices, got dtype {rm.dtype} and "
                         f"shape {rm.shape}.")
    n_used = int(offsets[-1])
    n_points = sum(int(s["np"]) for s in src)
    if len(rm) == n_used:
        per_source = rm
    elif len(rm) == n_points:
        point_off = np.cumsum([0] + [int(s["np"]) for s in src])
        per_source = np.concatenate([rm[point_off[i] + s["vertno"]] for i, s in enumerate(src)])
    else:
        raise ValueError(f"region_mapping must have one entry per forward source ({n_used}) or per source-space "
                         f"point ({n_points}), got {len(rm)}.")
    if rm.size and rm.min() < -1:
        raise ValueError(f"region_mapping entries must be >= -1 (-1 = no region), got {int(rm.min())}.")
    n_reg = int(rm.max()) + 1 if rm.size else 0
    if region_names is None:
        names = [f"r{i}" for i in range(n_reg)]
    else:
        names = [str(n) for n in region_names]
        if len(names) < n_reg:
            raise ValueError(f"region_names has {len(names)} names but region_mapping refers to region index "
                             f"{n_reg - 1}.")
        if len(set(names)) != len(names):
            raise ValueError("region_names must be unique.")
    order = np.argsort(per_source, kind="stable")
    sorted_rm = per_source[order]
    groups = [order[np.searchsorted(sorted_rm, r, "left"):np.searchsorted(sorted_rm, r, "right")]
              for r in range(len(names))]
    report["unassigned_sources"] = int(np.sum(per_source < 0))
    return groups, names


def _report_dropped(src, fsrc, groups, names, labels, region_mapping, report):
    validate_type(src, mne.SourceSpaces, "src")
    if len(src) != len(fsrc):
        raise ValueError(f"src has {len(src)} source spaces but the forward has {len(fsrc)}.")
    lost = {}
    for i, (s, fs) in enumerate(zip(src, fsrc)):
        gone = np.setdiff1d(s["vertno"], fs["vertno"])
        if not len(gone):
            continue
        if labels is not None:
            for lab in labels:
                parts = [lab] if isinstance(lab, mne.Label) else [lab.lh, lab.rh]
                for part in parts:
                    if _hemi_space(src, part.hemi) == i:
                        n = int(np.isin(gone, part.vertices).sum())
                        if n:
                            lost[lab.name] = lost.get(lab.name, 0) + n
        else:
            rm = np.asarray(region_mapping)
            point_off = np.cumsum([0] + [int(x["np"]) for x in src])
            if len(rm) == point_off[-1]:
                for r in rm[point_off[i] + gone]:
                    if r >= 0:
                        lost[names[r]] = lost.get(names[r], 0) + 1
            else:
                lost["(unknown region)"] = lost.get("(unknown region)", 0) + len(gone)
    if lost:
        report["dropped_sources"] = lost
        total = sum(lost.values())
        items = sorted(lost.items(), key=lambda kv: -kv[1])
        warnings.warn(f"The forward solution dropped {total} source(s) of src (outside the inner skull or closer "
                      f"than mindist): {dict(items[:10])}{' ...' if len(items) > 10 else ''}.", RuntimeWarning,
                      stacklevel=3)


__all__ = ["HeadModel", "make_head_model"]
