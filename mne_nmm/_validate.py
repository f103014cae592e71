"""Input validation helpers with MNE-style messages.

Every public function validates at its boundary and names the argument, what was
expected and what was received ("weights must be square (n_regions, n_regions),
got shape (66, 65)"). Nothing is silently changed.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import logging
import numbers
import operator

import numpy as np

logger = logging.getLogger("mne_nmm")


class _FallbackHandler(logging.StreamHandler):
    """Writes ``mne_nmm`` messages to stderr unless the application configured logging itself.

    Without a handler, Python prints only warnings (its last-resort handler), so ``verbose="info"``
    showed nothing in a script or the command line. When the root logger has handlers (the
    application's ``logging.basicConfig``, pytest's capture), records propagate there instead and
    this handler stays silent, so nothing is printed twice.
    """

    def emit(self, record):
        if logging.getLogger().handlers:
            return
        super().emit(record)


if not any(isinstance(h, _FallbackHandler) for h in logger.handlers):
    _handler = _FallbackHandler()
    _handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(_handler)


def _type_name(obj):
    return type(obj).__name__


def validate_type(item, types, item_name, type_name=None):
    """Raise TypeError if ``item`` is not an instance of ``types``.

    ``types`` may contain the strings ``"numeric"`` (int/float, not bool),
    ``"int"`` (integers, not bool), ``"path-like"`` and ``None``.
    """
    if not isinstance(types, (tuple, list)):
        types = (types,)
    check = []
    for t in types:
        if t is None:
            check.append(type(None))
        elif t == "numeric":
            check.extend([numbers.Real, np.number])
        elif t == "int":
            check.extend([numbers.Integral, np.integer])
        elif t == "path-like":
            import os

            check.extend([str, os.PathLike])
        else:
            check.append(t)
    ok = isinstance(item, tuple(check))
    if ok and isinstance(item, (bool, np.bool_)) and bool not in types:
        ok = False
    if not ok:
        if type_name is None:
            names = []
            for t in types:
                names.append("None" if t is None else t if isinstance(t, str) else t.__name__)
            type_name = " or ".join(names)
        raise TypeError(f"{item_name} must be an instance of {type_name}, got {_type_name(item)} instead.")
    return item


def check_option(parameter, value, allowed_values):
    """Raise ValueError if ``value`` is not one of ``allowed_values``."""
    if value in allowed_values:
        return value
    allowed = ", ".join(repr(v) for v in allowed_values)
    raise ValueError(f"Invalid value for the '{parameter}' parameter. Allowed values are {allowed}, but got {value!r} instead.")


def check_positive(value, name, *, strict=True, allow_inf=False):
    """Return ``float(value)``, raising ValueError unless it is a positive finite number."""
    validate_type(value, "numeric", name)
    v = float(value)
    if np.isnan(v) or (np.isinf(v) and not allow_inf) or (v <= 0 if strict else v < 0):
        cmp = "> 0" if strict else ">= 0"
        raise ValueError(f"{name} must be a finite number {cmp}, got {value!r}.")
    return v


def check_int(value, name, *, minimum=None):
    """Return ``int(value)`` for integer-valued input, else raise."""
    validate_type(value, "int", name)
    v = operator.index(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v}.")
    return v


def check_array(value, name, *, ndim=None, shape=None, finite=True, nonnegative=False, dtype=float):
    """Convert to a numpy array and check its dimensionality, shape and values.

    ``shape`` may contain ``None`` for free axes. Raises ValueError naming ``name``.
    """
    if dtype is not None and np.dtype(dtype).kind != "c" and np.iscomplexobj(value):
        raise TypeError(f"{name} must be real numbers, got complex values (dtype "
                        f"{np.asarray(value).dtype}); the imaginary part would be dropped.")
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be array-like of numbers, got {_type_name(value)} ({err}).") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}D array, got {arr.ndim}D array of shape {arr.shape}.")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got shape {arr.shape}.")
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))
        raise ValueError(f"{name} must contain only finite values, found {len(bad)} NaN/inf entries (first at index {tuple(int(i) for i in bad[0])}).")
    if nonnegative and np.any(arr < 0):
        bad = np.argwhere(arr < 0)
        raise ValueError(f"{name} must be non-negative, found {len(bad)} negative entries (first at index {tuple(int(i) for i in bad[0])}, value {float(arr[tuple(bad[0])]):g}).")
    return arr


def soft_import(name, purpose, *, extra=None):
    """Import an optional dependency, raising an informative ImportError."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        hint = f" Install it with: pip install 'mne-nmm[{extra}]'" if extra else f" Install it with: pip install {name}"
        raise ImportError(f"{name} is required for {purpose}.{hint}") from err


def _level(verbose):
    """Logging level (int) for a ``verbose`` value: bool, level name or int."""
    if isinstance(verbose, (bool, np.bool_)):
        return logging.INFO if verbose else logging.WARNING
    if isinstance(verbose, str):
        level = getattr(logging, verbose.upper(), None)
        if not isinstance(level, int):
            raise ValueError(f"verbose must be a bool, an int or one of DEBUG, INFO, WARNING, ERROR, CRITICAL, "
                             f"got {verbose!r}.")
        return level
    if isinstance(verbose, (numbers.Integral, np.integer)):
        return int(verbose)
    raise TypeError(f"verbose must be None, a bool, an int or a level name (e.g. 'DEBUG'), got "
                    f"{_type_name(verbose)} instead.")


def set_log_level(verbose=None):
    """Set the ``mne_nmm`` logger level for the rest of the session.

    This is the *global* setting (like :func:`mne.set_log_level`). Functions take a
    per-call ``verbose=`` argument instead, handled by :func:`verbose`, which
    restores the level when the call returns.

    Parameters
    ----------
    verbose : bool | str | int | None
        ``True``/``"INFO"``, ``False``/``"WARNING"``, ``"DEBUG"``, ``"ERROR"``, a
        :mod:`logging` level, or ``None`` (leave the level unchanged).
    """
    if verbose is not None:
        logger.setLevel(_level(verbose))


@contextlib.contextmanager
def use_log_level(verbose=None):
    """Context manager: set the ``mne_nmm`` logger level inside the block, restore it after.

    Parameters
    ----------
    verbose : bool | str | int | None
        As in :func:`set_log_level`; ``None`` leaves the level unchanged.
    """
    if verbose is None:
        yield
        return
    level = _level(verbose)
    old = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old)


def verbose(function):
    """Decorator: apply the function's ``verbose`` argument for the duration of the call.

    Like :func:`mne.verbose`: the decorated function must have a ``verbose``
    parameter (by convention the last one, default ``None``). Its value (given by
    keyword, by position, or the default) is applied with :func:`use_log_level`
    while the function runs; the ``mne_nmm`` logger level is restored afterwards,
    also when the function raises. ``verbose=None`` keeps the current level (set
    globally with :func:`set_log_level`). The signature, name and docstring are
    kept (:func:`functools.wraps`), so ``inspect.signature`` and Sphinx see the
    original.

    Parameters
    ----------
    function : callable
        A function with a ``verbose`` parameter.

    Returns
    -------
    wrapper : callable
        The decorated function.
    """
    sig = inspect.signature(function)
    param = sig.parameters.get("verbose")
    if param is None:
        raise TypeError(f"@verbose needs a function with a 'verbose' parameter, got {function.__qualname__}"
                        f"{sig}.")
    positional = [p.name for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    index = positional.index("verbose") if "verbose" in positional else None
    default = None if param.default is param.empty else param.default

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if "verbose" in kwargs:
            level = kwargs["verbose"]
        elif index is not None and index < len(args):
            level = args[index]
        else:
            level = default
        with use_log_level(level):
            return function(*args, **kwargs)

    return wrapper
