"""Benchmark of the LIF network simulator (run by hand, never by CI).

    python benchmarks/bench_spiking.py                # 10,000 neurons x 3 s, p = 0.1, then other p, then a batch
    python benchmarks/bench_spiking.py --quick        # smaller

Prints wall-clock times (first run includes compilation) and throughput in
neuron-steps per second. On a shared machine run it twice and report both.
"""

import argparse
import time

import jax
import numpy as np

from mne_nmm.spiking import LIFNetwork, simulate_lif


def timed(net, key, duration_ms):
    t = time.perf_counter()
    res = simulate_lif(net, key, duration_ms=duration_ms)
    return time.perf_counter() - t, res


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
        t1, res = timed(net, jax.random.key(i), dur)
        t2, res = timed(net, jax.random.key(100 + i), dur)
        syn = n * n * p
        print(f"N={n} p={p:g} ({syn / 1e6:.1f} M synapses, {dur:g} ms): first {t1:.1f} s (with compile), "
              f"second {t2:.1f} s, {n * steps / t2 / 1e6:.1f} M neuron-steps/s; rates E {res.mean_rate_exc_hz:.1f} "
              f"Hz, I {res.mean_rate_inh_hz:.1f} Hz")
    b = args.batch
    lam = np.linspace(0.6, 0.8, b)
    net = LIFNetwork(n_neurons=n, p=args.p[0], frac_exc=lam)
    t1, res = timed(net, jax.random.key(7), dur)
    t2, res = timed(net, jax.random.key(8), dur)
    print(f"batch of {b} (vmap over lambda={np.round(lam, 2).tolist()}), N={n}, p={args.p[0]:g}: first {t1:.1f} s, "
          f"second {t2:.1f} s = {t2 / b:.1f} s per network, {b * n * steps / t2 / 1e6:.1f} M neuron-steps/s")


if __name__ == "__main__":
    main()
