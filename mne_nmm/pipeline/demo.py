"""A small per-subject tree built from shipped data, for trying ``mne-nmm run`` (and its tests).

:func:`make_demo_tree` writes, from tvb-data's 68-region Desikan-Killiany connectome and the
offline FreeSurfer-style template subject (:func:`mne_nmm.adapters.head.make_template_subject`)::

    <root>/config.toml
    <root>/derivatives/mrtrix3/fs_default.txt                            the node look-up table
    <root>/derivatives/mrtrix3/sub-<s>/dwi/sub-<s>_desc-weights_connectome.csv   tck2connectome layout
    <root>/derivatives/mrtrix3/sub-<s>/dwi/sub-<s>_desc-lengths_connectome.csv   (upper triangle)
    <root>/derivatives/freesurfer/sub-<s>/{surf,label}                   FreeSurfer subject (aparc)
    <root>/derivatives/mne/sub-<s>/sub-<s>-fwd.fif                       EEG (or EEG + MEG) forward (sphere, ico3)

Each subject's weights are tvb68's times a log-normal perturbation (``perturbation``, mirrored
so the matrix stays symmetric) and its lengths are scaled by ``1 + N(0, perturbation / 2)`` (``perturb_lengths``);
the region names are FreeSurfer's (``ctx-lh-precentral``) as in MRtrix's ``fs_default.txt``.
All subjects have the template anatomy (each its own copy and forward): only their connectomes differ.
"""

from __future__ import annotations

import os

import numpy as np

from .._io import atomic_path, atomic_write
from .._validate import logger, verbose

__all__ = ["make_demo_tree", "DEMO_CONFIG"]

#: The config written by :func:`make_demo_tree` (``{...}`` fields filled in).
DEMO_CONFIG = """# mne-nmm run config: per-subject EEG and BOLD from MRtrix3 connectomes + FreeSurfer subjects
[run]
output_dir = "derivatives/mne-nmm"
subjects = [{subjects}]
seed = 0

[connectome]
format = "mrtrix"
path = "derivatives/mrtrix3/sub-{{subject}}/dwi/sub-{{subject}}_desc-weights_connectome.csv"
lengths = "derivatives/mrtrix3/sub-{{subject}}/dwi/sub-{{subject}}_desc-lengths_connectome.csv"
lut = "derivatives/mrtrix3/fs_default.txt"

[head]
subjects_dir = "derivatives/freesurfer"
subject = "sub-{{subject}}"
parc = "aparc"
forward = "derivatives/mne/sub-{{subject}}/sub-{{subject}}-fwd.fif"

[eeg]
duration_s = {eeg_s}
transient_s = 0.5

[bold]
duration_s = {bold_s}
transient_s = 10.0
tr_s = 2.0
global_coupling = {bold_g}
"""


def _meg_eeg_info(meg, eeg):
    """One Info with the MEG channels (and ``dev_head_t``) of ``meg`` followed by the EEG channels of ``eeg``."""
    import mne

    raw = mne.io.RawArray(np.zeros((len(meg.ch_names), 1)), meg, verbose=False)
    raw.add_channels([mne.io.RawArray(np.zeros((len(eeg.ch_names), 1)), eeg, verbose=False)],
                     force_update_info=True)
    return raw.info


def _fs_name(tvb_name):
    side, base = tvb_name.split("_", 1)
    return f"ctx-{'lh' if side == 'l' else 'rh'}-{base}", f"{side.upper()}.{base}"


@verbose
def make_demo_tree(root, *, n_subjects=3, regions=None, perturbation=0.1, eeg_duration_s=2.0, bold_duration_s=60.0,
                   bold_global_coupling=0.3, perturb_lengths=True, sensors="eeg", seed=0, verbose=None):
    """Write a small MRtrix3 + FreeSurfer + forward tree and a config for ``mne-nmm run``.

    Parameters
    ----------
    root : path-like
        Folder to write into (created).
    n_subjects : int
        Number of subjects (``01``, ``02``...).
    regions : sequence of str | None
        Subset of tvb68's regions (e.g. ``["l_precentral", "r_precentral", ...]``) for a
        fast run; default all 68.
    perturbation : float
        Size of the per-subject changes of the weights (log-normal sigma).
    eeg_duration_s, bold_duration_s, bold_global_coupling : float
        Written into the config.
    perturb_lengths : bool
        Also scale each subject's tract lengths (``False``: the same lengths, hence the
        same delays, for every subject; their simulations then share one compiled function).
    sensors : "eeg" | "eeg+meg"
        Channels of the forwards: the 70 EEG electrodes of ``fsaverage_1010``, or those and the 306
        Neuromag MEG sensors (:func:`mne_nmm.adapters.head.meg_info`, the default head position) for
        ``[eeg] sensors = "meg"``, ``"mag"``, ``"grad"`` or ``"eeg+meg"`` runs. The sphere conductor
        is fitted to the EEG montage either way.
    seed : int
        Seed of the perturbations.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    config : str
        Path of ``root/config.toml``.
    """
    import mne

    from .._validate import check_option
    from ..adapters.head import eeg_info, make_template_subject, meg_info
    from ..datasets import load_connectome

    check_option("sensors", sensors, ("eeg", "eeg+meg"))
    root = os.path.abspath(os.fspath(root))
    conn = load_connectome("tvb68")
    if regions is not None:
        conn = conn.subset(list(regions))
    names = [_fs_name(n) for n in conn.region_names]
    rng = np.random.default_rng(seed)
    mr = os.path.join(root, "derivatives", "mrtrix3")
    os.makedirs(mr, exist_ok=True)
    with atomic_write(os.path.join(mr, "fs_default.txt"), "w") as fh:
        fh.write("# MRtrix3 connectome look-up table (labelconvert output): index short_name FreeSurfer_name R G B A\n")
        for i, (long, short) in enumerate(names, start=1):
            fh.write(f"{i:4d}    {short:28s} {long:36s} {(37 * i) % 256:3d} {(91 * i) % 256:3d} {(151 * i) % 256:3d} 255\n")
    subjects = [f"{k + 1:02d}" for k in range(n_subjects)]
    sd = os.path.join(root, "derivatives", "freesurfer")
    os.makedirs(sd, exist_ok=True)
    for s in subjects:
        noise = rng.normal(0.0, perturbation, conn.weights.shape)
        noise = np.triu(noise, 1) + np.triu(noise, 1).T
        w = conn.weights * np.exp(noise)
        scale = np.clip(1.0 + rng.normal(0.0, perturbation / 2), 0.5, 1.5) if perturb_lengths else 1.0
        lengths = conn.tract_lengths_mm * scale
        d = os.path.join(mr, f"sub-{s}", "dwi")
        os.makedirs(d, exist_ok=True)
        for kind, mat in (("weights", w), ("lengths", lengths)):
            with atomic_write(os.path.join(d, f"sub-{s}_desc-{kind}_connectome.csv"), "w") as fh:
                fh.write(f"# command_history: tck2connectome (simulated from tvb68 for sub-{s}, mne_nmm demo)\n")
                for row in np.triu(mat):
                    fh.write(",".join(f"{v:.8g}" for v in row) + "\n")
        make_template_subject(sd, subject=f"sub-{s}")
        # one forward per subject: its source space belongs to that FreeSurfer subject
        info = eeg_info()
        src = mne.setup_source_space(f"sub-{s}", "ico3", subjects_dir=sd, add_dist=False, verbose=False)
        sphere = mne.make_sphere_model("auto", "auto", info=info, verbose=False)
        if sensors == "eeg+meg":
            info = _meg_eeg_info(meg_info(head_shape=False), info)
        fwd = mne.make_forward_solution(info, None, src, sphere, verbose=False)
        fdir = os.path.join(root, "derivatives", "mne", f"sub-{s}")
        os.makedirs(fdir, exist_ok=True)
        with atomic_path(os.path.join(fdir, f"sub-{s}-fwd.fif")) as tmp:
            mne.write_forward_solution(tmp, fwd, overwrite=True, verbose=False)
    cfg = os.path.join(root, "config.toml")
    with atomic_write(cfg, "w") as fh:
        fh.write(DEMO_CONFIG.format(subjects=", ".join(f'"{s}"' for s in subjects), eeg_s=float(eeg_duration_s),
                                    bold_s=float(bold_duration_s), bold_g=float(bold_global_coupling)))
    logger.info("make_demo_tree: %d subjects in %s", n_subjects, root)
    return cfg
