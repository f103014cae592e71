"""Dynamics toolkit: equilibria, continuation and bifurcations, limit cycles, phase portraits,
forcing and entrainment, network stability and synchrony, controllability and optimal control.

Every tool works for any catalogue or user model (a :class:`~mne_nmm.core.models.base.NeuralMass`),
for a single node or for a network (a :class:`~mne_nmm.Network`, a :class:`~mne_nmm.Connectome`
or a weight matrix, with a coupling and a global coupling strength). Analyses of networks
around fixed points are delay-free (stated in each function) except
:func:`delayed_network_stability` (the rightmost roots of the delayed characteristic equation,
:func:`characteristic_roots`, with the simulator's delays; :func:`delayed_linearization`);
:func:`synchrony_sweep` integrates the delays. Limit cycles are computed by shooting or by
orthogonal collocation (``method="collocation"`` in :func:`find_limit_cycle` and
:func:`continue_limit_cycle`). Time is in ms, frequencies in Hz, parameters in the model's units. Numerics of
equilibria, continuation and linear algebra run in float64 inside :func:`jax.enable_x64`; the
global ``jax.config`` is never changed.

Results are small frozen dataclasses of numpy arrays: :class:`Equilibria`, :class:`Branch`
(with :class:`SpecialPoint` ``"LP"``, ``"H"``, ``"BP"``), :class:`CycleBranch` (``"LPC"``,
``"PD"``, ``"NS"``), :class:`Locus` (``"CP"``, ``"BT"``, ``"GH"``), :class:`SweepDiagram`,
:class:`EntrainmentMap`, :class:`NetworkStability`, :class:`DelayedNetworkStability`,
:class:`DelayedLinearization`, :class:`CharacteristicRoots`, :class:`SynchronySweep`,
:class:`LinearSystem`, :class:`MinimumEnergyControl`, :class:`OptimalControl`, :class:`PhasePortrait`.
"""

from .continuation import Branch, Locus, SpecialPoint, continue_bifurcation, continue_equilibrium
from .control import (LinearSystem, MinimumEnergyControl, OptimalControl, average_controllability,
                      controllability_gramian, controllability_rank, linearize, minimum_energy_control,
                      modal_controllability, observability_gramian, observability_rank, optimal_control,
                      structural_system)
from .delays import (CharacteristicRoots, DelayedLinearization, DelayedNetworkStability, characteristic_roots,
                     delayed_linearization, delayed_network_stability)
from .cycles import CycleBranch, continue_limit_cycle, find_limit_cycle
from .equilibria import Equilibria, find_equilibria, jacobian
from .forcing import EntrainmentMap, entrainment_map, pulse_waveform, sine_waveform
from .network import NetworkStability, SynchronySweep, network_stability, order_parameter, synchrony_sweep
from .phase_plane import PhasePortrait, phase_portrait
from .plotting import plot_bifurcation_diagram, plot_entrainment_map, plot_locus, plot_phase_portrait
from .sweeps import SweepDiagram, sweep_diagram

__all__ = [
    "find_equilibria", "jacobian", "Equilibria",
    "continue_equilibrium", "continue_bifurcation", "Branch", "Locus", "SpecialPoint",
    "continue_limit_cycle", "find_limit_cycle", "CycleBranch",
    "sweep_diagram", "SweepDiagram",
    "entrainment_map", "EntrainmentMap", "pulse_waveform", "sine_waveform",
    "network_stability", "NetworkStability", "synchrony_sweep", "SynchronySweep", "order_parameter",
    "delayed_network_stability", "DelayedNetworkStability", "delayed_linearization", "DelayedLinearization",
    "characteristic_roots", "CharacteristicRoots",
    "linearize", "LinearSystem", "controllability_gramian", "observability_gramian", "controllability_rank",
    "observability_rank", "minimum_energy_control", "MinimumEnergyControl", "structural_system",
    "average_controllability", "modal_controllability", "optimal_control", "OptimalControl",
    "phase_portrait", "PhasePortrait",
    "plot_phase_portrait", "plot_bifurcation_diagram", "plot_entrainment_map", "plot_locus",
]
