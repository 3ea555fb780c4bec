//! The per-source line statistics barrier: which short lines recur across documents of one site.
//!
//! Like CCNet's paragraph hashes, but counted per source (a folder, or a JSONL field such as the
//! URL's host) and never across sources: a wire paragraph printed by many outlets is a
//! near-duplicate for the dedup stage to judge, not a template. Only lines of at most
//! `corpus_max_words` words are counted, so even a source that reprints the same story many
//! times loses no article sentence here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use crate::boilerplate::{key_bytes_hash, scan_short_line};
use crate::doc::Doc;

/// Document counts of line keys, per site.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LineStats {
    counts: HashMap<String, KeyCounts>,
    min_docs: u32,
}

/// The key hashes of a share of the documents, gathered by one thread.
#[derive(Default)]
struct Share<'a> {
    /// Each document's site and number of distinct key hashes, in order.
    docs: Vec<(&'a str, usize)>,
    /// The distinct key hashes of each document in turn.
    hashes: Vec<u64>,
    /// The current line's key, at the start (see `boilerplate::scan_line`).
    key: Vec<u8>,
    /// The current document's key hashes.
    doc_hashes: Vec<u64>,
}

/// Document counts of the line keys of one site, by key hash.
type KeyCounts = HashMap<u64, u32, BuildHasherDefault<KeyHashHasher>>;

/// The hasher of [`KeyCounts`]: a key hash is an xxh3 value already, well mixed, so it is used
/// as it is. Hashing it again with the standard SipHash showed in the profiles of this pass and
/// of the boilerplate stage's template lookups, once a line each.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHashHasher(u64);

impl Hasher for KeyHashHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys reach this hasher; any other input still hashes, byte by byte.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Keeps the key hashes counted in at least `min` documents, and the sites left with any.
fn prune_counts<S: Eq + std::hash::Hash>(by_site: &mut HashMap<S, KeyCounts>, min: u32) {
    by_site.retain(|_, c| {
        c.retain(|_, n| *n >= min);
        !c.is_empty()
    });
}

impl LineStats {
    /// [`LineStats::collect`] then [`LineStats::prune`], for statistics of the whole corpus:
    /// the counting is cut by key hash into one part per thread, and each part pruned before
    /// the parts are put together, so that little is left to do on one thread.
    pub fn collect_pruned(docs: &[Doc], max_words: usize, min_docs: usize) -> LineStats {
        let shares = Self::shares(docs, max_words);
        let min = u32::try_from(min_docs).unwrap_or(u32::MAX);
        let parts = rayon::current_num_threads().next_power_of_two();
        let bits = parts.trailing_zeros();
        // Key hashes are xxh3 values: their top bits split them evenly.
        let part_of = |h: u64| h.checked_shr(64 - bits).unwrap_or(0) as usize;
        let counted: Vec<HashMap<&str, KeyCounts>> = (0..parts)
            .into_par_iter()
            .map(|part| {
                let mut by_site = Self::count(&shares, |h| part_of(h) == part);
                prune_counts(&mut by_site, min);
                by_site
            })
            .collect();
        let mut counts: HashMap<String, KeyCounts> = HashMap::new();
        for by_site in counted {
            for (site, c) in by_site {
                counts.entry(site.to_string()).or_default().extend(c);
            }
        }
        LineStats {
            counts,
            min_docs: min,
        }
    }

    /// Counts, for every site, in how many of its documents each short line occurs.
    pub fn collect(docs: &[Doc], max_words: usize, min_docs: usize) -> LineStats {
        let shares = Self::shares(docs, max_words);
        // Sites as borrowed names while counting: an owned name is made once per site, not once
        // per document.
        let by_site = Self::count(&shares, |_| true);
        LineStats {
            counts: by_site
                .into_iter()
                .map(|(site, c)| (site.to_string(), c))
                .collect(),
            min_docs: min_docs.try_into().unwrap_or(u32::MAX),
        }
    }

    /// The distinct short-line key hashes of every document, gathered by share of the
    /// documents.
    fn shares(docs: &[Doc], max_words: usize) -> Vec<Share<'_>> {
        // Each share of the documents keeps its hashes in one vector, with each document's
        // site and count beside it: no vector per document, made on a worker thread and freed
        // on this one.
        docs.par_iter()
            .fold(Share::default, |mut share, doc| {
                share.doc_hashes.clear();
                for line in doc.lines() {
                    if let Some(facts) = scan_short_line(line, max_words, &mut share.key) {
                        if facts.key_len > 0 {
                            let key = &share.key[..facts.key_len];
                            share.doc_hashes.push(key_bytes_hash(key));
                        }
                    }
                }
                // A line counts once per document.
                share.doc_hashes.sort_unstable();
                share.doc_hashes.dedup();
                share.hashes.extend_from_slice(&share.doc_hashes);
                share.docs.push((doc.site.as_str(), share.doc_hashes.len()));
                share
            })
            .collect()
    }

    /// Per site, the documents counted for each key hash that `take` accepts.
    fn count<'a>(shares: &[Share<'a>], take: impl Fn(u64) -> bool) -> HashMap<&'a str, KeyCounts> {
        let mut by_site: HashMap<&str, KeyCounts> = HashMap::new();
        for share in shares {
            let mut hashes = share.hashes.iter();
            for &(site, n) in &share.docs {
                let site_counts = by_site.entry(site).or_default();
                for &h in hashes.by_ref().take(n).filter(|&&h| take(h)) {
                    *site_counts.entry(h).or_default() += 1;
                }
            }
        }
        by_site
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
        prune_counts(&mut self.counts, self.min_docs);
    }

    /// Whether the line with key hash `h` is a template of `site`.
    pub fn is_template(&self, site: &str, h: u64) -> bool {
        self.templates_of(site)(h)
    }

    /// [`LineStats::is_template`] for the lines of one site, which is looked up once rather
    /// than once a line.
    pub fn templates_of(&self, site: &str) -> impl Fn(u64) -> bool + '_ {
        let counts = self.counts.get(site);
        let min = self.min_docs;
        move |h| counts.and_then(|c| c.get(&h)).is_some_and(|&n| n >= min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boilerplate::{key_hash, line_key};

    fn doc(site: &str, lines: &[&str]) -> Doc {
        Doc {
            site: site.into(),
            text: lines.join("\n").into(),
            ..Doc::default()
        }
    }

    #[test]
    fn counting_in_parts_and_pruning_each_is_pruning_the_whole() {
        let docs: Vec<Doc> = (0..60)
            .map(|i| {
                let site = ["a", "b", "c"][i % 3];
                let lines = [
                    format!("Share this story {}", i % 4),
                    format!("Headline {i}"),
                    format!("Related {}", i % 7),
                    "Exit mobile version".to_string(),
                ];
                doc(site, &lines.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .collect();
        let mut whole = LineStats::collect(&docs, 8, 5);
        whole.prune();
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let parts = pool.install(|| LineStats::collect_pruned(&docs, 8, 5));
            assert_eq!(parts.counts, whole.counts, "{threads} threads");
            assert_eq!(parts.min_docs, whole.min_docs);
        }
        assert!(!whole.counts.is_empty());
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
