//! Throughput of the decode pass (`cargo bench --bench decode`), in bytes per second, on four
//! kinds of text at graded sizes: clean ASCII, real news (the BBC articles from
//! `../shared/data/bbc-news-fulltext`, or a generated sample when the data is absent),
//! mojibake-heavy text (the same news text with its non-ASCII sentences made into
//! UTF-8-read-as-windows-1252), and Reuters-21578 bodies as the feed gave them (`&lt;`-style
//! references on many lines and a `&#3;` at the end of each story: ASCII with scattered repairs).
//!
//! Set `COPYDESK_BENCH_DUMP=<dir>` to write the exact inputs to `<dir>/<group>-<size>.txt`;
//! `benches/peers/ftfy_bench.py <dir>` then times ftfy 6.3.1 on the same files.

#[path = "common/mod.rs"]
mod common;

use common::prefix;
use std::hint::black_box;
use std::path::Path;

use copydesk::decode::{decode_bytes, fix_text, DecodeOptions, Repairs};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

const SIZES: [usize; 3] = [16 << 10, 256 << 10, 4 << 20];

/// Deterministic English-like ASCII: a fixed word list walked by a small LCG.
fn ascii_text(len: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "government",
        "said",
        "on",
        "Tuesday",
        "that",
        "markets",
        "would",
        "open",
        "as",
        "usual,",
        "while",
        "officials",
        "in",
        "London",
        "and",
        "Paris",
        "warned",
        "of",
        "higher",
        "prices.",
        "Shares",
        "rose",
        "3.5%",
        "after",
        "the",
        "report",
        "was",
        "published",
        "(Reuters)",
        "-",
    ];
    let mut out = String::with_capacity(len + 16);
    let mut x: u32 = 12345;
    let mut col = 0;
    while out.len() < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let w = WORDS[(x >> 16) as usize % WORDS.len()];
        out.push_str(w);
        col += w.len() + 1;
        if col > 70 {
            out.push('\n');
            col = 0;
        } else {
            out.push(' ');
        }
    }
    out.truncate(len);
    out
}

/// The BBC corpus concatenated in path order, or a generated stand-in.
fn news_corpus() -> String {
    let mut text = String::new();
    for p in &common::bbc_files(DATA) {
        if let Ok(bytes) = std::fs::read(p) {
            // The raw text, not yet cleaned: UTF-8 as it is, and the one ISO-8859-1 file read
            // as windows-1252, so fix_text is timed on what it really receives.
            match std::str::from_utf8(&bytes) {
                Ok(s) => text.push_str(s),
                Err(_) => text.push_str(&encoding_rs::WINDOWS_1252.decode(&bytes).0),
            }
            text.push('\n');
        }
    }
    if text.is_empty() {
        eprintln!("note: {DATA}/bbc-news-fulltext absent; using generated news-like text");
        let sample = "Ministers said the £3.5bn plan – announced on Monday – would “transform” the café sector’s prospects in Zürich and São Paulo.\n";
        while text.len() < (8 << 20) {
            text.push_str(&ascii_text(900));
            text.push('\n');
            text.push_str(sample);
        }
    }
    text
}

/// Reuters-21578 bodies, one after another, up to `len` bytes; empty without the data.
fn reuters_text(len: usize) -> String {
    let dir = Path::new(DATA).join("reuters-21578/json-data");
    let mut text = String::new();
    for i in 0..22 {
        let Ok(bytes) = std::fs::read(dir.join(format!("reut2-{i:03}.json"))) else {
            continue;
        };
        let Ok(docs) = serde_json::from_slice::<Vec<serde_json::Value>>(&bytes) else {
            continue;
        };
        for body in docs.iter().filter_map(|d| d["body"].as_str()) {
            if text.len() >= len {
                return prefix(&text, len).to_owned();
            }
            text.push_str(body);
            text.push('\n');
        }
    }
    text
}

/// UTF-8 bytes read as windows-1252 (what a wrong decode does), for every line holding
/// non-ASCII, with accented sentences mixed in so that most lines carry mojibake.
fn mojibake_text(news: &str, len: usize) -> String {
    let accented = "Le barème forfaitaire permet l’évaluation des frais de déplacement — “ça marche”. Čeština, Łódź, Müller, São Tomé, İstanbul.\n";
    let mut src = String::with_capacity(len);
    for line in news.lines() {
        if src.len() >= len {
            break;
        }
        src.push_str(line);
        src.push('\n');
        src.push_str(accented);
    }
    let (broken, _, _) = encoding_rs::WINDOWS_1252.decode(src.as_bytes());
    let mut s = broken.into_owned();
    let mut cut = len.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s
}

fn bench(c: &mut Criterion) {
    let opts = DecodeOptions::default();
    let news = news_corpus();
    let dump = std::env::var_os("COPYDESK_BENCH_DUMP");
    let mut inputs: Vec<(&str, usize, String)> = Vec::new();
    for &size in &SIZES {
        inputs.push(("clean_ascii", size, ascii_text(size)));
        inputs.push(("news", size, prefix(&news, size).to_owned()));
        inputs.push(("mojibake", size, mojibake_text(&news, size)));
        let reuters = reuters_text(size);
        if !reuters.is_empty() {
            inputs.push(("reuters", size, reuters));
        }
    }
    // The whole news corpus as one more size, the figure the issue compares with ftfy.
    inputs.push(("news", news.len(), news.clone()));
    if let Some(dir) = &dump {
        let _ = std::fs::create_dir_all(dir);
        for (group, size, text) in &inputs {
            let _ = std::fs::write(Path::new(dir).join(format!("{group}-{size}.txt")), text);
        }
    }
    for group in ["clean_ascii", "news", "mojibake", "reuters"] {
        let mut g = c.benchmark_group(format!("fix_text/{group}"));
        g.sample_size(10);
        g.measurement_time(std::time::Duration::from_secs(3));
        for (_, size, text) in inputs.iter().filter(|i| i.0 == group) {
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(size), text, |b, t| {
                b.iter(|| fix_text(black_box(t), &opts, &mut Repairs::new()))
            });
        }
        g.finish();
    }
    // decode_bytes adds the charset stage (UTF-8 validation) on top of fix_text.
    let mut g = c.benchmark_group("decode_bytes/news");
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(3));
    g.throughput(Throughput::Bytes(news.len() as u64));
    g.bench_function(BenchmarkId::from_parameter(news.len()), |b| {
        b.iter(|| decode_bytes(black_box(news.as_bytes()), &opts))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
