"""Tests for mne_nmm.adapters.tvb.read_tvb_connectivity."""

import bz2
import io
import os
import zipfile

import numpy as np
import pytest

from mne_nmm.adapters.tvb import read_tvb_connectivity

# -- a hand-made TVB zip -----------------------------------------------------------
NAMES = ["rA", "rB", "lA", "lB"]
W = np.array([[0.5, 1.0, 0.0, 2.0],
              [0.25, 0.0, 3.0, 0.0],
              [0.0, 1.5, 0.0, 0.125],
              [4.0, 0.0, 0.75, 1.0]])  # asymmetric, non-zero diagonal
L = np.array([[0.0, 10.5, 20.0, 30.25],
              [11.0, 0.0, 12.0, 13.0],
              [21.0, 12.5, 0.0, 14.0],
              [30.0, 13.5, 14.5, 0.0]])
C = np.array([[10.0, -20.5, 3.0], [1.0, 2.0, 3.0], [-7.25, 8.0, 9.0], [0.0, 0.0, -1.5]])
CORTICAL = np.array([1, 0, 1, 1])
AREAS = np.array([100.5, 0.0, 250.0, 12.0])
HEMI = np.array([1, 1, 0, 0])


def _matrix_text(a):
    buf = io.StringIO()
    np.savetxt(buf, a, fmt="%.17g")
    return buf.getvalue()


def _centres_text(names, c, extra=""):
    return "".join(f"{n} {float(x)!r} {float(y)!r} {float(z)!r}{extra}\n" for n, (x, y, z) in zip(names, c))


def _write_zip(path, members):
    """members: dict name -> str | bytes; names ending in .bz2 are compressed here."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            data = content.encode() if isinstance(content, str) else content
            if name.endswith(".bz2") and isinstance(content, str):
                data = bz2.compress(data)
            zf.writestr(name, data)
    return path


def _good_members(folder="conn/"):
    return {
        f"{folder}weights.txt": _matrix_text(W),
        f"{folder}tract_lengths.txt.bz2": _matrix_text(L),
        f"{folder}centres.txt": _centres_text(NAMES, C),
        f"{folder}cortical.txt": "\n".join(str(v) for v in CORTICAL) + "\n",
        f"{folder}areas.txt": "\n".join(repr(float(v)) for v in AREAS) + "\n",
        f"{folder}hemispheres.txt": " ".join(str(v) for v in HEMI),
        f"{folder}info.txt": 'weights_unit = "au"\nlength_unit = "mm"area_unit = "mm^2"',
    }


def test_handmade_zip_round_trip(tmp_path):
    path = _write_zip(tmp_path / "small.zip", _good_members())
    con = read_tvb_connectivity(path)
    assert con.name == "small"
    assert con.n_regions == 4
    np.testing.assert_array_equal(con.weights, W)  # as stored: no transpose, diagonal kept
    np.testing.assert_array_equal(con.tract_lengths_mm, L)  # the .bz2 member
    np.testing.assert_array_equal(con.centres_mm, C)
    assert con.region_names == tuple(NAMES)
    np.testing.assert_array_equal(con.hemispheres, HEMI.astype(bool))
    np.testing.assert_array_equal(con.info["cortical"], CORTICAL.astype(bool))
    np.testing.assert_array_equal(con.info["areas_mm2"], AREAS)
    assert con.info["units"] == {"weights_unit": "au", "length_unit": "mm", "area_unit": "mm^2"}
    assert con.info["info_txt"].startswith("weights_unit")
    assert con.info["hemispheres_source"].endswith("hemispheres.txt")
    assert con.info["changes"] == []
    assert con.coordinate_frame == "unknown"
    assert os.path.samefile(con.info["source"], path)


def test_handmade_zip_minimal_and_rules(tmp_path):
    # no tract lengths (recorded as a change), suffix-named hemispheres, trailing None column
    names = ["X_R", "Y_R", "X_L", "Y_L"]
    members = {"weights.txt.bz2": _matrix_text(W), "centres.txt": _centres_text(names, C, extra=" None")}
    con = read_tvb_connectivity(_write_zip(tmp_path / "m.zip", members), name="mini", coordinate_frame="tvb")
    assert con.name == "mini" and con.coordinate_frame == "tvb"
    np.testing.assert_array_equal(con.weights, W)
    np.testing.assert_array_equal(con.tract_lengths_mm, 0.0)
    assert any("tract lengths set to zero" in c for c in con.info["changes"])
    assert any("None" in n for n in con.info["notes"])
    np.testing.assert_array_equal(con.hemispheres, [True, True, False, False])
    assert "suffix" in con.info["hemispheres_source"]
    # names with neither prefix nor suffix: hemispheres unknown, not guessed
    members["centres.txt"] = _centres_text(["a", "b", "c", "d"], C)
    con = read_tvb_connectivity(_write_zip(tmp_path / "n.zip", members))
    assert con.hemispheres is None
    # no centres at all
    con = read_tvb_connectivity(_write_zip(tmp_path / "w.zip", {"weights.txt": _matrix_text(W)}))
    assert con.centres_mm is None and con.region_names == ("r0", "r1", "r2", "r3")


def test_hemisphere_prefix_rule(tmp_path):
    con = read_tvb_connectivity(_write_zip(tmp_path / "p.zip", {
        "weights.txt": _matrix_text(W), "centres.txt": _centres_text(["rX", "Rfoo", "lX", "L_bar"], C)}))
    np.testing.assert_array_equal(con.hemispheres, [True, True, False, False])
    assert "prefix" in con.info["hemispheres_source"]


@pytest.mark.parametrize("members, match", [
    ({"weights.txt.bz2": b"this is not bzip2"}, "not valid bzip2 data"),
    ({"centres.txt": _centres_text(NAMES, C)}, "has no weights member"),
    ({"weights.txt": _matrix_text(W[:, :3])}, r"must be a square \(n_regions, n_regions\) matrix, got shape \(4, 3\)"),
    ({"weights.txt": "1 2\n3 x\n"}, "could not parse 'weights.txt'"),
    ({"weights.txt": _matrix_text(W), "tract_lengths.txt": _matrix_text(L[:3, :3])},
     r"must have the shape of the weights \(4, 4\), got \(3, 3\)"),
    ({"weights.txt": _matrix_text(W), "centres.txt": _centres_text(NAMES[:3], C[:3])},
     r"one line per region \(4\), got 3"),
    ({"weights.txt": _matrix_text(W), "centres.txt": "rA 1 2\nrB 1 2 3\nlA 1 2 3\nlB 1 2 3\n"},
     "line 1 of 'centres.txt'.*must read 'name x y z'"),
    ({"weights.txt": _matrix_text(W), "centres.txt": _centres_text(NAMES, C, extra=" 7")}, "must read 'name x y z'"),
    ({"weights.txt": _matrix_text(W), "cortical.txt": "1 0 2 1"}, "must hold 0/1 flags"),
    ({"weights.txt": _matrix_text(W), "areas.txt": "1 2 3"}, r"one value per region \(4\), got 3"),
    ({"weights.txt": _matrix_text(np.where(W == 0.5, np.nan, W))},
     "does not hold a valid connectome: weights must contain only finite values"),
    ({"weights.txt": _matrix_text(-W)}, "does not hold a valid connectome: weights must be non-negative"),
    ({"weights.txt": _matrix_text(W), "centres.txt": _centres_text(["rA", "rA", "lA", "lB"], C)},
     "region_names must be unique"),
    ({"weights.txt": _matrix_text(W), "a/weights.txt.bz2": _matrix_text(W)}, "has two weights members"),
])
def test_bad_zip_members(tmp_path, members, match):
    path = _write_zip(tmp_path / "bad.zip", members)
    with pytest.raises(ValueError, match=match) as err:
        read_tvb_connectivity(path)
    assert "bad.zip" in str(err.value)  # the message names the file


def test_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_tvb_connectivity(tmp_path / "missing.zip")
    txt = tmp_path / "weights.txt"
    txt.write_text(_matrix_text(W))
    with pytest.raises(ValueError, match="not a ZIP archive"):
        read_tvb_connectivity(txt)
    with pytest.raises(TypeError, match="path must be an instance of"):
        read_tvb_connectivity(42)


# -- the zips shipped with tvb-data ----------------------------------------------
def _tvb_zip(n):
    tvb_data = pytest.importorskip("tvb_data")
    return os.path.join(os.path.dirname(tvb_data.__file__), "connectivity", f"connectivity_{n}.zip")


def _independent_read(path, stem):
    """Read one matrix member with zipfile + numpy only (independent reference)."""
    with zipfile.ZipFile(path) as zf:
        (member,) = [m for m in zf.namelist() if m.rsplit("/", 1)[-1].startswith(stem + ".txt")]
        raw = zf.read(member)
    if member.endswith(".bz2"):
        raw = bz2.decompress(raw)
    return np.loadtxt(io.BytesIO(raw))


@pytest.mark.realdata
@pytest.mark.parametrize("n", [66, 68, 76, 96, 192])
def test_shipped_tvb_zips(n):
    path = _tvb_zip(n)
    con = read_tvb_connectivity(path)
    assert con.n_regions == n
    assert con.weights.shape == con.tract_lengths_mm.shape == (n, n)
    assert con.centres_mm.shape == (n, 3)
    assert len(con.region_names) == n
    np.testing.assert_array_equal(con.weights, _independent_read(path, "weights"))
    np.testing.assert_array_equal(con.tract_lengths_mm, _independent_read(path, "tract_lengths"))
    # every set has as many right as left regions
    assert con.hemispheres.sum() == n // 2
    if n in (76, 96, 192):
        assert con.info["cortical"].shape == (n,) and con.info["areas_mm2"].shape == (n,)
        assert con.info["units"]["length_unit"] == "mm"


@pytest.mark.realdata
def test_shipped_zip_facts():
    """Facts stated in DATA_NOTES.md."""
    c66 = read_tvb_connectivity(_tvb_zip(66))
    assert any("None" in note for note in c66.info["notes"])  # trailing None column
    c68 = read_tvb_connectivity(_tvb_zip(68))
    assert all(m.endswith(".bz2") for k, m in c68.info["members"].items() if k != "average_orientations")
    np.testing.assert_array_equal(c68.weights, c68.weights.T)  # symmetric
    assert 0.11 < c68.weights.max() < 0.13
    assert c68.region_names[0] == "r_lateralorbitofrontal"
    c76 = read_tvb_connectivity(_tvb_zip(76))
    # weights "ordinal 0..3": max 3 and almost all entries whole numbers (0.6% are not)
    assert c76.weights.max() == 3.0
    assert np.mean(np.round(c76.weights) == c76.weights) > 0.99
    assert np.count_nonzero(np.diag(c76.weights)) > 0  # diagonal non-zero as stored
    assert not np.array_equal(c76.weights, c76.weights.T)
    assert 150 < c76.tract_lengths_mm.max() < 155
    np.testing.assert_array_equal(c76.hemispheres, [True] * 38 + [False] * 38)  # 38 right first
    c192 = read_tvb_connectivity(_tvb_zip(192))
    np.testing.assert_array_equal(c192.hemispheres, [False] * 96 + [True] * 96)  # left first
    _, counts = np.unique(c192.centres_mm, axis=0, return_counts=True)
    assert counts.max() - 1 == 115  # 115 duplicate centres
    assert any("share a centre" in note for note in c192.info["notes"])
