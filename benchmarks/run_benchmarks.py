"""Reference workloads W1-W4 (shared/BENCHMARKS.md): mne_nmm vs a numba loop and installed peers, one run.

Run by hand (never by CI)::

    python benchmarks/run_benchmarks.py                 # W1, W2, W3 + compile times
    python benchmarks/run_benchmarks.py --w4 --memory   # also W4 (BOLD, 60 s) and peak memory 10 s vs 600 s
    python benchmarks/run_benchmarks.py --quick         # 1 s simulated instead of 10 s (smoke test)

Timings are steady state (best of two calls after a first one, so compilation is excluded),
wall clock and process CPU time; compile time is the first call minus the steady time (the first
workload also pays JAX's start-up). W3 uses the defaults (``batch_mode="auto"`` = vectorized in
groups of <= 16 runs, ``n_jobs`` = CPU cores) and is also reported with the sequential single-run
kernel and on one thread.
Peers are run on the same workload when importable (``pip install tvb-library vbjax``; none is a
dependency of mne_nmm): neurolib (W2), TVB 2.x (W1, W2; its own Simulator on the same connectome arrays,
parameters, noise and monitor), vbjax (W2, its ``make_sdde`` loop with the Hopf drift and difference
coupling written for it). For W3 the peers' figure is an estimate, 32 x their W2 time (they loop over
runs). brainmass is detected but not wired.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _timed(fn, repeat=1):
    best = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu, out)
    return best


def workload_setup():
    import mne_nmm as nmm

    conn = nmm.datasets.load_connectome("tvb76").normalized("max")
    return nmm, conn


def random_connectome(n=1000, density=0.3, seed=0):
    """W5's connectome: lognormal weights (max 1) at ``density``, positions uniform in a 140 mm cube."""
    rng = np.random.default_rng(seed)
    w = rng.lognormal(0.0, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < density)
    np.fill_diagonal(w, 0.0)
    w /= w.max()
    pos = rng.uniform(0.0, 140.0, (n, 3))
    lengths = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    return w, lengths


def run_w5(duration_ms=200.0, repeat=1, n=1000):
    """W5: W2 on the random N = 1000 connectome; steps per second (steady state)."""
    import mne_nmm as nmm
    from mne_nmm.models import Hopf

    w, lengths = random_connectome(n)
    net = nmm.Network(nmm.Connectome(w, lengths), coupling=nmm.coupling.Difference(), global_coupling=0.1,
                      speed_m_per_s=3.0, dt_ms=0.1)
    kw = dict(duration_ms=duration_ms, integrator="stochastic_heun", noise=nmm.AdditiveNoise.from_tvb_nsig(1e-3),
              monitors=[nmm.monitors.Subsample(1.0)], key=0, progress=False)
    model = Hopf(a=-0.05, omega=2 * np.pi * 10 / 1000)
    first = _timed(lambda: nmm.simulate(net, model, **kw))
    steady = _timed(lambda: nmm.simulate(net, model, **kw), repeat=repeat)
    n_steps = duration_ms / 0.1
    out = steady[2]["subsample"].data
    return {"wall_s": steady[0], "cpu_s": steady[1], "compile_s": max(first[0] - steady[0], 0.0),
            "steps_per_s": n_steps / steady[0], "mean": float(np.mean(out)), "std": float(np.std(out)),
            "block_steps": steady[2].info["block_steps"], "max_delay": int(net.max_delay_steps),
            "min_delay": int(net.min_delay_steps)}


def run_numba_w5(duration_ms=200.0, n=1000):
    import numba_reference as ref

    w, lengths = random_connectome(n)
    delays = np.rint(lengths / 3.0 / 0.1).astype(np.int64)
    n_steps = int(round(duration_ms / 0.1))
    ref.hopf(w, delays, n_steps=10)
    wall, cpu, out = _timed(lambda: ref.hopf(w, delays, n_steps=n_steps))
    return {"wall_s": wall, "cpu_s": cpu, "steps_per_s": n_steps / wall, "mean": float(np.mean(out)),
            "std": float(np.std(out))}


def run_mne_nmm(name, duration_ms, n_sweep=32, repeat=2, **sim_kw):
    """Time one workload: first call (compilation included) and the best of ``repeat`` steady calls.

    ``sim_kw`` is passed to :func:`mne_nmm.simulate` (e.g. ``batch_mode``, ``n_jobs`` for W3).
    """
    nmm, conn = workload_setup()
    from mne_nmm.models import Hopf, JansenRit

    mon = [nmm.monitors.Subsample(1.0)]
    if name == "W1":
        net = nmm.Network(conn, coupling=nmm.coupling.SigmoidalJansenRit(), global_coupling=1.0, speed_m_per_s=3.0,
                          dt_ms=0.1)
        kw = dict(noise=nmm.AdditiveNoise.from_tvb_nsig(1e-5, variables=("y4",)))
        model = JansenRit()
    else:
        net = nmm.Network(conn, coupling=nmm.coupling.Difference(), global_coupling=0.1, speed_m_per_s=3.0, dt_ms=0.1)
        kw = dict(noise=nmm.AdditiveNoise.from_tvb_nsig(1e-3))
        model = Hopf(a=-0.05, omega=2 * np.pi * 10 / 1000)
    if name == "W3":
        kw["sweep"] = {"global_coupling": np.linspace(0, 0.3, n_sweep)}
    if name == "W4":
        from mne_nmm.monitors.bold import BalloonWindkessel

        mon = [BalloonWindkessel(tr_s=2.0)]

    def call():
        return nmm.simulate(net, model, duration_ms=duration_ms, integrator="stochastic_heun", monitors=mon, key=0,
                            progress=False, **kw, **sim_kw)

    first = _timed(call)
    steady = _timed(call, repeat=repeat)
    out = steady[2][mon[0].name].data
    stats = {"mean": float(np.mean(out)), "std": float(np.std(out))}
    return {"wall_s": steady[0], "cpu_s": steady[1], "compile_s": max(first[0] - steady[0], 0.0), **stats,
            "block_steps": steady[2].info["block_steps"], "batch_mode": steady[2].info.get("batch_mode"),
            "n_jobs": steady[2].info.get("n_jobs")}


def run_numba(name, duration_ms, n_sweep=32):
    import numba_reference as ref

    nmm, conn = workload_setup()
    delays = np.rint(conn.tract_lengths_mm / 3.0 / 0.1).astype(np.int64)
    w = conn.weights
    n_steps = int(round(duration_ms / 0.1))
    if name == "W1":
        fn = lambda: ref.jansen_rit(w, delays, n_steps=n_steps)  # noqa: E731
    elif name == "W2":
        fn = lambda: ref.hopf(w, delays, n_steps=n_steps)  # noqa: E731
    elif name == "W3":
        fn = lambda: ref.hopf_sweep(w, delays, np.linspace(0, 0.3, n_sweep), n_steps=n_steps)  # noqa: E731
    else:
        return None
    fn_small = {"W1": lambda: ref.jansen_rit(w, delays, n_steps=100), "W2": lambda: ref.hopf(w, delays, n_steps=100),
                "W3": lambda: ref.hopf_sweep(w, delays, np.linspace(0, 0.3, 2), n_steps=100)}[name]
    fn_small()  # compile
    wall, cpu, out = _timed(fn)
    return {"wall_s": wall, "cpu_s": cpu, "mean": float(np.mean(out)), "std": float(np.std(out))}


def run_neurolib(name, duration_ms):
    """neurolib's Hopf (Euler, x-only coupling) on W2 — as in BENCHMARKS.md."""
    if name != "W2":
        return None
    try:
        from neurolib.models.hopf import HopfModel
    except Exception as err:  # noqa: BLE001
        return {"error": f"not importable ({type(err).__name__})"}
    nmm, conn = workload_setup()
    model = HopfModel(Cmat=np.asarray(conn.weights), Dmat=np.asarray(conn.tract_lengths_mm))
    model.params["duration"] = duration_ms
    model.params["dt"] = 0.1
    model.params["signalV"] = 3.0
    model.params["K_gl"] = 0.1
    model.params["a"] = -0.05
    model.params["w"] = 2 * np.pi * 10 / 1000
    model.params["sigma_ou"] = np.sqrt(2e-3)
    model.params["sampling_dt"] = 1.0
    model.run()
    wall, cpu, _ = _timed(model.run)
    x = model.x
    return {"wall_s": wall, "cpu_s": cpu, "mean": float(np.mean(x)), "std": float(np.std(x))}


def run_tvb(name, duration_ms, repeat=1):
    """TVB 2.x on W1 / W2: its own Simulator with the same connectome arrays, parameters, noise and monitor."""
    if name not in ("W1", "W2"):
        return None
    try:
        from tvb.datatypes import connectivity
        from tvb.simulator import coupling, integrators, models, monitors, noise, simulator
    except Exception as err:  # noqa: BLE001
        return {"error": f"not importable ({type(err).__name__})"}
    _, conn = workload_setup()
    tc = connectivity.Connectivity(weights=np.asarray(conn.weights, float),
                                   tract_lengths=np.asarray(conn.tract_lengths_mm, float),
                                   region_labels=np.asarray(conn.region_names), centres=np.asarray(conn.centres_mm, float),
                                   speed=np.array([3.0]))
    tc.configure()
    if name == "W1":
        model = models.JansenRit(variables_of_interest=("y1", "y2"))
        cpl = coupling.SigmoidalJansenRit(a=np.array([1.0]))
        nsig = np.array([0.0, 0.0, 0.0, 0.0, 1e-5, 0.0])
    else:
        model = models.SupHopf(a=np.array([-0.05]), omega=np.array([2 * np.pi * 10 / 1000]),
                               variables_of_interest=("x",))
        cpl = coupling.Difference(a=np.array([0.1]))
        nsig = np.array([1e-3, 1e-3])
    integ = integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=nsig, noise_seed=0))
    ic = None
    if name == "W2":  # TVB draws the history from state_variable_range (x, y in +-5 by default, which diverges
        # at dt = 0.1 through the cubic term): start near the focus, as mne_nmm and the numba loop do
        horizon = int(np.rint(np.asarray(conn.tract_lengths_mm) / 3.0 / 0.1).max()) + 1
        rng = np.random.default_rng(0)
        ic = np.zeros((horizon, 2, conn.n_regions, 1))
        ic[:, 0, :, 0] = 0.1 + 0.05 * rng.uniform(-1, 1, conn.n_regions)
    sim = simulator.Simulator(model=model, connectivity=tc, coupling=cpl, integrator=integ, initial_conditions=ic,
                              monitors=(monitors.SubSample(period=1.0),), simulation_length=duration_ms)
    sim.configure()

    def call():
        ((_, data),) = sim.run()
        data = data[:, :, :, 0]
        return data[:, 0] - data[:, 1] if name == "W1" else data[:, 0]

    call()  # numba compilation of TVB's kernels
    wall, cpu, out = _timed(call, repeat=repeat)
    return {"wall_s": wall, "cpu_s": cpu, "mean": float(np.mean(out)), "std": float(np.std(out))}


def run_vbjax(name, duration_ms, repeat=1):
    """vbjax 0.0.19 on W2: its stochastic-Heun delay loop (``make_sdde``) with the Hopf drift and difference
    coupling written for it (a gather of the delayed states per target-source pair, as in vbjax's examples),
    in 0.1 s chunks (the fastest of 0.1 s and 1 s here)."""
    if name != "W2":
        return None
    try:
        import jax
        import jax.numpy as jnp
        import vbjax
    except Exception as err:  # noqa: BLE001
        return {"error": f"not importable ({type(err).__name__})"}
    _, conn = workload_setup()
    dt = 0.1
    W = jnp.asarray(conn.weights, jnp.float32)
    D = np.rint(np.asarray(conn.tract_lengths_mm) / 3.0 / dt).astype(np.int32)
    nh = int(D.max())
    n = conn.n_regions
    n_steps = int(round(duration_ms / dt))
    a, omega, G = -0.05, 2 * np.pi * 10 / 1000, 0.1
    Dj = jnp.asarray(D)
    src = jnp.broadcast_to(jnp.arange(n), (n, n))
    rowsum = W.sum(axis=1)

    def dfun(xt, x, t, p):
        xd = xt[t - Dj, :, src]                                    # (N, N, 2): x_j(t - D_ij)
        c = G * (jnp.einsum("ij,ijv->vi", W, xd) - rowsum * x)
        r2 = x[0] ** 2 + x[1] ** 2
        return jnp.stack([(a - r2) * x[0] - omega * x[1] + c[0], (a - r2) * x[1] + omega * x[0] + c[1]])

    _, loop = vbjax.make_sdde(dt, nh, dfun, float(np.sqrt(2e-3)))
    rng = np.random.default_rng(0)
    x0 = np.zeros((2, n), np.float32)
    x0[0] = 0.1 + 0.05 * rng.uniform(-1, 1, n)
    # make_sdde's buffer holds the whole run (history + one row per step), and the scan copies it every
    # step, so the cost grows with duration squared: run it in 0.1 s chunks carrying the last nh + 1 rows
    chunk = min(n_steps, 1_000)

    @jax.jit
    def run_chunk(hist, key):
        buf = jnp.concatenate([hist, jax.random.normal(key, (chunk, 2, n))])
        buf, xs = loop(buf, None)
        return buf[-(nh + 1):], xs[9::10, 0]

    def call():
        hist = jnp.broadcast_to(jnp.asarray(x0), (nh + 1, 2, n))
        outs = []
        for i in range(n_steps // chunk):
            hist, xs = run_chunk(hist, jax.random.PRNGKey(i))
            outs.append(xs)
        return np.concatenate([np.asarray(o) for o in outs])

    call()
    wall, cpu, out = _timed(call, repeat=repeat)
    return {"wall_s": wall, "cpu_s": cpu, "mean": float(np.mean(out)), "std": float(np.std(out))}


def peer_missing(name):
    import importlib.util

    mods = {"TVB 2.x": "tvb.simulator", "brainmass": "brainmass", "vbjax": "vbjax"}
    out = {}
    for label, mod in mods.items():
        try:
            found = importlib.util.find_spec(mod) is not None
        except ModuleNotFoundError:
            found = False
        out[label] = None if found else "not installed"
    return out


def peak_memory(duration_ms):
    """Peak RSS (MiB) of a fresh process running W2 for ``duration_ms``.

    Read from ``VmHWM`` of /proc/self/status, which starts afresh with the new program; ``ru_maxrss``
    would report the parent's size at the fork when that is larger (it did once the peers ran here).
    """
    code = (
        "import sys; sys.path.insert(0, %r); import run_benchmarks as rb; rb.run_mne_nmm('W2', %r, repeat=1); "
        "print([int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0] / 1024)"
    ) % (HERE, duration_ms)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def compile_time(name, duration_ms=1000.0):
    """First call minus steady call of a short run (one chunk), in a fresh process (JAX start-up included)."""
    code = (
        "import sys, time; sys.path.insert(0, %r); import run_benchmarks as rb; "
        "r = rb.run_mne_nmm(%r, %r, repeat=2); print(r['compile_s'])"
    ) % (HERE, name, duration_ms)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1 s simulated instead of 10 s")
    p.add_argument("--w4", action="store_true", help="also W4 (60 s with BOLD)")
    p.add_argument("--memory", action="store_true", help="peak RSS for 10 s vs 600 s (W2)")
    p.add_argument("--workloads", default="W1,W2,W3", help="comma-separated, from W1,W2,W3,W5")
    p.add_argument("--no-peers", action="store_true", help="skip TVB and vbjax (several minutes)")
    p.add_argument("--json", default=None, help="write results to this file")
    args = p.parse_args(argv)
    dur = 1000.0 if args.quick else 10_000.0
    rows = []
    peer_w2 = {}
    for name in args.workloads.split(","):
        if name == "W5":
            ours, ref = run_w5(), run_numba_w5()
            rows += [(name, "mne_nmm", ours), (name, "numba loop (f64)", ref)]
            print(f"W5 (N=1000, 200 ms): mne_nmm {ours['steps_per_s']:.0f} steps/s (compile {ours['compile_s']:.1f} s, "
                  f"block {ours['block_steps']}), numba {ref['steps_per_s']:.0f} steps/s: "
                  f"{ours['steps_per_s'] / ref['steps_per_s']:.2f}x", flush=True)
            continue
        ours = run_mne_nmm(name, dur)
        ref = run_numba(name, dur)
        rows.append((name, "mne_nmm", ours))
        rows.append((name, "numba loop (f64)", ref))
        print(_row(name, "mne_nmm", ours, ref), flush=True)
        if name == "W2":
            rows.append((name, "neurolib 0.6 (Euler, x only)", run_neurolib(name, dur)))
        if not args.no_peers:
            for label, fn in (("TVB 2.x", run_tvb), ("vbjax", run_vbjax)):
                r = fn(name, dur)
                if r is not None:
                    rows.append((name, label, r))
                    peer_w2[label] = r if name == "W2" else peer_w2.get(label)
                    print(_row(name, label, r, ref), flush=True)
                elif name == "W3" and peer_w2.get(label) and "wall_s" in peer_w2[label]:
                    w2 = peer_w2[label]  # a loop over the 32 runs: 32 x its W2 time (not run: ~32 x W2)
                    rows.append((name, f"{label} (estimate: 32 x its W2, a loop)",
                                 {"wall_s": 32 * w2["wall_s"], "cpu_s": 32 * w2["cpu_s"]}))
            for peer, status in peer_missing(name).items():
                if peer not in ("TVB 2.x", "vbjax") or status:
                    rows.append((name, peer, {"error": status or "installed, not wired"}))
        if name == "W3":  # the other batch modes and a single thread, for transparency
            for label, kw in (("mne_nmm sequential kernel", {"batch_mode": "sequential"}),
                              ("mne_nmm vectorized, 1 thread", {"batch_mode": "vectorized", "n_jobs": 1})):
                r = run_mne_nmm(name, dur, repeat=1, **kw)
                rows.append((name, label, r))
                print(_row(name, label, r, ref), flush=True)
    comp = {name: compile_time(name) for name in args.workloads.split(",") if name != "W5"}
    print("\nCompilation (first call - steady, 1 s simulated, fresh process): "
          + ", ".join(f"{k} {v:.1f} s" for k, v in comp.items()), flush=True)
    rows.append(("compile", "first call - steady, fresh process, s", comp))
    if args.w4:
        rows.append(("W4", "mne_nmm", run_mne_nmm("W4", 6 * dur)))
    print("\n| workload | implementation | wall s | cpu s | vs numba (wall) | mean | std | compile s |")
    print("|---|---|---|---|---|---|---|---|")
    refs = {w: r for w, impl, r in rows if impl.startswith("numba") and r}
    for w, impl, r in rows:
        print(_row(w, impl, r, refs.get(w)))
    if args.memory:
        m10 = peak_memory(10_000.0)
        m600 = peak_memory(600_000.0)
        print(f"\nPeak RSS W2: 10 s simulated {m10:.0f} MiB, 600 s simulated {m600:.0f} MiB")
        rows.append(("memory", "W2 peak RSS MiB", {"10s": m10, "600s": m600}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1, default=str)
    return rows


def _row(w, impl, r, ref):
    if r is None:
        return f"| {w} | {impl} | — | | | | | |"
    if "error" in r:
        return f"| {w} | {impl} | {r['error']} | | | | | |"
    if "wall_s" not in r:  # e.g. the compile-time row: one figure per workload
        return f"| {w} | {impl} | " + ", ".join(f"{k} {v:.1f}" for k, v in r.items()) + " | | | | | |"
    ratio = f"{ref['wall_s'] / r['wall_s']:.2f}x" if ref and "wall_s" in ref and not impl.startswith("numba") else ""
    comp = f"{r['compile_s']:.1f}" if "compile_s" in r else ""
    return (f"| {w} | {impl} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {ratio} | {r.get('mean', float('nan')):.3g} | "
            f"{r.get('std', float('nan')):.3g} | {comp} |")


if __name__ == "__main__":
    main()
