"""Probe: does plain added noise hide a PGD perturbation from the guard? (VAL images; no gradient, no queries)

    /usr/bin/python3 models/train/make_attacked_set.py --split val --out /tmp/cadguard-val-pgd --families pgd_linf
    /usr/bin/python3 models/train/noise_masking_probe.py --write /tmp/cadguard-val-noise --from /tmp/cadguard-val-pgd
    node bin/cadguard-eval.mjs --images /tmp/cadguard-val-noise --labels /tmp/cadguard-val-noise/labels.csv \
        --out /tmp/cadguard-val-noise.json --backend wasm
    /usr/bin/python3 models/train/noise_masking_probe.py --report /tmp/cadguard-val-noise.json --from /tmp/cadguard-val-noise

--write copies the clean val images and their PGD L-inf 1/255 and 2/255 versions, and adds to each PGD image uniform
noise of +-4/255 and +-8/255 on the breast (display values above 0.02), as a forger could after the attack: an
earlier residual detector, trained with noise on clean images only, read noise as clean (models/train/README.md),
and whole-image noise also evens out the noise-consistency signal. --report prints, per recipe, how many CAD decisions are flipped (against
the clean image's decision in the same run), how many images the guard flags, and how many flipped ones pass.
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

AMPLITUDES = (4, 8)
EPS = ("1", "2")


def uniform_noise(display: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Uniform noise of +-amplitude/255 added on the breast (display values above 0.02), clipped to [0, 1]."""
    return np.clip(display + (rng.random(display.shape) * 2 - 1) * amplitude / 255 * (display > 0.02), 0, 1)


def write(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = list(csv.DictReader(open(source / "labels.csv", newline="")))
    written = []
    rng = np.random.default_rng(2)
    for row in rows:
        if row["family"] != "clean" and (row["family"] != "pgd_linf" or row["eps"] not in EPS):
            continue
        shutil.copy(source / row["file"], out / row["file"])
        written.append(row)
        if row["family"] == "clean":
            continue
        a = np.asarray(Image.open(source / row["file"])).astype(np.float64) / 65535
        for amplitude in AMPLITUDES:
            b = uniform_noise(a, amplitude, rng)
            name = row["file"].replace(".png", f"_noise{amplitude}.png")
            Image.fromarray(np.round(b * 65535).astype(np.uint16)).save(out / name)
            # flipped_torch is left empty: --report compares with the clean image's decision in the same SDK run.
            written.append({**row, "file": name, "family": f"pgd_linf+noise{amplitude}", "flipped_torch": ""})
    with open(out / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(written)
    print(f"wrote {len(written)} images to {out}")


def report(results: Path, folder: Path) -> None:
    by_file = {r["file"]: r for r in json.loads(results.read_text())["rows"]}
    rows = list(csv.DictReader(open(folder / "labels.csv", newline="")))
    clean = {r["file"].split(".")[0]: by_file[r["file"]] for r in rows if r["family"] == "clean"}
    print(f"clean images flagged: {sum(c['verdict'] != 'pass' for c in clean.values())} of {len(clean)}")
    groups = collections.defaultdict(list)
    for r in rows:
        if r["family"] == "clean":
            continue
        x, c = by_file[r["file"]], clean[r["file"].split("_")[0]]
        groups[(r["family"], r["eps"])].append((x["positive"] != c["positive"], x["verdict"] != "pass",
                                                x["signals"]["residual"], x["signals"]["noise"]))
    for (family, eps), v in sorted(groups.items()):
        flipped = sum(f for f, _, _, _ in v)
        flagged = sum(g for _, g, _, _ in v)
        passed = sum(f and not g for f, g, _, _ in v)
        print(f"{family:18s} {eps}/255  n {len(v)}  flipped {flipped}  flagged {flagged}  flipped and passed {passed}  "
              f"median residual {np.median([r for _, _, r, _ in v]):.3f}  median noise {np.median([n for _, _, _, n in v]):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()
    if args.write:
        write(args.source, args.write)
    if args.report:
        report(args.report, args.source)


if __name__ == "__main__":
    main()
