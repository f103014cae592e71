"""Plain-numpy simulation results.

Conventions (written once, tested in ``tests/test_result.py`` and the monitor tests):

* arrays are **time-major**: ``data.shape == (n_times, n_variables, n_regions)``
  (``n_variables`` may be 1); only the MNE converters transpose;
* ``times_s[k]`` is the time stamp of sample ``k`` in seconds from the start of
  the simulation; ``time_stamp`` says whether it is the instant of the sample
  (``"instant"``, e.g. a subsampled state at the end of a step) or the *end* of
  the averaging window ``(times_s[k] - window_s, times_s[k]]``
  (``"end"``, e.g. temporal averages and BOLD);
* ``sfreq_hz == 1 / period_s``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class MonitorOutput:
    """Output of one monitor.

    Attributes
    ----------
    name : str
        Monitor name (e.g. ``"subsample"``, ``"tavg"``, ``"bold"``, ``"eeg"``).
    times_s : ndarray, shape (n_times,)
        Time stamps in seconds (see ``time_stamp``).
    data : ndarray, shape (n_times, n_variables, n_channels) or (n_batch, n_times, n_variables, n_channels)
        Monitor samples; ``n_channels`` is the number of regions for region-level
        monitors and of sensors for projection monitors. Batched runs (sweeps,
        trials) have a leading batch axis.
    sfreq_hz : float
        Sampling frequency in Hz.
    variable_names : tuple of str
        Names of the recorded variables (axis 1).
    channel_names : tuple of str
        Region (or sensor) names (axis 2).
    time_stamp : {"instant", "end"}
        Whether each time stamp is an instantaneous sample or the end of its window.
    window_s : float
        Length of the window each sample summarises (0 for instantaneous samples).
    units : tuple of str
        Unit of each variable (e.g. ``"mV"``, ``"a.u."``, ``"V"``).
    info : dict
        Free-form metadata (e.g. the TR of a BOLD monitor, the gain used).
    """

    name: str
    times_s: np.ndarray
    data: np.ndarray
    sfreq_hz: float
    variable_names: tuple
    channel_names: tuple
    time_stamp: str = "instant"
    window_s: float = 0.0
    units: tuple = ()
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.data.ndim not in (3, 4):
            raise ValueError(f"MonitorOutput.data must be 3D (n_times, n_variables, n_channels) or 4D with a leading "
                             f"batch axis, got shape {self.data.shape}.")
        if self.data.shape[-3] != len(self.times_s):
            raise ValueError(f"MonitorOutput.times_s has {len(self.times_s)} entries but data has {self.data.shape[-3]} samples.")

    @property
    def n_times(self):
        return self.data.shape[-3]

    @property
    def batch_size(self):
        """Number of batched runs (None for a single run)."""
        return self.data.shape[0] if self.data.ndim == 4 else None

    def __getitem__(self, index):
        """Select one run of a batched output (``out[i]``), returning an unbatched MonitorOutput."""
        if self.data.ndim != 4:
            raise TypeError("Only batched outputs (4D data) can be indexed by run.")
        return dataclasses.replace(self, data=self.data[index], info=dict(self.info, batch_index=index))

    def get(self, variable=None):
        """Return the data of one variable as ``(n_times, n_channels)``.

        Parameters
        ----------
        variable : str | int | None
            Variable name or index; ``None`` requires a single recorded variable.

        Returns
        -------
        data : ndarray, shape ([n_batch,] n_times, n_channels)
        """
        if variable is None:
            if self.data.shape[-2] != 1:
                raise ValueError(f"variable must be given: this output records {self.variable_names}.")
            return self.data[..., 0, :]
        if isinstance(variable, str):
            if variable not in self.variable_names:
                raise ValueError(f"variable must be one of {self.variable_names}, got {variable!r}.")
            variable = self.variable_names.index(variable)
        return self.data[..., variable, :]

    def __repr__(self):
        batch = f"{self.batch_size} runs x " if self.batch_size else ""
        return (f"<MonitorOutput '{self.name}' | {batch}{self.n_times} samples at {self.sfreq_hz:g} Hz, "
                f"variables={list(self.variable_names)}, {self.data.shape[-1]} channels, time_stamp={self.time_stamp}>")


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Everything a simulation returns, as plain numpy.

    Attributes
    ----------
    outputs : dict of str -> MonitorOutput
        One entry per monitor, keyed by monitor name.
    final_state : ndarray, shape (n_state_variables, n_regions)
        Model state at the end of the run (usable as the next ``initial_state``).
    dt_ms : float
        Integration step.
    duration_ms : float
        Simulated duration.
    model : object
        The model (parameter pytree) that was simulated.
    network : object
        The :class:`mne_nmm.Network`.
    stimulus_onsets_s : ndarray
        Onsets of discrete stimulus events (for stim channels / epochs).
    info : dict
        Run metadata (integrator, noise, seed, block size, divergence report...).
    """

    outputs: dict
    final_state: np.ndarray
    dt_ms: float
    duration_ms: float
    model: object = None
    network: object = None
    stimulus_onsets_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    info: dict = field(default_factory=dict)

    def __getitem__(self, name):
        try:
            return self.outputs[name]
        except KeyError:
            raise KeyError(f"No monitor named {name!r}; available: {list(self.outputs)}") from None

    def __iter__(self):
        return iter(self.outputs.values())

    @property
    def batch_size(self):
        """Number of batched runs (sweeps / trials), None for a single run."""
        return self.info.get("batch")

    def run(self, index):
        """The ``index``-th run of a batched result as an unbatched :class:`SimulationResult`."""
        if self.batch_size is None:
            raise TypeError("This result is not batched.")
        outs = {k: v[index] for k, v in self.outputs.items()}
        fs = self.final_state[index] if self.final_state.ndim == 3 else self.final_state
        return dataclasses.replace(self, outputs=outs, final_state=fs, info=dict(self.info, batch=None, batch_index=index))

    @property
    def output(self):
        """The single monitor output (error if there are several)."""
        if len(self.outputs) != 1:
            raise ValueError(f"This result has {len(self.outputs)} monitors ({list(self.outputs)}); index it by name.")
        return next(iter(self.outputs.values()))

    def __repr__(self):
        mons = ", ".join(f"{k}: {v.data.shape}" for k, v in self.outputs.items())
        return f"<SimulationResult | {self.duration_ms:g} ms at dt={self.dt_ms:g} ms | {mons}>"
