"""Times copydesk's whole pipeline against rensa and datasketch document dedup on one corpus,
2 workers each: median wall time of 3 runs, peak RSS from /usr/bin/time -v, and MB/s
(MB = 10^6 bytes of JSONL input). Prints a Markdown table.

Each copydesk run writes a fresh output folder: the previous run's folder is removed before the
clock starts, since the peer scripts write no output at all. One more row times copydesk
writing over the previous run's output, as a user rerunning into the same folder does: the
switch then frees the old files (about 95 MB on the 75 MB corpus), which costs what the file
system makes it cost (about 0.1 s on this machine's disk, mounted with `discard`).

Usage:
  python3 run_all.py --corpus /tmp/news75.jsonl --copydesk target/release/copydesk \
      [--python python3] [--runs 3]
Build the corpus first with make_corpus.py (never commit it). rensa and datasketch must be
importable by --python (pip install rensa datasketch).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, fresh=None):
    """Runs cmd under /usr/bin/time -v, after removing the folder `fresh` (untimed) when given;
    returns (seconds, peak RSS bytes, stdout)."""
    if fresh:
        shutil.rmtree(fresh, ignore_errors=True)
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit(f"{cmd} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    h, m, s = wall.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) * 1024
    return seconds, rss, p.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--copydesk", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    size = os.path.getsize(a.corpus)
    tmp = tempfile.mkdtemp(prefix="copydesk-e2e-")
    five = os.path.join(tmp, "five.toml")
    with open(five, "w") as f:
        f.write("[dedup]\nshingle_size = 5\n")
    out = os.path.join(tmp, "out")
    run = [a.copydesk, "run", a.corpus, "-o", out, "--threads", "2", "--quiet"]
    # (name, command, folder removed before each run)
    tools = [
        ("copydesk run (default config)", run, out),
        ("copydesk run (default config, writing over the previous output)", run, None),
        ("copydesk run (shingle_size = 5)", run[:3] + ["-c", five] + run[3:], out),
        ("rensa 0.5 (RMinHash + RMinHashLSH)",
         [a.python, os.path.join(HERE, "rensa_dedup.py"), a.corpus, "2"], None),
        ("datasketch 2.0 (MinHash + MinHashLSH)",
         [a.python, os.path.join(HERE, "datasketch_dedup.py"), a.corpus, "2"], None),
    ]
    print(f"corpus {a.corpus}: {size / 1e6:.1f} MB; {a.runs} runs each, 2 workers; "
          f"load average before: {open('/proc/loadavg').read().split()[:3]}")
    rows = []
    for name, cmd, fresh in tools:
        runs = [timed(cmd, fresh) for _ in range(a.runs)]
        secs = [r[0] for r in runs]
        med = statistics.median(secs)
        rss = max(r[1] for r in runs)
        print(f"{name}: {' '.join(f'{s:.2f}' for s in secs)} s; {runs[-1][2]}", flush=True)
        rows.append((name, med, size / 1e6 / med, rss))
    base = next(r for r in rows if r[0].startswith("rensa"))
    print("\n| tool | median s | MB/s | × rensa | peak RSS MB |\n|---|---:|---:|---:|---:|")
    for name, med, mbs, rss in rows:
        print(f"| {name} | {med:.2f} | {mbs:.1f} | {mbs / base[2]:.2f} | {rss / 1e6:.0f} |")
    print(f"load average after: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
