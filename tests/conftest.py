"""Shared test fixtures: small, unequal sizes; seeded; offline."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
# pytest -n 2 on 2 cores: one BLAS thread per worker (multithreaded OpenBLAS on busy cores made a 162 x 162
# solve 30x slower); set before numpy is imported
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.fixture
def small_connectome():
    """5 regions, asymmetric weights with zero diagonal, tract lengths 10-60 mm."""
    import mne_nmm as nmm

    r = np.random.default_rng(7)
    w = r.uniform(0.1, 1.0, (5, 5)) * (r.uniform(size=(5, 5)) < 0.7)
    np.fill_diagonal(w, 0.0)
    lengths = r.uniform(10.0, 60.0, (5, 5))
    lengths = (lengths + lengths.T) / 2
    np.fill_diagonal(lengths, 0.0)
    return nmm.Connectome(w, lengths, region_names=[f"reg{i}" for i in range(5)], name="small5")
