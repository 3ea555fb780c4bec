"""Builds the end-to-end benchmark corpus: real news as JSONL (`id`, `text`), written to a path
outside the repository (the data may not be committed).

BBC News (2,225 articles) and Reuters-21578 (19,043 bodies) from ../shared/data, written over
and over until the corpus reaches the target size (75 MB: 3.6 passes), so it carries the reprints
the pass exists for. Pass k uses variant k mod 3: 0 as published, 1 copy-edited ("said on
Wednesday" -> "said Wednesday") with its last paragraph cut, 2 with its first paragraph dropped.
Deterministic; no randomness.

Usage: python3 make_corpus.py OUT.jsonl [TARGET_MB]   (default 75)
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "..", "shared", "data")
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def stories():
    for path in sorted(glob.glob(os.path.join(DATA, "bbc-news-fulltext", "bbc", "*", "*.txt"))):
        with open(path, "rb") as f:
            yield "bbc/" + os.path.relpath(path, os.path.join(DATA, "bbc-news-fulltext", "bbc")), \
                f.read().decode("utf-8", "replace")
    for path in sorted(glob.glob(os.path.join(DATA, "reuters-21578", "json-data", "*.json"))):
        with open(path, "rb") as f:
            for d in json.loads(f.read().decode("utf-8", "replace")):
                if d.get("body"):
                    yield "reuters/" + d["attrs"]["newid"], d["body"]


def edit(text, copy):
    if copy == 0:
        return text
    sep = "\n\n" if "\n\n" in text else "\n    "
    paras = text.split(sep)
    if copy == 1:
        for d in DAYS:
            text = text.replace("said on " + d, "said " + d)
        paras = text.split(sep)
        return sep.join(paras[:-1] if len(paras) > 2 else paras)
    return sep.join(paras[1:] if len(paras) > 2 else paras)


def main():
    out = sys.argv[1]
    target = float(sys.argv[2]) * 1e6 if len(sys.argv) > 2 else 75e6
    base = list(stories())
    written = 0
    with open(out, "w", encoding="utf-8") as f:
        copy = 0
        while written < target:
            for sid, text in base:
                line = json.dumps({"id": f"{sid}#{copy}", "text": edit(text, copy % 3)},
                                  ensure_ascii=False) + "\n"
                f.write(line)
                written += len(line.encode("utf-8"))
                if written >= target:
                    break
            copy += 1
    print(f"{out}: {written / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
