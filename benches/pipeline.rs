//! End-to-end throughput of `copydesk::pipeline::run` (`cargo bench --bench pipeline`): read,
//! decode, line statistics, boilerplate, aliases and the near-duplicate barrier, with the default
//! configuration, in bytes of JSONL input per second, at graded corpus sizes.
//!
//! The corpus is real news as JSONL (BBC News, then Reuters-21578 bodies, from
//! `../shared/data`), cycled until the size is reached, so larger sizes also carry exact and
//! near copies, as real dumps do. Without the data it falls back to generated text, whose
//! figures are not comparable. Writing `normalized/` is not included (it is `output`'s job).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use copydesk::config::Config;
use copydesk::input::InputSpec;
use copydesk::pipeline::{self, RunOptions};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

const SIZES: [usize; 3] = [256 << 10, 2 << 20, 8 << 20];

/// Story texts: BBC files, then Reuters bodies; or generated text without the data.
fn stories() -> Vec<String> {
    let mut out = Vec::new();
    let bbc = Path::new(DATA).join("bbc-news-fulltext/bbc");
    if let Ok(cats) = std::fs::read_dir(&bbc) {
        let mut cats: Vec<PathBuf> = cats.filter_map(|e| Some(e.ok()?.path())).collect();
        cats.sort();
        for c in cats.iter().filter(|c| c.is_dir()) {
            let mut files: Vec<PathBuf> = std::fs::read_dir(c)
                .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
                .unwrap_or_default();
            files.sort();
            for f in files {
                if let Ok(b) = std::fs::read(&f) {
                    out.push(String::from_utf8_lossy(&b).into_owned());
                }
            }
        }
    }
    let reuters = Path::new(DATA).join("reuters-21578/json-data");
    for i in 0..22 {
        let Ok(b) = std::fs::read(reuters.join(format!("reut2-{i:03}.json"))) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Vec<serde_json::Value>>(&String::from_utf8_lossy(&b))
        else {
            continue;
        };
        out.extend(
            v.iter()
                .filter_map(|d| d["body"].as_str())
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
    }
    if out.is_empty() {
        eprintln!("../shared/data absent: generated text, figures not comparable");
        let words = [
            "the", "minister", "said", "on", "Tuesday", "that", "talks", "would", "resume", "next",
            "week", "while", "prices", "rose", "in", "London", "and", "Paris",
        ];
        let mut x: u32 = 7;
        for _ in 0..2000 {
            let mut s = String::new();
            for w in 0..300 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                s.push_str(words[(x >> 16) as usize % words.len()]);
                s.push(if w % 40 == 39 { '\n' } else { ' ' });
            }
            out.push(s);
        }
    }
    out
}

/// Writes about `size` bytes of JSONL to `path`; returns the bytes written.
fn corpus(stories: &[String], size: usize, path: &Path) -> usize {
    let mut jsonl = String::with_capacity(size + (64 << 10));
    let mut i = 0;
    while jsonl.len() < size {
        let line = serde_json::json!({"id": format!("d{i}"), "text": stories[i % stories.len()]});
        writeln!(jsonl, "{line}").expect("string");
        i += 1;
    }
    std::fs::write(path, &jsonl).expect("write corpus");
    jsonl.len()
}

fn bench(c: &mut Criterion) {
    let stories = stories();
    let dir = tempfile::tempdir().expect("temporary folder");
    let config = Config::default();
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    for size in SIZES {
        let path = dir.path().join(format!("corpus-{size}.jsonl"));
        let bytes = corpus(&stories, size, &path);
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &path, |b, path| {
            b.iter(|| {
                let options = RunOptions {
                    inputs: vec![InputSpec::Path(path.clone())],
                    ..RunOptions::default()
                };
                pipeline::run(&config, options).expect("pipeline")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
