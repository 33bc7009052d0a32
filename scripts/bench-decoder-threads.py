#!/usr/bin/env python3
"""Peak memory and time of a default run by decoder thread count (issue 19: the automatic count's memory bound).

    python3 scripts/bench-decoder-threads.py [--binary BIN] [--rounds N] [--threads LIST] [--no-write] CLIPS...

For each clip, runs `BIN run -q --force --threads N -o OUT CLIP` for every N in LIST (default: 0, the automatic
count, then 1, 3, 5, 9, 17 and libavcodec's own choice, cores + 1 up to 16), rounds interleaved, and reports per
count the median peak RSS (wait4's ru_maxrss) and wall time, and the thread count the run used (its `--profile`
line "decoding thread (libavcodec: N threads)"). On a machine with many cores, the rows `0` and `cores + 1` compare
the bounded automatic count with the unbounded one directly; on 2 cores they are the same count, and the other rows
give the memory a many-core machine's default would have taken. Outputs must not depend on the count: the script
checks that every run's scenes.json and clusters.json equal the first run's.

Writes a Markdown table to stdout, headed by the machine (CPU model, cores, OpenBLAS core via `BIN doctor`) and the
command, for BENCHMARKS.md.
"""
import argparse, os, re, resource, shutil, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument('--binary', default='.build/release/framededupe')
ap.add_argument('--rounds', type=int, default=3)
ap.add_argument('--threads', default=None, help='comma-separated counts (0 = automatic)')
ap.add_argument('clips', nargs='+')
args = ap.parse_args()

cores = len(os.sched_getaffinity(0))
libav = min(16, cores + 1)
counts = [int(x) for x in args.threads.split(',')] if args.threads else [0, 1, 3, 5, 9, 17]
if libav not in counts:
    counts.append(libav)

def cpu_model():
    for line in open('/proc/cpuinfo'):
        if line.startswith('model name'):
            return line.split(':', 1)[1].strip()
    return 'unknown CPU'

def blas_core():
    try:
        out = subprocess.run([args.binary, 'doctor'], capture_output=True, text=True).stdout
        m = re.search(r'BLAS kernels: [^\n]*', out)
        return m.group(0).strip() if m else 'unknown'
    except OSError:
        return 'unknown'

def run(clip, threads, out):
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        err = os.open(os.path.join(out, 'stderr'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(err, 2)
        os.execv(args.binary, [args.binary, 'run', '-q', '--force', '--profile', '--threads', str(threads), '-o', os.path.join(out, 'o'), clip])
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    if status != 0:
        sys.exit(f'{clip}: --threads {threads} failed (status {status}): ' + open(os.path.join(out, 'stderr')).read())
    used = re.search(r'libavcodec: (\d+) threads', open(os.path.join(out, 'stderr')).read())
    results = tuple(open(os.path.join(out, 'o', f)).read() for f in ('scenes.json', 'clusters.json'))
    return usage.ru_maxrss / 1024, wall, int(used.group(1)) if used else None, results

print(f'Machine: {cores} cores, {cpu_model()}; {blas_core()}; {args.rounds} interleaved rounds, medians; '
      f'libavcodec\'s own choice here: {libav} threads.\n')
print('Command: `python3 scripts/bench-decoder-threads.py ' + ' '.join(sys.argv[1:]) + '`\n')
print('| clip | --threads | threads used | median peak RSS (MiB) | median wall (s) |')
print('|---|---:|---:|---:|---:|')
work = tempfile.mkdtemp(prefix='bench-threads-')
try:
    for clip in args.clips:
        rows = {n: [] for n in counts}
        reference = None
        for _ in range(args.rounds):
            for n in counts:
                rss, wall, used, results = run(clip, n, work)
                # The paths in scenes.json are the same for every run (one output folder).
                if reference is None:
                    reference = results
                elif results != reference:
                    sys.exit(f'{clip}: --threads {n} gave other results than --threads {counts[0]}')
                rows[n].append((rss, wall, used))
        for n in counts:
            used = rows[n][0][2]
            label = f'{n} (automatic)' if n == 0 else (f'{n} (cores + 1)' if n == libav else str(n))
            print(f'| {os.path.basename(clip)} | {label} | {used} | {statistics.median(r[0] for r in rows[n]):.0f} '
                  f'| {statistics.median(r[1] for r in rows[n]):.2f} |')
finally:
    shutil.rmtree(work, ignore_errors=True)
