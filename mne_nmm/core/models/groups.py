"""A model per region group: different node models in one network, coupled through one connectome.

:func:`region_groups` builds a :class:`RegionGroups` model: group ``g`` runs its own model on
its own regions (e.g. a thalamic Jansen-Rit relay with a reduced Wong-Wang cortex), and every
region sends the same number ``k`` of *coupling features*: the variables named in ``send``
(e.g. the cortex's ``S_e`` and the thalamus's ``x``). The kernel treats it as one model: it
is jittable, ``vmap``-able and differentiable like any other, and its parameters are the
groups' models (``SimParams`` paths ``"model.models.<i>.<parameter>"``).

State layout
------------
The state has ``n_rows = max_g n_state_variables(g)`` rows (``s0, s1, ...``). In the columns of
group ``g``, rows ``0 .. k - 1`` hold the variables it sends, in the order of ``send[g]``, and
the following rows the model's other state variables in their own order; rows past the
model's size are unused (0, no derivative). So the coupled variables of the network are the
rows ``0 .. k - 1`` everywhere.

Coupling input
--------------
The coupling function returns ``(n_inputs, n_regions)`` inputs (``k`` for linear / difference
coupling). ``receive[g][i]`` says which of them feeds input ``i`` of group ``g``'s model
(``None``: 0); the default feeds input ``i`` from input ``i`` for the model's
``len(coupled_variables)`` inputs, 0 where the network has fewer.

Read-outs
---------
Derived variables: ``"output"``, ``"eeg_source"`` and ``"bold_drive"`` (each region's own model's
``default_output`` / ``eeg_source`` / ``bold_drive``; the last two exist when every group's model
has one) and ``"<group>.<variable>"`` for every variable of every group (0 outside the group).

References
----------
Hybrid / multiscale networks with region-specific models: Sanz-Leon P. et al. (2013) The Virtual
Brain: a simulator of primate brain network dynamics. Front Neuroinform 7:10 (region-specific
parameters); Jirsa V.K. et al. (2017) The Virtual Epileptic Patient. NeuroImage 145:377-388.
"""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from ..pytree import static_field
from .base import NeuralMass, neural_mass

__all__ = ["RegionGroups", "region_groups"]


@neural_mass
class RegionGroups(NeuralMass):
    """Regions in groups, each group with its own model (build it with :func:`region_groups`)."""

    name: ClassVar[str] = "region_groups"
    category: ClassVar[str] = "composite"
    typical_use: ClassVar[str] = "heterogeneous networks (e.g. a thalamic relay with a cortical model)"
    reference: ClassVar[str] = "Sanz-Leon et al. 2013, Front Neuroinform 7:10"

    models: tuple = ()
    group_names: tuple = static_field(default=())
    indices: tuple = static_field(default=())
    send: tuple = static_field(default=())
    receive: tuple = static_field(default=())
    n_regions_total: int = static_field(default=0)

    def __post_init__(self):
        for i, m in enumerate(self.models):
            if not isinstance(m, NeuralMass):
                raise TypeError(f"models[{i}] must be a NeuralMass, got {type(m).__name__}.")

    # -- layout -------------------------------------------------------------------------
    @property
    def n_send(self):
        return len(self.send[0]) if self.send else 0

    def _order(self, g):
        """State-variable indices of group ``g``'s model in the composite's row order (sent first)."""
        m = self.models[g]
        sent = [m.state_variables.index(v) for v in self.send[g]]
        return tuple(sent + [i for i in range(m.n_state_variables) if i not in sent])

    @property
    def n_rows(self):
        return max(m.n_state_variables for m in self.models)

    @property
    def state_variables(self):
        return tuple(f"s{i}" for i in range(self.n_rows))

    @property
    def coupled_variables(self):
        return self.state_variables[: self.n_send]

    @property
    def derived_variables(self):
        out = {"output": "each region's model's default output"}
        if all(m.eeg_source for m in self.models):
            out["eeg_source"] = "each region's model's EEG/MEG source"
        if all(m.bold_drive for m in self.models):
            out["bold_drive"] = "each region's model's BOLD drive"
        for name, m in zip(self.group_names, self.models):
            for v in m.variables:
                out[f"{name}.{v}"] = f"{v} of group {name!r} (0 elsewhere)"
        return out

    @property
    def default_output(self):
        return "output"

    @property
    def eeg_source(self):
        return "eeg_source" if all(m.eeg_source for m in self.models) else None

    @property
    def bold_drive(self):
        return "bold_drive" if all(m.bold_drive for m in self.models) else None

    @property
    def units(self):
        out = {}
        for name, m in zip(self.group_names, self.models):
            for v in m.variables:
                out[f"{name}.{v}"] = m.unit_of(v)
        return out

    def group_state(self, state, g):
        """Group ``g``'s state in its model's own variable order: ``(n_state_variables, n_regions_in_group)``."""
        idx = np.asarray(self.indices[g])
        order = self._order(g)
        inv = np.argsort(order)
        return state[: len(order)][inv][:, idx]

    def _scatter(self, out, g, block):
        """Put a group block given in model order into composite rows and the group's columns."""
        idx = np.asarray(self.indices[g])
        rows = np.asarray(self._order(g))
        return out.at[np.ix_(np.arange(len(rows)), idx)].set(block[rows])

    # -- the contract -------------------------------------------------------------------
    def dfun(self, state, coupling):
        out = jnp.zeros_like(state)
        n_in = coupling.shape[0]
        for g, m in enumerate(self.models):
            idx = np.asarray(self.indices[g])
            rec = self.receive[g] if self.receive and self.receive[g] is not None else tuple(
                i if i < n_in else None for i in range(max(len(m.coupled_variables), 1)))
            c_all = coupling[:, idx]
            zero = jnp.zeros((len(idx),), dtype=state.dtype)
            c = jnp.stack([c_all[j] if j is not None else zero for j in rec])
            out = self._scatter(out, g, m.dfun(self.group_state(state, g), c))
        return out

    def apply_bounds(self, state):
        if not any(m.state_bounds for m in self.models):
            return state
        for g, m in enumerate(self.models):
            if m.state_bounds:
                state = self._scatter(state, g, m.apply_bounds(self.group_state(state, g)))
        return state

    def derived(self, name, state):
        n = state.shape[1]
        out = jnp.zeros((n,), dtype=state.dtype)
        if name in ("output", "eeg_source", "bold_drive"):
            for g, m in enumerate(self.models):
                var = {"output": m.default_output or m.state_variables[0], "eeg_source": m.eeg_source,
                       "bold_drive": m.bold_drive}[name]
                out = out.at[np.asarray(self.indices[g])].set(m.observe(self.group_state(state, g), (var,))[0])
            return out
        group, _, var = name.partition(".")
        if group in self.group_names:
            g = self.group_names.index(group)
            m = self.models[g]
            return out.at[np.asarray(self.indices[g])].set(m.observe(self.group_state(state, g), (var,))[0])
        return super().derived(name, state)

    def initial_state(self, n_regions, rng=None):
        if n_regions != self.n_regions_total:
            raise ValueError(f"RegionGroups was built for {self.n_regions_total} regions, the network has {n_regions}.")
        rng = np.random.default_rng(0 if rng is None else rng)
        x0 = np.zeros((self.n_rows, n_regions))
        for g, m in enumerate(self.models):
            block = m.initial_state(len(self.indices[g]), rng=rng)
            x0[np.ix_(np.arange(m.n_state_variables), np.asarray(self.indices[g]))] = block[list(self._order(g))]
        return x0

    def sigma_array(self, sigmas):
        """Noise amplitudes ``(n_rows, n_regions)`` from ``{group: {variable: sigma}}`` (0 elsewhere).

        Pass the result as ``AdditiveNoise(sigma=...)`` so that only those variables of those groups get noise.
        """
        out = np.zeros((self.n_rows, self.n_regions_total))
        for group, per_var in sigmas.items():
            if group not in self.group_names:
                raise ValueError(f"sigmas names group {group!r}; the groups are {self.group_names}.")
            g = self.group_names.index(group)
            m = self.models[g]
            for v, s in per_var.items():
                i = m.variable_index(v, what=f"noise variable of group {group!r}")
                out[self._order(g).index(i), np.asarray(self.indices[g])] = s
        return out

    def parameters(self):
        return {"models": self.models}

    def __repr__(self):
        parts = ", ".join(f"{n}: {type(m).__name__} x {len(i)}" for n, m, i in
                          zip(self.group_names, self.models, self.indices))
        return f"RegionGroups({parts}; sends {self.n_send} feature(s))"


def region_groups(groups, *, send, receive=None, n_regions=None, region_names=None):
    """A :class:`RegionGroups` model: one model per group of regions.

    Parameters
    ----------
    groups : dict of str -> (NeuralMass, regions)
        Group name -> its model and its regions (indices, or names with ``region_names``). Every
        region must be in exactly one group.
    send : dict of str -> str | sequence of str
        Per group, the state variables it sends into the network (the same number for every group),
        e.g. ``{"cortex": "S_e", "thalamus": "x"}``.
    receive : dict of str -> sequence of (int | None) | None
        Per group, which network coupling input feeds each of its model's coupling inputs (``None``: 0).
        Default: input ``i`` from input ``i``.
    n_regions : int | None
        Number of regions (default: from ``region_names`` or the largest index + 1).
    region_names : sequence of str | None
        The network's region names (to give regions by name, and to check coverage).

    Returns
    -------
    model : RegionGroups
    """
    if not isinstance(groups, dict) or not groups:
        raise TypeError(f"groups must be a non-empty dict name -> (model, regions), got {type(groups).__name__}.")
    names = tuple(str(k) for k in groups)
    if region_names is not None:
        region_names = tuple(str(r) for r in region_names)
        n_regions = len(region_names) if n_regions is None else n_regions
    models, indices = [], []
    for name, item in groups.items():
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError(f"groups[{name!r}] must be a (model, regions) pair, got {item!r}.")
        model, regions = item
        if not isinstance(model, NeuralMass):
            raise TypeError(f"groups[{name!r}] model must be a NeuralMass, got {type(model).__name__}.")
        if isinstance(model, RegionGroups):
            raise TypeError(f"groups[{name!r}]: RegionGroups cannot be nested.")
        idx = []
        for r in ([regions] if isinstance(regions, (str, int, np.integer)) else list(regions)):
            if isinstance(r, str):
                if region_names is None or r not in region_names:
                    raise ValueError(f"groups[{name!r}] names region {r!r}, which is not in region_names.")
                idx.append(region_names.index(r))
            else:
                idx.append(int(r))
        models.append(model)
        indices.append(tuple(idx))
    flat = [i for idx in indices for i in idx]
    n = (max(flat) + 1) if n_regions is None else int(n_regions)
    if sorted(flat) != list(range(n)):
        dup = sorted({i for i in flat if flat.count(i) > 1})
        missing = sorted(set(range(n)) - set(flat))
        raise ValueError(f"every region must be in exactly one group: {len(dup)} in several {dup[:10]}, "
                         f"{len(missing)} in none {missing[:10]} (of {n} regions).")
    if not isinstance(send, dict) or set(send) != set(names):
        raise ValueError(f"send must name the variables sent by every group {list(names)}, got {send!r}.")
    sends = []
    for name, m in zip(names, models):
        v = send[name]
        v = (v,) if isinstance(v, str) else tuple(v)
        for var in v:
            m.variable_index(var, what=f"send[{name!r}] variable")
        sends.append(v)
    if len({len(v) for v in sends}) != 1 or not sends[0]:
        raise ValueError(f"every group must send the same number (>= 1) of variables, got "
                         f"{dict(zip(names, sends))}.")
    recs = []
    for name, m in zip(names, models):
        r = None if receive is None else receive.get(name)
        recs.append(None if r is None else tuple(None if j is None else int(j) for j in r))
    return RegionGroups(models=tuple(models), group_names=names, indices=tuple(indices), send=tuple(sends),
                        receive=tuple(recs), n_regions_total=n)

