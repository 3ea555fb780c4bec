//! Boilerplate line classification: the pure core of the boilerplate pass.
//!
//! Given the lines of one document and a compiled [`Rules`], [`clean_lines`] decides which lines
//! are page furniture and why, in layers: configured phrases, prefixes, wire credits and regular
//! expressions; trailing fragments glued to a sentence; lines repeated inside the document; lines
//! that are a template of the document's source (a predicate the caller supplies from corpus
//! statistics); and short non-sentences at the head and tail. Every removal carries its layer as
//! the reason. This module knows nothing of configuration files, documents or I/O: the stage in
//! `stages::boilerplate` builds the rules from `[boilerplate]` and records the removals.
//!
//! The rules are shared by every thread; a [`Scratch`] is one thread's working state (its own
//! copies of the regular expressions and the per-document buffers), which the caller keeps from
//! one document to the next with [`clean_lines_with`].

use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::automaton::OverlappingState;
use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
use regex::{Regex, RegexSet};

mod anymatch;

use crate::swar::{equal, in_range, lane_count, lanes, squeeze, Squeezed, HIGH};

use anymatch::AnyMatch;

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
    /// A run of short non-sentences inside the document: a navigation menu or link list.
    Menu,
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
            Reason::Menu => "menu",
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
    /// Tells a [`Scratch`] made for these rules from one made for others.
    id: u64,
    /// Whole-line phrases, wire credits and prefixes in one automaton over line keys.
    phrases: AhoCorasick,
    phrase_kinds: Vec<(PhraseKind, String)>,
    max_prefix_words: usize,
    patterns: RegexSet,
    /// Whether any of `patterns` matches, asked of every line before which one does.
    any_pattern: AnyMatch,
    pattern_text: Vec<String>,
    trailing: Vec<Regex>,
    /// Whether any of `trailing` matches, asked before each of them is.
    any_trailing: AnyMatch,
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
        // Ids only need to differ between the rule sets of one process.
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Ok(Rules {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            phrases,
            phrase_kinds,
            max_prefix_words: spec.max_prefix_words,
            patterns: RegexSet::new(spec.patterns)?,
            any_pattern: AnyMatch::new(spec.patterns)?,
            pattern_text: spec.patterns.to_vec(),
            trailing,
            any_trailing: AnyMatch::new(spec.trailing)?,
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

    /// A fresh working state for [`clean_lines_with`] with these rules.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            rules: self.id,
            patterns: self.patterns.clone(),
            any_pattern: self.any_pattern.clone(),
            trailing: self.trailing.clone(),
            any_trailing: self.any_trailing.clone(),
            captions: self.captions.clone(),
            keys: Keys::default(),
            word_counts: Vec::new(),
            repeat_hash: Vec::new(),
            template: Vec::new(),
            repeats: Vec::new(),
        }
    }
}

/// One thread's working state for [`clean_lines_with`], kept from one document to the next.
///
/// A `regex` value hands out its search cache cheaply only to the first thread that used it;
/// every other thread takes the cache from a locked pool on each search, several times a line.
/// A scratch holds its own copies of the expressions (a copy shares the compiled program and
/// has a pool of its own), so the thread that owns the scratch always takes the fast path. The
/// buffers of one document are reused by the next.
#[derive(Debug)]
pub struct Scratch {
    /// The id of the [`Rules`] this was made for.
    rules: u64,
    patterns: RegexSet,
    any_pattern: AnyMatch,
    trailing: Vec<Regex>,
    any_trailing: AnyMatch,
    captions: RegexSet,
    keys: Keys,
    word_counts: Vec<usize>,
    repeat_hash: Vec<u64>,
    template: Vec<bool>,
    /// Candidates of the repeat layer: (hash, line).
    repeats: Vec<(u64, usize)>,
}

impl Scratch {
    /// Whether this was made for `rules`.
    pub fn fits(&self, rules: &Rules) -> bool {
        self.rules == rules.id
    }
}

/// The keys of a document's lines in one buffer, reused from one document to the next.
///
/// Keys are kept as bytes: they are made as bytes, and every test of them is a byte test, so
/// no UTF-8 check is ever needed. Each key is scanned straight into place
/// ([`Keys::push_scanned`]), not made elsewhere and copied: `text` past the last key is room
/// that the next scan writes into, so its length only grows.
#[derive(Debug, Default)]
struct Keys {
    text: Vec<u8>,
    ends: Vec<usize>,
}

impl Keys {
    fn clear(&mut self) {
        self.ends.clear();
    }

    /// Scans `line` as [`scan_line`] does, its key appended as the next one.
    fn push_scanned(&mut self, line: &str) -> LineFacts {
        let at = self.ends.last().copied().unwrap_or(0);
        let facts = scan_line_at(line, &mut self.text, at);
        self.ends.push(at + facts.key_len);
        facts
    }
}

impl std::ops::Index<usize> for Keys {
    type Output = [u8];

    fn index(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// How much of a long line its key covers (see [`clean_lines`]).
const LONG_KEY_BYTES: usize = 128;

/// The longest prefix of `line` of at most `max` bytes that ends on a character boundary.
fn prefix_at_char(line: &str, max: usize) -> &str {
    if line.len() <= max {
        return line;
    }
    let mut end = max;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// Writes the comparison key of a line into `out`: lower case, punctuation dropped, words
/// separated by one space. Two lines that differ only in case, spacing or punctuation share a key.
pub fn line_key(line: &str, out: &mut String) {
    let mut buf = std::mem::take(out).into_bytes();
    let facts = scan_line(line, &mut buf);
    buf.truncate(facts.key_len);
    *out = String::from_utf8(buf).expect("a key is ASCII or copied from a str");
}

/// What one pass over a line tells the classifier and the source statistics (see [`scan_line`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineFacts {
    /// Length of the key at the start of the buffer.
    pub(crate) key_len: usize,
    /// Words as `split_whitespace` counts them, without a cap.
    pub(crate) words: usize,
    /// Whether the line holds an ASCII digit (so does its key, and the other way round).
    pub(crate) digits: bool,
}

/// Writes the key of `line` (as [`line_key`]) to the start of `buf` and counts its words (as
/// `split_whitespace`), in one pass over the line.
///
/// `buf` is grown when needed and never shrunk: its bytes past the key are left over from
/// earlier lines, so a line costs no zeroing and the ASCII path may write eight bytes at a
/// time. The key is `buf[..key_len]`; it is UTF-8.
pub(crate) fn scan_line(line: &str, buf: &mut Vec<u8>) -> LineFacts {
    scan_line_at(line, buf, 0)
}

/// [`scan_line`] writing the key at `buf[at..]` instead of at the start: `buf[..at]` is left as
/// it is (the keys of a document's earlier lines, see `Keys`).
fn scan_line_at(line: &str, buf: &mut Vec<u8>, at: usize) -> LineFacts {
    if buf.len() < at + line.len() + 8 {
        buf.resize(at + line.len() + 8, 0);
    }
    match scan_ascii(line.as_bytes(), &mut buf[at..]) {
        Some(facts) => facts,
        None => {
            // A line with a non-ASCII byte: the char rules, a fraction of a percent of news
            // lines.
            let mut key = String::new();
            line_key_chars(line, &mut key);
            if buf.len() < at + key.len() {
                buf.resize(at + key.len(), 0);
            }
            buf[at..at + key.len()].copy_from_slice(key.as_bytes());
            LineFacts {
                key_len: key.len(),
                words: line.split_whitespace().count(),
                digits: key.bytes().any(|b| b.is_ascii_digit()),
            }
        }
    }
}

/// [`scan_line`] for a line of at most `max_words` words; `None` for a longer line, of which
/// no more is read than needed to tell.
pub(crate) fn scan_short_line(
    line: &str,
    max_words: usize,
    buf: &mut Vec<u8>,
) -> Option<LineFacts> {
    // A line that fits in a long line's key is scanned in one pass; a longer one is counted
    // first, with a cap, so that a long paragraph is not scanned to its end.
    if line.len() > LONG_KEY_BYTES && word_count(line, max_words.saturating_add(1)) > max_words {
        return None;
    }
    let facts = scan_line(line, buf);
    (facts.words <= max_words).then_some(facts)
}

/// [`scan_line`] for a line of ASCII bytes, eight at a time; `None` at the first non-ASCII
/// byte. `buf` holds at least `line.len() + 8` bytes.
///
/// Each block of eight bytes is read as one `u64` and classified lane by lane (see
/// [`crate::swar`]): letters and digits, separators (whitespace, `-`, `/`, `|`) and the rest,
/// which the key drops. [`squeeze`] writes the block lower-cased with separators as spaces and
/// takes out the dropped bytes and every separator that follows another (in the key, across
/// blocks too). This is the char rules of [`line_key_chars`] restricted to ASCII, and
/// `split_whitespace`, as the property tests check.
fn scan_ascii(line: &[u8], buf: &mut [u8]) -> Option<LineFacts> {
    let blocks = line.chunks_exact(8);
    let rest = blocks.remainder();
    // The last few bytes as a block padded with zero bytes, which the key drops; their lanes
    // are masked out of the word and digit counts. A line of eight bytes or more reads its
    // last eight and shifts the bytes already done out.
    let tail = match (rest.len(), line.len()) {
        (0, _) => None,
        (r, len) if len >= 8 => {
            let last = u64::from_le_bytes(line[len - 8..].try_into().expect("8 bytes"));
            Some((last >> (8 * (8 - r)), r))
        }
        (r, _) => Some((
            rest.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b)),
            r,
        )),
    };
    let full = blocks.map(|b| (u64::from_le_bytes(b.try_into().expect("8 bytes")), 8));
    let mut n = 0;
    // Whether the last byte the key kept is a separator (or none is kept yet): a separator
    // after it is dropped, so one space stands for a run and none starts the key.
    let mut after_sep = true;
    // Whether the byte before the block is whitespace (or there is none): a word starts at a
    // byte that is not whitespace after one that is.
    let mut after_space = true;
    let mut words = 0;
    let mut digits = 0;
    for (w, len) in full.chain(tail) {
        if w & HIGH != 0 {
            return None;
        }
        let used = HIGH >> (8 * (8 - len));
        let digit = in_range(w, b'0', b'9');
        let alnum = in_range(w | lanes(0x20), b'a', b'z') | digit;
        let space = equal(w, b' ') | in_range(w, b'\t', b'\r');
        let sep = space | equal(w, b'-') | equal(w, b'/') | equal(w, b'|');
        let Squeezed {
            bytes: key, kept, ..
        } = squeeze(w, len, alnum, sep, &mut after_sep);
        buf[n..n + 8].copy_from_slice(&key.to_le_bytes());
        n += kept;
        let before = if after_space { 0x80 } else { 0 };
        words += lane_count(!space & ((space << 8) | before) & used);
        after_space = (space >> (8 * len - 1)) & 1 != 0;
        digits |= digit & used;
    }
    // At most one separator ends the key; it separates nothing.
    n -= usize::from(n > 0 && buf[n - 1] == b' ');
    Some(LineFacts {
        key_len: n,
        words,
        digits: digits != 0,
    })
}

/// [`line_key`] by the char rules, for any line.
fn line_key_chars(line: &str, out: &mut String) {
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

/// `char::is_whitespace` on an ASCII byte: space, tab, and line feed through carriage return.
const fn is_ascii_space(b: u8) -> bool {
    (b == b' ') | (b.wrapping_sub(b'\t') < 5)
}

/// A 64-bit hash of a line's key, for corpus statistics.
pub fn key_hash(key: &str) -> u64 {
    key_bytes_hash(key.as_bytes())
}

/// [`key_hash`] of a key held as bytes.
pub(crate) fn key_bytes_hash(key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key)
}

/// Words of a line as `split_whitespace` counts them, counted up to `cap`: every caller only
/// compares the count with a threshold below the cap, and a long paragraph need not be scanned
/// to its end.
pub fn word_count(line: &str, cap: usize) -> usize {
    // On ASCII, words are counted by their starts, a chunk of bytes at a time with no branch
    // inside a chunk (the compiler vectorizes that loop), and the cap is tested between chunks.
    // A chunk with a non-ASCII byte sends the line to `split_whitespace`, which knows Unicode
    // spaces; the word starts counted before it stand, since they are all in ASCII bytes.
    const CHUNK: usize = 64;
    let mut count = 0;
    let mut prev_space = true;
    for chunk in line.as_bytes().chunks(CHUNK) {
        if !chunk.is_ascii() {
            return line.split_whitespace().take(cap).count();
        }
        count += word_starts(chunk, prev_space);
        if count >= cap {
            return cap;
        }
        prev_space = chunk.last().copied().is_some_and(is_ascii_space);
    }
    count
}

/// The words that start in `chunk` of ASCII bytes, the byte before it a space or not.
fn word_starts(chunk: &[u8], prev_space: bool) -> usize {
    let first = chunk
        .first()
        .is_some_and(|&b| prev_space & !is_ascii_space(b));
    let rest = chunk
        .iter()
        .zip(&chunk[1..])
        .map(|(&a, &b)| usize::from(is_ascii_space(a) & !is_ascii_space(b)))
        .sum::<usize>();
    usize::from(first) + rest
}

const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "against", "all", "also", "an", "and", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "did", "do", "for", "from", "had", "has", "have", "he", "her",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "may", "more", "new", "no", "not",
    "of", "on", "or", "our", "out", "over", "said", "says", "she", "so", "than", "that", "the",
    "their", "them", "they", "this", "to", "up", "was", "we", "were", "what", "when", "which",
    "who", "will", "with", "would", "you", "your",
];

/// Whether a key has a word of [`STOP_WORDS`].
fn has_stop_word(key: &[u8]) -> bool {
    key.split(|&b| b == b' ').any(|w| {
        // No stop word is longer than eight bytes, and no word packs to zero, the empty slot.
        let Some(packed) = pack_word(w) else {
            return false;
        };
        let mut slot = stop_slot(packed);
        loop {
            match STOP_SET[slot] {
                0 => return false,
                s if s == packed => return true,
                _ => slot = (slot + 1) % STOP_SET.len(),
            }
        }
    })
}

/// [`STOP_WORDS`] as an open-addressing hash set of [`pack_word`] values, zero for an empty
/// slot. The edge, menu and headline layers ask it of every word of many lines; a binary search
/// of the strings, a comparison of bytes at each step, was a tenth of the classifier's time.
const STOP_SET: [u64; 256] = {
    let mut set = [0; 256];
    let mut i = 0;
    while i < STOP_WORDS.len() {
        let word = STOP_WORDS[i].as_bytes();
        assert!(!word.is_empty() && word.len() <= 8);
        let mut packed = 0;
        let mut j = word.len();
        while j > 0 {
            j -= 1;
            packed = (packed << 8) | word[j] as u64;
        }
        let mut slot = stop_slot(packed);
        while set[slot] != 0 {
            slot = (slot + 1) % set.len();
        }
        set[slot] = packed;
        i += 1;
    }
    set
};

/// A word of at most eight bytes as a `u64`, its first byte lowest; `None` for a longer word.
fn pack_word(word: &[u8]) -> Option<u64> {
    let mut bytes = [0; 8];
    bytes.get_mut(..word.len())?.copy_from_slice(word);
    Some(u64::from_le_bytes(bytes))
}

/// The home slot of a packed word in [`STOP_SET`]: the top bits of a multiplicative hash.
const fn stop_slot(packed: u64) -> usize {
    (packed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
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
fn is_edge_candidate(line: &str, key: &[u8], words: usize, max_words: usize) -> bool {
    !key.is_empty() && words <= max_words && !ends_like_sentence(line) && !has_stop_word(key)
}

/// Shortest run of short non-sentences that the menu layer removes.
const MENU_MIN_RUN: usize = 3;
/// A body sentence, for the headline guard: at least this many words, a sentence end and a
/// stop word.
const BODY_MIN_WORDS: usize = 8;
/// Most lines from one body sentence to the next for the two to start the body.
const BODY_MAX_GAP: usize = 3;
/// How many lines before the first body sentence the headline guard keeps.
const HEADLINE_WINDOW: usize = 4;
/// Shortest line, in words, that the headline guard keeps.
const HEADLINE_MIN_WORDS: usize = 3;

/// Whether line `i` is a body sentence: long enough, a sentence end, a stop word, and not
/// removed by the rule layers.
fn is_body_sentence(
    i: usize,
    lines: &[&str],
    keys: &Keys,
    words: &[usize],
    reasons: &[Option<(Reason, Option<String>)>],
) -> bool {
    reasons[i].is_none()
        && words[i] >= BODY_MIN_WORDS
        && ends_like_sentence(lines[i])
        && has_stop_word(&keys[i])
}

/// The lines the headline guard keeps: the last [`HEADLINE_WINDOW`] lines of at least
/// [`HEADLINE_MIN_WORDS`] words before the first body sentence `body`, skipping lines already
/// removed and shorter lines (share buttons, section labels).
fn headline_guard(
    body: usize,
    words: &[usize],
    reasons: &[Option<(Reason, Option<String>)>],
) -> Vec<usize> {
    (0..body)
        .rev()
        .filter(|&i| reasons[i].is_none() && words[i] >= HEADLINE_MIN_WORDS)
        .take(HEADLINE_WINDOW)
        .collect()
}

/// The outcome of [`clean_lines`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned<'a> {
    /// Each input line: `None` when removed, else its text without trailing whitespace, possibly
    /// shortened by the trailing layer; always a prefix of the input line, so never a copy.
    pub lines: Vec<Option<&'a str>>,
    /// What was removed, in line order.
    pub removals: Vec<Removal>,
}

/// Classifies the lines of one document. `is_template` answers, for a line key's hash, whether
/// the line recurs across documents of this document's source (pass `|_| false` without
/// statistics). Blank lines are kept as they are: they carry paragraph structure.
///
/// This makes a [`Scratch`] for the one call; a caller classifying many documents keeps one per
/// thread and calls [`clean_lines_with`].
pub fn clean_lines<'a>(
    lines: &[&'a str],
    rules: &Rules,
    is_template: &dyn Fn(u64) -> bool,
) -> Cleaned<'a> {
    clean_lines_with(lines, rules, &mut rules.scratch(), is_template)
}

/// [`clean_lines`] with a working state that the caller keeps from one document to the next.
///
/// # Panics
///
/// When `scratch` was made for other rules (see [`Scratch::fits`]).
pub fn clean_lines_with<'a>(
    lines: &[&'a str],
    rules: &Rules,
    scratch: &mut Scratch,
    is_template: &dyn Fn(u64) -> bool,
) -> Cleaned<'a> {
    assert!(
        scratch.fits(rules),
        "a scratch holds the expressions of the rules it was made for"
    );
    let Scratch {
        patterns,
        any_pattern,
        trailing,
        any_trailing,
        captions,
        keys,
        word_counts,
        repeat_hash,
        template,
        repeats,
        ..
    } = scratch;
    let mut out: Vec<Option<&'a str>> = lines.iter().map(|l| Some(l.trim_end())).collect();
    let mut reasons: Vec<Option<(Reason, Option<String>)>> = vec![None; lines.len()];
    let mut fragments: Vec<Removal> = Vec::new();
    keys.clear();
    template.clear();
    template.resize(lines.len(), false);
    let cap = 1 + [
        rules.max_prefix_words,
        rules.corpus_max_words,
        rules.edge_max_words,
        BODY_MIN_WORDS,
        HEADLINE_MIN_WORDS,
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    word_counts.clear();

    // Layer 1: configured phrases, prefixes, wire credits, regular expressions, source templates.
    let mut after_wire = false;
    // Lines longer than any phrase, prefix or template can be are body text to those layers:
    // they get a key of their first bytes only (for the stop-word test of the edge and menu
    // layers), and the repeat layer compares them by a hash of the whole line. Computing full
    // keys of long paragraphs was most of this function's time.
    let short_words = rules.max_prefix_words.max(rules.corpus_max_words);
    repeat_hash.clear();
    repeat_hash.resize(lines.len(), 0);
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        // A line that fits in a long line's key is scanned once for its key and its words
        // together; a longer one is counted first, and only a short line's key covers all of
        // it. (Either way `digits` is the whole line's when the line is short.)
        let facts = if line.len() <= LONG_KEY_BYTES {
            keys.push_scanned(line)
        } else {
            let words = word_count(line, cap);
            let keyed = if words > short_words {
                prefix_at_char(line, LONG_KEY_BYTES)
            } else {
                line
            };
            LineFacts {
                words,
                ..keys.push_scanned(keyed)
            }
        };
        let words = facts.words.min(cap);
        word_counts.push(words);
        let key = &keys[i];
        // The key's hash, for the repeat and source-template layers; long lines have none.
        let short_hash;
        if words > short_words {
            repeat_hash[i] = xxhash_rust::xxh3::xxh3_64(line.as_bytes()) | 1;
            short_hash = None;
        } else {
            let h = key_bytes_hash(key);
            // Short keys hash even, long lines odd: the two kinds never meet in one group.
            repeat_hash[i] = h & !1;
            short_hash = Some(h);
        }
        if key.is_empty() {
            if !line.is_empty() {
                after_wire = false;
            }
            continue;
        }
        let mut hit = None;
        // Every phrase that is a prefix of the key, shortest first: an anchored overlapping
        // search, since a prefix phrase may hide inside a longer whole-line phrase.
        let input = Input::new(key).anchored(Anchored::Yes);
        let mut state = OverlappingState::start();
        // A long line can be neither a phrase nor a short prefix line: no search at all.
        if words <= short_words {
            loop {
                rules.phrases.find_overlapping(input.clone(), &mut state);
                let Some(m) = state.get_match() else { break };
                let (kind, phrase) = &rules.phrase_kinds[m.pattern().as_usize()];
                let whole = m.end() == key.len();
                let at_word_end = whole || key.get(m.end()) == Some(&b' ');
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
        }
        if hit.is_none() && after_wire && looks_like_dateline(line) {
            hit = Some((Reason::Dateline, None));
        }
        if hit.is_none() {
            // Whether any pattern matches is cheaper to learn than which ones do (see
            // `anymatch`); the set of matches is only worth computing for the rare line that hits.
            let first = if any_pattern.is_match(line) {
                patterns.matches(line).iter().next()
            } else {
                None
            };
            if let Some(p) = first {
                hit = Some((Reason::Regex, Some(rules.pattern_text[p].clone())));
            }
        }
        // Source templates are only noted here: the headline guard below may keep one.
        // A line with figures in it is data ("Qtly div 28 cts vs 26 cts prior"), however often
        // its wording recurs at the source: templates are constant text.
        template[i] = hit.is_none()
            && words <= rules.corpus_max_words
            && !facts.digits
            && short_hash.is_some_and(is_template);
        after_wire = matches!(hit, Some((Reason::WireCredit, _)));
        match hit {
            Some(h) => reasons[i] = Some(h),
            None if template[i] => {}
            None => {
                // Trailing fragments: cut only when what stays ends like a sentence, so a
                // sentence that merely ends in "page 12" of something is left alone. A line
                // that no expression matches is never cut, so most lines stop at one test; a
                // cut can make the next expression match what stays, so the rest are tried
                // in turn.
                let untouched = out[i].unwrap_or("");
                let expressions = if any_trailing.is_match(untouched) {
                    &trailing[..]
                } else {
                    &[]
                };
                for re in expressions {
                    let current = out[i].unwrap_or("");
                    if let Some(m) = re.find(current) {
                        let head = &current[..m.start()];
                        if m.end() == current.len() && ends_like_sentence(head) {
                            fragments.push(Removal {
                                line: i,
                                text: m.as_str().trim().to_string(),
                                reason: Reason::Trailing,
                                rule: Some(re.as_str().to_string()),
                            });
                            out[i] = Some(head.trim_end());
                        }
                    }
                }
            }
        }
    }

    // Layer 2: repeats inside the document. Captions go entirely; other repeats keep the first.
    if rules.repeats {
        repeats.clear();
        for (i, key) in (0..lines.len()).map(|i| (i, &keys[i])) {
            if !key.is_empty() && reasons[i].is_none() && !template[i] && key.contains(&b' ') {
                repeats.push((repeat_hash[i], i));
            }
        }
        // Sorted, the lines of one hash form a run in line order: the groups come without a map
        // of vectors, which cost an allocation per distinct line.
        repeats.sort_unstable();
        for group in repeats.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            let caption = group.iter().any(|&(_, i)| captions.is_match(lines[i]));
            let skip = if caption { 0 } else { 1 };
            for &(_, i) in &group[skip..] {
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

    // The headline guard: a site links its articles from its other pages, so an article's own
    // headline is often a source template too, and a short headline at the head looks like an
    // edge. The few lines just before the first body sentence (headline, byline, date) are kept
    // by the source-template, edge and menu layers.
    //
    let body_sentences: Vec<usize> = (0..lines.len())
        .filter(|&i| is_body_sentence(i, lines, keys, word_counts, &reasons))
        .collect();
    // The body starts at the first of two body sentences close together: a teaser sentence
    // alone in the navigation is not the article yet.
    let body_start = body_sentences
        .windows(2)
        .find(|w| w[1] - w[0] <= BODY_MAX_GAP)
        .or_else(|| body_sentences.windows(1).next())
        .map_or(lines.len(), |w| w[0]);
    let body_end = body_sentences.last().copied().unwrap_or(lines.len());
    let any_body = !body_sentences.is_empty();
    // Without a body sentence there is no headline to guard.
    let guarded = if !any_body {
        Vec::new()
    } else {
        headline_guard(body_start, word_counts, &reasons)
    };
    for (i, t) in template.iter().enumerate() {
        if *t && reasons[i].is_none() && !guarded.contains(&i) {
            reasons[i] = Some((Reason::SourceTemplate, None));
        }
    }

    // Layer 3: edges. Walk in from each end over blank and already-removed lines, trimming
    // short non-sentences until the first line that stays.
    if rules.edges {
        let edge = |i: usize| {
            !guarded.contains(&i)
                && is_edge_candidate(lines[i], &keys[i], word_counts[i], rules.edge_max_words)
        };
        let n = lines.len();
        for from_head in [true, false] {
            for i in (0..n).map(|k| if from_head { k } else { n - 1 - k }) {
                if keys[i].is_empty() || reasons[i].is_some() {
                    continue;
                }
                if edge(i) {
                    reasons[i] = Some((Reason::Edge, None));
                } else {
                    break;
                }
            }
        }

        // Menus: before the first body sentence and after the last one, a run of at least
        // MENU_MIN_RUN consecutive short non-sentences (removed lines may sit between them, a
        // blank line ends the run) is a navigation menu or link list, unless a quarter of its
        // lines hold figures, as a table does. Between body sentences nothing is a menu: a list
        // or table there is part of the article.
        let mut run: Vec<usize> = Vec::new();
        for i in 0..=lines.len() {
            let outside_body = i < body_start || i > body_end;
            let part_of_run = i < lines.len() && outside_body && !keys[i].is_empty();
            let candidate = part_of_run && reasons[i].is_none() && edge(i);
            if candidate {
                run.push(i);
            } else if !(part_of_run && reasons[i].is_some()) {
                // A table (results, scores, listings) is a run too, but of figures.
                let with_digits = run
                    .iter()
                    .filter(|&&j| lines[j].bytes().any(|b| b.is_ascii_digit()))
                    .count();
                if run.len() >= MENU_MIN_RUN && with_digits * 4 < run.len() {
                    for &j in &run {
                        reasons[j] = Some((Reason::Menu, None));
                    }
                }
                run.clear();
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
            c.lines[8],
            Some("Ankara has been severely tested over Syria.")
        );
        assert_eq!(
            c.lines[7],
            Some(lines[7]),
            "a sentence mentioning a page stays"
        );
        assert_eq!(
            c.lines[3],
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

    const BODY_A: &str = "The ministry said on Tuesday that the talks would resume next week.";
    const BODY_B: &str = "Officials from both sides have met three times since the spring.";

    #[test]
    fn menus_outside_the_body_go_and_lists_inside_it_stay() {
        let lines = [
            "Business",
            "Weather",
            "Travel",
            "Ministers agree to resume talks",
            BODY_A,
            BODY_B,
            "Oil prices",
            "Gas exports",
            "Border crossings",
            "Those three items are on the agenda, a spokesman said.",
            "Most Read",
            "Cricket",
            "Motoring",
            "Horoscopes",
        ];
        let c = clean_lines(&lines, &rules(), &|_| false);
        let removed: Vec<usize> = c.removals.iter().map(|r| r.line).collect();
        // The head run is trimmed by the edge walk, the tail run after the last sentence is a
        // menu; the agenda list between body sentences stays, and so does the headline.
        assert_eq!(removed, [0, 1, 2, 10, 11, 12, 13], "{:?}", c.removals);
        assert!(reasons(&c).contains(&(11, "edge")) || reasons(&c).contains(&(11, "menu")));
    }

    #[test]
    fn a_menu_in_the_tail_is_removed_even_after_a_kept_line() {
        let lines = [
            BODY_A,
            BODY_B,
            "Last sentence of the story is here.",
            "Related coverage is in our special report, she said.",
            "Sports",
            "Opinion",
            "Obituaries",
            "Reader comments are welcome, within reason.",
        ];
        let c = clean_lines(&lines, &rules(), &|_| false);
        assert_eq!(reasons(&c), [(4, "menu"), (5, "menu"), (6, "menu")]);
    }

    #[test]
    fn tables_are_not_menus() {
        let lines = [
            BODY_A,
            BODY_B,
            "1. Bayliss 1'32.2",
            "2. Kagayama 1'32.3",
            "3. Haga 1'32.4",
            "Times from the second practice session at Phillip Island",
        ];
        let c = clean_lines(&lines, &rules(), &|_| false);
        assert!(c.removals.is_empty(), "{:?}", c.removals);
    }

    #[test]
    fn the_headline_survives_as_a_source_template_and_as_an_edge() {
        let mut k = String::new();
        let template: Vec<u64> = ["Carbon voting gets dirty", "Home page"]
            .iter()
            .map(|l| {
                line_key(l, &mut k);
                key_hash(&k)
            })
            .collect();
        let lines = [
            "Home page",
            "Carbon voting gets dirty",
            "By Art Patnaude",
            BODY_A,
            BODY_B,
            "Carbon voting gets dirty",
        ];
        let c = clean_lines(&lines, &rules(), &|h| template.contains(&h));
        assert_eq!(
            reasons(&c),
            [(0, "source-template"), (5, "source-template")],
            "the copy before the body is the headline; the later one is a sidebar link"
        );
        let short_headline = ["Allardyce leaves Magpies", BODY_A, BODY_B];
        let c = clean_lines(&short_headline, &rules(), &|_| false);
        assert!(c.removals.is_empty(), "{:?}", c.removals);
    }

    #[test]
    fn ascii_fast_paths_agree_with_the_char_rules() {
        let mut k = String::new();
        for line in [
            "  READ\tSOME \x0b MORE!! ",
            "Al-Nusra/ISIL | Syria's war",
            "",
            "   ",
            "a",
            "x\x1fy \r\n z",
        ] {
            line_key(line, &mut k);
            let mut slow = String::new();
            let mut pending = false;
            for c in line.chars() {
                if c.is_alphanumeric() {
                    if pending && !slow.is_empty() {
                        slow.push(' ');
                    }
                    pending = false;
                    slow.push(c.to_ascii_lowercase());
                } else if c.is_whitespace() || "-/|".contains(c) {
                    pending = true;
                }
            }
            assert_eq!(k, slow, "{line:?}");
            let words = line.split_whitespace().count();
            assert_eq!(word_count(line, 100), words, "{line:?}");
            assert_eq!(word_count(line, 1), words.min(1), "{line:?}");
        }
    }

    /// Lines of ASCII text and controls, then any of a few non-ASCII letters and spaces: long
    /// enough for several chunks of [`word_count`], with the non-ASCII part anywhere.
    fn mixed_line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        let ascii = "[ -~\t\n\x0b\x0c\r\x00-\x08\x1f\x7f]{0,200}";
        let mixed = "[ -~\té\u{a0}\u{2003}\u{2014}]{0,60}";
        (ascii, mixed, ascii).prop_map(|(a, b, c)| a + &b + &c)
    }

    proptest::proptest! {
        #[test]
        fn the_byte_paths_agree_with_the_char_rules(
            line in proptest::prop_oneof![
                mixed_line(),
                "[ -~\t\n\x0b\r]{0,300}",
                // Dense runs of separators and dropped bytes, where the eight-byte blocks of
                // `scan_ascii` take lanes out and carry state from one block to the next.
                "[aZ9 \t\x0b\r/|.,'()-]{0,40}",
            ],
            left_over in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        ) {
            let mut fast = String::from("left over");
            line_key(&line, &mut fast);
            let mut slow = String::new();
            line_key_chars(&line, &mut slow);
            proptest::prop_assert_eq!(&fast, &slow);
            let words = line.split_whitespace().count();
            for cap in [0, 1, 3, 13, 40, 1000] {
                proptest::prop_assert_eq!(word_count(&line, cap), words.min(cap));
            }
            // A scan writes over whatever an earlier line left in the buffer.
            let mut buf = left_over;
            let facts = scan_line(&line, &mut buf);
            proptest::prop_assert_eq!(&buf[..facts.key_len], slow.as_bytes());
            proptest::prop_assert_eq!(facts.words, words);
            proptest::prop_assert_eq!(facts.digits, line.bytes().any(|b| b.is_ascii_digit()));
            for max in [0, 2, 12] {
                let short = scan_short_line(&line, max, &mut buf);
                proptest::prop_assert_eq!(short.is_some(), words <= max);
                if let Some(f) = short {
                    proptest::prop_assert_eq!(f, facts);
                }
            }
        }
    }

    #[test]
    fn every_stop_word_is_in_the_set() {
        for w in STOP_WORDS {
            assert!(has_stop_word(w.as_bytes()), "{w}");
        }
        for w in ["", "th", "thee", "abouts", "againstx", "x a"] {
            assert_eq!(has_stop_word(w.as_bytes()), w == "x a", "{w:?}");
        }
    }

    /// Stop words and other words of a key, in any order.
    fn key_words() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
        use proptest::strategy::Strategy;
        let word = proptest::prop_oneof![
            proptest::sample::select(STOP_WORDS).prop_map(str::to_string),
            "[a-z0-9]{1,10}",
        ];
        proptest::collection::vec(word, 0..6)
    }

    proptest::proptest! {
        #[test]
        fn the_stop_word_set_answers_as_the_list_does(words in key_words()) {
            let key = words.join(" ");
            let listed = key.split(' ').any(|w| STOP_WORDS.contains(&w));
            proptest::prop_assert_eq!(has_stop_word(key.as_bytes()), listed);
        }
    }
}
