"""The compile cache: built (jitted) functions keyed on structure and static configuration.

A key is made of the :class:`~mne_nmm.core.kernel.Plan` (sizes, the connection structure and
delays by content digest), the integrator and noise kinds, each monitor's declared static
configuration, the stimulus waveforms by content, the float type and the batching pattern.
Values (weights, gains, model parameters, noise amplitudes) are *arguments* of the cached
functions, never part of a key, so they can never be stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["cached", "clear", "CACHE_SIZE"]

#: Built functions kept (least recently used dropped first).
CACHE_SIZE = 16

_CACHE: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


def cached(key, build):
    """``build()`` once per ``key`` (hashable, content based)."""
    with _LOCK:
        fn = _CACHE.get(key)
        if fn is not None:
            _CACHE.move_to_end(key)
            return fn
    fn = build()
    with _LOCK:
        _CACHE[key] = fn
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return fn


def clear():
    """Forget every built function."""
    with _LOCK:
        _CACHE.clear()
