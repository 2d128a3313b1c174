"""Content manipulation at the truth-table lesion locations (display space, numpy).

- `transplant`: a lesion patch from an abnormal image pasted into a normal one, blended with a soft disk, its local
  mean matched to the target's surroundings and the noise level matched (extra Gaussian noise where the target is
  noisier).
- `remove_lesion`: an abnormal image's lesion inpainted away (biharmonic inpainting on a downscaled patch,
  upsampled, plus noise matched to the surrounding ring), blended with a soft disk.
Both write back at the source's 8-bit depth, as a forger saving to the original format would.
MIAS truth-table coordinates have their origin at the bottom-left: row = height - 1 - y.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.restoration import inpaint_biharmonic
from skimage.transform import resize


def _noise_sigma(patch: np.ndarray, where: np.ndarray) -> float:
    """Robust noise level: MAD of the 4-neighbour Laplacian residual, scaled to a per-pixel sigma."""
    res = patch - ndimage.uniform_filter(patch, 3)
    vals = res[where]
    if vals.size < 16:
        return 0.0
    return float(1.4826 * np.median(np.abs(vals - np.median(vals))) / 0.943)


def soft_disk(shape: tuple[int, int], cy: float, cx: float, radius: float, feather: float) -> np.ndarray:
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    dist = np.hypot(yy - cy, xx - cx)
    return np.clip((radius + feather - dist) / max(feather, 1e-6), 0.0, 1.0)


def quantise8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 255.0), 0, 255) / 255.0


def lesion_rows(circles: list[tuple[int, int, int]], height: int) -> list[tuple[int, int, int]]:
    """Truth-table circles (x, y from bottom, r) -> (row, col, r) in image pixels."""
    return [(height - 1 - y, x, r) for x, y, r in circles]


def lesion_donors(refs, images: dict, circles: dict) -> list[str]:
    """The refs a transplant can take a lesion from: abnormal images with a truth-table circle, sorted."""
    return [r for r in sorted(refs) if images[r]["label"] != "normal" and circles.get(r)]


def transplant(target: np.ndarray, donor: np.ndarray, donor_circle: tuple[int, int, int], target_flipped: bool,
               donor_flipped: bool, rng: np.random.Generator, at_8_bits: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Paste the donor's lesion into `target`; returns (image, soft region mask [H, W]). `at_8_bits=False` leaves the
    result unquantised, for a caller that saves it as its own source would."""
    h, w = target.shape
    row, col, r = donor_circle
    r = max(float(r), 12.0)
    half = int(np.ceil(1.6 * r))
    # Donor patch (clipped to the image).
    dr0, dr1 = max(0, row - half), min(h, row + half + 1)
    dc0, dc1 = max(0, col - half), min(w, col + half + 1)
    patch = donor[dr0:dr1, dc0:dc1].astype(np.float64)
    if donor_flipped != target_flipped:  # breasts face opposite ways: mirror the patch and the column
        patch = patch[:, ::-1]
        col = w - 1 - col
        dc0, dc1 = w - dc1, w - dc0
    ph, pw = patch.shape
    # Place at the same anatomical position when it lies inside the target breast, else on a random breast pixel.
    breast = ndimage.binary_erosion(ndimage.uniform_filter(target, 15) > 0.2, iterations=max(1, half // 4))
    tr0, tc0 = dr0, dc0
    if not breast[min(max(row, 0), h - 1), min(max(col, 0), w - 1)]:
        ys, xs = np.nonzero(breast[ph // 2:h - ph // 2, pw // 2:w - pw // 2])
        if ys.size:
            k = rng.integers(ys.size)
            tr0, tc0 = int(ys[k]), int(xs[k])
    tr0, tc0 = min(max(tr0, 0), h - ph), min(max(tc0, 0), w - pw)
    cy, cx = row - dr0, col - dc0
    disk = soft_disk((ph, pw), cy, cx, r, 0.4 * r)
    ring = (disk == 0) & (soft_disk((ph, pw), cy, cx, 1.5 * r, 1.0) > 0)
    tpatch = target[tr0:tr0 + ph, tc0:tc0 + pw].astype(np.float64)
    ring = ring if ring.sum() >= 16 else disk < 0.5
    shifted = patch - patch[ring].mean() + tpatch[ring].mean()
    s_donor, s_target = _noise_sigma(patch, disk > 0.5), _noise_sigma(tpatch, ring)
    if s_target > s_donor:
        shifted = shifted + rng.normal(0.0, np.sqrt(s_target ** 2 - s_donor ** 2), shifted.shape)
    out = target.astype(np.float64).copy()
    out[tr0:tr0 + ph, tc0:tc0 + pw] = disk * shifted + (1 - disk) * tpatch
    region = np.zeros((h, w), dtype=np.float32)
    region[tr0:tr0 + ph, tc0:tc0 + pw] = disk
    out = np.clip(out, 0, 1)
    return (quantise8(out) if at_8_bits else out), region


def remove_lesion(image: np.ndarray, circle: tuple[int, int, int], rng: np.random.Generator,
                  work_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Inpaint the lesion at `circle` (row, col, r) away; returns (image, soft region mask [H, W])."""
    h, w = image.shape
    row, col, r = circle
    r = max(float(r), 10.0) * 1.3
    half = int(np.ceil(2.0 * r))
    r0, r1 = max(0, row - half), min(h, row + half + 1)
    c0, c1 = max(0, col - half), min(w, col + half + 1)
    patch = image[r0:r1, c0:c1].astype(np.float64)
    ph, pw = patch.shape
    cy, cx = row - r0, col - c0
    hole = soft_disk((ph, pw), cy, cx, r, 1.0) > 0
    factor = max(1, int(np.ceil(max(ph, pw) / work_size)))
    small_shape = (max(8, ph // factor), max(8, pw // factor))
    small = resize(patch, small_shape, order=1, anti_aliasing=True)
    small_hole = resize(hole.astype(float), small_shape, order=0) > 0
    filled = inpaint_biharmonic(small, small_hole)
    smooth = resize(filled, (ph, pw), order=1)
    ring = (~hole) & (soft_disk((ph, pw), cy, cx, 1.5 * r, 1.0) > 0)
    sigma = _noise_sigma(patch, ring)
    fill = smooth + rng.normal(0.0, sigma, (ph, pw))
    disk = soft_disk((ph, pw), cy, cx, r, 0.3 * r)
    out = image.astype(np.float64).copy()
    out[r0:r1, c0:c1] = disk * fill + (1 - disk) * patch
    region = np.zeros((h, w), dtype=np.float32)
    region[r0:r1, c0:c1] = disk
    return quantise8(np.clip(out, 0, 1)), region
