"""Speed of the EEG/MEG path: default head build and conversion to an MNE Raw.

Targets: default EEG head build < 5 s; 60 s of 70-channel data -> Raw < 1 s.
Run by hand (not in CI)::

    python benchmarks/bench_eeg.py                 # heads (fresh process each) + conversions
    python benchmarks/bench_eeg.py --no-meg-cortex # skip the slow 16k-source MEG head

Each head is built twice in a fresh subprocess: ``cold`` includes importing mne and
numba compiling MNE's sphere-forward kernels (first use on a machine / after a
numba cache miss), ``warm`` is a second build in the same process with
``cache=False``. Conversions time :func:`mne_nmm.convert.mne.to_raw` on a
hand-made :class:`~mne_nmm.result.MonitorOutput` (best of 5).
"""

import argparse
import json
import subprocess
import sys
import time


def child_head(kind, sources):
    t0 = time.perf_counter()
    from mne_nmm.datasets import default_head

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    head = default_head(kind, sources=sources, cache=False)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    default_head(kind, sources=sources, cache=False)
    warm = time.perf_counter() - t0
    print(json.dumps(dict(what=f"default_head({kind!r}, sources={sources!r})", import_s=round(t_import, 2),
                          cold_s=round(cold, 2), warm_s=round(warm, 2), n_channels=head.n_channels,
                          n_sources=int(head.report["n_fwd_sources"]), moved_inside=head.report["n_moved_inside"])))


def conversions(repeats=5):
    import numpy as np

    from mne_nmm.datasets import default_head
    from mne_nmm.convert.mne import to_raw
    from mne_nmm.core.models.jansen_rit import JansenRit
    from mne_nmm.result import MonitorOutput, SimulationResult

    head = default_head("eeg", sources="centres")
    rng = np.random.default_rng(0)
    rows = []
    for sfreq in (250.0, 1000.0):
        n = int(60 * sfreq)
        t = np.arange(1, n + 1) / sfreq
        onsets = np.arange(1.0, 59.0, 1.0)
        sensor = MonitorOutput("eeg", t, rng.standard_normal((n, 1, 70)).astype(np.float32) * 1e-5, sfreq,
                               ("y1-y2",), tuple(head.ch_names), time_stamp="end", units=("V",),
                               info=dict(kind="leadfield", head=head, moment_am_per_unit=1e-8))
        region = MonitorOutput("tavg", t, rng.standard_normal((n, 1, 76)).astype(np.float32), sfreq, ("y1-y2",),
                               head.region_names, time_stamp="end", units=("mV",))
        cases = {
            "lead-field output -> Raw (stim + annotations)": lambda: to_raw(
                SimulationResult({"eeg": sensor}, np.zeros((6, 76)), 0.1, 6e4, model=JansenRit(),
                                 stimulus_onsets_s=onsets)),
            "region output (76) -> Raw (projection)": lambda: to_raw(region, head, moment_am_per_unit=1e-8),
            "lead-field -> Raw + ad-hoc noise + average ref": lambda: to_raw(
                sensor, noise_cov="ad_hoc", random_state=0, reference="average"),
        }
        for name, fn in cases.items():
            fn()  # warm-up
            best = min(_timed(fn) for _ in range(repeats))
            rows.append(dict(what=f"{name}, 60 s x 70 ch at {sfreq:g} Hz", best_s=round(best, 3)))
    return rows


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", nargs=2, metavar=("KIND", "SOURCES"), help=argparse.SUPPRESS)
    p.add_argument("--no-meg-cortex", action="store_true", help="skip the 16384-source MEG head")
    args = p.parse_args()
    if args.child:
        child_head(*args.child)
        return
    heads = [("eeg", "cortex"), ("eeg", "centres"), ("meg", "centres")]
    if not args.no_meg_cortex:
        heads.append(("meg", "cortex"))
    for kind, sources in heads:
        out = subprocess.run([sys.executable, __file__, "--child", kind, sources], capture_output=True, text=True)
        line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]
        print(line, flush=True)
    for row in conversions():
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
