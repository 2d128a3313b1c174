"""Differentiable mammo-crop-v1: preprocess.py's discrete decisions, then the same linear maps as torch ops.

For one clean display image, preprocess.py decides the flip, the crop box and the mask. With those fixed, the rest
of mammo-crop-v1 is a crop, an exact area-average resize (separable weights, at most ceil(scale)+1 source pixels per
output), a mirror and a masked standardisation: all differentiable. An attack can therefore optimise the DISPLAY
image end to end; `DisplayToTensor.verify` checks the twin against preprocess.py on the clean image.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from preprocess import _area_weights, preprocess_mammogram  # noqa: E402


def _sparse(weights: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """Dense [S, L] area weights as a sparse COO matrix (at most ceil(scale) + 1 non-zeros per row)."""
    return torch.from_numpy(weights).to(dtype).to_sparse()


class DisplayToTensor:
    """mammo-crop-v1 of display images [N, H, W] in [0, 1] -> tensors [N, 1, S, S], with the clean image's decisions."""

    def __init__(self, clean_display: np.ndarray, size: int, dtype: torch.dtype = torch.float32) -> None:
        self.clean = np.asarray(clean_display, dtype=np.float32)
        height, width = self.clean.shape
        ref = preprocess_mammogram(self.clean, size)
        self.reference = ref
        self.size, self.flipped, self.crop = size, ref["flipped"], ref["crop"]
        crop = ref["crop"]
        # Sparse matmuls: the dense [S, 1024] products cost as much as the classifier itself.
        self.rows = _sparse(_area_weights(crop["y"], crop["height"], size, height), dtype)
        self.cols = _sparse(_area_weights(crop["x"], crop["width"], size, width), dtype)
        self.height, self.width = height, width
        self.mask = torch.from_numpy(ref["mask"].astype(np.float32)).to(dtype)
        self.count = float(self.mask.sum())
        self.dtype = dtype

    def resized(self, display: torch.Tensor) -> torch.Tensor:
        """Crop + area resize (+ mirror) of [N, H, W] display values (clamped to [0, 1]) -> [N, S, S], unstandardised."""
        d = display.clamp(0.0, 1.0).to(self.dtype)
        n, s = d.shape[0], self.size
        rows = torch.sparse.mm(self.rows, d.permute(1, 0, 2).reshape(self.height, n * self.width))  # [S, N*W]
        rows = rows.reshape(s, n, self.width).permute(2, 1, 0).reshape(self.width, n * s)          # [W, N*S]
        out = torch.sparse.mm(self.cols, rows).reshape(s, n, s).permute(1, 2, 0)                   # [N, Sy, Sx]
        return out.flip(-1) if self.flipped else out

    def standardise(self, resized: torch.Tensor) -> torch.Tensor:
        """Masked zero-mean / unit-std standardisation, zero outside the mask -> [N, 1, S, S]."""
        m = self.mask
        mean = (resized * m).sum(dim=(1, 2), keepdim=True) / self.count
        var = (((resized - mean) * m) ** 2).sum(dim=(1, 2), keepdim=True) / self.count
        std = var.sqrt()
        std = torch.where(std < 1e-6, torch.ones_like(std), std)
        return (((resized - mean) / std) * m).unsqueeze(1)

    def __call__(self, display: torch.Tensor) -> torch.Tensor:
        return self.standardise(self.resized(display))

    def verify(self) -> float:
        """Max |twin - preprocess.py| on the clean image."""
        with torch.no_grad():
            twin = self(torch.from_numpy(self.clean)[None]).numpy()[0, 0]
        return float(np.abs(twin - self.reference["tensor"]).max())


def exact_tensor(display: np.ndarray, size: int) -> dict:
    """preprocess.py itself (fresh decisions), for checking what the SDK would really compute on an attacked image."""
    return preprocess_mammogram(np.asarray(display, dtype=np.float32), size)
