"""``mne-nmm`` command line: eeg, bold, simulate, models, info, spiking.

Examples
--------
::

    mne-nmm eeg --duration 10 --out out/            # EEG on the default head -> out/sim_eeg-raw.fif + PSD/topomap PNG
    mne-nmm bold --duration 300 --out out/          # resting-state BOLD -> .nii.gz + FC figure
    mne-nmm simulate --model hopf --duration 2000 --out out/hopf.npz
    mne-nmm models                                  # the model catalogue
    mne-nmm info                                    # versions and the default data found
"""

from __future__ import annotations

import argparse
import logging
import os
import sys


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return v


def _out_dir(path):
    os.makedirs(path, exist_ok=True)
    return path


def cmd_eeg(args):
    from .eeg import plot_eeg_summary, simulate_eeg

    out = _out_dir(args.out)
    raw = simulate_eeg(args.duration, kind=args.kind, connectome=args.connectome, global_coupling=args.coupling,
                       seed=args.seed, verbose=args.verbose)
    fname = os.path.join(out, f"sim_{args.kind}-raw.fif")
    raw.save(fname, overwrite=True)
    fig_name = os.path.join(out, f"sim_{args.kind}_summary.png")
    plot_eeg_summary(raw, fig_name)
    print(f"wrote {fname} ({len(raw.ch_names)} channels, {raw.times[-1]:.1f} s at {raw.info['sfreq']:g} Hz)")
    print(f"wrote {fig_name}")
    return 0


def cmd_bold(args):
    from .fmri import simulate_bold

    out = _out_dir(args.out)
    sim = simulate_bold(args.duration, out_dir=out, connectome=args.connectome, tr_s=args.tr, seed=args.seed,
                        checkpoint=args.checkpoint, progress=not args.no_progress, verbose=args.verbose)
    print(repr(sim))
    for name in sorted(os.listdir(out)):
        print(f"wrote {os.path.join(out, name)}")
    return 0


def cmd_simulate(args):
    import numpy as np

    from . import datasets
    from .core.coupling import COUPLINGS
    from .core.noise import AdditiveNoise
    from .models import get_model
    from .monitors import Subsample
    from .network import Network
    from .simulation import simulate

    model = get_model(args.model)
    conn = datasets.load_connectome(args.connectome).normalized("max")
    cpl = COUPLINGS[args.coupling_fn]()
    net = Network(conn, coupling=cpl, global_coupling=args.coupling, speed_m_per_s=args.speed, dt_ms=args.dt)
    noise = AdditiveNoise(sigma=args.noise) if args.noise > 0 else None
    res = simulate(net, model, duration_ms=args.duration, integrator="stochastic_heun" if noise else "heun",
                   noise=noise, monitors=[Subsample(args.period)], key=args.seed, checkpoint=args.checkpoint,
                   progress=not args.no_progress, verbose=args.verbose)
    out = res["subsample"]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez_compressed(args.out, data=out.data, times_s=out.times_s, sfreq_hz=out.sfreq_hz,
                        variable_names=np.array(out.variable_names), region_names=np.array(out.channel_names))
    print(f"wrote {args.out}: {out.data.shape} (n_times, n_variables, n_regions) at {out.sfreq_hz:g} Hz")
    return 0


def cmd_models(args):
    from .models import list_models

    print(list_models())
    return 0


def cmd_info(args):
    import importlib.metadata as md

    from ._version import __version__

    print(f"mne_nmm {__version__}")
    for pkg in ("jax", "jaxlib", "numpy", "scipy", "mne", "nilearn", "nibabel", "tvb-data", "neurolib", "optax"):
        try:
            print(f"  {pkg:10s} {md.version(pkg)}")
        except md.PackageNotFoundError:
            print(f"  {pkg:10s} (not installed)")
    import jax

    print(f"  jax devices: {jax.devices()}")
    from . import datasets

    print(f"  connectomes: {', '.join(datasets.list_connectomes())}")
    return 0


def build_parser():
    from .core.coupling import COUPLINGS

    p = argparse.ArgumentParser(prog="mne-nmm", description="Whole-brain neural mass models for MNE-Python and nilearn.")
    p.add_argument("--verbose", default=None, help="log level (INFO, DEBUG, WARNING)")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("eeg", help="simulate EEG/MEG on the default head and write a -raw.fif and a summary figure")
    e.add_argument("--duration", type=_positive_float, default=10.0, help="seconds of data (default 10)")
    e.add_argument("--kind", choices=("eeg", "meg"), default="eeg")
    e.add_argument("--connectome", default="tvb76")
    e.add_argument("--coupling", type=float, default=1.0, help="global coupling strength")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--out", default="out", help="output folder")
    e.set_defaults(func=cmd_eeg)

    b = sub.add_parser("bold", help="simulate resting-state BOLD, write .nii.gz and an FC figure")
    b.add_argument("--duration", type=_positive_float, default=300.0, help="seconds of BOLD (default 300)")
    b.add_argument("--connectome", default="tvb76", help="tvb76, hcp or gw")
    b.add_argument("--tr", type=_positive_float, default=2.0, help="repetition time in s")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--checkpoint", default=None, help="checkpoint file (resume an interrupted run)")
    b.add_argument("--no-progress", action="store_true")
    b.add_argument("--out", default="out")
    b.set_defaults(func=cmd_bold)

    s = sub.add_parser("simulate", help="simulate region activity and write an .npz")
    s.add_argument("--model", default="hopf", help="model name (see `mne-nmm models`)")
    s.add_argument("--connectome", default="tvb76")
    s.add_argument("--coupling-fn", default="difference", choices=sorted(COUPLINGS))
    s.add_argument("--coupling", type=float, default=0.1, help="global coupling strength")
    s.add_argument("--speed", type=_positive_float, default=3.0, help="conduction speed in m/s")
    s.add_argument("--dt", type=_positive_float, default=0.1, help="integration step in ms")
    s.add_argument("--duration", type=_positive_float, default=1000.0, help="ms")
    s.add_argument("--period", type=_positive_float, default=1.0, help="output period in ms")
    s.add_argument("--noise", type=float, default=0.0, help="additive noise sigma (0: deterministic)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--checkpoint", default=None)
    s.add_argument("--no-progress", action="store_true")
    s.add_argument("--out", default="out/simulation.npz")
    s.set_defaults(func=cmd_simulate)

    m = sub.add_parser("models", help="list the model catalogue")
    m.set_defaults(func=cmd_models)
    i = sub.add_parser("info", help="versions, devices and default data")
    i.set_defaults(func=cmd_info)
    sp = sub.add_parser("spiking", help="spiking network vs neural mass harness (grid, bench); see "
                                        "'mne-nmm spiking --help'", add_help=False)
    sp.add_argument("rest", nargs=argparse.REMAINDER)
    sp.set_defaults(func=cmd_spiking)
    return p


def cmd_spiking(args):
    from .spiking.__main__ import main as spiking_main

    return spiking_main(args.rest)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["spiking"]:                 # its own command line (python -m mne_nmm.spiking)
        from .spiking.__main__ import main as spiking_main

        return spiking_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose:
        logging.getLogger("mne_nmm").setLevel(args.verbose.upper())
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError, KeyError) as err:
        print(f"mne-nmm {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
