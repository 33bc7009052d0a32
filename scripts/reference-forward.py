#!/usr/bin/env python3
"""Independent numpy forward pass of EfficientNet-Lite; writes the golden files the Swift tests check.

Needs numpy and Pillow (only this script; the tests read the files it writes). Reads the safetensors
file written by scripts/fetch-model.py (`--model`, default as that script: `$FRAMEDEDUPE_MODEL`, else
`${XDG_DATA_HOME:-~/.local/share}/framededupe/models/efficientnet-lite0.safetensors`).

Conventions (the ones the Swift implementation must share):
- Input: 8-bit RGB, value `(x - 127) / 128` per channel.
- Convolutions (stem and depthwise) use TensorFlow "SAME" padding: per axis
  `pad_total = max((ceil(n / s) - 1) * s + k - n, 0)`, `pad_before = pad_total // 2`, the rest after.
- BatchNorm in inference form, `(x - running_mean) / sqrt(running_var + 1e-3) * weight + bias`, applied
  after the convolution here (not folded, so this pass is independent of the Swift folding).
- ReLU6 after the stem, expand, depthwise and head convolutions; none after project; residual add when
  the block's stride is 1 and its input and output channels are equal.
- The architecture is read from the weights (blocks, kernels, channels); strides come from the stage
  table (1, 2, 2, 2, 1, 2, 1), a stage starting where the output channel count changes.
- Embedding: global average of the head's ReLU6 output, L2-normalised. Grid: the same feature map
  average-pooled to 3x3 cells like PyTorch's AdaptiveAvgPool2d (cell i covers rows
  `floor(i*H/3) ..< ceil((i+1)*H/3)`, likewise columns; overlapping when H is not a multiple of 3),
  cells row-major, each cell's channel vector L2-normalised. Logits: `_fc` on the unnormalised average.

Test images: scikit-image's `chelsea` and `coffee` (taken from the scikit-image 0.24.0 wheel, fetched
with `pip download --no-deps` into `${XDG_CACHE_HOME:-~/.cache}/framededupe/`, or `--images DIR`
holding chelsea.png and coffee.png), after the ImageNet evaluation crop: the centred square of side
`floor(7 * min(H, W) / 8)` (left `(W - side) // 2`, top `(H - side) // 2`), resized to the network size
with Pillow's `Image.resize((n, n), Image.BILINEAR, reducing_gap=None)`, which antialiases (a triangle
filter whose support is scaled by the reduction factor) and rounds to 8 bits.

Outputs, in Tests/SimilarityTests/Fixtures/embedding/ (`--fixtures DIR`):
- `NAME.rgb`: the network input, raw interleaved RGB24, n*n*3 bytes, top row first.
- `golden.json`: per image the embedding, grid, logits, top-5 and per-layer summaries (mean and max |x|
  of the activation after the stem, after each block and after the head, batch of one), computed in
  float64; plus the float32-vs-float64 agreement of this script as a measure of rounding.
"""

import argparse
import hashlib
import io
import json
import math
import os
import struct
import subprocess
import sys
import zipfile

import numpy as np
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
STAGE_KERNELS = (3, 3, 5, 3, 5, 5, 3)
STAGE_EXPANDS = (1, 6, 6, 6, 6, 6, 6)
INPUT_SIZES = {"lite0": 224, "lite1": 240, "lite2": 260}
BN_EPS = 1e-3
GRID = 3
SKIMAGE = "scikit-image==0.24.0"
IMAGES = {  # name -> sha256 of the PNG shipped in scikit-image's skimage/data
    "chelsea": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "coffee": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
}
CLASS_NAMES = {281: "tabby", 282: "tiger cat", 285: "Egyptian cat", 967: "espresso"}


def default_model():
    if os.environ.get("FRAMEDEDUPE_MODEL"):
        return os.environ["FRAMEDEDUPE_MODEL"]
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "framededupe", "models", "efficientnet-lite0.safetensors")


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    data = blob[8 + length:]
    weights = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", name
        begin, end = entry["data_offsets"]
        weights[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"]).astype(np.float64)
    return weights


def architecture(w):
    """Blocks read from the weights: dicts with expand, kernel, stride, cin, mid, cout, residual, stage."""
    count = 1 + max(int(k.split(".")[1]) for k in w if k.startswith("_blocks."))
    blocks = []
    stage = -1
    cin = w["_conv_stem.weight"].shape[0]
    previous_out = None
    for i in range(count):
        p = f"_blocks.{i}."
        cout = w[p + "_project_conv.weight"].shape[0]
        mid = w[p + "_depthwise_conv.weight"].shape[0]
        kernel = w[p + "_depthwise_conv.weight"].shape[2]
        first = cout != previous_out
        if first:
            stage += 1
        stride = STAGE_STRIDES[stage] if first else 1
        expand = (p + "_expand_conv.weight") in w
        assert kernel == STAGE_KERNELS[stage], (i, kernel)
        assert mid == (cin * STAGE_EXPANDS[stage] if expand else cin), (i, mid)
        blocks.append(dict(index=i, expand=expand, kernel=kernel, stride=stride, cin=cin, mid=mid, cout=cout,
                           residual=stride == 1 and cin == cout, stage=stage))
        cin = previous_out = cout
    assert stage == len(STAGE_STRIDES) - 1, stage
    return blocks


def same_padding(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return out, total // 2, total - total // 2


def batchnorm(x, w, prefix):
    scale = w[prefix + ".weight"] / np.sqrt(w[prefix + ".running_var"] + BN_EPS)
    return (x - w[prefix + ".running_mean"]) * scale + w[prefix + ".bias"]


def relu6(x):
    return np.clip(x, 0, 6)


def conv_same(x, weight, stride, depthwise):
    """x: (H, W, C); weight OIHW. TF SAME padding. Depthwise when `depthwise` (weight (C, 1, k, k))."""
    h, wd, c = x.shape
    k = weight.shape[2]
    oh, top, bottom = same_padding(h, k, stride)
    ow, left, right = same_padding(wd, k, stride)
    padded = np.pad(x, ((top, bottom), (left, right), (0, 0)))
    if depthwise:
        out = np.zeros((oh, ow, c), dtype=x.dtype)
        for i in range(k):
            for j in range(k):
                window = padded[i:i + (oh - 1) * stride + 1:stride, j:j + (ow - 1) * stride + 1:stride, :]
                out += window * weight[:, 0, i, j]
        return out
    columns = np.empty((oh, ow, k, k, c), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            columns[:, :, i, j, :] = padded[i:i + (oh - 1) * stride + 1:stride, j:j + (ow - 1) * stride + 1:stride, :]
    kernel = weight.transpose(2, 3, 1, 0).reshape(k * k * c, -1)  # (kh, kw, I) x O
    return (columns.reshape(oh * ow, k * k * c) @ kernel).reshape(oh, ow, -1)


def pointwise(x, weight):
    return x @ weight[:, :, 0, 0].T


def summary(x):
    return {"mean": float(x.mean()), "maxAbs": float(np.abs(x).max())}


def adaptive_bounds(n, cells):
    return [(i * n // cells, -(-(i + 1) * n // cells)) for i in range(cells)]


def forward(w, blocks, rgb, dtype):
    """rgb: (n, n, 3) uint8. Returns dict with embedding, grid, logits, layers (float64 numpy)."""
    w = {k: v.astype(dtype) for k, v in w.items()}
    x = (rgb.astype(dtype) - 127) / 128
    layers = []
    x = relu6(batchnorm(conv_same(x, w["_conv_stem.weight"], 2, False), w, "_bn0"))
    layers.append(("stem", summary(x)))
    for b in blocks:
        p = f"_blocks.{b['index']}."
        y = x
        if b["expand"]:
            y = relu6(batchnorm(pointwise(y, w[p + "_expand_conv.weight"]), w, p + "_bn0"))
        y = relu6(batchnorm(conv_same(y, w[p + "_depthwise_conv.weight"], b["stride"], True), w, p + "_bn1"))
        y = batchnorm(pointwise(y, w[p + "_project_conv.weight"]), w, p + "_bn2")
        if b["residual"]:
            y = y + x
        x = y
        layers.append((f"block{b['index']}", summary(x)))
    x = relu6(batchnorm(pointwise(x, w["_conv_head.weight"]), w, "_bn1"))
    layers.append(("head", summary(x)))
    pooled = x.mean(axis=(0, 1))
    logits = w["_fc.weight"] @ pooled + w["_fc.bias"]
    h, wd, _ = x.shape
    cells = []
    for r0, r1 in adaptive_bounds(h, GRID):
        for c0, c1 in adaptive_bounds(wd, GRID):
            cell = x[r0:r1, c0:c1, :].mean(axis=(0, 1))
            cells.append(cell / np.linalg.norm(cell))
    return {
        "embedding": (pooled / np.linalg.norm(pooled)).astype(np.float64),
        "grid": np.concatenate(cells).astype(np.float64),
        "logits": logits.astype(np.float64),
        "layers": layers,
    }


def fetch_images(directory):
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                         "framededupe")
    images = {}
    if directory:
        for name in IMAGES:
            with open(os.path.join(directory, name + ".png"), "rb") as f:
                images[name] = f.read()
    else:
        wheels = [f for f in os.listdir(cache) if f.startswith("scikit_image-0.24.0-")] if os.path.isdir(cache) else []
        if not wheels:
            os.makedirs(cache, exist_ok=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                            "--dest", cache, SKIMAGE], check=True, stdout=subprocess.DEVNULL)
            wheels = [f for f in os.listdir(cache) if f.startswith("scikit_image-0.24.0-")]
        with zipfile.ZipFile(os.path.join(cache, sorted(wheels)[0])) as archive:
            for name in IMAGES:
                images[name] = archive.read(f"skimage/data/{name}.png")
    for name, blob in images.items():
        digest = hashlib.sha256(blob).hexdigest()
        if digest != IMAGES[name]:
            sys.exit(f"reference-forward: {name}.png has sha256 {digest}, expected {IMAGES[name]}")
    return images


def imagenet_crop(png, size):
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    side = 7 * min(width, height) // 8
    left, top = (width - side) // 2, (height - side) // 2
    crop = image.crop((left, top, left + side, top + side))
    resized = crop.resize((size, size), Image.BILINEAR, reducing_gap=None)
    return np.asarray(resized, dtype=np.uint8), {"size": [height, width], "crop": [top, left, side]}


def rounded(values, digits=9):
    return [float(f"{v:.{digits}g}") for v in values]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=default_model())
    parser.add_argument("--variant", choices=sorted(INPUT_SIZES), default="lite0")
    parser.add_argument("--images", help="directory with chelsea.png and coffee.png (default: from the wheel)")
    parser.add_argument("--fixtures", default=os.path.join(REPO, "Tests", "SimilarityTests", "Fixtures", "embedding"))
    args = parser.parse_args()

    weights = load_safetensors(args.model)
    blocks = architecture(weights)
    size = INPUT_SIZES[args.variant]
    pngs = fetch_images(args.images)
    os.makedirs(args.fixtures, exist_ok=True)

    golden = {
        "header": "generated by scripts/reference-forward.py, do not edit",
        "variant": args.variant,
        "inputSize": size,
        "conventions": {
            "input": "(x - 127) / 128, RGB",
            "padding": "TensorFlow SAME",
            "batchNormEpsilon": BN_EPS,
            "activation": "ReLU6 after stem, expand, depthwise, head",
            "grid": f"{GRID}x{GRID} adaptive average pool (PyTorch bounds), row-major, cells L2-normalised",
            "resize": f"ImageNet crop, Pillow {Image.__version__} resize BILINEAR reducing_gap=None",
            "layers": "mean and max |x| after stem, each block (after residual), head (after ReLU6); float64",
        },
        "images": {},
    }
    worst = {"embeddingCosine": 1.0, "logitMaxAbs": 0.0}
    for name in sorted(IMAGES):
        rgb, geometry = imagenet_crop(pngs[name], size)
        with open(os.path.join(args.fixtures, f"{name}.rgb"), "wb") as f:
            f.write(rgb.tobytes())
        exact = forward(weights, blocks, rgb, np.float64)
        single = forward(weights, blocks, rgb, np.float32)
        cosine = float(exact["embedding"] @ single["embedding"])
        logit_error = float(np.abs(exact["logits"] - single["logits"]).max())
        worst["embeddingCosine"] = min(worst["embeddingCosine"], cosine)
        worst["logitMaxAbs"] = max(worst["logitMaxAbs"], logit_error)
        logits = exact["logits"]
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        top5 = [int(i) for i in np.argsort(-logits, kind="stable")[:5]]
        print(f"{name}: " + ", ".join(f"{i} {CLASS_NAMES.get(i, '?')} {probabilities[i]:.1%}" for i in top5)
              + f"; float32 vs float64: cosine {cosine:.9f}, max |logit diff| {logit_error:.2e}")
        golden["images"][name] = {
            "input": f"{name}.rgb",
            "source": {"png": f"skimage/data/{name}.png", "sha256": IMAGES[name], **geometry},
            "top5": top5,
            "top5Probabilities": rounded(probabilities[top5], 6),
            "layers": [{"name": n, "mean": float(f"{s['mean']:.12g}"), "maxAbs": float(f"{s['maxAbs']:.12g}")}
                       for n, s in exact["layers"]],
            "embedding": rounded(exact["embedding"]),
            "logits": rounded(logits),
            "grid": rounded(exact["grid"], 8),
        }
    golden["float32VsFloat64"] = {"embeddingCosineMin": worst["embeddingCosine"],
                                  "logitMaxAbsDiff": worst["logitMaxAbs"]}
    with open(os.path.join(args.fixtures, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print(os.path.join(args.fixtures, "golden.json"))


if __name__ == "__main__":
    main()
