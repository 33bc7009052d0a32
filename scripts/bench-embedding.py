#!/usr/bin/env python3
"""Benchmark the Swift EfficientNet-Lite0 against onnxruntime on the same weights; prints a Markdown table.

Needs numpy, onnx and onnxruntime (`pip install onnx onnxruntime`), the converted weights
(scripts/fetch-model.py) and the Swift toolchain. Steps:

1. exports the network with scripts/export-onnx.py and checks that onnxruntime's output on the golden
   images equals the reference's (Tests/SimilarityTests/Fixtures/embedding/golden.json): embedding cosine
   and max |logit difference|, the same budget as the Swift tests;
2. builds the tests in release mode and, alternating with onnxruntime for `--rounds` rounds, runs the
   `EmbeddingBenchmark` test (enabled by `FRAMEDEDUPE_BENCH_EMBEDDING`), which prints ms per image;
3. reports, per thread count and batch size, the median over rounds of each round's best (minimum) ms per
   image, by the wall clock and by the process's CPU time. On a machine shared with other guests the CPU
   time is the steadier of the two: it leaves out the time the hypervisor gives to others (steal).

onnxruntime is given the same thread count (`intra_op_num_threads`) and normalised float NCHW input, so
its figures leave out preprocessing, which is negligible. OpenBLAS picks its kernels for the CPU unless
`OPENBLAS_CORETYPE` is set; the table says which. onnxruntime (MLAS) always picks its own kernels for
the CPU (AVX-512 where there is AVX-512), so when the environment forces older OpenBLAS kernels,
`--openblas-kernels environment,auto` adds rows with OpenBLAS's own choice: both at their best.
"""

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "Tests", "SimilarityTests", "Fixtures", "embedding")


def check_onnx(path):
    golden = json.load(open(os.path.join(FIXTURES, "golden.json")))
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for name, entry in golden["images"].items():
        size = golden["inputSize"]
        rgb = np.fromfile(os.path.join(FIXTURES, entry["input"]), dtype=np.uint8).reshape(size, size, 3)
        x = ((rgb.astype(np.float32) - 127) / 128).transpose(2, 0, 1)[None]
        features, logits = session.run(None, {"input": x})
        embedding = features[0] / np.linalg.norm(features[0])
        cosine = float(embedding @ np.array(entry["embedding"]))
        error = float(np.abs(logits[0] - np.array(entry["logits"])).max())
        print(f"onnxruntime vs reference, {name}: cosine {cosine:.9f}, max |logit diff| {error:.2e}", file=sys.stderr)
        if cosine < 0.9999 or error > 1e-2:
            sys.exit("bench-embedding: the ONNX graph does not reproduce the reference; not benchmarking it")


def time_onnx(session, size, batches, repeats):
    x = np.random.default_rng(0).random((max(batches), 3, size, size), dtype=np.float32)
    result = {}
    for batch in batches:
        xb = x[:batch]
        session.run(None, {"input": xb})
        best, best_cpu = float("inf"), float("inf")
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            session.run(None, {"input": xb})
            best_cpu = min(best_cpu, time.process_time() - start_cpu)
            best = min(best, time.perf_counter() - start)
        result[batch] = (best * 1000 / batch, best_cpu * 1000 / batch)
    return result


def kernel_cpu():
    """What Package.swift compiles the Similarity target for on this machine: the rule bench-speed.py's
    target_cpu() shares with the Makefile, unless FRAMEDEDUPE_PORTABLE=1."""
    if os.environ.get("FRAMEDEDUPE_PORTABLE") == "1":
        return "the build's default CPU"
    spec = importlib.util.spec_from_file_location("bench_speed", os.path.join(REPO, "scripts", "bench-speed.py"))
    bench_speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_speed)
    cpu = bench_speed.target_cpu()
    return {"skylake-avx512": "skylake-avx512, 16-lane depthwise", "": "the build's default CPU"}.get(cpu, cpu)


def cpu_description():
    """The CPU's model name, family and model from /proc/cpuinfo (the figures depend on the machine)."""
    fields = {}
    for line in open("/proc/cpuinfo"):
        if ":" in line:
            key, value = (x.strip() for x in line.split(":", 1))
            fields.setdefault(key, value)
        elif fields:
            break
    if "model name" not in fields:
        return "unknown CPU"
    return f"{fields['model name']} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')})"


def time_swift(scratch, threads, batches, repeats, flags, kernels="environment"):
    env = dict(os.environ, FRAMEDEDUPE_BENCH_EMBEDDING=f"threads={threads} batches={','.join(map(str, batches))} rounds={repeats}")
    if kernels == "auto":
        env.pop("OPENBLAS_CORETYPE", None)
    elif kernels != "environment":
        env["OPENBLAS_CORETYPE"] = kernels
    out = subprocess.run(
        ["swift", "test", "--scratch-path", scratch, "-c", "release", *flags, "--skip-build", "--filter", "EmbeddingBenchmark"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    result, kernels = {}, "?"
    for m in re.finditer(r"embedding-benchmark threads=\d+ batch=(\d+) kernels=(\S+) ms_per_image=([\d.]+) cpu_ms_per_image=([\d.]+)", out):
        result[int(m.group(1))] = (float(m.group(3)), float(m.group(4)))
        kernels = m.group(2)
    if len(result) != len(batches):
        sys.exit(f"bench-embedding: the Swift benchmark did not report:\n{out}")
    return result, kernels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    parser.add_argument("--batches", default="1,16", help="batch sizes (default 1,16)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--repeats", type=int, default=8, help="timed runs per round and batch (default 8)")
    parser.add_argument("--scratch-path", default=os.path.join(REPO, ".build-bench"))
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--cpu", default="", help="compile for this CPU (-target-cpu), e.g. haswell; default: baseline x86-64")
    parser.add_argument("--openblas-kernels", default="environment",
                        help="comma-separated: environment (OPENBLAS_CORETYPE as set), auto (unset: OpenBLAS "
                             "picks for the CPU) or a core type (e.g. SkylakeX); default environment")
    parser.add_argument("--write", action="store_true", help="also write the table into BENCHMARKS.md")
    parser.add_argument("--section", help="the section's marker name when writing (default embedding-CPU)")
    args = parser.parse_args()
    # -enable-testing: test targets use @testable imports, which a release build refuses without it.
    flags = (["-Xswiftc", "-target-cpu", "-Xswiftc", args.cpu] if args.cpu else []) + ["-Xswiftc", "-enable-testing"]
    threads = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batches.split(",")]

    directory = tempfile.mkdtemp()
    onnx_path = os.path.join(directory, "efficientnet-lite0.onnx")
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "export-onnx.py"), "--out", onnx_path],
                   check=True, stdout=subprocess.DEVNULL)
    check_onnx(onnx_path)
    if not args.skip_build:
        subprocess.run(["swift", "build", "--scratch-path", args.scratch_path, "-c", "release", *flags, "--build-tests"],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)

    sessions = {}
    for t in threads:
        options = ort.SessionOptions()
        options.intra_op_num_threads = t
        options.inter_op_num_threads = 1
        sessions[t] = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    # Each round gives each configuration its best of `repeats` runs; the table reports the median over rounds.
    rounds = {}
    choices = [k for k in args.openblas_kernels.split(",") if k]
    kernels = {k: "?" for k in choices}  # the core name OpenBLAS reports for each choice
    for _ in range(args.rounds):
        for t in threads:
            for b, ms in time_onnx(sessions[t], 224, batches, args.repeats).items():
                rounds.setdefault(("onnxruntime", t, b), []).append(ms)
            for choice in choices:
                figures, kernels[choice] = time_swift(args.scratch_path, t, batches, args.repeats, flags, choice)
                for b, ms in figures.items():
                    rounds.setdefault((choice, t, b), []).append(ms)
    median = {k: tuple(statistics.median(x[i] for x in v) for i in range(2)) for k, v in rounds.items()}

    command = ("python3 scripts/bench-embedding.py" + (f" --cpu {args.cpu}" if args.cpu else "") + f" --rounds {args.rounds}"
               + (f" --openblas-kernels {args.openblas_kernels}" if choices != ["environment"] else "")
               + (f" --threads {args.threads} --batches {args.batches}" if (args.threads, args.batches) != ("1,2", "1,16") else "")
               + (f" --section {args.section}" if args.section else ""))
    lines = [f"EfficientNet-Lite0, ms per image: median over {args.rounds} alternating rounds of the best of {args.repeats} runs; "
             f"onnxruntime {ort.__version__} (its own kernels for the CPU); the network's kernels (Similarity) compiled for "
             f"{kernel_cpu()} (Package.swift's choice for this CPU), the rest for {args.cpu or 'baseline x86-64'}; "
             f"environment `OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')}`; CPU: {cpu_description()}.", "",
             f"Command: `{command}`", "",
             "Wall: elapsed time. CPU: the process's CPU time (all threads), which leaves out what the hypervisor "
             "takes for other guests (steal); with 1 thread it is the figure that compares best on a shared machine.", "",
             "| threads | batch | OpenBLAS kernels | framededupe wall | onnxruntime wall | ratio | framededupe CPU | onnxruntime CPU | CPU ratio |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for choice in choices:
        for t in threads:
            for b in batches:
                (ours, ours_cpu), (theirs, theirs_cpu) = median[(choice, t, b)], median[("onnxruntime", t, b)]
                lines.append(f"| {t} | {b} | {kernels[choice]} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f}× "
                             f"| {ours_cpu:.2f} | {theirs_cpu:.2f} | {ours_cpu / theirs_cpu:.2f}× |")
    print("\n".join(lines))
    if args.write:
        marker = args.section or "embedding-" + (args.cpu or "baseline")
        section = f"<!-- {marker}:begin (written by scripts/bench-embedding.py; do not edit by hand) -->\n" + "\n".join(lines) + f"\n<!-- {marker}:end -->"
        path = os.path.join(REPO, "BENCHMARKS.md")
        text = open(path).read()
        if f"<!-- {marker}:begin" in text:
            text = re.sub(rf"<!-- {marker}:begin.*?<!-- {marker}:end -->", lambda _: section, text, flags=re.S)
        else:
            text += "\n" + section + "\n"
        open(path, "w").write(text)


if __name__ == "__main__":
    main()
