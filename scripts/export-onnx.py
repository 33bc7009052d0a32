#!/usr/bin/env python3
"""Export EfficientNet-Lite from the converted safetensors weights to an ONNX graph, for benchmarking.

Needs numpy and onnx (`pip install onnx`). Builds the graph with `onnx.helper` from the file that
scripts/fetch-model.py writes (`--model`, default as that script), with the same conventions as
scripts/reference-forward.py and the Swift implementation:

- input `input`: float32 (N, 3, S, S), NCHW, already normalised as `(x - 127) / 128`, S = 224/240/260;
- Conv with explicit TensorFlow "SAME" pads (`pad_total = max((ceil(n/s) - 1)*s + k - n, 0)`, before =
  total // 2, after = the rest) followed by BatchNormalization (epsilon 1e-3, left for onnxruntime to fuse);
- ReLU6 as Clip(0, 6) after the stem, expand, depthwise and head convolutions; residual Add when the stride
  is 1 and the widths match; strides from the stage table (1, 2, 2, 2, 1, 2, 1);
- outputs `features` (N, 1280): the global average of the head (not normalised), and `logits` (N, 1000).

The batch dimension is symbolic (`N`).
"""

import argparse
import json
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
INPUT_SIZES = {"lite0": 224, "lite1": 240, "lite2": 260}
BN_EPS = 1e-3


def default_model(variant):
    if variant == "lite0" and os.environ.get("FRAMEDEDUPE_MODEL"):
        return os.environ["FRAMEDEDUPE_MODEL"]
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "framededupe", "models", f"efficientnet-{variant}.safetensors")


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
        begin, end = entry["data_offsets"]
        weights[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"]).astype(np.float32)
    return weights


def same_pads(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return out, total // 2, total - total // 2


class Builder:
    def __init__(self, weights):
        self.w = weights
        self.nodes = []
        self.initializers = []
        self.names = set()
        self.count = 0

    def constant(self, name, array):
        if name not in self.names:
            self.names.add(name)
            self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def conv_bn(self, x, size, weight, bn, stride, group=1, relu6=True):
        w = self.w[weight]
        k = w.shape[2]
        out, before, after = same_pads(size, k, stride)
        y = self.fresh("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, self.constant(weight, w)], [y], kernel_shape=[k, k], strides=[stride, stride],
            pads=[before, before, after, after], group=group))
        z = self.fresh("bn")
        self.nodes.append(helper.make_node(
            "BatchNormalization",
            [y] + [self.constant(f"{bn}.{p}", self.w[f"{bn}.{p}"]) for p in ("weight", "bias", "running_mean", "running_var")],
            [z], epsilon=BN_EPS))
        if relu6:
            r = self.fresh("relu6")
            self.nodes.append(helper.make_node(
                "Clip", [z, self.constant("zero", np.float32(0)), self.constant("six", np.float32(6))], [r]))
            z = r
        return z, out


def build(weights, size):
    b = Builder(weights)
    x, n = b.conv_bn("input", size, "_conv_stem.weight", "_bn0", 2)
    channels = weights["_conv_stem.weight"].shape[0]
    count = 1 + max(int(k.split(".")[1]) for k in weights if k.startswith("_blocks."))
    stage, previous = -1, None
    for i in range(count):
        p = f"_blocks.{i}."
        outputs = weights[p + "_project_conv.weight"].shape[0]
        first = outputs != previous
        stage += first
        stride = STAGE_STRIDES[stage] if first else 1
        previous = outputs
        y = x
        if p + "_expand_conv.weight" in weights:
            y, _ = b.conv_bn(y, n, p + "_expand_conv.weight", p + "_bn0", 1)
        mid = weights[p + "_depthwise_conv.weight"].shape[0]
        y, out = b.conv_bn(y, n, p + "_depthwise_conv.weight", p + "_bn1", stride, group=mid)
        y, _ = b.conv_bn(y, out, p + "_project_conv.weight", p + "_bn2", 1, relu6=False)
        if stride == 1 and channels == outputs:
            s = b.fresh("add")
            b.nodes.append(helper.make_node("Add", [y, x], [s]))
            y = s
        x, n, channels = y, out, outputs
    x, _ = b.conv_bn(x, n, "_conv_head.weight", "_bn1", 1)
    b.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    b.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    b.nodes.append(helper.make_node(
        "Gemm", ["features", b.constant("_fc.weight", weights["_fc.weight"]), b.constant("_fc.bias", weights["_fc.bias"])],
        ["logits"], transB=1))
    features = weights["_conv_head.weight"].shape[0]
    classes = weights["_fc.weight"].shape[0]
    graph = helper.make_graph(
        b.nodes, "efficientnet-lite",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, size, size])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", features]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
        b.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="scripts/export-onnx.py")
    model.ir_version = 8  # what opset 17 needs; newer onnx defaults to IR versions onnxruntime may not read yet
    onnx.checker.check_model(model)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=sorted(INPUT_SIZES), default="lite0")
    parser.add_argument("--model", help="safetensors weights (default: where scripts/fetch-model.py writes them)")
    parser.add_argument("--out", required=True, help="the .onnx file to write")
    args = parser.parse_args()
    model = build(load_safetensors(args.model or default_model(args.variant)), INPUT_SIZES[args.variant])
    onnx.save(model, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
