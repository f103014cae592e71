"""Config-file runs: ``mne-nmm run CONFIG.toml`` (or ``.yaml``).

A config names, per subject, the connectome files, the FreeSurfer subject and forward, and
the EEG and BOLD simulations; :func:`run_config` runs every subject x condition ("unit")
and writes, under ``[run] output_dir``:

* a BIDS derivative dataset (``dataset_description.json`` with ``GeneratedBy``): per unit
  ``sub-<s>/eeg/sub-<s>_task-<condition>_desc-sim_eeg.vhdr`` (mne-bids; with ``[eeg] sensors``
  ``"meg"``, ``"mag"``, ``"grad"`` or ``"eeg+meg"``: ``sub-<s>/meg/..._desc-sim_meg.fif``) and
  ``sub-<s>/func/sub-<s>_task-<condition>_space-MNI152NLin2009aAsym_res-<r>_desc-sim_bold.nii.gz``
  + JSON sidecars, and the BEP034 model description (:mod:`.bids`);
* ``config_resolved.toml``: the config with every default filled in, plus provenance;
* ``group/task-<condition>_fc_*.tsv``: the group FC comparison (simulated FC of each subject
  against the others, against its own SC, and against an empirical FC when given);
* ``run_report.json``: the status of every unit (``done``, ``skipped``, ``failed`` + error).

A unit is finished when its manifest (``.mne-nmm/units/<unit>/MANIFEST.json``, written
last, with the size and checksum of each output) checks; a rerun skips finished units
(``force=True`` redoes them). A unit that fails (a bad file, a mismatch) is reported with
its error and the others go on; the command then exits with status 1.

``[eeg]`` and ``[bold]`` choose the coupling function (``coupling``, ``coupling_params``: a name of
:data:`mne_nmm.core.coupling.COUPLINGS` and its fields) and the integrator (``integrator``,
``integrator_options``: a name of :data:`mne_nmm.core.integrators.INTEGRATORS`, its ``coupling`` /
``clamp`` options); the run is then :func:`simulate_sensors` / :func:`simulate_bold_regions`, the steps of
:func:`mne_nmm.eeg.simulate_eeg` / :func:`mne_nmm.fmri.simulate_bold` with those choices (equal to them
with the defaults).

The schema (:data:`SCHEMA`) is the one statement of the keys, their types and defaults;
errors name the key and its line in the file: ``config.toml:14: [eeg] duration_s must be
a number > 0, got -1``. Paths are relative to the config file's folder; ``{subject}`` in a
path is replaced by the subject label.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import time

import numpy as np

from .._io import atomic_write, check_manifest, write_manifest
from .._validate import logger, validate_type, verbose
from ..core.coupling import COUPLINGS
from ..core.integrators import INTEGRATORS

__all__ = ["SCHEMA", "ConfigError", "load_config", "run_config", "read_params", "write_params", "dump_toml",
           "RunReport", "simulate_sensors", "simulate_bold_regions", "make_coupling", "make_integrator"]


class ConfigError(ValueError):
    """An invalid config; ``errors`` lists ``(key, line, message)``."""

    def __init__(self, path, errors):
        self.path, self.errors = path, list(errors)
        lines = [f"{path}:{ln if ln else '?'}: {msg}" for _, ln, msg in self.errors]
        super().__init__(f"{len(self.errors)} error(s) in config {path}:\n" + "\n".join(lines))


@dataclasses.dataclass(frozen=True)
class Key:
    """One config key: type (``str path int float bool list table``), default, allowed values, check."""

    type: str
    default: object = None
    required: bool = False
    choices: tuple = ()
    positive: bool = False
    doc: str = ""


_NO_DEFAULT = None

_COUPLING_NAMES = tuple(sorted(COUPLINGS))
_INTEGRATOR_NAMES = tuple(sorted(INTEGRATORS))
#: Integrators without noise: ``noise_sigma`` must then be 0.
DETERMINISTIC = tuple(sorted(n for n, c in INTEGRATORS.items() if not c.stochastic))
#: Integrator options (:class:`mne_nmm.core.integrators.Integrator`): name -> allowed values.
INTEGRATOR_OPTIONS = {"coupling": ("stages", "once"), "clamp": ("step", "stages")}
#: ``[eeg] sensors`` -> the channel types picked from the forward (``mne.pick_types_forward`` meg=, eeg=).
SENSOR_PICKS = {"eeg": (False, True), "meg": (True, False), "mag": ("mag", False), "grad": ("grad", False),
                "eeg+meg": (True, True)}
SENSORS = tuple(SENSOR_PICKS)
_COUPLING_DOC = "coupling function (mne_nmm.core.coupling.COUPLINGS)"
_COUPLING_PARAMS_DOC = "parameters of the coupling function, e.g. {midpoint = 6.0, r = 0.56}"
_INTEGRATOR_DOC = ("integrator (mne_nmm.core.integrators.INTEGRATORS); 'euler', 'heun', 'rk4' are deterministic "
                   "(noise_sigma = 0)")
_INTEGRATOR_OPTIONS_DOC = "coupling = 'stages' | 'once', clamp = 'step' | 'stages' (see mne_nmm.core.integrators)"

#: The config schema: section -> key -> :class:`Key`. ``conditions`` is a table of named
#: conditions, each with optional ``eeg`` / ``bold`` tables overriding those sections.
SCHEMA = {
    "run": {
        "output_dir": Key("path", required=True, doc="folder of the outputs (the BIDS derivative root)"),
        "subjects": Key("list", required=True, doc="subject labels, e.g. ['01', '02']"),
        "seed": Key("int", 0, doc="noise seed; unit k of subject i uses seed + 1000 * i + k"),
        "params_file": Key("path", None, doc="per-subject parameter file (JSON, see read_params), {subject} "
                                             "replaced; optional, missing files are skipped; it overrides "
                                             "[eeg]/[bold], a condition's overrides override it"),
        "name": Key("str", "mne_nmm simulation", doc="dataset name in dataset_description.json"),
    },
    "connectome": {
        "path": Key("path", required=True, doc="weights file, {subject} replaced"),
        "format": Key("str", "auto", choices=("auto", "mrtrix", "dsistudio", "qsirecon", "plain", "tvb")),
        "lengths": Key("path", None, doc="length matrix (tract lengths in mm)"),
        "lut": Key("path", None, doc="MRtrix3 look-up table (labelconvert output LUT)"),
        "labels": Key("path", None, doc="label file for plain / QSIRecon tables"),
        "nodes_img": Key("path", None, doc="parcellation image (region centres -> lengths when none given)"),
        "atlas": Key("str", None, doc="QSIRecon .mat: the atlas (e.g. '4S156Parcels'), when it holds several"),
        "measure": Key("str", None, doc="QSIRecon .mat / DSI Studio per-atlas .mat: the weight measure (e.g. "
                                        "'sift_invnodevol_radius2_count', 'number of tracts')"),
        "zero_diagonal": Key("bool", True),
        "on_mismatch": Key("str", "raise", choices=("raise", "subset"),
                           doc="connectome regions without a FreeSurfer label: error or drop them"),
    },
    "head": {
        "subjects_dir": Key("path", None, doc="FreeSurfer SUBJECTS_DIR (required for EEG)"),
        "subject": Key("str", "sub-{subject}", doc="FreeSurfer subject name, {subject} replaced"),
        "parc": Key("str", "aparc", doc="parcellation: {lh,rh}.<parc>.annot"),
        "forward": Key("path", None, doc="forward solution -fwd.fif, {subject} replaced (required for EEG)"),
        "mode": Key("str", "mean", choices=("mean", "sum", "mean_flip", "sum_flip")),
    },
    "eeg": {
        "enabled": Key("bool", True),
        "duration_s": Key("float", 10.0, positive=True),
        "transient_s": Key("float", 1.0),
        "sfreq_hz": Key("float", 250.0, positive=True),
        "dt_ms": Key("float", 0.1, positive=True),
        "model": Key("str", None, doc="model name (mne_nmm.models.get_model); default: simulate_eeg's "
                                      "resting Jansen-Rit (posterior-anterior drive gradient) of the head"),
        "model_params": Key("table", {}, doc="model parameters (with model)"),
        "global_coupling": Key("float", None, doc="default: simulate_eeg's (mne_nmm.eeg.default_eeg_coupling)"),
        "speed_m_per_s": Key("float", 3.0, positive=True),
        "coupling": Key("str", "sigmoidal_jansen_rit", choices=_COUPLING_NAMES, doc=_COUPLING_DOC),
        "coupling_params": Key("table", {}, doc=_COUPLING_PARAMS_DOC),
        "integrator": Key("str", "stochastic_heun", choices=_INTEGRATOR_NAMES, doc=_INTEGRATOR_DOC),
        "integrator_options": Key("table", {}, doc=_INTEGRATOR_OPTIONS_DOC),
        "noise_sigma": Key("float", None, doc="default: simulate_eeg's (0.05); 0 with a deterministic integrator"),
        "sensors": Key("str", "eeg", choices=SENSORS,
                       doc="channels simulated, picked from the forward: 'eeg' (BrainVision, eeg/), 'meg' "
                           "(magnetometers + gradiometers), 'mag', 'grad' or 'eeg+meg' (FIF, meg/)"),
        "sensor_noise": Key("str", "ad_hoc", choices=("ad_hoc", "none")),
        "line_freq_hz": Key("float", 50.0, positive=True, doc="PowerLineFrequency of the sidecar"),
        "stimulus": Key("table", {}, doc="pulse train: regions, onset_ms, period_ms, width_ms, amplitude"),
    },
    "bold": {
        "enabled": Key("bool", True),
        "duration_s": Key("float", 300.0, positive=True),
        "transient_s": Key("float", 30.0),
        "tr_s": Key("float", 2.0, positive=True),
        "dt_ms": Key("float", 1.0, positive=True),
        "model": Key("str", "hopf"),
        "model_params": Key("table", {}, doc="model parameters (hopf default: a = -0.05)"),
        "global_coupling": Key("float", None, doc="default: mne_nmm.fmri.default_global_coupling"),
        "speed_m_per_s": Key("float", 3.0, positive=True),
        "coupling": Key("str", "difference", choices=_COUPLING_NAMES, doc=_COUPLING_DOC),
        "coupling_params": Key("table", {}, doc=_COUPLING_PARAMS_DOC),
        "integrator": Key("str", "stochastic_heun", choices=_INTEGRATOR_NAMES, doc=_INTEGRATOR_DOC),
        "integrator_options": Key("table", {}, doc=_INTEGRATOR_OPTIONS_DOC),
        "noise_sigma": Key("float", 0.02, doc="0 with a deterministic integrator"),
        "monitor": Key("str", "balloon", choices=("balloon", "hrf")),
        "atlas": Key("str", "desikan_killiany", doc="labels image for the NIfTI (mne_nmm.datasets.load_atlas)"),
        "resolution_mm": Key("float", 3.0, positive=True),
        "nifti": Key("bool", True, doc="write the 4D NIfTI (else only the region time series)"),
    },
    "outputs": {
        "group_fc": Key("bool", True),
        "empirical_fc": Key("path", None, doc="empirical FC (TSV with a header of region names), {subject} "
                                              "replaced; compared with the simulated FC"),
    },
}
_CONDITION_SECTIONS = ("eeg", "bold")
_LABEL = re.compile(r"^[A-Za-z0-9]+$")


# ------------------------------------------------------------------------------------------------
# reading with line numbers
# ------------------------------------------------------------------------------------------------
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEYVAL = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")
_INLINE_KEY = re.compile(r"([A-Za-z0-9_\-]+)\s*=")


def _split_dotted(key):
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', key)
    return tuple(a or b or c for a, b, c in parts)


def _toml_lines(text):
    """``{dotted key tuple: line}`` for tables, keys and inline-table keys of a TOML text."""
    where, table = {}, ()
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _TABLE.match(line)
        if m and not stripped.startswith("[["):
            table = _split_dotted(m.group(1))
            where.setdefault(table, lineno)
            continue
        m = _KEYVAL.match(line)
        if m:
            key = table + _split_dotted(m.group(1))
            where.setdefault(key, lineno)
            rest = line[m.end():]
            if rest.strip().startswith("{"):
                for k in _INLINE_KEY.findall(rest):
                    where.setdefault(key + (k,), lineno)
    return where


def _yaml_lines(text):
    import yaml

    where = {}

    def walk(node, prefix):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = prefix + (str(k.value),)
                where.setdefault(key, k.start_mark.line + 1)
                walk(v, key)

    walk(yaml.compose(text), ())
    return where


def _parse(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if path.endswith((".yaml", ".yml")):
        from .._validate import soft_import

        yaml = soft_import("yaml", "YAML config files", extra="pyyaml")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            raise ConfigError(path, [((), None if mark is None else mark.line + 1, f"not valid YAML: {err}")]) from None
        return data or {}, _yaml_lines(text), text
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise ConfigError(path, [((), int(m.group(1)) if m else None, f"not valid TOML: {err}")]) from None
    return data, _toml_lines(text), text


# ------------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------------
def _check_value(spec, value):
    """Return ``(value, error message | None)``."""
    t = spec.type
    if value is None:
        return None, None
    if t in ("str", "path"):
        if not isinstance(value, str):
            return value, f"must be a string, got {type(value).__name__} {value!r}"
        if spec.choices and value not in spec.choices:
            return value, f"must be one of {list(spec.choices)}, got {value!r}"
        return value, None
    if t == "bool":
        if not isinstance(value, bool):
            return value, f"must be true or false, got {value!r}"
        return value, None
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return value, f"must be an integer, got {value!r}"
        return value, None
    if t == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return value, f"must be a finite number, got {value!r}"
        if spec.positive and value <= 0:
            return value, f"must be a number > 0, got {value!r}"
        return float(value), None
    if t == "list":
        if not isinstance(value, list) or not value:
            return value, f"must be a non-empty list, got {value!r}"
        return value, None
    if t == "table":
        if not isinstance(value, dict):
            return value, f"must be a table, got {value!r}"
        return value, None
    raise AssertionError(t)  # pragma: no cover


def _validate_section(name, given, lines, errors, *, prefix=(), fill_defaults=True):
    schema = SCHEMA[name]
    out = {}
    where = prefix + (name,)
    if not isinstance(given, dict):
        errors.append((where, lines.get(where), f"[{'.'.join(where)}] must be a table, got {given!r}"))
        return out
    for key, value in given.items():
        kpath = where + (key,)
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(schema)}"
            errors.append((kpath, lines.get(kpath, lines.get(where)), f"[{'.'.join(where)}] unknown key {key!r}{hint}"))
            continue
        val, err = _check_value(schema[key], value)
        if err:
            errors.append((kpath, lines.get(kpath, lines.get(where)), f"[{'.'.join(where)}] {key} {err}"))
        out[key] = val
    if fill_defaults:
        for key, spec in schema.items():
            if key not in out:
                if spec.required:
                    errors.append((where + (key,), lines.get(where), f"[{'.'.join(where)}] {key} is required "
                                                                   f"({spec.doc or spec.type})"))
                out[key] = spec.default if not isinstance(spec.default, (dict, list)) else type(spec.default)(
                    spec.default)
    return out


def _coupling_fields(name):
    """The parameters a config may set for coupling ``name`` (its dataclass fields; Kuramoto's ``n_regions``
    is set by the Network)."""
    return {f.name: f for f in dataclasses.fields(COUPLINGS[name]) if f.name != "n_regions"}


def _check_dynamics(section, c, lines, errors, *, where=None, own=None):
    """Cross-key checks of a resolved ``[eeg]`` / ``[bold]`` table ``c``: the coupling's parameters, the
    integrator's options, noise with a deterministic integrator.

    ``where`` is the table's key path in the file (default ``(section,)``); with ``own`` (the keys that
    table sets itself, e.g. a condition's overrides) only problems involving one of them are reported, so
    that a problem of the main section is not repeated for every condition.
    """
    where = (section,) if where is None else tuple(where)
    label = ".".join(where)

    def line(key, sub=None):
        base = where if own is None or key in own else (section,)
        path = base + (key,) + (() if sub is None else (sub,))
        return lines.get(path, lines.get(base + (key,), lines.get(base)))

    def add(keys, key, msg, sub=None):
        if own is None or any(k in own for k in keys):
            errors.append((where + (key,), line(key, sub), f"[{label}] {msg}"))

    cname, params = c.get("coupling"), c.get("coupling_params") or {}
    if isinstance(cname, str) and cname in COUPLINGS and isinstance(params, dict):
        fields = _coupling_fields(cname)
        for k, v in params.items():
            if k not in fields:
                close = difflib.get_close_matches(str(k), list(fields), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                add(("coupling", "coupling_params"), "coupling_params",
                    f"coupling_params has no parameter {k!r} for coupling {cname!r}{hint}; its parameters: "
                    f"{list(fields) or 'none'}", sub=k)
            elif isinstance(fields[k].default, bool):
                if not isinstance(v, bool):
                    add(("coupling_params",), "coupling_params", f"coupling_params.{k} must be true or false, got "
                                                                 f"{v!r}", sub=k)
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                add(("coupling_params",), "coupling_params", f"coupling_params.{k} must be a finite number, got "
                                                             f"{v!r}", sub=k)
    opts = c.get("integrator_options") or {}
    if isinstance(opts, dict):
        for k, v in opts.items():
            if k not in INTEGRATOR_OPTIONS:
                add(("integrator_options",), "integrator_options",
                    f"integrator_options has no option {k!r}; known options: {list(INTEGRATOR_OPTIONS)}", sub=k)
            elif v not in INTEGRATOR_OPTIONS[k]:
                add(("integrator_options",), "integrator_options",
                    f"integrator_options.{k} must be one of {list(INTEGRATOR_OPTIONS[k])}, got {v!r}", sub=k)
    integ, sigma = c.get("integrator"), c.get("noise_sigma")
    if integ in DETERMINISTIC and sigma != 0:
        got = "not set (default 0.05)" if sigma is None else f"{sigma!r}"
        add(("integrator", "noise_sigma"), "integrator",
            f"integrator {integ!r} is deterministic but noise_sigma is {got}; set noise_sigma = 0 or use "
            f"'stochastic_heun' or 'euler_maruyama'")


@verbose
def load_config(path, *, verbose=None):
    """Read and validate a config file; return the resolved config (defaults filled in).

    Parameters
    ----------
    path : path-like
        ``.toml`` (Python's ``tomllib``) or ``.yaml``/``.yml`` (needs pyyaml).
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    config : dict
        ``{section: {key: value}}`` for every section of :data:`SCHEMA`, plus
        ``conditions`` (``{name: {"eeg": {...}, "bold": {...}}}``, default ``{"rest": {}}``)
        and ``_config_dir`` / ``_config_path`` (absolute).

    Raises
    ------
    ConfigError
        Listing every problem found, each with its key and line.
    """
    validate_type(path, "path-like", "path")
    path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(path):
        raise FileNotFoundError(f"config file {path!r} does not exist.")
    data, lines, _ = _parse(path)
    errors = []
    if not isinstance(data, dict):
        raise ConfigError(path, [((), 1, "the config must be a table of sections")])
    known = set(SCHEMA) | {"conditions"}
    for section in data:
        if section not in known:
            close = difflib.get_close_matches(section, sorted(known), n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else f"; known sections: {sorted(known)}"
            errors.append(((section,), lines.get((section,)), f"unknown section [{section}]{hint}"))
    cfg = {name: _validate_section(name, data.get(name, {}), lines, errors) for name in SCHEMA}
    subjects = cfg["run"].get("subjects")
    if isinstance(subjects, list):
        for s in subjects:
            if not isinstance(s, str) or not _LABEL.match(s):
                errors.append((("run", "subjects"), lines.get(("run", "subjects")),
                               f"[run] subjects must be BIDS labels (letters and digits only, as strings), got {s!r}"))
        if len(set(map(str, subjects))) != len(subjects):
            errors.append((("run", "subjects"), lines.get(("run", "subjects")), "[run] subjects has duplicates"))
    conds = data.get("conditions", {"rest": {}})
    cfg["conditions"] = {}
    if not isinstance(conds, dict) or not conds:
        errors.append((("conditions",), lines.get(("conditions",)), "[conditions] must be a non-empty table of "
                                                                    "named conditions"))
        conds = {}
    for cname, body in conds.items():
        cpath = ("conditions", cname)
        if not _LABEL.match(str(cname)):
            errors.append((cpath, lines.get(cpath), f"condition name {cname!r} must be letters and digits only "
                                                    "(it becomes the BIDS task label)"))
        if not isinstance(body, dict):
            errors.append((cpath, lines.get(cpath), f"[conditions.{cname}] must be a table"))
            continue
        res = {}
        for sec, over in body.items():
            if sec not in _CONDITION_SECTIONS:
                errors.append((cpath + (sec,), lines.get(cpath + (sec,), lines.get(cpath)),
                               f"[conditions.{cname}] may override only {list(_CONDITION_SECTIONS)}, got {sec!r}"))
                continue
            res[sec] = _validate_section(sec, over, lines, errors, prefix=cpath, fill_defaults=False)
        cfg["conditions"][cname] = res
    fmt = cfg["connectome"].get("format")
    for key, formats in (("atlas", ("auto", "qsirecon")), ("measure", ("auto", "qsirecon", "dsistudio"))):
        if cfg["connectome"].get(key) is not None and fmt not in formats:
            errors.append((("connectome", key), lines.get(("connectome", key)),
                           f"[connectome] {key} applies to format {' / '.join(formats[1:])} files, got format "
                           f"{fmt!r}"))
    for sec in _CONDITION_SECTIONS:
        if isinstance(cfg[sec], dict):
            _check_dynamics(sec, cfg[sec], lines, errors)
        for cname, res in cfg["conditions"].items():
            if res.get(sec):
                _check_dynamics(sec, {**cfg[sec], **res[sec]}, lines, errors, where=("conditions", cname, sec),
                                own=set(res[sec]))
    eeg_on = cfg["eeg"]["enabled"] or any(c.get("eeg", {}).get("enabled") for c in cfg["conditions"].values())
    if eeg_on:
        for key in ("subjects_dir", "forward"):
            if cfg["head"].get(key) is None:
                errors.append((("head", key), lines.get(("head",)), f"[head] {key} is required when [eeg] is enabled "
                                                                    f"({SCHEMA['head'][key].doc})"))
    if errors:
        raise ConfigError(path, errors)
    cfg["_config_path"] = path
    cfg["_config_dir"] = os.path.dirname(path)
    return cfg


# ------------------------------------------------------------------------------------------------
# TOML output, parameters files
# ------------------------------------------------------------------------------------------------
def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if not math.isfinite(v):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k):
    return k if re.match(r"^[A-Za-z0-9_\-]+$", k) else json.dumps(k)


def dump_toml(doc):
    """TOML text of a dict of tables (``None`` values are written as comments: TOML has no null)."""
    out = []
    plain = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    for k, v in plain.items():
        out.append(f"{_toml_key(k)} = {_toml_value(v)}" if v is not None else f"# {k} = (none)")

    def table(name, body):
        scalars = {k: v for k, v in body.items() if not (isinstance(v, dict) and v and all(
            isinstance(x, dict) for x in v.values()))}
        out.append(f"\n[{name}]")
        for k, v in scalars.items():
            out.append(f"{_toml_key(k)} = {_toml_value(v)}" if v is not None else f"# {k} = (none: default)")
        for k, v in body.items():
            if k not in scalars:
                table(f"{name}.{_toml_key(k)}", v)

    for k, v in doc.items():
        if isinstance(v, dict):
            table(_toml_key(k), v)
    return "\n".join(out).lstrip("\n") + "\n"


def read_params(path):
    """Per-subject parameters from a JSON file: ``{"eeg": {...}, "bold": {...}}`` (sections optional)."""
    with open(os.fspath(path), encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict):
        raise ValueError(f"parameter file {os.fspath(path)!r} must hold a JSON object, got {type(doc).__name__}.")
    errors = []
    out = {}
    for sec, body in doc.items():
        if sec == "_provenance":
            continue
        if sec not in _CONDITION_SECTIONS:
            errors.append(((sec,), None, f"parameter file sections may be only {list(_CONDITION_SECTIONS)}, "
                                         f"got {sec!r}"))
            continue
        out[sec] = _validate_section(sec, body, {}, errors, fill_defaults=False)
    if errors:
        raise ConfigError(os.fspath(path), errors)
    return out


def write_params(path, params, *, extra=None):
    """Write per-subject parameters (e.g. fitted ones) as JSON, atomically; read back by :func:`read_params`.

    ``params`` is ``{"eeg": {...}, "bold": {...}}`` with keys of those sections of :data:`SCHEMA`
    (checked); ``extra`` (e.g. the fit's provenance) is stored under ``"_provenance"``, which
    :func:`read_params` ignores.
    """
    errors = []
    doc = {}
    for sec, body in params.items():
        if sec not in _CONDITION_SECTIONS:
            raise ValueError(f"params sections may be only {list(_CONDITION_SECTIONS)}, got {sec!r}.")
        doc[sec] = _validate_section(sec, dict(body), {}, errors, fill_defaults=False)
    if errors:
        raise ConfigError(os.fspath(path), errors)
    if extra:
        doc["_provenance"] = extra
    with atomic_write(os.fspath(path), "w") as fh:
        json.dump(doc, fh, indent=2, sort_keys=True)
    return os.fspath(path)


# ------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class RunReport:
    """Outcome of :func:`run_config`: ``units`` is a list of dicts (unit, subject, condition, status, error)."""

    output_dir: str
    units: list
    group_files: list
    resolved_config: str

    @property
    def failed(self):
        return [u for u in self.units if u["status"] == "failed"]

    @property
    def ok(self):
        return not self.failed

    def summary(self):
        counts = {}
        for u in self.units:
            counts[u["status"]] = counts.get(u["status"], 0) + 1
        lines = [f"{len(self.units)} unit(s): " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))]
        for u in self.failed:
            lines.append(f"FAILED {u['unit']}: {u['error']}")
        return "\n".join(lines)


def _path(cfg, value, subject=None):
    if value is None:
        return None
    if subject is not None:
        value = value.replace("{subject}", subject)
    return value if os.path.isabs(value) else os.path.normpath(os.path.join(cfg["_config_dir"], value))


def _merged(cfg, section, condition, subject_params):
    out = dict(cfg[section])                                  # precedence: config < subject file < condition
    out.update(subject_params.get(section, {}))
    out.update(cfg["conditions"][condition].get(section, {}))
    if section == "bold" and out["model"] == "hopf" and not out["model_params"]:
        out["model_params"] = {"a": -0.05}
    return out


def _resolved_doc(cfg):
    doc = {k: v for k, v in cfg.items() if not k.startswith("_")}
    from .._version import __version__

    with open(cfg["_config_path"], "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    doc["provenance"] = {"package": "mne_nmm", "version": __version__, "source_config": cfg["_config_path"],
                         "source_sha256": digest, "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return doc


def _unit_dir(out_dir, unit):
    return os.path.join(out_dir, ".mne-nmm", "units", unit)


def _shipped_candidates():
    """Region names of the shipped connectomes (for the 'nothing matches' suggestion); {} without tvb-data."""
    try:
        from ..datasets import list_connectomes, load_connectome

        return {n: load_connectome(n).region_names for n in list_connectomes() if n != "tvb192"}
    except Exception as err:  # tvb-data missing or unreadable: no suggestion, not an error
        logger.info("no shipped connectomes for suggestions: %s", err)
        return {}


def _run_unit(cfg, subject, condition, seed, out_dir, shipped):
    """Simulate one subject x condition and write its derivatives; return the list of files written."""
    from ..adapters.formats import read_connectome
    from ..adapters.subject import pair_subject
    from . import bids

    ccfg, hcfg = cfg["connectome"], cfg["head"]
    sp = {}
    pfile = _path(cfg, cfg["run"]["params_file"], subject)
    if pfile is not None and os.path.isfile(pfile):
        sp = read_params(pfile)
        logger.info("sub-%s: parameters from %s", subject, pfile)
    eeg_cfg, bold_cfg = _merged(cfg, "eeg", condition, sp), _merged(cfg, "bold", condition, sp)
    errors = []
    for sec, c in (("eeg", eeg_cfg), ("bold", bold_cfg)):
        _check_dynamics(sec, c, {}, errors, where=(f"sub-{subject} task-{condition} {sec}",))
    if errors:
        raise ConfigError(pfile if sp else cfg["_config_path"], errors)
    conn = read_connectome(_path(cfg, ccfg["path"], subject), format=ccfg["format"],
                           lengths=_path(cfg, ccfg["lengths"], subject), lut=_path(cfg, ccfg["lut"], subject),
                           labels=_path(cfg, ccfg["labels"], subject), nodes_img=_path(cfg, ccfg["nodes_img"], subject),
                           zero_diagonal=ccfg["zero_diagonal"], name=f"sub-{subject}",
                           **{k: ccfg[k] for k in ("atlas", "measure") if ccfg[k] is not None})
    files = []
    head = None
    if hcfg["subjects_dir"] is not None:
        fs_subject = hcfg["subject"].replace("{subject}", subject)
        fwd = None
        if eeg_cfg["enabled"]:
            fwd = _read_forward(_path(cfg, hcfg["forward"], subject), eeg_cfg["sensors"])
        paired = pair_subject(conn, fs_subject, _path(cfg, hcfg["subjects_dir"]), parc=hcfg["parc"], fwd=fwd,
                              on_mismatch=ccfg["on_mismatch"], mode=hcfg["mode"], candidates=shipped)
        conn, head = paired.connectome, paired.head
    task = condition
    models = {}
    if eeg_cfg["enabled"]:
        if head is None:
            raise ValueError("[eeg] is enabled but no head: set [head] subjects_dir and forward.")
        if eeg_cfg["model"] is None:
            if eeg_cfg["model_params"]:
                raise ValueError("[eeg] model_params needs [eeg] model (the default model takes no parameters).")
            from ..eeg import resting_jansen_rit

            models["eeg"] = resting_jansen_rit(head.reorder(list(conn.region_names)))
        else:
            models["eeg"] = _make_model(eeg_cfg["model"], eeg_cfg["model_params"])
    if bold_cfg["enabled"]:
        models["bold"] = _make_model(bold_cfg["model"], bold_cfg["model_params"])
    model_files = bids.write_model_description(out_dir, subject=subject, task=task, connectome=conn, models=models)
    files += model_files["files"]
    if eeg_cfg["enabled"]:
        files += _run_eeg(eeg_cfg, models["eeg"], conn, head, seed, out_dir, subject, task, model_files)
    if bold_cfg["enabled"]:
        files += _run_bold(bold_cfg, models["bold"], conn, seed, out_dir, subject, task, model_files)
    return files


def _read_forward(path, sensors):
    """The forward solution restricted to the channel types of ``[eeg] sensors`` (a clear error when absent)."""
    import mne

    fwd = mne.read_forward_solution(path, verbose=False)
    meg, eeg = SENSOR_PICKS[sensors]
    have = set(fwd["info"].get_channel_types(unique=True))
    if not _has(have, meg, eeg):
        need = {"eeg": "EEG", "meg": "MEG (mag or grad)", "mag": "magnetometer", "grad": "gradiometer",
                "eeg+meg": "EEG and MEG"}[sensors]
        raise ValueError(f"[eeg] sensors = {sensors!r} needs {need} channels, but the forward {path!r} has "
                         f"{sorted(have)}; compute the forward with those sensors, or choose sensors among "
                         f"{[k for k, (m, e) in SENSOR_PICKS.items() if _has(have, m, e)]}.")
    with mne.utils.use_log_level("warning"):
        return mne.pick_types_forward(fwd, meg=meg, eeg=eeg, ref_meg=False)


def _has(have, meg, eeg):
    ok_meg = (not meg) or (bool(have & {"mag", "grad"}) if meg is True else meg in have)
    return ok_meg and (not eeg or "eeg" in have)


def _make_model(name, params):
    from ..models import get_model

    return get_model(name, **params)


def make_coupling(name, params=None):
    """The coupling function a config names: ``COUPLINGS[name](**params)`` (see :data:`SCHEMA` ``coupling``)."""
    from .._validate import check_option

    check_option("coupling", name, _COUPLING_NAMES)
    return COUPLINGS[name](**dict(params or {}))


def make_integrator(name, options=None):
    """The integrator a config names: ``INTEGRATORS[name](**options)`` (``coupling`` / ``clamp`` options)."""
    from .._validate import check_option

    check_option("integrator", name, _INTEGRATOR_NAMES)
    return INTEGRATORS[name](**dict(options or {}))


def _dynamics_doc(c, integrator):
    """Coupling and integrator of a run, as written in the sidecars and the provenance."""
    return {"coupling": {"name": c["coupling"], **dict(c["coupling_params"])},
            "integrator": {"name": integrator.name, "coupling": integrator.coupling, "clamp": integrator.clamp}}


def _run_eeg(c, model, conn, head, seed, out_dir, subject, task, model_files):
    from . import bids

    raw = simulate_sensors(c, model, conn, head, seed=seed)
    raw.info["line_freq"] = c["line_freq_hz"]
    extra = {"SimulationParameters": {k: v for k, v in c.items() if k != "enabled"}, "Seed": seed,
             **model_files["references"].get("eeg", {})}
    desc = raw.info.get("description")
    if desc:
        try:
            extra["SimulationProvenance"] = json.loads(desc)
        except ValueError:
            pass
    return bids.write_eeg_derivative(raw, out_dir, subject=subject, task=task, sidecar_extra=extra)


def simulate_sensors(c, model, conn, head, *, seed):
    """EEG / MEG of one unit: :func:`mne_nmm.eeg.simulate_eeg`'s steps with the config's coupling and integrator.

    ``c`` is a resolved ``[eeg]`` table. With the defaults (``sigmoidal_jansen_rit`` coupling,
    ``stochastic_heun``) the result equals ``simulate_eeg(c["duration_s"], head=head, connectome=conn,
    model=model, ...)`` (tested): the max-normalised weights, the additive noise on the model's stimulus
    variable, the lead field applied in the scan, then sensor noise (seeded with ``seed``), the EEG
    average-reference projector, the transient cropped.

    Returns
    -------
    raw : mne.io.RawArray
        ``raw.info["description"]`` holds the JSON provenance (coupling and integrator included).
    """
    from ..analysis.plausibility import check_coupling_stability, check_region_names, check_sensor_amplitude
    from ..convert.mne import to_raw
    from ..convert.provenance import data_digest, make_provenance, simulation_provenance, to_jsonable
    from ..core.noise import AdditiveNoise
    from ..eeg import RESTING_DEFAULTS, default_eeg_coupling, pulse_stimulus
    from ..monitors.leadfield import LeadField
    from ..network import Network
    from ..simulation import simulate

    stim = pulse_stimulus(**c["stimulus"]) if c["stimulus"] else None
    g = c["global_coupling"]
    if g is None:
        g = default_eeg_coupling(conn)
    sigma = RESTING_DEFAULTS["noise_sigma"] if c["noise_sigma"] is None else c["noise_sigma"]
    integrator = make_integrator(c["integrator"], c["integrator_options"])
    coupling = make_coupling(c["coupling"], c["coupling_params"])
    if stim is not None:
        check_region_names(list(stim.regions), conn.region_names)
    net = Network(conn.normalized("max"), coupling=coupling, global_coupling=g, speed_m_per_s=c["speed_m_per_s"],
                  dt_ms=c["dt_ms"])
    check_coupling_stability(net, integrator=integrator.name, model=model)
    noise = None
    if integrator.stochastic:
        noise_var = getattr(model, "stimulus_variable", None) or model.state_variables[0]
        noise = AdditiveNoise(sigma=sigma, variables=(noise_var,))
    kind = "eeg" if c["sensors"] == "eeg" else "meg"
    period_ms = 1000.0 / c["sfreq_hz"]
    n_periods = int(np.round(1000.0 * (c["duration_s"] + c["transient_s"]) / period_ms))
    monitors = [LeadField(head, period_ms=period_ms, name=kind)]
    res = simulate(net, model, duration_ms=n_periods * period_ms, integrator=integrator, noise=noise,
                   monitors=monitors, stimulus=stim, key=seed)
    sensor_noise = None if c["sensor_noise"] == "none" else "ad_hoc"
    transient = c["transient_s"]
    prov = make_provenance("mne_nmm.pipeline.config.simulate_sensors",
                           {k: v for k, v in c.items() if k != "enabled"},
                           simulation_provenance(net, model, integrator=integrator.name, noise=noise, key=seed,
                                                 duration_ms=n_periods * period_ms, monitors=monitors, stimulus=stim),
                           extra={**_dynamics_doc(c, integrator),
                                  "head": {"name": getattr(head, "name", None), "n_channels": head.n_channels,
                                           "ch_types": sorted(set(head.ch_types)), "sensors": c["sensors"]},
                                  "postprocessing": {"sensor_noise": sensor_noise, "sensor_noise_seed": seed,
                                                     "reference": "average" if "eeg" in head.ch_types else None,
                                                     "transient_s": transient}})
    raw = to_raw(res, monitor=kind, noise_cov=sensor_noise, random_state=None if sensor_noise is None else seed,
                 reference="average" if "eeg" in head.ch_types else None)
    if transient > 0:
        onsets = np.asarray(res.stimulus_onsets_s)
        early = onsets[onsets < transient]
        if len(early):
            logger.warning("%d stimulus onset(s) fall in the discarded transient (< %g s): %s s", len(early),
                           transient, early[:5].tolist())
        raw.crop(tmin=max(transient - raw.first_time, 0.0))
    n_keep = int(round(c["duration_s"] * c["sfreq_hz"]))
    if raw.n_times > n_keep:
        raw.crop(tmin=0.0, tmax=(n_keep - 1) / c["sfreq_hz"], include_tmax=True)
    prov["outputs"] = {"raw": {"data_sha256": data_digest(raw.get_data()), "ch_names_sha256":
                               data_digest(np.frombuffer("\n".join(raw.ch_names).encode(), np.uint8))}}
    with raw.info._unlock():
        raw.info["description"] = json.dumps(to_jsonable(prov), sort_keys=True)
    check_sensor_amplitude(raw, stacklevel=3)
    return raw


def simulate_bold_regions(c, model, conn, *, seed):
    """Region BOLD of one unit: :func:`mne_nmm.fmri.simulate_bold`'s steps with the config's coupling and
    integrator.

    ``c`` is a resolved ``[bold]`` table. With the defaults (``difference`` coupling, ``stochastic_heun``)
    the result equals ``simulate_bold(c["duration_s"], connectome=conn, model=model, ...)
    .bold`` (tested): max-normalised weights, additive noise on every state variable, the BOLD monitor
    computed in the scan, the volumes of the transient dropped.

    Returns
    -------
    bold : MonitorOutput
        The volumes after ``transient_s``.
    provenance : dict
    """
    from ..analysis.plausibility import check_coupling_stability
    from ..convert.provenance import make_provenance, simulation_provenance
    from ..core.noise import AdditiveNoise
    from ..fmri import default_global_coupling
    from ..monitors.bold import BalloonWindkessel, HRFConvolution
    from ..network import Network
    from ..result import MonitorOutput
    from ..simulation import simulate

    tr_s = c["tr_s"]
    g = c["global_coupling"]
    if g is None:
        g = default_global_coupling(conn)
    integrator = make_integrator(c["integrator"], c["integrator_options"])
    coupling = make_coupling(c["coupling"], c["coupling_params"])
    net = Network(conn.normalized("max"), coupling=coupling, global_coupling=g, speed_m_per_s=c["speed_m_per_s"],
                  dt_ms=c["dt_ms"])
    check_coupling_stability(net, integrator=integrator.name, model=model)
    mon = BalloonWindkessel(tr_s=tr_s) if c["monitor"] == "balloon" else HRFConvolution(tr_s=tr_s)
    n_vol = int(np.ceil((c["duration_s"] + c["transient_s"]) / tr_s - 1e-9))
    noise = AdditiveNoise(sigma=c["noise_sigma"]) if integrator.stochastic else None
    res = simulate(net, model, duration_ms=n_vol * tr_s * 1000.0, integrator=integrator, noise=noise, monitors=[mon],
                   key=seed)
    full = res[mon.name]
    keep = full.times_s > c["transient_s"] + 1e-9
    bold = MonitorOutput(name="bold", times_s=full.times_s[keep], data=full.data[keep], sfreq_hz=full.sfreq_hz,
                         variable_names=full.variable_names, channel_names=full.channel_names,
                         time_stamp=full.time_stamp, window_s=full.window_s, units=full.units,
                         info={**full.info, "transient_s": c["transient_s"]})
    if bold.n_times < 3:
        raise ValueError(f"[bold] duration_s ({c['duration_s']:g} s) leaves {bold.n_times} volume(s) at TR "
                         f"{tr_s:g} s; FC needs at least 3.")
    prov = make_provenance("mne_nmm.pipeline.config.simulate_bold_regions",
                           {k: v for k, v in c.items() if k != "enabled"},
                           simulation_provenance(net, model, integrator=integrator.name, noise=noise, key=seed,
                                                 duration_ms=n_vol * tr_s * 1000.0, monitors=[mon]),
                           extra=_dynamics_doc(c, integrator))
    return bold, prov


def _run_bold(c, model, conn, seed, out_dir, subject, task, model_files):
    from ..fmri import default_global_coupling
    from . import bids

    bold, prov = simulate_bold_regions(c, model, conn, seed=seed)
    data = bold.get("bold" if "bold" in bold.variable_names else None)
    g = c["global_coupling"]
    if g is None:
        g = default_global_coupling(conn)
    extra = {"SimulationParameters": {**{k: v for k, v in c.items() if k != "enabled"}, "global_coupling": g},
             "Seed": seed, "SimulationProvenance": prov, **model_files["references"].get("bold", {})}
    return bids.write_bold_derivative(np.asarray(data, dtype=float), bold.channel_names, c["tr_s"], out_dir,
                                      subject=subject, task=task, atlas=c["atlas"] if c["nifti"] else None,
                                      resolution_mm=c["resolution_mm"], sidecar_extra=extra,
                                      weights=conn.weights)


def _group_fc(cfg, out_dir, units):
    """Group FC comparison per condition from the region BOLD of the finished units."""
    from ..analysis.fc import fc_similarity, functional_connectivity
    from . import bids

    files = []
    os.makedirs(os.path.join(out_dir, "group"), exist_ok=True)
    for cond in cfg["conditions"]:
        done = [u for u in units if u["condition"] == cond and u["status"] in ("done", "skipped")]
        series = {}
        for u in done:
            got = bids.read_bold_regions(out_dir, subject=u["subject"], task=cond)
            if got is not None:
                series[u["subject"]] = got
        if not series:
            continue
        common = None
        for names, _, _ in series.values():
            common = list(names) if common is None else [n for n in common if n in names]
        if len(common) < 3:
            logger.warning("group FC (%s): fewer than 3 regions common to all subjects; skipped", cond)
            continue
        fcs, sc = {}, {}
        for s, (names, data, weights) in series.items():
            idx = [list(names).index(n) for n in common]
            fcs[s] = functional_connectivity(data[:, idx])
            sc[s] = None if weights is None else weights[np.ix_(idx, idx)]
        subs = sorted(fcs)
        sim = np.array([[fc_similarity(fcs[a], fcs[b])["r"] if a != b else 1.0 for b in subs] for a in subs])
        p = os.path.join(out_dir, "group", f"task-{cond}_fc_similarity.tsv")
        with atomic_write(p, "w") as fh:
            fh.write("subject\t" + "\t".join(f"sub-{s}" for s in subs) + "\n")
            for s, row in zip(subs, sim):
                fh.write(f"sub-{s}\t" + "\t".join(f"{v:.6f}" for v in row) + "\n")
        files.append(p)
        rows = []
        for i, s in enumerate(subs):
            others = np.mean([fcs[o] for o in subs if o != s], axis=0) if len(subs) > 1 else None
            r_group = fc_similarity(fcs[s], others)["r"] if others is not None else float("nan")
            r_sc = fc_similarity(fcs[s], sc[s])["r"] if sc[s] is not None else float("nan")
            emp = cfg["outputs"]["empirical_fc"]
            r_emp = float("nan")
            if emp is not None and os.path.isfile(_path(cfg, emp, s)):
                from ..adapters.formats import read_matrix_files

                e = read_matrix_files(_path(cfg, emp, s), zero_diagonal=False)
                m = {n: k for k, n in enumerate(e.region_names)}
                if all(n in m for n in common):
                    k = [m[n] for n in common]
                    r_emp = fc_similarity(fcs[s], e.weights[np.ix_(k, k)])["r"]
            iu = np.triu_indices(len(common), 1)
            rows.append((s, len(common), float(np.mean(fcs[s][iu])), r_group, r_sc, r_emp))
        p = os.path.join(out_dir, "group", f"task-{cond}_fc_summary.tsv")
        with atomic_write(p, "w") as fh:
            fh.write("subject\tn_regions\tmean_fc\tr_fc_vs_mean_of_others\tr_fc_vs_sc\tr_fc_vs_empirical\n")
            for s, n, mfc, rg, rs, re_ in rows:
                fh.write(f"sub-{s}\t{n}\t{mfc:.6f}\t{rg:.6f}\t{rs:.6f}\t{re_:.6f}\n")
        files.append(p)
        group_mean = np.mean([fcs[s] for s in subs], axis=0)
        p = os.path.join(out_dir, "group", f"task-{cond}_desc-groupmean_fc.tsv")
        with atomic_write(p, "w") as fh:
            fh.write("\t".join(common) + "\n")
            for row in group_mean:
                fh.write("\t".join(f"{v:.6f}" for v in row) + "\n")
        files.append(p)
    return files


@verbose
def run_config(config, *, subjects=None, force=False, verbose=None):
    """Run a config as a resumable batch (every subject x condition).

    Parameters
    ----------
    config : path-like | dict
        Config file, or the dict :func:`load_config` returned.
    subjects : list of str | None
        Run only these subjects (default: all of ``[run] subjects``).
    force : bool
        Redo finished units.
    verbose : bool | str | int | None
        Logging level.

    Returns
    -------
    report : RunReport
        ``report.failed`` lists the units that failed, each with its error message.
    """
    from . import bids

    cfg = load_config(config) if not isinstance(config, dict) else config
    out_dir = _path(cfg, cfg["run"]["output_dir"])
    os.makedirs(out_dir, exist_ok=True)
    resolved = os.path.join(out_dir, "config_resolved.toml")
    # the files shared by every invocation (parallel per-subject jobs of a workflow) are written under the
    # derivative's lock: atomic writes of one path by two processes at once are not safe
    with bids._Lock(out_dir):
        with atomic_write(resolved, "w") as fh:
            fh.write("# resolved by mne_nmm: every default filled in (re-runnable with `mne-nmm run`)\n")
            fh.write(dump_toml(_resolved_doc(cfg)))
        bids.write_dataset_description(out_dir, name=cfg["run"]["name"])
    chosen = cfg["run"]["subjects"] if subjects is None else list(subjects)
    unknown = [s for s in chosen if s not in cfg["run"]["subjects"]]
    if unknown:
        raise ValueError(f"subjects {unknown} are not in the config's [run] subjects {cfg['run']['subjects']}.")
    shipped = None
    units = []
    for i, subject in enumerate(cfg["run"]["subjects"]):
        if subject not in chosen:
            continue
        for k, cond in enumerate(cfg["conditions"]):
            unit = f"sub-{subject}_task-{cond}"
            udir = _unit_dir(out_dir, unit)
            rec = {"unit": unit, "subject": subject, "condition": cond, "status": None, "error": None}
            if not force:
                try:
                    check_manifest(udir)
                    rec["status"] = "skipped"
                    logger.info("%s: finished earlier (manifest checks); skipped", unit)
                    units.append(rec)
                    continue
                except ValueError:
                    pass
            seed = cfg["run"]["seed"] + 1000 * i + k
            t0 = time.perf_counter()
            try:
                if shipped is None:
                    shipped = _shipped_candidates()
                files = _run_unit(cfg, subject, cond, seed, out_dir, shipped)
                os.makedirs(udir, exist_ok=True)
                write_manifest(udir, [os.path.abspath(f) for f in files],
                               extra={"unit": unit, "seed": seed, "seconds": time.perf_counter() - t0})
                rec["status"] = "done"
                logger.info("%s: done in %.1f s (%d files)", unit, time.perf_counter() - t0, len(files))
            except Exception as err:  # one bad subject must not stop the others: report it and go on
                rec["status"] = "failed"
                rec["error"] = f"{type(err).__name__}: {err}"
                logger.error("%s failed: %s", unit, rec["error"])
            units.append(rec)
    # the group comparison covers every finished unit of the config, also those of other invocations
    # (e.g. one `mne-nmm run --subject` per Snakemake job, then one run for the group)
    seen = {u["unit"] for u in units}
    finished = list(units)
    for subject in cfg["run"]["subjects"]:
        for cond in cfg["conditions"]:
            unit = f"sub-{subject}_task-{cond}"
            if unit not in seen:
                try:
                    check_manifest(_unit_dir(out_dir, unit), hashes=False)
                except ValueError:
                    continue
                finished.append({"unit": unit, "subject": subject, "condition": cond, "status": "skipped",
                                 "error": None})
    with bids._Lock(out_dir):
        group = _group_fc(cfg, out_dir, finished) if cfg["outputs"]["group_fc"] else []
        report = RunReport(output_dir=out_dir, units=units, group_files=group, resolved_config=resolved)
        with atomic_write(os.path.join(out_dir, "run_report.json"), "w") as fh:
            json.dump({"units": units, "group_files": [os.path.relpath(f, out_dir) for f in group]}, fh, indent=2)
    logger.info("run_config: %s", report.summary())
    return report
