"""Simulated data as a BIDS derivative dataset.

Layout written under a derivative root (BIDS 1.9 "Derivatives"; the root has
``dataset_description.json`` with ``DatasetType: "derivative"`` and ``GeneratedBy``
naming mne_nmm and its version)::

    dataset_description.json  README  participants.tsv  .bidsignore
    sub-<s>/sub-<s>_scans.tsv
    sub-<s>/eeg/sub-<s>_task-<t>_desc-sim_eeg.{vhdr,vmrk,eeg,json} + _channels.tsv, electrodes, coordsystem
        (written by mne_bids.write_raw_bids, BrainVision; read back with mne_bids.read_raw_bids)
    sub-<s>/func/sub-<s>_task-<t>_space-MNI152NLin2009aAsym_res-<r>_desc-sim_bold.{nii.gz,json}
        (4D NIfTI, TR in the header and RepetitionTime in the sidecar; nilearn's MNI grid, which is the
        asymmetric ICBM152 2009 release a)
    sub-<s>/func/sub-<s>_task-<t>_desc-sim_timeseries.{tsv,json}    region BOLD, header = region names
    sub-<s>/anat/sub-<s>_space-MNI152NLin2009aAsym_res-<r>_desc-<atlas>_dseg.{nii.gz,tsv}   the labels image
    model/desc-<Model>_eq.xml                         BEP034: generic model description
    sub-<s>/model/sub-<s>_desc-<Model><t>_param.xml   BEP034: this subject's parameters
    sub-<s>/net/sub-<s>_desc-<t>_{weights,distances}.tsv   the structural connectivity simulated

The BEP034 (computational models) files follow the proposal's layout (``model/`` with
``_eq.xml`` and ``_param.xml``, every simulation sidecar referencing them under ``ModelEq``,
``ModelParam`` and ``Network``); the proposal is not in the released BIDS schema, so
``model/`` and ``net/`` are listed in ``.bidsignore`` and the rest of the tree validates.

Every file is written atomically (:mod:`mne_nmm._io`); mne-bids writes into a staging folder
whose files are then moved into the tree one by one (``participants.tsv`` and ``scans.tsv``
rows are merged, not overwritten).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import shutil
import uuid
import warnings
import xml.etree.ElementTree as ET

import numpy as np

from .._io import atomic_write
from .._validate import logger

__all__ = ["write_dataset_description", "write_eeg_derivative", "write_bold_derivative", "read_bold_regions",
           "write_model_description", "SPACE", "BIDSIGNORE"]

#: Template space of nilearn's MNI152 grid (nilearn: "asymmetrical ICBM152 2009, release a").
SPACE = "MNI152NLin2009aAsym"
#: Paths outside the released schema (BEP034 model description, run bookkeeping).
#: The region time series (``_timeseries.tsv``, BEP012-style) are not in the released schema either.
#: (The BIDS validator matches a folder by its bare name: ``model``, not ``model/``.)
BIDSIGNORE = ("model", "net", "group", "*_timeseries.tsv", "*_timeseries.json", "config_resolved.toml",
              "run_report.json", ".mne-nmm")


def _version():
    from .._version import __version__

    return __version__


def _json(path, doc):
    with atomic_write(path, "w") as fh:
        json.dump(doc, fh, indent=2, sort_keys=False)
    return path


def write_dataset_description(root, *, name="mne_nmm simulation"):
    """Write ``dataset_description.json`` (derivative, ``GeneratedBy`` mne_nmm + version), README, .bidsignore."""
    os.makedirs(root, exist_ok=True)
    doc = {"Name": name, "BIDSVersion": "1.9.0", "DatasetType": "derivative",
           "GeneratedBy": [{"Name": "mne_nmm", "Version": _version(),
                            "Description": "whole-brain neural mass simulation (JAX) of EEG and BOLD"}]}
    files = [_json(os.path.join(root, "dataset_description.json"), doc)]
    readme = os.path.join(root, "README")
    if not os.path.exists(readme):
        with atomic_write(readme, "w") as fh:
            fh.write(f"Simulated data written by mne_nmm {_version()} (`mne-nmm run`). These are model outputs, "
                     "not recordings. The config with every default resolved is config_resolved.toml.\n")
    files.append(readme)
    ignore = os.path.join(root, ".bidsignore")
    with atomic_write(ignore, "w") as fh:
        fh.write("\n".join(BIDSIGNORE) + "\n")
    files.append(ignore)
    return files


def _label(x):
    return f"{float(x):g}".replace(".", "p")


def _read_tsv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    return rows[0], rows[1:]


def _merge_tsv(src, dst):
    """Rows of ``src`` replace those of ``dst`` with the same first column; columns are united."""
    h_new, r_new = _read_tsv(src)
    if not os.path.exists(dst):
        h_old, r_old = h_new, []
    else:
        h_old, r_old = _read_tsv(dst)
    header = list(h_old) + [h for h in h_new if h not in h_old]
    rows = {}
    for h, rs in ((h_old, r_old), (h_new, r_new)):
        for r in rs:
            d = dict(zip(h, r))
            key = r[0]
            rows[key] = {**rows.get(key, {}), **d}
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(header)
    for key in sorted(rows):
        w.writerow([rows[key].get(h, "n/a") for h in header])
    with atomic_write(dst, "w") as fh:
        fh.write(buf.getvalue())


class _Lock:
    """An exclusive lock on ``root/.mne-nmm/lock`` (POSIX ``flock``; a no-op where unavailable), so that
    parallel runs (one process per subject) merge the shared tables one at a time."""

    def __init__(self, root):
        self.path = os.path.join(root, ".mne-nmm", "lock")

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.fh = open(self.path, "a")  # noqa: SIM115 - closed in __exit__
        try:
            import fcntl

            fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            pass
        return self

    def __exit__(self, *exc):
        self.fh.close()  # closing releases the flock


def _move_tree(stage, root):
    """Move the staged files into ``root`` atomically, merging participants/scans tables (under a lock)."""
    with _Lock(root):
        return _move_tree_locked(stage, root)


def _move_tree_locked(stage, root):
    moved = []
    for folder, _, names in os.walk(stage):
        for nm in names:
            src = os.path.join(folder, nm)
            rel = os.path.relpath(src, stage)
            dst = os.path.join(root, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if nm in ("dataset_description.json", "README", "README.md"):
                continue
            if nm == "participants.json" and os.path.exists(dst):
                continue
            if nm == "participants.tsv" or nm.endswith("_scans.tsv"):
                _merge_tsv(src, dst)
            else:
                with open(src, "rb") as fin, atomic_write(dst, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
            moved.append(dst)
    return moved


def write_eeg_derivative(raw, root, *, subject, task, description="sim", sidecar_extra=None, events=None,
                         event_id=None):
    """Write a simulated EEG/MEG recording into the derivative with mne-bids (BrainVision for EEG, FIF for MEG).

    Parameters
    ----------
    raw : mne.io.Raw
        Simulated recording (e.g. :func:`mne_nmm.eeg.simulate_eeg`); ``raw.info["line_freq"]``
        should be set (it becomes ``PowerLineFrequency``).
    root : path-like
        Derivative root.
    subject, task : str
        BIDS labels.
    description : str
        ``desc-`` label (default ``"sim"``).
    sidecar_extra : dict | None
        Extra fields of the ``_eeg.json`` / ``_meg.json`` sidecar (e.g. the BEP034 references).
    events, event_id
        Passed to :func:`mne_bids.write_raw_bids` (``events.tsv``).

    Returns
    -------
    files : list of str
        The data files written for this recording (shared tables not included).
    """
    import mne
    import mne_bids

    root = os.fspath(root)
    datatype = "meg" if raw.get_channel_types(unique=True) and any(
        t in ("mag", "grad") for t in raw.get_channel_types(unique=True)) else "eeg"
    stage = os.path.join(root, ".mne-nmm", "staging", f"sub-{subject}_task-{task}-{uuid.uuid4().hex[:8]}")
    os.makedirs(stage)
    try:
        bp = mne_bids.BIDSPath(subject=subject, task=task, description=description, datatype=datatype, root=stage)
        if datatype == "eeg":
            bp.update(suffix="eeg", extension=".vhdr")
        raw = raw.copy()
        if events is None and "STI 014" in raw.ch_names:
            ev = mne.find_events(raw, stim_channel="STI 014", verbose=False)
            if len(ev):
                events, event_id = ev, {"stimulus": int(ev[0, 2])}
        with warnings.catch_warnings():
            # a simulated condition without stimuli has no events whatever its task label (mne-bids expects
            # such recordings to be named "rest..."): nothing is wrong, the events.tsv is just not written
            warnings.filterwarnings("ignore", message="No events found or provided", category=RuntimeWarning)
            mne_bids.write_raw_bids(raw, bp, format="BrainVision" if datatype == "eeg" else "FIF",
                                    allow_preload=True, events=events, event_id=event_id, overwrite=True,
                                    verbose=False)
        if sidecar_extra:
            side = bp.copy().update(suffix=datatype, extension=".json").fpath
            with open(side, encoding="utf-8") as fh:
                doc = json.load(fh)
            doc.update(_jsonable(sidecar_extra))
            with open(side, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2)
        moved = _move_tree(stage, root)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    data_files = [f for f in moved if os.path.basename(f).startswith(f"sub-{subject}_task-{task}_")
                  or os.path.basename(f).startswith(f"sub-{subject}_space-")]
    logger.info("write_eeg_derivative: sub-%s task-%s: %d files", subject, task, len(data_files))
    return data_files


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def write_bold_derivative(data, region_names, tr_s, root, *, subject, task, atlas="desikan_killiany",
                          resolution_mm=3.0, description="sim", units="arbitrary", sidecar_extra=None, weights=None):
    """Write simulated region BOLD: region time series TSV, and (with ``atlas``) a 4D NIfTI + labels image.

    Parameters
    ----------
    data : array, shape (n_times, n_regions)
        Region BOLD, one row per volume.
    region_names : sequence of str
        Column names (matched to the atlas by name).
    tr_s : float
        Repetition time (s).
    root : path-like
        Derivative root.
    subject, task : str
        BIDS labels.
    atlas : str | Atlas | None
        Labels image for the NIfTI (:func:`mne_nmm.datasets.resolve_atlas`); ``None``: no NIfTI.
    resolution_mm : float
        Voxel size of the NIfTI (nilearn's MNI grid).
    description : str
        ``desc-`` label.
    units : str
        ``Units`` of the sidecars.
    sidecar_extra : dict | None
        Extra sidecar fields.
    weights : array, shape (n_regions, n_regions) | None
        Not written here (see :func:`write_model_description`); accepted for symmetry.

    Returns
    -------
    files : list of str
    """
    root = os.fspath(root)
    data = np.asarray(data, dtype=float)
    names = [str(n) for n in region_names]
    if data.ndim != 2 or data.shape[1] != len(names):
        raise ValueError(f"data must have shape (n_times, {len(names)}), got {data.shape}.")
    func = os.path.join(root, f"sub-{subject}", "func")
    os.makedirs(func, exist_ok=True)
    base = f"sub-{subject}_task-{task}"
    extra = _jsonable(sidecar_extra or {})
    files = []
    ts = os.path.join(func, f"{base}_desc-{description}_timeseries.tsv")
    with atomic_write(ts, "w") as fh:
        fh.write("\t".join(names) + "\n")
        for row in data:
            fh.write("\t".join(repr(float(v)) for v in row) + "\n")
    files.append(ts)
    files.append(_json(ts[:-4] + ".json", {"SamplingFrequency": 1.0 / float(tr_s), "StartTime": 0.0,
                                           "Columns": names, "Units": units, "TaskName": task,
                                           "Description": "simulated region BOLD (one column per region)",
                                           **extra}))
    if atlas is not None:
        from ..convert.nifti import to_nifti
        from ..datasets import resolve_atlas
        from ..adapters.regions import match_regions
        from .._io import atomic_path
        from ..result import MonitorOutput

        atlas_obj = resolve_atlas(atlas)
        # pair the columns with the atlas regions ("r_precentral" ~ "ctx-rh-precentral" ~ "precentral-rh")
        m = match_regions(names, atlas_obj.region_names, rule="hemisphere", on_mismatch="ignore",
                          what=("BOLD", f"atlas {atlas_obj.name!r}"))
        cols, atlas_names = m.region_index, [atlas_obj.region_names[j] for j in m.target_index]
        if m.unmatched_regions:
            logger.info("write_bold_derivative: %d region(s) not in the atlas, not in the NIfTI: %s",
                        len(m.unmatched_regions), list(m.unmatched_regions)[:10])
        bold = MonitorOutput(name="bold", times_s=(np.arange(len(data)) + 1) * float(tr_s),
                             data=data[:, None, cols], sfreq_hz=1.0 / float(tr_s), variable_names=("bold",),
                             channel_names=tuple(atlas_names))
        img = to_nifti(bold, atlas_obj, resolution_mm=resolution_mm, on_mismatch="subset")
        res = _label(resolution_mm)
        nii = os.path.join(func, f"{base}_space-{SPACE}_res-{res}_desc-{description}_bold.nii.gz")
        with atomic_path(nii) as tmp:
            img.to_filename(tmp)
        files.append(nii)
        resolution = {res: f"{float(resolution_mm):g} mm isotropic voxels of nilearn's MNI152 grid"}
        files.append(_json(nii[:-7] + ".json", {"RepetitionTime": float(tr_s), "TaskName": task, "Units": units,
                                                "Resolution": resolution,
                                                "SkullStripped": True, "SliceTimingCorrected": False,
                                                "Sources": [os.path.relpath(ts, root)],
                                                "RegionMapping": dict(zip([names[i] for i in cols], atlas_names)),
                                                **extra}))
        used = atlas_obj.select(atlas_names).resample(resolution_mm)
        anat = os.path.join(root, f"sub-{subject}", "anat")
        os.makedirs(anat, exist_ok=True)
        dseg = os.path.join(anat, f"sub-{subject}_space-{SPACE}_res-{res}_desc-{_alnum(atlas_obj.name)}_dseg.nii.gz")
        with atomic_path(dseg) as tmp:
            used.labels_img.to_filename(tmp)
        files.append(dseg)
        with atomic_write(dseg[:-7] + ".tsv", "w") as fh:
            fh.write("index\tname\n")
            for v, n in sorted(zip(np.asarray(used.label_values).tolist(), used.region_names)):
                fh.write(f"{int(v)}\t{n}\n")
        files.append(dseg[:-7] + ".tsv")
        files.append(_json(dseg[:-7] + ".json", {"Resolution": resolution, "Atlas": str(atlas_obj.name),
                                                 "Description": "labels image of the simulated regions"}))
    logger.info("write_bold_derivative: sub-%s task-%s: %d files", subject, task, len(files))
    return files


def _alnum(s):
    return "".join(ch for ch in str(s) if ch.isalnum()) or "atlas"


def read_bold_regions(root, *, subject, task, description="sim"):
    """``(region_names, data (n_times, n_regions), weights | None)`` of a written unit, or None."""
    ts = os.path.join(root, f"sub-{subject}", "func", f"sub-{subject}_task-{task}_desc-{description}_timeseries.tsv")
    if not os.path.isfile(ts):
        return None
    header, rows = _read_tsv(ts)
    data = np.array(rows, dtype=float)
    w = None
    wpath = os.path.join(root, f"sub-{subject}", "net", f"sub-{subject}_desc-{task}_weights.tsv")
    if os.path.isfile(wpath):
        wh, wr = _read_tsv(wpath)
        wmat = np.array(wr, dtype=float)
        pos = {n: i for i, n in enumerate(wh)}
        if all(n in pos for n in header):
            idx = [pos[n] for n in header]
            w = wmat[np.ix_(idx, idx)]
    return header, data, w


def _model_xml(model, *, params_only=False, **attrs):
    cls = type(model)
    root = ET.Element("Model", {"name": cls.__name__, "package": "mne_nmm", "version": _version(), **attrs})
    if not params_only:
        ET.SubElement(root, "Reference").text = str(getattr(cls, "reference", ""))
        doc = (cls.__doc__ or "").strip().split("\n\n")[0]
        ET.SubElement(root, "Description").text = " ".join(doc.split())
        ET.SubElement(root, "Implementation").text = f"{cls.__module__}.{cls.__qualname__}.dfun"
        sv = ET.SubElement(root, "StateVariables")
        units = getattr(cls, "units", {}) or {}
        for v in getattr(cls, "state_variables", ()):
            ET.SubElement(sv, "StateVariable", {"name": v, "unit": str(units.get(v, ""))})
    pe = ET.SubElement(root, "Parameters")
    for f in dataclasses.fields(model):
        val = np.asarray(getattr(model, f.name))
        if val.dtype.kind not in "fiub":
            continue
        text = repr(float(val)) if val.size == 1 else " ".join(repr(float(x)) for x in val.ravel())
        ET.SubElement(pe, "Parameter", {"name": f.name, "value": text})
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_model_description(root, *, subject, task, connectome, models):
    """BEP034 model description of one unit: equations, parameters, the network; references for the sidecars.

    Parameters
    ----------
    root : path-like
        Derivative root.
    subject, task : str
        BIDS labels.
    connectome : Connectome
        The connectome simulated (after pairing).
    models : dict of str to NeuralMass
        The model simulated for each modality, e.g. ``{"eeg": JansenRit(...), "bold": Hopf(a=-0.05)}``
        (per-region parameter arrays are written as space-separated values).

    Returns
    -------
    out : dict
        ``files`` (list) and ``references`` (``{modality: {...}}``, the ``ModelEq`` /
        ``ModelParam`` / ``Network`` entries for that modality's sidecar).
    """
    root = os.fspath(root)
    files, refs = [], {}
    net = os.path.join(root, f"sub-{subject}", "net")
    os.makedirs(net, exist_ok=True)
    names = list(connectome.region_names)
    paths = {}
    for kind, mat in (("weights", connectome.weights), ("distances", connectome.tract_lengths_mm)):
        p = os.path.join(net, f"sub-{subject}_desc-{task}_{kind}.tsv")
        with atomic_write(p, "w") as fh:
            fh.write("\t".join(names) + "\n")
            for row in np.asarray(mat):
                fh.write("\t".join(repr(float(v)) for v in row) + "\n")
        files.append(p)
        paths[kind] = os.path.relpath(p, root)
    for sec, model in models.items():
        mname = _alnum(type(model).__name__)
        eq = os.path.join(root, "model", f"desc-{mname}_eq.xml")
        os.makedirs(os.path.dirname(eq), exist_ok=True)
        with atomic_write(eq, "w") as fh:
            fh.write(_model_xml(type(model)()))  # generic: the class defaults
        files.append(eq)
        sub_model = os.path.join(root, f"sub-{subject}", "model")
        os.makedirs(sub_model, exist_ok=True)
        par = os.path.join(sub_model, f"sub-{subject}_desc-{mname}{_alnum(task)}_param.xml")
        with atomic_write(par, "w") as fh:
            fh.write(_model_xml(model, params_only=True, subject=subject, task=task, modality=sec))
        files.append(par)
        refs[sec] = {"ModelEq": os.path.relpath(eq, root), "ModelParam": os.path.relpath(par, root),
                     "Network": [paths["weights"], paths["distances"]],
                     "SoftwareName": "mne_nmm", "SoftwareVersion": _version()}
    return {"files": files, "references": refs}
