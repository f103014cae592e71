"""Spectral parameterisation of the default resting EEG (issue 15): prints the measured numbers.

Runs ``mne_nmm.eeg.simulate_eeg`` with its defaults on tvb76 and tvb68 (their default heads) for
several seeds and fits each recording with specparam (Donoghue et al. 2020; fixed aperiodic mode,
1-40 Hz, Welch 4 s windows): aperiodic exponent, alpha peak centre frequency and bandwidth, and the
posterior/anterior alpha (8-12 Hz) power ratio, and the electrode with the largest 8-12 Hz power
(MNE's Welch PSD). Targets: exponent 1-2.5, alpha 8-12 Hz with bandwidth 1-4 Hz, ratio > 1.5, alpha
maximum at an occipital / parieto-occipital electrode. Optionally writes a figure (channel-mean
spectrum with the fit, alpha topomap) per connectome.

    python benchmarks/resting_eeg_spectrum.py [--duration 20] [--seeds 0 1 2] [--figure-dir out/]

Run by hand, never by CI (a 20 s recording takes ~10 s to simulate on a laptop CPU).
"""

import argparse
import os
import time

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=20.0, help="seconds per recording")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--connectomes", nargs="+", default=["tvb76", "tvb68"])
    p.add_argument("--figure-dir", default=None)
    args = p.parse_args(argv)

    from mne_nmm.eeg import measure_resting_spectrum, simulate_eeg

    print(f"{'connectome':10s} {'seed':>4s} {'exponent':>8s} {'alpha_cf':>8s} {'alpha_bw':>8s} {'post/ant':>8s} "
          f"{'std_uV':>7s} {'r2':>6s} {'max_ch':>6s} {'time_s':>6s}")
    rows = []
    for name in args.connectomes:
        for seed in args.seeds:
            t0 = time.perf_counter()
            raw = simulate_eeg(args.duration, connectome=name, seed=seed)
            m = measure_resting_spectrum(raw)
            band = raw.compute_psd(method="welch", fmin=8.0, fmax=12.0, picks="eeg", verbose=False)
            m["alpha_max_channel"] = band.ch_names[int(np.argmax(band.get_data().mean(axis=1)))]
            dt = time.perf_counter() - t0
            rows.append((name, seed, m))
            print(f"{name:10s} {seed:4d} {m['exponent']:8.2f} {m['alpha_cf_hz']:8.2f} {m['alpha_bw_hz']:8.2f} "
                  f"{m['post_ant_alpha_ratio']:8.2f} {m['median_std'] * 1e6:7.2f} {m['r_squared']:6.3f} "
                  f"{m['alpha_max_channel']:>6s} {dt:6.1f}")
            if args.figure_dir is not None and seed == args.seeds[0]:
                _figure(raw, m, os.path.join(args.figure_dir, f"resting_{name}.png"), name)
    for name in args.connectomes:
        ms = [m for n, _, m in rows if n == name]
        for key in ("exponent", "alpha_cf_hz", "alpha_bw_hz", "post_ant_alpha_ratio"):
            v = np.array([m[key] for m in ms])
            print(f"{name} {key}: mean {np.nanmean(v):.2f}, range {np.nanmin(v):.2f}-{np.nanmax(v):.2f}")
    return 0


def _figure(raw, m, fname, name):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mne

    os.makedirs(os.path.dirname(os.path.abspath(fname)), exist_ok=True)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    sm = m["model"]
    f = m["freqs"]
    keep = (f >= 1) & (f <= 40)
    a.plot(f[keep], np.log10(m["psd"][keep] * 1e12), "k", lw=1.5, label="simulated EEG (channel mean)")
    fit = sm.results.model.modeled_spectrum if hasattr(sm.results.model, "modeled_spectrum") else None
    if fit is not None:
        a.plot(sm.data.freqs, fit + np.log10(1e12), "r--", lw=1.2, label="specparam fit")
    a.set(xlabel="Frequency (Hz)", ylabel="log10 PSD (µV²/Hz)",
          title=f"{name}: exponent {m['exponent']:.2f}, alpha {m['alpha_cf_hz']:.1f} Hz (bw {m['alpha_bw_hz']:.1f})")
    a.legend(fontsize="small")
    psd = raw.compute_psd(fmin=8, fmax=12, picks="eeg", verbose=False)
    power = psd.get_data().mean(axis=1) * 1e12
    info = mne.pick_info(raw.info, mne.pick_types(raw.info, eeg=True))
    im, _ = mne.viz.plot_topomap(power, info, axes=b, show=False, cmap="viridis")
    fig.colorbar(im, ax=b, shrink=0.8, label="µV²/Hz")
    b.set_title(f"8-12 Hz power (posterior/anterior {m['post_ant_alpha_ratio']:.2f})")
    fig.savefig(fname, dpi=100)
    plt.close(fig)
    print(f"wrote {fname}")


if __name__ == "__main__":
    raise SystemExit(main())
