"""Memory and speed of long BOLD runs: peak RSS is flat in the duration.

Runs resting-state Hopf on the TVB-76 connectome (dt = 0.1 ms, stochastic Heun,
conduction delays) with a BOLD monitor at TR = 2 s for several durations, each
in a fresh subprocess, and reports the peak resident memory of the process, the
engine's own estimate, and the simulation speed. Run by hand (not in CI)::

    python benchmarks/bench_bold.py --minutes 1 10 20 --monitor balloon
    python benchmarks/bench_bold.py --minutes 1 --monitor hrf --dt-ms 0.1

Measured (2 shared CPU cores, jax 0.10.2 CPU, float32, Hopf on tvb76, dt = 0.1 ms,
TR = 2 s, Balloon-Windkessel, G = 0.1, delays at 3 m/s):

    1 min |   600000 steps |  30 volumes | peak RSS 452.7 MB | 1.50 s sim / s
   10 min |  6000000 steps | 300 volumes | peak RSS 462.0 MB | 0.90 s sim / s
   20 min | 12000000 steps | 600 volumes | peak RSS 463.1 MB | 1.24 s sim / s
   peak RSS growth from 1 to 20 min: +10.4 MB (the engine's estimate: 7.3 -> 7.6 MB)

(speed varies with the load of the shared machine.) The memory that could grow
with the duration is the recorded output only
(20 min at TR 2 s: 600 x 76 float32 = 182 kB); the monitor's state in the scan
carry is O(n_regions) (Balloon) or O(kernel / TR x n_regions) (HRF).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def child(minutes, dt_ms, monitor, tr_s, coupling):
    import numpy as np
    import psutil

    import mne_nmm as nmm
    from mne_nmm.core.models.hopf import Hopf
    from mne_nmm.monitors.bold import BalloonWindkessel, HRFConvolution

    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    conn = nmm.datasets.load_connectome("tvb76")
    net = nmm.Network(conn.normalized("max"), coupling=nmm.coupling.Difference(), global_coupling=coupling,
                      speed_m_per_s=3.0, dt_ms=dt_ms)
    mon = BalloonWindkessel(tr_s=tr_s) if monitor == "balloon" else HRFConvolution(tr_s=tr_s)
    kw = dict(integrator="stochastic_heun", noise=nmm.AdditiveNoise(sigma=0.02), monitors=[mon], key=0)
    model = Hopf(a=-0.05)
    # warm-up (compilation) with the same chunk shape
    nmm.simulate(net, model, duration_ms=2 * tr_s * 1000, **kw)
    rss_warm = proc.memory_info().rss
    duration_ms = minutes * 60_000.0
    est = nmm.estimate_memory(net, model, duration_ms=duration_ms, **kw)
    t0 = time.perf_counter()
    res = nmm.simulate(net, model, duration_ms=duration_ms, **kw)
    wall = time.perf_counter() - t0
    bold = res[mon.name]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out = dict(minutes=minutes, dt_ms=dt_ms, monitor=monitor, n_steps=int(round(duration_ms / dt_ms)),
               n_volumes=int(bold.n_times), peak_rss_mb=peak / 2**20, rss_after_import_mb=rss0 / 2**20,
               rss_after_warmup_mb=rss_warm / 2**20, rss_end_mb=proc.memory_info().rss / 2**20,
               engine_estimate_mb=est["total_bytes"] / 2**20, output_mb=bold.data.nbytes / 2**20,
               wall_s=wall, sim_s_per_wall_s=duration_ms / 1000 / wall, finite=bool(np.all(np.isfinite(bold.data))))
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0, 20.0])
    p.add_argument("--dt-ms", type=float, default=0.1)
    p.add_argument("--tr-s", type=float, default=2.0)
    p.add_argument("--monitor", choices=("balloon", "hrf"), default="balloon")
    p.add_argument("--coupling", type=float, default=0.1,
                   help="global coupling (0.1 is stable at dt 0.1 ms; use <= 0.07 at dt 1 ms)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a.minutes[0], a.dt_ms, a.monitor, a.tr_s, a.coupling)
        return
    rows = []
    for m in a.minutes:
        cmd = [sys.executable, __file__, "--child", "--minutes", str(m), "--dt-ms", str(a.dt_ms), "--tr-s",
               str(a.tr_s), "--monitor", a.monitor, "--coupling", str(a.coupling)]
        r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, JAX_PLATFORMS="cpu"))
        if r.returncode:
            sys.exit(f"child failed:\n{r.stderr[-3000:]}")
        row = json.loads(r.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{row['minutes']:6g} min | {row['n_steps']:>10d} steps | {row['n_volumes']:4d} volumes | peak RSS "
              f"{row['peak_rss_mb']:7.1f} MB (after warm-up {row['rss_after_warmup_mb']:.1f} MB, end "
              f"{row['rss_end_mb']:.1f} MB) | engine estimate {row['engine_estimate_mb']:.1f} MB | "
              f"{row['wall_s']:7.1f} s wall ({row['sim_s_per_wall_s']:.2f} s sim / s)", flush=True)
    if len(rows) > 1:
        growth = rows[-1]["peak_rss_mb"] - rows[0]["peak_rss_mb"]
        print(f"peak RSS growth from {rows[0]['minutes']:g} to {rows[-1]['minutes']:g} min: {growth:+.1f} MB")


if __name__ == "__main__":
    main()
