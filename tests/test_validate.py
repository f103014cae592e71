"""The per-call ``verbose`` mechanism and the validation helpers of ``mne_nmm._validate``."""

import inspect
import logging

import pytest

from mne_nmm._validate import logger, set_log_level, use_log_level, verbose


@pytest.fixture(autouse=True)
def _restore_level():
    old = logger.level
    yield
    logger.setLevel(old)


@verbose
def _probe(x, *, fail=False, verbose=None):
    """Return (x, the level seen inside the call)."""
    if fail:
        raise RuntimeError("boom")
    return x, logger.level


@verbose
def _positional(x, verbose="ERROR"):
    return logger.level


def test_verbose_applies_the_level_for_the_call_only():
    logger.setLevel(logging.WARNING)
    assert _probe(1, verbose="DEBUG") == (1, logging.DEBUG)
    assert logger.level == logging.WARNING
    assert _probe(2, verbose=True)[1] == logging.INFO
    assert _probe(2, verbose=False)[1] == logging.WARNING
    assert _probe(2, verbose=logging.ERROR)[1] == logging.ERROR
    assert logger.level == logging.WARNING
    # None keeps the global level, which set_log_level changes for good
    set_log_level("ERROR")
    assert _probe(3)[1] == logging.ERROR
    assert logger.level == logging.ERROR


def test_verbose_restores_the_level_when_the_function_raises():
    logger.setLevel(logging.WARNING)
    with pytest.raises(RuntimeError, match="boom"):
        _probe(1, fail=True, verbose="DEBUG")
    assert logger.level == logging.WARNING


def test_verbose_reads_positional_and_default_values():
    logger.setLevel(logging.WARNING)
    assert _positional(0) == logging.ERROR           # the default of the signature
    assert _positional(0, "DEBUG") == logging.DEBUG  # given by position
    assert _positional(0, verbose="INFO") == logging.INFO
    assert logger.level == logging.WARNING


def test_verbose_keeps_signature_name_and_docstring():
    def f(a, b=2, *, c=None, verbose=None):
        """Doc of f."""
        return a

    g = verbose(f)
    assert inspect.signature(g) == inspect.signature(f)
    assert g.__name__ == "f" and g.__doc__ == "Doc of f." and g.__wrapped__ is f


def test_verbose_rejects_functions_without_the_argument_and_bad_levels():
    with pytest.raises(TypeError, match="'verbose' parameter"):
        verbose(lambda x: x)
    logger.setLevel(logging.WARNING)
    with pytest.raises(ValueError, match="verbose must be a bool, an int or one of DEBUG.*got 'LOUD'"):
        _probe(1, verbose="LOUD")
    with pytest.raises(TypeError, match="verbose must be None, a bool, an int or a level name.*got list"):
        _probe(1, verbose=[1])
    assert logger.level == logging.WARNING


def test_use_log_level_is_a_scoped_context_manager():
    logger.setLevel(logging.WARNING)
    with use_log_level("DEBUG"):
        assert logger.level == logging.DEBUG
    assert logger.level == logging.WARNING
    with use_log_level(None):
        assert logger.level == logging.WARNING


@pytest.mark.parametrize("module, name", [
    ("mne_nmm.adapters.tvb", "read_tvb_connectivity"),
    ("mne_nmm.adapters.atlas", "extract_region_signals"),
    ("mne_nmm.datasets", "load_connectome"),
    ("mne_nmm.datasets", "load_tvb_cortex"),
    ("mne_nmm.datasets", "load_empirical"),
    ("mne_nmm.datasets", "load_atlas"),
    ("mne_nmm.datasets", "tvb76_atlas"),
    ("mne_nmm.convert.nifti", "to_nifti"),
    ("mne_nmm.convert.nifti", "to_surface"),
    ("mne_nmm.eeg", "simulate_eeg"),
    ("mne_nmm.fmri", "simulate_bold"),
])
def test_public_functions_use_the_decorator_and_do_not_leak(module, name):
    import importlib

    f = getattr(importlib.import_module(module), name)
    assert hasattr(f, "__wrapped__"), f"{module}.{name} is not decorated with @verbose"
    assert "verbose" in inspect.signature(f).parameters
    # a bad first argument fails inside the call: the level must still be restored
    logger.setLevel(logging.WARNING)
    with pytest.raises(Exception):
        f(object(), verbose="DEBUG") if name not in ("load_tvb_cortex",) else f("nowhere", verbose="DEBUG")
    assert logger.level == logging.WARNING


def test_no_module_sets_the_log_level_inside_a_function():
    """``set_log_level(verbose)`` inside a function leaks the level; ``@verbose`` is the one mechanism."""
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1] / "mne_nmm"
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for sub in ast.walk(node):
                    if (isinstance(sub, ast.Call) and getattr(sub.func, "id", getattr(sub.func, "attr", None))
                            == "set_log_level" and node.name != "set_log_level"):
                        offenders.append(f"{path.relative_to(root.parent)}:{sub.lineno} in {node.name}")
    assert not offenders, offenders


def test_info_messages_reach_stderr_once_without_logging_config():
    """verbose="info" prints in a plain script (no handler configured), and not twice once logging is configured."""
    import subprocess
    import sys

    code = ("import logging\nfrom mne_nmm._validate import logger, use_log_level\n"
            "with use_log_level('info'):\n    logger.info('first message')\n"
            "logger.info('hidden at the default level')\n"
            "logging.basicConfig(format='root: %(message)s')\nlogger.warning('second message')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.splitlines() == ["first message", "root: second message"]
