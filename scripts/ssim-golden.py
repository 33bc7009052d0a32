#!/usr/bin/env python3
"""Regenerate the SSIM and hash fixtures of Tests/SimilarityTests/Fixtures/ssim.

Needs (installed by you, not by this script):

    pip install scikit-image numpy scipy pillow

Run from the repository root:

    python3 scripts/ssim-golden.py

What it writes (the Swift tests read these without Python):

* ``<photo>.pgm`` for four photographs shipped with scikit-image (camera, astronaut, chelsea, coffee), as 8-bit
  grayscale binary PGM (P5). Colour photographs are converted with skimage.color.rgb2gray
  (Y = 0.2125 R + 0.7154 G + 0.0721 B on [0, 1]) and rounded: gray = round(255 * Y). Every photograph is then
  area-averaged (Pillow BOX filter) to 224 pixels on its long side and rounded to 8 bits. The PGM written IS the
  input: the golden values below are computed from exactly these bytes.
* ``<photo>-<distortion>.pgm``, distorted versions of each photograph:
    - noise:  + Gaussian noise with sigma 10 (numpy default_rng, seed 2004 + photo index), rounded, clipped to 0..255;
    - blur:   scipy.ndimage.gaussian_filter, sigma 1.5, mode 'reflect', rounded;
    - bright: + 30, clipped at 255;
    - jpeg:   encoded by Pillow as JPEG quality 20 and decoded again.
* ``golden.json``:
    - ``ssim``: pairs of (a, b) with optional crop rectangles ``rectA``/``rectB`` = [x, y, width, height] applied
      to the decoded PGMs before comparing (used for the 2-pixel shift, odd sizes and tiny sizes, so that those
      cases need no extra files), and ``ssim`` = skimage.metrics.structural_similarity(a, b, gaussian_weights=True,
      sigma=1.5, use_sample_covariance=False, data_range=255).
    - ``hashes``: for every PGM, the pHash and dHash of framededupe's definition (see Sources/Similarity/
      PerceptualHash.swift), computed here independently with numpy, as 16-digit hex strings.

PGM rather than PNG: the tests need a decoder-free format, and storing both would exceed the 1 MB fixture budget.
"""

import io
import json
import math
import os
import sys

import numpy as np
import PIL
import scipy
import scipy.ndimage
import skimage
from PIL import Image
from skimage import color, data
from skimage.metrics import structural_similarity

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SimilarityTests", "Fixtures", "ssim")
LONG_SIDE = 224
PHOTOS = ["camera", "astronaut", "chelsea", "coffee"]


def to_gray(rgb_or_gray):
    if rgb_or_gray.ndim == 2:
        return rgb_or_gray.astype(np.uint8)
    y = color.rgb2gray(rgb_or_gray)
    return np.clip(np.round(255.0 * y), 0, 255).astype(np.uint8)


def downscale(gray):
    h, w = gray.shape
    scale = LONG_SIDE / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(gray).resize(size, Image.BOX), dtype=np.uint8)


def write_pgm(path, gray):
    h, w = gray.shape
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (w, h))
        f.write(np.ascontiguousarray(gray, dtype=np.uint8).tobytes())


def distortions(gray, index):
    rng = np.random.default_rng(2004 + index)
    g = gray.astype(np.float64)
    noise = np.clip(np.round(g + rng.normal(0.0, 10.0, gray.shape)), 0, 255).astype(np.uint8)
    blur = np.clip(np.round(scipy.ndimage.gaussian_filter(g, 1.5, mode="reflect")), 0, 255).astype(np.uint8)
    bright = np.clip(gray.astype(np.int32) + 30, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(gray).save(buf, format="JPEG", quality=20)
    buf.seek(0)
    jpeg = np.asarray(Image.open(buf).convert("L"), dtype=np.uint8)
    return {"noise": noise, "blur": blur, "bright": bright, "jpeg": jpeg}


def ssim(a, b):
    return float(
        structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    )


def crop(img, rect):
    if rect is None:
        return img
    x, y, w, h = rect
    assert x >= 0 and y >= 0 and x + w <= img.shape[1] and y + h <= img.shape[0], rect
    return img[y : y + h, x : x + w]


# --- hashes: an independent numpy transcription of Sources/Similarity/PerceptualHash.swift ---


def area_weights(src, dst):
    """Integer overlap of source pixel s ([s*dst, (s+1)*dst)) with cell j ([j*src, (j+1)*src)): shape (dst, src)."""
    s = np.arange(src, dtype=np.int64)
    j = np.arange(dst, dtype=np.int64)[:, None]
    lo = np.maximum(s * dst, j * src)
    hi = np.minimum((s + 1) * dst, (j + 1) * src)
    return np.maximum(hi - lo, 0)


def area_numerators(gray, columns, rows):
    h, w = gray.shape
    cells = area_weights(h, rows) @ gray.astype(np.int64) @ area_weights(w, columns).T
    assert cells.dtype == np.int64
    return cells


def phash(gray):
    n, k = 32, 8
    cells = area_numerators(gray, n, n)
    total = int(cells.sum())
    centred = (cells * n * n - total).astype(np.float64)
    idx = np.arange(n)
    cos = np.array([[math.cos(math.pi * float((2 * m + 1) * f) / float(2 * n)) for m in idx] for f in range(k)])
    coeffs = cos @ (centred @ cos.T)  # rows first, then columns: coeffs[u, v]
    # Coefficients within 1e-10 of sum|centred| are rounding noise of exact zeros: snap them to 0.
    noise_floor = float(int(np.abs(cells * n * n - total).sum())) * 1e-10
    flat = coeffs.reshape(-1).copy()
    raw_ac = flat[1:].copy()
    flat[1:][np.abs(raw_ac) <= noise_floor] = 0.0
    flat[0] = float(total * n * n)
    ac = np.sort(flat[1:])
    median = ac[31]
    bits = flat > median
    # The Swift code sums in a different order: insist that no coefficient is within rounding of the snap
    # threshold or of the median, so that the golden does not depend on summation order.
    magnitude = np.abs(raw_ac)
    if np.any((magnitude > 0.1 * noise_floor) & (magnitude < 10 * noise_floor)):
        sys.exit("pHash near the noise floor: the golden would depend on summation order")
    others = np.abs(flat[1:] - median)
    others = others[others > 0]
    scale = max(np.abs(flat[1:]).max(), 1.0)
    if others.size and others.min() / scale < 1e-9:
        sys.exit("pHash near-tie: the golden would depend on summation order")
    return sum(1 << i for i, b in enumerate(bits) if b)


def dhash(gray):
    cells = area_numerators(gray, 9, 8)
    bits = (cells[:, :-1] > cells[:, 1:]).reshape(-1)
    return sum(1 << i for i, b in enumerate(bits) if b)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name.endswith(".pgm"):
            os.remove(os.path.join(OUT, name))

    images = {}
    pairs = []
    for index, photo in enumerate(PHOTOS):
        gray = downscale(to_gray(getattr(data, photo)()))
        images[f"{photo}.pgm"] = gray
        for kind, distorted in distortions(gray, index).items():
            images[f"{photo}-{kind}.pgm"] = distorted
            pairs.append({"a": f"{photo}.pgm", "b": f"{photo}-{kind}.pgm"})
        pairs.append({"a": f"{photo}.pgm", "b": f"{photo}.pgm"})
        h, w = gray.shape
        # Shifted by 2 pixels right and down: the overlapping parts of the picture and its shifted copy.
        pairs.append({"a": f"{photo}.pgm", "b": f"{photo}.pgm", "rectA": [2, 2, w - 2, h - 2], "rectB": [0, 0, w - 2, h - 2]})
        # Odd sizes and odd offsets.
        pairs.append({"a": f"{photo}.pgm", "b": f"{photo}-noise.pgm", "rectA": [17, 7, 201, 139], "rectB": [17, 7, 201, 139]})
        pairs.append({"a": f"{photo}.pgm", "b": f"{photo}-jpeg.pgm", "rectA": [3, 5, 215, 141], "rectB": [3, 5, 215, 141]})
    # Tiny pictures: exactly one window, and a few more columns than one vector.
    for rect in ([100, 60, 11, 11], [90, 40, 12, 13], [33, 21, 29, 17], [5, 9, 26, 11]):
        pairs.append({"a": "camera.pgm", "b": "camera-blur.pgm", "rectA": rect, "rectB": rect})
        pairs.append({"a": "coffee.pgm", "b": "coffee-noise.pgm", "rectA": rect, "rectB": rect})
    # Two different photographs of the same size.
    pairs.append({"a": "camera.pgm", "b": "astronaut.pgm"})

    for pair in pairs:
        a = crop(images[pair["a"]], pair.get("rectA"))
        b = crop(images[pair["b"]], pair.get("rectB"))
        pair["ssim"] = ssim(a, b)

    for name, gray in images.items():
        write_pgm(os.path.join(OUT, name), gray)

    hashes = [
        {"image": name, "perceptual": f"{phash(gray):016x}", "difference": f"{dhash(gray):016x}"}
        for name, gray in sorted(images.items())
    ]

    golden = {
        "comment": "generated by scripts/ssim-golden.py, do not edit",
        "versions": {
            "scikit-image": skimage.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "Pillow": PIL.__version__,
        },
        "ssimDefinition": "skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5, "
        "use_sample_covariance=False, data_range=255)",
        "ssim": pairs,
        "hashes": hashes,
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(images)} images and {len(pairs)} pairs to {os.path.normpath(OUT)} ({total} bytes)")


if __name__ == "__main__":
    main()
