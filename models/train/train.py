"""Training loop: augmentation, lesion heatmap targets, losses, early stopping on validation AUC."""
from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from metrics import auc
from model import CadguardClassifier

STRIDE = 16


def heatmap_targets(lesions: list[np.ndarray], size: int) -> torch.Tensor:
    """[N,1,S/16,S/16] cells overlapping a lesion circle (radius at least half a cell) are 1."""
    cells = size // STRIDE
    centres = (np.arange(cells) + 0.5) * STRIDE
    out = np.zeros((len(lesions), 1, cells, cells), dtype=np.float32)
    for n, circles in enumerate(lesions):
        for u, v, r in circles:
            r = max(r, STRIDE / 2)
            dx = np.maximum(np.abs(centres - u) - STRIDE / 2, 0.0)
            dy = np.maximum(np.abs(centres - v) - STRIDE / 2, 0.0)
            out[n, 0] = np.maximum(out[n, 0], (dy[:, None] ** 2 + dx[None, :] ** 2 < r * r).astype(np.float32))
    return torch.from_numpy(out)


def augment(x: torch.Tensor, mask: torch.Tensor, lesions: list[np.ndarray], rng: np.random.Generator):
    """Vertical flip, small scale/translation, contrast/offset/gamma-like jitter and noise inside the breast."""
    n, _, size, _ = x.shape
    x = x.clone()
    lesions = [c.copy() for c in lesions]
    theta = torch.zeros(n, 2, 3)
    for i in range(n):
        a = rng.uniform(0.9, 1.1)
        b = rng.uniform(-0.15, 0.15)
        c = rng.uniform(-0.06, 0.06)
        m = mask[i, 0] > 0
        xi = x[i, 0]
        xi[m] = a * xi[m] + b + c * (xi[m] ** 2 - 1.0) + float(rng.uniform(0, 0.08)) * torch.randn(int(m.sum()))
        flip = rng.random() < 0.5
        scale = rng.uniform(0.9, 1.1)
        tx, ty = rng.uniform(-0.05, 0.05, size=2)
        # affine_grid maps output coords p to input coords: p_in = scale * p (+flip) + t
        theta[i, 0, 0] = scale
        theta[i, 1, 1] = -scale if flip else scale
        theta[i, 0, 2] = tx
        theta[i, 1, 2] = ty
        if len(lesions[i]):
            u = (2 * lesions[i][:, 0] / size - 1 - tx) / scale
            v = (2 * lesions[i][:, 1] / size - 1 - ty) / (-scale if flip else scale)
            lesions[i][:, 0] = (u + 1) * size / 2
            lesions[i][:, 1] = (v + 1) * size / 2
            lesions[i][:, 2] = lesions[i][:, 2] / scale
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return x, lesions


def predict(model: CadguardClassifier, tensors: np.ndarray, batch: int = 16) -> np.ndarray:
    model.eval()
    scores = []
    with torch.no_grad():
        for i in range(0, len(tensors), batch):
            s, _ = model(torch.from_numpy(tensors[i:i + batch]).unsqueeze(1))
            scores.append(s.numpy())
    return np.concatenate(scores).astype(np.float64)


def train(data: dict, train_idx: np.ndarray, val_idx: np.ndarray, *, epochs: int, seed: int, log,
          patience: int = 12) -> dict:
    """Train up to `epochs` epochs; stop once validation AUC has not improved for `patience` epochs; keep the best."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    size = data["tensors"].shape[-1]
    abnormal = (data["labels"] > 0).astype(np.float32)
    has_coords = np.array([len(l) > 0 for l in data["lesions"]])
    # Heatmap supervision only where the truth table locates every lesion (normal: all cells 0).
    heat_known = (data["labels"] == 0) | has_coords
    model = CadguardClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(train_idx) / 8)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=epochs * steps_per_epoch, pct_start=0.1)
    pos = abnormal[train_idx].sum()
    image_pos_weight = torch.tensor((len(train_idx) - pos) / pos)
    best = {"auc": -1.0, "epoch": -1, "state": None}
    history = []
    started = time.time()
    val_labels = abnormal[val_idx]
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(train_idx)
        total = 0.0
        for s in range(steps_per_epoch):
            idx = order[s * 8:(s + 1) * 8]
            x = torch.from_numpy(data["tensors"][idx]).unsqueeze(1)
            m = torch.from_numpy(data["masks"][idx]).unsqueeze(1)
            x, lesions = augment(x, m, [data["lesions"][i] for i in idx], rng)
            target_heat = heatmap_targets(lesions, size)
            score_logit, heat_logit = model.logits(x)
            loss_image = F.binary_cross_entropy_with_logits(
                score_logit, torch.from_numpy(abnormal[idx]), pos_weight=image_pos_weight)
            known = torch.from_numpy(heat_known[idx].astype(np.float32)).view(-1, 1, 1, 1)
            heat_loss = F.binary_cross_entropy_with_logits(
                heat_logit, target_heat, pos_weight=torch.tensor(4.0), reduction="none")
            loss_heat = (heat_loss * known).sum() / (known.sum() * heat_loss[0].numel()).clamp(min=1)
            loss = loss_image + 2.0 * loss_heat
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        val_auc = auc(predict(model, data["tensors"][val_idx]), val_labels)
        history.append({"epoch": epoch + 1, "loss": total / len(train_idx), "val_auc": val_auc})
        if val_auc > best["auc"]:
            best = {"auc": val_auc, "epoch": epoch + 1, "state": copy.deepcopy(model.state_dict())}
        log(f"epoch {epoch + 1:3d} loss {total / len(train_idx):.4f} val_auc {val_auc:.3f} "
            f"best {best['auc']:.3f}@{best['epoch']} {time.time() - started:.0f}s")
        if epoch + 1 - best["epoch"] >= patience:
            log(f"early stop: no validation AUC gain for {patience} epochs")
            break
    model.load_state_dict(best["state"])
    model.eval()
    return {"model": model, "best_epoch": best["epoch"], "best_val_auc": best["auc"], "history": history,
            "train_seconds": time.time() - started}
