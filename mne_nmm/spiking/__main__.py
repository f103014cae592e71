"""Command line: ``python -m mne_nmm.spiking grid`` (coarse {p, lambda} grid) and ``... bench``."""

from __future__ import annotations

import argparse
import sys
import time


def _floats(s):
    return [float(x) for x in s.split(",") if x.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mne_nmm.spiking",
                                     description="Spiking network vs Freeman mass models.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("grid", help="run the {p, lambda} comparison grid and write maps (.npz) and a figure (.png)")
    g.add_argument("--n-neurons", type=int, default=2000)
    g.add_argument("--degree", type=_floats, default=[100, 300, 500, 1000],
                   help="mean in-degrees p*N (comma-separated); p = degree / N")
    g.add_argument("--p", type=_floats, default=None, help="connection probabilities (overrides --degree)")
    g.add_argument("--lambda", dest="lam", type=_floats, default=[0.5, 0.65, 0.8, 0.95])
    g.add_argument("--duration-ms", type=float, default=3000.0)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--alpha", type=float, default=0.01)
    g.add_argument("--dask", action="store_true", help="run rows as Dask tasks")
    g.add_argument("--out", default="spiking_grid", help="output prefix (writes PREFIX.npz and PREFIX.png)")
    b = sub.add_parser("bench", help="time one LIF network")
    b.add_argument("--n-neurons", type=int, default=10_000)
    b.add_argument("--p", type=float, default=0.1)
    b.add_argument("--duration-ms", type=float, default=3000.0)
    args = parser.parse_args(argv)

    import jax

    from . import LIFNetwork, plot_grid, simulate_lif, sweep_p_lambda

    if args.cmd == "bench":
        net = LIFNetwork(n_neurons=args.n_neurons, p=args.p)
        for i in range(2):
            t = time.perf_counter()
            r = simulate_lif(net, jax.random.key(i), duration_ms=args.duration_ms)
            print(f"run {i} ({'with' if i == 0 else 'without'} compilation): {time.perf_counter() - t:.1f} s  {r}")
        return 0
    p = args.p if args.p is not None else [d / args.n_neurons for d in args.degree]
    t = time.perf_counter()
    grid = sweep_p_lambda(p, args.lam, base=LIFNetwork(n_neurons=args.n_neurons), seed=args.seed,
                          duration_ms=args.duration_ms, scheduler="dask" if args.dask else "local",
                          analysis_kwargs=dict(alpha=args.alpha))
    grid.save(args.out + ".npz")
    fig = plot_grid(grid)
    fig.savefig(args.out + ".png", dpi=110)
    print(grid.table().round(3).to_string(index=False))
    print(f"{time.perf_counter() - t:.0f} s; wrote {args.out}.npz and {args.out}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
