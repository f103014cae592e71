"""Registry of the neural mass models: a printable catalogue, lookup by name, user registration.

``list_models()`` returns a :class:`ModelTable` (one :class:`ModelInfo` per model)
that prints as a text table, renders as HTML in notebooks and converts to plain
dicts (``to_records()``) or a pandas DataFrame (``to_dataframe()``) for docs and
the command line. ``get_model(name, **params)`` builds a model from its registry
name, its class name or its TVB class name.

Conventions that differ between tools
-------------------------------------
* **Noise.** TVB's ``noise.Additive(nsig=...)`` has diffusion ``g = sqrt(2 nsig)``;
  here the diffusion is ``sigma`` itself: use
  :meth:`mne_nmm.AdditiveNoise.from_tvb_nsig` (``sigma = sqrt(2 nsig)``). Both add
  ``g sqrt(dt) N(0, 1)`` per step, so variances do not depend on ``dt``.
* **Global coupling.** TVB's ``coupling.Linear(a=G)`` / ``Difference(a=G)`` /
  ``Kuramoto(a=G)`` correspond to ``Network(global_coupling=G)`` with
  :class:`~mne_nmm.core.coupling.Linear` / ``Difference`` / ``Kuramoto``. TVB's
  ``ReducedWongWangExcInh`` has its own ``G`` in the model as well: the
  effective strength is the product (set one of them to 1).
* **Kuramoto.** ``c_i = (1/N) sum_j G W_ij sin(theta_j - theta_i)`` as in TVB
  (``normalize=False`` drops ``1/N``).
* **Jansen-Rit.** TVB's ``SigmoidalJansenRit`` coupling; its ``cmax``,
  ``midpoint``, ``r`` (0.005 /ms, 6 mV, 0.56 /mV) differ from the model's own
  sigmoid (``2 nu_max``, ``v0 = 5.52 mV``) exactly as in TVB.
* **Time.** All models use ms; rates of physiological models are in the unit stated
  in ``model.units`` (Hz for Wong-Wang, 1/ms for Jansen-Rit and the QIF models).
* **Parameter names and defaults** follow TVB where TVB has the model; deliberate
  differences are listed in each model's docstring and in :attr:`ModelInfo.tvb_notes`.
"""

from __future__ import annotations

import dataclasses
import difflib
import html
from typing import Callable

from .. import coupling as _cpl
from .base import NeuralMass


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Registry entry of one model.

    Attributes
    ----------
    name : str
        Registry name (``"jansen_rit"``).
    cls : type
        The :class:`~mne_nmm.core.models.base.NeuralMass` subclass.
    coupling : callable
        ``coupling()`` returns the recommended :class:`~mne_nmm.core.coupling.Coupling`.
    global_coupling : float
        A global coupling strength with which a small network (weights ~ 1) runs sensibly.
    tvb_name : str | None
        Name of the equivalent TVB model class, if any.
    tvb_notes : str
        Deliberate differences from TVB.
    ladder : int | None
        Rung on the "Rosetta Stone" ladder of neural mass models (1 = simplest).
    dt_ms : float
        An integration step (ms) that resolves the default dynamics with Heun's scheme.
    """

    name: str
    cls: type
    coupling: Callable = _cpl.Difference
    global_coupling: float = 0.1
    tvb_name: str | None = None
    tvb_notes: str = ""
    ladder: int | None = None
    dt_ms: float = 0.1

    @property
    def category(self):
        return self.cls.category

    @property
    def n_states(self):
        return len(self.cls.state_variables)

    @property
    def state_variables(self):
        return tuple(self.cls.state_variables)

    @property
    def observables(self):
        """``{"eeg": ..., "bold": ..., "default": ...}``: the variables that feed each modality."""
        return {"eeg": self.cls.eeg_source, "bold": self.cls.bold_drive, "default": self.cls.default_output}

    @property
    def typical_use(self):
        return self.cls.typical_use

    @property
    def reference(self):
        return self.cls.reference

    def make(self, **params):
        """Instantiate the model with ``params`` (unknown names raise)."""
        return _make(self.cls, params)

    def to_record(self):
        """Plain-dict summary (for docs, CLI, JSON)."""
        return {"name": self.name, "class": self.cls.__name__, "category": self.category, "n_states": self.n_states,
                "state_variables": list(self.state_variables), "eeg_source": self.cls.eeg_source,
                "bold_drive": self.cls.bold_drive, "default_output": self.cls.default_output,
                "typical_use": self.typical_use, "reference": self.reference,
                "coupling": type(self.coupling()).__name__, "global_coupling": self.global_coupling,
                "dt_ms": self.dt_ms, "tvb_name": self.tvb_name, "ladder": self.ladder}


def _make(cls, params):
    import dataclasses as dc

    names = {f.name for f in dc.fields(cls)}
    unknown = sorted(set(params) - names)
    if unknown:
        raise ValueError(f"Unknown parameter(s) {unknown} for {cls.__name__}; valid names: {sorted(names)}.")
    return cls(**params)


_COLUMNS = (("name", 26), ("category", 16), ("n", 2), ("eeg / bold", 16), ("typical use", 42),
            ("reference", 38))


def _cut(text, width):
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


class ModelTable:
    """The model catalogue: a sequence of :class:`ModelInfo` that prints as a table.

    Index it by position or by name (``table["hopf"]``), iterate over it, filter it
    (``table.filter(category="physiological")``), export it (``to_records()``,
    ``to_dataframe()``).
    """

    def __init__(self, infos):
        self._infos = tuple(infos)

    def __len__(self):
        return len(self._infos)

    def __iter__(self):
        return iter(self._infos)

    def __contains__(self, name):
        return any(i.name == name for i in self._infos)

    def __getitem__(self, key):
        if isinstance(key, str):
            for info in self._infos:
                if info.name == key:
                    return info
            raise KeyError(key)
        return self._infos[key]

    @property
    def names(self):
        return tuple(i.name for i in self._infos)

    def filter(self, *, category=None, ladder=None):
        """Sub-table of one ``category`` and/or only the ladder models (``ladder=True``, sorted by rung)."""
        infos = [i for i in self._infos if category is None or i.category == category]
        if ladder:
            infos = sorted((i for i in infos if i.ladder is not None), key=lambda i: i.ladder)
        return ModelTable(infos)

    def to_records(self):
        """List of plain dicts (one per model)."""
        return [i.to_record() for i in self._infos]

    def to_dataframe(self):
        """A :class:`pandas.DataFrame` (requires pandas), one row per model, indexed by name."""
        try:
            import pandas as pd
        except ImportError as err:  # pragma: no cover - pandas is optional
            raise ImportError("ModelTable.to_dataframe requires pandas; use to_records() instead.") from err
        return pd.DataFrame(self.to_records()).set_index("name")

    def _rows(self):
        for i in self._infos:
            obs = f"{i.cls.eeg_source or '-'} / {i.cls.bold_drive or '-'}"
            yield (i.name, i.category, str(i.n_states), obs, i.typical_use, i.reference)

    def __repr__(self):
        head = " ".join(f"{c:<{w}}" for c, w in _COLUMNS)
        lines = [head, " ".join("-" * w for _, w in _COLUMNS)]
        for row in self._rows():
            lines.append(" ".join(f"{_cut(v, w):<{w}}" for v, (_, w) in zip(row, _COLUMNS)).rstrip())
        lines.append(f"({len(self)} models; get_model(name, **params) builds one)")
        return "\n".join(lines)

    def _repr_html_(self):
        head = "".join(f"<th>{html.escape(c)}</th>" for c, _ in _COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                       for row in self._rows())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_REGISTRY: dict = {}
_ALIASES: dict = {}


def _norm(name):
    return str(name).replace("-", "_").replace(" ", "_").lower()


def register_model(cls, *, name=None, coupling=_cpl.Difference, global_coupling=0.1, tvb_name=None, tvb_notes="",
                   ladder=None, dt_ms=0.1, overwrite=False):
    """Add a model class to the registry (user models included) and return its :class:`ModelInfo`.

    Parameters
    ----------
    cls : type
        A :func:`~mne_nmm.core.models.base.neural_mass`-decorated :class:`NeuralMass` subclass.
    name : str | None
        Registry name (default ``cls.name``).
    coupling : callable
        Zero-argument factory of the recommended coupling (e.g. ``mne_nmm.coupling.Linear``).
    global_coupling : float
        Recommended global coupling for a small network with unit weights.
    tvb_name, tvb_notes, ladder, dt_ms
        See :class:`ModelInfo`.
    overwrite : bool
        Replace an existing entry of the same name.
    """
    if not (isinstance(cls, type) and issubclass(cls, NeuralMass)):
        raise TypeError(f"cls must be a NeuralMass subclass, got {cls!r}.")
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} must be decorated with @neural_mass.")
    if not cls.state_variables:
        raise ValueError(f"{cls.__name__}.state_variables must name at least one variable.")
    for v in cls.coupled_variables:
        if v not in cls.state_variables:
            raise ValueError(f"{cls.__name__}.coupled_variables must be state variables, got {v!r}.")
    name = _norm(name or cls.name)
    if name in _REGISTRY and not overwrite and _REGISTRY[name].cls is not cls:
        raise ValueError(f"a model named {name!r} is already registered ({_REGISTRY[name].cls.__name__}); "
                         "pass overwrite=True to replace it.")
    if not callable(coupling):
        raise TypeError("coupling must be a zero-argument factory returning a Coupling (e.g. mne_nmm.coupling.Linear).")
    if not float(dt_ms) > 0:
        raise ValueError(f"dt_ms must be > 0, got {dt_ms!r}.")
    info = ModelInfo(name=name, cls=cls, coupling=coupling, global_coupling=float(global_coupling), tvb_name=tvb_name,
                     tvb_notes=tvb_notes, ladder=ladder, dt_ms=float(dt_ms))
    _REGISTRY[name] = info
    for alias in (cls.__name__, tvb_name):
        if alias:
            _ALIASES[_norm(alias)] = name
    return info


def list_models(category=None, *, ladder=False):
    """The model catalogue as a :class:`ModelTable` (name, category, states, observables, use, reference).

    Parameters
    ----------
    category : {"phenomenological", "physiological"} | None
        Only this category.
    ladder : bool
        Only the models of the "Rosetta Stone" ladder, simplest first.
    """
    if category is not None and category not in ("phenomenological", "physiological"):
        raise ValueError(f"category must be 'phenomenological', 'physiological' or None, got {category!r}.")
    return ModelTable(_REGISTRY.values()).filter(category=category, ladder=ladder)


def model_info(name):
    """The :class:`ModelInfo` of a model given its registry, class or TVB name."""
    key = _norm(name) if isinstance(name, str) else None
    if isinstance(name, type) and issubclass(name, NeuralMass):
        for info in _REGISTRY.values():
            if info.cls is name:
                return info
        raise ValueError(f"{name.__name__} is not registered; use register_model({name.__name__}).")
    if key is None:
        raise TypeError(f"name must be a str, got {type(name).__name__}.")
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        close = difflib.get_close_matches(key, list(_REGISTRY) + list(_ALIASES), n=3)
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(f"Unknown model {name!r}.{hint} Available: {sorted(_REGISTRY)}.")
    return _REGISTRY[key]


def get_model(name, **params):
    """Build a model by name (registry name, class name or TVB class name) with parameters ``params``.

    Examples
    --------
    >>> get_model("jansen_rit", mu=0.15)            # doctest: +SKIP
    >>> get_model("ReducedWongWangExcInh", G=1.0)   # TVB's class name works too  # doctest: +SKIP
    """
    return model_info(name).make(**params)


def recommended_coupling(name):
    """``(coupling, global_coupling)`` recommended for a model in a small network with unit weights."""
    info = model_info(name)
    return info.coupling(), info.global_coupling

