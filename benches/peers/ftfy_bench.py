#!/usr/bin/env python3
"""Time ftfy 6.3.1's fix_text on the exact inputs the Rust bench used, for a side-by-side ratio.

Usage:
    pip install ftfy==6.3.1
    COPYDESK_BENCH_DUMP=/tmp/copydesk-bench cargo bench --bench decode
    python3 benches/peers/ftfy_bench.py /tmp/copydesk-bench

Prints one line per input: MB/s (1e6 bytes of UTF-8 per second), median of a few runs, single
process, single core. ftfy is given the text as one string, as fix_text expects; it splits
lines itself.
"""
import os
import statistics
import sys
import time

import ftfy

assert ftfy.__version__ == "6.3.1", f"need ftfy 6.3.1, have {ftfy.__version__}"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    names = sorted(os.listdir(folder), key=lambda n: (n.split("-")[0], int(n.split("-")[1][:-4])))
    for name in names:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            text = f.read()
        nbytes = len(text.encode("utf-8"))
        # Fewer runs for big inputs: ftfy takes seconds on megabytes.
        runs = 5 if nbytes < (1 << 20) else 3
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            ftfy.fix_text(text)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        print(f"ftfy fix_text  {name[:-4]:<22} {nbytes:>9} B  {nbytes / med / 1e6:8.2f} MB/s  (median of {runs})")


if __name__ == "__main__":
    main()
