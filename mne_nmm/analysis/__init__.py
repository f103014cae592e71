"""Analysis of simulated and empirical data through one code path.

Every function first normalises its input with :func:`as_timeseries` (numpy
arrays ``(n_times, n_regions)``, :class:`~mne_nmm.result.MonitorOutput`,
:class:`~mne_nmm.result.SimulationResult`, MNE ``Raw``/``Epochs``/``Evoked``/
``SourceEstimate`` and nilearn 4D images with a labels atlas), so simulated and
empirical data go through identical steps. Importing this module loads neither
mne, nilearn nor matplotlib; they are imported by the functions that need them.
"""

from ._inputs import TimeSeries, as_timeseries
from .compare import compare
from .envelope import envelope_correlation
from .fc import fc_similarity, fisher_z, functional_connectivity, upper_triangle
from .fcd import fcd_distance, fcd_matrix, fcd_values, sliding_window_fc
from .plotting import (plot_band_topomaps, plot_carpet, plot_fc, plot_fc_comparison, plot_fcd, plot_psd)
from .report import make_report
from .spectra import band_power, median_frequency, peak_frequency, psd, spectral_chi2
from .synchrony import instantaneous_phase, kuramoto_order, metastability, order_parameter, phase_locking_value
from .timedomain import CrossCorrelation, cross_correlation, fisher_significance_bound, lagged_fc

__all__ = [
    "TimeSeries", "as_timeseries",
    "functional_connectivity", "fisher_z", "fc_similarity", "upper_triangle",
    "sliding_window_fc", "fcd_matrix", "fcd_values", "fcd_distance",
    "psd", "peak_frequency", "band_power", "median_frequency", "spectral_chi2",
    "CrossCorrelation", "cross_correlation", "lagged_fc", "fisher_significance_bound",
    "instantaneous_phase", "order_parameter", "kuramoto_order", "metastability", "phase_locking_value",
    "envelope_correlation",
    "compare", "make_report",
    "plot_fc", "plot_fc_comparison", "plot_psd", "plot_fcd", "plot_carpet", "plot_band_topomaps",
]
