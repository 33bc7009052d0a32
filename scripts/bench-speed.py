#!/usr/bin/env python3
"""framededupe's speed suite (issue 6, "Speed suite"): one command that measures everything and writes BENCHMARKS.md.

    python3 scripts/bench-speed.py [--quick] [--rounds N] [--only PART,...] [--benchmarks FILE] [--skip-build]
    make bench                      # the same, full run

Parts, in the order they run (each writes its own marked section of BENCHMARKS.md, with the machine and the command):

- `kernels`: SSIM and perceptual-hash throughput on real frames (32, 64, 256 px shorter side and 720p): the gated
  `KernelBenchmark` suite (Tests/SimilarityTests/KernelBenchmark.swift, runs only when `FRAMEDEDUPE_BENCH_KERNELS`
  is set), built in release with the flags of `make release`; medians over rounds.
- `embedding`: EfficientNet-Lite0 ms per image at batch 1 and 16, 1 and 2 threads, against onnxruntime:
  scripts/bench-embedding.py (needs numpy, onnx, onnxruntime), on the same test build.
- `decode`: end to end at `--fps 2` on 60 s real 360p, 720p and 1080p clips as a ratio to
  `ffmpeg -i X -vf fps=2 -f null -` in the same run: scripts/bench-decode.py.
- `memory`: peak RSS, wall time and sampled frames of framededupe with default options at `--fps 2` on the 360p clip
  looped to 10 minutes and to 2 hours (scripts/make-bench-clips.sh --loop), and how RSS grows with length.
- `clustering`: building the scene-distance matrix and clustering 1k, 10k and 20k scenes: scripts/bench-clustering.sh.

The release binary comes from `make release` (never a debug build). Rounds are interleaved where the part allows, and
the tables give medians. `--quick` (1 round, short inputs: 1- and 5-minute loops, 1k/2k scenes, few repetitions) checks
that the script works: it writes to .cache/bench/BENCHMARKS.quick.md, never to BENCHMARKS.md, unless --benchmarks says
otherwise. A full run wants a quiet machine: the 1-minute load average is noted in every section, and the script warns
when it is above 0.5 at the start.
"""
import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
PARTS = ("kernels", "embedding", "decode", "memory", "clustering")
WRITER = "scripts/bench-speed.py"


def load_script(name):
    """Imports scripts/NAME.py (its name has a hyphen, so not with `import`)."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(SCRIPTS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


decode_bench = load_script("bench-decode")  # machine(), write_section()


def log(*a):
    print("bench-speed:", *a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log("$", " ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, check=True, **kw)


def target_cpu():
    """The -target-cpu `make release` uses (the Makefile's X86_CPU, as Package.swift for the kernels):
    skylake-avx512 on x86-64 with AVX-512, haswell with AVX2 and FMA."""
    if platform.machine() != "x86_64":
        return ""
    flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
    if all(f in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd")):
        return "skylake-avx512"
    return "haswell" if "avx2" in flags and "fma" in flags else ""


def swift_flags(cpu):
    # -enable-testing: test targets use @testable imports (GeometryTests, CopiesTests), which a release build refuses
    # without it.
    return (["-Xswiftc", "-target-cpu", "-Xswiftc", cpu] if cpu else []) + ["-Xswiftc", "-enable-testing"]


def header(rounds_text):
    return f"Machine: {decode_bench.machine()}; {rounds_text}; {time.strftime('%Y-%m-%d')}."


# ---------------------------------------------------------------------------------------------------------- kernels

def bench_kernels(args, cpu):
    seconds = 0.1 if args.quick else 0.5
    env = dict(os.environ, FRAMEDEDUPE_BENCH_KERNELS=f"rounds={args.rounds} seconds={seconds}")
    noted = header(f"{args.rounds} round{'s' if args.rounds > 1 else ''} of ~{seconds} s per kernel and size, medians")
    out = subprocess.run(["swift", "test", "--scratch-path", args.scratch_path, "-c", "release", *swift_flags(cpu),
                          "--skip-build", "--filter", "KernelBenchmark"],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    figures = {}
    for m in re.finditer(r"kernel-benchmark kernel=(\w+) size=(\d+) width=(\d+) height=(\d+) round=\d+ calls=\d+ "
                         r"seconds=[\d.]+ mpix_per_s=([\d.]+) per_s=([\d.]+)", out):
        kernel, size, w, h, mpix, per_s = m.groups()
        entry = figures.setdefault((kernel, int(size)), {"picture": f"{w}×{h}", "mpix": [], "per_s": []})
        entry["mpix"].append(float(mpix))
        entry["per_s"].append(float(per_s))
    sizes = sorted({size for _, size in figures})
    if not sizes or any((k, s) not in figures for k in ("ssim", "hash") for s in sizes):
        sys.exit(f"bench-speed: the KernelBenchmark suite did not report:\n{out[-4000:]}")
    med = {key: (statistics.median(v["mpix"]), statistics.median(v["per_s"])) for key, v in figures.items()}
    rows = ["| shorter side | picture | SSIM (MPix/s) | SSIM comparisons/s | hashes/s (pHash + dHash) | hash input (MPix/s) |",
            "|---:|---|---:|---:|---:|---:|"]
    for s in sizes:
        (smp, sps), (hmp, hps) = med[("ssim", s)], med[("hash", s)]
        rows.append(f"| {s} | {figures[('ssim', s)]['picture']} | {smp:.1f} | {sps:,.0f} | {hps:,.0f} | {hmp:.1f} |")
    body = "\n".join([
        noted, "",
        f"Command: `{args.command}` (the `KernelBenchmark` suite, `FRAMEDEDUPE_BENCH_KERNELS=\"rounds={args.rounds} "
        f"seconds={seconds}\" swift test -c release {' '.join(swift_flags(cpu))} --filter KernelBenchmark`).", "",
        *rows])
    print(body, flush=True)
    decode_bench.write_section(args.benchmarks, "kernels", body, "SSIM and perceptual-hash kernels", WRITER)


# -------------------------------------------------------------------------------------------------------- embedding

def bench_embedding(args, cpu):
    cmd = [sys.executable, os.path.join(SCRIPTS, "bench-embedding.py"), "--rounds", str(args.rounds),
           "--scratch-path", args.scratch_path, "--skip-build"]
    if cpu:
        cmd += ["--cpu", cpu]
    if args.quick:
        cmd += ["--repeats", "2"]
    if os.environ.get("OPENBLAS_CORETYPE"):  # forced kernels: also OpenBLAS's own choice, as onnxruntime makes its own
        cmd += ["--openblas-kernels", "environment,auto"]
    noted = decode_bench.machine()
    body = run(cmd, stdout=subprocess.PIPE, text=True).stdout
    if "| threads | batch |" not in body:
        sys.exit(f"bench-speed: bench-embedding.py printed no table:\n{body}")
    body = f"Machine: {noted}.\n\n{body}"
    print(body, flush=True)
    # bench-embedding.py's own marker name, so that its --write and this script update the same section.
    decode_bench.write_section(args.benchmarks, "embedding-" + (cpu or "baseline"), body,
                               "Embedding network vs onnxruntime", "scripts/bench-embedding.py")


# ----------------------------------------------------------------------------------------------------------- decode

def bench_decode(args, cpu):
    run([sys.executable, os.path.join(SCRIPTS, "bench-decode.py"), "--rounds", str(args.rounds),
         "--binary", args.binary, "--benchmarks", args.benchmarks])


# ----------------------------------------------------------------------------------------------------------- memory

def run_sampled(cmd, period=0.2):
    """Runs cmd; returns wall seconds, peak RSS (MB, the kernel's ru_maxrss of the child) and its RSS sampled from
    /proc every `period` seconds as (seconds, MB) pairs, so that growth during the run can be told apart from a peak
    at its end (clustering, writing the JSON)."""
    start = time.monotonic()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        try:
            with open(f"/proc/{child.pid}/status") as f:
                kb = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            samples.append((time.monotonic() - start, kb / 1024))
        except (OSError, StopIteration):
            pass
        time.sleep(period)
    wall = time.monotonic() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"bench-speed: exit status {child.returncode}: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024, samples


def rss_at(samples, fraction):
    """RSS (MB) at `fraction` of the run's sampled span, or None when nothing was sampled."""
    if not samples:
        return None
    return next(mb for t, mb in samples if t >= fraction * samples[-1][0])


def bench_memory(args, cpu):
    minutes = [1, 5] if args.quick else [10, 120]
    rounds = 1 if args.quick else args.memory_rounds
    clips = run([os.path.join(SCRIPTS, "make-bench-clips.sh")] + [a for m in minutes for a in ("--loop", str(m))],
                stdout=subprocess.PIPE, text=True).stdout.split()
    noted = decode_bench.machine()
    out = tempfile.mkdtemp(prefix="bench-memory-")
    results = {m: [] for m in minutes}
    try:
        for r in range(rounds):
            for m, clip in zip(minutes, clips):
                folder = os.path.join(out, f"{m}min")
                cmd = [args.binary, clip, "-q", "-o", folder, "--fps", "2", "--force"]  # --force: resume would skip a finished folder
                log(f"memory round {r + 1}/{rounds}: {m} min: $", " ".join(cmd))
                wall, rss, samples = run_sampled(cmd)
                scenes = json.load(open(os.path.join(folder, "scenes.json")))
                clusters = json.load(open(os.path.join(folder, "clusters.json")))
                results[m].append(dict(wall=wall, rss=rss, frames=scenes["counts"]["sampled_frames"],
                                       scenes=len(scenes["scenes"]), clusters=len(clusters["clusters"]),
                                       half=rss_at(samples, 0.5), late=rss_at(samples, 0.9),
                                       json_mb=(os.path.getsize(os.path.join(folder, "scenes.json"))
                                                + os.path.getsize(os.path.join(folder, "clusters.json"))) / 1e6))
                log(f"  {m} min: {wall:.1f} s, peak RSS {rss:.0f} MB, {results[m][-1]['frames']} sampled frames, "
                    f"{results[m][-1]['scenes']} scenes; RSS at 50%/90% of the run: {results[m][-1]['half']}/{results[m][-1]['late']} MB")
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)

    def med(m, key):
        values = [x[key] for x in results[m] if x[key] is not None]
        return statistics.median(values) if values else float("nan")

    short, long = minutes
    growth = (med(long, "rss") - med(short, "rss")) / ((long - short) / 60)
    rows = ["| input | wall (s) | sampled frames | scenes | clusters | RSS at 50% / 90% of the run (MB) | peak RSS (MB) | scenes.json + clusters.json (MB) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m, clip in zip(minutes, clips):
        rows.append(f"| {os.path.basename(clip)} ({m} min) | {med(m, 'wall'):.1f} | {med(m, 'frames'):,.0f} | "
                    f"{med(m, 'scenes'):,.0f} | {med(m, 'clusters'):,.0f} | {med(m, 'half'):.0f} / {med(m, 'late'):.0f} | "
                    f"{med(m, 'rss'):.0f} | {med(m, 'json_mb'):.1f} |")
    body = "\n".join([
        f"Machine: {noted}; {rounds} interleaved round{'s' if rounds > 1 else ''}, medians; {time.strftime('%Y-%m-%d')}.", "",
        f"Command: `{args.command}` (framededupe with default options and `--fps 2` on "
        f"`scripts/make-bench-clips.sh --loop {short} --loop {long}`: the 60 s 360p clip looped; "
        f"peak RSS is the kernel's `ru_maxrss`, the RSS during the run sampled from /proc every 0.2 s).", "",
        *rows, "",
        f"Peak RSS of the {long}-minute input is {med(long, 'rss') / med(short, 'rss'):.2f}× the {short}-minute input's: "
        f"{growth:+.1f} MB per hour of input."])
    print(body, flush=True)
    decode_bench.write_section(args.benchmarks, "memory", body, "Memory against input length", WRITER)


# ------------------------------------------------------------------------------------------------------- clustering

def bench_clustering(args, cpu):
    sizes = [1000, 2000] if args.quick else [1000, 10000, 20000]
    # One compile, then the sizes round after round: bench-clustering.sh runs one process per argument.
    out = run([os.path.join(SCRIPTS, "bench-clustering.sh")] + [str(n) for _ in range(args.rounds) for n in sizes],
              stdout=subprocess.PIPE, text=True).stdout
    figures = {}
    for m in re.finditer(r"n=(\d+) dim=\d+ linkage=(\w+) build_s=([\d.]+) cluster_s=([\d.]+) \S+ \S+ rss_cluster_MB=(\d+)", out):
        figures.setdefault(int(m.group(1)), []).append(tuple(float(x) for x in m.group(3, 4, 5)))
    if sorted(figures) != sorted(sizes):
        sys.exit(f"bench-speed: bench-clustering.sh did not report every size:\n{out}")
    rows = ["| scenes | build distances (s) | cluster (s) | peak RSS (MB) |", "|---:|---:|---:|---:|"]
    for n in sizes:
        build, clus, rss = (statistics.median(x[i] for x in figures[n]) for i in range(3))
        rows.append(f"| {n:,} | {build:.2f} | {clus:.3f} | {rss:.0f} |")
    body = "\n".join([
        header(f"{args.rounds} interleaved round{'s' if args.rounds > 1 else ''}, medians"), "",
        f"Command: `{args.command}` (`scripts/bench-clustering.sh {' '.join(map(str, sizes))}` per round; "
        f"`OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')}`, average linkage).", "",
        *rows])
    print(body, flush=True)
    decode_bench.write_section(args.benchmarks, "clustering", body, "Clustering scenes", WRITER)


# ------------------------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 round, short inputs; writes .cache/bench/BENCHMARKS.quick.md")
    ap.add_argument("--rounds", type=int, help="rounds per part (default 5; 1 with --quick)")
    ap.add_argument("--memory-rounds", type=int, default=3, help="rounds of the memory part (default 3; 1 with --quick)")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts (default all: {','.join(PARTS)})")
    ap.add_argument("--benchmarks", help="the Markdown file to write (default BENCHMARKS.md; with --quick "
                                         ".cache/bench/BENCHMARKS.quick.md, a copy of BENCHMARKS.md)")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/framededupe"))
    ap.add_argument("--scratch-path", default=os.path.join(ROOT, ".build-bench"), help="build folder of the release test build")
    ap.add_argument("--skip-build", action="store_true", help="use the existing release binary and test build")
    ap.add_argument("--cpu", help="-target-cpu of both release builds, '' for baseline x86-64 (default: the Makefile's "
                                  "rule: skylake-avx512 with AVX-512, haswell with AVX2 and FMA)")
    args = ap.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 5)
    parts = [p for p in args.only.split(",") if p]
    if unknown := [p for p in parts if p not in PARTS]:
        sys.exit(f"bench-speed: unknown part(s) {', '.join(unknown)}; parts: {', '.join(PARTS)}")
    if args.benchmarks is None:
        args.benchmarks = os.path.join(ROOT, "BENCHMARKS.md")
        if args.quick:
            quick = os.path.join(ROOT, ".cache", "bench", "BENCHMARKS.quick.md")
            os.makedirs(os.path.dirname(quick), exist_ok=True)
            shutil.copyfile(args.benchmarks, quick)
            args.benchmarks = quick
    args.command = "python3 scripts/bench-speed.py" + (" --quick" if args.quick else f" --rounds {args.rounds}") + \
        (f" --only {','.join(parts)}" if parts != list(PARTS) else "")
    if not os.path.exists("/usr/bin/time"):
        sys.exit("bench-speed: /usr/bin/time missing: apt-get install time")

    load = os.getloadavg()[0]
    if load > 0.5:
        log(f"warning: 1-minute load average {load:.2f} > 0.5: timings will be noisy (noted in every section)")
    cpu = target_cpu() if args.cpu is None else args.cpu
    if not args.skip_build:
        if "memory" in parts or "decode" in parts:
            run(["make", "release", "CPU_FLAGS=" + " ".join(swift_flags(cpu))])
        if "kernels" in parts or "embedding" in parts:
            # The test bundle, in release with make release's CPU flags, for the gated benchmark suites.
            run(["swift", "build", "--scratch-path", args.scratch_path, "-c", "release", *swift_flags(cpu), "--build-tests"],
                stdout=subprocess.DEVNULL)
    if ("memory" in parts or "decode" in parts) and not os.access(args.binary, os.X_OK):
        sys.exit(f"bench-speed: {args.binary} missing: run 'make release' first")
    started = time.monotonic()
    for part in parts:
        t = time.monotonic()
        globals()["bench_" + part](args, cpu)
        log(f"{part}: done in {time.monotonic() - t:.0f} s")
    log(f"all done in {time.monotonic() - started:.0f} s; wrote {args.benchmarks}")


if __name__ == "__main__":
    main()
