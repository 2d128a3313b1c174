"""Writes models/MODEL_CARD.md from the build's own results, so every figure in it is reproduced."""
from __future__ import annotations

from pathlib import Path


def _metric(m: dict) -> str:
    lo, hi = m["ci95"]
    return f"{m['value']:.3f} (95 % CI {lo:.3f}-{hi:.3f})"


def write_model_card(path: Path, r: dict) -> None:
    s, t, v = r["split"], r["test"], r["validation"]
    minutes = r["timing_seconds"]["total"] / 60
    text = f"""# cadguard-classifier 0.1.0 — model card

**Research/evaluation model. Not a medical device and not for clinical use.** It was trained on
mini-MIAS, a small research-only data set of digitised film. It exists so that cadguard can be
built, tested and demonstrated end to end; vendors bring their own validated model.

This card is written by `models/train/build_classifier.py`; every figure below comes from that run
(`models/train/results/classifier_metrics.json`).

## What it is
- Input `image` float32 [1, 1, {r['input_size']}, {r['input_size']}] (NCHW), produced by the `mammo-crop-v1` preprocessing
  (`src/image/preprocess.ts`, mirrored by `models/train/preprocess.py`) from MONOCHROME2 display values in [0, 1].
- Outputs, both after a sigmoid inside the graph: `score` [1], the probability that the image shows an
  abnormality (benign or malignant lesion), and `heatmap` [1, 1, {r['heatmap_size']}, {r['heatmap_size']}], the per-cell lesion probability
  over the preprocessed breast (one cell = 16x16 tensor pixels).
- ONNX opset 17, fp32, static shapes, checked with `onnx.checker`.

## Data and licence
mini-MIAS development portion (258 images, 129 women, 1024x1024 8-bit, digitised film, UK):
normal 166, benign 50, malignant 42 images. Licence: research use only; the images may not be
sold, rented or leased. No image or crop of it is in this repository or package. Citation:
J. Suckling et al. (1994), "The Mammographic Image Analysis Society Digital Mammogram Database",
Excerpta Medica, International Congress Series 1069, pp. 375-378.

Split (`models/train/split.json`): by patient, so both breasts of a woman are in one split;
stratified by the patient's worst label; 60/20/20 with a fixed seed.

| split | patients | images | normal | benign | malignant |
|---|---|---|---|---|---|
""" + "".join(
        f"| {k} | {s[k]['patients']} | {s[k]['images']} | {s[k]['by_label']['normal']} | "
        f"{s[k]['by_label']['benign']} | {s[k]['by_label']['malignant']} |\n" for k in ("train", "val", "test")) + f"""
## Preprocessing (mammo-crop-v1)
Quantise display values to 4096 levels; block-average to at most 256 px per side; threshold at half
the Otsu level; erode (5x5), keep the largest 4-connected component, dilate back and fill holes
(whole image when nothing stands out); mirror so the chest wall is on the left (the half of the
breast's bounding box holding more breast); square crop box of side max(width, height) of the
bounding box, anchored at the chest wall (zero-padded where it leaves the image, so the aspect ratio
is kept); exact area-average resize to {r['input_size']}x{r['input_size']}; zero mean / unit variance over breast
pixels, 0 outside. Python and TypeScript agree on the synthetic parity fixtures in
`test/fixtures/preprocess/` (`node models/train/check_parity.mjs`).

## Architecture and training
Fully convolutional: four stride-2 3x3 conv/BN/ReLU stages (16, 32, 48, 64 channels) with residual
blocks, the last two dilated (2, 4) for context; a 1x1 conv gives the heatmap logits at stride 16.
The image logit is a log-sum-exp pool (r = 4) of the heatmap logits plus a linear head on the
globally averaged features, so a confident heatmap cell raises the score. {r['parameters']:,} parameters.

Losses: image BCE (positive class weighted by the train normal/abnormal ratio) + 2 x heatmap BCE
(positive cells weighted 4) on cells overlapping the truth-table lesion circles mapped through the
same crop/flip/resize; abnormal images whose truth table gives no coordinates train the score only.
Augmentation: vertical flip (horizontal orientation is normalised), scale 0.9-1.1, translation
±5 %, contrast/offset/quadratic intensity jitter and Gaussian noise inside the breast. AdamW,
one-cycle learning rate (max 2e-3, scheduled over {r['epochs_max']} epochs), batch 8; early stopping on
validation AUC (abnormal vs normal) with patience {r['patience']}: {r['epochs_run']} epochs ran and the best epoch ({r['best_epoch']}) is kept.

Whole build (preprocessing, training, evaluation, export): {minutes:.1f} min wall on {r['machine']}
(training {r['timing_seconds']['training'] / 60:.1f} min).

## Operating threshold
`thresholds.positive` = {r['threshold']['positive']:.4f}: {r['threshold']['rule']}.
On validation it gives sensitivity {v['sensitivity_at_threshold']:.3f} and specificity {v['specificity_at_threshold']:.3f}
(validation AUC {v['auc_abnormal_vs_normal']:.3f}; used for model selection, so optimistic).

## Test-split results
{s['test']['images']} images of {s['test']['patients']} patients, never used for training, selection or the threshold.
95 % CIs: percentile bootstrap, {r['bootstrap']['resamples']} resamples by {r['bootstrap']['unit']}.

| metric | value |
|---|---|
| AUC abnormal vs normal | {_metric(t['auc_abnormal_vs_normal'])} |
| AUC malignant vs rest | {_metric(t['auc_malignant_vs_rest'])} |
| sensitivity at threshold | {_metric(t['sensitivity'])} |
| specificity at threshold | {_metric(t['specificity'])} |

Per-image test scores: `models/train/results/classifier_test_scores.csv`. The project target was
AUC >= 0.85 for both AUCs; read the figures above against it, and the wide intervals with them.

## Intended use
Research and evaluation of the cadguard SDK: exercising the worker, the engines, the integrity
checks and the adversarial-robustness tooling with a real mammography model. Not for diagnosis,
screening, triage or any clinical decision. Vendors plug in their own validated model through the manifest.

## Limitations
- Tiny data: {s['train']['patients']} training patients; the test split has {s['test']['images']} images, so the CIs are wide.
- Digitised film from one UK programme in the early 1990s at reduced resolution (200 µm); no full-field digital
  mammography, no vendor or processing variety, no tomosynthesis; performance on modern images is unknown.
- Only one view per breast, no prior or contralateral comparison; labels are the MIAS truth table
  (some abnormal images have no lesion coordinates; calcification clusters are circles).
- Side detection is a heuristic: on very large breasts filling the film it can mirror the image the wrong way
  (2 of 258 mini-MIAS images).
- No adversarial robustness or calibration work: scores are not calibrated probabilities outside this data,
  and the model is exactly the kind of model adversarial perturbations fool.
"""
    path.write_text(text)
