//! Helpers shared by the benchmarks: the BBC News articles of `../shared/data` in path order,
//! and a text cut at a char boundary. Each benchmark includes this file as a module of its own
//! (`#[path = "common/mod.rs"] mod common;`); Cargo does not build it as a benchmark.
// Not every benchmark uses every helper.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The article files of `<data>/bbc-news-fulltext/bbc/<category>/`, sorted by path; empty when
/// the data set is absent (a user's clone has no `../shared`).
pub fn bbc_files(data: &str) -> Vec<PathBuf> {
    let root = Path::new(data).join("bbc-news-fulltext/bbc");
    let mut paths = Vec::new();
    if let Ok(cats) = std::fs::read_dir(&root) {
        for cat in cats.flatten() {
            if let Ok(files) = std::fs::read_dir(cat.path()) {
                paths.extend(files.flatten().map(|f| f.path()));
            }
        }
    }
    paths.sort();
    paths
}

/// The longest prefix of `s` of at most `len` bytes that ends on a char boundary.
pub fn prefix(s: &str, len: usize) -> &str {
    let mut cut = len.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}
