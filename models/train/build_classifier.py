"""Rebuild the cadguard classifier from scratch: split, cache, train, threshold, test, export, manifest, card.

    /usr/bin/python3 models/train/build_classifier.py

Writes models/classifier.onnx, the `cadguard-classifier` entry of models/manifest.json,
models/MODEL_CARD.md and models/train/results/. CADGUARD_EPOCHS overrides the epoch count (smoke tests).
"""
from __future__ import annotations

import csv
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import build_cache, ensure_split, load_labels  # noqa: E402
from export import export_onnx, manifest_entry, validation_values, write_manifest  # noqa: E402
from metrics import auc, operating_point, test_metrics, threshold_for_sensitivity  # noqa: E402
from model import CadguardClassifier  # noqa: E402
from model_card import write_model_card  # noqa: E402
from train import STRIDE, predict, train  # noqa: E402

SIZE = 512
EPOCHS = int(os.environ.get("CADGUARD_EPOCHS", "80"))
SEED = 20240
PATIENCE = 12
MODELS_DIR = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main() -> None:
    started = time.time()
    torch.set_num_threads(2)
    np.random.seed(SEED)
    images, circles = load_labels()
    split = ensure_split(images)
    data = build_cache(images, circles, SIZE)
    cache_seconds = time.time() - started
    position = {r: i for i, r in enumerate(data["refnums"])}
    idx = {k: np.array([position[r] for r in split[k]]) for k in ("train", "val", "test")}
    patients = {k: int(len(np.unique(data["patients"][v]))) for k, v in idx.items()}

    result = train(data, idx["train"], idx["val"], epochs=EPOCHS, seed=SEED, patience=PATIENCE, log=lambda s: print(s, flush=True))
    model: CadguardClassifier = result["model"]

    val_scores = predict(model, data["tensors"][idx["val"]])
    val_labels = data["labels"][idx["val"]]
    threshold = threshold_for_sensitivity(val_scores, val_labels > 0, 0.9)
    val_sens, val_spec = operating_point(val_scores, val_labels > 0, threshold)

    test_scores = predict(model, data["tensors"][idx["test"]])
    test_labels = data["labels"][idx["test"]]
    metrics = test_metrics(test_scores, test_labels, data["patients"][idx["test"]], threshold)

    RESULTS_DIR.mkdir(exist_ok=True)
    names = ["normal", "benign", "malignant"]
    with open(RESULTS_DIR / "classifier_test_scores.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["refnum", "label", "score"])
        for i, s in zip(idx["test"], test_scores):
            writer.writerow([data["refnums"][i], names[data["labels"][i]], f"{s:.6f}"])

    onnx_path = MODELS_DIR / "classifier.onnx"
    export_onnx(model, SIZE, onnx_path)
    validation = validation_values(model, SIZE)
    cells = SIZE // STRIDE
    write_manifest(MODELS_DIR / "manifest.json",
                   manifest_entry(onnx_path, SIZE, cells, threshold, validation, patients))

    report = {
        "model": "cadguard-classifier 0.1.0",
        "input_size": SIZE,
        "heatmap_size": cells,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "split": {k: {"images": int(len(v)), "patients": patients[k],
                      "by_label": {n: int((data["labels"][v] == j).sum()) for j, n in enumerate(names)}}
                  for k, v in idx.items()},
        "epochs_max": EPOCHS,
        "epochs_run": len(result["history"]),
        "patience": PATIENCE,
        "best_epoch": result["best_epoch"],
        "validation": {"auc_abnormal_vs_normal": result["best_val_auc"],
                       "auc_malignant_vs_rest": auc(val_scores, val_labels == 2),
                       "sensitivity_at_threshold": val_sens, "specificity_at_threshold": val_spec},
        "threshold": {"positive": threshold,
                      "rule": "highest threshold with validation sensitivity >= 0.90 (abnormal vs normal); positive when score >= threshold"},
        "test": metrics,
        "bootstrap": {"resamples": 2000, "unit": "patient (both breasts resampled together)", "ci": "percentile 2.5-97.5"},
        "timing_seconds": {"preprocess_and_cache": round(cache_seconds, 1), "training": round(result["train_seconds"], 1),
                           "total": round(time.time() - started, 1)},
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, 2 threads",
        "history": result["history"],
    }
    (RESULTS_DIR / "classifier_metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    write_model_card(MODELS_DIR / "MODEL_CARD.md", report)
    print(json.dumps({k: report[k] for k in ("best_epoch", "validation", "threshold", "test", "timing_seconds")}, indent=2))


if __name__ == "__main__":
    main()
