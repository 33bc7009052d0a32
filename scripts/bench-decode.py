#!/usr/bin/env python3
"""Decode-and-score speed of framededupe against ffmpeg's decode-only baseline, in one run.

For each clip, every variant runs ROUNDS times, interleaved (ours, ffmpeg, ours, ffmpeg, ...) so
that the machine's background load hits all of them alike; medians of wall time and peak RSS are
written to BENCHMARKS.md between the markers of the "decode" section, with the command.

    python3 scripts/bench-decode.py [--rounds 5] [--binary .build/release/framededupe] [--benchmarks FILE] [clips...]

Default clips: the 360p, 720p and 1080p real clips built by scripts/make-bench-clips.sh (60 s each).
`--mixed` takes instead issue 19's mixed real set (scripts/make-mixed-bench-clips.sh: eight 60 s clips, H.264, VP9
and MPEG-4, 360p-1080p). Every table ends with one line per variant over the whole set: the sum of its median
wall times over the sum of ffmpeg's (the criterion's ratio), and the sums of median CPU times. The header names
the CPU, the BLAS kernels and the load average at the start and at the end (other work on the machine shows as
wall time, much less as CPU time); the fastest of the rounds is given beside the median, as the nearest to a quiet
machine.
`--stages` runs instead each build (`--binary`, then every `--compare`) with `run --profile`, interleaved, and writes
the median CPU seconds of each step of the profile per clip: where the CPU time goes besides the network and libav's
decoding (issue 19), per step and in all.
Standard library only. scripts/bench-speed.py runs it as part of the whole speed suite and imports
`timed`, `machine` and `write_section` from it.
"""
import argparse
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


def timed(cmd, cpu=False):
    """Wall seconds and peak RSS (MB) of one run of cmd, via GNU time's %M; with `cpu`, also its CPU seconds (user +
    system, all threads: %U + %S)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        start = time.monotonic()
        subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", t.name] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.monotonic() - start
        rss_kb, user, system = t.read().strip().splitlines()[-1].split()
    return (wall, int(rss_kb) / 1024, float(user) + float(system)) if cpu else (wall, int(rss_kb) / 1024)


def machine(binary=os.path.join(ROOT, ".build", "release", "framededupe")):
    """One line naming the machine: cores, CPU model, the BLAS kernels `binary doctor` reports (when the binary is
    there) and the 1-minute load average now."""
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    kernels = ""
    if os.access(binary, os.X_OK):
        doctor = subprocess.run([binary, "doctor"], capture_output=True, text=True).stdout
        line = next((l for l in doctor.splitlines() if l.startswith("BLAS kernels: ")), None)
        if line:
            kernels = f", BLAS kernels {line[len('BLAS kernels: '):]}"
    return f"{os.cpu_count()} cores, {cpu}{kernels}, load average {os.getloadavg()[0]:.2f} at the start"


def aggregate(rows, clips):
    """Per variant, over every clip: (variant, sum of median walls, that over ffmpeg's sum, sum of median CPU times,
    that over ffmpeg's). `rows` as main() makes them; the first variant of each clip is ffmpeg's decode-only."""
    names = list(dict.fromkeys(n for _, n, *_ in rows))
    wall = {n: sum(t for _, m, t, *_ in rows if m == n) for n in names}
    cpu = {n: sum(r[5] for r in rows if r[1] == n) for n in names}
    fastest = {n: sum(r[6] for r in rows if r[1] == n) for n in names}
    base = names[0]
    return [(n, wall[n], wall[n] / wall[base], cpu[n], cpu[n] / cpu[base] if cpu[base] else 0, fastest[n], fastest[n] / fastest[base])
            for n in names]


def write_section(path, name, body, heading, writer):
    """Puts `body` between the `name` markers of the Markdown file at `path` (replacing what was there), or, when the
    markers are missing, appends `heading` and the marked section. `writer` names the script in the begin marker."""
    section = f"<!-- {name}:begin (written by {writer}; do not edit by hand) -->\n{body.strip()}\n<!-- {name}:end -->"
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    if f"<!-- {name}:begin" in text:
        text = re.sub(rf"<!-- {name}:begin.*?<!-- {name}:end -->", lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + section + "\n"
    open(path, "w").write(text)


STEP = re.compile(r"([A-Za-z+/ ]+?) (\d+\.\d+) s \(\d+%(?:, CPU (\d+\.\d+) s)?\)")


def profile(cmd):
    """CPU seconds of one `run --profile`: {"process": all threads, (thread, step): the thread's CPU in that step}."""
    err = subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
    out = {}
    for line in err.splitlines():
        total = re.search(r"profile: [\d.]+ s wall, ([\d.]+) s CPU in all threads", line)
        if total:
            out["process"] = float(total.group(1))
        thread = re.search(r": +([a-z ]+) thread: (.*)$", line)
        if thread:
            for step, _, cpu in STEP.findall(thread.group(2)):
                out[(thread.group(1).strip(), step.strip())] = float(cpu or 0)
    return out


# The profile's steps, grouped as BENCHMARKS.md names them: the network, image encoding and the rest (ours besides them).
NETWORK = {("run", "network"), ("network", "network")}
ENCODING = {("encoding", "encode images")}
REST_PARTS = [("demuxing, sampler lumas and thumbnails (decoding thread)", [("decoding", "demux+decode")]),
              ("hashes, SSIM luma, quality, bars", [("decoding", "hashes/SSIM luma")]),
              ("scale for the network", [("decoding", "scale for network")]),
              ("opening", [("run", "opening")]),
              ("scene stages", [("run", "scene stages")]),
              ("writes", [("run", "writes")]),
              ("clustering", [("run", "clustering")]),
              ("results", [("run", "results")]),
              ("report map (its thread)", [("report map", "report map")])]


def stages(args, clips, builds, out):
    """The `--stages` table: per clip and build, the median over the rounds of each group's CPU seconds."""
    rows = []
    for clip in clips:
        runs = {label: [] for label, _ in builds}
        for _ in range(args.rounds):
            for label, binary in builds:
                runs[label].append(profile([binary, "run", clip, "-q", "--force", "-o", out, "--fps", "2", "--profile"]))
        for label, _ in builds:
            def median(keys):
                return statistics.median(sum(r.get(k, 0) for k in keys) for r in runs[label])
            process = statistics.median(r["process"] for r in runs[label])
            libav = statistics.median(r["process"] - sum(v for k, v in r.items() if k != "process") for r in runs[label])
            parts = [median(keys) for _, keys in REST_PARTS]
            rest = statistics.median(sum(r.get(k, 0) for _, keys in REST_PARTS for k in keys) for r in runs[label])
            rows.append((os.path.basename(clip), label, process, libav, median(NETWORK), median(ENCODING), rest, parts))
            print(f"{os.path.basename(clip):20} {label:10} CPU {process:5.2f} s  libav {libav:5.2f}  network {median(NETWORK):5.2f}"
                  f"  encode {median(ENCODING):5.2f}  rest {rest:5.2f}  (" + ", ".join(f"{n} {v:.2f}" for (n, _), v in zip(REST_PARTS, parts)) + ")",
                  flush=True)
    table = ["| clip | build | all CPU | libav decoding | network | encode images | **the rest** | "
             + " | ".join(n for n, _ in REST_PARTS) + " |",
             "|---|---|" + "---:|" * (5 + len(REST_PARTS))]
    table += [f"| {c} | {b} | {p:.2f} | {l:.2f} | {n:.2f} | {e:.2f} | **{r:.2f}** | " + " | ".join(f"{v:.2f}" for v in parts) + " |"
              for c, b, p, l, n, e, r, parts in rows]
    for label, _ in builds:
        mine = [r for r in rows if r[1] == label]
        table.append(f"| **all {len(clips)} clips** | {label} | {sum(r[2] for r in mine):.2f} | {sum(r[3] for r in mine):.2f} | "
                     f"{sum(r[4] for r in mine):.2f} | {sum(r[5] for r in mine):.2f} | **{sum(r[6] for r in mine):.2f}** | "
                     + " | ".join(f"{sum(r[7][i] for r in mine):.2f}" for i in range(len(REST_PARTS))) + " |")
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", nargs="*")
    ap.add_argument("--rounds", type=int, default=5)
    default_binary = os.path.join(ROOT, ".build/release/framededupe")
    ap.add_argument("--binary", default=default_binary)
    ap.add_argument("--no-write", action="store_true", help="print only; do not touch BENCHMARKS.md")
    ap.add_argument("--benchmarks", default=os.path.join(ROOT, "BENCHMARKS.md"), help="the Markdown file to write (default BENCHMARKS.md)")
    ap.add_argument("--section", default="decode", help="the section's marker name (default decode; another name for other clips)")
    ap.add_argument("--compare", action="append", default=[], metavar="LABEL=BINARY",
                    help="also run another build with the defaults, interleaved with the rest (e.g. before=/path/to/old/framededupe)")
    ap.add_argument("--defaults-only", action="store_true", help="only ffmpeg decode-only and framededupe with the defaults (and --compare builds)")
    ap.add_argument("--mixed", action="store_true", help="the clips of scripts/make-mixed-bench-clips.sh (issue 19's mixed real set)")
    ap.add_argument("--heading", help="the section's heading when it is new")
    ap.add_argument("--stages", action="store_true",
                    help="instead of timing, run each build with run --profile and write the median CPU seconds of each step")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"bench-decode: {args.binary} missing: run 'swift build -c release' first")
    if not os.path.exists("/usr/bin/time"):
        sys.exit("bench-decode: /usr/bin/time missing: apt-get install time")
    maker = "scripts/make-mixed-bench-clips.sh" if args.mixed else "scripts/make-bench-clips.sh"
    clips = args.clips or subprocess.run([os.path.join(ROOT, maker)], check=True, capture_output=True, text=True).stdout.split()
    out = tempfile.mkdtemp(prefix="bench-decode-")
    noted = machine(args.binary)
    if args.stages:
        builds = [("new", args.binary)] + [tuple(spec.partition("=")[::2]) for spec in args.compare]
        table = stages(args, clips, builds, out)
        shutil.rmtree(out, ignore_errors=True)
        noted += f", {os.getloadavg()[0]:.2f} at the end"
        if args.no_write:
            return
        command = (f"python3 scripts/bench-decode.py --stages{' --mixed' if args.mixed else ''} --rounds {args.rounds} --section {args.section}"
                   f"{''.join(f' --compare {c}' for c in args.compare)}{'' if args.binary == default_binary else f' --binary {args.binary}'}"
                   f"{''.join(' ' + c for c in args.clips)}")
        body = "\n".join([
            f"Machine: {noted}; {args.rounds} interleaved round{'s' if args.rounds > 1 else ''}, medians; {time.strftime('%Y-%m-%d')}.",
            "", f"Command: `{command}`.", "", *table, "",
            "CPU seconds (user + system) of one run per clip, medians; `new` is `--binary`. \"libav decoding\" is the process's CPU"
            " time outside every step of the profile (mostly libavcodec's own threads); \"network\" the run's thread and the"
            " network's second thread; \"the rest\" the sum of the columns after it, each a step of `--profile` (one thread's CPU in it).",
        ])
        write_section(args.benchmarks, args.section, body, args.heading or f"CPU per step ({args.section})", "scripts/bench-decode.py --stages")
        print(f"wrote {args.benchmarks}")
        return
    variants = [
        ("ffmpeg -vf fps=2 -f null (decode only)", lambda c: ["ffmpeg", "-nostdin", "-v", "error", "-i", c, "-vf", "fps=2", "-f", "null", "-"]),
        ("framededupe --scorer ssim (SSIM scenes + keyframes)", lambda c: [args.binary, c, "-q", "--force", "-o", out, "--scorer", "ssim"]),
        ("framededupe --scorer ssim, non-ref skipping off", lambda c: [args.binary, c, "-q", "--force", "-o", out, "--scorer", "ssim", "--decode-unsampled"]),
        ("framededupe defaults (--scorer both: SSIM + EfficientNet-Lite0, 1 BLAS thread)", lambda c: [args.binary, c, "-q", "--force", "-o", out, "--fps", "2"]),
        ("framededupe --scorer ssim --decode keyframes", lambda c: [args.binary, c, "-q", "--force", "-o", out, "--scorer", "ssim", "--decode", "keyframes"]),
        ("ffmpeg -skip_frame nokey (decode only)", lambda c: ["ffmpeg", "-nostdin", "-v", "error", "-skip_frame", "nokey", "-i", c, "-f", "null", "-"]),
    ]
    if args.defaults_only:
        variants = [v for v in variants if v[0].startswith("ffmpeg -vf") or v[0].startswith("framededupe defaults")]
    for spec in args.compare:
        label, _, binary = spec.partition("=")
        variants.append((f"framededupe defaults, {label} build", lambda c, b=binary: [b, c, "-q", "--force", "-o", out, "--fps", "2"]))
    rows = []
    durations = {}
    for clip in clips:
        durations[os.path.basename(clip)] = float(subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", clip],
            check=True, capture_output=True, text=True).stdout)
        times = {name: [] for name, _ in variants}
        rss = {name: [] for name, _ in variants}
        cpu = {name: [] for name, _ in variants}
        for _ in range(args.rounds):
            for name, cmd in variants:
                w, m, c = timed(cmd(clip), cpu=True)
                times[name].append(w)
                rss[name].append(m)
                cpu[name].append(c)
        base = statistics.median(times[variants[0][0]])
        base_fastest = min(times[variants[0][0]])
        for name, _ in variants:
            med = statistics.median(times[name])
            fastest = min(times[name])
            rows.append((os.path.basename(clip), name, med, med / base, statistics.median(rss[name]), statistics.median(cpu[name]),
                         fastest, fastest / base_fastest))
            print(f"{os.path.basename(clip):20} {name:50} {med:7.2f} s  {med / base:5.2f}x  fastest {fastest:6.2f} s {fastest / base_fastest:5.2f}x"
                  f"  {statistics.median(rss[name]):6.0f} MB  CPU {statistics.median(cpu[name]):6.2f} s", flush=True)
    shutil.rmtree(out, ignore_errors=True)
    noted += f", {os.getloadavg()[0]:.2f} at the end"
    totals = aggregate(rows, clips)
    for n, w, r, c, cr, f, fr in totals:
        print(f"{'all clips':20} {n:50} {w:7.2f} s  {r:5.2f}x  fastest {f:6.2f} s {fr:5.2f}x  CPU {c:6.2f} s ({cr:.2f}x ffmpeg's)", flush=True)
    if args.no_write:
        return
    table = ["| clip | what | median wall (s) | ratio to ffmpeg decode | fastest wall (s), ratio | sampled frames/s | median peak RSS (MB) | median CPU (s) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    table += [f"| {c} | {n} | {t:.2f} | {r:.2f}× | {f:.2f} ({fr:.2f}×) | {'' if '--decode keyframes' in n or 'nokey' in n else f'{2 * durations[c] / t:.1f}'} | {m:.0f} | {u:.2f} |"
              for c, n, t, r, m, u, f, fr in rows]
    total = sum(durations.values())
    table += [f"| **all {len(clips)} clips ({total:.0f} s)** | {n} | {w:.2f} | **{r:.2f}×** | {f:.2f} ({fr:.2f}×) | {2 * total / w:.1f} | | {c:.2f} ({cr:.2f}×) |"
              for n, w, r, c, cr, f, fr in totals if not ("--decode keyframes" in n or "nokey" in n)]
    body = "\n".join([
        f"Machine: {noted}; {args.rounds} interleaved round{'s' if args.rounds > 1 else ''}, medians; {time.strftime('%Y-%m-%d')}.",
        "",
        f"Command: `python3 scripts/bench-decode.py --rounds {args.rounds}` (clips from `scripts/make-bench-clips.sh`: 60 s of real footage, H.264 with B-frames)."
        if not args.clips and not args.mixed else
        f"Command: `python3 scripts/bench-decode.py --mixed --rounds {args.rounds} --section {args.section}"
        f"{' --defaults-only' if args.defaults_only else ''}{''.join(f' --compare {c}' for c in args.compare)}"
        f"{'' if args.binary == default_binary else f' --binary {args.binary}'}` (clips from `scripts/make-mixed-bench-clips.sh`)."
        if not args.clips else
        f"Command: `python3 scripts/bench-decode.py --rounds {args.rounds} --section {args.section}"
        f"{' --defaults-only' if args.defaults_only else ''}{''.join(f' --compare {c}' for c in args.compare)}"
        f"{'' if args.binary == default_binary else f' --binary {args.binary}'}"
        f" {' '.join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in args.clips)}`.",
        "",
        *table,
        "",
        "The last lines: sums over all clips of the median wall times (the ratio: ours over ffmpeg's), of the fastest"
        " rounds' (the nearest to a quiet machine) and of the median CPU times (all threads; in brackets over ffmpeg's).",
    ])
    heading = args.heading or "Decode and SSIM scenes vs ffmpeg decode-only" + ("" if args.section == "decode" else f" ({args.section})")
    write_section(args.benchmarks, args.section, body, heading, "scripts/bench-decode.py")
    print(f"wrote {args.benchmarks}")


if __name__ == "__main__":
    main()
