"""Region-name matching: the one place where two lists of region names are paired.

Every edge that meets a network's regions uses it: atlases (:mod:`.atlas`),
labels of an MNE forward (:mod:`.forward`), the columns of a head's lead field
(:func:`region_indices`), simulated versus empirical data.

:func:`match_regions` pairs each name of a first list (``region_names``: what you
have, e.g. a connectome's regions) with at most one entry of a second list
(``targets``: atlas regions, labels, gain columns) and returns a
:class:`RegionMatch` that says which matched and which did not. A target is used
at most once. The ``rule`` decides what counts as "the same region":

``"exact"``
    identical strings;
``"normalize"``
    identical after lower-casing and removing everything but letters and digits
    (``"L_Insula"`` == ``"l-insula"``);
``"hemisphere"`` (default)
    identical, or else the same hemisphere and base name after
    :func:`split_hemisphere`: TVB-68's ``"r_precentral"`` matches FreeSurfer's
    ``"precentral-rh"`` and AAL's ``"Insula_L"`` matches ``"lh.insula"``;
``"order"``
    pair by position (the lists must have the same length).

Exact matches are made first; a name then only takes a target by its key when
exactly one unused target has that key (ambiguous names stay unmatched).

This module imports neither mne, nilearn nor nibabel: labels are read through
their ``name`` attribute.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass

import numpy as np

from .._validate import check_option, logger, validate_type, verbose

__all__ = ["RegionMatch", "match_regions", "region_indices", "split_hemisphere"]

_RULES = ("exact", "normalize", "hemisphere", "order")

_HEMI_WORDS = {"lh": "lh", "l": "lh", "left": "lh", "rh": "rh", "r": "rh", "right": "rh"}
_PREFIX = re.compile(r"^(?:ctx[-_])?(lh|rh|left|right|l|r)[-_. ]+(.+)$", re.IGNORECASE)
_SUFFIX = re.compile(r"^(.+?)[-_. ]+(lh|rh|left|right|l|r)$", re.IGNORECASE)
_TVB_PREFIX = re.compile(r"^([lr])([A-Z0-9].*)$")  # TVB-76 style: "rV1", "lPFCORB"


def split_hemisphere(name):
    """Split a region or label name into ``(hemisphere, base)``.

    Recognises ``"V1-lh"``, ``"lh.V1"``, ``"ctx-lh-V1"``, ``"Left-V1"``, ``"V1_R"``,
    ``"r_V1"`` and TVB-76's ``"rV1"``. ``hemisphere`` is ``"lh"``, ``"rh"`` or
    ``None``; ``base`` is lower-case with separators removed.

    Parameters
    ----------
    name : str
        The name.

    Returns
    -------
    hemi : str | None
    base : str
    """
    validate_type(name, str, "name")
    s = name.strip()
    hemi, base = None, s
    m = _PREFIX.match(s)
    if m:
        hemi, base = _HEMI_WORDS[m.group(1).lower()], m.group(2)
    else:
        m = _SUFFIX.match(s)
        if m:
            hemi, base = _HEMI_WORDS[m.group(2).lower()], m.group(1)
        else:
            m = _TVB_PREFIX.match(s)
            if m:
                hemi, base = _HEMI_WORDS[m.group(1)], m.group(2)
    return hemi, _normalise(base)


def _normalise(name):
    return "".join(ch for ch in name.lower() if ch.isalnum())


_KEYS = {"exact": None, "normalize": _normalise, "hemisphere": split_hemisphere}


def suggest_names(name, candidates, n=3):
    """``" (did you mean 'a', 'b'?)"`` for the closest ``candidates`` of ``name``, or ``""``.

    Parameters
    ----------
    name : str
        The name that was not found.
    candidates : sequence of str
        Names it could have meant.
    n : int
        At most this many suggestions.

    Returns
    -------
    hint : str
        Empty when nothing is close (:func:`difflib.get_close_matches`, cutoff 0.6).
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=n, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _shorten(items, limit, sep=", ", fmt=repr):
    items = list(items)
    return sep.join(fmt(x) for x in items[:limit]) + (" ..." if len(items) > limit else "")


@dataclass(frozen=True)
class RegionMatch:
    """Result of :func:`match_regions`: which region goes with which target.

    Attributes
    ----------
    region_names : tuple of str
        The first list (e.g. a connectome's regions), all of them, in order.
    target_names : tuple of str
        The second list (atlas regions, label names, gain columns), in order.
    indices : tuple of (int | None)
        For each region, the position of its target in ``target_names`` (``None``
        when unmatched).
    rule : str
        The matching rule used.
    what : tuple of str
        Names of the two sides, used in :attr:`report`.
    """

    region_names: tuple
    target_names: tuple
    indices: tuple
    rule: str = "hemisphere"
    what: tuple = ("data", "target")

    # -- views -----------------------------------------------------------------------
    @property
    def partner_names(self):
        """For each region, the name of its target (``None`` when unmatched)."""
        return tuple(None if j is None else self.target_names[j] for j in self.indices)

    @property
    def matched_names(self):
        """The matched region names, in the order of :attr:`region_names`."""
        return tuple(r for r, j in zip(self.region_names, self.indices) if j is not None)

    @property
    def region_index(self):
        """``ndarray of int``: positions of the matched regions in :attr:`region_names`."""
        return np.array([i for i, j in enumerate(self.indices) if j is not None], dtype=int)

    @property
    def target_index(self):
        """``ndarray of int``: positions of their targets in :attr:`target_names` (same order)."""
        return np.array([j for j in self.indices if j is not None], dtype=int)

    @property
    def unmatched_regions(self):
        """Regions without a target."""
        return tuple(r for r, j in zip(self.region_names, self.indices) if j is None)

    @property
    def unmatched_targets(self):
        """Targets matched to no region."""
        used = set(self.indices)
        return tuple(t for j, t in enumerate(self.target_names) if j not in used)

    @property
    def complete(self):
        """Whether every region has a target (targets may be left over)."""
        return all(j is not None for j in self.indices)

    @property
    def one_to_one(self):
        """Whether every region has a target and every target a region."""
        return self.complete and not self.unmatched_targets

    @property
    def report(self):
        """Human-readable summary: counts, unmatched names on each side with close candidates."""
        return self._report(limit=15)

    def _report(self, limit):
        a, b = self.what
        k, n, m = len(self.matched_names), len(self.region_names), len(self.target_names)
        lines = [f"{k} of {n} {a} regions matched one of the {m} {b} regions (rule {self.rule!r})"]
        only_a, only_b = self.unmatched_regions, self.unmatched_targets
        if only_a:
            lines.append(f"{len(only_a)} {a} region(s) not in the {b}: "
                         + _shorten(only_a, limit, "; ", lambda r: f"{r!r}{suggest_names(r, only_b)}"))
        if only_b:
            lines.append(f"{len(only_b)} {b} region(s) not in the {a}: " + _shorten(only_b, limit))
        return "\n".join(lines)

    def __repr__(self):
        return f"<RegionMatch | {self._report(limit=5).replace(chr(10), '; ')}>"


def _target_name(target, i):
    if isinstance(target, str):
        return target
    name = getattr(target, "name", None)
    if isinstance(name, str):
        if not name:
            raise ValueError(f"targets[{i}] has no name; labels must be named to be matched.")
        return name
    raise TypeError(f"targets[{i}] must be a str or a named label (mne.Label), got {type(target).__name__}.")


def _pair(names, targets, rule):
    """For each name, the index of its target or None (each target used at most once)."""
    if rule == "order":
        if len(names) != len(targets):
            raise ValueError(f"rule='order' pairs the lists by position, so they must have the same length, got "
                             f"{len(names)} region names and {len(targets)} targets.")
        return list(range(len(names)))
    idx = [None] * len(names)
    used = set()
    exact = {}
    for j, t in enumerate(targets):
        exact.setdefault(t, j)
    for i, n in enumerate(names):
        j = exact.get(n)
        if j is not None and j not in used:
            idx[i] = j
            used.add(j)
    key = _KEYS[rule]
    if key is None:
        return idx
    keyed = {}
    for j, t in enumerate(targets):
        keyed.setdefault(key(t), []).append(j)
    for i, n in enumerate(names):
        if idx[i] is None:
            cands = [j for j in keyed.get(key(n), []) if j not in used]
            if len(cands) == 1:
                idx[i] = cands[0]
                used.add(cands[0])
    return idx


@verbose
def match_regions(region_names, targets, *, rule="hemisphere", require="names", on_mismatch="raise",
                  what=("data", "target"), hint=None, verbose=None):
    """Pair region names with the entries of a second list, and report what did not match.

    Parameters
    ----------
    region_names : sequence of str
        The names to place, e.g. ``connectome.region_names`` or the channel names
        of a simulated BOLD output.
    targets : sequence of str | sequence of mne.Label
        What they are looked up in: atlas region names, labels (from
        :func:`mne.read_labels_from_annot`; their ``name`` is used) or the region
        names of a head's gain columns.
    rule : {"hemisphere", "exact", "normalize", "order"}
        When a name and a target are the same region (see the module docstring);
        default ``"hemisphere"``: exact, else same hemisphere and base name.
    require : {"names", "both"}
        What counts as a mismatch: ``"names"`` (default): a region without a
        target (left-over targets are reported and logged); ``"both"``: also a
        target without a region (the lists must describe the same regions).
    on_mismatch : {"raise", "warn", "ignore"}
        What to do on a mismatch: raise a ``ValueError`` whose message lists the
        unmatched names with close candidates (default), emit a
        ``RuntimeWarning``, or only log the report (INFO). In every mode it is an
        error when not a single region matches.
    what : tuple of (str, str)
        Names of the two sides in the messages, e.g. ``("connectome", "labels")``.
    hint : str | None
        The remedy that ends the error message; default: this function's
        ``on_mismatch``/``require`` options. A public function that wraps this one
        passes its own (e.g. ``"Pass on_mismatch='subset' to ..."``).
    verbose : bool | str | int | None
        Log level for this call (the report is logged at INFO).

    Returns
    -------
    match : RegionMatch
        ``match.indices[i]`` is the target of ``region_names[i]`` (or ``None``);
        ``match.region_index`` / ``match.target_index`` index the matched pairs,
        e.g. ``data[:, match.region_index]`` and ``atlas_names[match.target_index]``.

    See Also
    --------
    region_indices : column indices of a head's gain for a network's regions.

    Examples
    --------
    >>> m = match_regions(["r_precentral", "l_insula"], ["insula-lh", "precentral-rh", "V1-lh"])
    >>> m.indices
    (1, 0)
    >>> m.unmatched_targets
    ('V1-lh',)
    """
    check_option("rule", rule, _RULES)
    check_option("require", require, ("names", "both"))
    check_option("on_mismatch", on_mismatch, ("raise", "warn", "ignore"))
    if isinstance(region_names, str) or isinstance(targets, str):
        raise TypeError(f"region_names and targets must be sequences of names, got "
                        f"{type(region_names).__name__} and {type(targets).__name__} (a single str is not a list).")
    if not (isinstance(what, (tuple, list)) and len(what) == 2 and all(isinstance(w, str) for w in what)):
        raise TypeError(f"what must be a pair of str (names of the two sides), got {what!r}.")
    names = tuple(str(n) for n in region_names)
    tnames = tuple(_target_name(t, i) for i, t in enumerate(targets))
    match = RegionMatch(region_names=names, target_names=tnames, indices=tuple(_pair(names, tnames, rule)),
                        rule=rule, what=tuple(what))
    bad = not match.complete or (require == "both" and match.unmatched_targets)
    if bad and names and not match.matched_names:
        raise ValueError(f"No region of the {what[0]} matches the {what[1]}:\n{match.report}")
    if hint is not None:
        validate_type(hint, str, "hint")
    if bad and on_mismatch == "raise":
        if hint is None:
            hint = (f"Pass on_mismatch='ignore' to keep the {len(match.matched_names)} matched regions"
                    + (f", or require='names' to allow left-over {what[1]} regions." if require == "both" else "."))
        raise ValueError(f"Region names of the {what[0]} and the {what[1]} differ:\n{match.report}\n{hint}")
    if bad and on_mismatch == "warn":
        warnings.warn(f"Region names of the {what[0]} and the {what[1]} differ:\n{match.report}", RuntimeWarning,
                      stacklevel=3)
    logger.info("match_regions: %s", match.report)
    return match


def region_indices(region_names, target_names, *, match="names", what=("network", "head")):
    """Indices into ``target_names`` (e.g. a head's gain columns) for each of ``region_names``.

    Parameters
    ----------
    region_names : sequence of str
        Region names of the simulation (``network.region_names``), unique.
    target_names : sequence of str
        Region names of the columns, e.g. ``head.region_names``.
    match : {"names", "order"}
        ``"names"``: pick the columns by name, exactly (every region must be
        there; columns the network lacks are left out, logged at INFO);
        ``"order"``: take the columns as they are (only the number must agree).
    what : tuple of (str, str)
        Names of the two sides in the messages.

    Returns
    -------
    idx : ndarray of int, shape (n_regions,)
        ``gain[:, idx]`` has one column per region, in the order of ``region_names``.
    """
    check_option("match", match, ("names", "order"))
    a, b = what
    names = tuple(str(n) for n in region_names)
    tnames = tuple(str(n) for n in target_names)
    if match == "order" or names == tnames:
        if len(tnames) != len(names):
            raise ValueError(f"The {b} has {len(tnames)} regions but the {a} has {len(names)}; they must describe "
                             "the same regions.")
        return np.arange(len(tnames))
    if len(names) != len(set(names)):
        raise ValueError(f"region_names of the {a} must be unique to be matched to the {b} by name.")
    m = RegionMatch(names, tnames, tuple(_pair(names, tnames, "exact")), rule="exact", what=tuple(what))
    if m.unmatched_regions:
        missing, extra = list(m.unmatched_regions), list(m.unmatched_targets)
        raise ValueError(f"The {b}'s regions do not match the {a}'s: {len(missing)} {a} region(s) not in the {b} "
                         f"{missing[:10]}{' ...' if len(missing) > 10 else ''}; {len(extra)} {b} region(s) not in "
                         f"the {a} {extra[:10]}{' ...' if len(extra) > 10 else ''}. Build the {b} with "
                         f"region_names=connectome.region_names (name matching), or pass match='order' if both "
                         "are in the same order.")
    if m.unmatched_targets:
        logger.info("%d %s region(s) are not simulated and contribute nothing: %s", len(m.unmatched_targets), b,
                    list(m.unmatched_targets[:10]))
    return m.target_index
