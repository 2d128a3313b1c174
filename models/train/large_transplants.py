"""Probe folder: larger lesion transplants than the truth table gives, for the blend-seam design.

The split's own transplants (make_attacked_set.py) take the donor lesion's truth-table radius, mostly under 30 px on
val, so they say little about large pastes, whose ring often crosses the skin line. This writes, for every normal
image of the split, the clean image and two transplants (attacks/content.transplant, the same blend and noise match)
of a donor lesion of the same split with its radius drawn from 45-80 px and from 80-130 px, at 8-bit levels like
the source, written as the attacked test set writes them (make_attacked_set.to_png16), with labels.csv for
cadguard-eval (families `transplant_r45-80`, `transplant_r80-130`). Research-only data (mini-MIAS): keep it out of
the repository.

    /usr/bin/python3 models/train/large_transplants.py --out /tmp/cadguard-large-transplants   (about 30 s)
    node bin/cadguard-eval.mjs --images DIR --labels DIR/labels.csv --out RESULTS.json --backend wasm
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.content import lesion_donors, lesion_rows, transplant  # noqa: E402
from attacks.diffprep import DisplayToTensor  # noqa: E402
from attacks.suite import load_display, load_mias  # noqa: E402
from make_attacked_set import to_png16  # noqa: E402

SPLIT = Path(__file__).resolve().parent / "split.json"
RADII = ((45, 80), (80, 130))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", default="val", choices=("val", "test"))
    parser.add_argument("--seed", type=int, default=1606)
    args = parser.parse_args()
    refs = sorted(json.loads(SPLIT.read_text())[args.split])
    images, circles = load_mias()
    rng = np.random.default_rng(args.seed)
    donors = lesion_donors(refs, images, circles)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = ["file,label,tampered,source,family"]
    for ref in refs:
        if images[ref]["label"] != "normal":
            continue
        clean = load_display(ref, images)
        to_png16(clean, args.out / f"{ref}.png", clean=True)
        rows.append(f"{ref}.png,normal,0,{ref}.png,clean")
        for k, (low, high) in enumerate(RADII):
            donor = donors[int(rng.integers(len(donors)))]
            donor_image = load_display(donor, images)
            row, col, _ = lesion_rows(circles[donor], clean.shape[0])[0]
            radius = int(rng.integers(low, high))
            pasted, _ = transplant(clean, donor_image, (row, col, radius), DisplayToTensor(clean, 512).flipped,
                                   DisplayToTensor(donor_image, 512).flipped, rng)
            name = f"{ref}_large{k}.png"
            to_png16(pasted, args.out / name, clean=False)
            rows.append(f"{name},normal,1,{ref}.png,transplant_r{low}-{high}")
    (args.out / "labels.csv").write_text("\n".join(rows) + "\n")
    print(f"{len(rows) - 1} images in {args.out}")


if __name__ == "__main__":
    main()
