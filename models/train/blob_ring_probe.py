"""Probe (val only, not a shipped signal): does looking for a transplant's seam only around bright blobs find the small
pastes that the blind ring search (src/detect/blend-seam.ts) loses among a clean image's chance dips?

A transplant's donor is a lesion, pasted with its centre at the paste's centre (attacks/content.transplant), and most
lesions are bright blobs. The blind search judges every ring on a lattice, so its largest chance dip grows with the
number of rings (tens of thousands per radius); the feather of a paste under about 40 px radius is too short to
stand above that. Judging the rings only at the K brightest blobs of the ring's scale (local maxima of a normalised
Laplacian of Gaussian, sigma = R / sqrt 2) cuts the rings judged per radius to K.

Statistic, the same for both searches (a simplification of the SDK's, not the SDK's): the |3x3 Laplacian residual|
relative to the image's own median at that intensity (64 bins, capped at 4), its mean in the feather's middle
[1.08 R, 1.32 R) against the mean of the bands [0.6 R, R) and [1.4 R, 1.8 R) (whole rings, no sectors), as a dip
1 - feather / bands, in robust units (median, 1.4826 MAD) of all rings of that radius wholly valid in the image;
the value is the largest over radii 12-50 px. `all`: every centre (every second pixel); `blobK`: the K brightest
blobs, each read as the best of +-2 px around it. For each transplant also the `oracle`: its own circle's z (centre of
the changed region +-3 px, radii within 0.75-1.3 of its radius), the ceiling of any search.

    /usr/bin/python3 models/train/make_attacked_set.py --split val --families transplant,removal --out DIR1
    /usr/bin/python3 models/train/make_source_variants.py --split val --out DIR2
    /usr/bin/python3 models/train/blob_ring_probe.py --attacked DIR1 --sources DIR2 [--source-keep 0,1] [--jobs 2]

The recorded run (50 clean + 32 transplants + 144 source images with --source-keep 0,1) took 30 min with 2 jobs,
when each K found its blobs anew; finding them once per radius, 9 of its images took 40 s (same values). Writes results/blob_ring_probe.json (numbers and file names only; the images are research-only data and
stay where they are).
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.signal import fftconvolve

RESULTS = Path(__file__).resolve().parent / "results" / "blob_ring_probe.json"
LAPLACE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], float)
RADII = [12, 14, 16, 19, 22, 25, 29, 33, 38, 44, 50]
BLOBS = (5, 10, 20)
STEP = 2
SMALL = 40  # px, paste_sizes.py's radius estimate: the band the blind search misses


def load(path: Path) -> np.ndarray:
    a = np.asarray(Image.open(path)).astype(np.float64)
    return a / (65535.0 if a.max() > 255 else 255.0)


def relative_residual(img: np.ndarray, breast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|residual| over the image's own median |residual| at that intensity (capped), and where it is valid."""
    res = np.abs(ndimage.convolve(img, LAPLACE, mode="nearest"))
    ok = (ndimage.minimum_filter(((img > 0.02) & (img < 0.98)).astype(float), 3) > 0) & breast
    bins = np.clip((img * 64).astype(int), 0, 63)
    med = np.full(64, np.nan)
    for k in range(64):
        v = res[ok & (bins == k)]
        if v.size >= 200:
            med[k] = np.median(v)
    good = ~np.isnan(med)
    med = np.interp(np.arange(64), np.nonzero(good)[0], med[good])
    return np.minimum(res / np.maximum(med[bins], 1e-6), 4.0), ok


def annulus(r0: float, r1: float) -> np.ndarray:
    n = int(np.ceil(r1)) + 1
    y, x = np.mgrid[-n:n + 1, -n:n + 1]
    d = np.hypot(y, x)
    return ((d >= r0) & (d < r1)).astype(float)


def ring_z(rel: np.ndarray, ok: np.ndarray, radius: float) -> np.ndarray:
    """Every centre's dip at this radius in robust units of the image's valid rings (-inf where not valid)."""
    means, cover = {}, {}
    for name, (a, b) in {"in": (0.6, 1.0), "feather": (1.08, 1.32), "out": (1.4, 1.8)}.items():
        k = annulus(a * radius, b * radius)
        s = fftconvolve(rel * ok, k, mode="same")
        c = fftconvolve(ok.astype(float), k, mode="same")
        means[name], cover[name] = s / np.maximum(c, 1), c / k.sum()
    valid = (cover["feather"] > 0.9) & (cover["in"] > 0.9) & (cover["out"] > 0.9)
    dip = 1 - means["feather"] / np.maximum(0.5 * (means["in"] + means["out"]), 1e-6)
    z = robust_z(dip, valid)
    return np.full(dip.shape, -np.inf) if z is None else z


def robust_z(dip: np.ndarray, valid: np.ndarray) -> np.ndarray | None:
    """Each centre's dip in robust units (median, 1.4826 MAD) of the valid rings on every STEP-th centre, -inf where
    not valid; None when fewer than 50 rings are valid."""
    d = dip[::STEP, ::STEP][valid[::STEP, ::STEP]]
    if d.size < 50:
        return None
    med = np.median(d)
    z = (dip - med) / (1.4826 * np.median(np.abs(d - med)) + 1e-9)
    z[~valid] = -np.inf
    return z


def brightest_blobs(img: np.ndarray, where: np.ndarray, radius: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    sigma = radius / np.sqrt(2)
    log = -ndimage.gaussian_laplace(img, sigma) * sigma * sigma
    peaks = (log == ndimage.maximum_filter(log, size=int(radius) | 1)) & where & (log > 0)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-log[ys, xs])[:k]
    return ys[order], xs[order]


def changed_circle(image: Path, source: Path) -> tuple[int, int, float]:
    a = np.asarray(Image.open(image)).astype(np.int64)
    b = np.asarray(Image.open(source)).astype(np.int64)
    ys, xs = np.nonzero(a != b)
    return (int(ys.min() + ys.max()) // 2, int(xs.min() + xs.max()) // 2,
            float(max(np.ptp(ys), np.ptp(xs)) + 1) / 2) if ys.size else (0, 0, 0.0)


def measure(job: tuple[str, str, str, str | None]) -> dict:
    folder, file, family, source = job
    img = load(Path(folder) / file)
    breast = ndimage.binary_erosion(ndimage.uniform_filter(img, 15) > 0.2, iterations=4)
    rel, ok = relative_residual(img, breast)
    row: dict = {"file": file, "family": family, "all": [], **{f"blob{k}": [] for k in BLOBS}}
    circle = changed_circle(Path(folder) / file, Path(folder) / source) if family == "transplant" else None
    if circle:
        row["radius"] = round(circle[2] / 1.2, 1)  # paste_sizes.py's estimate
        row["oracle"] = -np.inf
    for radius in RADII:
        z = ring_z(rel, ok, radius)
        row["all"].append(float(z[::STEP, ::STEP].max()))
        near = ndimage.maximum_filter(z, size=5)
        # The blobs come strongest first: each K's pool is the first K of the largest.
        ys, xs = brightest_blobs(img, z > -np.inf, radius, max(BLOBS))
        for k in BLOBS:
            row[f"blob{k}"].append(float(near[ys[:k], xs[:k]].max()) if ys.size else -np.inf)
        if circle:
            cy, cx, extent = circle
            true_radius = extent / 1.4  # the soft disk's feather runs from R to 1.4 R
            if 0.75 * true_radius <= radius <= 1.3 * true_radius:
                row["oracle"] = max(row["oracle"], float(z[cy - 3:cy + 4, cx - 3:cx + 4].max()))
    for key in ["all", *(f"blob{k}" for k in BLOBS)]:
        row[key] = round(max(row[key]), 3)
    if circle:
        row["oracle"] = round(row["oracle"], 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attacked", required=True, type=Path, help="make_attacked_set.py --split val folder")
    parser.add_argument("--sources", required=True, type=Path, help="make_source_variants.py --split val folder")
    parser.add_argument("--source-keep", default="0,1", help="source images kept: mini-MIAS number mod 5 in this set")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.time()
    keep = {int(x) for x in args.source_keep.split(",")}
    jobs = [(str(args.attacked), r["file"], r["family"], r["source"]) for r in csv.DictReader(open(args.attacked / "labels.csv"))
            if r["family"] in ("clean", "transplant")]
    jobs += [(str(args.sources), r["file"], r["family"], None) for r in csv.DictReader(open(args.sources / "labels.csv"))
             if int(r["file"][3:6]) % 5 in keep]
    with Pool(args.jobs) as pool:
        rows = []
        for row in pool.imap(measure, jobs):
            rows.append(row)
            print(json.dumps(row), flush=True)
    clean = [r for r in rows if r["family"] != "transplant"]
    transplants = [r for r in rows if r["family"] == "transplant"]
    summary = {}
    for key in ["all", *(f"blob{k}" for k in BLOBS)]:
        values = np.array([r[key] for r in clean])
        p99, top = float(np.percentile(values, 99)), float(values.max())
        bands = {"small": [r for r in transplants if r["radius"] < SMALL], "large": [r for r in transplants if r["radius"] >= SMALL]}
        summary[key] = {
            "clean_p99": round(p99, 3), "clean_max": round(top, 3),
            **{f"{band}_over_p99": f"{sum(r[key] > p99 for r in rs)} of {len(rs)}" for band, rs in bands.items()},
            **{f"{band}_over_max": f"{sum(r[key] > top for r in rs)} of {len(rs)}" for band, rs in bands.items()},
            "clean_max_by_source": {s: round(max(r[key] for r in clean if r["family"] == s), 3)
                                    for s in sorted({r["family"] for r in clean})},
        }
    small = [r for r in transplants if r["radius"] < SMALL]
    result = {
        "what": "VAL only: clean stored images and clean images through simulated sources against val transplants; a "
                "whole-ring seam statistic over every centre (all) or only the K brightest blobs of each scale (blobK)",
        "clean": len(clean), "transplants": len(transplants),
        "summary": summary,
        "oracle_small": sorted(r["oracle"] for r in small),
        "rows": rows, "seconds": round(time.time() - started),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1), flush=True)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
