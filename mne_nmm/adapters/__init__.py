"""Adapters at the edges: TVB zips, MNE forwards and heads, nilearn atlases (imported on first use).

:mod:`.tvb` (``read_tvb_connectivity``), :mod:`.forward` (``make_head_model``, ``HeadModel``),
:mod:`.head` (``make_sphere_head``, ``make_template_subject``, ``template_subject``, ``eeg_info``, ``meg_info``),
:mod:`.atlas` (``Atlas``, ``as_atlas``, ``atlas_from_labels_img``, ``atlas_from_nilearn``,
``atlas_from_surface``, ``extract_region_signals``), :mod:`.regions` (``match_regions``, ``RegionMatch``,
``region_indices``, ``split_hemisphere``): the one place where region names are matched.

Adapters never import :mod:`mne_nmm.datasets`: the shipped data sets (``load_atlas``, ``default_head``...)
are loaders built on these adapters and live there.
"""

import importlib as _importlib

_LAZY = {
    "read_tvb_connectivity": "tvb",
    "make_head_model": "forward", "HeadModel": "forward",
    "make_sphere_head": "head", "make_template_subject": "head", "template_subject": "head",
    "Atlas": "atlas", "as_atlas": "atlas", "atlas_from_labels_img": "atlas", "atlas_from_nilearn": "atlas",
    "atlas_from_surface": "atlas", "extract_region_signals": "atlas",
    "match_regions": "regions", "RegionMatch": "regions", "region_indices": "regions", "split_hemisphere": "regions",
}
_MODULES = ("tvb", "forward", "head", "atlas", "regions")


def __getattr__(name):
    if name in _LAZY:
        return getattr(_importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name in _MODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
