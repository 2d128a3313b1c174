"""Write clean and attacked versions of one split's mammograms as 16-bit PNGs plus labels.csv for cadguard-eval.

    /usr/bin/python3 models/train/make_attacked_set.py --split test --out /tmp/cadguard-attacked-test [--limit N]
        [--families fgsm,pgd_linf,pgd_l2,mi_fgsm,cw_l2,square,transplant,removal,gan_removal,gan_grain_removal]
        [--square-queries 200]
        [--add]   (into an existing folder: only the given families are (re)made, every other row is kept)

Clean images are written as value*257 and attacked ones as round(value*65535), so both share format and bit depth.
labels.csv: file,label,tampered,source,family,eps,direction,flipped_torch (eps: /255 for L-inf families, the
whole-image L2 norm in display units for pgd_l2/cw_l2, empty for content manipulation). flipped_torch is the
classifier's decision in torch on the WRITTEN attacked image, preprocessed by preprocess.py from scratch.
mini-MIAS is research-only: --out must lie outside the repository.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.content import lesion_donors  # noqa: E402
from attacks.onnx_torch import ShippedClassifier  # noqa: E402
from attacks.suite import ALL_FAMILIES, CONTENT_FAMILIES, ImageAttacker, decision_after, load_display, load_mias  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SPLIT_PATH = Path(__file__).resolve().parent / "split.json"
COLUMNS = ["file", "label", "tampered", "source", "family", "eps", "direction", "flipped_torch"]


def select(refnums: list[str], images: dict, limit: int | None) -> list[str]:
    """Deterministic subset alternating normal / abnormal images (so a short run still has both directions)."""
    normal = [r for r in sorted(refnums) if images[r]["label"] == "normal"]
    abnormal = [r for r in sorted(refnums) if images[r]["label"] != "normal"]
    order = []
    for i in range(max(len(normal), len(abnormal))):
        order += ([abnormal[i]] if i < len(abnormal) else []) + ([normal[i]] if i < len(normal) else [])
    return order[:limit] if limit else order


def to_png16(display: np.ndarray, path: Path, clean: bool) -> np.ndarray:
    """Writes the 16-bit PNG and returns the display values it really holds."""
    if clean:
        values = np.round(display.astype(np.float64) * 255.0).astype(np.uint16) * 257
    else:
        values = np.round(np.clip(display.astype(np.float64), 0, 1) * 65535.0).astype(np.uint16)
    Image.fromarray(values, mode="I;16").save(path)
    return (values.astype(np.float64) / 65535.0).astype(np.float32)


def attack_image(attacker: ImageAttacker, refnum: str, images: dict, circles: dict, donors: list[str],
                 families: list[str], square_queries: int) -> list:
    results = attacker.gradient_family(families)
    if "square" in families:
        results.append(attacker.square(square_queries))
    results += attacker.content(refnum, images, circles, donors, families)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["train", "val", "test"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--families", default=",".join(ALL_FAMILIES))
    parser.add_argument("--limit", type=int, default=None, help="first N images of the split (alternating normal/abnormal)")
    parser.add_argument("--square-queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--add", action="store_true",
                        help="keep the folder's rows of other families and (re)make only --families (same seeds, same clean files)")
    args = parser.parse_args()
    out = args.out.resolve()
    if out == REPO or REPO in out.parents:
        raise SystemExit(f"--out {out} lies inside the repository; mini-MIAS images (and attacked copies) must stay outside it")
    families = [f for f in args.families.split(",") if f]
    unknown = sorted(set(families) - set(ALL_FAMILIES))
    if unknown:
        raise SystemExit(f"unknown families {unknown}; allowed: {','.join(ALL_FAMILIES)}")
    torch.set_num_threads(2)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    classifier = ShippedClassifier()
    classifier.check_validation()
    images, circles = load_mias()
    split = json.loads(SPLIT_PATH.read_text())[args.split]
    chosen = select(split, images, args.limit)
    donors = lesion_donors(split, images, circles)
    rows, per_image = [], []
    kept: list[list[str]] = []
    if args.add and not (out / "labels.csv").exists():
        raise SystemExit(f"--add: no {out / 'labels.csv'} yet; run once without --add")
    if args.add:
        with open(out / "labels.csv", newline="") as f:
            kept = [r for r in list(csv.reader(f))[1:] if r[4] not in families]
        # The clean rows stay first and complete, so an interrupted --add still leaves a consistent folder.
        rows = [r for r in kept if r[4] == "clean"]
        kept = [r for r in kept if r[4] != "clean"]
        previous = json.loads((out / "attacked_set.json").read_text()) if (out / "attacked_set.json").exists() else {}
    kept_clean = {r[0] for r in rows}
    for k, refnum in enumerate(chosen):
        t0 = time.time()
        clean = load_display(refnum, images)
        label = images[refnum]["label"]
        clean_name = f"{refnum}.png"
        clean_written = to_png16(clean, out / clean_name, clean=True)
        if args.add and clean_name not in kept_clean:
            raise SystemExit(f"--add: {clean_name} is not in {out / 'labels.csv'}; run once without --add")
        if not args.add:
            rows.append([clean_name, label, 0, clean_name, "clean", "", "", ""])
        attacker = ImageAttacker(classifier, clean_written, seed=args.seed * 100003 + int(refnum[3:]))
        results = attack_image(attacker, refnum, images, circles, donors, families, args.square_queries)
        names, written = [], []
        for j, r in enumerate(results):
            eps = "" if r.eps is None else f"{r.eps:g}"
            name = f"{refnum}_{r.family}{'_' + eps if r.family == 'pgd_linf' else ''}.png"
            written.append(to_png16(r.display, out / name, clean=False))
            names.append(name)
        scores, _ = decision_after(classifier, written) if written else (np.zeros(0), [])
        for r, name, s in zip(results, names, scores):
            positive = s >= classifier.threshold
            flipped = positive != attacker.positive if r.family not in CONTENT_FAMILIES else (
                positive if r.direction == "neg2pos" else not positive) and (positive != attacker.positive)
            eps = "" if r.eps is None else f"{r.eps:g}"
            rows.append([name, label, 1, clean_name, r.family, eps, r.direction, int(bool(flipped))])
        per_image.append(time.time() - t0)
        print(f"[{k + 1}/{len(chosen)}] {refnum} {label} {attacker.direction} {len(results)} attacks "
              f"{per_image[-1]:.0f}s", flush=True)
        with open(out / "labels.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
            writer.writerows(kept)
        # Rewritten after every image, so an interrupted run still describes the (consistent) part it wrote.
        info = {"split": args.split, "images": k + 1, "images_requested": len(chosen), "complete": k + 1 == len(chosen),
                "families": families, "square_queries": args.square_queries,
                "classifier_sha256": classifier.sha256, "threshold": classifier.threshold,
                "seconds_total": round(time.time() - started, 1),
                "seconds_per_image_mean": round(float(np.mean(per_image)), 1), "torch_threads": 2}
        if args.add:
            info = {**previous, "added": {**previous.get("added", {}), **{f: info for f in families}},
                    "families": sorted(set(previous.get("families", [])) | set(families), key=ALL_FAMILIES.index)}
        (out / "attacked_set.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
