"""Gradient-free search on the batched evaluator: CMA-ES (Hansen & Ostermeier 2001) via ``cma``.

For scores that have no useful gradient (the FCD KS distance, a divergence-prone region of
parameter space) the objective's :meth:`scores` is evaluated one *generation* at a time as a
single batched call (:func:`~mne_nmm.fitting.sweep.evaluate_batch`): CMA-ES proposes
``popsize`` points, the simulator runs them together, CMA-ES updates its search distribution.
The search runs in the unit cube (each parameter scaled from its bounds), where the ``cma``
package handles the box constraints; diverged runs get the worst score.

References
----------
Hansen N., Ostermeier A. (2001) Completely derandomized self-adaptation in evolution strategies.
Evol Comput 9:159-195. The implementation is the ``cma`` package (Hansen et al., pycma).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import check_int, logger

__all__ = ["SearchResult", "cma_search"]


@dataclasses.dataclass(frozen=True, repr=False)
class SearchResult:
    """Result of :func:`cma_search`.

    Attributes
    ----------
    best_values : dict
        Path -> value of the best point seen.
    best_score : float
        Its score (in the direction of ``scoring``: higher is better for ``"fc_r"``, lower for
        ``"-fcd_ks"``'s column ``fcd_ks``).
    best_params : SimParams
    history : pandas.DataFrame
        Every evaluated point: ``generation``, the parameter columns, ``seed`` and all scores.
    n_evaluations : int
    """

    best_values: dict
    best_score: float
    best_params: object
    history: object
    n_evaluations: int

    def __repr__(self):
        vals = ", ".join(f"{k}={v:.4g}" for k, v in self.best_values.items())
        return f"<SearchResult | best {vals} (score {self.best_score:.4f}) after {self.n_evaluations} runs>"


def cma_search(objective, bounds, *, scoring="fc_r", popsize=8, max_generations=10, sigma0=0.3, x0=None,
               seed=0, noise="generation", vectorize="auto", tol=1e-4):
    """Maximise (or, with a ``"-"`` prefix, minimise) a score column with CMA-ES.

    Parameters
    ----------
    objective : BoldObjective
    bounds : dict
        Path -> ``(lo, hi)`` for every searched parameter.
    scoring : str
        A column of ``objective.scores`` (``"fc_r"``; ``"-fcd_ks"`` to minimise ``fcd_ks``).
    popsize : int
        Points per generation (one batched call each).
    max_generations : int
    sigma0 : float
        Initial step size in the unit cube.
    x0 : dict | None
        Starting point (default the centre of the bounds).
    seed : int
        Seeds CMA-ES and the noise.
    noise : {"generation", "fixed", "fresh"}
        Noise seeds of the runs: ``"generation"`` (default) — one seed per generation shared by
        all its candidates (common random numbers: candidates are ranked on the same noise, and
        the noise changes between generations so the search does not over-fit one realisation);
        ``"fixed"`` — seed ``seed`` for every run (a deterministic objective); ``"fresh"`` — a
        new seed for every run.
    vectorize : "auto" | bool
        As in :func:`~mne_nmm.fitting.sweep.sweep`.
    tol : float
        Stop when the spread of a generation's scores is below ``tol``.

    Returns
    -------
    SearchResult
    """
    import jax
    import pandas as pd

    try:
        import cma
    except ImportError:  # pragma: no cover - an optional dependency
        raise ImportError("cma_search needs the 'cma' package: pip install cma (or mne-nmm[fit]).") from None
    from .parameters import Parameter, ParameterSpace
    from .sweep import evaluate_batch

    popsize = check_int(popsize, "popsize", minimum=2)
    max_generations = check_int(max_generations, "max_generations", minimum=1)
    paths = list(bounds)
    if not paths:
        raise ValueError("bounds must name at least one parameter path with (lo, hi).")
    lo = np.array([float(bounds[p][0]) for p in paths])
    hi = np.array([float(bounds[p][1]) for p in paths])
    if np.any(hi <= lo):
        raise ValueError(f"every bound must satisfy lo < hi, got {bounds!r}.")
    if noise not in ("generation", "fixed", "fresh"):
        raise ValueError(f"noise must be 'generation', 'fixed' or 'fresh', got {noise!r}.")
    col = scoring.lstrip("-")
    sign = -1.0 if scoring.startswith("-") else 1.0
    space = ParameterSpace(objective.params, [Parameter(p, transform="identity") for p in paths])
    start = np.full(len(paths), 0.5) if x0 is None else (np.array([float(x0[p]) for p in paths]) - lo) / (hi - lo)
    if vectorize == "auto":
        vectorize = jax.default_backend() != "cpu"
    if len(paths) == 1:
        # pycma needs >= 2 dimensions: search a dummy second coordinate that nothing reads
        start = np.append(start, 0.5)
    es = cma.CMAEvolutionStrategy(start, sigma0, {"bounds": [0.0, 1.0], "popsize": popsize, "seed": seed + 1,
                                                  "verbose": -9})
    rows = []
    best = (-np.inf, None)
    n_eval = 0
    for g in range(max_generations):
        cand = np.asarray(es.ask())
        vals = lo + (hi - lo) * cand[:, :len(paths)]
        if noise == "fixed":
            seeds = np.full(len(cand), seed)
        elif noise == "generation":
            seeds = np.full(len(cand), seed + 1000 * (g + 1))
        else:
            seeds = seed + 1000 * (g + 1) + np.arange(len(cand))
        res = evaluate_batch(objective, paths, vals, seeds, vectorize)
        n_eval += len(cand)
        score = np.asarray(res[col], dtype=float)
        bad = np.asarray(res.get("diverged", np.zeros(len(cand), bool)), bool) | ~np.isfinite(score)
        fitness = np.where(bad, np.inf, -sign * score)          # cma minimises
        es.tell(list(cand), fitness.tolist())
        for i in range(len(cand)):
            rows.append({"generation": g, **{p: vals[i, k] for k, p in enumerate(paths)}, "seed": int(seeds[i]),
                         **{k: np.asarray(v)[i] for k, v in res.items()}})
            if not bad[i] and sign * score[i] > best[0]:
                best = (sign * score[i], vals[i].copy())
        logger.info("cma_search generation %d: best %s = %.4f", g, col, sign * best[0])
        if np.all(np.isfinite(fitness)) and np.ptp(fitness) < tol:
            break
    if best[1] is None:
        raise RuntimeError("every run of the search diverged; narrow the bounds.")
    values = {p: float(best[1][k]) for k, p in enumerate(paths)}
    params = space.to_params({p: np.asarray(v) for p, v in values.items()})
    return SearchResult(best_values=values, best_score=float(sign * best[0]), best_params=params,
                        history=pd.DataFrame(rows), n_evaluations=n_eval)
