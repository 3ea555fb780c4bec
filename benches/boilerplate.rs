//! Throughput of the boilerplate pass with the default `[boilerplate]` rules, in bytes of news
//! text per second.
//!
//! Inputs, in graded sizes (64 KiB, 1 MiB, 8 MiB): the BBC News full-text articles
//! (`../shared/data/bbc-news-fulltext/bbc/<category>/NNN.txt`, one document each, in path order)
//! when `../shared` is present, else the five seed articles of `raw/` repeated. Each document is
//! classified on its own, as the pipeline does: `clean_lines_with` (no source statistics, one
//! [`Scratch`](copydesk::boilerplate::Scratch) kept across documents as each pipeline thread
//! keeps one) and then the paragraph split. Two groups: `boilerplate/all` runs every layer of the default rules;
//! `boilerplate/patterns+repeats` turns the edge and menu layers off, which is the issue's
//! "pattern and repeat layers" figure.
//!
//! Run: `cargo bench --bench boilerplate` (see docs/boilerplate.md for the figures and the machine).

use std::path::{Path, PathBuf};
use std::time::Duration;

use copydesk::boilerplate::{clean_lines_with, Rules, Scratch};
use copydesk::config::{BoilerplateConfig, Config};
use copydesk::paragraphs;
use copydesk::stages::boilerplate::rule_spec;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn rules(c: &BoilerplateConfig, edges: bool) -> Rules {
    let mut spec = rule_spec(c);
    spec.edges = edges && c.edges;
    Rules::new(&spec).expect("the default rules compile")
}

/// Every `.txt` file under `dir`, sorted by path.
fn txt_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "txt") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The source documents: BBC articles when present, else the seeds.
fn documents() -> (&'static str, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |files: Vec<PathBuf>| -> Vec<String> {
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect()
    };
    let bbc = read(txt_files(
        &root.join("../shared/data/bbc-news-fulltext/bbc"),
    ));
    if !bbc.is_empty() {
        return ("bbc", bbc);
    }
    ("seeds", read(txt_files(&root.join("raw"))))
}

/// Documents taken in order, cycling, until they hold at least `size` bytes.
fn corpus(docs: &[String], size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0;
    for doc in docs.iter().cycle() {
        if total >= size {
            break;
        }
        total += doc.len();
        out.push(doc.clone());
    }
    out
}

fn run(docs: &[String], rules: &Rules, scratch: &mut Scratch) -> usize {
    let mut paragraphs_out = 0;
    for doc in docs {
        let lines: Vec<&str> = doc.split('\n').collect();
        let cleaned = clean_lines_with(&lines, rules, scratch, &|_| false);
        paragraphs_out += paragraphs::split(&cleaned.lines).len();
    }
    paragraphs_out
}

fn bench(c: &mut Criterion) {
    let config = Config::default();
    let (name, docs) = documents();
    assert!(!docs.is_empty(), "no input documents found");
    for (group_name, edges) in [("all", true), ("patterns+repeats", false)] {
        let rules = rules(&config.boilerplate, edges);
        let mut scratch = rules.scratch();
        let mut group = c.benchmark_group(format!("boilerplate/{group_name}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        for size in [64 << 10, 1 << 20, 8 << 20] {
            let input = corpus(&docs, size);
            let bytes: usize = input.iter().map(String::len).sum();
            group.throughput(Throughput::Bytes(bytes as u64));
            group.bench_with_input(
                BenchmarkId::new(name, format!("{}KiB", size >> 10)),
                &input,
                |b, input| b.iter(|| run(input, &rules, &mut scratch)),
            );
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
