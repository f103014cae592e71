"""mne_nmm: whole-brain neural mass models in JAX for MNE-Python and nilearn.

Importing this package loads neither mne, nilearn nor nibabel, and changes no
``jax.config`` setting.
"""

__version__ = "0.1.0.dev0"
