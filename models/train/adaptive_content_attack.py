"""Adaptive white-box attack on the content detector: a GAN lesion removal, then PGD that hides it from the guard.

    /usr/bin/python3 models/train/adaptive_content_attack.py --test DIR --out DIR [--steps 20] [--limit N]

Starts from the `gan_removal` images of an attacked test folder (make_attacked_set.py; the very files the card's
gan_removal row counts) and adds an L-inf perturbation (display units, eps in {0.25,0.5,1,2,4,8,16}/255, random start) that
maximises

    min(logit_t - classifier logit, 1)                      (CAD result negative, as the forger wants)
  - lam_c * sum over 3x3 windows of relu(window mean of content cell logits - content threshold + 1)
  - lam_r * relu(residual detector logit - logit(residual threshold) + 1)
  - mu * squeeze disagreement                              (BPDA through the squeezers, as adaptive_attack.py)

with the shipped ONNX models run in torch and the thresholds the calibrated manifest gives each signal (its
`suspicious` z times the signal's scale above its center): a white-box attacker who knows the models and the
manifest. The content detector sees 256-px tiles independently (the SDK's tiling), so the perturbation is confined
to the tiles whose cells reach a window within 2 logits of the content threshold (at least the hottest window's):
the fill's tiles. The noise-
consistency and noise-texture signals are not differentiable and are not targeted.

Writes DIR with the clean originals, the GAN removal itself (eps 0) and every delivered 16-bit image, labels.csv
(family `adaptive_content`) for cadguard-eval, and models/train/results/content_adaptive.json (torch-side values;
in DIR instead with --models, a trial's folder).
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.diffprep import DisplayToTensor  # noqa: E402
from attacks.gradient import pgd_keep_best  # noqa: E402
from attacks.onnx_torch import MODELS_DIR, ShippedClassifier, ShippedDetector  # noqa: E402
from attacks.squeeze import squeezed_bpda  # noqa: E402
from make_attacked_set import COLUMNS, to_png16  # noqa: E402
from train_content import STRIDE, TILE  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
EPS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
CELLS = TILE // STRIDE


def read_png(path: Path) -> np.ndarray:
    return (np.asarray(Image.open(path), dtype=np.float64) / 65535.0).astype(np.float32)


def signal_thresholds(models_dir: Path) -> dict[str, float]:
    """Each signal's value at the manifest's `suspicious` fused score (fusion is the max of per-signal z)."""
    integrity = json.loads((models_dir / "manifest.json").read_text())["integrity"]
    z = integrity["thresholds"]["suspicious"]
    return {k: s["center"] + z * s["scale"] for k, s in integrity["signals"].items()}


def padded_tiles(display: torch.Tensor) -> torch.Tensor:
    """[N, H, W] -> [N, th, tw, TILE, TILE], zero padding to whole tiles as the SDK does."""
    n, h, w = display.shape
    th, tw = -(-h // TILE), -(-w // TILE)
    padded = F.pad(display, (0, tw * TILE - w, 0, th * TILE - h))
    return padded.reshape(n, th, TILE, tw, TILE).permute(0, 1, 3, 2, 4)


def window_values(cells: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """[N, th*C, tw*C] cell logits -> the SDK's 3x3 window means over the image's own cells [N, ceil(h/8), ceil(w/8)].
    Every window, also those the SDK leaves out (centred off the breast): the attack lowers a superset of them."""
    c = cells[:, : -(-h // STRIDE), : -(-w // STRIDE)]
    return F.avg_pool2d(c[:, None], 3, stride=1, padding=1, count_include_pad=False)[:, 0]


class ContentField:
    """Content cell logits of one image where only some tiles change: the others stay as computed once."""

    def __init__(self, content: ShippedDetector, start: np.ndarray, threshold: float, select_margin: float = 2.0) -> None:
        self.content, self.h, self.w = content, *start.shape
        tiles = padded_tiles(torch.from_numpy(start)[None])[0]
        self.th, self.tw = tiles.shape[:2]
        with torch.no_grad():
            flat = tiles.reshape(-1, 1, TILE, TILE)
            heat = torch.cat([content.heat_logits(flat[i:i + 8]) for i in range(0, len(flat), 8)])
        self.cells = heat.reshape(self.th, self.tw, CELLS, CELLS).permute(0, 2, 1, 3).reshape(self.th * CELLS, self.tw * CELLS)
        self.start_value = float(window_values(self.cells[None], self.h, self.w).max())
        windows = window_values(self.cells[None], self.h, self.w)[0]
        # A fill already under the threshold still gets its hottest window's tiles (the attack may need them).
        hot = windows >= min(threshold - select_margin, float(windows.max()))
        # A window reaches one cell around its centre: the tiles holding those cells must move.
        reach = F.max_pool2d(hot[None, None].float(), 3, stride=1, padding=1)[0, 0] > 0
        full = torch.zeros(self.th * CELLS, self.tw * CELLS, dtype=torch.bool)
        full[: reach.shape[0], : reach.shape[1]] = reach
        per_tile = full.reshape(self.th, CELLS, self.tw, CELLS).any(dim=3).any(dim=1)
        self.tiles = [tuple(t) for t in torch.nonzero(per_tile).tolist()]

    def mask(self) -> torch.Tensor:
        """[H, W] 1 on the pixels of the tiles the attack may change."""
        m = torch.zeros(self.th * TILE, self.tw * TILE)
        for ty, tx in self.tiles:
            m[ty * TILE:(ty + 1) * TILE, tx * TILE:(tx + 1) * TILE] = 1
        return m[: self.h, : self.w]

    def windows(self, display: torch.Tensor) -> torch.Tensor:
        """[N, H, W] (changed only on self.tiles) -> window values [N, ch, cw], differentiable."""
        n = display.shape[0]
        tiles = padded_tiles(display)
        picked = torch.stack([tiles[:, ty, tx] for ty, tx in self.tiles], 1).reshape(-1, 1, TILE, TILE)
        heat = self.content.heat_logits(picked).reshape(n, len(self.tiles), CELLS, CELLS)
        cells = self.cells.expand(n, -1, -1).clone()
        for k, (ty, tx) in enumerate(self.tiles):
            cells[:, ty * CELLS:(ty + 1) * CELLS, tx * CELLS:(tx + 1) * CELLS] = heat[:, k]
        return window_values(cells, self.h, self.w)


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def attack(start: np.ndarray, classifier: ShippedClassifier, detector: ShippedDetector, field: ContentField,
           limits: dict[str, float], eps: list[float], steps: int, generator: torch.Generator, lam_c: float, lam_r: float,
           mu: float, kappa: float = 1.0, margin: float = 1.0) -> torch.Tensor:
    prep = DisplayToTensor(start, classifier.size)
    x0 = torch.from_numpy(start)
    region = field.mask()
    n = len(eps)
    e = torch.tensor(eps).view(n, 1, 1)
    alpha = 2.5 * e / steps
    logit_t = logit(classifier.threshold)
    det_logit_t = logit(limits["residual"])

    def loss_fn(x: torch.Tensor) -> torch.Tensor:
        t = prep(x)
        cls, _ = classifier.logits(t)
        flip = logit_t - cls
        det, _ = detector.logits(t)
        med, bit = squeezed_bpda(t)
        s = torch.sigmoid(cls)
        s_sq = torch.sigmoid(classifier.logits(torch.cat([med, bit]))[0]).view(2, n)
        squeeze = torch.maximum((s - s_sq[0]).abs(), (s - s_sq[1]).abs())
        content = torch.relu(field.windows(x) - limits["content"] + margin).flatten(1).sum(1)
        return (torch.clamp(flip, max=kappa) - lam_c * content - lam_r * torch.relu(det - det_logit_t + margin)
                - mu * squeeze)

    delta = (torch.rand((n, *x0.shape), generator=generator) * 2 - 1) * e * region
    delta = ((x0 + delta).clamp(0, 1) - x0).detach()
    return pgd_keep_best(loss_fn, x0, delta, e, alpha, region, steps)


def measure(display: np.ndarray, classifier: ShippedClassifier, detector: ShippedDetector, content: ShippedDetector) -> dict:
    """Torch-side values of the delivered image, preprocessed from scratch by the clean twin of preprocess.py."""
    prep = DisplayToTensor(display, classifier.size)
    with torch.no_grad():
        t = prep(torch.from_numpy(display)[None])
        score = float(torch.sigmoid(classifier.logits(t)[0])[0])
        residual = float(detector(t)[0][0])
        field = ContentField(content, display, threshold=0.0)
    return {"score": score, "residual": residual, "content": field.start_value}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test", type=Path, required=True, help="attacked test folder (make_attacked_set.py)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--models", type=Path, default=MODELS_DIR, help="folder of a calibrated manifest.json and its models")
    parser.add_argument("--lam-c", type=float, default=1.0, help="weight of the content term")
    parser.add_argument("--lam-r", type=float, default=1.0, help="weight of the residual-detector term")
    parser.add_argument("--mu", type=float, default=5.0, help="weight of the squeeze-disagreement term")
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.time()
    classifier = ShippedClassifier(args.models)
    classifier.check_validation()
    detector, content = ShippedDetector(args.models), ShippedDetector(args.models, role="content")
    limits = signal_thresholds(args.models)
    with open(args.test / "labels.csv", newline="") as f:
        chosen = [r for r in csv.DictReader(f) if r["family"] == "gan_removal"][: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    rows, per_image = [], []
    for k, row in enumerate(chosen):
        t0 = time.time()
        start = read_png(args.test / row["file"])
        stem = Path(row["file"]).stem
        shutil.copyfile(args.test / row["source"], args.out / row["source"])
        rows.append([row["source"], row["label"], 0, row["source"], "clean", "", "", ""])
        shutil.copyfile(args.test / row["file"], args.out / f"{stem}_0.png")
        rows.append([f"{stem}_0.png", row["label"], 1, row["source"], "adaptive_content", "0", "pos2neg", ""])
        field = ContentField(content, start, limits["content"])
        generator = torch.Generator().manual_seed(7000 + k)
        adv = attack(start, classifier, detector, field, limits, [e / 255 for e in EPS], args.steps, generator,
                     args.lam_c, args.lam_r, args.mu)
        entry = {"file": row["file"], "tiles": len(field.tiles), "start": measure(start, classifier, detector, content), "eps": {}}
        for e, x in zip(EPS, adv):
            name = f"{stem}_{e:g}.png"
            delivered = to_png16(x.numpy(), args.out / name, clean=False)
            entry["eps"][f"{e:g}"] = measure(delivered, classifier, detector, content)
            rows.append([name, row["label"], 1, row["source"], "adaptive_content", f"{e:g}", "pos2neg", ""])
        per_image.append(entry)
        print(f"[{k + 1}/{len(chosen)}] {row['file']} tiles {len(field.tiles)} content "
              f"{entry['start']['content']:.2f} -> " + " ".join(f"{e}:{v['content']:.2f}" for e, v in entry["eps"].items())
              + f" {time.time() - t0:.0f}s", flush=True)
    with open(args.out / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    below = {"0": float(np.mean([p["start"]["content"] < limits["content"] for p in per_image]))}
    below.update({f"{e:g}": float(np.mean([p["eps"][f"{e:g}"]["content"] < limits["content"] for p in per_image])) for e in EPS})
    report = {
        "attack": "GAN lesion removal, then adaptive PGD L-inf on the display image against the content detector, the "
                  "residual detector and the squeezers (BPDA), keeping the CAD result negative",
        "loss": f"min(logit_t - logit, 1) - {args.lam_c} * sum relu(content window - t_c + 1) - {args.lam_r} * "
                f"relu(residual logit - logit(t_r) + 1) - {args.mu} * squeeze",
        "steps": args.steps, "random_start": True, "perturbed": "the 256-px content tiles the fill reaches",
        "thresholds": {"content": limits["content"], "residual": limits["residual"], "squeeze": limits["squeeze"],
                       "rule": "signal value at the calibrated manifest's suspicious threshold"},
        "content_below_threshold_by_eps": below,
        "images": per_image, "seconds": round(time.time() - started, 1),
    }
    results = RESULTS_DIR if args.models == MODELS_DIR else args.out
    results.mkdir(exist_ok=True)
    (results / "content_adaptive.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("thresholds", "content_below_threshold_by_eps", "seconds")}, indent=2))


if __name__ == "__main__":
    main()
