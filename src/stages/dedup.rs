//! The near-duplicate barrier: MinHash LSH over documents and paragraphs, verified, clustered,
//! and applied — in memory for a small corpus, out of core for a large one, by the same code.
//!
//! It runs as stages that exchange plain data, which a large run keeps on disk:
//!
//! 1. **sign** ([`DedupStage::sign`], per share of the corpus, in parallel): every document and
//!    every paragraph of at least `min_paragraph_words` words becomes an *item* with a MinHash
//!    signature, of which only the band keys are kept, band by band ([`SignedBulk`]), with the
//!    document's text (paragraphs joined by `\n`) that verification reads back, and a few
//!    integers per item ([`SignedMeta`]).
//! 2. **band buckets → candidate pairs**: one band at a time, the keys of every share are
//!    gathered, sorted and cut into buckets (`dedup::lsh::bucket_pairs`); a band that would not
//!    fit the memory budget is split into key ranges, which gives the same pairs.
//! 3. **verification** (exact Jaccard over the shingle sets re-computed from the text, plus
//!    containment for paragraphs, so a template-sharing or chance bucket collision is never
//!    merged), in chunks of pairs.
//! 4. **components**: union-find over compact `u32` item ids, then per component the keep policy
//!    picks one copy and every other member is checked again against it.
//! 5. **apply** ([`Settled::apply`], per share again): the decisions are written into the
//!    documents as they stream to the output.
//!
//! First at document level, by Jaccard alone; then at paragraph level among the documents still
//! standing, across documents and within one. A document whose text is mostly copies of
//! paragraphs kept elsewhere becomes a document-level duplicate of the document holding most
//! of them. Where the bulk lives ([`Bulk`]: memory or files in the work folder) is the only
//! difference between a small run and a large one, so their outputs are the same bytes.
//!
//! What stays in memory whatever the corpus: per document its id, source and two integers
//! (the id check needs them), and per item about 32 bytes (location, length, order, union-find
//! parent). A corpus of 100 million paragraphs needs about 4 GB for these.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{DedupAction, DedupConfig, KeepPolicy};
use crate::dedup::lsh::{self, LshParams, BUCKET_WINDOW};
use crate::dedup::minhash::{MinHasher, EMPTY};
use crate::dedup::shingle::{part_hashes, Overlap, Shingler};
use crate::dedup::unionfind::UnionFind;
use crate::doc::{Doc, DuplicateRecord, DuplicateTarget};
use crate::input::Rejection;
use crate::output::{ClusterMember, ClusterRecord, DedupSummary};

/// The built near-duplicate stage.
#[derive(Debug)]
pub struct DedupStage {
    config: DedupConfig,
    hasher: MinHasher,
    params: LshParams,
}

/// What [`DedupStage::run`] found.
#[derive(Debug, Default)]
pub struct DedupOutcome {
    /// Figures for the report.
    pub summary: DedupSummary,
    /// Clusters for clusters.jsonl.
    pub clusters: Vec<ClusterRecord>,
}

/// The two levels at which copies are looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Whole documents.
    #[default]
    Document = 0,
    /// Paragraphs.
    Paragraph = 1,
}

/// What the barrier needs to know of one document besides its items.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DocFacts {
    /// The document id (checked for reuse across the corpus).
    pub id: String,
    /// Its source, named when a reused id is rejected.
    pub source: String,
    /// Position in `[dedup] source_priority` (`u32::MAX` when absent).
    pub rank: u32,
    /// Bytes of cleaned text.
    pub text_len: u64,
}

/// The items of one level of one share, as parallel columns (no per-item allocation).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemTable {
    /// Index of the item's document in the share.
    pub doc: Vec<u32>,
    /// Paragraph index (0 for a document item).
    pub paragraph: Vec<u32>,
    /// Byte offset of the item's text in the share's text.
    pub start: Vec<u64>,
    /// Byte length of the item's text.
    pub len: Vec<u32>,
    /// Hash of the whole signature (orders the members of very large buckets); 0 for an item
    /// without shingles, which takes no part in the buckets.
    pub whole: Vec<u64>,
    /// Whether the item has shingles at all.
    pub live: Vec<bool>,
    /// xxh3 of the item's text: identical texts are copies without comparing shingles.
    pub hash: Vec<u64>,
}

impl ItemTable {
    fn count(&self) -> usize {
        self.doc.len()
    }

    /// Room for `n` more items in every column.
    fn reserve(&mut self, n: usize) {
        self.doc.reserve(n);
        self.paragraph.reserve(n);
        self.start.reserve(n);
        self.len.reserve(n);
        self.whole.reserve(n);
        self.live.reserve(n);
        self.hash.reserve(n);
    }

    /// Appends the items of `other`, their text offsets moved `by` bytes on.
    fn append_moved(&mut self, other: &ItemTable, by: u64) {
        self.doc.extend_from_slice(&other.doc);
        self.paragraph.extend_from_slice(&other.paragraph);
        self.start.extend(other.start.iter().map(|s| s + by));
        self.len.extend_from_slice(&other.len);
        self.whole.extend_from_slice(&other.whole);
        self.live.extend_from_slice(&other.live);
        self.hash.extend_from_slice(&other.hash);
    }

    /// Appends one item: where its text is in the share's text (`start`, `len`), the xxh3 of
    /// that text, and its whole-signature hash (`None`: no shingles).
    fn push(&mut self, doc: u32, paragraph: u32, at: (u64, u32), hash: u64, whole: Option<u64>) {
        self.hash.push(hash);
        self.doc.push(doc);
        self.paragraph.push(paragraph);
        self.start.push(at.0);
        self.len.push(at.1);
        self.whole.push(whole.unwrap_or(0));
        self.live.push(whole.is_some());
    }
}

/// An empty map with room for `n` entries, hashed with xxh3 rather than SipHash: the maps
/// of the barrier's serial passes over every document.
fn xxh3_map<K, V>(n: usize) -> HashMap<K, V, xxhash_rust::xxh3::Xxh3DefaultBuilder> {
    HashMap::with_capacity_and_hasher(n, Default::default())
}

/// For each document (with the xxh3 of its text, its paragraphs joined), the position of the
/// first one with the same text: itself, or an earlier document. Equal hashes and lengths are
/// confirmed byte for byte, so a hash collision only costs a text its shortcut.
///
/// The documents are grouped by sorting `(hash, position)` (a radix sort: the hashes are
/// hashes), not through a map: the group's first member with the same length is the
/// candidate, and the byte comparisons, a reprint's whole text each, run in parallel. A map
/// filled in input order cost 20 ms of one thread on the 75 MB corpus.
fn first_of_each_text(docs: &[Doc], hashes: &[u64]) -> Vec<u32> {
    let mut order: Vec<(u64, u32)> = hashes.iter().zip(0u32..).map(|(&h, i)| (h, i)).collect();
    let mut candidate: Vec<u32> = (0..docs.len() as u32).collect();
    for_each_later_copy(
        &mut order,
        |i| joined_len(&docs[i as usize].paragraphs),
        |first, i| candidate[i as usize] = first,
    );
    candidate
        .par_iter()
        .enumerate()
        .map(|(i, &c)| {
            let same =
                c as usize == i || joined_eq(&docs[c as usize].paragraphs, &docs[i].paragraphs);
            if same {
                c
            } else {
                i as u32
            }
        })
        .collect()
}

/// Groups `order`, `(hash, id)` pairs, by hash (a radix sort: the hashes are hashes) and calls
/// `copy(first, id)` for each id whose hash and length `len(id)` an earlier id has: `first` is
/// the earliest such. Neither the texts nor anything else is compared: the caller decides what
/// a copy found this way is.
fn for_each_later_copy<L: PartialEq>(
    order: &mut [(u64, u32)],
    len: impl Fn(u32) -> L,
    mut copy: impl FnMut(u32, u32),
) {
    crate::dedup::radix::sort(order, &mut Vec::new());
    // (length, first id) of the lengths met in the current group: one, but for a collision.
    let mut firsts: Vec<(L, u32)> = Vec::new();
    for group in order.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        firsts.clear();
        // Members come in id order: the first of each length leads it.
        for &(_, i) in group {
            let l = len(i);
            match firsts.iter().find(|(m, _)| *m == l) {
                Some(&(_, first)) => copy(first, i),
                None => firsts.push((l, i)),
            }
        }
    }
}

/// The band-major keys of `n` items (band `b` at `b * n + i`) cut for blocks of `block`
/// consecutive items: for block `k`, the stretch of each band that holds its items' keys
/// (band `b`'s at `[b]`). Blocks signed in parallel write their keys in place this way, and the
/// keys are never gathered from per-block copies: a serial copy of every key, into memory
/// freshly faulted in (14 MB for the 75 MB corpus).
fn band_slots(keys: &mut [u64], n: usize, block: usize) -> Vec<Vec<&mut [u64]>> {
    let mut slots: Vec<Vec<&mut [u64]>> = (0..n.div_ceil(block)).map(|_| Vec::new()).collect();
    if n > 0 {
        for band in keys.chunks_mut(n) {
            for (k, stretch) in band.chunks_mut(block).enumerate() {
                slots[k].push(stretch);
            }
        }
    }
    slots
}

/// The small part of a signed share: facts per document and item columns per level.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SignedMeta {
    /// Per document, in the share's order.
    pub docs: Vec<DocFacts>,
    /// Document items, then paragraph items.
    pub levels: [ItemTable; 2],
}

/// The large part of a signed share: band keys and texts.
#[derive(Debug, Clone, Default)]
pub struct SignedBulk {
    /// Per level, band-major: key of band `b` of item `i` at `b * items + i`.
    pub keys: [Vec<u64>; 2],
    /// The documents' texts (paragraphs joined by `\n`) one after the other.
    pub text: ShareText,
    /// Per level, whether `keys` is computed (the document keys always are; the paragraph
    /// keys of a fresh share only once the document level has settled).
    pub done: [bool; 2],
    /// The shingle hashes that signing computed, while the share stays in memory.
    pub shingles: ShingleCache,
}

/// The shingle hashes of a share's documents as signing computed them (text order, repeats
/// kept), with where each document's paragraphs end among its tokens: verification and the
/// paragraph level read a text's shingles here rather than tokenizing it again. Only a share
/// signed in this process has them (a share read back from the work folder or an index has
/// none, and its texts are tokenized as they are needed); they cost 8 bytes per token.
#[derive(Debug, Clone, Default)]
pub struct ShingleCache {
    /// Per block of documents signed together: their hashes, their paragraph ends.
    blocks: Vec<(Vec<u64>, Vec<u32>)>,
    /// Per document: its block, then start and length of its hashes and of its ends; `None`
    /// for a document not shingled (a reprint of an earlier text, or the pass off).
    at: Vec<Option<[usize; 5]>>,
}

impl ShingleCache {
    /// The hashes of document `doc`, or of its paragraph `paragraph`, with shingles of `n`
    /// tokens (those it was signed with); `None` when they must come from the text.
    fn get(&self, doc: u32, paragraph: Option<u32>, n: usize) -> Option<&[u64]> {
        let [block, start, len, ends_start, ends_len] = (*self.at.get(doc as usize)?)?;
        let (hashes, ends) = &self.blocks[block];
        let all = &hashes[start..start + len];
        match paragraph {
            None => Some(all),
            Some(p) => part_hashes(all, &ends[ends_start..ends_start + ends_len], p as usize, n),
        }
    }
}

/// The text of a signed share, addressed by byte offset as if its documents' texts (each its
/// paragraphs joined by `\n`) were one string, but kept as the documents' paragraphs: a share
/// of a large run is gigabytes, and copying every text into one string was a serial pass over
/// the corpus. An in-memory run lends the paragraphs to the share while it is settled
/// ([`DedupStage::sign_lending`]) and takes them back for the documents, so the corpus is
/// not copied at all.
#[derive(Debug, Clone, Default)]
pub struct ShareText {
    /// Per document, its paragraphs.
    docs: Vec<Vec<String>>,
    /// Offset of each document's text; `len` after the last.
    starts: Vec<u64>,
    len: u64,
    /// Whether the paragraphs are lent by the documents, to be given back.
    lent: bool,
}

impl ShareText {
    /// Total length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether there is no text at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a document's text, as its paragraphs (moved, not copied), at offset
    /// [`ShareText::len`].
    pub fn push(&mut self, paragraphs: Vec<String>) {
        self.starts.push(self.len);
        self.len += joined_len(&paragraphs) as u64;
        self.docs.push(paragraphs);
    }

    /// The text at `start..start + len`, when it lies inside one document's (an item's text
    /// always does). Borrowed when it lies inside one paragraph, as a paragraph item's does;
    /// a document of several paragraphs is joined.
    pub fn get(&self, start: u64, len: u32) -> Option<Cow<'_, str>> {
        let at = self
            .starts
            .partition_point(|&s| s <= start)
            .checked_sub(1)?;
        let from = usize::try_from(start - self.starts[at]).ok()?;
        let to = from.checked_add(len as usize)?;
        let paragraphs = &self.docs[at];
        let mut p_start = 0;
        for p in paragraphs {
            let p_end = p_start + p.len();
            if to <= p_end {
                if from >= p_start {
                    return p.get(from - p_start..to - p_start).map(Cow::Borrowed);
                }
                break;
            }
            p_start = p_end + 1;
        }
        let joined = paragraphs.join("\n");
        if from == 0 && to == joined.len() {
            return Some(Cow::Owned(joined));
        }
        joined.get(from..to).map(|s| Cow::Owned(s.to_string()))
    }

    /// Returns the paragraphs lent by [`DedupStage::sign_lending`] to `docs`, the documents
    /// they were signed from; a share that borrowed nothing gives nothing back.
    pub fn give_back(self, docs: &mut [Doc]) {
        if self.lent {
            docs.par_iter_mut()
                .zip(self.docs)
                .for_each(|(doc, paragraphs)| doc.paragraphs = paragraphs);
        }
    }

    /// Every piece in order: the share's text as one string, for writing it out.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        self.docs.iter().flat_map(|paragraphs| {
            paragraphs
                .iter()
                .enumerate()
                .flat_map(|(i, p)| [if i == 0 { "" } else { "\n" }, p.as_str()])
        })
    }
}

impl From<String> for ShareText {
    fn from(text: String) -> ShareText {
        let mut t = ShareText::default();
        t.push(vec![text]);
        t
    }
}

/// The length of `paragraphs` joined by `\n`.
fn joined_len(paragraphs: &[String]) -> usize {
    paragraphs.iter().map(String::len).sum::<usize>() + paragraphs.len().saturating_sub(1)
}

/// The xxh3 of `paragraphs` joined by `\n`, without joining them (the streaming hash is the
/// one-shot hash of the concatenation).
fn joined_hash(paragraphs: &[String]) -> u64 {
    match paragraphs {
        [] => xxhash_rust::xxh3::xxh3_64(b""),
        [one] => xxhash_rust::xxh3::xxh3_64(one.as_bytes()),
        [first, rest @ ..] => {
            let mut h = xxhash_rust::xxh3::Xxh3Default::new();
            h.update(first.as_bytes());
            for p in rest {
                h.update(b"\n");
                h.update(p.as_bytes());
            }
            h.digest()
        }
    }
}

/// Whether `a` and `b` joined by `\n` are the same text: the same paragraphs, or (a
/// paragraph holding a `\n`, rare) the same joined bytes.
fn joined_eq(a: &[String], b: &[String]) -> bool {
    a == b || (joined_len(a) == joined_len(b) && a.join("\n") == b.join("\n"))
}

/// A signed share.
#[derive(Debug, Clone, Default)]
pub struct Signed {
    /// Facts and item columns.
    pub meta: SignedMeta,
    /// Keys and texts.
    pub bulk: SignedBulk,
}

/// Where the bulk of the signed shares lives: in memory, or in files of a work folder.
pub trait Bulk: Sync {
    /// Appends the keys of band `band` of `level` of share `part` to `out`.
    fn keys(&self, part: usize, level: Level, band: usize, out: &mut Vec<u64>) -> io::Result<()>;
    /// The text at `start..start + len` of share `part`.
    fn text(&self, part: usize, start: u64, len: u32) -> io::Result<Cow<'_, str>>;
    /// Whether the keys of `level` of share `part` are there (an index share's paragraph keys
    /// are; a fresh share's are computed once the document level has settled).
    fn has_keys(&self, part: usize, level: Level) -> bool;
    /// Keeps the band-major keys of `level` of share `part`, computed after the share was
    /// signed (paragraphs are signed only once the document level has settled).
    fn store_keys(&mut self, part: usize, level: Level, keys: Vec<u64>) -> io::Result<()>;
    /// The shingle hashes (text order, repeats kept) of document `doc` of share `part`, or of
    /// its paragraph `paragraph`, when signing kept them (see [`ShingleCache`]).
    fn shingles(&self, _part: usize, _doc: u32, _paragraph: Option<u32>) -> Option<&[u64]> {
        None
    }
}

/// Signed shares held in memory.
#[derive(Debug, Default)]
pub struct MemoryBulk {
    /// Per share.
    pub parts: Vec<SignedBulk>,
    /// Bands per signature.
    pub bands: usize,
    /// Tokens per shingle, for the paragraphs' shingles read off their documents'.
    pub shingle_size: usize,
}

impl Bulk for MemoryBulk {
    fn keys(&self, part: usize, level: Level, band: usize, out: &mut Vec<u64>) -> io::Result<()> {
        let keys = &self.parts[part].keys[level as usize];
        let n = keys.len() / self.bands.max(1);
        out.extend_from_slice(&keys[band * n..(band + 1) * n]);
        Ok(())
    }

    fn text(&self, part: usize, start: u64, len: u32) -> io::Result<Cow<'_, str>> {
        let text = &self.parts[part].text;
        text.get(start, len).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "item outside its share's text")
        })
    }

    fn has_keys(&self, part: usize, level: Level) -> bool {
        self.parts[part].done[level as usize]
    }

    fn store_keys(&mut self, part: usize, level: Level, keys: Vec<u64>) -> io::Result<()> {
        self.parts[part].done[level as usize] = true;
        self.parts[part].keys[level as usize] = keys;
        Ok(())
    }

    fn shingles(&self, part: usize, doc: u32, paragraph: Option<u32>) -> Option<&[u64]> {
        self.parts[part]
            .shingles
            .get(doc, paragraph, self.shingle_size)
    }
}

/// Where the shingle hashes of an item to sign come from.
enum Source<'t> {
    /// Kept from signing its document (see [`ShingleCache`]).
    Hashes(&'t [u64]),
    /// Its text, tokenized now.
    Text(Cow<'t, str>),
}

/// What verification compares: computed again from the text when a pair needs it.
struct Features<'a> {
    shingles: Vec<u64>,
    words: usize,
    /// Borrowed from the bulk when it is in memory.
    text: Cow<'a, str>,
    /// Hashes of the numbers in the text, in text order (see [`figures_agree`]); computed
    /// only when a comparison needs them.
    figures: std::cell::OnceCell<Vec<u64>>,
    /// The same, sorted: what a comparison of two long texts needs (each text is compared
    /// with two others or more: sorted once, not once per comparison).
    sorted_figures: std::cell::OnceCell<Vec<u64>>,
    /// Hashes of the names in the text, sorted (see [`names_agree`]); computed only when a
    /// comparison with a short text needs them.
    names: std::cell::OnceCell<Vec<u64>>,
}

impl Features<'_> {
    fn figures(&self) -> &[u64] {
        self.figures.get_or_init(|| figures(&self.text))
    }

    fn sorted_figures(&self) -> &[u64] {
        self.sorted_figures.get_or_init(|| {
            let mut sorted = self.figures().to_vec();
            sorted.sort_unstable();
            sorted
        })
    }

    fn names(&self) -> &[u64] {
        self.names.get_or_init(|| names(&self.text))
    }
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

/// Hashes of the figures in `text` ("28", "6-1/4", "1,500km", "$3.5", "nine"), in text order,
/// repeats kept: "23 vs 23" and "23 vs 21" are different figures, and so are "loss three cts vs
/// loss 12 cts" and "loss 12 cts vs loss three cts". A figure is a word that starts with a
/// digit (after an opening bracket, quote or currency sign), so the digits inside names such as
/// "MiG-29" or "w12" are not figures, or a number word.
fn figures(text: &str) -> Vec<u64> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if ASCII_SPACE[b as usize] {
                i += 1;
                continue;
            }
            // Most words cannot be a figure: one that starts with an ASCII letter (no opening
            // mark to strip) is a number word or nothing. This runs on every word of every
            // text compared, so [`figure`]'s rule for it is read off the bytes here.
            //
            // The run of letters the word starts with is read first: when whitespace follows
            // it (most words), it is the word, and the word's end needs no search.
            if b.is_ascii_alphabetic() {
                let (lower, run) = letter_head(bytes, i);
                let after = i + run;
                let end = match bytes.get(after) {
                    Some(&c) if !(c.is_ascii() && ASCII_SPACE[c as usize]) => word_end(text, after),
                    _ => after,
                };
                // The run is the head: letters are not whitespace, so the word goes on at
                // least as far.
                let closed = end == after || CUT[bytes[after] as usize];
                if let Some(h) = number_word_of(lower, run, closed) {
                    out.push(h);
                }
                i = end;
                continue;
            }
        } else {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            if c.is_whitespace() {
                i += c.len_utf8();
                continue;
            }
        }
        let end = word_end(text, i + 1);
        if let Some(h) = figure(&text[i..end]) {
            out.push(h);
        }
        i = end;
    }
    out
}

/// The hash of the number word that `word` begins with up to its first `-,.;:)`, if it is one
/// ("nine-tenths", "Three,"): the rule of [`figure`] for a word that does not start with a digit.
fn number_word(word: &[u8]) -> Option<u64> {
    number_word_at(word, 0, word.len())
}

/// [`number_word`] of the word at `bytes[start..end]`.
///
/// This runs on every word of every long text compared, and whether a word is a number word,
/// or even starts like one, is as good as random to a branch predictor. So the word's first
/// eight bytes are read as one integer (the longest number word, "thousand", has eight), and
/// found with bit operations: a number word's head is a run of ASCII letters that the word's
/// end or a cut (`-,.;:)`) closes, so the head is the run of letters at the start, taken when
/// what follows it closes it. The head is lower-cased and compared with every number word at
/// once: the only branch that depends on the word is the rare hit.
#[inline(always)]
fn number_word_at(bytes: &[u8], start: usize, end: usize) -> Option<u64> {
    let (lower, run) = letter_head(bytes, start);
    let len = end - start;
    let head = run.min(len);
    let closed = head == len || bytes.get(start + head).is_some_and(|b| CUT[*b as usize]);
    number_word_of(lower, head, closed)
}

/// The first eight bytes at `start` (zeros past the end) with ASCII letters lower-cased, and
/// how many of them are ASCII letters before the first that is not.
#[inline(always)]
fn letter_head(bytes: &[u8], start: usize) -> (u64, usize) {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let w = match bytes.get(start..start + 8) {
        Some(eight) => u64::from_le_bytes(eight.try_into().expect("eight bytes")),
        None => {
            let mut b = [0u8; 8];
            b[..bytes.len() - start].copy_from_slice(&bytes[start..]);
            u64::from_le_bytes(b)
        }
    };
    // Bit 5 lower-cases an ASCII letter and turns no other byte into a letter (a byte past
    // 0x7F stays there; below 0x41 only non-letters gain it).
    let lower = w | (0x20 * LOW);
    // The letters: lanes of seven bits (the high bit cleared, so no sum carries into the next
    // lane) between `a` and `z`, and not past ASCII.
    let seven = lower & !HIGH;
    let at_least_a = seven + (0x80 - u64::from(b'a')) * LOW;
    let above_z = seven + (0x7F - u64::from(b'z')) * LOW;
    let letters = at_least_a & !above_z & !w & HIGH;
    let run = ((!letters & HIGH).trailing_zeros() / 8) as usize;
    (lower, run)
}

/// The hash of the number word whose lower-cased first bytes are `lower`, of which the first
/// `head` are its letters, `closed` when the word ends there or a cut follows; `None` when
/// that is no number word.
#[inline(always)]
fn number_word_of(lower: u64, head: usize, closed: bool) -> Option<u64> {
    let mask = u64::MAX
        .checked_shl(8 * head as u32)
        .map_or(u64::MAX, |m| !m);
    let key = lower & mask;
    let hit = closed & (3..=8).contains(&head) & (NUMBER_SLOTS[number_slot(key)] == key);
    hit.then(|| xxhash_rust::xxh3::xxh3_64(&key.to_le_bytes()[..head]))
}

/// [`CUT_BYTES`] as a table by byte.
const CUT: [bool; 256] = {
    let mut t = [false; 256];
    let mut n = 0;
    while n < CUT_BYTES.len() {
        t[CUT_BYTES[n] as usize] = true;
        n += 1;
    }
    t
};

/// [`NUMBER_KEYS`] by [`number_slot`]: one comparison tells whether a key is a number word.
/// Empty slots hold 0, which no head of three bytes or more is.
const NUMBER_SLOTS: [u64; 32] = {
    let mut slots = [0u64; 32];
    let mut n = 0;
    while n < NUMBER_KEYS.len() {
        let slot = number_slot(NUMBER_KEYS[n]);
        assert!(slots[slot] == 0, "two number words share a slot");
        slots[slot] = NUMBER_KEYS[n];
        n += 1;
    }
    slots
};

/// A perfect hash of the number words' keys into 32 slots (the multiplier was searched for:
/// the build fails if two number words collide).
const fn number_slot(key: u64) -> usize {
    (key.wrapping_mul(0x692e_e215_4ddb_a70b) >> 59) as usize
}

/// The bytes that end a number word's head ("nine-tenths", "Three,").
const CUT_BYTES: [u8; 6] = *b"-,.;:)";

/// [`NUMBER_WORDS`] as little-endian integers of their bytes, zero-padded.
const NUMBER_KEYS: [u64; NUMBER_WORDS.len()] = {
    let mut keys = [0u64; NUMBER_WORDS.len()];
    let mut n = 0;
    while n < NUMBER_WORDS.len() {
        let w = NUMBER_WORDS[n].as_bytes();
        let mut i = 0;
        while i < w.len() {
            keys[n] |= (w[i] as u64) << (8 * i);
            i += 1;
        }
        n += 1;
    }
    keys
};

/// Whitespace by `char::is_whitespace`, for ASCII bytes.
const ASCII_SPACE: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8 as char).is_whitespace();
        b += 1;
    }
    t
};

/// The end of the word that goes on at byte `from` of `text` (on a char boundary or inside the
/// word's first character): the offset of the next whitespace character, or the text's length.
/// The words cut this way are those of `str::split_whitespace`; only bytes past ASCII are
/// decoded.
#[inline]
fn word_end(text: &str, from: usize) -> usize {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let bytes = text.as_bytes();
    let mut i = from;
    // Eight bytes at a time over printable ASCII, which is most of a word: only a byte at or
    // below a space, or past ASCII, can be whitespace. The lowest lane flagged is exact (a
    // borrow of the subtraction only reaches lanes above a flagged one); the bytes from it on
    // are read one by one below.
    while let Some(eight) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
        let stop = ((w.wrapping_sub(0x21 * LOW) & !w) | w) & HIGH;
        if stop != 0 {
            i += (stop.trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if ASCII_SPACE[b as usize] {
                return i;
            }
            i += 1;
        } else if b & 0xC0 == 0x80 {
            // A continuation byte of the character before: never a start of whitespace.
            i += 1;
        } else {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            if c.is_whitespace() {
                return i;
            }
            i += c.len_utf8();
        }
    }
    bytes.len()
}

/// The whitespace-separated words of `text`, as [`figures`] cuts them.
#[cfg(test)]
fn words(text: &str) -> impl Iterator<Item = &str> {
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(c) = text[i..].chars().next().filter(|c| c.is_whitespace()) {
            i += c.len_utf8();
        }
        if i == text.len() {
            return None;
        }
        let start = i;
        i = word_end(text, i + 1);
        Some(&text[start..i])
    })
}

/// The hash of the figure that `w` (one whitespace-separated word) is, if it is one.
fn figure(w: &str) -> Option<u64> {
    let w = w.trim_start_matches(|c: char| {
        matches!(
            c,
            '(' | '[' | '"' | '\'' | '“' | '‘' | '$' | '£' | '€' | '¥'
        )
    });
    if w.starts_with(|c: char| c.is_ascii_digit()) {
        let end = w
            .find(|c: char| !(c.is_ascii_digit() || ".,/-".contains(c)))
            .unwrap_or(w.len());
        let number = w[..end].trim_end_matches(['.', ',', '/', '-']);
        return Some(xxhash_rust::xxh3::xxh3_64(number.as_bytes()));
    }
    number_word(w.as_bytes())
}

/// Long texts with at least this many figures each are compared on them too (see
/// [`figures_agree`]).
const FIGURES_MIN_LONG: usize = 4;

/// Whether two texts agree on their figures.
///
/// Short texts: the numbers of the one with fewer numbers appear in the other, as often and in
/// the same order (a copy cut short keeps a subsequence of the figures; a template line for
/// another company or another quarter does not, nor does a results line with this year's and
/// last year's figures swapped). Long texts with at least [`FIGURES_MIN_LONG`] figures each: at
/// least half of the figures of the one with fewer appear in the other. A reprint keeps its
/// numbers, even cut or copy-edited, while a weekly report or a results table published again
/// for the next week shares its sentences and changes its numbers ("products supplied rose 2.1
/// pct in the four weeks ended February 27" against "2.3 pct ... March 13"). Texts without
/// numbers always agree: the shingles decide.
fn figures_agree(x: &Features<'_>, y: &Features<'_>) -> bool {
    let short = x.words.min(y.words) <= FIGURES_MAX_WORDS;
    let (fx, fy) = (x.figures(), y.figures());
    if fx.is_empty() || fy.is_empty() {
        return true;
    }
    let (small, large) = if fx.len() <= fy.len() {
        (fx, fy)
    } else {
        (fy, fx)
    };
    if short {
        // A subsequence, greedily: each figure of the smaller found after the previous one.
        let mut rest = large.iter();
        return small.iter().all(|h| rest.any(|x| x == h));
    }
    if small.len() < FIGURES_MIN_LONG {
        return true;
    }
    // Multiset intersection, order aside: a long copy may move a paragraph.
    let (x, y) = (x.sorted_figures(), y.sorted_figures());
    let (small, large) = if fx.len() <= fy.len() { (x, y) } else { (y, x) };
    let mut rest = large.iter().peekable();
    let shared = small
        .iter()
        .filter(|&h| {
            while rest.next_if(|x| *x < h).is_some() {}
            rest.next_if(|x| *x == h).is_some()
        })
        .count();
    2 * shared >= small.len()
}

/// Hashes of the names in `text`, sorted, repeats kept: the capitalized words that do not begin
/// a sentence ("Chicago", "Toledo", "August", "NOTE" after a colon is not one), with opening
/// quotes and brackets, closing punctuation and a possessive `'s` stripped.
fn names(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    // The first word, and a word after a sentence end, a colon or a dash, is capitalized by
    // grammar, not because it is a name; a dateline dropped or added moves that position.
    let mut initial = true;
    for w in text.split_whitespace() {
        let bare = w.trim_start_matches(|c: char| !c.is_alphanumeric());
        let closing = w.trim_end_matches(|c: char| "\"'”’)]}".contains(c));
        let ends_sentence =
            closing.ends_with(['.', '!', '?', ':', ';']) || matches!(w, "-" | "--" | "–" | "—");
        if !initial && bare.starts_with(char::is_uppercase) {
            let name = bare.trim_end_matches(|c: char| !c.is_alphanumeric());
            let name = name
                .strip_suffix("'s")
                .or_else(|| name.strip_suffix("’s"))
                .unwrap_or(name);
            // Copy desks change the apostrophe's style, not the name: "O'Neill" = "O’Neill".
            let h = if name.contains('’') {
                xxhash_rust::xxh3::xxh3_64(name.replace('’', "'").as_bytes())
            } else {
                xxhash_rust::xxh3::xxh3_64(name.as_bytes())
            };
            out.push(h);
        }
        initial = ends_sentence;
    }
    out.sort_unstable();
    out
}

/// Whether two texts agree on their names. Only short texts are compared (see
/// [`FIGURES_MAX_WORDS`]): they disagree when each has a name the other lacks, counted with
/// repeats. That is a substitution, the mark of one template filled in twice ("stocks of soybeans
/// in Chicago" against "of corn in Toledo", "stock dividend in December" against "in August").
/// A copy cut short, or one that dropped its dateline, only loses names, and agrees.
fn names_agree(x: &Features<'_>, y: &Features<'_>) -> bool {
    if x.words.min(y.words) > FIGURES_MAX_WORDS {
        return true;
    }
    let (a, b) = (x.names(), y.names());
    let (mut i, mut j) = (0, 0);
    let (mut only_a, mut only_b) = (false, false);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                only_a = true;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                only_b = true;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    only_a |= i < a.len();
    only_b |= j < b.len();
    !(only_a && only_b)
}

/// Whether two texts may be copies on what shingles cannot weigh: their figures and names.
fn facts_agree(x: &Features<'_>, y: &Features<'_>) -> bool {
    figures_agree(x, y) && names_agree(x, y)
}

/// Share of a dropped paragraph's shingles that the kept one must hold. Jaccard links two
/// versions of a paragraph that each added sentences of their own; dropping one would lose its
/// sentences, so a paragraph is dropped only when at least this much of it is in what is kept.
/// A copy-edited or lightly spun reprint is above it (3% of words spun leaves about 94%).
/// Documents are not held to it: a document that is not dropped whole is still cut paragraph
/// by paragraph, and `document_share` decides what is left.
const MIN_COVERAGE: f64 = 0.7;

/// One paragraph (or document) copy found: `member` is a copy of `keep`.
#[derive(Debug, Clone, Copy)]
pub struct DupRecord {
    /// Paragraph index in this document.
    pub paragraph: u32,
    /// Ordinal of the document holding the kept copy.
    pub of_doc: u32,
    /// Its paragraph index.
    pub of_paragraph: u32,
    /// Rounded Jaccard with the kept copy.
    pub similarity: f64,
    /// Cluster id.
    pub cluster: u64,
}

/// A cluster by ordinals, rendered to a [`ClusterRecord`] with the ids when written.
#[derive(Debug, Clone)]
pub struct CompactCluster {
    level: Level,
    kept: (u32, u32),
    /// `(ordinal, paragraph, similarity, containment)`.
    members: Vec<(u32, u32, f64, Option<f64>)>,
}

/// Everything the barrier decided, by document ordinal.
#[derive(Debug, Default)]
pub struct Decisions {
    /// Figures for the report.
    pub summary: DedupSummary,
    /// Per ordinal: the document this one is a copy of.
    pub duplicate_of: Vec<Option<u32>>,
    /// Per ordinal: its paragraph copies, by paragraph.
    pub records: Vec<Vec<DupRecord>>,
    /// Every cluster, in the order of its kept copy.
    pub clusters: Vec<CompactCluster>,
}

/// The settled corpus-wide state: ordinals after the id check, ids by ordinal, and the
/// decisions; what the apply pass needs to finish each share.
#[derive(Debug, Default)]
pub struct Settled {
    /// Per share, per document: its ordinal, or `None` when its id was used before.
    pub ordinals: Vec<Vec<Option<u32>>>,
    /// Ids by ordinal.
    pub ids: Vec<String>,
    /// Documents rejected for reusing an id, in input order.
    pub id_rejections: Vec<Rejection>,
    /// The near-duplicate decisions.
    pub decisions: Decisions,
    /// Whether copies are removed (`drop`) or only recorded (`mark`).
    pub drop: bool,
    /// Leading shares that are an earlier run's index (`--against`): compared, not written.
    pub previous: usize,
}

impl Settled {
    /// Checks ids across the shares: a later document reusing an id is rejected rather than
    /// silently renamed, since ids name documents in the output and in duplicate links. The
    /// others are numbered in input order.
    pub fn number(metas: &[SignedMeta]) -> Settled {
        // Sized for every id at once, and hashed with xxh3 rather than SipHash: this is one
        // serial pass over every document of the corpus.
        let ids: usize = metas.iter().map(|m| m.docs.len()).sum();
        let mut first_seen: HashMap<&str, &str, _> = xxh3_map(ids);
        let mut settled = Settled::default();
        for meta in metas {
            let mut ords = Vec::with_capacity(meta.docs.len());
            for facts in &meta.docs {
                if let Some(first) = first_seen.get(facts.id.as_str()) {
                    settled.id_rejections.push(Rejection::file(
                        facts.source.clone(),
                        format!("duplicate id {:?} (first used by {first})", facts.id),
                    ));
                    ords.push(None);
                } else {
                    first_seen.insert(&facts.id, &facts.source);
                    ords.push(Some(settled.ids.len() as u32));
                    settled.ids.push(facts.id.clone());
                }
            }
            settled.ordinals.push(ords);
        }
        settled
    }

    /// Applies the decisions to the documents of share `part` (as signed, in order): drops
    /// those with a reused id, numbers the others and records their copies.
    pub fn apply(&self, part: usize, mut docs: Vec<Doc>) -> Vec<Doc> {
        let ords = &self.ordinals[self.previous + part];
        // In parallel and in place: moving every document of the share into a new vector
        // was a serial copy of the corpus's records.
        docs.par_iter_mut()
            .zip(ords.par_iter())
            .for_each(|(doc, ord)| {
                let Some(ord) = *ord else { return };
                let ord = ord as usize;
                doc.ordinal = ord;
                let d = &self.decisions;
                if let Some(of) = d.duplicate_of.get(ord).copied().flatten() {
                    doc.duplicate_of = Some(self.ids[of as usize].clone());
                }
                for r in d.records.get(ord).map(Vec::as_slice).unwrap_or_default() {
                    let p = r.paragraph as usize;
                    doc.duplicates.push(DuplicateRecord {
                        paragraph: p,
                        of: DuplicateTarget {
                            id: self.ids[r.of_doc as usize].clone(),
                            paragraph: r.of_paragraph as usize,
                        },
                        similarity: r.similarity,
                        cluster: r.cluster,
                        text: self.drop.then(|| doc.paragraphs[p].clone()),
                    });
                    if self.drop {
                        doc.dropped_paragraphs.push(p);
                    }
                }
                doc.dropped_paragraphs.sort_unstable();
            });
        // Documents whose id was used before are not written (they are rejected): rare, so
        // the others move only when there are some.
        if ords.iter().any(Option::is_none) {
            let mut ord = ords.iter();
            docs.retain(|_| ord.next().is_some_and(Option::is_some));
        }
        docs
    }

    /// The clusters as written to clusters.jsonl.
    pub fn cluster_records(&self) -> impl Iterator<Item = ClusterRecord> + '_ {
        self.decisions.clusters.iter().enumerate().map(|(n, c)| {
            let para = |p: u32| (c.level == Level::Paragraph).then_some(p as usize);
            ClusterRecord {
                cluster: n as u64,
                level: match c.level {
                    Level::Document => "document",
                    Level::Paragraph => "paragraph",
                },
                kept: ClusterMember {
                    id: self.ids[c.kept.0 as usize].clone(),
                    paragraph: para(c.kept.1),
                    similarity: None,
                    containment: None,
                },
                members: c
                    .members
                    .iter()
                    .map(|&(d, p, sim, cont)| ClusterMember {
                        id: self.ids[d as usize].clone(),
                        paragraph: para(p),
                        similarity: Some(sim),
                        containment: cont,
                    })
                    .collect(),
            }
        })
    }
}

/// The items of one level of the whole corpus, flattened from the shares, as columns.
#[derive(Default)]
struct Items {
    /// Which level the items are of.
    level: Level,
    part: Vec<u32>,
    /// Index of the item's document in its share.
    doc: Vec<u32>,
    start: Vec<u64>,
    len: Vec<u32>,
    /// Document ordinal, `u32::MAX` for an item whose document's id was rejected.
    ord: Vec<u32>,
    paragraph: Vec<u32>,
    whole: Vec<u64>,
    live: Vec<bool>,
    hash: Vec<u64>,
    /// Where each share's items start.
    base: Vec<usize>,
    /// Ordinals below this are documents of an earlier run's index: always kept, never
    /// recorded as copies.
    first_new: u32,
}

impl Items {
    /// Moves the columns of `level` out of every share's tables into one, keeping the items
    /// whose document (by ordinal) passes `keep`: at paragraph level, the documents still
    /// standing, often a minority of a syndicated corpus. Columns are allocated at their final
    /// size, not grown, so the peak is the columns themselves.
    fn gather(
        tables: &mut [[ItemTable; 2]],
        level: Level,
        ordinals: &[Vec<Option<u32>>],
        keep: impl Fn(Option<u32>) -> bool,
    ) -> Items {
        let l = level as usize;
        let total: usize = tables
            .iter()
            .enumerate()
            .map(|(p, t)| {
                t[l].doc
                    .iter()
                    .filter(|&&d| keep(ordinals[p][d as usize]))
                    .count()
            })
            .sum();
        let mut it = Items {
            level,
            part: Vec::with_capacity(total),
            doc: Vec::with_capacity(total),
            start: Vec::with_capacity(total),
            len: Vec::with_capacity(total),
            ord: Vec::with_capacity(total),
            paragraph: Vec::with_capacity(total),
            whole: Vec::with_capacity(total),
            live: Vec::with_capacity(total),
            hash: Vec::with_capacity(total),
            ..Items::default()
        };
        for (p, levels) in tables.iter_mut().enumerate() {
            let t = std::mem::take(&mut levels[l]);
            it.base.push(it.part.len());
            for i in 0..t.count() {
                let ord = ordinals[p][t.doc[i] as usize];
                if !keep(ord) {
                    continue;
                }
                it.part.push(p as u32);
                it.doc.push(t.doc[i]);
                it.start.push(t.start[i]);
                it.len.push(t.len[i]);
                it.ord.push(ord.unwrap_or(u32::MAX));
                it.paragraph.push(t.paragraph[i]);
                it.whole.push(t.whole[i]);
                it.live.push(t.live[i]);
                it.hash.push(t.hash[i]);
            }
        }
        it.base.push(it.part.len());
        it
    }

    fn count(&self) -> usize {
        self.part.len()
    }
}

/// One cluster found at a level: the kept item and `(member, Jaccard, containment)` of each
/// copy of it.
type Found = (u32, Vec<(u32, f64, f64)>);

/// The features of one candidate component's members, computed when first needed: two items
/// with the same text (the same hash and length) are copies without them, and in a syndicated
/// corpus most pairs are such exact reprints.
struct Lazy<'a> {
    stage: &'a DedupStage,
    items: &'a Items,
    bulk: &'a dyn Bulk,
    /// Sorted; the cache is indexed by position in it.
    members: &'a [u32],
    /// For each member (by position), the position of the first member with the same text
    /// (hash and length): reprints of one text share its features, computed once. A
    /// syndicated corpus is full of them.
    text_of: Vec<u32>,
    cache: RefCell<Vec<Option<std::rc::Rc<Features<'a>>>>>,
    shingler: RefCell<Shingler>,
}

impl<'a> Lazy<'a> {
    fn new(
        stage: &'a DedupStage,
        items: &'a Items,
        bulk: &'a dyn Bulk,
        members: &'a [u32],
        shingler: Shingler,
    ) -> Lazy<'a> {
        let mut first: HashMap<(u64, u32), u32> = HashMap::with_capacity(members.len());
        let text_of = members
            .iter()
            .enumerate()
            .map(|(at, &m)| {
                let key = (items.hash[m as usize], items.len[m as usize]);
                *first.entry(key).or_insert(at as u32)
            })
            .collect();
        Lazy {
            stage,
            items,
            bulk,
            members,
            text_of,
            cache: RefCell::new(vec![None; members.len()]),
            shingler: RefCell::new(shingler),
        }
    }

    fn same(&self, a: u32, b: u32) -> bool {
        let (a, b) = (a as usize, b as usize);
        self.items.hash[a] == self.items.hash[b] && self.items.len[a] == self.items.len[b]
    }

    fn get(&self, id: u32) -> io::Result<std::rc::Rc<Features<'a>>> {
        let at = self.members.binary_search(&id).expect("member");
        let at = self.text_of[at] as usize;
        let id = self.members[at];
        if let Some(f) = &self.cache.borrow()[at] {
            return Ok(f.clone());
        }
        let i = id as usize;
        let part = self.items.part[i] as usize;
        let text = self
            .bulk
            .text(part, self.items.start[i], self.items.len[i])?;
        let paragraph = (self.items.level == Level::Paragraph).then(|| self.items.paragraph[i]);
        let kept = self.bulk.shingles(part, self.items.doc[i], paragraph);
        let f = std::rc::Rc::new(
            self.stage
                .features(&mut self.shingler.borrow_mut(), text, kept),
        );
        self.cache.borrow_mut()[at] = Some(f.clone());
        Ok(f)
    }

    fn verified(&self, a: u32, b: u32, use_containment: bool) -> io::Result<bool> {
        if self.same(a, b) {
            return Ok(true);
        }
        Ok(self
            .stage
            .verified(&*self.get(a)?, &*self.get(b)?, use_containment))
    }

    /// `Some((Jaccard, containment))` when `member` may be dropped as a copy of `kept`.
    fn copy_of(
        &self,
        member: u32,
        kept: u32,
        use_containment: bool,
    ) -> io::Result<Option<(f64, f64)>> {
        if self.same(member, kept) {
            return Ok(Some((1.0, 1.0)));
        }
        let (m, k) = (self.get(member)?, self.get(kept)?);
        Ok(self.stage.copy_of(&m, &k, use_containment))
    }
}

/// The exact copies among the `active` items of a level: items with the text of an earlier
/// active item (the same hash and length, the test of `Lazy::same`). Returns which items go
/// into the bands (the active ones less the copies) and the pairs `(first, copy)`, sorted,
/// that stand for the copies' bucket pairs.
///
/// A copy's band keys are its first's, so it shares every bucket with it and pairs with
/// everything its first pairs with: in a syndicated corpus whole reprints are over a quarter
/// of the documents, and their bucket pairs (quadratic in a story's reprints, once per band)
/// were three quarters of the document level's (on the 75 MB corpus, 1.62 million over the 25
/// bands with them, 0.38 million without). Each copy is joined to its first instead, with a pair
/// that verification settles without comparing shingles; every other pair of the copy would
/// have been verified exactly as its first's was, so the components are the same.
fn exact_copies(items: &Items, active: &[bool]) -> (Vec<bool>, Vec<(u32, u32)>) {
    let mut order: Vec<(u64, u32)> = (0..items.count())
        .filter(|&i| active[i])
        .map(|i| (items.hash[i], i as u32))
        .collect();
    let mut banded = active.to_vec();
    let mut copies = Vec::new();
    for_each_later_copy(
        &mut order,
        |i| items.len[i as usize],
        |first, i| {
            banded[i as usize] = false;
            copies.push((first, i));
        },
    );
    crate::dedup::radix::sort_pairs(&mut copies, &mut Vec::new());
    (banded, copies)
}

/// The union of two sorted, duplicate-free lists, sorted and duplicate-free.
fn merge_sorted(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Whether candidate pair `p` belongs to component `c` (its smaller id is a member).
fn pairs_comp(p: &(u32, u32), candidates: &[Vec<u32>], c: usize) -> bool {
    candidates[c].binary_search(&p.0).is_ok()
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

    /// Tokens per shingle.
    pub fn shingle_size(&self) -> usize {
        self.config.shingle_size
    }

    /// Bands per signature: what [`Bulk::keys`] is indexed by.
    pub fn bands(&self) -> usize {
        if self.params.rows == 0 {
            0
        } else {
            self.params.bands
        }
    }

    /// Whether the pass runs at all.
    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// The features of `text`; its shingles sorted from `kept` (its hashes as signing
    /// computed them) when there are, else from the text.
    fn features<'a>(
        &self,
        shingler: &mut Shingler,
        text: Cow<'a, str>,
        kept: Option<&[u64]>,
    ) -> Features<'a> {
        let mut shingles = Vec::new();
        match kept {
            Some(hashes) => {
                shingles.extend_from_slice(hashes);
                shingler.make_set(&mut shingles);
            }
            None => shingler.shingle_into(
                &text,
                self.config.shingle_size,
                self.config.seed,
                &mut shingles,
            ),
        }
        Features {
            shingles,
            words: crate::boilerplate::word_count(&text, FIGURES_MAX_WORDS + 1),
            text,
            figures: std::cell::OnceCell::new(),
            sorted_figures: std::cell::OnceCell::new(),
            names: std::cell::OnceCell::new(),
        }
    }

    /// Band keys and whole-signature hash of `text`, the text being item `at` of a block whose
    /// keys of band `b` are `slots[b]` (see [`band_slots`]); `None` when the text has no
    /// shingles.
    fn sign_text(
        &self,
        shingler: &mut Shingler,
        shingles: &mut Vec<u64>,
        sig: &mut Vec<u32>,
        text: &str,
        keys_at: (&mut [&mut [u64]], usize),
    ) -> Option<u64> {
        shingler.hashes_into(text, self.config.shingle_size, self.config.seed, shingles);
        self.sign_hashes(shingles, sig, keys_at)
    }

    /// [`DedupStage::sign_text`] of a text whose shingle hashes are `shingles`.
    fn sign_hashes(
        &self,
        shingles: &[u64],
        sig: &mut Vec<u32>,
        (slots, at): (&mut [&mut [u64]], usize),
    ) -> Option<u64> {
        sig.resize(self.hasher.num_perm(), EMPTY);
        self.hasher.signature_into(shingles, sig);
        let live = sig.first() != Some(&EMPTY);
        for (b, band) in slots.iter_mut().enumerate() {
            band[at] = if live {
                lsh::band_key(sig, b, self.params.rows)
            } else {
                0
            };
        }
        live.then(|| lsh::signature_hash(sig))
    }

    /// Stage 1 on one share: every document signed (in parallel; the result is in document
    /// order), and its long-enough paragraphs listed. Paragraphs are signed later, by
    /// [`DedupStage::settle`], and only in the documents that survive the document level: in a
    /// syndicated corpus most documents are whole copies, and their paragraphs cost nothing.
    ///
    /// A text identical to an earlier one of the share (the same story crawled twice, or
    /// reprinted without an edit) is not shingled again: it takes the earlier text's
    /// signature, which is what shingling it would give.
    pub fn sign(&self, docs: &[Doc]) -> Signed {
        let mut signed = self.sign_textless(docs);
        for doc in docs {
            let paragraphs = if self.config.enabled {
                doc.paragraphs.clone()
            } else {
                Vec::new()
            };
            signed.bulk.text.push(paragraphs);
        }
        signed
    }

    /// [`DedupStage::sign`] for documents that stay in memory until the share is settled:
    /// their paragraphs are moved into the share's text, not copied, and
    /// [`ShareText::give_back`] returns them.
    pub fn sign_lending(&self, docs: &mut [Doc]) -> Signed {
        if !self.config.enabled {
            return self.sign(docs);
        }
        let mut signed = self.sign_textless(docs);
        // Taken in parallel: each document is a cache miss, 77,000 of them in the 75 MB
        // corpus. The offsets are the document items' own, which signing computed.
        let paragraphs: Vec<Vec<String>> = docs
            .par_iter_mut()
            .map(|doc| std::mem::take(&mut doc.paragraphs))
            .collect();
        let items = &signed.meta.levels[0];
        let len = items.start.last().map_or(0, |&s| {
            s + u64::from(*items.len.last().expect("a length per start"))
        });
        signed.bulk.text = ShareText {
            docs: paragraphs,
            starts: items.start.clone(),
            len,
            lent: true,
        };
        signed
    }

    /// [`DedupStage::sign`] with the share's text left empty, for the caller to fill in.
    fn sign_textless(&self, docs: &[Doc]) -> Signed {
        /// The results for a block of consecutive documents, as the share's own columns: the
        /// share is then put together by copying whole columns, not item by item.
        #[derive(Default)]
        struct Block {
            /// Document and paragraph items, their text offsets counted from the block's
            /// first text.
            levels: [ItemTable; 2],
            facts: Vec<DocFacts>,
            /// The shingle hashes and paragraph ends of the documents shingled, for the
            /// share's [`ShingleCache`], and where each document's are.
            hashes: Vec<u64>,
            ends: Vec<u32>,
            at: Vec<Option<[usize; 5]>>,
            /// Bytes of the block's texts, joined: where the next block's offsets start.
            text_len: u64,
        }
        const BLOCK: usize = 256;
        let bands = if self.config.enabled { self.bands() } else { 0 };
        let enabled = self.config.enabled;
        let least = self.config.min_paragraph_words;
        // The xxh3 of each document's text (with the pass off, only the facts are needed: the
        // id check), then the first document with the same text.
        let hashes: Vec<u64> = docs
            .par_iter()
            .map(|doc| joined_hash(if enabled { &doc.paragraphs } else { &[] }))
            .collect();
        let origin: Vec<u32> = if enabled {
            first_of_each_text(docs, &hashes)
        } else {
            (0..docs.len() as u32).collect()
        };
        // The share's band keys, written in place by the blocks (each its stretch of every
        // band), not gathered from the blocks afterwards.
        let mut keys = vec![0u64; docs.len() * bands];
        let slots = band_slots(&mut keys, docs.len(), BLOCK);
        let blocks: Vec<Block> = docs
            .par_chunks(BLOCK)
            .zip(slots)
            .enumerate()
            .map_init(
                || {
                    let room = (Vec::new(), Vec::new());
                    (Shingler::new(), Vec::new(), Vec::new(), Vec::new(), room)
                },
                |(sh, shingles, sig, part_ends, (kept, kept_ends)), (k, (chunk, mut slots))| {
                    let mut b = Block {
                        facts: Vec::with_capacity(chunk.len()),
                        at: Vec::with_capacity(chunk.len()),
                        ..Block::default()
                    };
                    b.levels[0].reserve(chunk.len());
                    let first = k * BLOCK;
                    let mut base = 0u64;
                    for (j, doc) in chunk.iter().enumerate() {
                        let ord = (first + j) as u32;
                        let hash = hashes[first + j];
                        let text_len = if enabled {
                            joined_len(&doc.paragraphs)
                        } else {
                            0
                        };
                        // A reprint's keys and whole hash are filled in from its original
                        // once every block is done. The paragraphs are tokenized as the one
                        // text they make, which tells where each one's shingles are.
                        let whole = if enabled && origin[first + j] == ord {
                            let n = self.config.shingle_size;
                            let seed = self.config.seed;
                            sh.hashes_of_parts_into(&doc.paragraphs, n, seed, shingles, part_ends);
                            let at = [
                                k,
                                kept.len(),
                                shingles.len(),
                                kept_ends.len(),
                                part_ends.len(),
                            ];
                            b.at.push(Some(at));
                            kept.extend_from_slice(shingles);
                            kept_ends.extend_from_slice(part_ends);
                            self.sign_hashes(shingles, sig, (&mut slots, j))
                        } else {
                            b.at.push(None);
                            None
                        };
                        let mut at = base;
                        for (i, p) in doc.paragraphs.iter().enumerate().filter(|_| enabled) {
                            if crate::boilerplate::word_count(p, least) >= least {
                                let hash = xxhash_rust::xxh3::xxh3_64(p.as_bytes());
                                let span = (at, p.len() as u32);
                                b.levels[1].push(ord, i as u32, span, hash, None);
                            }
                            at += p.len() as u64 + 1;
                        }
                        let rank = self
                            .config
                            .source_priority
                            .iter()
                            .position(|s| {
                                doc.source.contains(s.as_str()) || doc.site.contains(s.as_str())
                            })
                            .map_or(u32::MAX, |r| r as u32);
                        b.facts.push(DocFacts {
                            id: doc.id.clone(),
                            source: doc.source.clone(),
                            rank,
                            text_len: doc.text_len() as u64,
                        });
                        b.levels[0].push(ord, 0, (base, text_len as u32), hash, whole);
                        base += text_len as u64;
                    }
                    b.text_len = base;
                    // Kept until the share is settled, so copied out at their exact sizes:
                    // the thread's vectors grow once and are reused by its next block, where
                    // growing the block's own left up to half of it unused.
                    b.hashes = kept.to_vec();
                    b.ends = kept_ends.to_vec();
                    kept.clear();
                    kept_ends.clear();
                    b
                },
            )
            .collect();
        // The blocks' columns put together into the share's, each column reserved at its final
        // size, text offsets moved past the blocks before. Texts are moved, not copied:
        // together they are the corpus again. The columns are independent, and so are the
        // bands, where each reprint takes its original's keys: they are put together in
        // parallel (on one thread, 9 ms of the 75 MB corpus's signing).
        let n = docs.len();
        let mut bases = Vec::with_capacity(blocks.len());
        let (mut ats, mut cached) = (Vec::with_capacity(blocks.len()), Vec::new());
        let (mut doc_items, mut paragraph_items) = (Vec::new(), Vec::new());
        let mut facts = Vec::with_capacity(blocks.len());
        let mut base = 0;
        for b in blocks {
            bases.push(base);
            base += b.text_len;
            ats.push(b.at);
            cached.push((b.hashes, b.ends));
            let [d, p] = b.levels;
            doc_items.push(d);
            paragraph_items.push(p);
            facts.push(b.facts);
        }
        let put_together = |tables: Vec<ItemTable>| {
            let mut all = ItemTable::default();
            all.reserve(tables.iter().map(ItemTable::count).sum());
            for (table, &by) in tables.iter().zip(&bases) {
                all.append_moved(table, by);
            }
            all
        };
        let reprints: Vec<(usize, usize)> = origin
            .iter()
            .enumerate()
            .filter(|&(i, &o)| o as usize != i)
            .map(|(i, &o)| (i, o as usize))
            .collect();
        let mut signed = Signed::default();
        let ((at, docs_facts), ((doc_level, paragraph_level), ())) = rayon::join(
            || {
                let mut all = Vec::with_capacity(n);
                for f in facts {
                    all.extend(f);
                }
                (ats.concat(), all)
            },
            || {
                rayon::join(
                    || rayon::join(|| put_together(doc_items), || put_together(paragraph_items)),
                    || {
                        if n > 0 {
                            keys.par_chunks_mut(n).for_each(|band| {
                                for &(i, o) in &reprints {
                                    band[i] = band[o];
                                }
                            });
                        }
                    },
                )
            },
        );
        signed.bulk.shingles = ShingleCache { blocks: cached, at };
        signed.meta.docs = docs_facts;
        signed.meta.levels = [doc_level, paragraph_level];
        let t = &mut signed.meta.levels[0];
        for &(i, o) in &reprints {
            t.whole[i] = t.whole[o];
            t.live[i] = t.live[o];
        }
        signed.bulk.keys[0] = keys;
        signed.bulk.done[0] = true;
        signed
    }

    /// [`DedupStage::sign`] with the paragraphs signed too: a share of an output's index,
    /// which later runs compare against without signing it again.
    pub fn sign_complete(&self, docs: &[Doc]) -> Signed {
        let mut signed = self.sign(docs);
        let t = &signed.meta.levels[1];
        let (text, cache) = (&signed.bulk.text, &signed.bulk.shingles);
        let n = self.config.shingle_size;
        let (wholes, keys) = self
            .sign_texts(t.count(), |i| {
                if let Some(hashes) = cache.get(t.doc[i], Some(t.paragraph[i]), n) {
                    return Ok(Source::Hashes(hashes));
                }
                let piece = text.get(t.start[i], t.len[i]).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "item outside its share's text")
                })?;
                Ok(Source::Text(piece))
            })
            .expect("texts held in memory cannot fail to read");
        let t = &mut signed.meta.levels[1];
        for (i, whole) in wholes.into_iter().enumerate() {
            t.whole[i] = whole.unwrap_or(0);
            t.live[i] = whole.is_some();
        }
        signed.bulk.keys[1] = keys;
        signed.bulk.done[1] = true;
        signed
    }

    /// Signs the listed paragraphs of every share whose keys are not stored yet, filling in
    /// their whole-signature hashes and storing their band keys with the bulk.
    fn sign_paragraphs(&self, items: &mut Items, bulk: &mut dyn Bulk) -> io::Result<()> {
        for part in 0..items.base.len() - 1 {
            if bulk.has_keys(part, Level::Paragraph) {
                // An index share, signed when it was written.
                continue;
            }
            let base = items.base[part];
            let n = items.base[part + 1] - base;
            let (bulk_ref, items_ref): (&dyn Bulk, &Items) = (bulk, items);
            let (wholes, keys) = self.sign_texts(n, |i| {
                let i = base + i;
                match bulk_ref.shingles(part, items_ref.doc[i], Some(items_ref.paragraph[i])) {
                    Some(hashes) => Ok(Source::Hashes(hashes)),
                    None => bulk_ref
                        .text(part, items_ref.start[i], items_ref.len[i])
                        .map(Source::Text),
                }
            })?;
            for (i, whole) in wholes.into_iter().enumerate() {
                items.whole[base + i] = whole.unwrap_or(0);
                items.live[base + i] = whole.is_some();
            }
            bulk.store_keys(part, Level::Paragraph, keys)?;
        }
        Ok(())
    }

    /// Signs the texts `text(0..n)` in parallel, a block of items per task so that the keys
    /// are not allocated per item: their whole-signature hashes (`None` for a text without
    /// shingles) and their band keys, band-major.
    fn sign_texts<'t>(
        &self,
        n: usize,
        source: impl Fn(usize) -> io::Result<Source<'t>> + Sync,
    ) -> io::Result<(Vec<Option<u64>>, Vec<u64>)> {
        const BLOCK: usize = 1024;
        let bands = self.bands();
        let mut keys = vec![0u64; n * bands];
        let slots = band_slots(&mut keys, n, BLOCK);
        let blocks: Vec<Vec<Option<u64>>> = (0..n.div_ceil(BLOCK))
            .into_par_iter()
            .zip(slots)
            .map_init(
                || (Shingler::new(), Vec::new(), Vec::new()),
                |(sh, shingles, sig), (b, mut slots)| {
                    let items = b * BLOCK..((b + 1) * BLOCK).min(n);
                    let mut wholes = Vec::with_capacity(items.len());
                    for (at, i) in items.enumerate() {
                        wholes.push(match source(i)? {
                            Source::Hashes(hashes) => {
                                self.sign_hashes(hashes, sig, (&mut slots, at))
                            }
                            Source::Text(text) => {
                                self.sign_text(sh, shingles, sig, &text, (&mut slots, at))
                            }
                        });
                    }
                    Ok(wholes)
                },
            )
            .collect::<io::Result<_>>()?;
        Ok((blocks.concat(), keys))
    }

    /// Stages 2–4 at one level: candidate pairs band by band, verified, clustered. Returns
    /// `(kept item, [(member item, Jaccard, containment)])` per cluster, in the order of the
    /// kept copy; `active` says which items take part.
    #[allow(clippy::too_many_arguments)]
    fn level(
        &self,
        items: &Items,
        level: Level,
        active: &[bool],
        ranks: &[u32],
        bulk: &dyn Bulk,
        memory: u64,
        summary: &mut DedupSummary,
    ) -> io::Result<Vec<Found>> {
        let use_containment = level == Level::Paragraph;
        let n = items.count();
        // A band of n items takes 12 bytes each to sort, plus the sort's scratch; past half
        // the budget it is bucketed in key ranges, read again for each.
        let band_bytes = n as u64 * 24;
        let half = (memory / 2).max(1);
        let ranges = band_bytes.div_ceil(half).max(1);
        // Bands are independent: as many as there are threads are bucketed at once when they
        // fit the half budget together, and then all of them form one group, whose pairs are
        // merged in a tree as the bands finish (each thread takes the next band as it is free;
        // groups of one band per thread waited for the slower band, 12 ms of the 75 MB
        // corpus's document level). Each band's pairs are sorted, and a union of sorted lists
        // is the same whatever the order of merging, so the result does not depend on how the
        // bands were grouped.
        let threads = rayon::current_num_threads() as u64;
        let group = match half / band_bytes.max(1) {
            fit if fit >= threads => self.bands().max(1) as u64,
            fit => fit.max(1),
        };
        let (banded, copies) = exact_copies(items, active);
        let band_pairs = |band: usize| -> io::Result<Vec<(u32, u32)>> {
            let mut pairs = Vec::new();
            let mut keys = Vec::new();
            let mut entries: Vec<(u64, u32)> = Vec::new();
            for range in 0..ranges {
                entries.clear();
                for part in 0..items.base.len() - 1 {
                    keys.clear();
                    bulk.keys(part, level, band, &mut keys)?;
                    let base = items.base[part];
                    for (i, &k) in keys.iter().enumerate() {
                        let id = base + i;
                        if banded[id] && k % ranges == range {
                            entries.push((k, id as u32));
                        }
                    }
                }
                lsh::bucket_pairs(
                    &mut entries,
                    |id| items.whole[id as usize],
                    BUCKET_WINDOW,
                    &mut pairs,
                );
            }
            crate::dedup::radix::sort_pairs(&mut pairs, &mut Vec::new());
            pairs.dedup();
            Ok(pairs)
        };
        let bands: Vec<usize> = (0..self.bands()).collect();
        // Each group's pairs are merged into the whole while the next group is bucketed.
        let merge = |pairs: Vec<(u32, u32)>, found: Option<io::Result<Vec<(u32, u32)>>>| {
            Ok::<_, io::Error>(match found {
                None => pairs,
                Some(found) if pairs.is_empty() => found?,
                Some(found) => merge_sorted(&pairs, &found?),
            })
        };
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut pending = None;
        for group in bands.chunks(group as usize) {
            let (merged, found) = rayon::join(
                || merge(std::mem::take(&mut pairs), pending.take()),
                || {
                    group
                        .par_iter()
                        .map(|&b| band_pairs(b))
                        .try_reduce(Vec::new, |a, b| Ok(merge_sorted(&a, &b)))
                },
            );
            pairs = merged?;
            pending = Some(found);
        }
        let mut pairs = merge(pairs, pending)?;
        if !copies.is_empty() {
            pairs = merge_sorted(&pairs, &copies);
        }
        summary.candidate_pairs += pairs.len();

        // Verification and clusters, one candidate component at a time. The candidate pairs
        // are first joined into components (unverified); every verified link lies inside one,
        // so each component is verified, clustered and given its keepers on its own, with the
        // features of its members computed once. Components are taken in batches whose
        // features (about 1.5 bytes per byte of text: the shingles) fit in half the budget; a
        // single component larger than that is still taken whole.
        let mut uf = UnionFind::new(n);
        for &(a, b) in &pairs {
            uf.union(a, b);
        }
        let candidates = uf.components();
        drop(uf);
        let mut comp_of = vec![u32::MAX; n];
        for (c, members) in candidates.iter().enumerate() {
            for &m in members {
                comp_of[m as usize] = c as u32;
            }
        }
        // Pairs grouped by component (stable: within a component they stay sorted).
        pairs.sort_by_key(|&(a, _)| comp_of[a as usize]);
        drop(comp_of);
        let mut starts = Vec::with_capacity(candidates.len() + 1);
        {
            let mut at = 0;
            for (c, _) in candidates.iter().enumerate() {
                starts.push(at);
                while at < pairs.len() && pairs_comp(&pairs[at], &candidates, c) {
                    at += 1;
                }
            }
            starts.push(pairs.len());
        }
        let found: Vec<io::Result<(usize, Vec<Found>)>> = (0..candidates.len())
            .into_par_iter()
            .map_init(Shingler::new, |sh, k| {
                let members = &candidates[k];
                let lazy = Lazy::new(self, items, bulk, members, std::mem::take(sh));
                let local = |id: u32| members.binary_search(&id).expect("member") as u32;
                let mut uf = UnionFind::new(members.len());
                let mut links = 0;
                for &(a, b) in &pairs[starts[k]..starts[k + 1]] {
                    let (la, lb) = (local(a), local(b));
                    // A pair already joined through verified pairs adds nothing to the
                    // components: most candidate pairs of a syndicated story are such, since
                    // every two of its copies share a bucket.
                    if uf.find(la) == uf.find(lb) {
                        continue;
                    }
                    if lazy.verified(a, b, use_containment)? {
                        uf.union(la, lb);
                        links += 1;
                    }
                }
                let mut clusters = Vec::new();
                for comp in uf.components() {
                    let comp: Vec<u32> = comp.iter().map(|&i| members[i as usize]).collect();
                    clusters.extend(self.keepers(items, ranks, comp, &lazy, use_containment)?);
                }
                *sh = lazy.shingler.into_inner();
                Ok((links, clusters))
            })
            .collect();
        let mut out = Vec::new();
        let mut verified = 0usize;
        for f in found {
            let (links, clusters) = f?;
            verified += links;
            out.extend(clusters);
        }
        summary.verified_pairs += verified;
        out.sort_by_key(|(k, _)| (items.ord[*k as usize], items.paragraph[*k as usize]));
        Ok(out)
    }

    /// Splits one component into clusters around kept copies.
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
    fn keepers(
        &self,
        items: &Items,
        ranks: &[u32],
        mut rest: Vec<u32>,
        lazy: &Lazy<'_>,
        use_containment: bool,
    ) -> io::Result<Vec<Found>> {
        let mut found = Vec::new();
        while rest.len() >= 2 {
            let keep = self.keeper(items, ranks, &rest);
            let mut copies = Vec::new();
            let mut others = Vec::new();
            for m in rest.into_iter().filter(|&m| m != keep) {
                match lazy.copy_of(m, keep, use_containment)? {
                    Some((sim, cont)) => copies.push((m, sim, cont)),
                    None => others.push(m),
                }
            }
            if !copies.is_empty() {
                found.push((keep, copies));
            }
            rest = others;
        }
        Ok(found)
    }

    /// The member a cluster keeps, by the configured policy; input order breaks every tie.
    fn keeper(&self, items: &Items, ranks: &[u32], members: &[u32]) -> u32 {
        // An earlier run's copy wins whatever the policy: it is already published.
        let order = |m: &u32| {
            let ord = items.ord[*m as usize];
            (ord >= items.first_new, ord, items.paragraph[*m as usize])
        };
        let pick = match self.config.keep {
            KeepPolicy::First => members.iter().min_by_key(|m| order(m)),
            KeepPolicy::Longest => members.iter().min_by_key(|m| {
                let o = order(m);
                (o.0, std::cmp::Reverse(items.len[**m as usize]), o)
            }),
            KeepPolicy::Priority => members.iter().min_by_key(|m| {
                let o = order(m);
                (o.0, ranks[items.ord[**m as usize] as usize], o)
            }),
        };
        *pick.expect("components are never empty")
    }

    /// Whether two items are copies by the verification rule. The shingles are compared before
    /// the facts: the figures and names of a text are only computed (once, lazily) for texts
    /// that are close enough for them to matter.
    fn verified(&self, x: &Features<'_>, y: &Features<'_>, use_containment: bool) -> bool {
        let o = Overlap::of(&x.shingles, &y.shingles);
        // Short texts (one-line notices, table rows, wrapped lines) built on one template share
        // half their shingles by construction: they must be near-identical, and a short text is
        // never "contained" in another.
        let close = if o.left.min(o.right) < self.config.short_shingles {
            o.jaccard() >= self.config.short_threshold
        } else {
            o.jaccard() >= self.config.threshold
                || (use_containment && o.containment() >= self.config.containment)
        };
        close && facts_agree(x, y)
    }

    /// `Some((Jaccard, containment))` when `member` may be dropped as a copy of `kept`: similar
    /// enough, or contained in it.
    fn copy_of(
        &self,
        member: &Features<'_>,
        kept: &Features<'_>,
        use_containment: bool,
    ) -> Option<(f64, f64)> {
        let o = Overlap::of(&member.shingles, &kept.shingles);
        let close = if o.left.min(o.right) < self.config.short_shingles {
            o.jaccard() >= self.config.short_threshold
        } else {
            (o.jaccard() >= self.config.threshold
                && (!use_containment || o.coverage() >= MIN_COVERAGE))
                || (use_containment && o.left <= o.right && o.coverage() >= self.config.containment)
        };
        (close && facts_agree(member, kept)).then(|| (o.jaccard(), o.containment()))
    }

    fn empty_summary(&self) -> DedupSummary {
        DedupSummary {
            enabled: self.config.enabled,
            bands: self.params.bands,
            rows: self.params.rows,
            false_positive_rate: lsh::false_positive_rate(&self.params, self.config.threshold),
            false_negative_rate: lsh::false_negative_rate(&self.params, self.config.threshold),
            ..DedupSummary::default()
        }
    }

    /// Stages 2–4 over the whole corpus: numbers the documents (the id check), then finds the
    /// copies at document and paragraph level. `metas` are the signed shares in input order,
    /// `bulk` holds their keys and texts, `memory` is the budget in bytes for one band.
    pub fn settle(
        &self,
        mut metas: Vec<SignedMeta>,
        previous: usize,
        bulk: &mut dyn Bulk,
        memory: u64,
    ) -> io::Result<Settled> {
        let mut settled = Settled::number(&metas);
        settled.previous = previous;
        let first_new = settled.ordinals[..previous]
            .iter()
            .flatten()
            .filter(|o| o.is_some())
            .count() as u32;
        settled.drop = self.config.action == DedupAction::Drop;
        let docs = settled.ids.len();
        let mut d = Decisions {
            summary: self.empty_summary(),
            duplicate_of: vec![None; docs],
            records: vec![Vec::new(); docs],
            clusters: Vec::new(),
        };
        if !self.config.enabled || docs == 0 {
            settled.decisions = d;
            return Ok(settled);
        }
        let mut ranks = vec![u32::MAX; docs];
        let mut text_len = vec![0u64; docs];
        for (p, meta) in metas.iter().enumerate() {
            for (facts, ord) in meta.docs.iter().zip(&settled.ordinals[p]) {
                if let Some(o) = ord {
                    ranks[*o as usize] = facts.rank;
                    text_len[*o as usize] = facts.text_len;
                }
            }
        }
        // From here on only the item columns are needed: the facts (ids, sources) go, and each
        // column moves into the corpus-wide one rather than being copied.
        let mut tables: Vec<[ItemTable; 2]> = metas
            .iter_mut()
            .map(|m| {
                m.docs = Vec::new();
                std::mem::take(&mut m.levels)
            })
            .collect();
        drop(metas);

        // Document level: whole copies by Jaccard alone (containment at this level would let a
        // short note swallow a long story; partial copies are the paragraphs' job).
        // Every document item is gathered (the document band keys on disk are indexed by
        // position in the share); a rejected one takes no part.
        let mut items = Items::gather(&mut tables, Level::Document, &settled.ordinals, |_| true);
        items.first_new = first_new;
        let active: Vec<bool> = (0..items.count())
            .map(|i| items.live[i] && items.ord[i] != u32::MAX)
            .collect();
        let found = self.level(
            &items,
            Level::Document,
            &active,
            &ranks,
            bulk,
            memory,
            &mut d.summary,
        )?;
        for (keep, members) in found {
            let kept = items.ord[keep as usize];
            let mut record = Vec::with_capacity(members.len());
            for (m, sim, _) in members {
                let ord = items.ord[m as usize];
                if ord < first_new {
                    continue;
                }
                d.duplicate_of[ord as usize] = Some(kept);
                record.push((ord, 0, sim, None));
            }
            if record.is_empty() {
                continue;
            }
            d.summary.duplicate_documents += record.len();
            d.clusters.push(CompactCluster {
                level: Level::Document,
                kept: (kept, 0),
                members: record,
            });
        }
        drop(items);

        // Paragraph level, among documents still standing.
        // Paragraphs of documents dropped whole (or rejected) are not even gathered. An index
        // share's documents always stand, so its stored paragraph keys stay aligned.
        let standing = |o: Option<u32>| {
            o.is_some_and(|o| !(settled.drop && d.duplicate_of[o as usize].is_some()))
        };
        let mut items = Items::gather(&mut tables, Level::Paragraph, &settled.ordinals, standing);
        items.first_new = first_new;
        drop(tables);
        d.summary.paragraphs_compared = items.count();
        self.sign_paragraphs(&mut items, bulk)?;
        let active = items.live.clone();
        let found = self.level(
            &items,
            Level::Paragraph,
            &active,
            &ranks,
            bulk,
            memory,
            &mut d.summary,
        )?;
        // Bytes of each document that copy a paragraph kept in another document, by that
        // document: the evidence for a document-level verdict.
        let mut copied_from: HashMap<u32, Vec<(u32, u64)>> = HashMap::new();
        for (keep, members) in found {
            let (kd, kp) = (items.ord[keep as usize], items.paragraph[keep as usize]);
            let cluster = d.clusters.len() as u64;
            let mut record = Vec::with_capacity(members.len());
            for (m, sim, cont) in members {
                let (md, mp) = (items.ord[m as usize], items.paragraph[m as usize]);
                if md < first_new {
                    continue;
                }
                d.records[md as usize].push(DupRecord {
                    paragraph: mp,
                    of_doc: kd,
                    of_paragraph: kp,
                    similarity: round(sim),
                    cluster,
                });
                if md != kd {
                    copied_from
                        .entry(md)
                        .or_default()
                        .push((kd, u64::from(items.len[m as usize])));
                }
                record.push((md, mp, round(sim), Some(round(cont))));
            }
            if record.is_empty() {
                continue;
            }
            d.summary.duplicate_paragraphs += record.len();
            d.clusters.push(CompactCluster {
                level: Level::Paragraph,
                kept: (kd, kp),
                members: record,
            });
        }

        // A document made mostly of copies is a copy of the document holding most of them.
        let mut judged: Vec<(u32, Vec<(u32, u64)>)> = copied_from.into_iter().collect();
        judged.sort_unstable_by_key(|(d, _)| *d);
        for (doc, sources) in judged {
            let total = text_len[doc as usize];
            let copied: u64 = sources.iter().map(|&(_, n)| n).sum();
            if d.duplicate_of[doc as usize].is_none()
                && total > 0
                && copied as f64 >= self.config.document_share * total as f64
            {
                // The document that holds most of the kept copies, the earliest on a tie.
                let mut by_source: Vec<(u32, u64)> = Vec::new();
                for (src, n) in sources {
                    match by_source.iter_mut().find(|(s, _)| *s == src) {
                        Some(e) => e.1 += n,
                        None => by_source.push((src, n)),
                    }
                }
                by_source.sort_by_key(|&(s, n)| (std::cmp::Reverse(n), s));
                d.duplicate_of[doc as usize] = by_source.first().map(|&(s, _)| s);
                d.summary.duplicate_documents += 1;
            }
        }
        for r in &mut d.records {
            r.sort_by_key(|r| r.paragraph);
        }
        d.summary.clusters = d.clusters.len();
        settled.decisions = d;
        Ok(settled)
    }

    /// The whole pass over documents in memory (a test, a benchmark, an evaluation): signs,
    /// settles and applies. The documents are renumbered in order and their ids are taken
    /// as unique.
    pub fn run(&self, docs: &mut Vec<Doc>) -> DedupOutcome {
        let signed = self.sign(docs);
        let mut bulk = MemoryBulk {
            parts: vec![signed.bulk],
            bands: self.bands(),
            shingle_size: self.config.shingle_size,
        };
        let settled = self
            .settle(vec![signed.meta], 0, &mut bulk, u64::MAX)
            .expect("memory bulk cannot fail");
        let clusters = settled.cluster_records().collect();
        let summary = settled.decisions.summary.clone();
        *docs = settled.apply(0, std::mem::take(docs));
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

    proptest::proptest! {
        /// A share's text kept as paragraphs reads as the documents' joined texts one after
        /// the other: any document's or paragraph's range, the pieces written out, the hash
        /// and the length, and a document's equality with another.
        #[test]
        fn share_text_of_paragraphs_reads_as_the_joined_texts(
            docs in proptest::collection::vec(
                proptest::collection::vec("(a|é|\n| |b){0,6}", 0..4),
                0..5,
            ),
        ) {
            let joined: Vec<String> = docs.iter().map(|d| d.join("\n")).collect();
            let whole = joined.concat();
            let mut text = ShareText::default();
            for d in &docs {
                text.push(d.clone());
            }
            proptest::prop_assert_eq!(text.len(), whole.len() as u64);
            proptest::prop_assert_eq!(text.pieces().collect::<String>(), whole.clone());
            let mut start = 0u64;
            for (d, j) in docs.iter().zip(&joined) {
                proptest::prop_assert_eq!(joined_len(d), j.len());
                proptest::prop_assert_eq!(joined_hash(d), xxhash_rust::xxh3::xxh3_64(j.as_bytes()));
                let got = text.get(start, j.len() as u32).expect("inside the share");
                proptest::prop_assert_eq!(got.as_ref(), j.as_str());
                // Each paragraph alone is borrowed from the document's (an empty one may be
                // read off the next document: it is the same empty text).
                let mut at = start;
                for p in d {
                    let got = text.get(at, p.len() as u32).expect("inside the share");
                    proptest::prop_assert!(p.is_empty() || matches!(got, Cow::Borrowed(_)));
                    proptest::prop_assert_eq!(got.as_ref(), p.as_str());
                    at += p.len() as u64 + 1;
                }
                for (e, k) in docs.iter().zip(&joined) {
                    proptest::prop_assert_eq!(joined_eq(d, e), j == k);
                }
                start += j.len() as u64;
            }
        }
    }

    #[test]
    fn each_text_points_at_its_first_copy_even_through_hash_collisions() {
        let doc = |paragraphs: &[&str]| Doc {
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            ..Doc::default()
        };
        let docs = [
            doc(&["a story", "told twice"]),
            doc(&["another"]),
            doc(&["a story", "told twice"]),
            doc(&["a story\ntold twice"]),
            doc(&["same hash, other text"]),
            doc(&["same hash, other length"]),
            doc(&["another"]),
        ];
        // The true hashes, then every text given one hash: the comparisons must decide.
        let hashes: Vec<u64> = docs.iter().map(|d| joined_hash(&d.paragraphs)).collect();
        assert_eq!(first_of_each_text(&docs, &hashes), [0, 1, 0, 0, 4, 5, 1]);
        assert_eq!(first_of_each_text(&docs, &[7; 7]), [0, 1, 0, 0, 4, 5, 1]);
        // Two texts of one length under one hash: the later is not the earlier's copy.
        let (x, y) = (doc(&["abc"]), doc(&["xyz"]));
        assert_eq!(first_of_each_text(&[x.clone(), y, x], &[1; 3]), [0, 1, 0]);
    }

    #[test]
    fn exact_copies_leave_the_bands_to_their_first_active_item() {
        // Items 0, 2, 3 and 5 share a text (hash 7, length 10); 3 is inactive; 4 has the hash
        // with another length; 1 and 6 another text.
        let items = Items {
            part: vec![0; 7],
            hash: vec![7, 9, 7, 7, 7, 7, 9],
            len: vec![10, 4, 10, 10, 11, 10, 4],
            ..Items::default()
        };
        let active = [true, true, true, false, true, true, true];
        let (banded, copies) = exact_copies(&items, &active);
        assert_eq!(banded, [true, true, false, false, true, false, false]);
        assert_eq!(copies, [(0, 2), (0, 5), (1, 6)]);
        // The first active item leads even when an inactive one comes before it.
        let active = [false, true, true, true, true, true, true];
        let (banded, copies) = exact_copies(&items, &active);
        assert_eq!(banded, [false, true, true, false, true, false, false]);
        assert_eq!(copies, [(1, 6), (2, 3), (2, 5)]);
    }

    #[test]
    fn lent_paragraphs_come_back_to_their_documents() {
        let stage = DedupStage::build(&DedupConfig::default());
        let doc = |id: &str, paragraphs: &[&str]| Doc {
            id: id.to_string(),
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            ..Doc::default()
        };
        let mut docs = vec![
            doc(
                "a",
                &[
                    "One paragraph of a story about the harbour.",
                    "And a second one.",
                ],
            ),
            doc(
                "b",
                &[
                    "One paragraph of a story about the harbour.",
                    "And a second one.",
                ],
            ),
            doc("c", &[]),
        ];
        let before = docs.clone();
        let shared = stage.sign(&docs);
        let lent = stage.sign_lending(&mut docs);
        assert!(docs.iter().all(|d| d.paragraphs.is_empty()));
        // The same share either way, its text included.
        assert_eq!(
            lent.bulk.text.pieces().collect::<String>(),
            shared.bulk.text.pieces().collect::<String>()
        );
        assert_eq!(lent.bulk.text.starts, shared.bulk.text.starts);
        assert_eq!(lent.bulk.text.len, shared.bulk.text.len);
        assert_eq!(lent.bulk.keys, shared.bulk.keys);
        assert_eq!(lent.meta.levels[0].start, shared.meta.levels[0].start);
        assert_eq!(lent.meta.levels[1].start, shared.meta.levels[1].start);
        lent.bulk.text.give_back(&mut docs);
        let paragraphs = |d: &[Doc]| d.iter().map(|d| d.paragraphs.clone()).collect::<Vec<_>>();
        assert_eq!(paragraphs(&docs), paragraphs(&before));
        // A share that borrowed nothing leaves the documents as they are.
        shared.bulk.text.give_back(&mut docs);
        assert_eq!(paragraphs(&docs), paragraphs(&before));
    }

    #[test]
    fn blocks_write_their_stretch_of_every_band() {
        // Band b of item i gets key 100 * b + i, written through the slots of blocks of 4
        // (the last block holds 2 items).
        let (n, bands) = (6, 2);
        let mut keys = vec![0u64; n * bands];
        for (k, mut slots) in band_slots(&mut keys, n, 4).into_iter().enumerate() {
            assert_eq!(slots.len(), bands);
            for (b, stretch) in slots.iter_mut().enumerate() {
                for (at, key) in stretch.iter_mut().enumerate() {
                    *key = (100 * b + 4 * k + at) as u64;
                }
            }
        }
        let plain: Vec<u64> = (0..bands as u64)
            .flat_map(|b| (0..n as u64).map(move |i| 100 * b + i))
            .collect();
        assert_eq!(keys, plain);
        assert!(band_slots(&mut [], 0, 4).is_empty());
    }

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
            crate::dedup::shingle::jaccard(&p, &q)
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

    fn item(text: &str) -> Features<'_> {
        Features {
            shingles: Vec::new(),
            words: text.split_whitespace().count(),
            text: Cow::Borrowed(text),
            figures: std::cell::OnceCell::new(),
            sorted_figures: std::cell::OnceCell::new(),
            names: std::cell::OnceCell::new(),
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
        let e = item("Shr loss three cts vs loss 12 cts");
        let f = item("Shr loss 12 cts vs loss three cts");
        assert!(!figures_agree(&e, &f));
    }

    #[test]
    fn count_words_is_split_whitespace_capped() {
        for text in [
            "",
            " a  b\tc\x0bd\u{a0}e\u{2003}f\n",
            "one",
            "  ",
            "é ü\u{3000}x",
        ] {
            let all = text.split_whitespace().count();
            assert_eq!(
                crate::boilerplate::word_count(text, usize::MAX),
                all,
                "{text:?}"
            );
            assert_eq!(
                crate::boilerplate::word_count(text, 2),
                all.min(2),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        /// The byte-level word splitter cuts exactly where `split_whitespace` does, and the
        /// figures found through it are those of every word taken plainly.
        #[test]
        fn words_are_split_whitespace_and_figures_see_every_word(
            // Long runs without whitespace too, which the splitter reads eight bytes at a time.
            text in "(nine|Three|thousand|fifty|[a-zA-Z0-9,.()-]{7,20}|[a-zA-Z0-9 ,.;:)$(\"'\t\n\x0b\x0c\r/-]|\u{a0}|\u{85}|\u{2003}|\u{3000}|\u{1c}|\u{7f}|é|£|“|€){0,80}",
        ) {
            let ours: Vec<&str> = words(&text).collect();
            let plain: Vec<&str> = text.split_whitespace().collect();
            proptest::prop_assert_eq!(&ours, &plain);
            let every: Vec<u64> = plain.iter().filter_map(|w| figure(w)).collect();
            proptest::prop_assert_eq!(figures(&text), every);
        }
    }

    proptest::proptest! {
        /// The bit-parallel [`number_word`] is the plain rule: cut at the first `-,.;:)`,
        /// compare with every number word ignoring ASCII case.
        #[test]
        fn number_word_is_the_plain_rule(
            word in "(nine|Three|thousand|THOUSAND|fifty|million|billion|[a-zA-Z,.;:)(@`{-]|é){0,5}",
            tail in "[a-z ]{0,3}",
        ) {
            let bytes = word.as_bytes();
            let head = bytes
                .iter()
                .position(|b| b"-,.;:)".contains(b))
                .map_or(bytes, |end| &bytes[..end]);
            let plain = NUMBER_WORDS
                .iter()
                .any(|n| head.eq_ignore_ascii_case(n.as_bytes()))
                .then(|| xxhash_rust::xxh3::xxh3_64(&head.to_ascii_lowercase()));
            proptest::prop_assert_eq!(number_word(bytes), plain);
            // Inside a longer text: the bytes after the word do not count.
            let text = format!("{word}{tail}");
            proptest::prop_assert_eq!(number_word_at(text.as_bytes(), 0, word.len()), plain);
        }
    }

    #[test]
    fn every_number_word_passes_the_quick_guard() {
        for n in NUMBER_WORDS {
            assert_eq!(figures(&n.to_uppercase()).len(), 1, "{n}");
            assert_eq!(figures(&format!("({n}-day")).len(), 1, "{n}");
        }
        assert!(figures("nine-tenths Ninety none of the other words").len() == 1);
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
            figures("12 1,500km 3.5")
        );
    }

    #[test]
    fn a_template_filled_in_with_other_names_disagrees_and_a_cut_copy_agrees() {
        let soy = item(
            "of soybeans in Chicago as of Friday, April 3, deliverable against Chicago Board \
             of Trade futures in 000's bushels -",
        );
        let corn = item(
            "of corn in Toledo as of Friday, April 3, deliverable against Chicago Board of \
             Trade futures (in 000's bushels) -",
        );
        assert!(!names_agree(&soy, &corn));
        let dec = item("NOTE: Share adjusted for five pct stock dividend in December 1986.");
        let aug = item("NOTE: Share adjusted for five pct stock dividend in August 1986.");
        assert!(!names_agree(&dec, &aug));
        // A cut copy, and one without its dateline, only lose names.
        let full = item(
            "LONDON - Britain's central bank held rates on Thursday, the Bank of England said, \
             and Governor Mervyn King warned of inflation.",
        );
        let cut = item("Britain's central bank held rates on Thursday, the Bank of England said.");
        assert!(names_agree(&full, &cut));
        assert!(names_agree(&cut, &full));
        assert_eq!(
            names("Mr Smith met Jones' aide. He left."),
            names("and Smith Jones")
        );
        assert_eq!(names("and O'Neill's"), names("and O’Neill"));
    }

    #[test]
    fn long_texts_with_few_figures_are_left_to_the_shingles() {
        let long_a = format!("{} 28 cts", "word ".repeat(120));
        let long_b = format!("{} 26 cts", "word ".repeat(120));
        assert!(figures_agree(&item(&long_a), &item(&long_b)));
    }

    #[test]
    fn a_long_report_with_other_figures_disagrees_and_a_cut_reprint_agrees() {
        let body = "word ".repeat(120);
        let week1 = format!(
            "{body} rose 2.1 pct in the four weeks ended February 27 to 16.39 mln from 16.05 mln"
        );
        let week2 = format!(
            "{body} rose 2.3 pct in the four weeks ended March 13 to 16.49 mln from 16.11 mln"
        );
        assert!(!figures_agree(&item(&week1), &item(&week2)));
        let cut = format!("{body} rose 2.1 pct in the four weeks ended February 27");
        assert!(figures_agree(&item(&week1), &item(&cut)));
    }
}
