"""sEEG / ECoG contact gains from contact positions (infinite homogeneous medium), Raw with a montage."""

import mne
import numpy as np
import pytest

from mne_nmm.adapters.contacts import depth_electrode, make_contact_head, point_dipole_potential


def test_point_dipole_matches_the_analytic_formula():
    sigma = 0.33
    p = np.array([[0.0, 0.0, 0.0]])
    n = np.array([[0.0, 0.0, 1.0]])
    d = 0.01
    on_axis = point_dipole_potential([[0, 0, d], [0, 0, -d]], p, n, conductivity_s_per_m=sigma)
    np.testing.assert_allclose(on_axis[:, 0], [1 / (4 * np.pi * sigma * d**2), -1 / (4 * np.pi * sigma * d**2)])
    assert point_dipole_potential([[d, 0, 0]], p, n)[0, 0] == 0.0  # equatorial plane
    rng = np.random.default_rng(0)
    x, r, nn = rng.normal(size=(4, 3)) * 0.05, rng.normal(size=(6, 3)) * 0.05, rng.normal(size=(6, 3))
    g = point_dipole_potential(x, r, nn, conductivity_s_per_m=sigma, min_distance_m=1e-6)
    u = nn / np.linalg.norm(nn, axis=1, keepdims=True)
    for c in range(4):
        for j in range(6):
            v = x[c] - r[j]
            assert g[c, j] == pytest.approx(u[j] @ v / (4 * np.pi * sigma * np.linalg.norm(v) ** 3), rel=1e-12)
    # the singularity is bounded by the contact radius
    close = point_dipole_potential([[0, 0, 1e-5]], p, n, min_distance_m=1e-3)[0, 0]
    assert close == pytest.approx(1e-5 / (4 * np.pi * 0.33 * 1e-9))


def test_contact_head_region_gain_is_the_mean_of_its_points():
    pos = np.array([[0, 0, 0], [0, 10, 0], [30, 0, 0.0]])  # mm, head frame
    nn = np.array([[0, 0, 1], [0, 0, 1], [1, 0, 0.0]])
    contacts = {"A1": [0, 0, 10.0], "A2": [0, 5, 20.0]}
    head = make_contact_head(contacts, pos, nn, region_mapping=np.array([0, 0, 1]), region_names=["a", "b"],
                             frame="head", ch_type="ecog")
    g = point_dipole_potential(np.array(list(contacts.values())) / 1000, pos / 1000, nn)
    np.testing.assert_allclose(head.gain, np.c_[g[:, :2].mean(axis=1), g[:, 2]], rtol=1e-12)
    assert list(head.ch_types) == ["ecog", "ecog"] and head.region_names == ("a", "b")
    pos_m = head.info.get_montage().get_positions()["ch_pos"]
    np.testing.assert_allclose(pos_m["A2"], [0, 0.005, 0.02])


def test_seeg_raw_with_montage_from_the_default_cortex():
    import mne_nmm as nmm
    from mne_nmm.datasets import default_head

    shaft = depth_electrode([-65, -20, 5], [-30, -20, 0], n_contacts=6, name="LT")
    head = default_head("seeg", contacts=shaft)
    assert head.gain.shape == (6, 76)
    raw = nmm.eeg.simulate_eeg(1.0, kind="seeg", head=head, transient_s=0.25, sensor_noise=None, reference=None)
    assert set(raw.get_channel_types()) == {"seeg"} and raw.ch_names == list(shaft)
    mont = raw.get_montage().get_positions()["ch_pos"]
    from mne_nmm.adapters.head import mni_to_head

    np.testing.assert_allclose(mont["LT1"], mni_to_head(np.array([[-30.0, -20, 0]]))[0], atol=1e-9)
    # temporal-lobe contacts: the deepest sits closest to left temporal regions, the largest gains are left
    top = np.argsort(np.abs(head.gain[0]))[::-1][:3]
    assert all(head.region_names[k].startswith("l") for k in top), [head.region_names[k] for k in top]
    with pytest.raises(ValueError, match="needs contacts"):
        default_head("seeg")
    mne.set_bipolar_reference(raw, "LT1", "LT2", verbose=False)  # a standard sEEG step runs


def test_plot_region_map_paints_region_values():
    from mne_nmm.analysis.plotting import plot_region_map
    from mne_nmm.datasets import load_connectome

    names = load_connectome("tvb76").region_names
    fig = plot_region_map(np.arange(len(names), dtype=float), names, title="index", label="region index")
    assert len(fig.axes) >= 5
    with pytest.raises(ValueError, match="one name per value"):
        plot_region_map(np.zeros(3), names)
