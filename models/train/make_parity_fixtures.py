"""Write SYNTHETIC parity fixtures for src/image/preprocess.ts into test/fixtures/preprocess/.

Each fixture is a seeded, mammogram-like image (never MIAS data): NAME.png, plus the Python
mammo-crop-v1 output NAME.expected.f32 (little-endian float32 tensor) and NAME.expected.json
({size, flipped, crop, maskSum}). Display values are value/255 (8-bit) or value/65535 (16-bit).

    /usr/bin/python3 models/train/make_parity_fixtures.py
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from preprocess import preprocess_mammogram

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "test" / "fixtures" / "preprocess"
SIZE = 256

# name, width, height, chest wall side, bit depth, seed, breast half-height (share of the image height): past 0.5 the
# breast runs off the top and bottom edges, as on most full-field views (the mask's filters meet the image border)
FIXTURES = [
    ("synthetic-left-700x900", 700, 900, "left", 8, 11, 0.42),
    ("synthetic-right-1024", 1024, 1024, "right", 8, 22, 0.42),
    ("synthetic-right-16bit-640x832", 640, 832, "right", 16, 33, 0.42),
    ("synthetic-left-edges-600x800", 600, 800, "left", 8, 44, 0.62),
]


def synthetic_mammogram(width: int, height: int, side: str, seed: int, reach: float) -> np.ndarray:
    """Half-ellipse breast with smoothed texture, noise, a dark background and a bright label; values in [0,1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    depth = xx if side == "left" else (width - 1 - xx)
    cy, ry, rx = height * 0.5, height * reach, width * 0.62
    r2 = (depth / rx) ** 2 + ((yy - cy) / ry) ** 2
    breast = r2 < 1.0
    texture = gaussian_filter(rng.standard_normal((height, width)), 6.0)
    texture /= texture.std()
    tissue = 0.55 + 0.12 * texture + 0.2 * np.clip(1.0 - r2, 0.0, 1.0)
    image = np.where(breast, tissue, 0.04) + 0.015 * rng.standard_normal((height, width))
    lx = int(width * 0.78) if side == "left" else int(width * 0.08)
    ly = int(height * 0.06)
    image[ly:ly + height // 14, lx:lx + width // 9] = 0.95
    return np.clip(image, 0.0, 1.0)


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, width, height, side, bits, seed, reach in FIXTURES:
        image = synthetic_mammogram(width, height, side, seed, reach)
        peak = 255 if bits == 8 else 65535
        stored = np.round(image * peak).astype(np.uint8 if bits == 8 else np.uint16)
        Image.fromarray(stored).save(OUT_DIR / f"{name}.png")
        result = preprocess_mammogram(stored.astype(np.float64) / peak, SIZE)
        result["tensor"].astype("<f4").tofile(OUT_DIR / f"{name}.expected.f32")
        meta = {
            "size": SIZE,
            "flipped": result["flipped"],
            "crop": result["crop"],
            "maskSum": int(result["mask"].sum()),
        }
        (OUT_DIR / f"{name}.expected.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(name, meta)


if __name__ == "__main__":
    main()
