"""One subject's inputs, paired: connectome + FreeSurfer labels + forward solution, one region order.

:func:`pair_subject` reads the labels of a FreeSurfer parcellation (``aparc``,
``aparc.a2009s``, Schaefer/Glasser annotations... any ``{lh,rh}.<parc>.annot`` in the
subject's ``label/`` folder), matches them to the connectome's regions with
:func:`mne_nmm.adapters.regions.match_regions` (``rule="hemisphere"``: TVB's
``"r_precentral"`` pairs with FreeSurfer's ``"precentral-rh"``), builds the head model
from the forward solution with those labels (:func:`mne_nmm.adapters.forward.make_head_model`)
and returns the connectome, the labels and the head **in the same region order**, with a
report of what did not match. When nothing matches, the error says which other
parcellation of the subject, or which other connectome, would (e.g. ``"connectome
'tvb76' has 0 matches with aparc; tvb68 matches 68/68"``).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

from .._validate import check_option, logger, validate_type, verbose
from ..connectome import Connectome
from .regions import match_regions

__all__ = ["SubjectInputs", "pair_subject", "list_parcellations", "read_parcellation_labels", "suggest_pairings"]


@dataclass(frozen=True, eq=False)
class SubjectInputs:
    """A subject's connectome, labels and head model in one region order.

    Attributes
    ----------
    subject : str
        FreeSurfer subject name.
    connectome : Connectome
        The connectome restricted to (and ordered as) the matched regions.
    labels : list of mne.Label
        One label per region of ``connectome``, same order.
    head : HeadModel | None
        Region lead field (``head.region_names == connectome.region_names``), when a
        forward was given.
    parc : str
        The parcellation used.
    match : RegionMatch
        Connectome regions against the parcellation's labels (before subsetting).
    report : dict
        ``unmatched_regions`` (connectome regions without a label, dropped),
        ``unmatched_labels`` (labels without a region, unused), ``text`` (readable).
    """

    subject: str
    connectome: Connectome
    labels: list
    head: object
    parc: str
    match: object
    report: dict = field(default_factory=dict)

    @property
    def region_names(self):
        return self.connectome.region_names

    def __repr__(self):
        head = "no head" if self.head is None else f"head {self.head.n_channels} channels"
        return (f"<SubjectInputs {self.subject!r} | {self.connectome.n_regions} regions ({self.parc}), {head}, "
                f"{len(self.report.get('unmatched_regions', ()))} unmatched>")


def list_parcellations(subject, subjects_dir):
    """Parcellations with both ``lh.<parc>.annot`` and ``rh.<parc>.annot`` in ``subject/label``."""
    folder = os.path.join(os.fspath(subjects_dir), subject, "label")
    found = set()
    for path in glob.glob(os.path.join(glob.escape(folder), "lh.*.annot")):
        parc = os.path.basename(path)[3:-len(".annot")]
        if os.path.isfile(os.path.join(folder, f"rh.{parc}.annot")):
            found.add(parc)
    return sorted(found)


def read_parcellation_labels(subject, subjects_dir, parc="aparc"):
    """The labels of a parcellation, without ``unknown``/``???``/medial-wall entries."""
    import mne

    available = list_parcellations(subject, subjects_dir)
    if parc not in available:
        folder = os.path.join(os.fspath(subjects_dir), subject, "label")
        raise FileNotFoundError(f"subject {subject!r} has no parcellation {parc!r} (no lh/rh.{parc}.annot in "
                                f"{folder!r}); available: {available or 'none'}.")
    labels = mne.read_labels_from_annot(subject, parc, subjects_dir=os.fspath(subjects_dir), verbose=False)
    skip = ("unknown", "???", "medial_wall", "medial.wall", "corpuscallosum")
    return [lb for lb in labels if not any(lb.name.lower().startswith(s) for s in skip)]


def _count(names, targets):
    m = match_regions(names, targets, on_mismatch="ignore", what=("a", "b")) if names and targets else None
    return 0 if m is None else len(m.matched_names)


def _safe_count(names, targets):
    try:
        return _count(names, targets)
    except ValueError:  # not a single match
        return 0


def suggest_pairings(connectome_name, region_names, parc, label_names, *, parcellations=None, candidates=None):
    """A sentence naming the connectome/parcellation pairs that do match.

    Parameters
    ----------
    connectome_name : str
    region_names : sequence of str
        The connectome's regions.
    parc : str
        The parcellation tried.
    label_names : sequence of str
        Its labels.
    parcellations : dict of str to sequence of str | None
        Other parcellations of the subject (name -> label names).
    candidates : dict of str to sequence of str | None
        Other connectomes (name -> region names), e.g. the shipped ones.

    Returns
    -------
    text : str
    """
    n_here = _safe_count(region_names, label_names)
    parts = [f"connectome {connectome_name!r} has {n_here} matches with {parc} ({len(label_names)} labels)"]
    for other, names in (candidates or {}).items():
        if other == connectome_name:
            continue
        k = _safe_count(names, label_names)
        if k:
            parts.append(f"{other} matches {k}/{len(label_names)} of {parc}")
    for other, labs in (parcellations or {}).items():
        if other == parc:
            continue
        k = _safe_count(region_names, labs)
        if k:
            parts.append(f"parcellation {other} matches {k}/{len(region_names)} regions of {connectome_name!r}")
    if len(parts) == 1:
        parts.append("no other parcellation of this subject or known connectome matches either")
    return "; ".join(parts)


@verbose
def pair_subject(connectome, subject, subjects_dir, *, parc="aparc", fwd=None, info=None, on_mismatch="raise",
                 mode="mean", candidates=None, verbose=None):
    """Pair a subject's connectome with that subject's FreeSurfer labels and forward solution.

    Parameters
    ----------
    connectome : Connectome
        The subject's structural connectome (e.g. from
        :func:`mne_nmm.adapters.formats.read_connectome`).
    subject : str
        FreeSurfer subject name in ``subjects_dir``.
    subjects_dir : path-like
        FreeSurfer ``SUBJECTS_DIR``.
    parc : str
        Parcellation (``{lh,rh}.<parc>.annot`` in ``subject/label``): ``"aparc"``,
        ``"aparc.a2009s"``, ``"HCPMMP1"``, ``"Schaefer2018_100Parcels_7Networks_order"``...
    fwd : mne.Forward | path-like | None
        The subject's forward solution (surface source space of this subject); gives the
        head model. ``None``: labels only.
    info : mne.Info | None
        Channels for the head (default: the forward's); see
        :func:`~mne_nmm.adapters.forward.make_head_model`.
    on_mismatch : {"raise", "subset"}
        Connectome regions without a label: an error listing them with close
        candidates (default), or keep the matched regions (the others are dropped from
        the connectome; reported and logged). Labels without a region are always
        allowed (reported). Not a single match is always an error, with a suggestion.
    mode : str
        Region aggregation of the head (see :func:`make_head_model`).
    candidates : dict of str to sequence of str | None
        Other connectomes to suggest when nothing matches (name -> region names).
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    inputs : SubjectInputs
        ``inputs.connectome.region_names == inputs.head.region_names`` and
        ``inputs.labels[i]`` is region ``i``'s label.
    """
    import mne

    validate_type(connectome, Connectome, "connectome")
    validate_type(subject, str, "subject")
    validate_type(subjects_dir, "path-like", "subjects_dir")
    check_option("on_mismatch", on_mismatch, ("raise", "subset"))
    labels = read_parcellation_labels(subject, subjects_dir, parc)
    label_names = [lb.name for lb in labels]
    names = connectome.region_names
    n_match = _safe_count(names, label_names)
    if n_match == 0:
        others = {}
        for p in list_parcellations(subject, subjects_dir):
            if p != parc:
                try:
                    others[p] = [lb.name for lb in read_parcellation_labels(subject, subjects_dir, p)]
                except (OSError, ValueError) as err:  # an unreadable annot: say so, keep suggesting
                    logger.info("pair_subject: cannot read %s: %s", p, err)
        hint = suggest_pairings(connectome.name, names, parc, label_names, parcellations=others,
                                candidates=candidates)
        raise ValueError(f"No region of the connectome {connectome.name!r} matches a label of {subject}'s {parc} "
                         f"parcellation: {hint}. First regions: {list(names[:3])}; first labels: "
                         f"{label_names[:3]}.")
    match = match_regions(names, label_names, rule="hemisphere", on_mismatch="ignore",
                          what=("connectome", f"{subject} {parc}"))
    if not match.complete and on_mismatch == "raise":
        raise ValueError(f"Regions of the connectome {connectome.name!r} and {subject}'s {parc} labels differ:\n"
                         f"{match.report}\nPass on_mismatch='subset' to keep the {len(match.matched_names)} matched "
                         "regions.")
    conn = connectome
    if not match.complete:
        conn = connectome.subset(list(match.matched_names))
        logger.info("pair_subject: dropped %d connectome region(s) without a %s label: %s",
                    len(match.unmatched_regions), parc, list(match.unmatched_regions)[:10])
    paired = [labels[j] for j in match.target_index]
    head = None
    if fwd is not None:
        if isinstance(fwd, (str, os.PathLike)):
            fwd = mne.read_forward_solution(os.fspath(fwd), verbose=False)
        from .forward import make_head_model

        head = make_head_model(fwd, paired, region_names=conn.region_names, info=info, mode=mode,
                               name=f"{subject}-{parc}", verbose=verbose)
        if tuple(head.region_names) != tuple(conn.region_names):
            head = head.reorder(conn.region_names)
    report = {"unmatched_regions": list(match.unmatched_regions), "unmatched_labels": list(match.unmatched_targets),
              "n_matched": len(match.matched_names), "text": match.report}
    logger.info("pair_subject %s: %s", subject, match.report)
    return SubjectInputs(subject=subject, connectome=conn, labels=paired, head=head, parc=parc, match=match,
                         report=report)
