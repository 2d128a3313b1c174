"""A second inpainting GAN, built to differ from attacks/gan_inpaint.py where a forger would: it imitates the grain.

The content detector (train_content.py) is trained on the first generator's fills, so that family measures a KNOWN
generator. This one is never shown to any detector (family `gan_grain_removal`, held out), and it is made the way a
forger who had read the detector card would make it:
- gated convolutions (DeepFill v2, Yu et al. 2019) on the same kind of coarse start (a push-pull fill) the first
  one refines;
- besides L1 on the hole and a hinge PatchGAN critic, a grain loss: the fill's high-pass residual (pixel minus its
  5x5 mean, the noise-texture signal's residual) must match the real tissue's in spread and in lag-1 correlation
  along rows and columns, so the fill carries film-like grain instead of a whiter or coarser one;
- its own seed, hole sizes and training windows.
Like the first, it is small (CPU minutes) and trained on NORMAL train-split images only; weights are cached outside
the repo and rebuilt deterministically on first use.

    /usr/bin/python3 -m attacks.grain_gan        (from models/train: trains, or reports the cached generator)
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .gan_inpaint import ADV_WEIGHT, BATCH, WINDOW, Critic, Generator, cached_model, make_batch
from .gan_inpaint import train as train_inpainter

HOLE_MIN, HOLE_MAX = 8, 80
STEPS = 800
SEED = 2711
GRAIN_WEIGHT = 1.0


class _Gated(nn.Module):
    """Gated convolution: features times a learned soft mask of where they are valid (a hole's inside is not)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, 2 * cout, 3, stride=stride, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features, gate = self.conv(x).chunk(2, 1)
        return F.elu(features) * torch.sigmoid(gate)


class GrainGenerator(Generator):
    """The first GAN's refinement net (push-pull start, encoder to stride 8, dilated context, decoder with skips) built
    of gated convolutions, with a third context block and bilinear upsampling; width 12 (0.32 M parameters) keeps it
    in CPU minutes. A first trial without the push-pull start left the fills visibly off the surrounding intensity
    after 800 steps."""

    def __init__(self, width: int = 12) -> None:
        super().__init__(width, layer=_Gated, dilations=(2, 4, 8), upsample="bilinear")


def grain_stats(x: torch.Tensor, where: torch.Tensor) -> torch.Tensor:
    """Per window: [log spread, lag-1 correlation along rows, along columns] of the 5x5 high-pass residual, over
    `where` (pairs count when both pixels are in it)."""
    residual = x - F.avg_pool2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), 5, stride=1)
    n = where.sum((1, 2, 3)).clamp_min(1)
    mean = (residual * where).sum((1, 2, 3)) / n
    centred = (residual - mean.view(-1, 1, 1, 1)) * where
    energy = (centred ** 2).sum((1, 2, 3)).clamp_min(1e-8)
    horizontal = (centred[..., :, 1:] * centred[..., :, :-1]).sum((1, 2, 3)) / energy
    vertical = (centred[..., 1:, :] * centred[..., :-1, :]).sum((1, 2, 3)) / energy
    return torch.stack([0.5 * torch.log(energy / n), horizontal, vertical], 1)


def grain_loss(composite: torch.Tensor, real: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    return torch.abs(grain_stats(composite, hole) - grain_stats(real, hole)).sum(1).mean()


def train(windows: np.ndarray, steps: int, log=print) -> tuple[GrainGenerator, dict]:
    """gan_inpaint.train with this generator, its holes (mirrored top-bottom, not left-right) and the grain loss."""
    batches = functools.partial(make_batch, holes=(HOLE_MIN, HOLE_MAX), spread=WINDOW / 6, mirror_axis=0)
    return train_inpainter(windows, steps, log, models=lambda: (GrainGenerator(), Critic()), seed=SEED, batches=batches,
                           extra=("grain", GRAIN_WEIGHT, grain_loss))


def cached_grain_generator(images: dict, load_display, log=print) -> GrainGenerator:
    """The trained generator, from /tmp/cadguard-cache or trained now (about 22 min on 2 cores)."""
    return cached_model(images, load_display, "grain-gan",
                        lambda refs: ["grain-v2", refs, WINDOW, HOLE_MIN, HOLE_MAX, STEPS, BATCH, SEED, ADV_WEIGHT, GRAIN_WEIGHT],
                        GrainGenerator, lambda windows: train(windows, STEPS, log), SEED, "the grain-matching inpainting GAN", log)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from attacks.suite import load_display, load_mias
    torch.set_num_threads(2)
    images, _ = load_mias()
    cached_grain_generator(images, load_display)


if __name__ == "__main__":
    main()
