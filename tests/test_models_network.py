"""Every model in a small delayed network through the simulation engine; the ladder models under forcing."""

import numpy as np
import pytest
import scipy.signal

import mne_nmm as nmm
from mne_nmm.models import get_model, list_models, model_info, recommended_network
from mne_nmm.monitors import Subsample

LADDER = list_models(ladder=True).names
OTHERS = [n for n in list_models().names if n not in LADDER]


def _peak_hz(x, fs):
    f, p = scipy.signal.welch(x - x.mean(), fs=fs, nperseg=min(len(x), 2048))
    return f[np.argmax(p)]


@pytest.mark.slow
@pytest.mark.parametrize("name", OTHERS)
def test_network_smoke(small_connectome, name):
    model = get_model(name)
    net = recommended_network(small_connectome, name)
    res = nmm.simulate(net, model, duration_ms=200.0, integrator="heun", monitors=[Subsample(1.0)])
    d = res["subsample"].data
    assert d.shape == (200, 1, 5) and np.isfinite(d).all()
    assert np.ptp(d) > 0


# forcing frequency (Hz), amplitude, model parameters for each ladder model
FORCING = {
    "phase_oscillator": (7.0, 0.02, {}),
    "damped_oscillator": (20.0, 1e-3, {}),
    "hopf": (11.0, 0.05, {}),
    "wilson_cowan": (20.0, 0.005, {}),
    "jansen_rit": (20.0, 2.0, dict(v0=6.0, mu=0.40)),        # Jansen & Rit's v0, quiet focus above the alpha band
    "ing": (40.0, 0.5, {}),
}


@pytest.mark.parametrize("name", LADDER)
def test_ladder_model_in_a_forced_network(small_connectome, name):
    """Each rung runs in a 5-region delayed network; region 0 receives ``A sin(2 pi F t)`` on its
    stimulus variable. Forced damped/WC/JR nodes respond at F; the Stuart-Landau and ING limit cycles
    are entrained to F; a phase-only oscillator's mean frequency is not changed by additive forcing."""
    F, amp, params = FORCING[name]
    model = get_model(name, **params)
    info = model_info(name)
    net = recommended_network(small_connectome, name)
    stim = nmm.Stimulus(nmm.stimulus.Sinusoid(F), regions=[0], amplitude=amp)
    variables = tuple(model.state_variables) if name in ("hopf", "phase_oscillator") else (model.default_output,)
    T = 2000.0
    res = nmm.simulate(net, model, duration_ms=T, integrator="heun", stimulus=stim,
                       monitors=[Subsample(1.0, variables=variables)])
    d = res["subsample"].data                                   # (n_times, n_vars, n_regions)
    assert np.isfinite(d).all() and np.ptp(d[:, 0, 1:]) > 0     # the network is alive
    t = np.arange(1, d.shape[0] + 1) * 1.0
    late = t > 800
    if name == "phase_oscillator":
        # the forced node stays locked to the network's collective (delay-shifted) frequency
        f_mean = np.polyfit(t[late], d[late, 0, :], 1)[0] * 1000 / (2 * np.pi)
        assert f_mean[0] == pytest.approx(f_mean[1:].mean(), rel=1e-3)
        assert abs(f_mean[0] - F) > 1.0
    elif name == "hopf":
        phase = np.unwrap(np.arctan2(d[late, 1, 0], d[late, 0, 0]))
        assert np.polyfit(t[late], phase, 1)[0] * 1000 / (2 * np.pi) == pytest.approx(F, abs=0.05)
    else:
        assert _peak_hz(d[late, 0, 0], 1000.0) == pytest.approx(F, abs=0.6)
    assert info.dt_ms == net.dt_ms
