"""Plotting functions (each usable alone) and the HTML report."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
mne = pytest.importorskip("mne")

from matplotlib.figure import Figure  # noqa: E402

from mne_nmm.analysis import (fcd_matrix, functional_connectivity, make_report, plot_band_topomaps,  # noqa: E402
                              plot_carpet, plot_fc, plot_fc_comparison, plot_fcd, plot_psd, psd)
from mne_nmm.result import MonitorOutput  # noqa: E402

SFREQ = 1 / 0.72  # BOLD-like sampling


@pytest.fixture
def bold():
    rng = np.random.default_rng(0)
    mix = rng.standard_normal((5, 5))
    sim = rng.standard_normal((211, 5)) @ mix
    emp = rng.standard_normal((173, 5)) @ (mix + 0.5 * rng.standard_normal((5, 5)))
    return sim, emp


def _eeg_raw(n_times=2000, sfreq=100.0):
    montage = mne.channels.make_standard_montage("fsaverage_1010")
    names = ["Fz", "Cz", "Pz", "Oz", "C3", "C4", "Fp1"]
    info = mne.create_info(names, sfreq, "eeg")
    info.set_montage(montage)
    t = np.arange(n_times) / sfreq
    rng = np.random.default_rng(1)
    alpha = np.sin(2 * np.pi * 10 * t)[:, None] * np.array([0.2, 0.5, 1.0, 1.5, 0.6, 0.6, 0.1])  # occipital alpha
    data = 1e-6 * (alpha + 0.3 * rng.standard_normal((n_times, 7)))
    return mne.io.RawArray(data.T, info, verbose=False)


def test_plotting_functions_return_figures(bold):
    sim, emp = bold
    fs, fe = functional_connectivity(sim), functional_connectivity(emp)
    figs = [plot_fc(fs, names=list("abcde")),
            plot_fc_comparison(fs, fe),
            plot_psd({"sim": psd(sim, sfreq_hz=SFREQ, window_s=60), "emp": psd(emp, sfreq_hz=SFREQ, window_s=60)},
                     show_channels=True, unit="a.u."),
            plot_fcd({"sim": fcd_matrix(sim, window_s=30, step_s=5, sfreq_hz=SFREQ),
                      "emp": fcd_matrix(emp, window_s=30, step_s=5, sfreq_hz=SFREQ)}, step_s=5),
            plot_carpet(sim, sfreq_hz=SFREQ),
            plot_band_topomaps(_eeg_raw())]
    for fig in figs:
        assert isinstance(fig, Figure) and len(fig.axes) >= 1
    # the scatter axes states the similarity of the two matrices
    assert figs[1].axes[2].get_title().startswith("r = ")
    # topomaps: one axes per default band, each with a colorbar
    assert [ax.get_title() for ax in figs[-1].axes[:4]] == ["delta 1-4 Hz", "theta 4-8 Hz", "alpha 8-13 Hz",
                                                                 "beta 13-30 Hz"]


def test_topomaps_need_positions_and_matching_info(bold):
    raw = _eeg_raw()
    x = raw.get_data().T
    fig = plot_band_topomaps(x, info=raw.info)  # a simulated sensor array with the Info of its montage
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match="info .* is required"):
        plot_band_topomaps(x, sfreq_hz=100.0)
    with pytest.raises(ValueError, match="info has 7 channels but data has 5"):
        plot_band_topomaps(bold[0], info=raw.info)


def test_plot_errors(bold):
    with pytest.raises(ValueError, match="fc must be square"):
        plot_fc(np.ones((3, 4)))
    with pytest.raises(TypeError, match=r"spectra\['a'\] must be a \(psds, freqs\) pair"):
        plot_psd({"a": np.ones(4)})
    with pytest.raises(ValueError, match="fc_simulated and fc_empirical must have the same shape"):
        plot_fc_comparison(np.eye(3), np.eye(4))


def test_report_writes_html_with_expected_sections(bold, tmp_path):
    sim, emp = bold
    mon = MonitorOutput(name="bold", times_s=np.arange(1, 212) * 0.72, data=sim[:, None, :], sfreq_hz=SFREQ,
                        variable_names=("bold",), channel_names=tuple("abcde"), time_stamp="end", window_s=0.72)
    fname = tmp_path / "report.html"
    report = make_report(mon, emp, sfreq_hz=(None, SFREQ), window_s=30.0, step_s=5.0, psd_window_s=60.0,
                         fname=fname, title="sim vs emp")
    assert isinstance(report, mne.Report)
    html = fname.read_text(encoding="utf-8")
    for expected in ("sim vs emp", "Scores", "fc_r", "psd_chi2", "fcd_ks", "FC matrices and scatter",
                     "PSD (mean", "FCD matrices and distributions", "Carpet plot simulated"):
        assert expected in html, expected
    # the empirical array is not known to be BOLD: no carpet unless asked
    assert "Carpet plot empirical" not in html
    sections = set(report.get_contents()[0])
    assert sections == {"Summary", "Functional connectivity", "Spectra", "FCD", "BOLD"}
    assert html.count("<img") >= 4  # FC, PSD, FCD, carpet figures are embedded


def test_report_single_eeg_recording_has_topomaps(tmp_path):
    raw = _eeg_raw(n_times=1500)
    report = make_report(raw, fname=tmp_path / "eeg.html", synchrony_band=(8.0, 12.0))
    html = (tmp_path / "eeg.html").read_text(encoding="utf-8")
    assert "Band power topomaps simulated" in html
    assert "Kuramoto order parameter" in html
    assert "Scores" not in html  # nothing to compare with
    assert isinstance(report, mne.Report)
