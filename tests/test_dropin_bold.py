"""BOLD NIfTI that nilearn treats like real EPI: baseline, scanner noise, task design + GLM (issue 15)."""

import json
import warnings

import numpy as np
import pytest

nib = pytest.importorskip("nibabel")
pytest.importorskip("nilearn")

from mne_nmm.adapters.atlas import atlas_from_labels_img  # noqa: E402
from mne_nmm.convert.nifti import to_nifti  # noqa: E402
from mne_nmm.fmri import block_design, read_design, simulate_bold  # noqa: E402
from mne_nmm.result import MonitorOutput  # noqa: E402


def slab_atlas(names, shape=(14, 13, 12), margin=2):
    """A brain-like block (zeros around it) cut into one slab per region along x."""
    data = np.zeros(shape, dtype=np.int16)
    xs = np.array_split(np.arange(margin, shape[0] - margin), len(names))
    for k, x in enumerate(xs):
        data[x[0]:x[-1] + 1, margin:shape[1] - margin, margin:shape[2] - margin] = k + 1
    img = nib.Nifti1Image(data, np.diag([3.0, 3.0, 3.0, 1.0]))
    return atlas_from_labels_img(img, list(names), label_values=list(range(1, len(names) + 1)), name="slabs")


def _bold(n_times=40, n_regions=5, tr=2.0, seed=0):
    rng = np.random.default_rng(seed)
    data = 0.01 * rng.standard_normal((n_times, 1, n_regions))
    return MonitorOutput(name="bold", times_s=tr * np.arange(1, n_times + 1), data=data, sfreq_hz=1.0 / tr,
                         variable_names=("bold",), channel_names=tuple(f"reg{i}" for i in range(n_regions)))


def test_baseline_epi_mask_and_psc():
    from nilearn.maskers import NiftiLabelsMasker
    from nilearn.masking import compute_epi_mask

    bold = _bold()
    atlas = slab_atlas(bold.channel_names)
    img = to_nifti(bold, atlas, resolution_mm=None, s0=10000.0)
    vol = np.asarray(img.dataobj)
    brain = np.asarray(atlas.labels_img.dataobj) > 0
    assert np.all(vol[~brain] == 0)
    np.testing.assert_allclose(vol[brain].mean(), 10000.0 * (1 + bold.data.mean()), rtol=1e-3)
    # compute_epi_mask finds the brain: exactly without morphological opening, within it with the default
    mask = np.asarray(compute_epi_mask(img, opening=False).dataobj).astype(bool)
    np.testing.assert_array_equal(mask, brain)
    mask = np.asarray(compute_epi_mask(img).dataobj).astype(bool)
    assert not (mask & ~brain).any() and mask.sum() > 0.5 * brain.sum()
    # standardize="psc": 100 (s - mean s) / mean s with s = S0 (1 + b)
    b = bold.get()
    want = 100 * (b - b.mean(axis=0)) / (1 + b.mean(axis=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        got = NiftiLabelsMasker(atlas.labels_img, standardize="psc", resampling_target=None).fit_transform(img)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_tsnr_noise_has_the_requested_std():
    bold = _bold(n_times=200, seed=1)
    atlas = slab_atlas(bold.channel_names)
    clean = np.asarray(to_nifti(bold, atlas, resolution_mm=None, s0=1000.0).dataobj, dtype=float)
    noisy = np.asarray(to_nifti(bold, atlas, resolution_mm=None, s0=1000.0, tsnr=50.0, random_state=3).dataobj,
                       dtype=float)
    brain = np.asarray(atlas.labels_img.dataobj) > 0
    diff = (noisy - clean)[brain]
    np.testing.assert_allclose(diff.std(), 1000.0 / 50.0, rtol=0.02)
    assert abs(diff.mean()) < 0.2 and np.all(noisy[~brain] == 0)
    again = np.asarray(to_nifti(bold, atlas, resolution_mm=None, s0=1000.0, tsnr=50.0, random_state=3).dataobj)
    np.testing.assert_array_equal(again, noisy.astype(np.float32))
    with pytest.raises(ValueError, match="tsnr needs a baseline"):
        to_nifti(bold, atlas, resolution_mm=None, tsnr=50.0, random_state=0)
    with pytest.raises(ValueError, match="random_state must be given with tsnr"):
        to_nifti(bold, atlas, resolution_mm=None, s0=1.0, tsnr=50.0)


def test_block_design_table():
    ev = block_design(100.0, on_s=15.0, off_s=10.0)
    np.testing.assert_allclose(ev["onset"], [10.0, 35.0, 60.0, 85.0])
    np.testing.assert_allclose(ev["duration"], [15.0, 15.0, 15.0, 15.0])
    assert list(ev.columns) == ["onset", "duration", "trial_type", "modulation"]
    with pytest.raises(ValueError, match="'onset' and 'duration'"):
        read_design({"onset": [1.0]})


def test_glm_finds_the_stimulated_region_first(tmp_path, small_connectome):
    from nilearn.glm.first_level import FirstLevelModel
    from nilearn.maskers import NiftiLabelsMasker

    names = small_connectome.region_names
    atlas = slab_atlas(names)
    ev = block_design(120.0, on_s=16.0, off_s=16.0)
    sim = simulate_bold(120.0, out_dir=tmp_path, connectome=small_connectome, atlas=atlas, resolution_mm=None,
                        tr_s=2.0, transient_s=20.0, global_coupling=0.05, design=ev, design_regions=["reg3"],
                        tsnr=60.0, seed=4)
    assert set(sim.files) >= {"nifti", "events", "sidecar", "manifest"}
    events = read_design(sim.files["events"])  # the written BIDS events.tsv
    np.testing.assert_allclose(events["onset"], ev["onset"])
    img = nib.load(sim.files["nifti"])
    brain = nib.Nifti1Image((np.asarray(atlas.labels_img.dataobj) > 0).astype(np.int8), atlas.labels_img.affine)
    flm = FirstLevelModel(t_r=2.0, hrf_model="spm", mask_img=brain, drift_model="cosine", minimize_memory=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flm.fit(img, events=events)
        z = flm.compute_contrast("task", output_type="z_score")
        zr = NiftiLabelsMasker(atlas.labels_img, resampling_target=None).fit_transform(z).ravel()
    # masker columns follow label values 1..5 = names[0..4]
    assert names[int(np.argmax(zr))] == "reg3", dict(zip(names, np.round(zr, 2)))
    assert zr[3] > 2.0 and np.delete(zr, 3).max() < zr[3] - 1.0, zr
    with open(sim.files["sidecar"], encoding="utf-8") as fh:
        side = json.load(fh)
    assert side["RepetitionTime"] == 2.0 and side["TaskName"] == "task"
    assert side["mne_nmm"]["arguments"]["design_regions"] == {"task": ["reg3"]}
    assert img.header["descrip"].tobytes().startswith(b"mne_nmm")


def test_design_region_not_in_network(small_connectome):
    with pytest.raises(ValueError, match=r"'reg33'.*did you mean 'reg3'"):
        simulate_bold(20.0, connectome=small_connectome, atlas=None, design=block_design(20.0, on_s=5, off_s=5),
                      design_regions=["reg33"], transient_s=2.0, tr_s=1.0)


def test_to_nifti_refuses_an_image_larger_than_memory(monkeypatch):
    import mne_nmm.simulation.memory as memory
    from mne_nmm.convert.nifti import to_nifti

    rng = np.random.default_rng(0)
    from mne_nmm.datasets import load_connectome

    names = load_connectome("tvb76").region_names
    bold = rng.normal(size=(40, len(names)))
    monkeypatch.setattr(memory, "available_memory", lambda: 10 * 2**20)   # 10 MiB "available"
    with pytest.raises(MemoryError, match="GiB are available; use a coarser resolution_mm"):
        to_nifti(bold, "tvb76", resolution_mm=2, region_names=names, tr_s=2.0)
