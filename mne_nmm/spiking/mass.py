r"""Freeman-type neural mass models of the LIF network, driven by the network's recorded spike input.

Averaging the LIF membrane equation (:mod:`mne_nmm.spiking.lif`) over the
population and assuming that conductance and potential are uncorrelated across
neurons (``<g_s V> = <g_s><V>``), and neglecting threshold, reset and
refractoriness (the mean-field and time-scale-separation steps of Deschle et al.
2021), the mean potential ``V`` and the mean conductances ``g_s`` obey

.. math::

    \tau_s \dot g_s = -g_s + \tau_s w_s \nu_s(t), \qquad
    \tau_m \dot V = -(V - V_L) - \sum_s g_s\,(V - E_s)

where ``nu_s(t)`` is the population-averaged rate of arriving spikes of type
``s`` (exc, inh, ext; recorded by the network simulation). Two mass models follow:

**CFM** (conventional Freeman model). The driving force is taken at a constant
mean potential ``V0`` (by default the network's time-averaged mean potential)
and the conductance's shunting of the time constant is dropped,
``tau_m dV/dt = -(V - V_L) + sum_s g_s (E_s - V0)``. The model is then linear:
``V - V_L`` is a sum over synapse types of Freeman's second-order filter
``(1/ab)(v'' + (a + b) v' + ab v) = u_s(t)``, ``a = 1/tau_m``, ``b = 1/tau_s``,
``u_s = tau_s w_s nu_s (E_s - V0)``, with impulse response
``ab / (b - a) (exp(-a t) - exp(-b t))`` (Freeman 1975). We integrate exactly
the catalogue's :class:`~mne_nmm.core.models.freeman.Freeman` equations (its
``v_e`` filter with the feedback weights set to 0, one "region" per synapse type).

**MFM** (modified Freeman model). The driving force uses the time-dependent mean
potential ``V(t)`` itself: ``g_s(t) V(t)`` makes the model weakly non-linear, a
parametric forcing of the membrane filter (its decay rate
``(1 + sum_s g_s(t)) / tau_m`` varies in time). It is not a linear filter of the
input, so it cannot be written with the catalogue's (linear-filter) Freeman
equations; it is integrated here in its own form.

Both are driven open-loop by the network's recorded ``nu_s(t)`` (held constant
over each time step) and integrated with the classical Runge-Kutta scheme at the
network's ``dt``. They predict ``V(t)``, which :func:`~mne_nmm.spiking.compare_mass_models`
compares with the network's population-mean potential.

The study. Deschle et al. (2021) start from a network of noisy leaky
integrate-and-fire neurons and derive two population dynamics "that both fall
into the category of seminal Freeman neural mass models", using mean-field
assumptions and time-scale separation(s) between membrane and synapse
dynamics; their comparison with the network's mean potential finds the models
adequate only around the onset of low-frequency synchronisation and failing in
desynchronised and (high-frequency) synchronised states. The equations above
were written from that description (the abstract and the issue's summary: CFM
with a constant mean potential in the driving term, MFM with the time-dependent
mean, a weakly non-linear parametric forcing); the full text could not be read
offline, so the paper's exact parameter values and any further terms of its
derivation (e.g. how threshold and reset enter) are not checked here.

References
----------
Freeman W.J. (1975) Mass Action in the Nervous System. Academic Press, New York.
Deschle N., Gossn J.I., Tewarie P., Schelter B., Daffertshofer A. (2021) On the validity of neural mass
models. Frontiers in Computational Neuroscience 14:581040 (published 5 January 2021).
doi:10.3389/fncom.2020.581040
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MassPrediction", "freeman_impulse_response", "run_cfm", "run_mfm", "freeman_filter"]


@dataclass(frozen=True, eq=False)
class MassPrediction:
    """Mean potential predicted by a mass model driven by a network's spike input.

    Attributes
    ----------
    model : str
        ``"cfm"`` or ``"mfm"``.
    times_ms : ndarray, shape (n_times,)
        Same stamps as the network recording (end of each step).
    v_mv : ndarray, shape (n_times,)
        Predicted population-mean membrane potential (mV).
    conductance : ndarray, shape (n_times, 3) | None
        Predicted mean conductances (MFM), leak units.
    v0_mv : float | None
        Constant driving-force potential of the CFM.
    """

    model: str
    times_ms: np.ndarray
    v_mv: np.ndarray
    conductance: np.ndarray | None = None
    v0_mv: float | None = None

    def __repr__(self):
        return f"<MassPrediction | {self.model.upper()}, {self.times_ms.size} samples>"


def freeman_impulse_response(t_ms, a, b):
    """Closed-form impulse response of Freeman's filter ``(1/ab)(v'' + (a+b) v' + ab v) = delta(t)``.

    ``h(t) = ab / (b - a) (exp(-a t) - exp(-b t))`` for ``a != b`` and
    ``a^2 t exp(-a t)`` for ``a == b`` (``t >= 0``, zero before); unit area.

    Parameters
    ----------
    t_ms : array-like
        Times in ms.
    a, b : float
        Rate constants in 1/ms.

    Returns
    -------
    h : ndarray
        In 1/ms.
    """
    t = np.asarray(t_ms, dtype=float)
    a, b = float(a), float(b)
    if a <= 0 or b <= 0:
        raise ValueError(f"a and b must be > 0 (rate constants in 1/ms), got a={a!r}, b={b!r}.")
    tt = np.maximum(t, 0.0)
    if np.isclose(a, b):
        h = a * a * tt * np.exp(-a * tt)
    else:
        h = a * b / (b - a) * (np.exp(-a * tt) - np.exp(-b * tt))
    return np.where(t >= 0, h, 0.0)


def _rk4_scan(dfun, y0, inputs, dt):
    """RK4 with the input held constant over each step; returns the state after every step."""
    import jax
    import jax.numpy as jnp

    def step(y, u):
        k1 = dfun(y, u)
        k2 = dfun(y + 0.5 * dt * k1, u)
        k3 = dfun(y + 0.5 * dt * k2, u)
        k4 = dfun(y + dt * k3, u)
        y = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        return y, y

    _, ys = jax.lax.scan(step, jnp.asarray(y0), jnp.asarray(inputs))
    return ys


def _freeman_scan(fm, y0, u, dt):
    """Pure RK4 run of the catalogue Freeman equations ``fm`` (a pytree) under inputs ``u`` (n_times, n_f)."""
    return _rk4_scan(lambda y, uk: fm.dfun(y, uk[None, :]), y0, u, dt)


def _mfm_dfun(y, nu, prm):
    import jax.numpy as jnp

    ts, ww, er, to, v_l, tau_m = prm
    g, v = y[:3], y[3]
    dg = (-g + ts * ww * nu) / ts
    dv = (-(v - v_l) - jnp.sum((g + to) * (v - er))) / tau_m
    return jnp.concatenate([dg, dv[None]])


def _mfm_scan(prm, y0, nu, dt):
    """Pure RK4 run of the MFM; ``prm`` = (tau_s, w, e_rev, tonic, v_leak, tau_m)."""
    return _rk4_scan(lambda y, u: _mfm_dfun(y, u, prm), y0, nu, dt)


_JIT = {}


def _jit(fn):
    """One compiled function per pure run (compiled once per input shape, not once per call)."""
    if fn.__name__ not in _JIT:
        import jax

        _JIT[fn.__name__] = jax.jit(fn)
    return _JIT[fn.__name__]


def freeman_filter(u, *, a, b, dt_ms, model=None):
    """Run the catalogue Freeman model as a bank of linear filters of the inputs ``u``.

    Parameters
    ----------
    u : array-like, shape (n_times,) | (n_times, n_filters)
        Input ``P + c`` of each filter in each step (held constant over the step).
    a, b : float | array-like, shape (n_filters,)
        Rate constants (1/ms).
    dt_ms : float
        Step (ms).
    model : Freeman | None
        A catalogue Freeman model to take the equations from; its feedback
        weights and ``P`` are set to 0 and ``a``, ``b`` replaced.

    Returns
    -------
    v : ndarray, shape like ``u``
        Filter outputs ``v_e`` at the end of each step (zero initial state).
    """
    import jax
    import jax.numpy as jnp

    from ..core.models.freeman import Freeman

    u_arr = np.asarray(u, dtype=float)
    squeeze = u_arr.ndim == 1
    u2 = u_arr[:, None] if squeeze else u_arr
    n_f = u2.shape[1]
    a_arr = np.broadcast_to(np.asarray(a, float), (n_f,)).copy()
    b_arr = np.broadcast_to(np.asarray(b, float), (n_f,)).copy()
    base = Freeman() if model is None else model
    import dataclasses

    fm = dataclasses.replace(base, a=a_arr, b=b_arr, w_ee=0.0, w_ei=0.0, w_ie=0.0, w_ii=0.0, P=0.0)

    fm = jax.tree_util.tree_map(lambda x: jnp.asarray(x, jnp.float32), fm)
    ys = _jit(_freeman_scan)(fm, jnp.zeros((4, n_f), jnp.float32), jnp.asarray(u2, jnp.float32),
                             jnp.float32(dt_ms))
    v = np.asarray(ys[:, 0, :], dtype=float)
    return v[:, 0] if squeeze else v


def _drive(result):
    net = result.network
    tau_s = np.array([net.tau_exc_ms, net.tau_inh_ms, net.tau_ext_ms], float)
    w = np.array([net.w_exc, net.w_inh, net.w_ext], float)
    e_rev = np.array([net.e_exc_mv, net.e_inh_mv, net.e_ext_mv], float)
    lam = result.is_exc.mean()
    g_tonic = float(net.g_ext_tonic) * lam  # population mean of the tonic conductance
    return tau_s, w, e_rev, g_tonic


def run_cfm(result, *, v0_mv=None, t_start_ms=None):
    """Conventional Freeman model (constant driving-force potential) driven by ``result``'s spike input.

    Parameters
    ----------
    result : LIFResult
        Network recording (its ``spike_input_per_ms`` drives the model).
    v0_mv : float | None
        Constant potential in the driving force ``E_s - V0``. Default: the
        network's mean potential averaged over ``t >= t_start_ms``.
    t_start_ms : float | None
        Start of the averaging window for the default ``v0_mv`` (default: a
        quarter of the run, at most 500 ms).

    Returns
    -------
    prediction : MassPrediction
    """
    net = result.network
    tau_s, w, e_rev, g_tonic = _drive(result)
    if v0_mv is None:
        t0 = min(500.0, result.duration_ms / 4) if t_start_ms is None else float(t_start_ms)
        v0_mv = float(result.v_mean_mv[result.times_ms >= t0].mean())
    v0 = float(v0_mv)
    nu = np.asarray(result.spike_input_per_ms, float)  # (n_times, 3)
    u = tau_s * w * nu * (e_rev - v0)
    u[:, 2] += g_tonic * (e_rev[2] - v0)
    a = 1.0 / float(net.tau_m_ms)
    v = freeman_filter(u, a=a, b=1.0 / tau_s, dt_ms=result.dt_ms)
    return MassPrediction(model="cfm", times_ms=result.times_ms, v_mv=float(net.v_leak_mv) + v.sum(axis=1),
                          v0_mv=v0)


def run_mfm(result):
    """Modified Freeman model (time-dependent driving force, parametric forcing) driven by ``result``'s input.

    Parameters
    ----------
    result : LIFResult
        Network recording.

    Returns
    -------
    prediction : MassPrediction
        With the predicted mean conductances.
    """
    import jax.numpy as jnp

    net = result.network
    tau_s, w, e_rev, g_tonic = _drive(result)
    tau_m, v_l = float(net.tau_m_ms), float(net.v_leak_mv)
    tonic = np.array([0.0, 0.0, g_tonic])
    prm = tuple(jnp.asarray(x, jnp.float32) for x in (tau_s, w, e_rev, tonic, v_l, tau_m))
    y0 = jnp.concatenate([jnp.zeros(3), jnp.asarray([result.v_mean_mv[0]])]).astype(jnp.float32)
    ys = np.asarray(_jit(_mfm_scan)(prm, y0, jnp.asarray(result.spike_input_per_ms, jnp.float32),
                                    jnp.float32(result.dt_ms)), dtype=float)
    return MassPrediction(model="mfm", times_ms=result.times_ms, v_mv=ys[:, 3], conductance=ys[:, :3] + tonic)
