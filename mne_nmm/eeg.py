"""Simulated EEG / MEG in one call, and a one-figure summary.

The Python equivalent of the command line's EEG simulation::

    import mne_nmm as nmm
    raw = nmm.eeg.simulate_eeg(duration_s=10.0)          # Jansen-Rit on tvb76, default head
    raw.save("sim-raw.fif")
    nmm.eeg.plot_eeg_summary(raw, "sim-summary.png")

which expands to (the same steps, spelled out)::

    conn = nmm.datasets.load_connectome("tvb76")
    head = nmm.datasets.default_head("eeg")
    net = Network(conn.normalized("max"), coupling=SigmoidalJansenRit(),
                      global_coupling=1.0, speed_m_per_s=3.0, dt_ms=0.1)
    res = nmm.simulate(net, JansenRit(), duration_ms=11_000, integrator="stochastic_heun",
                       noise=nmm.AdditiveNoise(sigma=0.01, variables=("y4",)),
                       monitors=[nmm.monitors.leadfield.EEG(head, period_ms=4.0)], key=0)
    raw = nmm.convert.mne.to_raw(res, noise_cov="ad_hoc", random_state=0, reference="average")
"""

from __future__ import annotations

import os
import warnings

import mne
import numpy as np

from ._validate import check_option, check_positive, logger, validate_type, verbose

#: Posterior EEG channels of the fsaverage_1010 montage (alpha is usually largest there).
POSTERIOR_EEG = ("O1", "Oz", "O2", "PO7", "PO3", "POz", "PO4", "PO8", "P7", "P3", "Pz", "P4", "P8")


def pulse_stimulus(regions, *, onset_ms=1000.0, period_ms=1000.0, width_ms=10.0, amplitude=1.0, n_pulses=None,
                   variable=None):
    """A train of rectangular pulses into chosen regions (for evoked responses).

    Parameters
    ----------
    regions : str | sequence of str | sequence of int
        Target regions (names of the connectome, or indices).
    onset_ms : float
        Time of the first pulse (ms from the start of the simulation).
    period_ms : float
        Inter-pulse interval (ms); ``n_pulses=1`` gives a single pulse.
    width_ms : float
        Pulse width (ms).
    amplitude : float
        Added to the derivative of the model's stimulus variable, in its units per
        ms (Jansen-Rit: ``y4``, mV/ms²; 1.0 for 10 ms gives an evoked response of a
        few mV in the targeted regions).
    n_pulses : int | None
        Number of pulses (``None``: until the end of the run).
    variable : str | None
        Target state variable (default: the model's ``stimulus_variable``).

    Returns
    -------
    stimulus : mne_nmm.Stimulus
        Its pulse onsets become ``result.stimulus_onsets_s`` and, through
        :func:`mne_nmm.convert.mne.to_raw`, the stim channel and annotations.
    """
    from .core.stimulus import PulseTrain, Stimulus

    if isinstance(regions, str):
        regions = [regions]
    regions = list(regions)
    if not regions:
        raise ValueError("regions must name at least one region, got an empty list.")
    return Stimulus(PulseTrain(onset_ms, period_ms, width_ms, n_pulses=n_pulses), regions=regions,
                    amplitude=amplitude, variable=variable)


@verbose
def simulate_eeg(duration_s=10.0, *, kind="eeg", head=None, connectome="tvb76", model=None, global_coupling=1.0,
                 speed_m_per_s=3.0, dt_ms=0.1, sfreq_hz=250.0, noise_sigma=0.01, stimulus=None, transient_s=1.0,
                 sensor_noise="ad_hoc", reference="average", seed=0, return_result=False, verbose=None):
    """Simulate EEG (or MEG) from a whole-brain neural mass model, as an MNE Raw.

    Jansen-Rit columns on the tvb76 connectome with sigmoidal coupling and
    conduction delays, driven by noise; the lead field is applied inside the
    simulation (:class:`~mne_nmm.monitors.leadfield.LeadField`), then sensor noise
    and the average reference are added.

    Parameters
    ----------
    duration_s : float
        Length of the returned recording in s (after ``transient_s``).
    kind : "eeg" | "meg"
        Sensors of the default head (ignored when ``head`` is given).
    head : HeadModel | None
        Head model; default :func:`mne_nmm.datasets.default_head` (``kind``).
    connectome : "tvb76" | Connectome
        Structural connectome (its region names must be those of the head).
    model : NeuralMass | None
        Node model; default ``JansenRit()`` (TVB parameters, alpha rhythm).
    global_coupling : float
        Global coupling strength.
    speed_m_per_s : float
        Conduction speed.
    dt_ms : float
        Integration step.
    sfreq_hz : float
        Sampling frequency of the Raw (``1000 / sfreq_hz`` must be a whole number of
        steps).
    noise_sigma : float
        Standard deviation of the additive noise on the model's stimulus variable
        (Jansen-Rit ``y4``), per sqrt(ms).
    stimulus : Stimulus | list of Stimulus | None
        External input, e.g. :func:`pulse_stimulus`; its onsets become events.
        Onsets are in ms from the start of the simulation, transient included.
    transient_s : float
        Initial part simulated and discarded (the Raw starts at ``transient_s``:
        ``raw.first_time == transient_s``).
    sensor_noise : "ad_hoc" | mne.Covariance | None
        Sensor noise (see :func:`mne_nmm.convert.mne.to_raw`).
    reference : "average" | None
        EEG reference (ignored for MEG).
    seed : int
        Seed of the model noise and the sensor noise.
    return_result : bool
        Also return the :class:`~mne_nmm.result.SimulationResult`.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    raw : mne.io.RawArray
        Sensor data in V (EEG) or T, T/m (MEG), with a stim channel ``"STI 014"``.
    result : SimulationResult
        Only with ``return_result=True``.
    """
    from .connectome import Connectome
    from .convert.mne import to_raw
    from .core.coupling import SigmoidalJansenRit
    from .core.models.jansen_rit import JansenRit
    from .core.noise import AdditiveNoise
    from .simulation import simulate
    from .datasets import default_head, load_connectome
    from .monitors.leadfield import LeadField
    from .network import Network

    duration_s = check_positive(duration_s, "duration_s")
    transient_s = check_positive(transient_s, "transient_s", strict=False)
    sfreq_hz = check_positive(sfreq_hz, "sfreq_hz")
    check_option("kind", kind, ("eeg", "meg"))
    validate_type(seed, "int", "seed")
    if isinstance(connectome, str):
        check_option("connectome", connectome, ("tvb76",))
        conn = load_connectome(connectome)
    else:
        validate_type(connectome, Connectome, "connectome", "'tvb76' or a Connectome")
        conn = connectome
    if head is None:
        head = default_head(kind, verbose=verbose)
    model = JansenRit() if model is None else model
    net = Network(conn.normalized("max"), coupling=SigmoidalJansenRit(),
                  global_coupling=global_coupling, speed_m_per_s=speed_m_per_s, dt_ms=dt_ms)
    noise_var = getattr(model, "stimulus_variable", None) or model.state_variables[0]
    period_ms = 1000.0 / sfreq_hz
    total_ms = 1000.0 * (duration_s + transient_s)
    n_periods = int(np.round(total_ms / period_ms))
    res = simulate(net, model, duration_ms=n_periods * period_ms, integrator="stochastic_heun",
                   noise=AdditiveNoise(sigma=noise_sigma, variables=(noise_var,)),
                   monitors=[LeadField(head, period_ms=period_ms, name=kind)], stimulus=stimulus, key=seed,
                   verbose=verbose)
    is_eeg = "eeg" in head.ch_types
    raw = to_raw(res, monitor=kind, noise_cov=sensor_noise, random_state=None if sensor_noise is None else seed,
                 reference=reference if is_eeg else None, verbose=verbose)
    onsets = np.asarray(res.stimulus_onsets_s)
    if transient_s > 0:
        early = onsets[onsets < transient_s]
        if len(early):
            warnings.warn(f"{len(early)} stimulus onset(s) fall in the discarded transient (< {transient_s:g} s): "
                          f"{early[:5].tolist()} s; start stimuli after transient_s.", RuntimeWarning, stacklevel=2)
        raw.crop(tmin=max(transient_s - raw.first_time, 0.0))
    logger.info("simulate_eeg: %r", raw)
    return (raw, res) if return_result else raw


def plot_eeg_summary(raw, fname=None, *, fmin=1.0, fmax=40.0, band=(8.0, 12.0), ch_type=None, show=False,
                     verbose=None):
    """Two-panel summary of a (simulated) recording: PSD and band-power topomap.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        Recording with EEG or MEG channels and sensor positions.
    fname : path-like | None
        Where to save the figure (PNG, PDF... by extension); ``None``: do not save.
    fmin, fmax : float
        Frequency range of the PSD (Hz).
    band : (float, float)
        Band whose power is shown on the topomap (Hz; default alpha).
    ch_type : "eeg" | "mag" | "grad" | None
        Channel type to show (default: EEG if present, else magnetometers).
    show : bool
        Call ``matplotlib.pyplot.show()``.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure (a pyplot figure, like MNE's; close it with
        ``matplotlib.pyplot.close(fig)`` when making many).
    """
    import matplotlib.pyplot as plt

    validate_type(raw, mne.io.BaseRaw, "raw")
    fmin, fmax = check_positive(fmin, "fmin", strict=False), check_positive(fmax, "fmax")
    if not fmin < fmax:
        raise ValueError(f"fmin must be < fmax, got fmin={fmin}, fmax={fmax}.")
    lo, hi = (check_positive(b, "band") for b in band)
    if not lo < hi:
        raise ValueError(f"band must be (low, high) with low < high, got {band}.")
    types = set(raw.get_channel_types())
    if ch_type is None:
        ch_type = "eeg" if "eeg" in types else "mag" if "mag" in types else "grad" if "grad" in types else None
    if ch_type is None or ch_type not in types:
        raise ValueError(f"ch_type must be a channel type of raw with positions (eeg, mag, grad), got {ch_type!r}; "
                         f"raw has {sorted(types)}.")
    mv = False if verbose is None else verbose
    psd = raw.compute_psd(fmin=fmin, fmax=max(fmax, hi), picks=ch_type, verbose=mv)
    freqs, p = psd.freqs, psd.get_data()
    scale, unit = {"eeg": (1e6, "µV"), "mag": (1e15, "fT"), "grad": (1e13, "fT/cm")}[ch_type]
    fig = plt.figure(figsize=(10, 4), layout="constrained")
    ax_psd, ax_top = fig.subplots(1, 2, width_ratios=(1.6, 1))
    keep = (freqs >= fmin) & (freqs <= fmax)
    db = 10 * np.log10(np.maximum(p[:, keep] * scale**2, np.finfo(float).tiny))
    ax_psd.plot(freqs[keep], db.T, color="0.75", lw=0.5)
    ax_psd.plot(freqs[keep], db.mean(axis=0), color="k", lw=1.5, label="mean over channels")
    post = [i for i, c in enumerate(psd.ch_names) if c in POSTERIOR_EEG]
    if ch_type == "eeg" and post:
        ax_psd.plot(freqs[keep], db[post].mean(axis=0), color="C3", lw=1.5, label="posterior channels")
    ax_psd.axvspan(lo, hi, color="C0", alpha=0.1)
    peak = freqs[keep][np.argmax(db.mean(axis=0))]
    ax_psd.set(xlabel="Frequency (Hz)", ylabel=f"PSD (dB re 1 {unit}²/Hz)",
               title=f"{ch_type.upper()} power spectrum (peak {peak:.1f} Hz)")
    ax_psd.legend(loc="upper right", fontsize="small")
    in_band = (freqs >= lo) & (freqs <= hi)
    power = p[:, in_band].mean(axis=1) * scale**2
    info = mne.pick_info(raw.info, mne.pick_types(raw.info, meg=ch_type if ch_type != "eeg" else False,
                                                  eeg=ch_type == "eeg", exclude=()), verbose=False)
    info = mne.pick_info(info, [info["ch_names"].index(c) for c in psd.ch_names], verbose=False)
    im, _ = mne.viz.plot_topomap(power, info, axes=ax_top, show=False, cmap="viridis")
    fig.colorbar(im, ax=ax_top, shrink=0.8, label=f"{unit}²/Hz")
    ax_top.set_title(f"{lo:g}-{hi:g} Hz power")
    if fname is not None:
        validate_type(fname, "path-like", "fname")
        fig.savefig(os.fspath(fname), dpi=100)
        logger.info("plot_eeg_summary: wrote %s", fname)
    if show:
        plt.show()
    return fig


__all__ = ["simulate_eeg", "pulse_stimulus", "plot_eeg_summary", "POSTERIOR_EEG"]
