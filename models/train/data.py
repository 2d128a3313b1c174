"""mini-MIAS loading: labels, the fixed patient-level split, and the preprocessed tensor cache."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from PIL import Image

from preprocess import PREPROCESS_ID, preprocess_mammogram, source_to_tensor

MIAS_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "mias"
CACHE_DIR = Path("/tmp/cadguard-cache")
SPLIT_PATH = Path(__file__).resolve().parent / "split.json"
SPLIT_SEED = 1994
SEVERITY = {"normal": 0, "benign": 1, "malignant": 2}


def load_labels(mias_dir: Path = MIAS_DIR) -> tuple[list[dict], dict[str, list[tuple[int, int, int]]]]:
    """Image rows (refnum, file, label, patient) and lesion circles (x, y, radius; origin bottom-left) per refnum."""
    with open(mias_dir / "labels_images.csv", newline="") as f:
        images = [
            {"refnum": r["refnum"], "file": r["file"], "label": r["image_label"], "patient": int(r["patient"])}
            for r in csv.DictReader(f)
        ]
    circles: dict[str, list[tuple[int, int, int]]] = {}
    with open(mias_dir / "labels_rows.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["x"].strip().isdigit() and r["y"].strip().isdigit() and r["radius"].strip().isdigit():
                circles.setdefault(r["refnum"], []).append((int(r["x"]), int(r["y"]), int(r["radius"])))
    return images, circles


def make_split(images: list[dict], seed: int = SPLIT_SEED) -> dict:
    """60/20/20 split by patient, stratified by the patient's worst label (normal < benign < malignant)."""
    worst: dict[int, int] = {}
    for im in images:
        worst[im["patient"]] = max(worst.get(im["patient"], 0), SEVERITY[im["label"]])
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for stratum in sorted(set(worst.values())):
        patients = sorted(p for p, s in worst.items() if s == stratum)
        rng.shuffle(patients)
        n_val = round(0.2 * len(patients))
        n_test = round(0.2 * len(patients))
        parts["test"] += patients[:n_test]
        parts["val"] += patients[n_test:n_test + n_val]
        parts["train"] += patients[n_test + n_val:]
    split = {
        "method": f"patient-level, stratified by worst label, 60/20/20, numpy default_rng({seed})",
        "seed": seed,
    }
    for name, patients in parts.items():
        chosen = set(patients)
        split[name] = sorted(im["refnum"] for im in images if im["patient"] in chosen)
    return split


def ensure_split(images: list[dict]) -> dict:
    """Write split.json, or check that the committed one is what the seed reproduces."""
    split = make_split(images)
    if SPLIT_PATH.exists():
        saved = json.loads(SPLIT_PATH.read_text())
        if {k: saved.get(k) for k in ("train", "val", "test")} != {k: split[k] for k in ("train", "val", "test")}:
            raise SystemExit(f"{SPLIT_PATH} differs from the seeded split; delete it to regenerate")
    SPLIT_PATH.write_text(json.dumps(split, indent=1) + "\n")
    return split


def build_cache(images: list[dict], circles: dict, size: int, mias_dir: Path = MIAS_DIR) -> dict:
    """Preprocess every image once (cached under /tmp): tensors, masks and lesion circles in tensor pixels."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"mias-{PREPROCESS_ID}-{size}.npz"
    if path.exists():
        cached = np.load(path, allow_pickle=True)
        return {k: cached[k] for k in cached.files}
    tensors = np.zeros((len(images), size, size), dtype=np.float32)
    masks = np.zeros((len(images), size, size), dtype=np.uint8)
    lesions = []
    for i, im in enumerate(images):
        pixels = np.asarray(Image.open(mias_dir / im["file"]), dtype=np.float64)
        height = pixels.shape[0]
        res = preprocess_mammogram(pixels / 255.0, size)
        tensors[i], masks[i] = res["tensor"], res["mask"]
        mapped = []
        for x, y, radius in circles.get(im["refnum"], []):
            u, v = source_to_tensor(x, height - 1 - y, res["crop"], res["flipped"], size)
            mapped.append((u, v, radius * size / res["crop"]["width"]))
        lesions.append(np.array(mapped, dtype=np.float64).reshape(-1, 3))
    data = {
        "refnums": np.array([im["refnum"] for im in images]),
        "labels": np.array([SEVERITY[im["label"]] for im in images]),
        "patients": np.array([im["patient"] for im in images]),
        "tensors": tensors,
        "masks": masks,
        "lesions": np.array(lesions + [None], dtype=object)[:-1],
    }
    np.savez(path, **data)
    return data
