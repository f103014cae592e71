"""Simulated EEG / MEG in one call, and a one-figure summary.

The Python equivalent of the command line's EEG simulation::

    import mne_nmm as nmm
    raw = nmm.eeg.simulate_eeg(duration_s=10.0)          # resting EEG: Jansen-Rit on tvb76, default head
    raw.save("sim-raw.fif")
    nmm.eeg.plot_eeg_summary(raw, "sim-summary.png")

which expands to (the same steps, spelled out)::

    conn = nmm.datasets.load_connectome("tvb76")
    head = nmm.datasets.default_head("eeg", region_moment="area")   # region moment ~ cortical area
    model = nmm.eeg.resting_jansen_rit(head)             # per-region drive: occipital alpha, elsewhere 1/f
    net = Network(conn.normalized("max"), coupling=SigmoidalJansenRit(),
                  global_coupling=nmm.eeg.default_eeg_coupling(conn), speed_m_per_s=3.0, dt_ms=0.1)
    res = nmm.simulate(net, model, duration_ms=11_000, integrator="stochastic_heun",
                       noise=nmm.AdditiveNoise(sigma=0.05, variables=("y4",)),
                       monitors=[nmm.monitors.leadfield.EEG(head, period_ms=4.0)], key=0)
    raw = nmm.convert.mne.to_raw(res, noise_cov="ad_hoc", random_state=0, reference="average")

The resting-state default
-------------------------
Identical Jansen-Rit columns on the alpha limit cycle give a line spectrum (a
10 Hz peak and its harmonics) with no aperiodic background, strongest where the
lead fields are largest (fronto-temporal sites). The default instead follows
Jansen & Rit (1995), who drove the model with a *noisy* extrinsic input ``p(t)``
(pulse densities 120-320 Hz): the noise enters the pyramidal cells' excitatory
input (``y4``, where ``p`` enters the equations), and the mean drive ``mu``
varies across regions with their distance from the occipital pole
(:func:`resting_jansen_rit`):

* occipital regions get ``mu = 0.20 /ms``, inside the band (0.09-0.32 /ms,
  Grimbert & Faugeras 2006) where a column oscillates at alpha frequency: the
  posterior alpha rhythm is generated in occipital cortex (calcarine, cuneus,
  lateral occipital, parieto-occipital sulcus; Berger 1929; Lopes da Silva et al.
  1980; Hari & Salmelin 1997; in intracranial recordings alpha is largest in the
  occipital lobe, Groppe et al. 2013, Frauscher et al. 2018);
* the other regions get ``mu = 0.07 /ms``, below the lower bifurcation, where the
  noise-driven column fluctuates slowly around its low fixed point and gives an
  aperiodic, 1/f-like spectrum (Grimbert & Faugeras 2006; Spiegler et al. 2010);
* a logistic transition (midpoint at 18 % of the largest distance from the
  occipital pole, width 5 %), in the spirit of the hierarchical heterogeneity
  that large-scale models need to reproduce regional spectra (Chaudhuri et al.
  2015; Demirtas et al. 2019; Wang et al. 2019). The distance is measured in the
  sagittal (y, z) plane from the most posterior region centroid: a gradient along
  y alone put the whole parietal lobe (superior parietal and precuneus lie at
  the vertex, at the y of the parieto-occipital junction) in the alpha regime,
  under the CP/P electrodes, and the alpha maximum moved there.

The default head gives each region a dipole moment proportional to its cortical
area (``default_head(..., region_moment="area")``; a cortical sheet of uniform
moment density, Murakami & Okada 2015). With the same moment for every region,
the large occipital regions (tvb76's V1/V2, whose calcarine banks largely cancel)
had the moment of the smallest ones (the retrosplenial cingulate has a tenth of
V2's area) and the alpha topography peaked centro-parietally.

Jansen & Rit's threshold ``v0 = 6 mV`` is used (TVB's 5.52 mV puts an isolated
column on a 7 Hz cycle). The global coupling scales with the connectome's median
in-strength (:func:`default_eeg_coupling`), so tvb68 (median in-strength 1.0)
and tvb76 (13.3) sit in the same regime. Measured with specparam
(:func:`measure_resting_spectrum`; ``benchmarks/resting_eeg_spectrum.py``), the
default gives (20 s, seeds 0-2) an aperiodic exponent of 1.5-1.6 (tvb76) and
1.7-1.75 (tvb68), an alpha peak at 9.6-9.9 Hz with a 2-3 Hz bandwidth,
posterior/anterior alpha power ratios of ~2.4 (tvb76) and 4.4-6 (tvb68), and the
largest alpha power at an occipital or parieto-occipital electrode (POz for
tvb76, PO7/PO8 for tvb68) on the default heads.

References
----------
Jansen B.H., Rit V.G. (1995) Biol Cybern 73:357-366.
Grimbert F., Faugeras O. (2006) Neural Comput 18:3052-3068.
Spiegler A. et al. (2010) Biol Cybern 103:121-134.
Lopes da Silva F.H. et al. (1980) Electroencephalogr Clin Neurophysiol 50:449-456.
Hari R., Salmelin R. (1997) Trends Neurosci 20:44-49.
Groppe D.M. et al. (2013) NeuroImage 79:223-233.
Frauscher B. et al. (2018) Brain 141:1130-1144.
Murakami S., Okada Y. (2015) NeuroImage 111:49-58.
Chaudhuri R. et al. (2015) Neuron 88:419-431.
Demirtas M. et al. (2019) Neuron 101:1181-1194.
Wang P. et al. (2019) Sci Adv 5:eaat7854.
Donoghue T. et al. (2020) Nat Neurosci 23:1655-1665 (spectral parameterisation, specparam/fooof).
"""

from __future__ import annotations

import os
import warnings

import mne
import numpy as np

from ._validate import check_option, check_positive, logger, validate_type, verbose

#: Posterior EEG channels (alpha is usually largest there); those of the fsaverage_1010 montage are used.
POSTERIOR_EEG = ("O1", "Oz", "O2", "PO7", "PO3", "POz", "PO4", "PO8", "P7", "P3", "Pz", "P4", "P8")
#: Occipital and parieto-occipital EEG channels (where the resting alpha maximum is expected).
OCCIPITAL_EEG = ("O1", "Oz", "O2", "PO7", "PO3", "POz", "PO4", "PO8", "PO9", "PO10", "I1", "Iz", "I2")
#: Anterior EEG channels (frontal pole and frontal rows) for the posterior/anterior alpha ratio.
ANTERIOR_EEG = ("Fp1", "Fpz", "Fp2", "AF7", "AF3", "AFz", "AF4", "AF8", "F9", "F7", "F5", "F3", "F1", "Fz", "F2",
                "F4", "F6", "F8", "F10")

#: Parameters of the resting-state default (see the module docstring).
RESTING_DEFAULTS = dict(mu_posterior=0.20, mu_anterior=0.07, boundary=0.18, width=0.05, v0=6.0, noise_sigma=0.05,
                        coupling_per_strength=10.0, region_moment="area")


def default_eeg_coupling(connectome):
    """Default ``global_coupling`` of :func:`simulate_eeg`: 10 / median in-strength.

    In-strengths are those of the max-normalised weights (row sums), so the mean
    network input a region receives is the same for every connectome: 0.75 for
    tvb76 (median in-strength 13.3), 9.9 for tvb68 (1.0).

    Parameters
    ----------
    connectome : Connectome

    Returns
    -------
    global_coupling : float
    """
    w = connectome.normalized("max").weights
    med = float(np.median(w.sum(axis=1)))
    if not med > 0:
        raise ValueError(f"connectome {connectome.name!r} has a median in-strength of {med:g}; pass global_coupling.")
    return RESTING_DEFAULTS["coupling_per_strength"] / med


def region_positions(head):
    """Region centroids of a head model (m, head frame: x right, y anterior, z up).

    The mean position of each region's source points (``head.source_weights``), or
    the source positions themselves for one point per region.

    Parameters
    ----------
    head : HeadModel
        With a forward solution, or ``head.report["region_positions_m"]`` (name ->
        position), as the sEEG/ECoG heads have.

    Returns
    -------
    positions : ndarray, shape (n_regions, 3)
    """
    fwd = getattr(head, "fwd", None)
    known = getattr(head, "report", {}).get("region_positions_m")
    if fwd is None and known is not None:  # heads without a forward (sEEG/ECoG contacts) keep their centroids
        return np.array([known[r] for r in head.region_names], dtype=float)
    if fwd is None:
        raise ValueError("head has no forward solution (head.fwd), so its region positions are unknown; pass "
                         "positions explicitly to resting_jansen_rit(positions=...).")
    rr = np.asarray(fwd["source_rr"], dtype=float)
    W = head.source_weights
    if W is None:
        if len(rr) != head.n_regions:
            raise ValueError("head has no source_weights and not one source per region.")
        return rr
    W = abs(W)
    num = np.asarray(W.T @ rr)
    den = np.asarray(W.sum(axis=0)).ravel()[:, None]
    return num / den


def occipital_distance(positions):
    """Normalised distance of each region from the occipital pole, in the sagittal plane.

    ``t_r = |(y_r, z_r) - (y_p, z_p)| / max_s |(y_s, z_s) - (y_p, z_p)|``, with ``p``
    the most posterior region (smallest ``y``); ``x`` (left-right) is ignored, so
    both hemispheres get the same gradient.

    Parameters
    ----------
    positions : array, shape (n_regions, 3)
        Region positions in any RAS-like frame (``y`` anterior, ``z`` up).

    Returns
    -------
    t : ndarray, shape (n_regions,)
        In [0, 1]: 0 at the occipital pole.
    """
    pos = np.asarray(positions, dtype=float)
    if pos.ndim != 2 or pos.shape[1] != 3 or len(pos) == 0:
        raise ValueError(f"positions must have shape (n_regions, 3) with n_regions >= 1, got {pos.shape}.")
    if not np.all(np.isfinite(pos)):
        raise ValueError("positions must be finite, got NaN or inf.")
    pole = pos[np.argmin(pos[:, 1]), 1:]
    d = np.linalg.norm(pos[:, 1:] - pole, axis=1)
    return d / d.max() if d.max() > 0 else np.zeros(len(pos))


def resting_jansen_rit(head=None, *, positions=None, mu_posterior=None, mu_anterior=None, boundary=None, width=None,
                       **params):
    """Jansen-Rit columns with an occipital-to-anterior gradient of the mean drive (resting EEG default).

    ``mu_r = mu_anterior + (mu_posterior - mu_anterior) / (1 + exp((t_r - boundary) / width))``
    with ``t_r`` in [0, 1] the region's distance from the occipital pole
    (:func:`occipital_distance`). See the module docstring for the evidence.

    Parameters
    ----------
    head : HeadModel | None
        Its region centroids (:func:`region_positions`) give ``t_r``.
    positions : array, shape (n_regions, 3) | None
        Region positions in any RAS-like frame (``y`` anterior, ``z`` up) instead of ``head``.
    mu_posterior, mu_anterior : float | None
        Mean drive (1/ms) at the occipital pole / far from it (defaults 0.20, 0.07).
    boundary, width : float | None
        Midpoint and width of the transition, as fractions of the largest distance
        from the occipital pole (0.18, 0.05).
    **params
        Other :class:`~mne_nmm.core.models.jansen_rit.JansenRit` parameters
        (default ``v0 = 6`` mV, Jansen & Rit's).

    Returns
    -------
    model : JansenRit
        With ``mu`` of shape ``(n_regions,)`` in the head's region order.
    """
    from .core.models.jansen_rit import JansenRit

    d = RESTING_DEFAULTS
    mu_p = d["mu_posterior"] if mu_posterior is None else float(mu_posterior)
    mu_a = d["mu_anterior"] if mu_anterior is None else float(mu_anterior)
    b = d["boundary"] if boundary is None else float(boundary)
    w = d["width"] if width is None else check_positive(width, "width")
    if positions is None:
        if head is None:
            raise ValueError("resting_jansen_rit needs head or positions.")
        positions = region_positions(head)
    t = occipital_distance(positions)
    mu = mu_a + (mu_p - mu_a) / (1.0 + np.exp((t - b) / w))
    params.setdefault("v0", d["v0"])
    return JansenRit(mu=mu, **params)


def welch_n_fft(n_times, sfreq, window_s=4.0):
    """Welch window (samples) that fits the recording: ``window_s`` if it holds 4 of them, else a quarter.

    With 50 % overlap a recording then gets at least 7 windows (a 10 s file at 250 Hz: 7 windows of
    2.5 s; a 60 s file: 29 windows of 4 s).
    """
    return int(min(round(window_s * float(sfreq)), max(int(n_times) // 4, 8)))


def measure_resting_spectrum(raw, *, fmin=1.0, fmax=40.0, alpha_band=(7.0, 14.0), ratio_band=(8.0, 12.0),
                             window_s=4.0, ch_type="eeg", posterior=None, anterior=None):
    """Spectral parameterisation (specparam / FOOOF) of a resting recording.

    Welch PSD (Hann windows of ``window_s`` with 50 % overlap, at most a quarter of
    the recording), averaged over channels, fitted over ``[fmin, fmax]`` with a
    fixed (no-knee) aperiodic component and Gaussian peaks (Donoghue et al. 2020).

    Parameters
    ----------
    raw : mne.io.BaseRaw
        Recording (projectors are applied to a copy first).
    fmin, fmax : float
        Fit range (Hz).
    alpha_band : (float, float)
        The alpha peak is the highest fitted peak with its centre in this band.
    ratio_band : (float, float)
        Band of the posterior/anterior power ratio.
    window_s : float
        Welch window length (s).
    ch_type : str
        Channel type analysed.
    posterior, anterior : sequence of str | None
        Channel groups of the ratio (default :data:`POSTERIOR_EEG`, :data:`ANTERIOR_EEG`).

    Returns
    -------
    res : dict
        ``exponent``, ``offset``, ``alpha_cf_hz``, ``alpha_bw_hz``, ``alpha_pw``
        (NaN without an alpha peak), ``peaks`` (CF, PW, BW rows), ``r_squared``,
        ``post_ant_alpha_ratio`` (NaN without both channel groups),
        ``median_std`` (SI units), ``freqs``, ``psd`` (channel mean), ``model``
        (the fitted ``specparam.SpectralModel``).
    """
    from ._validate import soft_import

    specparam = soft_import("specparam", "measure_resting_spectrum (pip install specparam)")
    raw = raw.copy().apply_proj(verbose=False) if raw.info["projs"] else raw
    sf = raw.info["sfreq"]
    n_fft = welch_n_fft(raw.n_times, sf, window_s)
    psd = raw.compute_psd(method="welch", fmin=0.0, fmax=min(fmax * 1.5, sf / 2), picks=ch_type, n_fft=n_fft,
                          n_overlap=n_fft // 2, verbose=False)
    freqs, p = psd.freqs, psd.get_data()
    sm = specparam.SpectralModel(peak_width_limits=[1.0, 8.0], max_n_peaks=4, min_peak_height=0.1,
                                 aperiodic_mode="fixed", verbose=False)
    sm.fit(freqs, p.mean(axis=0), [fmin, fmax])
    ap = np.asarray(sm.results.get_params("aperiodic"), dtype=float)
    peaks = np.atleast_2d(np.asarray(sm.results.get_params("peak"), dtype=float))
    in_alpha = [pk for pk in peaks if pk.size == 3 and alpha_band[0] <= pk[0] <= alpha_band[1]]
    alpha = max(in_alpha, key=lambda pk: pk[1]) if in_alpha else np.full(3, np.nan)
    names = psd.ch_names
    post = [i for i, c in enumerate(names) if c in (POSTERIOR_EEG if posterior is None else posterior)]
    ant = [i for i, c in enumerate(names) if c in (ANTERIOR_EEG if anterior is None else anterior)]
    band = (freqs >= ratio_band[0]) & (freqs <= ratio_band[1])
    ratio = float(p[post][:, band].mean() / p[ant][:, band].mean()) if post and ant else float("nan")
    data = raw.get_data(picks=ch_type)
    return {"exponent": float(ap[-1]), "offset": float(ap[0]), "alpha_cf_hz": float(alpha[0]),
            "alpha_pw": float(alpha[1]), "alpha_bw_hz": float(alpha[2]), "peaks": peaks,
            "r_squared": float(sm.results.metrics.results.get("gof_rsquared", np.nan)), "post_ant_alpha_ratio": ratio,
            "median_std": float(np.median(data.std(axis=1))), "freqs": freqs, "psd": p.mean(axis=0),
            "model": sm}


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
def simulate_eeg(duration_s=10.0, *, kind="eeg", head=None, connectome="tvb76", model=None, global_coupling=None,
                 speed_m_per_s=3.0, dt_ms=0.1, sfreq_hz=250.0, noise_sigma=None, stimulus=None, transient_s=1.0,
                 sensor_noise="ad_hoc", reference="average", seed=0, return_result=False, verbose=None):
    """Simulate resting (or evoked) EEG / MEG from a whole-brain neural mass model, as an MNE Raw.

    Jansen-Rit columns with an occipital-to-anterior gradient of their noisy drive
    (:func:`resting_jansen_rit`, see the module docstring) on the tvb76 or tvb68
    connectome, with sigmoidal coupling and conduction delays; the lead field is
    applied inside the simulation (:class:`~mne_nmm.monitors.leadfield.LeadField`),
    then sensor noise and the average-reference projector are added.

    Parameters
    ----------
    duration_s : float
        Length of the returned recording in s (after ``transient_s``).
    kind : "eeg" | "meg" | "seeg" | "ecog"
        Sensors of the default head; ``"seeg"`` / ``"ecog"`` need ``head``
        (:func:`mne_nmm.datasets.default_head` with ``contacts``). Also the name of
        the lead-field monitor.
    head : HeadModel | None
        Head model; default :func:`mne_nmm.datasets.default_head` (``kind``,
        ``connectome``, ``region_moment="area"``: region moments proportional to
        cortical area).
    connectome : "tvb76" | "tvb68" | Connectome
        Structural connectome (its region names must be those of the head).
    model : NeuralMass | None
        Node model; default :func:`resting_jansen_rit` of the head.
    global_coupling : float | None
        Global coupling strength; default :func:`default_eeg_coupling`
        (10 / median in-strength).
    speed_m_per_s : float
        Conduction speed.
    dt_ms : float
        Integration step.
    sfreq_hz : float
        Sampling frequency of the Raw (``1000 / sfreq_hz`` must be a whole number of
        steps).
    noise_sigma : float | None
        Standard deviation of the additive noise on the model's stimulus variable
        (Jansen-Rit ``y4``, where Jansen & Rit's noisy input ``p(t)`` enters), per
        sqrt(ms); default 0.05.
    stimulus : Stimulus | list of Stimulus | dict | None
        External input, e.g. :func:`pulse_stimulus`; its onsets become events.
        Onsets are in ms from the start of the simulation, transient included. A
        dict is passed to :func:`pulse_stimulus` as keyword arguments (and recorded
        in the provenance, so the run can be repeated from its sidecar).
    transient_s : float
        Initial part simulated and discarded (the Raw starts at ``transient_s``:
        ``raw.first_time == transient_s``).
    sensor_noise : "ad_hoc" | mne.Covariance | None
        Sensor noise (see :func:`mne_nmm.convert.mne.to_raw`).
    reference : "average" | None
        EEG reference: ``"average"`` adds and applies MNE's average-reference
        projector (inverse modelling accepts it). Ignored for MEG.
    seed : int
        Seed of the model noise and the sensor noise.
    return_result : bool
        Also return the :class:`~mne_nmm.result.SimulationResult`.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    raw : mne.io.RawArray
        Sensor data in V (EEG) or T, T/m (MEG); a stim channel ``"STI 014"`` only
        when there are stimuli; ``raw.info["description"]`` holds the JSON
        provenance (:mod:`mne_nmm.convert.provenance`; ``json.loads`` it), with
        ``outputs.raw.stored_sha256``, the digest of the float32 data a saved FIF
        holds (:func:`mne_nmm.convert.provenance.stored_data_digest` of the file
        read back gives the same value).
    result : SimulationResult
        Only with ``return_result=True``.

    Examples
    --------
    >>> import mne_nmm as nmm
    >>> raw = nmm.eeg.simulate_eeg(2.0, transient_s=0.5, sensor_noise=None)
    >>> float(raw.info["sfreq"]), int(raw.n_times), float(raw.first_time), "STI 014" in raw.ch_names
    (250.0, 500, 0.5, False)
    """
    import json

    from .analysis.plausibility import check_coupling_stability, check_region_names, check_sensor_amplitude
    from .connectome import Connectome
    from .convert.mne import to_raw
    from .convert.provenance import (data_digest, make_provenance, simulation_provenance, stored_data_digest,
                                     to_jsonable)
    from .core.coupling import SigmoidalJansenRit
    from .core.noise import AdditiveNoise
    from .simulation import simulate
    from .datasets import default_head, load_connectome
    from .monitors.leadfield import LeadField
    from .network import Network

    stim_spec = None
    if isinstance(stimulus, dict):
        stim_spec = dict(stimulus)
        stimulus = pulse_stimulus(**stim_spec)
    # a run can be repeated from its provenance when every input is named (no custom objects)
    reproducible = bool(head is None and model is None and isinstance(connectome, str)
                        and (stimulus is None or stim_spec is not None)
                        and (sensor_noise is None or isinstance(sensor_noise, str)))
    arguments = dict(duration_s=duration_s, kind=kind, stimulus=stim_spec,
                     connectome=connectome if isinstance(connectome, str) else getattr(connectome, "name", "custom"),
                     global_coupling=global_coupling,
                     speed_m_per_s=speed_m_per_s, dt_ms=dt_ms, sfreq_hz=sfreq_hz, noise_sigma=noise_sigma,
                     transient_s=transient_s, sensor_noise=sensor_noise if isinstance(sensor_noise, str) or
                     sensor_noise is None else "custom", reference=reference, seed=seed,
                     head=None if head is None else getattr(head, "name", "custom"),
                     model=None if model is None else type(model).__name__)
    duration_s = check_positive(duration_s, "duration_s")
    transient_s = check_positive(transient_s, "transient_s", strict=False)
    sfreq_hz = check_positive(sfreq_hz, "sfreq_hz")
    check_option("kind", kind, ("eeg", "meg", "seeg", "ecog"))
    if kind in ("seeg", "ecog") and head is None:
        raise ValueError(f"kind={kind!r} needs a head with the contacts: head=mne_nmm.datasets.default_head("
                         f"{kind!r}, contacts=...).")
    validate_type(seed, "int", "seed")
    if isinstance(connectome, str):
        check_option("connectome", connectome, ("tvb76", "tvb68"))
        conn = load_connectome(connectome)
    else:
        validate_type(connectome, Connectome, "connectome", "'tvb76', 'tvb68' or a Connectome")
        conn = connectome
    if head is None:
        head_conn = connectome if isinstance(connectome, str) else "tvb76"
        head = default_head(kind, connectome=head_conn, region_moment=RESTING_DEFAULTS["region_moment"],
                            verbose=verbose)
    if model is None:
        missing = [r for r in conn.region_names if r not in head.region_names]
        if missing:
            raise ValueError(f"The head lacks {len(missing)} region(s) of the connectome {conn.name!r} "
                             f"(e.g. {missing[:5]}); pass a head with its regions (or connectome='tvb68' for the "
                             "Desikan-Killiany default head).")
        model = resting_jansen_rit(head.reorder(list(conn.region_names)))
    if global_coupling is None:
        global_coupling = default_eeg_coupling(conn)
        logger.info("simulate_eeg: global_coupling = %.4g (10 / median in-strength of %s)", global_coupling,
                    conn.name)
    if noise_sigma is None:
        noise_sigma = RESTING_DEFAULTS["noise_sigma"]
    if stimulus is not None:
        for st in (stimulus if isinstance(stimulus, (list, tuple)) else [stimulus]):
            regs = getattr(st, "regions", None)
            if regs is not None and not isinstance(regs, np.ndarray):
                check_region_names(list(regs), conn.region_names)
    net = Network(conn.normalized("max"), coupling=SigmoidalJansenRit(),
                  global_coupling=global_coupling, speed_m_per_s=speed_m_per_s, dt_ms=dt_ms)
    check_coupling_stability(net, integrator="stochastic_heun", model=model)
    noise_var = getattr(model, "stimulus_variable", None) or model.state_variables[0]
    period_ms = 1000.0 / sfreq_hz
    total_ms = 1000.0 * (duration_s + transient_s)
    n_periods = int(np.round(total_ms / period_ms))
    noise = AdditiveNoise(sigma=noise_sigma, variables=(noise_var,))
    monitors = [LeadField(head, period_ms=period_ms, name=kind)]
    res = simulate(net, model, duration_ms=n_periods * period_ms, integrator="stochastic_heun", noise=noise,
                   monitors=monitors, stimulus=stimulus, key=seed, verbose=verbose)
    prov = make_provenance("mne_nmm.eeg.simulate_eeg", arguments,
                           simulation_provenance(net, model, integrator="stochastic_heun", noise=noise, key=seed,
                                                 duration_ms=n_periods * period_ms, monitors=monitors,
                                                 stimulus=stimulus),
                           extra={"reproducible": reproducible,
                                  "head": {"name": getattr(head, "name", None), "n_channels": head.n_channels,
                                           "kind": kind},
                                  "postprocessing": {"sensor_noise": arguments["sensor_noise"],
                                                     "sensor_noise_seed": seed, "reference": reference,
                                                     "transient_s": transient_s}})
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
    n_keep = int(round(duration_s * sfreq_hz))
    if raw.n_times > n_keep:  # exactly duration_s of data: samples transient_s ... transient_s + duration_s - 1/sfreq
        raw.crop(tmin=0.0, tmax=(n_keep - 1) / sfreq_hz, include_tmax=True)
    # data_sha256: float64, the rerun's bit-for-bit check; stored_sha256: the float32 values a FIF holds, verifiable
    # from a saved file (mne_nmm.convert.provenance.stored_data_digest)
    prov["outputs"] = {"raw": {"data_sha256": data_digest(raw.get_data()), "stored_sha256": stored_data_digest(raw),
                               "stored_dtype": "float32", "ch_names_sha256":
                               data_digest(np.frombuffer("\n".join(raw.ch_names).encode(), np.uint8))}}
    with raw.info._unlock():
        raw.info["description"] = json.dumps(to_jsonable(prov), sort_keys=True)
    check_sensor_amplitude(raw, stacklevel=3)
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
    n_fft = welch_n_fft(raw.n_times, raw.info["sfreq"])
    psd = raw.compute_psd(method="welch", fmin=fmin, fmax=max(fmax, hi), picks=ch_type, n_fft=n_fft,
                          n_overlap=n_fft // 2, verbose=mv)
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
    # the largest peak above the aperiodic (1/f) trend: a straight line in dB vs log frequency
    f_k, m_k = freqs[keep], db.mean(axis=0)
    pos_f = f_k > 0
    trend = np.polyval(np.polyfit(np.log10(f_k[pos_f]), m_k[pos_f], 1), np.log10(f_k[pos_f]))
    peak = f_k[pos_f][np.argmax(m_k[pos_f] - trend)]
    ax_psd.set(xlabel="Frequency (Hz)", ylabel=f"PSD (dB re 1 {unit}²/Hz)",
               title=f"{ch_type.upper()} power spectrum (peak {peak:.1f} Hz above the 1/f trend)")
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


__all__ = ["simulate_eeg", "pulse_stimulus", "plot_eeg_summary", "resting_jansen_rit", "default_eeg_coupling",
           "region_positions", "occipital_distance", "measure_resting_spectrum", "welch_n_fft", "POSTERIOR_EEG",
           "OCCIPITAL_EEG", "ANTERIOR_EEG",
           "RESTING_DEFAULTS"]
