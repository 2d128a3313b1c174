"""Probe: can a small residual CNN see local content manipulation at FULL display resolution?

The shipped detector runs on the classifier's 512-px tensor and does not separate the inpainting GAN's fills or
lesion transplants from clean images (models/DETECTOR_CARD.md). This probe asks whether the evidence is there at the
display's own resolution: 128x128 windows of the 1024-px mini-MIAS images, clean vs the same images with a GAN fill
(disk of radius 12-40 px at a random breast position, attacks/gan_inpaint.py) or a lesion transplant
(attacks/content.py) in the window; train-split windows to train, val-split windows to measure. It is a study for
the next detector, not part of the SDK; train_content.py is its shipped, image-level successor.

    /usr/bin/python3 models/train/content_patch_probe.py     (about 4 min on 2 cores; needs the GAN, trained on
                                                               first use, about 14 min)
Writes results/content_patch_probe.json.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.content import lesion_donors, lesion_rows, transplant  # noqa: E402
from attacks.diffprep import DisplayToTensor  # noqa: E402
from attacks.gan_inpaint import gan_remove  # noqa: E402
from attacks.suite import load_display  # noqa: E402
from metrics import auc  # noqa: E402
from train_content import content_setup  # noqa: E402
from train_detector import block, srm_bank  # noqa: E402

WINDOW = 128
PER_IMAGE = 3
STEPS = 1200
SEED = 77
RESULTS = Path(__file__).resolve().parent / "results" / "content_patch_probe.json"


def windows(refs: list[str], images: dict, circles: dict, gen, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Clean windows and manipulated ones (GAN fill in every image, transplant in normal ones), with their kinds."""
    half = WINDOW // 2
    clean, fake, kind = [], [], []
    donors = lesion_donors(refs, images, circles)
    for ref in refs:
        d = load_display(ref, images).astype(np.float64)
        h, w = d.shape
        inside = np.argwhere(d[96:h - 96, 96:w - 96] > 0.25) + 96
        if not len(inside):
            continue
        for _ in range(PER_IMAGE):
            y, x = inside[rng.integers(len(inside))]
            clean.append(d[y - half:y + half, x - half:x + half])
            y, x = inside[rng.integers(len(inside))]
            filled, _ = gan_remove(gen, d, (int(y), int(x), int(rng.integers(12, 40))), rng)
            fake.append(filled[y - half:y + half, x - half:x + half])
            kind.append("gan_fill")
        if images[ref]["label"] == "normal" and donors:
            donor = donors[rng.integers(len(donors))]
            donor_img = load_display(donor, images)
            pasted, region = transplant(d.astype(np.float32), donor_img, lesion_rows(circles[donor], h)[0],
                                        DisplayToTensor(d.astype(np.float32), 512).flipped,
                                        DisplayToTensor(donor_img, 512).flipped, rng)
            cy, cx = (int(v) for v in np.argwhere(region > 0.5).mean(0))
            cy, cx = min(max(cy, half), h - half), min(max(cx, half), w - half)
            fake.append(pasted[cy - half:cy + half, cx - half:cx + half])
            kind.append("transplant")
    return np.stack(clean).astype(np.float32), np.stack(fake).astype(np.float32), np.array(kind)


class PatchNet(nn.Module):
    """The shipped detector's front (fixed SRM bank, scale, truncation) and five 3x3 blocks at full resolution."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.register_buffer("srm", srm_bank())
        self.srm_norm = nn.BatchNorm2d(6)
        w = width
        self.body = nn.Sequential(block(6, w), block(w, w, 2), block(w, 2 * w, 2), block(2 * w, 2 * w, 2), block(2 * w, 2 * w))
        self.head = nn.Linear(4 * w, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.body(torch.clamp(self.srm_norm(F.conv2d(x, self.srm, padding=2)), -3.0, 3.0))
        return self.head(torch.cat([features.mean((2, 3)), features.amax((2, 3))], 1))[:, 0]


def standardised(a: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(a)[:, None]
    return (t - t.mean((2, 3), keepdim=True)) / t.std((2, 3), keepdim=True).clamp_min(1e-4)


def main() -> None:
    started = time.time()
    images, circles, gen, split = content_setup(SEED)
    train_clean, train_fake, _ = windows(split["train"], images, circles, gen, np.random.default_rng(SEED))
    val_clean, val_fake, val_kind = windows(split["val"], images, circles, gen, np.random.default_rng(SEED + 1))
    x = torch.cat([standardised(train_clean), standardised(train_fake)])
    y = torch.cat([torch.zeros(len(train_clean)), torch.ones(len(train_fake))])
    vx = torch.cat([standardised(val_clean), standardised(val_fake)])
    net = PatchNet()
    opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-4)
    gen_t = torch.Generator().manual_seed(SEED)
    history = []
    for step in range(1, STEPS + 1):
        net.train()
        pick = torch.randint(0, len(x), (32,), generator=gen_t)
        batch = x[pick].flip(3) if float(torch.rand(1, generator=gen_t)) < 0.5 else x[pick]
        loss = F.binary_cross_entropy_with_logits(net(batch), y[pick])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 200 == 0 or step == STEPS:
            net.eval()
            with torch.no_grad():
                scores = torch.cat([net(vx[i:i + 64]) for i in range(0, len(vx), 64)]).numpy()
            s_clean, s_fake = scores[:len(val_clean)], scores[len(val_clean):]
            threshold = float(np.quantile(s_clean, 0.99))
            row = {"step": step, "loss": round(float(loss), 4)}
            for k in ("gan_fill", "transplant"):
                sel = s_fake[val_kind == k]
                row[k] = {"n": int(len(sel)), "auc": round(auc(np.r_[s_clean, sel], np.r_[np.zeros(len(s_clean)), np.ones(len(sel))]), 4),
                          "tpr_at_1pct_fpr": round(float(np.mean(sel > threshold)), 4)}
            history.append(row)
            print(json.dumps(row), flush=True)
    result = {
        "what": "128x128 windows of 1024-px mini-MIAS display images; clean vs GAN fill / lesion transplant in the window; "
                "patch-level; train split to train, val split to measure; threshold at the 99th percentile of clean val windows",
        "train_windows": {"clean": int(len(train_clean)), "manipulated": int(len(train_fake))},
        "val_windows": {"clean": int(len(val_clean)), "gan_fill": int((val_kind == "gan_fill").sum()),
                        "transplant": int((val_kind == "transplant").sum())},
        "parameters": int(sum(p.numel() for p in net.parameters())), "steps": STEPS, "batch": 32,
        "final": history[-1], "history": history, "seconds": round(time.time() - started, 1),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
