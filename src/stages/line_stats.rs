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

    /// Keeps only the lines that are templates (counted in at least `min_docs` documents):
    /// all that [`LineStats::is_template`] asks, and a small fraction of the lines counted.
    /// Only the statistics of the whole corpus may be pruned; a share's counts still add up.
    pub fn prune(&mut self) {
        let min = self.min_docs;
        self.counts.retain(|_, c| {
            c.retain(|_, n| *n >= min);
            !c.is_empty()
        });
    }

    /// Whether the line with key hash `h` is a template of `site`.
    pub fn is_template(&self, site: &str, h: u64) -> bool {
        self.counts
            .get(site)
            .and_then(|c| c.get(&h))
            .is_some_and(|&n| n >= self.min_docs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(site: &str, lines: &[&str]) -> Doc {
        Doc {
            site: site.into(),
            lines: lines.iter().map(|l| l.to_string()).collect(),
            ..Doc::default()
        }
    }

    #[test]
    fn pruning_the_merged_counts_keeps_every_template() {
        let docs: Vec<Doc> = (0..6)
            .map(|i| doc("a", &["Share this story", &format!("Headline {i}")]))
            .collect();
        let whole = LineStats::collect(&docs, 8, 3);
        // Two shares of three documents: "Share this story" reaches 3 only once merged.
        let mut merged = LineStats::collect(&docs[..3], 8, 3);
        merged.merge(LineStats::collect(&docs[3..], 8, 3));
        merged.prune();
        let mut key = String::new();
        for (line, template) in [("Share this story", true), ("Headline 1", false)] {
            line_key(line, &mut key);
            let h = key_hash(&key);
            assert_eq!(whole.is_template("a", h), template);
            assert_eq!(merged.is_template("a", h), template);
        }
        assert_eq!(merged.counts["a"].len(), 1, "only the template is kept");
    }
}
