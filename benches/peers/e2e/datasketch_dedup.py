"""Document-level near-duplicate detection with datasketch: MinHash + MinHashLSH over lower-cased
word 5-grams, 128 permutations, threshold 0.5, 2 worker processes for the signatures. Prints
documents read and duplicates found.

Usage: python3 datasketch_dedup.py CORPUS.jsonl [WORKERS]
"""
import json
import re
import sys
from multiprocessing import Pool

from datasketch import MinHash, MinHashLSH

NUM_PERM, SEED, THRESHOLD, N = 128, 42, 0.5, 5
WORD = re.compile(r"\w+")


def signature(text):
    words = WORD.findall(text.lower())
    shingles = {" ".join(words[i:i + N]).encode("utf-8")
                for i in range(max(1, len(words) - N + 1))}
    m = MinHash(num_perm=NUM_PERM, seed=SEED)
    m.update_batch(list(shingles))
    return m


def main():
    path, workers = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with open(path, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    with Pool(workers) as pool:
        sigs = pool.map(signature, texts, chunksize=256)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    duplicates = 0
    for i, m in enumerate(sigs):
        if any(m.jaccard(sigs[j]) >= THRESHOLD for j in lsh.query(m)):
            duplicates += 1
        else:
            lsh.insert(i, m)
    print(f"datasketch: {len(texts)} documents, {duplicates} duplicates")


if __name__ == "__main__":
    main()
