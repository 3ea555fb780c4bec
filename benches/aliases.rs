//! Throughput of the alias stage with the default table, in bytes of news text per second.
//!
//! Inputs, in graded sizes: the five seed articles (Syrian-war news, dense in entities)
//! concatenated and repeated, and the BBC News full-text corpus (general news, few entities)
//! concatenated, when `../shared` is present; without it only a small built-in paragraph is
//! measured. Each document is searched as one text, like the pipeline does per document.
//!
//! Run: `cargo bench --bench aliases` (see docs/aliases.md for the figures and the machine).

use std::path::Path;

use copydesk::aliases::{AliasMatcher, AliasOptions};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn default_matcher(fuzzy: bool) -> AliasMatcher {
    let entities =
        copydesk::stages::aliases::entities(&copydesk::config::Config::default().aliases.entities);
    let opts = AliasOptions {
        fuzzy,
        ..AliasOptions::default()
    };
    AliasMatcher::new(&entities, &opts).expect("default table builds")
}

/// All `.txt` files under `dir`, sorted by path, joined by blank lines.
fn read_texts(dir: &Path) -> Option<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "txt")
                && p.file_name().is_none_or(|n| n != "README.TXT")
            {
                files.push(p);
            }
        }
    }
    files.sort();
    let texts: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n\n"))
}

/// `text` repeated until it is at least `size` bytes, then cut at a char boundary.
fn sized(text: &str, size: usize) -> String {
    let mut out = String::with_capacity(size + text.len());
    while out.len() < size {
        out.push_str(text);
        out.push_str("\n\n");
    }
    let mut cut = size;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out
}

const FALLBACK: &str = "The Syrian Observatory for Human Rights said Islamic State (IS) \
group fighters and Al-Nusra Front militants clashed near Maaret al-Naaman, while ISIL-held \
villages in Idlib were shelled. Rami Abdul Rahman said it is the fiercest fighting in months.";

fn bench(c: &mut Criterion) {
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");
    let seeds = read_texts(&Path::new(shared).join("seeds")).unwrap_or_else(|| FALLBACK.into());
    let bbc = read_texts(&Path::new(shared).join("data/bbc-news-fulltext"));

    let mut inputs: Vec<(String, String)> = Vec::new();
    for size in [16 << 10, 256 << 10, 4 << 20] {
        inputs.push((format!("seeds/{}KiB", size >> 10), sized(&seeds, size)));
    }
    if let Some(bbc) = &bbc {
        for size in [16 << 10, 256 << 10, 4 << 20] {
            inputs.push((format!("bbc/{}KiB", size >> 10), sized(bbc, size)));
        }
    }

    let matcher = default_matcher(true);
    let mut group = c.benchmark_group("aliases_find");
    group.sample_size(20);
    for (name, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, t| {
            b.iter(|| matcher.find(t))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("aliases_find_replace");
    group.sample_size(20);
    for (name, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, t| {
            b.iter(|| matcher.replace(t, &matcher.find(t)))
        });
    }
    group.finish();

    let plain = default_matcher(false);
    let mut group = c.benchmark_group("aliases_find_nofuzzy");
    group.sample_size(20);
    for (name, text) in inputs.iter().filter(|(n, _)| n.ends_with("4096KiB")) {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, t| {
            b.iter(|| plain.find(t))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
