"""Fitting and exploration: JAX losses (same definitions as :mod:`mne_nmm.analysis`), parameter
transforms, data splits, scikit-learn-style estimators (optax) and batched sweeps (local or Dask).
"""

from . import losses
