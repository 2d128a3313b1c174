"""Rounds every image of an attacked set to the 8-bit grid of its source, as a forger delivering an 8-bit file would:

    /usr/bin/python3 models/train/requantise_set.py --in DIR --out DIR

Clean and attacked images stay 16-bit PNG (value * 257) so the format tells nothing; only the attacks' sub-8-bit
detail is lost. Measures how much of the guard's detection rests on attacked pixels leaving the 8-bit grid.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--in", dest="source", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(args.source / "labels.csv", args.out / "labels.csv")
    count = 0
    for path in sorted(args.source.glob("*.png")):
        values = np.asarray(Image.open(path), dtype=np.float64)
        on_grid = np.clip(np.round(values / 257), 0, 255) * 257
        Image.fromarray(on_grid.astype(np.uint16), mode="I;16").save(args.out / path.name)
        count += 1
    print(f"requantised {count} images to the 8-bit grid in {args.out}")


if __name__ == "__main__":
    main()
