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
    /// Decoded text, split on `\n`; consumed by the boilerplate and paragraph stages.
    pub lines: Vec<String>,
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
    /// Bytes of cleaned text, the measure of "longest" and of the share of copies.
    pub fn text_len(&self) -> usize {
        self.paragraphs.iter().map(String::len).sum()
    }
}
