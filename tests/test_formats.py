"""Connectome readers: each format is written by hand here in its documented layout and read back.

Layouts (see mne_nmm/adapters/formats.py for the references):
* MRtrix3 tck2connectome: numeric rows, "#" comment lines, row i = node i + 1, upper triangle unless
  -symmetric; the labelconvert LUT (fs_default.txt style: index short_name FreeSurfer_name R G B A).
* DSI Studio *.connectivity.mat: connectivity (n, n), name (newline-separated uint8/char), atlas.
* QSIRecon *_connectivity.mat: <atlas>_region_ids, <atlas>_region_labels, <atlas>_<measure>_connectivity.
* plain CSV/TSV/NPY pair + label file (one name per line or a dseg.tsv).
"""

import numpy as np
import pytest

from mne_nmm import Connectome
from mne_nmm.adapters.formats import (centres_from_image, read_connectome, read_dsistudio_connectome, read_label_file,
                                      read_lut, read_matrix_files, read_mrtrix_connectome, read_qsirecon_connectome,
                                      write_mrtrix_connectome)

NAMES = ["ctx-lh-precentral", "ctx-lh-insula", "ctx-rh-cuneus", "ctx-rh-precentral", "Left-Thalamus"]
SHORT = ["L.PrCG", "L.Ins", "R.Cun", "R.PrCG", "L.Thal"]


@pytest.fixture
def sym5():
    r = np.random.default_rng(3)
    w = np.round(r.uniform(0, 50, (5, 5)), 3)
    w = np.triu(w, 1)
    w = w + w.T
    lengths = np.round(r.uniform(10, 120, (5, 5)), 2)
    lengths = np.triu(lengths, 1)
    lengths = lengths + lengths.T
    return w, lengths


def _write_rows(path, mat, delim, comment=True):
    with open(path, "w") as fh:
        if comment:
            fh.write("# command_history: tck2connectome tracks.tck nodes.mif out.csv  (version=3.0.4)\n")
        for row in mat:
            fh.write(delim.join(f"{v:.6g}" for v in row) + "\n")


def _write_fs_default(path, names, short):
    with open(path, "w") as fh:
        fh.write("# Lookup table file to accompany connectome (labelconvert output)\n")
        fh.write("# index  short_name  FreeSurfer_name  R G B A\n")
        for i, (s, n) in enumerate(zip(short, names), start=1):
            fh.write(f"{i:4d}    {s:8s}  {n:28s} {i * 10} {200 - i} 40 255\n")


@pytest.mark.parametrize("delim", [",", " ", "\t"])
def test_mrtrix_upper_triangle_with_lut_and_lengths(tmp_path, sym5, delim):
    w, lengths = sym5
    w_diag = w.copy()
    w_diag[2, 2] = 7.0  # a self-connection: zeroed and recorded
    _write_rows(tmp_path / "w.csv", np.triu(w_diag), delim)         # tck2connectome default: upper triangle only
    _write_rows(tmp_path / "len.csv", np.triu(lengths), delim)
    _write_fs_default(tmp_path / "fs_default.txt", NAMES, SHORT)
    con = read_mrtrix_connectome(tmp_path / "w.csv", lengths=tmp_path / "len.csv", lut=tmp_path / "fs_default.txt")
    np.testing.assert_allclose(con.weights, w)                    # mirrored to symmetric, diagonal zeroed
    np.testing.assert_allclose(con.tract_lengths_mm, lengths)
    assert con.region_names == tuple(NAMES)
    changes = " ".join(con.info["changes"])
    assert "mirrored" in changes and "zeroed the 1 non-zero self-connection" in changes
    assert con.info["lengths_source"].startswith("length matrix")
    short = read_mrtrix_connectome(tmp_path / "w.csv", lut=tmp_path / "fs_default.txt", name_column="short")
    assert short.region_names == tuple(SHORT)


def test_mrtrix_symmetric_keep_unassigned_and_errors(tmp_path, sym5):
    w, _ = sym5
    big = np.zeros((6, 6))
    big[1:, 1:] = w
    big[0, 3] = big[3, 0] = 99.0  # node 0 (unassigned) row
    _write_rows(tmp_path / "w.csv", big, ",")
    con = read_mrtrix_connectome(tmp_path / "w.csv", keep_unassigned=True)
    np.testing.assert_allclose(con.weights, w)
    assert con.region_names == ("node1", "node2", "node3", "node4", "node5")
    assert con.info["lengths_source"] == "none"
    assert np.all(con.tract_lengths_mm == 0)
    # a LUT lacking a node
    _write_fs_default(tmp_path / "lut.txt", NAMES[:4], SHORT[:4])
    _write_rows(tmp_path / "w5.csv", w, ",")
    with pytest.raises(ValueError, match=r"no entry for node index\(es\) \[5\]"):
        read_mrtrix_connectome(tmp_path / "w5.csv", lut=tmp_path / "lut.txt")
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n4,x,6\n7,8,9\n")
    with pytest.raises(ValueError, match=r"line 2: 'x' is not a number"):
        read_mrtrix_connectome(bad)
    bad.write_text("1,2\n3,4,5\n")
    with pytest.raises(ValueError, match="different numbers of values"):
        read_mrtrix_connectome(bad)
    bad.write_text("1,-2\n-2,4\n")
    with pytest.raises(ValueError, match="negative value"):
        read_mrtrix_connectome(bad)


def test_lengths_from_nodes_image_centres(tmp_path, sym5):
    nib = pytest.importorskip("nibabel")
    w, _ = sym5
    data = np.zeros((10, 8, 6), dtype=np.int16)
    boxes = {1: (slice(0, 2), slice(0, 2), slice(0, 2)), 2: (slice(5, 7), slice(0, 3), slice(0, 1)),
             3: (slice(8, 10), slice(6, 8), slice(4, 6)), 4: (slice(0, 1), slice(7, 8), slice(5, 6)),
             5: (slice(4, 6), slice(4, 6), slice(2, 4))}
    for k, b in boxes.items():
        data[b] = k
    affine = np.diag([2.0, 2.0, 3.0, 1.0])
    affine[:3, 3] = [-10, 5, 1]
    nib.save(nib.Nifti1Image(data, affine), tmp_path / "nodes.nii.gz")
    _write_rows(tmp_path / "w.csv", w, " ")
    con = read_mrtrix_connectome(tmp_path / "w.csv", nodes_img=tmp_path / "nodes.nii.gz")
    # expected centres: box centres by hand, in world mm
    vox = np.array([[0.5, 0.5, 0.5], [5.5, 1.0, 0.0], [8.5, 6.5, 4.5], [0.0, 7.0, 5.0], [4.5, 4.5, 2.5]])
    centres = vox * [2.0, 2.0, 3.0] + [-10, 5, 1]
    np.testing.assert_allclose(con.centres_mm, centres)
    np.testing.assert_allclose(con.tract_lengths_mm[0, 2], np.linalg.norm(centres[0] - centres[2]))
    assert con.info["lengths_source"] == "region centres (Euclidean distance)"
    assert any("straight-line distance" in c for c in con.info["changes"])
    np.testing.assert_allclose(centres_from_image(tmp_path / "nodes.nii.gz", [3]), centres[[2]])
    with pytest.raises(ValueError, match=r"no voxel with label value\(s\) \[9\]"):
        centres_from_image(tmp_path / "nodes.nii.gz", [9])


def test_dsistudio_mat(tmp_path, sym5):
    from scipy.io import savemat

    w, lengths = sym5
    names = "\n".join(NAMES) + "\n"
    savemat(tmp_path / "a.connectivity.mat", {"connectivity": w, "name": np.frombuffer(names.encode(), np.uint8)[None],
                                              "atlas": "FreeSurferDKT"})
    savemat(tmp_path / "len.connectivity.mat", {"connectivity": lengths, "name": np.frombuffer(names.encode(),
                                                                                               np.uint8)[None]})
    con = read_dsistudio_connectome(tmp_path / "a.connectivity.mat", lengths=tmp_path / "len.connectivity.mat")
    np.testing.assert_allclose(con.weights, w)
    np.testing.assert_allclose(con.tract_lengths_mm, lengths)
    assert con.region_names == tuple(NAMES)
    assert con.info["atlas"] == "FreeSurferDKT"
    # a char-array name (MATLAB string) and the auto dispatch
    savemat(tmp_path / "b.mat", {"connectivity": w, "name": names})
    con2 = read_connectome(tmp_path / "b.mat", centres_mm=np.arange(15.0).reshape(5, 3))
    assert con2.region_names == tuple(NAMES) and con2.info["format"].startswith("dsistudio")
    savemat(tmp_path / "c.mat", {"foo": w})
    with pytest.raises(ValueError, match="cannot tell the format"):
        read_connectome(tmp_path / "c.mat")


def test_qsirecon_mat_and_tsv(tmp_path, sym5):
    from scipy.io import savemat

    w, lengths = sym5
    labels = np.array(NAMES, dtype=object)
    d = {"aparc_region_ids": np.arange(1, 6), "aparc_region_labels": labels,
         "aparc_sift_radius2_count_connectivity": w, "aparc_radius2_count_connectivity": 2 * w,
         "aparc_radius2_meanlength_connectivity": lengths,
         "schaefer_region_labels": np.array(["a", "b"], dtype=object), "schaefer_radius2_count_connectivity": np.eye(2)}
    savemat(tmp_path / "sub-01_connectivity.mat", d)
    with pytest.raises(ValueError, match="holds 2 atlases"):
        read_qsirecon_connectome(tmp_path / "sub-01_connectivity.mat")
    with pytest.raises(ValueError, match="holds 2 weight measures"):
        read_qsirecon_connectome(tmp_path / "sub-01_connectivity.mat", atlas="aparc")
    con = read_connectome(tmp_path / "sub-01_connectivity.mat", atlas="aparc", measure="radius2_count")
    np.testing.assert_allclose(con.weights, 2 * w)
    np.testing.assert_allclose(con.tract_lengths_mm, lengths)
    assert con.region_names == tuple(NAMES)
    assert con.info["region_ids"] == [1, 2, 3, 4, 5]
    # BIDS-style TSV: header row of names
    with open(tmp_path / "relmat.tsv", "w") as fh:
        fh.write("\t".join(NAMES) + "\n")
        for row in w:
            fh.write("\t".join(f"{v:.6g}" for v in row) + "\n")
    con = read_qsirecon_connectome(tmp_path / "relmat.tsv")
    np.testing.assert_allclose(con.weights, w)
    assert con.region_names == tuple(NAMES)


def test_plain_pair_npy_csv_with_label_files(tmp_path, small_connectome):
    c = small_connectome
    np.save(tmp_path / "w.npy", c.weights)
    np.save(tmp_path / "l.npy", c.tract_lengths_mm)
    (tmp_path / "labels.txt").write_text("\n".join(c.region_names) + "\n")
    con = read_connectome(tmp_path / "w.npy", lengths=tmp_path / "l.npy", labels=tmp_path / "labels.txt")
    np.testing.assert_array_equal(con.weights, c.weights)     # directed: kept as is (symmetrize="never")
    np.testing.assert_array_equal(con.tract_lengths_mm, c.tract_lengths_mm)
    assert con.region_names == c.region_names
    # CSV with header + row names, dseg.tsv labels
    with open(tmp_path / "w.csv", "w") as fh:
        fh.write("region," + ",".join(c.region_names) + "\n")
        for n, row in zip(c.region_names, c.weights):
            fh.write(n + "," + ",".join(repr(float(v)) for v in row) + "\n")
    con = read_matrix_files(tmp_path / "w.csv")
    np.testing.assert_array_equal(con.weights, c.weights)
    assert con.region_names == c.region_names
    (tmp_path / "dseg.tsv").write_text("index\tname\n" + "".join(f"{i}\tX{i}\n" for i in (5, 1, 3, 2, 4)))
    assert read_label_file(tmp_path / "dseg.tsv") == ["X1", "X2", "X3", "X4", "X5"]
    with pytest.raises(ValueError, match="5 region names for a 4 x 4"):
        np.save(tmp_path / "w4.npy", c.weights[:4, :4])
        read_matrix_files(tmp_path / "w4.npy", labels=tmp_path / "labels.txt")


def test_read_lut_variants(tmp_path):
    (tmp_path / "FreeSurferColorLUT.txt").write_text(
        "#$Id: FreeSurferColorLUT.txt\n\n0   Unknown                           0   0   0   0\n"
        "1024  ctx-lh-precentral              60  20 220   0\n2024  ctx-rh-precentral  60 20 220 0\n")
    assert read_lut(tmp_path / "FreeSurferColorLUT.txt") == {0: "Unknown", 1024: "ctx-lh-precentral",
                                                            2024: "ctx-rh-precentral"}
    (tmp_path / "basic.txt").write_text("1 A\n2 B\n")
    assert read_lut(tmp_path / "basic.txt") == {1: "A", 2: "B"}
    (tmp_path / "dup.txt").write_text("1 A\n1 B\n")
    with pytest.raises(ValueError, match="index 1 appears twice"):
        read_lut(tmp_path / "dup.txt")


def test_write_mrtrix_round_trip(tmp_path, small_connectome):
    c = Connectome(small_connectome.symmetrized().weights, small_connectome.tract_lengths_mm,
                   region_names=small_connectome.region_names)
    write_mrtrix_connectome(c, tmp_path / "w.csv", lengths=tmp_path / "l.csv", lut=tmp_path / "lut.txt",
                            upper_triangle=True)
    assert (tmp_path / "w.csv").read_text().startswith("#")
    con = read_connectome(tmp_path / "w.csv", lengths=tmp_path / "l.csv", lut=tmp_path / "lut.txt")
    np.testing.assert_allclose(con.weights, c.weights)
    np.testing.assert_allclose(con.tract_lengths_mm, c.tract_lengths_mm)
    assert con.region_names == c.region_names
    assert list(tmp_path.glob(".*tmp*")) == []
