"""Spiking networks and the spiking-vs-mass validation harness.

* :class:`LIFNetwork` / :func:`simulate_lif`: conductance-based LIF networks
  (E, I and external synapses, directed Erdos-Renyi connectivity, external
  Poisson drive onto the excitatory neurons, white membrane noise), sparse
  event-driven spike propagation, batched with ``vmap``.
* :class:`QIFNetwork` / :func:`simulate_qif` and :func:`simulate_mpr`: QIF
  networks against the exact Montbrio-Pazo-Roxin mean field of the catalogue.
* :func:`run_cfm` / :func:`run_mfm`: the conventional and modified Freeman mass
  models driven by a network's recorded spike input.
* :func:`compare_mass_models` / :func:`sweep_p_lambda` / :func:`plot_grid`:
  the comparison (median frequency, chi-squared spectral distance with its
  significance bound, optimal lag and lagged correlation) and its maps over the
  connection probability ``p`` and the excitatory fraction ``lambda``.

Importing this module imports jax and numpy only; mne, matplotlib and dask are
imported by the functions that need them. Run ``python -m mne_nmm.spiking --help``
for the command line.
"""

from .compare import (
    GridResult,
    SCORES,
    VERDICTS,
    MassComparison,
    aggregate_seeds,
    compare_mass_models,
    effective_n,
    sweep_p_lambda,
)
from .connectivity import erdos_renyi_targets, propagate_spikes, targets_to_dense
from .lif import LIFNetwork, LIFResult, lif_rate_constant_conductance, simulate_lif
from .mass import (
    MassPrediction,
    freeman_filter,
    freeman_impulse_response,
    run_cfm,
    run_mfm,
)
from .measures import (
    chi2_distance_threshold,
    population_rate,
    spike_contrast,
    welch_dof,
)
from .plotting import plot_comparison, plot_grid, plot_qif_mpr
from .poisson import poisson_drive
from .qif import (
    MPRTrace,
    QIFNetwork,
    QIFResult,
    lorentzian_quantiles,
    simulate_mpr,
    simulate_qif,
)

__all__ = [
    "LIFNetwork", "LIFResult", "simulate_lif", "lif_rate_constant_conductance",
    "QIFNetwork", "QIFResult", "MPRTrace", "simulate_qif", "simulate_mpr", "lorentzian_quantiles",
    "erdos_renyi_targets", "propagate_spikes", "targets_to_dense", "poisson_drive",
    "MassPrediction", "freeman_impulse_response", "freeman_filter", "run_cfm", "run_mfm",
    "spike_contrast", "population_rate", "welch_dof", "chi2_distance_threshold",
    "MassComparison", "compare_mass_models", "effective_n", "GridResult", "sweep_p_lambda", "aggregate_seeds",
    "SCORES", "VERDICTS",
    "plot_grid", "plot_comparison", "plot_qif_mpr",
]
