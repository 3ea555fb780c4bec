"""Runs `copydesk run` on corpora of several sizes (from make_corpus.py) and writes a Markdown
table of how run time and memory grow: wall seconds, MB/s, peak RSS against the memory budget,
duplicates found, and each size's throughput as a ratio of the 1 GB one.

    python3 run_scale.py --copydesk BIN --sizes 1,2,5,10 --corpus-root /work/scale \
        --memory 4G [--run-args "--memory {memory} --work {work} --quiet"] \
        [--extra-args "..."] [--out benches/runs/<name>.md]

For each size N the corpus is CORPUS_ROOT/corpus-<N>g. It is reused when its manifest.json
(written last by make_corpus.py) matches the size, seed, shard size and generator version, and
generated otherwise. The run writes to CORPUS_ROOT/run-<N>g-out (and -work), both deleted
afterwards unless --keep-output. Wall time and peak RSS come from /usr/bin/time (%e, %M: the
largest RSS of the process, all its threads included) and from sampling /proc every 0.2 s (the
summed RSS of the process and every descendant, for runs that start workers); the larger is
reported. MB = 10^6 bytes of uncompressed JSONL; RSS in MiB; the budget's K/M/G/T are binary.

The Markdown (and a .json beside it with the raw numbers) is rewritten after every size, so a
run that is stopped keeps what it measured.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_corpus import GENERATOR_VERSION  # noqa: E402

UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_bytes(s):
    s = s.strip().upper().replace("IB", "").rstrip("B") or "0"
    unit = s[-1] if s[-1] in UNITS else ""
    return int(float(s[:-1] if unit else s) * UNITS[unit])


def size_name(gb):
    return ("%g" % gb) + "g"


def meminfo():
    info = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            info[k] = int(v.split()[0]) * 1024
    return info


def proc_tree_rss(root):
    """Summed VmRSS (bytes) of root and all its descendants, from /proc."""
    children = {}
    rss = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(d))
            with open("/proc/%s/statm" % d) as f:
                rss[int(d)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    total, stack = 0, [root]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, ()))
    return total


class Sampler(threading.Thread):
    def __init__(self, pid, interval=0.2):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.stop = pid, interval, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, proc_tree_rss(self.pid))
            self.stop.wait(self.interval)


def ensure_corpus(a, gb):
    path = os.path.join(a.corpus_root, "corpus-" + size_name(gb))
    want = {"generator_version": GENERATOR_VERSION, "gb": gb, "seed": a.seed,
            "shard_mb": a.shard_mb}
    try:
        with open(os.path.join(path, "manifest.json")) as f:
            m = json.load(f)
        if all(m.get(k) == v for k, v in want.items()):
            print("reusing %s (%d documents, %.2f GB)" % (path, m["documents"], m["bytes"] / 1e9),
                  flush=True)
            return path, m
    except (OSError, ValueError):
        pass
    free = shutil.disk_usage(a.corpus_root).free
    need = gb * 1e9 * 0.4 + a.min_free_gb * 1e9  # zstd -3 gives about 1/3
    if free < need:
        sys.exit("run_scale: %.1f GB free under %s; corpus-%s needs about %.1f GB and "
                 "--min-free-gb %g must stay free" % (free / 1e9, a.corpus_root, size_name(gb),
                                                     gb * 0.4, a.min_free_gb))
    print("generating %s ..." % path, flush=True)
    subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), path, "--gb", str(gb),
                    "--seed", str(a.seed), "--shard-mb", str(a.shard_mb)], check=True)
    with open(os.path.join(path, "manifest.json")) as f:
        return path, json.load(f)


def run_one(a, gb, corpus, manifest):
    out = os.path.join(a.corpus_root, "run-%s-out" % size_name(gb))
    work = os.path.join(a.corpus_root, "run-%s-work" % size_name(gb))
    for d in (out, work):
        shutil.rmtree(d, ignore_errors=True)
    cmd = [a.copydesk, "run", corpus, "-o", out]
    cmd += shlex.split(a.run_args.format(memory=a.memory, work=work))
    cmd += shlex.split(a.extra_args)
    timefile = os.path.join(a.corpus_root, "run-%s.time" % size_name(gb))
    use_time = os.path.exists("/usr/bin/time")
    full = (["/usr/bin/time", "-f", "%e %M", "-o", timefile] if use_time else []) + cmd
    load = os.getloadavg()
    avail = meminfo().get("MemAvailable", 0)
    print("running: %s" % " ".join(shlex.quote(c) for c in cmd), flush=True)
    t0 = time.time()
    p = subprocess.Popen(full, cwd=a.corpus_root, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    sampler = Sampler(p.pid)
    sampler.start()
    stdout, stderr = p.communicate()
    wall = time.time() - t0
    sampler.stop.set()
    sampler.join()
    row = {"gb": gb, "command": cmd, "exit": p.returncode, "load_before": list(load),
           "mem_available_before": avail, "wall_s": wall, "rss_sampled": sampler.peak,
           "rss_time": None, "corpus_bytes": manifest["bytes"],
           "corpus_documents": manifest["documents"], "corpus_copies": manifest["reprints"],
           "corpus_compressed_bytes": manifest["compressed_bytes"]}
    if use_time:
        try:
            with open(timefile) as f:
                last = f.read().strip().splitlines()[-1].split()
            row["wall_s"] = float(last[0])
            row["rss_time"] = int(last[1]) * 1024
        except (OSError, IndexError, ValueError):
            pass
        if os.path.exists(timefile):
            os.remove(timefile)
    row["peak_rss"] = max(row["rss_sampled"], row["rss_time"] or 0)
    try:
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        row["report"] = {k: rep.get(k) for k in (
            "version", "documents_in", "documents_out", "documents_dropped",
            "documents_rejected", "bytes_in", "dedup", "timing")}
        if row["report"]["timing"]:
            row["stages"] = rep["timing"].get("stages")
            row["report"]["timing"] = {k: v for k, v in rep["timing"].items() if k != "stages"}
    except (OSError, ValueError):
        row["report"] = None
    if p.returncode not in (0, 1):
        row["stderr_tail"] = stderr[-2000:]
        print("copydesk exited %d:\n%s" % (p.returncode, stderr[-2000:]), file=sys.stderr)
    if not a.keep_output:
        for d in (out, work):
            shutil.rmtree(d, ignore_errors=True)
    return row


def fmt_int(n):
    return "{:,}".format(n) if n is not None else "–"


def render(a, machine, rows):
    budget = parse_bytes(a.memory) if a.memory else None
    base = next((r for r in rows if r["gb"] == 1 and r.get("mbps")), None)
    base_label = "1 GB"
    if base is None:
        base = next((r for r in rows if r.get("mbps")), None)
        base_label = "%s GB (no 1 GB run)" % (base["gb"] if base else "–")
    L = []
    L.append("# copydesk at scale: %s" % machine["date"])
    L.append("")
    L.append("Generated by `benches/scale/run_scale.py`; corpora from `benches/scale/make_corpus.py` "
             "(generator version %d, seed %d, %g MB shards, zstd). See benches/scale/README.md."
             % (GENERATOR_VERSION, a.seed, a.shard_mb))
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append("| fact | value |")
    L.append("|---|---|")
    for k in ("nproc", "memory", "kernel", "cpu", "python", "copydesk", "binary",
              "command", "budget"):
        L.append("| %s | %s |" % (k, machine[k]))
    L.append("")
    L.append("## Runs")
    L.append("")
    L.append("MB = 10^6 bytes of uncompressed JSONL; MiB for RSS; throughput ratio against the "
             "%s run. Duplicates: documents dropped whole / paragraphs dropped, as copydesk's "
             "report.json counts them; copies made: reprints the generator wrote." % base_label)
    L.append("")
    L.append("| size (GB) | input bytes | documents | wall s | MB/s | peak RSS (MiB) | RSS/budget "
             "| duplicates found (docs / paragraphs) | copies made | MB/s vs %s | load before |"
             % base_label.split(" (")[0])
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        rep = r.get("report") or {}
        dd = rep.get("dedup") or {}
        ratio = (r["mbps"] / base["mbps"]) if (r.get("mbps") and base) else None
        rss = r["peak_rss"] / (1 << 20)
        status = "" if r["exit"] in (0, 1) else " (exit %s)" % r["exit"]
        L.append("| %g%s | %s | %s | %.1f | %s | %.0f | %s | %s / %s | %s | %s | %s |" % (
            r["gb"], status, fmt_int(rep.get("bytes_in") or r["corpus_bytes"]),
            fmt_int(rep.get("documents_in") or r["corpus_documents"]), r["wall_s"],
            "%.1f" % r["mbps"] if r.get("mbps") else "–", rss,
            "%.2f" % (r["peak_rss"] / budget) if budget else "–",
            fmt_int(dd.get("duplicate_documents")), fmt_int(dd.get("duplicate_paragraphs")),
            fmt_int(r["corpus_copies"]), "%.2f" % ratio if ratio else "–",
            " ".join("%.2f" % x for x in r["load_before"])))
    L.append("")
    L.append("Growth against the first size: wall time and peak RSS per GB of input.")
    L.append("")
    L.append("| size (GB) | wall s per GB | peak RSS (MiB) per GB | wall ×  | RSS × | "
             "copydesk's own timing (s) | stages (s) |")
    L.append("|---:|---:|---:|---:|---:|---:|---|")
    first = rows[0] if rows else None
    for r in rows:
        rep = r.get("report") or {}
        gb = (rep.get("bytes_in") or r["corpus_bytes"]) / 1e9
        stages = ", ".join("%s %.1f" % (s["stage"], s["seconds"]) for s in (r.get("stages") or []))
        timing = (rep.get("timing") or {}).get("seconds")
        L.append("| %g | %.1f | %.0f | %.2f | %.2f | %s | %s |" % (
            r["gb"], r["wall_s"] / gb, r["peak_rss"] / (1 << 20) / gb,
            r["wall_s"] / first["wall_s"], r["peak_rss"] / max(1, first["peak_rss"]),
            "%.1f" % timing if timing else "–", stages or "–"))
    L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copydesk", required=True, help="the copydesk binary")
    ap.add_argument("--sizes", default="1,2,5,10", help="corpus sizes in GB, comma-separated")
    ap.add_argument("--corpus-root", default="/work/scale")
    ap.add_argument("--memory", default="4G", help="memory budget passed as {memory}")
    ap.add_argument("--run-args", default="--memory {memory} --work {work} --quiet",
                    help="flags after `run CORPUS -o OUT`; {memory} and {work} are filled in")
    ap.add_argument("--extra-args", default="", help="more flags for copydesk run")
    ap.add_argument("--out", help="Markdown file to write (a .json with raw numbers beside it)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shard-mb", type=float, default=256)
    ap.add_argument("--min-free-gb", type=float, default=30,
                    help="refuse to generate a corpus that would leave less free (default 30)")
    ap.add_argument("--keep-output", action="store_true")
    # `--run-args "--quiet"`: a value that starts with "--" would read as an option.
    argv, i = [], 1
    while i < len(sys.argv):
        if sys.argv[i] in ("--run-args", "--extra-args") and i + 1 < len(sys.argv):
            argv.append(sys.argv[i] + "=" + sys.argv[i + 1])
            i += 2
        else:
            argv.append(sys.argv[i])
            i += 1
    a = ap.parse_args(argv)
    a.copydesk = os.path.abspath(a.copydesk)
    a.corpus_root = os.path.abspath(a.corpus_root)
    os.makedirs(a.corpus_root, exist_ok=True)
    sizes = [float(x) for x in a.sizes.split(",") if x.strip()]
    with open(a.copydesk, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    version = subprocess.run([a.copydesk, "--version"], capture_output=True,
                             text=True).stdout.strip()
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    machine = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "memory": "%.1f GiB" % (meminfo()["MemTotal"] / (1 << 30)),
        "kernel": platform.release(), "cpu": cpu, "python": platform.python_version(),
        "copydesk": version + " (report: filled in below)",
        "binary": "`%s` (sha256 %s)" % (a.copydesk, digest),
        "command": "`%s`" % " ".join(x for x in ("copydesk run CORPUS -o OUT", a.run_args,
                                                  a.extra_args) if x.strip()),
        "budget": (a.memory or "–") + ("" if "{memory}" in a.run_args else
                                       " (not passed to copydesk: --run-args has no {memory})"),
    }
    rows = []
    for gb in sizes:
        corpus, manifest = ensure_corpus(a, gb)
        row = run_one(a, gb, corpus, manifest)
        rep = row.get("report") or {}
        if rep.get("version"):
            machine["copydesk"] = "%s (report.json version %s)" % (version, rep["version"])
        bytes_in = rep.get("bytes_in") or row["corpus_bytes"]
        row["mbps"] = bytes_in / 1e6 / row["wall_s"] if row["exit"] in (0, 1) else None
        rows.append(row)
        print("  %g GB: %.1f s, %.1f MB/s, peak RSS %.0f MiB" % (
            gb, row["wall_s"], row["mbps"] or 0, row["peak_rss"] / (1 << 20)), flush=True)
        text = render(a, machine, rows)
        if a.out:
            os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
            with open(a.out, "w") as f:
                f.write(text)
            with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
                json.dump({"machine": machine, "runs": rows}, f, indent=1)
        else:
            with open(os.path.join(a.corpus_root, "scale-table.md"), "w") as f:
                f.write(text)
    print()
    print(render(a, machine, rows))


if __name__ == "__main__":
    main()
