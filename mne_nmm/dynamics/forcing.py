"""Periodic forcing: entrainment maps (Arnold tongues), phase locking, rotation numbers and band power.

A node (or delay-free network) is driven by ``u(t) = amplitude * waveform(t, f)``
for every pair of forcing frequency ``f`` and amplitude, all pairs integrated as
one vmapped, jitted run (:mod:`._batch`). After a transient, the oscillator's
phase ``phi(t)`` (the unwrapped phase of the analytic signal of a read-out
variable, or a user phase function) is compared with the forcing phase
``psi(t) = 2 pi f t``:

* rotation number ``rho = (phi(T) - phi(t0)) / (psi(T) - psi(t0))``, the ratio of the
  mean oscillator frequency to the forcing frequency (1 inside the 1:1 tongue);
* phase-locking value ``PLV = |< exp(i (q phi - p psi)) >_t|`` for ``p:q`` locking
  (Rosenblum, Pikovsky & Kurths 2001), 1 for perfect locking;
* optionally the power of the read-out in a frequency band relative to the unforced
  run (suppression of a pathological rhythm by deep brain stimulation-like pulses).

For Adler's equation ``dpsi/dt = (w - W) - eps sin(psi)`` (Adler 1946) the 1:1
tongue is exactly ``|w - W| <= eps``.

References
----------
Adler R. (1946) A study of locking phenomena in oscillators. Proc IRE 34:351-357.
Pikovsky A., Rosenblum M., Kurths J. (2001) Synchronization. Cambridge University Press, ch. 3, 7.
Glass L., Mackey M.C. (1988) From Clocks to Chaos. Princeton University Press (Arnold tongues).
Tass P.A. (1999) Phase Resetting in Medicine and Biology. Springer (stimulation of pathological rhythms).
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from .._validate import check_array, check_int, check_positive
from . import _system as S
from ._batch import analytic_phase, band_power, simulate_batch


@dataclasses.dataclass(frozen=True, repr=False)
class EntrainmentMap:
    """Result of :func:`entrainment_map`; maps have shape ``(n_amplitudes, n_frequencies)``.

    Attributes
    ----------
    frequencies_hz : ndarray, shape (n_frequencies,)
    amplitudes : ndarray, shape (n_amplitudes,)
        Forcing amplitudes (unit of the driven derivative, or of the coupling input).
    plv : ndarray
        Phase-locking value ``|<exp(i (q phi - p psi))>|`` in [0, 1].
    rotation_number : ndarray
        Mean oscillator frequency over forcing frequency.
    mean_frequency_hz : ndarray
        Mean frequency of the oscillator.
    band_power_ratio : ndarray | None
        Band power with forcing / without forcing (when ``band_hz`` was given).
    natural_frequency_hz : float
        Mean frequency of the unforced oscillator.
    ratio : (int, int)
        The ``p:q`` locking ratio tested by ``plv``.
    """

    frequencies_hz: np.ndarray
    amplitudes: np.ndarray
    plv: np.ndarray
    rotation_number: np.ndarray
    mean_frequency_hz: np.ndarray
    band_power_ratio: np.ndarray | None
    natural_frequency_hz: float
    ratio: tuple

    def locked(self, *, plv_threshold=0.95, tol=0.01):
        """Boolean map of ``p:q`` locking: ``PLV >= plv_threshold`` and ``|rho - p/q| < tol``."""
        p, q = self.ratio
        return (self.plv >= plv_threshold) & (np.abs(self.rotation_number - p / q) < tol)

    def locking_range_hz(self, **kwargs):
        """Width (Hz) of the locked frequency interval at each amplitude, ``(n_amplitudes,)``."""
        lk = self.locked(**kwargs)
        df = np.diff(self.frequencies_hz).mean() if len(self.frequencies_hz) > 1 else 0.0
        return lk.sum(axis=1) * df

    def __repr__(self):
        return (f"<EntrainmentMap | {len(self.amplitudes)} amplitudes x {len(self.frequencies_hz)} frequencies "
                f"({self.frequencies_hz.min():.3g}-{self.frequencies_hz.max():.3g} Hz), natural frequency "
                f"{self.natural_frequency_hz:.4g} Hz, {int(self.locked().sum())} locked settings>")


# -- waveforms: (t_ms, frequency_hz, extra) -> value ----------------------------------------------------------

def sine_waveform(t_ms, frequency_hz):
    """``cos(2 pi f t)`` (t in ms, f in Hz)."""
    return jnp.cos(2.0 * jnp.pi * frequency_hz * t_ms / 1000.0)


def pulse_waveform(width_ms=0.1):
    """Monophasic unit pulses of ``width_ms`` at each forcing period (a DBS-like pulse train)."""
    width_ms = check_positive(width_ms, "width_ms")

    def wave(t_ms, frequency_hz):
        phase = jnp.mod(t_ms * frequency_hz / 1000.0, 1.0)
        return jnp.where(phase < width_ms * frequency_hz / 1000.0, 1.0, 0.0)

    wave.width_ms = width_ms
    return wave


_WAVEFORMS = {"sine": sine_waveform}


def entrainment_map(model, *, frequencies_hz, amplitudes, duration_ms=2000.0, transient_ms=500.0, dt_ms=0.1,
                    drive=None, waveform="sine", variable=None, phase=None, ratio=(1, 1), band_hz=None,
                    start=None, network=None, coupling=None, global_coupling=None, regions=None,
                    record_every=None):
    """Entrainment (Arnold-tongue) map of a periodically forced node or network, as one batched run.

    Parameters
    ----------
    model : NeuralMass
    frequencies_hz : array, shape (n_frequencies,)
        Forcing frequencies (Hz).
    amplitudes : array, shape (n_amplitudes,)
        Forcing amplitudes.
    duration_ms, transient_ms, dt_ms : float
        Run length, discarded transient and RK4 step (ms).
    drive : str | "coupling" | None
        Where the forcing enters: a state variable whose derivative it is added to
        (default ``model.stimulus_variable`` or the first state variable), or
        ``"coupling"`` to add it to the model's coupling input(s) (as a network input would).
    waveform : "sine" | callable
        ``waveform(t_ms, frequency_hz)``, a scalar or, with ``drive="coupling"``, an
        array of one value per coupling input. See :func:`pulse_waveform` for pulse trains.
    variable : str | None
        Read-out whose analytic-signal phase is used (state or derived variable; default
        ``model.default_output``).
    phase : callable | None
        ``phase(state) -> (n_regions,)`` oscillator phase (rad) instead of the analytic
        signal (e.g. ``lambda s: s[0]`` for a phase oscillator).
    ratio : (int, int)
        ``p:q`` locking tested by the PLV (``p`` oscillator cycles per ``q`` forcing cycles).
    band_hz : (float, float) | None
        If given, also the band power of ``variable`` relative to the unforced run.
    start : array, shape (n_state_variables,) or (n_state_variables, n_regions) | None
        Initial state (default ``model.initial_state``).
    network, coupling, global_coupling
        As in :func:`~mne_nmm.dynamics.find_equilibria`; ``regions`` selects the forced
        regions (default all).
    record_every : int | None
        Steps between recorded samples (default: about 1 ms).

    Returns
    -------
    EntrainmentMap
        PLV and rotation number maps ``(n_amplitudes, n_frequencies)`` (region 0 or the
        first forced region for networks).
    """
    system = S.make_system(model, network=network, coupling=coupling, global_coupling=global_coupling)
    freqs = check_array(frequencies_hz, "frequencies_hz", ndim=1)
    amps = check_array(amplitudes, "amplitudes", ndim=1)
    if np.any(freqs <= 0):
        raise ValueError(f"frequencies_hz must be > 0, got min {freqs.min():g}.")
    duration_ms = check_positive(duration_ms, "duration_ms")
    transient_ms = check_positive(transient_ms, "transient_ms", strict=False)
    dt_ms = check_positive(dt_ms, "dt_ms")
    if transient_ms >= duration_ms:
        raise ValueError(f"transient_ms must be < duration_ms ({duration_ms:g}), got {transient_ms:g}.")
    p_, q_ = (check_int(int(v), "ratio") for v in ratio)
    nv, nr = system.shape
    sv = model.state_variables
    if drive is None:
        drive = model.stimulus_variable or sv[0]
    if drive != "coupling" and drive not in sv:
        raise ValueError(f"drive must be 'coupling' or one of the state variables {sv}, got {drive!r}.")
    wave = _WAVEFORMS.get(waveform) if isinstance(waveform, str) else waveform
    if wave is None or not callable(wave):
        raise ValueError(f"waveform must be 'sine' or a callable waveform(t_ms, frequency_hz), got {waveform!r}.")
    var = variable or model.default_output or sv[0]
    if var not in model.variables:
        raise ValueError(f"variable must be one of {model.variables}, got {var!r}.")
    if regions is None:
        mask = np.ones(nr)
    else:
        mask = np.zeros(nr)
        mask[np.atleast_1d(regions)] = 1.0
    reg0 = int(np.argmax(mask))
    every = int(record_every) if record_every else max(1, int(round(1.0 / dt_ms)))
    n_steps = int(round(duration_ms / dt_ms))
    n_skip = int(round(transient_ms / dt_ms))
    n_cin = S.n_coupling_inputs(model, system.net)
    n_wave = int(np.size(np.asarray(wave(jnp.asarray(0.0), jnp.asarray(float(freqs[0]))))))
    if drive == "coupling":
        n_cin = max(n_cin, n_wave)
    elif n_wave != 1:
        raise ValueError(f"waveform must return a scalar when drive is a state variable, got {n_wave} values.")
    drive_idx = None if drive == "coupling" else sv.index(drive)
    mask_j = jnp.asarray(mask)

    def factory(args):
        f_hz, amp = args

        def drive_fn(t):
            u = amp * jnp.asarray(wave(t, f_hz))
            if drive_idx is None:
                uc = jnp.broadcast_to(jnp.reshape(u, (-1, 1)), (n_cin, nr)) * mask_j[None, :]
                return None, uc
            ux = jnp.zeros((nv, nr)).at[drive_idx].set(u * mask_j)
            return ux.reshape(-1), None
        return drive_fn

    def readout(state, m):
        vals = [m.observe(state, [var])[0]]
        if phase is not None:
            vals.append(jnp.asarray(phase(state)))
        return jnp.stack(vals)

    F, Amp = np.meshgrid(freqs, amps)
    f_all = np.concatenate([F.ravel(), [freqs[0]]])  # last lane: unforced reference
    a_all = np.concatenate([Amp.ravel(), [0.0]])
    x0 = _start(system, start)
    X0 = np.repeat(x0[None], len(f_all), axis=0)
    P = np.zeros((len(f_all), 0))
    rec = simulate_batch(system, P, X0, dt_ms=dt_ms, n_steps=n_steps, n_skip=n_skip, every=every, readout=readout,
                         drive_factory=factory, drive_args=(jnp.asarray(f_all), jnp.asarray(a_all)))
    sig = rec[:, :, 0, reg0]                                   # (n_lanes, n_rec)
    t = (n_skip + every * (np.arange(rec.shape[1]) + 1)) * dt_ms
    if phase is not None:
        ph = np.unwrap(rec[:, :, 1, reg0], axis=1)
    else:
        ph = analytic_phase(sig, axis=1)
        cut = max(1, ph.shape[1] // 20)                        # drop analytic-signal edge effects
        ph, t = ph[:, cut:-cut], t[cut:-cut]
    n_rec = ph.shape[1]
    psi = 2.0 * np.pi * f_all[:, None] * t[None, :] / 1000.0
    span_ms = (n_rec - 1) * every * dt_ms
    mean_f = (ph[:, -1] - ph[:, 0]) / (2 * np.pi) / span_ms * 1000.0
    rho = mean_f / f_all
    plv = np.abs(np.mean(np.exp(1j * (q_ * ph - p_ * psi)), axis=1))
    shape = Amp.shape
    bp = None
    if band_hz is not None:
        lo, hi = (float(v) for v in band_hz)
        pw = band_power(sig, 1000.0 / (every * dt_ms), (lo, hi), axis=1)
        bp = (pw[:-1] / max(pw[-1], 1e-300)).reshape(shape)
    return EntrainmentMap(frequencies_hz=freqs, amplitudes=amps, plv=plv[:-1].reshape(shape),
                          rotation_number=rho[:-1].reshape(shape), mean_frequency_hz=mean_f[:-1].reshape(shape),
                          band_power_ratio=bp, natural_frequency_hz=float(mean_f[-1]), ratio=(p_, q_))


def _start(system, start):
    model = system.model
    if start is None:
        return np.asarray(model.initial_state(system.n_regions), float).reshape(-1)
    from .equilibria import resolve_state

    return resolve_state(system, start).reshape(-1)
