"""Trains the content detector: a small residual CNN that reads the display image at its FULL resolution.

The shipped residual detector reads the classifier's 512-px tensor; at that scale the inpainting GAN's fills and
lesion transplants look like clean tissue (models/DETECTOR_CARD.md). content_patch_probe.py showed the fill's
texture is visible at the display's own resolution. This model is that probe made fully convolutional and local:

    display tile [N,1,256,256] (display values in [0,1], unstandardised) -> fixed SRM bank -> 4 conv blocks to
    stride 8 -> per-cell tamper probability [N,1,32,32] (and a tile score)

The SDK runs it on 256-px tiles covering the display image's breast and takes the largest 3x3-smoothed cell logit
around a breast cell as the `content` signal. Trained on pairs of 256-px windows at one place of a train-split image: the image as its source
delivers it (stored, or through a simulated acquisition chain of make_source_variants.py) and the same delivered
image with a GAN fill (attacks/gan_inpaint.py), made after delivery and saved as that source saves (8 bits, JPEG,
12-16 bits), as a forger would; plus clean windows anywhere (background, skin line, film edge). It is the same
generator the test set's `gan_removal` uses: this measures detection of a KNOWN generator, not of GAN fills in
general. Two chains are kept out of training to measure unseen sources; classical inpainting (`removal`) and
transplants are never shown to it.

    /usr/bin/python3 models/train/train_content.py        (about 10 min on 2 cores; the GAN is trained first if
                                                          /tmp/cadguard-cache lacks it, about 14 min)
    --out DIR: a trial that leaves the shipped files alone; --adv-eps E --adv-steps K: adversarial training (PGD
    on half of each batch's fill windows); --transplants K: K lesion transplants per chain of each normal image as
    further positives; --regrain P: that share of the GAN fills gets the film's own grain (regrain()) (all three
    tried, see README.md, none used for the shipped model)
Writes models/content.onnx, its manifest entry and results/content_training.json.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.content import lesion_donors, lesion_rows, quantise8, transplant  # noqa: E402
from attacks.diffprep import DisplayToTensor  # noqa: E402
from attacks.gan_inpaint import cached_generator, gan_remove  # noqa: E402
from attacks.suite import load_display, load_mias  # noqa: E402
from export import validation_values, write_manifest  # noqa: E402
from make_source_variants import SOURCES, delivered  # noqa: E402
from metrics import auc  # noqa: E402
from train_detector import ResidualDetector, block  # noqa: E402
from webgpu_safe import pad_first_conv_channels  # noqa: E402

MODELS_DIR = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "content_training.json"
MANIFEST_ID = "cadguard-content"
TILE = 256
STRIDE = 8
CHAINS_PER_IMAGE = 2
FILLS_PER_CHAIN = 3
CLEAN_PER_CHAIN = 3
JPEG_QUALITIES = (80, 85, 90, 95)
STEPS = 3000
BATCH = 16
SEED = 5303
# Adversarial training (hide_fills): budget and PGD steps; half of each batch's fill windows are attacked.
ADV_EPS = 0.0
ADV_STEPS = 2
# The simulated chains (make_source_variants.SOURCES) this model trains and is validated on, in that file's order:
# chains added there later are not drawn, so a rerun still reproduces the shipped model and its figures.
CHAINS = ("archived-16bit", "ffdm-12bit-lownoise", "ffdm-14bit-processed", "ffdm-16bit-highnoise",
          "digitiser-lowres-10bit", "film-8bit-jpeg90", "ffdm-12bit-smooth", "digitiser-streaks-12bit")
# Kept out of training, so the source test measures chains the content detector never saw.
UNSEEN_SOURCES = ("ffdm-16bit-highnoise", "digitiser-streaks-12bit")


class ContentDetector(ResidualDetector):
    """The residual detector's front and head on a shorter body (4 blocks, 16 channels): about 400 multiply-adds per
    display pixel, because it runs on every display pixel rather than on a 512-px tensor."""

    def __init__(self) -> None:
        super().__init__(width=8)
        self.body = nn.Sequential(block(6, 8, stride=2), block(8, 16, stride=2), block(16, 16, stride=2),
                                  block(16, 16, dilation=2))
        self.heat = nn.Conv2d(16, 1, 1)


def fill_radius(rng: np.random.Generator) -> int:
    """Lesion radii like mini-MIAS's (most 10-50 px at 1024 px, a few up to 150)."""
    return int(rng.uniform(8, 50) if rng.random() < 0.7 else rng.uniform(50, 130))


def chain(rng: np.random.Generator, allowed: list[str]) -> tuple | None:
    """A random acquisition chain (None: the image as stored). JPEG chains come twice as often and at varied quality:
    block artefacts are the clean texture most like a fill's edge."""
    if rng.random() < 0.3:
        return None
    names = allowed + [n for n in allowed if SOURCES[n][5] is not None]
    params = SOURCES[names[int(rng.integers(len(names)))]]
    if params[5] is not None:
        params = params[:5] + (int(rng.choice(JPEG_QUALITIES)),) + params[6:]
    return params


def through(window: np.ndarray, params: tuple | None, seed: int) -> np.ndarray:
    return window if params is None else delivered(window, np.random.default_rng(seed), *params)


def cell_target(region: np.ndarray) -> np.ndarray:
    """1 where a cell is mostly fill, 0 where untouched, -1 (ignored) on the feathered edge."""
    cells = region.reshape(TILE // STRIDE, STRIDE, TILE // STRIDE, STRIDE).mean(axis=(1, 3))
    return np.where(cells >= 0.5, 1.0, np.where(cells <= 0.02, 0.0, -1.0)).astype(np.float32)


def stored_as_source(image: np.ndarray, params: tuple | None) -> np.ndarray:
    """A manipulated image saved the way its source stores images (the film scans: 8 bits; JPEG sources re-saved)."""
    if params is None:
        return quantise8(image)
    bits, jpeg = params[1], params[5]
    if jpeg is not None:
        buffer = io.BytesIO()
        Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), mode="L").save(buffer, format="JPEG", quality=jpeg)
        return np.asarray(Image.open(buffer), dtype=np.float64) / 255
    levels = 2 ** bits - 1
    return np.round(np.clip(image, 0, 1) * levels) / levels


def lesion_transplant(d: np.ndarray, donor_ref: str, images: dict, circles: dict, params: tuple | None,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A lesion of `donor_ref`, delivered through the same chain as `d`, pasted into `d` (attacks/content.transplant:
    blended, mean and noise matched) and saved as that source saves."""
    donor = through(load_display(donor_ref, images).astype(np.float64), params, int(rng.integers(2 ** 31)))
    circle = lesion_rows(circles[donor_ref], donor.shape[0])[0]
    pasted, region = transplant(d, donor, circle, DisplayToTensor(d.astype(np.float32), 512).flipped,
                                DisplayToTensor(donor.astype(np.float32), 512).flipped, rng, at_8_bits=False)
    return stored_as_source(pasted, params), region


def regrain(filled: np.ndarray, d: np.ndarray, region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The fill's own fine texture replaced by real grain: its Gaussian low-pass (sigma 1-2 px) plus the high-pass of
    the same delivered image at a nearby place on the breast, what a forger who knows the detector reads the grain
    would do to any generator's fill. Trains the detector on what is left of a fill once its grain is the film's. A
    fill with no such place within 30 tries (near the image's edge) is left as it is."""
    ys, xs = np.nonzero(region > 0)
    h, w = d.shape
    y0, y1 = max(int(ys.min()) - 8, 0), min(int(ys.max()) + 9, h)
    x0, x1 = max(int(xs.min()) - 8, 0), min(int(xs.max()) + 9, w)
    bh, bw = y1 - y0, x1 - x0
    sigma = float(rng.uniform(1.0, 2.0))
    source = None
    for _ in range(30):
        angle, reach = rng.uniform(0, 2 * np.pi), rng.uniform(1.0, 2.0) * max(bh, bw)
        sy, sx = int(round(y0 + reach * np.sin(angle))), int(round(x0 + reach * np.cos(angle)))
        if 0 <= sy <= h - bh and 0 <= sx <= w - bw and d[sy:sy + bh, sx:sx + bw].min() > 0.2:
            source = d[sy:sy + bh, sx:sx + bw]
            break
    if source is None:
        return filled
    grain = source - ndimage.gaussian_filter(source, sigma, mode="reflect")
    box = filled[y0:y1, x0:x1]
    out = filled.copy()
    out[y0:y1, x0:x1] = box + region[y0:y1, x0:x1] * (ndimage.gaussian_filter(box, sigma, mode="reflect") + grain - box)
    return np.clip(out, 0, 1)


def window_pair(d: np.ndarray, fake: np.ndarray, region: np.ndarray, cy: int, cx: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same 256-px window of the clean and the manipulated image near (cy, cx), shifted at random so the change
    is not always central, and the manipulated window's cell targets."""
    h, w = d.shape
    oy, ox = rng.integers(-TILE // 2 + 16, TILE // 2 - 16, 2)
    y0 = int(min(max(cy + oy - TILE // 2, 0), h - TILE))
    x0 = int(min(max(cx + ox - TILE // 2, 0), w - TILE))
    return d[y0:y0 + TILE, x0:x0 + TILE], fake[y0:y0 + TILE, x0:x0 + TILE], cell_target(region[y0:y0 + TILE, x0:x0 + TILE])


def make_windows(refs: list[str], images: dict, gen, rng: np.random.Generator, allowed: list[str],
                 circles: dict | None = None, transplants: int = 0, regrained: float = 0.0) -> dict:
    """Pairs of windows at one place: a delivered image (stored, or through a simulated chain) and the same image with
    a GAN fill made AFTER delivery and saved as that source saves, as a forger would; plus clean windows anywhere.
    With `transplants` > 0, each normal image's chains also give that many pairs clean / lesion transplanted from an
    abnormal image of the same refs (their own generator, so the fill windows stay those of a run without them).
    With `regrained` > 0, that share of the GAN fills gets the film's own grain (the fill's low-pass plus the high-pass
    of the same image nearby; its own generator too, so at 0 the windows are the shipped ones)."""
    xs, targets, kinds = [], [], []
    zeros = np.zeros((TILE // STRIDE,) * 2, np.float32)
    donors = lesion_donors(refs, images, circles) if transplants else []
    t_rng = np.random.default_rng(SEED + 11) if transplants else None
    g_rng = np.random.default_rng(SEED + 13)   # its own stream: without regraining the windows are the shipped ones
    for ref in refs:
        stored = load_display(ref, images).astype(np.float64)
        h, w = stored.shape
        for _ in range(CHAINS_PER_IMAGE):
            params = chain(rng, allowed)
            d = through(stored, params, int(rng.integers(2 ** 31)))
            inside = np.argwhere(d > 0.25)
            for _ in range(FILLS_PER_CHAIN):
                cy, cx = (int(v) for v in inside[rng.integers(len(inside))])
                filled, region = gan_remove(gen, d, (cy, cx, fill_radius(rng)), rng, at_8_bits=False)
                if regrained and g_rng.random() < regrained:
                    filled = regrain(filled, d, region, g_rng)
                clean, fake, target = window_pair(d, stored_as_source(filled, params), region, cy, cx, rng)
                xs += [clean, fake]
                targets += [zeros, target]
                kinds += ["clean", "gan_fill"]
            for _ in range(transplants if images[ref]["label"] == "normal" and donors else 0):
                pasted, region = lesion_transplant(d, donors[int(t_rng.integers(len(donors)))], images, circles, params, t_rng)
                cy, cx = (int(v) for v in np.argwhere(region > 0.5).mean(0))
                clean, fake, target = window_pair(d, pasted, region, cy, cx, t_rng)
                xs += [clean, fake]
                targets += [zeros, target]
                kinds += ["clean", "transplant"]
            for _ in range(CLEAN_PER_CHAIN):   # anywhere: background, skin line, labels, film edge
                y0, x0 = int(rng.integers(0, h - TILE + 1)), int(rng.integers(0, w - TILE + 1))
                xs.append(d[y0:y0 + TILE, x0:x0 + TILE])
                targets.append(zeros)
                kinds.append("clean")
    return {"x": torch.from_numpy(np.stack(xs)[:, None].astype(np.float32)),
            "target": torch.from_numpy(np.stack(targets)[:, None]), "kind": np.array(kinds)}


def loss_of(model: ContentDetector, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    score, heat = model.logits(x)
    known = target >= 0
    cells = F.binary_cross_entropy_with_logits(heat[known], target[known])
    tile = F.binary_cross_entropy_with_logits(score, (target.flatten(1).amax(1) > 0).float())
    return cells + 0.5 * tile


def hide_fills(model: ContentDetector, x: torch.Tensor, target: torch.Tensor, eps: float, steps: int,
               generator: torch.Generator) -> torch.Tensor:
    """PGD (L-inf, random start) that pushes the fill cells' logits down: what a forger with the model would deliver.
    Windows without fill cells are returned as they are."""
    fill = (target > 0).float()
    has = fill.flatten(1).amax(1) > 0
    if not bool(has.any()) or eps <= 0:
        return x
    xf, tf = x[has], fill[has]
    delta = (torch.rand(xf.shape, generator=generator) * 2 - 1) * eps
    for _ in range(steps):
        delta.requires_grad_(True)
        _, heat = model.logits((xf + delta).clamp(0, 1))
        grad, = torch.autograd.grad((heat * tf).sum(), delta)
        delta = (delta - 1.5 * eps / steps * grad.sign()).clamp(-eps, eps).detach()
    out = x.clone()
    out[has] = (xf + delta).clamp(0, 1)
    return out


def tile_cells(model: ContentDetector, display: np.ndarray) -> np.ndarray:
    """Cell logits over a whole display image, tile by tile as the SDK runs it (zero padding to whole tiles)."""
    h, w = display.shape
    th, tw = math.ceil(h / TILE), math.ceil(w / TILE)
    padded = np.zeros((th * TILE, tw * TILE), np.float32)
    padded[:h, :w] = display
    tiles = padded.reshape(th, TILE, tw, TILE).transpose(0, 2, 1, 3).reshape(-1, 1, TILE, TILE)
    with torch.no_grad():
        heat = torch.cat([model.logits(torch.from_numpy(tiles[i:i + 8]))[1] for i in range(0, len(tiles), 8)])
    c = TILE // STRIDE
    cells = heat.numpy().reshape(th, tw, c, c).transpose(0, 2, 1, 3).reshape(th * c, tw * c)
    return cells[: math.ceil(h / STRIDE), : math.ceil(w / STRIDE)]


def image_value(cells: np.ndarray) -> float:
    """The SDK's `content` value as content-v1 computed it: the largest 3x3 mean of cell logits (edge cells average
    what they have). content-v2 (src/detect/content-tiles.ts) takes only neighbourhoods around a cell on the breast;
    the validation figures this script reports predate it."""
    padded = np.pad(cells.astype(np.float64), 1)
    ones = np.pad(np.ones_like(cells, dtype=np.float64), 1)
    h, w = cells.shape
    total = sum(padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3))
    count = sum(ones[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3))
    return float((total / count).max())


def image_level(model: ContentDetector, refs: list[str], images: dict, gen, rng: np.random.Generator) -> dict:
    """Whole val images, per chain: clean vs one GAN fill at a random breast position made after delivery."""
    model.eval()
    clean, fills = {}, {}
    for ref in refs:
        stored = load_display(ref, images).astype(np.float64)
        for name, params in [("stored", None)] + [(n, SOURCES[n]) for n in CHAINS]:
            d = through(stored, params, int(rng.integers(2 ** 31)))
            clean.setdefault(name, []).append(image_value(tile_cells(model, d)))
            inside = np.argwhere(d > 0.25)
            cy, cx = (int(v) for v in inside[rng.integers(len(inside))])
            filled, _ = gan_remove(gen, d, (cy, cx, fill_radius(rng)), rng, at_8_bits=False)
            fills.setdefault(name, []).append(image_value(tile_cells(model, stored_as_source(filled, params))))
    every_clean = np.concatenate([np.array(v) for v in clean.values()])
    threshold = float(np.quantile(every_clean, 0.99))
    result = {"clean_images": len(every_clean), "clean_p99": round(threshold, 3), "clean_max": round(float(every_clean.max()), 3),
              "by_chain": {}}
    for name in clean:
        c, f = np.array(clean[name]), np.array(fills[name])
        result["by_chain"][name] = {
            "unseen_in_training": name in UNSEEN_SOURCES, "n": len(f),
            "auc": round(auc(np.r_[c, f], np.r_[np.zeros(len(c)), np.ones(len(f))]), 4),
            "tpr_at_clean_p99": round(float(np.mean(f > threshold)), 4), "clean_max": round(float(c.max()), 3),
            "fill_median": round(float(np.median(f)), 3)}
    return result


def transplant_level(model: ContentDetector, refs: list[str], images: dict, circles: dict, threshold: float,
                     rng: np.random.Generator) -> dict:
    """Whole val images, stored as the film scans are: each normal image with one lesion transplanted from an abnormal
    image of the same refs, against the clean images split by label (a detector that learnt "a lesion is a forgery"
    would flag clean abnormal images)."""
    model.eval()
    donors = lesion_donors(refs, images, circles)
    clean = {"normal": [], "abnormal": []}
    pasted = []
    for ref in refs:
        d = load_display(ref, images).astype(np.float64)
        clean["normal" if images[ref]["label"] == "normal" else "abnormal"].append(image_value(tile_cells(model, d)))
        if images[ref]["label"] == "normal":
            x, _ = lesion_transplant(d, donors[int(rng.integers(len(donors)))], images, circles, None, rng)
            pasted.append(image_value(tile_cells(model, x)))
    c, f = np.array(clean["normal"] + clean["abnormal"]), np.array(pasted)
    return {"threshold": "clean_p99 of image_level", "n": len(f),
            "auc": round(auc(np.r_[c, f], np.r_[np.zeros(len(c)), np.ones(len(f))]), 4),
            "tpr_at_clean_p99": round(float(np.mean(f > threshold)), 4), "transplant_median": round(float(np.median(f)), 3),
            "clean_normal_max": round(max(clean["normal"]), 3), "clean_abnormal_max": round(max(clean["abnormal"]), 3),
            "clean_abnormal_over_threshold": int(np.sum(np.array(clean["abnormal"]) > threshold))}


def content_setup(seed: int) -> tuple[dict, dict, object, dict]:
    """What the content scripts start from: 2 torch threads, torch seeded, mini-MIAS with its lesion circles, the
    cached inpainting GAN (trained on first use) and the split."""
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    images, circles = load_mias()
    gen = cached_generator(images, load_display)
    split = json.loads((Path(__file__).resolve().parent / "split.json").read_text())
    return images, circles, gen, split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="folder for content.onnx and manifest.json (a trial elsewhere leaves the shipped ones)")
    parser.add_argument("--adv-eps", type=float, default=ADV_EPS * 255, help="adversarial training: L-inf budget in 1/255 (0: off)")
    parser.add_argument("--adv-steps", type=int, default=ADV_STEPS, help="adversarial training: PGD steps per batch")
    parser.add_argument("--transplants", type=int, default=0, help="lesion transplants per chain of each normal image (0: none, as shipped)")
    parser.add_argument("--regrain", type=float, default=0.0, help="share of GAN fills whose fine texture is replaced by the image's own grain (regrain(); 0 as shipped)")
    args = parser.parse_args()
    started = time.time()
    images, circles, gen, split = content_setup(SEED)
    allowed = [s for s in CHAINS if s not in UNSEEN_SOURCES]
    rng = np.random.default_rng(SEED)
    data = make_windows(sorted(split["train"]), images, gen, rng, allowed, circles, args.transplants, args.regrain)
    val = make_windows(sorted(split["val"]), images, gen, np.random.default_rng(SEED + 1), list(CHAINS), circles, args.transplants, args.regrain)
    print(f"{len(data['x'])} train windows, {len(val['x'])} val windows ({time.time() - started:.0f} s)", flush=True)
    model = ContentDetector()
    opt = torch.optim.AdamW(model.parameters(), 2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=STEPS)
    g = torch.Generator().manual_seed(SEED)
    # Its own stream, so training without the attack draws the same batches as before it existed.
    g_adv = torch.Generator().manual_seed(SEED + 7)
    adv_eps = args.adv_eps / 255
    history = []
    for step in range(1, STEPS + 1):
        model.train()
        pick = torch.randint(0, len(data["x"]), (BATCH,), generator=g)
        x, t = data["x"][pick], data["target"][pick]
        if float(torch.rand(1, generator=g)) < 0.5:
            x, t = x.flip(3), t.flip(3)
        if adv_eps > 0:
            half = BATCH // 2
            model.eval()
            x = torch.cat([hide_fills(model, x[:half], t[:half], adv_eps, args.adv_steps, g_adv), x[half:]])
            model.train()
        loss = loss_of(model, x, t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0 or step == STEPS:
            model.eval()
            with torch.no_grad():
                scores = torch.cat([model.logits(val["x"][i:i + 32])[0] for i in range(0, len(val["x"]), 32)]).numpy().ravel()
            clean, fake = scores[val["kind"] == "clean"], scores[val["kind"] == "gan_fill"]
            row = {"step": step, "loss": round(float(loss), 4), "seconds": round(time.time() - started),
                   "window_auc": round(auc(np.r_[clean, fake], np.r_[np.zeros(len(clean)), np.ones(len(fake))]), 4),
                   "window_tpr_at_clean_p99": round(float(np.mean(fake > np.quantile(clean, 0.99))), 4)}
            pasted = scores[val["kind"] == "transplant"]
            if len(pasted):
                row["transplant_window_auc"] = round(auc(np.r_[clean, pasted], np.r_[np.zeros(len(clean)), np.ones(len(pasted))]), 4)
                row["transplant_window_tpr_at_clean_p99"] = round(float(np.mean(pasted > np.quantile(clean, 0.99))), 4)
            history.append(row)
            print(json.dumps(row), flush=True)
    model.eval()
    whole = image_level(model, sorted(split["val"]), images, gen, np.random.default_rng(SEED + 2))
    print(json.dumps(whole), flush=True)
    pasted = transplant_level(model, sorted(split["val"]), images, circles, whole["clean_p99"], np.random.default_rng(SEED + 3))
    print(json.dumps({"transplants": pasted}), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.out != MODELS_DIR:
        torch.save(model.state_dict(), args.out / "content.pt")
    path = args.out / "content.onnx"
    torch.onnx.export(model, torch.zeros(1, 1, TILE, TILE), str(path), opset_version=17, input_names=["image"],
                      output_names=["score", "heatmap"], do_constant_folding=True,
                      dynamic_axes={"image": {0: "batch"}, "score": {0: "batch"}, "heatmap": {0: "batch"}})
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    pad_first_conv_channels(str(path))
    blob = path.read_bytes()
    params = sum(p.numel() for p in model.parameters())
    train_info = (f"ContentDetector ({params} parameters), {STEPS} steps of {BATCH} 256-px windows, pairs clean / GAN fill "
                  f"from {len(split['train'])} mini-MIAS train-split images (research-only data set; a research/evaluation "
                  f"model) through simulated acquisition chains except {', '.join(UNSEEN_SOURCES)}"
                  + (f"; adversarial training {args.adv_eps:g}/255, {args.adv_steps} PGD steps" if adv_eps > 0 else "")
                  + (f"; plus {args.transplants} lesion transplants per chain of each normal image" if args.transplants else "")
                  + "; models/train/train_content.py")
    write_manifest(args.out / "manifest.json", {
        "id": MANIFEST_ID, "role": "content", "version": "0.1.0", "file": path.name,
        "sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob),
        "input": {"name": "image", "shape": [1, 1, TILE, TILE], "layout": "NCHW", "preprocess": "display-tiles-v1",
                  "batch": "dynamic", "display": "display values in [0,1] after VOI, full resolution, zero-padded 256-px tiles"},
        "outputs": [
            {"name": "score", "shape": [1], "range": [0, 1], "meaning": "probability that the tile holds a learned (GAN) fill"},
            {"name": "heatmap", "shape": [1, 1, TILE // STRIDE, TILE // STRIDE], "range": [0, 1],
             "meaning": "per-cell (8x8 display pixels) probability of a learned fill"},
        ],
        "thresholds": {},
        "validation": validation_values(model, TILE),
        "training": train_info,
    })
    (RESULTS if args.out == MODELS_DIR else args.out / RESULTS.name).write_text(json.dumps({"windows": {"train": len(data["x"]), "val": len(val["x"])}, "parameters": params,
                                   "unseen_sources": UNSEEN_SOURCES, "history": history, "val_images": whole,
                                   "val_transplants": pasted, "transplants_per_chain": args.transplants,
                                   "seconds": round(time.time() - started)}, indent=2) + "\n")
    print(f"wrote {path} ({len(blob)} bytes) in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
