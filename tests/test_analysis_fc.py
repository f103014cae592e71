"""Static FC against np.corrcoef / closed forms, Fisher z, FC similarity."""

import numpy as np
import pytest

from mne_nmm.analysis import fc_similarity, fisher_z, functional_connectivity, upper_triangle


@pytest.fixture
def x():
    rng = np.random.default_rng(11)
    return rng.standard_normal((301, 7)) @ rng.standard_normal((7, 7)) + 3.0


def test_fc_equals_corrcoef(x):
    np.testing.assert_allclose(functional_connectivity(x), np.corrcoef(x, rowvar=False), rtol=0, atol=1e-10)
    np.testing.assert_allclose(functional_connectivity(x, kind="covariance"), np.cov(x, rowvar=False), rtol=1e-12)
    group = functional_connectivity([x, x[:150]])
    assert group.shape == (2, 7, 7)
    np.testing.assert_allclose(group[1], np.corrcoef(x[:150], rowvar=False), atol=1e-10)


def test_partial_correlation_is_empirical_not_shrunk(x):
    """Partial correlation equals -P_ij / sqrt(P_ii P_jj) of the *empirical* precision matrix."""
    pytest.importorskip("nilearn")
    prec = np.linalg.inv(np.cov(x, rowvar=False))
    d = np.sqrt(np.diag(prec))
    expected = -prec / np.outer(d, d)
    off = ~np.eye(7, dtype=bool)
    for kind in ("partial correlation", "partial"):
        got = functional_connectivity(x, kind=kind)
        np.testing.assert_allclose(got[off], expected[off], atol=1e-8)


def test_tangent_needs_group_and_sums_to_zero(x):
    """With two recordings the tangent vectors at their geometric mean are opposite (T1 = -T2)."""
    pytest.importorskip("nilearn")
    rng = np.random.default_rng(2)
    y = rng.standard_normal((301, 7)) @ rng.standard_normal((7, 7))
    t = functional_connectivity([x, y], kind="tangent")
    assert t.shape == (2, 7, 7)
    np.testing.assert_allclose(t[0], -t[1], atol=1e-6)
    assert np.abs(t).max() > 0.1
    with pytest.raises(ValueError, match="tangent"):
        functional_connectivity(x, kind="tangent")


def test_fisher_z(x):
    np.testing.assert_allclose(fisher_z(0.5), 0.5 * np.log(3.0), rtol=1e-14)
    assert fisher_z(1.0) == np.inf
    with pytest.raises(ValueError, match=r"r must contain correlations in \[-1, 1\]"):
        fisher_z([0.2, 1.5])
    z = functional_connectivity(x, fisher=True)
    r = np.corrcoef(x, rowvar=False)
    np.testing.assert_allclose(np.diag(z), 0.0)
    off = ~np.eye(7, dtype=bool)
    np.testing.assert_allclose(z[off], np.arctanh(r[off]), atol=1e-9)
    with pytest.raises(ValueError, match="fisher=True only applies"):
        functional_connectivity(x, kind="covariance", fisher=True)


def test_fc_similarity_known_values(x):
    a = np.corrcoef(x, rowvar=False)
    s = fc_similarity(a, a)
    assert s["r"] == pytest.approx(1.0, abs=1e-12) and s["rmse"] == 0.0
    b = a - 0.3 * (1 - np.eye(7))  # every off-diagonal value shifted by -0.3
    s = fc_similarity(a, b)
    assert s["r"] == pytest.approx(1.0, abs=1e-12) and s["rmse"] == pytest.approx(0.3, abs=1e-12)
    s = fc_similarity(a, -a)
    assert s["r"] == pytest.approx(-1.0, abs=1e-12)
    # only the upper triangle counts: changing the lower triangle changes nothing
    c = a.copy()
    c[np.tril_indices(7, -1)] = 0.0
    assert fc_similarity(a, c)["rmse"] == pytest.approx(0.0)
    assert upper_triangle(a).shape == (21,)
    sz = fc_similarity(a, b, fisher=True)
    np.testing.assert_allclose(sz["rmse"], np.sqrt(np.mean((np.arctanh(upper_triangle(a))
                                                            - np.arctanh(upper_triangle(b))) ** 2)))


def test_fc_errors(x):
    with pytest.raises(ValueError, match="Invalid value for the 'kind' parameter"):
        functional_connectivity(x, kind="pearson")
    xc = x.copy()
    xc[:, 3] = 1.0
    with pytest.raises(ValueError, match=r"constant channel\(s\) \[3\]"):
        functional_connectivity(xc)
    with pytest.raises(ValueError, match="same number of channels"):
        functional_connectivity([x, x[:, :5]])
    with pytest.raises(ValueError, match=r"fc_a and fc_b must have the same shape"):
        fc_similarity(np.eye(5), np.eye(4))
    with pytest.raises(ValueError, match=r"fc_a must be square"):
        fc_similarity(np.ones((5, 4)), np.eye(4))
