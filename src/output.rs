//! Writing `normalized/`: the output contract.
//!
//! `documents.jsonl` (surviving documents, input order, with provenance), `dropped.jsonl`
//! (documents removed whole, with the reason), `rejected.jsonl` (inputs that could not be read),
//! `clusters.jsonl` (every near-duplicate cluster) and `report.json` (summary figures). Each file
//! is written under a temporary name and renamed into place only after all of them were written
//! and flushed, so an interrupted run never leaves a half-written file that looks complete.
//! Volatile figures (timings, throughput, thread count) sit under `report.json`'s `timing` key
//! alone: everything else is byte-identical for the same input and configuration.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::config::{AliasMode, DedupAction};
use crate::doc::{Doc, Mention};
use crate::input::{Rejection, Skipped};

/// Time spent in one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageTiming {
    /// Stage name.
    pub stage: &'static str,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// What the near-duplicate pass found, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DedupSummary {
    /// Whether the pass ran.
    pub enabled: bool,
    /// LSH bands.
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
    /// Theoretical probability that a pair just below the threshold becomes a candidate.
    pub false_positive_rate: f64,
    /// Theoretical probability that a pair at the threshold is missed.
    pub false_negative_rate: f64,
    /// Paragraphs signed and compared.
    pub paragraphs_compared: usize,
    /// Candidate pairs from the band buckets (documents and paragraphs).
    pub candidate_pairs: usize,
    /// Pairs that passed verification.
    pub verified_pairs: usize,
    /// Paragraphs recorded as copies.
    pub duplicate_paragraphs: usize,
    /// Documents recorded as copies of another.
    pub duplicate_documents: usize,
    /// Clusters written to clusters.jsonl.
    pub clusters: usize,
}

/// The summary written to `report.json` and shown at the end of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// copydesk's version.
    pub version: String,
    /// Hash of the resolved configuration.
    pub config_hash: String,
    /// Input files read.
    pub files_read: usize,
    /// Files found but not read, with why.
    pub skipped: Vec<Skipped>,
    /// Input documents (read plus rejected).
    pub documents_in: usize,
    /// Documents written to documents.jsonl.
    pub documents_out: usize,
    /// Documents written to dropped.jsonl.
    pub documents_dropped: usize,
    /// Entries written to rejected.jsonl.
    pub documents_rejected: usize,
    /// Input bytes (after decompression).
    pub bytes_in: u64,
    /// Removed lines by boilerplate layer.
    pub removed_by_reason: BTreeMap<String, u64>,
    /// Decode repairs by kind.
    pub repairs: BTreeMap<String, u64>,
    /// Alias mentions rewritten (or annotated).
    pub aliases_replaced: u64,
    /// The near-duplicate pass.
    pub dedup: DedupSummary,
    /// Per-stage wall-clock time (volatile: written under `timing`).
    #[serde(skip)]
    pub stages: Vec<StageTiming>,
    /// Whole-run seconds (volatile).
    #[serde(skip)]
    pub seconds: f64,
}

impl Report {
    /// Megabytes of input per second of the whole run.
    pub fn mb_per_s(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes_in as f64 / 1e6 / self.seconds
        } else {
            0.0
        }
    }
}

/// One near-duplicate cluster, as written to clusters.jsonl.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterRecord {
    /// Cluster id, referenced from documents' `duplicates`.
    pub cluster: u64,
    /// "document" or "paragraph".
    pub level: &'static str,
    /// The kept copy.
    pub kept: ClusterMember,
    /// The copies, in input order.
    pub members: Vec<ClusterMember>,
}

/// A member of a cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterMember {
    /// Document id.
    pub id: String,
    /// Paragraph index, for paragraph clusters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paragraph: Option<usize>,
    /// Jaccard similarity with the kept copy (exact, over shingles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// Share of the shorter text's shingles found in the other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub containment: Option<f64>,
}

/// Everything the pipeline produced, ready to write.
#[derive(Debug)]
pub struct RunOutput {
    /// All decoded documents, in input order (surviving and dropped).
    pub docs: Vec<Doc>,
    /// Rejected inputs.
    pub rejected: Vec<Rejection>,
    /// Near-duplicate clusters.
    pub clusters: Vec<ClusterRecord>,
    /// Summary figures.
    pub report: Report,
    /// How duplicates were handled.
    pub dedup_action: DedupAction,
    /// How aliases were handled.
    pub alias_mode: AliasMode,
}

/// Why a document is dropped whole, if it is.
fn drop_reason(doc: &Doc, action: DedupAction) -> Option<&'static str> {
    let kept = doc.paragraphs.len() - doc.dropped_paragraphs.len();
    if doc.duplicate_of.is_some() && action == DedupAction::Drop {
        Some("duplicate")
    } else if doc.paragraphs.is_empty() || kept == 0 {
        Some("empty after cleaning")
    } else {
        None
    }
}

/// The output text: kept paragraphs joined by a blank line, with the byte offset at which each
/// kept paragraph starts (for annotate-mode mentions).
fn text_of(doc: &Doc) -> (String, Vec<Option<usize>>) {
    let mut text = String::with_capacity(doc.text_len() + 2 * doc.paragraphs.len());
    let mut starts = vec![None; doc.paragraphs.len()];
    for (i, p) in doc.paragraphs.iter().enumerate() {
        if doc.dropped_paragraphs.binary_search(&i).is_ok() {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        starts[i] = Some(text.len());
        text.push_str(p);
    }
    (text, starts)
}

fn provenance(doc: &Doc, starts: &[Option<usize>], mode: AliasMode, action: DedupAction) -> Value {
    let mut p = Map::new();
    p.insert("encoding".into(), json!(doc.encoding));
    p.insert("repairs".into(), json!(doc.repairs));
    p.insert("removed".into(), json!(doc.removed));
    p.insert("aliases".into(), json!(doc.aliases));
    if mode == AliasMode::Annotate {
        let mentions: Vec<Mention> = doc
            .mentions
            .iter()
            .filter_map(|m| {
                let base = starts.get(m.paragraph).copied().flatten()?;
                Some(Mention {
                    start: base + m.start,
                    end: base + m.end,
                    from: m.from.clone(),
                    to: m.to.clone(),
                })
            })
            .collect();
        p.insert("mentions".into(), json!(mentions));
    }
    p.insert("duplicates".into(), json!(doc.duplicates));
    if action == DedupAction::Mark {
        if let Some(of) = &doc.duplicate_of {
            p.insert("duplicate_of".into(), json!(of));
        }
    }
    Value::Object(p)
}

/// Keys copydesk writes itself; an input field of the same name is kept as `input_<name>`.
const RESERVED: [&str; 6] = ["id", "source", "text", "copydesk", "reason", "duplicate_of"];

fn record(doc: &Doc, text: String, copydesk: Value, dropped: Option<&str>) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("id".into(), json!(doc.id));
    r.insert("source".into(), json!(doc.source));
    if let Some(reason) = dropped {
        r.insert("reason".into(), json!(reason));
        if let Some(of) = &doc.duplicate_of {
            r.insert("duplicate_of".into(), json!(of));
        }
    }
    r.insert("text".into(), json!(text));
    for (k, v) in &doc.extra {
        let key = if RESERVED.contains(&k.as_str()) {
            format!("input_{k}")
        } else {
            k.clone()
        };
        r.insert(key, v.clone());
    }
    r.insert("copydesk".into(), copydesk);
    r
}

/// A file being written under a temporary name in the output folder.
struct Staged {
    name: &'static str,
    tmp: PathBuf,
    dest: PathBuf,
    out: BufWriter<fs::File>,
}

impl Staged {
    fn create(dir: &Path, name: &'static str) -> io::Result<Staged> {
        let tmp = dir.join(format!(".{name}.tmp"));
        let out = BufWriter::new(fs::File::create(&tmp).map_err(|e| on_file(name, e))?);
        Ok(Staged {
            name,
            tmp,
            dest: dir.join(name),
            out,
        })
    }

    fn line(&mut self, v: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, v)
            .map_err(io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| on_file(self.name, e))
    }

    fn finish(mut self) -> io::Result<(PathBuf, PathBuf)> {
        self.out
            .flush()
            .and_then(|()| self.out.get_ref().sync_all())
            .map_err(|e| on_file(self.name, e))?;
        Ok((self.tmp, self.dest))
    }
}

/// The output files, in the order they are renamed into place (the report last).
const OUTPUT_FILES: [&str; 5] = [
    "documents.jsonl",
    "dropped.jsonl",
    "rejected.jsonl",
    "clusters.jsonl",
    "report.json",
];

/// Names the file an I/O error happened on; the caller adds the folder.
fn on_file(name: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{name}: {e}"))
}

/// Writes the output folder. On error nothing is renamed into place and the temporary files
/// are removed, so a failed run (a full or read-only disk) leaves no partial output behind; a
/// complete output of an earlier run, if any, stays as it was.
pub fn write(dir: &Path, run: &mut RunOutput) -> io::Result<()> {
    let result = write_staged(dir, run);
    if result.is_err() {
        for name in OUTPUT_FILES {
            let _ = fs::remove_file(dir.join(format!(".{name}.tmp")));
        }
    }
    result
}

fn write_staged(dir: &Path, run: &mut RunOutput) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut documents = Staged::create(dir, "documents.jsonl")?;
    let mut dropped = Staged::create(dir, "dropped.jsonl")?;
    let mut rejected = Staged::create(dir, "rejected.jsonl")?;
    let mut clusters = Staged::create(dir, "clusters.jsonl")?;
    let (mut n_out, mut n_dropped) = (0, 0);
    for doc in &run.docs {
        let (text, starts) = text_of(doc);
        let prov = provenance(doc, &starts, run.alias_mode, run.dedup_action);
        match drop_reason(doc, run.dedup_action) {
            Some(reason) => {
                // A dropped document keeps its cleaned text so a reviewer can check the decision.
                let text = if text.is_empty() {
                    doc.paragraphs.join("\n\n")
                } else {
                    text
                };
                dropped.line(&record(doc, text, prov, Some(reason)))?;
                n_dropped += 1;
            }
            None => {
                documents.line(&record(doc, text, prov, None))?;
                n_out += 1;
            }
        }
    }
    for r in &run.rejected {
        rejected.line(r)?;
    }
    for c in &run.clusters {
        clusters.line(c)?;
    }
    run.report.documents_out = n_out;
    run.report.documents_dropped = n_dropped;
    run.report.documents_rejected = run.rejected.len();
    let mut report = Staged::create(dir, "report.json")?;
    let mut value = serde_json::to_value(&run.report)?;
    value["timing"] = json!({
        "seconds": run.report.seconds,
        "mb_per_s": run.report.mb_per_s(),
        "threads": rayon::current_num_threads(),
        "stages": run.report.stages,
    });
    serde_json::to_writer_pretty(&mut report.out, &value)
        .map_err(io::Error::from)
        .and_then(|()| report.out.write_all(b"\n"))
        .map_err(|e| on_file("report.json", e))?;
    let staged = [
        documents.finish()?,
        dropped.finish()?,
        rejected.finish()?,
        clusters.finish()?,
        report.finish()?,
    ];
    for (tmp, dest) in staged {
        fs::rename(&tmp, &dest).map_err(|e| on_file(&dest.display().to_string(), e))?;
    }
    Ok(())
}
