"""The simulated EEG/MEG is accepted unchanged by standard MNE pipeline steps (issue 15).

Each check compares with MNE's own result: the inverse operator is built and applied by MNE,
events are found by ``find_events``, the head origin is fitted by MNE from the digitisation.
"""

import doctest
import json
import subprocess
import sys
import warnings

import mne
import numpy as np
import pytest

import mne_nmm as nmm
from mne_nmm.datasets import default_head
from mne_nmm.eeg import pulse_stimulus, simulate_eeg


@pytest.fixture(scope="module")
def head_centres():
    return default_head("eeg", sources="centres")


@pytest.fixture(scope="module")
def raw_rest(head_centres):
    return simulate_eeg(2.0, head=head_centres, transient_s=0.5, seed=3)


def test_average_reference_projector_lets_the_inverse_run(raw_rest, head_centres):
    raw = raw_rest
    assert not raw.info["custom_ref_applied"]
    projs = raw.info["projs"]
    assert len(projs) == 1 and projs[0]["desc"] == "Average EEG reference" and projs[0]["active"]
    # the data are average-referenced (the projector is applied): columns sum to 0
    np.testing.assert_allclose(raw.get_data(picks="eeg").sum(axis=0), 0.0, atol=1e-18)
    cov = mne.make_ad_hoc_cov(raw.info, verbose=False)
    inv = mne.minimum_norm.make_inverse_operator(raw.info, head_centres.fwd, cov, fixed=True, loose=0.0, depth=None,
                                                 verbose=False)
    stc = mne.minimum_norm.apply_inverse_raw(raw, inv, lambda2=1.0 / 9.0, method="MNE", start=0, stop=50,
                                             verbose=False)
    assert stc.data.shape == (head_centres.n_regions, 50) and np.all(np.isfinite(stc.data))
    # MNE refuses a custom (applied) reference: the projector is what makes the difference
    custom = raw.info.copy()
    with custom._unlock():
        custom["projs"] = []
        custom["custom_ref_applied"] = mne.io.constants.FIFF.FIFFV_MNE_CUSTOM_REF_ON
    custom_raw = mne.io.RawArray(raw.get_data(), custom, verbose=False)
    with pytest.raises(ValueError, match="Custom EEG reference is not allowed"):
        mne.minimum_norm.apply_inverse_raw(custom_raw, inv, lambda2=1.0 / 9.0, start=0, stop=50, verbose=False)


def test_inverse_on_the_default_cortex_head(raw_rest):
    head = default_head("eeg")  # the default head (16384 cortex sources)
    raw = simulate_eeg(1.0, head=head, transient_s=0.25, seed=1)
    cov = mne.make_ad_hoc_cov(raw.info, verbose=False)
    inv = mne.minimum_norm.make_inverse_operator(raw.info, head.fwd, cov, fixed=True, loose=0.0, depth=None,
                                                 verbose=False)
    evoked = mne.EvokedArray(raw.get_data(picks="eeg")[:, :20], mne.pick_info(raw.info, mne.pick_types(
        raw.info, eeg=True)), verbose=False)
    stc = mne.minimum_norm.apply_inverse(evoked, inv, lambda2=1.0 / 9.0, method="dSPM", verbose=False)
    assert stc.data.shape == (len(head.fwd["src"][0]["vertno"]), 20)


def test_stim_channel_only_with_stimuli(raw_rest, head_centres):
    assert "STI 014" not in raw_rest.ch_names and set(raw_rest.get_channel_types()) == {"eeg"}
    stim = pulse_stimulus(["rV1", "lV1"], onset_ms=700.0, period_ms=400.0, width_ms=10.0)
    raw = simulate_eeg(2.0, head=head_centres, transient_s=0.5, stimulus=stim, seed=0)
    events = mne.find_events(raw, shortest_event=1, verbose=False)
    # onsets 0.7, 1.1, 1.5, 1.9, 2.3 s; the Raw covers [0.5, 2.5) s at 250 Hz
    np.testing.assert_array_equal(events[:, 0], np.round(np.array([0.7, 1.1, 1.5, 1.9, 2.3]) * 250).astype(int))


def test_stimulus_region_not_in_network_lists_close_matches(head_centres):
    with pytest.raises(ValueError, match=r"'rv1' \(did you mean 'rV1'\?\)"):
        simulate_eeg(1.0, head=head_centres, stimulus=pulse_stimulus("rv1"))


def test_cli_stimulus_options_give_events(tmp_path):
    from mne_nmm.cli import main

    rc = main(["eeg", "--duration", "3", "--stim-regions", "rV1,lV1", "--stim-onset", "1.5", "--stim-period",
               "0.5", "--stim-n", "3", "--out", str(tmp_path)])
    assert rc == 0
    raw = mne.io.read_raw_fif(tmp_path / "sim_eeg-raw.fif", verbose="error")
    events = mne.find_events(raw, shortest_event=1, verbose=False)
    np.testing.assert_array_equal(events[:, 0], [375, 500, 625])  # 1.5, 2.0, 2.5 s at 250 Hz
    epochs = mne.Epochs(raw, events, tmin=-0.1, tmax=0.3, preload=True, verbose=False)
    assert len(epochs) == 3
    side = json.loads((tmp_path / "sim_eeg-raw.json").read_text())
    assert side["arguments"]["stimulus"]["regions"] == ["rV1", "lV1"]
    assert main(["eeg", "--stim-onset", "1", "--out", str(tmp_path)]) == 2  # --stim-* needs --stim-regions


def test_cli_eeg_tvb68(tmp_path):
    from mne_nmm.cli import main

    assert main(["eeg", "--duration", "1", "--connectome", "tvb68", "--out", str(tmp_path)]) == 0
    raw = mne.io.read_raw_fif(tmp_path / "sim_eeg-raw.fif", verbose="error")
    assert json.loads(raw.info["description"])["simulation"]["connectome"]["n_regions"] == 68


def test_meg_head_has_digitisation_for_maxwell_filter():
    head = default_head("meg", sources="centres")
    raw = simulate_eeg(1.0, kind="meg", head=head, transient_s=0.25, seed=0)
    kinds = {d["kind"] for d in raw.info["dig"]}
    assert {mne.io.constants.FIFF.FIFFV_POINT_CARDINAL, mne.io.constants.FIFF.FIFFV_POINT_EXTRA} <= kinds
    radius, origin_head, _ = mne.bem.fit_sphere_to_headshape(raw.info, units="m", verbose=False)
    # fsaverage's scalp: a ~9-10 cm sphere centred a few cm above the ear line
    assert 0.08 < radius < 0.11 and 0.02 < origin_head[2] < 0.06
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)  # "no cross-talk / fine-calibration" notes
        sss = mne.preprocessing.maxwell_filter(raw, origin="auto", verbose=False)
    assert sss.get_data(picks="meg").shape == raw.get_data(picks="meg").shape


def test_submodules_resolve_in_a_fresh_process():
    code = ("import mne_nmm as nmm; nmm.monitors.leadfield.EEG; nmm.monitors.bold.BalloonWindkessel; "
            "nmm.convert.nifti.to_nifti; nmm.convert.mne.to_raw; nmm.convert.provenance.data_digest; "
            "nmm.eeg.simulate_eeg; nmm.fmri.simulate_bold; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("module", ["mne_nmm.convert.mne", "mne_nmm.fmri", "mne_nmm.eeg"])
def test_docstring_examples_run(module):
    import importlib

    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    n, report = 0, []
    for test in finder.find(mod, module):
        if test.examples:
            n += len(test.examples)
            with mne.utils.use_log_level("error"):  # MNE's own log lines are not part of the examples
                runner.run(test, out=report.append)
    res = runner.summarize(verbose=False)
    assert n > 0 and res.failed == 0, "".join(report)


def test_plausibility_warnings(head_centres):
    from mne_nmm.analysis.plausibility import check_duration_ms, check_sensor_amplitude

    with pytest.warns(RuntimeWarning, match=r"median channel standard deviation of .* µV, outside"):
        simulate_eeg(1.0, head=head_centres.copy(moment_am_per_unit=1e-1), transient_s=0.25, sensor_noise=None)
    raw = simulate_eeg(1.0, head=head_centres, transient_s=0.25, seed=0)
    med = check_sensor_amplitude(raw)["eeg"]
    assert med == pytest.approx(np.median(raw.get_data(picks="eeg").std(axis=1)))
    with pytest.warns(RuntimeWarning, match=r"duration_ms=10 is under 100 ms"):
        check_duration_ms(10)


def test_coupling_stability_rule_for_every_network(small_connectome):
    from mne_nmm.analysis.plausibility import check_coupling_stability, coupling_self_rate
    from mne_nmm.core.coupling import Difference, Linear, SigmoidalJansenRit

    assert coupling_self_rate(Difference()) == pytest.approx(1.0)
    assert coupling_self_rate(Linear()) == 0.0 and coupling_self_rate(SigmoidalJansenRit(), 2) == 0.0
    conn = small_connectome.normalized("max")
    smax = conn.weights.sum(axis=1).max()
    net = nmm.Network(conn, coupling=Difference(), global_coupling=1.0 / smax, dt_ms=1.0)
    assert check_coupling_stability(net) == pytest.approx(1.0)
    bad = nmm.Network(conn, coupling=Difference(), global_coupling=2.0 / smax, dt_ms=1.0)
    with pytest.raises(ValueError, match=r"= 2 > 1.8 for Difference coupling"):
        check_coupling_stability(bad)
    assert check_coupling_stability(bad, integrator="rk4", on_unstable="raise") == pytest.approx(2.0)  # RK4: 2.5


def test_simulate_warns_about_an_unstable_coupling_for_any_network(small_connectome):
    """simulate() itself applies the rule (as a warning); G x max in-strength x dt = 1.9 > 1.8 for Heun."""
    from mne_nmm.core.coupling import Difference
    from mne_nmm.core.models.hopf import Hopf
    from mne_nmm.monitors.base import Subsample

    conn = small_connectome.normalized("max")
    smax = conn.weights.sum(axis=1).max()
    stable = nmm.Network(conn, coupling=Difference(), global_coupling=1.0 / smax, dt_ms=0.5)
    nmm.simulate(stable, Hopf(), duration_ms=5.0, monitors=[Subsample(0.5)])  # 0.5 < 1.8: no warning (errors here)
    edgy = nmm.Network(conn, coupling=Difference(), global_coupling=3.8 / smax, dt_ms=0.5)  # 3.8 * 0.5 = 1.9
    with pytest.warns(RuntimeWarning, match=r"= 1.9 > 1.8 for Difference coupling: the heun step is unstable") as rec:
        nmm.simulate(edgy, Hopf(), duration_ms=5.0, monitors=[Subsample(0.5)])
    assert len(rec) == 1 and rec[0].filename == __file__  # one warning, pointing at the caller's line


def test_workflows_refuse_an_unstable_coupling_without_warning_twice():
    """simulate_bold raises (its old behaviour) before simulate() could warn about the same network."""
    from mne_nmm.fmri import simulate_bold

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="is unstable"):
            simulate_bold(10.0, global_coupling=1e4)
    assert not [w for w in rec if "unstable" in str(w.message)]


def test_generic_checks_live_in_the_simulation_layer():
    from mne_nmm.analysis import plausibility
    from mne_nmm.simulation import checks

    for name in ("check_coupling_stability", "check_duration_ms", "coupling_self_rate", "STABILITY_LIMITS"):
        assert getattr(plausibility, name) is getattr(checks, name), name
