"""AUC, the operating threshold and patient-level bootstrap confidence intervals."""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted as half; NaN when a class is missing."""
    positive = np.asarray(positive).astype(bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def threshold_for_sensitivity(scores: np.ndarray, positive: np.ndarray, target: float = 0.9) -> float:
    """Highest threshold t with sensitivity(score >= t) >= target."""
    pos_scores = np.sort(np.asarray(scores)[np.asarray(positive).astype(bool)])[::-1]
    k = int(np.ceil(target * len(pos_scores)))
    return float(pos_scores[k - 1])


def operating_point(scores: np.ndarray, positive: np.ndarray, threshold: float) -> tuple[float, float]:
    positive = np.asarray(positive).astype(bool)
    called = np.asarray(scores) >= threshold
    return float(called[positive].mean()), float((~called[~positive]).mean())


def test_metrics(scores: np.ndarray, labels: np.ndarray, patients: np.ndarray, threshold: float,
                 resamples: int = 2000, seed: int = 7) -> dict:
    """Point estimates and 95 % percentile CIs from a bootstrap over patients (both breasts move together)."""
    def compute(idx: np.ndarray) -> dict:
        s, l = scores[idx], labels[idx]
        sens, spec = operating_point(s, l > 0, threshold)
        return {"auc_abnormal_vs_normal": auc(s, l > 0), "auc_malignant_vs_rest": auc(s, l == 2),
                "sensitivity": sens, "specificity": spec}

    point = compute(np.arange(len(scores)))
    rng = np.random.default_rng(seed)
    unique = np.unique(patients)
    members = {p: np.nonzero(patients == p)[0] for p in unique}
    samples = {k: [] for k in point}
    for _ in range(resamples):
        idx = np.concatenate([members[p] for p in rng.choice(unique, size=len(unique), replace=True)])
        for k, v in compute(idx).items():
            if not np.isnan(v):
                samples[k].append(v)
    out = {}
    for k, v in point.items():
        arr = np.array(samples[k])
        out[k] = {"value": v, "ci95": [float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))],
                  "resamples_used": int(arr.size)}
    return out
