"""Peak RSS of `copydesk run` (2 threads) for corpora of several sizes, and the bytes per
paragraph it implies. Corpora come from make_corpus.py (same text and variants, cut at each
size) in a temporary folder; N is the number of paragraphs the pipeline produced (kept,
dropped as copies, and in documents dropped whole), counted from its output.

Usage: python3 memory.py --copydesk target/release/copydesk [MB ...]   (default 5 10 25 50 75)
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def paragraphs(out):
    n = 0
    with open(os.path.join(out, "documents.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            n += len([p for p in d["text"].split("\n\n") if p])
            n += sum(1 for r in d["copydesk"].get("duplicates", []) if "text" in r)
    with open(os.path.join(out, "dropped.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            n += len([p for p in d["text"].split("\n\n") if p])
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copydesk", required=True)
    ap.add_argument("sizes", nargs="*", type=float, default=[5, 10, 25, 50, 75])
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="copydesk-mem-")
    print(f"load average before: {open('/proc/loadavg').read().split()[:3]}")
    print("| corpus MB | documents | paragraphs N | peak RSS MB | bytes per paragraph |")
    print("|---:|---:|---:|---:|---:|")
    for mb in a.sizes:
        corpus = os.path.join(tmp, f"c{mb}.jsonl")
        subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), corpus, str(mb)],
                       check=True, capture_output=True)
        out = os.path.join(tmp, "out")
        p = subprocess.run(["/usr/bin/time", "-v", a.copydesk, "run", corpus, "-o", out,
                            "--threads", "2", "--quiet"], capture_output=True, text=True)
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
        docs = sum(1 for _ in open(corpus, encoding="utf-8"))
        n = paragraphs(out)
        print(f"| {os.path.getsize(corpus) / 1e6:.1f} | {docs} | {n} | {rss * 1024 / 1e6:.0f} | "
              f"{rss * 1024 / n:,.0f} |", flush=True)
        os.remove(corpus)


if __name__ == "__main__":
    main()
