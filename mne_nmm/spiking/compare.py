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
as Dask tasks, with several seeds per cell, and returns maps like the study's
figures (:func:`aggregate_seeds` gives each cell's mean, spread and whether the
verdicts agree across seeds).

References
----------
Deschle N., Gossn J.I., Tewarie P., Schelter B., Daffertshofer A. (2021) On the validity of neural mass
models. Frontiers in Computational Neuroscience 14:581040. doi:10.3389/fncom.2020.581040
Fisher R.A. (1921) On the "probable error" of a coefficient of correlation deduced from a small sample.
Metron 1:3-32 (the z-transform used to bound and to average correlations).
Bayley G.V., Hammersley J.M. (1946) The "effective" number of independent observations in an
autocorrelated time series. J R Stat Soc Suppl 8:184-197.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["MassComparison", "compare_mass_models", "GridResult", "sweep_p_lambda", "effective_n", "aggregate_seeds",
           "SCORES", "VERDICTS"]


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


# --------------------------------------------------------------------------------------------------------------
# The {p, lambda} grid, several seeds per cell
# --------------------------------------------------------------------------------------------------------------

#: scores of one network (one seed of one cell); ``r_*`` are averaged over seeds in Fisher z.
SCORES = ("median_freq_network_hz", "median_freq_cfm_hz", "median_freq_mfm_hz", "chi2_cfm", "chi2_mfm",
          "chi2_crit_cfm", "chi2_crit_mfm", "lag_cfm_ms", "lag_mfm_ms", "r_cfm", "r_mfm", "r_crit_cfm",
          "r_crit_mfm", "spike_contrast", "rate_exc_hz", "rate_inh_hz", "v_sd_mv")
#: yes/no verdicts of one network (1.0 / 0.0): chi2 > crit, r > r_crit, and "tracks" = not differ and correlated.
VERDICTS = ("spectra_differ_cfm", "spectra_differ_mfm", "correlated_cfm", "correlated_mfm", "tracks_cfm",
            "tracks_mfm")
_FISHER = ("r_cfm", "r_mfm")
_R_CLIP = 1.0 - 1e-7
_CHECKPOINT_VERSION = 1


def aggregate_seeds(scores):
    """Mean, spread and verdict consistency over the seeds of each grid cell.

    Parameters
    ----------
    scores : dict of str -> array-like, shape (..., n_seeds)
        Per-seed values (the last axis runs over seeds). Names in
        :data:`VERDICTS` are 0/1 verdicts; ``r_cfm`` and ``r_mfm`` are correlations;
        any other name is a plain score. ``nan`` marks a missing seed (a failed
        run) and is left out.

    Returns
    -------
    mean : dict of str -> ndarray, shape (...)
        Plain scores: arithmetic mean of the finite seeds. Correlations: the
        Fisher-z mean ``tanh(mean(arctanh r))`` (Fisher 1921; the usual way to
        average correlation coefficients). Verdicts: ``frac_<name>``, the fraction
        of seeds where it holds, and ``consistent_<name>``, 1.0 where all seeds
        agree (fraction 0 or 1), 0.0 where they do not. ``nan`` where no seed is finite.
    spread : dict of str -> ndarray, shape (...)
        Sample standard deviation (``ddof=1``) over the finite seeds of each
        plain score and correlation (of ``r`` itself, not of ``z``); ``nan``
        with fewer than 2 finite seeds.
    """
    mean, spread = {}, {}
    if not isinstance(scores, dict):
        raise TypeError(f"scores must be a dict of str -> array, got {type(scores).__name__}.")
    for name, x in scores.items():
        x = np.asarray(x, dtype=float)
        if x.ndim < 1:
            raise ValueError(f"scores[{name!r}] must have a seed axis (last), got a scalar.")
        ok = np.isfinite(x)
        n = ok.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            if name in VERDICTS:
                frac = np.where(n > 0, np.where(ok, x, 0.0).sum(axis=-1) / np.maximum(n, 1), np.nan)
                mean[f"frac_{name}"] = frac
                mean[f"consistent_{name}"] = np.where(n > 0, ((frac == 0) | (frac == 1)).astype(float), np.nan)
                continue
            xs = np.where(ok, x, 0.0)
            m = xs.sum(axis=-1) / np.maximum(n, 1)
            dev = np.where(ok, x - m[..., None], 0.0)
            spread[name] = np.where(n >= 2, np.sqrt((dev ** 2).sum(axis=-1) / np.maximum(n - 1, 1)), np.nan)
            if name in _FISHER:
                z = np.where(ok, np.arctanh(np.clip(xs, -_R_CLIP, _R_CLIP)), 0.0)
                m = np.tanh(z.sum(axis=-1) / np.maximum(n, 1))
            mean[name] = np.where(n > 0, m, np.nan)
    return mean, spread


def _atomic_savez(fname, **arrays):
    """``np.savez`` through a temporary file in the same folder, fsync, rename."""
    import os
    import tempfile

    fname = os.fspath(fname)
    d = os.path.dirname(os.path.abspath(fname))
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, fname)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


@dataclass(frozen=True, eq=False)
class GridResult:
    """Maps over the {p, lambda} grid: seed means, spreads, per-seed values and verdict consistency.

    Attributes
    ----------
    p_values, lambda_values : ndarray
        Grid axes.
    maps : dict of str -> ndarray, shape (n_p, n_lambda)
        Seed means (:func:`aggregate_seeds`) of every score in :data:`SCORES`:
        ``median_freq_network_hz``, ``median_freq_cfm_hz``, ``median_freq_mfm_hz``,
        ``chi2_cfm``, ``chi2_mfm`` and their critical values ``chi2_crit_cfm``,
        ``chi2_crit_mfm`` (at ``alpha``), optimal lags ``lag_cfm_ms``,
        ``lag_mfm_ms``, lagged correlations ``r_cfm``, ``r_mfm`` (Fisher-z mean)
        and their Fisher bounds ``r_crit_cfm``, ``r_crit_mfm``, ``spike_contrast``,
        population rates ``rate_exc_hz``, ``rate_inh_hz`` and the standard deviation
        ``v_sd_mv`` of the network's mean potential; and for every verdict in
        :data:`VERDICTS` (``spectra_differ_*``, ``correlated_*``, ``tracks_*``) the
        fraction of seeds ``frac_<verdict>`` and ``consistent_<verdict>`` (1 where
        all seeds agree).
    settings : dict
        Network size, duration, ``n_seeds``, alpha and the analysis options.
    maps_sd : dict of str -> ndarray, shape (n_p, n_lambda)
        Sample standard deviation over seeds of every score (``nan`` for one seed).
    seed_maps : dict of str -> ndarray, shape (n_p, n_lambda, n_seeds)
        Every score and verdict (0/1) of every network.
    failed : tuple of dict
        Rows that raised with ``on_error="nan"`` (their cells are ``nan``): ``p``,
        ``row`` and ``error`` (the message).
    """

    p_values: np.ndarray
    lambda_values: np.ndarray
    maps: dict
    settings: dict = field(default_factory=dict)
    maps_sd: dict = field(default_factory=dict)
    seed_maps: dict = field(default_factory=dict)
    failed: tuple = ()

    @property
    def n_seeds(self):
        return int(self.settings.get("n_seeds", 1))

    def save(self, fname):
        """Write an ``.npz`` (atomically: temporary file in the same folder, fsync, rename)."""
        import json

        _atomic_savez(fname, p_values=self.p_values, lambda_values=self.lambda_values,
                      settings=json.dumps(self.settings, default=repr), failed=json.dumps(list(self.failed)),
                      **{f"map_{k}": v for k, v in self.maps.items()},
                      **{f"sd_{k}": v for k, v in self.maps_sd.items()},
                      **{f"seed_{k}": v for k, v in self.seed_maps.items()})

    @classmethod
    def load(cls, fname):
        """Read a file written by :meth:`save`."""
        import json

        with np.load(fname) as z:
            def pick(prefix):
                return {k[len(prefix):]: z[k] for k in z.files if k.startswith(prefix)}

            failed = tuple(json.loads(str(z["failed"]))) if "failed" in z.files else ()
            return cls(p_values=z["p_values"], lambda_values=z["lambda_values"], maps=pick("map_"),
                       settings=json.loads(str(z["settings"])), maps_sd=pick("sd_"), seed_maps=pick("seed_"),
                       failed=failed)

    def table(self):
        """One row per grid cell (a pandas DataFrame): seed means, ``<score>_sd`` spreads, verdict fractions."""
        import pandas as pd

        rows = []
        for i, p in enumerate(self.p_values):
            for j, lam in enumerate(self.lambda_values):
                row = dict(p=float(p), lam=float(lam), **{k: float(v[i, j]) for k, v in self.maps.items()})
                row.update({f"{k}_sd": float(v[i, j]) for k, v in self.maps_sd.items()})
                rows.append(row)
        return pd.DataFrame(rows)

    def seed_table(self):
        """One row per network (cell and seed): every score and verdict (a pandas DataFrame)."""
        import pandas as pd

        rows = []
        for i, p in enumerate(self.p_values):
            for j, lam in enumerate(self.lambda_values):
                for s in range(self.n_seeds):
                    rows.append(dict(p=float(p), lam=float(lam), seed=s,
                                     **{k: float(v[i, j, s]) for k, v in self.seed_maps.items()}))
        return pd.DataFrame(rows)

    def __repr__(self):
        extra = f", {len(self.failed)} failed row(s)" if self.failed else ""
        return (f"<GridResult | {self.p_values.size} p x {self.lambda_values.size} lambda x {self.n_seeds} "
                f"seed(s){extra}>")


def _cell_scores(res, ak):
    """Scores and verdicts of one network run (dict of floats)."""
    from .measures import spike_contrast

    cmp = compare_mass_models(res, **ak)
    t0 = ak.get("t_discard_ms", 500.0)
    out = {"median_freq_network_hz": cmp["cfm"].median_freq_network_hz}
    for m in ("cfm", "mfm"):
        c = cmp[m]
        out[f"median_freq_{m}_hz"] = c.median_freq_model_hz
        out[f"chi2_{m}"] = c.chi2
        out[f"chi2_crit_{m}"] = c.chi2_crit
        out[f"lag_{m}_ms"] = c.lag_ms
        out[f"r_{m}"] = c.r
        out[f"r_crit_{m}"] = c.r_crit
        out[f"spectra_differ_{m}"] = float(c.spectra_differ)
        out[f"correlated_{m}"] = float(c.correlated)
        out[f"tracks_{m}"] = float(c.tracks)
    out["v_sd_mv"] = float(np.std(cmp["cfm"].v_network_mv))
    out["spike_contrast"] = spike_contrast(res.spike_times_ms(), t_start_ms=t0, t_stop_ms=res.duration_ms,
                                           min_bin_ms=1.0)
    keep = res.times_ms > t0
    out["rate_exc_hz"] = float(res.rate_exc_hz[keep].mean())
    out["rate_inh_hz"] = float(res.rate_inh_hz[keep].mean())
    return out


def _compute_row(p, lambda_values, n_seeds, base, key_data, key_impl, duration_ms, dt_ms, n_recorded, ak, k_max,
                 batch_size):
    """All lambdas x seeds of one p (vmap batches of ``batch_size`` networks); dict of (n_lambda, n_seeds)."""
    import dataclasses

    import jax

    from .lif import simulate_lif

    lam = np.asarray(lambda_values, float)
    n_cells = lam.size * n_seeds
    lam_b = np.repeat(lam, n_seeds)  # network b = j * n_seeds + s
    keys = jax.random.wrap_key_data(np.asarray(key_data, np.uint32).reshape(n_cells, -1), impl=key_impl)
    bs = n_cells if batch_size is None else int(batch_size)
    out = {k: np.full(n_cells, np.nan) for k in SCORES + VERDICTS}
    for start in range(0, n_cells, bs):
        sl = slice(start, min(start + bs, n_cells))
        b = sl.stop - sl.start
        net = dataclasses.replace(base, p=np.full(b, float(p)), frac_exc=lam_b[sl])
        results = simulate_lif(net, keys[sl], duration_ms=duration_ms, dt_ms=dt_ms, n_recorded=n_recorded,
                               k_max=k_max)
        for off, res in enumerate(results):
            for name, v in _cell_scores(res, ak).items():
                out[name][start + off] = v
    return {k: v.reshape(lam.size, n_seeds) for k, v in out.items()}


def _row_task(i, p, lambda_values, n_seeds, base, key_data, key_impl, duration_ms, dt_ms, n_recorded, ak, k_max,
              batch_size, checkpoint, on_error):
    """One grid row: load its checkpoint if present, else compute (and save); returns (scores, error or None)."""
    import os

    if checkpoint is not None and os.path.exists(checkpoint):
        with np.load(checkpoint) as z:
            return {k: z[k] for k in SCORES + VERDICTS}, None
    try:
        row = _compute_row(p, lambda_values, n_seeds, base, key_data, key_impl, duration_ms, dt_ms, n_recorded, ak,
                           k_max, batch_size)
    except Exception as err:
        if on_error == "raise":
            raise
        nan = np.full((len(lambda_values), n_seeds), np.nan)
        return {k: nan.copy() for k in SCORES + VERDICTS}, f"{type(err).__name__}: {err}"
    if checkpoint is not None:
        _atomic_savez(checkpoint, **row)
    return row, None


def _row_digest(**content):
    """Content digest of one row's inputs (checkpoint file names are keyed on it, never on a name or id)."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(content, sort_keys=True, default=repr).encode()).hexdigest()[:16]


def sweep_p_lambda(p_values, lambda_values, *, base=None, key=None, seed=0, n_seeds=1, duration_ms=3000.0,
                   dt_ms=0.1, n_recorded=200, k_max=None, batch_size=None, scheduler="local", checkpoint_dir=None,
                   on_error="raise", analysis_kwargs=None, verbose=None):
    """Run the network-vs-mass comparison over a grid of connection probabilities and excitatory fractions.

    Every cell ``(p_i, lambda_j)`` runs ``n_seeds`` independent networks
    (connectivity, initial state, Poisson drive and noise all drawn from the
    cell's key), each compared with its CFM and MFM by
    :func:`compare_mass_models`; :func:`aggregate_seeds` gives the cell's mean,
    spread and whether the verdicts agree across seeds.

    Parameters
    ----------
    p_values : array-like, shape (n_p,)
        Connection probabilities.
    lambda_values : array-like, shape (n_lambda,)
        Fractions of excitatory neurons.
    base : LIFNetwork | None
        Other parameters, scalar leaves (default :class:`~mne_nmm.spiking.LIFNetwork`
        with 10,000 neurons).
    key : jax.Array | None
        PRNG key; default ``jax.random.key(seed)``. Seed ``s`` of cell ``(i, j)``
        uses ``fold_in(fold_in(fold_in(key, i), j), s)``, so a network's numbers do
        not depend on ``n_seeds`` or the scheduler (tested bit for bit); a
        different ``batch_size`` gives the same spikes, and scores equal up to
        float32 rounding of the batched reductions (~1e-6).
    seed : int
        Used when ``key`` is None.
    n_seeds : int
        Networks per cell.
    duration_ms, dt_ms : float
        Simulated time and step.
    n_recorded : int
        Spike trains kept per network (for Spike-contrast).
    k_max : int | "common" | None
        Padded out-degree. ``None``: per row, from its ``p`` (each row compiles
        its own run, padding stays small); ``"common"``: one value for all rows,
        from the largest ``p`` (one compilation, more padding: cheaper for
        small, short grids); an int: that value.
    batch_size : int | None
        Networks per ``vmap`` call within a row (default: all ``n_lambda * n_seeds``
        of the row at once); lower it to bound memory.
    scheduler : {"local", "dask"}
        ``"local"``: rows one after the other in this process. ``"dask"``: one
        ``dask.delayed`` task per row computed with the active Dask scheduler or
        ``distributed.Client`` (``pip install dask[distributed]``); results are
        the same numbers as the local run.
    checkpoint_dir : path-like | None
        If given, each finished row is written there atomically as
        ``row_<i>_<digest>.npz``, the digest covering every input of the row
        (p, lambdas, seeds and keys, network parameters, duration, analysis
        options). A rerun with the same inputs loads finished rows instead of
        recomputing them (resumption after an interruption or a failed row);
        changed inputs give new digests, so stale rows are never reused. With
        Dask the folder must be visible to the workers. A ``manifest.json``
        listing the rows is written last, when all rows are done.
    on_error : {"raise", "nan"}
        What a row that raises does. ``"raise"``: the error propagates (rows
        already finished stay in ``checkpoint_dir``; rerun to resume).
        ``"nan"``: its cells are ``nan``, the error is listed in
        ``GridResult.failed``, and it is not checkpointed (a rerun retries it).
    analysis_kwargs : dict | None
        Passed to :func:`compare_mass_models`.
    verbose : bool | str | int | None
        Logging level for this call.

    Returns
    -------
    grid : GridResult
    """
    import json
    import os

    import jax

    from .._validate import check_int, check_option, logger, soft_import, use_log_level
    from .lif import LIFNetwork

    check_option("scheduler", scheduler, ("local", "dask"))
    check_option("on_error", on_error, ("raise", "nan"))
    n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", minimum=1)
    p_arr = np.atleast_1d(np.asarray(p_values, float))
    l_arr = np.atleast_1d(np.asarray(lambda_values, float))
    if p_arr.ndim != 1 or l_arr.ndim != 1 or p_arr.size == 0 or l_arr.size == 0:
        raise ValueError(f"p_values and lambda_values must be non-empty 1D sequences, got shapes {p_arr.shape} "
                         f"and {l_arr.shape}.")
    if np.any((p_arr < 0) | (p_arr > 1)) or np.any((l_arr < 0) | (l_arr > 1)):
        raise ValueError(f"p_values and lambda_values must lie in [0, 1], got p_values={p_arr.tolist()} and "
                         f"lambda_values={l_arr.tolist()}.")
    base = LIFNetwork() if base is None else base
    if not isinstance(base, LIFNetwork):
        raise TypeError(f"base must be an instance of LIFNetwork or None, got {type(base).__name__} instead.")
    leaves = {name: np.asarray(getattr(base, name), float) for name in LIFNetwork._leaf_names}
    if any(v.ndim for v in leaves.values()):
        raise ValueError(f"base must have scalar parameters (the grid sets p and frac_exc), got array leaves "
                         f"{[k for k, v in leaves.items() if v.ndim]}.")
    key = jax.random.key(seed) if key is None else key
    if not jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.wrap_key_data(key)
    key_impl = str(jax.random.key_impl(key))
    ak = dict(analysis_kwargs or {})
    if isinstance(k_max, str):
        check_option("k_max", k_max, ("common",))
        from .connectivity import default_k_max

        k_max = default_k_max(base.n_neurons, float(p_arr.max()))
    elif k_max is not None:
        k_max = check_int(k_max, "k_max", minimum=1)
    if checkpoint_dir is not None:
        checkpoint_dir = os.fspath(checkpoint_dir)
        os.makedirs(checkpoint_dir, exist_ok=True)
        if not os.access(checkpoint_dir, os.W_OK):
            raise PermissionError(f"checkpoint_dir={checkpoint_dir!r} is not writable.")

    def row_keys(i):
        ki = jax.random.fold_in(key, i)
        ks = [jax.random.fold_in(jax.random.fold_in(ki, j), s) for j in range(l_arr.size) for s in range(n_seeds)]
        return np.asarray(jax.random.key_data(jax.numpy.stack(ks)))

    args = []
    for i, p in enumerate(p_arr):
        kd = row_keys(i)
        ckpt = None
        if checkpoint_dir is not None:
            digest = _row_digest(version=_CHECKPOINT_VERSION, p=float(p), lambdas=l_arr.tolist(), n_seeds=n_seeds,
                                 n_neurons=base.n_neurons, leaves={k: float(v) for k, v in leaves.items()},
                                 keys=kd.tolist(), key_impl=key_impl, duration_ms=float(duration_ms),
                                 dt_ms=float(dt_ms), n_recorded=int(n_recorded), k_max=k_max, analysis=ak)
            ckpt = os.path.join(checkpoint_dir, f"row_{i:03d}_{digest}.npz")
        args.append((i, float(p), l_arr, n_seeds, base, kd, key_impl, duration_ms, dt_ms, n_recorded, ak, k_max,
                     batch_size, ckpt, on_error))
    with use_log_level(verbose):
        if scheduler == "dask":
            dask = soft_import("dask", "a Dask sweep", extra="dask")
            task = dask.delayed(_row_task, pure=False)
            rows = list(dask.compute(*[task(*a) for a in args]))
        else:
            rows = []
            for a in args:
                logger.info("sweep: p=%g (%d/%d), %d lambdas x %d seeds", a[1], a[0] + 1, p_arr.size, l_arr.size,
                            n_seeds)
                rows.append(_row_task(*a))
    failed = tuple(dict(row=i, p=float(p_arr[i]), error=err) for i, (_, err) in enumerate(rows) if err is not None)
    for f in failed:
        logger.warning("sweep: row %d (p=%g) failed: %s", f["row"], f["p"], f["error"])
    seed_maps = {k: np.stack([r[k] for r, _ in rows]) for k in SCORES + VERDICTS}
    maps, maps_sd = aggregate_seeds(seed_maps)
    settings = dict(n_neurons=base.n_neurons, duration_ms=float(duration_ms), dt_ms=float(dt_ms), n_seeds=n_seeds,
                    alpha=float(ak.get("alpha", 0.01)), **{k: v for k, v in ak.items() if k != "alpha"})
    if checkpoint_dir is not None and not failed:
        manifest = dict(settings, p_values=p_arr.tolist(), lambda_values=l_arr.tolist(),
                        rows=[os.path.basename(a[13]) for a in args])
        tmp = os.path.join(checkpoint_dir, ".manifest.json.tmp")
        with open(tmp, "w") as f:
            json.dump(manifest, f, indent=1, default=repr)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(checkpoint_dir, "manifest.json"))
    return GridResult(p_values=p_arr, lambda_values=l_arr, maps=maps, settings=settings, maps_sd=maps_sd,
                      seed_maps=seed_maps, failed=failed)
