//! The per-source line statistics barrier: which short lines recur across documents of one site.
//!
//! Like CCNet's paragraph hashes, but counted per source (a folder, or a JSONL field such as the
//! URL's host) and never across sources: a wire paragraph printed by many outlets is a
//! near-duplicate for the dedup stage to judge, not a template. Only lines of at most
//! `corpus_max_words` words are counted, so even a source that reprints the same story many
//! times loses no article sentence here.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::boilerplate::{key_hash, line_key};
use crate::doc::Doc;

/// Document counts of line keys, per site.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LineStats {
    counts: HashMap<String, HashMap<u64, u32>>,
    min_docs: u32,
}

impl LineStats {
    /// Counts, for every site, in how many of its documents each short line occurs.
    pub fn collect(docs: &[Doc], max_words: usize, min_docs: usize) -> LineStats {
        let per_doc: Vec<(&str, HashSet<u64>)> = docs
            .par_iter()
            .map(|doc| {
                let mut key = String::new();
                let mut set = HashSet::new();
                for line in &doc.lines {
                    if line.split_whitespace().count() <= max_words {
                        line_key(line, &mut key);
                        if !key.is_empty() {
                            set.insert(key_hash(&key));
                        }
                    }
                }
                (doc.site.as_str(), set)
            })
            .collect();
        let mut counts: HashMap<String, HashMap<u64, u32>> = HashMap::new();
        for (site, set) in per_doc {
            let site_counts = counts.entry(site.to_string()).or_default();
            for h in set {
                *site_counts.entry(h).or_default() += 1;
            }
        }
        LineStats {
            counts,
            min_docs: min_docs.try_into().unwrap_or(u32::MAX),
        }
    }

    /// Adds the counts of another share of the corpus (a task of a staged run).
    pub fn merge(&mut self, other: LineStats) {
        self.min_docs = other.min_docs;
        for (site, counts) in other.counts {
            let mine = self.counts.entry(site).or_default();
            for (h, n) in counts {
                *mine.entry(h).or_default() += n;
            }
        }
    }

    /// Whether the line with key hash `h` is a template of `site`.
    pub fn is_template(&self, site: &str, h: u64) -> bool {
        self.counts
            .get(site)
            .and_then(|c| c.get(&h))
            .is_some_and(|&n| n >= self.min_docs)
    }
}
