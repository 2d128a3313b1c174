"""Writes a cadguard-eval labels CSV for one split of mini-MIAS, pointing at the images where they are:

    /usr/bin/python3 models/train/split_labels.py --split test > /tmp/mias-test.csv
    node bin/cadguard-eval.mjs --images ../shared/data/mias --labels /tmp/mias-test.csv --out /tmp/mias-test.json

The model card's test figures are reproduced by the SDK this way, on both backends (docs/eval.md).
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import ensure_split, load_labels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["train", "val", "test"], required=True)
    args = parser.parse_args()
    images, _ = load_labels()
    chosen = set(ensure_split(images)[args.split])
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["file", "label"])
    for im in images:
        if im["refnum"] in chosen:
            writer.writerow([im["file"], im["label"]])


if __name__ == "__main__":
    main()
