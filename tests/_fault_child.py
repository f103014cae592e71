"""Child process of the fault and concurrency tests (run as a script, never collected by pytest).

``python _fault_child.py MODE CHECKPOINT RESULT``

Runs a small noisy delayed network with a checkpoint written after every chunk (``INTERVAL_S = 0``)
and prints ``SAVED <done>`` after each complete checkpoint write, ``DONE`` at the end; the result's
arrays are written atomically to RESULT (an .npz). MODE:

``run``          plain run (sleeps ``NMM_SLEEP`` s after each checkpoint so a parent can kill it mid-run)
``hang-ckpt``    the third checkpoint write stops half-way through its temporary file (prints ``HALF``)
``hang-rename``  the third checkpoint is complete in its temporary file but never renamed (prints ``HALF``)
``cli-hang``     runs ``mne-nmm simulate --out RESULT``; the output write stops half-way (prints ``HALF``)
``cli``          runs ``mne-nmm simulate --out RESULT``
"""

import io
import os
import sys
import time

import numpy as np

CLI_ARGS = ["simulate", "--connectome", "tvb66", "--duration", "0.03", "--period", "1", "--noise", "0.01",
            "--seed", "3", "--no-progress"]


def hang():
    print("HALF", flush=True)
    time.sleep(120)
    sys.exit(3)


def small_run(checkpoint):
    import mne_nmm as nmm
    from mne_nmm.models import Hopf
    from mne_nmm.monitors import Subsample, TemporalAverage

    r = np.random.default_rng(7)
    w = r.uniform(0.1, 1.0, (5, 5)) * (r.uniform(size=(5, 5)) < 0.7)
    np.fill_diagonal(w, 0.0)
    lengths = r.uniform(10.0, 60.0, (5, 5))
    lengths = (lengths + lengths.T) / 2
    np.fill_diagonal(lengths, 0.0)
    net = nmm.Network(nmm.Connectome(w, lengths), global_coupling=0.2, dt_ms=0.1, speed_m_per_s=3.0)
    return nmm.simulate(net, Hopf(a=-0.05), duration_ms=60.0, integrator="stochastic_heun",
                        noise=nmm.AdditiveNoise(sigma=0.02), monitors=[Subsample(1.0), TemporalAverage(2.0)],
                        key=5, chunk_ms=5.0, checkpoint=checkpoint, progress=False)


def arrays_of(res):
    """The arrays of a result that the tests compare bit for bit."""
    out = {f"out_{name}": o.data for name, o in res.outputs.items()}
    out["final"] = res.final_state
    return out


def main():
    mode, ckpt, result = sys.argv[1], sys.argv[2], sys.argv[3]
    sleep = float(os.environ.get("NMM_SLEEP", "0.05"))
    if mode.startswith("cli"):
        from mne_nmm.cli import main as cli_main

        if mode == "cli-hang":
            real = np.savez_compressed

            def half(fh, **arrays):
                buf = io.BytesIO()
                real(buf, **arrays)
                data = buf.getvalue()
                fh.write(data[: len(data) // 2])
                fh.flush()
                os.fsync(fh.fileno())
                hang()

            np.savez_compressed = half
        rc = cli_main(CLI_ARGS + ["--out", result])
        print("DONE", rc, flush=True)
        return rc

    from mne_nmm.simulation import checkpoint as C

    C.INTERVAL_S = 0.0
    saves = {"n": 0}
    real_savez = np.savez
    if mode == "hang-ckpt":
        def savez(fh, **arrays):
            if saves["n"] == 2:
                buf = io.BytesIO()
                real_savez(buf, **arrays)
                data = buf.getvalue()
                fh.write(data[: len(data) // 2])
                fh.flush()
                os.fsync(fh.fileno())
                hang()
            real_savez(fh, **arrays)

        C.np.savez = savez
    if mode == "hang-rename":
        import mne_nmm._io as io_mod

        real_replace = io_mod.os.replace

        def replace(src, dst):
            if saves["n"] == 2 and os.path.basename(dst) == os.path.basename(ckpt):
                hang()
            real_replace(src, dst)

        io_mod.os.replace = replace
    real_save = C.save

    def save(path, fp, carry, done, buffers, filled):
        real_save(path, fp, carry, done, buffers, filled)
        saves["n"] += 1
        print("SAVED", done, flush=True)
        time.sleep(sleep)

    C.save = save
    print("START", flush=True)
    res = small_run(ckpt)
    from mne_nmm._io import atomic_write

    with atomic_write(result) as fh:
        real_savez(fh, **arrays_of(res))
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
