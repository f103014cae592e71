"""Simulation outputs -> MNE Raw / Epochs / Evoked / SourceEstimate (mne_nmm.convert.mne).

Small unequal sizes (5 regions, 7 channels, 11+ samples); references are the
defining products (``gain @ x``), MNE's ``apply_forward_raw``, ``find_events`` and
``events_from_annotations``, and analytic facts (average reference sums to zero,
noise standard deviation of ``make_ad_hoc_cov``).
"""

import warnings

import mne
import numpy as np
import pytest
from mne.io.constants import FIFF

import mne_nmm as nmm
from mne_nmm.adapters.head import eeg_info, make_sphere_head
from mne_nmm.convert.mne import to_epochs, to_evoked, to_raw, to_source_estimate
from mne_nmm.core.models.jansen_rit import JansenRit
from mne_nmm.result import MonitorOutput, SimulationResult

pytestmark = pytest.mark.realdata
CHANNELS = ["Fp1", "Fz", "T7", "Cz", "T8", "Pz", "Oz"]
REGIONS = ["rV1", "lV1", "rM1", "lPFCORB", "rA1"]
SFREQ = 250.0


@pytest.fixture(scope="module")
def head():
    full = mne.channels.make_standard_montage("fsaverage_1010")
    pos = full.get_positions()
    montage = mne.channels.make_dig_montage(ch_pos={c: pos["ch_pos"][c] for c in CHANNELS}, nasion=pos["nasion"],
                                            lpa=pos["lpa"], rpa=pos["rpa"], coord_frame="head")
    conn = nmm.datasets.load_connectome("tvb76", frame="mni")
    idx = [conn.region_names.index(r) for r in REGIONS]
    sphere = mne.make_sphere_model("auto", "auto", eeg_info(), verbose=False)  # fitted to the 70-electrode head
    return make_sphere_head(conn.centres_mm[idx], region_names=REGIONS, montage=montage, sphere=sphere)


def _region_output(x, names=REGIONS, sfreq=SFREQ, t0=None, name="subsample", variables=("y1-y2",)):
    x = np.asarray(x, dtype=float)
    if x.ndim == 2:
        x = x[:, None, :]
    t0 = 1.0 / sfreq if t0 is None else t0
    return MonitorOutput(name, t0 + np.arange(len(x)) / sfreq, x, sfreq, variables, tuple(names), units=("mV",))


def _sensor_output(data, head, sfreq=SFREQ):
    return MonitorOutput("eeg", np.arange(1, len(data) + 1) / sfreq, data[:, None, :], sfreq, ("y1-y2",),
                         tuple(head.ch_names), time_stamp="end", window_s=1 / sfreq, units=("V",),
                         info=dict(kind="leadfield", head=head, moment_am_per_unit=1e-8))


def _result(outputs, onsets=(), model=None):
    outputs = {o.name: o for o in outputs}
    return SimulationResult(outputs, np.zeros((6, 5)), 0.1, 1000.0, model=model,
                            stimulus_onsets_s=np.asarray(onsets, dtype=float))


def test_to_raw_region_output_is_gain_times_data(head):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((11, 5)) * 3 + 5  # mV
    out = _region_output(x)
    raw = to_raw(out, head, moment_am_per_unit=1e-8)
    eeg = raw.get_data(picks="eeg")
    np.testing.assert_allclose(eeg, (head.gain * 1e-8) @ x.T, rtol=1e-13, atol=0)
    assert eeg.dtype == np.float64
    assert raw.ch_names == head.ch_names  # no stimuli: no (all-zero) stim channel
    assert raw.get_channel_types() == ["eeg"] * 7
    assert raw.info["sfreq"] == SFREQ and raw.n_times == 11
    np.testing.assert_allclose(raw.times + raw.first_time, out.times_s, atol=1e-12)
    assert all(ch["unit"] == FIFF.FIFF_UNIT_V for ch in raw.info["chs"][:7])
    got, want = raw.get_montage().get_positions(), head.info.get_montage().get_positions()
    for c in CHANNELS:
        np.testing.assert_allclose(got["ch_pos"][c], want["ch_pos"][c])
    # the model's default scale (Jansen-Rit: 10 nA·m per mV) when the result carries the model
    raw2 = to_raw(_result([out], model=JansenRit()), head)
    np.testing.assert_allclose(raw2.get_data(picks="eeg"), eeg, rtol=1e-13)


def test_region_order_follows_names_and_subsets(head):
    x = np.random.default_rng(1).standard_normal((13, 5))
    perm = [3, 0, 4, 1, 2]
    ref = to_raw(_region_output(x), head, moment_am_per_unit=1.0).get_data(picks="eeg")
    raw = to_raw(_region_output(x[:, perm], names=[REGIONS[i] for i in perm]), head, moment_am_per_unit=1.0)
    np.testing.assert_allclose(raw.get_data(picks="eeg"), ref, rtol=1e-12)
    # a network simulating 3 of the head's regions: the others are silent
    sub = to_raw(_region_output(x[:, :3], names=REGIONS[:3]), head, moment_am_per_unit=1.0)
    np.testing.assert_allclose(sub.get_data(picks="eeg"), head.gain[:, :3] @ x[:, :3].T, rtol=1e-12)
    with pytest.raises(ValueError, match=r"1 network region\(s\) not in the head \['rV9'\]"):
        to_raw(_region_output(x, names=REGIONS[:4] + ["rV9"]), head, moment_am_per_unit=1.0)
    # match="order" trusts the column order
    raw = to_raw(_region_output(x, names=list("abcde")), head, moment_am_per_unit=1.0, match="order")
    np.testing.assert_allclose(raw.get_data(picks="eeg"), ref, rtol=1e-12)


def test_lead_field_output_and_info_channels(head):
    data = np.random.default_rng(2).standard_normal((17, 7)) * 1e-5
    out = _sensor_output(data, head)
    raw = to_raw(out)  # the head carried by the output
    np.testing.assert_array_equal(raw.get_data(picks="eeg"), data.T)
    # an Info with the channels in another order (e.g. a recording's): the output's order is kept
    info = mne.pick_info(head.info, list(range(7))[::-1])
    raw = to_raw(out, info)
    assert raw.ch_names[:7] == head.ch_names
    np.testing.assert_array_equal(raw.get_data(picks="eeg"), data.T)
    with pytest.raises(ValueError, match=r"1 channel\(s\) that the info lacks: \['Oz'\]"):
        to_raw(out, mne.pick_info(head.info, list(range(6))))
    with pytest.raises(ValueError, match="moment_am_per_unit cannot be applied to a LeadField output"):
        to_raw(out, moment_am_per_unit=1e-8)


def test_apply_forward_raw_equals_projection(head):
    x = np.random.default_rng(3).standard_normal((19, 5))
    out = _region_output(x, t0=0.4)
    raw = to_raw(out, head, moment_am_per_unit=1e-8, stim_channel=None)
    stc = to_source_estimate(out, head, moment_am_per_unit=1e-8)
    assert isinstance(stc, mne.VolSourceEstimate)
    assert stc.tmin == pytest.approx(0.4) and stc.tstep == pytest.approx(1 / SFREQ)
    ref = mne.apply_forward_raw(head.fwd, stc, raw.info, verbose=False)
    assert ref.first_samp == raw.first_samp == 100
    np.testing.assert_allclose(raw.get_data(), ref.get_data(), rtol=1e-12, atol=1e-20)
    # mean mode: the vertices of a region carry its moment in total (one per region here)
    np.testing.assert_allclose(stc.data, 1e-8 * x.T, rtol=1e-13)
    part = to_source_estimate(out, head, moment_am_per_unit=1e-8, tmin=0.42, tmax=0.44)
    assert part.tmin == pytest.approx(0.42) and part.data.shape == (5, 6)
    np.testing.assert_allclose(part.data, stc.data[:, 5:11])
    with pytest.raises(ValueError, match=r"No sample of 'subsample' \(0.4..0.472 s\) lies in"):
        to_source_estimate(out, head, moment_am_per_unit=1e-8, tmin=2.0)


def test_stim_channel_and_annotations(head):
    n = 250
    onsets = [0.1, 0.5, 0.508, 0.9]  # s; 0.508 s is sample 127
    out = _region_output(np.zeros((n, 5)))
    raw = to_raw(_result([out], onsets, JansenRit()), head)
    events = mne.find_events(raw, shortest_event=1, verbose=False)
    np.testing.assert_array_equal(events[:, 0], np.round(np.array(onsets) * SFREQ).astype(int))
    np.testing.assert_array_equal(events[:, 2], 1)
    ev_ann, ids = mne.events_from_annotations(raw, verbose=False)
    np.testing.assert_array_equal(ev_ann[:, 0], events[:, 0])
    assert list(ids) == ["stimulus"]
    with pytest.warns(RuntimeWarning, match=r"1 stimulus onset\(s\) fall outside the recorded samples"):
        raw = to_raw(out, head, onsets_s=[0.5, 3.0], moment_am_per_unit=1.0, event_id=5)
    np.testing.assert_array_equal(mne.find_events(raw, verbose=False), [[125, 0, 5]])
    with pytest.warns(RuntimeWarning, match=r"1 pair\(s\) of stimulus onsets fall on consecutive samples"):
        raw = to_raw(out, head, onsets_s=[0.5, 0.504], moment_am_per_unit=1.0)
    assert len(raw.annotations) == 2
    with pytest.raises(ValueError, match="stim_channel 'Cz' is already a data channel"):
        to_raw(out, head, stim_channel="Cz", moment_am_per_unit=1.0)


def test_sensor_noise_is_seeded_and_has_the_covariance(head):
    out = _region_output(np.zeros((4000, 5)))
    kw = dict(moment_am_per_unit=1.0, noise_cov="ad_hoc")
    a = to_raw(out, head, random_state=7, **kw).get_data(picks="eeg")
    b = to_raw(out, head, random_state=7, **kw).get_data(picks="eeg")
    c = to_raw(out, head, random_state=8, **kw).get_data(picks="eeg")
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # make_ad_hoc_cov: 0.2 µV standard deviation for EEG (std of 4000 samples: within ~4 %)
    np.testing.assert_allclose(a.std(axis=1), 0.2e-6, rtol=0.06)
    cov = mne.make_ad_hoc_cov(head.info, std=dict(eeg=1e-6), verbose=False)
    d = to_raw(out, head, moment_am_per_unit=1.0, noise_cov=cov, random_state=0).get_data(picks="eeg")
    np.testing.assert_allclose(d.std(axis=1), 1e-6, rtol=0.06)
    with pytest.raises(ValueError, match="random_state must be given"):
        to_raw(out, head, **kw)
    small = mne.make_ad_hoc_cov(mne.pick_info(head.info, [0, 1]), verbose=False)
    with pytest.warns(RuntimeWarning, match=r"noise_cov has no entry for 5 channel\(s\)"):
        to_raw(out, head, moment_am_per_unit=1.0, noise_cov=small, random_state=0)


def test_average_reference(head):
    x = np.random.default_rng(4).standard_normal((23, 5))
    ref = (head.gain * 1e-8) @ x.T
    # default: MNE's average-reference projector, added and applied (inverse modelling accepts it)
    raw = to_raw(_region_output(x), head, moment_am_per_unit=1e-8, reference="average")
    eeg = raw.get_data(picks="eeg")
    np.testing.assert_allclose(eeg.sum(axis=0), 0, atol=1e-20)
    np.testing.assert_allclose(eeg, ref - ref.mean(axis=0), rtol=1e-10, atol=1e-22)
    assert not raw.info["custom_ref_applied"]
    assert [p["desc"] for p in raw.info["projs"]] == ["Average EEG reference"] and raw.info["projs"][0]["active"]
    # projection=False: a custom (applied) reference, as set_eeg_reference(projection=False)
    raw = to_raw(_region_output(x), head, moment_am_per_unit=1e-8, reference="average", projection=False)
    np.testing.assert_allclose(raw.get_data(picks="eeg"), ref - ref.mean(axis=0), rtol=1e-10, atol=1e-22)
    assert raw.info["custom_ref_applied"] and not raw.info["projs"]


def test_epochs_and_evoked_recover_a_locked_response(head):
    """Region 0 responds with the same bump after every onset: the evoked is that bump through the gain."""
    n, onsets = 1500, np.array([1.0, 2.2, 3.4, 4.6])
    t = np.arange(1, n + 1) / SFREQ
    x = np.zeros((n, 5))
    bump = lambda s: np.exp(-0.5 * ((s - 0.1) / 0.02) ** 2) * (s >= 0)  # noqa: E731
    for o in onsets:
        x[:, 0] += bump(t - o)
    res = _result([_region_output(x)], onsets, JansenRit())
    epochs = to_epochs(res, head, tmin=-0.2, tmax=0.4)
    assert len(epochs) == 4 and list(epochs.event_id) == ["stimulus"]
    evoked = to_evoked(res, head, tmin=-0.2, tmax=0.4)
    assert evoked.nave == 4
    w = bump(evoked.times)
    w = w - w[evoked.times <= 0].mean()  # baseline (None, 0) includes t = 0
    want = np.outer(head.gain[:, 0] * 1e-8, w)
    np.testing.assert_allclose(evoked.data, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())
    # from a Raw (stim channel) and from a Raw without stim channel (annotations)
    raw = to_raw(res, head)
    np.testing.assert_allclose(to_evoked(raw, tmin=-0.2, tmax=0.4).data, evoked.data, rtol=1e-12)
    raw_ann = to_raw(res, head, stim_channel=None)
    np.testing.assert_allclose(to_evoked(raw_ann, tmin=-0.2, tmax=0.4).data, evoked.data, rtol=1e-12)
    with pytest.raises(TypeError, match=r"\['noise_cov'\] apply only when converting a simulation"):
        to_epochs(raw, noise_cov="ad_hoc")
    with pytest.raises(ValueError, match="No stimulus event to epoch around"):
        to_epochs(_region_output(x), head, moment_am_per_unit=1.0)
    with pytest.raises(ValueError, match="All 4 events were dropped"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            to_epochs(res, head, tmin=-2.0, tmax=4.0)


def test_choice_of_monitor_in_a_result(head):
    x = np.random.default_rng(5).standard_normal((11, 5))
    region = _region_output(x)
    tavg = _region_output(x * 2, name="tavg")
    sensor = _sensor_output(np.ones((11, 7)), head)
    res = _result([region, sensor], model=JansenRit())
    np.testing.assert_array_equal(to_raw(res).get_data(picks="eeg"), 1.0)  # the lead field is preferred
    np.testing.assert_allclose(to_raw(res, head, monitor="subsample").get_data(picks="eeg"),
                               head.gain * 1e-8 @ x.T, rtol=1e-12)
    with pytest.raises(ValueError, match=r"Cannot tell which monitor to convert among \['subsample', 'tavg'\]"):
        to_raw(_result([region, tavg], model=JansenRit()), head)
    with pytest.raises(KeyError, match="No monitor named 'bold'"):
        to_raw(res, head, monitor="bold")
    with pytest.raises(TypeError, match="head must be a HeadModel to project the region-level output"):
        to_raw(region, head.info, moment_am_per_unit=1.0)
    with pytest.raises(ValueError, match="moment_am_per_unit must be given"):
        to_raw(region, head)
    with pytest.raises(ValueError, match="'reference' parameter"):
        to_raw(region, head, moment_am_per_unit=1.0, reference="mastoids")
    with pytest.raises(ValueError, match="sensor-level"):
        to_source_estimate(res, head, monitor="eeg")
    with pytest.raises(TypeError, match="result must be an instance of SimulationResult or MonitorOutput"):
        to_raw(x, head)


def test_fif_round_trip(head, tmp_path):
    x = np.random.default_rng(6).standard_normal((300, 5))
    raw = to_raw(_result([_region_output(x)], [0.3, 0.7], JansenRit()), head, reference="average")
    fname = tmp_path / "sim-raw.fif"
    raw.save(fname, fmt="double")
    back = mne.io.read_raw_fif(fname, preload=True, verbose=False)
    np.testing.assert_array_equal(back.get_data(), raw.get_data())
    assert back.first_samp == raw.first_samp and back.ch_names == raw.ch_names
    np.testing.assert_array_equal(mne.find_events(back, verbose=False), mne.find_events(raw, verbose=False))
    np.testing.assert_allclose(back.annotations.onset, raw.annotations.onset)
    assert back.get_montage() is not None


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from mne_nmm.adapters.head import template_subject

    return template_subject(tmp_path_factory.mktemp("subjects"))


def test_template_subject_is_read_by_mne(template):
    """MNE reads every surface of the offline template (10242 vertices per hemisphere), equal to nilearn's meshes."""
    import os

    import nibabel as nib
    import nilearn

    from mne_nmm.adapters.head import template_subject

    subject, subjects_dir = template
    mesh_dir = os.path.join(os.path.dirname(nilearn.__file__), "datasets", "data", "fsaverage5")
    for hemi, side in (("lh", "left"), ("rh", "right")):
        for surf, gii in (("white", "white"), ("pial", "pial"), ("inflated", "infl"), ("sphere", "sphere"),
                          ("sphere.reg", "sphere")):
            rr, tris = mne.read_surface(os.path.join(subjects_dir, subject, "surf", f"{hemi}.{surf}"))
            ref = nib.load(os.path.join(mesh_dir, f"{gii}_{side}.gii.gz")).darrays
            assert rr.shape == (10242, 3) and tris.shape == (20480, 3), (hemi, surf)
            np.testing.assert_allclose(rr, ref[0].data, atol=1e-4)
            np.testing.assert_array_equal(tris, ref[1].data)
        curv = nib.freesurfer.read_morph_data(os.path.join(subjects_dir, subject, "surf", f"{hemi}.curv"))
        np.testing.assert_array_equal(curv, nib.load(os.path.join(mesh_dir, f"curv_{side}.gii.gz")).darrays[0].data)
    head = mne.read_bem_surfaces(os.path.join(subjects_dir, subject, "bem", f"{subject}-head.fif"), verbose=False)
    assert len(head[0]["rr"]) > 1000
    # complete: a second call reuses it; a damaged file is rebuilt
    lh = os.path.join(subjects_dir, subject, "surf", "lh.inflated")
    stamp = os.stat(lh).st_mtime_ns
    assert template_subject(subjects_dir) == template and os.stat(lh).st_mtime_ns == stamp
    with open(lh, "r+b") as fh:
        fh.write(b"\0" * 16)
    template_subject(subjects_dir)
    assert mne.read_surface(lh)[0].shape == (10242, 3)
    with pytest.raises(ValueError, match="subject must be a plain folder name"):
        template_subject(subjects_dir, subject="../x")


@pytest.mark.filterwarnings("ignore:Plotting source estimates with the matplotlib 3D backend:FutureWarning")
def test_default_head_estimate_plots_on_the_template(template):
    """to_source_estimate on the default (discrete) head -> to_template_stc -> stc.plot(backend='matplotlib')."""
    import matplotlib.pyplot as plt
    from nilearn.datasets import load_fsaverage

    from mne_nmm.adapters.head import fsaverage_mri_head_t
    from mne_nmm.convert.mne import to_template_stc
    from mne_nmm.datasets import default_head

    subject, subjects_dir = template
    head = default_head("eeg")
    n = head.n_regions
    out = _region_output(np.eye(n)[:3] * 2.0, names=head.region_names)  # regions 0, 1, 2 active in turn
    stc = to_source_estimate(out, head, moment_am_per_unit=1e-8)
    assert isinstance(stc, mne.VolSourceEstimate)
    tmpl = to_template_stc(stc, head)
    assert isinstance(tmpl, mne.SourceEstimate) and tmpl.subject == subject
    assert [len(v) for v in tmpl.vertices] == [10242, 10242] and tmpl.data.shape == (20484, 3)
    # independent reference: brute-force nearest same-hemisphere source, for a sample of template vertices
    fs = load_fsaverage("fsaverage5")
    rr = head.fwd["src"][0]["rr"][head.fwd["src"][0]["vertno"]]
    trans = fsaverage_mri_head_t()["trans"]
    rng = np.random.default_rng(0)
    for h, (hemi, sign) in enumerate((("left", -1), ("right", 1))):
        mid = (np.asarray(fs["white_matter"].parts[hemi].coordinates) + np.asarray(fs["pial"].parts[hemi]
                                                                                  .coordinates)) / 2000.0
        pos = mid @ trans[:3, :3].T + trans[:3, 3]
        cand = np.flatnonzero(np.sign(rr[:, 0]) == sign)
        for v in rng.choice(len(pos), 40, replace=False):
            d = np.linalg.norm(rr[cand] - pos[v], axis=1)
            want = stc.data[cand[np.argmin(d)]] if d.min() <= 0.010 else np.zeros(3)
            np.testing.assert_array_equal(tmpl.data[h * 10242 + v], want)
    fig = tmpl.plot(subject=subject, subjects_dir=subjects_dir, backend="matplotlib", hemi="lh", initial_time=0.0,
                    time_viewer=False, verbose=False)
    assert len(fig.axes) >= 1
    plt.close(fig)
    with pytest.raises(TypeError, match="stc must be"):
        to_template_stc(tmpl, head)
