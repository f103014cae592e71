"""The host side of a simulation: setup, batching, memory estimate, chunked driver, checkpoints.

:func:`simulate` reads as a short composition of them (:mod:`.api`); the pure kernel they
drive lives in :mod:`mne_nmm.core.kernel`.
"""

from .api import estimate_memory, make_simulator, simulate
from .checkpoint import CheckpointError, CheckpointInUseError
from .driver import SimulationDivergedError

__all__ = ["simulate", "make_simulator", "estimate_memory", "SimulationDivergedError", "CheckpointError",
           "CheckpointInUseError"]
