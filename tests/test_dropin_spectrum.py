"""The default resting EEG looks like resting EEG (issue 15): specparam ranges, posterior alpha, Welch windows."""

import numpy as np
import pytest

from mne_nmm.eeg import (OCCIPITAL_EEG, RESTING_DEFAULTS, default_eeg_coupling, measure_resting_spectrum,
                         resting_jansen_rit, simulate_eeg, welch_n_fft)


def test_drive_gradient_follows_the_logistic_formula():
    y = np.array([-100.0, -55.0, -40.0, 0.0, 60.0])  # posterior -> anterior (mm, y anterior)
    pos = np.c_[np.zeros(5), y, np.zeros(5)]
    model = resting_jansen_rit(positions=pos)
    t = (y - y.min()) / (y.max() - y.min())
    d = RESTING_DEFAULTS
    want = d["mu_anterior"] + (d["mu_posterior"] - d["mu_anterior"]) / (1 + np.exp((t - d["boundary"]) / d["width"]))
    np.testing.assert_allclose(np.asarray(model.mu), want, rtol=1e-6)
    assert model.v0 == 6.0 and np.asarray(model.mu)[0] > 0.19 and np.asarray(model.mu)[-1] < 0.071


def test_drive_gradient_is_a_distance_from_the_occipital_pole():
    """A region at the vertex (same y as the parieto-occipital junction, 60 mm higher) is far from the pole."""
    pos = np.array([[10.0, -100.0, 0.0],    # occipital pole
                    [-30.0, -90.0, 10.0],   # lateral occipital, 14.1 mm away in the sagittal plane
                    [0.0, -60.0, 60.0],     # superior parietal: 72.1 mm
                    [0.0, 60.0, 20.0]])     # frontal pole: 161.2 mm (the largest)
    model = resting_jansen_rit(positions=pos)
    dist = np.hypot(pos[:, 1] + 100.0, pos[:, 2])
    t = dist / dist.max()
    d = RESTING_DEFAULTS
    want = d["mu_anterior"] + (d["mu_posterior"] - d["mu_anterior"]) / (1 + np.exp((t - d["boundary"]) / d["width"]))
    np.testing.assert_allclose(np.asarray(model.mu), want, rtol=1e-6)
    mu = np.asarray(model.mu)
    assert mu[1] > 0.17 and mu[2] < 0.09  # occipital oscillates, parietal vertex stays aperiodic
    with pytest.raises(ValueError, match=r"positions must have shape \(n_regions, 3\)"):
        resting_jansen_rit(positions=np.zeros((4, 2)))


def test_default_resting_alpha_peaks_over_occipital_channels():
    """MNE's own Welch PSD of the default Raw: the largest 8-12 Hz power is at an occipital electrode (y < 0)."""
    import mne

    raw = simulate_eeg(6.0, transient_s=0.5, seed=0)
    psd = raw.compute_psd(method="welch", fmin=8.0, fmax=12.0, picks="eeg", verbose=False)
    power = psd.get_data().mean(axis=1)
    best = psd.ch_names[int(np.argmax(power))]
    ch = raw.info["chs"][raw.ch_names.index(best)]
    assert ch["coord_frame"] == mne.io.constants.FIFF.FIFFV_COORD_HEAD
    assert best in OCCIPITAL_EEG and ch["loc"][1] < 0, best
    # and above every central / centro-parietal electrode (where it peaked with y-only drive and equal moments)
    central = [i for i, c in enumerate(psd.ch_names) if c.startswith(("C", "FC", "T"))]
    assert power.max() > 1.1 * power[central].max()


def test_coupling_scales_with_median_in_strength(small_connectome):
    w = small_connectome.normalized("max").weights
    assert default_eeg_coupling(small_connectome) == pytest.approx(10.0 / np.median(w.sum(axis=1)))


def test_welch_windows_fit_the_recording():
    n_fft = welch_n_fft(2500, 250.0)  # a 10 s file
    n_windows = 1 + (2500 - n_fft) // (n_fft // 2)
    assert n_fft == 625 and n_windows == 7
    assert welch_n_fft(15000, 250.0) == 1000  # 60 s: 4 s windows


def test_measure_resting_spectrum_recovers_a_synthetic_spectrum():
    """Pink (1/f^1.5) noise plus a 10 Hz burst-like oscillation: specparam finds the exponent and the peak."""
    import mne

    pytest.importorskip("specparam")
    rng = np.random.default_rng(0)
    sf, n = 250.0, 250 * 60
    f = np.fft.rfftfreq(n, 1 / sf)
    amp = np.zeros_like(f)
    amp[1:] = f[1:] ** -0.75
    amp *= 1 + 2.0 * np.exp(-0.5 * ((f - 10.0) / 1.0) ** 2)
    names = ["Oz", "O1", "O2", "Fpz", "Fp1", "Fp2"]
    data = np.array([np.fft.irfft(amp * np.exp(2j * np.pi * rng.uniform(size=f.size)), n) for _ in names])
    data[3:] *= 0.5  # anterior channels: a quarter of the power
    raw = mne.io.RawArray(data * 1e-5, mne.create_info(names, sf, "eeg"), verbose=False)
    m = measure_resting_spectrum(raw)
    assert m["exponent"] == pytest.approx(1.5, abs=0.15)
    assert m["alpha_cf_hz"] == pytest.approx(10.0, abs=0.3)
    assert m["post_ant_alpha_ratio"] == pytest.approx(4.0, rel=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("connectome", ["tvb76", "tvb68"])
def test_default_resting_eeg_is_in_the_published_ranges(connectome):
    pytest.importorskip("specparam")
    raw = simulate_eeg(20.0, connectome=connectome, seed=0)
    m = measure_resting_spectrum(raw)
    assert 1.0 <= m["exponent"] <= 2.5, m
    assert 8.0 <= m["alpha_cf_hz"] <= 12.0 and 1.0 <= m["alpha_bw_hz"] <= 4.0, m
    assert m["post_ant_alpha_ratio"] > 1.5, m
    assert 0.5e-6 < m["median_std"] < 100e-6
    psd = raw.compute_psd(method="welch", fmin=8.0, fmax=12.0, picks="eeg", verbose=False)
    best = psd.ch_names[int(np.argmax(psd.get_data().mean(axis=1)))]
    assert best in OCCIPITAL_EEG and raw.info["chs"][raw.ch_names.index(best)]["loc"][1] < 0, best


def test_vertex_areas_of_a_square():
    from mne_nmm.adapters.head import vertex_areas

    rr = np.array([[0.0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]])
    tris = np.array([[0, 1, 2], [0, 2, 3]])
    np.testing.assert_allclose(vertex_areas(rr, tris), [1 / 3, 1 / 6, 1 / 3, 1 / 6])
    with pytest.raises(ValueError, match="triangles must index vertices 0..3"):
        vertex_areas(rr, np.array([[0, 1, 4]]))


def test_area_region_moment_scales_each_region_by_its_cortical_area():
    """default_head(region_moment='area'): gain column r = equal-moment column x A_r / mean(A), A_r from the mesh."""
    from mne_nmm.datasets import default_head, load_tvb_cortex

    equal = default_head("eeg", sources="centres")
    area = default_head("eeg", sources="centres", region_moment="area")
    c = load_tvb_cortex(frame="mni")
    v = c.vertices_mm[c.triangles]  # (n_tri, 3 corners, 3)
    a, b, cc = (np.linalg.norm(v[:, i] - v[:, j], axis=1) for i, j in ((0, 1), (1, 2), (2, 0)))
    s = (a + b + cc) / 2
    tri_area = np.sqrt(np.maximum(s * (s - a) * (s - b) * (s - cc), 0))  # Heron's formula
    region_area = np.zeros(len(c.region_names))
    for k in range(3):  # a third of each triangle to each of its vertices
        np.add.at(region_area, c.region_mapping[c.triangles[:, k]], tri_area / 3)
    assert 1.5e5 < region_area.sum() < 2.5e5  # ~1,850 cm² of cortex (TVB's smoothed mesh)
    ratio = region_area / region_area.mean()
    np.testing.assert_allclose(area.gain, equal.gain * ratio[None, :], rtol=1e-6)
    W, fwd = area.source_weights, area.fwd["sol"]["data"]
    np.testing.assert_allclose(area.gain, np.asarray(fwd @ W), rtol=1e-10)  # gain == fwd @ W still exact
    assert area.report["region_moment"] == "area"
    with pytest.raises(ValueError, match="region_moment='area' needs areas_mm2"):
        from mne_nmm.adapters.head import make_sphere_head

        make_sphere_head(np.array([[0.0, -60.0, 20.0]]), region_moment="area")
