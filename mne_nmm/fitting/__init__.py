"""Fitting and exploration: fit whole-brain models to empirical data and sweep them at scale.

* :mod:`~mne_nmm.fitting.losses` — JAX FC, FCD, band-pass, Welch PSD and losses, with the same
  definitions as :mod:`mne_nmm.analysis` (tested to rounding).
* :class:`Parameter` / :class:`ParameterSpace` — what is fitted (SimParams paths), its shape
  and constraint (transforms for bounded and positive values).
* :class:`BoldObjective` / :class:`Target` — a BOLD simulator plus empirical targets, as pure
  functions of SimParams and a noise key.
* :class:`FCFit` (gradients, optax) and :class:`FCGridSearch` (batched sweeps) — estimators in
  scikit-learn style; :class:`LinearFCFit` fits through the linear-noise approximation of the BOLD FC
  (:func:`linear_bold_fc`: no noise, no simulation) and scores with the simulator.
* :func:`sweep`, :func:`grid`, :func:`random_design` — batched, resumable, local or Dask.
* :func:`cma_search` — CMA-ES (the ``cma`` package) on the batched evaluator, for scores
  without useful gradients (FCD KS).
* :func:`leave_one_subject_out`, :func:`kfold_subjects`, :func:`group_fc`, :func:`target_fc` —
  held-out validation on subjects.
* :func:`feedback_inhibition_control` — FIC for the reduced Wong-Wang model with its fixed
  point and stability.
"""

from . import losses
from .data import Split, group_connectome, group_fc, kfold_subjects, leave_one_subject_out, target_fc
from .estimators import FCFit, FCGridSearch, LinearFCFit, gradient_fit
from .linear import LinearFCObjective, heun_spectral_radius, linear_bold_fc
from .objective import BoldObjective, SpectrumObjective, Target
from .parameters import Parameter, ParameterSpace
from .search import SearchResult, cma_search
from .sweep import grid, random_design, sweep

__all__ = ["losses", "Parameter", "ParameterSpace", "BoldObjective", "Target", "FCFit", "FCGridSearch", "sweep",
           "grid", "random_design", "leave_one_subject_out", "kfold_subjects", "group_fc", "target_fc", "Split",
           "group_connectome", "cma_search", "SearchResult",
           "gradient_fit", "SpectrumObjective", "LinearFCFit", "LinearFCObjective", "linear_bold_fc",
           "heun_spectral_radius"]
