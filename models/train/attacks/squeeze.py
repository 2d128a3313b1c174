"""Feature squeezing in torch, mirroring src/detect/feature-squeeze.ts, with BPDA gradients for adaptive attacks.

Forward passes are exact (3x3 median with replicated borders; 5-bit reduction between the tensor's own min and
max, rounding half up like Math.round); backward passes are the identity (straight-through, Athalye et al. 2018),
since neither squeezer has a useful gradient of its own.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def median3x3(x: torch.Tensor) -> torch.Tensor:
    """[N,1,H,W] -> 3x3 median, replicated borders."""
    padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
    patches = F.unfold(padded, 3)  # [N, 9, H*W]
    return patches.median(dim=1).values.view_as(x)


def reduce_bit_depth(x: torch.Tensor, bits: int = 5) -> torch.Tensor:
    lo = x.flatten(1).min(dim=1).values.view(-1, 1, 1, 1)
    hi = x.flatten(1).max(dim=1).values.view(-1, 1, 1, 1)
    levels = 2 ** bits - 1
    step = torch.where(hi > lo, (hi - lo) / levels, torch.ones_like(hi))
    return lo + torch.floor((x - lo) / step + 0.5) * step


def straight_through(x: torch.Tensor, squeezed: torch.Tensor) -> torch.Tensor:
    """Value of `squeezed`, gradient of the identity."""
    return x + (squeezed - x).detach()


def squeezed_bpda(x: torch.Tensor) -> list[torch.Tensor]:
    """The SDK's two squeezed variants of [N,1,S,S] tensors, differentiable by BPDA."""
    with torch.no_grad():
        med, bit = median3x3(x), reduce_bit_depth(x)
    return [straight_through(x, med), straight_through(x, bit)]
