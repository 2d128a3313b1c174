"""Lesion removal by a small learned inpainting network trained adversarially (issue item c: a GAN manipulation).

A context encoder (Pathak et al., CVPR 2016) in the form most GAN inpainting tools share: a generator fills a hole in
a 256x256 window of the 1024-px mammogram from the pixels around it, trained with an L1 loss on the hole plus a
hinge-loss PatchGAN discriminator, so the fill is pushed towards the look of real tissue (grain included) instead of
the blur an L1 loss alone gives. Trained on NORMAL train-split images only (holes anywhere in the breast), so it
learns what lesion-free tissue looks like; the attack (`gan_removal`) then erases test-split lesions with it.

It is small (0.24 M parameters in the generator) because it must train on 2 CPU cores in minutes; a study-grade
GAN (Zhou et al. 2021: a CycleGAN on 256-px lesion crops) is far larger. Weights are cached outside the repo (they
derive from research-only images and are rebuilt by this module on first use, deterministically from a seed).

    /usr/bin/python3 -m attacks.gan_inpaint        (from models/train: trains, or reports the cached generator)
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from skimage.transform import resize

from .content import quantise8, soft_disk

WINDOW = 256
HOLE_MIN, HOLE_MAX = 12, 64       # training hole radii, px at the 1024-px display scale
STEPS = 1000
BATCH = 6
SEED = 1301
ADV_WEIGHT = 0.1
CACHE_DIR = Path("/tmp/cadguard-cache")
SPLIT_PATH = Path(__file__).resolve().parents[1] / "split.json"


def _conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation),
                         nn.LeakyReLU(0.2, inplace=True))


def push_pull(x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Smooth fill of the unknown pixels from the known ones (push-pull: a pyramid of known-weighted means)."""
    sums, weights = [x * known], [known]
    while sums[-1].shape[-1] > 4:
        sums.append(F.avg_pool2d(sums[-1], 2))
        weights.append(F.avg_pool2d(weights[-1], 2))
    estimate = sums[-1] / weights[-1].clamp_min(1e-6)
    for level in range(len(sums) - 2, -1, -1):
        up = F.interpolate(estimate, size=sums[level].shape[-2:], mode="bilinear", align_corners=False)
        estimate = sums[level] + (1 - weights[level]) * up
    return estimate


class Generator(nn.Module):
    """[N,1,S,S] window with the hole zeroed and [N,1,S,S] hole mask -> [N,1,S,S] fill (standardised units).

    A refinement net (the coarse-to-fine design of GAN inpainting tools): a push-pull fill gives the smooth
    continuation of the surroundings and the net adds structure and grain to it. Encoder to stride 8, dilated
    context blocks, decoder with skips; a noise input lets the fill carry grain (an L1-trained net alone averages it
    away).
    """

    def __init__(self, width: int = 16, layer=_conv, dilations: tuple[int, ...] = (2, 4), upsample: str = "nearest") -> None:
        super().__init__()
        w = width
        self.e1, self.e2, self.e3 = layer(4, w), layer(w, 2 * w, 2), layer(2 * w, 4 * w, 2)
        self.e4 = layer(4 * w, 4 * w, 2)
        self.mid = nn.Sequential(*(layer(4 * w, 4 * w, dilation=d) for d in dilations))
        self.d3, self.d2, self.d1 = layer(8 * w, 4 * w), layer(6 * w, 2 * w), layer(3 * w, w)
        self.out = nn.Conv2d(w + 1, 1, 3, padding=1)
        self.upsample = upsample

    def forward(self, x: torch.Tensor, mask: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        base = push_pull(x, 1 - mask)
        a1 = self.e1(torch.cat([x, mask, base, noise], 1))
        a2 = self.e2(a1)
        a3 = self.e3(a2)
        m = self.mid(self.e4(a3))
        b3 = self.d3(torch.cat([self._up(m, a3), a3], 1))
        b2 = self.d2(torch.cat([self._up(b3, a2), a2], 1))
        b1 = self.d1(torch.cat([self._up(b2, a1), a1], 1))
        return base + self.out(torch.cat([b1, noise], 1))

    def _up(self, t: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        if self.upsample == "nearest":  # align_corners is not an option of nearest
            return F.interpolate(t, size=ref.shape[-2:], mode="nearest")
        return F.interpolate(t, size=ref.shape[-2:], mode=self.upsample, align_corners=False)


class Critic(nn.Module):
    """PatchGAN: [N,2,S,S] (window, hole mask) -> [N,1,S/8,S/8] realness logits. Spectral norm keeps it stable."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        sn = nn.utils.spectral_norm
        w = width
        self.body = nn.Sequential(sn(nn.Conv2d(2, w, 3, 1, 1)), nn.LeakyReLU(0.2), sn(nn.Conv2d(w, 2 * w, 4, 2, 1)),
                                  nn.LeakyReLU(0.2), sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.2),
                                  sn(nn.Conv2d(4 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.2), sn(nn.Conv2d(4 * w, 1, 3, 1, 1)))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([x, mask], 1))


def _disk(size: int, cy: float, cx: float, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    return (np.hypot(yy - cy, xx - cx) <= radius).astype(np.float32)


def standardise(window: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Window in units of its known pixels' mean and spread (so one net serves dark and bright tissue)."""
    vals = window[known > 0.5]
    mean, std = float(vals.mean()), float(max(vals.std(), 1e-3))
    return (window - mean) / std, mean, std


def training_windows(images: dict, refs: list[str], load_display, rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` 256-px windows lying inside the breast of normal images (at least 90 % of pixels above 0.15)."""
    displays = [load_display(r, images) for r in refs]
    out = np.zeros((count, WINDOW, WINDOW), np.float32)
    k = 0
    while k < count:
        d = displays[int(rng.integers(len(displays)))]
        y, x = int(rng.integers(0, d.shape[0] - WINDOW)), int(rng.integers(0, d.shape[1] - WINDOW))
        win = d[y:y + WINDOW, x:x + WINDOW]
        if np.mean(win > 0.15) >= 0.9:
            out[k] = win
            k += 1
    return out


def make_batch(windows: np.ndarray, rng: np.random.Generator, batch: int, holes: tuple[float, float] = (HOLE_MIN, HOLE_MAX),
               spread: float = WINDOW / 8, mirror_axis: int = 1) -> tuple[torch.Tensor, ...]:
    """`batch` standardised windows, each mirrored along `mirror_axis` half the time, with a disk hole of a radius in
    `holes` whose centre lies within `spread` of the window's."""
    xs, ms = [], []
    for _ in range(batch):
        win = windows[int(rng.integers(len(windows)))]
        if rng.random() < 0.5:
            win = np.flip(win, mirror_axis)
        r = float(rng.uniform(*holes))
        c = WINDOW / 2 + rng.uniform(-spread, spread, 2)
        hole = _disk(WINDOW, c[0], c[1], r)
        z, _, _ = standardise(win, 1 - hole)
        xs.append(z)
        ms.append(hole)
    return torch.from_numpy(np.stack(xs)[:, None].copy()), torch.from_numpy(np.stack(ms)[:, None])


def train(windows: np.ndarray, steps: int, log=print, models=lambda: (Generator(), Critic()), seed: int = SEED,
          batches=make_batch, extra=None) -> tuple[nn.Module, dict]:
    """Adversarial training of an inpainting generator: L1 on the hole plus a hinge critic, and with `extra`
    (name, weight, loss(composite, real, hole)) one more generator loss. `models` builds (generator, critic) after
    seeding, so the initial weights follow from `seed`."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen, critic = models()
    opt_g = torch.optim.Adam(gen.parameters(), 2e-4, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(critic.parameters(), 2e-4, betas=(0.5, 0.9))
    history = []
    started = time.time()
    for step in range(steps):
        real, hole = batches(windows, rng, BATCH)
        noise = torch.randn_like(real)
        fake = gen(real * (1 - hole), hole, noise)
        composite = real * (1 - hole) + fake * hole
        # Critic: real windows vs composites (hinge loss).
        d_loss = F.relu(1 - critic(real, hole)).mean() + F.relu(1 + critic(composite.detach(), hole)).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        # Generator: L1 on the hole, plus fooling the critic.
        l1 = (torch.abs(fake - real) * hole).sum() / hole.sum().clamp_min(1)
        adv = -critic(composite, hole).mean()
        g_loss = l1 + ADV_WEIGHT * adv
        if extra:
            more = extra[2](composite, real, hole)
            g_loss = g_loss + extra[1] * more
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if step % 50 == 0 or step == steps - 1:
            history.append({"step": step, "l1": round(float(l1), 4), **({extra[0]: round(float(more), 4)} if extra else {}),
                            "adv": round(float(adv), 4), "critic": round(float(d_loss), 4),
                            "seconds": round(time.time() - started, 1)})
            log(json.dumps(history[-1]))
    return gen, {"steps": steps, "batch": BATCH, "seconds": round(time.time() - started, 1), "history": history,
                 "generator_parameters": sum(p.numel() for p in gen.parameters())}


def cached_generator(images: dict, load_display, log=print) -> Generator:
    """The trained generator, from /tmp/cadguard-cache or trained now (about 14 min on 2 cores)."""
    return cached_model(images, load_display, "gan-inpaint", lambda refs: [refs, WINDOW, HOLE_MIN, HOLE_MAX, STEPS, BATCH, SEED, ADV_WEIGHT],
                        Generator, lambda windows: train(windows, STEPS, log), SEED, "the inpainting GAN", log)


def cached_model(images: dict, load_display, stem: str, key, build, train_windows, seed: int, what: str, log=print) -> nn.Module:
    """A generator trained on windows of the NORMAL train images: loaded from /tmp/cadguard-cache/`stem`-<hash of
    key(refs)>.pt, or built, trained by `train_windows(windows)` and saved there (with its training history)."""
    split = json.loads(SPLIT_PATH.read_text())["train"]
    refs = [r for r in sorted(split) if images[r]["label"] == "normal"]
    path = CACHE_DIR / f"{stem}-{hashlib.sha256(json.dumps(key(refs)).encode()).hexdigest()[:16]}.pt"
    gen = build()
    if path.exists():
        gen.load_state_dict(torch.load(path))
        return gen.eval()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    log(f"training {what} on {len(refs)} normal train images")
    gen, info = train_windows(training_windows(images, refs, load_display, np.random.default_rng(seed), 600))
    torch.save(gen.state_dict(), path)
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    return gen.eval()


def gan_remove(gen: nn.Module, image: np.ndarray, circle: tuple[int, int, int], rng: np.random.Generator,
               at_8_bits: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Erase the lesion at `circle` (row, col, r) with an inpainting generator (this one or grain_gan.py's); returns (image at 8 bits, soft region mask).
    With `at_8_bits=False` the image stays float, for a caller that stores it as its own source would.

    The hole is the removal attack's (1.3 r, at least 13 px). A lesion whose hole does not fit in half the window is
    filled at a coarser scale (window of 256 px after downscaling) and the fill upsampled.
    """
    h, w = image.shape
    row, col, r = circle
    radius = max(float(r), 10.0) * 1.3
    scale = max(1.0, 2 * radius / (WINDOW / 2))
    span = int(np.ceil(WINDOW * scale))
    r0 = int(min(max(row - span // 2, 0), max(h - span, 0)))
    c0 = int(min(max(col - span // 2, 0), max(w - span, 0)))
    patch = image[r0:r0 + span, c0:c0 + span].astype(np.float64)
    ph, pw = patch.shape
    work = resize(patch, (WINDOW, WINDOW), order=1, anti_aliasing=True) if (ph, pw) != (WINDOW, WINDOW) else patch
    fy, fx = WINDOW / ph, WINDOW / pw
    hole = _disk(WINDOW, (row - r0) * fy, (col - c0) * fx, radius * fy)
    z, mean, std = standardise(work, 1 - hole)
    g = torch.Generator().manual_seed(int(rng.integers(2 ** 31)))
    with torch.no_grad():
        x = torch.from_numpy(z[None, None].astype(np.float32))
        m = torch.from_numpy(hole[None, None])
        fill = gen(x * (1 - m), m, torch.randn(x.shape, generator=g))[0, 0].numpy().astype(np.float64) * std + mean
    if (ph, pw) != (WINDOW, WINDOW):
        fill = resize(fill, (ph, pw), order=1)
    # A 3-px feather centred on the hole edge: the fill was made to continue its surroundings, so no wide blend.
    disk = soft_disk((ph, pw), row - r0, col - c0, radius - 1.5, 3.0)
    out = image.astype(np.float64).copy()
    out[r0:r0 + ph, c0:c0 + pw] = disk * fill + (1 - disk) * patch
    region = np.zeros((h, w), dtype=np.float32)
    region[r0:r0 + ph, c0:c0 + pw] = disk
    return (quantise8(np.clip(out, 0, 1)) if at_8_bits else np.clip(out, 0, 1)), region


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from attacks.suite import load_display, load_mias
    torch.set_num_threads(2)
    images, _ = load_mias()
    cached_generator(images, load_display)


if __name__ == "__main__":
    main()
