"""The cadguard classifier: a small fully-convolutional net with a lesion heatmap and an image score."""
from __future__ import annotations

import math

import torch
from torch import nn


def conv_bn(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Residual(nn.Module):
    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(channels),
        )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


class CadguardClassifier(nn.Module):
    """Input [N,1,S,S] mammo-crop-v1 tensor; outputs score [N] and heatmap [N,1,S/16,S/16], both sigmoid.

    The image logit is a log-sum-exp pool of the heatmap logits (a soft maximum, so one confident
    cell raises the score) plus a small global head for diffuse findings (asymmetry, distortion).
    """

    def __init__(self, width: int = 16, lse_r: float = 4.0) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            conv_bn(1, w, stride=2),            # S/2
            conv_bn(w, 2 * w, stride=2),        # S/4
            Residual(2 * w),
            conv_bn(2 * w, 3 * w, stride=2),    # S/8
            Residual(3 * w),
            conv_bn(3 * w, 4 * w, stride=2),    # S/16
            Residual(4 * w),
            Residual(4 * w, dilation=2),
            Residual(4 * w, dilation=4),
        )
        self.heat = nn.Conv2d(4 * w, 1, 1)
        self.global_head = nn.Linear(4 * w, 1)
        self.lse_r = lse_r

    def logits(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.features(image)
        heat = self.heat(f)
        flat = heat.flatten(1) * self.lse_r
        lse = (torch.logsumexp(flat, dim=1) - math.log(flat.shape[1])) / self.lse_r
        score = lse + self.global_head(f.mean(dim=(2, 3))).squeeze(1)
        return score, heat

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        score, heat = self.logits(image)
        return torch.sigmoid(score), torch.sigmoid(heat)
