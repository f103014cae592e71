"""Connectome readers: each format is written by hand here in its documented layout and read back.

Layouts (see mne_nmm/adapters/formats.py for the references):
* MRtrix3 tck2connectome: numeric rows, "#" comment lines, row i = node i + 1, upper triangle unless
  -symmetric; the labelconvert LUT (fs_default.txt style: index short_name FreeSurfer_name R G B A).
* DSI Studio *.connectivity.mat: connectivity (n, n), name (newline-separated uint8/char), atlas.
* QSIRecon *_connectivity.mat: <atlas>_region_ids, <atlas>_region_labels, <atlas>_<measure>_connectivity.
* plain CSV/TSV/NPY pair + label file (one name per line or a dseg.tsv).

The tests at the end ("as the tools write them") rebuild each layout from the tools' own writing code, read
at the commits cited in each test (MRtrix3/mrtrix3, frankyeh/DSI-Studio, PennLINC/qsirecon).
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
    assert not any(ln.startswith("#") for ln in (tmp_path / "w.csv").read_text().splitlines())  # as tck2connectome
    con = read_connectome(tmp_path / "w.csv", lengths=tmp_path / "l.csv", lut=tmp_path / "lut.txt")
    np.testing.assert_allclose(con.weights, c.weights)
    np.testing.assert_allclose(con.tract_lengths_mm, c.tract_lengths_mm)
    assert con.region_names == c.region_names
    assert list(tmp_path.glob(".*tmp*")) == []


# ------------------------------------------------------------------------------------------------
# the layouts as the tools write them (from the tools' writing code, at the commits cited)
# ------------------------------------------------------------------------------------------------
def _tck2connectome_save(path, full, *, symmetric=False, zero_diagonal=False, keep_unassigned=False):
    """MRtrix3 ``Matrix<T>::save`` (MRtrix3/mrtrix3 a4077b82190706373660d2a43e9329f2590d3422,
    src/dwi/tractography/connectome/matrix.cpp): no header or comment line; row/col 0 is the unassigned node,
    written only with -keep_unassigned; without -symmetric only entries with col >= row are written (the rest 0);
    -zero_diagonal zeroes the diagonal; the delimiter is Path::delimiter(): '\t' for .tsv, ',' for .csv, else ' '
    (core/file/path.h); Eigen FullPrecision values."""
    path = str(path)
    d = "\t" if path.endswith(".tsv") else "," if path.endswith(".csv") else " "
    n = full.shape[0]
    with open(path, "w") as fh:
        for row in range(n):
            if row == 0 and not keep_unassigned:
                continue
            temp = [full[row, col] if (symmetric or col >= row) else 0.0 for col in range(n)]
            if zero_diagonal:
                temp[row] = 0.0
            if not keep_unassigned:
                temp = temp[1:]
            fh.write(d.join(f"{v:.17g}" for v in temp) + "\n")


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".txt"])
@pytest.mark.parametrize("symmetric", [False, True])
def test_mrtrix_as_tck2connectome_writes_it(tmp_path, sym5, ext, symmetric):
    w, lengths = sym5
    full = np.zeros((6, 6))
    full[1:, 1:] = w
    full[0, 2] = full[2, 0] = 13.0            # streamlines with one end unassigned (node 0)
    full[3, 3] = 4.0                          # a self-connection of node 3
    _tck2connectome_save(tmp_path / f"w{ext}", full, symmetric=symmetric)
    flen = np.zeros((6, 6))
    flen[1:, 1:] = lengths
    _tck2connectome_save(tmp_path / f"l{ext}", flen, symmetric=symmetric, zero_diagonal=True)
    _write_fs_default(tmp_path / "fs_default.txt", NAMES, SHORT)
    con = read_connectome(tmp_path / f"w{ext}", lengths=tmp_path / f"l{ext}", lut=tmp_path / "fs_default.txt",
                          format="mrtrix" if ext == ".txt" else "auto")
    np.testing.assert_allclose(con.weights, w)           # node 0 dropped, mirrored when upper only, diagonal zeroed
    np.testing.assert_allclose(con.tract_lengths_mm, lengths)
    assert con.region_names == tuple(NAMES)
    assert any("mirrored" in c for c in con.info["changes"]) is not symmetric
    # -keep_unassigned: the first row/column is node 0
    _tck2connectome_save(tmp_path / f"k{ext}", full, symmetric=symmetric, keep_unassigned=True)
    con = read_mrtrix_connectome(tmp_path / f"k{ext}", keep_unassigned=True, lut=tmp_path / "fs_default.txt")
    np.testing.assert_allclose(con.weights, w)


def test_mrtrix_out_assignments_and_vector_files_are_refused(tmp_path):
    # Matrix<T>::write_assignments (same file and commit): "# <command history>", then the node pair of each
    # streamline ("i j"), or one node per line for -vector, or a list with -assignment_all_voxels
    (tmp_path / "assignments.txt").write_text("# tck2connectome tracks.tck nodes.mif w.csv -out_assignments "
                                              "assignments.txt\n1 3\n0 2\n4 4\n2 5\n3 1\n")
    with pytest.raises(ValueError, match=r"shape \(5, 2\).*-out_assignments` file"):
        read_mrtrix_connectome(tmp_path / "assignments.txt")
    (tmp_path / "all.txt").write_text("# tck2connectome -assignment_all_voxels -out_assignments all.txt\n1 3 4\n2 5\n")
    with pytest.raises(ValueError, match=r"different numbers of values.*-out_assignments` file"):
        read_mrtrix_connectome(tmp_path / "all.txt")
    (tmp_path / "vec.csv").write_text("0,12,3,0,7\n")                 # save_vector of -vector: one row
    with pytest.raises(ValueError, match=r"one row of 5 values: a `tck2connectome -vector` output"):
        read_mrtrix_connectome(tmp_path / "vec.csv")


def _dsi_string(text):
    """A std::string written by DSI Studio's tipl::io::mat_write: a 1 x L array of bytes (QSIRecon reads it back with
    ``m["name"].squeeze().view("S1")``, PennLINC/qsirecon 38e590083952bc7a51d60bb82ba3a0625b9d8de3,
    qsirecon/interfaces/dsi_studio.py _sanitized_connectivity_matrix)."""
    return np.frombuffer(text.encode(), np.uint8)[None]


def test_dsistudio_per_value_file_2025_layout(tmp_path, sym5):
    """frankyeh/DSI-Studio 81602ff0c77038db577d5c7046a2004cb88555ba^ (libs/tracking/tract_model.cpp
    ConnectivityMatrix::save_to_file; cmd/trk.cpp get_connectivity_matrix): one file per connectivity value,
    '<tracts>.<atlas>.<value>.connectivity.mat', variables connectivity (n x n), name (every region name followed by
    '\n'), atlas."""
    from scipy.io import savemat

    w, lengths = sym5
    names = "".join(f"{n}\n" for n in NAMES)
    base = "sub-01_space-T1w_desc-preproc.fib.gz.tt.gz.FreeSurferDKT"
    savemat(tmp_path / f"{base}.number_of_tracts.connectivity.mat",
            {"connectivity": w.astype(np.float32), "name": _dsi_string(names), "atlas": _dsi_string("FreeSurferDKT")})
    savemat(tmp_path / f"{base}.mean_length.connectivity.mat",
            {"connectivity": lengths.astype(np.float32), "name": _dsi_string(names),
             "atlas": _dsi_string("FreeSurferDKT")})
    con = read_connectome(tmp_path / f"{base}.number_of_tracts.connectivity.mat",
                          lengths=tmp_path / f"{base}.mean_length.connectivity.mat")
    np.testing.assert_allclose(con.weights, w, rtol=1e-6)
    np.testing.assert_allclose(con.tract_lengths_mm, lengths, rtol=1e-6)
    assert con.region_names == tuple(NAMES) and con.info["atlas"] == "FreeSurferDKT"


def test_dsistudio_per_atlas_file_2026_layout(tmp_path, sym5):
    """frankyeh/DSI-Studio 71eb09675c11526e110ef6f8baf9744e01327003 (libs/tracking/tract_model.cpp
    ConnectivityMatrix::save_to_file, set_metrics, TractModel::get_quantitative_info): one file per atlas,
    '<tracts>.<atlas>.connectivity.mat', with '<metric> t2r' (n) and '<metric> r2r' (n x n, symmetric) for every
    metric ('number of tracts', 'mean length(mm)', ...), then name and atlas."""
    from scipy.io import savemat

    w, lengths = sym5
    names = "".join(f"{n}\n" for n in NAMES)
    d = {}
    for metric, mat in (("number of tracts", w), ("mean length(mm)", lengths), ("span(mm)", 0.8 * lengths),
                        ("total volume(mm^3)", 40 * w)):
        d[f"{metric} t2r"] = mat.sum(axis=1)[None].astype(np.float32)
        d[f"{metric} r2r"] = mat.astype(np.float32)
    d["name"] = _dsi_string(names)
    d["atlas"] = _dsi_string("FreeSurferDKT")
    path = tmp_path / "sub-01.tt.gz.FreeSurferDKT.connectivity.mat"
    savemat(path, d)
    con = read_connectome(path)                                    # auto: DSI Studio by its variables
    np.testing.assert_allclose(con.weights, w, rtol=1e-6)          # default metric: number of tracts
    np.testing.assert_allclose(con.tract_lengths_mm, lengths, rtol=1e-6)   # from 'mean length(mm) r2r'
    assert con.info["lengths_source"].startswith("mean streamline length matrix of")
    assert con.region_names == tuple(NAMES) and con.info["measure"] == "number of tracts"
    vol = read_dsistudio_connectome(path, measure="total_volume")  # the file-name spelling of the metric
    np.testing.assert_allclose(vol.weights, 40 * w, rtol=1e-6)
    with pytest.raises(ValueError, match=r"measure must be one of the metrics .*'number of tracts'.*got 'fa'"):
        read_dsistudio_connectome(path, measure="fa")


def _qsirecon_labels(names):
    # pandas' .values of the labels TSV's name column: an object array of str, which savemat writes as a cell array
    return np.array(names, dtype=object)


def test_qsirecon_2026_layout_mrtrix_two_atlases(tmp_path, sym5):
    """PennLINC/qsirecon 38e590083952bc7a51d60bb82ba3a0625b9d8de3: qsirecon/interfaces/mrtrix.py
    BuildConnectome._post_run_hook writes atlas_<A>_region_ids (the labels TSV 'index'), atlas_<A>_region_labels
    ('name'), atlas_<A>_<measure>_connectivity and 'command'; MRTrixAtlasGraph merges the atlases' files
    (savemat long_field_names=True); the measures of qsirecon/data/pipelines/mrtrix_multishell_msmt_noACT.yaml.
    The atlas_ prefix dates from 46b699d9 (Nov 2024, 'Make connectivity field names compatible with MATLAB')."""
    from scipy.io import savemat

    w, lengths = sym5
    d = {"command": "tck2connectome -symmetric ... -tck_weights_in sift2.txt"}
    for atlas, n in (("4S156Parcels", 5), ("AAL116", 3)):
        d[f"atlas_{atlas}_region_ids"] = np.arange(1, n + 1)
        d[f"atlas_{atlas}_region_labels"] = _qsirecon_labels((NAMES if n == 5 else ["a", "b", "c"])[:n])
        scale = 1.0 if n == 5 else 0.0
        d[f"atlas_{atlas}_sift_invnodevol_radius2_count_connectivity"] = 0.01 * w[:n, :n] * scale
        d[f"atlas_{atlas}_radius2_meanlength_connectivity"] = lengths[:n, :n]
        d[f"atlas_{atlas}_radius2_count_connectivity"] = 3 * w[:n, :n]
        d[f"atlas_{atlas}_sift_radius2_count_connectivity"] = 2 * w[:n, :n]
    savemat(tmp_path / "sub-01_space-T1w_connectivity.mat", d, long_field_names=True)
    p = tmp_path / "sub-01_space-T1w_connectivity.mat"
    with pytest.raises(ValueError, match=r"holds 2 atlases \['4S156Parcels', 'AAL116'\]"):
        read_connectome(p)
    with pytest.raises(ValueError, match="holds 3 weight measures"):
        read_qsirecon_connectome(p, atlas="4S156Parcels")
    con = read_connectome(p, atlas="4S156Parcels", measure="sift_radius2_count")
    np.testing.assert_allclose(con.weights, 2 * w)
    np.testing.assert_allclose(con.tract_lengths_mm, lengths)      # the one meanlength measure
    assert con.region_names == tuple(NAMES) and con.info["region_ids"] == [1, 2, 3, 4, 5]
    assert con.info["atlas"] == "4S156Parcels"
    con = read_qsirecon_connectome(p, atlas="atlas_AAL116", measure="radius2_count")  # the key prefix is accepted too
    assert con.region_names == ("a", "b", "c")
    np.testing.assert_allclose(con.weights, 3 * w[:3, :3])


def test_qsirecon_2024_layout_dsistudio_with_network_measures(tmp_path, sym5):
    """PennLINC/qsirecon b6c0c98a83be738b1530e9361aa40734316d7e9c (Oct 2024): qsirecon/interfaces/dsi_studio.py
    DSIStudioConnectivityMatrix._post_run_hook writes <A>_region_ids, <A>_region_labels (labels TSV 'label'),
    <A>_<value>_<type>_connectivity per DSI Studio file ('count_pass', 'mean_length_pass': the file name's
    '.<value>.<type>.connectivity.mat') and, from the '*network*txt' files, <A>_<value>_<type>_<network measure>
    (scalars, per-region vectors, and <A>_<value>_<type>_region_ids)."""
    from scipy.io import savemat

    w, lengths = sym5
    d = {"AAL116_region_ids": np.array([2001, 2002, 2101, 2102, 3001]),
         "AAL116_region_labels": _qsirecon_labels(NAMES),
         "AAL116_count_pass_connectivity": w, "AAL116_mean_length_pass_connectivity": lengths,
         "AAL116_count_pass_density": 0.4, "AAL116_count_pass_clustering_coeff_average_binary": 0.5,
         "AAL116_count_pass_degree_binary": np.array([2.0, 3, 1, 4, 2]),
         "AAL116_count_pass_region_ids": np.array([2001, 2002, 2101, 2102, 3001]),
         "AAL116_mean_length_pass_density": 0.4}
    savemat(tmp_path / "sub-01_dsistudio_connectivity.mat", d, long_field_names=True)
    con = read_connectome(tmp_path / "sub-01_dsistudio_connectivity.mat")   # one atlas, one weight measure
    np.testing.assert_allclose(con.weights, w)
    np.testing.assert_allclose(con.tract_lengths_mm, lengths)              # mean_length_pass
    assert con.info["measure"] == "count_pass" and con.info["region_ids"] == [2001, 2002, 2101, 2102, 3001]
    assert con.region_names == tuple(NAMES)
