"""Benchmarks of mne_nmm.dynamics (run by hand, never by CI).

    python benchmarks/bench_dynamics.py

Reports, after one warm-up call each (compilation excluded, reported separately):
* continuation of the 6-variable Jansen-Rit node over a 200-point branch (detection of LP/H/BP and l1 included);
* continuation of its alpha limit cycles (shooting, 200 RK4 steps per period) between the two Hopf points;
* a 40 x 40 Arnold-tongue map of a Stuart-Landau oscillator (one vmapped run, 1.5 s of model time each);
* the same alpha cycles by orthogonal collocation (40 intervals x degree 4), with the period difference
  from shooting;
* the delayed stability of a 5-region Jansen-Rit network (rightmost characteristic roots, pseudospectral
  discretisation with 24 Chebyshev nodes + Newton).

Set ``OPENBLAS_NUM_THREADS=1`` on a shared machine: on 2 busy cores a multithreaded OpenBLAS makes a
160 x 160 dense solve 30 times slower.
"""

import time

import numpy as np

from mne_nmm.core.models import Hopf, JansenRit
import mne_nmm as nmm
from mne_nmm.core import coupling as cpl
from mne_nmm.dynamics import continue_equilibrium, continue_limit_cycle, delayed_network_stability, entrainment_map


def timed(fn, repeat=3):
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, first, best


def main():
    jr = JansenRit.jansen_rit_1995(mu=0.0)
    br, first, best = timed(lambda: continue_equilibrium(jr, "mu", param_range=(-1.0, 2.0), max_steps=200,
                                                         direction="up", max_step=0.05))
    print(f"Jansen-Rit equilibrium branch: {len(br)} points, {len(br.special_points)} special points; "
          f"first call {first:.2f} s, warm {best:.2f} s ({best / len(br) * 1e3:.1f} ms/point)")
    br = continue_equilibrium(jr, "mu", param_range=(-0.1, 0.45))
    h1 = min(br.points("H"), key=lambda sp: abs(sp.param - 0.0898))
    cyc, first, best = timed(lambda: continue_limit_cycle(br, point=h1, param_range=(0.0, 0.45), max_steps=200),
                             repeat=1)
    print(f"Jansen-Rit cycle branch: {len(cyc)} cycles ({cyc.stop_reason}); first call {first:.2f} s, "
          f"warm {best:.2f} s; max |trivial multiplier - 1| = {np.abs(cyc.trivial_multiplier - 1).max():.1e}")
    sl = Hopf(a=0.1, omega=2 * np.pi * 10 / 1000)
    em, first, best = timed(lambda: entrainment_map(sl, frequencies_hz=np.linspace(6, 14, 40),
                                                    amplitudes=np.linspace(0, 0.02, 40), duration_ms=1500.0,
                                                    transient_ms=500.0, dt_ms=0.2), repeat=2)
    print(f"Arnold tongue 40 x 40 (1600 lanes x 7500 RK4 steps, one vmapped run): first call {first:.2f} s, "
          f"warm {best:.2f} s")
    col, first, best = timed(lambda: continue_limit_cycle(br, point=h1, param_range=(0.0, 0.45), max_steps=200,
                                                          method="collocation"), repeat=1)
    common = (col.params > cyc.params.min()) & (col.params < cyc.params.max())
    dT = np.abs(np.interp(col.params[common], *zip(*sorted(zip(cyc.params, cyc.periods_ms)))) - col.periods_ms[common])
    print(f"Jansen-Rit cycle branch by collocation: {len(col)} cycles ({col.stop_reason}); first call {first:.2f} s, "
          f"warm {best:.2f} s; max |trivial multiplier - 1| = {np.abs(col.trivial_multiplier - 1).max():.1e}; "
          f"max |T_colloc - T_shoot(interpolated)| = {dT.max():.1e} ms")
    r = np.random.default_rng(7)
    w = r.uniform(0.1, 1.0, (5, 5)) * (r.uniform(size=(5, 5)) < 0.7)
    np.fill_diagonal(w, 0.0)
    lengths = r.uniform(10.0, 60.0, (5, 5))
    lengths = (lengths + lengths.T) / 2
    np.fill_diagonal(lengths, 0.0)
    net = nmm.Network(nmm.Connectome(w, lengths, region_names=[f"r{i}" for i in range(5)]),
                      coupling=cpl.SigmoidalJansenRit(), global_coupling=0.5, speed_m_per_s=3.0, dt_ms=0.1)
    jr1 = JansenRit.jansen_rit_1995(mu=0.1)
    ds, first, best = timed(lambda: delayed_network_stability(jr1, net), repeat=2)
    print(f"Delayed stability, 5-region Jansen-Rit ({len(ds.linearization.delays_ms)} distinct delays, "
          f"matrix {(24 + 1) * 30}): first call {first:.2f} s, warm {best:.2f} s; leading root "
          f"{ds.leading_eigenvalue:.4g} /ms ({'stable' if ds.stable else 'unstable'}), "
          f"all {len(ds.eigenvalues)} Newton-converged: {bool(ds.roots.converged.all())}")


if __name__ == "__main__":
    main()
