"""Spiking network vs neural mass: the comparison of one network and the sweep over {p, lambda}.

For one LIF network run, :func:`compare_mass_models` drives the CFM and the MFM
(:mod:`mne_nmm.spiking.mass`) with the network's recorded spike input and
compares their mean potential with the network's, after discarding the
transient and averaging to ``sfreq_hz``:

* median frequency of both Welch spectra (:func:`mne_nmm.analysis.median_frequency`);
* chi-squared distance between the normalised spectra
  (:func:`mne_nmm.analysis.spectral_chi2`) and its critical value at ``alpha``
  (:func:`~mne_nmm.spiking.measures.chi2_distance_threshold`): below it the
  spectra are indistinguishable given the estimation error;
* optimal lag and lagged correlation with its Fisher-z bound
  (:func:`mne_nmm.analysis.cross_correlation`).

:func:`sweep_p_lambda` repeats this over a grid (networks of one ``p`` share a
padded connectivity size and run as one ``vmap`` over ``lambda``), locally or
as Dask tasks, and returns maps like the study's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["MassComparison", "compare_mass_models", "GridResult", "sweep_p_lambda", "effective_n"]


@dataclass(frozen=True, eq=False)
class MassComparison:
    """Comparison of one mass model's mean potential with the network's.

    Attributes
    ----------
    model : str
        ``"cfm"`` or ``"mfm"``.
    times_ms : ndarray, shape (n_times,)
        Stamps of the analysed samples (end of each averaging window).
    v_network_mv, v_model_mv : ndarray, shape (n_times,)
        Network and model mean potentials at ``sfreq_hz``.
    freqs_hz : ndarray, shape (n_freqs,)
    psd_network, psd_model : ndarray, shape (n_freqs,)
        Welch spectra (mV^2/Hz) in ``[fmin, fmax]``.
    median_freq_network_hz, median_freq_model_hz : float
    chi2, chi2_crit : float
        Distance between normalised spectra and its critical value at ``alpha``.
    spectra_differ : bool
        ``chi2 > chi2_crit``.
    lag_ms : float
        Optimal lag (positive: the model lags behind the network).
    r : float
        Correlation at the optimal lag.
    r_crit : float
        Fisher-z significance bound (level ``alpha``) for ``n_eff`` independent
        pairs (:func:`effective_n`: the samples are autocorrelated, so the plain
        ``n``-sample bound would be far too permissive).
    correlated : bool
        ``r > r_crit``.
    alpha : float
    """

    model: str
    times_ms: np.ndarray
    v_network_mv: np.ndarray
    v_model_mv: np.ndarray
    freqs_hz: np.ndarray
    psd_network: np.ndarray
    psd_model: np.ndarray
    median_freq_network_hz: float
    median_freq_model_hz: float
    chi2: float
    chi2_crit: float
    spectra_differ: bool
    lag_ms: float
    r: float
    r_crit: float
    correlated: bool
    alpha: float
    n_eff: int = 0

    @property
    def tracks(self):
        """The model is a fair summary here: spectra not distinguishable and significant positive correlation."""
        return (not self.spectra_differ) and self.correlated

    def __repr__(self):
        return (f"<MassComparison | {self.model.upper()}: median f {self.median_freq_network_hz:.1f} vs "
                f"{self.median_freq_model_hz:.1f} Hz, chi2={self.chi2:.3g} (crit {self.chi2_crit:.3g}), "
                f"r={self.r:.2f} at lag {self.lag_ms:g} ms>")


def effective_n(x, y, *, max_lag=None):
    """Effective number of independent sample pairs for the correlation of two autocorrelated series.

    Bartlett's (Bayley & Hammersley 1946) ``n_eff = n / (1 + 2 sum_{k>=1} (1 - k/n) rho_x(k) rho_y(k))``
    with the sample autocorrelations summed up to ``max_lag`` (default ``n // 4``);
    at least 4 and at most ``n``.
    """
    x = np.asarray(x, float) - np.mean(x)
    y = np.asarray(y, float) - np.mean(y)
    n = x.size
    L = n // 4 if max_lag is None else int(max_lag)
    nfft = 1 << int(np.ceil(np.log2(2 * n)))

    def acf(z):
        f = np.fft.rfft(z, nfft)
        a = np.fft.irfft(f * np.conj(f), nfft)[:L + 1]
        return a / a[0] if a[0] > 0 else np.zeros(L + 1)

    k = np.arange(1, L + 1)
    s = 1.0 + 2.0 * np.sum((1 - k / n) * acf(x)[1:] * acf(y)[1:])
    return int(np.clip(np.floor(n / max(s, 1e-12)), 4, n))


def _block_mean(x, k):
    m = x.shape[0] // k
    return x[:m * k].reshape(m, k, *x.shape[1:]).mean(axis=1)


def compare_mass_models(result, *, models=("cfm", "mfm"), t_discard_ms=500.0, sfreq_hz=1000.0, window_s=0.5,
                        fmin=2.0, fmax=100.0, max_lag_ms=50.0, alpha=0.01, verbose=None):
    """Compare the CFM and MFM driven by a network's spike input with the network's mean potential.

    Parameters
    ----------
    result : LIFResult
        Network recording.
    models : sequence of {"cfm", "mfm"}
        Mass models to run.
    t_discard_ms : float
        Initial transient left out (ms).
    sfreq_hz : float
        Analysis sampling rate; traces are averaged over blocks of ``dt``.
    window_s : float
        Welch segment length (s); 50 % overlap, Hamming window.
    fmin, fmax : float
        Frequency range (Hz) of the spectra, the median frequency and chi-squared.
    max_lag_ms : float
        Largest lag scanned (ms).
    alpha : float
        Significance level of the chi-squared bound and the correlation bound.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    comparisons : dict of str -> MassComparison
    """
    from .. import analysis
    from .._validate import check_option, check_positive, use_log_level
    from .lif import LIFResult
    from .mass import run_cfm, run_mfm
    from .measures import chi2_distance_threshold, welch_dof

    if not isinstance(result, LIFResult):
        raise TypeError(f"result must be an instance of LIFResult, got {type(result).__name__} instead.")
    for m in models:
        check_option("models", m, ("cfm", "mfm"))
    sf = check_positive(sfreq_hz, "sfreq_hz")
    k = int(round(result.sfreq_hz / sf))
    if k < 1 or not np.isclose(k * sf, result.sfreq_hz):
        raise ValueError(f"sfreq_hz must divide the simulation rate {result.sfreq_hz:g} Hz, got {sfreq_hz!r}.")
    keep = result.times_ms > float(t_discard_ms)
    n_keep = int(keep.sum()) // k
    n_seg = int(round(window_s * sf))
    if n_keep < n_seg:
        raise ValueError(f"After discarding t_discard_ms={t_discard_ms:g} ms, {n_keep / sf:g} s remain, shorter "
                         f"than window_s={window_s:g} s.")
    with use_log_level(verbose):
        v_net = _block_mean(result.v_mean_mv[keep], k)
        times = _block_mean(result.times_ms[keep], k) + 0.5 * (k - 1) * result.dt_ms
        psd_net, freqs = analysis.psd(v_net[:, None], sfreq_hz=sf, fmin=fmin, fmax=fmax, window_s=window_s)
        dof = welch_dof(v_net.size, n_seg, n_seg // 2)
        out = {}
        for name in models:
            pred = run_cfm(result, t_start_ms=t_discard_ms) if name == "cfm" else run_mfm(result)
            v_mod = _block_mean(pred.v_mv[keep], k)
            psd_mod, _ = analysis.psd(v_mod[:, None], sfreq_hz=sf, fmin=fmin, fmax=fmax, window_s=window_s)
            pn, pm = psd_net[:, 0], psd_mod[:, 0]
            chi2 = analysis.spectral_chi2(pn, pm)
            crit = chi2_distance_threshold(pn, pm, dof, alpha=alpha)
            xc = analysis.cross_correlation(v_net, v_mod, sfreq_hz=sf, max_lag_s=max_lag_ms * 1e-3, alpha=alpha)
            i = int(np.flatnonzero(xc.lags == xc.best_lag)[0])
            n_eff = effective_n(v_net, v_mod)
            r_crit = analysis.fisher_significance_bound(min(n_eff, int(xc.n_pairs[i])), alpha=alpha)
            out[name] = MassComparison(
                model=name, times_ms=times, v_network_mv=v_net, v_model_mv=v_mod, freqs_hz=freqs, psd_network=pn,
                psd_model=pm, median_freq_network_hz=analysis.median_frequency(pn, freqs),
                median_freq_model_hz=analysis.median_frequency(pm, freqs), chi2=float(chi2), chi2_crit=crit,
                spectra_differ=bool(chi2 > crit), lag_ms=float(xc.best_lag_s * 1e3), r=float(xc.best_r),
                r_crit=float(r_crit), correlated=bool(xc.best_r > r_crit), alpha=float(alpha), n_eff=n_eff)
    return out


_MAPS = ("median_freq_network_hz", "median_freq_cfm_hz", "median_freq_mfm_hz", "chi2_cfm", "chi2_mfm",
         "chi2_crit_cfm", "chi2_crit_mfm", "lag_cfm_ms", "lag_mfm_ms", "r_cfm", "r_mfm", "r_crit",
         "spike_contrast", "rate_exc_hz", "rate_inh_hz", "v_sd_mv")


@dataclass(frozen=True, eq=False)
class GridResult:
    """Maps over the {p, lambda} grid (arrays of shape ``(n_p, n_lambda)``, seeds averaged where given).

    Attributes
    ----------
    p_values, lambda_values : ndarray
        Grid axes.
    maps : dict of str -> ndarray, shape (n_p, n_lambda)
        ``median_freq_network_hz``, ``median_freq_cfm_hz``, ``median_freq_mfm_hz``,
        ``chi2_cfm``, ``chi2_mfm`` and their critical values ``chi2_crit_cfm``,
        ``chi2_crit_mfm``, optimal lags ``lag_cfm_ms``, ``lag_mfm_ms``, correlations
        ``r_cfm``, ``r_mfm`` and the Fisher bound ``r_crit``, ``spike_contrast``,
        population rates ``rate_exc_hz``, ``rate_inh_hz`` and the standard
        deviation ``v_sd_mv`` of the network's mean potential.
    settings : dict
        Network size, duration, alpha and the analysis options.
    """

    p_values: np.ndarray
    lambda_values: np.ndarray
    maps: dict
    settings: dict = field(default_factory=dict)

    def save(self, fname):
        """Write an ``.npz`` (atomically: temporary file in the same folder, then rename)."""
        import json
        import os
        import tempfile

        fname = os.fspath(fname)
        d = os.path.dirname(os.path.abspath(fname))
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".npz")
        os.close(fd)
        with open(tmp, "wb") as f:
            np.savez(f, p_values=self.p_values, lambda_values=self.lambda_values,
                     settings=json.dumps(self.settings), **{f"map_{k}": v for k, v in self.maps.items()})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, fname)

    @classmethod
    def load(cls, fname):
        import json

        with np.load(fname) as z:
            maps = {k[4:]: z[k] for k in z.files if k.startswith("map_")}
            return cls(p_values=z["p_values"], lambda_values=z["lambda_values"], maps=maps,
                       settings=json.loads(str(z["settings"])))

    def table(self):
        """One row per grid point (a pandas DataFrame)."""
        import pandas as pd

        rows = []
        for i, p in enumerate(self.p_values):
            for j, lam in enumerate(self.lambda_values):
                rows.append(dict(p=p, lam=lam, **{k: float(v[i, j]) for k, v in self.maps.items()}))
        return pd.DataFrame(rows)

    def __repr__(self):
        return f"<GridResult | {self.p_values.size} p x {self.lambda_values.size} lambda>"


def _row(p, lambda_values, base, key, duration_ms, dt_ms, n_recorded, analysis_kwargs, k_max=None):
    """All lambdas of one p (one vmap), analysed; returns dict of arrays (n_lambda,)."""
    import dataclasses

    from .lif import simulate_lif
    from .measures import spike_contrast

    lam = np.asarray(lambda_values, float)
    net = dataclasses.replace(base, p=np.full(lam.size, float(p)), frac_exc=lam)
    results = simulate_lif(net, key, duration_ms=duration_ms, dt_ms=dt_ms, n_recorded=n_recorded, k_max=k_max)
    out = {k: np.full(lam.size, np.nan) for k in _MAPS}
    t0 = analysis_kwargs.get("t_discard_ms", 500.0)
    for j, res in enumerate(results):
        cmp = compare_mass_models(res, **analysis_kwargs)
        out["median_freq_network_hz"][j] = cmp["cfm"].median_freq_network_hz
        for m in ("cfm", "mfm"):
            c = cmp[m]
            out[f"median_freq_{m}_hz"][j] = c.median_freq_model_hz
            out[f"chi2_{m}"][j] = c.chi2
            out[f"chi2_crit_{m}"][j] = c.chi2_crit
            out[f"lag_{m}_ms"][j] = c.lag_ms
            out[f"r_{m}"][j] = c.r
        out["r_crit"][j] = cmp["cfm"].r_crit
        out["v_sd_mv"][j] = float(np.std(cmp["cfm"].v_network_mv))
        out["spike_contrast"][j] = spike_contrast(res.spike_times_ms(), t_start_ms=t0, t_stop_ms=res.duration_ms,
                                                  min_bin_ms=1.0)
        keep = res.times_ms > t0
        out["rate_exc_hz"][j] = float(res.rate_exc_hz[keep].mean())
        out["rate_inh_hz"][j] = float(res.rate_inh_hz[keep].mean())
    return out


def sweep_p_lambda(p_values, lambda_values, *, base=None, key=None, seed=0, duration_ms=3000.0, dt_ms=0.1,
                   n_recorded=200, k_max=None, scheduler="local", analysis_kwargs=None, verbose=None):
    """Run the network-vs-mass comparison over a grid of connection probabilities and excitatory fractions.

    Parameters
    ----------
    p_values : array-like, shape (n_p,)
        Connection probabilities.
    lambda_values : array-like, shape (n_lambda,)
        Fractions of excitatory neurons.
    base : LIFNetwork | None
        Other parameters (default :class:`~mne_nmm.spiking.LIFNetwork` with 10,000 neurons).
    key : jax.Array | None
        PRNG key; default ``jax.random.key(seed)``. Row ``i`` uses ``fold_in(key, i)``.
    seed : int
        Used when ``key`` is None.
    duration_ms, dt_ms : float
        Simulated time and step.
    n_recorded : int
        Spike trains kept per network (for Spike-contrast).
    k_max : int | "common" | None
        Padded out-degree. ``None``: per row, from its ``p`` (each row compiles
        its own run, padding stays small); ``"common"``: one value for all rows,
        from the largest ``p`` (one compilation, more padding: cheaper for
        small, short grids); an int: that value.
    scheduler : {"local", "dask"}
        ``"local"``: rows one after the other in this process. ``"dask"``: one
        ``dask.delayed`` task per row computed with the active Dask scheduler or
        client (``pip install dask[distributed]``).
    analysis_kwargs : dict | None
        Passed to :func:`compare_mass_models`.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    grid : GridResult
    """
    import jax

    from .._validate import check_option, logger, soft_import, use_log_level
    from .lif import LIFNetwork

    check_option("scheduler", scheduler, ("local", "dask"))
    p_arr = np.atleast_1d(np.asarray(p_values, float))
    l_arr = np.atleast_1d(np.asarray(lambda_values, float))
    if p_arr.ndim != 1 or l_arr.ndim != 1 or p_arr.size == 0 or l_arr.size == 0:
        raise ValueError(f"p_values and lambda_values must be non-empty 1D sequences, got shapes {p_arr.shape} "
                         f"and {l_arr.shape}.")
    if np.any((p_arr < 0) | (p_arr > 1)) or np.any((l_arr < 0) | (l_arr > 1)):
        raise ValueError("p_values and lambda_values must lie in [0, 1].")
    base = LIFNetwork() if base is None else base
    key = jax.random.key(seed) if key is None else key
    ak = dict(analysis_kwargs or {})
    if isinstance(k_max, str):
        check_option("k_max", k_max, ("common",))
        from .connectivity import default_k_max

        k_max = default_k_max(base.n_neurons, float(p_arr.max()))
    with use_log_level(verbose):
        if scheduler == "dask":
            dask = soft_import("dask", "a Dask sweep", extra="dask")
            tasks = [dask.delayed(_row)(p, l_arr, base, jax.random.fold_in(key, i), duration_ms, dt_ms, n_recorded,
                                        ak, k_max) for i, p in enumerate(p_arr)]
            rows = list(dask.compute(*tasks))
        else:
            rows = []
            for i, p in enumerate(p_arr):
                logger.info("sweep: p=%g (%d/%d), %d lambdas", p, i + 1, p_arr.size, l_arr.size)
                rows.append(_row(p, l_arr, base, jax.random.fold_in(key, i), duration_ms, dt_ms, n_recorded, ak,
                                 k_max))
    maps = {k: np.stack([r[k] for r in rows]) for k in _MAPS}
    settings = dict(n_neurons=base.n_neurons, duration_ms=float(duration_ms), dt_ms=float(dt_ms),
                    alpha=float(ak.get("alpha", 0.01)), **{k: v for k, v in ak.items() if k != "alpha"})
    return GridResult(p_values=p_arr, lambda_values=l_arr, maps=maps, settings=settings)
