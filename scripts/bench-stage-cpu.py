#!/usr/bin/env python3
"""CPU per sampled frame of each stage of a default run, from `run --profile` with one decoder thread (issue 19).

    python3 scripts/bench-stage-cpu.py [--binary BIN] [--rounds N] CLIPS...

With `--threads 1` libavcodec decodes on the decoding thread itself, so its CPU is that thread's "demux+decode";
the decoding thread's own work (hashes, SSIM luma, the network's input) is the rest of its line; the encoder thread
(JPEG above 720p), the run thread (network, scene stages, writes, clustering, results) and the network's second
thread (up to 720p, when it ran) are their lines' CPU. Medians of N runs, divided by the sampled frames.

The last column is how many decoder threads it takes before decoding stops setting the pace, on a machine with cores
to spare: the decoder's threads share demux+decode, while the decoding thread's own work, the encoder and the run
thread are one thread each, so decoding stops bounding the run once demux+decode / threads + own work <= the
busiest other thread (ideal scaling of frame threads: a lower bound on the threads needed).
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile

ap = argparse.ArgumentParser()
ap.add_argument('--binary', default='.build/release/framededupe')
ap.add_argument('--rounds', type=int, default=3)
ap.add_argument('clips', nargs='+')
args = ap.parse_args()

def cpu(line, step):
    m = re.search(re.escape(step) + r' [\d.]+ s \(\d+%, CPU ([\d.]+) s\)', line)
    return float(m.group(1)) if m else 0.0

def line(err, thread):
    for l in err.splitlines():
        if f' {thread} thread' in l:
            return l
    return ''

def total_cpu(l):
    return sum(float(x) for x in re.findall(r'CPU ([\d.]+) s\)', l))

out = tempfile.mkdtemp(prefix='bench-stages-')
print('| clip | samples | demux+decode | decoding thread, own | encoder | run thread | network, 2nd thread | decoder threads until decoding stops bounding |')
print('|---|---:|---:|---:|---:|---:|---:|---:|')
for clip in args.clips:
    rows = []
    for _ in range(args.rounds):
        p = subprocess.run([args.binary, 'run', '-q', '--force', '--profile', '--threads', '1', '-o', out, clip], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f'{clip}: status {p.returncode}: {p.stderr}')
        d = line(p.stderr, 'decoding')
        decode = cpu(d, 'demux+decode')
        rows.append((decode, total_cpu(d) - decode, total_cpu(line(p.stderr, 'encoding')), total_cpu(line(p.stderr, 'run')),
                     total_cpu(line(p.stderr, 'network'))))
    n = len(json.load(open(os.path.join(out, 'scenes.json')))['frames'])
    D, T, E, R, W = (1000 * statistics.median(r[i] for r in rows) / n for i in range(5))
    bound = max(E, R, W) - T
    print(f'| {os.path.basename(clip)} | {n} | {D:.1f} | {T:.1f} | {E:.1f} | {R:.1f} | {W:.1f} | {D / bound:.1f} |' if bound > 0 else
          f'| {os.path.basename(clip)} | {n} | {D:.1f} | {T:.1f} | {E:.1f} | {R:.1f} | {W:.1f} | – |')
print(f'\nms of CPU per sampled frame, medians of {args.rounds} runs with `--threads 1`.')
