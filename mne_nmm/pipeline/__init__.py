"""A simulation step for existing pipelines: config-file batch runs, BIDS derivatives, scikit-learn.

:mod:`.config`
    ``mne-nmm run CONFIG.toml`` (or ``.yaml``): :func:`load_config` validates a config
    against :data:`~mne_nmm.pipeline.config.SCHEMA` (errors name the key and its line),
    :func:`run_config` runs every subject x condition as a resumable batch and writes
    per-subject EEG and BOLD BIDS derivatives, a group FC comparison and the resolved
    config; :func:`read_params` / :func:`write_params` for per-subject parameter files.
:mod:`.bids`
    BIDS derivative writers: EEG via mne-bids (``desc-sim``), BOLD NIfTI + JSON sidecar,
    the BEP034 model description, ``dataset_description.json`` with ``GeneratedBy``.
:mod:`.sklearn`
    :class:`~mne_nmm.pipeline.sklearn.SimulatedFC`: structural connectome -> simulated FC
    features, for ``sklearn.pipeline.Pipeline``.
:mod:`.demo`
    :func:`~mne_nmm.pipeline.demo.make_demo_tree`: a small per-subject tree (MRtrix3 CSVs,
    FreeSurfer subjects, forwards, a config) built from shipped data.

Nothing here is imported by ``import mne_nmm``; importing this package loads no mne/nilearn.
"""

import importlib as _importlib

_LAZY = {"load_config": "config", "run_config": "config", "ConfigError": "config", "read_params": "config",
         "write_params": "config", "SimulatedFC": "sklearn", "make_demo_tree": "demo"}
_MODULES = ("config", "bids", "sklearn", "demo")


def __getattr__(name):
    if name in _LAZY:
        return getattr(_importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name in _MODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
