//! Word n-gram shingling of normalized text into 64-bit hashes, and exact set similarity.
//!
//! This is where a paragraph becomes a set: the text is cut into tokens, each run of `n`
//! consecutive tokens (a shingle) is hashed once with xxh3, and the hashes are sorted and
//! deduplicated. The tokenizer is made to ignore the edits that copy-editors make to wire
//! copy without changing it: case, punctuation and quote style ("said Wednesday," and
//! "said wednesday" give the same shingles; so do `don't` and `don’t`). Scripts written
//! without spaces between words (Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar) are cut
//! into one token per character, so such a paragraph is not one giant token.
//!
//! It is not a normalizer: Unicode normalization, mojibake repair, boilerplate removal and
//! alias canonicalization happen upstream, and this module trusts that its input is already
//! the text that should be compared. It knows nothing of documents or paragraphs either; the
//! caller decides what a unit of text is. [`jaccard`] and [`containment`] give the exact
//! similarities that candidate pairs are verified with.
//!
//! Tokenization rules, in full:
//! - letters and digits (any script) are kept, lower-cased;
//! - whitespace, dashes and slashes end a token (`well-known` = `well known`);
//! - every other character (punctuation, quotes, symbols, zero-width marks) is dropped
//!   *without* ending the token, so `U.S.` = `us` and `don’t` = `dont`;
//! - a character of a scriptio-continua script is a token of its own.
//!
//! The hash of a shingle is `xxh3_64_with_seed` of its tokens joined by one ASCII space, so a
//! shingle hash is defined by its text alone and is the same on every machine.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::radix;
use crate::swar::{equal, in_range, lane_count, lanes, squeeze, HIGH};

/// Reusable shingling state: the normalized text and token boundaries of the last call.
///
/// [`shingle_hashes`] builds one per call; a caller shingling many texts keeps a `Shingler`
/// so the buffers are allocated once and reused, which is the whole point of the type.
#[derive(Debug, Default, Clone)]
pub struct Shingler {
    /// The normalized tokens of the current text, each followed by one ASCII space; scratch
    /// past that. Its length is only ever grown, so that a text is not paid for twice (once
    /// zeroing the buffer, once writing it).
    buf: Vec<u8>,
    /// For each token, the offset in `buf` one past its last byte; scratch past `count`.
    ends: Vec<usize>,
    /// The number of tokens of the current text.
    count: usize,
    /// Room for [`radix::sort`] to spread hashes into.
    sort_room: Vec<u64>,
}

impl Shingler {
    /// Makes a shingler with empty buffers; they grow to the largest text seen.
    pub fn new() -> Shingler {
        Shingler::default()
    }

    /// Clears `out` and fills it with the sorted, deduplicated hashes of the word `n`-grams
    /// of `text`, as [`shingle_hashes`] documents.
    pub fn shingle_into(&mut self, text: &str, n: usize, seed: u64, out: &mut Vec<u64>) {
        self.hashes_into(text, n, seed, out);
        self.make_set(out);
    }

    /// Sorts and deduplicates `hashes` in place: the set [`Shingler::shingle_into`] gives,
    /// from the hashes in text order that [`Shingler::hashes_into`] gives.
    pub fn make_set(&mut self, hashes: &mut Vec<u64>) {
        radix::sort(hashes, &mut self.sort_room);
        hashes.dedup();
    }

    /// The same hashes as [`Shingler::shingle_into`] in text order, repeats kept: all that a
    /// MinHash signature needs (a minimum ignores order and repeats), without the sort.
    pub fn hashes_into(&mut self, text: &str, n: usize, seed: u64, out: &mut Vec<u64>) {
        self.tokenize_parts(&[text], None);
        self.hash_tokens(n, seed, out);
    }

    /// [`Shingler::hashes_into`] of `parts` joined by `\n`, without joining them, and the
    /// number of tokens up to the end of each part in `ends` (cleared first): what
    /// [`part_hashes`] needs to give each part's own hashes without tokenizing it again. A
    /// `\n` only ends a token, so no token spans two parts.
    pub fn hashes_of_parts_into<S: AsRef<str>>(
        &mut self,
        parts: &[S],
        n: usize,
        seed: u64,
        out: &mut Vec<u64>,
        ends: &mut Vec<u32>,
    ) {
        ends.clear();
        self.tokenize_parts(parts, Some(ends));
        self.hash_tokens(n, seed, out);
    }

    /// The shingle hashes of the tokens of the last text, in text order.
    fn hash_tokens(&self, n: usize, seed: u64, out: &mut Vec<u64>) {
        out.clear();
        let count = self.count;
        if count == 0 {
            return;
        }
        // n = 0 has no meaningful reading; treating it as 1 keeps the function total.
        let n = n.max(1);
        if count <= n {
            // A text shorter than one shingle is still a unit that can be copied: all of its
            // tokens form a single shingle rather than none, so two identical short
            // paragraphs still match.
            out.push(xxh3_64_with_seed(&self.buf[..self.ends[count - 1]], seed));
            return;
        }
        out.reserve(count + 1 - n);
        for first in 0..=count - n {
            let start = if first == 0 {
                0
            } else {
                self.ends[first - 1] + 1
            };
            let end = self.ends[first + n - 1];
            out.push(xxh3_64_with_seed(&self.buf[start..end], seed));
        }
    }

    /// Fills `buf` and `ends` with the normalized tokens of `parts` joined by `\n`, and
    /// `count`; with `part_ends`, pushes the token count at the end of each part.
    fn tokenize_parts<S: AsRef<str>>(&mut self, parts: &[S], mut part_ends: Option<&mut Vec<u32>>) {
        // Local vectors: behind `&mut self` the compiler would store each length back to
        // memory on every byte.
        let mut buf = std::mem::take(&mut self.buf);
        let mut ends = std::mem::take(&mut self.ends);
        // The joined length: each part and the `\n` after it.
        let total: usize = parts.iter().map(|p| p.as_ref().len() + 1).sum();
        // Both are written by index, so that the ASCII loop below has no growth check and no
        // branch on the byte's class (a word/space pattern is as good as random to a branch
        // predictor). An ASCII byte adds at most one byte to `buf`, and a token end needs a
        // kept byte and a break, so at most one end per two bytes: these lengths hold the
        // whole text when it is ASCII. The non-ASCII path grows them as needed.
        grow(&mut buf, total + 1);
        grow(&mut ends, total / 2 + 2 + ENDS_ROOM);
        // Written length of `buf`, number of token ends, and whether a token is open.
        let (mut w, mut e, mut open) = (0usize, 0usize, false);
        // Bytes of the joined text after the current part.
        let mut after = total;
        for part in parts {
            let text = part.as_ref();
            after -= text.len() + 1;
            Self::tokenize_part(
                text,
                after,
                (&mut buf, &mut ends),
                (&mut w, &mut e, &mut open),
            );
            // The `\n` between parts.
            end_token(&mut buf, &mut ends, (&mut w, &mut e), &mut open);
            if let Some(part_ends) = part_ends.as_deref_mut() {
                part_ends.push(e as u32);
            }
        }
        self.buf = buf;
        self.ends = ends;
        self.count = e;
    }

    /// The tokenizer's loop over one part; `after` bytes of the joined text come after it.
    /// `at` is the written length of `buf`, the number of ends and whether a token is open,
    /// carried from part to part.
    #[inline(always)]
    fn tokenize_part(
        text: &str,
        after: usize,
        (buf, ends): (&mut Vec<u8>, &mut Vec<usize>),
        at: (&mut usize, &mut usize, &mut bool),
    ) {
        let bytes = text.as_bytes();
        // Copied into locals for the loop, so that they live in registers.
        let (mut w, mut e, mut open) = (*at.0, *at.1, *at.2);
        let mut i = 0;
        while i < bytes.len() {
            // News text is mostly ASCII: runs of it are mapped without decoding, in a loop of
            // its own that keeps its state in registers.
            //
            // Eight bytes at a time while eight are left and all are ASCII (see
            // `crate::swar`): a token is a run of kept bytes, and the one space after it ends
            // it. The table's classes, as lane masks: `ASCII_OUT` keeps letters and digits,
            // and breaks at whitespace (without the vertical tab, as
            // `u8::is_ascii_whitespace`), `-` and `/`. The block's own high bits tell where
            // the ASCII run ends: a search for the first non-ASCII byte before the loop read
            // every run twice, a byte at a time.
            while i + 8 <= bytes.len() {
                let block = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
                if block & HIGH != 0 {
                    break;
                }
                let kept = in_range(block | lanes(0x20), b'a', b'z') | in_range(block, b'0', b'9');
                let breaks = (in_range(block, b'\t', b'\r') & !equal(block, 0x0b))
                    | equal(block, b' ')
                    | equal(block, b'-')
                    | equal(block, b'/');
                let mut after_break = !open;
                let squeezed = squeeze(block, 8, kept, breaks, &mut after_break);
                // There is room: `buf` holds at least one byte per byte of text left after `w`.
                buf[w..w + 8].copy_from_slice(&squeezed.bytes.to_le_bytes());
                // A space ends a token: eight kept lanes hold at most four. Four ends are
                // written whether there are or not, and only the spaces counted, with no
                // branch on how many there are (a loop over them mispredicted its exit).
                let mut spaces = squeezed.seps;
                for slot in &mut ends[e..e + 4] {
                    *slot = w + (spaces.trailing_zeros() / 8) as usize;
                    spaces &= spaces.wrapping_sub(1);
                }
                e += lane_count(squeezed.seps);
                w += squeezed.kept;
                open = !after_break;
                i += 8;
            }
            // The ASCII bytes left before the next character past ASCII, or the text's end:
            // fewer than eight, by a table.
            let run = bytes[i..]
                .iter()
                .position(|b| !b.is_ascii())
                .map_or(bytes.len(), |p| i + p);
            for &b in &bytes[i..run] {
                let v = ASCII_OUT[b as usize];
                let word = v > BREAK;
                let end = open & (v == BREAK);
                // Always written, kept only when counted: a kept byte, or the space that ends
                // a token.
                buf[w] = if word { v } else { b' ' };
                ends[e] = w;
                e += usize::from(end);
                w += usize::from(word | end);
                open = word | (open & (v != BREAK));
            }
            i = run;
            if i == bytes.len() {
                break;
            }
            let c = text[i..].chars().next().expect("i is on a char boundary");
            i += c.len_utf8();
            // One character adds at most two spaces and three lower-cased characters (16
            // bytes) and two ends; the rest of the text keeps the room the ASCII loop needs.
            let rest = bytes.len() - i + after;
            grow(buf, w + 16 + rest + 1);
            grow(ends, e + 4 + rest / 2 + 2 + ENDS_ROOM);
            if is_scriptio_continua(c) {
                end_token(buf, ends, (&mut w, &mut e), &mut open);
                w += c.encode_utf8(&mut buf[w..]).len();
                open = true;
                end_token(buf, ends, (&mut w, &mut e), &mut open);
            } else if c.is_alphanumeric() {
                // Lower-casing can add a combining mark ('İ' becomes 'i' + U+0307); marks are
                // dropped everywhere else, so they are dropped here too to keep both spellings
                // equal.
                for lower in c.to_lowercase().filter(|l| l.is_alphanumeric()) {
                    w += lower.encode_utf8(&mut buf[w..]).len();
                }
                open = true;
            } else if c.is_whitespace() || ends_token(c) {
                end_token(buf, ends, (&mut w, &mut e), &mut open);
            }
        }
        (*at.0, *at.1, *at.2) = (w, e, open);
    }
}

/// Room past the token ends a text can have, for the four that a block of eight bytes
/// writes whether it ends that many tokens or not.
const ENDS_ROOM: usize = 4;

/// Lengthens `v` to at least `len` (never shortens it).
fn grow<T: Default + Clone>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::default());
    }
}

/// Ends the open token, if any: its end recorded, then the space that follows every token.
/// `at` is the written length of `buf` and the number of ends, both with room for one more.
fn end_token(buf: &mut [u8], ends: &mut [usize], at: (&mut usize, &mut usize), open: &mut bool) {
    let (w, e) = at;
    if *open {
        ends[*e] = *w;
        *e += 1;
        buf[*w] = b' ';
        *w += 1;
        *open = false;
    }
}

/// Clears `out` and fills it with the sorted, deduplicated xxh3 hashes (seeded with `seed`)
/// of the `n`-token shingles of `text`.
///
/// Tokens are lower-cased words with punctuation stripped, or single characters of scripts
/// written without spaces (see the module documentation for the exact rules). A text with at
/// least one token but fewer than `n` yields one shingle of all its tokens; a text with no
/// token (empty, or only punctuation) yields none. `n = 0` is read as 1.
///
/// This allocates scratch buffers on every call; use a [`Shingler`] in a loop.
pub fn shingle_hashes(text: &str, n: usize, seed: u64, out: &mut Vec<u64>) {
    Shingler::new().shingle_into(text, n, seed, out);
}

/// The hashes that [`Shingler::hashes_into`] gives part `p` alone, read off the hashes `all`
/// and part ends `ends` of [`Shingler::hashes_of_parts_into`] over all parts with the same `n`:
/// a part of at least `n` tokens has exactly the shingles of the whole that lie inside it. `None`
/// for a shorter part (or one in a text of fewer than `n` tokens), whose single shingle of all
/// its tokens is not among them: tokenize it on its own.
pub fn part_hashes<'a>(all: &'a [u64], ends: &[u32], p: usize, n: usize) -> Option<&'a [u64]> {
    let n = n.max(1);
    let end = *ends.get(p)? as usize;
    let start = if p == 0 { 0 } else { ends[p - 1] as usize };
    let count = ends.last().map_or(0, |&c| c as usize);
    if end == start {
        return Some(&[]);
    }
    // The whole has `count - n + 1` shingles when it has at least `n` tokens.
    if end - start < n || count < n || all.len() != count - n + 1 {
        return None;
    }
    all.get(start..=end - n)
}

/// The overlap of two sorted, deduplicated hash sets, from which every similarity below is
/// read: one merge gives them all, where a verification step asks for several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap {
    /// |a ∩ b|.
    pub shared: usize,
    /// |a|.
    pub left: usize,
    /// |b|.
    pub right: usize,
}

impl Overlap {
    /// Measures `a` against `b` by a linear merge. Unsorted input gives meaningless numbers,
    /// but never a panic.
    pub fn of(a: &[u64], b: &[u64]) -> Overlap {
        Overlap {
            shared: intersection_len(a, b),
            left: a.len(),
            right: b.len(),
        }
    }

    /// |a ∩ b| / |a ∪ b|; 0 for two empty sets: an empty paragraph is never a copy of anything.
    pub fn jaccard(&self) -> f64 {
        let union = self.left + self.right - self.shared;
        if union == 0 {
            0.0
        } else {
            self.shared as f64 / union as f64
        }
    }

    /// |a ∩ b| / min(|a|, |b|): 1 when the smaller set lies wholly inside the larger one. This
    /// is what lets a wire story cut at the bottom still match its full version, where Jaccard
    /// falls with the length of the cut. 0 when either set is empty.
    pub fn containment(&self) -> f64 {
        let smaller = self.left.min(self.right);
        if smaller == 0 {
            0.0
        } else {
            self.shared as f64 / smaller as f64
        }
    }

    /// |a ∩ b| / |a|: how much of `a` is in `b`. 0 when `a` is empty.
    pub fn coverage(&self) -> f64 {
        if self.left == 0 {
            0.0
        } else {
            self.shared as f64 / self.left as f64
        }
    }
}

/// Exact Jaccard similarity |a ∩ b| / |a ∪ b| of two sorted, deduplicated hash sets (see
/// [`Overlap::jaccard`]).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    Overlap::of(a, b).jaccard()
}

/// Containment |a ∩ b| / min(|a|, |b|) of two sorted, deduplicated hash sets (see
/// [`Overlap::containment`]).
pub fn containment(a: &[u64], b: &[u64]) -> f64 {
    Overlap::of(a, b).containment()
}

/// |a ∩ b| / |a| of two sorted, deduplicated hash sets (see [`Overlap::coverage`]).
pub fn coverage(a: &[u64], b: &[u64]) -> f64 {
    Overlap::of(a, b).coverage()
}

/// Size of the intersection of two sorted slices, by a linear merge without branches on the
/// comparison: which side advances is as good as random for two near-copies, so a branch
/// would be mispredicted about every other step.
fn intersection_len(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut inter) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        inter += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    inter
}

/// What the tokenizer makes of each ASCII byte: letters and digits are kept lower-cased (the
/// value is the byte to keep, always above [`BREAK`]), whitespace, dashes and slashes end a
/// token ([`BREAK`]), everything else is dropped in place (0).
const BREAK: u8 = 1;
const ASCII_OUT: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else if c.is_ascii_whitespace() || c == b'-' || c == b'/' {
            BREAK
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Characters that separate words even when no space surrounds them, so they end a token
/// instead of vanishing: dashes and slashes ("Paris–Berlin", "and/or", an em dash glued to both
/// words), and the punctuation of CJK text, which is followed by no space ("发布了iPhone。Apple"
/// must not give the token "iphoneapple").
fn ends_token(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' // hyphen, non-breaking hyphen, figure, en, em, horizontal bar
            | '\u{2212}' // minus sign
            | '\u{FE58}' | '\u{FE63}' // small em dash, small hyphen-minus
            | '\u{2044}' | '\u{2215}' // fraction and division slash
            | '\u{3000}'..='\u{303F}' // CJK symbols and punctuation
            | '\u{FF00}'..='\u{FF0F}' // full-width punctuation, including hyphen-minus and slash
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}'
    )
}

/// Scripts whose writing puts no space between words. Each of their characters becomes a
/// token; Hangul is absent on purpose, because Korean is written with spaces.
fn is_scriptio_continua(c: char) -> bool {
    matches!(
        c as u32,
        0x0E00..=0x0EFF // Thai, Lao
            | 0x1000..=0x109F // Myanmar
            | 0x1780..=0x17FF // Khmer
            | 0x3040..=0x30FF // Hiragana, Katakana
            | 0x31F0..=0x31FF // Katakana phonetic extensions
            | 0x3400..=0x4DBF // CJK extension A
            | 0x4E00..=0x9FFF // CJK unified ideographs
            | 0xF900..=0xFAFF // CJK compatibility ideographs
            | 0xFF66..=0xFF9F // half-width Katakana
            | 0x20000..=0x3FFFF // CJK extensions B and later
    ) && c.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shingles(text: &str, n: usize) -> Vec<u64> {
        let mut out = Vec::new();
        shingle_hashes(text, n, 7, &mut out);
        out
    }

    /// The tokenization rules of the module documentation, one character at a time.
    fn reference_tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut open = false;
        let mut end = |cur: &mut String, open: &mut bool| {
            if *open {
                out.push(std::mem::take(cur));
                *open = false;
            }
        };
        for c in text.chars() {
            if is_scriptio_continua(c) {
                end(&mut cur, &mut open);
                cur.push(c);
                open = true;
                end(&mut cur, &mut open);
            } else if c.is_alphanumeric() {
                cur.extend(c.to_lowercase().filter(|l| l.is_alphanumeric()));
                open = true;
            } else if c.is_ascii_whitespace()
                || (!c.is_ascii() && c.is_whitespace())
                || c == '-'
                || c == '/'
                || ends_token(c)
            {
                end(&mut cur, &mut open);
            }
        }
        end(&mut cur, &mut open);
        out
    }

    fn tokens(text: &str) -> Vec<String> {
        let mut s = Shingler::new();
        s.tokenize_parts(&[text], None);
        let mut start = 0;
        s.ends[..s.count]
            .iter()
            .map(|&end| {
                let t = String::from_utf8(s.buf[start..end].to_vec()).unwrap();
                start = end + 1;
                t
            })
            .collect()
    }

    #[test]
    fn punctuation_case_and_quotes_do_not_matter() {
        assert_eq!(
            shingles("He said Wednesday, “we don’t know.”", 3),
            shingles("he said wednesday \"we don't know\"", 3)
        );
        assert_eq!(
            tokens("U.S. well-known—and/or"),
            ["us", "well", "known", "and", "or"]
        );
    }

    #[test]
    fn hash_is_xxh3_of_the_joined_tokens() {
        assert_eq!(shingles("The Quick, brown fox!", 2), {
            let mut v: Vec<u64> = ["the quick", "quick brown", "brown fox"]
                .iter()
                .map(|s| xxh3_64_with_seed(s.as_bytes(), 7))
                .collect();
            v.sort_unstable();
            v
        });
    }

    #[test]
    fn short_and_empty_texts() {
        assert!(shingles("", 5).is_empty());
        assert!(shingles("  ,.;!? “” — ", 5).is_empty());
        assert_eq!(
            shingles("Breaking: markets fall", 5),
            vec![xxh3_64_with_seed(b"breaking markets fall", 7)]
        );
        assert_eq!(shingles("one two three", 3).len(), 1);
        assert_eq!(shingles("one two three four", 3).len(), 2);
        // n = 0 is read as 1 rather than panicking or yielding nothing.
        assert_eq!(shingles("a b c", 0), shingles("a b c", 1));
    }

    #[test]
    fn repeated_shingles_are_deduplicated() {
        assert_eq!(shingles("la la la la la", 2).len(), 1);
    }

    #[test]
    fn unsorted_hashes_are_the_same_set() {
        let text = "The bank said on Wednesday that the bank would, as the bank said, wait.";
        let mut raw = Vec::new();
        Shingler::new().hashes_into(text, 2, 7, &mut raw);
        assert_eq!(raw.len(), 13);
        raw.sort_unstable();
        raw.dedup();
        assert_eq!(raw, shingles(text, 2));
    }

    #[test]
    fn cjk_and_thai_are_shingled_by_character() {
        assert_eq!(
            tokens("北京时间。今天"),
            ["北", "京", "时", "间", "今", "天"]
        );
        assert_eq!(shingles("北京时间今天上午", 3).len(), 6);
        assert_eq!(tokens("東京タワーへ"), ["東", "京", "タ", "ワ", "ー", "へ"]);
        assert_eq!(tokens("ภาษาไทย").len(), 7);
        // Mixed text keeps Latin words whole.
        assert_eq!(tokens("Apple发布iPhone"), ["apple", "发", "布", "iphone"]);
        // CJK punctuation ends a Latin word as a space would.
        assert_eq!(
            tokens("发布了iPhone。Apple公司"),
            ["发", "布", "了", "iphone", "apple", "公", "司"]
        );
        assert_eq!(tokens("Ａ／Ｂ，Ｃ"), ["ａ", "ｂ", "ｃ"]);
        // Korean is written with spaces and keeps whole words.
        assert_eq!(tokens("서울 시장"), ["서울", "시장"]);
        // A character-shingled paragraph differs from a one-character edit by a few shingles.
        let a = shingles("国家统计局今天发布了最新的经济数据", 3);
        let b = shingles("国家统计局昨天发布了最新的经济数据", 3);
        assert!(jaccard(&a, &b) > 0.6, "{}", jaccard(&a, &b));
    }

    #[test]
    fn non_ascii_case_folds() {
        assert_eq!(
            tokens("ÉCOLE Straße İstanbul"),
            tokens("école straße i̇stanbul")
        );
    }

    #[test]
    fn jaccard_and_containment() {
        let a = [1, 2, 3, 4];
        let b = [3, 4, 5, 6];
        assert_eq!(jaccard(&a, &b), 2.0 / 6.0);
        assert_eq!(containment(&a, &b), 0.5);
        assert_eq!(containment(&[2, 3], &a), 1.0);
        assert_eq!(jaccard(&a, &a), 1.0);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert_eq!(containment(&[], &a), 0.0);
    }

    #[test]
    fn cut_copy_is_contained() {
        let full = shingles(
            "The central bank raised rates by a quarter point on Wednesday, citing inflation \
             that has stayed above its target for two years, and signalled more to come.",
            5,
        );
        let cut = shingles(
            "The central bank raised rates by a quarter point on Wednesday, citing inflation",
            5,
        );
        assert_eq!(containment(&cut, &full), 1.0);
        assert!(jaccard(&cut, &full) < 0.5);
    }

    const WORDS: &[&str] = &[
        "said",
        "wednesday",
        "minister",
        "reuters",
        "market",
        "oil",
        "price",
        "the",
        "of",
        "défense",
        "zürich",
        "2024",
        "u",
    ];

    proptest! {
        #[test]
        fn decoration_invariance(
            picks in prop::collection::vec((0..WORDS.len(), 0..4usize, 0..6usize), 0..40),
            n in 1..6usize,
        ) {
            let plain: Vec<&str> = picks.iter().map(|&(w, _, _)| WORDS[w]).collect();
            let plain = plain.join(" ");
            let mut decorated = String::new();
            for &(w, case, punct) in &picks {
                let word = match case {
                    0 => WORDS[w].to_string(),
                    1 => WORDS[w].to_uppercase(),
                    2 => {
                        let mut c = WORDS[w].chars();
                        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
                    }
                    _ => format!("“{}”", WORDS[w]),
                };
                let sep = [" ", ", ", ". ", " \u{a0}", "’ ", "\n\t"][punct];
                decorated.push_str(&word);
                decorated.push_str(sep);
            }
            prop_assert_eq!(shingles(&plain, n), shingles(&decorated, n));
        }

        /// The table-driven tokenizer gives exactly the tokens of the rules read one
        /// character at a time, on any mix of ASCII, other scripts and punctuation.
        #[test]
        fn tokenizer_matches_the_rules_read_plainly(
            text in "([a-zA-Z0-9 ,.'\n/-]|[À-ɏ]|İ|Ⱥ|[ก-๛]|[ぁ-ゟ]|[一-龥]|[\u{2010}-\u{2015}]|\u{3000}|。|\u{a0}|’|“){0,80}",
        ) {
            prop_assert_eq!(tokens(&text), reference_tokens(&text));
        }

        /// The same on text that is mostly ASCII, where runs of eight bytes and more take the
        /// tokenizer's eight-at-a-time path: every whitespace byte (the vertical tab is not a
        /// break to `u8::is_ascii_whitespace`, so it is dropped), dashes, slashes, bars and
        /// punctuation, in runs and alone, and now and then a character that is not ASCII.
        #[test]
        fn eight_byte_blocks_match_the_rules_read_plainly(
            text in "([a-zA-Z0-9]{1,12}|[ \t\n\x0b\x0c\r,.'|/()-]{1,4}|é|İ|一){0,60}",
        ) {
            prop_assert_eq!(tokens(&text), reference_tokens(&text));
            // As parts too: the state a part ends in carries into the next.
            let parts: Vec<&str> = text.split('\n').collect();
            let mut sh = Shingler::new();
            let (mut hashes, mut ends) = (Vec::new(), Vec::new());
            sh.hashes_of_parts_into(&parts, 1, 0, &mut hashes, &mut ends);
            let joined = parts.join("\n");
            let mut whole = Vec::new();
            sh.hashes_into(&joined, 1, 0, &mut whole);
            prop_assert_eq!(hashes, whole);
        }

        /// Parts tokenized as one text give the hashes of their join, and each part's own
        /// hashes read off them are those of the part shingled alone; only a part shorter
        /// than a shingle (or in a whole that is) is left to tokenize.
        #[test]
        fn parts_give_the_join_and_each_part(
            parts in prop::collection::vec(
                "([a-zA-Z0-9 ,.'\n/-]|[À-ɏ]|İ|[ก-๛]|[一-龥]|\u{a0}|’){0,30}", 0..6),
            n in 0..4usize,
        ) {
            let mut sh = Shingler::new();
            let (mut all, mut ends, mut alone) = (Vec::new(), Vec::new(), Vec::new());
            sh.hashes_of_parts_into(&parts, n, 5, &mut all, &mut ends);
            let mut joined = Vec::new();
            sh.hashes_into(&parts.join("\n"), n, 5, &mut joined);
            prop_assert_eq!(&all, &joined);
            prop_assert_eq!(ends.len(), parts.len());
            for (p, part) in parts.iter().enumerate() {
                sh.hashes_into(part, n, 5, &mut alone);
                let tokens = tokens(part).len();
                match part_hashes(&all, &ends, p, n) {
                    Some(hashes) => prop_assert_eq!(hashes, &alone[..]),
                    None => prop_assert!(
                        tokens < n.max(1) || (ends.last().copied().unwrap_or(0) as usize) < n.max(1)
                    ),
                }
            }
        }

        #[test]
        fn never_panics_and_is_sorted(text in ".{0,200}", n in 0..8usize) {
            let s = shingles(&text, n);
            prop_assert!(s.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
