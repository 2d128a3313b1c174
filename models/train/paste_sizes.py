"""Which content manipulations the guard flags, by the size of the change: reads a folder of make_attacked_set.py
(its labels.csv) and cadguard-eval's results on it, measures each manipulated image's changed region against its
clean original (the pixels that differ), and prints, per size band, how many the guard flagged and the range of one
signal.

    /usr/bin/python3 models/train/paste_sizes.py --folder DIR --results R.json [--family transplant] [--signal seam]
        [--bands 40,80]

The radius is half the changed region's larger extent over 1.2 (a transplant's soft disk reaches 1.2 times the
pasted radius), in the image's own pixels; the bands split at the given radii. The clean images of the folder give
the signal's clean range for comparison. Prints only (nothing is written); the folder is research-only data.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
from PIL import Image


def changed_radius(image: Path, source: Path) -> float:
    """Half the larger extent of the pixels that differ from the clean original, over 1.2 (0 when none differ)."""
    a = np.asarray(Image.open(image)).astype(np.int64)
    b = np.asarray(Image.open(source)).astype(np.int64)
    ys, xs = np.nonzero(a != b)
    if ys.size == 0:
        return 0.0
    return float(max(np.ptp(ys), np.ptp(xs)) + 1) / 2 / 1.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", required=True, type=Path)
    parser.add_argument("--results", required=True, type=Path, help="cadguard-eval --out JSON for the same folder")
    parser.add_argument("--family", default="transplant")
    parser.add_argument("--signal", default="seam")
    parser.add_argument("--bands", default="40,80", help="radii (px) where the size bands split")
    args = parser.parse_args()
    rows = {r["file"]: r for r in json.loads(args.results.read_text())["rows"]}
    labels = list(csv.DictReader(open(args.folder / "labels.csv")))
    clean = [rows[l["file"]]["signals"].get(args.signal) for l in labels if l["tampered"] == "0" and l["file"] in rows]
    clean = [v for v in clean if v is not None]
    edges = [0.0] + [float(b) for b in args.bands.split(",")] + [float("inf")]
    bands: list[list[tuple[float, bool, float]]] = [[] for _ in edges[:-1]]
    for label in labels:
        if label.get("family") != args.family or label["file"] not in rows:
            continue
        row = rows[label["file"]]
        radius = changed_radius(args.folder / label["file"], args.folder / label["source"])
        k = next(i for i in range(len(edges) - 1) if edges[i] <= radius < edges[i + 1])
        bands[k].append((radius, row["verdict"] != "pass", row["signals"].get(args.signal, float("nan"))))
    print(f"{args.family} in {args.folder} ({sum(map(len, bands))} images); clean {args.signal} "
          f"{min(clean):.2f}-{max(clean):.2f} over {len(clean)} clean images")
    print(f"| radius (px) | n | flagged | {args.signal} |")
    print("| --- | --- | --- | --- |")
    for (low, high), band in zip(zip(edges, edges[1:]), bands):
        if not band:
            continue
        values = [v for _, _, v in band]
        radii = [r for r, _, _ in band]
        print(f"| {low:.0f}-{high:.0f} (found {min(radii):.0f}-{max(radii):.0f}) | {len(band)} | "
              f"{sum(f for _, f, _ in band)} | {min(values):.2f}-{max(values):.2f} |")


if __name__ == "__main__":
    main()
