#!/usr/bin/env python3
"""End-to-end time of two framededupe builds on dev-set clips, interleaved, medians of wall and CPU time.

    scripts/bench-cut-rule.py OLD_BINARY NEW_BINARY [--devset DIR] [--rounds 5] [CLIP ...]

Made for the calibrated cut rule (BENCHMARKS.md, "Cut rule"): the builds before and after it, default
options, `-o` a scratch folder, `--no-report`. Each round runs every clip with the old build, then the new
one. CPU time is the child's user + system time (os.wait4), which leaves out what other processes take on a
shared machine; report both. Prints a Markdown table: clip, wall old / new / ratio, CPU old / new / ratio.
"""
import argparse, os, shutil, statistics, subprocess, tempfile, time

DEFAULT_CLIPS = ["film-sintel-tos-1080p.mp4", "static-vtest-pillarbox-720p.mp4", "film-intercut-360p.mp4", "variants-1080p.mp4"]

def main():
    p = argparse.ArgumentParser()
    p.add_argument("old"); p.add_argument("new")
    p.add_argument("--devset", default=os.path.join(os.path.dirname(__file__), "..", ".cache", "devset"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("clips", nargs="*", default=DEFAULT_CLIPS)
    a = p.parse_args()
    times = {(c, side): [] for c in a.clips for side in ("old", "new")}
    scratch = tempfile.mkdtemp(prefix="bench-cut-rule-")
    try:
        for _ in range(a.rounds):
            for clip in a.clips:
                for side, binary in (("old", a.old), ("new", a.new)):
                    out = os.path.join(scratch, "out")
                    shutil.rmtree(out, ignore_errors=True)
                    started = time.time()
                    child = subprocess.Popen([binary, os.path.join(a.devset, clip), "-o", out, "-q", "--no-report"],
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    _, status, usage = os.wait4(child.pid, 0)
                    if status != 0:
                        raise SystemExit(f"bench-cut-rule: {binary} {clip}: exit status {status >> 8}")
                    times[(clip, side)].append((time.time() - started, usage.ru_utime + usage.ru_stime))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("| clip | wall old (s) | wall new (s) | ratio | CPU old (s) | CPU new (s) | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for clip in a.clips:
        med = lambda side, i: statistics.median(t[i] for t in times[(clip, side)])
        wo, wn, co, cn = med("old", 0), med("new", 0), med("old", 1), med("new", 1)
        print(f"| {clip} | {wo:.2f} | {wn:.2f} | {wn / wo:.3f} | {co:.2f} | {cn:.2f} | {cn / co:.3f} |")

if __name__ == "__main__":
    main()
