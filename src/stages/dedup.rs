//! The near-duplicate barrier: MinHash LSH over documents and paragraphs, verified, clustered,
//! and applied.
//!
//! It runs as the stages that will later exchange files out of core: **signatures** (per
//! document, parallel), **band buckets → candidate pairs** (`dedup::lsh`), **verification** (exact
//! Jaccard over the shingle sets, plus containment for paragraphs, so a template-sharing or
//! chance bucket collision is never merged), **components** (union-find), and **apply** (the keep
//! policy picks one copy per cluster; the others are recorded, and with `drop` removed). First at
//! document level, by Jaccard alone; then at paragraph level among the documents still standing,
//! across documents and within one. A document whose text is mostly copies of paragraphs kept
//! elsewhere becomes a document-level duplicate of the document holding most of them.

use rayon::prelude::*;

use crate::config::{DedupAction, DedupConfig, KeepPolicy};
use crate::dedup::lsh::{self, LshParams};
use crate::dedup::minhash::MinHasher;
use crate::dedup::shingle::{containment, jaccard, Shingler};
use crate::dedup::unionfind::UnionFind;
use crate::doc::{Doc, DuplicateRecord, DuplicateTarget};
use crate::output::{ClusterMember, ClusterRecord, DedupSummary};

/// The built near-duplicate stage.
#[derive(Debug)]
pub struct DedupStage {
    config: DedupConfig,
    hasher: MinHasher,
    params: LshParams,
}

/// What the stage found.
#[derive(Debug, Default)]
pub struct DedupOutcome {
    /// Figures for the report.
    pub summary: DedupSummary,
    /// Clusters for clusters.jsonl.
    pub clusters: Vec<ClusterRecord>,
}

/// One signed unit: a whole document or one of its paragraphs.
struct Item {
    doc: usize,
    paragraph: Option<usize>,
    shingles: Vec<u64>,
    signature: Vec<u32>,
    len: usize,
    words: usize,
    /// Hashes of the numbers in the text, sorted and deduplicated (see [`figures_agree`]).
    figures: Vec<u64>,
}

/// Texts at most this many words long are compared on their figures too. Short texts built on
/// one template ("Qtly div 28 cts vs 26 cts prior", a results table line, a line-up) share
/// most of their shingles and differ only in their numbers, which are the news.
const FIGURES_MAX_WORDS: usize = 100;

/// Number words that carry figures in wire copy ("loss nine cts", "three-day repurchase").
const NUMBER_WORDS: [&str; 20] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "billion",
];

/// Hashes of the figures in `text` ("28", "6-1/4", "1,500km", "$3.5", "nine"), sorted, repeats
/// kept: "23 vs 23" and "23 vs 21" are different figures. A figure is a word that starts with a
/// digit (after an opening bracket, quote or currency sign), so the digits inside names such as
/// "MiG-29" or "w12" are not figures, or a number word.
fn figures(text: &str) -> Vec<u64> {
    let mut out: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| {
            let w = w.trim_start_matches(|c: char| "([\"'“‘$£€¥".contains(c));
            if w.starts_with(|c: char| c.is_ascii_digit()) {
                let end = w
                    .find(|c: char| !(c.is_ascii_digit() || ".,/-".contains(c)))
                    .unwrap_or(w.len());
                let number = w[..end].trim_end_matches(['.', ',', '/', '-']);
                return Some(xxhash_rust::xxh3::xxh3_64(number.as_bytes()));
            }
            let head = w.split(['-', ',', '.', ';', ':', ')']).next().unwrap_or("");
            NUMBER_WORDS
                .iter()
                .any(|n| head.eq_ignore_ascii_case(n))
                .then(|| xxhash_rust::xxh3::xxh3_64(head.to_ascii_lowercase().as_bytes()))
        })
        .collect();
    out.sort_unstable();
    out
}

/// Whether two short texts agree on their figures: every number of the one with fewer numbers
/// appears in the other, as often (a copy cut short keeps a subset of the figures; a template line for
/// another company or another quarter does not). Texts without numbers, or long texts, always
/// agree: the shingles decide.
fn figures_agree(x: &Item, y: &Item) -> bool {
    if x.words.min(y.words) > FIGURES_MAX_WORDS || x.figures.is_empty() || y.figures.is_empty() {
        return true;
    }
    let (small, large) = if x.figures.len() <= y.figures.len() {
        (&x.figures, &y.figures)
    } else {
        (&y.figures, &x.figures)
    };
    // Multiset inclusion over the two sorted lists.
    let mut rest = large.iter().peekable();
    small.iter().all(|h| {
        while rest.next_if(|x| *x < h).is_some() {}
        rest.next_if(|x| *x == h).is_some()
    })
}

/// A verified pair of item indices.
struct Link {
    a: u32,
    b: u32,
}

impl DedupStage {
    /// Builds the stage; bands and rows come from the threshold unless both are given.
    pub fn build(config: &DedupConfig) -> DedupStage {
        let params = if config.bands == 0 {
            lsh::optimal_params(config.threshold, config.num_perm)
        } else {
            LshParams {
                bands: config.bands,
                rows: config.rows,
            }
        };
        DedupStage {
            config: config.clone(),
            hasher: MinHasher::new(config.num_perm, config.seed),
            params,
        }
    }

    fn sign(
        &self,
        shingler: &mut Shingler,
        doc: usize,
        paragraph: Option<usize>,
        text: &str,
    ) -> Item {
        let mut shingles = Vec::new();
        shingler.shingle_into(
            text,
            self.config.shingle_size,
            self.config.seed,
            &mut shingles,
        );
        let signature = self.hasher.signature(&shingles);
        Item {
            doc,
            paragraph,
            shingles,
            signature,
            len: text.len(),
            words: text.split_whitespace().count(),
            figures: figures(text),
        }
    }

    /// Candidate pairs from the band buckets, then verified in parallel. Pairs come back sorted,
    /// so the result is the same for any thread count.
    fn verified_pairs(
        &self,
        items: &[Item],
        use_containment: bool,
        summary: &mut DedupSummary,
    ) -> Vec<Link> {
        let sigs: Vec<&[u32]> = items.iter().map(|i| i.signature.as_slice()).collect();
        let candidates = lsh::candidate_pairs(&sigs, &self.params);
        summary.candidate_pairs += candidates.len();
        let links: Vec<Link> = candidates
            .par_iter()
            .filter_map(|&(a, b)| {
                self.verified(&items[a as usize], &items[b as usize], use_containment)
                    .then_some(Link { a, b })
            })
            .collect();
        summary.verified_pairs += links.len();
        links
    }

    /// The member a cluster keeps, by the configured policy; input order breaks every tie.
    fn keeper(&self, docs: &[Doc], items: &[Item], members: &[u32]) -> u32 {
        let order = |m: &u32| {
            let it = &items[*m as usize];
            (docs[it.doc].ordinal, it.paragraph.unwrap_or(0))
        };
        let pick = match self.config.keep {
            KeepPolicy::First => members.iter().min_by_key(|m| order(m)),
            KeepPolicy::Longest => members
                .iter()
                .min_by_key(|m| (std::cmp::Reverse(items[**m as usize].len), order(m))),
            KeepPolicy::Priority => members.iter().min_by_key(|m| {
                let d = &docs[items[**m as usize].doc];
                let rank = self
                    .config
                    .source_priority
                    .iter()
                    .position(|s| d.source.contains(s.as_str()) || d.site.contains(s.as_str()))
                    .unwrap_or(usize::MAX);
                (rank, order(m))
            }),
        };
        *pick.expect("components are never empty")
    }

    /// Whether two items are copies by the verification rule.
    fn verified(&self, x: &Item, y: &Item, use_containment: bool) -> bool {
        if !figures_agree(x, y) {
            return false;
        }
        // Short texts (one-line notices, table rows, wrapped lines) built on one template share
        // half their shingles by construction: they must be near-identical, and a short text is
        // never "contained" in another.
        if x.shingles.len().min(y.shingles.len()) < self.config.short_shingles {
            return jaccard(&x.shingles, &y.shingles) >= self.config.short_threshold;
        }
        jaccard(&x.shingles, &y.shingles) >= self.config.threshold
            || (use_containment && containment(&x.shingles, &y.shingles) >= self.config.containment)
    }

    /// Whether `member` may be dropped as a copy of `kept`: similar enough, or contained in it.
    fn copy_of(&self, member: &Item, kept: &Item, use_containment: bool) -> bool {
        if member.shingles.len().min(kept.shingles.len()) < self.config.short_shingles {
            return figures_agree(member, kept)
                && jaccard(&member.shingles, &kept.shingles) >= self.config.short_threshold;
        }
        figures_agree(member, kept)
            && (jaccard(&member.shingles, &kept.shingles) >= self.config.threshold
                || (use_containment
                    && member.shingles.len() <= kept.shingles.len()
                    && containment(&member.shingles, &kept.shingles) >= self.config.containment))
    }

    /// Clusters verified links and returns `(keeper, members without keeper)` per cluster,
    /// ordered by the keeper's position in the input.
    ///
    /// A component of the union-find can chain items that are each a copy of the next but not
    /// of the kept one: a run of one-line dividend notices ("Qtly div 28 cts vs 28 cts prior",
    /// "Qtly div 26 cts ...") or a list of critics' picks with one name changed per line. Each
    /// member is therefore verified again against the kept copy, and one that fails is left
    /// out of that cluster: only a copy of what is kept is ever dropped. The members left out
    /// are clustered again the same way among themselves (greedily, by the keep policy), so two
    /// exact copies that both fail against a chained keeper still find each other.
    ///
    /// Against the kept copy, containment counts one way only: a member may be a cut of the
    /// kept text, but a member that holds the kept text *and more* (the full version of a
    /// paragraph kept in a cut form) is not dropped, or its extra sentences would be lost.
    fn clusters(
        &self,
        docs: &[Doc],
        items: &[Item],
        links: &[Link],
        use_containment: bool,
    ) -> Vec<(u32, Vec<u32>)> {
        let mut uf = UnionFind::new(items.len());
        for l in links {
            uf.union(l.a, l.b);
        }
        let mut out: Vec<(u32, Vec<u32>)> = uf
            .components()
            .into_par_iter()
            .flat_map_iter(|mut rest| {
                let mut found = Vec::new();
                while rest.len() >= 2 {
                    let keep = self.keeper(docs, items, &rest);
                    let k = &items[keep as usize];
                    let (copies, others): (Vec<u32>, Vec<u32>) = rest
                        .into_iter()
                        .filter(|&m| m != keep)
                        .partition(|&m| self.copy_of(&items[m as usize], k, use_containment));
                    if !copies.is_empty() {
                        found.push((keep, copies));
                    }
                    rest = others;
                }
                found
            })
            .collect();
        out.sort_by_key(|(k, _)| {
            let it = &items[*k as usize];
            (docs[it.doc].ordinal, it.paragraph)
        });
        out
    }

    /// Runs the pass over the whole corpus.
    pub fn run(&self, docs: &mut [Doc]) -> DedupOutcome {
        let mut summary = DedupSummary {
            enabled: self.config.enabled,
            bands: self.params.bands,
            rows: self.params.rows,
            false_positive_rate: lsh::false_positive_rate(&self.params, self.config.threshold),
            false_negative_rate: lsh::false_negative_rate(&self.params, self.config.threshold),
            ..DedupSummary::default()
        };
        let mut clusters = Vec::new();
        if !self.config.enabled {
            return DedupOutcome { summary, clusters };
        }
        let drop = self.config.action == DedupAction::Drop;

        // Stage 1: signatures, one per document.
        let doc_items: Vec<Item> = docs
            .par_iter()
            .enumerate()
            .map_init(Shingler::new, |shingler, (d, doc)| {
                self.sign(shingler, d, None, &doc.paragraphs.join("\n"))
            })
            .collect();

        // Stage 2-4 at document level: whole copies by Jaccard alone (containment at this level
        // would let a short note swallow a long story; partial copies are the paragraphs' job).
        let links = self.verified_pairs(&doc_items, false, &mut summary);
        for (keep, members) in self.clusters(docs, &doc_items, &links, false) {
            let kept_id = docs[doc_items[keep as usize].doc].id.clone();
            let cluster = clusters.len() as u64;
            let mut record_members = Vec::new();
            for m in members {
                let it = &doc_items[m as usize];
                let sim = jaccard(&it.shingles, &doc_items[keep as usize].shingles);
                docs[it.doc].duplicate_of = Some(kept_id.clone());
                record_members.push(ClusterMember {
                    id: docs[it.doc].id.clone(),
                    paragraph: None,
                    similarity: Some(sim),
                    containment: None,
                });
            }
            summary.duplicate_documents += record_members.len();
            clusters.push(ClusterRecord {
                cluster,
                level: "document",
                kept: ClusterMember {
                    id: kept_id,
                    paragraph: None,
                    similarity: None,
                    containment: None,
                },
                members: record_members,
            });
        }

        // Freed before the paragraph level allocates its own items: a lower peak.
        std::mem::drop(doc_items);

        // Paragraph level, among documents still standing: their long-enough paragraphs are
        // signed only now, so that documents already dropped whole (in a syndicated corpus,
        // most of them) cost no paragraph signatures and hold no memory.
        let para_items: Vec<Item> = docs
            .par_iter()
            .enumerate()
            .filter(|(_, doc)| !(drop && doc.duplicate_of.is_some()))
            .map_init(Shingler::new, |shingler, (d, doc)| {
                doc.paragraphs
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| {
                        p.split_whitespace().count() >= self.config.min_paragraph_words
                    })
                    .map(|(i, p)| self.sign(shingler, d, Some(i), p))
                    .collect::<Vec<Item>>()
            })
            .flatten_iter()
            .collect();
        summary.paragraphs_compared = para_items.len();
        let links = self.verified_pairs(&para_items, true, &mut summary);
        // Characters of each document that copy a paragraph kept in another document, by that
        // document: the evidence for a document-level verdict.
        let mut copied_from: Vec<Vec<(usize, usize)>> = vec![Vec::new(); docs.len()];
        for (keep, members) in self.clusters(docs, &para_items, &links, true) {
            let k = &para_items[keep as usize];
            let (kd, kp) = (k.doc, k.paragraph.unwrap_or(0));
            let kept_id = docs[kd].id.clone();
            let cluster = clusters.len() as u64;
            let mut record_members = Vec::new();
            for m in members {
                let it = &para_items[m as usize];
                let p = it.paragraph.unwrap_or(0);
                let sim = jaccard(&it.shingles, &k.shingles);
                let cont = containment(&it.shingles, &k.shingles);
                let doc = &mut docs[it.doc];
                doc.duplicates.push(DuplicateRecord {
                    paragraph: p,
                    of: DuplicateTarget {
                        id: kept_id.clone(),
                        paragraph: kp,
                    },
                    similarity: round(sim),
                    cluster,
                    text: drop.then(|| doc.paragraphs[p].clone()),
                });
                if drop {
                    doc.dropped_paragraphs.push(p);
                }
                if it.doc != kd {
                    copied_from[it.doc].push((kd, it.len));
                }
                record_members.push(ClusterMember {
                    id: doc.id.clone(),
                    paragraph: Some(p),
                    similarity: Some(round(sim)),
                    containment: Some(round(cont)),
                });
            }
            summary.duplicate_paragraphs += record_members.len();
            clusters.push(ClusterRecord {
                cluster,
                level: "paragraph",
                kept: ClusterMember {
                    id: kept_id,
                    paragraph: Some(kp),
                    similarity: None,
                    containment: None,
                },
                members: record_members,
            });
        }

        // Apply: order each document's records, and judge documents made mostly of copies.
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        for (d, doc) in docs.iter_mut().enumerate() {
            doc.duplicates.sort_by_key(|r| r.paragraph);
            doc.dropped_paragraphs.sort_unstable();
            let total = doc.text_len();
            let copied: usize = copied_from[d].iter().map(|&(_, n)| n).sum();
            if doc.duplicate_of.is_none()
                && total > 0
                && copied as f64 >= self.config.document_share * total as f64
            {
                // The document that holds most of the kept copies, the earliest on a tie.
                let mut by_source: Vec<(usize, usize)> = Vec::new();
                for &(src, n) in &copied_from[d] {
                    match by_source.iter_mut().find(|(s, _)| *s == src) {
                        Some(e) => e.1 += n,
                        None => by_source.push((src, n)),
                    }
                }
                by_source.sort_by_key(|&(s, n)| (std::cmp::Reverse(n), s));
                doc.duplicate_of = by_source.first().map(|&(s, _)| ids[s].clone());
                summary.duplicate_documents += 1;
            }
        }
        summary.clusters = clusters.len();
        DedupOutcome { summary, clusters }
    }
}

/// Similarities are written with 4 decimals: enough to audit, and stable to print.
fn round(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(ordinal: usize, paragraphs: &[&str]) -> Doc {
        Doc {
            ordinal,
            id: format!("d{ordinal}"),
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            ..Doc::default()
        }
    }

    const LEAD: &str = "The central bank raised its main lending rate by half a point on \
                        Tuesday to curb inflation, the governor told reporters in the capital.";
    const MORE: &str = " Markets had expected a quarter point, and the currency rose one percent \
                        against the dollar within minutes of the announcement, dealers said. \
                        Analysts now see a further increase before the summer holidays begin.";
    const OTHER: &str = "Heavy rain flooded roads across the north of the country overnight and \
                         closed two airports, the weather service said on Wednesday morning.";

    #[test]
    fn a_full_paragraph_is_never_dropped_as_a_copy_of_its_cut() {
        // The cut version comes first; the later full version contains it and more.
        let full = format!("{LEAD}{MORE}");
        let mut docs = vec![
            doc(0, &[LEAD, OTHER]),
            doc(1, &[&full, "Unrelated closing words."]),
        ];
        DedupStage::build(&DedupConfig::default()).run(&mut docs);
        assert!(
            docs[1].dropped_paragraphs.is_empty(),
            "{:?}",
            docs[1].duplicates
        );

        // The other way round, the cut copy is dropped.
        let mut docs = vec![
            doc(0, &[&full, OTHER]),
            doc(1, &[LEAD, "Unrelated closing words."]),
        ];
        DedupStage::build(&DedupConfig::default()).run(&mut docs);
        assert_eq!(docs[1].dropped_paragraphs, vec![0]);
    }

    #[test]
    fn a_chained_member_is_not_dropped_as_a_copy_of_the_keeper() {
        // Word lists where each is a copy of the next (Jaccard ≥ 0.5) but the ends are not.
        let words: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let window = |from: usize| words[from..from + 20].join(" ");
        let (a, b, c) = (window(0), window(4), window(8));
        let mut docs = vec![doc(0, &[&a]), doc(1, &[&b]), doc(2, &[&c])];
        let config = DedupConfig {
            shingle_size: 1,
            ..DedupConfig::default()
        };
        let out = DedupStage::build(&config).run(&mut docs);
        let s = |x: &str, y: &str| {
            let (mut p, mut q) = (Vec::new(), Vec::new());
            let mut sh = Shingler::new();
            sh.shingle_into(x, 1, 1, &mut p);
            sh.shingle_into(y, 1, 1, &mut q);
            jaccard(&p, &q)
        };
        assert!(s(&a, &b) >= 0.5 && s(&b, &c) >= 0.5 && s(&a, &c) < 0.5);
        // Every recorded member is a verified copy of its cluster's kept item.
        for c in &out.clusters {
            for m in &c.members {
                assert!(m.similarity.unwrap_or(0.0) >= 0.5, "{c:?}");
            }
        }
        assert_eq!(docs[1].duplicate_of.as_deref(), Some("d0"));
        assert_ne!(docs[2].duplicate_of.as_deref(), Some("d0"));
    }
}

#[cfg(test)]
mod figure_tests {
    use super::*;

    fn item(text: &str) -> Item {
        Item {
            doc: 0,
            paragraph: None,
            shingles: Vec::new(),
            signature: Vec::new(),
            len: text.len(),
            words: text.split_whitespace().count(),
            figures: figures(text),
        }
    }

    #[test]
    fn template_lines_with_other_figures_disagree() {
        let a = item("Qtly div 28 cts vs 26 cts prior, pay April 1, record March 15");
        let b = item("Qtly div 10 cts vs 10 cts prior, pay April 15, record March 31");
        assert!(!figures_agree(&a, &b));
        let c = item("Qtly div 23 cts vs 21 cts prior");
        let d = item("Qtly div 23 cts vs 23 cts prior qtr");
        assert!(!figures_agree(&c, &d));
    }

    #[test]
    fn a_cut_copy_and_texts_without_figures_agree() {
        let full =
            item("Shr 1.20 dlrs vs 95 cts. Net 4,500,000 vs 3,100,000. Revs 40.1 mln vs 38.2 mln");
        let cut = item("Shr 1.20 dlrs vs 95 cts. Net 4,500,000 vs 3,100,000");
        assert!(figures_agree(&full, &cut));
        assert!(figures_agree(&item("No numbers at all here."), &full));
        assert_eq!(
            figures("Page 12, then 1,500km and 3.5."),
            figures("3.5 1,500km 12")
        );
    }

    #[test]
    fn long_texts_are_left_to_the_shingles() {
        let long_a = format!("{} 28 cts", "word ".repeat(120));
        let long_b = format!("{} 26 cts", "word ".repeat(120));
        assert!(figures_agree(&item(&long_a), &item(&long_b)));
    }
}
