"""Run an exported cadguard ONNX model in torch, differentiably, from the shipped file itself.

Python has no onnxruntime here and build_classifier.py keeps no torch checkpoint, so the attacks evaluate the
graph of `models/classifier.onnx` (BatchNorm already folded into the convolutions by the export) with torch ops.
Only the operators the cadguard exports use are implemented; an unknown one fails loudly with its name.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper
from torch import nn

MODELS_DIR = Path(__file__).resolve().parents[2]


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class OnnxModule(nn.Module):
    """Differentiable torch evaluation of an ONNX graph; `forward` returns every named value it computed."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        proto = onnx.load(str(path))
        self.nodes = list(proto.graph.node)
        self.input_name = proto.graph.input[0].name
        self.output_names = [o.name for o in proto.graph.output]
        self.consts: dict[str, torch.Tensor] = {}
        for init in proto.graph.initializer:
            self.consts[init.name] = torch.from_numpy(numpy_helper.to_array(init).copy())
        for node in self.nodes:
            if node.op_type == "Constant":
                self.consts[node.output[0]] = torch.from_numpy(numpy_helper.to_array(_attrs(node)["value"]).copy())
        self.node_attrs = [_attrs(n) for n in self.nodes]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        env = dict(self.consts)
        env[self.input_name] = x
        for node, at in zip(self.nodes, self.node_attrs):
            op = node.op_type
            ins = [env[i] if i else None for i in node.input]
            if op == "Constant":
                continue
            if op == "Conv":
                pads = at.get("pads", [0, 0, 0, 0])
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    raise NotImplementedError("asymmetric Conv padding")
                out = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, stride=at.get("strides", [1, 1]),
                               padding=pads[:2], dilation=at.get("dilations", [1, 1]), groups=at.get("group", 1))
            elif op == "Relu":
                out = F.relu(ins[0])
            elif op == "Clip":
                lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
                hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
                out = torch.clamp(ins[0], min=None if lo is None else float(lo), max=None if hi is None else float(hi))
            elif op == "Sigmoid":
                out = torch.sigmoid(ins[0])
            elif op == "Add":
                out = ins[0] + ins[1]
            elif op == "Sub":
                out = ins[0] - ins[1]
            elif op == "Mul":
                out = ins[0] * ins[1]
            elif op == "Div":
                out = ins[0] / ins[1]
            elif op == "Flatten":
                out = torch.flatten(ins[0], at.get("axis", 1))
            elif op == "ReduceLogSumExp":
                out = torch.logsumexp(ins[0], dim=tuple(at["axes"]), keepdim=bool(at.get("keepdims", 1)))
            elif op == "ReduceMean":
                out = ins[0].mean(dim=tuple(at["axes"]), keepdim=bool(at.get("keepdims", 1)))
            elif op == "Gemm":
                a = ins[0].t() if at.get("transA", 0) else ins[0]
                b = ins[1].t() if at.get("transB", 0) else ins[1]
                out = at.get("alpha", 1.0) * (a @ b)
                if len(ins) > 2 and ins[2] is not None:
                    out = out + at.get("beta", 1.0) * ins[2]
            elif op == "Squeeze":
                axes = ins[1].tolist() if len(ins) > 1 and ins[1] is not None else at.get("axes")
                out = ins[0]
                for axis in sorted((a % out.dim() for a in axes), reverse=True):
                    out = out.squeeze(axis)
            else:
                raise NotImplementedError(f"ONNX operator {op} is not implemented in onnx_torch")
            env[node.output[0]] = out
        return env


class ShippedDetector(nn.Module):
    """A manifest detector (role "detector" or "content"), run from its ONNX file: `logits(x)` -> (image logit [N],
    heatmap), `heat_logits(x)` -> the heatmap before its sigmoid (the content detector's cell logits)."""

    def __init__(self, models_dir: Path = MODELS_DIR, role: str = "detector") -> None:
        super().__init__()
        manifest = json.loads((models_dir / "manifest.json").read_text())
        entry = next(m for m in manifest["models"] if m["role"] == role)
        blob = (models_dir / entry["file"]).read_bytes()
        self.sha256 = hashlib.sha256(blob).hexdigest()
        if self.sha256 != entry["sha256"]:
            raise SystemExit(f"{entry['file']} has sha256 {self.sha256}, the manifest says {entry['sha256']}")
        self.entry = entry
        self.graph = OnnxModule(models_dir / entry["file"])
        self._logit_name = next(n for n in self.graph.nodes if n.output[0] == "score").input[0]
        self._heat_logit_name = next(n for n in self.graph.nodes if n.output[0] == "heatmap").input[0]

    def logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        env = self.graph(x)
        return env[self._logit_name].reshape(-1), env["heatmap"]

    def heat_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.graph(x)[self._heat_logit_name]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logit, heat = self.logits(x)
        return torch.sigmoid(logit), heat


class ShippedClassifier(nn.Module):
    """The manifest's classifier: `logit(x)` is the pre-sigmoid image score, `forward` returns (score, heatmap)."""

    def __init__(self, models_dir: Path = MODELS_DIR) -> None:
        super().__init__()
        manifest = json.loads((models_dir / "manifest.json").read_text())
        entry = next(m for m in manifest["models"] if m["role"] == "classifier")
        path = models_dir / entry["file"]
        blob = path.read_bytes()
        self.sha256 = hashlib.sha256(blob).hexdigest()
        if self.sha256 != entry["sha256"]:
            raise SystemExit(f"{path} has sha256 {self.sha256}, the manifest says {entry['sha256']} (retrained mid-run?)")
        self.entry = entry
        self.size = int(entry["input"]["shape"][-1])
        self.threshold = float(entry["thresholds"]["positive"])
        self.graph = OnnxModule(path)
        score_node = next(n for n in self.graph.nodes if n.output[0] == "score")
        self._logit_name = score_node.input[0]
        for p in self.parameters():
            p.requires_grad_(False)

    def logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Image logit [N] and heatmap probabilities [N,1,h,w] (the graph is evaluated once per batch item)."""
        env = [self.graph(x[i:i + 1]) for i in range(x.shape[0])] if _static_batch(self.entry) else [self.graph(x)]
        logit = torch.cat([e[self._logit_name].reshape(-1) for e in env])
        heat = torch.cat([e["heatmap"] for e in env])
        return logit, heat

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logit, heat = self.logits(x)
        return torch.sigmoid(logit), heat

    def check_validation(self) -> float:
        """Largest deviation from the manifest's sincos-v1 expected values (raises when above the tolerance)."""
        size = self.size
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
        v = (0.5 + 0.5 * np.sin(0.05 * xx + 0.031 * yy) * np.cos(0.017 * xx - 0.043 * yy)).astype(np.float32)
        with torch.no_grad():
            score, heat = self(torch.from_numpy(v).reshape(1, 1, size, size))
        outs = {"score": score.numpy().ravel(), "heatmap": heat.numpy().ravel()}
        worst = 0.0
        for name, spec in self.entry["validation"]["expected"].items():
            for i, val in spec["samples"]:
                worst = max(worst, abs(float(outs[name][i]) - val))
            if "mean" in spec:
                worst = max(worst, abs(float(outs[name].astype(np.float64).mean()) - spec["mean"]))
        if worst > self.entry["validation"]["tolerance"]:
            raise SystemExit(f"torch evaluation of the classifier deviates by {worst} from the manifest's validation values")
        return worst


def _static_batch(entry: dict) -> bool:
    """A Flatten/Squeeze graph exported with batch 1 still runs batched in torch; only the shapes differ."""
    return False
