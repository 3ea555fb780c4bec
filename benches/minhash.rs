//! Throughput of the near-duplicate cores on graded text sizes: shingling alone, the MinHash
//! kernel alone (bytes of source text per second, shingles precomputed), both together, and
//! LSH candidate pairs over N signatures.
//!
//! Text comes from the BBC News articles in `../shared/data` when present (real news has the
//! real word-length and repetition profile); without it the benchmark says so and falls back
//! to deterministic synthetic text, whose figures are not comparable with real ones.
//!
//! The shingling groups take the whole text each iteration, cut into pieces of the given size:
//! timing one small piece over and over lets the branch predictor learn that piece's word
//! boundaries, which flatters branchy tokenizer code several-fold over what it does on a
//! corpus (measured: 445 MiB/s on a repeated 4 KiB piece, 229 MB/s over 60 MB of the same
//! text).
//!
//! Run: `cargo bench --bench minhash` (add `-- shingle` etc. to select a group).

use copydesk::dedup::lsh::{candidate_pairs, optimal_params};
use copydesk::dedup::minhash::MinHasher;
use copydesk::dedup::shingle::Shingler;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;
use std::path::Path;

const SIZES: [usize; 3] = [512, 4 * 1024, 64 * 1024];
const NUM_PERM: usize = 128;
const N: usize = 5;
const SEED: u64 = 1;

/// About 1 MB of text: real BBC articles when `../shared/data` exists, else synthetic words.
fn corpus() -> String {
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/bbc-news-fulltext"
    ));
    let mut text = String::new();
    let mut files = Vec::new();
    collect_txt(root, &mut files);
    files.sort();
    for f in files {
        // Lossy: one BBC file is ISO-8859; a replacement character costs nothing here.
        if let Ok(bytes) = std::fs::read(&f) {
            text.push_str(&String::from_utf8_lossy(&bytes));
            text.push('\n');
        }
        if text.len() >= 1 << 20 {
            break;
        }
    }
    if text.is_empty() {
        eprintln!("benches/minhash: ../shared/data absent, using synthetic text");
        text = synthetic(1 << 20);
    } else {
        eprintln!(
            "benches/minhash: using {} bytes of BBC News text",
            text.len()
        );
    }
    text
}

fn collect_txt(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_txt(&p, out);
        } else if p.extension().is_some_and(|x| x == "txt") {
            out.push(p);
        }
    }
}

/// Deterministic words of 2–9 letters with a skewed choice so that some repeat, like prose.
fn synthetic(len: usize) -> String {
    let mut state = 0x1234_5678_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let vocab: Vec<String> = (0..5000)
        .map(|_| {
            let l = 2 + (next() % 8) as usize;
            (0..l)
                .map(|_| (b'a' + (next() % 26) as u8) as char)
                .collect()
        })
        .collect();
    let mut s = String::with_capacity(len + 16);
    while s.len() < len {
        let r = next() % 5000;
        let i = (r * r / 5000) as usize; // skew towards the front of the vocabulary
        s.push_str(&vocab[i]);
        s.push_str(if next() % 12 == 0 { ". " } else { " " });
    }
    s
}

/// All of `text` in consecutive pieces of about `len` bytes, cut at char boundaries.
fn pieces(text: &str, len: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let p = common::prefix(rest, len);
        let p = if p.is_empty() { rest } else { p };
        out.push(p);
        rest = &rest[p.len()..];
    }
    out
}

fn bench_text(c: &mut Criterion) {
    let text = corpus();
    let hasher = MinHasher::new(NUM_PERM, SEED);
    let mut shingler = Shingler::new();
    let mut shingles = Vec::new();
    let mut sig = vec![0u32; NUM_PERM];

    over_pieces(c, "shingle", &text, |p| {
        shingler.shingle_into(black_box(p), N, SEED, &mut shingles)
    });

    let mut g = c.benchmark_group("minhash_kernel");
    for size in SIZES {
        let t = common::prefix(&text, size);
        shingler.shingle_into(t, N, SEED, &mut shingles);
        g.throughput(Throughput::Bytes(t.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &shingles, |b, s| {
            b.iter(|| hasher.signature_into(black_box(s), &mut sig))
        });
    }
    g.finish();

    over_pieces(c, "shingle_and_minhash", &text, |p| {
        shingler.hashes_into(black_box(p), N, SEED, &mut shingles);
        hasher.signature_into(&shingles, &mut sig);
    });
}

/// A group that runs `f` on every piece of `text` per iteration, for each of [`SIZES`]; its
/// throughput is the whole text.
fn over_pieces(c: &mut Criterion, name: &str, text: &str, mut f: impl FnMut(&str)) {
    let mut g = c.benchmark_group(name);
    for size in SIZES {
        let ps = pieces(text, size);
        g.throughput(Throughput::Bytes(ps.iter().map(|p| p.len() as u64).sum()));
        g.bench_with_input(BenchmarkId::from_parameter(size), &ps, |b, ps| {
            b.iter(|| ps.iter().for_each(|p| f(p)))
        });
    }
    g.finish();
}

fn bench_lsh(c: &mut Criterion) {
    let hasher = MinHasher::new(NUM_PERM, SEED);
    let params = optimal_params(0.7, NUM_PERM);
    let mut g = c.benchmark_group("lsh_candidate_pairs");
    g.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        // One signature in ten is a near copy of its predecessor (90% of shingles shared),
        // so the buckets hold real pairs as well as singletons.
        let sigs: Vec<Vec<u32>> = (0..n as u64)
            .map(|i| {
                let base = if i % 10 == 9 {
                    (i - 1) * 1000
                } else {
                    i * 1000
                };
                let shift = if i % 10 == 9 { 10 } else { 0 };
                let set: Vec<u64> = (base + shift..base + shift + 100)
                    .map(|x| xxhash_rust::xxh3::xxh3_64(&x.to_le_bytes()))
                    .collect();
                hasher.signature(&set)
            })
            .collect();
        let refs: Vec<&[u32]> = sigs.iter().map(Vec::as_slice).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &refs, |b, r| {
            b.iter(|| candidate_pairs(black_box(r), &params))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_text, bench_lsh);
criterion_main!(benches);
