//! Throughput of copydesk's JSON string pieces (`cargo bench --bench json`), in bytes per
//! second, each beside `serde_json`, which writes and reads the same bytes:
//!
//! - `json_str`: the escaper (`json::write_json_str`), on a text written whole and as the
//!   paragraphs the writer really meets (a few hundred bytes each, split at blank lines);
//! - `flat_record`: reading JSONL lines of `{"id": ..., "text": ...}`, one story per line,
//!   with `json::parse_flat_record` and with `serde_json::from_slice` into a `Value`.
//!
//! The text is real news (the BBC articles from `../shared/data/bbc-news-fulltext`, or
//! generated text without the data) at graded sizes.

#[path = "common/mod.rs"]
mod common;

use common::prefix;
use std::hint::black_box;

use copydesk::json::{parse_flat_record, write_json_str};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

const SIZES: [usize; 3] = [16 << 10, 256 << 10, 4 << 20];

/// The BBC articles in path order, or generated news-like lines.
fn news() -> String {
    let mut text = String::new();
    for p in &common::bbc_files(DATA) {
        if let Ok(bytes) = std::fs::read(p) {
            text.push_str(&String::from_utf8_lossy(&bytes));
            text.push('\n');
        }
    }
    if text.is_empty() {
        eprintln!("note: {DATA}/bbc-news-fulltext absent; using generated text");
        let line = "Ministers said the \"plan\" would cost £3.5bn\tover five years.\n\n";
        while text.len() < (8 << 20) {
            text.push_str(line);
        }
    }
    text
}

fn bench(c: &mut Criterion) {
    let news = news();
    for &size in &SIZES {
        let text = prefix(&news, size);
        let paragraphs: Vec<&str> = text.split("\n\n").collect();
        let mut g = c.benchmark_group(format!("json_str/{size}"));
        g.sample_size(10);
        g.measurement_time(std::time::Duration::from_secs(3));
        g.throughput(Throughput::Bytes(text.len() as u64));
        let mut buf = Vec::with_capacity(2 * text.len());
        g.bench_function(BenchmarkId::new("ours", "whole"), |b| {
            b.iter(|| {
                buf.clear();
                write_json_str(&mut buf, black_box(text));
            })
        });
        g.bench_function(BenchmarkId::new("serde_json", "whole"), |b| {
            b.iter(|| {
                buf.clear();
                serde_json::to_writer(&mut buf, black_box(text)).unwrap();
            })
        });
        g.bench_function(BenchmarkId::new("ours", "paragraphs"), |b| {
            b.iter(|| {
                buf.clear();
                for p in &paragraphs {
                    write_json_str(&mut buf, black_box(p));
                }
            })
        });
        g.bench_function(BenchmarkId::new("serde_json", "paragraphs"), |b| {
            b.iter(|| {
                buf.clear();
                for p in &paragraphs {
                    serde_json::to_writer(&mut buf, black_box(p)).unwrap();
                }
            })
        });
        g.finish();
        // The same text as JSONL, one story (a stretch of up to 2 KB, cut at a line break) per
        // line, as the reader meets it.
        let mut jsonl = Vec::new();
        let mut rest = text;
        let mut n = 0;
        while !rest.is_empty() {
            let mut cut = prefix(rest, 2048).len();
            if let Some(i) = rest[..cut].rfind('\n') {
                cut = i + 1;
            }
            let line = serde_json::json!({"id": format!("story-{n}"), "text": &rest[..cut]});
            serde_json::to_writer(&mut jsonl, &line).unwrap();
            jsonl.push(b'\n');
            rest = &rest[cut..];
            n += 1;
        }
        let lines: Vec<&[u8]> = jsonl
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let mut g = c.benchmark_group(format!("flat_record/{size}"));
        g.sample_size(10);
        g.measurement_time(std::time::Duration::from_secs(3));
        g.throughput(Throughput::Bytes(jsonl.len() as u64));
        g.bench_function("ours", |b| {
            b.iter(|| {
                for line in &lines {
                    black_box(parse_flat_record(black_box(line)));
                }
            })
        });
        g.bench_function("serde_json", |b| {
            b.iter(|| {
                for line in &lines {
                    black_box(
                        serde_json::from_slice::<serde_json::Value>(black_box(line)).unwrap(),
                    );
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
