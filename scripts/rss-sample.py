#!/usr/bin/env python3
"""Peak memory of one framededupe run, split into its decoding phase and its end phase (issue 7).

    python3 scripts/rss-sample.py LOG CMD...      (CMD's last argument is the input clip)

Runs CMD under /usr/bin/time -v and samples, every 0.5 s, VmRSS, the clip's read position (fdinfo pos) and
/proc/PID/io write_bytes. The decoding phase is the samples while the clip is open and not yet read to its
end; the end phase is the rest (clustering, writing). Writes the samples to LOG (seconds, RSS kB, position,
bytes written) and prints one summary line. Linux only. Used for the memory table in BENCHMARKS.md, e.g.

    python3 scripts/rss-sample.py /tmp/m10 .build/release/framededupe --fps 2 -q --force -o /tmp/out \
        .cache/bench/bench-720p-loop10min.mp4
"""
import os, subprocess, sys, time
log, cmd = sys.argv[1], sys.argv[2:]
clip = os.path.realpath(cmd[-1]); size = os.path.getsize(clip)
tf = open(log + '.time', 'w')
p = subprocess.Popen(['/usr/bin/time', '-v'] + cmd, stdout=open(log + '.out', 'w'), stderr=tf)
time.sleep(0.2)
child = None
rows = []; t0 = time.time()
while p.poll() is None:
    if child is None:
        try: child = int(open(f'/proc/{p.pid}/task/{p.pid}/children').read().split()[0])
        except Exception: time.sleep(0.05); continue
    try:
        rss = next(int(l.split()[1]) for l in open(f'/proc/{child}/status') if l.startswith('VmRSS'))
        pos = -1
        for fd in os.listdir(f'/proc/{child}/fd'):
            try:
                if os.readlink(f'/proc/{child}/fd/{fd}') == clip:
                    pos = max(pos, next(int(l.split()[1]) for l in open(f'/proc/{child}/fdinfo/{fd}') if l.startswith('pos:')))
            except OSError: pass
        wb = next(int(l.split()[1]) for l in open(f'/proc/{child}/io') if l.startswith('write_bytes'))
        rows.append((time.time() - t0, rss, pos, wb))
    except (OSError, StopIteration): pass
    time.sleep(0.5)
p.wait(); tf.close()
with open(log, 'w') as f:
    for r in rows: f.write('%.1f %d %d %d\n' % r)
stream = [r[1] for r in rows if 0 <= r[2] < size]
end = [r[1] for r in rows if not (0 <= r[2] < size)]
maxrss = next(l for l in open(log + '.time') if 'Maximum resident' in l).split()[-1]
status = next(l for l in open(log + '.time') if 'Exit status' in l).split()[-1]
print(f'exit {status}; max RSS {int(maxrss)//1024} MiB ({maxrss} kB); streaming peak {max(stream, default=0)//1024} MiB; '
      f'end-phase peak {max(end, default=0)//1024} MiB; samples {len(stream)}+{len(end)}; write_bytes {rows[-1][3] if rows else 0}')
