"""Estimators in scikit-learn style: fit a whole-brain model's BOLD FC to empirical data.

* :class:`FCFit` — gradient descent (optax) through the simulator on chosen SimParams leaves
  (global, per-region or per-connection), with an ensemble of noise keys per step, a
  validation score on noise keys never used for training, best-seen selection and early
  stopping.
* :class:`FCGridSearch` — the same objective evaluated on a design (grid or random) with the
  batched :func:`~mne_nmm.fitting.sweep`; for non-differentiable scores or a global picture.

Both follow scikit-learn's contract: ``__init__`` only stores its arguments
(``get_params``/``set_params``/``clone`` work), ``fit(X)`` returns ``self`` and sets the
attributes ending in ``_`` (``best_params_`` is a new :class:`~mne_nmm.SimParams`; the inputs
are not changed), ``score(X)`` is the FC correlation of a fresh-noise simulation with the
best parameters against ``X``'s FC, and using an unfitted estimator raises
:class:`sklearn.exceptions.NotFittedError`. ``X`` is anything
:func:`~mne_nmm.fitting.data.target_fc` reads: ``EmpiricalData`` (its group FC, or the
``subjects=`` given to ``fit``), an FC matrix, a time series array, an MNE object, a list of
time series.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validate import check_int, check_positive, logger, validate_type
from .objective import BoldObjective, Target
from .parameters import ParameterSpace, as_parameters

__all__ = ["FCFit", "FCGridSearch", "LinearFCFit", "gradient_fit"]


class _BoldBase(BaseEstimator):
    """Shared: building the objective from the estimator's arguments and X; scoring."""

    def _objective(self, X, subjects, duration_s):
        from ..core.noise import AdditiveNoise

        fcd_w = self.fcd_window_s if any(k.startswith("fcd") for k in (self.weights or {})) else None
        target = X if isinstance(X, Target) else Target.from_data(
            X, subjects=subjects, fcd_window_s=fcd_w, fcd_step_s=self.fcd_step_s, region_names=None)
        noise = AdditiveNoise(sigma=self.noise_sigma) if self.noise_sigma else None
        return BoldObjective(self.network, self.model, target, duration_s=duration_s, transient_s=self.transient_s,
                             tr_s=self.tr_s, noise=noise, monitor=self.monitor, weights=self.weights,
                             fcd_window_s=fcd_w, fcd_step_s=self.fcd_step_s, initial_state=self.initial_state,
                             connections=getattr(self, "connections", "structural"))

    def score(self, X, y=None, *, subjects=None, n_seeds=1):
        """FC r (Pearson of the upper triangles) of fresh-noise runs with ``best_params_`` vs ``X``.

        The runs are ``score_duration_s`` long (default ``duration_s``) and use noise seeds that
        the fit never used; with ``n_seeds > 1`` the mean r is returned (each run's r is in
        ``last_scores_``).
        """
        check_is_fitted(self, "best_params_")
        n_seeds = check_int(n_seeds, "n_seeds", minimum=1)
        obj = self._objective(X, subjects, self.score_duration_s or self.duration_s)
        base = 10_000_019 + 7919 * int(self.random_state or 0)
        f = jax.jit(obj.scores)
        rs = []
        for i in range(n_seeds):
            s = f(self.best_params_, jax.random.PRNGKey(base + i))
            if bool(s["diverged"]):
                raise RuntimeError("the scoring run with best_params_ diverged; check the fitted values "
                                   f"{self.best_values_}.")
            rs.append(float(s["fc_r"]))
        self.last_scores_ = np.asarray(rs)
        return float(np.mean(rs))

    def simulated_bold(self, *, seed=None, duration_s=None):
        """BOLD ``(n_volumes, n_regions)`` of one run with ``best_params_`` (after the transient; fresh noise
        unless ``seed`` is given), e.g. for FCD or spectra of the fitted model."""
        check_is_fitted(self, "best_params_")
        obj = self._objective(Target(fc=np.eye(self.network.n_regions)), None,
                              duration_s or self.score_duration_s or self.duration_s)
        key = jax.random.PRNGKey(20_000_003 + int(self.random_state or 0) if seed is None else seed)
        b, div = obj.bold(self.best_params_, key)
        if int(div) >= 0:
            raise RuntimeError(f"the run with best_params_ diverged; check the fitted values {self.best_values_}.")
        return np.asarray(b)

    def simulated_fc(self, *, seed=None, duration_s=None):
        """FC of one run with ``best_params_`` (fresh noise unless ``seed`` is given)."""
        return np.corrcoef(self.simulated_bold(seed=seed, duration_s=duration_s).T)


class FCFit(_BoldBase):
    """Fit SimParams leaves to an empirical FC by gradient descent through the simulator.

    Parameters
    ----------
    network : Network
        Structure (weights, delays, coupling, ``dt_ms``) with the target's region order.
    model : NeuralMass
        A model with ``bold_drive`` (e.g. ``Hopf(a=-0.05)``).
    parameters : str | list | dict
        What is fitted (see :func:`~mne_nmm.fitting.parameters.as_parameters`), e.g.
        ``{"global_coupling": (0, 2), "noise_sigma": (0, 0.2)}`` or
        ``{"model.a": {"bounds": (-0.5, 0.5), "shape": "region"}}`` or
        ``{"weights": {"transform": "log", "shape": "full"}}``.
    duration_s, transient_s, tr_s, monitor, noise_sigma
        The simulated BOLD of each loss evaluation (see
        :class:`~mne_nmm.fitting.objective.BoldObjective`).
    weights : dict | None
        Loss terms (default ``{"fc": 1.0}``; add ``"fcd"`` with ``fcd_window_s``).
    fcd_window_s, fcd_step_s : float | None
    optimizer : {"adam", "sgd"} | optax.GradientTransformation
    learning_rate : float
    max_iter : int
        Gradient steps.
    n_keys : int
        Noise realisations averaged per step (an ensemble; vmapped).
    keys : {"fresh", "fixed"} | array of PRNG keys
        ``"fresh"``: new noise keys every step (the fit cannot over-fit one realisation);
        ``"fixed"``: the same ``n_keys`` keys every step (a deterministic loss); an array of
        keys ``(k, 2)``: exactly those every step.
    n_validation_keys : int
        Noise keys reserved for the validation loss (never used in training).
    validate_every : int
        Steps between validations; the best-seen validation loss selects ``best_params_``.
        Without validation keys, ``best_params_`` is the best-seen training loss when the keys
        are fixed (a deterministic loss) and the last step's parameters when they are fresh.
    patience : int | None
        Stop after this many validations without improvement (None: run ``max_iter``).
    validation_data : EmpiricalData | array | None
        Held-out targets for the validation loss (default: the training target, fresh noise).
    score_duration_s : float | None
        Length of the runs in :meth:`score` (e.g. the full recording).
    initial_state : array | None
        e.g. from :func:`~mne_nmm.fitting.fic.feedback_inhibition_control`.
    connections : {"structural", "all"}
        Which pairs may carry a weight (``"all"`` to fit free effective connectivity).
    clip_norm : float
        Gradient clipping (global norm) before the optimiser.
    random_state : int
        Seeds every noise key of the fit.

    Attributes
    ----------
    best_params_ : SimParams
    best_values_ : dict
        Fitted values by path.
    loss_history_ : ndarray, shape (n_iter_,)
        Training loss per step.
    validation_history_ : list of (step, loss)
    n_iter_ : int
    best_iter_ : int
    seconds_per_step_ : float
    n_backtracks_ : int
        Steps undone because the run diverged there (redone at half the size from the last finite point).
    """

    def __init__(self, network, model, *, parameters=("global_coupling",), duration_s=300.0, transient_s=30.0, tr_s=2.0,
                 monitor="balloon", noise_sigma=0.02, weights=None, fcd_window_s=None, fcd_step_s=None,
                 optimizer="adam", learning_rate=0.05, max_iter=50, n_keys=1, keys="fresh", n_validation_keys=2,
                 validate_every=5, patience=4, validation_data=None, score_duration_s=None, initial_state=None,
                 connections="structural", clip_norm=10.0, random_state=0):
        self.network = network
        self.model = model
        self.parameters = parameters
        self.duration_s = duration_s
        self.transient_s = transient_s
        self.tr_s = tr_s
        self.monitor = monitor
        self.noise_sigma = noise_sigma
        self.weights = weights
        self.fcd_window_s = fcd_window_s
        self.fcd_step_s = fcd_step_s
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.n_keys = n_keys
        self.keys = keys
        self.n_validation_keys = n_validation_keys
        self.validate_every = validate_every
        self.patience = patience
        self.validation_data = validation_data
        self.score_duration_s = score_duration_s
        self.initial_state = initial_state
        self.connections = connections
        self.clip_norm = clip_norm
        self.random_state = random_state

    def fit(self, X, y=None, *, subjects=None):
        """Fit to ``X`` (see the module docstring); returns ``self``."""
        obj = self._objective(X, subjects, self.duration_s)
        val_obj = None if self.validation_data is None else self._objective(self.validation_data, None,
                                                                            self.duration_s)
        res = gradient_fit(obj, self.parameters, optimizer=self.optimizer, learning_rate=self.learning_rate,
                           max_iter=self.max_iter, n_keys=self.n_keys, keys=self.keys,
                           n_validation_keys=self.n_validation_keys, validate_every=self.validate_every,
                           patience=self.patience, clip_norm=self.clip_norm, random_state=self.random_state,
                           validation_objective=val_obj)
        for k, v in res.items():
            setattr(self, k, v)
        return self


def _optimizer(optimizer, learning_rate, clip_norm):
    import optax

    lr = check_positive(learning_rate, "learning_rate")
    if isinstance(optimizer, str):
        if optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam', 'sgd' or an optax.GradientTransformation, got {optimizer!r}.")
        opt = optax.adam(lr) if optimizer == "adam" else optax.sgd(lr)
    else:
        opt = optimizer
    return optax.apply_if_finite(optax.chain(optax.clip_by_global_norm(float(clip_norm)), opt), 5)


def gradient_fit(objective, parameters, *, optimizer="adam", learning_rate=0.05, max_iter=50, n_keys=1, keys="fresh",
                 n_validation_keys=2, validate_every=5, patience=4, clip_norm=10.0, random_state=0,
                 validation_objective=None):
    """Gradient descent on ``objective.ensemble_loss`` over SimParams leaves (the engine of :class:`FCFit`).

    Works with any objective that has ``params`` and ``ensemble_loss(params, keys)``
    (:class:`~mne_nmm.fitting.objective.BoldObjective`,
    :class:`~mne_nmm.fitting.objective.SpectrumObjective`, your own). The arguments are those of
    :class:`FCFit`; returns a dict of the fitted attributes (``best_params_``, ``best_values_``,
    ``loss_history_``, ``validation_history_``, ``best_validation_loss_``, ``n_iter_``,
    ``best_iter_``, ``seconds_per_step_``, ``space_``, ``best_u_``, ``n_backtracks_``).

    A step whose loss or gradient is not finite (the run diverged) is undone: the last step from
    a finite point is redone at half the size (and every later step keeps the smaller size);
    ``n_backtracks_`` counts them.
    """
    import optax

    max_iter = check_int(max_iter, "max_iter", minimum=1)
    n_keys = check_int(n_keys, "n_keys", minimum=1)
    n_val = check_int(n_validation_keys, "n_validation_keys", minimum=0)
    every = check_int(validate_every, "validate_every", minimum=1)
    explicit = None
    if isinstance(keys, str):
        if keys not in ("fresh", "fixed"):
            raise ValueError(f"keys must be 'fresh', 'fixed' or an array of PRNG keys, got {keys!r}.")
    else:
        explicit = jnp.asarray(keys)
        if explicit.ndim != 2 or explicit.dtype != jnp.uint32:
            raise ValueError(f"keys as an array must be PRNG keys of shape (k, 2) uint32 (jax.random.PRNGKey), "
                             f"got shape {explicit.shape} dtype {explicit.dtype}.")
    fresh = isinstance(keys, str) and keys == "fresh"
    space = ParameterSpace(objective.params, as_parameters(parameters))
    val_obj = objective if validation_objective is None else validation_objective
    seed = int(random_state or 0)
    k_train, k_val = jax.random.split(jax.random.PRNGKey(seed))
    val_keys = jax.random.split(k_val, n_val) if n_val else None
    fixed_keys = jax.random.split(k_train, n_keys) if explicit is None else explicit

    def loss_u(u, ks):
        return objective.ensemble_loss(space.to_params(u), ks)

    vg = jax.jit(jax.value_and_grad(loss_u))
    val_fn = jax.jit(lambda u, ks: val_obj.ensemble_loss(space.to_params(u), ks)) if n_val else None
    opt = _optimizer(optimizer, learning_rate, clip_norm)
    u = jax.tree_util.tree_map(jnp.asarray, space.init())
    state = opt.init(u)
    hist, vhist = [], []
    best_u, best_v, best_it, since = u, np.inf, 0, 0
    t0 = time.perf_counter()
    n_done = 0
    # Backtracking: a step that lands where the simulation diverges (non-finite loss, e.g. weights pushed past
    # the integrator's stability limit) is undone and redone at half the size from the last finite point;
    # without it the fit would stay stuck in the diverging region (apply_if_finite only skips NaN updates).
    good, scale, n_back = None, 1.0, 0

    @jax.jit
    def step_from(u0, g0, s0, sc):     # jitted: eager optax updates cost ~0.2 s per step on 6400 weights
        upd, s1 = opt.update(g0, s0, u0)
        return optax.apply_updates(u0, jax.tree_util.tree_map(lambda x: sc * x, upd)), s1

    for it in range(max_iter):
        ks = jax.random.split(jax.random.fold_in(k_train, it), n_keys) if fresh else fixed_keys
        if n_val and it % every == 0:
            v = float(val_fn(u, val_keys))
            vhist.append((it, v))
            if np.isfinite(v) and v < best_v - 1e-9:
                best_u, best_v, best_it, since = u, v, it, 0
            else:
                since += 1
            logger.info("gradient_fit step %d: validation loss %.4f (best %.4f at %d)", it, v, best_v, best_it)
            if patience is not None and since > int(patience):
                break
        loss, g = vg(u, ks)
        hist.append(float(loss))
        if not n_val and not fresh and np.isfinite(hist[-1]) and hist[-1] < best_v - 1e-12:
            best_u, best_v, best_it = u, hist[-1], it   # deterministic loss: best seen in training
        finite = np.isfinite(hist[-1]) and all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree_util.tree_leaves(g))
        if finite:
            good = (u, g, state)
            u, state = step_from(u, g, state, scale)
        elif good is not None:
            scale *= 0.5
            n_back += 1
            logger.info("gradient_fit step %d: non-finite loss; step redone from the last finite point at x%.3g",
                        it, scale)
            u, state = step_from(good[0], good[1], good[2], scale)
        n_done += 1
        logger.debug("gradient_fit step %d: loss %.4f", it, float(loss))
    if n_val:
        v = float(val_fn(u, val_keys))
        vhist.append((n_done, v))
        if np.isfinite(v) and v < best_v - 1e-9:
            best_u, best_v, best_it = u, v, n_done
    elif fresh or not np.isfinite(best_v):
        best_u, best_it = u, n_done
    return {"seconds_per_step_": (time.perf_counter() - t0) / max(n_done, 1), "space_": space,
            "best_u_": jax.tree_util.tree_map(np.asarray, best_u), "best_params_": space.to_params(best_u),
            "best_values_": space.describe(best_u), "loss_history_": np.asarray(hist),
            "validation_history_": vhist, "best_validation_loss_": best_v, "n_iter_": n_done,
            "best_iter_": best_it, "n_backtracks_": n_back}


class FCGridSearch(_BoldBase):
    """Evaluate the FC objective on a design with the batched sweep; keep the best point.

    Parameters
    ----------
    network, model, duration_s, transient_s, tr_s, monitor, noise_sigma, weights, fcd_window_s, fcd_step_s,
    score_duration_s, initial_state
        As in :class:`FCFit`.
    design : pandas.DataFrame
        Points (columns are parameter paths), e.g. ``grid(global_coupling=np.linspace(0.1, 0.6, 11))``.
    n_seeds : int
        Noise realisations per point; points are ranked by the mean score.
    scoring : str
        Column of the sweep table to maximise (``"fc_r"``) or, prefixed with ``"-"``, minimise
        (``"-fcd_ks"``).
    batch_size, out_dir, client
        See :func:`~mne_nmm.fitting.sweep.sweep`.
    random_state : int

    Attributes
    ----------
    best_params_, best_values_, best_score_, cv_results_ (the sweep table), summary_ (per point)
    """

    def __init__(self, network, model, design, *, duration_s=300.0, transient_s=30.0, tr_s=2.0, monitor="balloon",
                 noise_sigma=0.02, weights=None, fcd_window_s=None, fcd_step_s=None, n_seeds=1, scoring="fc_r",
                 batch_size=8, out_dir=None, client=None, score_duration_s=None, initial_state=None, random_state=0):
        self.network = network
        self.model = model
        self.design = design
        self.duration_s = duration_s
        self.transient_s = transient_s
        self.tr_s = tr_s
        self.monitor = monitor
        self.noise_sigma = noise_sigma
        self.weights = weights
        self.fcd_window_s = fcd_window_s
        self.fcd_step_s = fcd_step_s
        self.n_seeds = n_seeds
        self.scoring = scoring
        self.batch_size = batch_size
        self.out_dir = out_dir
        self.client = client
        self.score_duration_s = score_duration_s
        self.initial_state = initial_state
        self.random_state = random_state

    def fit(self, X, y=None, *, subjects=None):
        """Sweep the design against ``X``; returns ``self``."""
        from .sweep import sweep

        obj = self._objective(X, subjects, self.duration_s)
        table = sweep(obj, self.design, n_seeds=self.n_seeds, seed=int(self.random_state or 0) * 1000,
                      batch_size=self.batch_size, out_dir=self.out_dir, client=self.client)
        col = self.scoring.lstrip("-")
        if col not in table.columns:
            raise ValueError(f"scoring {self.scoring!r}: the sweep table has no column {col!r}; columns are "
                             f"{list(table.columns)}.")
        ok = table[~table["diverged"].astype(bool)]
        if ok.empty:
            raise RuntimeError("every run of the sweep diverged; lower the coupling or dt.")
        summary = ok.groupby("point")[col].agg(["mean", "std", "count"])
        sign = -1.0 if self.scoring.startswith("-") else 1.0
        best_point = int((sign * summary["mean"]).idxmax())
        row = self.design.iloc[best_point]
        space = ParameterSpace(obj.params, [p for p in as_parameters([*self.design.columns])])
        u = {p.path: np.asarray(float(row[p.path])) for p in space.parameters}
        self.best_params_ = space.to_params(u)
        self.best_values_ = {k: float(row[k]) for k in self.design.columns}
        self.best_score_ = float(summary.loc[best_point, "mean"])
        self.best_index_ = best_point
        self.cv_results_ = table
        self.summary_ = summary
        return self


class LinearFCFit(_BoldBase):
    """Fit SimParams leaves to an empirical FC through the linear-noise approximation; score with the simulator.

    The loss is that of :class:`~mne_nmm.fitting.linear.LinearFCObjective`: the BOLD FC of the
    network linearised at its fixed point (:func:`~mne_nmm.fitting.linear.linear_bold_fc`, no
    noise, no simulation; milliseconds per gradient), so hundreds of Adam steps on every
    structural weight (an effective connectivity, Gilson et al. 2016; Deco et al. 2019) take
    seconds. :meth:`score` and :meth:`simulated_bold` then run the full nonlinear simulator
    (delays, noise, Balloon-Windkessel) with ``best_params_``: that, not the surrogate, is the
    result to report. Valid where the network sits at a stable fixed point driven by noise
    (e.g. Hopf ``a < 0``); the fit raises otherwise.

    Parameters
    ----------
    network, model, duration_s, transient_s, tr_s, monitor, noise_sigma, score_duration_s, initial_state,
    connections, optimizer, learning_rate, clip_norm, random_state
        As in :class:`FCFit` (``duration_s``/``score_duration_s``: the simulator runs of
        :meth:`score`; ``initial_state``: the fixed point or a guess, default the model's
        default initial state, polished by Newton).
    parameters : str | list | dict
        What is fitted (as in :class:`FCFit`); default every structural weight on a log scale.
    weights : dict | None
        Loss terms ``"fc"`` (default) and ``"fc_rmse"``.
    max_iter : int
        Adam steps (default 1000); ``best_params_`` is the best-seen loss (the loss is deterministic).
    row_sum_limit : float | None
        Every weight row sum is kept (soft penalty) at most this factor times the largest row sum of
        the starting weights, so that hubs do not grow past the integrator's stability limit.
    n_newton : int
        Newton iterations per evaluation when the fixed point moves with the fitted values.
    stability : bool
        Penalise fitted values whose linearisation Heun cannot integrate at the network's ``dt``
        (spectral radius of the linear step above 1; ``stability_dt_ms`` of
        :class:`~mne_nmm.fitting.linear.LinearFCObjective`). Default True.

    Attributes
    ----------
    best_params_, best_values_, loss_history_, n_iter_, best_iter_, seconds_per_step_, n_backtracks_
        As in :class:`FCFit`.
    surrogate_r_ : float
        FC r of the linearised model with ``best_params_`` against the target.
    objective_ : LinearFCObjective
    """

    fcd_window_s = None
    fcd_step_s = None

    def __init__(self, network, model, *, parameters=None, duration_s=300.0, transient_s=30.0, tr_s=2.0,
                 monitor="balloon", noise_sigma=0.02, weights=None, optimizer="adam", learning_rate=0.02,
                 max_iter=1000, row_sum_limit=1.5, n_newton=0, stability=True, score_duration_s=None,
                 initial_state=None, connections="structural", clip_norm=10.0, random_state=0):
        self.network = network
        self.model = model
        self.parameters = parameters
        self.duration_s = duration_s
        self.transient_s = transient_s
        self.tr_s = tr_s
        self.monitor = monitor
        self.noise_sigma = noise_sigma
        self.weights = weights
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.row_sum_limit = row_sum_limit
        self.n_newton = n_newton
        self.stability = stability
        self.score_duration_s = score_duration_s
        self.initial_state = initial_state
        self.connections = connections
        self.clip_norm = clip_norm
        self.random_state = random_state

    def fit(self, X, y=None, *, subjects=None):
        """Fit to ``X`` (anything :class:`FCFit` accepts); returns ``self``."""
        from .linear import LinearFCObjective

        if not self.noise_sigma:
            raise ValueError(f"noise_sigma must be positive for the linear-noise approximation, got "
                             f"{self.noise_sigma!r}.")
        obj = self._objective(X, subjects, self.duration_s)
        n = self.network.n_regions
        if self.initial_state is not None:
            x0 = np.asarray(self.initial_state, dtype=float)
        else:
            x0 = np.asarray(self.model.default_initial(), dtype=float)
        if x0.ndim == 1:
            x0 = np.repeat(x0[:, None], n, axis=1)
        limit = None
        if self.row_sum_limit is not None:
            factor = check_positive(self.row_sum_limit, "row_sum_limit")
            limit = factor * float(np.max(np.sum(np.asarray(obj.params.weights), axis=1)))
        validate_type(self.stability, bool, "stability")
        lin = LinearFCObjective(obj.params, obj.target.fc, x0, weights=self.weights, row_sum_limit=limit,
                                n_newton=self.n_newton,
                                stability_dt_ms=float(self.network.dt_ms) if self.stability else None)
        parameters = self.parameters if self.parameters is not None else {"weights": {"transform": "log",
                                                                                       "shape": "full"}}
        res = gradient_fit(lin, parameters, optimizer=self.optimizer, learning_rate=self.learning_rate,
                           max_iter=self.max_iter, n_keys=1, keys="fixed", n_validation_keys=0, patience=None,
                           clip_norm=self.clip_norm, random_state=self.random_state)
        for k, v in res.items():
            setattr(self, k, v)
        self.objective_ = lin
        self.surrogate_r_ = float(jax.jit(lin.scores)(self.best_params_)["fc_r"])
        self._check_integrator(lin)
        return self

    def _check_integrator(self, lin):
        """Warn when the fitted delay-free Jacobian leaves (stochastic) Heun's stability region at ``dt``."""
        from .linear import linear_bold_fc

        J = np.asarray(linear_bold_fc(self.best_params_, lin.state, n_newton=lin.n_newton)[1]["jacobian"],
                       dtype=float)
        z = np.linalg.eigvals(J) * float(self.network.dt_ms)
        amp = np.abs(1.0 + z + 0.5 * z * z)
        self.max_heun_amplification_ = float(amp.max())
        if amp.max() >= 1.0:
            logger.warning("LinearFCFit: the fitted network's linearisation is outside Heun's stability region "
                           "at dt = %g ms (largest amplification %.3f >= 1): simulations may diverge; use "
                           "stability=True, a lower row_sum_limit or a smaller dt.", self.network.dt_ms, amp.max())
