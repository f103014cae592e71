"""Fitting: parameter transforms, objectives, gradients, estimators, sweeps, splits, FIC."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mne_nmm as nmm
from mne_nmm.fitting import (BoldObjective, FCFit, FCGridSearch, Parameter, ParameterSpace, Target, grid,
                             group_fc, kfold_subjects, leave_one_subject_out, random_design, sweep, target_fc)
from mne_nmm.fitting import losses as L

N = 5
TR = 0.5


def _network(G=0.3):
    rng = np.random.default_rng(11)
    w = rng.uniform(0.2, 1.0, size=(N, N)) * (rng.uniform(size=(N, N)) < 0.8)
    np.fill_diagonal(w, 0.0)
    lengths = rng.uniform(5.0, 60.0, size=(N, N))
    lengths = (lengths + lengths.T) / 2
    conn = nmm.Connectome(weights=w / w.max(), tract_lengths_mm=lengths, region_names=[f"r{i}" for i in range(N)])
    return nmm.Network(conn, coupling=nmm.coupling.Difference(), global_coupling=G, speed_m_per_s=5.0, dt_ms=1.0)


def _objective(target=None, **kw):
    net = _network()
    rng = np.random.default_rng(4)
    tgt = target if target is not None else np.corrcoef(rng.normal(size=(300, N)) @ rng.normal(size=(N, N)),
                                                        rowvar=False)
    kw.setdefault("duration_s", 25.0)
    kw.setdefault("transient_s", 2.0)
    return BoldObjective(net, nmm.models.Hopf(a=-0.05), tgt, tr_s=TR, noise=nmm.AdditiveNoise(sigma=0.05), **kw)


@pytest.fixture(scope="module")
def objective():
    return _objective()


# -- parameters ----------------------------------------------------------------------------------
def test_parameter_transforms_round_trip(objective):
    p0 = objective.params
    space = ParameterSpace(p0, {"global_coupling": (0.0, 2.0), "noise_sigma": (0.0, None),
                                "model.a": {"bounds": (-1.0, 1.0), "shape": "region"},
                                "weights": {"transform": "log", "shape": "full"}})
    u = space.init()
    vals = space.describe(u)
    assert vals["global_coupling"] == pytest.approx(float(p0.global_coupling), rel=1e-6)
    assert vals["noise_sigma"] == pytest.approx(0.05, rel=1e-6)
    np.testing.assert_allclose(vals["model.a"], np.full(N, -0.05), rtol=1e-6)
    np.testing.assert_allclose(vals["weights"], np.asarray(p0.weights), rtol=1e-6)
    p = space.to_params(u)
    np.testing.assert_allclose(np.asarray(p.noise_sigma), np.asarray(p0.noise_sigma), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(p.weights), np.asarray(p0.weights), rtol=1e-6)
    # extreme unconstrained values stay inside the bounds
    far = {k: np.full_like(v, 50.0) for k, v in u.items()}
    assert space.describe(far)["global_coupling"] <= 2.0
    far = {k: np.full_like(v, -50.0) for k, v in u.items()}
    d = space.describe(far)
    assert d["global_coupling"] >= 0.0 and d["noise_sigma"] >= 0.0
    assert np.all(d["model.a"] >= -1.0)
    # zero weights stay zero under the log transform (the structural mask is kept)
    zero = np.asarray(p0.weights) == 0
    assert np.all(np.asarray(space.to_params(far).weights)[zero] == 0)


def test_parameter_errors_name_the_problem(objective):
    with pytest.raises(KeyError, match="model.nope"):
        ParameterSpace(objective.params, ["model.nope"])
    with pytest.raises(ValueError, match="outside bounds"):
        ParameterSpace(objective.params, {"global_coupling": (0.5, 1.0)})
    with pytest.raises(ValueError, match="lo < hi"):
        Parameter("global_coupling", bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match="twice"):
        ParameterSpace(objective.params, ["global_coupling", "global_coupling"])


# -- objective and gradients ---------------------------------------------------------------------
def test_objective_fc_equals_analysis_of_the_same_run(objective):
    from mne_nmm import analysis

    key = jax.random.PRNGKey(3)
    b, div = objective.bold(objective.params, key)
    assert int(div) == -1
    assert b.shape == (objective.n_keep, N)
    s = objective.scores(objective.params, key)
    target = np.asarray(objective.target.fc)
    ref = analysis.fc_similarity(analysis.functional_connectivity(np.asarray(b, dtype=float)), target)
    fc_np = np.corrcoef(np.asarray(b, dtype=float), rowvar=False)
    np.testing.assert_allclose(np.asarray(L.fc(b)), fc_np, atol=2e-5)
    assert float(s["fc_r"]) == pytest.approx(ref["r"], abs=1e-4)
    assert float(s["fc_rmse"]) == pytest.approx(ref["rmse"], abs=1e-4)


def test_gradient_through_delays_noise_and_bold_matches_finite_differences():
    key = jax.random.PRNGKey(0)
    base = _objective()
    fc_target = np.asarray(L.fc(base.bold(base.params.replace(global_coupling=0.5), jax.random.PRNGKey(9))[0]))
    obj = _objective(target=fc_target)
    with jax.enable_x64(False):
        f = jax.jit(lambda G: obj.loss(obj.params.replace(global_coupling=G), key))
        g = float(jax.grad(lambda G: obj.loss(obj.params.replace(global_coupling=G), key))(0.3))
        h = 0.02
        fd = (float(f(0.3 + h)) - float(f(0.3 - h))) / (2 * h)
    assert np.isfinite(g) and g != 0.0
    assert g == pytest.approx(fd, rel=0.1, abs=2e-3)
    # the (n, n) weight gradient is exactly zero outside the structural connections
    gw = jax.grad(lambda W: obj.loss(obj.params.replace(weights=W), key))(obj.params.weights)
    assert gw.shape == (N, N)
    absent = np.asarray(obj.params.weights) == 0
    assert np.all(np.asarray(gw)[absent] == 0) and np.any(np.asarray(gw)[~absent] != 0)


# -- estimators ----------------------------------------------------------------------------------
def test_fcfit_recovers_global_coupling_from_its_own_simulation():
    key = jax.random.PRNGKey(42)
    base = _objective()
    G_true = 0.6
    fc_target = np.asarray(L.fc(base.bold(base.params.replace(global_coupling=G_true), key)[0]))
    est = FCFit(_network(G=0.3), nmm.models.Hopf(a=-0.05), parameters={"global_coupling": (0.0, 1.5)},
                duration_s=25.0, transient_s=2.0, tr_s=TR, noise_sigma=0.05, keys=key[None], learning_rate=0.1,
                max_iter=25, n_validation_keys=0, random_state=0)
    assert est.fit(fc_target) is est
    assert est.best_values_["global_coupling"] == pytest.approx(G_true, abs=0.06)
    assert est.loss_history_[-1] < est.loss_history_[0]
    assert est.n_iter_ == len(est.loss_history_) == 25


def test_estimator_contract():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    net = _network()
    est = FCFit(net, nmm.models.Hopf(a=-0.05), parameters={"global_coupling": (0.0, 1.5)}, duration_s=20.0,
                transient_s=2.0, tr_s=TR, noise_sigma=0.05, max_iter=3, n_validation_keys=1, validate_every=1,
                patience=None, random_state=1)
    params = est.get_params()
    assert params["max_iter"] == 3 and params["parameters"] == {"global_coupling": (0.0, 1.5)}
    c = clone(est)
    assert c.get_params()["learning_rate"] == est.learning_rate and c is not est
    with pytest.raises(NotFittedError):
        est.score(np.eye(N))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, N))
    target = np.corrcoef(x @ rng.normal(size=(N, N)), rowvar=False)
    before = target.copy()
    G_before = float(net.global_coupling)
    est.fit(target)
    np.testing.assert_array_equal(target, before)          # the input is not changed
    assert float(net.global_coupling) == G_before
    assert isinstance(est.best_params_, nmm.SimParams)
    assert est.n_iter_ == 3 and len(est.validation_history_) == 4
    first = est.best_values_
    r = est.score(target)
    assert -1.0 <= r <= 1.0 and est.last_scores_.shape == (1,)
    # the scoring run, rebuilt with its seed by simulated_bold and scored in numpy, gives the same r
    bold = est.simulated_bold(seed=10_000_019 + 7919 * 1)
    iu = np.triu_indices(N, 1)
    np.testing.assert_allclose(np.corrcoef(np.corrcoef(bold.T)[iu], target[iu])[0, 1], r, rtol=1e-4)
    np.testing.assert_allclose(est.simulated_fc(seed=5), np.corrcoef(est.simulated_bold(seed=5).T), atol=1e-12)
    est.set_params(max_iter=1).fit(target)                 # refit replaces
    assert est.n_iter_ == 1 and len(est.loss_history_) == 1
    assert set(est.best_values_) == set(first)
    with pytest.raises(ValueError, match="keys"):
        FCFit(net, nmm.models.Hopf(), keys="sometimes", duration_s=20.0, tr_s=TR).fit(target)


def test_validation_uses_keys_never_used_in_training():
    est = FCFit(_network(), nmm.models.Hopf(a=-0.05), parameters={"global_coupling": (0.0, 1.5)}, duration_s=20.0,
                transient_s=2.0, tr_s=TR, noise_sigma=0.05, max_iter=4, keys="fixed", n_keys=2,
                n_validation_keys=2, validate_every=2, patience=0, random_state=5)
    rng = np.random.default_rng(1)
    target = np.corrcoef(rng.normal(size=(100, N)) @ rng.normal(size=(N, N)), rowvar=False)
    est.fit(target)
    # best-seen selection: the reported best is the minimum of the validation history
    vals = [v for _, v in est.validation_history_]
    assert est.best_validation_loss_ == pytest.approx(min(vals))


# -- sweeps --------------------------------------------------------------------------------------
def test_sweep_equals_single_runs_and_resumes(tmp_path, objective, monkeypatch):
    design = grid({"global_coupling": [0.1, 0.4], "model.a": [-0.05, -0.02]})
    assert len(design) == 4
    tab = sweep(objective, design, n_seeds=2, seed=7, batch_size=3, out_dir=tmp_path / "sw")
    assert len(tab) == 8 and list(tab["seed"][:2]) == [7, 8]
    f = jax.jit(objective.scores)
    for i in (0, 5):
        row = tab.iloc[i]
        p = objective.params.replace(**{"global_coupling": row["global_coupling"], "model.a": row["model.a"]})
        ref = f(p, jax.random.PRNGKey(int(row["seed"])))
        assert row["fc_r"] == pytest.approx(float(ref["fc_r"]), abs=1e-5)
        assert row["fc_rmse"] == pytest.approx(float(ref["fc_rmse"]), abs=1e-5)
    vec = sweep(objective, design.iloc[:2], n_seeds=1, seed=7, batch_size=2, vectorize=True)
    np.testing.assert_allclose(vec["fc_r"], tab["fc_r"].to_numpy()[[0, 2]], atol=1e-5)
    # a rerun reads every batch back and runs nothing
    import importlib

    S = importlib.import_module("mne_nmm.fitting.sweep")

    monkeypatch.setattr(S, "evaluate_batch", lambda *a, **k: pytest.fail("a finished batch was recomputed"))
    again = sweep(objective, design, n_seeds=2, seed=7, batch_size=3, out_dir=tmp_path / "sw")
    np.testing.assert_array_equal(again["fc_r"], tab["fc_r"])
    with pytest.raises(ValueError, match="different sweep"):
        sweep(objective, design.iloc[:3], n_seeds=2, seed=7, batch_size=3, out_dir=tmp_path / "sw")


def test_designs():
    g = grid(global_coupling=[0.1, 0.2, 0.3], **{"model.a": [-0.1, 0.0]})
    assert len(g) == 6 and set(g.columns) == {"global_coupling", "model.a"}
    assert sorted(set(g["global_coupling"])) == [0.1, 0.2, 0.3]
    r = random_design({"global_coupling": (0.1, 1.0), "noise_sigma": (1e-3, 1e-1)}, 200, log=("noise_sigma",))
    assert r["global_coupling"].between(0.1, 1.0).all() and r["noise_sigma"].between(1e-3, 1e-1).all()
    assert np.median(np.log10(r["noise_sigma"])) == pytest.approx(-2.0, abs=0.25)  # log-uniform
    with pytest.raises(ValueError, match="lo < hi"):
        random_design({"global_coupling": (1.0, 0.1)}, 3)


def test_grid_search_picks_the_best_point():
    key = jax.random.PRNGKey(0)
    base = _objective()
    fc_target = np.asarray(L.fc(base.bold(base.params.replace(global_coupling=0.6), key)[0]))
    est = FCGridSearch(_network(), nmm.models.Hopf(a=-0.05), grid(global_coupling=[0.05, 0.6]), duration_s=25.0,
                       transient_s=2.0, tr_s=TR, noise_sigma=0.05, n_seeds=2, batch_size=4).fit(fc_target)
    assert est.best_values_["global_coupling"] == 0.6
    assert est.best_score_ == pytest.approx(est.summary_["mean"].max())
    assert float(est.best_params_.global_coupling) == pytest.approx(0.6)


# -- data ----------------------------------------------------------------------------------------
def test_splits_and_group_fc():
    subs = ["s1", "s2", "s3", "s4"]
    lo = leave_one_subject_out(subs)
    assert len(lo) == 4 and all(len(s.train) == 3 and s.test[0] not in s.train for s in lo)
    assert sorted(t for s in lo for t in s.test) == subs
    kf = kfold_subjects(subs, 2, random_state=0)
    assert sorted(t for s in kf for t in s.test) == subs
    with pytest.raises(ValueError, match="n_splits"):
        kfold_subjects(subs, 5)

    class Fake:
        name = "fake"
        subjects = ("a", "b")

        def fc(self, s):
            return np.eye(3) * (1 if s == "a" else 3)

    np.testing.assert_allclose(group_fc(Fake(), ["a", "b"]), np.eye(3) * 2)
    with pytest.raises(ValueError, match="not in"):
        group_fc(Fake(), ["c"])


def test_target_fc_inputs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4))
    fc, _ = target_fc(x)
    np.testing.assert_allclose(fc, np.corrcoef(x, rowvar=False), atol=1e-12)
    again, _ = target_fc(fc)
    np.testing.assert_array_equal(again, fc)
    grp, _ = target_fc([x, x[::-1] ** 2])
    np.testing.assert_allclose(grp, (np.corrcoef(x, rowvar=False) + np.corrcoef(x[::-1] ** 2, rowvar=False)) / 2)


# -- FIC -----------------------------------------------------------------------------------------
def test_fic_fixed_point_rate_and_stability():
    from mne_nmm.core.models.wong_wang import ReducedWongWangExcInh
    from mne_nmm.fitting.fic import feedback_inhibition_control

    rng = np.random.default_rng(2)
    w = rng.uniform(size=(N, N))
    np.fill_diagonal(w, 0)
    conn = nmm.Connectome(weights=w, region_names=[f"r{i}" for i in range(N)])
    net = nmm.Network(conn, coupling=nmm.coupling.Linear(), global_coupling=0.2, dt_ms=0.5)
    res = feedback_inhibition_control(ReducedWongWangExcInh(G=1.0), net)
    np.testing.assert_allclose(res.excitatory_rate_hz, 3.0, atol=1e-4)          # Deco et al.'s 3 Hz
    ge_te = 0.641e-3 * 100.0
    assert res.initial_state[0, 0] == pytest.approx(ge_te * 3 / (1 + ge_te * 3), rel=1e-6)  # S_e* closed form
    assert res.stable
    # the state is a fixed point of the network: a deterministic run started there stays
    out = nmm.simulate(net, res.model, duration_ms=500.0, initial_state=res.initial_state,
                       monitors=[nmm.monitors.Subsample(50.0)])
    np.testing.assert_allclose(out["subsample"].data[-1, 0], res.initial_state[0], atol=1e-5)  # S_e (recorded)
    strong = nmm.Network(conn, coupling=nmm.coupling.Linear(), global_coupling=5.0, dt_ms=0.5)
    with pytest.warns(RuntimeWarning, match="unstable"):
        bad = feedback_inhibition_control(ReducedWongWangExcInh(G=1.0), strong)
    assert not bad.stable and bad.max_real > 0
    with pytest.raises(ValueError, match="Linear"):
        feedback_inhibition_control(ReducedWongWangExcInh(), _network())


# -- spectra through a lead field ----------------------------------------------------------------
def test_spectrum_fit_recovers_the_peak_frequency_through_a_lead_field():
    from mne_nmm import analysis
    from mne_nmm.fitting import SpectrumObjective, gradient_fit

    rng = np.random.default_rng(0)
    gain = rng.normal(size=(7, N)) * 1e-2                       # V/(A·m), 7 sensors
    net = _network(G=0.05)
    hz = 2 * np.pi / 1000.0                                       # omega (rad/ms) per Hz
    mon = nmm.monitors.LeadField(gain, period_ms=4.0, variable="x", moment_am_per_unit=1e-8)
    model = nmm.models.Hopf(a=-0.02, omega=10.0 * hz)
    noise = nmm.AdditiveNoise(sigma=0.02)
    key = jax.random.PRNGKey(1)
    # the target: this model's own sensor spectrum (analysis.psd, MNE's Welch) at 10 Hz
    res = nmm.simulate(net, model, duration_ms=21_000.0, integrator="stochastic_heun", noise=noise, monitors=[mon],
                       key=key)
    x = res[mon.name].data[250:, 0, :]
    target, freqs = analysis.psd(x, sfreq_hz=250.0, window_s=2.0)
    obj = SpectrumObjective(net, nmm.models.Hopf(a=-0.02, omega=8.0 * hz), mon, target, duration_s=20.0,
                            window_s=2.0, fmin=2.0, fmax=30.0, peak_band=(5.0, 15.0), noise=noise)
    np.testing.assert_allclose(obj.freqs, freqs)
    # the objective's spectrum of the same run is analysis.psd's
    p_same, _ = obj.psd(obj.params.replace(**{"model.omega": 10.0 * hz}), key)
    np.testing.assert_allclose(np.asarray(p_same), target, rtol=2e-3, atol=1e-6 * target.max())
    out = gradient_fit(obj, {"model.omega": {"bounds": (5 * hz, 15 * hz)}}, keys=key[None], learning_rate=0.2,
                       max_iter=30, n_validation_keys=0)
    assert out["best_values_"]["model.omega"] / hz == pytest.approx(10.0, abs=0.3)


def test_gradient_fit_backs_off_from_a_diverging_region(objective):
    """A loss that is NaN past G = 0.5 (a run that diverges there) and has its minimum at G = 1: steps that land in
    the NaN region are undone and redone at half the size, so the fit ends at a finite point next to the border
    instead of staying stuck on NaN."""
    from mne_nmm.fitting import gradient_fit

    class Cliff:
        params = objective.params

        def ensemble_loss(self, params, keys):
            G = params.global_coupling
            return jnp.where(G > 0.5, jnp.nan, (G - 1.0) ** 2)

    res = gradient_fit(Cliff(), {"global_coupling": {"init": 0.0}}, optimizer="sgd", learning_rate=0.4,
                       max_iter=30, keys="fixed", n_validation_keys=0)
    G = res["best_values_"]["global_coupling"]
    h = res["loss_history_"]
    assert 1 <= res["n_backtracks_"] == int(np.sum(~np.isfinite(h))) and np.isfinite(np.nanmin(h))
    assert 0.4 < G <= 0.5                      # it approached the border from the finite side (loss (G - 1)^2)
    # plain SGD without backtracking: 0 -> 0.8 on the first step (NaN), stuck there for good
    assert np.isnan(float(Cliff().ensemble_loss(objective.params.replace(global_coupling=0.8), None)))
