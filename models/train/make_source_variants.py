"""Clean images as other acquisition chains would have made them, to measure the guard's false positives on sources
it was not calibrated on (a detector that flags an unfamiliar scanner's clean images is useless).

    /usr/bin/python3 models/train/make_source_variants.py --split test --out DIR [--sources a,b,...]

Each clean mini-MIAS image of the split is re-rendered through simulated chains ("archived-16bit" is the image as
the attacked sets store it: the 8-bit film scan as 16-bit PNG, value * 257): other noise levels (signal-dependent),
bit depths, tone curves, sharpening (vendor processing), a lower-resolution digitiser, a line-scanner digitiser
with column streaks (structured like the Square attack's stripes, but fixed and weak), JPEG, a detector that delivers
exactly 0 outside the breast (a "for presentation" image with its background blanked). Files go to DIR with a
labels.csv (file,label,tampered,source,family) that cadguard-eval and cadguard-calibrate read. The images are derived
from research-only data: write them outside the repository and never ship them.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import MIAS_DIR, ensure_split, load_labels  # noqa: E402

# name -> (noise sigma at mid grey, bits, gamma, unsharp amount, downsample factor, jpeg quality or None,
#          column streak sigma: a fixed offset per column, display units, background blanked to exactly 0)
SOURCES = {
    "archived-16bit": (0.0, 16, 1.0, 0.0, 1, None, 0.0, False),
    "ffdm-12bit-lownoise": (0.003, 12, 1.0, 0.0, 1, None, 0.0, False),
    "ffdm-14bit-processed": (0.006, 14, 0.75, 0.8, 1, None, 0.0, False),
    "ffdm-16bit-highnoise": (0.012, 16, 1.2, 0.0, 1, None, 0.0, False),
    "digitiser-lowres-10bit": (0.004, 10, 1.0, 0.0, 2, None, 0.0, False),
    "film-8bit-jpeg90": (0.008, 8, 1.1, 0.3, 1, 90, 0.0, False),
    "ffdm-12bit-smooth": (0.002, 12, 0.9, -0.5, 1, None, 0.0, False),
    "digitiser-streaks-12bit": (0.002, 12, 1.0, 0.0, 1, None, 0.5 / 255, False),
    "ffdm-14bit-emptybg": (0.004, 14, 1.0, 0.0, 1, None, 0.0, True),
}

# Blanked background: where the film, smoothed, is darker than this (the unexposed margin; the breast's skin line is
# brighter on mini-MIAS).
EMPTY_BELOW = 0.06


def render(display: np.ndarray, rng: np.random.Generator, noise: float, bits: int, gamma: float, sharpen: float,
           down: int, jpeg: int | None, streaks: float, empty: bool = False) -> tuple[bytes, str]:
    """One clean image through one simulated chain; returns encoded bytes and the file extension."""
    x = np.clip(display, 0, 1) ** gamma
    background = gaussian_filter(display, 4.0) < EMPTY_BELOW if empty else None
    if down > 1:
        h, w = x.shape
        small = x[: h // down * down, : w // down * down].reshape(h // down, down, w // down, down).mean(axis=(1, 3))
        x = np.asarray(Image.fromarray(small.astype(np.float32), mode="F").resize((w, h), Image.BILINEAR), dtype=np.float64)
    if sharpen != 0:
        blurred = gaussian_filter(x, 2.0)
        x = x + sharpen * (x - blurred)
    if noise > 0:
        x = x + noise * np.sqrt(0.3 + np.clip(x, 0, 1)) * rng.standard_normal(x.shape)
    if streaks > 0:
        x = x + streaks * rng.standard_normal(x.shape[1])[None, :]
    x = np.clip(x, 0, 1)
    if background is not None:
        x[background] = 0.0
    if jpeg is not None:
        buffer = io.BytesIO()
        Image.fromarray(np.round(x * 255).astype(np.uint8), mode="L").save(buffer, format="JPEG", quality=jpeg)
        return buffer.getvalue(), "jpg"
    levels = 2 ** bits - 1
    stored = np.round(x * levels)
    buffer = io.BytesIO()
    if bits <= 8:
        Image.fromarray(stored.astype(np.uint8), mode="L").save(buffer, format="PNG")
    else:
        # Stored values of `bits` bits in a 16-bit PNG, scaled to the full range as a viewer export would.
        Image.fromarray(np.round(stored * (65535 / levels)).astype(np.uint16), mode="I;16").save(buffer, format="PNG")
    return buffer.getvalue(), "png"


def delivered(display: np.ndarray, rng: np.random.Generator, noise: float, bits: int, gamma: float, sharpen: float,
              down: int, jpeg: int | None, streaks: float, empty: bool = False) -> np.ndarray:
    """The display values a viewer would decode from `render`'s file (its bytes decoded in memory)."""
    data, _ = render(display, rng, noise, bits, gamma, sharpen, down, jpeg, streaks, empty)
    decoded = np.asarray(Image.open(io.BytesIO(data)), dtype=np.float64)
    return decoded / (255.0 if jpeg is not None or bits <= 8 else 65535.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["train", "val", "test"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    images, _ = load_labels()
    split = ensure_split(images)
    by_ref = {im["refnum"]: im for im in images}
    refnums = split[args.split][: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    rows = []
    for refnum in refnums:
        im = by_ref[refnum]
        display = np.asarray(Image.open(MIAS_DIR / im["file"]), dtype=np.float64) / 255
        for name in args.sources.split(","):
            data, ext = render(display, rng, *SOURCES[name])
            file = f"{refnum}_{name}.{ext}"
            (args.out / file).write_bytes(data)
            rows.append({"file": file, "label": im["label"], "tampered": 0, "source": "", "family": name})
    with open(args.out / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "label", "tampered", "source", "family"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} images of {len(refnums)} {args.split} mammograms through {args.sources} to {args.out}")


if __name__ == "__main__":
    main()
