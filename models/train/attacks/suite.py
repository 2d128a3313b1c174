"""One image through the attack suite: every requested family, each result checked through preprocess.py.

Families: fgsm, pgd_linf (eps 0.5, 1, 2, 4, 8 /255), pgd_l2, mi_fgsm, cw_l2, square, transplant (normal targets),
removal (abnormal images with truth-table coordinates), gan_removal (the same lesions erased by a small inpainting GAN,
attacks/gan_inpaint.py), gan_grain_removal (erased by a second GAN that also matches the film's grain, attacks/grain_gan.py;
no detector ever sees it). Direction is relative to the manifest threshold:
`pos2neg` for an image the classifier calls positive, `neg2pos` otherwise (content manipulation: transplant is
meant to add a finding, removal to hide one, whatever the classifier said).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .content import lesion_rows, remove_lesion, transplant
from .diffprep import DisplayToTensor, exact_tensor
from .gan_inpaint import cached_generator, gan_remove
from .grain_gan import cached_grain_generator
from .gradient import carlini_wagner_l2, fgsm, mi_fgsm, pgd_l2, pgd_linf, run_step_attacks
from .onnx_torch import ShippedClassifier
from .square import square_linf

MIAS_DIR = Path(__file__).resolve().parents[4] / "shared" / "data" / "mias"
PGD_EPS = (0.5, 1.0, 2.0, 4.0, 8.0)          # /255, display units
FGSM_EPS = 4.0
MI_EPS = 4.0
L2_EPS = 4.0                                   # whole-image L2 in display units: rms ~1/255 over 1024x1024
SQUARE_EPS = 8.0
ALL_FAMILIES = ("fgsm", "pgd_linf", "pgd_l2", "mi_fgsm", "cw_l2", "square", "transplant", "removal", "gan_removal",
                "gan_grain_removal")
CONTENT_FAMILIES = ("transplant", "removal", "gan_removal", "gan_grain_removal")
# Families no learned detector trains on (gan_removal: the residual detector never sees it, but the content
# detector, train_content.py, trains on the same generator's fills). Twin: guard_report.mjs.
HELD_OUT = ("cw_l2", "removal", "gan_grain_removal")


@dataclass
class Attacked:
    family: str
    eps: float | None          # /255 for L-inf, display-unit L2 for pgd_l2/cw_l2 (measured), None for content
    direction: str
    display: np.ndarray        # [H, W] float32 in [0, 1]
    region: np.ndarray | None = None   # soft tamper mask [H, W]; None = the whole crop
    meta: dict = field(default_factory=dict)


def load_mias() -> tuple[list[dict], dict]:
    with open(MIAS_DIR / "labels_images.csv", newline="") as f:
        images = {r["refnum"]: {"refnum": r["refnum"], "file": r["file"], "label": r["image_label"]} for r in csv.DictReader(f)}
    circles: dict[str, list[tuple[int, int, int]]] = {}
    with open(MIAS_DIR / "labels_rows.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["x"].strip().isdigit() and r["y"].strip().isdigit() and r["radius"].strip().isdigit():
                circles.setdefault(r["refnum"], []).append((int(r["x"]), int(r["y"]), int(r["radius"])))
    return images, circles


def load_display(refnum: str, images: dict) -> np.ndarray:
    return (np.asarray(Image.open(MIAS_DIR / images[refnum]["file"]), dtype=np.float64) / 255.0).astype(np.float32)


def crop_region(prep: DisplayToTensor) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    h, w = prep.clean.shape
    c = prep.crop
    y0, y1 = max(0, c["y"]), min(h, c["y"] + c["height"])
    x0, x1 = max(0, c["x"]), min(w, c["x"] + c["width"])
    region = torch.zeros(h, w)
    region[y0:y1, x0:x1] = 1
    return region, (y0, x0, y1, x1)


class ImageAttacker:
    """Attacks on one clean display image against the shipped classifier."""

    def __init__(self, classifier: ShippedClassifier, clean: np.ndarray, seed: int) -> None:
        self.classifier = classifier
        self.clean = clean
        self.prep = DisplayToTensor(clean, classifier.size)
        self.twin_error = self.prep.verify()
        if self.twin_error > 1e-4:
            raise SystemExit(f"differentiable mammo-crop-v1 deviates from preprocess.py by {self.twin_error}")
        self.region, self.box = crop_region(self.prep)
        self.x0 = torch.from_numpy(clean)
        self.logit_t = float(np.log(classifier.threshold / (1 - classifier.threshold)))
        with torch.no_grad():
            self.clean_logit = float(classifier.logits(self.prep(self.x0[None]))[0][0])
        self.positive = self.clean_logit >= self.logit_t
        self.sign = 1.0 if self.positive else -1.0
        self.direction = "pos2neg" if self.positive else "neg2pos"
        self.generator = torch.Generator().manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        # Its own stream, so adding the family leaves every other family's images as they were.
        self.gan_rng = np.random.default_rng([seed, 1301])
        self.grain_rng = np.random.default_rng([seed, 2711])

    def objective(self, x: torch.Tensor) -> torch.Tensor:
        """> 0 once the decision has flipped (logit past the threshold in the attack's direction)."""
        logit, _ = self.classifier.logits(self.prep(x))
        return self.sign * (self.logit_t - logit)

    def gradient_family(self, families: list[str], pgd_eps=PGD_EPS, fgsm_eps=FGSM_EPS) -> list[Attacked]:
        specs = []
        if "fgsm" in families:
            specs.append(fgsm(fgsm_eps / 255))
        if "pgd_linf" in families:
            specs += [pgd_linf(e / 255) for e in pgd_eps]
        if "pgd_l2" in families:
            specs.append(pgd_l2(L2_EPS))
        if "mi_fgsm" in families:
            specs.append(mi_fgsm(MI_EPS / 255))
        out = []
        if specs:
            adv, _ = run_step_attacks(self.objective, self.x0, specs, self.generator, self.region)
            for spec, x in zip(specs, adv):
                eps = spec.eps if spec.norm == "2" else spec.eps * 255
                out.append(Attacked(spec.family, round(float(eps), 4), self.direction, x.numpy()))
        if "cw_l2" in families:
            x, _ = carlini_wagner_l2(self.objective, self.x0, region=self.region)
            l2 = float((x[0] - self.x0).norm())
            out.append(Attacked("cw_l2", round(l2, 4), self.direction, x[0].numpy()))
        return out

    def square(self, queries: int) -> Attacked:
        x, _, used = square_linf(self.objective, self.x0, SQUARE_EPS / 255, self.box, queries, self.generator)
        return Attacked("square", SQUARE_EPS, self.direction, x[0].numpy(), meta={"queries": used})

    def content(self, refnum: str, images: dict, circles: dict, donors: list[str], families: list[str]) -> list[Attacked]:
        out = []
        label = images[refnum]["label"]
        h = self.clean.shape[0]
        if "transplant" in families and label == "normal" and donors:
            donor = donors[int(self.rng.integers(len(donors)))]
            donor_img = load_display(donor, images)
            donor_flipped = DisplayToTensor(donor_img, self.classifier.size).flipped
            circle = lesion_rows(circles[donor], h)[0]
            x, region = transplant(self.clean, donor_img, circle, self.prep.flipped, donor_flipped, self.rng)
            out.append(Attacked("transplant", None, "neg2pos", x.astype(np.float32), region, {"donor": donor}))
        if "removal" in families and label != "normal" and circles.get(refnum):
            x = self.clean.astype(np.float64)
            region = np.zeros_like(x, dtype=np.float32)
            for circle in lesion_rows(circles[refnum], h):
                x, reg = remove_lesion(x, circle, self.rng)
                region = np.maximum(region, reg)
            out.append(Attacked("removal", None, "pos2neg", x.astype(np.float32), region))
        for family, grain, rng in (("gan_removal", False, self.gan_rng), ("gan_grain_removal", True, self.grain_rng)):
            if family not in families or label == "normal" or not circles.get(refnum):
                continue
            gen = _generator(images, grain)
            x = self.clean.astype(np.float64)
            region = np.zeros_like(x, dtype=np.float32)
            for circle in lesion_rows(circles[refnum], h):
                x, reg = gan_remove(gen, x, circle, rng)
                region = np.maximum(region, reg)
            out.append(Attacked(family, None, "pos2neg", x.astype(np.float32), region))
        return out


_GENERATORS: dict = {}


def _generator(images: dict, grain: bool = False):
    """An inpainting GAN's generator (the first, or with `grain` the grain-matching one), trained on first use (cached
    in /tmp/cadguard-cache)."""
    if grain not in _GENERATORS:
        _GENERATORS[grain] = (cached_grain_generator if grain else cached_generator)(images, load_display)
    return _GENERATORS[grain]


def decision_after(classifier: ShippedClassifier, displays: list[np.ndarray]) -> tuple[np.ndarray, list[dict]]:
    """Scores through preprocess.py itself (fresh decisions on the attacked image), as the SDK would compute them."""
    preps = [exact_tensor(d, classifier.size) for d in displays]
    with torch.no_grad():
        x = torch.from_numpy(np.stack([p["tensor"] for p in preps]))[:, None]
        scores = np.concatenate([classifier(x[i:i + 8])[0].numpy() for i in range(0, len(x), 8)])
    return scores.astype(np.float64), preps
