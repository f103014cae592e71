"""Tests for mne_nmm.connectome.Connectome (small unequal fixtures, hand-computed references)."""

import logging

import numpy as np
import pytest

from mne_nmm.connectome import Connectome, record_change

N = 5


@pytest.fixture
def con():
    rng = np.random.default_rng(0)
    w = rng.uniform(0, 2, (N, N)) * (rng.uniform(size=(N, N)) > 0.3)
    np.fill_diagonal(w, [1.0, 0.0, 0.5, 0.0, 0.0])
    lengths = rng.uniform(10, 100, (N, N))
    return Connectome(weights=w, tract_lengths_mm=lengths, region_names=["a", "b", "c", "d", "e"],
                      centres_mm=rng.normal(size=(N, 3)) * 30, hemispheres=[1, 1, 0, 0, 1],
                      coordinate_frame="mni", name="toy", info={"cortical": np.array([1, 1, 0, 1, 0], bool)})


# -- validation ------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(weights=np.ones((3, 4))), ValueError, r"weights must be square \(n_regions, n_regions\), got shape \(3, 4\)"),
    (dict(weights=np.ones(3)), ValueError, r"weights must be a 2D array, got 1D array of shape \(3,\)"),
    (dict(weights=np.zeros((0, 0))), ValueError, "at least one region"),
    (dict(weights=[[0, np.nan], [1, 0]]), ValueError, r"weights must contain only finite values.*index \(0, 1\)"),
    (dict(weights=[[0, -1.0], [1, 0]]), ValueError, r"weights must be non-negative.*index \(0, 1\), value"),
    (dict(weights=[["a", "b"], ["c", "d"]]), TypeError, "weights must be array-like of numbers"),
    (dict(weights=np.ones((3, 3)), tract_lengths_mm=np.ones((3, 2))), ValueError,
     r"tract_lengths_mm must have shape \(3, 3\), got shape \(3, 2\)"),
    (dict(weights=np.ones((3, 3)), tract_lengths_mm=-np.ones((3, 3))), ValueError, "tract_lengths_mm must be non-negative"),
    (dict(weights=np.ones((3, 3)), region_names=["a", "b"]), ValueError,
     r"region_names must have one name per region \(3\), got 2"),
    (dict(weights=np.ones((3, 3)), region_names=["a", "b", "a"]), ValueError,
     r"region_names must be unique, got duplicates \['a'\]"),
    (dict(weights=np.ones((3, 3)), centres_mm=np.ones((3, 2))), ValueError,
     r"centres_mm must have shape \(3, 3\), got shape \(3, 2\)"),
    (dict(weights=np.ones((3, 3)), centres_mm=[[0, 0, np.inf]] * 3), ValueError, "centres_mm must contain only finite"),
    (dict(weights=np.ones((3, 3)), hemispheres=[True, False]), ValueError, r"hemispheres must have shape \(3,\), got \(2,\)"),
    (dict(weights=np.ones((3, 3)), hemispheres=[0, 1, 2]), ValueError, "hemispheres must be booleans"),
    (dict(weights=np.ones((3, 3)), coordinate_frame=None), TypeError, "coordinate_frame must be a str"),
    (dict(weights=np.ones((3, 3)), info=[]), TypeError, "info must be a dict, got list"),
])
def test_validation_messages(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Connectome(**kwargs)


def test_defaults_and_immutability():
    c = Connectome(weights=np.eye(3))
    assert c.region_names == ("r0", "r1", "r2")
    np.testing.assert_array_equal(c.tract_lengths_mm, np.zeros((3, 3)))
    assert c.centres_mm is None and c.hemispheres is None and c.coordinate_frame == "unknown"
    assert c.density == 0.0  # only self-connections
    with pytest.raises(ValueError, match="read-only"):
        c.weights[0, 0] = 2.0
    with pytest.raises(AttributeError):
        c.weights = np.ones((3, 3))
    w = np.ones((2, 2))
    c2 = Connectome(weights=w)
    w[0, 0] = 7.0  # the connectome holds its own copy
    assert c2.weights[0, 0] == 1.0
    np.testing.assert_array_equal(Connectome(weights=np.ones((2, 2)), hemispheres=[1.0, 0.0]).hemispheres, [True, False])


def test_density(con):
    w = con.weights
    off = w[~np.eye(N, dtype=bool)]
    assert con.density == pytest.approx(np.count_nonzero(off) / (N * N - N))


# -- derived connectomes ------------------------------------------------------------
def test_without_self_connections_records_and_logs(con, caplog):
    with caplog.at_level(logging.INFO, logger="mne_nmm"):
        c = con.without_self_connections()
    np.testing.assert_array_equal(np.diag(c.weights), 0.0)
    off = ~np.eye(N, dtype=bool)
    np.testing.assert_array_equal(c.weights[off], con.weights[off])
    np.testing.assert_array_equal(c.tract_lengths_mm, con.tract_lengths_mm)
    assert c.info["changes"] == ["diagonal of weights set to zero (2 of 5 entries were non-zero)"]
    assert "diagonal of weights set to zero" in caplog.text
    assert "changes" not in con.info  # the original is untouched
    c2 = c.normalized("max")
    assert len(c2.info["changes"]) == 2 and len(c.info["changes"]) == 1  # no shared list


@pytest.mark.parametrize("method", ["max", "sum", "row", "log1p"])
def test_normalized(con, method):
    w = con.weights
    c = con.normalized(method)
    if method == "max":
        expected = w / w.max()
    elif method == "sum":
        expected = w / w.sum()
    elif method == "row":
        expected = w / w.sum(axis=1, keepdims=True)
    else:
        expected = np.log1p(w) / np.log1p(w).max()
    np.testing.assert_allclose(c.weights, expected)
    assert c.info["changes"] == [f"weights normalized ({method})"]
    with pytest.raises(ValueError, match="'method' parameter.*got 'l2'"):
        con.normalized("l2")


def test_normalized_row_with_empty_row():
    w = np.array([[0.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(Connectome(weights=w).normalized("row").weights,
                                  [[0, 0.5, 0.5], [0, 0, 0], [1, 0, 0]])


def test_subset(con):
    c = con.subset(["d", 0, -1])
    idx = [3, 0, 4]
    assert c.region_names == ("d", "a", "e")
    np.testing.assert_array_equal(c.weights, con.weights[np.ix_(idx, idx)])
    np.testing.assert_array_equal(c.tract_lengths_mm, con.tract_lengths_mm[np.ix_(idx, idx)])
    np.testing.assert_array_equal(c.centres_mm, con.centres_mm[idx])
    np.testing.assert_array_equal(c.hemispheres, [False, True, True])
    np.testing.assert_array_equal(c.info["cortical"], [True, True, False])  # per-region info follows
    assert c.info["changes"] == ["subset to 3 of 5 regions"]
    assert c.coordinate_frame == "mni" and c.name == "toy"
    with pytest.raises(ValueError, match="regions contains 'z', which is not a region"):
        con.subset(["a", "z"])
    with pytest.raises(ValueError, match="regions contains index 5, out of range for 5 regions"):
        con.subset([5])
    with pytest.raises(TypeError, match="regions must be a sequence"):
        con.subset("abc")
    with pytest.raises(TypeError, match="regions must contain region names"):
        con.subset([1.5])
    with pytest.raises(ValueError, match="at least one region"):
        con.subset([])


def test_symmetrized(con):
    c = con.symmetrized()
    np.testing.assert_allclose(c.weights, (con.weights + con.weights.T) / 2)
    np.testing.assert_allclose(c.weights, c.weights.T)
    np.testing.assert_allclose(c.tract_lengths_mm, (con.tract_lengths_mm + con.tract_lengths_mm.T) / 2)
    (change,) = c.info["changes"]
    assert change.startswith("weights and tract lengths symmetrized")


def test_record_change(caplog):
    info = {}
    with caplog.at_level(logging.INFO, logger="mne_nmm"):
        record_change(info, "something changed")
    assert info == {"changes": ["something changed"]} and "something changed" in caplog.text


def test_repr(con):
    r = repr(con)
    assert "'toy'" in r and "5 regions" in r and "'mni' frame" in r
