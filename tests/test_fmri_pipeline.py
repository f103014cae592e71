"""simulate_bold end to end: engine + BOLD monitor + NIfTI + FC figure; memory flat in duration."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

nib = pytest.importorskip("nibabel")
pytest.importorskip("nilearn")

import mne_nmm as nmm  # noqa: E402
from mne_nmm.adapters.atlas import atlas_from_labels_img  # noqa: E402
from mne_nmm.fmri import plot_fc_figure, simulate_bold  # noqa: E402


def small_atlas(names):
    rng = np.random.default_rng(0)
    data = np.zeros((6, 8, 5), dtype=np.int16)
    flat = data.reshape(-1)
    idx = rng.permutation(flat.size)
    for k in range(len(names)):
        flat[idx[k * 30:(k + 1) * 30]] = 10 * (k + 1)
    return atlas_from_labels_img(nib.Nifti1Image(data, np.diag([3.0, 3.0, 3.0, 1.0])), list(names)[::-1],
                                 label_values=[10 * (k + 1) for k in range(len(names))][::-1], name="toy")


def test_simulate_bold_end_to_end(tmp_path, small_connectome):
    from nilearn.maskers import NiftiLabelsMasker

    names = small_connectome.region_names
    atlas = small_atlas(names)
    rng = np.random.default_rng(1)
    emp = np.corrcoef(rng.normal(size=(40, 5)).T)
    sim = simulate_bold(24.0, out_dir=tmp_path, connectome=small_connectome, tr_s=1.0, dt_ms=1.0, transient_s=6.0,
                        atlas=atlas, resolution_mm=None, empirical=(emp, names), global_coupling=0.05, seed=3)
    bold = sim.bold
    assert bold.data.shape == (24, 1, 5) and bold.channel_names == names
    np.testing.assert_allclose(bold.times_s, np.arange(7, 31, 1.0))
    assert bold.time_stamp == "end" and np.all(np.isfinite(bold.data)) and bold.data.std() > 0
    # same samples as the full run (transient dropped, nothing else changed)
    np.testing.assert_array_equal(bold.data, sim.result["bold"].data[6:])
    # FC is Pearson correlation; the score compares upper triangles
    np.testing.assert_allclose(sim.fc, np.corrcoef(bold.get().T), atol=1e-12)
    iu = np.triu_indices(5, 1)
    assert sim.scores["r"] == pytest.approx(np.corrcoef(sim.fc[iu], emp[iu])[0, 1])
    # files: the 4D image reads back through nilearn's masker
    assert set(sim.files) == {"regions", "nifti", "labels", "fc_figure", "sidecar", "manifest"}
    img = nib.load(sim.files["nifti"])
    assert img.shape == (6, 8, 5, 24) and img.header.get_xyzt_units() == ("mm", "sec")
    assert img.header.get_zooms()[3] == pytest.approx(1.0)
    labels = nib.load(sim.files["labels"])
    got = NiftiLabelsMasker(labels, standardize=None, resampling_target=None).fit_transform(img)
    # columns by increasing label value: label 10 (k=0) is names[0]; brain voxels hold S0 (1 + BOLD), S0 = 10000
    np.testing.assert_allclose(got, 1e4 * (1 + bold.get()), rtol=1e-6, atol=1e-12)
    tsv = np.loadtxt(sim.files["regions"], skiprows=1)
    np.testing.assert_allclose(tsv, bold.get(), rtol=1e-6)
    with open(sim.files["regions"]) as fh:
        assert fh.readline().strip().split("\t") == list(names)
    assert os.path.getsize(sim.files["fc_figure"]) > 1000
    assert "FC r vs empirical" in repr(sim)


def test_simulate_bold_validation(small_connectome):
    with pytest.raises(ValueError, match="'connectome' parameter"):
        simulate_bold(10.0, connectome="tvb66")
    with pytest.raises(ValueError, match=r"monitor.tr_s \(1\) differs from tr_s \(2\)"):
        simulate_bold(10.0, connectome=small_connectome, monitor=nmm.monitors.BalloonWindkessel(1.0))
    with pytest.raises(ValueError, match="'monitor' parameter"):
        simulate_bold(10.0, connectome=small_connectome, monitor="volterra")
    with pytest.raises(TypeError, match="connectome must be an instance of"):
        simulate_bold(10.0, connectome=np.eye(3))
    strength = small_connectome.normalized("max").weights.sum(axis=1)
    with pytest.raises(ValueError, match=r"global_coupling x max in-strength x dt_ms = .* > 1.8"):
        simulate_bold(10.0, connectome=small_connectome, global_coupling=2.0 / strength.max(), dt_ms=1.0)
    from mne_nmm.fmri import default_global_coupling

    assert default_global_coupling(small_connectome) == pytest.approx(0.55 / np.median(strength))


def test_plot_fc_figure_variants():
    rng = np.random.default_rng(2)
    fc = np.corrcoef(rng.normal(size=(30, 6)).T)
    sc = rng.uniform(0, 1, (6, 6)) * (rng.uniform(size=(6, 6)) > 0.3)
    fig = plot_fc_figure(fc, sc=sc, title="toy")
    assert len(fig.axes) == 3        # matrix, its colour bar, scatter
    fig2 = plot_fc_figure(fc, fc_empirical=np.corrcoef(rng.normal(size=(30, 6)).T), names=list("abcdef"))
    assert "r = " in fig2.axes[-1].get_title() or any("r = " in ax.get_title() for ax in fig2.axes)
    with pytest.raises(ValueError, match=r"sc must have the shape of fc \(6, 6\)"):
        plot_fc_figure(fc, sc=np.ones((5, 5)))
    with pytest.raises(ValueError, match="fc must be square"):
        plot_fc_figure(np.ones((3, 4)))


@pytest.mark.slow
def test_bold_memory_flat_in_duration():
    """Peak RSS of a 10-minute run is within a few MB of a 1-minute run (76 regions, dt = 1 ms)."""
    script = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "bench_bold.py")
    rows = []
    for minutes in (1, 10):
        out = subprocess.run([sys.executable, script, "--child", "--minutes", str(minutes), "--dt-ms", "1.0",
                              "--coupling", "0.041"],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert rows[1]["n_volumes"] == 300 and rows[1]["finite"]
    assert rows[1]["peak_rss_mb"] - rows[0]["peak_rss_mb"] < 30.0, rows


@pytest.mark.slow
def test_gradient_through_engine_and_bold(small_connectome):
    """d(BOLD power)/d(global coupling) through make_simulator equals a central finite difference."""
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    from mne_nmm.core.models.hopf import Hopf
    from mne_nmm.monitors.bold import BalloonWindkessel

    net = nmm.Network(small_connectome, coupling=nmm.coupling.Difference(), global_coupling=0.1,
                      speed_m_per_s=3.0, dt_ms=1.0)
    run, params = nmm.make_simulator(net, Hopf(a=-0.05), duration_ms=20_000, integrator="stochastic_heun",
                                     noise=nmm.AdditiveNoise(sigma=0.02), monitors=[BalloonWindkessel(tr_s=1.0)])

    def loss(g):
        return jnp.mean(run(params.replace(global_coupling=g), 0)["bold"][5:] ** 2) * 1e6

    grad = float(jax.grad(loss)(0.1))
    fd = (float(loss(0.101)) - float(loss(0.099))) / 0.002
    assert grad != 0 and abs(grad - fd) < 1e-2 * abs(fd)
