#!/usr/bin/env python3
"""Fuzzes the pipe path: mutated bytes on standard input to `framededupe -`, for a bounded time.

    scripts/fuzz/pipe-fuzz.py BINARY SEEDS_DIR CRASHES_DIR SECONDS [SEED]

Each round takes a seed file (the samples and the bad-input corpus), mutates it (flipped bytes, a cut, a chunk
dropped or repeated, two seeds spliced) with a seeded generator, writes it to the binary's standard input and
closes it (sometimes early, as a writer that dies would), and checks the answer: exit status 0 (results), 3
(input unreadable) or 4 is fine; a signal (a crash, a sanitizer abort) or a run over 30 s (a hang) is a
failure, and its input is saved in CRASHES_DIR as pipe-<n>.bin with the command's stderr beside it.
Python standard library only. Exit status 1 when something failed.
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time


def mutate(rng, data, seeds):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(5)
        if kind == 0 and data:  # flip bytes
            for _ in range(rng.randint(1, 32)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1 and len(data) > 16:  # cut the tail (a writer that stops)
            del data[rng.randrange(16, len(data)):]
        elif kind == 2 and len(data) > 64:  # drop a chunk
            a = rng.randrange(len(data))
            del data[a:a + rng.randint(1, 4096)]
        elif kind == 3 and len(data) > 64:  # repeat a chunk
            a = rng.randrange(len(data))
            data[a:a] = data[a:a + rng.randint(1, 4096)]
        elif kind == 4:  # splice another seed in
            other = rng.choice(seeds)
            a = rng.randrange(len(data) + 1)
            data[a:] = other[rng.randrange(len(other) + 1):] if other else b""
    return bytes(data)


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    binary, seeds_dir, crashes, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 7)
    seeds = []
    for name in sorted(os.listdir(seeds_dir)):
        path = os.path.join(seeds_dir, name)
        if os.path.isfile(path) and os.path.getsize(path) <= 2_000_000:
            with open(path, "rb") as f:
                seeds.append(f.read())
    if not seeds:
        print("pipe-fuzz: no seeds", file=sys.stderr)
        return 2
    os.makedirs(crashes, exist_ok=True)
    work = tempfile.mkdtemp(prefix="framededupe-pipe-fuzz-")
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no", ASAN_OPTIONS="detect_leaks=0")
    end = time.monotonic() + seconds
    runs = failures = 0
    statuses = {}
    try:
        while time.monotonic() < end:
            data = mutate(rng, rng.choice(seeds), seeds)
            out = os.path.join(work, "out")
            shutil.rmtree(out, ignore_errors=True)
            command = [binary, "-", "-o", out, "-q", "--scorer", "ssim", "--fps", "4"]
            try:
                p = subprocess.run(command, input=data, capture_output=True, timeout=30, env=env)
                status, stderr = p.returncode, p.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired as e:
                status, stderr = "hang", (e.stderr or b"").decode("utf-8", "replace")
            runs += 1
            statuses[status] = statuses.get(status, 0) + 1
            if status not in (0, 3, 4):
                failures += 1
                name = os.path.join(crashes, "pipe-%d.bin" % int(time.time() * 1000))
                with open(name, "wb") as f:
                    f.write(data)
                with open(name + ".log", "w") as f:
                    f.write("status %s\n%s\n" % (status, stderr))
                print("pipe-fuzz: status %s, input saved as %s" % (status, name), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("pipe-fuzz: %d runs in %.0f s, exit statuses %s, %d failures" % (runs, seconds, statuses, failures), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
