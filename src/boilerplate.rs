//! Boilerplate line classification: the pure core of the boilerplate pass.
//!
//! Given the lines of one document and a compiled [`Rules`], [`clean_lines`] decides which lines
//! are page furniture and why, in layers: configured phrases, prefixes, wire credits and regular
//! expressions; trailing fragments glued to a sentence; lines repeated inside the document; lines
//! that are a template of the document's source (a predicate the caller supplies from corpus
//! statistics); and short non-sentences at the head and tail. Every removal carries its layer as
//! the reason. This module knows nothing of configuration files, documents or I/O: the stage in
//! `stages::boilerplate` builds the rules from `[boilerplate]` and records the removals.

use std::collections::HashMap;

use aho_corasick::automaton::OverlappingState;
use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
use regex::{Regex, RegexSet};

/// Why a line (or fragment) was removed; the layer that removed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// A whole line equal to a configured phrase.
    Phrase,
    /// A short line starting with a configured phrase.
    Prefix,
    /// A wire-service credit line.
    WireCredit,
    /// A place name on its own line right after a wire credit.
    Dateline,
    /// A whole line matched by a configured regular expression.
    Regex,
    /// A fragment cut from the end of a sentence.
    Trailing,
    /// A second copy of a line of this document.
    Repeat,
    /// A caption printed more than once: every copy goes.
    Caption,
    /// A line that recurs across documents of the same source.
    SourceTemplate,
    /// A short non-sentence at the head or tail.
    Edge,
}

impl Reason {
    /// The name written in provenance and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Phrase => "phrase",
            Reason::Prefix => "prefix",
            Reason::WireCredit => "wire-credit",
            Reason::Dateline => "dateline",
            Reason::Regex => "regex",
            Reason::Trailing => "trailing",
            Reason::Repeat => "repeat",
            Reason::Caption => "caption",
            Reason::SourceTemplate => "source-template",
            Reason::Edge => "edge",
        }
    }
}

/// One removal: which line, what text, which layer, and the rule that fired when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// 0-based index of the line in the input.
    pub line: usize,
    /// The removed text (a whole line, or the fragment for [`Reason::Trailing`]).
    pub text: String,
    /// The layer.
    pub reason: Reason,
    /// The phrase or pattern that matched, for the phrase-like layers.
    pub rule: Option<String>,
}

/// The compiled rule set. Build once, share across threads.
#[derive(Debug)]
pub struct Rules {
    /// Whole-line phrases, wire credits and prefixes in one automaton over line keys.
    phrases: AhoCorasick,
    phrase_kinds: Vec<(PhraseKind, String)>,
    max_prefix_words: usize,
    patterns: RegexSet,
    pattern_text: Vec<String>,
    trailing: Vec<Regex>,
    repeats: bool,
    captions: RegexSet,
    corpus_max_words: usize,
    edges: bool,
    edge_max_words: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhraseKind {
    Whole,
    Prefix,
    Wire,
}

/// The plain inputs of [`Rules::new`], so the core does not depend on the config types.
#[derive(Debug, Clone, Default)]
pub struct RuleSpec<'a> {
    /// Whole-line phrases.
    pub phrases: &'a [String],
    /// Line-prefix phrases.
    pub prefixes: &'a [String],
    /// Longest line the prefix layer removes, in words.
    pub max_prefix_words: usize,
    /// Wire-credit lines.
    pub wire_credits: &'a [String],
    /// Whole-line regular expressions.
    pub patterns: &'a [String],
    /// Trailing-fragment regular expressions.
    pub trailing: &'a [String],
    /// Whether the repeat layer runs.
    pub repeats: bool,
    /// Caption cues.
    pub caption_patterns: &'a [String],
    /// Longest line the source-template layer removes.
    pub corpus_max_words: usize,
    /// Whether the edge layer runs.
    pub edges: bool,
    /// Longest line the edge layer trims.
    pub edge_max_words: usize,
}

impl Rules {
    /// Compiles the rules; fails only on an invalid regular expression.
    pub fn new(spec: &RuleSpec<'_>) -> Result<Rules, regex::Error> {
        let mut keys = Vec::new();
        let mut phrase_kinds = Vec::new();
        let mut buf = String::new();
        for (kind, list) in [
            (PhraseKind::Whole, spec.phrases),
            (PhraseKind::Wire, spec.wire_credits),
            (PhraseKind::Prefix, spec.prefixes),
        ] {
            for phrase in list {
                line_key(phrase, &mut buf);
                if !buf.is_empty() {
                    keys.push(buf.clone());
                    phrase_kinds.push((kind, phrase.clone()));
                }
            }
        }
        // Standard semantics, anchored: overlapping search then yields every phrase that is a
        // prefix of a line key, which is all the layers need to know.
        let phrases = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Anchored)
            .build(&keys)
            .expect("phrase keys are plain strings and always compile");
        let trailing = spec
            .trailing
            .iter()
            .map(|p| Regex::new(p))
            .collect::<Result<_, _>>()?;
        Ok(Rules {
            phrases,
            phrase_kinds,
            max_prefix_words: spec.max_prefix_words,
            patterns: RegexSet::new(spec.patterns)?,
            pattern_text: spec.patterns.to_vec(),
            trailing,
            repeats: spec.repeats,
            captions: RegexSet::new(spec.caption_patterns)?,
            corpus_max_words: spec.corpus_max_words,
            edges: spec.edges,
            edge_max_words: spec.edge_max_words,
        })
    }

    /// Longest line, in words, that per-source statistics should count.
    pub fn corpus_max_words(&self) -> usize {
        self.corpus_max_words
    }
}

/// Writes the comparison key of a line into `out`: lower case, punctuation dropped, words
/// separated by one space. Two lines that differ only in case, spacing or punctuation share a key.
pub fn line_key(line: &str, out: &mut String) {
    out.clear();
    let mut pending_space = false;
    for c in line.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        } else if c.is_whitespace() || c == '-' || c == '/' || c == '|' {
            pending_space = true;
        }
        // Other punctuation vanishes without separating: "Syria's" keys as "syrias".
    }
}

/// A 64-bit hash of a line's key, for corpus statistics.
pub fn key_hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

fn word_count(line: &str) -> usize {
    line.split_whitespace().count()
}

const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "against", "all", "also", "an", "and", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "did", "do", "for", "from", "had", "has", "have", "he", "her",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "may", "more", "new", "no", "not",
    "of", "on", "or", "our", "out", "over", "said", "says", "she", "so", "than", "that", "the",
    "their", "them", "they", "this", "to", "up", "was", "we", "were", "what", "when", "which",
    "who", "will", "with", "would", "you", "your",
];

fn has_stop_word(key: &str) -> bool {
    key.split(' ').any(|w| STOP_WORDS.binary_search(&w).is_ok())
}

fn ends_like_sentence(line: &str) -> bool {
    matches!(
        line.trim_end().chars().last(),
        Some('.' | '!' | '?' | '"' | '”' | '’' | '\'' | ':' | ';' | ')' | '…')
    )
}

/// A place-name line after a wire credit: one to three capitalized words, no sentence end.
fn looks_like_dateline(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    (1..=3).contains(&words.len())
        && !ends_like_sentence(line)
        && words
            .iter()
            .all(|w| w.chars().next().is_some_and(|c| c.is_uppercase()))
}

/// The edge layer's test: a short line with no sentence end and no stop word.
fn is_edge_candidate(line: &str, key: &str, max_words: usize) -> bool {
    !key.is_empty()
        && word_count(line) <= max_words
        && !ends_like_sentence(line)
        && !has_stop_word(key)
}

/// The outcome of [`clean_lines`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// Each input line: `None` when removed, else its (possibly shortened) text.
    pub lines: Vec<Option<String>>,
    /// What was removed, in line order.
    pub removals: Vec<Removal>,
}

/// Classifies the lines of one document. `is_template` answers, for a line key's hash, whether
/// the line recurs across documents of this document's source (pass `|_| false` without
/// statistics). Blank lines are kept as they are: they carry paragraph structure.
pub fn clean_lines(lines: &[&str], rules: &Rules, is_template: &dyn Fn(u64) -> bool) -> Cleaned {
    let mut out: Vec<Option<String>> = lines
        .iter()
        .map(|l| Some(l.trim_end().to_string()))
        .collect();
    let mut reasons: Vec<Option<(Reason, Option<String>)>> = vec![None; lines.len()];
    let mut fragments: Vec<Removal> = Vec::new();
    let mut keys: Vec<String> = Vec::with_capacity(lines.len());
    let mut buf = String::new();

    // Layer 1: configured phrases, prefixes, wire credits, regular expressions, source templates.
    let mut after_wire = false;
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        line_key(line, &mut buf);
        keys.push(buf.clone());
        if buf.is_empty() {
            if !line.is_empty() {
                after_wire = false;
            }
            continue;
        }
        let words = word_count(line);
        let mut hit = None;
        // Every phrase that is a prefix of the key, shortest first: an anchored overlapping
        // search, since a prefix phrase may hide inside a longer whole-line phrase.
        let input = Input::new(buf.as_str()).anchored(Anchored::Yes);
        let mut state = OverlappingState::start();
        loop {
            rules.phrases.find_overlapping(input.clone(), &mut state);
            let Some(m) = state.get_match() else { break };
            let (kind, phrase) = &rules.phrase_kinds[m.pattern().as_usize()];
            let whole = m.end() == buf.len();
            let at_word_end = whole || buf.as_bytes().get(m.end()) == Some(&b' ');
            let found = match kind {
                PhraseKind::Whole if whole => Some(Reason::Phrase),
                PhraseKind::Wire if whole => Some(Reason::WireCredit),
                PhraseKind::Prefix if at_word_end && words <= rules.max_prefix_words => {
                    Some(Reason::Prefix)
                }
                _ => None,
            };
            if let Some(reason) = found {
                // Prefer a whole-line match over a prefix one.
                if hit.as_ref().is_none_or(|(r, _)| *r == Reason::Prefix) {
                    hit = Some((reason, Some(phrase.clone())));
                }
            }
        }
        if hit.is_none() && after_wire && looks_like_dateline(line) {
            hit = Some((Reason::Dateline, None));
        }
        if hit.is_none() {
            if let Some(p) = rules.patterns.matches(line).iter().next() {
                hit = Some((Reason::Regex, Some(rules.pattern_text[p].clone())));
            }
        }
        if hit.is_none() && words <= rules.corpus_max_words && is_template(key_hash(&buf)) {
            hit = Some((Reason::SourceTemplate, None));
        }
        after_wire = matches!(hit, Some((Reason::WireCredit, _)));
        match hit {
            Some(h) => reasons[i] = Some(h),
            None => {
                // Trailing fragments: cut only when what stays ends like a sentence, so a
                // sentence that merely ends in "page 12" of something is left alone.
                for re in &rules.trailing {
                    let current = out[i].as_deref().unwrap_or("");
                    if let Some(m) = re.find(current) {
                        let head = &current[..m.start()];
                        if m.end() == current.len() && ends_like_sentence(head) {
                            fragments.push(Removal {
                                line: i,
                                text: m.as_str().trim().to_string(),
                                reason: Reason::Trailing,
                                rule: Some(re.as_str().to_string()),
                            });
                            out[i] = Some(head.trim_end().to_string());
                        }
                    }
                }
            }
        }
    }

    // Layer 2: repeats inside the document. Captions go entirely; other repeats keep the first.
    if rules.repeats {
        let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            if !key.is_empty() && reasons[i].is_none() && key.contains(' ') {
                seen.entry(key.as_str()).or_default().push(i);
            }
        }
        let mut groups: Vec<Vec<usize>> = seen.into_values().filter(|v| v.len() > 1).collect();
        groups.sort();
        for group in groups {
            let caption = group.iter().any(|&i| rules.captions.is_match(lines[i]));
            let skip = if caption { 0 } else { 1 };
            for &i in &group[skip..] {
                reasons[i] = Some((
                    if caption {
                        Reason::Caption
                    } else {
                        Reason::Repeat
                    },
                    None,
                ));
            }
        }
    }

    // Layer 3: edges. Walk in from each end over blank and already-removed lines, trimming
    // short non-sentences until the first line that stays.
    if rules.edges {
        let forward: Vec<usize> = (0..lines.len()).collect();
        for order in [
            forward.clone(),
            forward.into_iter().rev().collect::<Vec<_>>(),
        ] {
            for i in order {
                if keys[i].is_empty() || reasons[i].is_some() {
                    continue;
                }
                if is_edge_candidate(lines[i].trim(), &keys[i], rules.edge_max_words) {
                    reasons[i] = Some((Reason::Edge, None));
                } else {
                    break;
                }
            }
        }
    }

    let mut removals = fragments;
    for (i, r) in reasons.into_iter().enumerate() {
        if let Some((reason, rule)) = r {
            removals.push(Removal {
                line: i,
                text: lines[i].trim().to_string(),
                reason,
                rule,
            });
            out[i] = None;
        }
    }
    removals.sort_by_key(|r| (r.line, r.reason != Reason::Trailing));
    Cleaned {
        lines: out,
        removals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn rules() -> Rules {
        let phrases = s(&[
            "Related",
            "Related News",
            "Exit mobile version",
            "Places",
            "Topics",
        ]);
        let prefixes = s(&["Sign up for", "Get email updates from"]);
        let wire = s(&["AFP", "Guardian service"]);
        let patterns = s(&[r"^[^.!?]{0,120}/\s*(Getty Images|AFP)\s*$"]);
        let trailing = s(&[r"\s+Page\s+\d{1,3}$"]);
        let captions = s(&[r"(?i)\bphotograph\s*:"]);
        Rules::new(&RuleSpec {
            phrases: &phrases,
            prefixes: &prefixes,
            max_prefix_words: 25,
            wire_credits: &wire,
            patterns: &patterns,
            trailing: &trailing,
            repeats: true,
            caption_patterns: &captions,
            corpus_max_words: 12,
            edges: true,
            edge_max_words: 4,
        })
        .unwrap()
    }

    fn reasons(c: &Cleaned) -> Vec<(usize, &'static str)> {
        c.removals
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect()
    }

    #[test]
    fn keys_ignore_case_spacing_and_punctuation() {
        let mut k = String::new();
        line_key("  READ  SOME   MORE!! ", &mut k);
        assert_eq!(k, "read some more");
        line_key("Syria's War — Topics", &mut k);
        assert_eq!(k, "syrias war topics");
        line_key("Al-Nusra", &mut k);
        assert_eq!(k, "al nusra");
    }

    #[test]
    fn layers_remove_furniture_and_keep_sentences() {
        let lines = [
            "International",
            "Jane Doe / Anadolu Agency / Getty Images",
            "",
            "Russian airstrikes target rebels in Syria",
            "AFP",
            "Beirut",
            "The rockets were fired on Wednesday, officials said.",
            "Related coverage is on page 12 of the print edition.",
            "Ankara has been severely tested over Syria. Page 12",
            "Related News",
            "Places",
            "Russia, Syria",
            "Sign up for our weekly newsletter",
        ];
        let c = clean_lines(&lines, &rules(), &|_| false);
        assert_eq!(
            reasons(&c),
            [
                (0, "edge"),
                (1, "regex"),
                (4, "wire-credit"),
                (5, "dateline"),
                (8, "trailing"),
                (9, "phrase"),
                (10, "phrase"),
                (11, "edge"),
                (12, "prefix")
            ]
        );
        assert_eq!(
            c.lines[8].as_deref(),
            Some("Ankara has been severely tested over Syria.")
        );
        assert_eq!(
            c.lines[7].as_deref(),
            Some(lines[7]),
            "a sentence mentioning a page stays"
        );
        assert_eq!(
            c.lines[3].as_deref(),
            Some(lines[3]),
            "a headline with a stop word stays"
        );
    }

    #[test]
    fn repeated_captions_go_entirely_and_other_repeats_keep_one() {
        let cap = "A warship fires missiles. Photograph: EPA";
        let body = "He said the talks would go on next week.";
        let lines = [cap, cap, body, "Middle text stays here.", body];
        let c = clean_lines(&lines, &rules(), &|_| false);
        assert_eq!(reasons(&c), [(0, "caption"), (1, "caption"), (4, "repeat")]);
        assert!(c.lines[2].is_some());
    }

    #[test]
    fn short_lines_inside_the_body_are_kept() {
        let lines = [
            "First sentence of the story is here.",
            "Beirut",
            "\"No.\"",
            "Last sentence is here too.",
        ];
        let c = clean_lines(&lines, &rules(), &|_| false);
        assert!(c.removals.is_empty(), "{:?}", c.removals);
    }

    #[test]
    fn prefixes_need_a_word_boundary_and_a_short_line() {
        let lines = [
            "A story starts here with facts.",
            "Sign upward mobility is a theme.",
            "Get email updates from us",
        ];
        let c = clean_lines(&lines, &rules(), &|_| false);
        assert_eq!(reasons(&c), [(2, "prefix")]);
    }

    #[test]
    fn source_templates_come_from_the_caller() {
        let mut k = String::new();
        line_key("Subscribe now for full access", &mut k);
        let h = key_hash(&k);
        let lines = [
            "Story text that matters a lot.",
            "Subscribe now for full access",
            "More story text here.",
        ];
        let c = clean_lines(&lines, &rules(), &|x| x == h);
        assert_eq!(reasons(&c), [(1, "source-template")]);
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }
}
