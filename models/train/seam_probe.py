"""Probe: does a blended lesion transplant leave a seam the guard can find?

A transplant (attacks/content.transplant) pastes a donor patch with a soft disk: in the feather, where the weight w
runs from 1 to 0, the result is w * donor + (1 - w) * target, and two independent noises mixed that way keep
w^2 + (1 - w)^2 of their variance: half in the middle of the feather. This probe measures that ring of lower noise on
VAL images with the transplant's own circle known (an oracle): the ratio of the mean |3x3 noise residual| in the
feather's middle 60 % to that in the bands just inside and outside it, for the transplanted image and for the clean
image at the same place. It is the study behind the SDK's blind search for such rings (src/detect/blend-seam.ts,
signal `seam`), which does not know where to look. A forger who knows of it adds noise shaped to the feather, of
variance 1 - w^2 - (1 - w)^2 times the target's: the `compensated` rows measure that the ring then goes.

    /usr/bin/python3 models/train/seam_probe.py      (about 30 s)
Writes results/seam_probe.json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.content import _noise_sigma, lesion_donors, lesion_rows, quantise8, transplant  # noqa: E402
from attacks.diffprep import DisplayToTensor  # noqa: E402
from attacks.suite import load_display, load_mias  # noqa: E402
from metrics import auc  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "seam_probe.json"
SPLIT = Path(__file__).resolve().parent / "split.json"
SEED = 5
LAPLACE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], float)


def residual(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|3x3 noise residual| and where it is valid (no clipped pixel among its taps)."""
    res = np.abs(ndimage.convolve(img, LAPLACE, mode="nearest"))
    ok = ndimage.minimum_filter(((img > 0.02) & (img < 0.98)).astype(float), 3)
    return res, ok


def paste_radius(region: np.ndarray) -> float:
    """The paste's radius: that of a disk with the area where its weight is 1."""
    return float(np.sqrt((region >= 0.999).sum() / np.pi))


def oracle_ratio(img: np.ndarray, region: np.ndarray) -> float:
    """Feather middle / neighbouring bands, mean |residual|, at the transplant's own circle (`region`: soft disk)."""
    yy, xx = np.nonzero(region >= 0.999)
    cy, cx, r = yy.mean(), xx.mean(), np.sqrt(len(yy) / np.pi)
    f = 0.4 * r
    h, w = img.shape
    d = np.hypot(*np.mgrid[0:h, 0:w] - np.array([cy, cx])[:, None, None])
    feather = (d > r + 0.2 * f) & (d < r + 0.8 * f)
    bands = ((d > r - f) & (d < r)) | ((d > r + f) & (d < r + 2 * f))
    res, ok = residual(img)
    return float(res[feather & (ok > 0)].mean() / res[bands & (ok > 0)].mean())


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    started = time.time()
    val = sorted(json.loads(SPLIT.read_text())["val"])
    images, circles = load_mias()
    rng = np.random.default_rng(SEED)
    donors = lesion_donors(val, images, circles)
    rows = []
    for ref in val:
        if images[ref]["label"] != "normal":
            continue
        clean = load_display(ref, images)
        donor = donors[int(rng.integers(len(donors)))]
        donor_img = load_display(donor, images)
        args = (clean, donor_img, lesion_rows(circles[donor], clean.shape[0])[0], DisplayToTensor(clean, 512).flipped,
                DisplayToTensor(donor_img, 512).flipped)
        before = rng.bit_generator.state
        pasted, region = transplant(*args, rng)
        after = rng.bit_generator.state
        # The same paste (same random draws), unquantised, plus noise that restores the feather's variance; 8 bits.
        rng.bit_generator.state = before
        raw, _ = transplant(*args, rng, at_8_bits=False)
        rng.bit_generator.state = after
        # The target's noise level just outside the paste, as attacks/content.py measures it.
        reach = ndimage.binary_dilation(region > 0, iterations=max(2, int(0.5 * paste_radius(region))))
        sigma = _noise_sigma(clean.astype(np.float64), reach & (region == 0))
        lost = np.clip(1 - region ** 2 - (1 - region) ** 2, 0, None)
        forger = np.random.default_rng([SEED, len(rows)])
        compensated = quantise8(np.clip(raw + forger.normal(0.0, 1.0, raw.shape) * sigma * np.sqrt(lost), 0, 1))
        row = {"ref": ref, "donor": donor, "radius": round(paste_radius(region), 1),
               "oracle_clean": round(oracle_ratio(clean.astype(float), region), 4),
               "oracle_transplant": round(oracle_ratio(pasted.astype(float), region), 4),
               "oracle_compensated": round(oracle_ratio(compensated, region), 4)}
        rows.append(row)
        print(json.dumps(row), flush=True)

    clean = np.array([r["oracle_clean"] for r in rows])
    pasted = np.array([r["oracle_transplant"] for r in rows])
    result = {
        "what": "VAL normal mini-MIAS images, each with one lesion transplanted from a val abnormal image "
                "(attacks/content.transplant, 8-bit); the noise ratio of the feather's middle to its neighbouring bands "
                "at the transplant's own circle, transplanted against clean (lower: transplant)",
        "n": len(rows),
        "auc": round(auc(np.r_[-clean, -pasted], np.r_[np.zeros(len(clean)), np.ones(len(pasted))]), 4),
        "clean_range": [round(float(clean.min()), 3), round(float(clean.max()), 3)],
        "transplant_range": [round(float(pasted.min()), 3), round(float(pasted.max()), 3)],
        "transplant_median": round(float(np.median(pasted)), 3),
        "compensated_range": [round(float(min(r["oracle_compensated"] for r in rows)), 3),
                              round(float(max(r["oracle_compensated"] for r in rows)), 3)],
        "compensated_auc": round(auc(np.r_[-clean, -np.array([r["oracle_compensated"] for r in rows])],
                                     np.r_[np.zeros(len(clean)), np.ones(len(rows))]), 4),
        "rows": rows, "seconds": round(time.time() - started),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}), flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
