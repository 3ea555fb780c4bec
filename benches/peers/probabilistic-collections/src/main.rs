//! Side-by-side check of `probabilistic-collections` 0.7.0 against copydesk's MinHash, for the
//! decision record `docs/minhash.md`. It measures both on the same texts and parameters and
//! tests the specific claims made against the crate; it is not part of copydesk's build.
//!
//! Run: `cargo run --release` in this folder (reads `../../../../shared/data/bbc-news-fulltext`
//! when present, otherwise deterministic synthetic text, and says which).

use copydesk::dedup::minhash::MinHasher;
use copydesk::dedup::shingle::Shingler;
use probabilistic_collections::hyperloglog::HyperLogLog;
use probabilistic_collections::similarity::{MinHash, ShingleIterator};
use probabilistic_collections::SipHasherBuilder;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

const NUM_PERM: usize = 128;
const N: usize = 5;
const SAMPLES: usize = 21;

fn main() {
    let text = corpus();
    speed(&text);
    short_texts();
    determinism(&text);
    hyperloglog();
}

/// Median time per call of `f` over `SAMPLES` samples, each sample running `f` often enough to
/// last about 20 ms, after one warm-up sample.
fn median_secs(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-7);
    let reps = ((0.02 / once).ceil() as usize).max(1);
    let mut samples = Vec::with_capacity(SAMPLES + 1);
    for _ in 0..=SAMPLES {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        samples.push(t.elapsed().as_secs_f64() / reps as f64);
    }
    samples.remove(0);
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[SAMPLES / 2]
}

fn speed(text: &str) {
    println!("## speed: text -> {NUM_PERM}-value signature, word {N}-grams, median of {SAMPLES}");
    println!("| text bytes | probabilistic-collections MB/s | copydesk MB/s | copydesk kernel only MB/s | ratio (copydesk / p-c) |");
    println!("|---:|---:|---:|---:|---:|");
    // Fixed seeds so that both sides do the same work every call; `MinHash::new` would draw
    // them from entropy, at the same speed.
    let theirs: MinHash<ShingleIterator<str>, _> = MinHash::with_hashers(
        NUM_PERM,
        [
            SipHasherBuilder::from_seed(0, 0),
            SipHasherBuilder::from_seed(1, 1),
        ],
    );
    let ours = MinHasher::new(NUM_PERM, 1);
    let mut shingler = Shingler::new();
    let mut shingles = Vec::new();
    let mut sig = vec![0u32; NUM_PERM];
    for size in [512usize, 4096, 65536] {
        let t = piece(text, size);
        let p_c = median_secs(|| {
            // The crate's own documented pipeline: whitespace tokens, ShingleIterator.
            let tokens: Vec<&str> = t.split_whitespace().collect();
            black_box(theirs.get_min_hashes(ShingleIterator::new(N, tokens)));
        });
        let cd = median_secs(|| {
            shingler.shingle_into(black_box(t), N, 1, &mut shingles);
            ours.signature_into(&shingles, &mut sig);
            black_box(&sig);
        });
        shingler.shingle_into(t, N, 1, &mut shingles);
        let kernel = median_secs(|| {
            ours.signature_into(black_box(&shingles), &mut sig);
            black_box(&sig);
        });
        let mbs = |secs: f64| t.len() as f64 / secs / 1e6;
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1}x |",
            t.len(),
            mbs(p_c),
            mbs(cd),
            mbs(kernel),
            p_c / cd
        );
    }
    println!();
}

/// Runs `f`, returning its value or the panic message.
fn catch<R>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> Result<R, String> {
    std::panic::catch_unwind(f).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

fn short_texts() {
    println!("## texts shorter than the shingle (n = {N})");
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for text in ["Markets fell sharply.", ""] {
        let theirs = catch(|| {
            let m: MinHash<ShingleIterator<str>, _> = MinHash::new(NUM_PERM);
            m.get_min_hashes(ShingleIterator::new(N, text.split_whitespace().collect()))
                .len()
        });
        let ours = catch(|| {
            let mut s = Vec::new();
            copydesk::dedup::shingle::shingle_hashes(text, N, 1, &mut s);
            MinHasher::new(NUM_PERM, 1).signature(&s).len()
        });
        println!("- {text:?}: probabilistic-collections -> {theirs:?}; copydesk -> {ours:?} (signature length)");
    }
    std::panic::set_hook(hook);
    println!();
}

fn determinism(text: &str) {
    println!("## same text, two hashers built the documented way (`MinHash::new(128)` / `MinHasher::new(128, 1)`)");
    let t = piece(text, 4096);
    let first_values = |m: &MinHash<ShingleIterator<str>, Vec<&str>>| {
        m.get_min_hashes(ShingleIterator::new(N, t.split_whitespace().collect()))[..3].to_vec()
    };
    let a: MinHash<ShingleIterator<str>, _> = MinHash::new(NUM_PERM);
    let b: MinHash<ShingleIterator<str>, _> = MinHash::new(NUM_PERM);
    let (sa, sb) = (first_values(&a), first_values(&b));
    println!(
        "- probabilistic-collections: first values {sa:?} vs {sb:?}: equal = {}",
        sa == sb
    );
    let mut s = Vec::new();
    copydesk::dedup::shingle::shingle_hashes(t, N, 1, &mut s);
    let ca = MinHasher::new(NUM_PERM, 1).signature(&s)[..3].to_vec();
    let cb = MinHasher::new(NUM_PERM, 1).signature(&s)[..3].to_vec();
    println!(
        "- copydesk: first values {ca:?} vs {cb:?}: equal = {}",
        ca == cb
    );
    println!();
}

fn hyperloglog() {
    // Each HyperLogLog::new draws its hash keys from entropy, so every n is tried 5 times.
    println!(
        "## HyperLogLog::new(0.01): estimate after inserting 0..n (u64), 5 fresh sketches per n"
    );
    println!("| n | estimates | infinite |");
    println!("|---:|---|---:|");
    for n in [
        1_000u64, 4_000, 6_000, 7_000, 8_000, 9_000, 10_000, 100_000, 1_000_000,
    ] {
        let mut estimates = Vec::new();
        for _ in 0..5 {
            let mut h: HyperLogLog<u64> = HyperLogLog::new(0.01);
            for i in 0..n {
                h.insert(&i);
            }
            estimates.push(h.len());
        }
        let shown: Vec<String> = estimates.iter().map(|e| format!("{e:.0}")).collect();
        let inf = estimates.iter().filter(|e| e.is_infinite()).count();
        println!("| {n} | {} | {inf}/5 |", shown.join(", "));
    }
    println!();
}

/// About 1 MB of text: the same BBC articles as `benches/minhash.rs`, in the same order.
fn corpus() -> String {
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../../shared/data/bbc-news-fulltext"
    ));
    let mut files = Vec::new();
    collect_txt(root, &mut files);
    files.sort();
    let mut text = String::new();
    for f in files {
        if let Ok(bytes) = std::fs::read(&f) {
            text.push_str(&String::from_utf8_lossy(&bytes));
            text.push('\n');
        }
        if text.len() >= 1 << 20 {
            break;
        }
    }
    if text.is_empty() {
        println!(
            "(../shared/data absent: synthetic text, figures not comparable with real text)\n"
        );
        let words = [
            "the",
            "minister",
            "said",
            "on",
            "wednesday",
            "markets",
            "fell",
            "after",
        ];
        let mut i = 7usize;
        while text.len() < 1 << 20 {
            i = (i * 31 + 17) % 1009;
            text.push_str(words[i % words.len()]);
            text.push(' ');
        }
    } else {
        println!(
            "(text: {} bytes of BBC News from ../shared/data)\n",
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

fn piece(text: &str, len: usize) -> &str {
    let mut end = len.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
