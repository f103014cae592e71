"""Derive the affine that maps TVB's head frame to MNI space; write ``mne_nmm/data/tvb_to_mni.txt``.

Usage::

    python datasets/build_tvb_to_mni.py [--out PATH]

What it does (see ``datasets/tvb_to_mni.md`` for the card):

1. Read TVB's ``cortex_16384`` surface (tvb-data, ``surfaceData/cortex_16384.zip``; vertices
   in the TVB head frame: x anterior, y LEFT, z up, mm) and the 76-region vertex mapping
   (``regionMapping/regionMapping_16k_76.txt``); regions 0-37 (names ``r*``) are the right
   hemisphere.
2. Rotate to RAS with the fixed flip ``F``: ``ras = (-y, x, z)``.
3. Fit a similarity transform ``mni = s * R @ ras + t`` (scale, rotation, shift) by symmetric
   iterative-closest-point onto nilearn's fsaverage5 pial surfaces (fsaverage surface RAS,
   i.e. MNI305 space), hemisphere by hemisphere: at each iteration every TVB vertex is paired
   with its nearest fsaverage5 vertex of the same hemisphere and every fsaverage5 vertex with
   its nearest transformed TVB vertex, and ``s, R, t`` are re-estimated in closed form
   (Umeyama 1991) from all pairs. Start: ``s = 1, R = I``, centroids aligned. Stop when the
   parameters change by less than ``--tol``.
4. Write the 4x4 matrix ``A = [[s R F, t], [0, 0, 0, 1]]`` that maps TVB-frame points (mm)
   straight to MNI (mm), with the fit statistics as ``#`` comment lines.

Only the 16 numbers are shipped; tvb-data (GPL-3) and fsaverage are read from the installed
packages at build time. Runs in ~10 s on one core.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from importlib.metadata import version

import numpy as np

#: TVB head frame (x anterior, y left, z up) -> RAS (x right, y anterior, z up)
TVB_TO_RAS = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "mne_nmm", "data",
                           "tvb_to_mni.txt")


def read_tvb_cortex():
    """Return TVB cortex vertices (n, 3) in the TVB frame and a right-hemisphere mask (n,)."""
    import tvb_data

    root = os.path.dirname(tvb_data.__file__)
    with zipfile.ZipFile(os.path.join(root, "surfaceData", "cortex_16384.zip")) as zf:
        vertices = np.loadtxt(io.BytesIO(zf.read("vertices.txt")))
    mapping = np.loadtxt(os.path.join(root, "regionMapping", "regionMapping_16k_76.txt"), dtype=int)
    with zipfile.ZipFile(os.path.join(root, "connectivity", "connectivity_76.zip")) as zf:
        names = [ln.split()[0] for ln in zf.read("centres.txt").decode().splitlines() if ln.strip()]
    right = np.array([names[k].startswith("r") for k in mapping])
    return vertices, right


def read_fsaverage5_pial():
    """Return fsaverage5 pial vertices {"left": (10242, 3), "right": (10242, 3)} in mm."""
    from nilearn.datasets import load_fsaverage

    parts = load_fsaverage("fsaverage5")["pial"].parts
    return {h: np.asarray(parts[h].coordinates, dtype=float) for h in ("left", "right")}


def umeyama(src, dst):
    """Least-squares similarity ``dst ~ s * R @ src + t`` (Umeyama 1991); returns s, R (3, 3), t (3,)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    xs, xd = src - mu_s, dst - mu_d
    cov = xd.T @ xs / len(src)
    u, d, vt = np.linalg.svd(cov)
    e = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[2, 2] = -1.0
    rot = u @ e @ vt
    scale = np.trace(np.diag(d) @ e) / xs.var(0).sum()
    return scale, rot, mu_d - scale * rot @ mu_s


def fit(max_iter=500, tol=1e-8):
    """Run the ICP fit. Returns the 4x4 TVB->MNI matrix and a dict of statistics."""
    from scipy.spatial import cKDTree

    vertices, right = read_tvb_cortex()
    ras = vertices @ TVB_TO_RAS.T
    pial = read_fsaverage5_pial()
    hemis = {"right": right, "left": ~right}
    trees = {h: cKDTree(pial[h]) for h in hemis}
    scale, rot = 1.0, np.eye(3)
    shift = np.vstack(list(pial.values())).mean(0) - ras.mean(0)
    for it in range(1, max_iter + 1):
        moved = scale * ras @ rot.T + shift
        src, dst = [], []
        for h, mask in hemis.items():
            _, idx = trees[h].query(moved[mask])  # TVB -> fsaverage
            src.append(ras[mask])
            dst.append(pial[h][idx])
            _, jdx = cKDTree(moved[mask]).query(pial[h])  # fsaverage -> TVB
            src.append(ras[mask][jdx])
            dst.append(pial[h])
        new = umeyama(np.vstack(src), np.vstack(dst))
        change = abs(new[0] - scale) + np.abs(new[1] - rot).max() + np.abs(new[2] - shift).max()
        scale, rot, shift = new
        if change < tol:
            break
    else:
        raise RuntimeError(f"ICP did not converge in {max_iter} iterations (last change {change:g}).")
    moved = scale * ras @ rot.T + shift
    dist = np.concatenate([trees[h].query(moved[mask])[0] for h, mask in hemis.items()])
    back = np.concatenate([cKDTree(moved[mask]).query(pial[h])[0] for h, mask in hemis.items()])
    affine = np.eye(4)
    affine[:3, :3] = scale * rot @ TVB_TO_RAS
    affine[:3, 3] = shift
    stats = dict(iterations=it, scale=scale, shift_mm=shift,
                 rotation_deg=float(np.degrees(np.arccos(np.clip((np.trace(rot) - 1) / 2, -1, 1)))),
                 tvb_to_fs_median_mm=float(np.median(dist)), tvb_to_fs_p90_mm=float(np.percentile(dist, 90)),
                 fs_to_tvb_median_mm=float(np.median(back)), n_tvb=len(ras), n_fs=sum(len(p) for p in pial.values()))
    return affine, stats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output text file (default: mne_nmm/data/tvb_to_mni.txt)")
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument("--tol", type=float, default=1e-8)
    args = parser.parse_args(argv)
    affine, st = fit(max_iter=args.max_iter, tol=args.tol)
    header = "\n".join([
        "TVB head frame (x anterior, y left, z up; mm) -> MNI (fsaverage surface RAS, MNI305; mm).",
        "mni = A[:3, :3] @ tvb + A[:3, 3];  A[:3, :3] = s * R @ F, F: (x, y, z) -> (-y, x, z).",
        "Built by datasets/build_tvb_to_mni.py: symmetric ICP of tvb-data cortex_16384 onto nilearn fsaverage5 pial,",
        "per hemisphere, similarity transform (Umeyama). "
        f"tvb-data {version('tvb-data')}, nilearn {version('nilearn')}.",
        f"s = {st['scale']:.6f}, rotation {st['rotation_deg']:.3f} deg, "
        f"t = ({st['shift_mm'][0]:.3f}, {st['shift_mm'][1]:.3f}, {st['shift_mm'][2]:.3f}) mm, "
        f"{st['iterations']} iterations.",
        f"Residual, TVB vertex -> nearest fsaverage5 pial vertex (same hemisphere): median "
        f"{st['tvb_to_fs_median_mm']:.3f} mm, 90th percentile {st['tvb_to_fs_p90_mm']:.3f} mm "
        f"({st['n_tvb']} vertices); fsaverage5 -> TVB median {st['fs_to_tvb_median_mm']:.3f} mm.",
    ])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savetxt(args.out, affine, fmt="%.10f", header=header)
    print(header)
    print(f"wrote {os.path.abspath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
