"""Region-name matching (mne_nmm.adapters.regions): the one place where two lists of region names are paired.

References are hand-written pairings of small, unequal lists; no number printed by the code.
"""

import logging
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from mne_nmm.adapters.regions import RegionMatch, match_regions, region_indices, split_hemisphere, suggest_names


@pytest.mark.parametrize("name, expected", [
    ("precentral-lh", ("lh", "precentral")), ("lh.precentral", ("lh", "precentral")),
    ("ctx-rh-precentral", ("rh", "precentral")), ("Left-Hippocampus", ("lh", "hippocampus")),
    ("V1_R", ("rh", "v1")), ("r_lateralorbitofrontal", ("rh", "lateralorbitofrontal")),
    ("rPFCORB", ("rh", "pfcorb")), ("lV1", ("lh", "v1")), ("lingual", (None, "lingual")),
    ("Brain-Stem", (None, "brainstem")), ("Frontal_Sup_2_L", ("lh", "frontalsup2")),
])
def test_split_hemisphere(name, expected):
    assert split_hemisphere(name) == expected


def test_rules_pair_what_they_should():
    targets = ["precentral-rh", "insula-lh", "V1-lh", "Insula_R"]
    # exact: only identical strings
    m = match_regions(["V1-lh", "insula-lh"], targets, rule="exact")
    assert m.indices == (2, 1) and m.unmatched_targets == ("precentral-rh", "Insula_R")
    # normalize: case and punctuation do not count, hemisphere words do
    m = match_regions(["insula_r", "V1LH"], targets, rule="normalize")
    assert m.indices == (3, 2)
    # hemisphere (default): TVB-68 / AAL names against FreeSurfer label names
    m = match_regions(["r_precentral", "Insula_L", "lV1", "r_insula"], targets)
    assert m.indices == (0, 1, 2, 3) and m.one_to_one
    # order: by position, lengths must agree
    m = match_regions(["a", "b", "c", "d"], targets, rule="order")
    assert m.indices == (0, 1, 2, 3) and m.partner_names == tuple(targets)
    with pytest.raises(ValueError, match="rule='order'.*same length, got 2 region names and 4 targets"):
        match_regions(["a", "b"], targets, rule="order")


def test_exact_matches_win_and_targets_are_used_once():
    # "lA" would take "A-lh" by its key, but "A-lh" is claimed exactly by a later name: exact matches go first
    m = match_regions(["lA", "A-lh"], ["A-lh"], on_mismatch="ignore")
    assert m.indices == (None, 0)
    # an ambiguous key (two unused targets) leaves the name unmatched rather than guessing
    m = match_regions(["insula-l", "x"], ["Insula_L", "insula.lh", "x"], on_mismatch="ignore")
    assert m.indices == (None, 2)
    # duplicate names: the second one finds its target used
    m = match_regions(["x", "x"], ["x", "y"], on_mismatch="ignore")
    assert m.indices == (0, None) and m.unmatched_targets == ("y",)


def test_views_of_a_match_are_consistent():
    m = match_regions(["c", "zz", "a"], ["a", "b", "c"], rule="exact", on_mismatch="ignore")
    assert isinstance(m, RegionMatch)
    assert m.region_names == ("c", "zz", "a") and m.target_names == ("a", "b", "c")
    assert m.indices == (2, None, 0)
    assert m.matched_names == ("c", "a") and m.partner_names == ("c", None, "a")
    np.testing.assert_array_equal(m.region_index, [0, 2])
    np.testing.assert_array_equal(m.target_index, [2, 0])
    data = np.arange(6).reshape(2, 3)                # columns c, zz, a
    np.testing.assert_array_equal(data[:, m.region_index], [[0, 2], [3, 5]])
    assert m.unmatched_regions == ("zz",) and m.unmatched_targets == ("b",)
    assert not m.complete and not m.one_to_one
    assert m.region_index.dtype.kind == "i" and m.target_index.dtype.kind == "i"
    empty = match_regions([], ["a"], on_mismatch="ignore")
    assert empty.region_index.shape == (0,) and empty.complete and not empty.one_to_one


def test_require_and_on_mismatch():
    # left-over targets are fine by default, an error with require="both"
    m = match_regions(["a"], ["a", "b"], rule="exact")
    assert m.complete and m.unmatched_targets == ("b",)
    with pytest.raises(ValueError, match=r"(?s)1 target region\(s\) not in the data: 'b'.*require='names'"):
        match_regions(["a"], ["a", "b"], rule="exact", require="both")
    with pytest.warns(RuntimeWarning, match="1 data region\\(s\\) not in the atlas: 'c'"):
        match_regions(["a", "c"], ["a"], rule="exact", what=("data", "atlas"), on_mismatch="warn")
    m = match_regions(["a", "c"], ["a"], rule="exact", on_mismatch="ignore")
    assert m.matched_names == ("a",)
    for mode in ("raise", "warn", "ignore"):
        with pytest.raises(ValueError, match="No region of the data matches the target"):
            match_regions(["a"], ["b"], on_mismatch=mode)


def test_messages_name_both_sides_and_suggest(caplog):
    with pytest.raises(ValueError) as err:
        match_regions(["Insula_LL", "Cuneus_L"], ["Insula_L", "Cuneus_L", "Thalamus_L"], rule="exact",
                      what=("simulated", "empirical"))
    msg = str(err.value)
    assert "Region names of the simulated and the empirical differ" in msg
    assert "1 of 2 simulated regions matched one of the 3 empirical regions (rule 'exact')" in msg
    assert "'Insula_LL' (did you mean 'Insula_L'?)" in msg
    assert "2 empirical region(s) not in the simulated: 'Insula_L', 'Thalamus_L'" in msg
    assert "on_mismatch='ignore'" in msg
    assert suggest_names("Insula_LL", ["Cuneus_L"]) == ""
    with caplog.at_level(logging.INFO, logger="mne_nmm"):
        match_regions(["a"], ["a", "b"], rule="exact", verbose="INFO")
    assert "1 target region(s) not in the data: 'b'" in caplog.text


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="'rule' parameter.*'exact'.*got 'fuzzy'"):
        match_regions(["a"], ["a"], rule="fuzzy")
    with pytest.raises(ValueError, match="'require' parameter"):
        match_regions(["a"], ["a"], require="targets")
    with pytest.raises(ValueError, match="'on_mismatch' parameter.*got 'subset'"):
        match_regions(["a"], ["a"], on_mismatch="subset")
    with pytest.raises(TypeError, match="sequences of names, got str and list"):
        match_regions("abc", ["a"])
    with pytest.raises(TypeError, match=r"targets\[1\] must be a str or a named label \(mne.Label\), got int"):
        match_regions(["a"], ["a", 3])
    with pytest.raises(ValueError, match=r"targets\[0\] has no name"):
        match_regions(["a"], [SimpleNamespace(name="")])
    with pytest.raises(TypeError, match="what must be a pair of str"):
        match_regions(["a"], ["a"], what="atlas")


def test_labels_are_matched_by_their_name_without_importing_mne():
    labels = [SimpleNamespace(name="precentral-rh"), SimpleNamespace(name="insula-lh")]
    m = match_regions(["l_insula", "r_precentral"], labels, what=("connectome", "labels"))
    assert m.indices == (1, 0) and m.target_names == ("precentral-rh", "insula-lh")


def test_region_indices_for_gain_columns(caplog):
    head = ("c", "a", "b", "d")
    # names: the network's regions pick the head's columns, extra head regions are logged
    with caplog.at_level(logging.INFO, logger="mne_nmm"):
        idx = region_indices(["a", "b", "c"], head)
    np.testing.assert_array_equal(idx, [1, 2, 0])
    assert idx.dtype.kind == "i"
    assert "1 head region(s) are not simulated and contribute nothing: ['d']" in caplog.text
    gain = np.arange(8.0).reshape(2, 4)
    np.testing.assert_array_equal(gain[:, idx], gain[:, [1, 2, 0]])
    # identical lists and order mode: the columns as they are
    np.testing.assert_array_equal(region_indices(head, head), np.arange(4))
    np.testing.assert_array_equal(region_indices(["w", "x", "y", "z"], head, match="order"), np.arange(4))
    with pytest.raises(ValueError, match="The head has 4 regions but the network has 2; they must describe the same"):
        region_indices(["w", "x"], head, match="order")
    with pytest.raises(ValueError, match=r"The head's regions do not match the network's: 1 network region\(s\) not "
                                         r"in the head \['q'\]; 2 head region\(s\) not in the network \['c', 'd'\]. "
                                         r"Build the head with region_names=connectome.region_names"):
        region_indices(["a", "q", "b"], head)
    with pytest.raises(ValueError, match="region_names of the network must be unique"):
        region_indices(["a", "a"], head)
    with pytest.raises(ValueError, match="'match' parameter"):
        region_indices(["a"], head, match="exact")
    # region_indices is exact: hemisphere spelling does not count for gain columns
    with pytest.raises(ValueError, match="not in the head"):
        region_indices(["lh.a"], ("a-lh",))


def test_regions_module_imports_no_edge_package():
    import subprocess

    code = ("import sys, mne_nmm.adapters.regions; "
            "print(sorted(m for m in ('mne', 'nilearn', 'nibabel') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
