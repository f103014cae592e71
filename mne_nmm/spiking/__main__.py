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
    g.add_argument("--n-seeds", type=int, default=1, help="networks per {p, lambda} cell")
    g.add_argument("--batch-size", type=int, default=None, help="networks per vmap call (default: a whole row)")
    g.add_argument("--checkpoint-dir", default=None,
                   help="write each finished row here and resume from it on a rerun with the same inputs")
    g.add_argument("--on-error", choices=("raise", "nan"), default="raise",
                   help="a failing row raises, or gives nan cells and is listed in the output")
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
                          n_seeds=args.n_seeds, batch_size=args.batch_size, duration_ms=args.duration_ms,
                          scheduler="dask" if args.dask else "local", checkpoint_dir=args.checkpoint_dir,
                          on_error=args.on_error, analysis_kwargs=dict(alpha=args.alpha), verbose="info")
    grid.save(args.out + ".npz")
    fig = plot_grid(grid)
    fig.savefig(args.out + ".png", dpi=110)
    cols = ["p", "lam", "median_freq_network_hz", "median_freq_cfm_hz", "median_freq_mfm_hz", "chi2_cfm",
            "chi2_crit_cfm", "chi2_mfm", "chi2_crit_mfm", "lag_cfm_ms", "lag_mfm_ms", "r_cfm", "r_mfm",
            "r_crit_cfm", "spike_contrast", "frac_tracks_cfm", "frac_tracks_mfm"]
    print(grid.table()[cols].round(3).to_string(index=False))
    if grid.n_seeds > 1:
        print(grid.seed_table()[["p", "lam", "seed", "chi2_cfm", "chi2_crit_cfm", "chi2_mfm", "chi2_crit_mfm",
                                 "r_cfm", "r_mfm", "r_crit_cfm", "tracks_cfm", "tracks_mfm"]].round(3)
              .to_string(index=False))
    for f in grid.failed:
        print(f"row {f['row']} (p={f['p']:g}) failed: {f['error']}")
    print(f"{time.perf_counter() - t:.0f} s; wrote {args.out}.npz and {args.out}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
