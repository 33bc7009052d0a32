#!/usr/bin/env python3
"""Bytes a framededupe run writes against the size of the results it leaves, for each input given.

    python3 scripts/bench-writes.py [--binary NAME=PATH]... [--loop-minutes 30] [--benchmarks BENCHMARKS.md] CLIP... [-- RUN OPTIONS]

Each input runs once with `-o` into a fresh temporary folder (defaults unless options follow `--`). The
process's own accounting is read from /proc/PID/io after it has exited and before it is reaped (waitid with
WNOWAIT), so nothing it wrote is missed: `wchar` (bytes passed to write(2) and friends: every file, the
checkpoint log, the spill file of closed scenes, and the terminal) and `write_bytes - cancelled_write_bytes`
(bytes that reached the storage layer; files deleted before write-back count as cancelled). The results are
the files left in the output folder, each inode counted once (unique/ and clusters/ link to keyframes/).
Also the process's peak RSS (what holding state in memory instead of writing it costs).
With --loop-minutes, the first clip is also played N minutes in a row (-stream_loop, stream copy) as a long input.

Prints a Markdown table (a row per input and binary: `--binary before=OLD --binary after=NEW` compares two
builds); with --benchmarks, also writes it between the "writes" markers of that file. Standard library only (Linux).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module

bench_decode = import_module("bench-decode")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_counting_writes(cmd):
    """Runs cmd; returns (exit status, wchar, bytes written to storage, peak RSS in bytes) of the process itself."""
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped: /proc/PID is still there
    fields = {}
    with open(f"/proc/{child.pid}/io") as io:
        for line in io:
            key, value = line.split(":")
            fields[key] = int(value)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, fields["wchar"], fields["write_bytes"] - fields["cancelled_write_bytes"], usage.ru_maxrss * 1024


def results_size(folder):
    """Bytes of the files in folder, each inode once."""
    seen, total = set(), 0
    for directory, _, files in os.walk(folder):
        for name in files:
            st = os.lstat(os.path.join(directory, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", nargs="+")
    ap.add_argument("--binary", action="append", default=[], help="NAME=PATH (repeatable); default: this build's release binary")
    ap.add_argument("--loop-minutes", type=float, default=0)
    ap.add_argument("--benchmarks", help="also write the table into this Markdown file's 'writes' section")
    args = ap.parse_args(argv)
    binaries = [b.split("=", 1) if "=" in b else (os.path.basename(b), b) for b in args.binary] \
        or [("this build", os.path.join(ROOT, ".build", "release", "framededupe"))]
    work = tempfile.mkdtemp(prefix="bench-writes-")
    clips = list(args.clips)
    try:
        if args.loop_minutes:
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", clips[0]],
                                   check=True, capture_output=True, text=True)
            loops = max(1, round(args.loop_minutes * 60 / float(probe.stdout)))
            long_input = os.path.join(work, f"loop{loops}x-" + os.path.basename(clips[0]))
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", clips[0], "-c", "copy", long_input], check=True)
            clips.append(long_input)
        lines = [f"Machine: {bench_decode.machine()}.", "",
                 f"Command: `python3 scripts/bench-writes.py {' '.join(sys.argv[1:])}`; per input `framededupe INPUT -o DIR -q"
                 + (" " + " ".join(extra) if extra else "") + "`. Written: the process's `wchar` and `write_bytes` "
                 "(less cancelled) from /proc/PID/io; results: the output folder's files, each inode once; peak RSS: the "
                 "process's maximum resident set (wait4).", "",
                 "| input | minutes | build | results (MB) | written, wchar (MB) | to storage (MB) | written / results | peak RSS (MB) |",
                 "|---|---:|---|---:|---:|---:|---:|---:|"]
        for clip in clips:
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", clip],
                                   capture_output=True, text=True)
            minutes = float(probe.stdout or 0) / 60
            for name, binary in binaries:
                out = os.path.join(work, "out")
                shutil.rmtree(out, ignore_errors=True)
                status, wchar, stored, rss = run_counting_writes([binary, clip, "-o", out, "-q"] + extra)
                if status != 0:
                    sys.exit(f"bench-writes: {name}: {clip}: exit status {status}")
                size = results_size(out)
                lines.append(f"| {os.path.basename(clip)} | {minutes:.1f} | {name} | {size / 1e6:.2f} | {wchar / 1e6:.2f} | "
                             f"{stored / 1e6:.2f} | {wchar / size:.2f} | {rss / 1e6:.0f} |")
        print("\n".join(lines))
        if args.benchmarks:
            bench_decode.write_section(args.benchmarks, "writes", "\n".join(lines), "Bytes written against results",
                                       "scripts/bench-writes.py")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
