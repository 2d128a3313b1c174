"""Square attack, L-inf (Andriushchenko et al., ECCV 2020): query-only random search, no gradients.

Starts from vertical stripes of +-eps and, per query, redraws one square of +-eps; a change is kept when the
objective improves. The square side shrinks on the paper's schedule. Squares are drawn inside the crop box only,
the part of the display that reaches the classifier.
"""
from __future__ import annotations

import math

import torch


def _p_schedule(p_init: float, it: int, n_queries: int) -> float:
    frac = it / max(1, n_queries)
    for limit, div in ((0.001, 1), (0.005, 2), (0.02, 4), (0.05, 8), (0.1, 16), (0.2, 32), (0.4, 64), (0.6, 128), (0.8, 256)):
        if frac <= limit:
            return p_init / div
    return p_init / 512


def square_linf(objective, x0: torch.Tensor, eps: float, box: tuple[int, int, int, int], queries: int,
                generator: torch.Generator, p_init: float = 0.05) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Returns (adversarial [1, H, W], objective [1], queries used); stops early once the decision flipped."""
    y0, x0_, y1, x1 = box
    h, w = y1 - y0, x1 - x0_
    stripes = (torch.randint(0, 2, (1, 1, w), generator=generator).float() * 2 - 1) * eps
    delta = torch.zeros_like(x0).unsqueeze(0)
    delta[:, y0:y1, x0_:x1] = stripes.expand(1, h, w)
    x = (x0.unsqueeze(0) + delta).clamp(0, 1)
    with torch.no_grad():
        best_obj = objective(x)
        used = 1
        while used < queries and float(best_obj) <= 0:
            p = _p_schedule(p_init, used, queries)
            side = max(1, min(min(h, w) - 1, int(round(math.sqrt(p * h * w)))))
            r = y0 + int(torch.randint(0, h - side + 1, (1,), generator=generator))
            c = x0_ + int(torch.randint(0, w - side + 1, (1,), generator=generator))
            cand = delta.clone()
            cand[:, r:r + side, c:c + side] = eps if torch.rand(1, generator=generator) < 0.5 else -eps
            xc = (x0.unsqueeze(0) + cand).clamp(0, 1)
            obj = objective(xc)
            used += 1
            if float(obj) > float(best_obj):
                best_obj, delta, x = obj, cand, xc
    return x, best_obj, used
