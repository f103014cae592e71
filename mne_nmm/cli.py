"""``mne-nmm`` command line: eeg, bold, simulate, models, info, spiking.

Examples
--------
::

    mne-nmm eeg --duration 10 --out out/            # EEG on the default head -> out/sim_eeg-raw.fif + PSD/topomap PNG
    mne-nmm bold --duration 300 --out out/          # resting-state BOLD -> .nii.gz + FC figure
    mne-nmm eeg --stim-regions rV1,lV1 --stim-period 1 --out out/   # evoked protocol: pulses, events in STI 014
    mne-nmm bold --block 20 20 --design-regions rV1 --tsnr 80 --out out/   # block design + scanner noise
    mne-nmm simulate --model hopf --duration 2 --out out/hopf.npz   # durations in seconds everywhere
    mne-nmm rerun out/sim_eeg-raw.json              # repeat a run from its sidecar, checked bit for bit
    mne-nmm models                                  # the model catalogue
    mne-nmm info                                    # versions and the default data found
    mne-nmm run config.toml                         # per-subject EEG + BOLD BIDS derivatives (resumable batch)
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


def _nonnegative_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return v


def _finite_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


def _log_level(text):
    t = text.strip().upper()
    if t.lstrip("-").isdigit():
        return int(t)
    if t not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise argparse.ArgumentTypeError(f"expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL (or a number), "
                                         f"got {text!r}")
    return t


def _connectome_name(text):
    from . import datasets

    names = tuple(datasets.list_connectomes())
    if text not in names:
        raise argparse.ArgumentTypeError(f"unknown connectome {text!r}; choose from {', '.join(names)}")
    return text


def _bold_connectome_name(text):
    from . import datasets

    names = tuple(datasets.list_connectomes()) + ("hcp", "gw")
    if text not in names:
        raise argparse.ArgumentTypeError(f"unknown connectome {text!r}; choose from {', '.join(names)}")
    return text


class CLIError(Exception):
    """An error in the command line's arguments, reported as one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line ("mne-nmm simulate: error: ...") with exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _out_dir(path, flag="--out"):
    """Create and check the output folder before any work starts; errors name the flag."""
    from ._io import check_output_folder

    try:
        return check_output_folder(path, flag)
    except OSError as err:
        raise CLIError(str(err)) from None


def _out_lock(folder, flag="--out"):
    """Hold ``folder/.mne-nmm.lock`` while a command writes there: a second run into the folder is refused."""
    from ._io import file_lock

    return file_lock(os.path.join(folder, ".mne-nmm.lock"), what=f"{flag} folder {folder!r}")


def _npz_target(out):
    """The file ``simulate --out`` writes: ``out`` itself, or ``out/simulation.npz`` when it is a folder."""
    if os.path.isdir(out) or out.endswith((os.sep, "/")):
        return os.path.join(out, "simulation.npz")
    return out


def cmd_eeg(args):
    from .eeg import plot_eeg_summary, simulate_eeg

    out = _out_dir(args.out)
    stimulus = _eeg_stimulus(args)
    with _out_lock(out):
        raw = simulate_eeg(args.duration, kind=args.kind, connectome=args.connectome, global_coupling=args.coupling,
                           stimulus=stimulus, seed=args.seed, verbose=args.verbose)
        files = _write_eeg_outputs(raw, out, args.kind, plot_eeg_summary)
    print(f"wrote {files[0]} ({len(raw.ch_names)} channels, {raw.n_times / raw.info['sfreq']:.1f} s at "
          f"{raw.info['sfreq']:g} Hz)")
    for f in files[1:]:
        print(f"wrote {f}")
    return 0


def _eeg_stimulus(args):
    """The ``--stim-*`` options as pulse_stimulus keyword arguments (ms), or None."""
    if not args.stim_regions:
        for flag in ("stim_onset", "stim_period", "stim_n", "stim_width", "stim_amplitude"):
            if getattr(args, flag) is not None:
                raise CLIError(f"--{flag.replace('_', '-')} needs --stim-regions (the regions to stimulate)")
        return None
    regions = [r.strip() for r in args.stim_regions.split(",") if r.strip()]
    spec = dict(regions=regions, onset_ms=1000.0 * (2.0 if args.stim_onset is None else args.stim_onset),
                period_ms=1000.0 * (1.0 if args.stim_period is None else args.stim_period),
                width_ms=1000.0 * (0.01 if args.stim_width is None else args.stim_width),
                amplitude=1.0 if args.stim_amplitude is None else args.stim_amplitude, n_pulses=args.stim_n)
    return spec


def _write_eeg_outputs(raw, out, kind, plot_eeg_summary):
    """FIF, summary PNG and the JSON sidecar (provenance + checksums), each atomic; returns their paths."""
    import json

    from ._io import atomic_path
    from .convert.provenance import write_sidecar

    fname = os.path.join(out, f"sim_{kind}-raw.fif")
    with atomic_path(fname) as tmp:
        raw.save(tmp, overwrite=True, verbose="error")
    fig_name = os.path.join(out, f"sim_{kind}_summary.png")
    with atomic_path(fig_name) as tmp:
        fig = plot_eeg_summary(raw, tmp)
    import matplotlib.pyplot as plt

    plt.close(fig)
    prov = json.loads(raw.info["description"])
    prov["generated_by"]["command"] = kind if kind == "eeg" else "eeg --kind meg"
    prov["files"] = {"raw": os.path.basename(fname), "summary_png": os.path.basename(fig_name)}
    side = write_sidecar(os.path.join(out, f"sim_{kind}-raw.json"), prov)
    return [fname, fig_name, side]


def cmd_bold(args):
    from .fmri import simulate_bold

    out = _out_dir(args.out)
    if args.checkpoint is not None:
        _check_checkpoint_flag(args.checkpoint)
    with _out_lock(out):
        try:
            design, regions = _bold_design(args)
            sim = simulate_bold(args.duration, out_dir=out, connectome=args.connectome, tr_s=args.tr, seed=args.seed,
                                checkpoint=args.checkpoint, progress=not args.no_progress, design=design,
                                design_regions=regions, design_amplitude=args.design_amplitude, s0=args.s0,
                                tsnr=args.tsnr, verbose=args.verbose)
        except ValueError as err:
            for api_name, flag, value in (("tr_s", "--tr", args.tr), ("duration_s", "--duration", args.duration)):
                if api_name in str(err):
                    raise CLIError(f"{flag} {value:g}: {err}") from None
            raise
    print(repr(sim))
    written = list(getattr(sim, "files", {}).values())
    manifest = os.path.join(out, "MANIFEST.json")
    if os.path.isfile(manifest) and manifest not in written:
        written.append(manifest)
    for path in written:
        print(f"wrote {path}")
    return 0


def _bold_design(args):
    """``--block ON OFF`` / ``--design events.tsv`` with ``--design-regions`` -> (design, regions)."""
    if args.block is not None and args.design is not None:
        raise CLIError("give --block or --design, not both")
    if (args.block is not None or args.design is not None) != bool(args.design_regions):
        raise CLIError("--design-regions (the stimulated regions) goes with --block or --design")
    if args.block is not None:
        from .fmri import block_design

        design = block_design(args.duration, on_s=args.block[0], off_s=args.block[1])
    else:
        design = args.design
    regions = [r.strip() for r in args.design_regions.split(",") if r.strip()] if args.design_regions else None
    return design, regions


def cmd_rerun(args):
    """``mne-nmm rerun SIDECAR.json``: repeat a run from its provenance and check the data bit for bit."""
    import json

    from .convert.provenance import data_digest, read_sidecar

    path = args.sidecar
    if path.endswith(".fif"):
        import mne

        desc = mne.io.read_info(path, verbose="error")["description"]
        if not desc:
            raise CLIError(f"{path!r} has no mne_nmm provenance in info['description']")
        doc = json.loads(desc)
    else:
        doc = read_sidecar(path)
    doc = doc.get("mne_nmm", doc)
    func = doc.get("generated_by", {}).get("function")
    if not doc.get("reproducible", False):
        raise CLIError(f"{path!r} records a run with custom objects (head, model, connectome...); it cannot be "
                       "repeated from the sidecar alone")
    stored = doc.get("outputs", {}).get("raw", {}).get("stored_sha256")
    if path.endswith(".fif") and stored:
        from .convert.provenance import stored_data_digest

        on_file = stored_data_digest(path)
        if on_file != stored:
            print(f"mne-nmm rerun: the data in {path!r} differ from those the run wrote (stored sha256 "
                  f"{on_file[:16]} vs {stored[:16]}): the file was modified after it was written", file=sys.stderr)
            return 1
        print(f"file intact: stored data sha256 {on_file}")
    kw = {k: v for k, v in doc["arguments"].items()}
    if func == "mne_nmm.eeg.simulate_eeg":
        from .eeg import plot_eeg_summary, simulate_eeg

        raw = simulate_eeg(**kw, verbose=args.verbose)
        got, want = data_digest(raw.get_data()), doc["outputs"]["raw"]["data_sha256"]
        if args.out is not None:
            out = _out_dir(args.out)
            with _out_lock(out):
                for f in _write_eeg_outputs(raw, out, kw["kind"], plot_eeg_summary):
                    print(f"wrote {f}")
    elif func == "mne_nmm.fmri.simulate_bold":
        from .fmri import simulate_bold

        if kw.get("design") is not None:
            import pandas as pd

            kw["design"] = pd.DataFrame(kw["design"])
        out = None
        if args.out is not None:
            out = _out_dir(args.out)
        sim = simulate_bold(**kw, out_dir=out, verbose=args.verbose)
        got = data_digest(sim.bold.get("bold" if "bold" in sim.bold.variable_names else None))
        want = doc["outputs"]["bold_regions"]["data_sha256"]
    else:
        raise CLIError(f"{path!r}: cannot rerun {func!r} (only simulate_eeg and simulate_bold outputs)")
    if got != want:
        print(f"mne-nmm rerun: the data differ from the recorded run (sha256 {got[:16]} vs {want[:16]}); versions "
              f"then: {doc.get('environment')}", file=sys.stderr)
        return 1
    print(f"reproduced bit for bit: data sha256 {got}")
    return 0


def _check_checkpoint_flag(path):
    from ._io import check_output_file

    try:
        check_output_file(path, "--checkpoint")
    except OSError as err:
        raise CLIError(str(err)) from None


def cmd_simulate(args):
    import numpy as np

    from . import datasets
    from .core.coupling import COUPLINGS
    from .core.noise import AdditiveNoise
    from .models import get_model
    from .monitors import Subsample
    from .network import Network
    from .simulation import simulate

    from ._io import atomic_write

    try:
        model = get_model(args.model)
    except (KeyError, ValueError) as err:
        raise CLIError(f"--model {args.model!r}: {err.args[0] if err.args else err}") from None
    target = _npz_target(args.out)
    if os.path.isdir(target):
        raise CLIError(f"--out {target!r} is a folder; pass a file name or a folder without simulation.npz in it")
    folder = _out_dir(os.path.dirname(os.path.abspath(target)))
    if args.checkpoint is not None:
        _check_checkpoint_flag(args.checkpoint)
    if args.period < args.dt:
        raise CLIError(f"--period ({args.period:g} ms) must be at least --dt ({args.dt:g} ms)")
    duration_ms = 1000.0 * args.duration  # --duration is in seconds, like eeg and bold
    if duration_ms < args.period:
        raise CLIError(f"--duration ({args.duration:g} s) is shorter than --period ({args.period:g} ms): the "
                       f"output would have 0 samples")
    conn = datasets.load_connectome(args.connectome).normalized("max")
    cpl = COUPLINGS[args.coupling_fn]()
    net = Network(conn, coupling=cpl, global_coupling=args.coupling, speed_m_per_s=args.speed, dt_ms=args.dt)
    noise = AdditiveNoise(sigma=args.noise) if args.noise > 0 else None
    from .analysis.plausibility import check_coupling_stability

    try:  # the coupling x strength x dt rule of every network (diffusive couplings add a decay rate)
        check_coupling_stability(net, integrator="stochastic_heun" if noise else "heun", model=model)
    except ValueError as err:
        raise CLIError(f"--coupling {args.coupling:g} with --dt {args.dt:g}: {err}") from None
    with _out_lock(folder):
        res = simulate(net, model, duration_ms=duration_ms, integrator="stochastic_heun" if noise else "heun",
                       noise=noise, monitors=[Subsample(args.period)], key=args.seed, checkpoint=args.checkpoint,
                       progress=not args.no_progress, verbose=args.verbose)
        out = res["subsample"]
        with atomic_write(target, "wb") as fh:       # exactly this name: no suffix is added
            np.savez_compressed(fh, data=out.data, times_s=out.times_s, sfreq_hz=out.sfreq_hz,
                                variable_names=np.array(out.variable_names),
                                region_names=np.array(out.channel_names))
    print(f"wrote {target}: {out.data.shape} (n_times, n_variables, n_regions) at {out.sfreq_hz:g} Hz")
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


def cmd_run(args):
    """``mne-nmm run CONFIG``: the config's subjects x conditions as a resumable batch (exit 1 if one failed)."""
    from .pipeline.config import run_config

    report = run_config(args.config, subjects=args.subject or None, force=args.force)
    print(report.summary())
    print(f"outputs: {report.output_dir} (resolved config: {report.resolved_config})")
    return 1 if report.failed else 0


def build_parser():
    from .core.coupling import COUPLINGS

    p = _Parser(prog="mne-nmm", description="Whole-brain neural mass models for MNE-Python and nilearn.")
    p.add_argument("--verbose", default=None, type=_log_level, help="log level (DEBUG, INFO, WARNING, ERROR)")
    p.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("eeg", help="simulate EEG/MEG on the default head and write a -raw.fif and a summary figure")
    e.add_argument("--duration", type=_positive_float, default=10.0, help="seconds of data (default 10)")
    e.add_argument("--kind", choices=("eeg", "meg"), default="eeg")
    e.add_argument("--connectome", default="tvb76", choices=("tvb76", "tvb68"),
                   help="tvb76 (TVB cortex head) or tvb68 (Desikan-Killiany fsaverage5 head)")
    e.add_argument("--coupling", type=_finite_float, default=None,
                   help="global coupling strength (default: 10 / median in-strength of the connectome)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--stim-regions", default=None,
                   help="comma-separated regions that receive pulses (e.g. rV1,lV1): an evoked protocol, with events "
                        "in STI 014")
    e.add_argument("--stim-onset", type=_nonnegative_float, default=None,
                   help="first pulse, in s from the start of the simulation (1 s transient included; default 2)")
    e.add_argument("--stim-period", type=_positive_float, default=None, help="inter-pulse interval in s (default 1)")
    e.add_argument("--stim-n", type=int, default=None, help="number of pulses (default: until the end)")
    e.add_argument("--stim-width", type=_positive_float, default=None, help="pulse width in s (default 0.01)")
    e.add_argument("--stim-amplitude", type=_finite_float, default=None,
                   help="pulse amplitude (model units per ms; default 1)")
    e.add_argument("--out", default="out", help="output folder")
    e.set_defaults(func=cmd_eeg)

    b = sub.add_parser("bold", help="simulate resting-state BOLD, write .nii.gz and an FC figure")
    b.add_argument("--duration", type=_positive_float, default=300.0, help="seconds of BOLD (default 300)")
    b.add_argument("--connectome", default="tvb76", type=_bold_connectome_name, help="tvb76, hcp or gw")
    b.add_argument("--tr", type=_positive_float, default=2.0, help="repetition time in s")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--block", type=_positive_float, nargs=2, metavar=("ON", "OFF"), default=None,
                   help="block design: ON s of task, OFF s of rest, repeated (starts with rest); needs "
                        "--design-regions")
    b.add_argument("--design", default=None, help="BIDS events.tsv (onset, duration in s; trial_type, modulation)")
    b.add_argument("--design-regions", default=None, help="comma-separated stimulated regions (e.g. rV1,lV1)")
    b.add_argument("--design-amplitude", type=_finite_float, default=0.05, help="input per unit modulation")
    b.add_argument("--s0", type=_positive_float, default=10000.0, help="NIfTI baseline in the brain (0 outside)")
    b.add_argument("--tsnr", type=_positive_float, default=None, help="scanner noise as a temporal SNR (e.g. 80)")
    b.add_argument("--checkpoint", default=None, help="checkpoint file (resume an interrupted run)")
    b.add_argument("--no-progress", action="store_true")
    b.add_argument("--out", default="out")
    b.set_defaults(func=cmd_bold)

    s = sub.add_parser("simulate", help="simulate region activity and write an .npz")
    s.add_argument("--model", default="hopf", help="model name (see `mne-nmm models`)")
    s.add_argument("--connectome", default="tvb76", type=_connectome_name)
    s.add_argument("--coupling-fn", default="difference", choices=sorted(COUPLINGS))
    s.add_argument("--coupling", type=_finite_float, default=0.1, help="global coupling strength")
    s.add_argument("--speed", type=_positive_float, default=3.0, help="conduction speed in m/s")
    s.add_argument("--dt", type=_positive_float, default=0.1, help="integration step in ms")
    s.add_argument("--duration", type=_positive_float, default=1.0,
                   help="seconds simulated (like eeg and bold; default 1)")
    s.add_argument("--period", type=_positive_float, default=1.0, help="output period in ms")
    s.add_argument("--noise", type=_nonnegative_float, default=0.0, help="additive noise sigma (0: deterministic)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--checkpoint", default=None)
    s.add_argument("--no-progress", action="store_true")
    s.add_argument("--out", default="out/simulation.npz",
                   help="output .npz file, written under exactly this name (a folder: FOLDER/simulation.npz)")
    s.set_defaults(func=cmd_simulate)

    rr = sub.add_parser("rerun", help="repeat a run from its JSON sidecar (or -raw.fif) and check the data bit "
                                      "for bit")
    rr.add_argument("sidecar", help="sim_eeg-raw.json, sim_eeg-raw.fif or bold.json written by eeg / bold")
    rr.add_argument("--out", default=None, help="also write the outputs again into this folder")
    rr.set_defaults(func=cmd_rerun)

    m = sub.add_parser("models", help="list the model catalogue")
    m.set_defaults(func=cmd_models)
    i = sub.add_parser("info", help="versions, devices and default data")
    i.set_defaults(func=cmd_info)
    r = sub.add_parser("run", help="run a config file (TOML/YAML): per-subject EEG + BOLD BIDS derivatives, "
                                   "resumable batch")
    r.add_argument("config", help="config file (.toml, .yaml); see mne_nmm.pipeline.config.SCHEMA")
    r.add_argument("--subject", action="append", default=None, help="run only this subject (repeatable)")
    r.add_argument("--force", action="store_true", help="redo finished subjects too")
    r.set_defaults(func=cmd_run)
    sp = sub.add_parser("spiking", help="spiking network vs neural mass harness (grid, bench); see "
                                        "'mne-nmm spiking --help'", add_help=False)
    sp.add_argument("rest", nargs=argparse.REMAINDER)
    sp.set_defaults(func=cmd_spiking)
    from .fitting._cli import add_parsers as add_fit_parsers  # fit, sweep

    add_fit_parsers(sub, _positive_float)
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:             # --help (0) or a usage error (2, already reported in one line)
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose is not None:
        logging.getLogger("mne_nmm").setLevel(args.verbose)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"mne-nmm {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - every error is reported in one line (--debug: traceback)
        if args.debug:
            import traceback

            traceback.print_exc()
        msg = " ".join(str(err.args[0] if isinstance(err, KeyError) and err.args else err).split())
        plain = (CLIError, ValueError, TypeError, OSError, KeyError)
        kind = "" if isinstance(err, plain) else f"{type(err).__name__}: "
        print(f"mne-nmm {args.command}: error: {kind}{msg}" + ("" if args.debug else " (--debug shows the traceback)"),
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
