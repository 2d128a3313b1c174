"""mammo-crop-v1: the model preprocessing, mirrored line by line in src/image/preprocess.ts.

Every discrete decision (threshold, mask, side, crop box) is taken on exact integers or on
float64 values computed by the same sequence of IEEE operations in both languages, so the two
implementations agree bit for bit on those decisions; only the resize/normalisation sums may
differ in the last bits (summation order), far below the 1e-3 parity tolerance.

Steps (see models/MODEL_CARD.md for the rationale):
 1. clamp display values to [0,1] (NaN -> 0) and quantise q = floor(d*4096 + 0.5) (exact);
 2. block-average q over BxB blocks, B = ceil(max(W,H)/256), into a low-resolution copy;
 3. threshold at half the Otsu level of a 256-bin histogram of the block means;
 4. erode with a 5x5 square, keep the largest 4-connected component (ties: first in raster
    order), dilate it back with the same square and fill its holes;
    fall back to the whole image when there is no split or the component is under 2 % of blocks;
 5. side: the half of the mask's bounding box holding more mask blocks is the chest wall;
    flip when that is the right half;
 6. square crop box of side max(bw,bh) around the bounding box, anchored at the chest wall,
    centred vertically and shifted inside the image where it fits (else zero-padded);
 7. exact area-average resize of the box to SxS with separable weights, mirrored when flipped;
 8. mask at SxS samples the low-resolution mask at each output cell centre;
 9. normalise to zero mean / unit std over mask pixels, zero outside the mask.
"""
from __future__ import annotations

from collections import deque

import numpy as np

PREPROCESS_ID = "mammo-crop-v1"
QUANT_LEVELS = 4096
LOWRES_TARGET = 256
HIST_BINS = 256
OPEN_RADIUS = 2


def _lowres(q: np.ndarray, block: int) -> np.ndarray:
    h, w = q.shape
    lh, lw = -(-h // block), -(-w // block)
    padded = np.zeros((lh * block, lw * block), dtype=np.int64)
    padded[:h, :w] = q
    sums = padded.reshape(lh, block, lw, block).sum(axis=(1, 3))
    col_counts = np.minimum(block, w - np.arange(lw) * block)
    row_counts = np.minimum(block, h - np.arange(lh) * block)
    counts = row_counts[:, None] * col_counts[None, :]
    return sums.astype(np.float64) / counts.astype(np.float64)


def _otsu_threshold(low: np.ndarray) -> float:
    """Half the Otsu level in quantised units, or -1.0 when the histogram has no split."""
    bins = np.minimum(HIST_BINS - 1, np.floor(low / 16.0)).astype(np.int64)
    hist = [int(c) for c in np.bincount(bins.ravel(), minlength=HIST_BINS)]
    total = 0
    total_sum = 0
    for b in range(HIST_BINS):
        total += hist[b]
        total_sum += b * hist[b]
    best = -1.0
    best_bin = -1
    w0 = 0
    s0 = 0
    for t in range(HIST_BINS - 1):
        w0 += hist[t]
        s0 += t * hist[t]
        w1 = total - w0
        if w0 == 0 or w1 == 0:
            continue
        mu0 = float(s0) / float(w0)
        mu1 = float(total_sum - s0) / float(w1)
        d = mu0 - mu1
        between = float(w0) * float(w1) * (d * d)
        if between > best:
            best = between
            best_bin = t
    if best_bin < 0:
        return -1.0
    return float((best_bin + 1) * 8)


def _largest_component(fg: np.ndarray) -> tuple[np.ndarray, int]:
    lh, lw = fg.shape
    flat = fg.ravel().astype(bool).tolist()
    labels = [0] * (lh * lw)
    best_label, best_size, label = 0, 0, 0
    for start in range(lh * lw):
        if not flat[start] or labels[start]:
            continue
        label += 1
        labels[start] = label
        size = 0
        queue = deque([start])
        while queue:
            i = queue.popleft()
            size += 1
            y, x = divmod(i, lw)
            for n, ok in ((i - lw, y > 0), (i + lw, y < lh - 1), (i - 1, x > 0), (i + 1, x < lw - 1)):
                if ok and flat[n] and not labels[n]:
                    labels[n] = label
                    queue.append(n)
        if size > best_size:
            best_size, best_label = size, label
    comp = (np.array(labels, dtype=np.int64) == best_label).reshape(lh, lw) if best_label else np.zeros((lh, lw), bool)
    return comp, best_size


def _square_filter(fg: np.ndarray, radius: int, erode: bool) -> np.ndarray:
    """Separable binary erosion/dilation with a (2r+1)^2 square; outside the grid counts as background."""
    lh, lw = fg.shape
    src = fg.astype(bool)
    horiz = np.zeros_like(src)
    for x in range(lw):
        window = src[:, max(0, x - radius):min(lw, x + radius + 1)]
        full = x - radius >= 0 and x + radius < lw
        horiz[:, x] = (window.all(axis=1) & full) if erode else window.any(axis=1)
    out = np.zeros_like(src)
    for y in range(lh):
        window = horiz[max(0, y - radius):min(lh, y + radius + 1), :]
        full = y - radius >= 0 and y + radius < lh
        out[y, :] = (window.all(axis=0) & full) if erode else window.any(axis=0)
    return out


def _fill_holes(comp: np.ndarray) -> np.ndarray:
    lh, lw = comp.shape
    flat = comp.ravel().tolist()
    outside = [False] * (lh * lw)
    queue = deque()
    for i in range(lh * lw):
        y, x = divmod(i, lw)
        if (y == 0 or y == lh - 1 or x == 0 or x == lw - 1) and not flat[i]:
            outside[i] = True
            queue.append(i)
    while queue:
        i = queue.popleft()
        y, x = divmod(i, lw)
        for n, ok in ((i - lw, y > 0), (i + lw, y < lh - 1), (i - 1, x > 0), (i + 1, x < lw - 1)):
            if ok and not flat[n] and not outside[n]:
                outside[n] = True
                queue.append(n)
    return ~np.array(outside, dtype=bool).reshape(lh, lw)


def _area_weights(origin: int, side: int, size: int, limit: int) -> np.ndarray:
    """Dense [size, limit] matrix of area-average weights; source pixels outside [0, limit) count as 0."""
    weights = np.zeros((size, limit), dtype=np.float64)
    scale = side / size
    for o in range(size):
        start = o * scale
        end = (o + 1) * scale
        p = int(np.floor(start))
        last = int(np.ceil(end)) - 1
        while p <= last:
            src = origin + p
            if 0 <= src < limit:
                weights[o, src] = (min(end, p + 1.0) - max(start, float(p))) / scale
            p += 1
    return weights


def _cell_centres(origin: int, side: int, size: int, limit: int, block: int) -> np.ndarray:
    """Low-resolution index sampled by each output cell centre, or -1 outside the image."""
    scale = side / size
    idx = np.empty(size, dtype=np.int64)
    for o in range(size):
        p = int(np.floor(origin + (o + 0.5) * scale))
        idx[o] = p // block if 0 <= p < limit else -1
    return idx


def preprocess_mammogram(display: np.ndarray, size: int) -> dict:
    """Preprocess one displayed mammogram (H x W, MONOCHROME2 values in [0,1]) to the model tensor.

    Returns dict(tensor=float32[S,S], mask=uint8[S,S], flipped=bool, crop=dict(x,y,width,height)).
    """
    # The SDK hands float32 to the TS twin; round through float32 so both see the same values.
    d = np.asarray(display, dtype=np.float32).astype(np.float64)
    height, width = d.shape
    d = np.where(d > 0, np.minimum(d, 1.0), 0.0)
    q = np.floor(d * QUANT_LEVELS + 0.5).astype(np.int64)

    block = max(1, -(-max(width, height) // LOWRES_TARGET))
    low = _lowres(q, block)
    lh, lw = low.shape
    threshold = _otsu_threshold(low)
    mask_low = None
    if threshold >= 0:
        # The opening cuts thin bridges (film edges, label tapes) between the breast and other blobs.
        eroded = _square_filter(low > threshold, OPEN_RADIUS, erode=True)
        comp, comp_size = _largest_component(eroded)
        if comp_size * 50 >= lh * lw:
            mask_low = _fill_holes(_square_filter(comp, OPEN_RADIUS, erode=False))
    if mask_low is None:
        mask_low = np.ones((lh, lw), dtype=bool)

    cols = np.nonzero(mask_low.any(axis=0))[0]
    rows = np.nonzero(mask_low.any(axis=1))[0]
    bx0, bx1, by0, by1 = int(cols[0]), int(cols[-1]), int(rows[0]), int(rows[-1])
    half = (bx1 - bx0 + 1) // 2
    left = int(mask_low[:, bx0:bx0 + half].sum())
    right = int(mask_low[:, bx1 + 1 - half:bx1 + 1].sum())
    flipped = right > left

    px0, px1 = bx0 * block, min(width, (bx1 + 1) * block)
    py0, py1 = by0 * block, min(height, (by1 + 1) * block)
    bw, bh = px1 - px0, py1 - py0
    side = max(bw, bh)
    y0 = py0 + (bh - side) // 2
    if side <= height:
        y0 = min(max(y0, 0), height - side)
    x0 = px1 - side if flipped else px0
    if side <= width:
        x0 = min(max(x0, 0), width - side)

    wx = _area_weights(x0, side, size, width)
    wy = _area_weights(y0, side, size, height)
    rows_used = np.nonzero(wy.any(axis=0))[0]
    cols_used = np.nonzero(wx.any(axis=0))[0]
    out = np.zeros((size, size), dtype=np.float64)
    if rows_used.size and cols_used.size:
        r0, r1 = rows_used[0], rows_used[-1] + 1
        c0, c1 = cols_used[0], cols_used[-1] + 1
        out = wy[:, r0:r1] @ (d[r0:r1, c0:c1] @ wx[:, c0:c1].T)

    cy = _cell_centres(y0, side, size, height, block)
    cx = _cell_centres(x0, side, size, width, block)
    mask = np.zeros((size, size), dtype=np.uint8)
    valid = (cy[:, None] >= 0) & (cx[None, :] >= 0)
    mask[valid] = mask_low[np.maximum(cy, 0)[:, None], np.maximum(cx, 0)[None, :]][valid]
    if flipped:
        out = out[:, ::-1]
        mask = mask[:, ::-1]
    if mask.sum() == 0:
        mask[:, :] = 1

    inside = out[mask == 1]
    mean = inside.sum() / inside.size
    std = float(np.sqrt(((inside - mean) ** 2).sum() / inside.size))
    if std < 1e-6:
        std = 1.0
    tensor = np.where(mask == 1, (out - mean) / std, 0.0).astype(np.float32)
    return {
        "tensor": np.ascontiguousarray(tensor),
        "mask": np.ascontiguousarray(mask),
        "flipped": bool(flipped),
        "crop": {"x": int(x0), "y": int(y0), "width": int(side), "height": int(side)},
    }


def source_to_tensor(x: float, y: float, crop: dict, flipped: bool, size: int) -> tuple[float, float]:
    """Map a source pixel-centre coordinate (column x, row y) to tensor coordinates (u, v)."""
    scale = size / crop["width"]
    u = (x + 0.5 - crop["x"]) * scale
    v = (y + 0.5 - crop["y"]) * scale
    if flipped:
        u = size - u
    return u, v
