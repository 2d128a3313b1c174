"""Probe: the residual detector (role "detector") on VAL images, per PGD eps, under added noise, and per source.

    /usr/bin/python3 models/train/make_attacked_set.py --split val --out /tmp/cadguard-val-pgd --families pgd_linf
    /usr/bin/python3 models/train/make_source_variants.py --split val --out /tmp/cadguard-val-sources
    /usr/bin/python3 models/train/detector_val_probe.py --attacked /tmp/cadguard-val-pgd \
        [--sources /tmp/cadguard-val-sources] [--models models]

Torch-side, from the manifest's ONNX file (attacks/onnx_torch.py), on the classifier's tensor (preprocess.py). The
threshold is the 99th percentile ('higher') of the clean val images' scores, the detector's own rule. Prints, per
PGD eps, the 5th/10th percentile and median scores and how many reach the threshold; the scores of 20 clean
val images with uniform noise of +-2, 4, 8/255 added on the breast (noise must not pass for "clean" any more than
for "tampered"); and, with --sources, how many clean val images of each simulated source reach the threshold.
models/train/README.md says what it showed (it chose the shipped training recipe).
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.diffprep import exact_tensor  # noqa: E402
from attacks.onnx_torch import ShippedDetector  # noqa: E402
from noise_masking_probe import uniform_noise  # noqa: E402

SIZE = 512


def read_image(path: Path) -> np.ndarray:
    """Display values of a make_attacked_set / make_source_variants file (16-bit PNG, or an 8-bit JPEG source)."""
    a = np.asarray(Image.open(path))
    return (a.astype(np.float64) / (255.0 if a.dtype == np.uint8 else 65535.0)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attacked", type=Path, required=True)
    parser.add_argument("--sources", type=Path, default=None)
    parser.add_argument("--models", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    torch.set_num_threads(2)
    detector = ShippedDetector(args.models).eval()

    def score(display: np.ndarray) -> float:
        with torch.no_grad():
            return float(detector(torch.from_numpy(exact_tensor(display, SIZE)["tensor"])[None, None])[0][0])

    groups: dict[str, list[float]] = {}
    clean_files = []
    for row in csv.DictReader(open(args.attacked / "labels.csv", newline="")):
        key = "clean" if row["family"] == "clean" else f"{row['family']} {row['eps']}/255"
        groups.setdefault(key, []).append(score(read_image(args.attacked / row["file"])))
        if row["family"] == "clean":
            clean_files.append(row["file"])
    clean = np.array(groups["clean"])
    threshold = float(np.quantile(clean, 0.99, method="higher"))
    print(f"detector {detector.sha256[:12]}: clean val n {clean.size}, median {np.median(clean):.3f}, "
          f"99th percentile {threshold:.3f}")
    for key, values in sorted(groups.items()):
        s = np.array(values)
        print(f"  {key:18s} n {s.size:3d}  p5 {np.percentile(s, 5):.3f}  p10 {np.percentile(s, 10):.3f}  "
              f"median {np.median(s):.3f}  at or above {int((s >= threshold).sum())}")

    rng = np.random.default_rng(0)
    for amplitude in (2, 4, 8):
        s = []
        for name in clean_files[:20]:
            a = read_image(args.attacked / name)
            s.append(score(uniform_noise(a, amplitude, rng)))
        print(f"  uniform noise +-{amplitude}/255 on 20 clean: median {np.median(s):.3f}, at or above {int((np.array(s) >= threshold).sum())}")

    if args.sources:
        by_source: dict[str, list[float]] = {}
        for row in csv.DictReader(open(args.sources / "labels.csv", newline="")):
            by_source.setdefault(row["family"], []).append(score(read_image(args.sources / row["file"])))
        total = 0
        for source, values in sorted(by_source.items()):
            s = np.array(values)
            total += int((s >= threshold).sum())
            print(f"  source {source:26s} n {s.size}  median {np.median(s):.3f}  max {s.max():.3f}  at or above {int((s >= threshold).sum())}")
        print(f"  sources: {total} of {sum(len(v) for v in by_source.values())} at or above the clean val 99th percentile")


if __name__ == "__main__":
    main()
