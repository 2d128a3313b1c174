"""Probe (val only, not a shipped signal): which per-pixel noise estimate lets a transplant's blend seam stand out of a
clean image's chance rings?

The ring statistic is blob_ring_probe.py's (whole rings: the feather's middle [1.08 R, 1.32 R) against the bands
[0.6 R, R) and [1.4 R, 1.8 R), in robust units of the image's own valid rings of that radius; radii 12-50 px), on
four estimates of the size of the 3x3 Laplacian residual at each pixel:
  capped4  |r| over the image's median |r| in its intensity bin (64 bins), capped at 4 (the SDK's blend seam);
  capped2  the same capped at 2 (an edge or a speck weighs less);
  log      log((|r| + half a quantum) / (bin median + half a quantum)), the dip taken as a difference of means;
  rank     |r|'s mid-rank within its intensity bin (0-1): what an edge adds is bounded, and the null is the same in
           every image, whatever its noise distribution.
`all`: the largest z over every second centre and every radius (the blind search); `oracle` (transplants): the
largest z at the paste's own circle (centre +-3 px, radii 0.75-1.3 of its own), the ceiling of any search.

    /usr/bin/python3 models/train/make_attacked_set.py --split val --families transplant,removal --out DIR1
    /usr/bin/python3 models/train/make_source_variants.py --split val --out DIR2 \\
        --sources digitiser-lowres-10bit,film-8bit-jpeg90,ffdm-14bit-emptybg
    /usr/bin/python3 models/train/seam_estimator_probe.py --attacked DIR1 --sources DIR2

The recorded run (50 clean stored images, 150 through the three simulated sources, 32 transplants; 2 jobs) took
22 minutes on this 2-core VM. Writes results/seam_estimator_probe.json (numbers and file names only: the images
are research-only data and stay where they are).
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from scipy import fft as sfft
from scipy import ndimage

from blob_ring_probe import LAPLACE, RADII, SMALL, STEP, annulus, changed_circle, load, robust_z

RESULTS = Path(__file__).resolve().parent / "results" / "seam_estimator_probe.json"
ESTIMATES = ("capped4", "capped2", "log", "rank")
BANDS = {"in": (0.6, 1.0), "feather": (1.08, 1.32), "out": (1.4, 1.8)}
PAD = 100  # px of zero padding: the largest band's reach (1.8 x 50 px)


def estimates(img: np.ndarray, breast: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The four per-pixel estimates, and where a residual is valid (on the breast, no clipped tap)."""
    res = np.abs(ndimage.convolve(img, LAPLACE, mode="nearest"))
    ok = (ndimage.minimum_filter(((img > 0.02) & (img < 0.98)).astype(float), 3) > 0) & breast
    bins = np.clip((img * 64).astype(int), 0, 63)
    med = np.full(64, np.nan)
    rank = np.zeros_like(res)
    for k in range(64):
        sel = ok & (bins == k)
        v = res[sel]
        if v.size >= 200:
            med[k] = np.median(v)
            order = np.sort(v)
            rank[sel] = (np.searchsorted(order, v, "left") + np.searchsorted(order, v, "right")) / 2 / v.size
        elif v.size:
            rank[sel] = 0.5
    good = ~np.isnan(med)
    med = np.interp(np.arange(64), np.nonzero(good)[0], med[good])
    rel = res / np.maximum(med[bins], 1e-6)
    quantum = 0.5 / 255
    return {"capped4": np.minimum(rel, 4.0), "capped2": np.minimum(rel, 2.0),
            "log": np.log((res + quantum) / np.maximum(med[bins] + quantum, 1e-6)), "rank": rank}, ok


_kernels: dict = {}


def band_kernels(radius: float, shape: tuple[int, int]) -> dict:
    """Each band's annulus, as its FFT at `shape`, its area and its half size."""
    if (radius, shape) not in _kernels:
        _kernels[(radius, shape)] = {name: (sfft.rfft2(k, shape), k.sum(), k.shape[0] // 2)
                                     for name, (a, b) in BANDS.items() for k in [annulus(a * radius, b * radius)]}
    return _kernels[(radius, shape)]


def band_sums(spectrum: np.ndarray, kernel: tuple, shape: tuple[int, int], h: int, w: int) -> np.ndarray:
    full = sfft.irfft2(spectrum * kernel[0], shape)
    return full[kernel[2]:kernel[2] + h, kernel[2]:kernel[2] + w]


def measure(job: tuple[str, str, str, str | None]) -> dict:
    folder, file, family, source = job
    img = load(Path(folder) / file)
    h, w = img.shape
    breast = ndimage.binary_erosion(ndimage.uniform_filter(img, 15) > 0.2, iterations=4)
    values, ok = estimates(img, breast)
    shape = (sfft.next_fast_len(h + 2 * PAD), sfft.next_fast_len(w + 2 * PAD))
    ok_spectrum = sfft.rfft2(ok.astype(float), shape)
    circle = changed_circle(Path(folder) / file, Path(folder) / source) if family == "transplant" else None
    row: dict = {"file": file, "family": family}
    if circle:
        row["radius"] = round(circle[2] / 1.2, 1)  # paste_sizes.py's estimate
    cover = {r: {n: band_sums(ok_spectrum, k, shape, h, w) / k[1] for n, k in band_kernels(r, shape).items()} for r in RADII}
    for name, v in values.items():
        spectrum = sfft.rfft2(v * ok, shape)
        best, oracle = -np.inf, -np.inf
        for radius in RADII:
            kernels = band_kernels(radius, shape)
            means = {n: band_sums(spectrum, k, shape, h, w) / np.maximum(cover[radius][n] * k[1], 1) for n, k in kernels.items()}
            valid = (cover[radius]["feather"] > 0.9) & (cover[radius]["in"] > 0.9) & (cover[radius]["out"] > 0.9)
            side = 0.5 * (means["in"] + means["out"])
            dip = side - means["feather"] if name == "log" else 1 - means["feather"] / np.maximum(side, 1e-6)
            z = robust_z(dip, valid)
            if z is None:
                continue
            best = max(best, float(z[::STEP, ::STEP].max()))
            if circle:
                cy, cx, extent = circle
                own = extent / 1.4  # the soft disk's feather runs from R to 1.4 R
                if 0.75 * own <= radius <= 1.3 * own:
                    oracle = max(oracle, float(z[cy - 3:cy + 4, cx - 3:cx + 4].max()))
        row[name] = round(best, 3)
        if circle:
            row[f"{name}_oracle"] = round(oracle, 3)
    return row


def auc(positives: list[float], negatives: list[float]) -> float:
    p, n = np.array(positives)[:, None], np.array(negatives)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def summarise(rows: list[dict]) -> dict:
    clean = [r for r in rows if r["family"] != "transplant"]
    transplants = [r for r in rows if r["family"] == "transplant"]
    small = [r for r in transplants if r["radius"] < SMALL]
    large = [r for r in transplants if r["radius"] >= SMALL]
    out = {}
    for key in ESTIMATES:
        values = np.array([r[key] for r in clean])
        p99, top = float(np.percentile(values, 99)), float(values.max())
        out[key] = {
            "clean_p99": round(p99, 3), "clean_max": round(top, 3),
            "small_over_p99": f"{sum(r[key] > p99 for r in small)} of {len(small)}",
            "small_over_max": f"{sum(r[key] > top for r in small)} of {len(small)}",
            "large_over_p99": f"{sum(r[key] > p99 for r in large)} of {len(large)}",
            "small_own_circle_over_max": f"{sum(r[f'{key}_oracle'] > top for r in small)} of {len(small)}",
            "small_own_circle_median": round(float(np.median([r[f"{key}_oracle"] for r in small])), 3),
            "auc_transplants": round(auc([r[key] for r in transplants], list(values)), 3),
            "auc_small": round(auc([r[key] for r in small], list(values)), 3),
            "clean_top3": [[r["file"], r[key]] for r in sorted(clean, key=lambda r: -r[key])[:3]],
            "clean_max_by_source": {s: round(max(r[key] for r in clean if r["family"] == s), 3)
                                    for s in sorted({r["family"] for r in clean})},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attacked", required=True, type=Path, help="make_attacked_set.py --split val folder")
    parser.add_argument("--sources", required=True, type=Path, help="make_source_variants.py --split val folder")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.time()
    jobs = [(str(args.attacked), r["file"], r["family"], r["source"]) for r in csv.DictReader(open(args.attacked / "labels.csv"))
            if r["family"] in ("clean", "transplant")]
    jobs += [(str(args.sources), r["file"], r["family"], None) for r in csv.DictReader(open(args.sources / "labels.csv"))]
    with Pool(args.jobs) as pool:
        rows = []
        for row in pool.imap(measure, jobs):
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {
        "what": "VAL only: the blend seam's whole-ring statistic on four per-pixel noise estimates; clean stored images "
                "and clean images through simulated sources against val transplants (all: blind search; oracle: the "
                "paste's own circle)",
        "clean": sum(r["family"] != "transplant" for r in rows), "transplants": sum(r["family"] == "transplant" for r in rows),
        "summary": summarise(rows), "rows": rows, "seconds": round(time.time() - started),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1), flush=True)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
