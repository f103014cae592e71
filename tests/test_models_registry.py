"""Model contract (metadata, validation, JAX transforms) and the registry."""

import dataclasses
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mne_nmm
from mne_nmm.core.models.base import NeuralMass, neural_mass
from mne_nmm.models import get_model, list_models, model_info, register_model

ALL = list_models().names


def test_catalogue_contents_and_printing():
    table = mne_nmm.list_models()
    expected = {"hopf", "jansen_rit", "van_der_pol", "fitzhugh_nagumo", "threshold_linear", "generic_2d_oscillator",
                "lorenz", "linear", "kuramoto", "damped_oscillator", "phase_oscillator", "wilson_cowan", "wong_wang",
                "reduced_wong_wang_exc_inh", "montbrio_pazo_roxin", "coombes_byrne", "larter_breakspear",
                "epileptor", "freeman", "ing"}
    assert expected <= set(table.names) and len(set(table.names)) == len(table)
    text = repr(table)
    for name in expected:
        assert name in text
    assert text.splitlines()[0].split()[:3] == ["name", "category", "n"]
    html = table._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == len(table) + 1
    rec = table.to_records()[0]
    assert {"name", "category", "n_states", "eeg_source", "bold_drive", "typical_use", "reference"} <= set(rec)
    df = table.to_dataframe()
    assert list(df.index) == list(table.names) and (df["n_states"] > 0).all()
    assert table["jansen_rit"].n_states == 6 and table[0].name == table.names[0]
    with pytest.raises(KeyError):
        table["nope"]


def test_catalogue_filters_and_ladder():
    phys = list_models("physiological")
    assert len(phys) >= 10 and all(i.category == "physiological" for i in phys)
    assert list_models(ladder=True).names == ("phase_oscillator", "damped_oscillator", "hopf", "wilson_cowan",
                                              "jansen_rit", "ing")
    with pytest.raises(ValueError, match="category must be"):
        list_models("empirical")


@pytest.mark.parametrize("alias, cls_name", [("jansen_rit", "JansenRit"), ("JansenRit", "JansenRit"),
                                             ("ReducedWongWangExcInh", "ReducedWongWangExcInh"),
                                             ("SupHopf", "Hopf"), ("Montbrio-Pazo-Roxin", "MontbrioPazoRoxin")])
def test_get_model_by_registry_class_and_tvb_name(alias, cls_name):
    assert type(get_model(alias)).__name__ == cls_name


def test_get_model_errors():
    with pytest.raises(ValueError, match=r"Unknown model 'jansen_ritt'.*Did you mean.*jansen_rit"):
        get_model("jansen_ritt")
    with pytest.raises(ValueError, match=r"Unknown parameter\(s\) \['foo'\] for JansenRit"):
        get_model("jansen_rit", foo=1.0)
    with pytest.raises(TypeError, match="name must be a str"):
        get_model(3)
    m = get_model("hopf", a=-0.2)
    assert float(m.a) == -0.2


@pytest.mark.parametrize("name", ALL)
def test_model_contract(name):
    info = model_info(name)
    cls = info.cls
    m = cls()
    variables = m.variables
    assert m.state_variables and set(m.coupled_variables) <= set(m.state_variables) and m.coupled_variables
    for attr in ("default_output", "eeg_source", "bold_drive"):
        v = getattr(cls, attr)
        assert v is None or v in variables, (attr, v)
    assert m.default_output is not None and (m.bold_drive is not None)
    assert (m.stimulus_variable or m.state_variables[0]) in m.state_variables
    assert set(variables) <= set(m.units), set(variables) - set(m.units)
    assert m.category in ("phenomenological", "physiological")
    assert m.typical_use and m.reference
    doc = cls.__doc__
    assert "References" in doc and ("math::" in doc or "::" in doc), "docstring needs equations and citations"
    fields = {f.name for f in dataclasses.fields(cls)}
    assert set(m.positive_parameters) <= fields
    assert set(m.state_bounds) <= set(m.state_variables)
    # a clear error for an unknown parameter
    with pytest.raises(ValueError, match=r"Unknown parameter\(s\) \['foo'\]"):
        m.replace(foo=1)
    # initial state: right shape, a random spread across regions, not exactly on an unstable fixed point
    x0 = m.initial_state(5, rng=1)
    assert x0.shape == (m.n_state_variables, 5) and np.isfinite(x0).all()
    assert np.ptp(x0, axis=1).max() > 0
    c = jnp.zeros((len(m.coupled_variables), 5))
    d = np.asarray(m.dfun(jnp.asarray(x0), c))
    assert d.shape == x0.shape and np.isfinite(d).all()
    center = jnp.asarray(m.default_initial(), dtype=jnp.float32)
    f0 = m.dfun(center[:, None], c[:, :1])[:, 0]
    if float(jnp.abs(f0).max()) < 1e-7:
        J = np.asarray(jax.jacfwd(lambda y: m.dfun(y[:, None], c[:, :1])[:, 0])(center))
        assert np.linalg.eigvals(J).real.max() < 0, "default initial state is an unstable fixed point"
    # derived variables are computable
    obs = np.asarray(m.observe(jnp.asarray(x0), variables))
    assert obs.shape == (len(variables), 5) and np.isfinite(obs).all()


@pytest.mark.parametrize("name", ALL)
def test_time_constants_must_be_positive(name):
    m = get_model(name)
    for p in m.positive_parameters:
        with pytest.raises(ValueError, match=rf"{type(m).__name__}\.{p} must be > 0"):
            m.replace(**{p: -1.0})
        with pytest.raises(ValueError, match="must be > 0"):
            m.replace(**{p: np.array([1.0, 0.0])})


@pytest.mark.parametrize("name", ALL)
def test_dfun_jit_vmap_grad_and_heterogeneous_parameters(name):
    m = get_model(name)
    x0 = jnp.asarray(m.initial_state(3, rng=2), dtype=jnp.float32)
    c = 0.01 * jnp.ones((len(m.coupled_variables), 3))
    params = m.parameters()
    first = next(iter(params))
    base = float(np.asarray(params[first]))
    vals = np.array([base, base * 1.1 + 0.01, base * 0.9 - 0.01])
    if first in m.positive_parameters:
        vals = np.abs(vals) + 1e-3

    @jax.jit
    def transforms(mm, mh, v):
        d = mm.dfun(x0, c)
        g = jax.grad(lambda p: jnp.sum(p.dfun(x0, c) ** 2))(mm)            # gradient w.r.t. all parameters
        dh = mh.dfun(x0, c)                                                 # one parameter value per region
        batched = jax.vmap(lambda vk: mm.replace(**{first: vk}).dfun(x0, c))(v)   # a batch of parameter sets
        return d, g, dh, batched

    d, g, dh, batched = transforms(m, m.replace(**{first: vals}), jnp.asarray(vals, dtype=jnp.float32))
    np.testing.assert_allclose(np.asarray(d), np.asarray(m.dfun(x0, c)), rtol=1e-5, atol=1e-6)
    assert type(g) is type(m)
    assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree_util.tree_leaves(g))
    assert batched.shape == (3,) + x0.shape
    for k in range(3):   # region k of the heterogeneous model == parameter set k
        np.testing.assert_allclose(np.asarray(dh)[:, k], np.asarray(batched)[k, :, k], rtol=1e-5, atol=1e-6)


def test_state_bounds_are_applied():
    m = get_model("reduced_wong_wang_exc_inh")
    x = m.apply_bounds(jnp.array([[1.5, -0.1], [0.5, 2.0]]))
    np.testing.assert_array_equal(np.asarray(x), [[1.0, 0.0], [0.5, 1.0]])


def test_register_user_model():
    @neural_mass
    class Leaky(NeuralMass):
        """Leaky integrator ``x' = -x / tau + c`` (Dayan & Abbott 2001).

        References
        ----------
        Dayan P., Abbott L.F. (2001) Theoretical Neuroscience. MIT Press.
        """

        name = "leaky_test"
        state_variables = ("x",)
        coupled_variables = ("x",)
        default_output = "x"
        positive_parameters = ("tau",)
        tau: float = 10.0

        def dfun(self, state, coupling):
            return (-state[0] / self.tau + coupling[0])[None]

    try:
        info = register_model(Leaky, coupling=mne_nmm.coupling.Linear, global_coupling=0.2)
        assert "leaky_test" in list_models() and get_model("Leaky").tau == 10.0
        assert info.to_record()["coupling"] == "Linear"

        @neural_mass
        class Other(Leaky):
            pass

        with pytest.raises(ValueError, match="already registered"):
            register_model(Other, name="leaky_test")
    finally:
        from mne_nmm.core.models import registry

        registry._REGISTRY.pop("leaky_test", None)
        registry._ALIASES.pop("leaky", None)
    with pytest.raises(TypeError, match="NeuralMass subclass"):
        register_model(int)

    class NotDecorated(NeuralMass):
        state_variables = ("x",)

    with pytest.raises(TypeError, match="@neural_mass"):
        register_model(NotDecorated)


def test_from_tvb_nsig_documented_conversion():
    noise = mne_nmm.AdditiveNoise.from_tvb_nsig(0.005)
    assert float(noise.sigma) == pytest.approx(np.sqrt(2 * 0.005))
    from mne_nmm.core.models import registry

    assert "from_tvb_nsig" in registry.__doc__


def test_importing_models_loads_no_heavy_dependency():
    code = ("import sys, mne_nmm.core.models, mne_nmm.models; "
            "print([m for m in ('mne', 'nilearn', 'nibabel', 'pandas', 'scipy.optimize') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
