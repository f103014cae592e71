"""scikit-learn transformers: structural connectomes in, simulated functional connectivity features out.

:class:`SimulatedFC` turns each subject's structural connectome into the upper triangle of the
FC of a simulated network on it (like nilearn's ``ConnectivityMeasure(vectorize=True,
discard_diagonal=True)``, but from a simulation), so it slots into a
:class:`sklearn.pipeline.Pipeline`::

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import Pipeline

    pipe = Pipeline([("fc", SimulatedFC(global_coupling=0.3, duration_s=20.0)), ("clf", LogisticRegression())])
    cross_val_score(pipe, sc_list, labels, cv=5)

The transformer is stateless (``fit`` only checks the input and records ``n_regions_`` and
``n_features_out_``): hyper-parameters are plain ``__init__`` arguments, so
``get_params``/``set_params``/``clone`` and grid searches over e.g. ``global_coupling`` work.

The simulation is one pure function from :func:`mne_nmm.make_simulator` on a template network
of ``n_regions`` nodes in which every pair may carry a weight (``connections="all"``); each
sample only replaces the ``weights`` leaf of the parameters, so one compiled function serves
all samples (cached on the configuration's values). Tract lengths are not used (no
conduction delays): the features depend on the weights and the hyper-parameters only. Every
sample uses the same noise (``random_state``: common random numbers), so feature differences
come from the connectomes, not from the noise.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["SimulatedFC", "as_weight_stack"]

_CACHE = {}


def as_weight_stack(X):
    """``(n_samples, n, n)`` float array from a list of arrays / Connectomes or a 3D array."""
    from ..connectome import Connectome

    if isinstance(X, np.ndarray) and X.ndim == 3:
        arr = np.asarray(X, dtype=float)
    else:
        if isinstance(X, np.ndarray) and X.ndim != 3:
            raise ValueError(f"X must be a list of (n_regions, n_regions) connectomes or an array of shape "
                             f"(n_samples, n_regions, n_regions), got an array of shape {X.shape}.")
        items = [x.weights if isinstance(x, Connectome) else np.asarray(x, dtype=float) for x in X]
        if not items:
            raise ValueError("X holds no connectome (0 samples).")
        shapes = {a.shape for a in items}
        if len(shapes) != 1:
            raise ValueError(f"all connectomes of X must have the same shape, got {sorted(shapes)}.")
        arr = np.stack(items)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"each connectome must be square (n_regions, n_regions), got shape {arr.shape[1:]}.")
    if arr.shape[1] < 2:
        raise ValueError("connectomes must have at least 2 regions.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("connectome weights must be finite and non-negative.")
    return arr


class SimulatedFC(TransformerMixin, BaseEstimator):
    """Structural connectome -> FC of a simulated network (vectorised upper triangle).

    Parameters
    ----------
    model : str
        Node model (:func:`mne_nmm.models.get_model` name), default ``"hopf"``.
    model_params : dict | None
        Model parameters; default ``{"a": -0.05}`` for ``"hopf"`` (noise-driven, below
        the bifurcation), else the model's defaults.
    coupling : str
        Coupling function (:data:`mne_nmm.core.coupling.COUPLINGS` name), default
        ``"difference"`` (diffusive).
    global_coupling : float
        Global coupling strength (weights normalised as ``normalize`` says).
    normalize : {"max", "none"}
        Divide each connectome by its largest weight first (default), or not.
    duration_s : float
        Simulated time used for FC (after ``transient_s``).
    transient_s : float
        Discarded start.
    dt_ms : float
        Integration step (stochastic Heun).
    period_ms : float
        Sampling period of the simulated signal.
    noise_sigma : float
        Additive noise on every state variable, per sqrt(ms).
    variable : int
        Index of the state variable whose FC is computed (0: Hopf ``x``).
    fisher : bool
        Return Fisher-z (``arctanh``) values.
    random_state : int
        Noise seed (the same for every sample).

    Attributes
    ----------
    n_regions_ : int
    n_features_out_ : int
        ``n_regions_ * (n_regions_ - 1) / 2``.
    """

    def __init__(self, model="hopf", model_params=None, coupling="difference", global_coupling=0.3, normalize="max",
                 duration_s=20.0, transient_s=2.0, dt_ms=1.0, period_ms=10.0, noise_sigma=0.02, variable=0,
                 fisher=False, random_state=0):
        self.model = model
        self.model_params = model_params
        self.coupling = coupling
        self.global_coupling = global_coupling
        self.normalize = normalize
        self.duration_s = duration_s
        self.transient_s = transient_s
        self.dt_ms = dt_ms
        self.period_ms = period_ms
        self.noise_sigma = noise_sigma
        self.variable = variable
        self.fisher = fisher
        self.random_state = random_state

    # -- sklearn API --------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Check ``X`` (list of (n, n) connectomes or (n_samples, n, n)); return self."""
        self._check_params()
        W = as_weight_stack(X)
        self.n_regions_ = W.shape[1]
        self.n_features_out_ = self.n_regions_ * (self.n_regions_ - 1) // 2
        return self

    def transform(self, X):
        """Simulated FC upper triangles, shape ``(n_samples, n_features_out_)`` (``np.triu_indices(n, 1)`` order)."""
        check_is_fitted(self, "n_regions_")
        W = as_weight_stack(X)
        if W.shape[1] != self.n_regions_:
            raise ValueError(f"X has connectomes of {W.shape[1]} regions; this transformer was fitted on "
                             f"{self.n_regions_}.")
        run, params, n_skip = self._simulator(self.n_regions_)
        iu = np.triu_indices(self.n_regions_, 1)
        out = np.empty((len(W), len(iu[0])))
        for k, w in enumerate(W):
            w = w.copy()
            np.fill_diagonal(w, 0.0)
            if self.normalize == "max" and w.max() > 0:
                w = w / w.max()
            stiff = float(self.global_coupling) * float(w.sum(axis=1).max()) * float(self.dt_ms)
            if self.coupling == "difference" and stiff > 1.8:
                raise ValueError(f"sample {k}: global_coupling x max in-strength x dt_ms = {stiff:.3g} > 1.8: the "
                                 "diffusive coupling makes the stochastic Heun step unstable; lower global_coupling "
                                 "or dt_ms.")
            sig = np.asarray(run(params.replace(weights=w, global_coupling=float(self.global_coupling)),
                                 int(self.random_state))["subsample"])[n_skip:, self.variable, :]
            fc = np.corrcoef(sig.T)
            if not np.all(np.isfinite(fc)):
                raise ValueError(f"sample {k}: the simulated signal is constant or non-finite; FC is undefined "
                                 "(check global_coupling, noise_sigma and the model).")
            vals = fc[iu]
            out[k] = np.arctanh(np.clip(vals, -1 + 1e-12, 1 - 1e-12)) if self.fisher else vals
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "n_regions_")
        i, j = np.triu_indices(self.n_regions_, 1)
        return np.array([f"fc_{a}_{b}" for a, b in zip(i, j)], dtype=object)

    # -- internals -----------------------------------------------------------------------------
    def _check_params(self):
        from ..core.coupling import COUPLINGS

        if self.coupling not in COUPLINGS:
            raise ValueError(f"coupling must be one of {sorted(COUPLINGS)}, got {self.coupling!r}.")
        if self.normalize not in ("max", "none"):
            raise ValueError(f"normalize must be 'max' or 'none', got {self.normalize!r}.")
        for name in ("duration_s", "dt_ms", "period_ms"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a number > 0, got {v!r}.")
        if not (isinstance(self.transient_s, (int, float)) and self.transient_s >= 0):
            raise ValueError(f"transient_s must be a number >= 0, got {self.transient_s!r}.")
        if abs(self.period_ms / self.dt_ms - round(self.period_ms / self.dt_ms)) > 1e-9:
            raise ValueError(f"period_ms ({self.period_ms}) must be a whole number of dt_ms ({self.dt_ms}).")
        n_keep = int(round(1000.0 * self.duration_s / self.period_ms))
        if n_keep < 3:
            raise ValueError(f"duration_s = {self.duration_s} leaves {n_keep} samples at period_ms = "
                             f"{self.period_ms}; FC needs at least 3.")

    def _model_params(self):
        if self.model_params is not None:
            return dict(self.model_params)
        return {"a": -0.05} if self.model == "hopf" else {}

    def _simulator(self, n):
        import jax

        from ..connectome import Connectome
        from ..core.coupling import COUPLINGS
        from ..core.noise import AdditiveNoise
        from ..models import get_model
        from ..monitors import Subsample
        from ..network import Network
        from ..simulation import make_simulator

        self._check_params()
        mp = self._model_params()
        key = (n, self.model, tuple(sorted((k, float(v)) for k, v in mp.items())), self.coupling,
               float(self.duration_s), float(self.transient_s), float(self.dt_ms), float(self.period_ms),
               float(self.noise_sigma))
        if key in _CACHE:
            return _CACHE[key]
        template = np.ones((n, n)) - np.eye(n)
        net = Network(Connectome(template, name="template"), coupling=COUPLINGS[self.coupling](),
                      global_coupling=float(self.global_coupling), dt_ms=float(self.dt_ms))
        n_skip = int(round(1000.0 * self.transient_s / self.period_ms))
        n_total = n_skip + int(round(1000.0 * self.duration_s / self.period_ms))
        run, params = make_simulator(net, get_model(self.model, **mp), duration_ms=n_total * self.period_ms,
                                     integrator="stochastic_heun", noise=AdditiveNoise(sigma=float(self.noise_sigma)),
                                     monitors=[Subsample(float(self.period_ms))], connections="all")
        entry = (jax.jit(run), params, n_skip)
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = entry
        return entry
