"""SimulatedFC: structural connectomes -> simulated FC features, inside scikit-learn pipelines."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402

import mne_nmm as nmm  # noqa: E402
from mne_nmm.pipeline.sklearn import SimulatedFC  # noqa: E402

FAST = dict(duration_s=3.0, transient_s=0.5, dt_ms=1.0, period_ms=10.0, global_coupling=0.5, noise_sigma=0.02)


def _sc(rng, n=5, strong=False):
    w = rng.uniform(0.05, 0.3, (n, n))
    w = (w + w.T) / 2
    if strong:  # group B: a strong 0-1-2 module
        w[np.ix_([0, 1, 2], [0, 1, 2])] += 0.8
    np.fill_diagonal(w, 0.0)
    return w


def test_features_equal_fc_of_an_independent_simulate_run(small_connectome):
    """The features are the upper triangle of corrcoef of the same network run through mne_nmm.simulate."""
    from mne_nmm.core.models.hopf import Hopf
    from mne_nmm.monitors import Subsample

    w = small_connectome.symmetrized().weights
    t = SimulatedFC(**FAST).fit([w])
    feats = t.transform([w])
    assert feats.shape == (1, 10) and t.n_features_out_ == 10
    conn = nmm.Connectome(w / w.max())  # no tract lengths: the transformer uses no delays
    net = nmm.Network(conn, coupling=nmm.coupling.Difference(), global_coupling=0.5, dt_ms=1.0)
    res = nmm.simulate(net, Hopf(a=-0.05), duration_ms=3500.0, integrator="stochastic_heun",
                       noise=nmm.AdditiveNoise(sigma=0.02), monitors=[Subsample(10.0)], key=0)
    x = res["subsample"].data[50:, 0, :]
    ref = np.corrcoef(x.T)[np.triu_indices(5, 1)]
    np.testing.assert_allclose(feats[0], ref, atol=1e-5)
    # different weights change the features, same weights give the same features (same key)
    w2 = w.copy()
    w2[0, 1] = w2[1, 0] = 5 * w.max()
    f2 = t.transform([w, w2])
    np.testing.assert_allclose(f2[0], feats[0])
    assert np.abs(f2[1] - f2[0]).max() > 0.05
    assert t.get_feature_names_out()[0] == "fc_0_1"
    fz = SimulatedFC(**FAST, fisher=True).fit([w]).transform([w])
    np.testing.assert_allclose(fz[0], np.arctanh(feats[0]), rtol=1e-9)


def test_cross_val_score_in_a_pipeline_separates_two_groups():
    rng = np.random.default_rng(0)
    X = [_sc(rng, strong=k % 2 == 1) for k in range(12)]
    y = np.array([k % 2 for k in range(12)])
    pipe = Pipeline([("fc", SimulatedFC(**{**FAST, "global_coupling": 0.3})), ("scale", StandardScaler()), ("clf", LogisticRegression())])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() >= 0.9  # the 0-1-2 module raises their simulated FC: easily separable
    # grid search over a simulation hyper-parameter through set_params
    gs = GridSearchCV(pipe, {"fc__global_coupling": [0.1, 0.3]}, cv=2).fit(X, y)
    assert gs.best_params_["fc__global_coupling"] in (0.1, 0.3)


def test_sklearn_estimator_checks_that_apply():
    """get_params / set_params / clone, via scikit-learn's own checks (those that do not need 2D numeric X)."""
    est = SimulatedFC(**FAST)
    for check in (estimator_checks.check_get_params_invariance, estimator_checks.check_set_params,
                  estimator_checks.check_no_attributes_set_in_init, estimator_checks.check_parameters_default_constructible):
        check("SimulatedFC", est)
    c = clone(est.set_params(global_coupling=0.7, model_params={"a": -0.1}))
    assert c.get_params()["global_coupling"] == 0.7 and c.get_params()["model_params"] == {"a": -0.1}
    assert not hasattr(c, "n_regions_")


def test_input_validation():
    t = SimulatedFC(**FAST)
    with pytest.raises(ValueError, match="must be square"):
        t.fit(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="same shape"):
        t.fit([np.zeros((3, 3)), np.zeros((4, 4))])
    with pytest.raises(ValueError, match="non-negative"):
        t.fit([-np.ones((3, 3))])
    with pytest.raises(ValueError, match="coupling must be one of"):
        SimulatedFC(coupling="nope").fit([np.ones((3, 3))])
    t.fit([np.ones((3, 3))])
    with pytest.raises(ValueError, match="fitted on 3"):
        t.transform([np.ones((4, 4))])
    with pytest.raises(ValueError, match="unstable"):
        SimulatedFC(**{**FAST, "global_coupling": 5.0}).fit_transform([np.ones((3, 3))])
