"""``mne-nmm fit`` / ``mne-nmm sweep`` on small user files (in-process)."""

import json

import numpy as np
import pandas as pd
import pytest

from mne_nmm.cli import main


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.uniform(size=(6, 6))
    np.fill_diagonal(w, 0)
    np.save(tmp_path / "sc.npy", w)
    np.savetxt(tmp_path / "len.csv", rng.uniform(10, 50, (6, 6)), delimiter=",")
    x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    np.save(tmp_path / "fc.npy", np.corrcoef(x, rowvar=False))
    return tmp_path


def test_fit_gradient_writes_parameters_scores_and_figures(files, capsys):
    out = files / "fit"
    rc = main(["fit", "--weights", str(files / "sc.npy"), "--lengths", str(files / "len.csv"), "--fc",
               str(files / "fc.npy"), "--tr", "0.5", "--method", "gradient", "--param", "global_coupling=0:1",
               "--max-iter", "2", "--duration", "15", "--transient", "2", "--out", str(out)])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    g = summary["parameters"]["global_coupling"]
    assert 0.0 < g < 1.0
    assert -1.0 <= summary["scores"]["train_fc_r"] <= 1.0
    assert json.loads((out / "params.json").read_text())["parameters"]["global_coupling"] == g
    for f in ("fc_comparison.png", "loss_curve.png"):
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert f"wrote {out / 'summary.json'}" in printed


def test_sweep_table_and_resume(files, capsys):
    out = files / "sw"
    args = ["sweep", "--weights", str(files / "sc.npy"), "--fc", str(files / "fc.npy"), "--tr", "0.5", "--param",
            "global_coupling=0.1:0.3:3", "--duration", "15", "--transient", "2", "--no-progress", "--out", str(out)]
    assert main(args) == 0
    tab = pd.read_csv(out / "sweep.csv")
    np.testing.assert_allclose(tab["global_coupling"], [0.1, 0.2, 0.3])
    best = json.loads((out / "summary.json").read_text())["best"]
    assert best["fc_r"] == pytest.approx(tab["fc_r"].max())
    assert main(args) == 0                                   # the rerun reads the finished batch back
    np.testing.assert_array_equal(pd.read_csv(out / "sweep.csv")["fc_r"], tab["fc_r"])


@pytest.mark.parametrize("extra, needle", [
    (["--param", "global_coupling"], "--param"),
    (["--param", "global_coupling=a:b:c"], "--param global_coupling"),
    (["--param", "global_coupling=0.1:0.2"], "lo:hi:n"),
    (["--noise", "-1"], "--noise"),
])
def test_bad_fit_arguments_are_one_line_errors(files, capsys, extra, needle):
    rc = main(["sweep", "--weights", str(files / "sc.npy"), "--fc", str(files / "fc.npy"), "--tr", "0.5",
               "--out", str(files / "x"), *extra] + ([] if any(e.startswith("--param") for e in extra) else
                                                    ["--param", "global_coupling=0.1,0.2"]))
    err = capsys.readouterr().err
    assert rc == 2 and needle in err and "Traceback" not in err


def test_missing_inputs_named(files, capsys):
    assert main(["fit", "--weights", str(files / "sc.npy"), "--out", str(files / "y")]) == 2
    assert "--fc" in capsys.readouterr().err
    assert main(["fit", "--weights", str(files / "nope.npy"), "--fc", str(files / "fc.npy"), "--tr", "1",
                 "--out", str(files / "y")]) == 2
    assert "--weights" in capsys.readouterr().err
