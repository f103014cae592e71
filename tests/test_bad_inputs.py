"""Catalogue of bad inputs: each is refused with the right exception and a message naming the argument.

One line per case: ``(id, callable, expected exception, substring of the message)``. ``CLI`` as the
expected exception means: ``mne_nmm.cli.main(argv)`` returns 2 and prints one line on stderr that
contains the substring (no traceback).
"""

import functools
import os

import numpy as np
import pytest

import mne_nmm as nmm
import mne_nmm.core.coupling as cpl
from mne_nmm.cli import main as cli_main
from mne_nmm.core.kernel import MAX_STEPS
from mne_nmm.core.stimulus import ArrayWaveform, Pulse, PulseTrain, Sinusoid, Step
from mne_nmm.models import Hopf, JansenRit
from mne_nmm.monitors import Subsample, TemporalAverage
from mne_nmm.monitors.bold import BalloonWindkessel, HRFConvolution
from mne_nmm.simulation.checkpoint import CheckpointError

CLI = "cli"
N = 5


@functools.lru_cache(maxsize=None)
def _conn():
    r = np.random.default_rng(3)
    w = r.uniform(0.1, 1.0, (N, N))
    np.fill_diagonal(w, 0.0)
    lengths = r.uniform(5.0, 30.0, (N, N))
    return nmm.Connectome(w, (lengths + lengths.T) / 2, region_names=[f"reg{i}" for i in range(N)])


@functools.lru_cache(maxsize=None)
def _net():
    return nmm.Network(_conn(), global_coupling=0.1, dt_ms=0.1, speed_m_per_s=np.inf)


def _w(**kw):
    w = np.ones((N, N))
    np.fill_diagonal(w, 0.0)
    return nmm.Connectome(kw.pop("weights", w), **kw)


def _sim(model=None, **kw):
    kw.setdefault("duration_ms", 2.0)
    kw.setdefault("monitors", [Subsample(1.0)])
    return nmm.simulate(kw.pop("network", _net()), Hopf() if model is None else model, **kw)


def _stim(**kw):
    return _sim(stimulus=nmm.Stimulus(kw.pop("waveform", Pulse(0.0, 1.0)), **kw))


def _tmpdir():
    import tempfile

    return tempfile.mkdtemp(prefix="mne_nmm_bad_")


def _a_file():
    path = os.path.join(_tmpdir(), "plain.txt")
    with open(path, "w") as fh:
        fh.write("not a folder")
    return path


def _ckpt_with(content):
    path = os.path.join(_tmpdir(), "run.ckpt.npz")
    if isinstance(content, np.ndarray):
        with open(path, "wb") as fh:
            np.save(fh, content)
    else:
        with open(path, "wb") as fh:
            fh.write(content)
    return _sim(checkpoint=path)


def _truncated_ckpt():
    path = os.path.join(_tmpdir(), "run.ckpt.npz")
    buf = {"fingerprint": np.array("x"), "done": np.array(3)}
    with open(path, "wb") as fh:
        np.savez(fh, **buf)
    with open(path, "rb") as fh:
        data = fh.read()
    with open(path, "wb") as fh:
        fh.write(data[: len(data) // 2])
    return _sim(checkpoint=path)


def _cli(*argv):
    return lambda: cli_main(list(argv))


def _out(*parts):
    return os.path.join(_tmpdir(), *parts)


BIG = float(np.finfo(np.float32).max) * 10

CASES = [
    # -- Connectome ----------------------------------------------------------------------------------
    ("conn-complex-weights", lambda: _w(weights=np.ones((N, N)) * (1 + 1j)), TypeError, "weights"),
    ("conn-not-square", lambda: _w(weights=np.ones((N, N - 1))), ValueError, "weights must be square"),
    ("conn-negative", lambda: _w(weights=-np.ones((N, N))), ValueError, "weights must be non-negative"),
    ("conn-nan", lambda: _w(weights=np.full((N, N), np.nan)), ValueError, "weights must contain only finite"),
    ("conn-1d", lambda: _w(weights=np.ones(N)), ValueError, "weights must be a 2D array"),
    ("conn-strings", lambda: _w(weights=[["a"] * N] * N), TypeError, "weights must be array-like"),
    ("conn-empty", lambda: _w(weights=np.zeros((0, 0))), ValueError, "weights must describe at least one region"),
    ("conn-lengths-shape", lambda: _w(tract_lengths_mm=np.ones((N, 2))), ValueError, "tract_lengths_mm"),
    ("conn-lengths-negative", lambda: _w(tract_lengths_mm=-np.ones((N, N))), ValueError, "tract_lengths_mm"),
    ("conn-lengths-complex", lambda: _w(tract_lengths_mm=np.ones((N, N)) * 1j), TypeError, "tract_lengths_mm"),
    ("conn-names-length", lambda: _w(region_names=["a", "b"]), ValueError, "region_names"),
    ("conn-names-duplicate", lambda: _w(region_names=["a"] * N), ValueError, "region_names must be unique"),
    ("conn-centres-shape", lambda: _w(centres_mm=np.zeros((N, 2))), ValueError, "centres_mm"),
    ("conn-hemispheres", lambda: _w(hemispheres=np.arange(N)), ValueError, "hemispheres"),
    ("conn-name-type", lambda: _w(name=3), TypeError, "name must be a str"),
    ("conn-info-type", lambda: _w(info=[]), TypeError, "info must be a dict"),
    ("conn-normalized-method", lambda: _conn().normalized("l2"), ValueError, "'method'"),
    ("conn-subset-unknown", lambda: _conn().subset(["nope"]), ValueError, "regions contains 'nope'"),
    ("conn-subset-empty", lambda: _conn().subset([]), ValueError, "regions must select"),
    ("conn-subset-bool", lambda: _conn().subset([True]), TypeError, "regions must contain"),
    ("conn-subset-range", lambda: _conn().subset([99]), ValueError, "regions contains index 99"),
    # -- Network -------------------------------------------------------------------------------------
    ("net-connectome-type", lambda: nmm.Network(np.ones((N, N))), TypeError, "connectome"),
    ("net-dt-zero", lambda: nmm.Network(_conn(), dt_ms=0.0), ValueError, "dt_ms"),
    ("net-dt-nan", lambda: nmm.Network(_conn(), dt_ms=np.nan), ValueError, "dt_ms"),
    ("net-dt-str", lambda: nmm.Network(_conn(), dt_ms="0.1"), TypeError, "dt_ms"),
    ("net-speed-negative", lambda: nmm.Network(_conn(), speed_m_per_s=-3.0), ValueError, "speed_m_per_s"),
    ("net-gc-nan", lambda: nmm.Network(_conn(), global_coupling=np.nan), ValueError, "global_coupling"),
    ("net-gc-str", lambda: nmm.Network(_conn(), global_coupling="1"), TypeError, "global_coupling"),
    ("net-gc-bool", lambda: nmm.Network(_conn(), global_coupling=True), TypeError, "global_coupling"),
    ("net-coupling-type", lambda: nmm.Network(_conn(), coupling="linear"), TypeError, "coupling"),
    ("net-replace-unknown", lambda: _net().replace(dt=1.0), ValueError, "unknown argument"),
    # -- model parameters ----------------------------------------------------------------------------
    ("model-bool", lambda: Hopf(a=True), TypeError, "Hopf.a"),
    ("model-complex", lambda: Hopf(a=1j), TypeError, "Hopf.a"),
    ("model-complex-array", lambda: Hopf(omega=np.array([1 + 1j, 2.0])), TypeError, "Hopf.omega"),
    ("model-none", lambda: Hopf(a=None), TypeError, "Hopf.a"),
    ("model-str", lambda: Hopf(a="0.1"), TypeError, "Hopf.a"),
    ("model-dict", lambda: Hopf(a={"x": 1}), TypeError, "Hopf.a"),
    ("model-bool-array", lambda: Hopf(a=np.array([True, False])), TypeError, "Hopf.a"),
    ("model-object", lambda: Hopf(a=object()), TypeError, "Hopf.a"),
    ("model-nan", lambda: Hopf(a=np.nan), ValueError, "Hopf.a must be finite"),
    ("model-2d", lambda: Hopf(a=np.ones((2, 2))), ValueError, "Hopf.a"),
    ("model-empty", lambda: Hopf(a=[]), ValueError, "Hopf.a"),
    ("model-replace-unknown", lambda: Hopf().replace(b=1.0), ValueError, "valid names"),
    ("model-replace-bool", lambda: Hopf().replace(a=False), TypeError, "Hopf.a"),
    ("model-positive", lambda: JansenRit(a=-1.0), ValueError, "JansenRit.a must be > 0"),
    ("model-unknown-kw", lambda: Hopf(b=1.0), TypeError, "Unknown parameter(s) ['b'] for Hopf; valid names: ['a', 'omega']"),
    ("coupling-bool", lambda: cpl.Linear(b=True), TypeError, "Linear.b"),
    ("coupling-none", lambda: cpl.Sigmoidal(cmax=None), TypeError, "Sigmoidal.cmax"),
    ("coupling-nan", lambda: cpl.Sigmoidal(a=np.nan), ValueError, "Sigmoidal.a must be finite"),
    ("coupling-complex", lambda: cpl.SigmoidalJansenRit(r=0.5j), TypeError, "SigmoidalJansenRit.r"),
    ("model-per-region-length", lambda: _sim(Hopf(a=np.zeros(N + 2))), ValueError, "Hopf.a has 7 values"),
    # -- simulate: main arguments --------------------------------------------------------------------
    ("sim-network-type", lambda: nmm.simulate(_conn(), Hopf(), duration_ms=1.0), TypeError, "network"),
    ("sim-model-type", lambda: nmm.simulate(_net(), "hopf", duration_ms=1.0), TypeError, "model"),
    ("sim-duration-negative", lambda: _sim(duration_ms=-1.0), ValueError, "duration_ms"),
    ("sim-duration-nan", lambda: _sim(duration_ms=np.nan), ValueError, "duration_ms"),
    ("sim-duration-str", lambda: _sim(duration_ms="10"), TypeError, "duration_ms"),
    ("sim-duration-fraction", lambda: _sim(duration_ms=1.05), ValueError, "duration_ms"),
    ("sim-duration-max-steps", lambda: _sim(duration_ms=(MAX_STEPS + 1) * 0.1, monitors=[Subsample(1e6)]),
     ValueError, "int32 step counter"),
    ("sim-integrator-unknown", lambda: _sim(integrator="leapfrog"), ValueError, "integrator"),
    ("sim-noise-deterministic", lambda: _sim(noise=nmm.AdditiveNoise(sigma=1e-3)), ValueError, "noise"),
    ("sim-noise-type", lambda: _sim(noise=0.1, integrator="euler_maruyama"), TypeError, "noise"),
    ("sim-noise-negative", lambda: nmm.AdditiveNoise(sigma=-1.0), ValueError, "sigma"),
    ("sim-monitor-type", lambda: _sim(monitors=["subsample"]), TypeError, "monitors"),
    ("sim-monitor-zero-samples", lambda: _sim(duration_ms=1.0, monitors=[Subsample(5.0)]), ValueError,
     "0 samples"),
    ("sim-monitor-zero-samples-numbers", lambda: _sim(duration_ms=1.0, monitors=[TemporalAverage(5.0)]),
     ValueError, "every 5 ms (50 steps of dt=0.1 ms) but duration_ms is 1 ms"),
    ("sim-bold-tr-longer-than-run", lambda: _sim(duration_ms=100.0, monitors=[BalloonWindkessel(tr_s=2.0)]),
     ValueError, "samples every 2000 ms (20000 steps of dt=0.1 ms) but duration_ms is 100 ms"),
    ("sim-hrf-tr-longer-than-run", lambda: _sim(duration_ms=100.0, monitors=[HRFConvolution(tr_s=1.0)]),
     ValueError, "it would record 0 samples"),
    ("sim-monitor-period-fraction", lambda: _sim(monitors=[Subsample(0.15)]), ValueError, "period_ms"),
    ("sim-key-str", lambda: _sim(key="seed"), TypeError, "key"),
    ("sim-key-float", lambda: _sim(key=1.5), TypeError, "key"),
    ("sim-key-bool", lambda: _sim(key=True), TypeError, "key"),
    ("sim-key-shape", lambda: _sim(key=np.zeros(3, dtype=np.uint32)), TypeError, "key"),
    ("sim-key-huge", lambda: _sim(key=2**70), ValueError, "key"),
    ("sim-x0-shape", lambda: _sim(initial_state=np.zeros((3, N))), ValueError, "initial_state must have shape"),
    ("sim-x0-nan", lambda: _sim(initial_state=np.where(np.eye(2, N, 2) > 0, np.nan, 0.0)), ValueError,
     "initial_state must be finite, found 2 NaN/inf entries (first at index [0, 2]"),
    ("sim-x0-str", lambda: _sim(initial_state="zeros"), TypeError, "initial_state"),
    ("sim-x0-complex", lambda: _sim(initial_state=np.zeros((2, N)) + 1j), TypeError, "initial_state"),
    ("sim-x0-ragged", lambda: _sim(initial_state=[[0.0], [0.0, 1.0]]), TypeError, "initial_state"),
    ("sim-memory-negative", lambda: _sim(max_memory_gb=-1.0), ValueError, "max_memory_gb"),
    ("sim-memory-str", lambda: _sim(max_memory_gb="2GB"), TypeError, "max_memory_gb"),
    ("sim-memory-too-small", lambda: _sim(max_memory_gb=1e-12), MemoryError, "max_memory_gb"),
    ("sim-checkpoint-int", lambda: _sim(checkpoint=3), TypeError, "checkpoint"),
    ("sim-checkpoint-bytes", lambda: _sim(checkpoint=b"x.npz"), TypeError, "checkpoint"),
    ("sim-checkpoint-folder", lambda: _sim(checkpoint=_tmpdir()), IsADirectoryError, "checkpoint"),
    ("sim-checkpoint-missing-folder", lambda: _sim(checkpoint=_out("nope", "c.npz")), FileNotFoundError,
     "checkpoint"),
    ("sim-checkpoint-under-file", lambda: _sim(checkpoint=os.path.join(_a_file(), "c.npz")), NotADirectoryError,
     "checkpoint"),
    ("sim-checkpoint-empty", lambda: _ckpt_with(b""), CheckpointError, "delete it or pass another path"),
    ("sim-checkpoint-garbage", lambda: _ckpt_with(b"\x00garbage" * 10), CheckpointError, "is corrupt"),
    ("sim-checkpoint-npy", lambda: _ckpt_with(np.arange(3)), CheckpointError, "is corrupt or incompatible"),
    ("sim-checkpoint-truncated", _truncated_ckpt, CheckpointError, "delete it or pass another path"),
    ("sim-chunk-zero", lambda: _sim(chunk_ms=0.0), ValueError, "chunk_ms"),
    ("sim-batch-mode", lambda: _sim(batch_mode="parallel"), ValueError, "batch_mode"),
    ("sim-on-divergence", lambda: _sim(on_divergence="ignore"), ValueError, "on_divergence"),
    ("sim-n-trials-zero", lambda: _sim(n_trials=0), ValueError, "n_trials"),
    ("sim-n-trials-float", lambda: _sim(n_trials=2.0), TypeError, "n_trials"),
    ("sim-n-jobs-zero", lambda: _sim(sweep={"global_coupling": [0.1, 0.2]}, n_jobs=0), ValueError, "n_jobs"),
    ("sim-sweep-type", lambda: _sim(sweep=[0.1, 0.2]), TypeError, "sweep"),
    ("sim-sweep-unknown", lambda: _sim(sweep={"model.zz": [1.0, 2.0]}), ValueError, "sweep key 'model.zz'"),
    ("sim-sweep-complex", lambda: _sim(sweep={"global_coupling": [1j, 2j]}), TypeError, "sweep['global_coupling']"),
    ("sim-sweep-lengths", lambda: _sim(sweep={"global_coupling": [0.1, 0.2], "model.a": [0.1]}), ValueError,
     "same length"),
    ("sim-sweep-nan", lambda: _sim(sweep={"global_coupling": [0.1, np.nan]}), ValueError, "sweep['global_coupling']"),
    ("sim-verbose", lambda: _sim(verbose="LOUD"), ValueError, "verbose"),
    ("sim-weights-float32-range", lambda: _sim(network=nmm.Network(_w(weights=np.full((N, N), BIG)), dt_ms=0.1)),
     ValueError, "weights reach"),
    ("sim-coupling-float32-range", lambda: _sim(network=nmm.Network(_conn(), global_coupling=BIG, dt_ms=0.1)),
     ValueError, "global_coupling"),
    # -- stimuli -------------------------------------------------------------------------------------
    ("stim-amplitude-nan", lambda: nmm.Stimulus(Pulse(0.0, 1.0), amplitude=np.nan), ValueError, "amplitude"),
    ("stim-amplitude-inf", lambda: nmm.Stimulus(Pulse(0.0, 1.0), amplitude=np.inf), ValueError, "amplitude"),
    ("stim-amplitude-str", lambda: nmm.Stimulus(Pulse(0.0, 1.0), amplitude="1"), TypeError, "amplitude"),
    ("stim-waveform", lambda: nmm.Stimulus(3.0), TypeError, "waveform"),
    ("stim-variable-type", lambda: nmm.Stimulus(Pulse(0.0, 1.0), variable=0), TypeError, "variable"),
    ("stim-variable-unknown", lambda: _stim(variable="zz"), ValueError, "stimulus variable"),
    ("stim-regions-unknown", lambda: _stim(regions=["nope"]), ValueError, "regions contains 'nope'"),
    ("stim-regions-index", lambda: _stim(regions=[N]), ValueError, "regions contains index"),
    ("stim-regions-bool", lambda: _stim(regions=[True, False, False, False, False]), TypeError, "regions"),
    ("stim-regions-nan", lambda: _stim(regions=np.full(N, np.nan)), ValueError, "regions"),
    ("stim-list-type", lambda: _sim(stimulus=[Pulse(0.0, 1.0)]), TypeError, "stimulus[0]"),
    ("stim-pulse-width", lambda: Pulse(0.0, 0.0), ValueError, "width_ms"),
    ("stim-pulse-onset-nan", lambda: Pulse(np.nan, 1.0), ValueError, "onset_ms"),
    ("stim-train-width", lambda: PulseTrain(0.0, 5.0, 10.0), ValueError, "width_ms"),
    ("stim-train-n-pulses", lambda: PulseTrain(0.0, 5.0, 1.0, n_pulses=0), ValueError, "n_pulses"),
    ("stim-sinusoid-phase", lambda: Sinusoid(10.0, phase_rad=np.nan), ValueError, "phase_rad"),
    ("stim-sinusoid-offset", lambda: Sinusoid(10.0, offset_ms=np.nan), ValueError, "offset_ms"),
    ("stim-step-offset", lambda: Step(5.0, 1.0), ValueError, "offset_ms"),
    ("stim-array-nan", lambda: ArrayWaveform([0.0, np.nan]), ValueError, "values"),
    ("stim-array-shape", lambda: _stim(waveform=ArrayWaveform(np.zeros((10, N + 1))), regions=None), ValueError,
     "ArrayWaveform values"),
    # -- command line --------------------------------------------------------------------------------
    ("cli-noise-negative", _cli("simulate", "--noise", "-1"), CLI, "--noise"),
    ("cli-noise-nan", _cli("simulate", "--noise", "nan"), CLI, "--noise"),
    ("cli-connectome", _cli("simulate", "--connectome", "foo"), CLI, "choose from tvb66"),
    ("cli-eeg-connectome", _cli("eeg", "--connectome", "foo"), CLI, "--connectome: invalid choice: 'foo'"),
    ("cli-verbose", _cli("--verbose", "LOUD", "models"), CLI, "--verbose"),
    ("cli-zero-samples", _cli("simulate", "--period", "5", "--duration", "0.001"), CLI, "--duration (0.001 s)"),
    ("cli-period-below-dt", _cli("simulate", "--period", "0.01"), CLI, "--period"),
    ("cli-dt-zero", _cli("simulate", "--dt", "0"), CLI, "--dt"),
    ("cli-duration-text", _cli("simulate", "--duration", "long"), CLI, "--duration"),
    ("cli-speed-negative", _cli("simulate", "--speed", "-3"), CLI, "--speed"),
    ("cli-coupling-nan", _cli("simulate", "--coupling", "nan"), CLI, "--coupling"),
    ("cli-coupling-fn", _cli("simulate", "--coupling-fn", "magic"), CLI, "--coupling-fn"),
    ("cli-seed-float", _cli("simulate", "--seed", "1.5"), CLI, "--seed"),
    ("cli-model", lambda: cli_main(["simulate", "--model", "nope", "--out", _out("x.npz")]), CLI, "--model 'nope'"),
    ("cli-out-under-file", lambda: cli_main(["simulate", "--out", os.path.join(_a_file(), "x.npz")]), CLI, "--out"),
    ("cli-eeg-out-is-file", lambda: cli_main(["eeg", "--out", _a_file()]), CLI, "--out"),
    ("cli-bold-out-is-file", lambda: cli_main(["bold", "--out", _a_file()]), CLI, "--out"),
    ("cli-checkpoint-folder", lambda: cli_main(["simulate", "--out", _out("x.npz"), "--checkpoint", _tmpdir()]),
     CLI, "--checkpoint"),
    ("cli-bold-tr-small", lambda: cli_main(["bold", "--tr", "0.0001", "--duration", "10", "--no-progress",
                                            "--out", _out("b")]), CLI, "--tr"),
    ("cli-bold-tr-negative", _cli("bold", "--tr", "-2"), CLI, "--tr"),
    ("cli-eeg-kind", _cli("eeg", "--kind", "ecog"), CLI, "--kind"),
    ("cli-unknown-command", _cli("simulte"), CLI, "invalid choice"),
]


def test_catalogue_is_large_and_ids_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 80
    assert sum(c[2] is CLI for c in CASES) >= 15


@pytest.mark.parametrize("fn, exc, text", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_by_name(fn, exc, text, capsys):
    if exc is CLI:
        rc = fn()
        err = capsys.readouterr().err
        assert rc == 2, err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1, err                       # one line, no traceback
        assert "Traceback" not in err
        assert text in lines[0], err
        return
    with pytest.raises(exc) as info:
        fn()
    assert text in str(info.value), str(info.value)


def test_cli_debug_shows_the_traceback(capsys, tmp_path):
    rc = cli_main(["--debug", "simulate", "--model", "nope", "--out", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback (most recent call last)" in err
    assert "--model 'nope'" in err.splitlines()[-1]


# -- the 2**31-step limit -------------------------------------------------------------------------------
def test_max_steps_boundary_is_accepted_and_one_more_refused():
    from mne_nmm.simulation.setup import prepare

    net = nmm.Network(_conn(), dt_ms=1.0, speed_m_per_s=np.inf)
    s = prepare(net, Hopf(), duration_ms=float(MAX_STEPS), monitors=[Subsample(float(2**20))])
    assert s.n_steps == MAX_STEPS == 2**31 - 1
    with pytest.raises(ValueError, match=rf"{MAX_STEPS + 1} steps of dt=1 ms, more than the {MAX_STEPS} steps"):
        prepare(net, Hopf(), duration_ms=float(MAX_STEPS + 1), monitors=[Subsample(float(2**20))])


def test_kernel_started_near_the_step_limit_counts_and_draws_noise_correctly():
    """Start the kernel 64 steps before MAX_STEPS: the counter reaches MAX_STEPS exactly (no wrap to
    negative) and each step's noise is the counter hash of that step (a pure random walk here)."""
    import jax
    import jax.numpy as jnp

    from mne_nmm.core.noise import step_normals
    from mne_nmm.models import Linear
    from mne_nmm.monitors import Raw
    from mne_nmm.simulation.setup import prepare

    conn = nmm.Connectome(np.zeros((3, 3)))
    net = nmm.Network(conn, global_coupling=0.0, dt_ms=0.25, speed_m_per_s=np.inf)
    sigma = 0.5
    s = prepare(net, Linear(gamma=0.0), duration_ms=16.0, integrator="euler_maruyama",
                noise=nmm.AdditiveNoise(sigma=sigma), monitors=[Raw()], key=9)
    k = s.kernel
    x0 = np.zeros((1, 3), dtype=np.float32)
    carry = k.init(s.params, x0, s.key)
    start = MAX_STEPS - 64
    carry = carry._replace(step=jnp.asarray(start, dtype=carry.step.dtype))
    B = s.plan.block
    chunk = jax.jit(k.chunk, static_argnums=(2, 3))
    out, samples = chunk(carry, s.params, 64 // B, 64 % B)
    assert int(out.step) == MAX_STEPS
    assert np.asarray(out.first_nonfinite).tolist() == [-1, -1]
    z = np.asarray(step_normals(jnp.asarray(s.key), jnp.arange(start, MAX_STEPS, dtype=jnp.int32), 3))
    walk = np.cumsum(np.sqrt(0.25) * sigma * z.astype(np.float64), axis=0)
    np.testing.assert_allclose(np.asarray(samples[0])[:, 0, :], walk, rtol=1e-5, atol=1e-6)
    wrapped = np.asarray(step_normals(jnp.asarray(s.key), jnp.arange(0, 64, dtype=jnp.int32), 3))
    assert not np.allclose(z, wrapped)


def test_sweep_divergence_names_the_run_of_the_batch():
    w = np.ones((3, 3))
    np.fill_diagonal(w, 0.0)
    net = nmm.Network(nmm.Connectome(w), global_coupling=0.1, dt_ms=0.1, speed_m_per_s=np.inf)
    sweep = {"model.a": np.array([0.1, 0.2, 0.3, 500.0, 0.1])}
    for mode, n_jobs, prefix in (("vectorized", 1, "Runs 0-4"), ("vectorized", 2, "Runs 3-4"),
                                 ("sequential", 1, "Run 3 ")):
        with pytest.raises(nmm.SimulationDivergedError) as info:
            nmm.simulate(net, Hopf(), duration_ms=5.0, monitors=[Subsample(1.0)], sweep=sweep, batch_mode=mode,
                         n_jobs=n_jobs)
        assert str(info.value).startswith(f"{prefix}"), str(info.value)
        assert "(run 3 of the batch)" in str(info.value)


# -- the memory guard -----------------------------------------------------------------------------------
def test_memory_guard_reads_cgroup_limits(tmp_path):
    from mne_nmm.simulation import memory

    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "memory.max").write_text("1073741824\n")
    (v2 / "memory.current").write_text("268435456\n")
    assert memory.cgroup_memory(str(v2)) == (2**30, 2**28)
    (v2 / "memory.max").write_text("max\n")
    assert memory.cgroup_memory(str(v2)) == (None, None)
    v1 = tmp_path / "v1" / "memory"
    v1.mkdir(parents=True)
    (v1 / "memory.limit_in_bytes").write_text(str(2**63 - 4096))         # v1's "unlimited"
    assert memory.cgroup_memory(str(tmp_path / "v1")) == (None, None)
    (v1 / "memory.limit_in_bytes").write_text(str(3 * 2**30))
    (v1 / "memory.usage_in_bytes").write_text(str(2**30))
    assert memory.cgroup_memory(str(tmp_path / "v1")) == (3 * 2**30, 2**30)
    assert 0 < memory.available_memory() <= memory.physical_memory()


def test_memory_guard_default_limit_is_the_available_memory(monkeypatch):
    from mne_nmm.simulation import memory

    monkeypatch.setattr(memory, "available_memory", lambda: 1000)
    with pytest.raises(MemoryError, match=r"more than the limit of 0.00 GiB \(80% of the available memory\)"):
        _sim()
    # an explicit max_memory_gb overrides the default
    assert _sim(max_memory_gb=1.0)["subsample"].data.shape == (2, 1, N)
    monkeypatch.undo()
    monkeypatch.setattr(memory, "cgroup_memory", lambda root="/sys/fs/cgroup": (2**20, 2**20 - 10))
    assert memory.available_memory() == 10                    # the cgroup's free room caps MemAvailable
    with pytest.raises(MemoryError, match="80% of the available memory"):
        _sim()
