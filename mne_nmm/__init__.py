"""mne_nmm: whole-brain neural mass models in JAX for MNE-Python and nilearn.

Importing this package loads neither mne, nilearn nor nibabel, and changes no
``jax.config`` setting; the edge modules (``eeg``, ``fmri``, ``convert``,
``adapters``, ``analysis``) are imported on first use.
"""

import importlib as _importlib

from ._validate import set_log_level
from .connectome import Connectome
from .core import coupling
from .core.integrators import RK4, Euler, EulerMaruyama, Heun, StochasticHeun
from .core.noise import AdditiveNoise, MultiplicativeNoise
from .core.params import SimParams
from .simulation import SimulationDivergedError, estimate_memory, make_simulator, simulate
from .core import stimulus
from .core.stimulus import Stimulus
from .network import Network
from .result import MonitorOutput, SimulationResult
from . import monitors

from ._version import __version__

_LAZY = ("models", "datasets", "analysis", "adapters", "convert", "eeg", "fmri", "dynamics", "fitting", "spiking",
         "cli")


def __getattr__(name):
    if name in _LAZY:
        return _importlib.import_module(f"{__name__}.{name}")
    if name == "list_models":
        return _importlib.import_module(f"{__name__}.models").list_models
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Connectome", "Network", "SimParams", "simulate", "make_simulator", "estimate_memory", "SimulationDivergedError",
           "AdditiveNoise", "MultiplicativeNoise", "Euler", "Heun", "RK4", "EulerMaruyama", "StochasticHeun",
           "Stimulus", "stimulus", "coupling", "monitors", "MonitorOutput", "SimulationResult", "set_log_level",
           *_LAZY, "list_models"]
