"""Objectives: a simulator plus empirical targets, as pure functions of SimParams and a key.

:class:`BoldObjective` builds a BOLD simulator (:func:`mne_nmm.make_simulator` with a
Balloon-Windkessel or HRF monitor inside the scan) and scores its FC (and optionally FCD)
against an empirical target with :mod:`mne_nmm.fitting.losses`, the same definitions
:mod:`mne_nmm.analysis` reports. :meth:`BoldObjective.loss` is what estimators differentiate;
:meth:`BoldObjective.scores` what sweeps tabulate.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_positive, logger, validate_type
from . import losses as L

__all__ = ["BoldObjective", "SpectrumObjective", "Target"]


@dataclasses.dataclass(frozen=True, eq=False)
class Target:
    """Empirical targets of a fit.

    Attributes
    ----------
    fc : ndarray, shape (n_regions, n_regions)
        FC (Pearson) in the network's region order.
    fcd_values : ndarray | None
        Pooled FCD values (upper triangles of the empirical FCD matrices), for FCD terms.
    region_names : tuple of str | None
    """

    fc: np.ndarray
    fcd_values: np.ndarray = None
    region_names: tuple = None

    @classmethod
    def from_data(cls, X, *, subjects=None, fcd_window_s=None, fcd_step_s=None, tr_s=None, region_names=None):
        """Targets from ``EmpiricalData`` (group of ``subjects``), an FC matrix or time series.

        FCD values are pooled over the subjects' BOLD when ``fcd_window_s`` is given (EmpiricalData
        only; windows in seconds at the data's TR).
        """
        from ..datasets import EmpiricalData
        from .data import target_fc

        fc, names = target_fc(X, subjects=subjects, region_names=region_names)
        fcd_vals = None
        if fcd_window_s is not None:
            if not isinstance(X, EmpiricalData):
                raise TypeError("FCD targets need EmpiricalData (per-subject BOLD time series).")
            from ..analysis import fcd_matrix, fcd_values

            subs = list(X.subjects) if subjects is None else list(subjects)
            fcd_vals = np.concatenate([fcd_values(fcd_matrix(X.bold[s], window_s=fcd_window_s, step_s=fcd_step_s,
                                                             sfreq_hz=1.0 / X.tr_s)) for s in subs])
        return cls(fc=np.asarray(fc, dtype=float), fcd_values=fcd_vals, region_names=names)


class BoldObjective:
    """FC (+ FCD) loss of simulated BOLD against empirical targets.

    Parameters
    ----------
    network : Network
        Connectome, coupling, delays, ``dt_ms`` (its regions in the target's order).
    model : NeuralMass
        Node model declaring ``bold_drive`` (Hopf, reduced Wong-Wang, ...).
    target : Target | EmpiricalData | ndarray
        What the simulated FC is compared with (converted with :meth:`Target.from_data`).
    duration_s : float
        BOLD kept for the loss, after ``transient_s``.
    transient_s : float
        Simulated and dropped first.
    tr_s : float
        Repetition time (the empirical data's).
    noise : Noise | None
        e.g. ``AdditiveNoise(sigma=0.02)``; its sigma is the ``noise_sigma`` leaf.
    monitor : {"balloon", "hrf"}
        Balloon-Windkessel (Friston 2000) or SPM HRF convolution inside the scan.
    weights : dict
        Loss terms and weights: ``"fc"`` (1 - r), ``"fc_rmse"``, ``"fcd"`` (Wasserstein-1 of
        FCD values; needs ``target.fcd_values`` and ``fcd_window_s``), ``"fcd_ks"`` (smooth KS).
    fcd_window_s, fcd_step_s : float | None
        FCD windows of the simulated BOLD (seconds).
    initial_state : array | None
        Passed to :func:`mne_nmm.make_simulator` (e.g. a FIC fixed point).
    integrator : str
        Default ``"stochastic_heun"``.
    """

    def __init__(self, network, model, target, *, duration_s, transient_s=30.0, tr_s=2.0, noise=None,
                 monitor="balloon", weights=None, fcd_window_s=None, fcd_step_s=None, initial_state=None,
                 integrator="stochastic_heun", chunk_ms=None, connections="structural"):
        from ..monitors.bold import BalloonWindkessel, HRFConvolution
        from ..simulation import make_simulator

        self._init_args = (network, model, target, dict(
            duration_s=duration_s, transient_s=transient_s, tr_s=tr_s, noise=noise, monitor=monitor, weights=weights,
            fcd_window_s=fcd_window_s, fcd_step_s=fcd_step_s, initial_state=initial_state, integrator=integrator,
            chunk_ms=chunk_ms, connections=connections))
        self.network, self.model = network, model
        self.target = target if isinstance(target, Target) else Target.from_data(target)
        self.duration_s = check_positive(duration_s, "duration_s")
        self.transient_s = check_positive(transient_s, "transient_s", strict=False)
        self.tr_s = check_positive(tr_s, "tr_s")
        n = network.n_regions
        if self.target.fc.shape != (n, n):
            raise ValueError(f"target FC has shape {self.target.fc.shape}, the network has {n} regions.")
        if monitor not in ("balloon", "hrf"):
            raise ValueError(f"monitor must be 'balloon' or 'hrf', got {monitor!r}.")
        mon = BalloonWindkessel(tr_s=tr_s) if monitor == "balloon" else HRFConvolution(tr_s=tr_s)
        self.n_skip = int(round(self.transient_s / self.tr_s))
        self.n_keep = int(round(self.duration_s / self.tr_s))
        if self.n_keep < 3:
            raise ValueError(f"duration_s={duration_s:g} s is {self.n_keep} volume(s) at TR {tr_s:g} s; FC needs 3.")
        self.weights = dict(weights or {"fc": 1.0})
        unknown = sorted(set(self.weights) - {"fc", "fc_rmse", "fcd", "fcd_ks"})
        if unknown:
            raise ValueError(f"weights has unknown loss terms {unknown}; use 'fc', 'fc_rmse', 'fcd', 'fcd_ks'.")
        self.fcd_window = None
        if fcd_window_s is not None:
            self.fcd_window = L.window_samples(1.0 / tr_s, fcd_window_s, fcd_step_s or tr_s)
        if ({"fcd", "fcd_ks"} & set(self.weights)) and (self.fcd_window is None or self.target.fcd_values is None):
            raise ValueError("FCD loss terms need fcd_window_s and a target with fcd_values "
                             "(Target.from_data(data, fcd_window_s=...)).")
        self.run, self.params = make_simulator(
            network, model, duration_ms=(self.n_skip + self.n_keep) * tr_s * 1000.0, integrator=integrator,
            noise=noise, monitors=[mon], initial_state=initial_state, chunk_ms=chunk_ms, connections=connections)
        self._fc_target = jnp.asarray(self.target.fc)
        self._fcd_target = None if self.target.fcd_values is None else jnp.asarray(self.target.fcd_values)
        logger.info("BoldObjective: %d + %d volumes at TR %g s, terms %s", self.n_skip, self.n_keep, tr_s,
                    self.weights)

    # -- pure functions -----------------------------------------------------------------------
    def bold(self, params, key):
        """Simulated BOLD ``(n_keep, n_regions)`` after the transient, and the divergence step."""
        out = self.run(params, key)
        return out["bold"][self.n_skip:self.n_skip + self.n_keep, 0, :], out.diverged_step

    def summaries(self, params, key):
        b, div = self.bold(params, key)
        s = {"fc": L.fc(b), "diverged_step": div}
        if self.fcd_window is not None:
            s["fcd_values"] = L.fcd_values(L.fcd_matrix(b, *self.fcd_window))
        return s

    def terms(self, params, key):
        s = self.summaries(params, key)
        out = {}
        for name in self.weights:
            if name == "fc":
                out[name] = L.fc_loss(s["fc"], self._fc_target)
            elif name == "fc_rmse":
                out[name] = L.fc_rmse(s["fc"], self._fc_target)
            elif name == "fcd":
                out[name] = L.fcd_wasserstein(s["fcd_values"], self._fcd_target)
            elif name == "fcd_ks":
                out[name] = L.fcd_ks_smooth(s["fcd_values"], self._fcd_target)
        bad = s["diverged_step"] >= 0
        return {k: jnp.where(bad, jnp.nan, v) for k, v in out.items()}

    def loss(self, params, key):
        """The weighted loss (NaN when the run diverged)."""
        return L.weighted_sum(self.terms(params, key), self.weights)

    def scores(self, params, key):
        """``{"fc_r", "fc_rmse", "fcd_ks", "fcd_w1", "diverged"}`` for reports and sweeps (pure, vmappable)."""
        s = self.summaries(params, key)
        sim = L.fc_similarity(s["fc"], self._fc_target)
        out = {"fc_r": sim["r"], "fc_rmse": sim["rmse"], "diverged": s["diverged_step"] >= 0}
        if "fcd_values" in s and self._fcd_target is not None:
            out["fcd_ks"] = L.fcd_ks(s["fcd_values"], self._fcd_target)
            out["fcd_w1"] = L.fcd_wasserstein(s["fcd_values"], self._fcd_target)
        return out

    def ensemble_loss(self, params, keys):
        """Mean loss over a batch of keys (``vmap``; one noise realisation per key)."""
        return jnp.mean(jax.vmap(lambda k: self.loss(params, k))(keys))

    def __reduce__(self):
        # Pickled (e.g. for Dask workers) as its construction arguments; the compiled simulator is rebuilt.
        return (_rebuild, self._init_args)

    def __repr__(self):
        return (f"<BoldObjective | {self.network.n_regions} regions, {self.n_keep} volumes at TR {self.tr_s:g} s "
                f"(+{self.n_skip} transient), terms {self.weights}>")


def _rebuild(network, model, target, kwargs):
    return BoldObjective(network, model, target, **kwargs)


class SpectrumObjective:
    """Log-spectrum (and peak-frequency) loss of a simulated signal against a target spectrum.

    The simulated monitor (a lead field: EEG/MEG sensors; or ``Subsample``: region signals)
    goes through :func:`~mne_nmm.fitting.losses.welch_psd`, the same Welch estimate as
    :func:`mne_nmm.analysis.psd`; the loss is the mean squared difference of ``log10`` spectra
    over ``[fmin, fmax]`` (each channel normalised to unit total power in that band when
    ``normalize``: the spectral *shape*, independent of the arbitrary source amplitude) plus
    ``peak_weight`` x the squared difference (Hz^2) of soft peak frequencies in ``peak_band``.

    Parameters
    ----------
    network, model
    monitor : Monitor
        One monitor (e.g. ``nmm.monitors.LeadField(gain, period_ms=4.0)`` or
        ``nmm.monitors.Subsample(4.0)``); its first variable is used.
    target_psd : ndarray, shape (n_freqs, n_channels)
        On the frequency grid ``freqs`` of :meth:`welch_psd` with ``window_s`` at the monitor's
        rate (build it with :func:`mne_nmm.analysis.psd` ``window_s=window_s``).
    duration_s, transient_s : float
    window_s : float
        Welch window (sets the resolution 1 / window_s Hz).
    fmin, fmax : float
        Band of the log-spectral distance (Hz).
    peak_band : (float, float) | None
        Band of the peak-frequency term (e.g. the alpha band); None: no such term.
    peak_weight : float
    noise, integrator, initial_state, stimulus
        As in :func:`mne_nmm.make_simulator`.
    """

    def __init__(self, network, model, monitor, target_psd, *, duration_s, transient_s=1.0, window_s=2.0, fmin=1.0,
                 fmax=40.0, peak_band=None, peak_weight=0.01, normalize=True, noise=None,
                 integrator="stochastic_heun", initial_state=None, stimulus=None):
        from ..simulation import make_simulator

        self._init_args = (network, model, monitor, target_psd, dict(
            duration_s=duration_s, transient_s=transient_s, window_s=window_s, fmin=fmin, fmax=fmax,
            peak_band=peak_band, peak_weight=peak_weight, normalize=normalize, noise=noise, integrator=integrator,
            initial_state=initial_state, stimulus=stimulus))
        self.network, self.model, self.monitor = network, model, monitor
        self.duration_s = check_positive(duration_s, "duration_s")
        self.transient_s = check_positive(transient_s, "transient_s", strict=False)
        period_ms = float(monitor.period_ms)
        self.sfreq_hz = 1000.0 / period_ms
        self.n_skip = int(round(self.transient_s * self.sfreq_hz))
        self.n_keep = int(round(self.duration_s * self.sfreq_hz))
        self.n_per_seg = int(round(window_s * self.sfreq_hz))
        if self.n_per_seg > self.n_keep:
            raise ValueError(f"window_s={window_s:g} s is longer than duration_s={duration_s:g} s.")
        self.freqs = np.fft.rfftfreq(self.n_per_seg, 1.0 / self.sfreq_hz)
        tp = np.asarray(target_psd, dtype=float)
        if tp.ndim == 1:
            tp = tp[:, None]
        if tp.shape[0] != self.freqs.size:
            raise ValueError(f"target_psd has {tp.shape[0]} frequencies; window_s={window_s:g} s at "
                             f"{self.sfreq_hz:g} Hz gives {self.freqs.size} (0..{self.freqs[-1]:g} Hz). Compute it "
                             f"with analysis.psd(..., window_s={window_s:g}).")
        self.fmin, self.fmax, self.peak_band = float(fmin), float(fmax), peak_band
        self.peak_weight, self.normalize = float(peak_weight), bool(normalize)
        self._sel = (self.freqs >= self.fmin) & (self.freqs <= self.fmax)
        self.target_psd = tp
        self._target = jnp.asarray(self._shape(tp))
        self.run, self.params = make_simulator(
            network, model, duration_ms=(self.n_skip + self.n_keep) * period_ms, integrator=integrator,
            noise=noise, monitors=[monitor], initial_state=initial_state, stimulus=stimulus)
        self._name = monitor.name
        if self.peak_band is not None:
            lo, hi = self.peak_band
            self._target_peak = L.peak_frequency_soft(jnp.asarray(tp), self.freqs, lo, hi)

    def _shape(self, p):
        p = p[self._sel]
        if self.normalize:
            p = p / jnp.sum(p, axis=0, keepdims=True) if isinstance(p, jnp.ndarray) else p / p.sum(axis=0,
                                                                                                   keepdims=True)
        return p

    def signal(self, params, key):
        out = self.run(params, key)
        return out[self._name][self.n_skip:self.n_skip + self.n_keep, 0, :], out.diverged_step

    def psd(self, params, key):
        x, div = self.signal(params, key)
        p, _ = L.welch_psd(x, self.sfreq_hz, self.n_per_seg)
        return p, div

    def terms(self, params, key):
        if self.normalize:
            # the spectral shape does not depend on the signal's scale: compute it on a signal of
            # unit RMS (a constant factor for the gradient), away from float32 underflow (EEG in V)
            x, div = self.signal(params, key)
            x = x / jax.lax.stop_gradient(jnp.sqrt(jnp.mean(x * x)) + 1e-30)
            p, _ = L.welch_psd(x, self.sfreq_hz, self.n_per_seg)
        else:
            p, div = self.psd(params, key)
        shape = self._shape(p)
        out = {"log_psd": jnp.mean((jnp.log10(shape) - jnp.log10(self._target)) ** 2)}
        if self.peak_band is not None:
            pk = L.peak_frequency_soft(p, self.freqs, *self.peak_band)
            out["peak"] = jnp.mean((pk - self._target_peak) ** 2)
        bad = div >= 0
        return {k: jnp.where(bad, jnp.nan, v) for k, v in out.items()}

    def loss(self, params, key):
        t = self.terms(params, key)
        return t["log_psd"] + (self.peak_weight * t["peak"] if "peak" in t else 0.0)

    def scores(self, params, key):
        t = self.terms(params, key)
        p, div = self.psd(params, key)
        out = {"log_psd": t["log_psd"], "diverged": div >= 0}
        if self.peak_band is not None:
            out["peak_hz"] = jnp.mean(L.peak_frequency_soft(p, self.freqs, *self.peak_band))
            out["peak_error_hz"] = jnp.sqrt(t["peak"])
        return out

    def ensemble_loss(self, params, keys):
        return jnp.mean(jax.vmap(lambda k: self.loss(params, k))(keys))

    def __reduce__(self):
        return (_rebuild_spectrum, self._init_args)

    def __repr__(self):
        return (f"<SpectrumObjective | {self.network.n_regions} regions, monitor {self._name!r} at "
                f"{self.sfreq_hz:g} Hz, {self.duration_s:g} s, {self.fmin:g}-{self.fmax:g} Hz>")


def _rebuild_spectrum(network, model, monitor, target_psd, kwargs):
    return SpectrumObjective(network, model, monitor, target_psd, **kwargs)
