"""Benchmark of the LIF network simulator (run by hand, never by CI).

    python benchmarks/bench_spiking.py                # 10,000 neurons x 3 s, p = 0.1, then other p, then a batch
    python benchmarks/bench_spiking.py --quick        # smaller

Prints wall-clock times (first run includes compilation), the CPU time of this
process over the same interval, and throughput in neuron-steps per second. On a
shared machine the wall time depends on the other jobs (the 1-minute load
average is printed before each measurement): run it twice and report both.
"""

import argparse
import os
import time

import jax
import numpy as np

from mne_nmm.spiking import LIFNetwork, simulate_lif


def timed(net, key, duration_ms):
    """Wall and CPU seconds of one ``simulate_lif`` call (CPU: all threads of this process)."""
    t, c = time.perf_counter(), time.process_time()
    res = simulate_lif(net, key, duration_ms=duration_ms)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    timed.last_cpu = cpu
    return wall, res


def load():
    return f"load {os.getloadavg()[0]:.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n-neurons", type=int, default=10_000)
    ap.add_argument("--duration-ms", type=float, default=3000.0)
    ap.add_argument("--p", type=float, nargs="*", default=[0.1, 0.02, 0.05, 0.2])
    ap.add_argument("--batch", type=int, default=4)
    args = ap.parse_args()
    n, dur = (2000, 1000.0) if args.quick else (args.n_neurons, args.duration_ms)
    steps = int(round(dur / 0.1))
    print(f"jax {jax.__version__}, devices {jax.devices()}")
    for i, p in enumerate(args.p):
        net = LIFNetwork(n_neurons=n, p=p)
        ld = load()
        t1, res = timed(net, jax.random.key(i), dur)
        t2, res = timed(net, jax.random.key(100 + i), dur)
        syn = n * n * p
        print(f"N={n} p={p:g} ({syn / 1e6:.1f} M synapses, {dur:g} ms; {ld}): first {t1:.1f} s (with compile), "
              f"second {t2:.1f} s wall / {timed.last_cpu:.1f} s CPU, {n * steps / t2 / 1e6:.1f} M neuron-steps/s; "
              f"rates E {res.mean_rate_exc_hz:.1f} Hz, I {res.mean_rate_inh_hz:.1f} Hz", flush=True)
    b = args.batch
    lam = np.linspace(0.6, 0.8, b)
    net = LIFNetwork(n_neurons=n, p=args.p[0], frac_exc=lam)
    ld = load()
    t1, res = timed(net, jax.random.key(7), dur)
    t2, res = timed(net, jax.random.key(8), dur)
    print(f"batch of {b} (vmap over lambda={np.round(lam, 2).tolist()}), N={n}, p={args.p[0]:g} ({ld}): first "
          f"{t1:.1f} s, second {t2:.1f} s wall / {timed.last_cpu:.1f} s CPU = {t2 / b:.1f} s per network, "
          f"{b * n * steps / t2 / 1e6:.1f} M neuron-steps/s", flush=True)


if __name__ == "__main__":
    main()
