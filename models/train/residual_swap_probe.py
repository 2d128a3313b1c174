"""Probe: the whole guard on VAL folders with another residual detector swapped in, from cadguard-eval results.

    node bin/cadguard-eval.mjs --images DIR --labels DIR/labels.csv --out DIR.json --backend wasm   (each folder,
        and the calibration folder of evaluate_guard.sh)
    /usr/bin/python3 models/train/residual_swap_probe.py --models TRIAL_DIR \
        --calibration CAL.json CAL_DIR  DIR.json DIR [DIR2.json DIR2 ...]

The other signals keep the values cadguard-eval computed; the residual detector's score is recomputed torch-side from
TRIAL_DIR's manifest and ONNX (attacks/onnx_torch.py, on preprocess.py's tensor: the SDK's value to about 1e-6), or
kept when --models is left out (the shipped detector, as a baseline). The calibration is then redone on the clean
calibration rows as bin/lib/calibration.mjs does it (each signal's exponential tail above its 75th percentile, the
largest z fused, the 1 % threshold extrapolated from the fused tail when the sample is too small), and each family of
each folder gets how many images reach `suspicious` and how many CAD flips (the SDK's decision against the clean
original's in the same results) pass. It compared training recipes of the residual detector on val before one was
shipped (models/train/README.md); it costs one detector run per image, no browser.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.diffprep import exact_tensor  # noqa: E402
from attacks.onnx_torch import ShippedDetector  # noqa: E402
from detector_val_probe import SIZE, read_image  # noqa: E402

SIGNALS = ("squeeze", "noise", "texture", "seam", "seamEdge", "residual", "content")


def load(results: Path, folder: Path, detector) -> list[dict]:
    """cadguard-eval rows of one folder with their labels.csv row, the residual value replaced when a detector is given."""
    labels = {row["file"]: row for row in csv.DictReader(open(folder / "labels.csv", newline=""))}
    rows = json.loads(results.read_text())["rows"]
    for row in rows:
        row["label_row"] = labels[row["file"]]
        if detector is not None:
            with torch.no_grad():
                tensor = torch.from_numpy(exact_tensor(read_image(folder / row["file"]), SIZE)["tensor"])[None, None]
                row["signals"]["residual"] = float(detector(tensor)[0][0])
    return rows


def tail_scale(values: np.ndarray) -> tuple[float, float]:
    """calibration.mjs tailScale: z = -log10 of the exponential tail share above the 75th percentile."""
    start = float(np.quantile(values, 0.75))
    excess = values[values > start] - start
    scale = max((excess.mean() if excess.size else 0.0) * math.log(10), 1e-6, abs(start) * 1e-3)
    return start - scale / math.log(10) * math.log(4), scale


def fused(rows: list[dict], scales: dict) -> np.ndarray:
    return np.array([max((r["signals"][s] - scales[s][0]) / scales[s][1] for s in SIGNALS) for r in rows])


def suspicious_threshold(clean: np.ndarray, rate: float = 0.01) -> float:
    """calibration.mjs thresholdAt: the empirical threshold, raised to the fused tail's extrapolation on a small sample."""
    descending = np.sort(clean)[::-1]
    empirical = descending[int(math.floor(rate * clean.size))] + 1e-9
    if clean.size >= math.ceil(3 / rate):
        return float(empirical)
    start = float(np.quantile(clean, 0.9))
    tail = start + (clean[clean > start] - start).mean() * math.log(0.1 / rate)
    return float(max(empirical, tail))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=None, help="manifest + detector.onnx to swap in (default: keep)")
    parser.add_argument("--calibration", type=Path, nargs=2, required=True, metavar=("RESULTS", "FOLDER"))
    parser.add_argument("sets", type=Path, nargs="+", help="RESULTS FOLDER pairs")
    args = parser.parse_args()
    if len(args.sets) % 2:
        parser.error("sets come in RESULTS FOLDER pairs")
    torch.set_num_threads(2)
    detector = ShippedDetector(args.models).eval() if args.models else None

    calibration = load(*args.calibration, detector)
    scales = {s: tail_scale(np.array([r["signals"][s] for r in calibration])) for s in SIGNALS}
    threshold = suspicious_threshold(fused(calibration, scales))
    print(f"detector {detector.sha256[:12] if detector else 'as evaluated'}: suspicious threshold {threshold:.2f} "
          f"({len(calibration)} clean calibration images)")
    groups: dict[str, list[tuple[dict, bool]]] = {}
    for results, folder in zip(args.sets[::2], args.sets[1::2]):
        rows = load(results, folder, detector)
        clean = {r["file"]: r for r in rows if not r["tampered"]}
        for r in rows:
            label = r["label_row"]
            if r["tampered"]:
                key = label["family"] + (f" {label['eps']}/255" if label["eps"] else "")
                original = clean.get(label["source"])
                groups.setdefault(key, []).append((r, original is not None and original["positive"] != r["positive"]))
            else:
                source = label["family"] if label["family"] not in ("", "clean") else folder.name
                groups.setdefault(f"clean: {source}", []).append((r, False))
    for key, items in sorted(groups.items()):
        flagged = fused([r for r, _ in items], scales) >= threshold
        flips = np.array([flip for _, flip in items])
        print(f"  {key:32s} n {len(items):3d}  flagged {int(flagged.sum()):3d}  flips {int(flips.sum()):3d}  "
              f"flipped and passed {int((flips & ~flagged).sum()):2d}")


if __name__ == "__main__":
    main()
