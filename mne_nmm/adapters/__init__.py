"""Adapters at the edges: TVB zips, MNE forwards and heads, nilearn atlases (imported on first use).

:mod:`.tvb` (``read_tvb_connectivity``), :mod:`.forward` (``make_head_model``, ``HeadModel``,
``match_regions``), :mod:`.head` (``default_head``, ``make_sphere_head``, ``make_template_subject``),
:mod:`.atlas` (``load_atlas``, ``Atlas``, ``atlas_from_labels_img``, ``atlas_from_nilearn``,
``extract_region_signals``, ``match_regions``).
"""

import importlib as _importlib

_LAZY = {
    "read_tvb_connectivity": "tvb",
    "make_head_model": "forward", "HeadModel": "forward",
    "default_head": "head", "make_sphere_head": "head", "make_template_subject": "head",
    "load_atlas": "atlas", "list_atlases": "atlas", "Atlas": "atlas", "atlas_from_labels_img": "atlas",
    "atlas_from_nilearn": "atlas", "extract_region_signals": "atlas",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(_importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name in ("tvb", "forward", "head", "atlas"):
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
