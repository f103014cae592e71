"""Every output says what produced it, and `mne-nmm rerun SIDECAR.json` repeats it bit for bit (issue 15)."""

import hashlib
import json

import mne
import numpy as np
import pytest

from mne_nmm.cli import main
from mne_nmm.convert.provenance import data_digest, read_sidecar


def test_data_digest_is_of_the_values():
    a = np.arange(6.0).reshape(2, 3)
    assert data_digest(a) == data_digest(a.astype(np.float32)) == data_digest(a.copy(order="F"))
    assert data_digest(a) != data_digest(a.reshape(3, 2)) and data_digest(a) != data_digest(a + 1e-12)


def test_eeg_provenance_and_rerun_bit_for_bit(tmp_path):
    out = tmp_path / "a"
    assert main(["eeg", "--duration", "1", "--seed", "5", "--out", str(out)]) == 0
    raw = mne.io.read_raw_fif(out / "sim_eeg-raw.fif", verbose="error")
    desc = json.loads(raw.info["description"])
    side = read_sidecar(out / "sim_eeg-raw.json")
    sim = side["simulation"]
    assert sim["model"] == "JansenRit" and len(sim["parameters"]["mu"]) == 76
    assert sim["coupling"]["name"] == "SigmoidalJansenRit" and sim["integrator"] == "stochastic_heun"
    assert sim["noise"]["variables"] == ["y4"] and sim["key"] == 5 and sim["dt_ms"] == 0.1
    assert sim["delays"]["max_steps"] > 0 and sim["connectome"]["name"] == "tvb76"
    assert side["generated_by"]["version"] and side["environment"]["jax"]
    assert desc["outputs"] == side["outputs"] and side["reproducible"]
    # the in-memory data of the run are those recorded (the FIF stores float32 by default)
    assert main(["rerun", str(out / "sim_eeg-raw.json"), "--out", str(tmp_path / "b")]) == 0
    again = mne.io.read_raw_fif(tmp_path / "b" / "sim_eeg-raw.fif", verbose="error")
    np.testing.assert_array_equal(again.get_data(), raw.get_data())
    assert main(["rerun", str(out / "sim_eeg-raw.fif")]) == 0  # the FIF's own description is enough
    # a tampered record is detected
    side["outputs"]["raw"]["data_sha256"] = "0" * 64
    (tmp_path / "bad.json").write_text(json.dumps(side))
    assert main(["rerun", str(tmp_path / "bad.json")]) == 1
    # a FIF whose data were changed after writing is detected before any rerun
    raw.load_data()
    raw._data[0, 0] += 1e-6
    raw.save(tmp_path / "edited-raw.fif", verbose="error")
    assert main(["rerun", str(tmp_path / "edited-raw.fif")]) == 1


def test_bold_provenance_and_rerun(tmp_path):
    out = tmp_path / "bold"
    assert main(["bold", "--duration", "16", "--tr", "2", "--block", "4", "4", "--design-regions", "rV1",
                 "--tsnr", "80", "--no-progress", "--out", str(out)]) == 0
    side = read_sidecar(out / "bold.json")
    assert side["simulation"]["model"] == "Hopf" and side["simulation"]["coupling"]["name"] == "Difference"
    assert side["arguments"]["design"]["onset"] == [4.0, 12.0]
    assert main(["rerun", str(out / "bold.json"), "--out", str(tmp_path / "again")]) == 0
    import nibabel as nib

    a = np.asarray(nib.load(out / "bold.nii.gz").dataobj)
    b = np.asarray(nib.load(tmp_path / "again" / "bold.nii.gz").dataobj)
    np.testing.assert_array_equal(a, b)  # scanner noise seeded too


def test_rerun_refuses_custom_runs(tmp_path):
    from mne_nmm.datasets import default_head
    from mne_nmm.eeg import simulate_eeg

    raw = simulate_eeg(0.5, head=default_head("eeg", sources="centres"), transient_s=0.2)
    assert json.loads(raw.info["description"])["reproducible"] is False
    path = tmp_path / "x-raw.fif"
    raw.save(path, verbose="error")
    assert main(["rerun", str(path)]) == 2


def test_simulate_duration_is_in_seconds(tmp_path):
    assert main(["simulate", "--duration", "0.05", "--period", "1", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["data"].shape[0] == 50  # 0.05 s at 1 ms


def test_report_shows_the_provenance(tmp_path):
    from mne_nmm.analysis import make_report
    from mne_nmm.datasets import default_head
    from mne_nmm.eeg import simulate_eeg

    raw = simulate_eeg(1.0, head=default_head("eeg", sources="centres"), transient_s=0.25, seed=2)
    make_report(raw, fname=tmp_path / "r.html")
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Provenance (simulated)" in text and "SigmoidalJansenRit" in text and "stochastic_heun" in text


@pytest.mark.parametrize("fmt", ["single", "double"])
def test_fif_read_back_matches_its_stored_digest(tmp_path, fmt):
    """A saved FIF is verifiable against its provenance: the digest of what the file stores, recomputed on read."""
    import mne

    from mne_nmm.convert.provenance import data_digest, stored_data_digest
    from mne_nmm.datasets import default_head
    from mne_nmm.eeg import simulate_eeg

    raw = simulate_eeg(0.5, head=default_head("eeg", sources="centres"), transient_s=0.2, seed=4)
    path = tmp_path / "sim-raw.fif"
    raw.save(path, fmt=fmt, verbose="error")
    back = mne.io.read_raw_fif(path, preload=True, verbose="error")
    rec = json.loads(back.info["description"])["outputs"]["raw"]
    assert rec["stored_dtype"] == "float32"
    # independent of our helper: the float32 values the file holds, digested by hand
    stored = back.get_data().astype(np.float32)
    h = hashlib.sha256(repr(stored.shape).encode())
    h.update(np.ascontiguousarray(stored, dtype=np.float64).tobytes())
    assert h.hexdigest() == rec["stored_sha256"] == stored_data_digest(back) == stored_data_digest(path)
    # the float64 digest is verifiable only from a double-precision file
    assert (data_digest(back.get_data()) == rec["data_sha256"]) == (fmt == "double")
    with pytest.raises(TypeError, match="raw must be an mne.io.Raw or the path of a FIF file, got ndarray"):
        stored_data_digest(np.zeros((2, 3)))
