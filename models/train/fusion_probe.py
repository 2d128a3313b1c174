"""Probe: other ways to fuse the calibrated signals than the largest z, on VAL folders, from cadguard-eval results.

    node bin/cadguard-eval.mjs --images DIR --labels DIR/labels.csv --out DIR.json --backend wasm   (each folder,
        and the calibration folder of evaluate_guard.sh)
    /usr/bin/python3 models/train/fusion_probe.py --calibration CAL.json CAL_DIR  DIR.json DIR [DIR2.json DIR2 ...]

Each signal keeps the z the calibration gives it (bin/lib/calibration.mjs: exponential tail above the 75th
percentile); only the fusion of the z's changes, and each rule gets its own suspicious threshold from the clean
calibration rows the way calibration.mjs sets it. Clean rows of the sets that are calibration images are counted apart
(in-sample). Leave one source out: for each source of the calibration folder (the part of a file name after the
patient, `mdb023_archived-16bit.png`), the scales and threshold are set on the other sources and the false positives
counted on the held-out source plus every clean row of the sets that is not a calibration image: what a scanner the
calibration never saw would meet. Writes results/fusion_probe.json; no browser, a few seconds.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from residual_swap_probe import SIGNALS, load, suspicious_threshold, tail_scale

RESULTS = Path(__file__).resolve().parent / "results" / "fusion_probe.json"


def top(z: np.ndarray, k: int) -> np.ndarray:
    return np.sort(z, axis=1)[:, -k:].sum(1)


# z: [images, signals]. The shipped rule is "max"; the others let two or more moderate signals add up.
RULES = {
    "max": lambda z: z.max(1),
    "sum of z > 0 (Fisher)": lambda z: np.clip(z, 0, None).sum(1),
    "sum of z - 1 > 0": lambda z: np.clip(z - 1, 0, None).sum(1),
    "top 2": lambda z: top(z, 2),
    "top 3": lambda z: top(z, 3),
    "max or top 2 / 1.5": lambda z: np.maximum(z.max(1), top(z, 2) / 1.5),
}


def z_of(rows: list[dict], scales: dict) -> np.ndarray:
    return np.array([[(r["signals"][s] - scales[s][0]) / scales[s][1] for s in SIGNALS] for r in rows])


def source_of(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    return stem.split("_", 1)[1] if "_" in stem else "stored"


def calibrated(rows: list[dict], rule) -> tuple[dict, float]:
    scales = {s: tail_scale(np.array([r["signals"][s] for r in rows])) for s in SIGNALS}
    return scales, suspicious_threshold(rule(z_of(rows, scales)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calibration", type=Path, nargs=2, required=True, metavar=("RESULTS", "FOLDER"))
    parser.add_argument("sets", type=Path, nargs="+", help="RESULTS FOLDER pairs")
    args = parser.parse_args()
    if len(args.sets) % 2:
        parser.error("sets come in RESULTS FOLDER pairs")
    calibration = load(*args.calibration, None)
    in_calibration = {r["file"] for r in calibration}
    groups: dict[str, dict[str, dict]] = {}
    for results, folder in zip(args.sets[::2], args.sets[1::2]):
        for r in load(results, folder, None):
            label = r["label_row"]
            if r["tampered"]:
                key = label["family"] + (f" {label['eps']}/255" if label["family"] == "pgd_linf" else "")
            else:
                key = "clean, calibration images (in-sample)" if r["file"] in in_calibration else "clean, not in calibration"
            groups.setdefault(key, {})[r["file"]] = r   # a file in two folders counts once
    unseen = list(groups.get("clean, not in calibration", {}).values())
    sources = sorted({source_of(r["file"]) for r in calibration})
    report = {"calibration_images": len(calibration), "signals": SIGNALS, "rules": {}}
    for name, rule in RULES.items():
        scales, threshold = calibrated(calibration, rule)
        row = {"threshold": round(threshold, 3), "flagged": {}}
        for key, items in sorted(groups.items()):
            values = rule(z_of(list(items.values()), scales))
            row["flagged"][key] = [int((values >= threshold).sum()), len(items)]
        held_flagged, held_n = 0, 0
        for source in sources:
            rest = [r for r in calibration if source_of(r["file"]) != source]
            held = [r for r in calibration if source_of(r["file"]) == source] + unseen
            s, t = calibrated(rest, rule)
            held_flagged += int((rule(z_of(held, s)) >= t).sum())
            held_n += len(held)
        row["leave_one_source_out"] = [held_flagged, held_n]
        attacked = [v for k, v in row["flagged"].items() if not k.startswith("clean")]
        row["attacked_flagged"] = [sum(v[0] for v in attacked), sum(v[1] for v in attacked)]
        report["rules"][name] = row
        print(f"{name:24s} threshold {threshold:5.2f}  attacked {row['attacked_flagged'][0]}/{row['attacked_flagged'][1]}  "
              f"clean out of calibration {row['flagged'].get('clean, not in calibration', [0, 0])[0]}/{len(unseen)}  "
              f"leave one source out {held_flagged}/{held_n}")
        print("    " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in row["flagged"].items() if not k.startswith("clean")))
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
