"""Network: a connectome with coupling, global coupling strength and integer delays."""

from __future__ import annotations

import warnings

import numpy as np

from ._validate import check_positive, validate_type
from .connectome import Connectome
from .core.coupling import Coupling, Difference


class Network:
    """A connectome prepared for simulation.

    Parameters
    ----------
    connectome : Connectome
        Structural connectivity (row = target, column = source).
    coupling : Coupling
        Coupling function (default :class:`~mne_nmm.core.coupling.Difference`).
    global_coupling : float
        Global coupling strength ``G``; it scales the weights (``G * W``).
    speed_m_per_s : float
        Conduction speed in m/s (= mm/ms). ``np.inf`` disables delays.
    dt_ms : float
        Integration step in ms. Delays are computed once here.

    Attributes
    ----------
    delay_steps : ndarray of int, shape (n_regions, n_regions)
        ``rint(tract_length_mm / speed_m_per_s / dt_ms)`` — the TVB rounding convention.
        A connection with a nonzero length whose delay rounds to 0 steps triggers a warning.

    Notes
    -----
    Region ``i`` receives ``c_i = post(sum_j G W[i, j] pre(x_j(t - delay_steps[i, j] dt)), x_i(t))``.
    """

    def __init__(self, connectome, *, coupling=None, global_coupling=1.0, speed_m_per_s=3.0, dt_ms=0.1):
        validate_type(connectome, Connectome, "connectome")
        coupling = Difference() if coupling is None else coupling
        validate_type(coupling, Coupling, "coupling", "a Coupling instance (e.g. mne_nmm.coupling.Difference())")
        self.connectome = connectome
        self.global_coupling = float(validate_type(global_coupling, "numeric", "global_coupling"))
        if not np.isfinite(self.global_coupling):
            raise ValueError(f"global_coupling must be finite, got {global_coupling!r}.")
        self.speed_m_per_s = check_positive(speed_m_per_s, "speed_m_per_s", allow_inf=True)
        self.dt_ms = check_positive(dt_ms, "dt_ms")
        # Kuramoto normalises by N: record the network size in the (static) coupling.
        if hasattr(coupling, "n_regions") and getattr(coupling, "n_regions") != connectome.n_regions:
            import dataclasses

            coupling = dataclasses.replace(coupling, n_regions=connectome.n_regions)
        self.coupling = coupling
        self.delay_steps = self._compute_delays()

    def _compute_delays(self):
        lengths = self.connectome.tract_lengths_mm
        if np.isinf(self.speed_m_per_s):
            return np.zeros(lengths.shape, dtype=np.int32)
        delays_ms = lengths / self.speed_m_per_s
        steps = np.rint(delays_ms / self.dt_ms).astype(np.int64)
        connected = self.connectome.weights > 0
        lost = connected & (lengths > 0) & (steps == 0)
        if lost.any():
            i, j = np.argwhere(lost)[0]
            warnings.warn(
                f"{int(lost.sum())} connection(s) with nonzero tract length have a delay that rounds to 0 steps "
                f"at dt={self.dt_ms:g} ms and speed {self.speed_m_per_s:g} m/s (e.g. {self.connectome.region_names[j]!r} -> "
                f"{self.connectome.region_names[i]!r}, {lengths[i, j]:.3g} mm = {delays_ms[i, j]:.3g} ms); they are instantaneous.",
                RuntimeWarning, stacklevel=3)
        if steps.max(initial=0) > np.iinfo(np.int32).max:
            raise ValueError("delays are too long for int32 step indices; increase dt_ms or speed_m_per_s.")
        return steps.astype(np.int32)

    # -- convenience ----------------------------------------------------------------
    @property
    def weights(self):
        return self.connectome.weights

    @property
    def n_regions(self):
        return self.connectome.n_regions

    @property
    def region_names(self):
        return self.connectome.region_names

    @property
    def max_delay_steps(self):
        """Largest delay among connected pairs (steps)."""
        d = self.delay_steps[self.weights > 0]
        return int(d.max()) if d.size else 0

    @property
    def min_delay_steps(self):
        """Smallest nonzero delay among connected pairs (steps), 0 if there is none."""
        d = self.delay_steps[(self.weights > 0) & (self.delay_steps > 0)]
        return int(d.min()) if d.size else 0

    @property
    def has_delays(self):
        return self.max_delay_steps > 0

    def replace(self, **changes):
        """Copy with some of ``connectome, coupling, global_coupling, speed_m_per_s, dt_ms`` changed."""
        kw = dict(connectome=self.connectome, coupling=self.coupling, global_coupling=self.global_coupling,
                  speed_m_per_s=self.speed_m_per_s, dt_ms=self.dt_ms)
        unknown = sorted(set(changes) - set(kw))
        if unknown:
            raise ValueError(f"Network.replace got unknown argument(s) {unknown}; valid: {sorted(kw)}.")
        kw.update(changes)
        return Network(kw.pop("connectome"), **kw)

    def __repr__(self):
        return (f"<Network | {self.n_regions} regions, {self.coupling!r}, G={self.global_coupling:g}, "
                f"speed={self.speed_m_per_s:g} m/s, dt={self.dt_ms:g} ms, delays {self.min_delay_steps}-"
                f"{self.max_delay_steps} steps>")


