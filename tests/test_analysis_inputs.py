"""One input path: arrays, monitor outputs, MNE objects and NIfTI images give the same results."""

import numpy as np
import pytest

from mne_nmm.analysis import TimeSeries, as_timeseries, functional_connectivity, psd
from mne_nmm.result import MonitorOutput, SimulationResult

N_TIMES, N_REG, SFREQ = 211, 5, 50.0


@pytest.fixture
def x():
    rng = np.random.default_rng(7)
    mix = rng.standard_normal((N_REG, N_REG))
    return rng.standard_normal((N_TIMES, N_REG)) @ mix  # correlated, time-major


def _monitor(x, name="tavg"):
    data = np.stack([x, -2 * x + 1], axis=1)  # (n_times, 2 variables, n_regions)
    return MonitorOutput(name=name, times_s=np.arange(len(x)) / SFREQ, data=data, sfreq_hz=SFREQ,
                         variable_names=("x", "y"), channel_names=tuple(f"r{k}" for k in range(x.shape[1])))


def _raw(x):
    mne = pytest.importorskip("mne")
    info = mne.create_info([f"EEG{k:03d}" for k in range(x.shape[1])] + ["STI"], SFREQ,
                           ["eeg"] * x.shape[1] + ["stim"])
    data = np.concatenate([x.T, np.zeros((1, len(x)))])
    return mne.io.RawArray(data, info, verbose=False)


def test_same_fc_for_array_monitor_result_raw(x):
    """The same data as an array, a MonitorOutput, a SimulationResult and an mne RawArray give one FC."""
    expected = np.corrcoef(x.T)
    mon = _monitor(x)
    res = SimulationResult(outputs={"tavg": mon, "other": _monitor(x[:, ::-1], "other")},
                           final_state=np.zeros((2, N_REG)), dt_ms=0.1, duration_ms=N_TIMES * 20.0)
    fcs = [functional_connectivity(x),
           functional_connectivity(mon, variable="x"),
           functional_connectivity(mon, variable="y"),  # affine transform of x: same correlation
           functional_connectivity(res, monitor="tavg", variable=0),
           functional_connectivity(_raw(x))]  # the stim channel is not a data channel
    for fc in fcs:
        np.testing.assert_allclose(fc, expected, rtol=0, atol=1e-12)


def test_raw_is_transposed_with_sfreq_and_picks(x):
    raw = _raw(x)
    raw.info["bads"] = ["EEG001"]
    ts = as_timeseries(raw)
    assert ts.sfreq_hz == SFREQ and ts.kind == "eeg"
    assert ts.channel_names == ("EEG000", "EEG002", "EEG003", "EEG004")
    np.testing.assert_array_equal(ts.data, x[:, [0, 2, 3, 4]])
    ts2 = as_timeseries(raw, picks=["EEG003", "EEG000"])
    np.testing.assert_array_equal(ts2.data, x[:, [3, 0]])
    with pytest.raises(ValueError, match="contradicts"):
        as_timeseries(raw, sfreq_hz=SFREQ * 2)


def test_epochs_are_concatenated_segments(x):
    mne = pytest.importorskip("mne")
    n_ep, n_t = 3, 64
    rng = np.random.default_rng(3)
    ep_data = rng.standard_normal((n_ep, N_REG, n_t))
    epochs = mne.EpochsArray(ep_data, mne.create_info(N_REG, SFREQ, "eeg"), verbose=False)
    ts = as_timeseries(epochs)
    assert ts.n_segments == n_ep and ts.data.shape == (n_ep * n_t, N_REG)
    np.testing.assert_array_equal(ts.segments(), ep_data.transpose(0, 2, 1))
    np.testing.assert_allclose(functional_connectivity(epochs), np.corrcoef(np.concatenate(list(ep_data), axis=1)),
                               atol=1e-12)
    # spectra never straddle epochs: the PSD is the mean of the per-epoch PSDs
    p, f = psd(epochs, window_s=32 / SFREQ)
    per = [psd(e.T, sfreq_hz=SFREQ, window_s=32 / SFREQ)[0] for e in ep_data]
    np.testing.assert_allclose(p, np.mean(per, axis=0), rtol=1e-12)


def test_source_estimate(x):
    mne = pytest.importorskip("mne")
    stc = mne.SourceEstimate(x.T, vertices=[np.array([3, 9]), np.array([1, 4, 8])], tmin=0.0, tstep=1 / SFREQ)
    ts = as_timeseries(stc)
    assert ts.kind == "source" and ts.sfreq_hz == pytest.approx(SFREQ)
    assert ts.channel_names == ("lh:3", "lh:9", "rh:1", "rh:4", "rh:8")
    np.testing.assert_allclose(functional_connectivity(stc), np.corrcoef(x.T), atol=1e-12)


def _labels_and_image(x, tr_s=None):
    nib = pytest.importorskip("nibabel")
    pytest.importorskip("nilearn")
    labels = np.zeros((4, 3, 2), dtype=np.int16)
    labels[:2, :, 0] = 1
    labels[:2, :, 1] = 2
    labels[2:, :2, :] = 3
    labels[2:, 2, 0] = 4
    labels[3, 2, 1] = 5  # (2, 2, 1) stays background
    vol = np.zeros(labels.shape + (len(x),), dtype=np.float32)
    for k in range(x.shape[1]):
        vol[labels == k + 1] = x[:, k]
    img = nib.Nifti1Image(vol, np.eye(4))
    if tr_s is not None:
        img.header.set_xyzt_units("mm", "sec")
        img.header.set_zooms((1.0, 1.0, 1.0, tr_s))
    return nib.Nifti1Image(labels, np.eye(4)), img


def test_nifti_image_through_labels_masker(x):
    labels_img, img = _labels_and_image(x, tr_s=0.72)
    ts = as_timeseries(img, labels_img=labels_img)
    assert ts.kind == "bold" and ts.sfreq_hz == pytest.approx(1 / 0.72)
    np.testing.assert_allclose(ts.data, x, rtol=1e-6, atol=1e-5)  # float32 image
    np.testing.assert_allclose(functional_connectivity(img, labels_img=labels_img), np.corrcoef(x.T), atol=1e-5)
    with pytest.raises(ValueError, match="labels_img is required"):
        as_timeseries(img)
    # a header without a time unit carries no usable TR: sfreq_hz must be given
    _, img_nounit = _labels_and_image(x)
    assert as_timeseries(img_nounit, labels_img=labels_img).sfreq_hz is None
    assert as_timeseries(img_nounit, labels_img=labels_img, sfreq_hz=2.0).sfreq_hz == 2.0


def test_errors_name_the_argument(x):
    with pytest.raises(ValueError, match="data must be a 2D array"):
        as_timeseries(x[:, 0])
    with pytest.raises(ValueError, match="finite"):
        as_timeseries(np.where(np.arange(N_TIMES)[:, None] == 4, np.nan, x))
    with pytest.raises(TypeError, match="data must be an ndarray"):
        as_timeseries([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="monitor="):
        as_timeseries(x, monitor="bold")
    with pytest.raises(ValueError, match="variable must be given"):
        as_timeseries(_monitor(x))
    res = SimulationResult(outputs={"a": _monitor(x), "b": _monitor(x)}, final_state=np.zeros((2, N_REG)),
                           dt_ms=0.1, duration_ms=1.0)
    with pytest.raises(ValueError, match=r"monitor must be given: this SimulationResult records \['a', 'b'\]"):
        as_timeseries(res, variable="x")
    with pytest.raises(KeyError, match="No monitor named 'c'"):
        as_timeseries(res, monitor="c", variable="x")
    with pytest.raises(ValueError, match="sfreq_hz must be a finite number > 0"):
        as_timeseries(x, sfreq_hz=-1)
    with pytest.raises(ValueError, match="sfreq_hz is required for a power spectrum"):
        psd(x)
    with pytest.raises(ValueError, match="channel_names must have one entry per channel"):
        as_timeseries(x, channel_names=["a"])


def test_timeseries_passthrough(x):
    ts = as_timeseries(x, sfreq_hz=SFREQ)
    assert isinstance(ts, TimeSeries) and ts.channel_names[0] == "ch0"
    again = as_timeseries(ts)
    np.testing.assert_array_equal(again.data, x)
    np.testing.assert_allclose(ts.times_s[-1], (N_TIMES - 1) / SFREQ)
    with pytest.raises(ValueError, match="contradicts"):
        as_timeseries(ts, sfreq_hz=SFREQ + 1)
    assert "211 samples x 5 channels at 50 Hz" in repr(ts)


def test_import_is_light():
    """import mne_nmm.analysis loads neither mne, nilearn nor matplotlib."""
    import subprocess
    import sys

    code = ("import sys, mne_nmm.analysis; bad = [m for m in ('mne', 'nilearn', 'matplotlib', 'pandas') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_batched_output_asks_for_one_run(x):
    try:
        mon = MonitorOutput(name="tavg", times_s=np.arange(N_TIMES) / SFREQ, data=np.stack([x, x])[:, :, None, :],
                            sfreq_hz=SFREQ, variable_names=("x",), channel_names=tuple("abcde"))
    except ValueError:
        pytest.skip("MonitorOutput has no batch axis in this version")
    with pytest.raises(ValueError, match="holds 2 batched runs"):
        functional_connectivity(mon)
