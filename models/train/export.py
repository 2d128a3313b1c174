"""ONNX export, the sincos-v1 validation values and the manifest entry."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from model import CadguardClassifier

MANIFEST_ID = "cadguard-classifier"


class OnnxWrapper(nn.Module):
    def __init__(self, model: CadguardClassifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model(image)


def sincos_input(size: int) -> np.ndarray:
    """sincos-v1: v = 0.5 + 0.5*sin(0.05x + 0.031y)*cos(0.017x - 0.043y), float64 then float32, [1,1,S,S]."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    v = 0.5 + 0.5 * np.sin(0.05 * x + 0.031 * y) * np.cos(0.017 * x - 0.043 * y)
    return v.astype(np.float32).reshape(1, 1, size, size)


def export_onnx(model: CadguardClassifier, size: int, path: Path) -> None:
    model.eval()
    torch.onnx.export(
        OnnxWrapper(model), torch.zeros(1, 1, size, size), str(path), opset_version=17,
        input_names=["image"], output_names=["score", "heatmap"], do_constant_folding=True)
    batch_axis(path)


def batch_axis(path: Path) -> None:
    """Marks the first axis of the graph's input and outputs as a free batch. The network itself never fixes it
    (Flatten keeps axis 0; the squeeze, the reductions and Gemm act on the other axes), so each image of a batch is
    scored as it is alone (bit for bit in onnxruntime-web's WebAssembly), and the SDK scores feature squeezing's two
    variants in one run. The traced shapes of inner values go with it: they carried the traced batch of 1."""
    proto = onnx.load(str(path))
    for value in list(proto.graph.input) + list(proto.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    del proto.graph.value_info[:]
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(path))


def validation_values(model: nn.Module, size: int) -> dict:
    """sincos-v1 values of any model whose forward gives (score, heatmap): the classifier's and the detector's."""
    model.eval()
    with torch.no_grad():
        score, heatmap = model(torch.from_numpy(sincos_input(size)))
    flat = heatmap.numpy().astype(np.float64).ravel()
    indices = [int(k * (flat.size - 1) // 31) for k in range(32)]
    return {
        "input": "sincos-v1",
        "tolerance": 0.001,
        "expected": {
            "score": {"samples": [[0, float(score.numpy().ravel()[0])]]},
            "heatmap": {"mean": float(flat.mean()), "samples": [[i, float(flat[i])] for i in indices]},
        },
    }


def manifest_entry(onnx_path: Path, size: int, cells: int, threshold: float, validation: dict, counts: dict) -> dict:
    blob = onnx_path.read_bytes()
    return {
        "id": MANIFEST_ID,
        "role": "classifier",
        "version": "0.1.0",
        "file": onnx_path.name,
        "sha256": hashlib.sha256(blob).hexdigest(),
        "bytes": len(blob),
        "input": {"name": "image", "shape": [1, 1, size, size], "layout": "NCHW", "preprocess": "mammo-crop-v1",
                  "batch": "dynamic", "display": "MONOCHROME2 display values in [0,1] after VOI"},
        "outputs": [
            {"name": "score", "shape": [1], "range": [0, 1],
             "meaning": "probability that the image shows an abnormality (benign or malignant lesion)"},
            {"name": "heatmap", "shape": [1, 1, cells, cells], "range": [0, 1],
             "meaning": "per-cell lesion probability over the preprocessed (cropped, oriented) breast"},
        ],
        "thresholds": {"positive": threshold},
        "validation": validation,
        "training": (
            "Research/evaluation model trained on mini-MIAS (research-only licence, digitised film, 258 images; "
            f"{counts['train']} train / {counts['val']} val / {counts['test']} test patients). "
            "Not a medical device; vendors bring their own validated model."),
    }


def write_manifest(path: Path, entry: dict) -> None:
    """Insert or replace only the entry with this id, keeping every other entry as it is."""
    manifest = json.loads(path.read_text()) if path.exists() else {"schema": 1, "models": []}
    models = manifest.setdefault("models", [])
    for i, existing in enumerate(models):
        if existing.get("id") == entry["id"]:
            models[i] = entry
            break
    else:
        models.append(entry)
    path.write_text(json.dumps(manifest, indent=2) + "\n")
