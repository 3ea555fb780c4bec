//! The document as it moves through the stages, and the provenance records it accumulates.
//!
//! A [`Doc`] is created by the decode stage from a raw input document and is then only ever
//! added to: each stage appends what it changed (`removed`, `aliases`, `duplicates`, ...) so the
//! output can show every decision. The JSON shapes of those records are the output contract
//! (`documents.jsonl`); the writer in `output` serializes them as they are.

use std::collections::BTreeMap;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One line or fragment removed by the boilerplate pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// The removed text.
    pub text: String,
    /// The layer that removed it.
    pub reason: Cow<'static, str>,
    /// The phrase or pattern that matched, when the layer has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// One alias rewrite (or annotation), counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// The form found in the text.
    pub from: String,
    /// The canonical form.
    pub to: String,
    /// How many times.
    pub count: u64,
}

/// In `annotate` mode: a mention in a paragraph, by byte offsets inside that paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParagraphMention {
    /// Index of the cleaned paragraph.
    pub paragraph: usize,
    /// Byte range inside the paragraph.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// The form found.
    pub from: String,
    /// The canonical form.
    pub to: String,
}

/// A mention as written out: byte offsets into the output `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// Byte offset where the mention starts in `text`.
    pub start: usize,
    /// Byte offset where it ends.
    pub end: usize,
    /// The form found.
    pub from: String,
    /// The canonical form.
    pub to: String,
}

/// Where the kept copy of a duplicate paragraph lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateTarget {
    /// Id of the document holding the kept copy.
    pub id: String,
    /// Its cleaned-paragraph index.
    pub paragraph: usize,
}

/// One paragraph of this document found to copy another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRecord {
    /// Cleaned-paragraph index in this document.
    pub paragraph: usize,
    /// The kept copy.
    pub of: DuplicateTarget,
    /// Estimated similarity (Jaccard, or containment when that is what matched).
    pub similarity: f64,
    /// Cluster id, as in `clusters.jsonl`.
    pub cluster: u64,
    /// The removed paragraph's text, with action `drop`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A document between stages.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Doc {
    /// Position in input order; the tie-breaker of every deterministic choice.
    pub ordinal: usize,
    /// Document id.
    pub id: String,
    /// Input path, plus `:line` for JSONL.
    pub source: String,
    /// Site key for per-source statistics.
    pub site: String,
    /// JSONL fields passed through.
    pub extra: Map<String, Value>,
    /// Detected (or configured) encoding.
    pub encoding: String,
    /// Repairs by kind.
    pub repairs: BTreeMap<String, u64>,
    /// Decoded text, whole, with where its lines end; consumed by the boilerplate and paragraph
    /// stages. One string per document rather than one per line: the decode stage hands over
    /// the string it already has, with no allocation per line.
    pub text: DocText,
    /// Lines removed, in order.
    pub removed: Vec<Removed>,
    /// Cleaned paragraphs.
    pub paragraphs: Vec<String>,
    /// Alias counts.
    pub aliases: Vec<AliasRecord>,
    /// Alias mentions in `annotate` mode.
    pub mentions: Vec<ParagraphMention>,
    /// Duplicate paragraphs.
    pub duplicates: Vec<DuplicateRecord>,
    /// Paragraph indices removed as copies (action `drop`).
    pub dropped_paragraphs: Vec<usize>,
    /// Set when the whole document is a copy of another.
    pub duplicate_of: Option<String>,
}

impl Doc {
    /// The decoded text's lines, as [`DocText::lines`] gives them.
    pub fn lines(&self) -> Lines<'_> {
        self.text.lines()
    }

    /// Bytes of cleaned text, the measure of "longest" and of the share of copies.
    pub fn text_len(&self) -> usize {
        self.paragraphs.iter().map(String::len).sum()
    }
}

/// A document's decoded text and the ends of its lines, found once, when it is made: the
/// length check, the line statistics and the boilerplate pass each walk the lines, and a
/// search for `\n` per line per walk cost more than the lines' own allocations did. Written
/// out (in staged runs) as the text alone; the line ends are found again when it is read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct DocText {
    text: String,
    /// Byte offset of each `\n`: line `i` ends at `ends[i]`, the last line at the text's end.
    ends: Vec<usize>,
}

impl DocText {
    /// The text, with its line ends found.
    pub fn new(text: String) -> DocText {
        let ends = memchr::memchr_iter(b'\n', text.as_bytes()).collect();
        DocText { text, ends }
    }

    /// The whole text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many lines: one more than the `\n`s.
    pub fn line_count(&self) -> usize {
        self.ends.len() + 1
    }

    /// The lines, `\n` removed, as `str::split('\n')` gives them (so a text ending in `\n`
    /// has an empty last line, and an empty text one empty line).
    pub fn lines(&self) -> Lines<'_> {
        Lines {
            text: &self.text,
            start: 0,
            ends: self.ends.iter(),
            done: false,
        }
    }
}

impl From<String> for DocText {
    fn from(text: String) -> DocText {
        DocText::new(text)
    }
}

impl From<DocText> for String {
    fn from(t: DocText) -> String {
        t.text
    }
}

/// The lines of a [`DocText`], by [`DocText::lines`].
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    text: &'a str,
    /// Where the next line starts.
    start: usize,
    ends: std::slice::Iter<'a, usize>,
    /// The last line has been given.
    done: bool,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    // Called once per line by every walk of the lines; left out of line, the call cost as much
    // as the work.
    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.done {
            return None;
        }
        let start = self.start;
        match self.ends.next() {
            Some(&end) => {
                self.start = end + 1;
                Some(&self.text[start..end])
            }
            None => {
                self.done = true;
                Some(&self.text[start..])
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.ends.len() + usize::from(!self.done);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Lines<'_> {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::DocText;

    proptest! {
        #[test]
        fn lines_agree_with_str_split(s in "[ab\n\u{e9}]{0,20}") {
            let text = DocText::new(s.clone());
            let expected: Vec<&str> = s.split('\n').collect();
            prop_assert_eq!(text.lines().collect::<Vec<_>>(), expected.clone());
            prop_assert_eq!(text.lines().len(), expected.len());
            prop_assert_eq!(text.line_count(), expected.len());
            // Written out as the text alone, and read back with the same lines.
            let json = serde_json::to_string(&text).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&s).unwrap());
            let back: DocText = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, text);
        }
    }
}
