"""Offline default heads (mne_nmm.adapters.head).

Independent references: the head frame's definition (fiducials on its axes),
Sarvas' theorem (a radial dipole in a spherical conductor has no external
magnetic field), MNE's ``make_forward_dipole`` for the fixed-orientation gain,
and geometry (occipital sources peak at occipital electrodes; MEG coils outside the
scalp).
"""

import os

import mne
import numpy as np
import pytest

import mne_nmm as nmm
from mne_nmm.adapters.head import DEFAULT_DEV_HEAD_TRANSLATION_M, eeg_info, make_sphere_head, meg_info, mni_to_head
from mne_nmm.datasets import default_head

pytestmark = pytest.mark.realdata
FSAVERAGE = os.path.join(os.path.dirname(mne.__file__), "data", "fsaverage")
POSTERIOR = {"O1", "Oz", "O2", "PO7", "PO3", "POz", "PO4", "PO8", "Iz", "O9", "O10", "PO9", "PO10"}


@pytest.fixture(scope="module")
def tvb76():
    return nmm.datasets.load_connectome("tvb76", frame="mni")


def test_mni_to_head_puts_fiducials_on_the_head_axes():
    fids, frame = mne.io.read_fiducials(os.path.join(FSAVERAGE, "fsaverage-fiducials.fif"))
    assert frame == mne.io.constants.FIFF.FIFFV_COORD_MRI
    pts = {int(f["ident"]): mni_to_head(np.asarray(f["r"])[None] * 1000.0)[0] for f in fids}
    lpa, nas, rpa = (pts[mne.io.constants.FIFF.FIFFV_POINT_LPA], pts[mne.io.constants.FIFF.FIFFV_POINT_NASION],
                     pts[mne.io.constants.FIFF.FIFFV_POINT_RPA])
    # head frame: x through LPA -> RPA, y through the nasion, z up
    np.testing.assert_allclose(lpa[1:], 0, atol=1e-6)
    np.testing.assert_allclose(rpa[1:], 0, atol=1e-6)
    np.testing.assert_allclose(nas[[0, 2]], 0, atol=1e-6)
    assert lpa[0] < 0 < rpa[0] and nas[1] > 0
    normals = mni_to_head(np.eye(3), normals=True)
    np.testing.assert_allclose(normals @ normals.T, np.eye(3), atol=1e-6)  # a rotation (stored as float32)


def test_default_eeg_head_centres(tvb76):
    head = default_head("eeg", sources="centres")
    assert head.ch_names == mne.channels.make_standard_montage("fsaverage_1010").ch_names
    assert head.ch_types == ["eeg"] * 70
    assert head.region_names == tvb76.region_names
    assert len(head.fwd["src"][0]["vertno"]) == 76 and head.report["n_moved_inside"] == 0
    assert head.info.get_montage() is not None
    # sources sit at the tvb76 centres, in the head frame
    np.testing.assert_allclose(head.fwd["source_rr"], mni_to_head(tvb76.centres_mm), atol=1e-9)
    # MNE's independent single-dipole forward gives the same columns
    sphere = mne.make_sphere_model("auto", "auto", head.info, verbose=False)
    dip = mne.Dipole(np.arange(76.0), head.fwd["source_rr"], np.ones(76), head.fwd["source_nn"], np.ones(76))
    fwd_dip, _ = mne.make_forward_dipole(dip, sphere, head.info, trans=None, verbose=False)
    G = np.stack([fwd_dip["sol"]["data"][:, i] for i in range(76)], axis=1)
    np.testing.assert_allclose(head.gain, G, rtol=1e-7, atol=1e-9 * np.abs(G).max())
    # occipital sources peak at posterior electrodes
    for name in ("rV1", "lV1", "rV2", "lV2"):
        col = head.gain[:, head.region_names.index(name)]
        assert head.ch_names[int(np.argmax(np.abs(col)))] in POSTERIOR, name


def test_default_eeg_head_cortex_keeps_every_vertex_and_agrees_with_centres():
    cortex = default_head("eeg", sources="cortex")
    centres = default_head("eeg", sources="centres")
    assert len(cortex.fwd["src"][0]["vertno"]) == 16384
    assert cortex.report["n_moved_inside"] < 0.01 * 16384  # a few vertices poke out of the inner sphere
    assert sum(cortex.report["n_sources"].values()) == 16384
    r = [np.corrcoef(cortex.gain[:, i], centres.gain[:, i])[0, 1] for i in range(76)]
    assert np.percentile(r, 10) > 0.9
    for name in ("rV1", "lV1"):
        col = cortex.gain[:, cortex.region_names.index(name)]
        assert cortex.ch_names[int(np.argmax(np.abs(col)))] in POSTERIOR, name
    # "mean" mode: each vertex carries 1/n_r of the region's moment
    w = cortex.source_weights
    np.testing.assert_allclose(np.asarray(w.sum(axis=0)).ravel(), 1.0)


def test_default_meg_head(tvb76):
    head = default_head("meg", sources="centres")
    types = head.ch_types
    assert types.count("mag") == 102 and types.count("grad") == 204
    np.testing.assert_allclose(head.info["dev_head_t"]["trans"][:3, 3], DEFAULT_DEV_HEAD_TRANSLATION_M)
    # every coil is outside the (fsaverage) scalp, by more than 1.5 cm
    scalp = mne.read_bem_surfaces(os.path.join(FSAVERAGE, "fsaverage-head.fif"), verbose=False)[0]
    trans = mne.transforms.invert_transform(mne.read_trans(os.path.join(FSAVERAGE, "fsaverage-trans.fif")))
    scalp_rr = mne.transforms.apply_trans(trans, scalp["rr"])
    coils = mne.transforms.apply_trans(head.info["dev_head_t"], np.array([c["loc"][:3] for c in head.info["chs"]]))
    centre = scalp_rr.mean(axis=0)
    d = np.linalg.norm(coils[:, None] - scalp_rr[None], axis=2)
    nearest = np.argmin(d, axis=1)
    outside = np.linalg.norm(coils - centre, axis=1) > np.linalg.norm(scalp_rr[nearest] - centre, axis=1)
    assert outside.all() and d.min() > 0.015
    # 10 nA·m gives magnetometer fields of tens to hundreds of fT
    mags = head.pick("mag").gain
    assert 20e-15 < np.median(np.abs(mags).max(axis=0)) * 1e-8 < 2e-12


def test_radial_dipoles_are_silent_in_meg_but_not_in_eeg(tvb76):
    """Sarvas: a radial dipole in a spherical conductor produces no external field."""
    meg = make_sphere_head(tvb76.centres_mm[:5], kind="meg")  # normals=None: radial
    tang = make_sphere_head(tvb76.centres_mm[:5], normals=np.cross(tvb76.centres_mm[:5], [0, 0, 1.0]), kind="meg")
    assert np.abs(meg.gain).max() < 1e-10 * np.abs(tang.gain).max()
    eeg = make_sphere_head(tvb76.centres_mm[:5], kind="eeg")
    assert np.all(np.abs(eeg.gain).max(axis=0) > 10.0)  # V/(A·m)


def test_make_sphere_head_options_and_errors(tvb76):
    pos = np.vstack([tvb76.centres_mm[:3], [[0.0, -20.0, 200.0]]])  # last point far above the brain
    with pytest.raises(ValueError, match=r"1 source point\(s\) lie outside the inner sphere"):
        make_sphere_head(pos, outside="raise")
    head = make_sphere_head(pos, region_mapping=np.array([0, 0, 1, 2]), region_names=["a", "b", "c"])
    assert head.region_names == ("a", "b", "c") and head.report["n_moved_inside"] == 1
    r0 = np.asarray(head.report["sphere_r0_m"])
    assert np.linalg.norm(head.fwd["source_rr"][3] - r0) < head.report["inner_radius_m"]
    with pytest.raises(ValueError, match=r"positions_mm must have shape \(n_points, 3\)"):
        make_sphere_head(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"region_mapping must be an integer array of shape \(4,\)"):
        make_sphere_head(pos, region_mapping=[0, 1])
    with pytest.raises(ValueError, match="normals must be non-zero"):
        make_sphere_head(pos[:3], normals=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="'kind' parameter"):
        make_sphere_head(pos[:3], kind="fnirs")
    with pytest.raises(ValueError, match="'sources' parameter"):
        default_head(sources="voxels")


def test_head_frame_positions_and_meg_info_options(tvb76):
    head_mm = mni_to_head(tvb76.centres_mm[:4]) * 1000.0
    a = make_sphere_head(head_mm, frame="head")
    b = make_sphere_head(tvb76.centres_mm[:4], frame="mni")
    np.testing.assert_allclose(a.gain, b.gain, rtol=1e-10)
    t = np.eye(4)
    t[:3, 3] = (0.0, 0.01, 0.04)
    info = meg_info(dev_head_t=t)
    np.testing.assert_allclose(info["dev_head_t"]["trans"], t)
    assert mne.pick_types(info, meg=True).size == info["nchan"] == 306
    with pytest.raises(ValueError, match=r"dev_head_t must have shape \(4, 4\)"):
        meg_info(dev_head_t=np.eye(3))
    assert eeg_info(sfreq_hz=250.0)["sfreq"] == 250.0


def test_default_head_cache_returns_independent_copies():
    a = default_head("eeg", sources="centres")
    a.info["bads"] = ["Fp1"]
    b = default_head("eeg", sources="centres")
    assert b.info["bads"] == []
    np.testing.assert_array_equal(a.gain, b.gain)
    c = default_head("eeg", sources="centres", moment_am_per_unit=2e-8)
    assert c.moment_am_per_unit == 2e-8 and b.moment_am_per_unit is None


def test_default_head_disk_cache(tmp_path):
    a = default_head("eeg", sources="centres", cache=False, cache_dir=tmp_path)
    files = list(tmp_path.glob("head-eeg-centres-*.pkl"))
    assert len(files) == 1 and "read_from" not in a.report
    b = default_head("eeg", sources="centres", cache=False, cache_dir=tmp_path)
    assert b.report["read_from"] == str(files[0])
    np.testing.assert_array_equal(a.gain, b.gain)
    assert b.ch_names == a.ch_names and b.info.get_montage() is not None
    np.testing.assert_array_equal(b.fwd["sol"]["data"], a.fwd["sol"]["data"])
    default_head("eeg", sources="centres", mode="sum", cache=False, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.pkl"))) == 2  # one file per set of arguments
