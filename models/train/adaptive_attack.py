"""Adaptive white-box attack on the guarded classifier: flip the CAD decision AND stay under the guard.

    /usr/bin/python3 models/train/adaptive_attack.py [--limit 6 --steps 10 --lam 1.0 --mu 5.0 --threshold T]
        [--out DIR]

PGD (L-inf, display units, random start) on loss = classifier flip margin (capped at kappa)
  - lam * relu(detector logit - logit(threshold) + margin) - mu * squeeze disagreement,
the detector being the shipped models/detector.onnx run in torch and the squeezers the SDK's (3x3 median and 5-bit
reduction, torch twins of src/detect/feature-squeeze.ts, BPDA straight-through gradients). eps in {1,2,4,8,16}/255.
Success on a test image = the classifier's decision flipped AND the detector score < threshold, both measured on the
16-bit PNG the attack would deliver, preprocessed by preprocess.py from scratch. The default threshold is the
detector's 1 %-FPR score on the clean val images (computed here). Reports the eps at which 50 % of attacks succeed.

--out DIR also writes every delivered image (and its clean original) as a 16-bit PNG with labels.csv (family
"adaptive"), so cadguard-eval can measure what the whole SDK guard says about them (evaluate_guard.sh does).

Not targeted: the noise-consistency and noise-texture signals (src/detect/noise-*.ts) are trimmed-mean, sort- and
median-based statistics of the display image with no useful gradient; this attack does not try to keep them low
(their values are not reported here; the full-guard table of the card shows what they catch).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attacks.diffprep import exact_tensor  # noqa: E402
from attacks.gradient import pgd_keep_best  # noqa: E402
from attacks.onnx_torch import ShippedClassifier, ShippedDetector  # noqa: E402
from attacks.squeeze import median3x3, reduce_bit_depth, squeezed_bpda  # noqa: E402
from attacks.suite import ImageAttacker, load_display, load_mias  # noqa: E402
from make_attacked_set import COLUMNS, select, to_png16  # noqa: E402

SPLIT_PATH = Path(__file__).resolve().parent / "split.json"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
EPS = (1.0, 2.0, 4.0, 8.0, 16.0)


def clean_val_threshold(classifier: ShippedClassifier, detector: ShippedDetector) -> tuple[float, int]:
    images, _ = load_mias()
    refs = json.loads(SPLIT_PATH.read_text())["val"]
    scores = []
    with torch.no_grad():
        for r in refs:
            t = exact_tensor(load_display(r, images), classifier.size)["tensor"]
            scores.append(float(detector(torch.from_numpy(t)[None, None])[0][0]))
    return float(np.quantile(scores, 0.99, method="higher")), len(refs)


def squeeze_value(classifier: ShippedClassifier, tensor: torch.Tensor) -> tuple[float, float]:
    """(score, squeeze disagreement) exactly as the SDK computes them on one [1,1,S,S] tensor."""
    with torch.no_grad():
        batch = torch.cat([tensor, median3x3(tensor), reduce_bit_depth(tensor)])
        s = classifier(batch)[0].numpy().astype(np.float64)
    return float(s[0]), float(max(abs(s[0] - s[1]), abs(s[0] - s[2])))


def attack(attacker: ImageAttacker, detector: ShippedDetector, det_logit_t: float, eps: list[float], steps: int,
           lam: float, mu: float, kappa: float = 1.0, margin: float = 1.0) -> torch.Tensor:
    classifier, prep, x0 = attacker.classifier, attacker.prep, attacker.x0
    n = len(eps)
    e = torch.tensor(eps).view(n, 1, 1)
    alpha = 2.5 * e / steps
    region = attacker.region
    delta = ((torch.rand((n, *x0.shape), generator=attacker.generator) * 2 - 1) * e * region)
    delta = (x0 + delta).clamp(0, 1) - x0

    def loss_fn(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t = prep(x)
        logit, _ = classifier.logits(t)
        flip = attacker.sign * (attacker.logit_t - logit)
        det_logit, _ = detector.logits(t)
        med, bit = squeezed_bpda(t)
        s = torch.sigmoid(logit)
        s_sq = torch.sigmoid(classifier.logits(torch.cat([med, bit]))[0]).view(2, n)
        squeeze = torch.maximum((s - s_sq[0]).abs(), (s - s_sq[1]).abs())
        loss = torch.clamp(flip, max=kappa) - lam * torch.relu(det_logit - det_logit_t + margin) - mu * squeeze
        ok = (flip > 0) & (det_logit < det_logit_t)
        return loss, ok

    return pgd_keep_best(lambda x: loss_fn(x)[0], x0, delta, e, alpha, region, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=6, help="test images (alternating normal/abnormal)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--lam", type=float, default=1.0, help="weight of the detector term")
    parser.add_argument("--mu", type=float, default=5.0, help="weight of the squeeze-disagreement term")
    parser.add_argument("--threshold", type=float, default=None, help="detector score threshold (default: 1 %% FPR on clean val)")
    parser.add_argument("--out", type=Path, default=None, help="write the delivered images and labels.csv here")
    args = parser.parse_args()
    torch.set_num_threads(2)
    started = time.time()
    classifier = ShippedClassifier()
    classifier.check_validation()
    detector = ShippedDetector()
    if args.threshold is None:
        threshold, n_val = clean_val_threshold(classifier, detector)
        rule = f"0.99 quantile ('higher') of detector scores on the {n_val} clean val images"
    else:
        threshold, rule = args.threshold, "given on the command line"
    clipped = min(max(threshold, 1e-6), 1 - 1e-6)
    det_logit_t = float(np.log(clipped / (1 - clipped)))
    images, _ = load_mias()
    chosen = select(json.loads(SPLIT_PATH.read_text())["test"], images, args.limit)
    per_eps = {e: [] for e in EPS}
    rows = []
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    for k, ref in enumerate(chosen):
        t0 = time.time()
        display = load_display(ref, images)
        attacker = ImageAttacker(classifier, display, seed=5000 + int(ref[3:]))
        adv = attack(attacker, detector, det_logit_t, [e / 255 for e in EPS], args.steps, args.lam, args.mu)
        label = images[ref]["label"]
        if args.out:
            to_png16(display, args.out / f"{ref}.png", clean=True)
            rows.append([f"{ref}.png", label, 0, f"{ref}.png", "clean", "", "", ""])
        for e, x in zip(EPS, adv):
            delivered = (np.round(x.numpy().astype(np.float64) * 65535) / 65535).astype(np.float32)
            if args.out:
                to_png16(delivered, args.out / f"{ref}_adaptive_{e:g}.png", clean=False)
            t = torch.from_numpy(exact_tensor(delivered, classifier.size)["tensor"])[None, None]
            score, squeeze = squeeze_value(classifier, t)
            with torch.no_grad():
                det = float(detector(t)[0][0])
            flipped = (score >= classifier.threshold) != attacker.positive
            per_eps[e].append({"refnum": ref, "direction": attacker.direction, "score": score, "flipped": bool(flipped),
                               "detector_score": det, "evades_detector": det < threshold, "squeeze": squeeze,
                               "success": bool(flipped and det < threshold)})
            if args.out:
                rows.append([f"{ref}_adaptive_{e:g}.png", label, 1, f"{ref}.png", "adaptive", f"{e:g}", attacker.direction, int(flipped)])
        print(f"[{k + 1}/{len(chosen)}] {ref} {attacker.direction} "
              + " ".join(f"{e:g}:{'S' if r[-1]['success'] else ('f' if r[-1]['flipped'] else '-')}"
                         for e, r in per_eps.items()) + f" {time.time() - t0:.0f}s", flush=True)
    summary = []
    for e in EPS:
        rs = per_eps[e]
        summary.append({"eps_255": e, "n": len(rs), "success_rate": float(np.mean([r["success"] for r in rs])),
                        "flip_rate": float(np.mean([r["flipped"] for r in rs])),
                        "detector_evasion_rate": float(np.mean([r["evades_detector"] for r in rs])),
                        "squeeze_median": float(np.median([r["squeeze"] for r in rs]))})
    eps50 = next((s["eps_255"] for s in summary if s["success_rate"] >= 0.5), None)
    report = {
        "attack": "adaptive PGD L-inf on the display image, BPDA through the squeezers, detector in the loss",
        "loss": f"min(flip margin, 1) - {args.lam} * relu(detector logit - logit(threshold) + 1) - {args.mu} * squeeze disagreement",
        "steps": args.steps, "random_start": True, "test_images": chosen,
        "classifier_sha256": classifier.sha256, "detector_sha256": detector.sha256,
        "detector_threshold": threshold, "threshold_rule": rule,
        "success": "classifier decision flipped AND detector score < threshold, on the delivered 16-bit image re-preprocessed by preprocess.py",
        "eps50_255": eps50,
        "eps50_note": "smallest eps in {1,2,4,8,16}/255 where >= 50 % of the test images are attacked successfully; null: none",
        "not_targeted": "noise consistency, noise texture and blend seam (not differentiable); squeeze disagreement is driven down but its calibrated "
                        "threshold lives in the manifest's integrity block, so success here ignores it (values reported)",
        "by_eps": summary, "per_image": {str(e): per_eps[e] for e in EPS},
        "seconds": round(time.time() - started, 1),
    }
    if args.out:
        with open(args.out / "labels.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "detector_adaptive.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("detector_threshold", "eps50_255", "by_eps", "seconds")}, indent=2))


if __name__ == "__main__":
    main()
